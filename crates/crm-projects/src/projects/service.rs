//! `/projects` and `/projects/{id}/members`.

use super::model::{
    Billing, DESCRIPTION_MAX, Member, MemberInput, MemberPatch, MemberRole, NAME_MAX,
    ProgressMethod, Project, ProjectId, ProjectInput, ProjectPatch, ProjectStatus, budget_minutes,
    check_dates, code,
};
use crate::ports::{ProjectPorts, StatusTotals};
use crate::requirements::{ProjectsDelete, ProjectsRead, ProjectsWrite};
use chrono::NaiveDate;
use crm_domain::activity::{FieldChange, NewActivity, change_entry};
use crm_domain::clients::ClientId;
use crm_domain::kernel::input::{Errors, clearable, not_found, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, conflict};
use crm_domain::kernel::references::{check_owner, visible_client};
use crm_domain::kernel::scope::{owner_filter, require};
use crm_domain::kernel::text::{optional_text, required_text};
use crm_domain::kernel::values::{amount, optional_currency, optional_date};
use crm_domain::{Actor, DomainError, Scope, Txn, UserId, ValueError};
use uuid::Uuid;

fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", NAME_MAX)
}

fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "description", DESCRIPTION_MAX, true)
}

fn optional_code(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    raw.map(code).transpose()
}

/// `project` with its computed fields from `totals` (of any projects) and `today`.
pub fn computed(project: Project, totals: &[StatusTotals], today: NaiveDate) -> Project {
    let id = project.id;
    let mine = totals
        .iter()
        .filter(|t| t.project_id == id)
        .map(|t| (t.status, t.count, t.estimate_minutes));
    project.with_computed(mine, today)
}

/// A member change as an audit entry of its project (`project.member_added`, …).
fn member_entry(
    actor: &Actor,
    project: &Project,
    verb: &'static str,
    user: UserId,
    before: Option<MemberRole>,
    after: Option<MemberRole>,
) -> NewActivity {
    let mut entry = change_entry::<Project>(
        actor.organization_id,
        Some(actor.user_id),
        "project",
        project.id.0,
        verb,
        None,
        Some(project),
    );
    entry.changes.push(FieldChange {
        field: format!("members.{}", user.0),
        before: before.map_or(serde_json::Value::Null, |r| r.as_str().into()),
        after: after.map_or(serde_json::Value::Null, |r| r.as_str().into()),
    });
    if let Some(d) = entry.data.as_mut().and_then(|d| d.as_object_mut()) {
        d.insert(
            "member".into(),
            serde_json::json!({"user_id": user, "role": after.or(before)}),
        );
    }
    entry
}

/// Projects and their members.
#[derive(Clone)]
pub struct ProjectService {
    p: ProjectPorts,
}

