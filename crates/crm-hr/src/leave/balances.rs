//! `GET /leave-balances`, `GET /leave-ledger` (both the pure replay of
//! [`super::balance`] over a person's stored rows) and `POST /leave-adjustments`.

use super::balance::{self, LedgerKind, LedgerRow};
use super::types::{LeaveType, LeaveTypeId};
use super::{LeaveRequestId, year_end, year_start};
use crate::days::Days;
use crate::employees::{Employee, EmployeeId};
use crate::ports::HrPorts;
use crate::requirements::{LeaveAdjustmentsWrite, LeaveBalancesRead};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_domain::kernel::input::{Errors, invalid, not_found};
use crm_domain::kernel::records::Crud;
use crm_domain::kernel::scope::{require, require_all};
use crm_domain::kernel::text::required_multiline;
use crm_domain::{Actor, DomainError, OrganizationId, Scope, UserId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A manual change of a person's leave balance.
    LeaveAdjustmentId
);

pub const REASON_MAX: usize = 2_000;
/// The most days one adjustment moves, either way.
pub const ADJUSTMENT_MAX: i64 = 366;
/// The longest ledger one read returns: ten years.
pub const LEDGER_YEARS_MAX: i32 = 10;

/// A signed number of days added to (or taken from) a person's balance of one type, dated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0c0-3000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "leave_type_id": "019cd0c0-1000-7000-8000-000000000001",
    "date": "2026-03-02",
    "days": 1.5,
    "reason": "Worked the inventory weekend",
    "created_by": "019bb138-1000-71a5-8da4-f9fc3c6da5d8",
    "created_at": "2026-03-02T09:00:00.000000Z",
    "updated_at": "2026-03-02T09:00:00.000000Z",
    "version": 1
})))]
pub struct LeaveAdjustment {
    pub id: LeaveAdjustmentId,
    pub organization_id: OrganizationId,
    pub employee_id: EmployeeId,
    pub leave_type_id: LeaveTypeId,
    /// Counted in the leave year of this date, from this date on.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = f64, multiple_of = 0.01))]
    pub days: Days,
    pub reason: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(LeaveAdjustment, LeaveAdjustmentId, "leave_adjustment", scope: ());

/// `POST /leave-adjustments`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "leave_type_id": "019cd0c0-1000-7000-8000-000000000001",
    "days": 1.5,
    "reason": "Worked the inventory weekend"
})))]
pub struct LeaveAdjustmentInput {
    pub employee_id: EmployeeId,
    pub leave_type_id: LeaveTypeId,
    /// Signed, not 0, at most 366 either way, at most 2 decimals.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, minimum = -366, maximum = 366, multiple_of = 0.01))]
    pub days: Days,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ REASON_MAX }>))]
    pub reason: String,
    /// Default: today in the organization's time zone.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: Option<NaiveDate>,
}

/// One leave type's balance in `GET /leave-balances`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalanceRow {
    pub leave_type_id: LeaveTypeId,
    pub code: String,
    /// Accrued up to `as_of` (the year's entitlement, or the monthly twelfths so far).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub entitled: Days,
    /// Carried from last year, less what has lapsed by `as_of`.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub carried_forward: Days,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub adjustments: Days,
    /// Approved requests of the leave year, whatever their dates.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub taken: Days,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub pending: Days,
    /// entitled + carried_forward + adjustments − taken − pending.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub available: Days,
}

/// `GET /leave-balances`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "as_of": "2027-04-15",
    "balances": [{
        "leave_type_id": "019cd0c0-1000-7000-8000-000000000001",
        "code": "AL",
        "entitled": 25,
        "carried_forward": 3.5,
        "adjustments": 1,
        "taken": 4,
        "pending": 0.5,
        "available": 25
    }]
})))]
pub struct Balances {
    pub employee_id: EmployeeId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub as_of: NaiveDate,
    /// One row per active leave type, by name.
    pub balances: Vec<BalanceRow>,
}

/// One row of `GET /leave-ledger`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: NaiveDate,
    pub kind: LedgerKind,
    /// In (positive) or out (negative).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub days: Days,
    pub leave_request_id: Option<LeaveRequestId>,
}

