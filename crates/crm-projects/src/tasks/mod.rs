//! Tasks: the work of a project, on a board of status columns, with subtasks (`parent_id`),
//! dependencies (`dependencies.rs`), a milestone and logged time.
//!
//! `:own` is the tasks assigned to the caller (`assignee_ids` holds them): the store narrows
//! lists by it, so `Task` has no single owner and no `Owned` impl.

mod model;
mod service;

pub use service::{Board, BoardColumn, Dependency, DependencyInput, TaskService, new_assignees};

pub use model::{
    DESCRIPTION_MAX, ESTIMATE_MAX_MINUTES, LABEL_MAX_CHARS, MAX_ASSIGNEES, MAX_LABELS,
    TASK_LIST_SPEC, TITLE_MAX, Task, TaskId, TaskInput, TaskPatch, TaskPriority, TaskStatus,
    completed_at, estimate_minutes, is_overdue, labels, position,
};
