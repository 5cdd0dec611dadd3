//! Attendance days, derived (never stored) from a person's schedule, the organization's
//! holidays, their approved leave and their punches: one row per date, read in the
//! schedule's time zone.
//!
//! Rules, including the points the contract leaves open:
//! - **Which day a punch belongs to**: the local date of its check-in in the schedule's zone,
//!   except a check-in before the end of the previous day's night shift (a shift ending the
//!   next morning), which belongs to that previous day. A whole punch belongs to one day (a
//!   day shift worked past midnight stays on the day it began), so a night shift or a zone far
//!   from UTC (Pacific/Kiritimati, UTC+14) never moves a day.
//! - `first_in`: the earliest check-in of the day; `last_out`: the latest check-out, `null`
//!   while one of the day's punches is still open.
//! - `worked_minutes`: the closed punches' durations summed, in whole minutes (seconds
//!   dropped once, from the sum). An open punch counts once it is closed. The schedule's
//!   break is not subtracted: punches say what was worked.
//! - `late` when the first check-in is after the shift's start + `late_grace_minutes`;
//!   `late_minutes` then counts from the start (0 otherwise).
//! - `half_day` when the worked minutes are below `half_day_minutes`, judged once the day is
//!   over (after the later of the shift's end and the local midnight ending the date); it
//!   wins over `late` (`late_minutes` still says how late).
//! - Precedence: outside the employment (before `hire_date`, after `termination_date`) the
//!   status is `null`; then `holiday`; then `weekend` (a non-working weekday); then
//!   `on_leave` (approved leave on a working day; a half-day leave with any attendance is
//!   `present`, lateness not judged); then the punches; then `absent` for a working day that
//!   is over with no attendance and no leave.
//! - **Today and the future**: a working day that is not over and has no attendance yet has
//!   the status `null` (nothing to say yet, never `absent`); holidays, weekends and leave are
//!   known ahead and show; a day under way with a check-in is `late` or `present`.
//! - Worked time on holidays and weekends is still reported (`first_in`, `last_out`,
//!   `worked_minutes`).

use crate::employees::EmployeeId;
use crate::leave::{ApprovedLeave, LeaveRequestId};
use crate::schedule::Schedule;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

crm_domain::name_enum!(
    /// What a date was for a person.
    DayStatus, "status" {
        Present => "present",
        Late => "late",
        HalfDay => "half_day",
        Absent => "absent",
        OnLeave => "on_leave",
        Holiday => "holiday",
        Weekend => "weekend",
    }
);

/// A punch as the days read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Punch {
    pub check_in_at: DateTime<Utc>,
    /// `None` while open.
    pub check_out_at: Option<DateTime<Utc>>,
}

/// One date of a person's attendance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "date": "2026-03-10",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "status": "late",
    "first_in": "2026-03-09T20:40:00Z",
    "last_out": "2026-03-10T04:00:00Z",
    "worked_minutes": 440,
    "late_minutes": 40,
    "leave_request_id": null
})))]
pub struct AttendanceDay {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: NaiveDate,
    pub employee_id: EmployeeId,
    /// `null` for a working day not over yet with no attendance (today, the future), and
    /// outside the person's employment.
    pub status: Option<DayStatus>,
    pub first_in: Option<DateTime<Utc>>,
    /// `null` while a punch of the day is open.
    pub last_out: Option<DateTime<Utc>>,
    pub worked_minutes: i64,
    pub late_minutes: i64,
    /// The approved leave of the day, if any.
    pub leave_request_id: Option<LeaveRequestId>,
}

/// Everything the days of one person are derived from.
#[derive(Clone, Debug)]
pub struct DayInputs<'a> {
    pub employee_id: EmployeeId,
    pub schedule: &'a Schedule,
    /// The organization's holidays (any range: only the dates asked for are read).
    pub holidays: &'a HashSet<NaiveDate>,
    /// The person's approved leave.
    pub leave: &'a [ApprovedLeave],
    /// The person's punches (any order; those belonging to other dates are ignored).
    pub punches: &'a [Punch],
    /// `hire_date`, and `termination_date` if any.
    pub employed_from: NaiveDate,
    pub employed_to: Option<NaiveDate>,
    pub now: DateTime<Utc>,
}

