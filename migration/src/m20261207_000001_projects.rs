//! Projects (contract section 7): projects and their members, tasks with their assignees
//! and dependencies, milestones, time entries; the `time_entries` permission codes.
//!
//! - A project's `code` is unique per organization (NULLs never collide).
//! - Members, tasks and milestones go with their project; a task's assignees and
//!   dependencies go with the task, its subtasks with their parent (the service refuses to
//!   delete a task that has subtasks: the cascade only serves a project's deletion, which
//!   deletes a whole tree at once). A task's milestone may go: the task stays, unlinked.
//! - Time entries restrict the deletion of their project and of their task (`409`): logged
//!   time is a ledger. `invoice_id` is set to NULL when its invoice goes, so deleting a
//!   draft made by project invoicing releases its entries in the same statement; an
//!   expense's `invoice_id` (added here) is released by the invoice's repository.
//! - A running timer holds its user in `running_user_id`, unique per organization, so one
//!   person has at most one running timer whatever instance starts it (NULLs never collide).
//! - A task's assignees are stored twice, in the same transaction: `tasks.assignee_ids` (the
//!   record as read, one row) and `task_assignees` (what `assignee_id` filters and `:own`
//!   narrows by, with an index).
//! - `board_rank` is a task's stored place in its status column (gapped integers, see
//!   `crm-projects/src/board.rs`); the board reads `(project_id, status, board_rank)` by index (`rank` is a reserved word of MySQL).
//! - `overdue_told_for` is the due date of which a task's assignees were told, so the
//!   scheduler tells them once per due date.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PROJECTS: &str = "projects";
const MEMBERS: &str = "project_members";
const TASKS: &str = "tasks";
const ASSIGNEES: &str = "task_assignees";
const DEPENDENCIES: &str = "task_dependencies";
const MILESTONES: &str = "milestones";
const TIME: &str = "time_entries";

/// `(table, index, columns, unique)`: each list's filters and sorts, starting with
/// `organization_id`.
const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (PROJECTS, "ux_projects_code", &["organization_id", "code"], true),
    (PROJECTS, "ix_projects_created", &["organization_id", "created_at", "id"], false),
    (PROJECTS, "ix_projects_updated", &["organization_id", "updated_at", "id"], false),
    (PROJECTS, "ix_projects_name", &["organization_id", "name", "id"], false),
    (PROJECTS, "ix_projects_status", &["organization_id", "status", "id"], false),
    (PROJECTS, "ix_projects_owner", &["organization_id", "owner_id", "created_at"], false),
    (PROJECTS, "ix_projects_client", &["organization_id", "client_id", "created_at"], false),
    (PROJECTS, "ix_projects_deal", &["organization_id", "deal_id", "created_at"], false),
    (MEMBERS, "ix_project_members_user", &["organization_id", "user_id", "project_id"], false),
    (TASKS, "ix_tasks_created", &["organization_id", "created_at", "id"], false),
    (TASKS, "ix_tasks_updated", &["organization_id", "updated_at", "id"], false),
    (TASKS, "ix_tasks_title", &["organization_id", "title", "id"], false),
    (TASKS, "ix_tasks_status", &["organization_id", "status", "id"], false),
    (TASKS, "ix_tasks_priority", &["organization_id", "priority", "id"], false),
    (TASKS, "ix_tasks_board", &["project_id", "status", "board_rank"], false),
    (TASKS, "ix_tasks_project", &["organization_id", "project_id", "created_at"], false),
    (TASKS, "ix_tasks_parent", &["parent_id"], false),
    (TASKS, "ix_tasks_milestone", &["milestone_id"], false),
    // The scheduler: open tasks by due date, across organizations.
    (TASKS, "ix_tasks_due_scan", &["due_date", "status"], false),
    (ASSIGNEES, "ix_task_assignees_user", &["organization_id", "user_id", "task_id"], false),
    (DEPENDENCIES, "ix_task_dependencies_on", &["depends_on_id"], false),
    (DEPENDENCIES, "ix_task_dependencies_project", &["project_id"], false),
    (MILESTONES, "ix_milestones_created", &["organization_id", "created_at", "id"], false),
    (MILESTONES, "ix_milestones_updated", &["organization_id", "updated_at", "id"], false),
    (MILESTONES, "ix_milestones_title", &["organization_id", "title", "id"], false),
    (MILESTONES, "ix_milestones_project", &["organization_id", "project_id", "created_at"], false),
    (TIME, "ux_time_entries_running", &["organization_id", "running_user_id"], true),
    (TIME, "ix_time_entries_created", &["organization_id", "created_at", "id"], false),
    (TIME, "ix_time_entries_updated", &["organization_id", "updated_at", "id"], false),
    (TIME, "ix_time_entries_work_date", &["organization_id", "work_date", "id"], false),
    (TIME, "ix_time_entries_user_day", &["organization_id", "user_id", "work_date"], false),
    (TIME, "ix_time_entries_project", &["project_id", "work_date"], false),
    (TIME, "ix_time_entries_task", &["task_id"], false),
    (TIME, "ix_time_entries_invoice", &["invoice_id"], false),
];

/// Sort fields that may be NULL: `(table, index, field)`.
const NULLABLE_SORTS: &[(&str, &str, &str)] = &[
    (PROJECTS, "ix_projects_code_sort", "code"),
    (PROJECTS, "ix_projects_start", "start_date"),
    (PROJECTS, "ix_projects_due", "due_date"),
    (PROJECTS, "ix_projects_budget", "budget_amount"),
    (TASKS, "ix_tasks_start", "start_date"),
    (TASKS, "ix_tasks_due", "due_date"),
    (TASKS, "ix_tasks_estimate", "estimate_minutes"),
    (TASKS, "ix_tasks_completed", "completed_at"),
    (MILESTONES, "ix_milestones_due", "due_date"),
    (MILESTONES, "ix_milestones_reached", "reached_at"),
    (TIME, "ix_time_entries_minutes", "minutes"),
];

