//! Interviews of an application: a time, a mode, interviewers who may not be booked in two
//! scheduled interviews at once, a notification to each, and their feedback (once each).

mod model;
mod service;

pub use model::*;
pub use service::{InterviewService, scheduled_for};
