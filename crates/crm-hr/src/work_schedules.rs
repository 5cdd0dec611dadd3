//! `/work-schedules`: named schedules of an organization, one of them its default (the
//! schedule of every employee created without one). The rules of a schedule's hours are
//! [`crate::schedule`]'s.
//!
//! Rules, including the points the contract leaves open:
//! - every organization has exactly one default schedule: created on first need
//!   (Monday–Friday 09:00–17:00 in the organization's time zone, 15 minutes of grace, a half
//!   day below 4 hours worked), kept unique by a key on the default;
//! - making another schedule the default (`is_default: true` on create or patch) takes the
//!   flag off the previous one in the same transaction (its version rises); `is_default:
//!   false` on the default is `422 is_default` (make another one the default instead);
//! - the default cannot be deleted (`409 work-schedule-is-default`), nor a schedule employees
//!   follow (`409 work-schedule-in-use`).

use crate::ports::HrPorts;
use crate::requirements::{WorkSchedulesDelete, WorkSchedulesRead, WorkSchedulesWrite};
use crate::schedule::{Schedule, ScheduleInput, WorkDay, WorkDayInput};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use crm_domain::activity::audit;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::kernel::records::{Crud, get_all, list_all};
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::required_text;
use crm_domain::{Actor, DomainError, OrganizationId, ValueError};
use serde::{Deserialize, Serialize, Serializer};

crm_domain::typed_id!(
    /// A work schedule of an organization.
    WorkScheduleId
);

pub const NAME_MAX: usize = 100;

fn zone_name<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// A named work schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0a0-0a00-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Standard week",
    "time_zone": "Europe/Berlin",
    "days": [
        {"weekday": 1, "start": "09:00", "end": "17:00", "break_minutes": 30},
        {"weekday": 2, "start": "09:00", "end": "17:00", "break_minutes": 30}
    ],
    "late_grace_minutes": 15,
    "half_day_minutes": 240,
    "is_default": true,
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-01-05T09:00:00.000000Z",
    "version": 1
})))]
pub struct WorkSchedule {
    pub id: WorkScheduleId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    #[serde(serialize_with = "zone_name")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub time_zone: Tz,
    /// The working weekdays, Monday first.
    pub days: Vec<WorkDay>,
    pub late_grace_minutes: u32,
    /// Worked minutes below which a day is a half day.
    pub half_day_minutes: u32,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(WorkSchedule, WorkScheduleId, "work_schedule", scope: ());

impl WorkSchedule {
    /// The organization's first default: the standard week in `zone`.
    pub fn standard(org: OrganizationId, zone: Tz, now: DateTime<Utc>) -> Self {
        Self::from_schedule(
            org,
            "Standard week".into(),
            Schedule::standard(zone),
            true,
            now,
        )
    }

    fn from_schedule(
        org: OrganizationId,
        name: String,
        s: Schedule,
        is_default: bool,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: WorkScheduleId::new(),
            organization_id: org,
            name,
            time_zone: s.time_zone,
            days: s.days,
            late_grace_minutes: s.late_grace_minutes,
            half_day_minutes: s.half_day_minutes,
            is_default,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The checked rules that counting and attendance read.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            time_zone: self.time_zone,
            days: self.days.clone(),
            late_grace_minutes: self.late_grace_minutes,
            half_day_minutes: self.half_day_minutes,
        }
    }

    fn set(&mut self, s: Schedule) {
        self.time_zone = s.time_zone;
        self.days = s.days;
        self.late_grace_minutes = s.late_grace_minutes;
        self.half_day_minutes = s.half_day_minutes;
    }
}

fn day_input(d: &WorkDay) -> WorkDayInput {
    WorkDayInput {
        weekday: i64::from(d.weekday),
        start: d.start.format("%H:%M").to_string(),
        end: d.end.format("%H:%M").to_string(),
        break_minutes: i64::from(d.break_minutes),
    }
}

const WORK_SCHEDULE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("time_zone", FieldKind::Text).filter().sort(),
    FieldSpec::new("is_default", FieldKind::Bool)
        .filter()
        .sort(),
];

/// `GET /work-schedules`: oldest first (the default, created first, leads); `q` searches the
/// name.
pub const WORK_SCHEDULE_LIST_SPEC: ListSpec = ListSpec {
    fields: WORK_SCHEDULE_FIELDS,
    default_sort: "created_at",
    searchable: true,
};

