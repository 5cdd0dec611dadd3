//! `Attendances` → attendance records (punches) of the employee imported from the user
//! `employee` names, written as HR records (`source: hr`).
//!
//! - `date` with `startTime` and `endTime` are the wall-clock times the person worked, read
//!   in the time zone of their work schedule (not the `--source-offset` of the old server's
//!   own stamps); an `endTime` not after `startTime` ends on the next day (a night shift).
//!   A time that does not exist in that zone (a daylight-saving gap) is reported.
//! - The old `late` and `halfDay` columns are not kept: this server derives late, half day
//!   and absent from the punches and the schedule, never from a stored status.
//! - A row without an `endTime` is reported, not imported: an open punch from the past would
//!   stay open for ever. A punch sharing time with another of the person's is reported too
//!   (rows are read in the order they were written, `createdAt` then id: the first one stays).

use super::people::{Person, person};
use super::step_rows;
use super::{Ctx, ImportError, target_err, upsert};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use chrono::{DateTime, Days as CalendarDays, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use crm_db::legacy::LegacyTable;
use crm_hr::attendance::{AttendanceRecord, AttendanceRecordId, AttendanceSource, AttendanceStore};

pub(crate) const ATTENDANCES: Step = Step {
    source: "Attendances",
    target: "attendance_records",
};

const COLUMNS: &[&str] = &[
    "id",
    "employee",
    "date",
    "startTime",
    "endTime",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// A `TIME` as MySQL prints it (`09:05:00`, maybe `09:05` or with fractions).
pub(crate) fn time_of(raw: &str) -> Option<NaiveTime> {
    let raw = raw.trim();
    NaiveTime::parse_from_str(raw, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M"))
        .ok()
}

/// The punch `[in, out)` of a day's times in `zone`; `out` on the next day when it is not
/// after `start`. `Err` with the reason when a time does not exist there.
pub(crate) fn punch(
    zone: Tz,
    date: NaiveDate,
    start: NaiveTime,
    end: NaiveTime,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let end_date = if end > start {
        date
    } else {
        date.checked_add_days(CalendarDays::new(1))
            .ok_or("the date is out of range")?
    };
    let at = |d: NaiveDate, t: NaiveTime| {
        zone.from_local_datetime(&d.and_time(t))
            .earliest()
            .map(|l| l.with_timezone(&Utc))
            .ok_or_else(|| format!("{d} {t} does not exist in {}", zone.name()))
    };
    Ok((at(date, start)?, at(end_date, end)?))
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, ATTENDANCES, COLUMNS).await?;
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Person {
        org,
        employee,
        schedule,
        ..
    } = match person(ctx, "employee", row.get("employee")).await? {
        Ok(p) => p,
        Err(reason) => {
            ctx.skip(ATTENDANCES, &legacy, reason);
            return Ok(());
        }
    };
    let Some(date) = row.get("date").and_then(rules::source_date) else {
        ctx.skip(ATTENDANCES, &legacy, "no readable date");
        return Ok(());
    };
    let Some(start) = row.get("startTime").and_then(time_of) else {
        ctx.skip(ATTENDANCES, &legacy, "no readable startTime");
        return Ok(());
    };
    let Some(end) = row.get("endTime").and_then(time_of) else {
        ctx.skip(
            ATTENDANCES,
            &legacy,
            "no endTime: an open punch of a past day is not imported",
        );
        return Ok(());
    };
    let (check_in, check_out) = match punch(schedule.time_zone, date, start, end) {
        Ok(p) => p,
        Err(reason) => {
            ctx.skip(ATTENDANCES, &legacy, reason);
            return Ok(());
        }
    };
    let known = ctx.known(LegacyTable::AttendanceRecords, org, &legacy);
    let in_the_way = ctx
        .target
        .attendance
        .overlapping(
            &mut ctx.tx,
            org,
            employee,
            check_in,
            Some(check_out),
            known.map(AttendanceRecordId),
        )
        .await
        .map_err(target_err("a person's punches"))?;
    if let Some(other) = in_the_way.first() {
        ctx.skip(
            ATTENDANCES,
            &legacy,
            format!(
                "{date} {start}–{end} shares time with the person's punch {}",
                other.id
            ),
        );
        return Ok(());
    }
    let (created, updated) = ctx.stamps(row);
    let build = |stored: Option<&AttendanceRecord>| match stored {
        Some(s) => AttendanceRecord {
            check_in_at: check_in,
            check_out_at: Some(check_out),
            updated_at: updated,
            ..s.clone()
        },
        None => AttendanceRecord {
            id: AttendanceRecordId::new(),
            organization_id: org,
            employee_id: employee,
            check_in_at: check_in,
            check_out_at: Some(check_out),
            note: None,
            source: AttendanceSource::Hr,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        },
    };
    let records = ctx.target.attendance.clone();
    upsert(
        ctx,
        &records,
        LegacyTable::AttendanceRecords,
        ATTENDANCES,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_day_in_india_is_read_in_india() {
        let (i, o) = punch(
            chrono_tz::Asia::Kolkata,
            d("2024-03-05"),
            time_of("09:30:00").unwrap(),
            time_of("18:00").unwrap(),
        )
        .unwrap();
        assert_eq!(i.to_rfc3339(), "2024-03-05T04:00:00+00:00");
        assert_eq!(o.to_rfc3339(), "2024-03-05T12:30:00+00:00");
    }

    #[test]
    fn a_night_shift_ends_the_next_day() {
        let (i, o) = punch(
            chrono_tz::Asia::Kolkata,
            d("2024-03-05"),
            time_of("22:00:00").unwrap(),
            time_of("06:00:00").unwrap(),
        )
        .unwrap();
        assert_eq!((o - i).num_hours(), 8);
    }

    #[test]
    fn a_time_that_does_not_exist_is_refused() {
        // Clocks went from 02:00 to 03:00 in New York on 10 March 2024.
        let r = punch(
            chrono_tz::America::New_York,
            d("2024-03-10"),
            time_of("02:30").unwrap(),
            time_of("10:00").unwrap(),
        );
        assert!(r.is_err());
        assert!(time_of("9h").is_none());
    }
}
