//! `GET /calendar/occurrences?from=&to=`: the caller's visible events expanded over a range
//! of at most 366 days, on the wall clock of each event's zone, then in UTC.

use crate::events::service::sees_all;
use crate::events::{CalendarEvent, CalendarEventId, instant};
use crate::ports::CalendarPorts;
use crate::recurrence::Series;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use crm_domain::kernel::input::Errors;
use crm_domain::{Actor, DomainError, ValueError};
use serde::Serialize;

/// The longest range one request expands.
pub const MAX_RANGE_DAYS: i64 = 366;

/// One occurrence of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "event_id": "019cd0a0-0b00-7000-8000-0000000000e1",
    "recurrence_id": "2027-03-29T07:00:00Z",
    "starts_at": "2027-03-29T07:00:00Z",
    "ends_at": "2027-03-29T08:00:00Z",
    "title": "Weekly sales review",
    "location": "Room 2",
    "is_override": false
})))]
pub struct Occurrence {
    pub event_id: CalendarEventId,
    /// The occurrence's original start (what exdates and overrides match).
    pub recurrence_id: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub title: String,
    pub location: Option<String>,
    /// Whether a single-occurrence change replaced the series' fields.
    pub is_override: bool,
}

/// A single-occurrence change (`PATCH /calendar/events/{id}/occurrences/{recurrence_id}`):
/// the occurrence's fields as changed, keyed by its original start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub event_id: CalendarEventId,
    pub recurrence_id: DateTime<Utc>,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Override {
    /// The occurrence it makes.
    pub fn occurrence(&self) -> Occurrence {
        Occurrence {
            event_id: self.event_id,
            recurrence_id: self.recurrence_id,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            title: self.title.clone(),
            location: self.location.clone(),
            is_override: true,
        }
    }
}

/// `PATCH /calendar/events/{id}/occurrences/{recurrence_id}`: the fields of one occurrence
/// that change (the rest keep the series' values, or an earlier change's).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"starts_at": "2027-03-29T10:00:00+02:00", "ends_at": "2027-03-29T11:00:00+02:00", "location": "Room 5"})))]
pub struct OccurrencePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ crate::events::TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crm_domain::kernel::rules::nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ crate::events::DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crm_domain::kernel::rules::nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ crate::events::LOCATION_MAX }>))]
    pub location: Option<Option<String>>,
    /// RFC 3339 with an offset.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub starts_at: Option<String>,
    /// After `starts_at`.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub ends_at: Option<String>,
}

/// `POST /calendar/events/{id}/split`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"recurrence_id": "2027-03-29T07:00:00Z"})))]
pub struct SplitInput {
    /// The original start of the occurrence the new series starts with (not the first).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub recurrence_id: String,
}

/// The answer of `GET /calendar/occurrences`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = occurrence_list_example))]
pub struct OccurrenceList {
    pub data: Vec<Occurrence>,
}

#[cfg(feature = "openapi")]
fn occurrence_list_example() -> serde_json::Value {
    serde_json::json!({"data": [crm_domain::kernel::openapi::example_of::<Occurrence>()]})
}

/// `GET /calendar/occurrences` query.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct OccurrenceQuery {
    /// The range's start: an RFC 3339 date and time, or a date (its midnight UTC).
    /// Required.
    #[cfg_attr(feature = "openapi", param(value_type = String, format = DateTime, required = true, example = "2027-03-01T00:00:00Z"))]
    pub from: Option<String>,
    /// The range's end (exclusive), after `from` and at most 366 days later. Required.
    #[cfg_attr(feature = "openapi", param(value_type = String, format = DateTime, required = true, example = "2027-04-01T00:00:00Z"))]
    pub to: Option<String>,
}

/// A bound of the range: an RFC 3339 instant, or a date (its midnight UTC).
fn bound(raw: &str) -> Result<DateTime<Utc>, ValueError> {
    match raw.trim().parse::<NaiveDate>() {
        Ok(d) => instant(&format!("{d}T00:00:00Z")),
        Err(_) => instant(raw),
    }
}

