//! Milestones: a due date a set of tasks works towards. `status` and `progress` are computed
//! from the linked tasks; a milestone is reached (`POST /milestones/{id}/reach`) only when
//! every linked task is settled, else `409 milestone-open`.

mod model;
mod service;

pub use model::*;
pub use service::MilestoneService;
