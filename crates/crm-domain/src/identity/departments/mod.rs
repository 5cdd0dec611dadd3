//! Departments: the organization chart, a tree without cycles.

mod model;
mod ports;
mod service;

pub use model::{
    DEPARTMENT_LIST_SPEC, Department, DepartmentInput, DepartmentPatch,
    NAME_MAX as DEPARTMENT_NAME_MAX,
};
pub use ports::*;
pub use service::DepartmentService;
