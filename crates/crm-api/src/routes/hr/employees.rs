//! `/employees`, `POST /employees/{id}/terminate`, `GET /employees/{id}/reports`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{EmployeesDelete, EmployeesRead, EmployeesWrite};
use actix_web::{HttpResponse, web};
use crm_hr::employees::{
    EMPLOYEE_LIST_SPEC, Employee, EmployeeId, EmployeeInput, EmployeePatch, Termination,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /employees` and `GET /employees/{id}/reports`.
    Employees = crm_hr::employees::EMPLOYEE_LIST_SPEC, search = "names, number, email and phone";
}

handlers! { service: hr.employees, id: EmployeeId, location: "/api/v1/employees";
    /// Under `employees:read:own`, only the caller's own record.
    #[utoipa::path(get, path = "/employees", tag = "employees",
        params(Employees),
        responses((status = 200, description = "One page", body = PageDto<Employee>)))]
    list list_employees(EmployeesRead, EMPLOYEE_LIST_SPEC);

    /// Numbered `EMP-NNNN`; `work_schedule_id` defaults to the organization's default
    /// schedule. 409 `employee-user-taken` when the user already has an employee record.
    #[utoipa::path(post, path = "/employees", tag = "employees", request_body = EmployeeInput,
        responses((status = 201, description = "Created, active", body = Employee)))]
    create create_employee(EmployeesWrite, EmployeeInput);

    /// Personal data (`date_of_birth`, `address`, `emergency_contact`) only for the person
    /// and holders of `employees:read` over all records.
    #[utoipa::path(get, path = "/employees/{id}", tag = "employees", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The employee (with ETag)", body = Employee)))]
    get get_employee(EmployeesRead);

    /// A manager chain that would loop back is 422 `manager_id` / `cycle`.
    #[utoipa::path(patch, path = "/employees/{id}", tag = "employees",
        request_body = EmployeePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated employee", body = Employee)))]
    update update_employee(EmployeesWrite, EmployeePatch);

    /// 409 `employee-has-reports` while others report to them, `employee-in-use` while
    /// other records refer to them (terminate instead).
    #[utoipa::path(delete, path = "/employees/{id}", tag = "employees", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_employee(EmployeesDelete);
}

/// `active → terminated` on `date` (not before the hire date); 409 `employee-terminated`
/// the second time.
#[utoipa::path(post, path = "/employees/{id}/terminate", tag = "employees",
    request_body = Termination,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The terminated employee", body = Employee)))]
pub async fn terminate_employee(
    auth: Auth<EmployeesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<Termination>,
) -> Result<HttpResponse, ApiError> {
    let input = body.parse()?;
    let e = state
        .hr
        .employees
        .terminate(&auth.actor, EmployeeId(*id), if_match.0, input)
        .await?;
    Ok(ok_etag(e.version, &e))
}

/// The employee's direct reports (the list's filters and sort apply).
#[utoipa::path(get, path = "/employees/{id}/reports", tag = "employees",
    params(("id" = Uuid, Path), Employees),
    responses((status = 200, description = "One page", body = PageDto<Employee>)))]
pub async fn employee_reports(
    auth: Auth<EmployeesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q =
        crm_domain::ListQuery::parse(&EMPLOYEE_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state
        .hr
        .employees
        .reports(&auth.actor, EmployeeId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |e| e)))
}