impl From<LedgerRow> for LedgerEntry {
    fn from(r: LedgerRow) -> Self {
        Self {
            date: r.date,
            kind: r.kind,
            days: r.days,
            leave_request_id: r.leave_request_id,
        }
    }
}

/// `GET /leave-ledger`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "leave_type_id": "019cd0c0-1000-7000-8000-000000000001",
    "from": "2027-01-01",
    "to": "2027-12-31",
    "data": [
        {"date": "2027-01-01", "kind": "entitlement", "days": 25, "leave_request_id": null},
        {"date": "2027-01-01", "kind": "carry_forward", "days": 3.5, "leave_request_id": null},
        {"date": "2027-03-08", "kind": "taken", "days": -4,
         "leave_request_id": "019cd0c0-2000-7000-8000-000000000001"},
        {"date": "2027-04-01", "kind": "carry_forward_expiry", "days": 0, "leave_request_id": null}
    ]
})))]
pub struct Ledger {
    pub employee_id: EmployeeId,
    pub leave_type_id: LeaveTypeId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub to: NaiveDate,
    /// By date.
    pub data: Vec<LedgerEntry>,
}

/// What the balance reads name; every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerQuery {
    pub employee_id: Option<EmployeeId>,
    pub leave_type_id: Option<LeaveTypeId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn adjustment_days(v: Days) -> Result<Days, ValueError> {
    if v.is_zero() {
        Err(ValueError::new("invalid", "must not be 0"))
    } else if v.abs() > Days::whole(ADJUSTMENT_MAX) {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between -{ADJUSTMENT_MAX} and {ADJUSTMENT_MAX} days"),
        ))
    } else {
        Ok(v)
    }
}

fn in_years(d: NaiveDate) -> Result<NaiveDate, ValueError> {
    if super::requests::YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!(
                "must be in the years {} to {}",
                super::requests::YEARS.start(),
                super::requests::YEARS.end()
            ),
        ))
    }
}

/// Balances, the ledger and adjustments.
#[derive(Clone)]
pub struct LeaveBalanceService {
    p: HrPorts,
}

