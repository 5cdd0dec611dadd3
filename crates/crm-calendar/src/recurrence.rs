//! Recurrence rules (RFC 5545 `RRULE` values) and their expansion.
//!
//! A rule is expanded on the wall clock of the event's IANA zone by the `rrule` crate, then
//! each start is converted to UTC: a weekly 09:00 Europe/Berlin meeting is at 09:00 Berlin
//! time on both sides of a daylight-saving change (08:00 UTC in winter, 07:00 UTC in
//! summer). Only the parts the contract names are accepted:
//! `FREQ` (`DAILY|WEEKLY|MONTHLY|YEARLY`), `INTERVAL`, `COUNT`, `UNTIL`, `BYDAY`,
//! `BYMONTHDAY`, `BYSETPOS`; anything else is refused, never ignored.
//!
//! Choices where RFC 5545 leaves room:
//! - the occurrences are what the rule generates from the start, as `rrule` (and
//!   python-dateutil) read it: a start that the rule does not match is not an occurrence of
//!   its own (RFC 5545 calls such a set undefined);
//! - `UNTIL` is a UTC date-time (`20271231T235959Z`), as RFC 5545 requires for a start with a
//!   time zone; `COUNT` and `UNTIL` together are refused (RFC 5545: MUST NOT);
//! - a wall-clock time that does not exist on a day (inside a spring-forward gap) is read
//!   with the offset before the gap (RFC 5545 section 3.3.5): 02:30 in Berlin on the day of
//!   the spring change is 03:30 summer time;
//! - event times are kept to the second (recurrence works on whole seconds).

use chrono::{DateTime, Duration, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use crm_domain::ValueError;
use rrule::{RRule, RRuleSet, Unvalidated};

/// The rule parts this server expands.
pub const PARTS: &[&str] = &[
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYSETPOS",
];
/// The frequencies this server expands.
pub const FREQUENCIES: &[&str] = &["DAILY", "WEEKLY", "MONTHLY", "YEARLY"];
/// The largest `COUNT`.
pub const MAX_COUNT: u32 = 5000;
/// The largest `INTERVAL`.
pub const MAX_INTERVAL: u16 = 1000;
/// The longest rule text.
pub const MAX_LEN: usize = 500;
/// The most starts one expansion walks (a bound on the work of one request, far above
/// 366 days of a daily rule started decades ago).
const MAX_WALK: usize = 200_000;

/// A checked recurrence rule: the supported parts only, keys and values upper case, in the
/// order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    text: String,
    count: Option<u32>,
    until: Option<DateTime<Utc>>,
}

fn refuse(message: impl Into<String>) -> ValueError {
    ValueError::new("invalid", message)
}

fn until_value(raw: &str) -> Result<DateTime<Utc>, ValueError> {
    NaiveDateTime::parse_from_str(raw, "%Y%m%dT%H%M%SZ")
        .map(|t| t.and_utc())
        .map_err(|_| refuse("UNTIL must be a UTC date and time such as 20271231T235959Z"))
}

