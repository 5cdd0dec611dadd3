//! `/time-entries`, `POST /time-entries/start`, `POST /time-entries/{id}/stop`, and the
//! reports: `GET /projects/{id}/report`, `GET /reports/timesheet`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{ProjectsRead, TimeEntriesDelete, TimeEntriesRead, TimeEntriesWrite};
use actix_web::{HttpResponse, web};
use crm_projects::projects::ProjectId;
use crm_projects::reports::{ProjectReport, Timesheet, TimesheetQuery};
use crm_projects::time::{
    TIME_ENTRY_LIST_SPEC, TimeEntry, TimeEntryId, TimeEntryInput, TimeEntryPatch, TimerStartInput,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /time-entries`.
    TimeEntries = crm_projects::time::TIME_ENTRY_LIST_SPEC, search = "note";
}

handlers! { service: projects.time_entries, id: TimeEntryId, location: "/api/v1/time-entries";
    /// Under `time_entries:read:own`: the caller's own time.
    #[utoipa::path(get, path = "/time-entries", tag = "time-entries",
        params(TimeEntries),
        responses((status = 200, description = "One page", body = PageDto<TimeEntry>)))]
    list list_time_entries(TimeEntriesRead, TIME_ENTRY_LIST_SPEC);

    /// Minutes 1–1440, and one person's day at most 1440 (422 `minutes`); the project must
    /// take work (409). `project_id` is taken from `task_id` when absent.
    #[utoipa::path(post, path = "/time-entries", tag = "time-entries", request_body = TimeEntryInput,
        responses((status = 201, description = "Logged", body = TimeEntry)))]
    create create_time_entry(TimeEntriesWrite, TimeEntryInput);

    #[utoipa::path(get, path = "/time-entries/{id}", tag = "time-entries", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The time entry (with ETag)", body = TimeEntry)))]
    get get_time_entry(TimeEntriesRead);

    /// An invoiced entry is frozen (409 `time-entry-invoiced`).
    #[utoipa::path(patch, path = "/time-entries/{id}", tag = "time-entries",
        request_body = TimeEntryPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated entry", body = TimeEntry)))]
    update update_time_entry(TimeEntriesWrite, TimeEntryPatch);

    /// An invoiced entry stays (409 `time-entry-invoiced`).
    #[utoipa::path(delete, path = "/time-entries/{id}", tag = "time-entries", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_time_entry(TimeEntriesDelete);

    /// Stops the caller's running timer (409 `timer-not-running` otherwise): its minutes are
    /// the time since it started, rounded up, capped at what its day has room for.
    #[utoipa::path(post, path = "/time-entries/{id}/stop", tag = "time-entries",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The stopped entry", body = TimeEntry)))]
    change stop_timer(TimeEntriesWrite, stop);
}

/// A running entry of the caller's (`minutes: null`, `is_running: true`) for a task or a
/// project; one running timer per person (409 `timer-running`).
#[utoipa::path(post, path = "/time-entries/start", tag = "time-entries",
    request_body = TimerStartInput,
    responses((status = 201, description = "The running entry", body = TimeEntry)))]
pub async fn start_timer(
    auth: Auth<TimeEntriesWrite>,
    state: web::Data<AppState>,
    body: Body<TimerStartInput>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .projects
        .time_entries
        .start(&auth.actor, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/time-entries/{}", r.id),
        r.version,
        &r,
    ))
}

/// Progress, tasks per status, milestones, time, budget and each member's time, summed by
/// the database.
#[utoipa::path(get, path = "/projects/{id}/report", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The report", body = ProjectReport)))]
pub async fn project_report(
    auth: Auth<ProjectsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .projects
        .reports
        .project(&auth.actor, ProjectId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// One person's minutes per day and project, every day from `from` to `to`.
#[utoipa::path(get, path = "/reports/timesheet", tag = "reports", params(TimesheetQuery),
    responses((status = 200, description = "The timesheet", body = Timesheet)))]
pub async fn timesheet(
    auth: Auth<TimeEntriesRead>,
    state: web::Data<AppState>,
    query: web::Query<TimesheetQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .projects
        .reports
        .timesheet(&auth.actor, query.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(r))
}
