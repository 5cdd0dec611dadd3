//! `/training-sessions`: one sitting of a program (`program_id`, `starts_at` < `ends_at`,
//! `location`, `trainer`, `capacity`, `status` scheduled|completed|cancelled). A session
//! with enrollments cannot be deleted (`409 training-session-in-use`): cancel it instead.

use super::common::{instant, text_of};
use super::programs::TrainingProgramId;
use crate::ports::HrPorts;
use crate::requirements::{TrainingSessionsDelete, TrainingSessionsRead, TrainingSessionsWrite};
use chrono::{DateTime, Utc};
use crm_domain::kernel::input::{Errors, text};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::require_all;
use crm_domain::{Actor, DomainError, OrganizationId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A session of a training program.
    TrainingSessionId
);

crm_domain::name_enum!(
    /// Where a session stands.
    SessionStatus, "status" {
        Scheduled => "scheduled",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

pub const LOCATION_MAX: usize = 200;
pub const TRAINER_MAX: usize = 200;
/// The most seats of one session.
pub const CAPACITY_MAX: i64 = 10_000;

/// A session of a training program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0b0-2000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "program_id": "019cd0b0-1000-7000-8000-000000000001",
    "starts_at": "2026-03-10T09:00:00.000000Z",
    "ends_at": "2026-03-11T17:00:00.000000Z",
    "location": "Room 4, Dublin office",
    "trainer": "Red Cross instructor",
    "capacity": 12,
    "status": "scheduled",
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-01-05T09:00:00.000000Z",
    "version": 1
})))]
pub struct TrainingSession {
    pub id: TrainingSessionId,
    pub organization_id: OrganizationId,
    /// The program taught; fixed once the session exists.
    pub program_id: TrainingProgramId,
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`. Its date in the organization's time zone is the `completed_on` of
    /// the enrollments that pass.
    pub ends_at: DateTime<Utc>,
    pub location: Option<String>,
    pub trainer: Option<String>,
    /// Seats; `null`: unlimited. An enrollment beyond it is `409 training-session-full`.
    pub capacity: Option<i64>,
    pub status: SessionStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(TrainingSession, TrainingSessionId, "training_session", scope: ());

const SESSION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("starts_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("ends_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("location", FieldKind::Text)
        .sort()
        .nullable(),
    FieldSpec::new("trainer", FieldKind::Text).sort().nullable(),
    FieldSpec::new("capacity", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(&["scheduled", "completed", "cancelled"])
        .doc("scheduled, completed or cancelled"),
    FieldSpec::new("program_id", FieldKind::Uuid).filter(),
];

/// `GET /training-sessions`: soonest first; `program_id`, `status`; ranges of the times and
/// the capacity; `q` searches the location and the trainer.
pub const TRAINING_SESSION_LIST_SPEC: ListSpec = ListSpec {
    fields: SESSION_FIELDS,
    default_sort: "starts_at",
    searchable: true,
};

/// `POST /training-sessions`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "program_id": "019cd0b0-1000-7000-8000-000000000001",
    "starts_at": "2026-03-10T09:00:00Z",
    "ends_at": "2026-03-11T17:00:00Z",
    "location": "Room 4, Dublin office",
    "trainer": "Red Cross instructor",
    "capacity": 12
})))]
pub struct TrainingSessionInput {
    /// A program of the organization (`422 not_found`).
    pub program_id: TrainingProgramId,
    /// RFC 3339 with an offset, years 1970–9000.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub starts_at: String,
    /// After `starts_at` (`422 ends_at`).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub ends_at: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ TRAINER_MAX }>))]
    pub trainer: Option<String>,
    /// Seats (1–10000); absent or `null`: unlimited.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { CAPACITY_MAX }>))]
    pub capacity: Option<i64>,
    /// Default `scheduled`.
    pub status: Option<SessionStatus>,
}

/// `PATCH /training-sessions/{id}`: only the fields present change; `null` clears what may be
/// empty. The program is fixed (`422` on `program_id`). A capacity below the enrollments the
/// session already has is `422 capacity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"location": "Room 5, Dublin office"})))]
pub struct TrainingSessionPatch {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub starts_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub ends_at: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ TRAINER_MAX }>))]
    pub trainer: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { CAPACITY_MAX }>))]
    pub capacity: Option<Option<i64>>,
    pub status: Option<SessionStatus>,
}

fn location(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    text_of(raw, "location", LOCATION_MAX)
}

fn trainer(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    text_of(raw, "trainer", TRAINER_MAX)
}

/// Seats: 1 to [`CAPACITY_MAX`], or none (unlimited).
pub fn capacity(v: Option<i64>) -> Result<Option<i64>, ValueError> {
    match v {
        Some(c) if !(1..=CAPACITY_MAX).contains(&c) => Err(ValueError::new(
            "out_of_range",
            format!("must be between 1 and {CAPACITY_MAX} (none: unlimited)"),
        )),
        v => Ok(v),
    }
}

