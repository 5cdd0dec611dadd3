//! `organization_id` first in the unique keys of tenant tables that lacked it (issue 18,
//! docs/SCALING.md: Citus needs the distribution column in every unique constraint of a
//! distributed table). Each of these was unique per parent record (a template's period, a
//! webhook's event, a contract's successor, an interviewer's feedback) or per organization
//! already (`default_key` holds the organization's id), so prefixing the organization changes
//! nothing about what may be stored; the index keeps its name, which errors are matched by.
//!
//! Where the old columns lead a foreign key (`webhook_deliveries.webhook_id`,
//! `interview_feedback.interview_id`), MariaDB refuses to drop the only index the key can use,
//! so a plain index on them is made first and stays. The others need none: every query of
//! these tables names the organization, which the new key leads with.
//! The three unique keys left without it are global by design (`ux_users_email`,
//! `ux_refresh_tokens_hash`, `ux_calendar_feeds_token`): docs/SCALING.md says what replaces
//! them on a distributed database.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, unique index, its columns, the plain index a foreign key on them needs)`.
const KEYS: &[(&str, &str, &[&str], Option<&str>)] = &[
    (
        "invoices",
        "ux_invoices_period",
        &["recurring_invoice_id", "period_start"],
        None,
    ),
    (
        "webhook_deliveries",
        "ux_webhook_deliveries_webhook_event",
        &["webhook_id", "event_id"],
        Some("ix_webhook_deliveries_webhook_event"),
    ),
    (
        "pipelines",
        "ux_pipelines_default_key",
        &["default_key"],
        None,
    ),
    (
        "work_schedules",
        "ux_work_schedules_default",
        &["default_key"],
        None,
    ),
    (
        "contracts",
        "ux_contracts_renewed_from",
        &["renewed_from_id"],
        None,
    ),
    (
        "interview_feedback",
        "ux_interview_feedback_once",
        &["interview_id", "interviewer_id"],
        Some("ix_interview_feedback_interview"),
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for &(table, unique, cols, plain) in KEYS {
            if let Some(plain) = plain {
                index(m, plain, table, cols, false).await?;
            }
            drop_index(m, table, unique).await?;
            let mut with_org = vec!["organization_id"];
            with_org.extend_from_slice(cols);
            index(m, unique, table, &with_org, true).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mysql = m.get_database_backend() == sea_orm::DatabaseBackend::MySql;
        for &(table, unique, cols, plain) in KEYS {
            // MariaDB let the new key serve the `organization_id` foreign key (dropping the
            // index it had made for it): that key needs an index of its own before the new
            // one goes. It stays, as MariaDB's own would have (and a later `down` finds it).
            let org = format!("ix_{table}_organization_fk");
            if mysql && !m.has_index(table, &org).await? {
                index(m, &org, table, &["organization_id"], false).await?;
            }
            drop_index(m, table, unique).await?;
            index(m, unique, table, cols, true).await?;
            if let Some(plain) = plain {
                drop_index(m, table, plain).await?;
            }
        }
        Ok(())
    }
}
