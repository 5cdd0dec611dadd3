use crate::recruitment::applications::ApplicationId;
use chrono::{DateTime, Utc};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// An interview of an application.
    InterviewId
);

crm_domain::typed_id!(
    /// One interviewer's feedback on an interview.
    FeedbackId
);

crm_domain::name_enum!(
    /// How an interview is held.
    InterviewMode, "mode" {
        Onsite => "onsite",
        Phone => "phone",
        Video => "video",
    }
);

crm_domain::name_enum!(
    /// Where an interview stands: only a `scheduled` one books its interviewers.
    InterviewStatus, "status" {
        Scheduled => "scheduled",
        Completed => "completed",
        Cancelled => "cancelled",
        NoShow => "no_show",
    }
);

crm_domain::name_enum!(
    /// An interviewer's verdict.
    Recommendation, "recommendation" {
        StrongNo => "strong_no",
        No => "no",
        Yes => "yes",
        StrongYes => "strong_yes",
    }
);

pub const LOCATION_MAX: usize = 500;
pub const NOTES_MAX: usize = 20_000;
/// Most interviewers of one interview, and the highest round.
pub const MAX_INTERVIEWERS: usize = 20;
pub const ROUND_MAX: i64 = 100;
/// The longest interview: a day.
pub const MAX_HOURS: i64 = 24;

/// An interview of an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd1a0-4000-7d2e-8f00-112233445566",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "application_id": "019cd1a0-3000-7c1e-9b2a-6f0d7c1e2a31",
    "round": 1,
    "starts_at": "2026-03-10T14:00:00.000000Z",
    "ends_at": "2026-03-10T15:00:00.000000Z",
    "mode": "video",
    "location": "https://meet.example.com/abc",
    "interviewer_ids": ["019bb138-13e8-77a9-a564-12a9b8a1abcd"],
    "status": "scheduled",
    "created_at": "2026-03-01T09:00:00.000000Z",
    "updated_at": "2026-03-01T09:00:00.000000Z",
    "version": 1
})))]
pub struct Interview {
    pub id: InterviewId,
    pub organization_id: OrganizationId,
    pub application_id: ApplicationId,
    /// 1 for the first round of interviews, 2 for the next…
    pub round: i64,
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`.
    pub ends_at: DateTime<Utc>,
    pub mode: InterviewMode,
    /// A room, an address or a meeting link.
    pub location: Option<String>,
    /// Users of the organization; none of them in another scheduled interview at the same
    /// time.
    pub interviewer_ids: Vec<UserId>,
    pub status: InterviewStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(Interview, InterviewId, "interview", scope: Option<UserId>);

/// One interviewer's feedback on an interview (given once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd1a0-4400-7d2e-8f00-112233445566",
    "interview_id": "019cd1a0-4000-7d2e-8f00-112233445566",
    "interviewer_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "rating": 4,
    "recommendation": "yes",
    "notes": "Clear on ownership and lifetimes.",
    "created_at": "2026-03-10T15:10:00.000000Z"
})))]
pub struct Feedback {
    pub id: FeedbackId,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub organization_id: OrganizationId,
    pub interview_id: InterviewId,
    pub interviewer_id: UserId,
    /// 1 to 5.
    pub rating: i64,
    pub recommendation: Recommendation,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

const MODES: &[&str] = &["onsite", "phone", "video"];
const STATUSES: &[&str] = &["scheduled", "completed", "cancelled", "no_show"];

const INTERVIEW_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("application_id", FieldKind::Uuid).filter(),
    FieldSpec::new("round", FieldKind::Integer).filter().sort(),
    FieldSpec::new("starts_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("ends_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("mode", FieldKind::Text)
        .filter()
        .sort()
        .one_of(MODES),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(STATUSES),
];

/// `GET /interviews`: newest first; filters `application_id`, `round`, `mode`, `status`;
/// ranges of start and end; `q` searches the location. Under `interviews:read:own` the
/// interviews the caller is an interviewer of.
pub const INTERVIEW_LIST_SPEC: ListSpec = ListSpec {
    fields: INTERVIEW_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /interviews`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "application_id": "019cd1a0-3000-7c1e-9b2a-6f0d7c1e2a31",
    "round": 1,
    "starts_at": "2026-03-10T15:00:00+01:00",
    "ends_at": "2026-03-10T16:00:00+01:00",
    "mode": "video",
    "location": "https://meet.example.com/abc",
    "interviewer_ids": ["019bb138-13e8-77a9-a564-12a9b8a1abcd"]
})))]
pub struct InterviewInput {
    /// An application that is not in a final stage (`409 application-closed`).
    pub application_id: ApplicationId,
    /// 1 when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { ROUND_MAX }>))]
    pub round: Option<i64>,
    /// RFC 3339 with an offset, from 2000 to the end of 2037.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub starts_at: String,
    /// After `starts_at`, at most 24 hours later.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub ends_at: String,
    pub mode: InterviewMode,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<String>,
    /// Users of the organization (`422`), at most 20; an interviewer already in a scheduled
    /// interview at the same time is `409 interviewer-busy`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub interviewer_ids: Vec<UserId>,
    /// `scheduled` when absent.
    pub status: Option<InterviewStatus>,
}

