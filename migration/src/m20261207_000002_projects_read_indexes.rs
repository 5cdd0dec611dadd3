//! Two indexes of the projects module's reads, found by `make bench` (issue 14):
//!
//! - `ix_tasks_column` `(project_id, status, board_rank, id)` replaces `ix_tasks_board`
//!   `(project_id, status, board_rank)`. A task's `position` (read with every task: the cards
//!   before it in its column, by rank and then id) is a count over that index up to the card.
//!   Without `id` in the index every card counted was read from the table too, for its id: a
//!   page of 50 tasks near the end of 1,000-card columns read 36,000 table pages (62 ms); with
//!   it, an index-only range (24 ms). The board also reads a project's cards in this order.
//!   The new index is made before the old one goes: on MySQL the project's foreign key needs
//!   an index that starts with `project_id` at every moment.
//! - `ix_time_entries_totals` `(organization_id, project_id, user_id, billable, bill_rate,
//!   invoice_id, minutes)`: the project report sums a project's time twice (by kind and rate,
//!   and by person). Without it PostgreSQL read every time entry of the table (a sequential
//!   scan: 210,000 rows for 2 organizations, and growing with every organization's time) or
//!   the project's rows from the table; with it each sum is an index-only range over the
//!   project's entries, in person order (89 → 51 ms and 61 → 28 ms on 100,000 entries).

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TASKS: &str = "tasks";
const TIME: &str = "time_entries";
const TOTALS: &[&str] = &[
    "organization_id",
    "project_id",
    "user_id",
    "billable",
    "bill_rate",
    "invoice_id",
    "minutes",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(
            m,
            "ix_tasks_column",
            TASKS,
            &["project_id", "status", "board_rank", "id"],
            false,
        )
        .await?;
        drop_index(m, TASKS, "ix_tasks_board").await?;
        index(m, "ix_time_entries_totals", TIME, TOTALS, false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, TIME, "ix_time_entries_totals").await?;
        index(
            m,
            "ix_tasks_board",
            TASKS,
            &["project_id", "status", "board_rank"],
            false,
        )
        .await?;
        drop_index(m, TASKS, "ix_tasks_column").await
    }
}