impl ProjectService {
    pub fn new(ports: ProjectPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Project> {
        Crud::new(&*self.p.tx, &*self.p.projects, &*self.p.activities)
    }

    async fn with_computed(&self, projects: Vec<Project>) -> Result<Vec<Project>, DomainError> {
        let Some(first) = projects.first() else {
            return Ok(projects);
        };
        let org = first.organization_id;
        let ids: Vec<ProjectId> = projects.iter().map(|p| p.id).collect();
        let totals = self.p.project_store.task_totals(org, &ids).await?;
        let today = self.p.today(org).await?;
        Ok(projects
            .into_iter()
            .map(|p| computed(p, &totals, today))
            .collect())
    }

    async fn one_computed(&self, project: Project) -> Result<Project, DomainError> {
        let mut v = self.with_computed(vec![project]).await?;
        v.pop()
            .ok_or_else(|| DomainError::Unexpected("a project went missing".into()))
    }

    /// Whether the caller reaches `project` with `scope`: every project with the all-records
    /// scope, under `:own` the projects they manage or are a member of.
    async fn reaches(
        &self,
        actor: &Actor,
        scope: Scope,
        project: &Project,
    ) -> Result<bool, DomainError> {
        Ok(scope == Scope::All
            || project.owner_id == actor.user_id
            || self
                .p
                .project_store
                .is_member(actor.organization_id, project.id, actor.user_id)
                .await?)
    }

    /// The project `id` as the caller with `scope` reaches it; `404` otherwise.
    async fn visible(
        &self,
        actor: &Actor,
        scope: Scope,
        id: ProjectId,
    ) -> Result<Project, DomainError> {
        let project = self.p.projects.get(actor.organization_id, id).await?;
        if self.reaches(actor, scope, &project).await? {
            Ok(project)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// Needs `projects:read`; under `:own` the projects the caller manages or belongs to.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Project>, DomainError> {
        let owner = owner_filter(actor, require::<ProjectsRead>(actor)?);
        let page = self
            .p
            .projects
            .list(actor.organization_id, query, owner)
            .await?;
        let data = self.with_computed(page.data).await?;
        Ok(Page { data, ..page })
    }

    /// Needs `projects:read`; `404` when missing, of another organization or out of scope.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: ProjectId) -> Result<Project, DomainError> {
        let scope = require::<ProjectsRead>(actor)?;
        let project = self.visible(actor, scope, id).await?;
        self.one_computed(project).await
    }

    /// The project `id` for a caller who may read it with `P`'s scope, without computed
    /// fields (what the other services of the module check their project against).
    pub async fn reachable<P: crm_domain::kernel::scope::Requirement>(
        &self,
        actor: &Actor,
        id: ProjectId,
    ) -> Result<Project, DomainError> {
        let scope = require::<P>(actor)?;
        self.visible(actor, scope, id).await
    }

    /// Files the refusals of what a body names: a client the caller may see, a deal of the
    /// organization, a manager the caller may assign.
    async fn check_references(
        &self,
        actor: &Actor,
        scope: Scope,
        client: Option<ClientId>,
        deal: Option<Uuid>,
        owner: Option<UserId>,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Some(c) = client {
            visible_client(&*self.p.clients, actor, c, "client_id", errors).await?;
        }
        if let Some(d) = deal
            && !self
                .p
                .project_store
                .deal_exists(actor.organization_id, d)
                .await?
        {
            errors.push(not_found("deal_id", "deal"));
        }
        if let Some(o) = owner {
            check_owner::<ProjectsWrite>(&*self.p.users, actor, scope, o, errors).await?;
        }
        Ok(())
    }

    /// Needs `projects:write` (under `:own` the caller manages it). `planned`, billed
    /// `non_billable`, progress by `tasks` and managed by the caller unless the body says;
    /// `budget_currency` the organization's when a budget or rate is given without one.
    /// `409 project-code-taken` for a code in use.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: ProjectInput) -> Result<Project, DomainError> {
        let scope = require::<ProjectsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let name = errors.value("name", name(&input.name));
        let code = errors.value("code", optional_code(input.code.as_deref()));
        let description = errors.value("description", description(input.description.as_deref()));
        let start = errors.value("start_date", optional_date(input.start_date.as_deref()));
        let due = errors.value("due_date", optional_date(input.due_date.as_deref()));
        check_dates(start, due, &mut errors);
        let hourly_rate = errors.value("hourly_rate", input.hourly_rate.map(amount).transpose());
        let budget_amount =
            errors.value("budget_amount", input.budget_amount.map(amount).transpose());
        let budget_currency = errors.value(
            "budget_currency",
            optional_currency(input.budget_currency.as_deref()),
        );
        let budget_minutes = errors.value(
            "budget_minutes",
            input.budget_minutes.map(budget_minutes).transpose(),
        );
        let owner = input.owner_id.unwrap_or(actor.user_id);
        self.check_references(
            actor,
            scope,
            input.client_id,
            input.deal_id,
            Some(owner),
            &mut errors,
        )
        .await?;
        errors.finish()?;
        let budget_currency = match budget_currency {
            Some(c) => Some(c),
            None if hourly_rate.is_some() || budget_amount.is_some() => {
                Some(self.p.organizations.get(org).await?.default_currency)
            }
            None => None,
        };
        let now = self.p.now();
        let project = Project {
            id: ProjectId::new(),
            organization_id: org,
            name,
            code,
            description,
            client_id: input.client_id,
            deal_id: input.deal_id,
            owner_id: owner,
            status: input.status.unwrap_or(ProjectStatus::Planned),
            start_date: start,
            due_date: due,
            billing: input.billing.unwrap_or(Billing::NonBillable),
            hourly_rate,
            budget_amount,
            budget_currency,
            budget_minutes,
            progress_method: input.progress_method.unwrap_or(ProgressMethod::Tasks),
            progress: 0,
            tasks_total: 0,
            tasks_done: 0,
            is_overdue: false,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let project = self
            .crud()
            .create(actor, project)
            .await
            .map_err(code_taken)?;
        self.one_computed(project).await
    }

    /// Needs `projects:write` on the project (under `:own`: one the caller manages or belongs
    /// to, and the manager stays the caller). `412` on a stale version; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: ProjectId,
        expected_version: Option<i64>,
        patch: ProjectPatch,
    ) -> Result<Project, DomainError> {
        let scope = require::<ProjectsWrite>(actor)?;
        let p = &patch;
        let mut errors = Errors::new();
        self.check_references(
            actor,
            scope,
            p.client_id.flatten(),
            p.deal_id.flatten(),
            p.owner_id,
            &mut errors,
        )
        .await?;
        // Membership is read on the pool before the transaction (see ARCHITECTURE: what a
        // request names is looked up before `begin`).
        let before = self.visible(actor, scope, id).await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if current.owner_id != before.owner_id && !self.reaches(actor, scope, &current).await? {
            return Err(DomainError::NotFound);
        }
        let mut next = current.clone();
        errors.patch("name", &mut next.name, p.name.as_deref().map(name));
        errors.patch("code", &mut next.code, text(&p.code, optional_code));
        errors.patch(
            "description",
            &mut next.description,
            text(&p.description, description),
        );
        errors.patch(
            "start_date",
            &mut next.start_date,
            text(&p.start_date, optional_date),
        );
        errors.patch(
            "due_date",
            &mut next.due_date,
            text(&p.due_date, optional_date),
        );
        errors.patch(
            "hourly_rate",
            &mut next.hourly_rate,
            clearable(p.hourly_rate, amount),
        );
        errors.patch(
            "budget_amount",
            &mut next.budget_amount,
            clearable(p.budget_amount, amount),
        );
        errors.patch(
            "budget_currency",
            &mut next.budget_currency,
            text(&p.budget_currency, optional_currency),
        );
        errors.patch(
            "budget_minutes",
            &mut next.budget_minutes,
            clearable(p.budget_minutes, budget_minutes),
        );
        if let Some(v) = p.client_id {
            next.client_id = v;
        }
        if let Some(v) = p.deal_id {
            next.deal_id = v;
        }
        if let Some(v) = p.owner_id {
            next.owner_id = v;
        }
        if let Some(v) = p.status {
            next.status = v;
        }
        if let Some(v) = p.billing {
            next.billing = v;
        }
        if let Some(v) = p.progress_method {
            next.progress_method = v;
        }
        check_dates(next.start_date, next.due_date, &mut errors);
        errors.finish()?;
        let saved = self
            .crud()
            .save(actor, tx, current, next, self.p.now())
            .await
            .map_err(code_taken)?;
        self.one_computed(saved).await
    }

