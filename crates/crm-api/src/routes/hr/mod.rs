//! Human resources: `/employees`, `/work-schedules`, `/holidays`, then leave, attendance,
//! training and recruitment: the module's routes and their OpenAPI operations. The HR
//! domain types are the response bodies.

mod applications;
mod attendance;
mod candidates;
mod employees;
mod holidays;
mod interviews;
mod job_postings;
mod leave;
mod offers;
mod training;
mod work_schedules;

use crate::access::Routes;
use crate::export::list_of;
use crate::routes::perms;

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    // people
    r.get("/employees", employees::list_employees)
        .export::<perms::EmployeesRead, _>(
            "/employees/export",
            "employees",
            &crm_hr::employees::EMPLOYEE_LIST_SPEC,
            list_of!(hr.employees),
        )
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
        // recruitment
        .get("/job-postings", job_postings::list_job_postings)
        .post("/job-postings", job_postings::create_job_posting)
        .get("/job-postings/{id}", job_postings::get_job_posting)
        .patch("/job-postings/{id}", job_postings::update_job_posting)
        .delete("/job-postings/{id}", job_postings::delete_job_posting)
        .get("/candidates", candidates::list_candidates)
        .post("/candidates", candidates::create_candidate)
        .get("/candidates/{id}", candidates::get_candidate)
        .patch("/candidates/{id}", candidates::update_candidate)
        .delete("/candidates/{id}", candidates::delete_candidate)
        .get("/applications", applications::list_applications)
        .post("/applications", applications::create_application)
        .get("/applications/{id}", applications::get_application)
        .patch("/applications/{id}", applications::update_application)
        .delete("/applications/{id}", applications::delete_application)
        .post("/applications/{id}/move", applications::move_application)
        .get(
            "/applications/{id}/history",
            applications::application_history,
        )
        .post("/applications/{id}/hire", applications::hire_application)
        .get("/interviews", interviews::list_interviews)
        .post("/interviews", interviews::create_interview)
        .get("/interviews/{id}", interviews::get_interview)
        .patch("/interviews/{id}", interviews::update_interview)
        .delete("/interviews/{id}", interviews::delete_interview)
        .post("/interviews/{id}/feedback", interviews::add_feedback)
        .get("/interviews/{id}/feedback", interviews::list_feedback)
        .get("/offers", offers::list_offers)
        .post("/offers", offers::create_offer)
        .get("/offers/{id}", offers::get_offer)
        .patch("/offers/{id}", offers::update_offer)
        .delete("/offers/{id}", offers::delete_offer)
        .post("/offers/{id}/send", offers::send_offer)
        .post("/offers/{id}/accept", offers::accept_offer)
        .post("/offers/{id}/decline", offers::decline_offer)
        .post("/offers/{id}/withdraw", offers::withdraw_offer)
        .get("/reports/recruitment", applications::recruitment_report)
        // training
        .get("/training-programs", training::list_training_programs)
        .post("/training-programs", training::create_training_program)
        .get("/training-programs/{id}", training::get_training_program)
        .patch("/training-programs/{id}", training::update_training_program)
        .delete("/training-programs/{id}", training::delete_training_program)
        .get("/training-sessions", training::list_training_sessions)
        .post("/training-sessions", training::create_training_session)
        .get("/training-sessions/{id}", training::get_training_session)
        .patch("/training-sessions/{id}", training::update_training_session)
        .delete("/training-sessions/{id}", training::delete_training_session)
        .post("/training-sessions/{id}/enrollments", training::enroll)
        .get(
            "/training-sessions/{id}/enrollments",
            training::session_enrollments,
        )
        .get("/training-enrollments", training::list_training_enrollments)
        .get(
            "/training-enrollments/{id}",
            training::get_training_enrollment,
        )
        .patch(
            "/training-enrollments/{id}",
            training::update_training_enrollment,
        )
        .get("/certifications", training::list_certifications)
        // leave
        .get("/leave-types", leave::list_leave_types)
        .post("/leave-types", leave::create_leave_type)
        .get("/leave-types/{id}", leave::get_leave_type)
        .patch("/leave-types/{id}", leave::update_leave_type)
        .delete("/leave-types/{id}", leave::delete_leave_type)
        .get("/leave-balances", leave::leave_balances)
        .get("/leave-ledger", leave::leave_ledger)
        .post("/leave-adjustments", leave::create_leave_adjustment)
        .get("/leave-requests", leave::list_leave_requests)
        .post("/leave-requests", leave::create_leave_request)
        .get("/leave-requests/{id}", leave::get_leave_request)
        .post("/leave-requests/{id}/approve", leave::approve_leave_request)
        .post("/leave-requests/{id}/reject", leave::reject_leave_request)
        .post("/leave-requests/{id}/cancel", leave::cancel_leave_request)
        // attendance
        .post("/attendance/check-in", attendance::check_in)
        .post("/attendance/check-out", attendance::check_out)
        .get("/attendance/days", attendance::attendance_days)
        .get("/attendance/summary", attendance::attendance_summary)
        .get("/attendance", attendance::list_attendance)
        .post("/attendance", attendance::create_attendance)
        .get("/attendance/{id}", attendance::get_attendance)
        .patch("/attendance/{id}", attendance::update_attendance)
        .delete("/attendance/{id}", attendance::delete_attendance)
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
    // recruitment
    job_postings::list_job_postings,
    job_postings::create_job_posting,
    job_postings::get_job_posting,
    job_postings::update_job_posting,
    job_postings::delete_job_posting,
    candidates::list_candidates,
    candidates::create_candidate,
    candidates::get_candidate,
    candidates::update_candidate,
    candidates::delete_candidate,
    applications::list_applications,
    applications::create_application,
    applications::get_application,
    applications::update_application,
    applications::delete_application,
    applications::move_application,
    applications::application_history,
    applications::hire_application,
    interviews::list_interviews,
    interviews::create_interview,
    interviews::get_interview,
    interviews::update_interview,
    interviews::delete_interview,
    interviews::add_feedback,
    interviews::list_feedback,
    offers::list_offers,
    offers::create_offer,
    offers::get_offer,
    offers::update_offer,
    offers::delete_offer,
    offers::send_offer,
    offers::accept_offer,
    offers::decline_offer,
    offers::withdraw_offer,
    applications::recruitment_report,
    // training
    training::list_training_programs,
    training::create_training_program,
    training::get_training_program,
    training::update_training_program,
    training::delete_training_program,
    training::list_training_sessions,
    training::create_training_session,
    training::get_training_session,
    training::update_training_session,
    training::delete_training_session,
    training::enroll,
    training::session_enrollments,
    training::list_training_enrollments,
    training::get_training_enrollment,
    training::update_training_enrollment,
    training::list_certifications,
    // leave
    leave::list_leave_types,
    leave::create_leave_type,
    leave::get_leave_type,
    leave::update_leave_type,
    leave::delete_leave_type,
    leave::leave_balances,
    leave::leave_ledger,
    leave::create_leave_adjustment,
    leave::list_leave_requests,
    leave::create_leave_request,
    leave::get_leave_request,
    leave::approve_leave_request,
    leave::reject_leave_request,
    leave::cancel_leave_request,
    // attendance
    attendance::check_in,
    attendance::check_out,
    attendance::attendance_days,
    attendance::attendance_summary,
    attendance::list_attendance,
    attendance::create_attendance,
    attendance::get_attendance,
    attendance::update_attendance,
    attendance::delete_attendance,
))]
pub struct Api;
