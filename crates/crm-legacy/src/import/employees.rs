//! The tenant's users that are employees (role `employee`, or an `EMP#` `employeeId`) →
//! employees linked to their imported user, numbered in this server's `EMP-NNNN` series of
//! the organization (the old global `EMP#` numbers may repeat), on the organization's default
//! work schedule. `joiningDate` is the hire date (else the row's creation date); a past
//! `leaveDate` terminates them. Their `legacy_id` is their `Users` id. The `department` and
//! `designation` columns (an old id, or a name) are found among the tenant's imported
//! departments and designations; one not found is reported and left empty.

use super::TIME_ZONE;
use super::projects::clip;
use super::{Ctx, ImportError, read, target_err, upsert};
use crate::report::Step;
use crate::rules::{self, RoleKind};
use crate::source::{Row, Source};
use crm_db::legacy::{LegacyTable, next_number, user_has_employee};
use crm_domain::OrganizationId;
use crm_domain::identity::EmailAddress;
use crm_hr::employees::{
    ADDRESS_MAX, Employee, EmployeeId, EmployeeStatus, EmploymentType, NAME_MAX, NUMBER_COUNTER,
    employee_number,
};
use crm_hr::ports::ScheduleStore;
use crm_hr::work_schedules::{WorkSchedule, WorkScheduleId};
use std::collections::HashMap;

pub(crate) const EMPLOYEES: Step = Step {
    source: "Users",
    target: "employees",
};

const COLUMNS: &[&str] = &[
    "id",
    "employeeId",
    "username",
    "email",
    "phone",
    "firstName",
    "lastName",
    "address",
    "department",
    "designation",
    "joiningDate",
    "leaveDate",
    "createdAt",
    "updatedAt",
];

/// Whether a `Users` row is an employee: its role is named `employee`, or it carries an
/// `EMP#` number; never a platform super-admin nor a customer's portal login.
pub(crate) fn is_employee(kind: Option<&(RoleKind, String)>, employee_id: Option<&str>) -> bool {
    match kind {
        Some((RoleKind::SuperAdmin | RoleKind::SubClient, _)) => false,
        Some((_, name)) if name.trim().eq_ignore_ascii_case("employee") => true,
        _ => employee_id.is_some(),
    }
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = read(source, &mut ctx.report, "Users", COLUMNS)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    let kinds = ctx
        .source_users
        .as_ref()
        .map(|u| u.kinds.clone())
        .unwrap_or_default();
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| is_employee(kinds.get(r.id()), r.get("employeeId")))
        .collect();
    ctx.report.step(EMPLOYEES);
    ctx.progress.start(EMPLOYEES, rows.len() as u64);
    let mut schedules: HashMap<OrganizationId, WorkScheduleId> = HashMap::new();
    for row in rows {
        one(ctx, row, &mut schedules).await?;
    }
    ctx.progress.finish();
    Ok(())
}

/// The organization's default work schedule, created in the run's transaction when the
/// organization has none yet (as the HR services do on first need).
async fn schedule(
    ctx: &mut Ctx<'_>,
    schedules: &mut HashMap<OrganizationId, WorkScheduleId>,
    org: OrganizationId,
) -> Result<WorkScheduleId, ImportError> {
    if let Some(s) = schedules.get(&org) {
        return Ok(*s);
    }
    let zone = crm_hr::schedule::time_zone(TIME_ZONE).map_err(|e| ImportError::Target {
        what: "the default time zone".into(),
        error: crm_domain::StoreError::Unexpected(e.to_string()),
    })?;
    let candidate = WorkSchedule::standard(org, zone, ctx.now);
    let (s, _) = ctx
        .target
        .schedules
        .ensure_default(&mut ctx.tx, org, &candidate)
        .await
        .map_err(target_err("the default work schedule"))?;
    schedules.insert(org, s.id);
    Ok(s.id)
}

