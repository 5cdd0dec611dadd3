//! `Notifications` → one notification per recipient. The old server kept one row for all its
//! recipients (`users`: a JSON array, a wrapper object, or either as a JSON-encoded string)
//! with one `isRead` flag; here each person has their own. The summary counts recipients.
//!
//! - Tenant: its creator's (`created_by`, a username), else its sender's (`from`, a user id
//!   or a username). A recipient is notified only when they were imported into that
//!   organization; the others are reported. A row with nobody left is skipped.
//! - Key: a notification here has no version and is its recipient's own: the old id and
//!   the recipient's old user id, `id:userid`, is its `legacy_id` (unique per organization,
//!   as the holidays' `id:date`), so a re-run finds each one and makes none twice. (A
//!   notification its recipient deleted here is gone with its key: a later run makes it
//!   again, once.)
//! - Type: `legacy.reminder` for a `reminder`, else `legacy.notification`: none of this
//!   server's types fits, and no preference governs them (they are written, not sent: no
//!   mail, no live stream). Title: `title`; body: `message`, then `description`, cut at
//!   this server's lengths.
//! - Record: what `related_id` names among the records imported into the organization
//!   (lead, deal, client, project, task, invoice, quotation, proposal, contract); when it
//!   names none, the notification names itself (`record_type` `notification`, `record_id`
//!   its own id): a notification here always names a record.
//! - Read: `isRead` marks every recipient's copy read, at the row's `updatedAt`. The
//!   clean-up job removes read notifications older than 90 days; one read before that is
//!   not imported (reported), or each run would make it again after the job removed it. A
//!   later run marks read what the source marks read, and never marks unread what the
//!   recipient read here.

use super::projects::{clip, json_ids};
use super::{Ctx, ImportError, read, target_err};
use crate::report::{Outcome, Step};
use crate::source::{Row, Source};
use chrono::{DateTime, Duration, Utc};
use crm_db::legacy::{
    ImportedNotification, LegacyTable, imported_notification, insert_notification,
    update_notification,
};
use crm_domain::notifications::{BODY_MAX, RETENTION_DAYS, TITLE_MAX};
use uuid::Uuid;

pub(crate) const NOTIFICATIONS: Step = Step {
    source: "Notifications",
    target: "notifications",
};

const COLUMNS: &[&str] = &[
    "id",
    "related_id",
    "users",
    "title",
    "message",
    "description",
    "from",
    "notification_type",
    "isRead",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// The records a `related_id` may name, in the order they are looked for, with the
/// `record_type` the API names them by.
const RECORDS: &[(LegacyTable, &str)] = &[
    (LegacyTable::Leads, "lead"),
    (LegacyTable::Deals, "deal"),
    (LegacyTable::Clients, "client"),
    (LegacyTable::Projects, "project"),
    (LegacyTable::Tasks, "task"),
    (LegacyTable::Invoices, "invoice"),
    (LegacyTable::Quotations, "quotation"),
    (LegacyTable::Proposals, "proposal"),
    (LegacyTable::Contracts, "contract"),
];

/// The type of an old notification here.
pub(crate) fn notification_type(raw: Option<&str>) -> &'static str {
    match raw.map(|r| r.trim().to_ascii_lowercase()).as_deref() {
        Some("reminder") => "legacy.reminder",
        _ => "legacy.notification",
    }
}

/// The body: the message, then the description, each when present, cut to `BODY_MAX`.
pub(crate) fn notification_body(message: Option<&str>, description: Option<&str>) -> String {
    let parts: Vec<&str> = [message, description]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    clip(&parts.join("\n\n"), BODY_MAX)
}

