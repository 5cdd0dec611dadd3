//! The projects module: projects and members, tasks on a board with subtasks and
//! dependencies, milestones, time entries — entities, rules and ports.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree.

pub mod board;
pub mod dependencies;
pub mod milestones;
pub mod progress;
pub mod projects;
pub mod tasks;
pub mod time;
