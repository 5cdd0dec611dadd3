use crate::entities::activity::{self, Column, Entity};
use crate::entities::webhook;
use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::activity::{Activity, ActivityRepository, FieldChange, NewActivity};
use crm_domain::kernel::clock;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::notifications::Notifier;
use crm_domain::{ActivityId, OrganizationId, StoreError, Txn, UserId};
use sea_orm::sea_query::{Expr, PostgresQueryBuilder, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};
use uuid::Uuid;

#[derive(Clone)]
pub struct SqlActivityRepository {
    db: DatabaseConnection,
    notifier: Notifier,
}

impl SqlActivityRepository {
    /// An audit log that notifies nobody.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            notifier: Notifier::none(),
        }
    }

    /// The same log, also writing the notifications `notifier` finds for each entry.
    pub fn notifying(mut self, notifier: Notifier) -> Self {
        self.notifier = notifier;
        self
    }
}

impl TryFrom<activity::Model> for Activity {
    type Error = StoreError;
    fn try_from(m: activity::Model) -> Result<Self, StoreError> {
        let changes: Vec<FieldChange> = serde_json::from_value(m.changes)
            .map_err(|e| StoreError::Unexpected(format!("activity {} changes: {e}", m.id)))?;
        Ok(Activity {
            id: ActivityId(m.id),
            organization_id: OrganizationId(m.organization_id),
            actor_id: m.actor_id.map(UserId),
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            action: m.action,
            changes,
            created_at: m.created_at,
        })
    }
}

#[async_trait]
impl ActivityRepository for SqlActivityRepository {
    async fn record(&self, tx: &mut Txn, entry: NewActivity) -> Result<(), StoreError> {
        let changes = serde_json::to_value(&entry.changes)
            .map_err(|e| StoreError::Unexpected(e.to_string()))?;
        // The entry is also the event of the change when it carries the record.
        let event_type = entry.event_type();
        // Who is told of it; nobody (no statement more) for most writes.
        let notices = self.notifier.notices(&entry);
        // Queued for the webhook relay by the same statement when the organization has an
        // active webhook: no extra round trip, and nothing at all without webhooks. On
        // PostgreSQL the statement also writes the `event_relay` row (migration
        // `relay_queue`); elsewhere the entry carries the `relay` mark.
        let queued =
            event_type.is_some() && self.db.get_database_backend() == DatabaseBackend::Postgres;
        let relay = if event_type.is_some() && !queued {
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(webhook::Entity)
                    .and_where(webhook::Column::OrganizationId.eq(entry.organization_id.0))
                    .and_where(webhook::Column::IsActive.eq(true))
                    .to_owned(),
            )
        } else {
            Expr::val(false)
        };
        let insert = Query::insert()
            .into_table(Entity)
            .columns([
                Column::Id,
                Column::OrganizationId,
                Column::ActorId,
                Column::EntityType,
                Column::EntityId,
                Column::Action,
                Column::Changes,
                Column::CreatedAt,
                Column::EventType,
                Column::Data,
                Column::Relay,
            ])
            .values([
                Expr::val(Uuid::now_v7()),
                Expr::val(entry.organization_id.0),
                Expr::val(entry.actor_id.map(|u| u.0)),
                Expr::val(entry.entity_type.to_string()),
                Expr::val(entry.entity_id),
                Expr::val(entry.action.to_string()),
                Expr::val(changes),
                Expr::val(clock::now()),
                Expr::val(event_type),
                Expr::val(entry.data),
                relay,
            ])
            .map_err(|e| StoreError::Unexpected(e.to_string()))?
            .to_owned();
        let db = sql(tx.as_mut())?;
        if queued {
            let (audit, values) = insert.build(PostgresQueryBuilder);
            let statement = format!(
                "WITH a AS ({audit} RETURNING id, organization_id) \
                 INSERT INTO event_relay (activity_id) SELECT a.id FROM a WHERE EXISTS \
                 (SELECT 1 FROM webhooks w WHERE w.organization_id = a.organization_id \
                 AND w.is_active)"
            );
            let statement =
                Statement::from_sql_and_values(DatabaseBackend::Postgres, statement, values);
            db.execute_raw(statement).await.map_err(store_err)?;
        } else {
            db.execute(&insert).await.map_err(store_err)?;
        }
        if !notices.is_empty() {
            crate::notifications_repo::write(sql(tx.as_mut())?, &self.notifier, notices).await?;
        }
        Ok(())
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Activity>, StoreError> {
        let cols = ListColumns::<Entity>::search(&[]);
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        let page = keyset::page(&self.db, base, query, &cols).await?;
        let data = page
            .data
            .into_iter()
            .map(Activity::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            data,
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }
}
