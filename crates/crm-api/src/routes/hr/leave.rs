//! Leave: `/leave-types`, `GET /leave-balances`, `GET /leave-ledger`, `POST
//! /leave-adjustments`, `/leave-requests` with `approve`, `reject` and `cancel`.

use crate::access::{Auth, SignedIn};
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{
    LeaveAdjustmentsWrite, LeaveBalancesRead, LeaveRequestsRead, LeaveRequestsWrite,
    LeaveTypesDelete, LeaveTypesRead, LeaveTypesWrite,
};
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use crm_domain::kernel::pagination::{FieldValue, Filter, FilterOp};
use crm_domain::kernel::validation::FieldError;
use crm_hr::employees::EmployeeId;
use crm_hr::leave::balances::{Balances, LeaveAdjustmentInput, Ledger, LedgerQuery};
use crm_hr::leave::requests::{ApproveInput, LeaveRequestInput, RejectInput};
use crm_hr::leave::types::{LeaveTypeInput, LeaveTypePatch};
use crm_hr::leave::{
    LEAVE_REQUEST_LIST_SPEC, LEAVE_TYPE_LIST_SPEC, LeaveAdjustment, LeaveRequest, LeaveRequestId,
    LeaveType, LeaveTypeId,
};
use serde::Deserialize;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /leave-types`.
    LeaveTypes = crm_hr::leave::LEAVE_TYPE_LIST_SPEC, search = "name and code";
    /// `GET /leave-requests`.
    LeaveRequests = crm_hr::leave::LEAVE_REQUEST_LIST_SPEC, search = "";
}

/// The days a list of requests touches.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RequestWindow {
    /// Requests ending on or after this date.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// Requests starting on or before this date.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
}

/// `GET /leave-balances` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BalanceQuery {
    /// Default: the caller's own employee record.
    #[param(value_type = Option<Uuid>)]
    employee_id: Option<EmployeeId>,
    /// Default: today in the organization's time zone.
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<NaiveDate>,
}

/// `GET /leave-ledger` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LedgerParams {
    /// Default: the caller's own employee record.
    #[param(value_type = Option<Uuid>)]
    employee_id: Option<EmployeeId>,
    #[param(value_type = Uuid, required = true)]
    leave_type_id: Option<LeaveTypeId>,
    /// Default: 1 January of the current leave year.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// Default: 31 December of the year of `from`; at most ten years after it.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
}

handlers! { service: hr.leave_types, id: LeaveTypeId, location: "/api/v1/leave-types";
    /// By name.
    #[utoipa::path(get, path = "/leave-types", tag = "leave-types",
        params(LeaveTypes),
        responses((status = 200, description = "One page", body = PageDto<LeaveType>)))]
    list list_leave_types(LeaveTypesRead, LEAVE_TYPE_LIST_SPEC);

    /// `code` unique per organization (409 `leave-type-code-taken`); day quantities 0–366
    /// with at most 2 decimals.
    #[utoipa::path(post, path = "/leave-types", tag = "leave-types",
        request_body = LeaveTypeInput,
        responses((status = 201, description = "Created", body = LeaveType)))]
    create create_leave_type(LeaveTypesWrite, LeaveTypeInput);

    #[utoipa::path(get, path = "/leave-types/{id}", tag = "leave-types",
        params(("id" = Uuid, Path)),
        responses((status = 200, description = "The leave type (with ETag)", body = LeaveType)))]
    get get_leave_type(LeaveTypesRead);

    /// A new policy applies to every balance read afterwards.
    #[utoipa::path(patch, path = "/leave-types/{id}", tag = "leave-types",
        request_body = LeaveTypePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated leave type", body = LeaveType)))]
    update update_leave_type(LeaveTypesWrite, LeaveTypePatch);

    /// 409 `leave-type-in-use` while requests or adjustments name it.
    #[utoipa::path(delete, path = "/leave-types/{id}", tag = "leave-types",
        params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_leave_type(LeaveTypesDelete);
}

/// One row per active leave type: `available` = entitled + carried_forward + adjustments −
/// taken − pending, computed from the policy and the person's rows for any date.
#[utoipa::path(get, path = "/leave-balances", tag = "leave-balances",
    params(BalanceQuery),
    responses((status = 200, description = "The balances", body = Balances),
        (status = 404, description = "The employee is not of the organization, or not the caller's own under `:own`", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn leave_balances(
    auth: Auth<LeaveBalancesRead>,
    state: web::Data<AppState>,
    query: web::Query<BalanceQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let r = state
        .hr
        .leave_balances
        .balances(&auth.actor, q.employee_id, q.as_of)
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The ledger rows of one person and type from `from` to `to`, by date: entitlement,
/// accrual, carry_forward, carry_forward_expiry, taken, adjustment.
#[utoipa::path(get, path = "/leave-ledger", tag = "leave-balances",
    params(LedgerParams),
    responses((status = 200, description = "The ledger", body = Ledger),
        (status = 404, description = "The employee is not of the organization, or not the caller's own under `:own`", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn leave_ledger(
    auth: Auth<LeaveBalancesRead>,
    state: web::Data<AppState>,
    query: web::Query<LedgerParams>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let r = state
        .hr
        .leave_balances
        .ledger(
            &auth.actor,
            LedgerQuery {
                employee_id: q.employee_id,
                leave_type_id: q.leave_type_id,
                from: q.from,
                to: q.to,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Signed days added to a person's balance of one type, dated `date` (default today in the
/// organization's zone), with a reason.
#[utoipa::path(post, path = "/leave-adjustments", tag = "leave-balances",
    request_body = LeaveAdjustmentInput,
    responses((status = 201, description = "Created", body = LeaveAdjustment)))]
pub async fn create_leave_adjustment(
    auth: Auth<LeaveAdjustmentsWrite>,
    state: web::Data<AppState>,
    body: Body<LeaveAdjustmentInput>,
) -> Result<HttpResponse, ApiError> {
    let a = state
        .hr
        .leave_balances
        .adjust(&auth.actor, body.parse()?)
        .await?;
    let location = format!(
        "/api/v1/leave-ledger?employee_id={}&leave_type_id={}",
        a.employee_id, a.leave_type_id
    );
    Ok(created(location, a.version, &a))
}

fn window_date(field: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    raw.trim().parse::<NaiveDate>().map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            field,
            "invalid",
            "must be a date YYYY-MM-DD",
        )])
    })
}

/// Latest start first; `employee_id`, `leave_type_id`, `status`; `from`/`to`: the requests
/// touching those days. Under `leave_requests:read:own`, the caller's own.
#[utoipa::path(get, path = "/leave-requests", tag = "leave-requests",
    params(LeaveRequests, RequestWindow),
    responses((status = 200, description = "One page", body = PageDto<LeaveRequest>)))]
pub async fn list_leave_requests(
    auth: Auth<LeaveRequestsRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let mut pairs = query.into_inner();
    let mut window = Vec::new();
    let mut rest = Vec::new();
    for (k, v) in pairs.drain(..) {
        match k.as_str() {
            "from" => window.push(Filter {
                field: "end_date",
                op: FilterOp::Gte,
                value: FieldValue::Date(window_date("from", &v)?),
            }),
            "to" => window.push(Filter {
                field: "start_date",
                op: FilterOp::Lte,
                value: FieldValue::Date(window_date("to", &v)?),
            }),
            _ => rest.push((k, v)),
        }
    }
    let mut q = crm_domain::ListQuery::parse(&LEAVE_REQUEST_LIST_SPEC, &rest)
        .map_err(ApiError::validation)?;
    q.filters.extend(window);
    let page = state.hr.leave_requests.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |r| r)))
}

handlers! { service: hr.leave_requests, id: LeaveRequestId, location: "/api/v1/leave-requests";
    /// `days` counted with the person's schedule and the organization's holidays (none:
    /// 422 `no_working_days`); overlapping another pending or approved request of the person
    /// 409 `leave-request-overlap` (the other half of one day aside); beyond the balance 422
    /// `insufficient_balance`. A type without approval is approved at once.
    #[utoipa::path(post, path = "/leave-requests", tag = "leave-requests",
        request_body = LeaveRequestInput,
        responses((status = 201, description = "Created", body = LeaveRequest)))]
    create create_leave_request(LeaveRequestsWrite, LeaveRequestInput);

    #[utoipa::path(get, path = "/leave-requests/{id}", tag = "leave-requests",
        params(("id" = Uuid, Path)),
        responses((status = 200, description = "The request (with ETag)", body = LeaveRequest)))]
    get get_leave_request(LeaveRequestsRead);
}

/// pending → approved, by the person's manager's user (whatever their roles) or a holder of
/// `leave_requests:approve`; never by the person or the filer (403). 409 when not pending.
#[utoipa::path(post, path = "/leave-requests/{id}/approve", tag = "leave-requests",
    request_body = ApproveInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The approved request", body = LeaveRequest)))]
pub async fn approve_leave_request(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<ApproveInput>,
) -> Result<HttpResponse, ApiError> {
    let id = LeaveRequestId(*id);
    let svc = &state.hr.leave_requests;
    // The decider before the body: a request out of reach answers the same whatever it holds.
    svc.check_decider(&auth.actor, id).await?;
    let r = svc
        .approve(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// pending → rejected with a `note` (422 without one), by a decider as for approve.
#[utoipa::path(post, path = "/leave-requests/{id}/reject", tag = "leave-requests",
    request_body = RejectInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The rejected request", body = LeaveRequest)))]
pub async fn reject_leave_request(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<RejectInput>,
) -> Result<HttpResponse, ApiError> {
    let id = LeaveRequestId(*id);
    let svc = &state.hr.leave_requests;
    svc.check_decider(&auth.actor, id).await?;
    let r = svc
        .reject(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// pending or approved → cancelled: by the requester (the person or the filer) before the
/// first day (409 `leave-request-started` after), or by a decider at any time.
#[utoipa::path(post, path = "/leave-requests/{id}/cancel", tag = "leave-requests",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The cancelled request", body = LeaveRequest)))]
pub async fn cancel_leave_request(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .hr
        .leave_requests
        .cancel(&auth.actor, LeaveRequestId(*id), if_match.0)
        .await?;
    Ok(ok_etag(r.version, &r))
}
