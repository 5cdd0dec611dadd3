//! Notifications: written by the audit-log adapter in the change's transaction ([`write`]),
//! read and marked by their recipient ([`SqlNotificationRepository`]), and fed to the live
//! streams of every instance ([`SqlNotificationFeed`]): PostgreSQL publishes each one with
//! `pg_notify` in the writing transaction (delivered on commit), the other backends are polled.

use crate::entities::notification::{self, Column, Entity};
use crate::entities::{notification_preference as pref, notification_stream_ticket as ticket};
use crate::entities::{outbox, user};
use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::kernel::clock;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::notifications::{
    Notice, Notification, NotificationCleanup, NotificationRepository, Notifier, Preference,
    Recipient,
};
use crm_domain::{OrganizationId, StoreError, UserId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The PostgreSQL channel every instance listens on.
pub const CHANNEL: &str = "crm_notifications";

impl From<notification::Model> for Notification {
    fn from(m: notification::Model) -> Self {
        Notification {
            id: m.id,
            r#type: m.r#type,
            title: m.title,
            body: m.body,
            record_type: m.record_type,
            record_id: m.record_id,
            read_at: m.read_at,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
        }
    }
}

/// A new notification as the streams receive it: whose, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    #[serde(rename = "o")]
    pub organization_id: Uuid,
    #[serde(rename = "u")]
    pub user_id: Uuid,
    #[serde(rename = "n")]
    pub notification: Notification,
}

/// Writes `notices` inside `tx` as the recipients' preferences say: stored (and published)
/// when `in_app` (the default), mailed through the outbox when `email`. Called only when
/// there is someone to notify, so other writes pay nothing.
pub(crate) async fn write(
    tx: &DatabaseTransaction,
    notifier: &Notifier,
    notices: Vec<Notice>,
) -> Result<(), StoreError> {
    let Some(org) = notices.first().map(|n| n.organization_id) else {
        return Ok(());
    };
    let users: Vec<Uuid> = notices.iter().map(|n| n.user_id.0).collect();
    let types: Vec<&str> = notices.iter().map(|n| n.r#type).collect();
    let prefs = pref::Entity::find()
        .filter(pref::Column::OrganizationId.eq(org.0))
        .filter(pref::Column::UserId.is_in(users.clone()))
        .filter(pref::Column::Type.is_in(types))
        .all(tx)
        .await
        .map_err(store_err)?;
    let choice = |n: &Notice| {
        prefs
            .iter()
            .find(|p| p.user_id == n.user_id.0 && p.r#type == n.r#type)
            .map_or((true, false), |p| (p.in_app, p.email))
    };
    let now = clock::now();
    let mut stored = Vec::new();
    let mut mailed = Vec::new();
    for n in notices {
        let (in_app, email) = choice(&n);
        if email {
            mailed.push(n.clone());
        }
        if in_app {
            stored.push(Delivery {
                organization_id: org.0,
                user_id: n.user_id.0,
                notification: Notification {
                    id: Uuid::now_v7(),
                    r#type: n.r#type.to_string(),
                    title: n.title,
                    body: n.body,
                    record_type: n.record_type.to_string(),
                    record_id: n.record_id,
                    read_at: None,
                    legacy_id: None,
                    created_at: now,
                },
            });
        }
    }
    if !stored.is_empty() {
        let rows = stored.iter().map(|d| notification::ActiveModel {
            id: Set(d.notification.id),
            organization_id: Set(d.organization_id),
            user_id: Set(d.user_id),
            r#type: Set(d.notification.r#type.clone()),
            title: Set(d.notification.title.clone()),
            body: Set(d.notification.body.clone()),
            record_type: Set(d.notification.record_type.clone()),
            record_id: Set(d.notification.record_id),
            read_at: Set(None),
            created_at: Set(now),
            legacy_id: Set(None),
        });
        Entity::insert_many(rows)
            .exec_without_returning(tx)
            .await
            .map_err(store_err)?;
        if tx.get_database_backend() == DatabaseBackend::Postgres {
            // Delivered to every listening instance when (and only if) the transaction commits.
            for d in &stored {
                let payload =
                    serde_json::to_string(d).map_err(|e| StoreError::Unexpected(e.to_string()))?;
                tx.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                ))
                .await
                .map_err(store_err)?;
            }
        }
    }
    if !mailed.is_empty() {
        let ids: Vec<Uuid> = mailed.iter().map(|n| n.user_id.0).collect();
        let people = user::Entity::find()
            .filter(user::Column::OrganizationId.eq(org.0))
            .filter(user::Column::Id.is_in(ids))
            .all(tx)
            .await
            .map_err(store_err)?;
        let rows: Vec<outbox::ActiveModel> = mailed
            .iter()
            .filter_map(|n| {
                let u = people.iter().find(|u| u.id == n.user_id.0)?;
                let mail = notifier.mail(n, &u.email, &u.name)?;
                Some(crate::outbox_repo::pending_row(
                    crm_domain::OutboxId::new(),
                    Some(org),
                    mail,
                    now,
                ))
            })
            .collect();
        if !rows.is_empty() {
            outbox::Entity::insert_many(rows)
                .exec_without_returning(tx)
                .await
                .map_err(store_err)?;
        }
    }
    Ok(())
}

