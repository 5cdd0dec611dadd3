//! The projects module (contract section 7): projects and members, tasks on a board with
//! subtasks and dependencies, milestones, time entries and the lines of project invoicing —
//! entities and rules, with the one port the rules need ([`dependencies::TaskGraph`]).
//! Services, adapters (crm-db), routes (crm-api) and migrations come in the next steps.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree
//! (`scripts/check-architecture.sh`). It depends on `crm-domain` only, not on `crm-sales` or
//! `crm-finance`: a project's deal and a time entry's invoice are plain ids here.
//!
//! Rules and where they are enforced:
//! - tenancy: every repository method takes the organization of the caller's token; another
//!   organization's record is `NotFound` → `404`;
//! - permissions ([`requirements`]): `projects`, `tasks`, `milestones`, `time_entries`
//!   `:read|write|delete`; `projects:*:own` is the projects the caller manages (`owner_id`)
//!   or is a member of, `tasks:*:own` the tasks assigned to the caller, `time_entries:*:own`
//!   the caller's own time (another person's time needs the all-records scope) — narrowed
//!   by the store in every list, board and report query; milestones have no `:own` form;
//! - a `completed` or `cancelled` project takes no new tasks or time
//!   ([`projects::accepts_work`], `409 project-closed`), checked on the project row read in
//!   the writing transaction;
//! - computed, never sent: a project's `progress` ([`progress`]: done tasks or done estimate
//!   minutes over the not-cancelled ones, rounded down), `tasks_total`, `tasks_done`,
//!   `is_overdue`; a task's `is_overdue`, `logged_minutes`, `completed_at`, `is_blocked`; a
//!   milestone's `status` and `progress` ([`milestones`]); inputs refuse them (`deny_unknown_fields`);
//! - dates: `due_date` is never before `start_date` ([`projects::check_dates`], `422
//!   due_date`), checked on the record as it will be stored;
//! - dependencies ([`dependencies`]): same project (`422`); a cycle at any depth `409
//!   dependency-cycle`, found by an iterative walk of the project's edges read in the
//!   inserting transaction after locking the project row, so two concurrent inserts cannot
//!   close a cycle together; `done` needs every dependency and subtask settled (`409
//!   blocked`); a task with subtasks cannot be deleted (`409 task-has-subtasks`);
//! - the board ([`board`]): a gapped integer `rank` per task, the midpoint between the new
//!   neighbours on a move, a renumbering of the target column only when no integer is left
//!   between them, inside the move's transaction; moves take `If-Match`;
//! - time ([`time`]): minutes 1..=1440 and at most 1440 per person and day (`422 minutes`),
//!   timers rounded up to whole minutes, one running timer per person (`409`), `bill_rate`
//!   snapshot of the project's hourly rate, invoiced entries frozen (`409
//!   time-entry-invoiced`); invoice lines per task and rate, hours with 3 decimals.

pub mod board;
pub mod dependencies;
pub mod milestones;
pub mod ports;
pub mod progress;
pub mod projects;
pub mod tasks;
pub mod time;

/// The services of the projects module.
#[derive(Clone)]
pub struct ProjectServices {
    pub projects: projects::ProjectService,
    pub tasks: tasks::TaskService,
    pub milestones: milestones::MilestoneService,
}

impl ProjectServices {
    pub fn new(ports: ports::ProjectPorts) -> Self {
        Self {
            projects: projects::ProjectService::new(ports.clone()),
            tasks: tasks::TaskService::new(ports.clone()),
            milestones: milestones::MilestoneService::new(ports),
        }
    }
}

/// The permissions of the projects routes and services, as types, with the module's event
/// types.
pub mod requirements {
    crm_domain::requirements! {
        ProjectsRead = "projects":"read";
        ProjectsWrite = "projects":"write";
        ProjectsDelete = "projects":"delete";
        TasksRead = "tasks":"read";
        TasksWrite = "tasks":"write";
        TasksDelete = "tasks":"delete";
        MilestonesRead = "milestones":"read";
        MilestonesWrite = "milestones":"write";
        MilestonesDelete = "milestones":"delete";
        TimeEntriesRead = "time_entries":"read";
        TimeEntriesWrite = "time_entries":"write";
        TimeEntriesDelete = "time_entries":"delete";
    }

    crm_domain::event_types! {
        "project.created" => "A project was created",
        "project.updated" => "A project was changed",
        "project.deleted" => "A project was deleted",
        "project.member_added" => "A user became a member of a project",
        "project.member_updated" => "A project member's role was changed",
        "project.member_removed" => "A user stopped being a member of a project",
        "task.created" => "A task was created",
        "task.updated" => "A task was changed (moves on the board included)",
        "task.deleted" => "A task was deleted",
        "task.assigned" => "A task was assigned to new assignees",
        "task.completed" => "A task became done",
        "task.overdue" => "An open task passed its due date (once per task and due date)",
        "task.dependency_added" => "A task started depending on another task",
        "task.dependency_removed" => "A task stopped depending on another task",
        "milestone.created" => "A milestone was created",
        "milestone.updated" => "A milestone was changed",
        "milestone.deleted" => "A milestone was deleted",
        "milestone.reached" => "A milestone was reached: every linked task was done or cancelled",
        "time_entry.created" => "Time was logged, or a timer started",
        "time_entry.updated" => "A time entry was changed, or its timer stopped",
        "time_entry.deleted" => "A time entry was deleted",
    }

    // `task.assigned` goes to the assignees a change added (the service names them in the
    // entry: a rule sees only the entry).
    crm_domain::notification_types! {
        "task.assigned" => "A task was assigned to you": custom(crate::tasks::new_assignees);
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn event_types_are_unique_and_of_this_module() {
            let mut seen = std::collections::HashSet::new();
            for e in super::EVENT_TYPES {
                assert!(seen.insert(e.r#type), "{} twice", e.r#type);
                let entity = e.r#type.split('.').next().unwrap_or_default();
                assert!(
                    ["project", "task", "milestone", "time_entry"].contains(&entity),
                    "{}",
                    e.r#type
                );
            }
        }
    }
}