/// `PATCH /interviews/{id}`: only the fields present change; `null` clears the location.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"status": "completed"})))]
pub struct InterviewPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { ROUND_MAX }>))]
    pub round: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub starts_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub ends_at: Option<String>,
    pub mode: Option<InterviewMode>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub interviewer_ids: Option<Vec<UserId>>,
    pub status: Option<InterviewStatus>,
}

/// `POST /interviews/{id}/feedback`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "rating": 4,
    "recommendation": "yes",
    "notes": "Clear on ownership and lifetimes."
})))]
pub struct FeedbackInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<1, 5>))]
    pub rating: i64,
    pub recommendation: Recommendation,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<String>,
}

/// Interviewers as sent: at most [`MAX_INTERVIEWERS`] (counted as sent, so `maxItems` is
/// exact), duplicates dropped (first kept).
pub fn interviewers(raw: &[UserId]) -> Result<Vec<UserId>, ValueError> {
    if raw.len() > MAX_INTERVIEWERS {
        return Err(ValueError::new(
            "too_many",
            format!("at most {MAX_INTERVIEWERS} interviewers"),
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

/// The times of an interview as it will be stored: `ends_at` after `starts_at`, at most
/// [`MAX_HOURS`] later (`422 ends_at`).
pub fn check_times(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), ValueError> {
    if ends_at <= starts_at {
        return Err(ValueError::new(
            "not_after_start",
            "ends_at must be after starts_at",
        ));
    }
    if ends_at - starts_at > chrono::Duration::hours(MAX_HOURS) {
        return Err(ValueError::new(
            "too_long",
            format!("an interview lasts at most {MAX_HOURS} hours"),
        ));
    }
    Ok(())
}

/// Whether two `[start, end)` spans overlap: touching ends do not.
pub fn overlaps(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_end_comes_after_the_start_within_a_day() {
        let a = t("2026-03-10T14:00:00Z");
        assert!(check_times(a, t("2026-03-10T14:30:00Z")).is_ok());
        assert_eq!(check_times(a, a).unwrap_err().code, "not_after_start");
        assert_eq!(
            check_times(a, t("2026-03-10T13:00:00Z")).unwrap_err().code,
            "not_after_start"
        );
        assert!(check_times(a, t("2026-03-11T14:00:00Z")).is_ok());
        assert_eq!(
            check_times(a, t("2026-03-11T14:00:01Z")).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn spans_overlap_unless_they_only_touch() {
        let span = |a: &str, b: &str| (t(a), t(b));
        let nine_ten = span("2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z");
        assert!(overlaps(
            nine_ten,
            span("2026-03-10T09:30:00Z", "2026-03-10T10:30:00Z")
        ));
        assert!(overlaps(
            nine_ten,
            span("2026-03-10T08:00:00Z", "2026-03-10T11:00:00Z")
        ));
        assert!(!overlaps(
            nine_ten,
            span("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")
        ));
        assert!(!overlaps(
            nine_ten,
            span("2026-03-10T08:00:00Z", "2026-03-10T09:00:00Z")
        ));
    }

    #[test]
    fn interviewers_are_unique_and_bounded() {
        let a = UserId::new();
        assert_eq!(interviewers(&[a, a]).unwrap(), [a]);
        let many: Vec<UserId> = (0..21).map(|_| UserId::new()).collect();
        assert_eq!(interviewers(&many).unwrap_err().code, "too_many");
        // Counted as sent: 21 entries are too many even when they repeat.
        assert_eq!(interviewers(&[a; 21]).unwrap_err().code, "too_many");
        assert_eq!(interviewers(&[a; 20]).unwrap(), [a]);
    }

    #[test]
    fn listed_names_match_the_enums() {
        for (m, name) in InterviewMode::ALL.iter().zip(MODES) {
            assert_eq!(m.as_str(), *name);
        }
        for (s, name) in InterviewStatus::ALL.iter().zip(STATUSES) {
            assert_eq!(s.as_str(), *name);
        }
    }
}
