use crate::tasks::TaskStatus;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{Currency, DomainError, OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A project of an organization.
    ProjectId
);

crm_domain::name_enum!(
    /// A project's state. `completed` and `cancelled` close it: no new tasks or time.
    ProjectStatus, "status" {
        Planned => "planned",
        Active => "active",
        OnHold => "on_hold",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

crm_domain::name_enum!(
    /// How the project is billed; time on a `non_billable` project is not billable by default.
    Billing, "billing" {
        Fixed => "fixed",
        Hourly => "hourly",
        NonBillable => "non_billable",
    }
);

crm_domain::name_enum!(
    /// What `progress` counts: tasks, or estimate minutes.
    ProgressMethod, "progress_method" {
        Tasks => "tasks",
        Estimates => "estimates",
    }
);

crm_domain::name_enum!(
    /// A member's role in one project.
    MemberRole, "role" {
        Manager => "manager",
        Member => "member",
        Viewer => "viewer",
    }
);

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
/// The longest project code.
pub const CODE_MAX: usize = 32;
/// A budget of more minutes than a hundred years of full days is a typing error.
pub const MAX_MINUTES_BUDGET: i64 = 52_560_000;

/// A project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = project_example))]
pub struct Project {
    pub id: ProjectId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// Unique in the organization (the store enforces it: `409`); 1..=32 ASCII letters,
    /// digits, `-` and `_`.
    pub code: Option<String>,
    pub description: Option<String>,
    pub client_id: Option<ClientId>,
    /// A deal of the organization (`crm-sales`; held as a plain id so this crate does not
    /// depend on sales).
    pub deal_id: Option<Uuid>,
    /// The project manager.
    pub owner_id: UserId,
    pub status: ProjectStatus,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<NaiveDate>,
    /// Not before `start_date`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<NaiveDate>,
    pub billing: Billing,
    /// Minor units of `budget_currency` (the organization's currency when it has none) per
    /// hour, 0 or more; what new time entries snapshot as their `bill_rate`.
    pub hourly_rate: Option<i64>,
    /// Minor units of `budget_currency`, 0 or more.
    pub budget_amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "USD"))]
    pub budget_currency: Option<Currency>,
    pub budget_minutes: Option<i64>,
    pub progress_method: ProgressMethod,
    /// Computed: 0–100, rounded down (`crate::progress::progress`).
    pub progress: u8,
    /// Computed: the project's tasks that are not `cancelled` (the denominator of progress
    /// by tasks).
    pub tasks_total: i64,
    /// Computed: the project's `done` tasks.
    pub tasks_done: i64,
    /// Computed: due before today (the organization's) and neither completed nor cancelled.
    pub is_overdue: bool,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn project_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "name": "Website relaunch",
        "code": "WEB-2026",
        "description": "New site on the new brand.",
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "deal_id": null,
        "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "status": "active",
        "start_date": "2026-03-01",
        "due_date": "2026-06-30",
        "billing": "hourly",
        "hourly_rate": 9500,
        "budget_amount": 4000000,
        "budget_currency": "USD",
        "budget_minutes": 24000,
        "progress_method": "tasks",
        "progress": 33,
        "tasks_total": 12,
        "tasks_done": 4,
        "is_overdue": false,
        "legacy_id": null,
        "created_at": "2026-02-20T09:00:00.000000Z",
        "updated_at": "2026-03-02T10:00:00.000000Z",
        "version": 3
    })
}

crm_domain::record!(Project, ProjectId, "project", scope: Option<UserId>);

impl Project {
    /// Fills the computed fields from the project's tasks grouped by status (`(status,
    /// count, estimate minutes)`, see [`crate::progress::of_groups`]) and the organization's
    /// `today`.
    pub fn with_computed(
        mut self,
        tasks: impl IntoIterator<Item = (TaskStatus, i64, i64)>,
        today: NaiveDate,
    ) -> Self {
        let (progress, counts) = crate::progress::of_groups(self.progress_method, tasks);
        self.progress = progress;
        self.tasks_total = counts.total;
        self.tasks_done = counts.done;
        self.is_overdue = is_overdue(self.due_date, self.status, today);
        self
    }
}

/// Whether a project in `status` takes new tasks and time: not when `completed` or
/// `cancelled`.
pub fn accepts_work(status: ProjectStatus) -> bool {
    !matches!(status, ProjectStatus::Completed | ProjectStatus::Cancelled)
}

/// `409 project-closed`: the answer to new work on a project that does not accept it.
pub fn closed(status: ProjectStatus) -> DomainError {
    DomainError::conflict(
        "project-closed",
        format!("a {status} project takes no new tasks or time"),
    )
}

/// Whether a project is overdue on `today`: due strictly before it and still open.
pub fn is_overdue(due_date: Option<NaiveDate>, status: ProjectStatus, today: NaiveDate) -> bool {
    due_date.is_some_and(|d| d < today) && accepts_work(status)
}