/// The instant a wall-clock time of `zone` names: the earlier of two in a repeated hour, the
/// first instant after a skipped one (clocks put forward).
pub fn local_instant(zone: Tz, t: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&t) {
        LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => x.with_timezone(&Utc),
        LocalResult::None => {
            let later = t + Duration::hours(1);
            match zone.from_local_datetime(&later) {
                LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => x.with_timezone(&Utc),
                // No zone skips two hours; read it as UTC rather than fail.
                LocalResult::None => Utc.from_utc_datetime(&t),
            }
        }
    }
}

/// The date a punch checked in at `check_in` belongs to under `schedule`.
pub fn owning_date(schedule: &Schedule, check_in: DateTime<Utc>) -> NaiveDate {
    let local = check_in.with_timezone(&schedule.time_zone).naive_local();
    let date = local.date();
    if let Some(prev) = date.pred_opt()
        && let Some(day) = schedule.day(prev.weekday())
        && day.crosses_midnight()
        && local.time() < day.end
    {
        return prev;
    }
    date
}

/// The instant the shift of `date` starts, if `date` is a working weekday.
pub fn shift_start(schedule: &Schedule, date: NaiveDate) -> Option<DateTime<Utc>> {
    let day = schedule.day(date.weekday())?;
    Some(local_instant(schedule.time_zone, date.and_time(day.start)))
}

/// The instant `date` is over: the later of its shift's end (the next morning for a night
/// shift) and the local midnight that ends it.
pub fn day_end(schedule: &Schedule, date: NaiveDate) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date);
    let midnight = local_instant(schedule.time_zone, next.and_time(chrono::NaiveTime::MIN));
    match schedule.day(date.weekday()) {
        Some(day) => {
            let end_date = if day.crosses_midnight() { next } else { date };
            midnight.max(local_instant(
                schedule.time_zone,
                end_date.and_time(day.end),
            ))
        }
        None => midnight,
    }
}

fn whole_minutes(d: Duration) -> i64 {
    d.num_seconds().div_euclid(60)
}

/// One row per date from `from` to `to` (both included; none when `to` is before `from`).
pub fn derive(inputs: &DayInputs<'_>, from: NaiveDate, to: NaiveDate) -> Vec<AttendanceDay> {
    let s = inputs.schedule;
    let mut by_date: BTreeMap<NaiveDate, Vec<Punch>> = BTreeMap::new();
    for p in inputs.punches {
        let d = owning_date(s, p.check_in_at);
        if d >= from && d <= to {
            by_date.entry(d).or_default().push(*p);
        }
    }
    let mut out = Vec::new();
    let mut date = from;
    while date <= to {
        let punches = by_date.get(&date).map(Vec::as_slice).unwrap_or(&[]);
        out.push(derive_day(inputs, date, punches));
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    out
}

fn derive_day(inputs: &DayInputs<'_>, date: NaiveDate, punches: &[Punch]) -> AttendanceDay {
    let s = inputs.schedule;
    let first_in = punches.iter().map(|p| p.check_in_at).min();
    let open = punches.iter().any(|p| p.check_out_at.is_none());
    let last_out = if open {
        None
    } else {
        punches.iter().filter_map(|p| p.check_out_at).max()
    };
    let worked: Duration = punches
        .iter()
        .filter_map(|p| p.check_out_at.map(|out| out - p.check_in_at))
        .filter(|d| *d > Duration::zero())
        .sum();
    let worked_minutes = whole_minutes(worked);
    let employed = date >= inputs.employed_from && inputs.employed_to.is_none_or(|t| date <= t);
    let working = s.is_working_day(date.weekday());
    let leave = inputs.leave.iter().find(|l| {
        l.employee_id == inputs.employee_id && l.start_date <= date && date <= l.end_date
    });
    let over = inputs.now >= day_end(s, date);
    let late_by = match (first_in, shift_start(s, date)) {
        (Some(first), Some(start))
            if first > start + Duration::minutes(i64::from(s.late_grace_minutes)) =>
        {
            whole_minutes(first - start)
        }
        _ => 0,
    };
    let mut late_minutes = 0;
    let mut leave_request_id = None;
    let status = if !employed {
        None
    } else if inputs.holidays.contains(&date) {
        Some(DayStatus::Holiday)
    } else if !working {
        Some(DayStatus::Weekend)
    } else if let Some(l) = leave {
        leave_request_id = Some(l.id);
        if l.half_day.is_some() && first_in.is_some() {
            Some(DayStatus::Present)
        } else {
            Some(DayStatus::OnLeave)
        }
    } else if first_in.is_some() {
        late_minutes = late_by;
        if over && worked_minutes < i64::from(s.half_day_minutes) {
            Some(DayStatus::HalfDay)
        } else if late_by > 0 {
            Some(DayStatus::Late)
        } else {
            Some(DayStatus::Present)
        }
    } else if over {
        Some(DayStatus::Absent)
    } else {
        None
    };
    AttendanceDay {
        date,
        employee_id: inputs.employee_id,
        status,
        first_in,
        last_out,
        worked_minutes,
        late_minutes,
        leave_request_id,
    }
}

/// A person's counts of each status over some days, and their worked minutes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    pub present: i64,
    pub late: i64,
    pub half_day: i64,
    pub absent: i64,
    pub on_leave: i64,
    pub holiday: i64,
    pub weekend: i64,
    /// Days with no status yet (today and later with nothing recorded) or outside the
    /// employment.
    pub unset: i64,
    pub worked_minutes: i64,
    pub late_minutes: i64,
}

