//! `/calendar/events`, their attendees and responses, and `/calendar/occurrences`.

use crate::access::SignedIn;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use actix_web::{HttpResponse, web};
use crm_calendar::agenda::Agenda;
use crm_calendar::events::{
    Attendee, CalendarEvent, CalendarEventId, EVENT_LIST_SPEC, EventInput, EventPatch, RespondInput,
};
use crm_calendar::occurrences::{
    Occurrence, OccurrenceList, OccurrencePatch, OccurrenceQuery, SplitInput,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /calendar/events`.
    CalendarEvents = crm_calendar::events::EVENT_LIST_SPEC, search = "title, description and location";
}

/// The events the caller sees: every event of the organization with `calendar_events:read`,
/// else those they organize or attend.
#[utoipa::path(get, path = "/calendar/events", tag = "calendar",
    params(CalendarEvents),
    responses((status = 200, description = "One page", body = PageDto<CalendarEvent>)))]
pub async fn list_events(
    auth: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = crm_domain::ListQuery::parse(&EVENT_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.calendar.events.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |r| r)))
}

/// Needs `calendar_events:write` (either scope); the caller is the organizer. 422 names the
/// field: `ends_at` not after `starts_at`, a `recurrence` with a part other than `FREQ`
/// (`DAILY|WEEKLY|MONTHLY|YEARLY`), `INTERVAL`, `COUNT`, `UNTIL`, `BYDAY`, `BYMONTHDAY`,
/// `BYSETPOS`, a `recurrence` without `time_zone`, attendees who are no users of the
/// organization.
#[utoipa::path(post, path = "/calendar/events", tag = "calendar", request_body = EventInput,
    responses((status = 201, description = "Created", body = CalendarEvent)))]
pub async fn create_event(
    auth: SignedIn,
    state: web::Data<AppState>,
    body: Body<EventInput>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .calendar
        .events
        .create(&auth.actor, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/calendar/events/{}", r.id),
        r.version,
        &r,
    ))
}

/// 404 unless the caller organizes or attends the event or holds `calendar_events:read`.
#[utoipa::path(get, path = "/calendar/events/{id}", tag = "calendar", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The event (with ETag)", body = CalendarEvent)))]
pub async fn get_event(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .calendar
        .events
        .get(&auth.actor, CalendarEventId(*id))
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// The organizer or a holder of `calendar_events:write` (403 for another caller who sees the
/// event). A changed `attendee_ids` keeps the responses of those who stay.
#[utoipa::path(patch, path = "/calendar/events/{id}", tag = "calendar", request_body = EventPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The updated event", body = CalendarEvent)))]
pub async fn update_event(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<EventPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = CalendarEventId(*id);
    let svc = &state.calendar.events;
    // The event before the body: one out of reach answers 404 whatever the body holds.
    svc.get(&auth.actor, id).await?;
    let r = svc
        .update(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// The organizer or a holder of `calendar_events:delete`; attendees go with it.
#[utoipa::path(delete, path = "/calendar/events/{id}", tag = "calendar", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_event(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .calendar
        .events
        .delete(&auth.actor, CalendarEventId(*id))
        .await?;
    Ok(no_content())
}

/// Every attendee of the event with their response (one page).
#[utoipa::path(get, path = "/calendar/events/{id}/attendees", tag = "calendar",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The attendees", body = PageDto<Attendee>)))]
pub async fn list_attendees(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .calendar
        .events
        .attendees(&auth.actor, CalendarEventId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(PageDto {
        data,
        next_cursor: None,
        total: None,
    }))
}

/// The caller answers the invitation: only an attendee (403 for another caller who sees the
/// event). Answers the caller's attendee entry; the event's version does not move.
#[utoipa::path(post, path = "/calendar/events/{id}/respond", tag = "calendar",
    request_body = RespondInput, params(("id" = Uuid, Path)),
    responses((status = 200, description = "The caller's response", body = Attendee)))]
pub async fn respond(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<RespondInput>,
) -> Result<HttpResponse, ApiError> {
    let id = CalendarEventId(*id);
    let svc = &state.calendar.events;
    // The event before the body, as for a change.
    svc.get(&auth.actor, id).await?;
    let r = svc.respond(&auth.actor, id, body.parse()?).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The occurrences of the events the caller sees in `[from, to)` (at most 366 days),
/// expanded on the wall clock of each event's time zone, by start. `recurrence_id` is an
/// occurrence's original start.
#[utoipa::path(get, path = "/calendar/occurrences", tag = "calendar", params(OccurrenceQuery),
    responses((status = 200, description = "The occurrences", body = OccurrenceList)))]
pub async fn list_occurrences(
    auth: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<OccurrenceQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = state.calendar.occurrences.list(&auth.actor, &query).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The caller's agenda over `[from, to)` (at most 366 days; `422` naming `from` or `to`), by
/// start: timed items (`event`, `interview`) by `starts_at`, all-day items (`task`, `leave`,
/// `contract`) by `date` (its UTC midnight; all-day first at one instant), then kind, id and
/// `recurrence_id`. What each kind holds:
/// - `event`: an occurrence of an event the caller sees (as `/calendar/occurrences`):
///   `starts_at`, `ends_at`, `recurrence_id` set; `date`, `end_date` null; the event's
///   `record_type`/`record_id`;
/// - `task`: a task assigned to the caller, due within the range's days, not cancelled:
///   `date` = `end_date` = the due date; `starts_at`, `ends_at`, `recurrence_id` null;
///   record `project`;
/// - `leave`: an approved leave request touching the range's days, the caller's (`Leave`) or
///   a direct or indirect report's in the employees' manager chain (`Leave: <name>`):
///   `date` = first day, `end_date` = last day; times null; record `employee`;
/// - `interview`: an interview the caller conducts, not cancelled, overlapping the range:
///   `starts_at`, `ends_at` set; `date`, `end_date`, `recurrence_id` null; record
///   `application`;
/// - `contract`: the notice date (`Notice: <title>`) or end date (`Ends: <title>`) within the
///   range's days of a contract the caller owns, neither draft nor terminated: `date` =
///   `end_date` = that date; times null; record `client`.
///
/// A date is within the range when its UTC day overlaps `[from, to)`.
#[utoipa::path(get, path = "/calendar/agenda", tag = "calendar", params(OccurrenceQuery),
    responses((status = 200, description = "The agenda", body = Agenda)))]
pub async fn agenda(
    auth: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<OccurrenceQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = state.calendar.agenda.agenda(&auth.actor, &query).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Changes one occurrence of a recurring event, named by its original start (RFC 3339 UTC,
/// its `recurrence_id`): the fields sent replace the occurrence's (`is_override: true`).
/// Who may, as for a change of the event; `If-Match` is the series' version, which moves one
/// on. 404 for a start that is no occurrence.
#[utoipa::path(patch, path = "/calendar/events/{id}/occurrences/{recurrence_id}", tag = "calendar",
    request_body = OccurrencePatch,
    params(("id" = Uuid, Path), ("recurrence_id" = String, Path, format = DateTime, example = "2027-03-29T07:00:00Z"),
        ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The occurrence as changed", body = Occurrence)))]
pub async fn change_occurrence(
    auth: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
    if_match: IfMatch,
    body: Body<OccurrencePatch>,
) -> Result<HttpResponse, ApiError> {
    let (id, recurrence_id) = path.into_inner();
    let id = CalendarEventId(id);
    let svc = &state.calendar.events;
    svc.get(&auth.actor, id).await?;
    let r = svc
        .change_occurrence(&auth.actor, id, &recurrence_id, if_match.0, body.parse()?)
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Cancels one occurrence: its original start becomes an `exdate` of the series (and a
/// change of it goes). Who and `If-Match` as for a change of the occurrence.
#[utoipa::path(delete, path = "/calendar/events/{id}/occurrences/{recurrence_id}", tag = "calendar",
    params(("id" = Uuid, Path), ("recurrence_id" = String, Path, format = DateTime, example = "2027-03-29T07:00:00Z"),
        ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Cancelled")))]
pub async fn cancel_occurrence(
    auth: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (id, recurrence_id) = path.into_inner();
    state
        .calendar
        .events
        .cancel_occurrence(&auth.actor, CalendarEventId(id), &recurrence_id, if_match.0)
        .await?;
    Ok(no_content())
}

/// "This and following": the series ends just before the occurrence `recurrence_id` and a
/// new series (answered, with `Location`) starts there, each keeping its occurrences once
/// (`COUNT` recomputed on both halves); the exdates and changed occurrences from there on
/// move to the new series. One transaction; `If-Match` on the series. 422 `recurrence_id`
/// for a start that is no occurrence, or the first.
#[utoipa::path(post, path = "/calendar/events/{id}/split", tag = "calendar",
    request_body = SplitInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 201, description = "The new series", body = CalendarEvent)))]
pub async fn split_event(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<SplitInput>,
) -> Result<HttpResponse, ApiError> {
    let id = CalendarEventId(*id);
    let svc = &state.calendar.events;
    svc.get(&auth.actor, id).await?;
    let r = svc
        .split(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/calendar/events/{}", r.id),
        r.version,
        &r,
    ))
}
