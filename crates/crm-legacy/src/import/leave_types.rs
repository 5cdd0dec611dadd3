//! `LeaveTypes` → leave types of their tenant (`client_id`): `leaveType` is the name,
//! `daysPerYear` the yearly allowance in whole days (granted upfront, paid, approved by a
//! manager, no carry-forward: the old server had none of these settings). The code, unique
//! per organization here and absent there, is made from the name.

use super::projects::clip;
use super::{Ctx, ImportError, NO_TENANT, first_free, step_rows, upsert};
use crate::report::Step;
use crate::source::{Row, Source};
use chrono::{DateTime, Utc};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_hr::days::Days;
use crm_hr::leave::balance::Accrual;
use crm_hr::leave::types::{CODE_MAX, DAYS_MAX, LeaveType, LeaveTypeId, NAME_MAX};

pub(crate) const LEAVE_TYPES: Step = Step {
    source: "LeaveTypes",
    target: "leave_types",
};

const COLUMNS: &[&str] = &[
    "id",
    "leaveType",
    "daysPerYear",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// A code from a name: its ASCII letters and digits upper-cased, words joined by `_`, at
/// most [`CODE_MAX`] characters; `LT` when nothing is left.
pub(crate) fn code_of(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let code: String = words.join("_").chars().take(CODE_MAX).collect();
    let code = code.trim_end_matches('_').to_string();
    if code.is_empty() { "LT".into() } else { code }
}

/// A code for a new type of `org` named `name`: the name's, numbered (`_2`, …) when the
/// organization has it already (a code is unique per organization).
pub(crate) async fn free_code(
    ctx: &mut Ctx<'_>,
    org: OrganizationId,
    name: &str,
) -> Result<String, ImportError> {
    first_free(
        ctx,
        org,
        "leave_types",
        "code",
        &code_of(name),
        '_',
        CODE_MAX,
    )
    .await
}

/// A leave type made by the import: this server's create defaults for what the old server
/// had no setting for (paid, granted upfront, approved by a manager, no carry-forward).
pub(crate) fn new_type(
    org: OrganizationId,
    name: String,
    code: String,
    allowance_days: Days,
    legacy_id: Option<String>,
    (created_at, updated_at): (DateTime<Utc>, DateTime<Utc>),
) -> LeaveType {
    LeaveType {
        id: LeaveTypeId::new(),
        organization_id: org,
        name,
        code,
        paid: true,
        allowance_days,
        accrual: Accrual::Upfront,
        carry_forward_max_days: Days::whole(0),
        carry_forward_expiry_days: None,
        allow_negative_days: Days::whole(0),
        requires_approval: true,
        is_active: true,
        legacy_id,
        created_at,
        updated_at,
        version: 1,
    }
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, LEAVE_TYPES, COLUMNS).await?;
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        ctx.skip(LEAVE_TYPES, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let name = clip(row.get("leaveType").unwrap_or(&legacy), NAME_MAX);
    let allowance = match row.get("daysPerYear").map(str::parse::<i64>) {
        Some(Ok(d)) if (0..=DAYS_MAX).contains(&d) => Days::whole(d),
        other => {
            if other.is_some() {
                ctx.report.note(
                    LEAVE_TYPES.source,
                    &legacy,
                    format!(
                        "daysPerYear {:?} is not a number of days: 0 allowed",
                        row.get("daysPerYear").unwrap_or("")
                    ),
                );
            }
            Days::whole(0)
        }
    };
    // A new type's code: the name's, numbered when the organization has it already.
    let code = if ctx.known(LegacyTable::LeaveTypes, org, &legacy).is_some() {
        String::new()
    } else {
        free_code(ctx, org, &name).await?
    };
    let (created, updated) = ctx.stamps(row);
    let build = |stored: Option<&LeaveType>| match stored {
        Some(s) => LeaveType {
            name: name.clone(),
            allowance_days: allowance,
            updated_at: updated,
            ..s.clone()
        },
        None => new_type(
            org,
            name.clone(),
            code.clone(),
            allowance,
            Some(legacy.clone()),
            (created, updated),
        ),
    };
    let records = ctx.target.leave_types.clone();
    upsert(
        ctx,
        &records,
        LegacyTable::LeaveTypes,
        LEAVE_TYPES,
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

    #[test]
    fn codes_come_from_names() {
        assert_eq!(code_of("Sick leave"), "SICK_LEAVE");
        assert_eq!(code_of("  casual/annual (paid) "), "CASUAL_ANNUAL_PAID");
        assert_eq!(code_of("प्रसूति"), "LT");
        assert!(code_of("a very long leave type name indeed").len() <= CODE_MAX);
    }
}