fn format_until(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

impl Rule {
    /// Parses an `RRULE` value (`FREQ=WEEKLY;BYDAY=MO`; a leading `RRULE:` is allowed):
    /// `invalid` for an unknown or repeated part, a frequency other than the four, a bad
    /// number, `COUNT` with `UNTIL`, or a value the `rrule` parser refuses.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let raw = raw.trim();
        if raw.len() > MAX_LEN {
            return Err(refuse(format!("must be at most {MAX_LEN} characters")));
        }
        let body = match raw.get(..6) {
            Some(p) if p.eq_ignore_ascii_case("RRULE:") => &raw[6..],
            _ => raw,
        };
        let mut parts: Vec<(String, String)> = Vec::new();
        for part in body.split(';') {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| refuse("must be PART=VALUE pairs separated by ';'"))?;
            let (k, v) = (k.trim().to_ascii_uppercase(), v.trim().to_ascii_uppercase());
            if !PARTS.contains(&k.as_str()) {
                return Err(refuse(format!(
                    "{k} is not supported: only {} are",
                    PARTS.join(", ")
                )));
            }
            if v.is_empty() || parts.iter().any(|(p, _)| *p == k) {
                return Err(refuse(format!("{k} must be given once, with a value")));
            }
            parts.push((k, v));
        }
        let get = |k: &str| parts.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
        match get("FREQ") {
            Some(f) if FREQUENCIES.contains(&f) => {}
            _ => {
                return Err(refuse(format!(
                    "FREQ must be one of {}",
                    FREQUENCIES.join(", ")
                )));
            }
        }
        if let Some(i) = get("INTERVAL") {
            match i.parse::<u16>() {
                Ok(n) if (1..=MAX_INTERVAL).contains(&n) => {}
                _ => return Err(refuse(format!("INTERVAL must be 1 to {MAX_INTERVAL}"))),
            }
        }
        let count = match get("COUNT") {
            Some(c) => match c.parse::<u32>() {
                Ok(n) if (1..=MAX_COUNT).contains(&n) => Some(n),
                _ => return Err(refuse(format!("COUNT must be 1 to {MAX_COUNT}"))),
            },
            None => None,
        };
        let until = get("UNTIL").map(until_value).transpose()?;
        if count.is_some() && until.is_some() {
            return Err(refuse("COUNT and UNTIL may not be given together"));
        }
        let text = parts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";");
        text.parse::<RRule<Unvalidated>>()
            .map_err(|e| refuse(format!("is not a valid rule: {e}")))?;
        Ok(Rule { text, count, until })
    }

    /// The rule as stored and answered.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn count(&self) -> Option<u32> {
        self.count
    }

    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.until
    }

    /// Whether the series ends (by `COUNT` or `UNTIL`).
    pub fn is_finite(&self) -> bool {
        self.count.is_some() || self.until.is_some()
    }

    /// The same rule ending by `end`: `COUNT=n`, `UNTIL=t`, or neither (forever).
    pub fn ending(&self, end: End) -> Rule {
        let mut parts: Vec<String> = self
            .text
            .split(';')
            .filter(|p| !p.starts_with("COUNT=") && !p.starts_with("UNTIL="))
            .map(str::to_string)
            .collect();
        let (count, until) = match end {
            End::Count(n) => {
                parts.push(format!("COUNT={n}"));
                (Some(n), None)
            }
            End::Until(t) => {
                parts.push(format!("UNTIL={}", format_until(t)));
                (None, Some(t))
            }
            End::Never => (None, None),
        };
        Rule {
            text: parts.join(";"),
            count,
            until,
        }
    }

    /// The rule's set from `start` on the wall clock of `zone`; `invalid` when the rule
    /// cannot run from that start (`UNTIL` before it, a `BYSETPOS` without a set to pick
    /// from, …).
    fn set(&self, start: DateTime<Utc>, zone: Tz) -> Result<RRuleSet, ValueError> {
        let rule: RRule<Unvalidated> = self
            .text
            .parse()
            .map_err(|e| refuse(format!("is not a valid rule: {e}")))?;
        let dt_start = start.with_timezone(&rrule::Tz::Tz(zone));
        rule.build(dt_start)
            .map(RRuleSet::limit)
            .map_err(|e| refuse(format!("cannot recur from the event's start: {e}")))
    }

    /// `Ok` when the rule can run from `start` in `zone` (what an event is checked with).
    pub fn check(&self, start: DateTime<Utc>, zone: Tz) -> Result<(), ValueError> {
        self.set(start, zone).map(|_| ())
    }
}

/// How a series ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Count(u32),
    Until(DateTime<Utc>),
    Never,
}

/// A recurring event as the expansion reads it.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// The first start (the event's `starts_at`).
    pub start: DateTime<Utc>,
    /// Every occurrence's length (`ends_at - starts_at`).
    pub duration: TimeDelta,
    pub zone: Tz,
    pub rule: &'a Rule,
}