impl StatusCounts {
    pub fn of(days: &[AttendanceDay]) -> Self {
        let mut c = Self::default();
        for d in days {
            let slot = match d.status {
                Some(DayStatus::Present) => &mut c.present,
                Some(DayStatus::Late) => &mut c.late,
                Some(DayStatus::HalfDay) => &mut c.half_day,
                Some(DayStatus::Absent) => &mut c.absent,
                Some(DayStatus::OnLeave) => &mut c.on_leave,
                Some(DayStatus::Holiday) => &mut c.holiday,
                Some(DayStatus::Weekend) => &mut c.weekend,
                None => &mut c.unset,
            };
            *slot += 1;
            c.worked_minutes += d.worked_minutes;
            c.late_minutes += d.late_minutes;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leave::HalfDay;
    use crate::schedule::{Schedule, WorkDay};
    use chrono::NaiveTime;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn punch(i: &str, o: Option<&str>) -> Punch {
        Punch {
            check_in_at: at(i),
            check_out_at: o.map(at),
        }
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn employee() -> EmployeeId {
        EmployeeId(uuid::Uuid::from_u128(7))
    }

    struct Case {
        schedule: Schedule,
        holidays: HashSet<NaiveDate>,
        leave: Vec<ApprovedLeave>,
        punches: Vec<Punch>,
        now: DateTime<Utc>,
    }

    impl Case {
        fn new(schedule: Schedule, now: &str) -> Self {
            Self {
                schedule,
                holidays: HashSet::new(),
                leave: Vec::new(),
                punches: Vec::new(),
                now: at(now),
            }
        }

        fn days(&self, from: &str, to: &str) -> Vec<AttendanceDay> {
            derive(
                &DayInputs {
                    employee_id: employee(),
                    schedule: &self.schedule,
                    holidays: &self.holidays,
                    leave: &self.leave,
                    punches: &self.punches,
                    employed_from: day("2000-01-01"),
                    employed_to: None,
                    now: self.now,
                },
                day(from),
                day(to),
            )
        }
    }

    fn statuses(days: &[AttendanceDay]) -> Vec<Option<DayStatus>> {
        days.iter().map(|d| d.status).collect()
    }

    use DayStatus::*;

    /// Auckland in March 2026 is UTC+13 (daylight time): 09:00 there is 20:00 UTC the day
    /// before, so every working day starts on the previous UTC date.
    #[test]
    fn a_known_week_in_auckland() {
        let tz: Tz = "Pacific/Auckland".parse().unwrap();
        let mut c = Case::new(Schedule::standard(tz), "2026-03-20T00:00:00Z");
        c.holidays.insert(day("2026-03-13"));
        c.punches = vec![
            // Monday 9th: 08:55–17:05 local, on time.
            punch("2026-03-08T19:55:00Z", Some("2026-03-09T04:05:00Z")),
            // Tuesday 10th: 09:40 local, 40 minutes late (grace 15), full day.
            punch("2026-03-09T20:40:00Z", Some("2026-03-10T04:40:00Z")),
            // Wednesday 11th: 09:00–11:00, two hours: a half day.
            punch("2026-03-10T20:00:00Z", Some("2026-03-10T22:00:00Z")),
            // Thursday 12th: nothing → absent.
            // Saturday 14th: two hours of weekend work.
            punch("2026-03-13T21:00:00Z", Some("2026-03-13T23:00:00Z")),
        ];
        let days = c.days("2026-03-09", "2026-03-15");
        assert_eq!(
            statuses(&days),
            [
                Some(Present),
                Some(Late),
                Some(HalfDay),
                Some(Absent),
                Some(Holiday),
                Some(Weekend),
                Some(Weekend)
            ]
        );
        assert_eq!(days[0].worked_minutes, 490);
        assert_eq!(days[0].late_minutes, 0);
        assert_eq!(days[1].late_minutes, 40);
        assert_eq!(days[1].first_in, Some(at("2026-03-09T20:40:00Z")));
        assert_eq!(days[1].last_out, Some(at("2026-03-10T04:40:00Z")));
        assert_eq!(days[2].worked_minutes, 120);
        assert_eq!(days[3].worked_minutes, 0);
        assert_eq!(days[5].worked_minutes, 120);
        assert_eq!(days[5].date, day("2026-03-14"));
    }

    #[test]
    fn kiritimati_utc_plus_fourteen_keeps_its_dates() {
        let tz: Tz = "Pacific/Kiritimati".parse().unwrap();
        let mut c = Case::new(Schedule::standard(tz), "2026-03-20T00:00:00Z");
        // Monday 9 March 09:00 local is Sunday 8 March 19:00 UTC.
        c.punches = vec![punch("2026-03-08T19:00:00Z", Some("2026-03-09T03:00:00Z"))];
        let days = c.days("2026-03-08", "2026-03-09");
        assert_eq!(statuses(&days), [Some(Weekend), Some(Present)]);
        assert_eq!(days[0].worked_minutes, 0);
        assert_eq!(days[1].worked_minutes, 480);
    }

    fn night_shift(tz: Tz) -> Schedule {
        let mut s = Schedule::standard(tz);
        for d in &mut s.days {
            d.start = hm(22, 0);
            d.end = hm(6, 0);
        }
        s
    }

    #[test]
    fn a_night_shift_belongs_to_the_day_it_starts() {
        let mut c = Case::new(night_shift(Tz::UTC), "2026-03-20T00:00:00Z");
        c.punches = vec![
            // Monday 9th 21:55 → Tuesday 06:00: Monday, on time.
            punch("2026-03-09T21:55:00Z", Some("2026-03-10T06:00:00Z")),
            // Tuesday 10th: checks in at 00:30 on Wednesday, 150 minutes late, still Tuesday.
            punch("2026-03-11T00:30:00Z", Some("2026-03-11T06:00:00Z")),
        ];
        let days = c.days("2026-03-09", "2026-03-11");
        assert_eq!(statuses(&days), [Some(Present), Some(Late), Some(Absent)]);
        assert_eq!(days[0].worked_minutes, 485);
        assert_eq!(days[1].late_minutes, 150);
        assert_eq!(days[1].worked_minutes, 330);
        // Friday's shift ends Saturday 06:00: a check-in at Saturday 02:00 is Friday's.
        assert_eq!(
            owning_date(&c.schedule, at("2026-03-14T02:00:00Z")),
            day("2026-03-13")
        );
        // Sunday's 02:00 is Sunday's own (Saturday does not work).
        assert_eq!(
            owning_date(&c.schedule, at("2026-03-15T02:00:00Z")),
            day("2026-03-15")
        );
    }

    #[test]
    fn a_night_shift_day_is_not_over_before_its_morning() {
        let c = Case::new(night_shift(Tz::UTC), "2026-03-10T05:00:00Z");
        // Monday's shift runs until Tuesday 06:00: no verdict on Monday yet.
        let days = c.days("2026-03-09", "2026-03-10");
        assert_eq!(statuses(&days), [None, None]);
    }

    #[test]
    fn today_and_the_future_are_never_absent() {
        let mut c = Case::new(Schedule::standard(Tz::UTC), "2026-03-11T12:00:00Z");
        c.holidays.insert(day("2026-03-13"));
        c.leave.push(ApprovedLeave {
            id: LeaveRequestId(uuid::Uuid::from_u128(1)),
            employee_id: employee(),
            start_date: day("2026-03-16"),
            end_date: day("2026-03-16"),
            half_day: None,
        });
        let days = c.days("2026-03-10", "2026-03-16");
        assert_eq!(
            statuses(&days),
            [
                Some(Absent),
                None,
                None,
                Some(Holiday),
                Some(Weekend),
                Some(Weekend),
                Some(OnLeave)
            ]
        );
        assert_eq!(
            days[6].leave_request_id,
            Some(LeaveRequestId(uuid::Uuid::from_u128(1)))
        );
    }

    #[test]
    fn a_day_under_way_is_late_or_present_never_half() {
        let mut c = Case::new(Schedule::standard(Tz::UTC), "2026-03-11T12:00:00Z");
        c.punches = vec![punch("2026-03-11T09:30:00Z", Some("2026-03-11T10:00:00Z"))];
        let days = c.days("2026-03-11", "2026-03-11");
        assert_eq!(statuses(&days), [Some(Late)]);
        assert_eq!(days[0].late_minutes, 30);
        c.punches = vec![punch("2026-03-11T09:00:00Z", None)];
        let days = c.days("2026-03-11", "2026-03-11");
        assert_eq!(statuses(&days), [Some(Present)]);
        assert_eq!(days[0].last_out, None);
        assert_eq!(days[0].worked_minutes, 0);
    }

    #[test]
    fn grace_is_inclusive_and_lateness_counts_from_the_start() {
        let mut c = Case::new(Schedule::standard(Tz::UTC), "2026-03-20T00:00:00Z");
        c.punches = vec![
            punch("2026-03-09T09:15:00Z", Some("2026-03-09T17:00:00Z")),
            punch("2026-03-10T09:16:00Z", Some("2026-03-10T17:00:00Z")),
        ];
        let days = c.days("2026-03-09", "2026-03-10");
        assert_eq!(statuses(&days), [Some(Present), Some(Late)]);
        assert_eq!((days[0].late_minutes, days[1].late_minutes), (0, 16));
    }

    #[test]
    fn leave_and_half_day_leave() {
        let mut c = Case::new(Schedule::standard(Tz::UTC), "2026-03-20T00:00:00Z");
        let id = |n| LeaveRequestId(uuid::Uuid::from_u128(n));
        c.leave = vec![
            ApprovedLeave {
                id: id(1),
                employee_id: employee(),
                start_date: day("2026-03-06"),
                end_date: day("2026-03-10"),
                half_day: None,
            },
            ApprovedLeave {
                id: id(2),
                employee_id: employee(),
                start_date: day("2026-03-11"),
                end_date: day("2026-03-11"),
                half_day: Some(HalfDay::Am),
            },
            ApprovedLeave {
                id: id(3),
                employee_id: employee(),
                start_date: day("2026-03-12"),
                end_date: day("2026-03-12"),
                half_day: Some(HalfDay::Pm),
            },
        ];
        c.holidays.insert(day("2026-03-09"));
        // The afternoon of the 11th worked: a half day of leave plus a half day is present.
        c.punches = vec![punch("2026-03-11T13:00:00Z", Some("2026-03-11T17:00:00Z"))];
        let days = c.days("2026-03-06", "2026-03-12");
        assert_eq!(
            statuses(&days),
            [
                Some(OnLeave),
                Some(Weekend),
                Some(Weekend),
                Some(Holiday),
                Some(OnLeave),
                Some(Present),
                Some(OnLeave)
            ]
        );
        assert_eq!(days[5].leave_request_id, Some(id(2)));
        assert_eq!(days[5].late_minutes, 0);
        assert_eq!(days[1].leave_request_id, None);
        assert_eq!(days[3].leave_request_id, None);
    }

    #[test]
    fn outside_the_employment_nothing_is_said() {
        let c = Case::new(Schedule::standard(Tz::UTC), "2026-03-20T00:00:00Z");
        let holidays = HashSet::new();
        let days = derive(
            &DayInputs {
                employee_id: employee(),
                schedule: &c.schedule,
                holidays: &holidays,
                leave: &[],
                punches: &[],
                employed_from: day("2026-03-10"),
                employed_to: Some(day("2026-03-11")),
                now: c.now,
            },
            day("2026-03-09"),
            day("2026-03-12"),
        );
        assert_eq!(statuses(&days), [None, Some(Absent), Some(Absent), None]);
    }

    #[test]
    fn several_punches_sum_and_an_open_one_hides_the_last_out() {
        let mut c = Case::new(Schedule::standard(Tz::UTC), "2026-03-20T00:00:00Z");
        c.punches = vec![
            punch("2026-03-09T13:00:30Z", Some("2026-03-09T17:00:00Z")),
            punch("2026-03-09T09:00:00Z", Some("2026-03-09T12:00:45Z")),
        ];
        let days = c.days("2026-03-09", "2026-03-09");
        // 3h00m45s + 3h59m30s = 7h00m15s.
        assert_eq!(days[0].worked_minutes, 420);
        assert_eq!(days[0].first_in, Some(at("2026-03-09T09:00:00Z")));
        assert_eq!(days[0].last_out, Some(at("2026-03-09T17:00:00Z")));
        c.punches.push(punch("2026-03-09T18:00:00Z", None));
        let days = c.days("2026-03-09", "2026-03-09");
        assert_eq!(days[0].last_out, None);
        assert_eq!(days[0].worked_minutes, 420);
    }

    #[test]
    fn counts_of_a_month() {
        let mut c = Case::new(Schedule::standard(Tz::UTC), "2026-03-11T12:00:00Z");
        c.punches = vec![punch("2026-03-02T09:00:00Z", Some("2026-03-02T17:00:00Z"))];
        let days = c.days("2026-03-01", "2026-03-31");
        let n = StatusCounts::of(&days);
        assert_eq!(n.present, 1);
        // 3–10 March: 6 working days absent.
        assert_eq!(n.absent, 6);
        assert_eq!(n.weekend, 9);
        assert_eq!(n.unset, 15);
        assert_eq!(n.worked_minutes, 480);
        assert_eq!(
            n.present
                + n.late
                + n.half_day
                + n.absent
                + n.on_leave
                + n.holiday
                + n.weekend
                + n.unset,
            31
        );
    }

    fn zones() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            Tz::UTC,
            "Pacific/Kiritimati".parse::<Tz>().unwrap(),
            "Pacific/Pago_Pago".parse::<Tz>().unwrap(),
            "Asia/Kolkata".parse::<Tz>().unwrap(),
        ])
    }

