//! Webhooks, their delivery log, the relay from marked events to deliveries, and the delivery
//! claims.
//!
//! Exclusive claims on every backend, as the outbox's: the candidates are read `FOR UPDATE
//! SKIP LOCKED` on PostgreSQL and MariaDB (an instance skips what another is claiming instead
//! of waiting), inside a transaction that begins `IMMEDIATE` on SQLite (one writer); a
//! delivery's claim is a lease (`locked_until`) set by a conditional update, so a crashed
//! claimer's deliveries come back when it runs out and no two instances hold one at once.

use crate::entities::{activity, event, webhook, webhook_delivery};
use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::rows::{
    Tenanted, corrupt, db_version, delete_in_org, insert, locked, one, update_versioned,
};
use crate::tx::{SqlTxManager, sql};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::events::Event;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::webhooks::{
    AttemptRecord, Delivery, DeliveryId, DeliveryRepository, DeliveryStatus, DueDelivery, Webhook,
    WebhookId, WebhookRepository, patterns,
};
use crm_domain::{OrganizationId, StoreError, TxManager, Txn};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseBackend, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

const PENDING: &str = "pending";
const SUCCEEDED: &str = "succeeded";
const FAILED: &str = "failed";

#[derive(Clone)]
pub struct SqlWebhookRepository {
    db: DatabaseConnection,
}

impl SqlWebhookRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

const LIST: ListColumns<'static, webhook::Entity> =
    ListColumns::search(&[webhook::Column::Url, webhook::Column::Description]);

