//! `/calendar/feeds`: a signed-in user's iCalendar feeds, and the public `.ics` download whose
//! token is the credential.

use crate::access::{Public, SignedIn};
use crate::app::AppState;
use crate::http::{Body, no_content};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use crm_calendar::feeds::{CalendarFeedId, CreatedFeed, Feed, FeedInput};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A new feed of the caller's own calendar (`scope: mine`): the events they organize or
/// attend (with their `RRULE`, `EXDATE`s and changed occurrences), and as all-day events their
/// tasks due and their leave and their reports' (a year back to two years ahead). The answer
/// holds the feed's URL with its token, shown this once (only its keyed hash is stored);
/// `Location` is that URL.
#[utoipa::path(post, path = "/calendar/feeds", tag = "calendar", request_body = FeedInput,
    responses((status = 201, description = "Created: the URL with its token (shown once)", body = CreatedFeed,
        headers(("Location" = String)))))]
pub async fn create_feed(
    auth: SignedIn,
    state: web::Data<AppState>,
    body: Body<FeedInput>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .calendar
        .feeds
        .create(&auth.actor, body.parse()?)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, r.url.clone()))
        .json(r))
}

/// The caller's feeds, oldest first (one page; their tokens are never shown again).
#[utoipa::path(get, path = "/calendar/feeds", tag = "calendar",
    responses((status = 200, description = "The caller's feeds", body = PageDto<Feed>)))]
pub async fn list_feeds(
    auth: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let data = state.calendar.feeds.list(&auth.actor).await?;
    Ok(HttpResponse::Ok().json(PageDto {
        data,
        next_cursor: None,
        total: None,
    }))
}

/// Revokes one of the caller's feeds: its URL answers `404` from the next request. Another
/// user's feed is `404`.
#[utoipa::path(delete, path = "/calendar/feeds/{feed_id}", tag = "calendar",
    params(("feed_id" = Uuid, Path)),
    responses((status = 204, description = "Revoked")))]
pub async fn delete_feed(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .calendar
        .feeds
        .delete(&auth.actor, CalendarFeedId(*id))
        .await?;
    Ok(no_content())
}

/// The feed as RFC 5545 `text/calendar`, for calendar clients: no `Authorization` header, the
/// token in the path is the credential (`404` for an unknown or revoked token, or an owner
/// no longer active). One `VEVENT` per event (`UID` `<event id>@crm`, stable across
/// downloads; `DTSTART`/`DTEND` with the event's IANA `TZID`, dates for all-day events;
/// `RRULE`, `EXDATE`s, `SEQUENCE` = version − 1), one per changed occurrence (the same `UID`
/// with `RECURRENCE-ID`), and all-day `VEVENT`s for tasks due (`task-<id>@crm`) and leave
/// (`leave-<id>@crm`). `ETag` is the sha256 of the body; `If-None-Match` answers `304`.
#[utoipa::path(get, path = "/calendar/feeds/{token}.ics", tag = "calendar", security(()),
    params(("token" = String, Path, description = "The feed's token (43 base64url characters)",
            example = "3q2-7wAAAAB0aGlzIGlzIG5vdCBhIHJlYWwgdG9rZW4hIQ"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of a copy the client holds")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String,
            headers(("ETag" = String))),
        (status = 304, description = "The client's copy is current"),
    ))]
pub async fn feed_document(
    _: Public,
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let body = state.calendar.feeds.document(&token).await?;
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{hex}\"");
    if crate::http::none_match(req.headers().get(header::IF_NONE_MATCH), &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(body))
}
