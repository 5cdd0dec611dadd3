//! The person an HR row of the old server names by `Users` id (`Leaves.employeeId`,
//! `Attendances.employee`): the employee imported from that user, its row locked in the run's
//! transaction (as the HR services lock it before they read and write a person's leave and
//! punches), with the rules of their work schedule.

use super::{Ctx, ImportError, target_err};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_domain::kernel::records::Records;
use crm_hr::employees::EmployeeId;
use crm_hr::schedule::Schedule;

pub(crate) struct Person {
    pub org: OrganizationId,
    pub user: crm_domain::UserId,
    pub employee: EmployeeId,
    pub schedule: Schedule,
}

/// The person `column` names, or why the row cannot be theirs (the report's reason).
pub(crate) async fn person(
    ctx: &mut Ctx<'_>,
    column: &str,
    raw: Option<&str>,
) -> Result<Result<Person, String>, ImportError> {
    let Some(legacy_user) = raw else {
        return Ok(Err(format!("no {column}: the row names no person")));
    };
    let Some(&(org, user)) = ctx.users.get(legacy_user) else {
        return Ok(Err(format!(
            "{column} {legacy_user} names no imported user"
        )));
    };
    let Some(id) = ctx.known(LegacyTable::Employees, org, legacy_user) else {
        return Ok(Err(format!(
            "the user {legacy_user} is not an employee here (see its Users line)"
        )));
    };
    let employee = ctx
        .target
        .employees
        .get_for_update(&mut ctx.tx, org, EmployeeId(id))
        .await
        .map_err(target_err(format!("the employee of user {legacy_user}")))?;
    let schedule = match ctx.schedules.get(&employee.work_schedule_id) {
        Some(s) => s.clone(),
        None => {
            let s = ctx
                .target
                .schedules
                .get_for_update(&mut ctx.tx, org, employee.work_schedule_id)
                .await
                .map_err(target_err(format!(
                    "the work schedule of user {legacy_user}"
                )))?
                .schedule();
            ctx.schedules.insert(employee.work_schedule_id, s.clone());
            s
        }
    };
    Ok(Ok(Person {
        org,
        user,
        employee: employee.id,
        schedule,
    }))
}
