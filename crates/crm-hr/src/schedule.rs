//! A work schedule's rules (contract section 8, `/work-schedules`): the IANA `time_zone`,
//! the working `days` with their hours and break, `late_grace_minutes` and
//! `half_day_minutes`. [`ScheduleInput::parse`] checks a body and answers `422` naming every
//! bad field (`time_zone`, `days[2].end`, …); [`Schedule`] is the checked value that day
//! counting and attendance read.
//!
//! Rules, including the points the contract leaves open:
//! - `time_zone` is a name of the IANA database (`chrono-tz`), such as `Europe/Paris`; a
//!   well-formed but unknown name is refused, not taken as UTC;
//! - `days` lists each working weekday once (`1` = Monday … `7` = Sunday), in any order, and
//!   at least one (a schedule without a working day would make every leave request count no
//!   day at all);
//! - `start` and `end` are `HH:MM` on the 24-hour clock (`00:00`–`23:59`) in the schedule's
//!   zone; an `end` earlier than `start` is a night shift that ends the next morning, and
//!   belongs to the weekday it starts on (so a time zone or a night shift never moves a
//!   working day to another date); `end` equal to `start` is refused (`days[i].end`);
//! - `break_minutes` is 0 or more and less than the shift, so every working day has working
//!   minutes; `late_grace_minutes` and `half_day_minutes` are 0–1440.

use chrono::{NaiveTime, Timelike, Weekday};
use chrono_tz::Tz;
use crm_domain::kernel::input::Errors;
use crm_domain::{DomainError, ValueError};
use serde::{Deserialize, Serialize, Serializer};

/// Minutes of a day: the most of any duration in a schedule.
pub const MINUTES_PER_DAY: u32 = 1440;

/// One working weekday of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "weekday": 1, "start": "09:00", "end": "17:00", "break_minutes": 30
})))]
pub struct WorkDay {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    #[serde(serialize_with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: NaiveTime,
    /// Before `start`: the shift ends the next day.
    #[serde(serialize_with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub end: NaiveTime,
    pub break_minutes: u32,
}

impl WorkDay {
    /// Minutes from `start` to `end` (across midnight for a night shift).
    pub fn shift_minutes(&self) -> u32 {
        let start = self.start.num_seconds_from_midnight() / 60;
        let end = self.end.num_seconds_from_midnight() / 60;
        (end + MINUTES_PER_DAY - start) % MINUTES_PER_DAY
    }

    /// The shift less its break.
    pub fn working_minutes(&self) -> u32 {
        self.shift_minutes().saturating_sub(self.break_minutes)
    }

    /// Whether the shift ends on the next calendar day.
    pub fn crosses_midnight(&self) -> bool {
        self.end < self.start
    }
}

fn hh_mm<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format("%H:%M").to_string())
}

fn zone_name<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// A checked work schedule: what counting and attendance read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    #[serde(serialize_with = "zone_name")]
    pub time_zone: Tz,
    /// Sorted by weekday, each at most once.
    pub days: Vec<WorkDay>,
    pub late_grace_minutes: u32,
    pub half_day_minutes: u32,
}

impl Schedule {
    /// The schedule every organization starts with: Monday–Friday 09:00–17:00 in its zone,
    /// no break, 15 minutes of grace, a half day below 4 hours worked (half the day).
    pub fn standard(time_zone: Tz) -> Self {
        let (start, end) = (time(9, 0), time(17, 0));
        Self {
            time_zone,
            days: (1..=5)
                .map(|weekday| WorkDay {
                    weekday,
                    start,
                    end,
                    break_minutes: 0,
                })
                .collect(),
            late_grace_minutes: 15,
            half_day_minutes: 240,
        }
    }

    /// The working hours of `weekday`, if it is a working day.
    pub fn day(&self, weekday: Weekday) -> Option<&WorkDay> {
        let n = weekday_number(weekday);
        self.days.iter().find(|d| d.weekday == n)
    }

    pub fn is_working_day(&self, weekday: Weekday) -> bool {
        self.day(weekday).is_some()
    }

    /// Working minutes of `weekday`: its shift less its break; 0 on a day off.
    pub fn working_minutes(&self, weekday: Weekday) -> u32 {
        self.day(weekday).map_or(0, WorkDay::working_minutes)
    }

    /// Which weekdays work, indexed from Monday (`[0]`) to Sunday (`[6]`).
    pub fn working_weekdays(&self) -> [bool; 7] {
        let mut w = [false; 7];
        for d in &self.days {
            if let Some(slot) = w.get_mut(usize::from(d.weekday.saturating_sub(1))) {
                *slot = true;
            }
        }
        w
    }
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// 1 = Monday … 7 = Sunday (ISO 8601).
pub fn weekday_number(w: Weekday) -> u8 {
    // 1..=7 fits in a byte.
    u8::try_from(w.number_from_monday()).unwrap_or(7)
}

/// One day of a schedule as a body sends it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "weekday": 1, "start": "09:00", "end": "17:00", "break_minutes": 30
})))]
#[serde(deny_unknown_fields)]
pub struct WorkDayInput {
    /// 1 = Monday … 7 = Sunday.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 7))]
    pub weekday: i64,
    /// `HH:MM`, 24-hour clock, in the schedule's zone.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub start: String,
    /// `HH:MM`; earlier than `start` for a shift that ends the next day.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub end: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1440))]
    #[serde(default)]
    pub break_minutes: i64,
}

