//! The calendar: `/calendar/events` with their attendees and responses, and
//! `/calendar/occurrences`, `/calendar/agenda`, and the iCalendar feeds `/calendar/feeds`
//! (whose `.ics` download is public: its token is the credential). The calendar domain types are the response bodies. Every route is
//! open to a signed-in caller: who sees an event (organizer, attendees, `calendar_events:read`)
//! and who changes it is the service's decision, record by record.

mod events;
mod feeds;

use crate::access::Routes;

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    r.get("/calendar/events", events::list_events)
        .post("/calendar/events", events::create_event)
        .get("/calendar/events/{id}", events::get_event)
        .patch("/calendar/events/{id}", events::update_event)
        .delete("/calendar/events/{id}", events::delete_event)
        .get("/calendar/events/{id}/attendees", events::list_attendees)
        .post("/calendar/events/{id}/respond", events::respond)
        .patch(
            "/calendar/events/{id}/occurrences/{recurrence_id}",
            events::change_occurrence,
        )
        .delete(
            "/calendar/events/{id}/occurrences/{recurrence_id}",
            events::cancel_occurrence,
        )
        .post("/calendar/events/{id}/split", events::split_event)
        .get("/calendar/occurrences", events::list_occurrences)
        .get("/calendar/agenda", events::agenda)
        // The download before `{feed_id}`: a resource matching the path answers 405 to
        // another method instead of letting the next one try.
        .get("/calendar/feeds/{token}.ics", feeds::feed_document)
        .post("/calendar/feeds", feeds::create_feed)
        .get("/calendar/feeds", feeds::list_feeds)
        .delete("/calendar/feeds/{feed_id}", feeds::delete_feed)
}

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    events::list_events,
    events::create_event,
    events::get_event,
    events::update_event,
    events::delete_event,
    events::list_attendees,
    events::respond,
    events::change_occurrence,
    events::cancel_occurrence,
    events::split_event,
    events::list_occurrences,
    events::agenda,
    feeds::feed_document,
    feeds::create_feed,
    feeds::list_feeds,
    feeds::delete_feed,
))]
pub struct Api;