    /// Needs `projects:delete` on the project. Its members, tasks and milestones go with it;
    /// a project with logged time is kept (`409 project-has-time`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: ProjectId) -> Result<(), DomainError> {
        let scope = require::<ProjectsDelete>(actor)?;
        self.visible(actor, scope, id).await?;
        self.crud().delete(actor, id, Ok).await.map_err(conflict(
            "project-has-time",
            "the project has logged time: a ledger is not deleted (cancel the project instead)",
        ))
    }

    /// Needs `projects:read` on the project.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn members(&self, actor: &Actor, id: ProjectId) -> Result<Vec<Member>, DomainError> {
        let scope = require::<ProjectsRead>(actor)?;
        self.visible(actor, scope, id).await?;
        Ok(self
            .p
            .project_store
            .members(actor.organization_id, id)
            .await?)
    }

    /// The project locked for a member change by a caller with `projects:write` on it.
    async fn locked_for_members(
        &self,
        actor: &Actor,
        id: ProjectId,
    ) -> Result<(Txn, Project), DomainError> {
        let scope = require::<ProjectsWrite>(actor)?;
        self.visible(actor, scope, id).await?;
        let mut tx = self.p.tx.begin().await?;
        let project = self.crud().locked(&mut tx, actor, id, None, Ok).await?;
        Ok((tx, project))
    }

    /// Needs `projects:write` on the project. The user must be an active user of the
    /// organization (`422 user_id`); `409 member-exists` when already a member.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn add_member(
        &self,
        actor: &Actor,
        id: ProjectId,
        input: MemberInput,
    ) -> Result<Member, DomainError> {
        require::<ProjectsWrite>(actor)?;
        let mut errors = Errors::new();
        let found = self.p.users.get(actor.organization_id, input.user_id).await;
        if let Some(u) = errors.reference("user_id", "user", found)?
            && u.status == crm_domain::identity::UserStatus::Deactivated
        {
            errors.add("user_id", "inactive", "the user is deactivated");
        }
        errors.finish()?;
        let (mut tx, project) = self.locked_for_members(actor, id).await?;
        let member = Member {
            user_id: input.user_id,
            role: input.role,
        };
        self.p
            .project_store
            .add_member(&mut tx, actor.organization_id, id, &member, self.p.now())
            .await
            .map_err(DomainError::from)
            .map_err(conflict(
                "member-exists",
                "the user already is a member of the project",
            ))?;
        let entry = member_entry(
            actor,
            &project,
            "member_added",
            member.user_id,
            None,
            Some(member.role),
        );
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Needs `projects:write` on the project; `404` when the user is not a member.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update_member(
        &self,
        actor: &Actor,
        id: ProjectId,
        user: UserId,
        patch: MemberPatch,
    ) -> Result<Member, DomainError> {
        let (mut tx, project) = self.locked_for_members(actor, id).await?;
        let org = actor.organization_id;
        let before = self
            .p
            .project_store
            .members(org, id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user)
            .ok_or(DomainError::NotFound)?;
        let member = Member {
            user_id: user,
            role: patch.role,
        };
        if before.role == member.role {
            return Ok(member);
        }
        self.p
            .project_store
            .set_role(&mut tx, org, id, &member)
            .await?;
        let entry = member_entry(
            actor,
            &project,
            "member_updated",
            user,
            Some(before.role),
            Some(member.role),
        );
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Needs `projects:write` on the project; `404` when the user is not a member.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn remove_member(
        &self,
        actor: &Actor,
        id: ProjectId,
        user: UserId,
    ) -> Result<(), DomainError> {
        let (mut tx, project) = self.locked_for_members(actor, id).await?;
        let org = actor.organization_id;
        let before = self
            .p
            .project_store
            .members(org, id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user)
            .ok_or(DomainError::NotFound)?;
        self.p
            .project_store
            .remove_member(&mut tx, org, id, user)
            .await?;
        let entry = member_entry(
            actor,
            &project,
            "member_removed",
            user,
            Some(before.role),
            None,
        );
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn code_taken(e: DomainError) -> DomainError {
    conflict(
        "project-code-taken",
        "another project of the organization has this code",
    )(e)
}