impl Series<'_> {
    /// Every original start the rule generates, in order, while `keep_going` says so (at most
    /// [`MAX_WALK`]); empty when the rule cannot run from the start.
    fn walk(&self, mut keep_going: impl FnMut(DateTime<Utc>) -> bool) {
        let Ok(set) = self.rule.set(self.start, self.zone) else {
            return;
        };
        for dt in set.into_iter().take(MAX_WALK) {
            if !keep_going(dt.with_timezone(&Utc)) {
                break;
            }
        }
    }

    /// The original starts of the occurrences that overlap `[from, to)` (start before `to`,
    /// end after `from`), in order, those in `exdates` left out.
    pub fn starts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        exdates: &[DateTime<Utc>],
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        self.walk(|s| {
            if s >= to {
                return false;
            }
            if s + self.duration > from && !exdates.contains(&s) {
                out.push(s);
            }
            true
        });
        out
    }

    /// Every original start of a finite series (exdates included); `None` for a series
    /// without end.
    pub fn all_starts(&self) -> Option<Vec<DateTime<Utc>>> {
        if !self.rule.is_finite() {
            return None;
        }
        let mut out = Vec::new();
        self.walk(|s| {
            out.push(s);
            true
        });
        Some(out)
    }

    /// When the last occurrence ends; `None` for a series without end (what candidate
    /// events are selected by: `series_until` after the window's start, or NULL).
    pub fn last_end(&self) -> Option<DateTime<Utc>> {
        let starts = self.all_starts()?;
        Some(starts.last().copied().unwrap_or(self.start) + self.duration)
    }

    /// Whether `at` is an original start of the series.
    pub fn is_start(&self, at: DateTime<Utc>) -> bool {
        let mut found = false;
        self.walk(|s| {
            found = s == at;
            s < at
        });
        found
    }

    /// How many original starts come before `at`.
    pub fn starts_before(&self, at: DateTime<Utc>) -> u32 {
        let mut n = 0u32;
        self.walk(|s| {
            if s < at {
                n += 1;
                true
            } else {
                false
            }
        });
        n
    }
}

