//! The `days` of a leave request and the overlap rule (contract section 8, leave requests).
//!
//! - `days` = the working days of the person's schedule from `start_date` to `end_date`
//!   inclusive, less the organization's holidays that fall on them; a half-day request
//!   (`am`|`pm`, only when `start_date` = `end_date`) is 0.50 of a working day. A range with
//!   no working day at all (a weekend, a holiday, a half day off) is `422 start_date
//!   no_working_days`. A holiday on a day off counts once: nothing.
//! - The count is arithmetic, not a walk: whole weeks times the schedule's working weekdays,
//!   plus the remainder, less the holidays in range — a long range costs what a short one
//!   does (a property test checks it against the day-by-day walk).
//! - `days` is counted when the request is made, with the schedule and holidays of that
//!   moment; a later change of either does not recount a request (its days are what the
//!   balance was checked against).
//! - A request spanning the end of a year (decided here: the contract is silent) is split
//!   into one [`YearPart`] per leave year it touches, each the working days of that year's
//!   part: the days of December draw on that year's balance and those of January on the
//!   next year's. Charging all of them to the year of the start would let unused days that
//!   are past the carry-forward cap pay for the next year's leave; refusing such requests
//!   (as some systems do) would make a person file two requests for one holiday. A part
//!   with no working day is left out, so the parts always sum to `days`.
//! - Overlap ([`LeaveSpan::overlaps`]): two requests of one person overlap when their date
//!   ranges share a day, unless they are the two different halves (`am` and `pm`) of one
//!   single day. A full day overlaps both halves; the same half twice overlaps. Only
//!   `pending` and `approved` requests block a new one (`409`, [`first_overlap`]).

use super::{HalfDay, LeaveStatus, year_end, year_start};
use crate::days::Days;
use crate::schedule::Schedule;
use chrono::{Datelike, NaiveDate};
use crm_domain::DomainError;
use crm_domain::kernel::input::{Errors, invalid};

/// The dates of a leave request, checked: `start ≤ end`, a half day only on a single day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LeaveSpan {
    start: NaiveDate,
    end: NaiveDate,
    half_day: Option<HalfDay>,
}

impl LeaveSpan {
    /// `422 end_date` when `end` is before `start`; `422 half_day` for a half day on a range
    /// of more than one day.
    pub fn new(
        start: NaiveDate,
        end: NaiveDate,
        half_day: Option<HalfDay>,
    ) -> Result<Self, DomainError> {
        let mut errors = Errors::new();
        if end < start {
            errors.add("end_date", "before_start", "must be on or after start_date");
        } else if half_day.is_some() && start != end {
            errors.add(
                "half_day",
                "invalid",
                "a half day is only for a single day (start_date = end_date)",
            );
        }
        errors.finish()?;
        Ok(Self {
            start,
            end,
            half_day,
        })
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }

    pub fn half_day(&self) -> Option<HalfDay> {
        self.half_day
    }

