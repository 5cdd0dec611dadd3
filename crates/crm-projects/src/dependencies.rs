//! Dependencies between tasks, and what blocks a task.
//!
//! An edge `(task, depends_on)` says `task` waits for `depends_on` (same project, else `422`).
//! Adding one that closes a cycle, at any depth, is `409 dependency-cycle` ([`would_cycle`]:
//! an iterative walk over the project's edges, no depth limit). The walk runs in the
//! transaction that inserts the edge, on the edges [`TaskGraph`] reads after locking the
//! project's row, so two concurrent inserts that would close a cycle together are
//! serialized: the second sees the first's edge and is refused.
//!
//! A task is blocked while a dependency is neither `done` nor `cancelled`; it cannot become
//! `done` while a dependency or a subtask is open (`409 blocked`). Parent links are a graph
//! too: [`would_cycle`] over `(child, parent)` pairs refuses a task becoming its own ancestor.

use crate::projects::ProjectId;
use crate::tasks::{TaskId, TaskStatus};
use async_trait::async_trait;
use crm_domain::{DomainError, OrganizationId, StoreError, Txn};
use std::collections::{HashMap, HashSet};

/// Whether adding the edge `from → to` ("`from` depends on `to`") to `edges` closes a cycle:
/// `from == to`, or `from` is reachable from `to` along the edges, at any depth. Iterative
/// (an explicit stack), so a chain of any length is walked without recursion.
pub fn would_cycle(edges: &[(TaskId, TaskId)], from: TaskId, to: TaskId) -> bool {
    if from == to {
        return true;
    }
    let mut next: HashMap<TaskId, Vec<TaskId>> = HashMap::new();
    for (a, b) in edges {
        next.entry(*a).or_default().push(*b);
    }
    let mut seen: HashSet<TaskId> = HashSet::from([to]);
    let mut stack = vec![to];
    while let Some(t) = stack.pop() {
        for n in next.get(&t).into_iter().flatten() {
            if *n == from {
                return true;
            }
            if seen.insert(*n) {
                stack.push(*n);
            }
        }
    }
    false
}

/// `is_blocked`: a dependency is neither `done` nor `cancelled`.
pub fn is_blocked(dependencies: &[TaskStatus]) -> bool {
    dependencies.iter().any(|s| !s.is_settled())
}

/// Whether a task may become `done`: every dependency and every subtask is settled, else
/// `409 blocked`, saying what is open.
pub fn check_can_complete(
    dependencies: &[TaskStatus],
    subtasks: &[TaskStatus],
) -> Result<(), DomainError> {
    let open_deps = dependencies.iter().filter(|s| !s.is_settled()).count();
    let open_subs = subtasks.iter().filter(|s| !s.is_settled()).count();
    if open_deps == 0 && open_subs == 0 {
        return Ok(());
    }
    Err(DomainError::conflict(
        "blocked",
        format!(
            "the task cannot be done while {open_deps} dependenc{} and {open_subs} subtask(s) are neither done nor cancelled",
            if open_deps == 1 { "y" } else { "ies" }
        ),
    ))
}

/// `409 dependency-cycle`.
pub fn cycle() -> DomainError {
    DomainError::conflict(
        "dependency-cycle",
        "the dependency would close a cycle: the task would wait for itself",
    )
}

/// `409 task-has-subtasks`: a task with subtasks cannot be deleted.
pub fn has_subtasks() -> DomainError {
    DomainError::conflict(
        "task-has-subtasks",
        "the task has subtasks: delete or move them first",
    )
}

/// The dependency graph of a project, as the writing transaction sees it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TaskGraph: Send + Sync {
    /// Every edge `(task, depends_on)` between tasks of `project` in `org`, read in `tx`
    /// after locking the project's row (`SELECT … FOR UPDATE`; SQLite's writer lock does the
    /// same), so that concurrent dependency inserts into one project are serialized.
    /// `Unavailable` when the database cannot be reached.
    async fn dependency_edges(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(TaskId, TaskId)>, StoreError>;
}