    fn schedules() -> impl Strategy<Value = Schedule> {
        (
            zones(),
            prop::collection::btree_set(1u8..=7, 1..=7),
            0u32..24,
            1u32..16,
            0u32..60,
            0u32..600,
        )
            .prop_map(|(tz, weekdays, start_h, len_h, grace, half)| Schedule {
                time_zone: tz,
                days: weekdays
                    .into_iter()
                    .map(|weekday| WorkDay {
                        weekday,
                        start: hm(start_h, 0),
                        end: hm((start_h + len_h) % 24, 0),
                        break_minutes: 0,
                    })
                    .collect(),
                late_grace_minutes: grace,
                half_day_minutes: half,
            })
    }

    const BASE: &str = "2026-01-05T00:00:00Z";

    /// Punches inside days 3–25 after `BASE` (never touching each other), with whole-minute
    /// durations, some open.
    fn punches() -> impl Strategy<Value = Vec<Punch>> {
        prop::collection::vec(
            (0i64..(22 * 24 * 60), 1i64..900, prop::bool::weighted(0.9)),
            0..25,
        )
        .prop_map(|raw| {
            let base = at(BASE) + Duration::days(3);
            let mut out: Vec<Punch> = Vec::new();
            let mut sorted = raw;
            sorted.sort();
            let mut free_from = base;
            for (offset, len, closed) in sorted {
                let start = (base + Duration::minutes(offset)).max(free_from);
                let end = start + Duration::minutes(len);
                out.push(Punch {
                    check_in_at: start,
                    check_out_at: closed.then_some(end),
                });
                free_from = end + Duration::minutes(1);
            }
            out
        })
    }

