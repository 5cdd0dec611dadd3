//! `/leave-requests` and `POST /leave-requests/{id}/approve|reject|cancel`.

use super::balance::{RequestFacts, check_request};
use super::counting::{LeaveSpan, YearPart, first_overlap, parts};
use super::types::{LeaveType, LeaveTypeId};
use super::{HalfDay, LeaveRequestId, LeaveStatus};
use crate::approval::check_approver;
use crate::employees::{Employee, EmployeeId, EmployeeStatus};
use crate::ports::HrPorts;
use crate::requirements::{LeaveRequestsApprove, LeaveRequestsRead, LeaveRequestsWrite};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_domain::activity::{FieldChange, audit};
use crm_domain::kernel::input::{Errors, invalid, not_found};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::kernel::records::{Crud, Record};
use crm_domain::kernel::scope::{Requirement, require};
use crm_domain::kernel::text::optional_text;
use crm_domain::notifications::rules::notify_change;
use crm_domain::{Actor, DomainError, OrganizationId, Scope, UserId, ValueError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const REASON_MAX: usize = 2_000;
pub const NOTE_MAX: usize = 2_000;
/// The years a request's dates may fall in: any real leave, and a replay of the years from
/// a hire date that stays short.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2199;

/// A leave request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0c0-2000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "leave_type_id": "019cd0c0-1000-7000-8000-000000000001",
    "start_date": "2026-03-09",
    "end_date": "2026-03-13",
    "half_day": null,
    "reason": "Family visit",
    "days": 5,
    "status": "pending",
    "requested_by": "019bb138-1000-71a5-8da4-f9fc3c6da5d8",
    "decided_by": null,
    "decided_at": null,
    "decision_note": null,
    "legacy_id": null,
    "created_at": "2026-02-01T09:00:00.000000Z",
    "updated_at": "2026-02-01T09:00:00.000000Z",
    "version": 1
})))]
pub struct LeaveRequest {
    pub id: LeaveRequestId,
    pub organization_id: OrganizationId,
    pub employee_id: EmployeeId,
    pub leave_type_id: LeaveTypeId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: NaiveDate,
    /// `am` or `pm` of the single day `start_date` = `end_date`; `null`: whole days.
    pub half_day: Option<HalfDay>,
    pub reason: Option<String>,
    /// Working days of the person's schedule in the range less the organization's holidays
    /// (0.5 for a half day), counted when the request was made.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, multiple_of = 0.01))]
    pub days: crate::days::Days,
    pub status: LeaveStatus,
    /// The user who filed it (the person, or someone for them).
    pub requested_by: Option<UserId>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// `days` per leave year, as counted: what the balance replay reads.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub parts: Vec<YearPart>,
}

crm_domain::record!(LeaveRequest, LeaveRequestId, "leave_request", scope: Option<EmployeeId>);

impl LeaveRequest {
    pub fn facts(&self) -> RequestFacts {
        RequestFacts {
            id: self.id,
            status: self.status,
            parts: self.parts.clone(),
        }
    }
}

const REQUEST_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("start_date", FieldKind::Date).range().sort(),
    FieldSpec::new("end_date", FieldKind::Date).range().sort(),
    FieldSpec::new("days", FieldKind::Integer).sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(&["pending", "approved", "rejected", "cancelled"])
        .doc("pending, approved, rejected or cancelled"),
    FieldSpec::new("employee_id", FieldKind::Uuid).filter(),
    FieldSpec::new("leave_type_id", FieldKind::Uuid).filter(),
];

/// `GET /leave-requests`: latest start first; `employee_id`, `leave_type_id`, `status`,
/// ranges of the dates (`from`/`to`: the requests touching those days). Under `:own`, the
/// caller's own.
pub const LEAVE_REQUEST_LIST_SPEC: ListSpec = ListSpec {
    fields: REQUEST_FIELDS,
    default_sort: "-start_date",
    searchable: false,
};

/// `POST /leave-requests`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "leave_type_id": "019cd0c0-1000-7000-8000-000000000001",
    "start_date": "2026-03-09",
    "end_date": "2026-03-13",
    "reason": "Family visit"
})))]
pub struct LeaveRequestInput {
    /// Default: the caller's own employee record.
    pub employee_id: Option<EmployeeId>,
    /// An active leave type of the organization.
    pub leave_type_id: LeaveTypeId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: NaiveDate,
    /// On or after `start_date`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: NaiveDate,
    /// Only when `start_date` = `end_date`.
    pub half_day: Option<HalfDay>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ REASON_MAX }>))]
    pub reason: Option<String>,
}

/// `POST /leave-requests/{id}/approve`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"note": "Enjoy"})))]
pub struct ApproveInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTE_MAX }>))]
    pub note: Option<String>,
}