#[derive(Clone)]
pub struct SqlNotificationRepository {
    db: DatabaseConnection,
}

impl SqlNotificationRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn mine(org: OrganizationId, user: UserId) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::OrganizationId.eq(org.0))
        .add(Column::UserId.eq(user.0))
}

#[async_trait]
impl NotificationRepository for SqlNotificationRepository {
    async fn list(
        &self,
        org: OrganizationId,
        user: UserId,
        unread: bool,
        query: &ListQuery,
    ) -> Result<Page<Notification>, StoreError> {
        let cols = ListColumns::<Entity>::search(&[]);
        let mut base = Entity::find().filter(mine(org, user));
        if unread {
            base = base.filter(Column::ReadAt.is_null());
        }
        let page = keyset::page(&self.db, base, query, &cols).await?;
        Ok(Page {
            data: page.data.into_iter().map(Notification::from).collect(),
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }

    async fn unread_count(&self, org: OrganizationId, user: UserId) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Entity::find()
            .filter(mine(org, user))
            .filter(Column::ReadAt.is_null())
            .count(&self.db)
            .await
            .map_err(store_err)
    }

    async fn mark_read(
        &self,
        org: OrganizationId,
        user: UserId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Notification, StoreError> {
        Entity::update_many()
            .col_expr(Column::ReadAt, Expr::value(at))
            .filter(mine(org, user))
            .filter(Column::Id.eq(id))
            .filter(Column::ReadAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Entity::find()
            .filter(mine(org, user))
            .filter(Column::Id.eq(id))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(Notification::from)
            .ok_or(StoreError::NotFound)
    }

    async fn mark_all_read(
        &self,
        org: OrganizationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let r = Entity::update_many()
            .col_expr(Column::ReadAt, Expr::value(at))
            .filter(mine(org, user))
            .filter(Column::ReadAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(r.rows_affected)
    }

    async fn delete(&self, org: OrganizationId, user: UserId, id: Uuid) -> Result<(), StoreError> {
        let r = Entity::delete_many()
            .filter(mine(org, user))
            .filter(Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        if r.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn after(
        &self,
        org: OrganizationId,
        user: UserId,
        after: Uuid,
        limit: u64,
    ) -> Result<Vec<Notification>, StoreError> {
        Ok(Entity::find()
            .filter(mine(org, user))
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(Notification::from)
            .collect())
    }

    async fn preferences(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Vec<Preference>, StoreError> {
        Ok(pref::Entity::find()
            .filter(pref::Column::OrganizationId.eq(org.0))
            .filter(pref::Column::UserId.eq(user.0))
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|p| Preference {
                r#type: p.r#type,
                in_app: p.in_app,
                email: p.email,
            })
            .collect())
    }

    async fn set_preferences(
        &self,
        org: OrganizationId,
        user: UserId,
        items: Vec<Preference>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let rows = items.into_iter().map(|p| pref::ActiveModel {
            organization_id: Set(org.0),
            user_id: Set(user.0),
            r#type: Set(p.r#type),
            in_app: Set(p.in_app),
            email: Set(p.email),
            updated_at: Set(at),
        });
        pref::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    pref::Column::OrganizationId,
                    pref::Column::UserId,
                    pref::Column::Type,
                ])
                .update_columns([
                    pref::Column::InApp,
                    pref::Column::Email,
                    pref::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn create_ticket(
        &self,
        org: OrganizationId,
        user: UserId,
        hash: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        ticket::Entity::insert(ticket::ActiveModel {
            ticket_hash: Set(hash),
            organization_id: Set(org.0),
            user_id: Set(user.0),
            expires_at: Set(expires_at),
            used_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn redeem_ticket(
        &self,
        hash: String,
        now: DateTime<Utc>,
    ) -> Result<Option<Recipient>, StoreError> {
        // One conditional UPDATE: of two concurrent redemptions, one changes the row.
        let r = ticket::Entity::update_many()
            .col_expr(ticket::Column::UsedAt, Expr::value(now))
            .filter(ticket::Column::TicketHash.eq(hash.clone()))
            .filter(ticket::Column::UsedAt.is_null())
            .filter(ticket::Column::ExpiresAt.gt(now))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        if r.rows_affected != 1 {
            return Ok(None);
        }
        Ok(ticket::Entity::find_by_id(hash)
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(|t| Recipient {
                organization_id: OrganizationId(t.organization_id),
                user_id: UserId(t.user_id),
            }))
    }
}

#[async_trait]
impl NotificationCleanup for SqlNotificationRepository {
    async fn read_before(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        let ids: Vec<Uuid> = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::ReadAt.lt(before))
            .order_by_asc(Column::ReadAt)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        if !ids.is_empty() {
            Entity::delete_many()
                .filter(Column::Id.is_in(ids.clone()))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(ids.len() as u64)
    }

    async fn expired_tickets(&self, now: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        let hashes: Vec<String> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::TicketHash)
            .filter(ticket::Column::ExpiresAt.lt(now))
            .order_by_asc(ticket::Column::ExpiresAt)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        if !hashes.is_empty() {
            ticket::Entity::delete_many()
                .filter(ticket::Column::TicketHash.is_in(hashes.clone()))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(hashes.len() as u64)
    }
}

/// The source of new notifications for this instance's streams.
#[derive(Clone)]
pub struct SqlNotificationFeed {
    db: DatabaseConnection,
    url: String,
}

impl SqlNotificationFeed {
    /// `url`: the database URL, for the listener's own connection on PostgreSQL.
    pub fn new(db: DatabaseConnection, url: &str) -> Self {
        Self {
            db,
            url: url.to_string(),
        }
    }

    /// Whether notifications arrive by `LISTEN` ([`Self::listen`]) rather than polling.
    pub fn pushes(&self) -> bool {
        self.db.get_database_backend() == DatabaseBackend::Postgres
    }

    /// Every notification with an id above `after` (ids are UUIDv7, so time-ordered), oldest
    /// first: one primary-key range read.
    pub async fn since(&self, after: Uuid, limit: u64) -> Result<Vec<Delivery>, StoreError> {
        Ok(Entity::find()
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|m| Delivery {
                organization_id: m.organization_id,
                user_id: m.user_id,
                notification: m.into(),
            })
            .collect())
    }

    /// Listens on PostgreSQL (its own connection, not one of the pool's) and hands every
    /// notification to `deliver`, reconnecting after a failure, for as long as it runs.
    pub async fn listen(&self, deliver: impl Fn(Delivery) + Send) {
        use sea_orm::sqlx::postgres::PgListener;
        let mut delay = std::time::Duration::from_millis(500);
        loop {
            let mut listener = match PgListener::connect(&self.url).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "notification listener cannot connect; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(30));
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "LISTEN failed; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            delay = std::time::Duration::from_millis(500);
            loop {
                match listener.recv().await {
                    Ok(n) => match serde_json::from_str::<Delivery>(n.payload()) {
                        Ok(d) => deliver(d),
                        Err(e) => tracing::warn!(error = %e, "unreadable notification payload"),
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "notification listener lost; reconnecting");
                        break;
                    }
                }
            }
        }
    }
}