/// `POST /work-schedules`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Early shift",
    "time_zone": "Europe/Berlin",
    "days": [
        {"weekday": 1, "start": "06:00", "end": "14:00", "break_minutes": 30},
        {"weekday": 2, "start": "06:00", "end": "14:00", "break_minutes": 30}
    ],
    "late_grace_minutes": 10,
    "half_day_minutes": 210
})))]
pub struct WorkScheduleInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    /// IANA time zone; default the organization's.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schedule::time_zone_schema))]
    pub time_zone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 7))]
    pub days: Vec<WorkDayInput>,
    /// Default 15.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1440))]
    pub late_grace_minutes: Option<i64>,
    /// Default half of the longest working day.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1440))]
    pub half_day_minutes: Option<i64>,
    #[serde(default)]
    pub is_default: bool,
}

/// `PATCH /work-schedules/{id}`: only the fields present change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"late_grace_minutes": 5})))]
pub struct WorkSchedulePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schedule::time_zone_schema))]
    pub time_zone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 7))]
    pub days: Option<Vec<WorkDayInput>>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1440))]
    pub late_grace_minutes: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1440))]
    pub half_day_minutes: Option<i64>,
    pub is_default: Option<bool>,
}

fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", NAME_MAX)
}

/// Half the longest working day of `days`, in minutes (240 for 09:00–17:00): the default
/// `half_day_minutes`.
fn half_of_longest(days: &[WorkDayInput]) -> i64 {
    let probe = ScheduleInput {
        time_zone: "UTC".into(),
        days: days.to_vec(),
        late_grace_minutes: 0,
        half_day_minutes: 0,
    };
    probe
        .parse()
        .map(|s| {
            s.days
                .iter()
                .map(|d| i64::from(d.working_minutes()))
                .max()
                .unwrap_or(480)
                / 2
        })
        .unwrap_or(240)
}

/// The organization's work schedules.
#[derive(Clone)]
pub struct WorkScheduleService {
    p: HrPorts,
}