impl LeaveBalanceService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, LeaveAdjustment> {
        Crud::new(&*self.p.tx, &*self.p.leave_adjustments, &*self.p.activities)
    }

    /// The person a balance read is about: `employee_id`, or the caller's own record (`422
    /// employee_id` when they have none); under `:own` only the caller's (`404` for
    /// another's).
    async fn person(
        &self,
        actor: &Actor,
        scope: Scope,
        employee: Option<EmployeeId>,
    ) -> Result<Employee, DomainError> {
        let org = actor.organization_id;
        let own = match (employee, scope) {
            (Some(id), Scope::All) => return Ok(self.p.employees.get(org, id).await?),
            _ => self.p.employee_store.by_user(org, actor.user_id).await?,
        };
        match (own, employee) {
            (Some(e), None) => Ok(e),
            (Some(e), Some(id)) if e.id == id => Ok(e),
            (_, Some(_)) => Err(DomainError::NotFound),
            (None, None) => Err(invalid(
                "employee_id",
                "required",
                "the caller has no employee record: name the employee",
            )),
        }
    }

    /// Needs `leave_balances:read` (`:own`: the caller's). One row per active leave type, as
    /// of `as_of` (default today in the organization's zone); the person's rows are read in
    /// two queries whatever the number of types.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn balances(
        &self,
        actor: &Actor,
        employee: Option<EmployeeId>,
        as_of: Option<NaiveDate>,
    ) -> Result<Balances, DomainError> {
        let scope = require::<LeaveBalancesRead>(actor)?;
        let org = actor.organization_id;
        if let Some(d) = as_of {
            in_years(d).map_err(|e| invalid("as_of", e.code, e.message))?;
        }
        let person = self.person(actor, scope, employee).await?;
        let as_of = match as_of {
            Some(d) => d,
            None => self.p.today(org).await?,
        };
        let types = self.p.leave_store.active_types(org).await?;
        let history = self.p.leave_store.history(org, person.id).await?;
        let balances = types
            .iter()
            .map(|t| {
                let (rows, requests) = history.of_type(t.id);
                let b = balance::balance(&t.policy(), person.hire_date, &rows, &requests, as_of);
                BalanceRow {
                    leave_type_id: t.id,
                    code: t.code.clone(),
                    entitled: b.entitled,
                    carried_forward: b.carried_forward,
                    adjustments: b.adjustments,
                    taken: b.taken,
                    pending: b.pending,
                    available: b.available,
                }
            })
            .collect();
        Ok(Balances {
            employee_id: person.id,
            as_of,
            balances,
        })
    }

    /// Needs `leave_balances:read` (`:own`: the caller's). `leave_type_id` is required (`422`);
    /// `from`..`to` default to the current leave year, `to` ≥ `from` and at most ten years
    /// apart (`422 to`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn ledger(&self, actor: &Actor, q: LedgerQuery) -> Result<Ledger, DomainError> {
        let scope = require::<LeaveBalancesRead>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        if q.leave_type_id.is_none() {
            errors.add("leave_type_id", "required", "name the leave type");
        }
        if let Some(d) = q.from {
            errors.take("from", in_years(d));
        }
        if let Some(d) = q.to {
            errors.take("to", in_years(d));
        }
        errors.finish()?;
        let person = self.person(actor, scope, q.employee_id).await?;
        let today = self.p.today(org).await?;
        let from = q.from.unwrap_or_else(|| year_start(today.year()));
        let to = q.to.unwrap_or_else(|| year_end(from.year()));
        if to < from {
            return Err(invalid("to", "before_from", "must be on or after from"));
        }
        if to.year() - from.year() >= LEDGER_YEARS_MAX {
            return Err(invalid(
                "to",
                "out_of_range",
                format!("at most {LEDGER_YEARS_MAX} years after from"),
            ));
        }
        let type_id = q.leave_type_id.unwrap_or(LeaveTypeId(uuid::Uuid::nil()));
        let t: LeaveType = match self.p.leave_types.get(org, type_id).await {
            Ok(t) => t,
            Err(crm_domain::StoreError::NotFound) => {
                return Err(DomainError::Invalid(vec![not_found(
                    "leave_type_id",
                    "leave type",
                )]));
            }
            Err(e) => return Err(e.into()),
        };
        let history = self.p.leave_store.history(org, person.id).await?;
        let (rows, requests) = history.of_type(t.id);
        let data = balance::ledger(&t.policy(), person.hire_date, &rows, &requests, from, to)
            .into_iter()
            .map(LedgerEntry::from)
            .collect();
        Ok(Ledger {
            employee_id: person.id,
            leave_type_id: t.id,
            from,
            to,
            data,
        })
    }

    /// Needs `leave_adjustments:write`. `422` per bad field (an employee and a type of the
    /// organization, days not 0, a reason); dated `date` or today in the organization's zone.
    /// Written under the person's row, as requests are, with its audit entry.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn adjust(
        &self,
        actor: &Actor,
        input: LeaveAdjustmentInput,
    ) -> Result<LeaveAdjustment, DomainError> {
        require_all::<LeaveAdjustmentsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let found = self.p.employees.get(org, input.employee_id).await;
        errors.reference("employee_id", "employee", found)?;
        let found = self.p.leave_types.get(org, input.leave_type_id).await;
        errors.reference("leave_type_id", "leave type", found)?;
        let days = errors.value("days", adjustment_days(input.days));
        let reason = errors.value(
            "reason",
            required_multiline(&input.reason, "reason", REASON_MAX),
        );
        let date = match input.date {
            Some(d) => errors.take("date", in_years(d)),
            None => Some(self.p.today(org).await?),
        };
        errors.finish()?;
        let date = date.unwrap_or_default();
        let now = self.p.now();
        let a = LeaveAdjustment {
            id: LeaveAdjustmentId::new(),
            organization_id: org,
            employee_id: input.employee_id,
            leave_type_id: input.leave_type_id,
            date,
            days,
            reason,
            created_by: Some(actor.user_id),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.p.tx.begin().await?;
        // Serialised with the person's requests: a check never reads half of a change.
        self.p
            .employees
            .get_for_update(&mut tx, org, input.employee_id)
            .await?;
        self.crud().create_in(actor, tx, a).await
    }
}
