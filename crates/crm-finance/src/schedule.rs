//! When a recurring invoice is due: the dates of its occurrences (contract section 6).
//!
//! Every occurrence is computed from the start date, never from the one before, so a short
//! month never moves the anchor day: from Jan 31, monthly gives Feb 28 (29), Mar 31, Apr 30.
//! Occurrence `n` is the invoice of `period_start = occurrence(n)`; the store keeps one invoice
//! per template and period start, so making the due ones again is a no-op, never a duplicate.

use chrono::{Days, Months, NaiveDate};

crm_domain::name_enum!(
    /// How far apart occurrences are, times the template's `interval`.
    Frequency, "frequency" {
        Weekly => "weekly",
        Monthly => "monthly",
        Quarterly => "quarterly",
        Yearly => "yearly",
    }
);

impl Frequency {
    /// Months per step, or `None` for weekly.
    fn months(self) -> Option<u32> {
        match self {
            Self::Weekly => None,
            Self::Monthly => Some(1),
            Self::Quarterly => Some(3),
            Self::Yearly => Some(12),
        }
    }
}

/// A recurrence: every `interval` × `frequency` from `start`, while on or before `end` and
/// fewer than `max_occurrences` have been made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub start: NaiveDate,
    pub frequency: Frequency,
    /// At least 1 (the input parsing refuses 0).
    pub interval: u32,
    pub end: Option<NaiveDate>,
    pub max_occurrences: Option<u32>,
}

impl Schedule {
    /// The date of occurrence `n` (0 is the start), or `None` past the end, past the maximum
    /// number of occurrences, or beyond the calendar.
    pub fn occurrence(&self, n: u32) -> Option<NaiveDate> {
        if self.max_occurrences.is_some_and(|max| n >= max) {
            return None;
        }
        let steps = n.checked_mul(self.interval.max(1))?;
        let date = match self.frequency.months() {
            None => self
                .start
                .checked_add_days(Days::new(u64::from(steps).checked_mul(7)?))?,
            // chrono clamps to the month's last day, from the start's own day each time.
            Some(m) => self
                .start
                .checked_add_months(Months::new(steps.checked_mul(m)?))?,
        };
        if self.end.is_some_and(|end| date > end) {
            return None;
        }
        Some(date)
    }

    /// The next occurrence once `done` have been made: the template's `next_issue_date`
    /// (`None`: the template is completed).
    pub fn next(&self, done: u32) -> Option<NaiveDate> {
        self.occurrence(done)
    }