/// The two rules of a series split at the original start `at` (an occurrence that is not
/// the first): the old series ends just before `at` (with `COUNT` the starts before it, else
/// `UNTIL` one second before it), the new one starts at `at` and keeps the old end (with
/// `COUNT` the starts left). `invalid` when `at` is not a start of the series, or is its
/// first.
pub fn split(series: &Series<'_>, at: DateTime<Utc>) -> Result<(Rule, Rule), ValueError> {
    if !series.is_start(at) {
        return Err(refuse("is not an occurrence of the series"));
    }
    let before = series.starts_before(at);
    if before == 0 {
        return Err(refuse(
            "is the first occurrence: change the series itself instead",
        ));
    }
    let rule = series.rule;
    Ok(match rule.count() {
        Some(n) => (
            rule.ending(End::Count(before)),
            rule.ending(End::Count(n - before)),
        ),
        None => (
            rule.ending(End::Until(at - Duration::seconds(1))),
            rule.clone(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike};
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn rule(s: &str) -> Rule {
        Rule::parse(s).unwrap()
    }

    fn series<'a>(start: &str, zone: Tz, r: &'a Rule) -> Series<'a> {
        Series {
            start: utc(start),
            duration: TimeDelta::hours(1),
            zone,
            rule: r,
        }
    }

    #[test]
    fn only_the_contracts_parts_are_accepted() {
        assert_eq!(
            rule("rrule:freq=weekly;byday=mo,we").as_str(),
            "FREQ=WEEKLY;BYDAY=MO,WE"
        );
        for good in [
            "FREQ=DAILY",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            "FREQ=MONTHLY;BYMONTHDAY=31",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "FREQ=YEARLY;COUNT=3",
            "FREQ=DAILY;UNTIL=20271231T235959Z",
        ] {
            assert!(Rule::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "FREQ=HOURLY",
            "FREQ=SECONDLY",
            "FREQ=WEEKLY;BYHOUR=9",
            "FREQ=WEEKLY;WKST=SU",
            "FREQ=MONTHLY;BYMONTH=1",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;COUNT=x",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;COUNT=2;UNTIL=20271231T235959Z",
            "FREQ=DAILY;UNTIL=20271231",
            "FREQ=DAILY;FREQ=WEEKLY",
            "INTERVAL=2",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "FREQ=DAILY;",
            "garbage",
        ] {
            assert_eq!(Rule::parse(bad).unwrap_err().code, "invalid", "{bad}");
        }
    }

    #[test]
    fn rules_that_cannot_run_from_the_start_are_refused() {
        let r = rule("FREQ=DAILY;UNTIL=20200101T000000Z");
        assert!(
            r.check(utc("2027-01-04T08:00:00Z"), Tz::Europe__Berlin)
                .is_err()
        );
        assert!(
            rule("FREQ=DAILY")
                .check(utc("2027-01-04T08:00:00Z"), Tz::Europe__Berlin)
                .is_ok()
        );
    }

    /// Weekly at 09:00 local across the 2027 spring change of each zone (Berlin: 28 March,
    /// New York: 14 March): 09:00 on the wall clock every week, so the UTC hour moves.
    #[test]
    fn weekly_meetings_stay_at_nine_local_across_the_spring_change() {
        let r = rule("FREQ=WEEKLY");
        for (zone, first, winter_utc, summer_utc) in [
            (Tz::Europe__Berlin, "2027-03-01T08:00:00Z", 8, 7),
            (Tz::America__New_York, "2027-03-01T14:00:00Z", 14, 13),
        ] {
            let s = series(first, zone, &r);
            let starts = s.starts_between(
                utc("2027-03-01T00:00:00Z"),
                utc("2027-04-30T00:00:00Z"),
                &[],
            );
            assert_eq!(starts.len(), 9, "{zone}");
            for t in &starts {
                let local = t.with_timezone(&zone);
                assert_eq!((local.hour(), local.minute()), (9, 0), "{zone} {t}");
                assert_eq!(local.weekday(), chrono::Weekday::Mon);
            }
            assert_eq!(starts[0].hour(), winter_utc);
            assert_eq!(starts.last().unwrap().hour(), summer_utc);
        }
    }

    #[test]
    fn bymonthday_31_skips_the_short_months() {
        let r = rule("FREQ=MONTHLY;BYMONTHDAY=31");
        let s = series("2027-01-31T09:00:00Z", Tz::UTC, &r);
        let starts = s.starts_between(
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
            &[],
        );
        let months: Vec<u32> = starts.iter().map(|t| t.month()).collect();
        assert_eq!(months, [1, 3, 5, 7, 8, 10, 12]);
        assert!(starts.iter().all(|t| t.day() == 31));
    }

    #[test]
    fn count_and_until_end_the_series() {
        let counted = rule("FREQ=DAILY;COUNT=3");
        let s = series("2027-06-01T09:00:00Z", Tz::UTC, &counted);
        let all = s.all_starts().unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(s.last_end(), Some(utc("2027-06-03T10:00:00Z")));
        let until = rule("FREQ=DAILY;UNTIL=20270603T090000Z");
        let s = series("2027-06-01T09:00:00Z", Tz::UTC, &until);
        assert_eq!(s.all_starts().unwrap().len(), 3, "UNTIL is inclusive");
        let forever = rule("FREQ=DAILY");
        assert_eq!(
            series("2027-06-01T09:00:00Z", Tz::UTC, &forever).last_end(),
            None
        );
    }

    #[test]
    fn exdates_match_the_original_start() {
        let r = rule("FREQ=WEEKLY;COUNT=4");
        let s = series("2027-03-15T08:00:00Z", Tz::Europe__Berlin, &r);
        // The third occurrence is after the change: 09:00 Berlin is 07:00 UTC.
        let third = utc("2027-03-29T07:00:00Z");
        let starts = s.starts_between(
            utc("2027-03-01T00:00:00Z"),
            utc("2027-05-01T00:00:00Z"),
            &[third],
        );
        assert_eq!(starts.len(), 3);
        assert!(!starts.contains(&third));
        // An exdate at the old UTC hour matches nothing.
        let wrong = utc("2027-03-29T08:00:00Z");
        assert_eq!(
            s.starts_between(
                utc("2027-03-01T00:00:00Z"),
                utc("2027-05-01T00:00:00Z"),
                &[wrong]
            )
            .len(),
            4
        );
    }

    #[test]
    fn the_window_takes_occurrences_that_overlap_it() {
        let r = rule("FREQ=DAILY");
        let s = series("2027-06-01T09:00:00Z", Tz::UTC, &r);
        // 09:30 is inside the 09:00–10:00 occurrence of 1 June; 10:00 is its end.
        let got = s.starts_between(
            utc("2027-06-01T09:30:00Z"),
            utc("2027-06-02T09:00:00Z"),
            &[],
        );
        assert_eq!(got, [utc("2027-06-01T09:00:00Z")]);
        let got = s.starts_between(
            utc("2027-06-01T10:00:00Z"),
            utc("2027-06-02T09:00:01Z"),
            &[],
        );
        assert_eq!(got, [utc("2027-06-02T09:00:00Z")]);
    }

    #[test]
    fn split_recomputes_count_on_both_halves() {
        let r = rule("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10");
        let s = series("2027-03-01T08:00:00Z", Tz::Europe__Berlin, &r);
        let all = s.all_starts().unwrap();
        let at = all[4];
        let (old, new) = split(&s, at).unwrap();
        assert_eq!(old.count(), Some(4));
        assert_eq!(new.count(), Some(6));
        assert!(split(&s, all[0]).is_err(), "the first occurrence");
        assert!(
            split(&s, at + TimeDelta::minutes(1)).is_err(),
            "not an occurrence"
        );
        let forever = rule("FREQ=DAILY");
        let s = series("2027-03-01T08:00:00Z", Tz::Europe__Berlin, &forever);
        let (old, new) = split(&s, utc("2027-03-31T07:00:00Z")).unwrap();
        assert_eq!(old.until(), Some(utc("2027-03-31T06:59:59Z")));
        assert_eq!(new, forever);
    }

    fn zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            Tz::Europe__Berlin,
            Tz::America__New_York,
            Tz::Australia__Sydney,
            Tz::Asia__Kolkata,
            Tz::UTC,
        ])
    }

    fn rule_text() -> impl Strategy<Value = String> {
        let freq = prop::sample::select(vec!["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]);
        let extra = prop::sample::select(vec![
            "",
            ";BYDAY=MO,WE,FR",
            ";BYMONTHDAY=31",
            ";BYMONTHDAY=1,15",
            ";BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        ]);
        (freq, 1u16..4, extra, 2u32..40).prop_map(|(f, i, e, c)| {
            let e = if f == "YEARLY" && e.contains("BYSETPOS") {
                ""
            } else {
                e
            };
            format!("FREQ={f};INTERVAL={i}{e};COUNT={c}")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Every occurrence keeps the wall-clock time of the first start in its zone.
        #[test]
        fn occurrences_keep_the_local_time(z in zone(), text in rule_text(), day in 0i64..700, minute in 0i64..1440) {
            let r = Rule::parse(&text).unwrap();
            let local = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
                + TimeDelta::days(day) + TimeDelta::minutes(minute);
            let Some(start) = z.from_local_datetime(&local).single() else { return Ok(()); };
            let s = Series { start: start.with_timezone(&Utc), duration: TimeDelta::minutes(30), zone: z, rule: &r };
            for t in s.all_starts().unwrap() {
                let l = t.with_timezone(&z);
                // Only a time that does not exist that day (a spring-forward gap) moves.
                let wanted = l.date_naive().and_time(local.time());
                let in_gap = matches!(z.from_local_datetime(&wanted), chrono::LocalResult::None);
                prop_assert!(
                    (l.hour(), l.minute()) == (local.hour(), local.minute()) || in_gap,
                    "{} became {}", wanted, l
                );
            }
        }

        /// A split keeps every occurrence exactly once: the old half's starts then the new
        /// half's are the series' starts.
        #[test]
        fn split_keeps_every_occurrence_once(z in zone(), text in rule_text(), pick in 1usize..40, counted in any::<bool>()) {
            let mut r = Rule::parse(&text).unwrap();
            let start = z.with_ymd_and_hms(2027, 1, 4, 9, 0, 0).single().unwrap().with_timezone(&Utc);
            if !counted {
                // The same series ended by UNTIL at its last start.
                let s = Series { start, duration: TimeDelta::hours(1), zone: z, rule: &r };
                let last = *s.all_starts().unwrap().last().unwrap_or(&start);
                r = r.ending(End::Until(last));
            }
            let s = Series { start, duration: TimeDelta::hours(1), zone: z, rule: &r };
            let all = s.all_starts().unwrap();
            prop_assume!(all.len() > 1);
            let at = all[pick % (all.len() - 1) + 1];
            let (old, new) = split(&s, at).unwrap();
            let old_s = Series { rule: &old, ..s };
            let new_s = Series { start: at, rule: &new, ..s };
            let mut joined = old_s.all_starts().unwrap();
            prop_assert!(joined.iter().all(|t| *t < at));
            joined.extend(new_s.all_starts().unwrap());
            prop_assert_eq!(joined, all);
        }
    }
}
