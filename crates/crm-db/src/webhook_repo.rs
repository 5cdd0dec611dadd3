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
use crate::queue::{PENDING, skip_locked};
use crate::rows::{
    Tenanted, corrupt, db_version, delete_in_org, insert, locked, one, update_versioned,
};
use crate::tx::{SqlTxManager, sql};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::events::Event;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::webhooks::{
    AttemptRecord, Delivery, DeliveryId, DeliveryRepository, DeliveryStatus, DueDelivery, Relayed,
    Webhook, WebhookId, WebhookRepository, patterns,
};
use crm_domain::{OrganizationId, StoreError, TxManager, Txn};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Statement, TryGetableMany,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use uuid::Uuid;

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

impl crate::queue::Queue for webhook_delivery::Entity {
    const ID: webhook_delivery::Column = webhook_delivery::Column::Id;
    const STATUS: webhook_delivery::Column = webhook_delivery::Column::Status;
    const NEXT_ATTEMPT_AT: webhook_delivery::Column = webhook_delivery::Column::NextAttemptAt;
    const LOCKED_UNTIL: webhook_delivery::Column = webhook_delivery::Column::LockedUntil;

    fn id_of(m: &webhook_delivery::Model) -> sea_orm::Value {
        m.id.into()
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

    async fn relay(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Relayed, StoreError> {
        use activity::Column as A;
        let mut tx = self.tx.begin().await?;
        let db = sql(tx.as_mut())?;
        type Marked = (
            Uuid,
            Uuid,
            Option<Uuid>,
            Option<String>,
            String,
            Uuid,
            DateTime<Utc>,
            Option<serde_json::Value>,
        );
        let backend = self.db.get_database_backend();
        let marked: Vec<Marked> = if backend == DatabaseBackend::Postgres {
            // The queue rows are claimed and removed by one statement (`= ANY(ARRAY(…))` keeps
            // the removal on the primary key); it commits with the deliveries, so a crash
            // before that leaves them for the next relay.
            let claim = Statement::from_sql_and_values(
                backend,
                "WITH q AS (DELETE FROM event_relay WHERE activity_id = ANY(ARRAY( \
                 SELECT activity_id FROM event_relay ORDER BY activity_id LIMIT $1 \
                 FOR UPDATE SKIP LOCKED)) RETURNING activity_id) \
                 SELECT a.id, a.organization_id, a.actor_id, a.event_type, a.entity_type, \
                 a.entity_id, a.created_at, a.data FROM activities a \
                 JOIN q ON a.id = q.activity_id ORDER BY a.id",
                [i64::from(limit).into()],
            );
            let rows = db.query_all_raw(claim).await.map_err(store_err)?;
            rows.iter()
                .map(Marked::try_get_many_by_index)
                .collect::<Result<_, _>>()
                .map_err(|e| store_err(e.into()))?
        } else {
            let marked = activity::Entity::find()
                .select_only()
                .columns([A::Id, A::OrganizationId, A::ActorId, A::EventType])
                .columns([A::EntityType, A::EntityId, A::CreatedAt, A::Data])
                // A literal, not a parameter: it is the partial index's own condition.
                .filter(Expr::col(A::Relay).eq(Expr::cust("TRUE")))
                .order_by_asc(A::Id)
                .limit(u64::from(limit));
            skip_locked(marked, backend)
                .into_tuple()
                .all(db)
                .await
                .map_err(store_err)?
        };
        if marked.is_empty() {
            tx.commit().await?;
            return Ok(Relayed::default());
        }
        let orgs: BTreeSet<Uuid> = marked.iter().map(|m| m.1).collect();
        let mut by_org: HashMap<Uuid, Vec<(webhook::Model, Vec<String>)>> = HashMap::new();
        for hook in webhook::Entity::find()
            .filter(webhook::Column::OrganizationId.is_in(orgs))
            .filter(webhook::Column::IsActive.eq(true))
            .all(db)
            .await
            .map_err(store_err)?
        {
            let types: Vec<String> = serde_json::from_value(hook.event_types.clone())
                .map_err(|e| corrupt("webhooks", hook.id, e))?;
            by_org
                .entry(hook.organization_id)
                .or_default()
                .push((hook, types));
        }
        let (mut rows, mut due) = (Vec::new(), Vec::new());
        let ids: Vec<Uuid> = marked.iter().map(|m| m.0).collect();
        let events = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        for (id, org, actor, event_type, record_type, record_id, at, data) in marked {
            let Some(event_type) = event_type else {
                continue;
            };
            let event = Arc::new(Event {
                id,
                r#type: event_type.clone(),
                occurred_at: at,
                organization_id: OrganizationId(org),
                actor_id: actor.map(crm_domain::UserId),
                record_type,
                record_id,
                data: data.unwrap_or_default(),
            });
            for (hook, types) in by_org.get(&org).into_iter().flatten() {
                if !patterns::matches_any(types, &event_type) {
                    continue;
                }
                let delivery = Uuid::now_v7();
                // Born claimed by this relay: its first attempt follows at once, and should
                // this instance stop first, the claim runs out and another makes it.
                rows.push(webhook_delivery::ActiveModel {
                    id: Set(delivery),
                    organization_id: Set(org),
                    webhook_id: Set(hook.id),
                    event_id: Set(id),
                    event_type: Set(event_type.clone()),
                    status: Set(PENDING.into()),
                    attempts: Set(0),
                    last_status_code: Set(None),
                    last_error: Set(None),
                    next_attempt_at: Set(Some(now)),
                    locked_until: Set(Some(lease_until)),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                due.push(DueDelivery {
                    id: DeliveryId(delivery),
                    organization_id: OrganizationId(org),
                    webhook_id: WebhookId(hook.id),
                    attempts: 0,
                    url: hook.url.clone(),
                    is_active: true,
                    sealed_secret: hook.secret.clone(),
                    event: Some(event.clone()),
                });
            }
        }
        if !rows.is_empty() {
            webhook_delivery::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(store_err)?;
        }
        if backend != DatabaseBackend::Postgres {
            activity::Entity::update_many()
                .col_expr(A::Relay, Expr::value(false))
                .filter(A::Id.is_in(ids))
                .exec(db)
                .await
                .map_err(store_err)?;
        }
        tx.commit().await?;
        Ok(Relayed { events, due })
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let claimed =
            crate::queue::claim_due::<webhook_delivery::Entity>(&self.tx, now, lease_until, limit)
                .await?;
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
        let events: HashMap<Uuid, Arc<Event>> = event::Entity::find()
            .filter(event::Column::Id.is_in(event_ids))
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|e| (e.id, Arc::new(Event::from(e))))
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

    async fn record_attempts(
        &self,
        records: Vec<(DeliveryId, AttemptRecord)>,
    ) -> Result<(), StoreError> {
        use webhook_delivery::{Column, Entity};
        // Grouped by what is written, so a batch that succeeded is one statement.
        let mut groups: HashMap<AttemptRecord, Vec<Uuid>> = HashMap::new();
        for (id, mut r) in records {
            r.error = r.error.map(|e| e.chars().take(2000).collect());
            groups.entry(r).or_default().push(id.0);
        }
        for (r, ids) in groups {
            let status = if r.succeeded {
                SUCCEEDED
            } else if r.next_attempt_at.is_some() {
                PENDING
            } else {
                FAILED
            };
            Entity::update_many()
                .col_expr(Column::Status, Expr::value(status))
                .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
                .col_expr(Column::LastStatusCode, Expr::value(r.status_code))
                .col_expr(Column::LastError, Expr::value(r.error))
                .col_expr(Column::NextAttemptAt, Expr::value(r.next_attempt_at))
                .col_expr(Column::LockedUntil, Expr::value(None::<DateTime<Utc>>))
                .col_expr(Column::UpdatedAt, Expr::value(r.at))
                .filter(Column::Id.is_in(ids))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(())
    }
}
