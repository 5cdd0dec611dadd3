use super::model::Activity;
use super::ports::ActivityRepository;
use crate::identity::requirements::ActivitiesRead;
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::scope::require_all;
use std::sync::Arc;

/// Reading the activity log.
#[derive(Clone)]
pub struct ActivityService {
    repo: Arc<dyn ActivityRepository>,
}

impl ActivityService {
    pub fn new(repo: Arc<dyn ActivityRepository>) -> Self {
        Self { repo }
    }

    /// The caller's organization's entries; needs `activities:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Activity>, DomainError> {
        require_all::<ActivitiesRead>(actor)?;
        Ok(self.repo.list(actor.organization_id, query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::LIST_SPEC;
    use crate::activity::ports::MockActivityRepository;
    use crate::kernel::error::StoreError;
    use crate::kernel::ids::{OrganizationId, UserId};

    fn actor(perms: &[&str]) -> Actor {
        Actor::new(
            UserId::new(),
            OrganizationId::new(),
            perms.iter().map(|s| s.to_string()),
        )
    }

    #[tokio::test]
    async fn listing_needs_the_permission_and_is_scoped_to_the_callers_organization() {
        let reader = actor(&["activities:read"]);
        let org = reader.organization_id;
        let mut repo = MockActivityRepository::new();
        repo.expect_list()
            .withf(move |o, _| *o == org)
            .times(1)
            .returning(|_, _| {
                Ok(Page {
                    data: vec![],
                    next_cursor: None,
                    total: None,
                })
            });
        let svc = ActivityService::new(Arc::new(repo));
        let q = ListQuery::parse(&LIST_SPEC, &[]).unwrap();
        assert!(svc.list(&reader, &q).await.unwrap().data.is_empty());
        let err = svc.list(&actor(&["leads:read"]), &q).await.unwrap_err();
        assert!(matches!(err, DomainError::Forbidden { .. }));
    }

    #[tokio::test]
    async fn store_outage_becomes_unavailable() {
        let mut repo = MockActivityRepository::new();
        repo.expect_list()
            .returning(|_, _| Err(StoreError::Unavailable("down".into())));
        let svc = ActivityService::new(Arc::new(repo));
        let q = ListQuery::parse(&LIST_SPEC, &[]).unwrap();
        let err = svc
            .list(&actor(&["activities:read"]), &q)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Unavailable(_)));
    }
}