impl WorkScheduleService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, WorkSchedule> {
        Crud::new(&*self.p.tx, &*self.p.schedules, &*self.p.activities)
    }

    /// Needs `work_schedules:read`; the default is created first when the organization has
    /// none yet, so every organization lists at least one.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<WorkSchedule>, DomainError> {
        require_all::<WorkSchedulesRead>(actor)?;
        self.p.default_schedule(actor.organization_id).await?;
        list_all::<WorkSchedulesRead, _>(&*self.p.schedules, actor, query).await
    }

    /// Needs `work_schedules:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        id: WorkScheduleId,
    ) -> Result<WorkSchedule, DomainError> {
        get_all::<WorkSchedulesRead, _>(&*self.p.schedules, actor, id).await
    }

    /// Needs `work_schedules:write`. `422` per bad field (`name`, `time_zone`, `days`,
    /// `days[i].start`, …).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: WorkScheduleInput,
    ) -> Result<WorkSchedule, DomainError> {
        require_all::<WorkSchedulesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let name = errors.value("name", name(&input.name));
        let zone = match input.time_zone {
            Some(z) => z,
            None => self.p.organizations.get(org).await?.timezone,
        };
        let parsed = ScheduleInput {
            time_zone: zone,
            late_grace_minutes: input.late_grace_minutes.unwrap_or(15),
            half_day_minutes: input
                .half_day_minutes
                .unwrap_or_else(|| half_of_longest(&input.days)),
            days: input.days,
        }
        .parse();
        let schedule = match parsed {
            Ok(s) => Some(s),
            Err(DomainError::Invalid(fields)) => {
                fields.into_iter().for_each(|f| errors.push(f));
                None
            }
            Err(e) => return Err(e),
        };
        errors.finish()?;
        let Some(schedule) = schedule else {
            return Err(DomainError::Unexpected(
                "a checked schedule went missing".into(),
            ));
        };
        // The organization starts with its default, whatever it creates first.
        self.p.default_schedule(org).await?;
        let now = self.p.now();
        let record = WorkSchedule::from_schedule(org, name, schedule, input.is_default, now);
        let mut tx = self.p.tx.begin().await?;
        if record.is_default {
            self.clear_default(&mut tx, actor, now).await?;
        }
        self.crud().create_in(actor, tx, record).await
    }

    async fn clear_default(
        &self,
        tx: &mut crm_domain::Txn,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let org = actor.organization_id;
        if let Some((previous, version)) = self.p.schedule_store.clear_default(tx, org, now).await?
        {
            // The audit entry of the schedule that stopped being the default.
            let after = self.p.schedules.get_for_update(tx, org, previous).await?;
            let before = WorkSchedule {
                is_default: true,
                version,
                ..after.clone()
            };
            self.p
                .activities
                .record(tx, audit::updated(actor, &before, &after))
                .await?;
        }
        Ok(())
    }

    /// Needs `work_schedules:write`. `412` on a stale version; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: WorkScheduleId,
        expected_version: Option<i64>,
        patch: WorkSchedulePatch,
    ) -> Result<WorkSchedule, DomainError> {
        require_all::<WorkSchedulesWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch("name", &mut next.name, patch.name.as_deref().map(name));
        let rules_change = patch.time_zone.is_some()
            || patch.days.is_some()
            || patch.late_grace_minutes.is_some()
            || patch.half_day_minutes.is_some();
        if rules_change {
            let input = ScheduleInput {
                time_zone: patch
                    .time_zone
                    .unwrap_or_else(|| current.time_zone.name().to_string()),
                days: patch
                    .days
                    .unwrap_or_else(|| current.days.iter().map(day_input).collect()),
                late_grace_minutes: patch
                    .late_grace_minutes
                    .unwrap_or(i64::from(current.late_grace_minutes)),
                half_day_minutes: patch
                    .half_day_minutes
                    .unwrap_or(i64::from(current.half_day_minutes)),
            };
            match input.parse() {
                Ok(s) => next.set(s),
                Err(DomainError::Invalid(fields)) => {
                    fields.into_iter().for_each(|f| errors.push(f))
                }
                Err(e) => return Err(e),
            }
        }
        match patch.is_default {
            Some(false) if current.is_default => errors.add(
                "is_default",
                "required",
                "an organization always has a default schedule: make another one the default",
            ),
            Some(v) => next.is_default = v,
            None => {}
        }
        errors.finish()?;
        let now = self.p.now();
        if next.is_default && !current.is_default {
            self.clear_default(&mut tx, actor, now).await?;
        }
        self.crud().save(actor, tx, current, next, now).await
    }

    /// Needs `work_schedules:delete`. `409 work-schedule-is-default` for the default,
    /// `409 work-schedule-in-use` while employees follow it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: WorkScheduleId) -> Result<(), DomainError> {
        require_all::<WorkSchedulesDelete>(actor)?;
        let in_use = crm_domain::kernel::records::conflict(
            "work-schedule-in-use",
            "employees still follow this schedule",
        );
        self.crud()
            .delete(actor, id, |s: WorkSchedule| {
                if s.is_default {
                    Err(DomainError::conflict(
                        "work-schedule-is-default",
                        "the default schedule cannot be deleted: make another one the default first",
                    ))
                } else {
                    Ok(s)
                }
            })
            .await
            .map_err(in_use)
    }

    /// The schedule `id` as the rules read it (any reader of HR records may need it).
    pub async fn rules_of(
        &self,
        org: OrganizationId,
        id: WorkScheduleId,
    ) -> Result<Schedule, DomainError> {
        Ok(self.p.schedules.get(org, id).await?.schedule())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_domain::kernel::records::Record as _;

    #[test]
    fn the_standard_week_is_the_default() {
        let s = WorkSchedule::standard(OrganizationId::new(), Tz::Europe__Berlin, Utc::now());
        assert!(s.is_default);
        assert_eq!(s.days.len(), 5);
        assert_eq!(s.half_day_minutes, 240);
        assert_eq!(s.version(), 1);
    }

    #[test]
    fn half_a_day_defaults_to_half_the_longest_shift() {
        let day = |w, start: &str, end: &str, b| WorkDayInput {
            weekday: w,
            start: start.into(),
            end: end.into(),
            break_minutes: b,
        };
        assert_eq!(half_of_longest(&[day(1, "09:00", "17:00", 0)]), 240);
        assert_eq!(
            half_of_longest(&[day(1, "09:00", "17:00", 60), day(2, "22:00", "06:00", 0)]),
            240
        );
        assert_eq!(half_of_longest(&[day(1, "09:00", "13:00", 0)]), 120);
    }
}
