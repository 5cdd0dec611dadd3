//! Applications: a candidate's application to a job posting, moved through the pipeline
//! stages with a history of every move, and hired into an employee in one transaction.

mod model;
mod service;

pub use model::*;
pub use service::ApplicationService;