async fn one(
    ctx: &mut Ctx<'_>,
    row: &Row,
    schedules: &mut HashMap<OrganizationId, WorkScheduleId>,
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some(&(org, user)) = ctx.users.get(&legacy) else {
        ctx.skip(
            EMPLOYEES,
            &legacy,
            "the user was not imported (see its Users line): no employee without a user",
        );
        return Ok(());
    };
    let known = ctx.known(LegacyTable::Employees, org, &legacy).is_some();
    if !known
        && user_has_employee(&mut ctx.tx, org, user)
            .await
            .map_err(target_err("an employee lookup"))?
    {
        ctx.skip(
            EMPLOYEES,
            &legacy,
            "the user already has an employee record here",
        );
        return Ok(());
    }
    let first_name = clip(
        row.get("firstName")
            .or(row.get("username"))
            .unwrap_or(&legacy),
        NAME_MAX,
    );
    let last_name = match row.get("lastName") {
        Some(l) => clip(l, NAME_MAX),
        None => {
            ctx.report.note(
                EMPLOYEES.source,
                &legacy,
                "no lastName: the username is the last name",
            );
            clip(row.get("username").unwrap_or(&legacy), NAME_MAX)
        }
    };
    let department_id = ctx
        .departments
        .resolve(
            &mut ctx.report,
            EMPLOYEES.source,
            &legacy,
            "department",
            org,
            row.get("department"),
        )
        .map(crm_domain::identity::DepartmentId);
    let designation_id = ctx
        .designations
        .resolve(
            &mut ctx.report,
            EMPLOYEES.source,
            &legacy,
            "designation",
            org,
            row.get("designation"),
        )
        .map(crm_domain::identity::DesignationId);
    let email = row.get("email").and_then(|e| EmailAddress::parse(e).ok());
    let phone = row.get("phone").map(|p| clip(p, 50));
    let address = row.get("address").map(|a| clip(a, ADDRESS_MAX));
    let (created, updated) = ctx.stamps(row);
    let hire_date = row
        .get("joiningDate")
        .and_then(rules::source_date)
        .or_else(|| row.get("createdAt").and_then(rules::source_date))
        .unwrap_or(created.date_naive());
    let leave = row
        .get("leaveDate")
        .and_then(rules::source_date)
        .filter(|d| *d <= ctx.now.date_naive());
    let termination_date = match leave {
        Some(d) if d < hire_date => {
            ctx.report.note(
                EMPLOYEES.source,
                &legacy,
                format!("leaveDate {d} is before the hire date {hire_date}: left active"),
            );
            None
        }
        other => other,
    };
    let status = if termination_date.is_some() {
        EmployeeStatus::Terminated
    } else {
        EmployeeStatus::Active
    };
    let (number, work_schedule_id) = if known {
        (String::new(), WorkScheduleId(uuid::Uuid::nil()))
    } else {
        let n = next_number(&mut ctx.tx, &ctx.target.counters, org, NUMBER_COUNTER, 0)
            .await
            .map_err(target_err("the employee number"))?;
        (employee_number(n), schedule(ctx, schedules, org).await?)
    };
    let build = |stored: Option<&Employee>| match stored {
        Some(s) => Employee {
            first_name: first_name.clone(),
            last_name: last_name.clone(),
            email: email.clone(),
            phone: phone.clone(),
            hire_date,
            address: address.clone(),
            department_id: department_id.or(s.department_id),
            designation_id: designation_id.or(s.designation_id),
            // A termination made here stays.
            status: if s.status == EmployeeStatus::Terminated {
                s.status
            } else {
                status
            },
            termination_date: s.termination_date.or(termination_date),
            updated_at: updated,
            ..s.clone()
        },
        None => Employee {
            id: EmployeeId::new(),
            organization_id: org,
            user_id: Some(user),
            employee_number: number.clone(),
            first_name: first_name.clone(),
            last_name: last_name.clone(),
            email: email.clone(),
            phone: phone.clone(),
            department_id,
            designation_id,
            manager_id: None,
            hire_date,
            employment_type: EmploymentType::FullTime,
            status,
            work_schedule_id,
            date_of_birth: None,
            address: address.clone(),
            emergency_contact: None,
            termination_date,
            termination_reason: None,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        },
    };
    let records = ctx.target.employees.clone();
    upsert(
        ctx,
        &records,
        LegacyTable::Employees,
        EMPLOYEES,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employees_are_the_employee_role_or_an_emp_number() {
        let k = |kind, name: &str| Some((kind, name.to_string()));
        assert!(is_employee(k(RoleKind::Member, "Employee").as_ref(), None));
        assert!(!is_employee(k(RoleKind::Member, "Sales").as_ref(), None));
        assert!(is_employee(
            k(RoleKind::Member, "Sales").as_ref(),
            Some("EMP#3")
        ));
        assert!(!is_employee(
            k(RoleKind::SubClient, "sub-client").as_ref(),
            Some("EMP#4")
        ));
        assert!(is_employee(None, Some("EMP#5")));
    }
}
