//! Human resources: `/employees`, `/work-schedules`, `/holidays`, then leave, attendance,
//! training and recruitment: the module's routes and their OpenAPI operations. The HR
//! domain types are the response bodies.

mod employees;
mod holidays;
mod work_schedules;

use crate::access::Routes;

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    // people
    r.get("/employees", employees::list_employees)
        .post("/employees", employees::create_employee)
        .get("/employees/{id}", employees::get_employee)
        .patch("/employees/{id}", employees::update_employee)
        .delete("/employees/{id}", employees::delete_employee)
        .post("/employees/{id}/terminate", employees::terminate_employee)
        .get("/employees/{id}/reports", employees::employee_reports)
        .get("/work-schedules", work_schedules::list_work_schedules)
        .post("/work-schedules", work_schedules::create_work_schedule)
        .get("/work-schedules/{id}", work_schedules::get_work_schedule)
        .patch("/work-schedules/{id}", work_schedules::update_work_schedule)
        .delete("/work-schedules/{id}", work_schedules::delete_work_schedule)
        .get("/holidays", holidays::list_holidays)
        .post("/holidays", holidays::create_holiday)
        .get("/holidays/{id}", holidays::get_holiday)
        .patch("/holidays/{id}", holidays::update_holiday)
        .delete("/holidays/{id}", holidays::delete_holiday)
}

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    // people
    employees::list_employees,
    employees::create_employee,
    employees::get_employee,
    employees::update_employee,
    employees::delete_employee,
    employees::terminate_employee,
    employees::employee_reports,
    work_schedules::list_work_schedules,
    work_schedules::create_work_schedule,
    work_schedules::get_work_schedule,
    work_schedules::update_work_schedule,
    work_schedules::delete_work_schedule,
    holidays::list_holidays,
    holidays::create_holiday,
    holidays::get_holiday,
    holidays::update_holiday,
    holidays::delete_holiday,
))]
pub struct Api;