    fn holidays() -> impl Strategy<Value = HashSet<NaiveDate>> {
        prop::collection::hash_set(0i64..30, 0..5).prop_map(|s| {
            s.into_iter()
                .map(|n| day("2026-01-05") + Duration::days(n))
                .collect()
        })
    }

    fn inputs_days(
        schedule: &Schedule,
        holidays: &HashSet<NaiveDate>,
        punches: &[Punch],
        now: DateTime<Utc>,
        shift: Duration,
    ) -> Vec<AttendanceDay> {
        let hol: HashSet<NaiveDate> = holidays.iter().map(|d| *d + shift).collect();
        let ps: Vec<Punch> = punches
            .iter()
            .map(|p| Punch {
                check_in_at: p.check_in_at + shift,
                check_out_at: p.check_out_at.map(|o| o + shift),
            })
            .collect();
        derive(
            &DayInputs {
                employee_id: employee(),
                schedule,
                holidays: &hol,
                leave: &[],
                punches: &ps,
                employed_from: day("2000-01-01"),
                employed_to: None,
                now: now + shift,
            },
            day("2026-01-05") + shift,
            day("2026-02-03") + shift,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn one_row_per_date_in_order(s in schedules(), h in holidays(), p in punches(), now_h in 0i64..(40 * 24)) {
            let days = inputs_days(&s, &h, &p, at(BASE) + Duration::hours(now_h), Duration::zero());
            prop_assert_eq!(days.len(), 30);
            for (i, d) in days.iter().enumerate() {
                prop_assert_eq!(d.date, day("2026-01-05") + Duration::days(i as i64));
                prop_assert_eq!(d.employee_id, employee());
            }
        }

        #[test]
        fn worked_minutes_are_the_closed_punches_summed(s in schedules(), h in holidays(), p in punches()) {
            let days = inputs_days(&s, &h, &p, at(BASE) + Duration::days(60), Duration::zero());
            let worked: i64 = days.iter().map(|d| d.worked_minutes).sum();
            let expected: i64 = p
                .iter()
                .filter_map(|x| x.check_out_at.map(|o| (o - x.check_in_at).num_minutes()))
                .sum();
            prop_assert_eq!(worked, expected);
            // Every check-in shows as some day's first or later punch.
            let with_punches = days.iter().filter(|d| d.first_in.is_some()).count();
            prop_assert!(with_punches <= p.len());
            // Nothing is absent while it has attendance, and nothing over is left without a
            // status.
            for d in &days {
                if d.first_in.is_some() {
                    prop_assert_ne!(d.status, Some(DayStatus::Absent));
                }
                prop_assert!(d.status.is_some());
                prop_assert!(d.late_minutes >= 0);
            }
        }

        #[test]
        fn shifting_everything_by_whole_weeks_shifts_the_days(
            s in schedules(), h in holidays(), p in punches(),
            now_h in 0i64..(40 * 24), weeks in -50i64..50,
        ) {
            // Zones without daylight time, so a week later is the same wall clock.
            let shift = Duration::weeks(weeks);
            let now = at(BASE) + Duration::hours(now_h);
            let a = inputs_days(&s, &h, &p, now, Duration::zero());
            let b = inputs_days(&s, &h, &p, now, shift);
            prop_assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                prop_assert_eq!(x.date + shift, y.date);
                prop_assert_eq!(x.status, y.status);
                prop_assert_eq!(x.worked_minutes, y.worked_minutes);
                prop_assert_eq!(x.late_minutes, y.late_minutes);
                prop_assert_eq!(x.first_in.map(|t| t + shift), y.first_in);
                prop_assert_eq!(x.last_out.map(|t| t + shift), y.last_out);
            }
        }
    }
}
