//! Who may decide a person's leave and expenses (contract section 8): the user of their
//! manager, whatever that user's roles, or a holder of the resource's `approve` permission;
//! never the person themselves, nor whoever filed the request for them.

use crate::employees::Employee;
use crm_domain::{Actor, DomainError, UserId};

/// `Ok` when `actor` may decide a request of `subject` filed by `filed_by`, given the user of
/// `subject`'s manager and whether `actor` holds the `approve` permission; `403` otherwise
/// (`self-approval` for the person or the filer, `not-approver` for anyone else).
pub fn check_approver(
    actor: &Actor,
    subject: &Employee,
    filed_by: UserId,
    manager_user: Option<UserId>,
    approve: bool,
) -> Result<(), DomainError> {
    if subject.is_user(actor.user_id) || filed_by == actor.user_id {
        return Err(DomainError::Forbidden {
            code: "self-approval",
            message: "a request is decided by someone else than its person and its filer".into(),
        });
    }
    if approve || manager_user == Some(actor.user_id) {
        Ok(())
    } else {
        Err(DomainError::Forbidden {
            code: "not-approver",
            message: "only the person's manager or a holder of the approve permission decides"
                .into(),
        })
    }
}

/// Whether `actor` is an approver of `subject` by the rule of [`check_approver`], for lists
/// of requests waiting for the caller.
pub fn is_approver(
    actor: &Actor,
    subject: &Employee,
    filed_by: UserId,
    manager_user: Option<UserId>,
    approve: bool,
) -> bool {
    check_approver(actor, subject, filed_by, manager_user, approve).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::employees::{EmployeeId, EmployeeStatus, EmploymentType};
    use crate::work_schedules::WorkScheduleId;
    use chrono::{NaiveDate, Utc};
    use crm_domain::OrganizationId;

    fn person(org: OrganizationId, user: Option<UserId>) -> Employee {
        Employee {
            id: EmployeeId::new(),
            organization_id: org,
            user_id: user,
            employee_number: "EMP-0001".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            email: None,
            phone: None,
            department_id: None,
            designation_id: None,
            manager_id: None,
            hire_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            employment_type: EmploymentType::FullTime,
            status: EmployeeStatus::Active,
            work_schedule_id: WorkScheduleId::new(),
            date_of_birth: None,
            address: None,
            emergency_contact: None,
            termination_date: None,
            termination_reason: None,
            legacy_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    fn code(r: Result<(), DomainError>) -> &'static str {
        match r {
            Ok(()) => "ok",
            Err(DomainError::Forbidden { code, .. }) => code,
            Err(_) => "other",
        }
    }

    #[test]
    fn the_managers_user_decides_whatever_their_roles() {
        let org = OrganizationId::new();
        let (me, boss, hr) = (UserId::new(), UserId::new(), UserId::new());
        let subject = person(org, Some(me));
        let boss_actor = Actor::new(boss, org, Vec::<String>::new());
        assert_eq!(
            code(check_approver(&boss_actor, &subject, me, Some(boss), false)),
            "ok"
        );
        let hr_actor = Actor::new(hr, org, vec!["leave_requests:approve".to_string()]);
        assert_eq!(
            code(check_approver(&hr_actor, &subject, me, Some(boss), true)),
            "ok"
        );
        let stranger = Actor::new(UserId::new(), org, Vec::<String>::new());
        assert_eq!(
            code(check_approver(&stranger, &subject, me, Some(boss), false)),
            "not-approver"
        );
    }

    #[test]
    fn never_the_person_nor_the_filer_even_with_the_permission() {
        let org = OrganizationId::new();
        let (me, filer) = (UserId::new(), UserId::new());
        let subject = person(org, Some(me));
        let myself = Actor::new(me, org, vec!["leave_requests:approve".to_string()]);
        assert_eq!(
            code(check_approver(&myself, &subject, filer, Some(me), true)),
            "self-approval"
        );
        let filer_actor = Actor::new(filer, org, vec!["leave_requests:approve".to_string()]);
        assert_eq!(
            code(check_approver(
                &filer_actor,
                &subject,
                filer,
                Some(filer),
                true
            )),
            "self-approval"
        );
    }
}