    /// The occurrences due by `today` once `done` have been made, oldest first, with their
    /// index: after a downtime, one per missed date, each dated its own date.
    pub fn due(&self, done: u32, today: NaiveDate) -> Vec<(u32, NaiveDate)> {
        (done..)
            .map_while(|n| self.occurrence(n).map(|d| (n, d)))
            .take_while(|(_, d)| *d <= today)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn monthly(start: &str) -> Schedule {
        Schedule {
            start: d(start),
            frequency: Frequency::Monthly,
            interval: 1,
            end: None,
            max_occurrences: None,
        }
    }

    #[test]
    fn months_keep_their_anchor_day_across_february() {
        let s = monthly("2026-01-31");
        let dates: Vec<NaiveDate> = (0..5).map(|n| s.occurrence(n).unwrap()).collect();
        assert_eq!(
            dates,
            [
                "2026-01-31",
                "2026-02-28",
                "2026-03-31",
                "2026-04-30",
                "2026-05-31"
            ]
            .map(d)
        );
        let leap = monthly("2028-01-31");
        assert_eq!(leap.occurrence(1), Some(d("2028-02-29")));
        assert_eq!(leap.occurrence(2), Some(d("2028-03-31")));
    }

    #[test]
    fn a_yearly_leap_day_comes_back_in_leap_years() {
        let s = Schedule {
            frequency: Frequency::Yearly,
            ..monthly("2024-02-29")
        };
        assert_eq!(s.occurrence(1), Some(d("2025-02-28")));
        assert_eq!(s.occurrence(4), Some(d("2028-02-29")));
    }

    #[test]
    fn catch_up_gives_one_occurrence_per_missed_date() {
        // Started three periods ago, nothing made yet: the start and three more are due.
        let s = monthly("2026-09-15");
        let due = s.due(0, d("2026-12-20"));
        let dates: Vec<NaiveDate> = due.iter().map(|(_, date)| *date).collect();
        assert_eq!(
            dates,
            ["2026-09-15", "2026-10-15", "2026-11-15", "2026-12-15"].map(d)
        );
        assert_eq!(
            due.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert!(s.due(4, d("2026-12-20")).is_empty());
        assert_eq!(s.next(4), Some(d("2027-01-15")));
    }

    #[test]
    fn end_date_and_maximum_complete_the_template() {
        let s = Schedule {
            frequency: Frequency::Quarterly,
            interval: 2,
            end: Some(d("2027-07-01")),
            ..monthly("2026-01-01")
        };
        assert_eq!(s.occurrence(1), Some(d("2026-07-01")));
        assert_eq!(s.occurrence(3), Some(d("2027-07-01")));
        assert_eq!(s.occurrence(4), None);
        let capped = Schedule {
            max_occurrences: Some(2),
            ..monthly("2026-01-01")
        };
        assert_eq!(capped.due(0, d("2030-01-01")).len(), 2);
        assert_eq!(capped.next(2), None);
        let weekly = Schedule {
            frequency: Frequency::Weekly,
            interval: 2,
            ..monthly("2026-12-01")
        };
        assert_eq!(weekly.occurrence(3), Some(d("2027-01-12")));
    }

    fn any_schedule() -> impl Strategy<Value = Schedule> {
        (
            0i32..3650,
            prop::sample::select(Frequency::ALL.to_vec()),
            1u32..13,
            prop::option::of(0i64..4000),
            prop::option::of(0u32..60),
        )
            .prop_map(|(offset, frequency, interval, end, max)| {
                let start = d("2020-01-01") + chrono::Duration::days(i64::from(offset));
                Schedule {
                    start,
                    frequency,
                    interval,
                    end: end.map(|e| start + chrono::Duration::days(e)),
                    max_occurrences: max,
                }
            })
    }

    proptest! {
        #[test]
        fn occurrences_rise_stay_in_bounds_and_keep_their_day(s in any_schedule(), n in 0u32..80) {
            let Some(date) = s.occurrence(n) else {
                // Once past the end, every later occurrence is too.
                prop_assert_eq!(s.occurrence(n + 1), None);
                return Ok(());
            };
            prop_assert!(s.end.is_none_or(|end| date <= end));
            prop_assert!(s.max_occurrences.is_none_or(|max| n < max));
            if n > 0 {
                let before = s.occurrence(n - 1).unwrap();
                prop_assert!(before < date);
                if s.frequency == Frequency::Weekly {
                    prop_assert_eq!((date - before).num_days(), 7 * i64::from(s.interval));
                }
            }
            if s.frequency != Frequency::Weekly {
                let last = date.with_day(1).unwrap().checked_add_months(Months::new(1)).unwrap()
                    .pred_opt().unwrap().day();
                prop_assert_eq!(date.day(), s.start.day().min(last));
            }
        }

        #[test]
        fn due_is_exactly_the_made_later_occurrences_up_to_today(
            s in any_schedule(), done in 0u32..20, days in 0i64..5000,
        ) {
            let today = s.start + chrono::Duration::days(days);
            let due = s.due(done, today);
            // Enough indexes for the most frequent schedule (weekly) over the whole range.
            let expected: Vec<(u32, NaiveDate)> = (done..done + 1000)
                .filter_map(|n| s.occurrence(n).map(|d| (n, d)))
                .filter(|(_, d)| *d <= today)
                .collect();
            prop_assert_eq!(due, expected);
        }
    }
}
