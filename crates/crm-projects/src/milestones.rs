//! Milestones: a due date a set of tasks works towards. `status` and `progress` are computed
//! from the linked tasks; a milestone is reached (`POST /milestones/{id}/reach`) only when
//! every linked task is settled, else `409 milestone-open`. The entity itself comes with
//! the milestones service; this module holds its id and rules.

use crate::tasks::TaskStatus;
use crm_domain::DomainError;

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