/// A schedule's rules as a body sends them (`name` and `is_default` belong to the record).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ScheduleInput {
    pub time_zone: String,
    pub days: Vec<WorkDayInput>,
    #[serde(default)]
    pub late_grace_minutes: i64,
    #[serde(default)]
    pub half_day_minutes: i64,
}

impl ScheduleInput {
    /// The checked schedule, or `422` with every bad field (`time_zone`, `days`,
    /// `days[i].weekday|start|end|break_minutes`, `late_grace_minutes`, `half_day_minutes`).
    pub fn parse(&self) -> Result<Schedule, DomainError> {
        let mut errors = Errors::new();
        let time_zone = errors.take("time_zone", time_zone(&self.time_zone));
        if self.days.is_empty() {
            errors.add(
                "days",
                "required",
                "a schedule needs at least one working day",
            );
        }
        let mut days: Vec<WorkDay> = Vec::with_capacity(self.days.len());
        let mut seen = [false; 7];
        for (i, raw) in self.days.iter().enumerate() {
            let field = |name: &str| format!("days[{i}].{name}");
            let weekday = errors.take(&field("weekday"), weekday(raw.weekday));
            if let Some(w) = weekday {
                let slot = &mut seen[usize::from(w - 1)];
                if *slot {
                    errors.add(
                        &field("weekday"),
                        "duplicate",
                        format!("weekday {w} is listed twice"),
                    );
                }
                *slot = true;
            }
            let start = errors.take(&field("start"), clock_time(&raw.start));
            let end = errors.take(&field("end"), clock_time(&raw.end));
            let break_minutes = errors.take(&field("break_minutes"), minutes(raw.break_minutes));
            if let (Some(s), Some(e)) = (start, end)
                && s == e
            {
                errors.add(
                    &field("end"),
                    "invalid",
                    "must differ from start (an earlier end is a shift that ends the next day)",
                );
            }
            if let (Some(weekday), Some(start), Some(end), Some(break_minutes)) =
                (weekday, start, end, break_minutes)
                && start != end
            {
                let day = WorkDay {
                    weekday,
                    start,
                    end,
                    break_minutes,
                };
                if break_minutes >= day.shift_minutes() {
                    errors.add(
                        &field("break_minutes"),
                        "out_of_range",
                        format!(
                            "must be less than the shift's {} minutes",
                            day.shift_minutes()
                        ),
                    );
                } else {
                    days.push(day);
                }
            }
        }
        let late_grace_minutes =
            errors.value("late_grace_minutes", minutes(self.late_grace_minutes));
        let half_day_minutes = errors.value("half_day_minutes", minutes(self.half_day_minutes));
        errors.finish()?;
        days.sort_by_key(|d| d.weekday);
        Ok(Schedule {
            time_zone: time_zone.unwrap_or(Tz::UTC),
            days,
            late_grace_minutes,
            half_day_minutes,
        })
    }
}

/// The OpenAPI schema of a `time_zone` field: one of the names of the IANA database this
/// server knows (the same list [`time_zone`] accepts), so a client can offer them as a choice.
#[cfg(feature = "openapi")]
pub fn time_zone_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())))
        .examples(["Europe/Berlin"])
        .into()
}

/// An IANA time-zone name known to the time-zone database (`Europe/Paris`, `UTC`).
pub fn time_zone(raw: &str) -> Result<Tz, ValueError> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| ValueError::new("invalid", "must be an IANA time zone such as Europe/Paris"))
}

/// A weekday number, 1 = Monday … 7 = Sunday.
pub fn weekday(v: i64) -> Result<u8, ValueError> {
    u8::try_from(v)
        .ok()
        .filter(|w| (1..=7).contains(w))
        .ok_or_else(|| ValueError::new("out_of_range", "must be between 1 (Monday) and 7 (Sunday)"))
}

/// `HH:MM` on the 24-hour clock, `00:00`–`23:59`.
pub fn clock_time(raw: &str) -> Result<NaiveTime, ValueError> {
    let bad = || ValueError::new("invalid", "must be a time HH:MM between 00:00 and 23:59");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return Err(bad());
    }
    let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// A count of minutes, 0–1440.
