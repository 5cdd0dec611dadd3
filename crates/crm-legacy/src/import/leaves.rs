//! `Leaves` → leave requests of the employee imported from the user `employeeId` names.
//!
//! - The old `leaveType` is a fixed word (`sick`, `casual`, `annual`, `other`), not a
//!   reference: it becomes the organization's leave type whose code or name starts with that
//!   word (`SICK_LEAVE`, "Sick leave"), and where there is none, a type `<Word> leave` is
//!   created with no yearly allowance (reported: the old server kept no allowance to carry).
//! - `days` is counted as this server counts them (the person's schedule less the
//!   organization's holidays, read in the run's transaction, so the holidays imported just
//!   before count); a range without a working day is reported, not imported.
//! - `isHalfDay` is the morning (`am`): the old server did not say which half.
//! - `status` `pending`, `approved`, `rejected` as they are; a decided request was decided at
//!   its `updatedAt`, by nobody known here (`decided_by: null`), with `remarks` as the note.
//! - A request that would hold days (pending or approved) over days another request of the
//!   person already holds is reported, not imported: two requests cannot take one day here.
//!   Rows are read in the order they were filed (`Source::table`: `createdAt`, then id): the
//!   first one keeps the days.
//! - The history is not checked against balances (the old server had none): an approved
//!   request beyond a type's allowance shows as a negative balance, which is what happened.

use super::leave_types::{code_of, free_code, new_type};
use super::people::{Person, person};
use super::step_rows;
use super::{Ctx, ImportError, target_err, upsert};
use crate::report::Step;
use crate::rules::{self, clip};
use crate::source::{Row, Source};
use crm_db::legacy::{LegacyTable, holiday_dates, leave_types_of};
use crm_domain::OrganizationId;
use crm_domain::kernel::records::Records;
use crm_hr::days::Days;
use crm_hr::leave::counting::{LeaveSpan, first_overlap, parts};
use crm_hr::leave::requests::{NOTE_MAX, REASON_MAX};
use crm_hr::leave::types::LeaveTypeId;
use crm_hr::leave::{HalfDay, LeaveRequest, LeaveRequestId, LeaveStatus, LeaveStore};

pub(crate) const LEAVES: Step = Step {
    source: "Leaves",
    target: "leave_requests",
};

const COLUMNS: &[&str] = &[
    "id",
    "employeeId",
    "startDate",
    "endDate",
    "leaveType",
    "reason",
    "status",
    "remarks",
    "isHalfDay",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// The old status as this server's; `None` for a value the old server never wrote.
pub(crate) fn status_of(raw: Option<&str>) -> Option<LeaveStatus> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("pending") => Some(LeaveStatus::Pending),
        Some("approved") => Some(LeaveStatus::Approved),
        Some("rejected") => Some(LeaveStatus::Rejected),
        Some(_) => None,
    }
}

/// Whether a leave type of `code` and `name` is what the old word `word` meant.
pub(crate) fn type_matches(word: &str, code: &str, name: &str) -> bool {
    let want = code_of(word);
    let name = code_of(name);
    [code, name.as_str()].iter().any(|c| {
        *c == want
            || c.strip_prefix(want.as_str())
                .is_some_and(|r| r.starts_with('_'))
    })
}

/// The name of the type made for an old word no type matches: `sick` → "Sick leave".
pub(crate) fn type_name(word: &str) -> String {
    let word = word.trim().to_lowercase();
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => format!("{}{} leave", first.to_uppercase(), chars.as_str()),
        None => "Leave".into(),
    }
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, LEAVES, COLUMNS).await?;
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

