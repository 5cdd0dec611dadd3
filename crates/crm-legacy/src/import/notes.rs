//! `notes` → interactions of kind `note`: the one place this server keeps free notes on a
//! record is a client's interactions (`/clients/{id}/interactions`; the activity feed is the
//! audit trail, and it publishes events). A note hangs on the record its `related_id` names:
//! an imported client, or an imported deal that has a client (the note goes to that client).
//! Notes on anything else (a lead, a project, …) have no place here and are reported. The
//! title and text are kept as the summary, the author as the owner, `createdAt` as the time.

use super::step_rows;
use super::{Ctx, ImportError, upsert};
use crate::report::Step;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_domain::clients::ClientId;
use crm_domain::clients::interactions::{Interaction, InteractionId, InteractionKind};
use crm_domain::kernel::records::Records;
use crm_sales::deals::DealId;

pub(crate) const NOTES: Step = Step {
    source: "notes",
    target: "interactions",
};

const COLUMNS: &[&str] = &[
    "id",
    "related_id",
    "note_title",
    "description",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// Longest interaction summary (the interaction module's limit).
const SUMMARY_MAX: usize = 10_000;

/// A note's summary: its title, then its text when it says more.
pub(crate) fn summary(title: Option<&str>, text: Option<&str>, fallback: &str) -> String {
    let joined = match (title, text) {
        (Some(t), Some(d)) if t != d => format!("{t}\n\n{d}"),
        (Some(t), _) => t.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => fallback.to_string(),
    };
    joined.trim().chars().take(SUMMARY_MAX).collect()
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, NOTES, COLUMNS).await?;
    let clients = ctx.by_legacy_id(LegacyTable::Clients);
    let deals = ctx.by_legacy_id(LegacyTable::Deals);
    let elsewhere: Vec<_> = [
        (LegacyTable::Leads, "a lead"),
        (LegacyTable::Invoices, "an invoice"),
        (LegacyTable::Contracts, "a contract"),
        (LegacyTable::Users, "a user"),
    ]
    .into_iter()
    .map(|(t, what)| (ctx.by_legacy_id(t), what))
    .collect();
    for row in &rows {
        let legacy = row.id();
        let related = row.get("related_id").unwrap_or("");
        let client = match (clients.get(related), deals.get(related)) {
            (Some((org, id)), _) => Some((*org, ClientId(*id))),
            (None, Some((org, id))) => {
                let deal = ctx
                    .target
                    .deals
                    .get_for_update(&mut ctx.tx, *org, DealId(*id))
                    .await
                    .map_err(super::target_err(format!("notes {legacy}")))?;
                match deal.client_id {
                    Some(c) => Some((*org, c)),
                    None => {
                        ctx.skip(
                            NOTES,
                            legacy,
                            format!("its deal {related} has no client to keep the note"),
                        );
                        continue;
                    }
                }
            }
            (None, None) => None,
        };
        let Some((org, client)) = client else {
            let on = elsewhere
                .iter()
                .find(|(ids, _)| ids.contains_key(related))
                .map(|(_, what)| *what);
            let reason = match (on, related) {
                (_, "") => "no related_id".to_string(),
                (Some(what), _) => format!(
                    "on {what} ({related}): notes here belong to clients (their interactions)"
                ),
                (None, _) => format!(
                    "related record {related} was not imported (or is not a client or deal)"
                ),
            };
            ctx.skip(NOTES, legacy, reason);
            continue;
        };
        one(ctx, row, org, client).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(
    ctx: &mut Ctx<'_>,
    row: &Row,
    org: OrganizationId,
    client: ClientId,
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let owner = match ctx.user_in(org, row.get("created_by")) {
        Some(u) => u,
        None => {
            let Some(t) = ctx.tenant_in(org) else {
                ctx.skip(NOTES, &legacy, "its organization has no owner");
                return Ok(());
            };
            t.owner
        }
    };
    let (created, updated) = ctx.stamps(row);
    let text = summary(row.get("note_title"), row.get("description"), &legacy);
    let records = ctx.target.interactions.clone();
    let build = |stored: Option<&Interaction>| {
        let base = Interaction {
            id: InteractionId::new(),
            organization_id: org,
            client_id: client,
            kind: InteractionKind::Note,
            summary: text,
            occurred_at: created,
            contact_id: None,
            owner_id: owner,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        };
        match stored {
            // Kept from the stored interaction: its kind and contact, set here.
            Some(s) => Interaction {
                id: s.id,
                kind: s.kind,
                contact_id: s.contact_id,
                created_at: s.created_at,
                version: s.version,
                ..base
            },
            None => base,
        }
    };
    upsert(
        ctx,
        &records,
        LegacyTable::Interactions,
        NOTES,
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
    fn the_title_leads_the_summary() {
        assert_eq!(
            summary(Some("Call back"), Some("after the budget review"), "x"),
            "Call back\n\nafter the budget review"
        );
        assert_eq!(summary(None, Some("text"), "x"), "text");
        assert_eq!(summary(None, None, "x"), "x");
    }
}