    /// Whether two requests of one person cannot both stand: they share a day, and are not
    /// the `am` and the `pm` of one single day.
    pub fn overlaps(&self, other: &LeaveSpan) -> bool {
        if self.end < other.start || other.end < self.start {
            return false;
        }
        match (self.half_day, other.half_day) {
            // Both are single days, and they share a day: the same one.
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

/// The first of `existing` (a person's other requests) that a new request on `span` would
/// overlap: only `pending` and `approved` ones count. The service answers `409` naming it.
pub fn first_overlap<'a, Id: Copy + 'a>(
    span: &LeaveSpan,
    existing: impl IntoIterator<Item = &'a (Id, LeaveSpan, LeaveStatus)>,
) -> Option<Id> {
    existing
        .into_iter()
        .find(|(_, other, status)| status.holds_days() && span.overlaps(other))
        .map(|(id, _, _)| *id)
}

/// The days a request takes from one leave year's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct YearPart {
    /// The first date of the request in that year (its `start_date`, or 1 January): the date
    /// of its `taken` ledger row.
    pub date: NaiveDate,
    pub days: Days,
}

impl YearPart {
    pub fn year(&self) -> i32 {
        self.date.year()
    }
}

/// A request's `days`: working days of `schedule` in the span less `holidays` (0.50 for a
/// half day); `422 start_date no_working_days` when there is none.
pub fn count(
    schedule: &Schedule,
    holidays: &[NaiveDate],
    span: &LeaveSpan,
) -> Result<Days, DomainError> {
    Ok(parts(schedule, holidays, span)?
        .iter()
        .map(|p| p.days)
        .sum())
}

/// A request's days per leave year, in date order, none of them 0; `422 start_date
/// no_working_days` when there is no working day at all.
pub fn parts(
    schedule: &Schedule,
    holidays: &[NaiveDate],
    span: &LeaveSpan,
) -> Result<Vec<YearPart>, DomainError> {
    let week = schedule.working_weekdays();
    let holidays = sorted(holidays);
    let mut out = Vec::new();
    for year in span.start.year()..=span.end.year() {
        let from = span.start.max(year_start(year));
        let to = span.end.min(year_end(year));
        let n = working_days(&week, &holidays, from, to);
        if n > 0 {
            let days = if span.half_day.is_some() {
                Days::HALF
            } else {
                Days::whole(n)
            };
            out.push(YearPart { date: from, days });
        }
    }
    if out.is_empty() {
        return Err(invalid(
            "start_date",
            "no_working_days",
            "the dates hold no working day of the person's schedule (weekends and holidays \
             do not count)",
        ));
    }
    Ok(out)
}

fn sorted(holidays: &[NaiveDate]) -> Vec<NaiveDate> {
    let mut h = holidays.to_vec();
    h.sort_unstable();
    h.dedup();
    h
}

/// Working days from `from` to `to` inclusive: weekdays marked in `week` (Monday first),
/// less the dates of `holidays` (sorted, without duplicates) that fall on them.
pub fn working_days(
    week: &[bool; 7],
    holidays: &[NaiveDate],
    from: NaiveDate,
    to: NaiveDate,
) -> i64 {
    if to < from {
        return 0;
    }
    let works = |d: NaiveDate| week[d.weekday().num_days_from_monday() as usize];
    let n = (to - from).num_days() + 1;
    let per_week = week.iter().filter(|w| **w).count() as i64;
    let first = i64::from(from.weekday().num_days_from_monday());
    let rest = (0..n % 7)
        .filter(|k| week[((first + k) % 7) as usize])
        .count() as i64;
    let lo = holidays.partition_point(|h| *h < from);
    let hi = holidays.partition_point(|h| *h <= to);
    let off = holidays[lo..hi].iter().filter(|h| works(**h)).count() as i64;
    n / 7 * per_week + rest - off
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{ScheduleInput, WorkDayInput};
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn span(start: &str, end: &str, half: Option<HalfDay>) -> LeaveSpan {
        LeaveSpan::new(date(start), date(end), half).unwrap()
    }

    fn mon_fri() -> Schedule {
        Schedule::standard(chrono_tz::UTC)
    }

    fn field_of(e: DomainError) -> (String, String) {
        match e {
            DomainError::Invalid(errs) => (errs[0].field.clone(), errs[0].code.clone()),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    fn days(schedule: &Schedule, holidays: &[&str], s: LeaveSpan) -> Result<Days, DomainError> {
        let h: Vec<_> = holidays.iter().map(|d| date(d)).collect();
        count(schedule, &h, &s)
    }

    #[test]
    fn working_days_across_weekends_and_holidays() {
        let s = mon_fri();
        // 2026-03-02 is a Monday. A week Monday–Sunday: 5 days.
        assert_eq!(
            days(&s, &[], span("2026-03-02", "2026-03-08", None)).unwrap(),
            Days::whole(5)
        );
        // Friday to Monday: 2 days; the weekend does not count.
        assert_eq!(
            days(&s, &[], span("2026-03-06", "2026-03-09", None)).unwrap(),
            Days::whole(2)
        );
        // Two weeks with a holiday on Wednesday and one on Saturday: 10 − 1.
        assert_eq!(
            days(
                &s,
                &["2026-03-04", "2026-03-07", "2026-03-04"],
                span("2026-03-02", "2026-03-15", None)
            )
            .unwrap(),
            Days::whole(9)
        );
        // A holiday outside the range changes nothing.
        assert_eq!(
            days(&s, &["2026-03-20"], span("2026-03-02", "2026-03-06", None)).unwrap(),
            Days::whole(5)
        );
        // A weekend alone, or a holiday alone, is no day at all: 422.
        for (h, sp) in [
            (vec![], span("2026-03-07", "2026-03-08", None)),
            (vec!["2026-03-04"], span("2026-03-04", "2026-03-04", None)),
            (
                vec!["2026-03-04"],
                span("2026-03-04", "2026-03-04", Some(HalfDay::Am)),
            ),
            (vec![], span("2026-03-07", "2026-03-07", Some(HalfDay::Pm))),
        ] {
            assert_eq!(
                field_of(days(&s, &h, sp).unwrap_err()),
                ("start_date".into(), "no_working_days".into())
            );
        }
    }

    #[test]
    fn half_days_are_half() {
        let s = mon_fri();
        assert_eq!(
            days(&s, &[], span("2026-03-04", "2026-03-04", Some(HalfDay::Am))).unwrap(),
            Days::HALF
        );
        assert_eq!(
            days(&s, &[], span("2026-03-04", "2026-03-04", Some(HalfDay::Pm))).unwrap(),
            Days::HALF
        );
        assert_eq!(
            days(&s, &[], span("2026-03-04", "2026-03-04", None)).unwrap(),
            Days::ONE
        );
    }

    #[test]
    fn the_persons_schedule_decides_the_working_days() {
        // Tuesday to Saturday, with a night shift on Saturday.
        let s = ScheduleInput {
            time_zone: "Asia/Tokyo".into(),
            days: (2..=6)
                .map(|weekday| WorkDayInput {
                    weekday,
                    start: "22:00".into(),
                    end: "06:00".into(),
                    break_minutes: 30,
                })
                .collect(),
            late_grace_minutes: 0,
            half_day_minutes: 0,
        }
        .parse()
        .unwrap();
        // Monday 2026-03-02 to Sunday 2026-03-08: Tuesday–Saturday.
        assert_eq!(
            days(&s, &[], span("2026-03-02", "2026-03-08", None)).unwrap(),
            Days::whole(5)
        );
        assert!(days(&s, &[], span("2026-03-02", "2026-03-02", None)).is_err());
    }

    #[test]
    fn a_request_across_new_year_is_split_by_leave_year() {
        let s = mon_fri();
        // Wed 2025-12-24 to Fri 2026-01-02, holidays 25 December and 1 January:
        // 2025: 24, 26, 29, 30, 31 = 5; 2026: 2 = 1.
        let h = [date("2025-12-25"), date("2026-01-01")];
        let sp = span("2025-12-24", "2026-01-02", None);
        assert_eq!(
            parts(&s, &h, &sp).unwrap(),
            [
                YearPart {
                    date: date("2025-12-24"),
                    days: Days::whole(5)
                },
                YearPart {
                    date: date("2026-01-01"),
                    days: Days::whole(1)
                },
            ]
        );
        assert_eq!(count(&s, &h, &sp).unwrap(), Days::whole(6));
        // Sat 2022-12-31 to Sun 2023-01-01: no working day either side.
        assert!(count(&s, &[], &span("2022-12-31", "2023-01-01", None)).is_err());
        // Sat 2022-12-31 to Mon 2023-01-02: one part only, in 2023.
        assert_eq!(
            parts(&s, &[], &span("2022-12-31", "2023-01-02", None)).unwrap(),
            [YearPart {
                date: date("2023-01-01"),
                days: Days::ONE
            }]
        );
    }

    #[test]
    fn spans_are_checked() {
        let e = LeaveSpan::new(date("2026-03-05"), date("2026-03-04"), None).unwrap_err();
        assert_eq!(field_of(e), ("end_date".into(), "before_start".into()));
        let e =
            LeaveSpan::new(date("2026-03-04"), date("2026-03-05"), Some(HalfDay::Am)).unwrap_err();
        assert_eq!(field_of(e), ("half_day".into(), "invalid".into()));
    }

    #[test]
    fn half_day_overlap_rules() {
        use HalfDay::{Am, Pm};
        let am = span("2026-03-04", "2026-03-04", Some(Am));
        let pm = span("2026-03-04", "2026-03-04", Some(Pm));
        let full = span("2026-03-04", "2026-03-04", None);
        let week = span("2026-03-02", "2026-03-06", None);
        let next_am = span("2026-03-05", "2026-03-05", Some(Am));
        // The two halves of one day: allowed.
        assert!(!am.overlaps(&pm) && !pm.overlaps(&am));
        // The same half twice, a full day and a half, a range holding the half day: overlap.
        assert!(am.overlaps(&am) && pm.overlaps(&pm));
        assert!(full.overlaps(&am) && am.overlaps(&full) && full.overlaps(&pm));
        assert!(week.overlaps(&am) && pm.overlaps(&week));
        // Halves of different days never meet.
        assert!(!am.overlaps(&next_am) && !next_am.overlaps(&pm));
        // Ranges touching at one day overlap; adjacent ones do not.
        assert!(week.overlaps(&span("2026-03-06", "2026-03-10", None)));
        assert!(!week.overlaps(&span("2026-03-07", "2026-03-10", None)));
        // Only pending and approved requests block.
        let others = [
            (1, am, LeaveStatus::Approved),
            (2, full, LeaveStatus::Rejected),
            (3, full, LeaveStatus::Cancelled),
            (4, week, LeaveStatus::Pending),
        ];
        assert_eq!(first_overlap(&pm, &others[..3]), None);
        assert_eq!(first_overlap(&am, &others), Some(1));
        assert_eq!(first_overlap(&pm, &others), Some(4));
    }

    fn any_week() -> impl Strategy<Value = [bool; 7]> {
        prop::array::uniform7(any::<bool>())
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..3000).prop_map(|d| date("2024-01-01") + chrono::Days::new(d as u64))
    }

    fn any_span() -> impl Strategy<Value = LeaveSpan> {
        (any_date(), 0u64..40, prop::option::of(prop::bool::ANY)).prop_map(|(start, len, half)| {
            match half {
                Some(am) => {
                    let h = if am { HalfDay::Am } else { HalfDay::Pm };
                    LeaveSpan::new(start, start, Some(h))
                }
                None => LeaveSpan::new(start, start + chrono::Days::new(len), None),
            }
            .unwrap()
        })
    }

    fn dates(s: &LeaveSpan) -> Vec<NaiveDate> {
        s.start()
            .iter_days()
            .take_while(|d| *d <= s.end())
            .collect()
    }

    proptest! {
        #[test]
        fn counting_equals_the_day_by_day_walk(
            week in any_week(),
            from in any_date(),
            len in 0u64..800,
            holidays in prop::collection::vec(any_date(), 0..60),
        ) {
            let to = from + chrono::Days::new(len);
            let mut h = holidays.clone();
            h.sort_unstable();
            h.dedup();
            let walked = from
                .iter_days()
                .take_while(|d| *d <= to)
                .filter(|d| week[d.weekday().num_days_from_monday() as usize] && !h.contains(d))
                .count() as i64;
            prop_assert_eq!(working_days(&week, &h, from, to), walked);
        }

        #[test]
        fn parts_sum_to_the_count_and_each_is_in_its_year(
            week in any_week(),
            from in any_date(),
            len in 0u64..800,
            holidays in prop::collection::vec(any_date(), 0..60),
        ) {
            prop_assume!(week.iter().any(|w| *w));
            let days = (1..=7i64).filter(|w| week[(*w - 1) as usize]).map(|weekday| WorkDayInput {
                weekday, start: "09:00".into(), end: "17:00".into(), break_minutes: 0,
            }).collect();
            let s = ScheduleInput { time_zone: "UTC".into(), days, late_grace_minutes: 0, half_day_minutes: 0 }
                .parse().unwrap();
            let sp = LeaveSpan::new(from, from + chrono::Days::new(len), None).unwrap();
            let mut h = holidays.clone();
            h.sort_unstable();
            h.dedup();
            match parts(&s, &holidays, &sp) {
                Ok(p) => {
                    let total: Days = p.iter().map(|p| p.days).sum();
                    prop_assert_eq!(total, Days::whole(working_days(&week, &h, sp.start(), sp.end())));
                    for part in &p {
                        prop_assert!(part.days > Days::ZERO);
                        prop_assert!(part.date >= sp.start() && part.date <= sp.end());
                    }
                    prop_assert!(p.windows(2).all(|w| w[0].year() < w[1].year()));
                }
                Err(_) => prop_assert_eq!(working_days(&week, &h, sp.start(), sp.end()), 0),
            }
        }

        #[test]
        fn overlap_is_symmetric_and_follows_shared_days(a in any_span(), b in any_span()) {
            prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
            let shared = dates(&a).iter().any(|d| dates(&b).contains(d));
            let two_halves = matches!((a.half_day(), b.half_day()), (Some(x), Some(y)) if x != y);
            prop_assert_eq!(a.overlaps(&b), shared && !two_halves);
            prop_assert!(a.overlaps(&a));
        }
    }
}
