use crate::milestones::MilestoneId;
use crate::projects::ProjectId;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::text::required_text;
use crm_domain::{OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A task of a project.
    TaskId
);

crm_domain::name_enum!(
    /// A task's column on the board, in board order. `done` and `cancelled` settle it: a
    /// settled task blocks nothing and counts as finished for its milestone.
    TaskStatus, "status" {
        Todo => "todo",
        InProgress => "in_progress",
        InReview => "in_review",
        Done => "done",
        Cancelled => "cancelled",
    }
);

impl TaskStatus {
    /// `done` or `cancelled`: it blocks no dependent task, parent or milestone.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Done | Self::Cancelled)
    }
}

crm_domain::name_enum!(
    /// How urgent a task is, lowest first (lists sort by this order, not by the name).
    TaskPriority, "priority" {
        Low => "low",
        Medium => "medium",
        High => "high",
        Urgent => "urgent",
    }
);

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
/// Most labels a task carries, and the longest label (the clients' tag rules).
pub const MAX_LABELS: usize = 50;
pub const LABEL_MAX_CHARS: usize = 50;
/// Most people one task is assigned to.
pub const MAX_ASSIGNEES: usize = 50;
/// A million minutes (about 2,000 eight-hour days): more is a typing error.
pub const ESTIMATE_MAX_MINUTES: i64 = 1_000_000;

/// A task of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = task_example))]
pub struct Task {
    pub id: TaskId,
    pub organization_id: OrganizationId,
    pub project_id: ProjectId,
    /// The parent task (same project): this task is one of its subtasks.
    pub parent_id: Option<TaskId>,
    /// A milestone of the same project.
    pub milestone_id: Option<MilestoneId>,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: TaskPriority,
    /// Members of the project.
    pub assignee_ids: Vec<UserId>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<NaiveDate>,
    pub estimate_minutes: Option<i64>,
    /// The task's place in its status column, 0 = first (computed from `rank`).
    pub position: i64,
    /// The stored order inside the status column (`board.rs`): the server's own, never sent.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub rank: i64,
    pub labels: Vec<String>,
    /// Computed: due before today (the organization's) and not settled.
    pub is_overdue: bool,
    /// Computed: the minutes of its time entries.
    pub logged_minutes: i64,
    /// When it last became `done`; `null` while it is not done.
    pub completed_at: Option<DateTime<Utc>>,
    /// Computed: a dependency is neither `done` nor `cancelled`.
    pub is_blocked: bool,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The example of a task in the OpenAPI document.
#[cfg(feature = "openapi")]
pub fn task_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cc2b1-0a00-7c1e-9b2a-6f0d7c1e2a31",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
        "parent_id": null,
        "milestone_id": "019cc2b0-9d00-7a41-8c2e-0b6f3f0e5d12",
        "title": "Draft the site map",
        "description": "Pages, navigation and redirects.",
        "status": "in_progress",
        "priority": "high",
        "assignee_ids": ["019bb138-13e8-77a9-a564-12a9b8a1abcd"],
        "start_date": "2026-03-02",
        "due_date": "2026-04-01",
        "estimate_minutes": 240,
        "position": 0,
        "labels": ["design"],
        "is_overdue": false,
        "logged_minutes": 90,
        "completed_at": null,
        "is_blocked": false,
        "legacy_id": null,
        "created_at": "2026-03-01T09:00:00.000000Z",
        "updated_at": "2026-03-03T11:00:00.000000Z",
        "version": 2
    })
}

crm_domain::record!(Task, TaskId, "task", scope: Option<UserId>);

/// Whether a task (or anything with a due date and a settled state) is overdue on `today`
/// (the organization's date): due strictly before it and not settled.
pub fn is_overdue(due_date: Option<NaiveDate>, status: TaskStatus, today: NaiveDate) -> bool {
    due_date.is_some_and(|d| d < today) && !status.is_settled()
}

/// `completed_at` after a status change: set to `now` when the task becomes `done`, kept
/// while it stays done, cleared when it leaves `done`.
pub fn completed_at(
    before: TaskStatus,
    after: TaskStatus,
    completed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match (before, after) {
        (TaskStatus::Done, TaskStatus::Done) => completed_at.or(Some(now)),
        (_, TaskStatus::Done) => Some(now),
        _ => None,
    }
}

/// `estimate_minutes`: 0..=[`ESTIMATE_MAX_MINUTES`].
pub fn estimate_minutes(v: i64) -> Result<i64, ValueError> {
    if (0..=ESTIMATE_MAX_MINUTES).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 0 and {ESTIMATE_MAX_MINUTES} minutes"),
        ))
    }
}

