//! Designations: job titles, optionally tied to a department, with a seniority level.

mod model;
mod service;

pub use model::{
    DESIGNATION_LIST_SPEC, Designation, DesignationInput, DesignationPatch, MAX_LEVEL,
    TITLE_MAX as DESIGNATION_TITLE_MAX,
};
pub use service::DesignationService;
