//! Projects and their members. A project has a manager (`owner_id`) and members with a role;
//! `:own` is the projects the caller manages or is a member of (the store narrows by
//! membership, so `Project` has no single owner and no `Owned` impl).
//!
//! `progress`, `tasks_total`, `tasks_done` and `is_overdue` are computed from the tasks
//! (`crate::progress`), never sent. A `completed` or `cancelled` project takes no new tasks
//! or time ([`accepts_work`], `409 project-closed`).

mod model;
mod service;

pub use service::{ProjectService, computed};

pub use model::{
    Billing, CODE_MAX, DESCRIPTION_MAX, MAX_MINUTES_BUDGET, Member, MemberInput, MemberPatch,
    MemberRole, NAME_MAX, PROJECT_LIST_SPEC, ProgressMethod, Project, ProjectId, ProjectInput,
    ProjectPatch, ProjectStatus, accepts_work, budget_minutes, check_dates, closed, code,
    is_overdue,
};