/// A card's `position` as sent: 0 or more (past the end puts it last).
pub fn position(v: i64) -> Result<i64, ValueError> {
    if v >= 0 {
        Ok(v)
    } else {
        Err(ValueError::new("out_of_range", "must be 0 or more"))
    }
}

/// Labels: each trimmed, 1..=50 characters on one line; duplicates dropped (first kept); at
/// most 50 (the rules of client tags, so the same schema documents them).
pub fn labels(raw: &[String]) -> Result<Vec<String>, ValueError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for l in raw {
        let l = required_text(l, "a label", LABEL_MAX_CHARS)?;
        if !out.contains(&l) {
            out.push(l);
        }
    }
    if out.len() > MAX_LABELS {
        return Err(ValueError::new(
            "too_many",
            format!("at most {MAX_LABELS} labels"),
        ));
    }
    Ok(out)
}

const STATUSES: &[&str] = &["todo", "in_progress", "in_review", "done", "cancelled"];
const PRIORITIES: &[&str] = &["low", "medium", "high", "urgent"];

const TASK_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("project_id", FieldKind::Uuid).filter(),
    FieldSpec::new("parent_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("milestone_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("assignee_id", FieldKind::Uuid)
        .filter()
        .doc("Tasks whose `assignee_ids` hold this user"),
    FieldSpec::new("label", FieldKind::Text)
        .filter()
        .doc("Tasks whose `labels` hold this label"),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(STATUSES)
        .doc("Sorts in board order: todo, in_progress, in_review, done, cancelled"),
    FieldSpec::new("priority", FieldKind::Text)
        .filter()
        .sort()
        .one_of(PRIORITIES)
        .doc("Sorts by urgency: low, medium, high, urgent"),
    FieldSpec::new("start_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("due_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("estimate_minutes", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("completed_at", FieldKind::Timestamp)
        .range()
        .sort()
        .nullable(),
];

/// `GET /tasks`: newest first; filters `project_id`, `parent_id`, `milestone_id`,
/// `assignee_id`, `label`, `status`, `priority`; ranges of dates, estimates and completion;
/// `q` searches the title and the description. `:own` callers see the tasks assigned to them.
pub const TASK_LIST_SPEC: ListSpec = ListSpec {
    fields: TASK_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /tasks`. `is_overdue`, `logged_minutes`, `completed_at` and `is_blocked` are
/// computed, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
    "title": "Draft the site map",
    "priority": "high",
    "assignee_ids": ["019bb138-13e8-77a9-a564-12a9b8a1abcd"],
    "due_date": "2026-04-01",
    "estimate_minutes": 240,
    "labels": ["design"]
})))]
pub struct TaskInput {
    /// A project that is neither `completed` nor `cancelled` (`409`).
    pub project_id: ProjectId,
    /// A task of the same project (`422`).
    pub parent_id: Option<TaskId>,
    /// A milestone of the same project (`422`).
    pub milestone_id: Option<MilestoneId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    /// `todo` when absent; `done` is refused while a dependency or subtask is open.
    pub status: Option<TaskStatus>,
    /// `medium` when absent.
    pub priority: Option<TaskPriority>,
    /// Members of the project (`422` otherwise); none when absent.
    #[serde(default)]
    pub assignee_ids: Vec<UserId>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
    /// Not before `start_date`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { ESTIMATE_MAX_MINUTES }>))]
    pub estimate_minutes: Option<i64>,
    /// Its place in the status column, 0 = first; last when absent or past the end.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub position: Option<i64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::tags))]
    pub labels: Vec<String>,
}

/// `PATCH /tasks/{id}`: only the fields present change; `null` clears what may be empty.
/// `status` and/or `position` move the card (send `If-Match`: two people dragging one card
/// cannot both win). A task stays in its project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"status": "in_review", "position": 0})))]
pub struct TaskPatch {
    #[serde(default, deserialize_with = "nullable")]
    pub parent_id: Option<Option<TaskId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub milestone_id: Option<Option<MilestoneId>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    pub status: Option<TaskStatus>,
    pub priority: Option<TaskPriority>,
    pub assignee_ids: Option<Vec<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { ESTIMATE_MAX_MINUTES }>))]
    pub estimate_minutes: Option<Option<i64>>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub position: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::tags_or_null))]
    pub labels: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn settled_means_done_or_cancelled() {
        let settled: Vec<_> = TaskStatus::ALL
            .iter()
            .filter(|s| s.is_settled())
            .copied()
            .collect();
        assert_eq!(settled, [TaskStatus::Done, TaskStatus::Cancelled]);
        assert_eq!(TaskStatus::ALL.len(), STATUSES.len());
        for (s, name) in TaskStatus::ALL.iter().zip(STATUSES) {
            assert_eq!(s.as_str(), *name);
        }
        for (p, name) in TaskPriority::ALL.iter().zip(PRIORITIES) {
            assert_eq!(p.as_str(), *name);
        }
    }

    #[test]
    fn overdue_is_due_before_today_and_open() {
        let today = d("2026-03-10");
        assert!(is_overdue(Some(d("2026-03-09")), TaskStatus::Todo, today));
        assert!(is_overdue(
            Some(d("2026-03-09")),
            TaskStatus::InReview,
            today
        ));
        assert!(!is_overdue(Some(d("2026-03-10")), TaskStatus::Todo, today));
        assert!(!is_overdue(Some(d("2026-03-09")), TaskStatus::Done, today));
        assert!(!is_overdue(
            Some(d("2026-03-09")),
            TaskStatus::Cancelled,
            today
        ));
        assert!(!is_overdue(None, TaskStatus::Todo, today));
    }

    #[test]
    fn completed_at_follows_the_done_status() {
        let t0: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let t1: DateTime<Utc> = "2026-03-02T10:00:00Z".parse().unwrap();
        assert_eq!(
            completed_at(TaskStatus::InReview, TaskStatus::Done, None, t1),
            Some(t1)
        );
        assert_eq!(
            completed_at(TaskStatus::Done, TaskStatus::Done, Some(t0), t1),
            Some(t0)
        );
        assert_eq!(
            completed_at(TaskStatus::Done, TaskStatus::Todo, Some(t0), t1),
            None
        );
        assert_eq!(
            completed_at(TaskStatus::Todo, TaskStatus::Cancelled, None, t1),
            None
        );
    }

    #[test]
    fn estimates_and_labels_are_checked() {
        assert_eq!(estimate_minutes(0), Ok(0));
        assert_eq!(
            estimate_minutes(ESTIMATE_MAX_MINUTES),
            Ok(ESTIMATE_MAX_MINUTES)
        );
        assert!(estimate_minutes(-1).is_err());
        assert!(estimate_minutes(ESTIMATE_MAX_MINUTES + 1).is_err());
        let l = labels(&[" design ".into(), "design".into(), "ux".into()]).unwrap();
        assert_eq!(l, ["design", "ux"]);
        assert!(labels(&["".into()]).is_err());
        assert!(labels(&["x".repeat(LABEL_MAX_CHARS + 1)]).is_err());
        let many: Vec<String> = (0..=MAX_LABELS).map(|i| format!("l{i}")).collect();
        assert_eq!(labels(&many).unwrap_err().code, "too_many");
    }

    #[test]
    fn positions_are_not_negative() {
        assert_eq!(position(0), Ok(0));
        assert_eq!(position(i64::MAX), Ok(i64::MAX));
        assert!(position(-1).is_err());
    }

    #[test]
    fn the_rank_stays_on_the_server() {
        let now: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let t = Task {
            id: TaskId::new(),
            organization_id: OrganizationId::new(),
            project_id: ProjectId::new(),
            parent_id: None,
            milestone_id: None,
            title: "Site map".into(),
            description: None,
            status: TaskStatus::InProgress,
            priority: TaskPriority::High,
            assignee_ids: vec![],
            start_date: None,
            due_date: None,
            estimate_minutes: Some(60),
            position: 2,
            rank: 3072,
            labels: vec![],
            is_overdue: false,
            logged_minutes: 0,
            completed_at: None,
            is_blocked: false,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["position"], 2);
        assert_eq!(v["status"], "in_progress");
        assert!(v.get("rank").is_none());
    }

    #[test]
    fn inputs_refuse_unknown_and_computed_fields() {
        let ok: TaskInput = serde_json::from_value(serde_json::json!({
            "project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
            "title": "Site map",
            "status": "in_review"
        }))
        .unwrap();
        assert_eq!(ok.status, Some(TaskStatus::InReview));
        assert!(ok.assignee_ids.is_empty());
        for computed in [
            "is_overdue",
            "logged_minutes",
            "completed_at",
            "is_blocked",
            "rank",
        ] {
            let r = serde_json::from_value::<TaskPatch>(serde_json::json!({ computed: 1 }));
            assert!(r.is_err(), "{computed} must be refused");
        }
        assert!(
            serde_json::from_value::<TaskPatch>(serde_json::json!({"status": "blocked"})).is_err()
        );
        let p: TaskPatch =
            serde_json::from_value(serde_json::json!({"due_date": null, "position": 3})).unwrap();
        assert_eq!(p.due_date, Some(None));
        assert_eq!(p.parent_id, None);
        assert_eq!(p.position, Some(3));
    }
}
