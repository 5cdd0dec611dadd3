use crate::projects::ProjectId;
use crate::tasks::TaskStatus;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{DomainError, OrganizationId};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A milestone of a project.
    MilestoneId
);

crm_domain::name_enum!(
    /// `open` until reached.
    MilestoneStatus, "status" {
        Open => "open",
        Reached => "reached",
    }
);

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;

/// A milestone of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cc2b0-9d00-7a41-8c2e-0b6f3f0e5d12",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
    "title": "Beta launch",
    "description": "Every page on staging.",
    "due_date": "2026-05-01",
    "status": "open",
    "progress": 50,
    "is_overdue": false,
    "reached_at": null,
    "legacy_id": null,
    "created_at": "2026-03-01T09:00:00.000000Z",
    "updated_at": "2026-03-01T09:00:00.000000Z",
    "version": 1
})))]
pub struct Milestone {
    pub id: MilestoneId,
    pub organization_id: OrganizationId,
    pub project_id: ProjectId,
    pub title: String,
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<NaiveDate>,
    /// Computed: `reached` once `POST /milestones/{id}/reach` succeeded.
    pub status: MilestoneStatus,
    /// Computed: done over not-cancelled linked tasks, 0–100 rounded down.
    pub progress: u8,
    /// Computed: due before today (the organization's) and not reached.
    pub is_overdue: bool,
    pub reached_at: Option<DateTime<Utc>>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(Milestone, MilestoneId, "milestone", scope: ());

impl Milestone {
    /// Fills the computed fields from the linked tasks' statuses and the organization's
    /// `today`.
    pub fn with_computed(mut self, linked: &[TaskStatus], today: NaiveDate) -> Self {
        self.status = if self.reached_at.is_some() {
            MilestoneStatus::Reached
        } else {
            MilestoneStatus::Open
        };
        self.progress = progress(linked);
        self.is_overdue = self.reached_at.is_none() && self.due_date.is_some_and(|d| d < today);
        self
    }
}

const MILESTONE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("project_id", FieldKind::Uuid).filter(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("due_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("reached_at", FieldKind::Timestamp)
        .range()
        .sort()
        .nullable(),
];

/// `GET /milestones`: newest first; filter `project_id`; ranges of due date and reach; `q`
/// searches the title and the description.
pub const MILESTONE_LIST_SPEC: ListSpec = ListSpec {
    fields: MILESTONE_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /milestones`. `status`, `progress`, `is_overdue` and `reached_at` are computed.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
    "title": "Beta launch",
    "due_date": "2026-05-01"
})))]
pub struct MilestoneInput {
    pub project_id: ProjectId,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<String>,
}

/// `PATCH /milestones/{id}`: only the fields present change; `null` clears what may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"due_date": "2026-05-15"})))]
pub struct MilestonePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<Option<String>>,
}

/// `Ok` when every linked task is `done` or `cancelled`; `409 milestone-open` naming how many
/// are not.
pub fn check_reachable(linked: &[TaskStatus]) -> Result<(), DomainError> {
    let open = linked.iter().filter(|s| !s.is_settled()).count();
    if open == 0 {
        Ok(())
    } else {
        Err(DomainError::conflict(
            "milestone-open",
            format!("{open} linked task(s) are neither done nor cancelled"),
        ))
    }
}

/// A milestone's `progress`: done over not-cancelled linked tasks, rounded down (0 when none).
pub fn progress(linked: &[TaskStatus]) -> u8 {
    let tasks: Vec<_> = linked.iter().map(|s| (*s, None)).collect();
    crate::progress::progress(crate::projects::ProgressMethod::Tasks, &tasks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;

    #[test]
    fn reached_only_when_every_linked_task_is_settled() {
        assert!(check_reachable(&[]).is_ok());
        assert!(check_reachable(&[Done, Cancelled]).is_ok());
        let err = check_reachable(&[Done, InReview, Todo]).unwrap_err();
        assert!(
            matches!(err, DomainError::Conflict { code: "milestone-open", ref message, .. } if message.starts_with('2'))
        );
    }

    #[test]
    fn progress_counts_done_over_not_cancelled() {
        assert_eq!(progress(&[]), 0);
        assert_eq!(progress(&[Cancelled]), 0);
        assert_eq!(progress(&[Done, Todo, Todo, Cancelled]), 33);
        assert_eq!(progress(&[Done, Cancelled]), 100);
    }
}