impl TryFrom<webhook::Model> for Webhook {
    type Error = StoreError;
    fn try_from(m: webhook::Model) -> Result<Self, StoreError> {
        let event_types: Vec<String> =
            serde_json::from_value(m.event_types).map_err(|e| corrupt("webhooks", m.id, e))?;
        Ok(Webhook {
            id: WebhookId(m.id),
            organization_id: OrganizationId(m.organization_id),
            url: m.url,
            event_types,
            description: m.description,
            is_active: m.is_active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

fn row(w: &Webhook, sealed: Option<String>) -> Result<webhook::ActiveModel, StoreError> {
    let types =
        serde_json::to_value(&w.event_types).map_err(|e| StoreError::Unexpected(e.to_string()))?;
    Ok(webhook::ActiveModel {
        id: Set(w.id.0),
        created_at: Set(w.created_at),
        updated_at: Set(w.updated_at),
        version: Set(db_version(w.version)?),
        organization_id: Set(w.organization_id.0),
        url: Set(w.url.clone()),
        event_types: Set(types),
        description: Set(w.description.clone()),
        is_active: Set(w.is_active),
        secret: match sealed {
            Some(s) => Set(s),
            None => sea_orm::ActiveValue::NotSet,
        },
    })
}

impl Tenanted for webhook::Entity {
    const ID: webhook::Column = webhook::Column::Id;
    const ORGANIZATION: webhook::Column = webhook::Column::OrganizationId;
    const VERSION: webhook::Column = webhook::Column::Version;
    const FIXED: &'static [webhook::Column] = &[webhook::Column::CreatedAt];
}

fn in_org(org: OrganizationId, id: WebhookId) -> Select<webhook::Entity> {
    crate::rows::in_org(org, id.0)
}

#[async_trait]
impl WebhookRepository for SqlWebhookRepository {
    async fn create(&self, tx: &mut Txn, w: &Webhook, sealed: &str) -> Result<(), StoreError> {
        insert(sql(tx.as_mut())?, row(w, Some(sealed.to_string()))?).await
    }

    async fn get(&self, org: OrganizationId, id: WebhookId) -> Result<Webhook, StoreError> {
        one(&self.db, in_org(org, id)).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: WebhookId,
    ) -> Result<Webhook, StoreError> {
        locked(sql(tx.as_mut())?, in_org(org, id)).await?.try_into()
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Webhook>, StoreError> {
        let base = webhook::Entity::find().filter(webhook::Column::OrganizationId.eq(org.0));
        keyset::page_as(&self.db, base, query, &LIST).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        w: &Webhook,
        expected_version: i64,
        sealed: Option<String>,
    ) -> Result<(), StoreError> {
        let key = (w.organization_id, w.id.0);
        update_versioned(sql(tx.as_mut())?, row(w, sealed)?, key, expected_version).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: WebhookId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        // The log goes with its webhook (the foreign key cascades too; explicit for clarity
        // on SQLite connections that might run without foreign keys).
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::OrganizationId.eq(org.0))
            .filter(webhook_delivery::Column::WebhookId.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        delete_in_org::<webhook::Entity>(db, org, id.0, store_err).await
    }
}

/// The delivery log and the workers' claims. Its transactions are its own (`IMMEDIATE` on
/// SQLite), on the pool it is given.
#[derive(Clone)]
pub struct SqlDeliveryRepository {
    db: DatabaseConnection,
    tx: SqlTxManager,
}

impl SqlDeliveryRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            tx: SqlTxManager::new(db.clone()),
            db,
        }
    }
}

const DELIVERY_LIST: ListColumns<'static, webhook_delivery::Entity> = ListColumns::search(&[]);

fn status(s: &str) -> DeliveryStatus {
    match s {
        SUCCEEDED => DeliveryStatus::Succeeded,
        FAILED => DeliveryStatus::Failed,
        _ => DeliveryStatus::Pending,
    }
}

impl TryFrom<webhook_delivery::Model> for Delivery {
    type Error = StoreError;
    fn try_from(m: webhook_delivery::Model) -> Result<Self, StoreError> {
        Ok(Delivery {
            id: DeliveryId(m.id),
            event_id: m.event_id,
            event_type: m.event_type,
            status: status(&m.status),
            attempts: m.attempts,
            last_status_code: m.last_status_code,
            last_error: m.last_error,
            next_attempt_at: m.next_attempt_at,
            created_at: m.created_at,
        })
    }
}

fn free_at(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(webhook_delivery::Column::LockedUntil.is_null())
        .add(webhook_delivery::Column::LockedUntil.lte(now))
}

impl SqlDeliveryRepository {
    fn skip_locked<E: EntityTrait>(&self, q: Select<E>) -> Select<E> {
        // SQLite has one writer (the transaction began IMMEDIATE) and no row locks.
        if self.db.get_database_backend() == DatabaseBackend::Sqlite {
            q
        } else {
            q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        }
    }
}

#[async_trait]
impl DeliveryRepository for SqlDeliveryRepository {
    async fn list(
        &self,
        org: OrganizationId,
        hook: WebhookId,
        query: &ListQuery,
    ) -> Result<Page<Delivery>, StoreError> {
        use webhook_delivery::{Column, Entity};
        let base = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::WebhookId.eq(hook.0));
        keyset::page_as(&self.db, base, query, &DELIVERY_LIST).await
    }

    async fn retry_now(
        &self,
        org: OrganizationId,
        hook: WebhookId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        use webhook_delivery::{Column, Entity};
        // A delivery being attempted right now keeps its claim; the next poll after it
        // finds it due again.
        let res = Entity::update_many()
            .col_expr(Column::Status, Expr::value(PENDING))
            .col_expr(Column::NextAttemptAt, Expr::value(Some(now)))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(id.0))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::WebhookId.eq(hook.0))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn relay(&self, limit: u32, now: DateTime<Utc>) -> Result<u32, StoreError> {
        let mut tx = self.tx.begin().await?;
        let db = sql(tx.as_mut())?;
        let marked = activity::Entity::find()
            .select_only()
            .column(activity::Column::Id)
            .column(activity::Column::OrganizationId)
            .column(activity::Column::EventType)
            // A literal, not a parameter: it is the partial index's own condition.
            .filter(Expr::col(activity::Column::Relay).eq(Expr::cust("TRUE")))
            .order_by_asc(activity::Column::Id)
            .limit(u64::from(limit));
        let marked: Vec<(Uuid, Uuid, Option<String>)> = self
            .skip_locked(marked)
            .into_tuple()
            .all(db)
            .await
            .map_err(store_err)?;
        if marked.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        let orgs: BTreeSet<Uuid> = marked.iter().map(|(_, o, _)| *o).collect();
        let hooks: Vec<(Uuid, Uuid, serde_json::Value)> = webhook::Entity::find()
            .select_only()
            .column(webhook::Column::Id)
            .column(webhook::Column::OrganizationId)
            .column(webhook::Column::EventTypes)
            .filter(webhook::Column::OrganizationId.is_in(orgs))
            .filter(webhook::Column::IsActive.eq(true))
            .into_tuple()
            .all(db)
            .await
            .map_err(store_err)?;
        let mut by_org: HashMap<Uuid, Vec<(Uuid, Vec<String>)>> = HashMap::new();
        for (id, org, types) in hooks {
            let types: Vec<String> =
                serde_json::from_value(types).map_err(|e| corrupt("webhooks", id, e))?;
            by_org.entry(org).or_default().push((id, types));
        }
        let mut rows = Vec::new();
        for (event_id, org, event_type) in &marked {
            let Some(event_type) = event_type else {
                continue;
            };
            for (hook, types) in by_org.get(org).into_iter().flatten() {
                if patterns::matches_any(types, event_type) {
                    rows.push(webhook_delivery::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        organization_id: Set(*org),
                        webhook_id: Set(*hook),
                        event_id: Set(*event_id),
                        event_type: Set(event_type.clone()),
                        status: Set(PENDING.into()),
                        attempts: Set(0),
                        last_status_code: Set(None),
                        last_error: Set(None),
                        next_attempt_at: Set(Some(now)),
                        locked_until: Set(None),
                        created_at: Set(now),
                        updated_at: Set(now),
                    });
                }
            }
        }
        if !rows.is_empty() {
            webhook_delivery::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(store_err)?;
        }
        let ids: Vec<Uuid> = marked.iter().map(|(id, _, _)| *id).collect();
        activity::Entity::update_many()
            .col_expr(activity::Column::Relay, Expr::value(false))
            .filter(activity::Column::Id.is_in(ids))
            .exec(db)
            .await
            .map_err(store_err)?;
        tx.commit().await?;
        Ok(u32::try_from(marked.len()).unwrap_or(u32::MAX))
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        use webhook_delivery::{Column, Entity};
        let mut tx = self.tx.begin().await?;
        let db = sql(tx.as_mut())?;
        let candidates = Entity::find()
            .filter(Column::Status.eq(PENDING))
            .filter(Column::NextAttemptAt.lte(now))
            .filter(free_at(now))
            .order_by_asc(Column::NextAttemptAt)
            .limit(u64::from(limit));
        let rows = self
            .skip_locked(candidates)
            .all(db)
            .await
            .map_err(store_err)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in rows {
            // The conditional update is what makes a claim exclusive on every backend.
            let res = Entity::update_many()
                .col_expr(Column::LockedUntil, Expr::value(Some(lease_until)))
                .filter(Column::Id.eq(r.id))
                .filter(Column::Status.eq(PENDING))
                .filter(free_at(now))
                .exec(db)
                .await
                .map_err(store_err)?;
            if res.rows_affected == 1 {
                claimed.push(r);
            }
        }
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(vec![]);
        }
        // What sending needs, read after the claim (outside its transaction).
        let hook_ids: BTreeSet<Uuid> = claimed.iter().map(|r| r.webhook_id).collect();
        let hooks: HashMap<Uuid, webhook::Model> = webhook::Entity::find()
            .filter(webhook::Column::Id.is_in(hook_ids))
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        let event_ids: BTreeSet<Uuid> = claimed.iter().map(|r| r.event_id).collect();
        let events: HashMap<Uuid, Event> = event::Entity::find()
            .filter(event::Column::Id.is_in(event_ids))
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|e| (e.id, Event::from(e)))
            .collect();
        let mut due = Vec::with_capacity(claimed.len());
        for r in claimed {
            let hook = hooks.get(&r.webhook_id);
            due.push(DueDelivery {
                id: DeliveryId(r.id),
                organization_id: OrganizationId(r.organization_id),
                webhook_id: WebhookId(r.webhook_id),
                attempts: u32::try_from(r.attempts).unwrap_or(0),
                url: hook.map(|h| h.url.clone()).unwrap_or_default(),
                is_active: hook.is_some_and(|h| h.is_active),
                sealed_secret: hook.map(|h| h.secret.clone()).unwrap_or_default(),
                event: events.get(&r.event_id).cloned(),
            });
        }
        Ok(due)
    }

    async fn record_attempt(&self, id: DeliveryId, r: AttemptRecord) -> Result<(), StoreError> {
        use webhook_delivery::{Column, Entity};
        let status = if r.succeeded {
            SUCCEEDED
        } else if r.next_attempt_at.is_some() {
            PENDING
        } else {
            FAILED
        };
        let error = r.error.map(|e| e.chars().take(2000).collect::<String>());
        Entity::update_many()
            .col_expr(Column::Status, Expr::value(status))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(Column::LastStatusCode, Expr::value(r.status_code))
            .col_expr(Column::LastError, Expr::value(error))
            .col_expr(Column::NextAttemptAt, Expr::value(r.next_attempt_at))
            .col_expr(Column::LockedUntil, Expr::value(None::<DateTime<Utc>>))
            .col_expr(Column::UpdatedAt, Expr::value(r.at))
            .filter(Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