/// A project code: trimmed, 1..=[`CODE_MAX`] ASCII letters, digits, `-` and `_`.
pub fn code(raw: &str) -> Result<String, ValueError> {
    let c = raw.trim();
    if c.is_empty() || c.chars().count() > CODE_MAX {
        return Err(ValueError::new(
            "out_of_range",
            format!("must be 1 to {CODE_MAX} characters"),
        ));
    }
    if !c
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        return Err(ValueError::new(
            "invalid",
            "may hold only letters, digits, '-' and '_'",
        ));
    }
    Ok(c.to_string())
}

/// `budget_minutes`: 0..=[`MAX_MINUTES_BUDGET`].
pub fn budget_minutes(v: i64) -> Result<i64, ValueError> {
    if (0..=MAX_MINUTES_BUDGET).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 0 and {MAX_MINUTES_BUDGET} minutes"),
        ))
    }
}

/// The cross-field date rule of projects and tasks: `422 due_date` when it falls before
/// `start_date` (the same day is allowed). Run on the record as it will be stored, so a patch
/// of either date is checked against the other.
pub fn check_dates(start: Option<NaiveDate>, due: Option<NaiveDate>, errors: &mut Errors) {
    if let (Some(s), Some(d)) = (start, due)
        && d < s
    {
        errors.add("due_date", "out_of_range", "must not be before start_date");
    }
}

const STATUSES: &[&str] = &["planned", "active", "on_hold", "completed", "cancelled"];

const PROJECT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("code", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(STATUSES),
    FieldSpec::new("billing", FieldKind::Text)
        .filter()
        .one_of(&["fixed", "hourly", "non_billable"]),
    FieldSpec::new("client_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("deal_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
    FieldSpec::new("start_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("due_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("budget_amount", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
];

/// `GET /projects`: newest first; filters `code`, `status`, `billing`, `client_id`,
/// `deal_id`, `owner_id`; ranges of dates and budget; `q` searches the name, the code and the
/// description. `:own` callers see the projects they manage or are members of.
pub const PROJECT_LIST_SPEC: ListSpec = ListSpec {
    fields: PROJECT_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /projects`. The computed fields (`progress`, `tasks_total`, `tasks_done`,
/// `is_overdue`) are never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Website relaunch",
    "code": "WEB-2026",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "status": "active",
    "start_date": "2026-03-01",
    "due_date": "2026-06-30",
    "billing": "hourly",
    "hourly_rate": 9500,
    "budget_amount": 4000000,
    "budget_currency": "USD",
    "budget_minutes": 24000,
    "progress_method": "estimates"
})))]
pub struct ProjectInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,32}$"))]
    pub code: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    /// A client the caller may see.
    pub client_id: Option<ClientId>,
    /// A deal of the organization.
    pub deal_id: Option<Uuid>,
    /// The project manager; the caller when absent.
    pub owner_id: Option<UserId>,
    /// `planned` when absent.
    pub status: Option<ProjectStatus>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
    /// Not before `start_date`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<String>,
    /// `non_billable` when absent.
    pub billing: Option<Billing>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub hourly_rate: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub budget_amount: Option<i64>,
    /// The organization's default currency when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub budget_currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { MAX_MINUTES_BUDGET }>))]
    pub budget_minutes: Option<i64>,
    /// `tasks` when absent.
    pub progress_method: Option<ProgressMethod>,
}

/// `PATCH /projects/{id}`: only the fields present change; `null` clears what may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"status": "on_hold", "due_date": null})))]
pub struct ProjectPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,32}$"))]
    pub code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub client_id: Option<Option<ClientId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub deal_id: Option<Option<Uuid>>,
    pub owner_id: Option<UserId>,
    pub status: Option<ProjectStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<Option<String>>,
    pub billing: Option<Billing>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub hourly_rate: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub budget_amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub budget_currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { MAX_MINUTES_BUDGET }>))]
    pub budget_minutes: Option<Option<i64>>,
    pub progress_method: Option<ProgressMethod>,
}

/// A member of a project (`GET /projects/{id}/members`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd", "role": "member"})))]
pub struct Member {
    pub user_id: UserId,
    pub role: MemberRole,
}

/// `POST /projects/{id}/members`: `409` if the user already is one.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd", "role": "member"})))]
pub struct MemberInput {
    /// An active user of the organization.
    pub user_id: UserId,
    pub role: MemberRole,
}

/// `PATCH /projects/{id}/members/{user_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"role": "manager"})))]
pub struct MemberPatch {
    pub role: MemberRole,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_domain::kernel::input::Errors;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn only_completed_and_cancelled_projects_refuse_work() {
        let open: Vec<_> = ProjectStatus::ALL
            .iter()
            .filter(|s| accepts_work(**s))
            .map(|s| s.as_str())
            .collect();
        assert_eq!(open, ["planned", "active", "on_hold"]);
        assert!(matches!(
            closed(ProjectStatus::Completed),
            DomainError::Conflict {
                code: "project-closed",
                ..
            }
        ));
        assert_eq!(ProjectStatus::ALL.len(), STATUSES.len());
    }

