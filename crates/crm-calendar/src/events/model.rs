//! A calendar event, its inputs and the rules of its fields.

use crate::recurrence::{Rule, Series};
use chrono::{DateTime, Duration, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A calendar event of an organization.
    CalendarEventId
);

crm_domain::name_enum!(
    /// An attendee's answer to an invitation (RFC 5545 `PARTSTAT`).
    AttendeeResponse, "response" {
        NeedsAction => "needs_action",
        Accepted => "accepted",
        Declined => "declined",
        Tentative => "tentative",
    }
);

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const LOCATION_MAX: usize = 500;
/// The most attendees of one event.
pub const MAX_ATTENDEES: usize = 200;
/// The most reminders of one event, and the earliest (four weeks before).
pub const MAX_REMINDERS: usize = 10;
pub const MAX_REMINDER_MINUTES: i64 = 40_320;
/// The most cancelled occurrences of one event.
pub const MAX_EXDATES: usize = 1000;
/// The record kinds an event may be about.
pub const RECORD_TYPES: &[&str] = &[
    "client",
    "contact",
    "lead",
    "deal",
    "quotation",
    "project",
    "task",
    "invoice",
    "contract",
    "employee",
    "candidate",
    "application",
];
/// The instants an event may take: from 2000 to the end of 2037 (MariaDB binds instants
/// as `TIMESTAMP`, which ends in January 2038; the recruitment module's bound).
pub const FIRST_INSTANT: &str = "2000-01-01T00:00:00Z";
pub const LAST_INSTANT: &str = "2037-12-31T23:59:59Z";

