//! Employees (contract section 8): the people of the organization, each optionally linked to
//! one user, numbered `EMP-NNNN` from the organization's counter, with a manager chain that
//! never loops and a termination.
//!
//! Rules, including the points the contract leaves open:
//! - `employee_number` is taken from the kernel counter (kind `employee`) in the creating
//!   transaction: gap-free and never reused, at least four digits (`EMP-0001`, `EMP-12345`);
//! - `user_id` is a user of the organization, linked to at most one employee (`409
//!   employee-user-taken`, a unique key);
//! - `manager_id` is another employee of the organization; a change that would put the
//!   employee above itself (directly or at any depth) is `422 manager_id` / `cycle`, checked on
//!   the manager chain read and locked in the writing transaction;
//! - `status` is `active` until `POST /employees/{id}/terminate {date, reason}` (a date on or
//!   after `hire_date`; `409 employee-terminated` the second time); it is never written by
//!   `PATCH`;
//! - `work_schedule_id` defaults to the organization's default schedule (created on first
//!   need);
//! - personal data (`date_of_birth`, `address`, `emergency_contact`) is answered only to
//!   holders of `employees:read` over all records and to the person themselves (the linked
//!   user); anyone else reading an employee (a recruiter after a hire) gets `null` there;
//! - `employees:read:own` is the caller's own record (`user_id` = the caller);
//! - an employee who still has direct reports cannot be deleted (`409 employee-has-reports`);
//!   one referred to by other HR records neither (`409 employee-in-use`): terminate instead.

mod model;
mod service;

pub use model::{
    ADDRESS_MAX, EMPLOYEE_LIST_SPEC, EmergencyContact, Employee, EmployeeId, EmployeeInput,
    EmployeePatch, EmployeeStatus, EmploymentType, NAME_MAX, NewEmployee, Termination,
    check_manager_chain, employee_number,
};
pub use service::{COUNTER as NUMBER_COUNTER, EmployeeService, PreparedEmployee};
