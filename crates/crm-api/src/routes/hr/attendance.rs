//! Attendance: `POST /attendance/check-in` and `/check-out`, `/attendance` (HR records),
//! `GET /attendance/days` and `GET /attendance/summary`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, OptionalBody, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{AttendanceDelete, AttendanceRead, AttendanceWrite};
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, NaiveTime};
use crm_domain::FieldError;
use crm_domain::kernel::pagination::{FieldValue, Filter, FilterOp, ListQuery};
use crm_hr::attendance::{
    ATTENDANCE_LIST_SPEC, AttendanceDay, AttendanceInput, AttendancePatch, AttendanceRecord,
    AttendanceRecordId, CheckInput, DaysQuery, EmployeeSummary, SummaryQuery,
};
use crm_hr::employees::{EMPLOYEE_LIST_SPEC, EmployeeId};
use serde::Serialize;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /attendance`.
    AttendanceRecords = crm_hr::attendance::ATTENDANCE_LIST_SPEC, search = "";
    /// The employees of `GET /attendance/summary`.
    SummaryEmployees = crm_hr::employees::EMPLOYEE_LIST_SPEC, search = "names, number, email and phone";
}

/// The dates of a check-in a list is narrowed to.
#[derive(utoipa::IntoParams)]
#[allow(dead_code)]
struct CheckInDates {
    /// Punches checked in on or after this date (UTC).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// Punches checked in on or before this date (UTC).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
}

/// `GET /attendance/days`.
#[derive(utoipa::IntoParams)]
#[allow(dead_code)]
struct DaysParams {
    /// Default: the caller's own employee record.
    employee_id: Option<Uuid>,
    /// Default: the first of the organization's current month.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// Default: the last day of `from`'s month; at most 366 days after `from`.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
}

/// `GET /attendance/summary`.
#[derive(utoipa::IntoParams)]
#[allow(dead_code)]
struct SummaryParams {
    /// `YYYY-MM`, 2000-01 to 2037-12; default the organization's current month.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    month: Option<String>,
}

/// The one value of the query parameter `name`, read by `parse` (`422` naming it when it
/// does not read, or is given twice).
fn one<T>(
    query: &[(String, String)],
    name: &str,
    errors: &mut Vec<FieldError>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Option<T> {
    let mut values = query.iter().filter(|(k, _)| k == name);
    let (_, v) = values.next()?;
    if values.next().is_some() {
        errors.push(FieldError::new(name, "invalid", "given more than once"));
        return None;
    }
    let parsed = parse(v.trim());
    if parsed.is_none() {
        errors.push(FieldError::new(
            name,
            "invalid",
            format!("must be {expected}"),
        ));
    }
    parsed
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

const A_DATE: &str = "a date as YYYY-MM-DD";

fn finish<T>(parsed: Result<T, Vec<FieldError>>, mut bad: Vec<FieldError>) -> Result<T, ApiError> {
    match parsed {
        Ok(q) if bad.is_empty() => Ok(q),
        Ok(_) => Err(ApiError::validation(bad)),
        Err(mut e) => {
            e.append(&mut bad);
            Err(ApiError::validation(e))
        }
    }
}

/// Punches, latest check-in first; `from` / `to` (dates, UTC) bound the check-in. Under
/// `attendance:read:own`, only the caller's own.
#[utoipa::path(get, path = "/attendance", tag = "attendance",
    params(AttendanceRecords, CheckInDates),
    responses((status = 200, description = "One page", body = PageDto<AttendanceRecord>)))]
pub async fn list_attendance(
    auth: Auth<AttendanceRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let mut bad = Vec::new();
    let from = one(&query, "from", &mut bad, date, A_DATE);
    let to = one(&query, "to", &mut bad, date, A_DATE);
    let mut q = finish(
        ListQuery::parse_with(&ATTENDANCE_LIST_SPEC, &query, &["from", "to"]),
        bad,
    )?;
    if let Some(f) = from {
        q.filters.push(Filter {
            field: "check_in_at",
            op: FilterOp::Gte,
            value: FieldValue::Timestamp(f.and_time(NaiveTime::MIN).and_utc()),
        });
    }
    if let Some(t) = to {
        let end = t.and_hms_micro_opt(23, 59, 59, 999_999).unwrap_or_default();
        q.filters.push(Filter {
            field: "check_in_at",
            op: FilterOp::Lte,
            value: FieldValue::Timestamp(end.and_utc()),
        });
    }
    let page = state.hr.attendance.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |r| r)))
}

handlers! { service: hr.attendance, id: AttendanceRecordId, location: "/api/v1/attendance";
    /// A punch written by HR (`source` `hr`): `check_out_at` after `check_in_at`, or absent
    /// for an open punch; 409 `attendance-overlap` (with `existing_id`) over another punch
    /// of the person.
    #[utoipa::path(post, path = "/attendance", tag = "attendance",
        request_body = AttendanceInput,
        responses((status = 201, description = "Created", body = AttendanceRecord)))]
    create create_attendance(AttendanceWrite, AttendanceInput);

    #[utoipa::path(get, path = "/attendance/{id}", tag = "attendance",
        params(("id" = Uuid, Path)),
        responses((status = 200, description = "The punch (with ETag)", body = AttendanceRecord)))]
    get get_attendance(AttendanceRead);

    /// The employee is fixed; the same checks as a creation (409 `attendance-overlap`).
    #[utoipa::path(patch, path = "/attendance/{id}", tag = "attendance",
        request_body = AttendancePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated punch", body = AttendanceRecord)))]
    update update_attendance(AttendanceWrite, AttendancePatch);

    #[utoipa::path(delete, path = "/attendance/{id}", tag = "attendance",
        params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_attendance(AttendanceDelete);
}

/// Opens a punch of the caller's own employee record at now (`source` `self`); the body may
/// be left out. 409 `attendance-open` (with `existing_id`) while one is open,
/// `attendance-overlap` over a punch ending later; 404 for a caller without an employee
/// record.
#[utoipa::path(post, path = "/attendance/check-in", tag = "attendance",
    request_body = CheckInput,
    responses(
        (status = 201, description = "The open punch", body = AttendanceRecord),
        (status = 404, description = "The caller has no employee record", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_in(
    auth: Auth<AttendanceWrite>,
    state: web::Data<AppState>,
    body: OptionalBody<CheckInput>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .hr
        .attendance
        .check_in(&auth.actor, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/attendance/{}", r.id),
        r.version,
        &r,
    ))
}

/// Closes the caller's open punch at now; a `note` given replaces its note. 409
/// `attendance-not-open` when none is open.
#[utoipa::path(post, path = "/attendance/check-out", tag = "attendance",
    request_body = CheckInput,
    responses(
        (status = 200, description = "The closed punch", body = AttendanceRecord),
        (status = 404, description = "The caller has no employee record", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_out(
    auth: Auth<AttendanceWrite>,
    state: web::Data<AppState>,
    body: OptionalBody<CheckInput>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .hr
        .attendance
        .check_out(&auth.actor, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// The days of `GET /attendance/days`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"data": [{
    "date": "2026-03-10",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "status": "late",
    "first_in": "2026-03-09T20:40:00Z",
    "last_out": "2026-03-10T04:40:00Z",
    "worked_minutes": 480,
    "late_minutes": 40,
    "leave_request_id": null
}]}))]
pub struct AttendanceDays {
    pub data: Vec<AttendanceDay>,
}

/// One row per date, derived in the person's schedule's time zone from their punches, the
/// holidays and their approved leave. `status` is `null` for a working day not over yet with
/// nothing recorded (today, the future) and outside the employment. Under
/// `attendance:read:own`, only the caller's own (another employee 404); without
/// `employee_id`, a caller without an employee record is 404. 422 `to` before
/// `from` or more than 366 days after it.
#[utoipa::path(get, path = "/attendance/days", tag = "attendance", params(DaysParams),
    responses(
        (status = 200, description = "The days", body = AttendanceDays),
        (status = 404, description = "No such employee in the caller's reach, or (without `employee_id`) the caller has no employee record", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn attendance_days(
    auth: Auth<AttendanceRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let mut bad = Vec::new();
    let employee_id = one(
        &query,
        "employee_id",
        &mut bad,
        |s| s.parse::<Uuid>().ok(),
        "a UUID",
    );
    let from = one(&query, "from", &mut bad, date, A_DATE);
    let to = one(&query, "to", &mut bad, date, A_DATE);
    for (k, _) in query.iter() {
        if !["employee_id", "from", "to"].contains(&k.as_str()) {
            bad.push(FieldError::new(k, "unknown", "unknown query parameter"));
        }
    }
    if !bad.is_empty() {
        return Err(ApiError::validation(bad));
    }
    let data = state
        .hr
        .attendance
        .days(
            &auth.actor,
            DaysQuery {
                employee_id: employee_id.map(EmployeeId),
                from,
                to,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(AttendanceDays { data }))
}

/// One page of employees (the employee list's filters, such as `department_id`, its sort
/// and cursor), each with the counts of each status over the month, worked and late
/// minutes. Under `attendance:read:own`, only the caller's own row.
#[utoipa::path(get, path = "/attendance/summary", tag = "attendance",
    params(SummaryParams, SummaryEmployees),
    responses((status = 200, description = "One page", body = PageDto<EmployeeSummary>)))]
pub async fn attendance_summary(
    auth: Auth<AttendanceRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let mut bad = Vec::new();
    let month = one(
        &query,
        "month",
        &mut bad,
        |s| Some(s.to_string()),
        "YYYY-MM",
    );
    let employees = finish(
        ListQuery::parse_with(&EMPLOYEE_LIST_SPEC, &query, &["month"]),
        bad,
    )?;
    let page = state
        .hr
        .attendance
        .summary(&auth.actor, SummaryQuery { month, employees })
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |s| s)))
}