/// The leave type of `org` the old word stands for, made when there is none.
async fn leave_type(
    ctx: &mut Ctx<'_>,
    org: OrganizationId,
    word: &str,
) -> Result<LeaveTypeId, ImportError> {
    let key = (org, word.to_lowercase());
    if let Some(t) = ctx.leave_types.get(&key) {
        return Ok(*t);
    }
    let types = leave_types_of(&mut ctx.tx, org)
        .await
        .map_err(target_err("the leave types"))?;
    let found = types
        .iter()
        .find(|(_, code, name)| type_matches(word, code, name))
        .map(|(id, _, _)| LeaveTypeId(*id));
    let id = match found {
        Some(id) => id,
        None => {
            let name = type_name(word);
            let code = free_code(ctx, org, &name).await?;
            let t = new_type(
                org,
                name.clone(),
                code.clone(),
                Days::whole(0),
                None,
                (ctx.now, ctx.now),
            );
            ctx.target
                .leave_types
                .create(&mut ctx.tx, &t)
                .await
                .map_err(target_err(format!("the leave type {code}")))?;
            ctx.report.note(
                LEAVES.source,
                "",
                format!(
                    "no leave type like '{word}': made {code} (\"{name}\", no yearly allowance: \
                     set it under leave types)"
                ),
            );
            t.id
        }
    };
    ctx.leave_types.insert(key, id);
    Ok(id)
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Person {
        org,
        user,
        employee,
        schedule,
    } = match person(ctx, "employeeId", row.get("employeeId")).await? {
        Ok(p) => p,
        Err(reason) => {
            ctx.skip(LEAVES, &legacy, reason);
            return Ok(());
        }
    };
    let (Some(start), Some(end)) = (
        row.get("startDate").and_then(rules::source_date),
        row.get("endDate")
            .or(row.get("startDate"))
            .and_then(rules::source_date),
    ) else {
        ctx.skip(LEAVES, &legacy, "no readable startDate");
        return Ok(());
    };
    let Some(status) = status_of(row.get("status")) else {
        ctx.skip(
            LEAVES,
            &legacy,
            format!(
                "status {:?} is none of pending, approved, rejected",
                row.get("status").unwrap_or("")
            ),
        );
        return Ok(());
    };
    let half = rules::flag(row.get("isHalfDay")).then_some(HalfDay::Am);
    let span = match LeaveSpan::new(start, end, half) {
        Ok(s) => s,
        Err(e) => {
            ctx.skip(LEAVES, &legacy, format!("{start} to {end}: {e}"));
            return Ok(());
        }
    };
    let holidays = holiday_dates(&mut ctx.tx, org, start, end)
        .await
        .map_err(target_err("the holidays"))?;
    let parts = match parts(&schedule, &holidays, &span) {
        Ok(p) => p,
        Err(_) => {
            ctx.skip(
                LEAVES,
                &legacy,
                format!(
                    "{start} to {end} holds no working day of the person's schedule \
                     (weekends and holidays do not count)"
                ),
            );
            return Ok(());
        }
    };
    let days = parts.iter().map(|p| p.days).sum();
    let known = ctx.known(LegacyTable::LeaveRequests, org, &legacy);
    if status.holds_days() {
        let history = ctx
            .target
            .leave_store
            .history_in(&mut ctx.tx, org, employee)
            .await
            .map_err(target_err("a person's leave"))?;
        let others: Vec<_> = history
            .requests
            .iter()
            .filter(|r| Some(r.id.0) != known)
            .map(|r| (r.id, r.span, r.status))
            .collect();
        if let Some(other) = first_overlap(&span, &others) {
            ctx.skip(
                LEAVES,
                &legacy,
                format!("{start} to {end} overlaps the person's leave request {other}"),
            );
            return Ok(());
        }
    }
    let word = row.get("leaveType").unwrap_or("other").to_string();
    let leave_type_id = leave_type(ctx, org, &word).await?;
    let reason = row.get("reason").map(|r| clip(r, REASON_MAX));
    let note = row.get("remarks").map(|r| clip(r, NOTE_MAX));
    let requested_by = ctx.user_in(org, row.get("created_by")).or(Some(user));
    let (created, updated) = ctx.stamps(row);
    let decided_at = (status != LeaveStatus::Pending).then_some(updated);
    let build = |stored: Option<&LeaveRequest>| match stored {
        // A request keeps its person, type, dates and days here (the store never rewrites
        // them): only its state, decision and reason follow the source.
        Some(s) => LeaveRequest {
            reason: reason.clone(),
            status,
            decided_at: if s.status == status {
                s.decided_at
            } else {
                decided_at
            },
            decision_note: note.clone(),
            updated_at: updated,
            ..s.clone()
        },
        None => LeaveRequest {
            id: LeaveRequestId::new(),
            organization_id: org,
            employee_id: employee,
            leave_type_id,
            start_date: start,
            end_date: end,
            half_day: span.half_day(),
            reason: reason.clone(),
            days,
            status,
            requested_by,
            decided_by: None,
            decided_at,
            decision_note: note.clone(),
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
            parts: parts.clone(),
        },
    };
    let records = ctx.target.leave_requests.clone();
    let r = upsert(
        ctx,
        &records,
        LegacyTable::LeaveRequests,
        LEAVES,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    if (r.start_date, r.end_date, r.leave_type_id) != (start, end, leave_type_id) {
        ctx.report.note(
            LEAVES.source,
            &legacy,
            format!(
                "now {start} to {end} ({word}) in the source: a request keeps its dates and \
                 type here ({} to {}); cancel it and file a new one",
                r.start_date, r.end_date
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_words_find_the_types_named_like_them() {
        assert!(type_matches("sick", "SICK", "Sick"));
        assert!(type_matches("sick", "SICK_LEAVE", "Sick leave"));
        assert!(type_matches("Casual", "CL", "Casual leave"));
        assert!(type_matches("annual", "AL", "annual"));
        assert!(!type_matches("sick", "SICKNESS", "Sickness"));
        assert!(!type_matches("other", "ANNUAL", "Annual leave"));
        assert_eq!(type_name("sick"), "Sick leave");
        assert_eq!(type_name("OTHER"), "Other leave");
    }

    #[test]
    fn statuses_are_the_three_the_old_server_wrote() {
        assert_eq!(status_of(Some("approved")), Some(LeaveStatus::Approved));
        assert_eq!(status_of(Some("Rejected")), Some(LeaveStatus::Rejected));
        assert_eq!(status_of(None), Some(LeaveStatus::Pending));
        assert_eq!(status_of(Some("cancelled")), None);
    }
}
