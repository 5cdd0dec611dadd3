use super::EventsRead;
use super::model::{Event, EventType, RETENTION_DAYS};
use super::ports::EventRepository;
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::scope::require_all;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// `GET /events` and `GET /event-types`.
#[derive(Clone)]
pub struct EventService {
    repo: Arc<dyn EventRepository>,
    types: Arc<Vec<EventType>>,
}

impl EventService {
    /// `types`: every module's declared event types.
    pub fn new(repo: Arc<dyn EventRepository>, types: Vec<EventType>) -> Self {
        let mut types = types;
        types.sort_by_key(|t| t.r#type);
        types.dedup();
        Self {
            repo,
            types: Arc::new(types),
        }
    }

    /// Every event type, sorted by name. Any signed-in caller may read the catalogue.
    pub fn types(&self) -> &[EventType] {
        &self.types
    }

    /// The organization's events of the last 30 days; needs `events:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page<Event>, DomainError> {
        require_all::<EventsRead>(actor)?;
        let since = now - Duration::days(RETENTION_DAYS);
        Ok(self.repo.list(actor.organization_id, since, query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EVENT_LIST_SPEC, MockEventRepository};
    use crate::kernel::testing::{ORG, actor, now};

    fn empty() -> Page<Event> {
        Page {
            data: vec![],
            next_cursor: None,
            total: None,
        }
    }

    #[tokio::test]
    async fn lists_the_last_30_days_of_the_callers_organization_with_the_permission() {
        let mut repo = MockEventRepository::new();
        repo.expect_list()
            .withf(|org, since, _| *org == ORG && *since == now() - Duration::days(30))
            .times(1)
            .returning(|_, _, _| Ok(empty()));
        let s = EventService::new(Arc::new(repo), vec![]);
        let q = ListQuery::parse(&EVENT_LIST_SPEC, &[]).unwrap();
        assert!(
            s.list(&actor(ORG, &["events:read"]), &q, now())
                .await
                .is_ok()
        );
        let denied = s.list(&actor(ORG, &["activities:read"]), &q, now()).await;
        assert!(matches!(denied, Err(DomainError::Forbidden { .. })));
    }

    #[test]
    fn types_are_sorted_and_unique() {
        let t = |n| EventType {
            r#type: n,
            description: "x",
        };
        let s = EventService::new(
            Arc::new(MockEventRepository::new()),
            vec![t("lead.updated"), t("deal.won"), t("lead.updated")],
        );
        let names: Vec<_> = s.types().iter().map(|t| t.r#type).collect();
        assert_eq!(names, ["deal.won", "lead.updated"]);
    }
}