/// An event on the calendar of its organizer and attendees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = event_example))]
pub struct CalendarEvent {
    pub id: CalendarEventId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    /// The first occurrence's start (for an all-day event: midnight of `start_date` in
    /// `time_zone`, UTC when it has none).
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`; every occurrence lasts `ends_at - starts_at`.
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    /// An all-day event's first day (null otherwise).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<NaiveDate>,
    /// An all-day event's last day, inclusive (null otherwise).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<NaiveDate>,
    /// The IANA zone whose wall clock the event recurs on (required with `recurrence`).
    pub time_zone: Option<String>,
    /// An RFC 5545 `RRULE` value.
    pub recurrence: Option<String>,
    /// The original starts of cancelled occurrences.
    pub exdates: Vec<DateTime<Utc>>,
    pub attendee_ids: Vec<UserId>,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    /// Minutes before each occurrence an attendee is reminded, ascending.
    pub reminder_minutes: Vec<i64>,
    /// The creator (read-only).
    pub organizer_id: UserId,
    /// When the last occurrence ends (`None`: never): what range queries select by.
    #[serde(skip)]
    pub series_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(CalendarEvent, CalendarEventId, "calendar_event", scope: Option<UserId>);

#[cfg(feature = "openapi")]
fn event_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cd0a0-0b00-7000-8000-0000000000e1",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "title": "Weekly sales review",
        "description": "Pipeline and forecast",
        "location": "Room 2",
        "starts_at": "2027-03-01T08:00:00Z",
        "ends_at": "2027-03-01T09:00:00Z",
        "all_day": false,
        "start_date": null,
        "end_date": null,
        "time_zone": "Europe/Berlin",
        "recurrence": "FREQ=WEEKLY;BYDAY=MO",
        "exdates": ["2027-03-15T08:00:00Z"],
        "attendee_ids": ["019bb138-13e8-77a9-a564-12a9b8a1abcd"],
        "record_type": "deal",
        "record_id": "019c2304-2480-7896-8534-f45738d048ec",
        "reminder_minutes": [10, 60],
        "organizer_id": "019bb138-1200-7a4e-9c3b-5d2f0e8a1b2c",
        "created_at": "2027-02-20T09:00:00Z",
        "updated_at": "2027-02-20T09:00:00Z",
        "version": 1
    })
}

impl CalendarEvent {
    /// Whether `user` organizes or attends the event.
    pub fn involves(&self, user: UserId) -> bool {
        self.organizer_id == user || self.attendee_ids.contains(&user)
    }

    /// The event's zone (UTC when it has none, or a stored name no longer known).
    pub fn zone(&self) -> Tz {
        self.time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(Tz::UTC)
    }

    /// Its rule, when it recurs (a stored rule that no longer parses counts as none).
    pub fn rule(&self) -> Option<Rule> {
        self.recurrence.as_deref().and_then(|r| Rule::parse(r).ok())
    }

    pub fn duration(&self) -> TimeDelta {
        self.ends_at - self.starts_at
    }

    /// When the reminder job first looks at the event as written: at the write (its
    /// `updated_at`) when it has reminders and its series is not over then, else never. The
    /// job then keeps the next time itself ([`crate::reminders::next_check`]); any later
    /// write starts over from here, so an edit is looked at within a minute.
    pub fn reminder_check_at(&self) -> Option<DateTime<Utc>> {
        let ahead = self.series_until.is_none_or(|u| u > self.updated_at);
        (!self.reminder_minutes.is_empty() && ahead).then_some(self.updated_at)
    }

    /// What ranges select the event by: its end, or its last occurrence's (`None`: never).
    pub fn computed_series_until(&self) -> Option<DateTime<Utc>> {
        match self.rule() {
            None => Some(self.ends_at),
            Some(rule) => Series {
                start: self.starts_at,
                duration: self.duration(),
                zone: self.zone(),
                rule: &rule,
            }
            .last_end(),
        }
    }
}

const EVENT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("starts_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("ends_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("all_day", FieldKind::Bool).filter(),
    FieldSpec::new("organizer_id", FieldKind::Uuid).filter(),
    FieldSpec::new("record_type", FieldKind::Text)
        .filter()
        .nullable()
        .one_of(RECORD_TYPES),
    FieldSpec::new("record_id", FieldKind::Uuid)
        .filter()
        .nullable(),
];

/// `GET /calendar/events`: by first start; filters `all_day`, `organizer_id`,
/// `record_type`, `record_id`; `q` searches the title, description and location. Callers
/// without `calendar_events:read` see the events they organize or attend.
pub const EVENT_LIST_SPEC: ListSpec = ListSpec {
    fields: EVENT_FIELDS,
    default_sort: "starts_at",
    searchable: true,
};

/// `POST /calendar/events`. A timed event takes `starts_at` and `ends_at`; an all-day one
/// (`all_day: true`) `start_date` and `end_date` (its times are derived from them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Weekly sales review",
    "description": "Pipeline and forecast",
    "location": "Room 2",
    "starts_at": "2027-03-01T09:00:00+01:00",
    "ends_at": "2027-03-01T10:00:00+01:00",
    "time_zone": "Europe/Berlin",
    "recurrence": "FREQ=WEEKLY;BYDAY=MO",
    "reminder_minutes": [10]
})))]
pub struct EventInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<String>,
    /// RFC 3339 with an offset; required unless `all_day`.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub starts_at: Option<String>,
    /// After `starts_at`; required unless `all_day`.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub ends_at: Option<String>,
    pub all_day: Option<bool>,
    /// Required with `all_day`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
    /// With `all_day`: the last day, inclusive (`start_date` when absent).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<String>,
    /// An IANA zone; required with `recurrence`.
    #[cfg_attr(feature = "openapi", schema(schema_with = time_zone_schema))]
    pub time_zone: Option<String>,
    /// An RFC 5545 `RRULE` value: `FREQ` (`DAILY|WEEKLY|MONTHLY|YEARLY`), `INTERVAL`,
    /// `COUNT`, `UNTIL` (UTC, `20271231T235959Z`), `BYDAY`, `BYMONTHDAY`, `BYSETPOS`.
    pub recurrence: Option<String>,
    /// Original starts of cancelled occurrences (RFC 3339), at most 1,000.
    #[cfg_attr(feature = "openapi", schema(schema_with = exdates_schema))]
    pub exdates: Option<Vec<String>>,
    /// Users of the organization, at most 200.
    #[cfg_attr(feature = "openapi", schema(schema_with = attendees_schema))]
    pub attendee_ids: Option<Vec<UserId>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = record_type_schema))]
    pub record_type: Option<String>,
    /// Required with `record_type`.
    pub record_id: Option<Uuid>,
    /// 0 to 40,320 each, at most 10.
    #[cfg_attr(feature = "openapi", schema(schema_with = reminders_schema))]
    pub reminder_minutes: Option<Vec<i64>>,
}

/// `PATCH /calendar/events/{id}`: only the fields present change; `null` clears what may be
/// empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"title": "Sales review", "location": null})))]
pub struct EventPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub starts_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub ends_at: Option<String>,
    pub all_day: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = time_zone_schema))]
    pub time_zone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub recurrence: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = exdates_schema))]
    pub exdates: Option<Vec<String>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = attendees_schema))]
    pub attendee_ids: Option<Vec<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = record_type_schema))]
    pub record_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub record_id: Option<Option<Uuid>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = reminders_schema))]
    pub reminder_minutes: Option<Vec<i64>>,
}

#[cfg(feature = "openapi")]
fn list_of(
    items: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    max: usize,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, Schema, SchemaType, Type};
    utoipa::openapi::RefOr::T(Schema::Array(
        ArrayBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
            .items(items)
            .max_items(Some(max))
            .build(),
    ))
}

#[cfg(feature = "openapi")]
fn string_of(
    format: utoipa::openapi::KnownFormat,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(format)))
        .into()
}

#[cfg(feature = "openapi")]
fn exdates_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    list_of(
        string_of(utoipa::openapi::KnownFormat::DateTime),
        MAX_EXDATES,
    )
}

#[cfg(feature = "openapi")]
fn attendees_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    list_of(string_of(utoipa::openapi::KnownFormat::Uuid), MAX_ATTENDEES)
}

#[cfg(feature = "openapi")]
fn reminders_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    list_of(
        crm_domain::kernel::openapi::int_range::<0, MAX_REMINDER_MINUTES>(),
        MAX_REMINDERS,
    )
}

/// One of the IANA zone names this server knows (what [`time_zone`] accepts), or null.
#[cfg(feature = "openapi")]
fn time_zone_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            chrono_tz::TZ_VARIANTS
                .iter()
                .map(|z| serde_json::Value::from(z.name()))
                .chain([serde_json::Value::Null]),
        ))
        .examples(["Europe/Berlin"])
        .into()
}

#[cfg(feature = "openapi")]
fn record_type_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crm_domain::kernel::openapi::one_of(RECORD_TYPES, true)
}

/// An attendee of an event (`GET /calendar/events/{id}/attendees`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd", "response": "accepted"})))]
pub struct Attendee {
    pub user_id: UserId,
    pub response: AttendeeResponse,
}

/// `POST /calendar/events/{id}/respond`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"response": "accepted"})))]
pub struct RespondInput {
    pub response: AttendeeResponse,
}

// --- field rules ---

pub fn title(raw: &str) -> Result<String, ValueError> {
    crm_domain::kernel::text::required_text(raw, "title", TITLE_MAX)
}

pub fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    crm_domain::kernel::text::optional_text(raw, "description", DESCRIPTION_MAX, true)
}

pub fn location(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    crm_domain::kernel::text::optional_text(raw, "location", LOCATION_MAX, false)
}

/// An RFC 3339 instant with its offset, kept in UTC to the second, from [`FIRST_INSTANT`]
/// to [`LAST_INSTANT`].
pub fn instant(raw: &str) -> Result<DateTime<Utc>, ValueError> {
    let t = DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ValueError::new(
                "invalid",
                "must be an RFC 3339 date and time with an offset (2027-03-01T09:00:00+01:00)",
            )
        })?;
    let t = t - TimeDelta::nanoseconds(i64::from(t.timestamp_subsec_nanos()));
    let bound = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
    if t < bound(FIRST_INSTANT) || t > bound(LAST_INSTANT) {
        return Err(ValueError::new(
            "out_of_range",
            format!("must be from {FIRST_INSTANT} to {LAST_INSTANT}"),
        ));
    }
    Ok(t)
}

/// An IANA zone name known to the time-zone database, as it spells it.
pub fn time_zone(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    match raw.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok(None),
        Some(z) => z
            .parse::<Tz>()
            .map(|tz| Some(tz.name().to_string()))
            .map_err(|_| {
                ValueError::new("invalid", "must be an IANA time zone such as Europe/Berlin")
            }),
    }
}

pub fn recurrence(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => Rule::parse(r).map(|r| Some(r.as_str().to_string())),
    }
}

pub fn record_type(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    match raw {
        None => Ok(None),
        Some(t) if RECORD_TYPES.contains(&t) => Ok(Some(t.to_string())),
        Some(_) => Err(ValueError::new(
            "invalid",
            format!("must be one of {}", RECORD_TYPES.join(", ")),
        )),
    }
}

/// Reminders: at most 10 as sent, each 0..=40,320 minutes; duplicates dropped, ascending.
pub fn reminder_minutes(raw: &[i64]) -> Result<Vec<i64>, ValueError> {
    if raw.len() > MAX_REMINDERS {
        return Err(ValueError::new(
            "too_many",
            format!("at most {MAX_REMINDERS} reminders"),
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for m in raw {
        if !(0..=MAX_REMINDER_MINUTES).contains(m) {
            return Err(ValueError::new(
                "out_of_range",
                format!("each must be between 0 and {MAX_REMINDER_MINUTES} minutes"),
            ));
        }
        out.push(*m);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Attendees: at most 200 as sent; duplicates dropped (first kept).
pub fn attendee_ids(raw: &[UserId]) -> Result<Vec<UserId>, ValueError> {
    if raw.len() > MAX_ATTENDEES {
        return Err(ValueError::new(
            "too_many",
            format!("at most {MAX_ATTENDEES} attendees"),
        ));
    }
    let mut out: Vec<UserId> = Vec::with_capacity(raw.len());
    for u in raw {
        if !out.contains(u) {
            out.push(*u);
        }
    }
    Ok(out)
}

/// Exdates: at most 1,000 as sent, RFC 3339 instants, each filed under its index;
/// duplicates dropped, ascending.
pub fn exdates(raw: &[String], errors: &mut Errors) -> Vec<DateTime<Utc>> {
    if raw.len() > MAX_EXDATES {
        errors.add(
            "exdates",
            "too_many",
            format!("at most {MAX_EXDATES} cancelled occurrences"),
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        if let Some(t) = errors.take(&format!("exdates[{i}]"), instant(r)) {
            out.push(t);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Midnight starting `day` in `zone`, as an instant (the first instant of the day where
/// midnight falls into a gap).
fn day_start(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    let mut t = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(s) = zone.from_local_datetime(&t).earliest() {
            return s.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    t.and_utc()
}

/// The cross-field rules of an event as it will be stored, filed under the field a client
/// would fix; on success the derived fields are set (an all-day event's times, the
/// `series_until`).
///
/// - all-day: `start_date` required, `end_date` (default `start_date`) not before it; the
///   times are midnight of `start_date` and of the day after `end_date` in the zone;
/// - timed: no `start_date`/`end_date`; `ends_at` after `starts_at`;
/// - `recurrence` needs `time_zone` and must run from the start; `exdates` need a
///   `recurrence`; `record_type` and `record_id` go together.
pub fn settle(e: &mut CalendarEvent, errors: &mut Errors) {
    if e.all_day {
        match e.start_date {
            None => errors.add(
                "start_date",
                "required",
                "an all-day event needs its first day",
            ),
            Some(start) => {
                let end = *e.end_date.get_or_insert(start);
                if end < start {
                    errors.add("end_date", "out_of_range", "must not be before start_date");
                } else {
                    let zone = e.zone();
                    e.starts_at = day_start(start, zone);
                    e.ends_at = day_start(end + Duration::days(1), zone);
                }
            }
        }
    } else {
        if e.start_date.is_some() {
            errors.add(
                "start_date",
                "not_allowed",
                "only an all-day event has dates",
            );
        }
        if e.end_date.is_some() {
            errors.add("end_date", "not_allowed", "only an all-day event has dates");
        }
        if e.ends_at <= e.starts_at {
            errors.add("ends_at", "out_of_range", "must be after starts_at");
        }
    }
    match e.recurrence.as_deref().map(Rule::parse) {
        None => {
            if !e.exdates.is_empty() {
                errors.add(
                    "exdates",
                    "not_allowed",
                    "only a recurring event has exdates",
                );
            }
        }
        Some(Err(err)) => errors.push(err.into_field("recurrence")),
        Some(Ok(rule)) => match e.time_zone.as_deref() {
            None => errors.add(
                "time_zone",
                "required",
                "a recurring event needs the time zone it recurs in",
            ),
            Some(_) => {
                if let Err(err) = rule.check(e.starts_at, e.zone()) {
                    errors.push(err.into_field("recurrence"));
                }
            }
        },
    }
    match (&e.record_type, e.record_id) {
        (Some(_), None) => errors.add("record_id", "required", "required with record_type"),
        (None, Some(_)) => errors.add("record_type", "required", "required with record_id"),
        _ => {}
    }
    if errors.is_empty() {
        e.series_until = e.computed_series_until();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> CalendarEvent {
        let t: DateTime<Utc> = "2027-03-01T08:00:00Z".parse().unwrap();
        CalendarEvent {
            id: CalendarEventId::new(),
            organization_id: OrganizationId::new(),
            title: "Review".into(),
            description: None,
            location: None,
            starts_at: t,
            ends_at: t + TimeDelta::hours(1),
            all_day: false,
            start_date: None,
            end_date: None,
            time_zone: None,
            recurrence: None,
            exdates: vec![],
            attendee_ids: vec![],
            record_type: None,
            record_id: None,
            reminder_minutes: vec![],
            organizer_id: UserId::new(),
            series_until: None,
            created_at: t,
            updated_at: t,
            version: 1,
        }
    }

    fn fields(e: &mut CalendarEvent) -> Vec<String> {
        let mut errors = Errors::new();
        settle(e, &mut errors);
        match errors.finish() {
            Ok(()) => vec![],
            Err(crm_domain::DomainError::Invalid(v)) => v.into_iter().map(|f| f.field).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn ends_at_must_follow_starts_at() {
        let mut e = event();
        assert!(fields(&mut e).is_empty());
        assert_eq!(e.series_until, Some(e.ends_at));
        e.ends_at = e.starts_at;
        assert_eq!(fields(&mut e), ["ends_at"]);
    }

    #[test]
    fn recurrence_needs_a_zone_and_a_rule_that_runs() {
        let mut e = event();
        e.recurrence = Some("FREQ=WEEKLY".into());
        assert_eq!(fields(&mut e), ["time_zone"]);
        e.time_zone = Some("Europe/Berlin".into());
        assert!(fields(&mut e).is_empty());
        assert_eq!(e.series_until, None, "forever");
        e.recurrence = Some("FREQ=WEEKLY;COUNT=2".into());
        assert!(fields(&mut e).is_empty());
        assert_eq!(
            e.series_until,
            Some("2027-03-08T09:00:00Z".parse().unwrap())
        );
        e.recurrence = Some("FREQ=WEEKLY;UNTIL=20200101T000000Z".into());
        assert_eq!(fields(&mut e), ["recurrence"]);
        e.recurrence = None;
        e.exdates = vec![e.starts_at];
        assert_eq!(fields(&mut e), ["exdates"]);
    }

    #[test]
    fn all_day_events_take_dates_and_derive_their_times_in_the_zone() {
        let mut e = event();
        e.all_day = true;
        assert_eq!(fields(&mut e), ["start_date"]);
        e.start_date = Some("2027-03-28".parse().unwrap());
        e.time_zone = Some("Europe/Berlin".into());
        assert!(fields(&mut e).is_empty());
        assert_eq!(e.end_date, e.start_date);
        assert_eq!(
            e.starts_at,
            "2027-03-27T23:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // The day of the spring change is 23 hours long.
        assert_eq!(
            e.ends_at,
            "2027-03-28T22:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        e.end_date = Some("2027-03-27".parse().unwrap());
        assert_eq!(fields(&mut e), ["end_date"]);
        let mut timed = event();
        timed.start_date = Some("2027-03-28".parse().unwrap());
        assert_eq!(fields(&mut timed), ["start_date"]);
    }

    #[test]
    fn values_are_checked() {
        assert_eq!(
            instant("2027-03-01T09:00:00.123456+01:00").unwrap(),
            "2027-03-01T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(instant("2027-03-01").is_err());
        assert!(instant("2099-01-01T00:00:00Z").is_err());
        assert_eq!(
            time_zone(Some(" Europe/Berlin ")).unwrap().as_deref(),
            Some("Europe/Berlin")
        );
        assert!(time_zone(Some("Mars/Olympus")).is_err());
        assert_eq!(reminder_minutes(&[60, 10, 10]).unwrap(), [10, 60]);
        assert!(reminder_minutes(&[-1]).is_err());
        assert!(reminder_minutes(&(0..11).collect::<Vec<_>>()).is_err());
        let u = UserId::new();
        assert_eq!(attendee_ids(&[u, u]).unwrap(), [u]);
        assert!(record_type(Some("spaceship")).is_err());
        let mut errors = Errors::new();
        exdates(&["nope".into()], &mut errors);
        let Err(crm_domain::DomainError::Invalid(v)) = errors.finish() else {
            panic!("expected 422");
        };
        assert_eq!(v[0].field, "exdates[0]");
    }

    #[test]
    fn inputs_refuse_read_only_fields() {
        for f in ["organizer_id", "id", "version", "series_until"] {
            let r = serde_json::from_value::<EventPatch>(serde_json::json!({ f: null }));
            assert!(r.is_err(), "{f}");
        }
    }
}