/// `POST /leave-requests/{id}/reject`: the note is required (checked after the request is
/// found, so another organization's id answers `404` whatever the body holds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"note": "The release week"})))]
pub struct RejectInput {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, schema_with = crm_domain::kernel::openapi::text::<{ NOTE_MAX }>))]
    pub note: Option<String>,
}

fn year_bound(d: NaiveDate) -> Result<NaiveDate, ValueError> {
    if YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be in the years {} to {}", YEARS.start(), YEARS.end()),
        ))
    }
}

fn status_conflict(current: LeaveStatus, what: &str) -> DomainError {
    DomainError::conflict(
        "leave-request-status",
        format!(
            "a {} request cannot be {what}",
            serde_json::to_value(current)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
    )
}

fn users_change(users: &[UserId], actor: &Actor) -> FieldChange {
    let mut seen = Vec::new();
    for u in users {
        if *u != actor.user_id && !seen.contains(u) {
            seen.push(*u);
        }
    }
    notify_change(&seen)
}

/// Leave requests: filing with the day count, the overlap and balance checks, decisions.
#[derive(Clone)]
pub struct LeaveRequestService {
    p: HrPorts,
}

impl LeaveRequestService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, LeaveRequest> {
        Crud::new(&*self.p.tx, &*self.p.leave_requests, &*self.p.activities)
    }

    /// The caller's own employee record, if any.
    async fn own(&self, actor: &Actor) -> Result<Option<Employee>, DomainError> {
        Ok(self
            .p
            .employee_store
            .by_user(actor.organization_id, actor.user_id)
            .await?)
    }

    /// Needs `leave_requests:read`; under `:own`, the caller's own (none without an employee
    /// record).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<LeaveRequest>, DomainError> {
        let scope = require::<LeaveRequestsRead>(actor)?;
        let narrowed = match scope {
            Scope::All => None,
            Scope::Own => match self.own(actor).await? {
                Some(e) => Some(e.id),
                None => {
                    return Ok(Page {
                        data: Vec::new(),
                        next_cursor: None,
                        total: query.count.then_some(0),
                    });
                }
            },
        };
        Ok(self
            .p
            .leave_requests
            .list(actor.organization_id, query, narrowed)
            .await?)
    }

    /// Whether `actor` reads `r` (all records, or their own under `:own`).
    async fn reads(&self, actor: &Actor, r: &LeaveRequest) -> Result<bool, DomainError> {
        Ok(
            match actor.scope(LeaveRequestsRead::RESOURCE, LeaveRequestsRead::ACTION) {
                Some(Scope::All) => true,
                Some(Scope::Own) => self
                    .own(actor)
                    .await?
                    .is_some_and(|e| e.id == r.employee_id),
                None => false,
            },
        )
    }

    /// Needs `leave_requests:read`; `404` when missing, of another organization or (under
    /// `:own`) not the caller's.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        id: LeaveRequestId,
    ) -> Result<LeaveRequest, DomainError> {
        require::<LeaveRequestsRead>(actor)?;
        let r = self.p.leave_requests.get(actor.organization_id, id).await?;
        if self.reads(actor, &r).await? {
            Ok(r)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// Needs `leave_requests:write` (`:own`: for the caller's own record only). The days are
    /// counted with the person's schedule and the organization's holidays (`422 start_date
    /// no_working_days`); then, in one transaction holding the person's employee row, the
    /// overlap with their pending and approved requests (`409 leave-request-overlap`) and
    /// the balance (`422 days insufficient_balance`) are checked and the request inserted,
    /// so two concurrent requests of one person run one after the other. A type without
    /// `requires_approval` is approved at once; otherwise the approvers are told.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: LeaveRequestInput,
    ) -> Result<LeaveRequest, DomainError> {
        let scope = require::<LeaveRequestsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let employee: Option<Employee> = match input.employee_id {
            None => {
                let own = self.own(actor).await?;
                if own.is_none() {
                    errors.add(
                        "employee_id",
                        "required",
                        "the caller has no employee record: name the employee",
                    );
                }
                own
            }
            Some(id) => {
                let found = self.p.employees.get(org, id).await;
                let e = errors.reference("employee_id", "employee", found)?;
                match e {
                    Some(e) if scope == Scope::Own && !e.is_user(actor.user_id) => {
                        errors.push(not_found("employee_id", "employee"));
                        None
                    }
                    e => e,
                }
            }
        };
        let found = self.p.leave_types.get(org, input.leave_type_id).await;
        let leave_type: Option<LeaveType> =
            errors.reference("leave_type_id", "leave type", found)?;
        if leave_type.as_ref().is_some_and(|t| !t.is_active) {
            errors.add(
                "leave_type_id",
                "inactive",
                "the leave type is not active: it takes no new requests",
            );
        }
        let start = errors.take("start_date", year_bound(input.start_date));
        let end = errors.take("end_date", year_bound(input.end_date));
        let reason = errors.value(
            "reason",
            optional_text(input.reason.as_deref(), "reason", REASON_MAX, true),
        );
        errors.finish()?;
        let (Some(employee), Some(leave_type), Some(start), Some(end)) =
            (employee, leave_type, start, end)
        else {
            return Err(DomainError::Unexpected(
                "a checked input went missing".into(),
            ));
        };
        let span = LeaveSpan::new(start, end, input.half_day)?;
        if employee.status == EmployeeStatus::Terminated {
            return Err(DomainError::conflict(
                "employee-terminated",
                "the employee is terminated: they take no more leave",
            ));
        }
        let schedule = self
            .p
            .schedules
            .get(org, employee.work_schedule_id)
            .await?
            .schedule();
        let holidays = self.p.holiday_store.dates_between(org, start, end).await?;
        let parts = parts(&schedule, &holidays, &span)?;
        let days = parts.iter().map(|p| p.days).sum();
        let today = self.p.today(org).await?;
        let approvers = if leave_type.requires_approval {
            let mut a = self.p.leave_store.approvers(org).await?;
            if let Some(m) = self.p.employee_store.manager_user(org, employee.id).await? {
                a.push(m);
            }
            // Never the person nor the filer: they cannot decide it.
            a.retain(|u| !employee.is_user(*u) && *u != actor.user_id);
            a
        } else {
            Vec::new()
        };

        let mut tx = self.p.tx.begin().await?;
        // The person's row, held to the end: their requests and adjustments are read, checked
        // and written one transaction at a time.
        self.p
            .employees
            .get_for_update(&mut tx, org, employee.id)
            .await?;
        let history = self
            .p
            .leave_store
            .history_in(&mut tx, org, employee.id)
            .await?;
        let others: Vec<(LeaveRequestId, LeaveSpan, LeaveStatus)> = history
            .requests
            .iter()
            .map(|r| (r.id, r.span, r.status))
            .collect();
        if let Some(other) = first_overlap(&span, &others) {
            return Err(DomainError::Conflict {
                code: "leave-request-overlap",
                message: format!("the dates overlap the person's request {other}"),
                existing_id: Some(other.0),
            });
        }
        let (rows, requests) = history.of_type(leave_type.id);
        check_request(
            &leave_type.policy(),
            employee.hire_date,
            &rows,
            &requests,
            &parts,
            today,
        )?;
        let now = self.p.now();
        let auto = !leave_type.requires_approval;
        let r = LeaveRequest {
            id: LeaveRequestId::new(),
            organization_id: org,
            employee_id: employee.id,
            leave_type_id: leave_type.id,
            start_date: start,
            end_date: end,
            half_day: span.half_day(),
            reason,
            days,
            status: LeaveStatus::Pending,
            requested_by: Some(actor.user_id),
            decided_by: None,
            decided_at: None,
            decision_note: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
            parts,
        };
        self.p.leave_requests.create(&mut tx, &r).await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &r))
            .await?;
        let r = if auto {
            let next = LeaveRequest {
                status: LeaveStatus::Approved,
                decided_at: Some(now),
                ..r.clone()
            }
            .touched(now);
            self.p
                .leave_requests
                .update(&mut tx, &next, r.version)
                .await?;
            let mut entry = audit::changed(actor, "approved", &r, &next);
            entry
                .changes
                .push(users_change(&requesters(&employee, &next), actor));
            self.p.activities.record(&mut tx, entry).await?;
            next
        } else {
            let mut entry = audit::changed(actor, "submitted", &r, &r);
            entry.changes.push(users_change(&approvers, actor));
            self.p.activities.record(&mut tx, entry).await?;
            r
        };
        tx.commit().await?;
        Ok(r)
    }

    /// `Ok` when `actor` decides the request `id` (the person's manager's user or a holder
    /// of `leave_requests:approve`, never the person nor the filer: `403`); `404` for a
    /// request the caller may not even read. The action routes check it before their body.
    pub async fn check_decider(
        &self,
        actor: &Actor,
        id: LeaveRequestId,
    ) -> Result<(LeaveRequest, Employee), DomainError> {
        let org = actor.organization_id;
        let r = self.p.leave_requests.get(org, id).await?;
        let employee = self.p.employees.get(org, r.employee_id).await?;
        let manager = self.p.employee_store.manager_user(org, employee.id).await?;
        let approve = actor.can_all(LeaveRequestsApprove::RESOURCE, LeaveRequestsApprove::ACTION);
        let filer = r.requested_by.unwrap_or(UserId(Uuid::nil()));
        match check_approver(actor, &employee, filer, manager, approve) {
            Ok(()) => Ok((r, employee)),
            Err(e) => {
                let theirs = employee.is_user(actor.user_id) || filer == actor.user_id;
                if theirs || self.reads(actor, &r).await? {
                    Err(e)
                } else {
                    Err(DomainError::NotFound)
                }
            }
        }
    }

    /// `404` unless the request `id` is one the caller may reach (read it, or decide it):
    /// what the action routes check before they read their body.
    pub async fn exists_for(&self, actor: &Actor, id: LeaveRequestId) -> Result<(), DomainError> {
        let org = actor.organization_id;
        let r = self.p.leave_requests.get(org, id).await?;
        if self.reads(actor, &r).await? {
            return Ok(());
        }
        match self.check_decider(actor, id).await {
            Ok(_) => Ok(()),
            Err(DomainError::Forbidden { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn decide(
        &self,
        actor: &Actor,
        id: LeaveRequestId,
        expected_version: Option<i64>,
        to: LeaveStatus,
        note: Option<String>,
    ) -> Result<LeaveRequest, DomainError> {
        let (_, employee) = self.check_decider(actor, id).await?;
        let verb = if to == LeaveStatus::Approved {
            "approved"
        } else {
            "rejected"
        };
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if current.status != LeaveStatus::Pending {
            return Err(status_conflict(current.status, verb));
        }
        let now = self.p.now();
        let next = LeaveRequest {
            status: to,
            decided_by: Some(actor.user_id),
            decided_at: Some(now),
            decision_note: note,
            ..current.clone()
        }
        .touched(now);
        let told = users_change(&requesters(&employee, &current), actor);
        self.crud()
            .change(actor, tx, verb, &current, next, Some(told))
            .await
    }

    /// `pending → approved` by a decider ([`Self::check_decider`]); `412` on a stale
    /// `If-Match`; `409 leave-request-status` otherwise. The requester is told.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn approve(
        &self,
        actor: &Actor,
        id: LeaveRequestId,
        expected_version: Option<i64>,
        input: ApproveInput,
    ) -> Result<LeaveRequest, DomainError> {
        let mut errors = Errors::new();
        let note = errors.value(
            "note",
            optional_text(input.note.as_deref(), "note", NOTE_MAX, true),
        );
        errors.finish()?;
        self.decide(actor, id, expected_version, LeaveStatus::Approved, note)
            .await
    }

    /// `pending → rejected` with a note (`422 note`), by a decider; as [`Self::approve`].
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn reject(
        &self,
        actor: &Actor,
        id: LeaveRequestId,
        expected_version: Option<i64>,
        input: RejectInput,
    ) -> Result<LeaveRequest, DomainError> {
        self.check_decider(actor, id).await?;
        let note = optional_text(input.note.as_deref(), "note", NOTE_MAX, true)
            .map_err(|e| invalid("note", e.code, e.message))?;
        let Some(note) = note else {
            return Err(invalid("note", "required", "a rejection says why"));
        };
        self.decide(
            actor,
            id,
            expected_version,
            LeaveStatus::Rejected,
            Some(note),
        )
        .await
    }

    /// `pending|approved → cancelled`: by the requester (the person or the filer) before the
    /// first day (`409 leave-request-started` from then on), or by a decider at any time;
    /// `403` for anyone else who reads it, `404` for who does not. The days come back.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn cancel(
        &self,
        actor: &Actor,
        id: LeaveRequestId,
        expected_version: Option<i64>,
    ) -> Result<LeaveRequest, DomainError> {
        let org = actor.organization_id;
        let r = self.p.leave_requests.get(org, id).await?;
        let employee = self.p.employees.get(org, r.employee_id).await?;
        let requester = employee.is_user(actor.user_id) || r.requested_by == Some(actor.user_id);
        if requester {
            let today = self.p.today(org).await?;
            if r.start_date <= today && self.check_decider(actor, id).await.is_err() {
                return Err(DomainError::conflict(
                    "leave-request-started",
                    "the leave has started: only an approver cancels it now",
                ));
            }
        } else {
            self.check_decider(actor, id).await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if !current.status.holds_days() {
            return Err(status_conflict(current.status, "cancelled"));
        }
        let now = self.p.now();
        let next = LeaveRequest {
            status: LeaveStatus::Cancelled,
            ..current.clone()
        }
        .touched(now);
        self.crud()
            .change(actor, tx, "cancelled", &current, next, None)
            .await
    }
}

/// Whom a decision is told to: the person's user and the filer.
fn requesters(employee: &Employee, r: &LeaveRequest) -> Vec<UserId> {
    employee.user_id.into_iter().chain(r.requested_by).collect()
}
