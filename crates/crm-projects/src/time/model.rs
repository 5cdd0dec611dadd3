use crate::projects::{Billing, Project, ProjectId};
use crate::tasks::TaskId;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::kernel::money::{Quantity, div_round_half_away, line_amounts};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::Owned;
use crm_domain::{DomainError, OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

crm_domain::typed_id!(
    /// A time entry.
    TimeEntryId
);

/// The most minutes of one entry, and of one person's day.
pub const MINUTES_PER_DAY: i64 = 1440;
pub const NOTE_MAX: usize = 2000;

/// A time entry: logged (`minutes` set) or running (a timer: `minutes` null).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cc2c0-1100-7d2a-9e3b-4c5d6e7f8091",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
    "task_id": "019cc2b1-0a00-7c1e-9b2a-6f0d7c1e2a31",
    "user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "work_date": "2026-03-10",
    "minutes": 90,
    "billable": true,
    "note": "Site map review",
    "bill_rate": 9500,
    "invoice_id": null,
    "started_at": null,
    "is_running": false,
    "created_at": "2026-03-10T17:00:00.000000Z",
    "updated_at": "2026-03-10T17:00:00.000000Z",
    "version": 1
})))]
pub struct TimeEntry {
    pub id: TimeEntryId,
    pub organization_id: OrganizationId,
    pub project_id: ProjectId,
    pub task_id: Option<TaskId>,
    /// Whose time it is.
    pub user_id: UserId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub work_date: NaiveDate,
    /// 1..=1440; `null` while the timer runs.
    pub minutes: Option<i64>,
    pub billable: bool,
    pub note: Option<String>,
    /// Read-only: the project's hourly rate when the entry was made (minor units per hour).
    pub bill_rate: Option<i64>,
    /// Read-only: the invoice that billed it; the entry is frozen while set.
    pub invoice_id: Option<Uuid>,
    /// When its timer started (timer entries only).
    pub started_at: Option<DateTime<Utc>>,
    pub is_running: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(TimeEntry, TimeEntryId, "time_entry", scope: Option<UserId>);

/// `:own` is the caller's own time.
impl Owned for TimeEntry {
    fn owner_id(&self) -> UserId {
        self.user_id
    }
}

const TIME_ENTRY_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("work_date", FieldKind::Date).range().sort(),
    FieldSpec::new("minutes", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("project_id", FieldKind::Uuid).filter(),
    FieldSpec::new("task_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("user_id", FieldKind::Uuid).filter(),
    FieldSpec::new("billable", FieldKind::Bool).filter(),
    FieldSpec::new("is_running", FieldKind::Bool).filter(),
    FieldSpec::new("invoice_id", FieldKind::Uuid)
        .filter()
        .nullable(),
];

/// `GET /time-entries`: newest first; filters `project_id`, `task_id`, `user_id`,
/// `billable`, `is_running`, `invoice_id`; ranges `work_date`, `minutes`, `created_at`; `q`
/// searches the note. Callers without the all-records scope see their own time.
pub const TIME_ENTRY_LIST_SPEC: ListSpec = ListSpec {
    fields: TIME_ENTRY_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /time-entries`. `bill_rate` and `invoice_id` are read-only.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "task_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
    "work_date": "2026-03-10",
    "minutes": 90,
    "note": "Site map review"
})))]
pub struct TimeEntryInput {
    /// Taken from `task_id` when absent; one of the two is required.
    pub project_id: Option<ProjectId>,
    /// A task of the project.
    pub task_id: Option<TaskId>,
    /// The caller when absent; another person's time needs the all-records scope.
    pub user_id: Option<UserId>,
    /// `YYYY-MM-DD`; today (the organization's) when absent.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub work_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<1, { MINUTES_PER_DAY }>))]
    pub minutes: i64,
    /// Whether the project is not `non_billable`, when absent.
    pub billable: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTE_MAX }>))]
    pub note: Option<String>,
}

/// `PATCH /time-entries/{id}` (not once invoiced: `409`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"minutes": 120})))]
pub struct TimeEntryPatch {
    /// A task of the entry's project, or `null` for untasked time.
    #[serde(default, deserialize_with = "nullable")]
    pub task_id: Option<Option<TaskId>>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub work_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { MINUTES_PER_DAY }>))]
    pub minutes: Option<i64>,
    pub billable: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTE_MAX }>))]
    pub note: Option<Option<String>>,
}

/// `POST /time-entries/start`: a task, or a project for untasked time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"task_id": "019cc2b1-0a00-7c1e-9b2a-6f0d7c1e2a31"})))]
pub struct TimerStartInput {
    pub task_id: Option<TaskId>,
    pub project_id: Option<ProjectId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTE_MAX }>))]
    pub note: Option<String>,
}

/// An entry's minutes: 1..=1440.
pub fn minutes(v: i64) -> Result<i64, ValueError> {
    if (1..=MINUTES_PER_DAY).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 1 and {MINUTES_PER_DAY}"),
        ))
    }
}

/// One person's day: the minutes of their other entries of that day (running timers have
/// none) plus `minutes` may not pass 1440, else `422 minutes`.
pub fn check_day_total(others: &[i64], minutes: i64) -> Result<(), DomainError> {
    let logged: i64 = others.iter().map(|m| (*m).max(0)).sum();
    if logged.saturating_add(minutes) <= MINUTES_PER_DAY {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "minutes",
            "day_full",
            format!(
                "{logged} minutes are already logged that day: at most {} more",
                (MINUTES_PER_DAY - logged).max(0)
            ),
        ))
    }
}

/// A stopped timer's minutes: the time from `started_at` to `stopped_at` rounded up to whole
/// minutes (any part of a minute counts), at least 1.
pub fn timer_minutes(started_at: DateTime<Utc>, stopped_at: DateTime<Utc>) -> i64 {
    let micros = (stopped_at - started_at)
        .num_microseconds()
        .unwrap_or(i64::MAX);
    let per_minute = 60_000_000;
    let whole = micros.div_euclid(per_minute);
    let part = micros.rem_euclid(per_minute);
    (whole + i64::from(part > 0)).max(1)
}

/// What a stopped timer logs: [`timer_minutes`], capped at what the day has room for (a
/// timer left running past the day's 1440 minutes still stops, with the rest of the day);
/// `422 minutes` when the day is already full.
pub fn stopped_minutes(
    started_at: DateTime<Utc>,
    stopped_at: DateTime<Utc>,
    others_of_day: &[i64],
) -> Result<i64, DomainError> {
    let logged: i64 = others_of_day.iter().map(|m| (*m).max(0)).sum();
    let room = MINUTES_PER_DAY - logged;
    let m = timer_minutes(started_at, stopped_at).min(room);
    check_day_total(others_of_day, m.max(1))?;
    Ok(m)
}

/// `409 timer-running`: one running entry per person.
pub fn timer_running() -> DomainError {
    DomainError::conflict("timer-running", "a timer of yours is already running")
}

/// Whether new time on a project is billable when the request does not say.
pub fn default_billable(billing: Billing) -> bool {
    billing != Billing::NonBillable
}

/// The rate a new entry keeps: the project's hourly rate now.
pub fn bill_rate(project: &Project) -> Option<i64> {
    project.hourly_rate
}

/// `409 time-entry-invoiced` once an entry is on an invoice.
pub fn check_not_invoiced(invoice_id: Option<Uuid>) -> Result<(), DomainError> {
    match invoice_id {
        None => Ok(()),
        Some(_) => Err(DomainError::conflict(
            "time-entry-invoiced",
            "an invoiced time entry cannot be changed or deleted",
        )),
    }
}

/// What groups entries into one line, in line order: untasked last, then task, then rate.
type LineKey = (bool, Option<TaskId>, i64);

/// One invoice line of project time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeLine {
    /// `None`: the project's untasked time.
    pub task_id: Option<TaskId>,
    /// Minor units per hour (an entry without a rate is billed at 0).
    pub unit_price: i64,
    pub minutes: i64,
    /// Hours with 3 decimals.
    pub quantity: Quantity,
    /// quantity × unit price, the contract's line arithmetic.
    pub amount: i64,
    /// The entries the line bills: they get the invoice's id.
    pub entry_ids: Vec<TimeEntryId>,
}

/// Hours in thousandths for `minutes`: `minutes × 1000 / 60`, rounded half away from zero
/// (exact when `minutes` is a multiple of 3).
pub fn hours(minutes: i64) -> Quantity {
    let t = div_round_half_away(i128::from(minutes) * 1000, 60);
    Quantity::from_thousandths(i64::try_from(t).unwrap_or(i64::MAX))
}

/// The time lines of `POST /projects/{id}/invoice`: the project's entries that are billable,
/// stopped, not invoiced and (with `up_to`) worked on or before it, grouped by task and
/// `bill_rate` (time of one task at two rates makes two lines; untasked time is the line
/// with no task). Lines come in task id order (creation order), untasked time last; each
/// line's rate ascending.
///
/// Rounding: the minutes of a line are summed first, then turned into hours once ([`hours`]:
/// thousandths, half away from zero), and the amount is quantity × rate rounded half away to
/// the minor unit, as every invoice line. So a line's amount is `minutes × rate / 60` rounded
/// half away exactly when its minutes are a multiple of 3, and otherwise within
/// `rate / 2000 + 1/2` minor units of it.
pub fn invoice_lines(entries: &[TimeEntry], up_to: Option<NaiveDate>) -> Vec<TimeLine> {
    let mut groups: BTreeMap<LineKey, (i64, Vec<TimeEntryId>)> = BTreeMap::new();
    for e in entries {
        let Some(m) = e.minutes else { continue };
        if !e.billable || e.invoice_id.is_some() || up_to.is_some_and(|d| e.work_date > d) {
            continue;
        }
        let g = groups
            .entry((e.task_id.is_none(), e.task_id, e.bill_rate.unwrap_or(0)))
            .or_default();
        g.0 += m;
        g.1.push(e.id);
    }
    groups
        .into_iter()
        .map(|((_, task_id, rate), (minutes, entry_ids))| {
            let quantity = hours(minutes);
            let amount = line_amounts(quantity, rate, 0).map_or(i64::MAX, |(a, _)| a);
            TimeLine {
                task_id,
                unit_price: rate,
                minutes,
                quantity,
                amount,
                entry_ids,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn entry(task: Option<TaskId>, minutes: i64, rate: Option<i64>) -> TimeEntry {
        TimeEntry {
            id: TimeEntryId::new(),
            organization_id: OrganizationId::new(),
            project_id: ProjectId(Uuid::nil()),
            task_id: task,
            user_id: UserId(Uuid::nil()),
            work_date: "2026-03-10".parse().unwrap(),
            minutes: Some(minutes),
            billable: true,
            note: None,
            bill_rate: rate,
            invoice_id: None,
            started_at: None,
            is_running: false,
            created_at: at("2026-03-10T18:00:00Z"),
            updated_at: at("2026-03-10T18:00:00Z"),
            version: 1,
        }
    }

    #[test]
    fn minutes_and_the_1440_minute_day() {
        assert!(minutes(0).is_err());
        assert_eq!(minutes(1), Ok(1));
        assert_eq!(minutes(1440), Ok(1440));
        assert!(minutes(1441).is_err());
        assert!(check_day_total(&[], 1440).is_ok());
        assert!(check_day_total(&[600, 800], 40).is_ok());
        let e = check_day_total(&[600, 800], 41).unwrap_err();
        let DomainError::Invalid(errs) = e else {
            panic!("expected 422")
        };
        assert_eq!(
            (errs[0].field.as_str(), errs[0].code.as_str()),
            ("minutes", "day_full")
        );
        assert!(errs[0].message.contains("at most 40 more"));
    }

    #[test]
    fn a_timer_rounds_up_to_whole_minutes_and_logs_at_least_one() {
        let s = at("2026-03-10T09:00:00Z");
        assert_eq!(timer_minutes(s, s), 1);
        assert_eq!(timer_minutes(s, s + Duration::seconds(1)), 1);
        assert_eq!(timer_minutes(s, s + Duration::seconds(60)), 1);
        assert_eq!(timer_minutes(s, s + Duration::microseconds(60_000_001)), 2);
        assert_eq!(timer_minutes(s, s + Duration::minutes(90)), 90);
        assert_eq!(timer_minutes(s, s + Duration::seconds(89 * 60 + 30)), 90);
        // A clock that went backwards still logs the minimum.
        assert_eq!(timer_minutes(s, s - Duration::seconds(5)), 1);
    }

    #[test]
    fn a_long_timer_stops_with_what_the_day_has_left() {
        let s = at("2026-03-10T09:00:00Z");
        assert_eq!(stopped_minutes(s, s + Duration::hours(30), &[]), Ok(1440));
        assert_eq!(
            stopped_minutes(s, s + Duration::hours(30), &[1000]),
            Ok(440)
        );
        assert_eq!(
            stopped_minutes(s, s + Duration::minutes(20), &[1000]),
            Ok(20)
        );
        assert!(stopped_minutes(s, s + Duration::minutes(20), &[1440]).is_err());
    }

    #[test]
    fn billability_rate_and_the_invoiced_freeze() {
        assert!(default_billable(Billing::Hourly));
        assert!(default_billable(Billing::Fixed));
        assert!(!default_billable(Billing::NonBillable));
        assert!(check_not_invoiced(None).is_ok());
        assert!(matches!(
            check_not_invoiced(Some(Uuid::nil())),
            Err(DomainError::Conflict {
                code: "time-entry-invoiced",
                ..
            })
        ));
        assert!(matches!(
            timer_running(),
            DomainError::Conflict {
                code: "timer-running",
                ..
            }
        ));
    }

    #[test]
    fn lines_per_task_and_rate_untasked_last() {
        let (a, b) = (TaskId::new(), TaskId::new());
        let mut invoiced = entry(Some(a), 60, Some(10_000));
        invoiced.invoice_id = Some(Uuid::nil());
        let mut unbillable = entry(Some(a), 60, Some(10_000));
        unbillable.billable = false;
        let mut running = entry(Some(a), 60, Some(10_000));
        running.minutes = None;
        running.is_running = true;
        let mut later = entry(Some(b), 60, Some(10_000));
        later.work_date = "2026-03-11".parse().unwrap();
        let e = vec![
            entry(None, 30, Some(10_000)),
            entry(Some(b), 45, Some(10_000)),
            entry(Some(a), 20, Some(10_000)),
            entry(Some(a), 10, Some(12_000)),
            entry(Some(a), 40, Some(10_000)),
            invoiced,
            unbillable,
            running,
            later,
        ];
        let lines = invoice_lines(&e, Some("2026-03-10".parse().unwrap()));
        let shape: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.task_id,
                    l.unit_price,
                    l.minutes,
                    l.quantity.to_string(),
                    l.amount,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (Some(a), 10_000, 60, "1".to_string(), 10_000),
                (Some(a), 12_000, 10, "0.167".to_string(), 2_004),
                (Some(b), 10_000, 45, "0.75".to_string(), 7_500),
                (None, 10_000, 30, "0.5".to_string(), 5_000),
            ]
        );
        assert_eq!(lines[0].entry_ids, vec![e[2].id, e[4].id]);
        // Without `up_to`, the later entry is billed too.
        assert_eq!(invoice_lines(&e, None).len(), 4);
        assert_eq!(invoice_lines(&e, None)[2].minutes, 105);
        // Nothing billable: no lines (the service answers 409).
        assert!(invoice_lines(&e[5..8], None).is_empty());
        // No rate: billed at 0.
        assert_eq!(invoice_lines(&[entry(None, 60, None)], None)[0].amount, 0);
    }

    /// `n / d` rounded half up, for n ≥ 0 and d > 0, written out without the kernel's helper.
    fn half_up(n: i128, d: i128) -> i128 {
        (2 * n + d) / (2 * d)
    }

    fn entries() -> impl Strategy<Value = Vec<(usize, i64, i64, bool, bool)>> {
        // (task index: 3 = untasked, minutes, rate index, billable, invoiced)
        prop::collection::vec(
            (
                0usize..4,
                1i64..=1440,
                0i64..3,
                any::<bool>(),
                any::<bool>(),
            ),
            0..40,
        )
    }

    proptest! {
        #[test]
        fn line_totals_follow_the_stated_rounding(raw in entries(), rates in prop::collection::vec(0i64..=1_000_000, 3)) {
            let tasks = [TaskId::new(), TaskId::new(), TaskId::new()];
            let es: Vec<TimeEntry> = raw.iter().map(|&(t, m, r, billable, invoiced)| {
                let mut e = entry(tasks.get(t).copied(), m, Some(rates[r as usize]));
                e.billable = billable;
                e.invoice_id = invoiced.then(Uuid::nil);
                e
            }).collect();
            let lines = invoice_lines(&es, None);

            // Every eligible entry on exactly one line, of its own task and rate; no other.
            let eligible: Vec<&TimeEntry> = es.iter().filter(|e| e.billable && e.invoice_id.is_none()).collect();
            let mut billed: Vec<TimeEntryId> = lines.iter().flat_map(|l| l.entry_ids.clone()).collect();
            let mut expected: Vec<TimeEntryId> = eligible.iter().map(|e| e.id).collect();
            billed.sort();
            expected.sort();
            prop_assert_eq!(billed, expected);
            for l in &lines {
                let members: Vec<&&TimeEntry> = eligible.iter().filter(|e| l.entry_ids.contains(&e.id)).collect();
                prop_assert!(members.iter().all(|e| e.task_id == l.task_id && e.bill_rate == Some(l.unit_price)));
                prop_assert_eq!(l.minutes, members.iter().map(|e| e.minutes.unwrap_or(0)).sum::<i64>());
            }
            // One line per (task, rate).
            let mut keys: Vec<_> = lines.iter().map(|l| (l.task_id, l.unit_price)).collect();
            keys.dedup();
            prop_assert_eq!(keys.len(), lines.len());

            let mut total: i128 = 0;
            for l in &lines {
                let (m, r) = (i128::from(l.minutes), i128::from(l.unit_price));
                // quantity = minutes / 60 hours in thousandths, half up; amount = quantity × rate, half up.
                let q = half_up(m * 1000, 60);
                prop_assert_eq!(i128::from(l.quantity.thousandths()), q);
                prop_assert_eq!(i128::from(l.amount), half_up(q * r, 1000));
                // Within rate/2000 + 1/2 of minutes × rate / 60 (×120000 to stay in integers)…
                let a = i128::from(l.amount);
                prop_assert!((120_000 * a - 2000 * m * r).abs() <= 60_000 + 60 * r);
                // …and exactly it, rounded half up, when the minutes are a multiple of 3.
                if l.minutes % 3 == 0 {
                    prop_assert_eq!(a, half_up(m * r, 60));
                }
                total += a;
            }
            // The lines' total: per line, the sum of its entries' minutes × rate / 60, rounded as above.
            let mut by_group: BTreeMap<(Option<TaskId>, i64), i128> = BTreeMap::new();
            for e in &eligible {
                *by_group.entry((e.task_id, e.bill_rate.unwrap_or(0))).or_default() += i128::from(e.minutes.unwrap_or(0));
            }
            let expected_total: i128 = by_group.iter().map(|((_, r), m)| half_up(half_up(m * 1000, 60) * i128::from(*r), 1000)).sum();
            prop_assert_eq!(total, expected_total);
        }
    }
}
