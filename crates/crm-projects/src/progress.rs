//! A project's `progress`, computed from its tasks, never typed (contract section 7): an
//! integer 0–100 rounded down —
//! - `tasks`: done tasks over all not-cancelled tasks;
//! - `estimates`: estimate minutes of done tasks over the estimate minutes of not-cancelled
//!   tasks (a task without an estimate counts 0);
//!
//! and 0 when the denominator is 0. Subtasks are tasks of the project and count like any
//! other.

use crate::projects::ProgressMethod;
use crate::tasks::TaskStatus;

/// The task counts a project shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tasks that are not `cancelled`.
    pub total: i64,
    /// `done` tasks.
    pub done: i64,
}

/// `progress` by `method` and the counts, from tasks grouped by status: `(status, count,
/// estimate minutes of those tasks)` per group (a group of one task is one task). The one
/// place the rule is written; the store's per-status totals and a list of tasks both go
/// through it.
pub fn of_groups(
    method: ProgressMethod,
    groups: impl IntoIterator<Item = (TaskStatus, i64, i64)>,
) -> (u8, Counts) {
    let mut counts = Counts::default();
    let (mut done, mut all) = (0i128, 0i128);
    for (status, n, estimate) in groups {
        if status == TaskStatus::Cancelled {
            continue;
        }
        counts.total += n;
        let weight = match method {
            ProgressMethod::Tasks => i128::from(n),
            // Estimates are 0 or more when stored; a negative one weighs nothing.
            ProgressMethod::Estimates => i128::from(estimate.max(0)),
        };
        all += weight;
        if status == TaskStatus::Done {
            counts.done += n;
            done += weight;
        }
    }
    // done ≤ all, so the quotient is 0..=100.
    let progress = if all == 0 {
        0
    } else {
        u8::try_from(done * 100 / all).unwrap_or(100)
    };
    (progress, counts)
}

fn one_each(tasks: &[(TaskStatus, Option<i64>)]) -> impl Iterator<Item = (TaskStatus, i64, i64)> {
    tasks.iter().map(|(s, e)| (*s, 1, e.unwrap_or(0)))
}

/// `tasks_total` (not cancelled) and `tasks_done`.
pub fn counts(tasks: &[(TaskStatus, Option<i64>)]) -> Counts {
    of_groups(ProgressMethod::Tasks, one_each(tasks)).1
}

/// `progress` by `method` over the project's tasks (status and estimate minutes of each).
pub fn progress(method: ProgressMethod, tasks: &[(TaskStatus, Option<i64>)]) -> u8 {
    of_groups(method, one_each(tasks)).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProgressMethod::{Estimates, Tasks};
    use TaskStatus::*;
    use proptest::prelude::*;

    #[test]
    fn contract_examples() {
        assert_eq!(progress(Tasks, &[]), 0);
        assert_eq!(progress(Estimates, &[]), 0);
        assert_eq!(progress(Tasks, &[(Cancelled, None)]), 0);
        // 1 of 3 not-cancelled tasks: 33.33 → 33.
        let t = [
            (Done, Some(60)),
            (Todo, Some(60)),
            (InReview, Some(60)),
            (Cancelled, Some(600)),
        ];
        assert_eq!(progress(Tasks, &t), 33);
        // 2 of 3 → 66.67 → 66: rounded down, never up.
        let t = [(Done, None), (Done, None), (Todo, None)];
        assert_eq!(progress(Tasks, &t), 66);
        // estimates: 90 of 120 minutes; the cancelled task's 600 minutes do not count.
        let t = [
            (Done, Some(90)),
            (InProgress, Some(30)),
            (Cancelled, Some(600)),
        ];
        assert_eq!(progress(Estimates, &t), 75);
        // no estimates at all: 0, however many tasks are done.
        assert_eq!(progress(Estimates, &[(Done, None), (Todo, Some(0))]), 0);
        // a done task without an estimate weighs nothing.
        assert_eq!(progress(Estimates, &[(Done, None), (Todo, Some(10))]), 0);
        assert_eq!(progress(Tasks, &[(Done, None), (Done, None)]), 100);
    }

    #[test]
    fn counts_leave_cancelled_tasks_out_of_the_total() {
        let t = [
            (Done, None),
            (Todo, None),
            (Cancelled, None),
            (Done, Some(5)),
        ];
        assert_eq!(counts(&t), Counts { total: 3, done: 2 });
    }

    fn status() -> impl Strategy<Value = TaskStatus> {
        prop::sample::select(TaskStatus::ALL.to_vec())
    }

    fn tasks() -> impl Strategy<Value = Vec<(TaskStatus, Option<i64>)>> {
        prop::collection::vec((status(), prop::option::of(0i64..=1_000_000)), 0..40)
    }

    fn method() -> impl Strategy<Value = ProgressMethod> {
        prop::sample::select(ProgressMethod::ALL.to_vec())
    }

    /// The rule as the contract words it, in plain integer arithmetic.
    fn model(method: ProgressMethod, tasks: &[(TaskStatus, Option<i64>)]) -> u8 {
        let w = |e: &Option<i64>| match method {
            Tasks => 1u64,
            Estimates => e.unwrap_or(0) as u64,
        };
        let all: u64 = tasks
            .iter()
            .filter(|(s, _)| *s != Cancelled)
            .map(|(_, e)| w(e))
            .sum();
        let done: u64 = tasks
            .iter()
            .filter(|(s, _)| *s == Done)
            .map(|(_, e)| w(e))
            .sum();
        (done * 100).checked_div(all).unwrap_or(0) as u8
    }

    proptest! {
        #[test]
        fn equals_the_contract_rule_and_stays_in_0_to_100(m in method(), t in tasks()) {
            let p = progress(m, &t);
            prop_assert!(p <= 100);
            prop_assert_eq!(p, model(m, &t));
        }

        #[test]
        fn never_falls_when_a_task_becomes_done(m in method(), t in tasks(), i in any::<prop::sample::Index>()) {
            prop_assume!(!t.is_empty());
            let i = i.index(t.len());
            prop_assume!(t[i].0 != Done && t[i].0 != Cancelled);
            let mut after = t.clone();
            after[i].0 = Done;
            prop_assert!(progress(m, &after) >= progress(m, &t));
        }

        #[test]
        fn cancelled_tasks_change_nothing(m in method(), t in tasks(), extra in prop::collection::vec(prop::option::of(0i64..=1_000_000), 0..10)) {
            let mut more = t.clone();
            more.extend(extra.into_iter().map(|e| (Cancelled, e)));
            prop_assert_eq!(progress(m, &more), progress(m, &t));
        }

        #[test]
        fn order_does_not_matter(m in method(), t in tasks()) {
            let mut rev = t.clone();
            rev.reverse();
            prop_assert_eq!(progress(m, &rev), progress(m, &t));
        }

        #[test]
        fn all_done_is_100_and_none_done_is_0(m in method(), t in tasks()) {
            let all_done: Vec<_> = t.iter().map(|(s, e)| (if *s == Cancelled { Cancelled } else { Done }, *e)).collect();
            let expected = if model(m, &all_done) == 0 { 0 } else { 100 };
            prop_assert_eq!(progress(m, &all_done), expected);
            let none_done: Vec<_> = t.iter().map(|(s, e)| (if *s == Done { Todo } else { *s }, *e)).collect();
            prop_assert_eq!(progress(m, &none_done), 0);
        }
    }
}