/// `ends_at` after `starts_at`, else `422 ends_at` / `not_after_start`.
pub fn check_times(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), ValueError> {
    if ends_at <= starts_at {
        Err(ValueError::new(
            "not_after_start",
            "ends_at must be after starts_at",
        ))
    } else {
        Ok(())
    }
}

/// `409 training-session-full` when a session of `capacity` seats holding `enrolled`
/// enrollments takes no more.
pub fn check_seat(capacity: Option<i64>, enrolled: i64) -> Result<(), DomainError> {
    match capacity {
        Some(c) if enrolled >= c => Err(DomainError::conflict(
            "training-session-full",
            format!("the session is full ({c} seats taken)"),
        )),
        _ => Ok(()),
    }
}

/// The organization's training sessions.
#[derive(Clone)]
pub struct TrainingSessionService {
    p: HrPorts,
}

impl TrainingSessionService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    crm_domain::record_use_cases!(training_sessions: TrainingSession, TrainingSessionId,
        read: TrainingSessionsRead, delete: TrainingSessionsDelete,
        in_use: "training-session-in-use",
        "the session has enrollments: cancel it instead");

    /// Needs `training_sessions:write`. The program must be one of the organization's (`422
    /// program_id`); `ends_at` after `starts_at` (`422 ends_at`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: TrainingSessionInput,
    ) -> Result<TrainingSession, DomainError> {
        require_all::<TrainingSessionsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let starts_at = errors.take("starts_at", instant(&input.starts_at));
        let ends_at = errors.take("ends_at", instant(&input.ends_at));
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && let Err(err) = check_times(s, e)
        {
            errors.push(err.into_field("ends_at"));
        }
        let location = errors.value("location", location(input.location.as_deref()));
        let trainer = errors.value("trainer", trainer(input.trainer.as_deref()));
        let capacity = errors.value("capacity", capacity(input.capacity));
        let found = self.p.training_programs.get(org, input.program_id).await;
        errors.reference("program_id", "training program", found)?;
        errors.finish()?;
        let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at) else {
            return Err(DomainError::Unexpected("checked times went missing".into()));
        };
        let now = self.p.now();
        let session = TrainingSession {
            id: TrainingSessionId::new(),
            organization_id: org,
            program_id: input.program_id,
            starts_at,
            ends_at,
            location,
            trainer,
            capacity,
            status: input.status.unwrap_or(SessionStatus::Scheduled),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create(actor, session).await
    }

    /// Needs `training_sessions:write`. `412` on a stale version; `422` per bad field (times
    /// checked on the session as it will be stored; a capacity below the enrollments counted
    /// under the session's lock is `capacity` / `below_enrolled`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: TrainingSessionId,
        expected_version: Option<i64>,
        patch: TrainingSessionPatch,
    ) -> Result<TrainingSession, DomainError> {
        require_all::<TrainingSessionsWrite>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch(
            "starts_at",
            &mut next.starts_at,
            patch.starts_at.as_deref().map(instant),
        );
        errors.patch(
            "ends_at",
            &mut next.ends_at,
            patch.ends_at.as_deref().map(instant),
        );
        if (patch.starts_at.is_some() || patch.ends_at.is_some())
            && let Err(e) = check_times(next.starts_at, next.ends_at)
        {
            errors.push(e.into_field("ends_at"));
        }
        errors.patch(
            "location",
            &mut next.location,
            text(&patch.location, location),
        );
        errors.patch("trainer", &mut next.trainer, text(&patch.trainer, trainer));
        errors.patch("capacity", &mut next.capacity, patch.capacity.map(capacity));
        if let Some(s) = patch.status {
            next.status = s;
        }
        if let Some(c) = next.capacity
            && next.capacity != current.capacity
        {
            let enrolled = self
                .p
                .training_store
                .enrolled_count(&mut tx, org, id)
                .await?;
            if c < enrolled {
                errors.add(
                    "capacity",
                    "below_enrolled",
                    format!("the session already has {enrolled} enrollments"),
                );
            }
        }
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_session_ends_after_it_starts() {
        assert!(check_times(at("2026-03-10T09:00:00Z"), at("2026-03-10T09:00:01Z")).is_ok());
        let e = check_times(at("2026-03-10T09:00:00Z"), at("2026-03-10T09:00:00Z")).unwrap_err();
        assert_eq!(e.code, "not_after_start");
        assert!(check_times(at("2026-03-10T09:00:00Z"), at("2026-03-09T09:00:00Z")).is_err());
    }

    #[test]
    fn seats_run_out_at_the_capacity() {
        assert!(check_seat(None, 10_000).is_ok());
        assert!(check_seat(Some(3), 2).is_ok());
        let e = check_seat(Some(3), 3).unwrap_err();
        assert!(matches!(
            e,
            DomainError::Conflict {
                code: "training-session-full",
                ..
            }
        ));
        assert!(check_seat(Some(3), 4).is_err());
        assert_eq!(capacity(Some(0)).unwrap_err().code, "out_of_range");
        assert_eq!(capacity(None).unwrap(), None);
        assert_eq!(capacity(Some(CAPACITY_MAX)).unwrap(), Some(CAPACITY_MAX));
    }
}