pub fn minutes(v: i64) -> Result<u32, ValueError> {
    u32::try_from(v)
        .ok()
        .filter(|m| *m <= MINUTES_PER_DAY)
        .ok_or_else(|| {
            ValueError::new(
                "out_of_range",
                format!("must be between 0 and {MINUTES_PER_DAY} minutes"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(weekday: i64, start: &str, end: &str, break_minutes: i64) -> WorkDayInput {
        WorkDayInput {
            weekday,
            start: start.into(),
            end: end.into(),
            break_minutes,
        }
    }

    fn input(days: Vec<WorkDayInput>) -> ScheduleInput {
        ScheduleInput {
            time_zone: "Europe/Paris".into(),
            days,
            late_grace_minutes: 10,
            half_day_minutes: 240,
        }
    }

    fn fields(r: Result<Schedule, DomainError>) -> Vec<(String, String)> {
        match r {
            Err(DomainError::Invalid(errs)) => {
                errs.into_iter().map(|e| (e.field, e.code)).collect()
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn a_good_schedule_and_its_working_minutes() {
        let s = input(vec![
            day(2, "09:00", "17:30", 30),
            day(1, "09:00", "17:30", 30),
            day(6, "22:00", "06:00", 60),
        ])
        .parse()
        .unwrap();
        assert_eq!(s.time_zone, chrono_tz::Europe::Paris);
        // Sorted by weekday.
        assert_eq!(
            s.days.iter().map(|d| d.weekday).collect::<Vec<_>>(),
            [1, 2, 6]
        );
        assert_eq!(s.working_minutes(Weekday::Mon), 480);
        assert_eq!(s.working_minutes(Weekday::Wed), 0);
        // The night shift: 8 hours across midnight, less an hour's break.
        assert_eq!(s.working_minutes(Weekday::Sat), 420);
        assert!(s.day(Weekday::Sat).unwrap().crosses_midnight());
        assert!(!s.is_working_day(Weekday::Sun));
        assert_eq!(
            s.working_weekdays(),
            [true, true, false, false, false, true, false]
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["time_zone"], "Europe/Paris");
        assert_eq!(json["days"][2]["start"], "22:00");
        assert_eq!(json["days"][2]["end"], "06:00");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = input(vec![
            day(1, "09:00", "17:00", 0),
            day(8, "9:00", "17:00", 0),
            day(1, "09:00", "09:00", 0),
            day(3, "24:00", "25:10", -1),
            day(4, "09:00", "10:00", 60),
        ]);
        bad.time_zone = "Europe/Atlantis".into();
        bad.late_grace_minutes = -5;
        bad.half_day_minutes = 1441;
        assert_eq!(
            fields(bad.parse()),
            [
                ("time_zone", "invalid"),
                ("days[1].weekday", "out_of_range"),
                ("days[1].start", "invalid"),
                ("days[2].weekday", "duplicate"),
                ("days[2].end", "invalid"),
                ("days[3].start", "invalid"),
                ("days[3].end", "invalid"),
                ("days[3].break_minutes", "out_of_range"),
                ("days[4].break_minutes", "out_of_range"),
                ("late_grace_minutes", "out_of_range"),
                ("half_day_minutes", "out_of_range"),
            ]
            .map(|(f, c)| (f.to_string(), c.to_string()))
        );
        assert_eq!(
            fields(input(vec![]).parse()),
            [("days".to_string(), "required".to_string())]
        );
    }

    #[test]
    fn values() {
        assert!(time_zone(" UTC ").is_ok());
        assert!(time_zone("America/Argentina/Buenos_Aires").is_ok());
        assert!(time_zone("Pacific/Kiritimati").is_ok());
        assert!(time_zone("Mars/Olympus").is_err());
        assert!(time_zone("").is_err());
        assert_eq!(clock_time("00:00").unwrap(), time(0, 0));
        assert_eq!(clock_time("23:59").unwrap(), time(23, 59));
        for bad in [
            "24:00", "9:00", "09:60", "0900", "09:00:00", "ab:cd", "-1:00", "",
        ] {
            assert!(clock_time(bad).is_err(), "{bad:?}");
        }
        assert_eq!(weekday(1).unwrap(), 1);
        assert_eq!(weekday(7).unwrap(), 7);
        assert!(weekday(0).is_err() && weekday(8).is_err() && weekday(-1).is_err());
        assert_eq!(minutes(1440).unwrap(), 1440);
        assert!(minutes(1441).is_err() && minutes(-1).is_err());
    }

    #[test]
    fn the_standard_schedule() {
        let s = Schedule::standard(chrono_tz::America::New_York);
        assert_eq!(
            s.working_weekdays(),
            [true, true, true, true, true, false, false]
        );
        assert_eq!(s.working_minutes(Weekday::Fri), 480);
        assert_eq!(s.working_minutes(Weekday::Sat), 0);
    }

    proptest! {
        #[test]
        fn working_minutes_are_the_shift_less_the_break(
            sh in 0u32..24, sm in 0u32..60, eh in 0u32..24, em in 0u32..60, brk in 0i64..1500,
        ) {
            let start = format!("{sh:02}:{sm:02}");
            let end = format!("{eh:02}:{em:02}");
            let r = input(vec![day(3, &start, &end, brk)]).parse();
            let shift = ((eh * 60 + em) + 1440 - (sh * 60 + sm)) % 1440;
            if shift == 0 || brk >= i64::from(shift) {
                prop_assert!(r.is_err());
            } else {
                let s = r.unwrap();
                let minutes = s.working_minutes(Weekday::Wed);
                prop_assert_eq!(i64::from(minutes), i64::from(shift) - brk);
                prop_assert!(minutes > 0 && minutes < 1440);
            }
        }
    }
}