/// The codes of time entries (new in the catalogue) and an employee's own projects: the
/// manager has all of projects, every seeded role below admin its own time and projects.
const GRANTS: &[(&str, &[&str])] = &[(
    "manager",
    &[
        "time_entries:read",
        "time_entries:write",
        "time_entries:delete",
        "time_entries:read:own",
        "time_entries:write:own",
        "time_entries:delete:own",
    ],
)];
const EVERY_ROLE: &[&str] = &[
    "projects:read:own",
    "time_entries:read:own",
    "time_entries:write:own",
    "time_entries:delete:own",
];

fn set_null_fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    let mut fk = cascade_fk(table, column, parent);
    fk.on_delete(ForeignKeyAction::SetNull);
    fk
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, PROJECTS)
                .col(string("name", 200))
                .col(string_null("code", 32))
                .col(text_null("description"))
                .col(uuid_null("client_id"))
                .col(uuid_null("deal_id"))
                .col(uuid("owner_id"))
                .col(string("status", 16))
                .col(date_null("start_date"))
                .col(date_null("due_date"))
                .col(string("billing", 16))
                .col(big_null("hourly_rate"))
                .col(big_null("budget_amount"))
                .col(string_null("budget_currency", 3))
                .col(big_null("budget_minutes"))
                .col(string("progress_method", 16))
                .foreign_key(&mut restrict_fk(PROJECTS, "client_id", "clients"))
                .foreign_key(&mut set_null_fk(PROJECTS, "deal_id", "deals"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MEMBERS)
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("project_id"))
                .col(uuid("user_id"))
                .col(string("role", 16))
                .col(ts(b, "created_at"))
                .primary_key(Index::create().col("project_id").col("user_id"))
                .foreign_key(&mut org_fk(MEMBERS))
                .foreign_key(&mut cascade_fk(MEMBERS, "project_id", PROJECTS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, MILESTONES)
                .col(uuid("project_id"))
                .col(string("title", 200))
                .col(text_null("description"))
                .col(date_null("due_date"))
                .col(ts_null(b, "reached_at"))
                .foreign_key(&mut cascade_fk(MILESTONES, "project_id", PROJECTS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, TASKS)
                .col(uuid("project_id"))
                .col(uuid_null("parent_id"))
                .col(uuid_null("milestone_id"))
                .col(string("title", 200))
                .col(text_null("description"))
                .col(string("status", 16))
                .col(string("priority", 16))
                .col(date_null("start_date"))
                .col(date_null("due_date"))
                .col(big_null("estimate_minutes"))
                .col(big("board_rank"))
                .col(json("labels"))
                .col(json("assignee_ids"))
                .col(ts_null(b, "completed_at"))
                .col(date_null("overdue_told_for"))
                .foreign_key(&mut cascade_fk(TASKS, "project_id", PROJECTS))
                .foreign_key(&mut cascade_fk(TASKS, "parent_id", TASKS))
                .foreign_key(&mut set_null_fk(TASKS, "milestone_id", MILESTONES))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ASSIGNEES)
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("task_id"))
                .col(uuid("user_id"))
                .primary_key(Index::create().col("task_id").col("user_id"))
                .foreign_key(&mut org_fk(ASSIGNEES))
                .foreign_key(&mut cascade_fk(ASSIGNEES, "task_id", TASKS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DEPENDENCIES)
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("project_id"))
                .col(uuid("task_id"))
                .col(uuid("depends_on_id"))
                .col(ts(b, "created_at"))
                .primary_key(Index::create().col("task_id").col("depends_on_id"))
                .foreign_key(&mut org_fk(DEPENDENCIES))
                .foreign_key(&mut cascade_fk(DEPENDENCIES, "task_id", TASKS))
                .foreign_key(&mut cascade_fk(DEPENDENCIES, "depends_on_id", TASKS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, TIME)
                .col(uuid("project_id"))
                .col(uuid_null("task_id"))
                .col(uuid("user_id"))
                .col(date("work_date"))
                .col(big_null("minutes"))
                .col(boolean("billable", false))
                .col(text_null("note"))
                .col(big_null("bill_rate"))
                .col(uuid_null("invoice_id"))
                .col(ts_null(b, "started_at"))
                .col(boolean("is_running", false))
                .col(uuid_null("running_user_id"))
                .foreign_key(&mut restrict_fk(TIME, "project_id", PROJECTS))
                .foreign_key(&mut restrict_fk(TIME, "task_id", TASKS))
                .foreign_key(&mut set_null_fk(TIME, "invoice_id", "invoices"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("expenses")
                .add_column(uuid_null("invoice_id"))
                .to_owned(),
        )
        .await?;
        index(m, "ix_expenses_invoice", "expenses", &["invoice_id"], false).await?;
        for (table, name, cols, unique) in INDEXES {
            index(m, name, table, cols, *unique).await?;
        }
        for (table, name, field) in NULLABLE_SORTS {
            nullable_sort_index(m, name, table, field).await?;
        }
        grant_to_seeded_roles(m, GRANTS, EVERY_ROLE).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_expenses_invoice")
                .table("expenses")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("expenses")
                .drop_column("invoice_id")
                .to_owned(),
        )
        .await?;
        for table in [TIME, DEPENDENCIES, ASSIGNEES, TASKS, MILESTONES, MEMBERS, PROJECTS] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