/// Whether a flag column (`TINYINT(1)` read as text) is set.
pub(crate) fn flag(raw: Option<&str>) -> bool {
    matches!(
        raw.map(|r| r.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes")
    )
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = read(source, &mut ctx.report, "Notifications", COLUMNS)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    ctx.report.step(NOTIFICATIONS);
    // The bar moves once per recipient (or per row not imported).
    let steps: usize = rows
        .iter()
        .map(|r| json_ids(r.get("users")).len().max(1))
        .sum();
    ctx.progress.start(NOTIFICATIONS, steps as u64);
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let recipients = json_ids(row.get("users"));
    let tenant = ctx
        .tenant_of(row)
        .or_else(|| {
            let from = row.get("from")?;
            let id = ctx.usernames.get(from).map(String::as_str).unwrap_or(from);
            ctx.tenant_of_user(id)
        })
        .map(|(_, t)| t);
    let Some(tenant) = tenant else {
        ctx.skip(
            NOTIFICATIONS,
            &legacy,
            "no tenant: neither its creator nor its sender is a user of an imported tenant",
        );
        // The bar counted one step per recipient.
        for _ in 1..recipients.len() {
            ctx.progress.advance();
        }
        return Ok(());
    };
    let org = tenant.org;
    let users: Vec<(String, crm_domain::UserId)> = recipients
        .iter()
        .filter_map(|r| ctx.user_in(org, Some(r)).map(|u| (r.clone(), u)))
        .collect();
    for r in recipients
        .iter()
        .filter(|r| !users.iter().any(|(u, _)| u == *r))
    {
        ctx.report.note(
            NOTIFICATIONS.source,
            &legacy,
            format!("recipient {r} is not a user imported into the organization: not notified"),
        );
        ctx.progress.advance();
    }
    if users.is_empty() {
        let reason = if recipients.is_empty() {
            "no recipients in users"
        } else {
            "none of its recipients was imported into the organization"
        };
        ctx.report.skip(NOTIFICATIONS, &legacy, reason);
        if recipients.is_empty() {
            ctx.progress.advance();
        }
        return Ok(());
    }
    let (created, updated) = ctx.stamps(row);
    let read_at = flag(row.get("isRead")).then_some(updated);
    let r#type = notification_type(row.get("notification_type"));
    let title = clip(row.get("title").unwrap_or("Notification"), TITLE_MAX);
    let body = notification_body(row.get("message"), row.get("description"));
    let record = row.get("related_id").and_then(|r| {
        RECORDS
            .iter()
            .find_map(|(table, kind)| ctx.known(*table, org, r).map(|id| (*kind, id)))
    });
    let cutoff = ctx.now - Duration::days(RETENTION_DAYS);
    for (recipient, user) in users {
        let key = format!("{legacy}:{recipient}");
        let known = ctx.known(LegacyTable::Notifications, org, &key);
        let stored = match known {
            Some(id) => imported_notification(&mut ctx.tx, org, id)
                .await
                .map_err(target_err(format!("Notifications {key}")))?,
            None => None,
        };
        let what = || format!("Notifications {key}");
        match stored {
            Some(s) => {
                let next = ImportedNotification {
                    r#type: r#type.to_string(),
                    title: title.clone(),
                    body: body.clone(),
                    record_type: record.map_or_else(|| s.record_type.clone(), |r| r.0.into()),
                    record_id: record.map_or(s.record_id, |r| r.1),
                    // Read here stays read.
                    read_at: s.read_at.or(read_at),
                    ..s.clone()
                };
                if next == s {
                    ctx.done(NOTIFICATIONS, Outcome::Unchanged);
                } else {
                    update_notification(&mut ctx.tx, &next)
                        .await
                        .map_err(target_err(what()))?;
                    ctx.done(NOTIFICATIONS, Outcome::Updated);
                }
            }
            None => {
                if let Some(at) = read_at.filter(|at| *at < cutoff) {
                    ctx.skip(NOTIFICATIONS, &key, read_long_ago(at));
                    continue;
                }
                let id = Uuid::now_v7();
                let (record_type, record_id) = record.unwrap_or(("notification", id));
                let n = ImportedNotification {
                    id,
                    organization_id: org,
                    user_id: user,
                    r#type: r#type.to_string(),
                    title: title.clone(),
                    body: body.clone(),
                    record_type: record_type.to_string(),
                    record_id,
                    read_at,
                    created_at: created,
                    legacy_id: key.clone(),
                };
                insert_notification(&mut ctx.tx, &n)
                    .await
                    .map_err(target_err(what()))?;
                ctx.remember(LegacyTable::Notifications, org, &key, id);
                ctx.done(NOTIFICATIONS, Outcome::Created);
            }
        }
    }
    Ok(())
}

fn read_long_ago(at: DateTime<Utc>) -> String {
    format!(
        "read on {}, more than {RETENTION_DAYS} days ago: the clean-up job removes such notifications; not imported",
        at.date_naive()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_notifications_read_as_legacy_ones() {
        assert_eq!(notification_type(Some("Reminder")), "legacy.reminder");
        assert_eq!(notification_type(Some("normal")), "legacy.notification");
        assert_eq!(notification_type(None), "legacy.notification");
        assert_eq!(
            notification_body(Some("Invoice due"), Some(" soon ")),
            "Invoice due\n\nsoon"
        );
        assert_eq!(notification_body(None, None), "");
        assert_eq!(
            notification_body(Some(&"x".repeat(600)), None).len(),
            BODY_MAX
        );
        assert!(flag(Some("1")) && flag(Some("true")) && !flag(Some("0")) && !flag(None));
    }
}