/// The range `[from, to)`: both required, `to` after `from` and at most 366 days later
/// (`422` naming the field).
pub fn window(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), DomainError> {
    let mut errors = Errors::new();
    let mut get = |field: &str, raw: Option<&str>| match raw {
        None => {
            errors.add(
                field,
                "required",
                "required (an RFC 3339 date and time, or a date)",
            );
            None
        }
        Some(r) => errors.take(field, bound(r)),
    };
    let (from, to) = (get("from", from), get("to", to));
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            errors.add("to", "out_of_range", "must be after from");
        } else if t - f > TimeDelta::days(MAX_RANGE_DAYS) {
            errors.add(
                "to",
                "out_of_range",
                format!("must be at most {MAX_RANGE_DAYS} days after from"),
            );
        }
    }
    errors.finish()?;
    match (from, to) {
        (Some(f), Some(t)) => Ok((f, t)),
        _ => Err(DomainError::Unexpected(
            "a checked range went missing".into(),
        )),
    }
}

/// The occurrences of `event` overlapping `[from, to)`, in order of original start: one for
/// a single event, the rule's starts less the exdates for a recurring one, each replaced by
/// its override (of `overrides`, any events') when it has one. An override counts where it
/// now is: one moved out of the range is left out, one moved into it from outside is in.
pub fn expand(
    event: &CalendarEvent,
    overrides: &[Override],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Occurrence> {
    let mine: Vec<&Override> = overrides
        .iter()
        .filter(|o| o.event_id == event.id && !event.exdates.contains(&o.recurrence_id))
        .collect();
    let overlaps = |o: &Override| o.starts_at < to && o.ends_at > from;
    let plain = plain(event, from, to);
    if mine.is_empty() {
        return plain;
    }
    let rule = event.rule();
    let series = rule.as_ref().map(|r| Series {
        start: event.starts_at,
        duration: event.duration(),
        zone: event.zone(),
        rule: r,
    });
    let mut out: Vec<Occurrence> = plain
        .into_iter()
        .filter_map(
            |occ| match mine.iter().find(|o| o.recurrence_id == occ.recurrence_id) {
                None => Some(occ),
                Some(o) => overlaps(o).then(|| o.occurrence()),
            },
        )
        .collect();
    for o in mine {
        let in_plain = out.iter().any(|x| x.recurrence_id == o.recurrence_id);
        if !in_plain && overlaps(o) && series.as_ref().is_some_and(|s| s.is_start(o.recurrence_id))
        {
            out.push(o.occurrence());
        }
    }
    out.sort_by_key(|x| x.recurrence_id);
    out
}

/// As [`expand`] without overrides.
fn plain(event: &CalendarEvent, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
    let duration = event.duration();
    let one = |start: DateTime<Utc>| Occurrence {
        event_id: event.id,
        recurrence_id: start,
        starts_at: start,
        ends_at: start + duration,
        title: event.title.clone(),
        location: event.location.clone(),
        is_override: false,
    };
    match event.rule() {
        None if event.starts_at < to && event.ends_at > from => vec![one(event.starts_at)],
        None => vec![],
        Some(rule) => Series {
            start: event.starts_at,
            duration,
            zone: event.zone(),
            rule: &rule,
        }
        .starts_between(from, to, &event.exdates)
        .into_iter()
        .map(one)
        .collect(),
    }
}

/// The occurrences of the events a caller sees.
#[derive(Clone)]
pub struct OccurrenceService {
    p: CalendarPorts,
}

impl OccurrenceService {
    pub fn new(ports: CalendarPorts) -> Self {
        Self { p: ports }
    }

    /// The caller's visible events (every event with `calendar_events:read`, else those they
    /// organize or attend) expanded over `[from, to)`, by start.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &OccurrenceQuery,
    ) -> Result<OccurrenceList, DomainError> {
        let (from, to) = window(query.from.as_deref(), query.to.as_deref())?;
        let (_, data) = self.expanded(actor, from, to).await?;
        Ok(OccurrenceList { data })
    }

    /// The caller's visible events that may occur in `[from, to)` and their occurrences
    /// there, by start (the agenda's events too).
    pub async fn expanded(
        &self,
        actor: &Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(Vec<CalendarEvent>, Vec<Occurrence>), DomainError> {
        let viewer = (!sees_all(actor)).then_some(actor.user_id);
        let events = self
            .p
            .store
            .in_range(actor.organization_id, viewer, from, to)
            .await?;
        let recurring: Vec<CalendarEventId> = events
            .iter()
            .filter(|e| e.recurrence.is_some())
            .map(|e| e.id)
            .collect();
        let overrides = self
            .p
            .store
            .overrides(actor.organization_id, &recurring)
            .await?;
        let mut data: Vec<Occurrence> = events
            .iter()
            .flat_map(|e| expand(e, &overrides, from, to))
            .collect();
        data.sort_by(|a, b| {
            (a.starts_at, a.event_id, a.recurrence_id).cmp(&(
                b.starts_at,
                b.event_id,
                b.recurrence_id,
            ))
        });
        Ok((events, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: DomainError) -> String {
        match e {
            DomainError::Invalid(v) => v[0].field.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn weekly() -> CalendarEvent {
        let t: DateTime<Utc> = "2027-03-01T08:00:00Z".parse().unwrap();
        CalendarEvent {
            id: CalendarEventId::new(),
            organization_id: crm_domain::OrganizationId::new(),
            title: "Sync".into(),
            description: None,
            location: None,
            starts_at: t,
            ends_at: t + TimeDelta::hours(1),
            all_day: false,
            start_date: None,
            end_date: None,
            time_zone: Some("Europe/Berlin".into()),
            recurrence: Some("FREQ=WEEKLY;COUNT=4".into()),
            exdates: vec![],
            attendee_ids: vec![],
            record_type: None,
            record_id: None,
            reminder_minutes: vec![],
            organizer_id: crm_domain::UserId::new(),
            series_until: None,
            created_at: t,
            updated_at: t,
            version: 1,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn overrides_replace_their_occurrence_where_it_now_is() {
        let mut e = weekly();
        let second = utc("2027-03-08T08:00:00Z");
        // Moved a week later, out of a range of the first two weeks and into the third's.
        let moved = Override {
            event_id: e.id,
            recurrence_id: second,
            title: "Moved".into(),
            description: None,
            location: Some("Room 5".into()),
            starts_at: utc("2027-03-16T08:00:00Z"),
            ends_at: utc("2027-03-16T09:00:00Z"),
        };
        let overrides = [moved.clone()];
        let two_weeks = expand(
            &e,
            &overrides,
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-14T00:00:00Z"),
        );
        assert_eq!(two_weeks.len(), 1);
        let third_week = expand(
            &e,
            &overrides,
            utc("2027-03-14T00:00:00Z"),
            utc("2027-03-21T00:00:00Z"),
        );
        assert_eq!(third_week.len(), 2);
        let o = third_week.iter().find(|o| o.is_override).unwrap();
        assert_eq!((o.recurrence_id, o.title.as_str()), (second, "Moved"));
        let all = expand(
            &e,
            &overrides,
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
        );
        assert_eq!(all.len(), 4);
        assert_eq!(all.iter().filter(|o| o.is_override).count(), 1);
        // A cancelled occurrence stays cancelled whatever its override.
        e.exdates = vec![second];
        let all = expand(
            &e,
            &overrides,
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
        );
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|o| !o.is_override));
        // An override of another event changes nothing.
        let other = Override {
            event_id: CalendarEventId::new(),
            ..moved
        };
        e.exdates.clear();
        assert!(
            expand(
                &e,
                &[other],
                utc("2027-01-01T00:00:00Z"),
                utc("2028-01-01T00:00:00Z")
            )
            .iter()
            .all(|o| !o.is_override)
        );
    }

    #[test]
    fn the_range_is_checked() {
        assert!(
            window(Some("2027-01-01"), Some("2028-01-02")).is_ok(),
            "366 days"
        );
        assert_eq!(
            field_of(window(Some("2027-01-01"), Some("2028-01-03")).unwrap_err()),
            "to"
        );
        assert_eq!(
            field_of(window(Some("2027-01-02"), Some("2027-01-01")).unwrap_err()),
            "to"
        );
        assert_eq!(
            field_of(window(None, Some("2027-01-01")).unwrap_err()),
            "from"
        );
        assert_eq!(
            field_of(window(Some("soon"), Some("2027-01-01")).unwrap_err()),
            "from"
        );
        let (f, t) = window(Some("2027-03-01T09:00:00+01:00"), Some("2027-03-02")).unwrap();
        assert_eq!(f, "2027-03-01T08:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(t, "2027-03-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }
}
