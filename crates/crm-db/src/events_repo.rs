//! Events, read through the `events` view (their rows are the audit entries that carry their
//! record; `activity_repo` writes them, the clean-up in `jobs_repo` expires them).

use crate::entities::event;
use crate::keyset::{self, ListColumns};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::events::{Event, EventRepository};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, UserId};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

#[derive(Clone)]
pub struct SqlEventRepository {
    db: DatabaseConnection,
}

impl SqlEventRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl From<event::Model> for Event {
    fn from(m: event::Model) -> Self {
        Event {
            id: m.id,
            r#type: m.r#type,
            occurred_at: m.occurred_at,
            organization_id: OrganizationId(m.organization_id),
            actor_id: m.actor_id.map(UserId),
            record_type: m.record_type,
            record_id: m.record_id,
            data: m.data,
        }
    }
}

#[async_trait]
impl EventRepository for SqlEventRepository {
    async fn list(
        &self,
        org: OrganizationId,
        since: DateTime<Utc>,
        query: &ListQuery,
    ) -> Result<Page<Event>, StoreError> {
        use event::{Column, Entity};
        let cols = ListColumns::<Entity>::search(&[]);
        let base = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::OccurredAt.gte(since));
        let page = keyset::page(&self.db, base, query, &cols).await?;
        Ok(Page {
            data: page.data.into_iter().map(Event::from).collect(),
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }
}
