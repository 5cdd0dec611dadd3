//! `/milestones` and `POST /milestones/{id}/reach`.

use super::model::{
    DESCRIPTION_MAX, Milestone, MilestoneId, MilestoneInput, MilestonePatch, MilestoneStatus,
    TITLE_MAX, check_reachable,
};
use crate::ports::ProjectPorts;
use crate::requirements::{MilestonesDelete, MilestonesRead, MilestonesWrite};
use crm_domain::kernel::input::{Errors, not_found, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, Record as _, get_all, list_all};
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::{optional_text, required_text};
use crm_domain::kernel::values::optional_date;
use crm_domain::{Actor, DomainError, ValueError};

fn title(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "title", TITLE_MAX)
}

fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "description", DESCRIPTION_MAX, true)
}

fn reached() -> DomainError {
    DomainError::conflict("milestone-reached", "the milestone is already reached")
}

/// Milestones: their linked tasks' progress, and reaching them.
#[derive(Clone)]
pub struct MilestoneService {
    p: ProjectPorts,
}

impl MilestoneService {
    pub fn new(ports: ProjectPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Milestone> {
        Crud::new(&*self.p.tx, &*self.p.milestones, &*self.p.activities)
    }

    async fn with_computed(&self, v: Vec<Milestone>) -> Result<Vec<Milestone>, DomainError> {
        let Some(first) = v.first() else {
            return Ok(v);
        };
        let org = first.organization_id;
        let ids: Vec<MilestoneId> = v.iter().map(|m| m.id).collect();
        let statuses = self.p.task_store.milestone_statuses(org, &ids).await?;
        let today = self.p.today(org).await?;
        Ok(v.into_iter()
            .map(|m| {
                let linked: Vec<_> = statuses
                    .iter()
                    .filter(|(id, _)| *id == m.id)
                    .map(|(_, s)| *s)
                    .collect();
                m.with_computed(&linked, today)
            })
            .collect())
    }

    async fn one(&self, m: Milestone) -> Result<Milestone, DomainError> {
        let mut v = self.with_computed(vec![m]).await?;
        v.pop()
            .ok_or_else(|| DomainError::Unexpected("a milestone went missing".into()))
    }

    /// Needs `milestones:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Milestone>, DomainError> {
        let page = list_all::<MilestonesRead, _>(&*self.p.milestones, actor, query).await?;
        let data = self.with_computed(page.data).await?;
        Ok(Page { data, ..page })
    }

    /// Needs `milestones:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: MilestoneId) -> Result<Milestone, DomainError> {
        let m = get_all::<MilestonesRead, _>(&*self.p.milestones, actor, id).await?;
        self.one(m).await
    }

    /// Needs `milestones:write`. The project must be one of the organization (`422
    /// project_id`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: MilestoneInput,
    ) -> Result<Milestone, DomainError> {
        require_all::<MilestonesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let title = errors.value("title", title(&input.title));
        let description = errors.value("description", description(input.description.as_deref()));
        let due_date = errors.value("due_date", optional_date(input.due_date.as_deref()));
        match self.p.projects.get(org, input.project_id).await {
            Ok(_) => {}
            Err(crm_domain::StoreError::NotFound) => {
                errors.push(not_found("project_id", "project"));
            }
            Err(e) => return Err(e.into()),
        }
        errors.finish()?;
        let now = self.p.now();
        let m = Milestone {
            id: MilestoneId::new(),
            organization_id: org,
            project_id: input.project_id,
            title,
            description,
            due_date,
            status: MilestoneStatus::Open,
            progress: 0,
            is_overdue: false,
            reached_at: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let m = self.crud().create(actor, m).await?;
        self.one(m).await
    }

    /// Needs `milestones:write`. `412` on a stale version; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: MilestoneId,
        expected_version: Option<i64>,
        patch: MilestonePatch,
    ) -> Result<Milestone, DomainError> {
        require_all::<MilestonesWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch("title", &mut next.title, patch.title.as_deref().map(title));
        errors.patch(
            "description",
            &mut next.description,
            text(&patch.description, description),
        );
        errors.patch(
            "due_date",
            &mut next.due_date,
            text(&patch.due_date, optional_date),
        );
        errors.finish()?;
        let saved = self
            .crud()
            .save(actor, tx, current, next, self.p.now())
            .await?;
        self.one(saved).await
    }

    /// Needs `milestones:delete`; its tasks stay, unlinked.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: MilestoneId) -> Result<(), DomainError> {
        require_all::<MilestonesDelete>(actor)?;
        self.crud().delete(actor, id, Ok).await
    }

    /// Needs `milestones:write`. Reached when every linked task is `done` or `cancelled`
    /// (read under the milestone's lock), else `409 milestone-open`; `409 milestone-reached`
    /// when it already is.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn reach(
        &self,
        actor: &Actor,
        id: MilestoneId,
        expected_version: Option<i64>,
    ) -> Result<Milestone, DomainError> {
        require_all::<MilestonesWrite>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if current.reached_at.is_some() {
            return Err(reached());
        }
        let linked = self
            .p
            .task_store
            .milestone_statuses_in_tx(&mut tx, org, id)
            .await?;
        check_reachable(&linked)?;
        let now = self.p.now();
        let next = Milestone {
            reached_at: Some(now),
            ..current.clone()
        }
        .touched(now);
        let saved = self
            .crud()
            .change(actor, tx, "reached", &current, next, None)
            .await?;
        self.one(saved).await
    }
}
