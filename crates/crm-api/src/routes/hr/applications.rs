//! `/applications`, their moves, history and hire, and `GET /reports/recruitment`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{ApplicationsDelete, ApplicationsRead, ApplicationsWrite};
use actix_web::{HttpResponse, web};
use crm_hr::recruitment::applications::{
    APPLICATION_LIST_SPEC, Application, ApplicationId, ApplicationInput, ApplicationPatch, Hire,
    HireInput, MoveInput, StageMove,
};
use crm_hr::recruitment::report::{RecruitmentReport, RecruitmentReportQuery};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /applications`.
    Applications = crm_hr::recruitment::applications::APPLICATION_LIST_SPEC, search = "source, cover letter and rejection reason";
}

handlers! { service: hr.applications, id: ApplicationId, location: "/api/v1/applications";
    #[utoipa::path(get, path = "/applications", tag = "applications",
        params(Applications),
        responses((status = 200, description = "One page", body = PageDto<Application>)))]
    list list_applications(ApplicationsRead, APPLICATION_LIST_SPEC);

    /// The posting must be `open` (409 `job-posting-not-open`); one application per
    /// candidate and posting (409 `application-exists` with `existing_id`). Its history
    /// starts with this stage.
    #[utoipa::path(post, path = "/applications", tag = "applications", request_body = ApplicationInput,
        responses((status = 201, description = "Created", body = Application)))]
    create create_application(ApplicationsWrite, ApplicationInput);

    #[utoipa::path(get, path = "/applications/{id}", tag = "applications", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The application (with ETag)", body = Application)))]
    get get_application(ApplicationsRead);

    /// Rating, source, cover letter, rejection reason. The stage moves through `/move` and
    /// `/hire`.
    #[utoipa::path(patch, path = "/applications/{id}", tag = "applications",
        request_body = ApplicationPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated application", body = Application)))]
    update update_application(ApplicationsWrite, ApplicationPatch);

    /// A hired application is kept (409 `application-hired`); its history, interviews and
    /// offers go with it.
    #[utoipa::path(delete, path = "/applications/{id}", tag = "applications", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_application(ApplicationsDelete);
}

/// Moves the application to `stage`, with an entry in its history. `hired`, `rejected` and
/// `withdrawn` are final (409 `application-closed`); `hired` only through `/hire` (422
/// `stage`, code `hire_required`). A move to the stage it is in changes nothing.
#[utoipa::path(post, path = "/applications/{id}/move", tag = "applications",
    request_body = MoveInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The moved application", body = Application)))]
pub async fn move_application(
    auth: Auth<ApplicationsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<MoveInput>,
) -> Result<HttpResponse, ApiError> {
    // The record before the body: another organization's id is 404 whatever the body holds.
    state
        .hr
        .applications
        .get(&auth.actor, ApplicationId(*id))
        .await?;
    let input = body.parse()?;
    let r = state
        .hr
        .applications
        .move_to(&auth.actor, ApplicationId(*id), if_match.0, input)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// Every stage the application entered, oldest first: from, to, by whom, when, why (its
/// creation is the first entry, `from_stage: null`).
#[utoipa::path(get, path = "/applications/{id}/history", tag = "applications",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The history", body = PageDto<StageMove>)))]
pub async fn application_history(
    auth: Auth<ApplicationsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .hr
        .applications
        .history(&auth.actor, ApplicationId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(PageDto {
        data,
        next_cursor: None,
        total: None,
    }))
}

/// In one transaction: the employee made from the candidate (`EMP-NNNN`), the application
/// `hired` with its history entry, the event `employee.hired`, and the posting closed when
/// its hires reach `openings`. Needs `employees:write` too. 409 `application-closed` from a
/// final stage, 409 `job-posting-filled` when the posting has no opening left.
#[utoipa::path(post, path = "/applications/{id}/hire", tag = "applications",
    request_body = HireInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The hired application and its employee", body = Hire)))]
pub async fn hire_application(
    auth: Auth<ApplicationsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<HireInput>,
) -> Result<HttpResponse, ApiError> {
    state
        .hr
        .applications
        .get(&auth.actor, ApplicationId(*id))
        .await?;
    let input = body.parse()?;
    let r = state
        .hr
        .applications
        .hire(&auth.actor, ApplicationId(*id), if_match.0, input)
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Per pipeline stage: the applications that reached it and the mean days spent in it by
/// those that left it (`null` when none has; so always for the final stages), from the
/// stage history; of one posting or of all.
#[utoipa::path(get, path = "/reports/recruitment", tag = "reports", params(RecruitmentReportQuery),
    responses((status = 200, description = "The report", body = RecruitmentReport)))]
pub async fn recruitment_report(
    auth: Auth<ApplicationsRead>,
    state: web::Data<AppState>,
    query: web::Query<RecruitmentReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .hr
        .applications
        .report(&auth.actor, query.into_inner().job_posting_id)
        .await?;
    Ok(HttpResponse::Ok().json(r))
}