/// The checks of `POST /tasks/{id}/dependencies` that need the graph, in the inserting
/// transaction: `409 dependency-exists` for an edge already there, `409 dependency-cycle` for
/// one that closes a cycle (a task depending on itself included).
pub async fn check_new_dependency(
    graph: &dyn TaskGraph,
    tx: &mut Txn,
    org: OrganizationId,
    project: ProjectId,
    task: TaskId,
    depends_on: TaskId,
) -> Result<(), DomainError> {
    if task == depends_on {
        return Err(cycle());
    }
    let edges = graph.dependency_edges(tx, org, project).await?;
    if edges.contains(&(task, depends_on)) {
        return Err(DomainError::conflict(
            "dependency-exists",
            "the task already depends on that task",
        ));
    }
    if would_cycle(&edges, task, depends_on) {
        tracing::debug!(%task, %depends_on, "dependency refused: cycle");
        return Err(cycle());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;
    use crm_domain::kernel::testing::ORG;
    use crm_domain::kernel::uow::FakeTx;
    use proptest::prelude::*;

    fn ids(n: usize) -> Vec<TaskId> {
        (0..n).map(|_| TaskId::new()).collect()
    }

    fn chain(t: &[TaskId]) -> Vec<(TaskId, TaskId)> {
        t.windows(2).map(|w| (w[0], w[1])).collect()
    }

    #[test]
    fn cycles_of_length_1_2_and_6_are_found() {
        let t = ids(6);
        assert!(would_cycle(&[], t[0], t[0]));
        assert!(would_cycle(&[(t[0], t[1])], t[1], t[0]));
        let c = chain(&t);
        assert!(would_cycle(&c, t[5], t[0]));
        assert!(
            !would_cycle(&c, t[0], t[5]),
            "a shortcut along the chain closes nothing"
        );
        assert!(!would_cycle(&c, t[2], t[4]));
        assert!(would_cycle(&c, t[4], t[2]));
    }

    #[test]
    fn a_ten_thousand_long_chain_is_walked_to_the_end() {
        let t = ids(10_000);
        let c = chain(&t);
        assert!(would_cycle(&c, t[9_999], t[0]));
        assert!(!would_cycle(&c, t[0], t[9_999]));
        assert!(!would_cycle(&c, t[9_999], TaskId::new()));
    }

    #[test]
    fn blocked_and_completion_follow_settled_statuses() {
        assert!(!is_blocked(&[]));
        assert!(!is_blocked(&[Done, Cancelled]));
        assert!(is_blocked(&[Done, InReview]));
        assert!(check_can_complete(&[Done], &[Cancelled]).is_ok());
        for (deps, subs) in [
            (vec![Todo], vec![]),
            (vec![], vec![InProgress]),
            (vec![Done], vec![Done, Todo]),
        ] {
            let e = check_can_complete(&deps, &subs).unwrap_err();
            assert!(
                matches!(
                    e,
                    DomainError::Conflict {
                        code: "blocked",
                        ..
                    }
                ),
                "{deps:?} {subs:?}"
            );
        }
    }

    fn tx() -> Txn {
        Box::new(FakeTx {
            committed: Default::default(),
        })
    }

    #[tokio::test]
    async fn the_check_reads_the_projects_edges_in_the_transaction() {
        let t = ids(3);
        let project = ProjectId::new();
        let edges = chain(&t);
        let mut graph = MockTaskGraph::new();
        graph
            .expect_dependency_edges()
            .withf(move |_, o, p| *o == ORG && *p == project)
            .times(3)
            .returning(move |_, _, _| Ok(edges.clone()));
        let mut tx = tx();
        let refused = check_new_dependency(&graph, &mut tx, ORG, project, t[2], t[0]).await;
        assert!(matches!(
            refused,
            Err(DomainError::Conflict {
                code: "dependency-cycle",
                ..
            })
        ));
        let dup = check_new_dependency(&graph, &mut tx, ORG, project, t[0], t[1]).await;
        assert!(matches!(
            dup,
            Err(DomainError::Conflict {
                code: "dependency-exists",
                ..
            })
        ));
        assert!(
            check_new_dependency(&graph, &mut tx, ORG, project, t[0], t[2])
                .await
                .is_ok()
        );
        // A self-dependency needs no graph.
        let own = check_new_dependency(&graph, &mut tx, ORG, project, t[1], t[1]).await;
        assert!(matches!(
            own,
            Err(DomainError::Conflict {
                code: "dependency-cycle",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn a_store_failure_is_passed_on() {
        let mut graph = MockTaskGraph::new();
        graph
            .expect_dependency_edges()
            .returning(|_, _, _| Err(StoreError::Unavailable("down".into())));
        let t = ids(2);
        let r = check_new_dependency(&graph, &mut tx(), ORG, ProjectId::new(), t[0], t[1]).await;
        assert!(matches!(r, Err(DomainError::Unavailable(_))));
    }

    /// Reachability by transitive closure (Floyd–Warshall): `reach[a][b]` when a path leads
    /// from `a` to `b` along one or more edges.
    fn closure(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<bool>> {
        let mut r = vec![vec![false; n]; n];
        for &(a, b) in edges {
            r[a][b] = true;
        }
        for k in 0..n {
            for i in 0..n {
                for j in 0..n {
                    if r[i][k] && r[k][j] {
                        r[i][j] = true;
                    }
                }
            }
        }
        r
    }

    proptest! {
        #[test]
        fn agrees_with_brute_force_reachability(
            n in 1usize..9,
            raw in prop::collection::vec((0usize..9, 0usize..9), 0..30),
            from in 0usize..9,
            to in 0usize..9,
        ) {
            let (from, to) = (from % n, to % n);
            let edges: Vec<(usize, usize)> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            let t = ids(n);
            let typed: Vec<(TaskId, TaskId)> = edges.iter().map(|&(a, b)| (t[a], t[b])).collect();
            let reach = closure(n, &edges);
            prop_assert_eq!(would_cycle(&typed, t[from], t[to]), from == to || reach[to][from]);
        }

        #[test]
        fn edges_let_through_never_form_a_cycle(
            n in 1usize..9,
            attempts in prop::collection::vec((0usize..9, 0usize..9), 0..40),
        ) {
            let t = ids(n);
            let mut kept: Vec<(usize, usize)> = Vec::new();
            let mut typed: Vec<(TaskId, TaskId)> = Vec::new();
            for (a, b) in attempts {
                let (a, b) = (a % n, b % n);
                if !would_cycle(&typed, t[a], t[b]) {
                    kept.push((a, b));
                    typed.push((t[a], t[b]));
                }
            }
            let reach = closure(n, &kept);
            for (i, row) in reach.iter().enumerate() {
                prop_assert!(!row[i], "task {} reaches itself", i);
            }
        }
    }
}