    #[test]
    fn codes_are_short_words_of_letters_digits_dashes_and_underscores() {
        assert_eq!(code(" WEB-2026_a ").unwrap(), "WEB-2026_a");
        assert_eq!(code(&"x".repeat(CODE_MAX)).unwrap().len(), CODE_MAX);
        assert_eq!(
            code(&"x".repeat(CODE_MAX + 1)).unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(code("  ").unwrap_err().code, "out_of_range");
        for bad in ["WEB 2026", "wéb", "a/b", "a.b", "a\u{0}b"] {
            assert_eq!(code(bad).unwrap_err().code, "invalid", "{bad}");
        }
    }

    #[test]
    fn due_date_may_not_come_before_start_date() {
        let mut e = Errors::new();
        check_dates(Some(d("2026-03-01")), Some(d("2026-03-01")), &mut e);
        check_dates(None, Some(d("2026-03-01")), &mut e);
        check_dates(Some(d("2026-03-01")), None, &mut e);
        assert!(e.finish().is_ok());
        let mut e = Errors::new();
        check_dates(Some(d("2026-03-02")), Some(d("2026-03-01")), &mut e);
        let DomainError::Invalid(errs) = e.finish().unwrap_err() else {
            panic!("expected 422");
        };
        assert_eq!(errs[0].field, "due_date");
    }

    #[test]
    fn overdue_projects_are_open_and_past_due() {
        let today = d("2026-03-10");
        assert!(is_overdue(
            Some(d("2026-03-09")),
            ProjectStatus::OnHold,
            today
        ));
        assert!(!is_overdue(
            Some(d("2026-03-09")),
            ProjectStatus::Completed,
            today
        ));
        assert!(!is_overdue(
            Some(d("2026-03-10")),
            ProjectStatus::Active,
            today
        ));
        assert!(!is_overdue(None, ProjectStatus::Active, today));
    }

    #[test]
    fn computed_fields_come_from_the_tasks() {
        use TaskStatus::*;
        let now: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let p = Project {
            id: ProjectId::new(),
            organization_id: OrganizationId::new(),
            name: "Website relaunch".into(),
            code: Some("WEB".into()),
            description: None,
            client_id: None,
            deal_id: None,
            owner_id: UserId::new(),
            status: ProjectStatus::Active,
            start_date: Some(d("2026-03-01")),
            due_date: Some(d("2026-03-09")),
            billing: Billing::Hourly,
            hourly_rate: Some(9500),
            budget_amount: None,
            budget_currency: None,
            budget_minutes: None,
            progress_method: ProgressMethod::Estimates,
            progress: 0,
            tasks_total: 0,
            tasks_done: 0,
            is_overdue: false,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let tasks = [
            (Done, Some(30)),
            (Todo, Some(90)),
            (Done, None),
            (Cancelled, Some(500)),
        ];
        let groups = || tasks.iter().map(|(s, e)| (*s, 1, e.unwrap_or(0)));
        let c = p.clone().with_computed(groups(), d("2026-03-10"));
        assert_eq!(
            (c.progress, c.tasks_total, c.tasks_done, c.is_overdue),
            (25, 3, 2, true)
        );
        let c = Project {
            progress_method: ProgressMethod::Tasks,
            ..p
        }
        .with_computed(groups(), d("2026-03-09"));
        assert_eq!((c.progress, c.is_overdue), (66, false));
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["billing"], "hourly");
        assert_eq!(v["progress_method"], "tasks");
    }

    #[test]
    fn budget_minutes_are_bounded() {
        assert!(budget_minutes(0).is_ok());
        assert!(budget_minutes(-1).is_err());
        assert!(budget_minutes(MAX_MINUTES_BUDGET + 1).is_err());
    }

    #[test]
    fn patches_tell_null_from_absent_and_refuse_computed_fields() {
        let p: ProjectPatch =
            serde_json::from_value(serde_json::json!({"code": null, "status": "on_hold"})).unwrap();
        assert_eq!(p.code, Some(None));
        assert_eq!(p.due_date, None);
        assert_eq!(p.status, Some(ProjectStatus::OnHold));
        for computed in [
            "progress",
            "tasks_total",
            "tasks_done",
            "is_overdue",
            "version",
            "id",
        ] {
            let r = serde_json::from_value::<ProjectPatch>(serde_json::json!({ computed: 1 }));
            assert!(r.is_err(), "{computed} must be refused");
        }
        assert!(serde_json::from_value::<MemberInput>(
            serde_json::json!({"user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd", "role": "owner"})
        )
        .is_err());
    }
}
