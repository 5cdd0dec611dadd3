//! `tasks` with `task_assignees` and `task_dependencies`: the `Records<Task>`, `TaskStore`
//! and `TaskGraph` of the projects ports. Written by hand rather than as a `Stored` table
//! for what `SqlRecords` does not do: the assignee rows written with their task, `:own` and
//! `assignee_id` read through them, and the fields read with every task (`position` in its
//! column, `logged_minutes`, `is_blocked`), one statement for a whole page.

use crate::error::store_err;
use crate::keyset::{self, Computed, ListColumns};
use crate::rows::{corrupt, db_version, delete_in_org, in_org, locked, update_versioned};
use crate::sales::{count_star, get, sum_i64};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page};
use crm_domain::kernel::records::Records;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_projects::dependencies::TaskGraph;
use crm_projects::milestones::MilestoneId;
use crm_projects::ports::TaskStore;
use crm_projects::projects::ProjectId;
use crm_projects::tasks::{Task, TaskId, TaskStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{Condition, ConnectionTrait, DatabaseConnection, QueryOrder, QuerySelect};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub project_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub milestone_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub status: String,
    pub priority: String,
    pub start_date: Option<Date>,
    pub due_date: Option<Date>,
    pub estimate_minutes: Option<i64>,
    pub board_rank: i64,
    pub labels: Json,
    pub assignee_ids: Json,
    pub completed_at: Option<DateTimeUtc>,
    pub overdue_told_for: Option<Date>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::rows::tenanted!([CreatedAt, ProjectId, OverdueToldFor]);

pub(crate) mod assignees {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_assignees")]
    pub struct Model {
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod dependencies {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_dependencies")]
    pub struct Model {
        pub organization_id: Uuid,
        pub project_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub depends_on_id: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What is read with each task besides its row.
#[derive(Clone, Copy, Debug, Default)]
struct Extras {
    position: i64,
    logged_minutes: i64,
    is_blocked: bool,
}

fn ids_json(ids: &[UserId]) -> Json {
    serde_json::Value::from(ids.iter().map(|u| u.0.to_string()).collect::<Vec<_>>())
}

fn assemble(m: Model, x: Extras) -> Result<Task, StoreError> {
    let bad = |e: &dyn std::fmt::Display| corrupt("tasks", m.id, e);
    let assignee_ids: Vec<Uuid> = serde_json::from_value(m.assignee_ids).map_err(|e| bad(&e))?;
    Ok(Task {
        id: TaskId(m.id),
        organization_id: OrganizationId(m.organization_id),
        project_id: ProjectId(m.project_id),
        parent_id: m.parent_id.map(TaskId),
        milestone_id: m.milestone_id.map(MilestoneId),
        status: m.status.parse().map_err(|e| bad(&e))?,
        priority: m.priority.parse().map_err(|e| bad(&e))?,
        labels: serde_json::from_value(m.labels).map_err(|e| bad(&e))?,
        assignee_ids: assignee_ids.into_iter().map(UserId).collect(),
        title: m.title,
        description: m.description,
        start_date: m.start_date,
        due_date: m.due_date,
        estimate_minutes: m.estimate_minutes,
        position: x.position,
        rank: m.board_rank,
        is_overdue: false,
        logged_minutes: x.logged_minutes,
        completed_at: m.completed_at,
        is_blocked: x.is_blocked,
        legacy_id: m.legacy_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

fn row(t: &Task) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(t.id.0),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
        version: Set(db_version(t.version)?),
        organization_id: Set(t.organization_id.0),
        project_id: Set(t.project_id.0),
        parent_id: Set(t.parent_id.map(|p| p.0)),
        milestone_id: Set(t.milestone_id.map(|m| m.0)),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        status: Set(t.status.as_str().to_string()),
        priority: Set(t.priority.as_str().to_string()),
        start_date: Set(t.start_date),
        due_date: Set(t.due_date),
        estimate_minutes: Set(t.estimate_minutes),
        board_rank: Set(t.rank),
        labels: Set(serde_json::Value::from(t.labels.clone())),
        assignee_ids: Set(ids_json(&t.assignee_ids)),
        completed_at: Set(t.completed_at),
        overdue_told_for: sea_orm::ActiveValue::NotSet,
        legacy_id: Set(t.legacy_id.clone()),
    })
}

/// The sum of the time of the task `t.id`, and whether one of its dependencies is open
/// (`1`/`0`): what is read with every task besides its place. `project`: all the tasks are
/// of this project (so are their dependencies); said, it lets PostgreSQL check a whole board's
/// dependencies in one pass over the project's instead of over every open task of the table.
fn logged_and_blocked(
    backend: sea_orm::DbBackend,
    t: &Alias,
    project: Option<Uuid>,
) -> (Expr, Expr) {
    let d = Alias::new("d");
    let o = Alias::new("o");
    let e = Alias::new("e");
    let logged = Query::select()
        .expr(sum_i64(
            backend,
            Expr::col((e.clone(), super::time_entries::Column::Minutes)),
        ))
        .from_as(super::time_entries::Entity, e.clone())
        .and_where(
            Expr::col((e, super::time_entries::Column::TaskId)).equals((t.clone(), Column::Id)),
        )
        .to_owned();
    let mut open = Query::select()
        .expr(Expr::val(1))
        .from_as(dependencies::Entity, d.clone())
        .join_as(
            JoinType::InnerJoin,
            Entity,
            o.clone(),
            Expr::col((o.clone(), Column::Id))
                .equals((d.clone(), dependencies::Column::DependsOnId)),
        )
        .and_where(
            Expr::col((d.clone(), dependencies::Column::TaskId)).equals((t.clone(), Column::Id)),
        )
        .and_where(
            Expr::col((o.clone(), Column::Status))
                .is_not_in([TaskStatus::Done.as_str(), TaskStatus::Cancelled.as_str()]),
        )
        .to_owned();
    if let Some(p) = project {
        open.and_where(Expr::col((d, dependencies::Column::ProjectId)).eq(p))
            .and_where(Expr::col((o, Column::ProjectId)).eq(p));
    }
    (
        Expr::SubQuery(None, Box::new(logged.into())),
        Expr::case(Expr::exists(open), Expr::val(1))
            .finally(Expr::val(0))
            .into(),
    )
}

/// `position`, `logged_minutes` and `is_blocked` of the tasks `ids`, in one statement: the
/// number of cards before each in its column (a range of the board index up to the card's
/// rank), the sum of its time, and whether a dependency is open.
fn extras_query(backend: sea_orm::DbBackend, ids: &[Uuid]) -> SelectStatement {
    let t = Alias::new("t");
    let c = Alias::new("c");
    let before = Query::select()
        .expr(count_star())
        .from_as(Entity, c.clone())
        .and_where(Expr::col((c.clone(), Column::ProjectId)).equals((t.clone(), Column::ProjectId)))
        .and_where(Expr::col((c.clone(), Column::Status)).equals((t.clone(), Column::Status)))
        // Redundant with the condition below, but an index range: the scan stops at the card
        // instead of reading its whole column.
        .and_where(
            Expr::col((c.clone(), Column::BoardRank))
                .lte(Expr::col((t.clone(), Column::BoardRank))),
        )
        .cond_where(
            Condition::any()
                .add(
                    Expr::col((c.clone(), Column::BoardRank))
                        .lt(Expr::col((t.clone(), Column::BoardRank))),
                )
                .add(
                    Condition::all()
                        .add(
                            Expr::col((c.clone(), Column::BoardRank))
                                .equals((t.clone(), Column::BoardRank)),
                        )
                        .add(
                            Expr::col((c.clone(), Column::Id))
                                .lt(Expr::col((t.clone(), Column::Id))),
                        ),
                ),
        )
        .to_owned();
    let (logged, blocked) = logged_and_blocked(backend, &t, None);
    Query::select()
        .expr_as(Expr::col((t.clone(), Column::Id)), "id")
        .expr_as(Expr::SubQuery(None, Box::new(before.into())), "position")
        .expr_as(logged, "logged")
        .expr_as(blocked, "blocked")
        .from_as(Entity, t.clone())
        .and_where(Expr::col((t, Column::Id)).is_in(ids.iter().copied()))
        .to_owned()
}

/// The extras of the board of `project`, or of the cards of it assigned to `assignee`: every
/// card's `position` numbered in one pass over the project's columns (a window in board
/// order), instead of a count of the cards before each card (quadratic in a column's length,
/// 3.6 s for a board of 5,000 cards), and the project named once instead of every card's id.
fn board_extras_query(
    backend: sea_orm::DbBackend,
    org: Uuid,
    project: Uuid,
    assignee: Option<Uuid>,
) -> SelectStatement {
    let t = Alias::new("t");
    let int = match backend {
        sea_orm::DbBackend::MySql => "SIGNED",
        _ => "BIGINT",
    };
    // Over the whole project, so a card's place is in its column, not among the filtered.
    let numbered = Query::select()
        .column(Column::Id)
        .expr_as(
            Expr::cust(format!(
                "CAST(ROW_NUMBER() OVER (PARTITION BY status ORDER BY board_rank, id) - 1 AS {int})"
            )),
            "position",
        )
        .from(Entity)
        .and_where(Column::OrganizationId.eq(org))
        .and_where(Column::ProjectId.eq(project))
        .to_owned();
    let (logged, blocked) = logged_and_blocked(backend, &t, Some(project));
    let mut q = Query::select()
        .expr_as(Expr::col((t.clone(), Column::Id)), "id")
        .expr_as(Expr::col((t.clone(), Alias::new("position"))), "position")
        .expr_as(logged, "logged")
        .expr_as(blocked, "blocked")
        .from_subquery(numbered, t.clone())
        .to_owned();
    if let Some(u) = assignee {
        q.and_where(Expr::col((t, Column::Id)).in_subquery(assigned_ids(org, u)));
    }
    q
}

async fn extras<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Extras>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    read_extras(db, &extras_query(db.get_database_backend(), ids)).await
}

async fn read_extras<C: ConnectionTrait>(
    db: &C,
    q: &SelectStatement,
) -> Result<HashMap<Uuid, Extras>, StoreError> {
    let rows = db.query_all(q).await.map_err(store_err)?;
    rows.iter()
        .map(|r| {
            let id: Uuid = get(r, "id")?;
            let logged: Option<i64> = get(r, "logged")?;
            let blocked: i32 = get(r, "blocked")?;
            Ok((
                id,
                Extras {
                    position: get(r, "position")?,
                    logged_minutes: logged.unwrap_or(0),
                    is_blocked: blocked != 0,
                },
            ))
        })
        .collect()
}

async fn with_extras<C: ConnectionTrait>(
    db: &C,
    rows: Vec<Model>,
) -> Result<Vec<Task>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let x = extras(db, &ids).await?;
    assemble_all(rows, &x)
}

fn assemble_all(rows: Vec<Model>, x: &HashMap<Uuid, Extras>) -> Result<Vec<Task>, StoreError> {
    rows.into_iter()
        .map(|m| {
            let e = x.get(&m.id).copied().unwrap_or_default();
            assemble(m, e)
        })
        .collect()
}

async fn one_with_extras<C: ConnectionTrait>(db: &C, m: Model) -> Result<Task, StoreError> {
    with_extras(db, vec![m])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The ids of the tasks of `org` assigned to `user`: a range of `ix_task_assignees_user`
/// (`organization_id, user_id, task_id`), which the user alone does not lead.
fn assigned_ids(org: Uuid, user: Uuid) -> SelectStatement {
    Query::select()
        .column(assignees::Column::TaskId)
        .from(assignees::Entity)
        .and_where(assignees::Column::OrganizationId.eq(org))
        .and_where(assignees::Column::UserId.eq(user))
        .to_owned()
}

/// The task rows of `org` assigned to `user`.
fn assigned_to(org: Uuid, user: Uuid) -> Condition {
    Condition::all().add(Column::Id.in_subquery(assigned_ids(org, user)))
}

/// The task rows whose `labels` array holds `label` (exactly), on each backend's JSON.
fn labelled(backend: sea_orm::DbBackend, label: &str) -> Expr {
    use sea_orm::DbBackend as B;
    let sql = match backend {
        B::Postgres => r#""tasks"."labels" @> jsonb_build_array(CAST($1 AS text))"#,
        B::MySql => "JSON_CONTAINS(`tasks`.`labels`, JSON_QUOTE(?))",
        _ => r#"EXISTS (SELECT 1 FROM json_each("tasks"."labels") AS l WHERE l.value = ?)"#,
    };
    Expr::cust_with_values(sql, [label.to_string()])
}

/// Status in board order, priority by urgency: sorted as `<rank><name>` text, so the cursor
/// keeps a text value as the list spec declares.
fn ordered(column: Column, names: &'static [&'static str]) -> Expr {
    let mut case = Expr::case(
        Expr::col((Entity, column)).eq(names[0]),
        Expr::val(format!("0{}", names[0])),
    );
    for (i, n) in names.iter().enumerate().skip(1) {
        case = case.case(
            Expr::col((Entity, column)).eq(*n),
            Expr::val(format!("{i}{n}")),
        );
    }
    case.finally(Expr::col((Entity, column))).into()
}

fn ordered_key(names: &'static [&'static str], raw: &str) -> FieldValue {
    let i = names.iter().position(|n| *n == raw);
    FieldValue::Text(match i {
        Some(i) => format!("{i}{raw}"),
        None => raw.to_string(),
    })
}

const STATUS_ORDER: &[&str] = &["todo", "in_progress", "in_review", "done", "cancelled"];
const PRIORITY_ORDER: &[&str] = &["low", "medium", "high", "urgent"];

async fn write_assignees(db: &sea_orm::DatabaseTransaction, t: &Task) -> Result<(), StoreError> {
    assignees::Entity::delete_many()
        .filter(assignees::Column::TaskId.eq(t.id.0))
        .exec(db)
        .await
        .map_err(store_err)?;
    if t.assignee_ids.is_empty() {
        return Ok(());
    }
    let rows = t.assignee_ids.iter().map(|u| assignees::ActiveModel {
        organization_id: Set(t.organization_id.0),
        task_id: Set(t.id.0),
        user_id: Set(u.0),
    });
    assignees::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// Tasks of every organization, with their assignees and dependencies.
#[derive(Clone)]
pub struct SqlTaskRepository {
    db: DatabaseConnection,
}

impl SqlTaskRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Records<Task> for SqlTaskRepository {
    async fn create(&self, tx: &mut Txn, t: &Task) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        Entity::insert(row(t)?)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        write_assignees(db, t).await
    }

    async fn get(&self, org: OrganizationId, id: TaskId) -> Result<Task, StoreError> {
        let m = in_org::<Entity>(org, id.0)
            .one(&self.db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?;
        one_with_extras(&self.db, m).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: TaskId,
    ) -> Result<Task, StoreError> {
        let db = sql(tx.as_mut())?;
        let m = locked(db, in_org::<Entity>(org, id.0)).await?;
        one_with_extras(db, m).await
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        assignee: Option<UserId>,
    ) -> Result<Page<Task>, StoreError> {
        let status_key = |m: &Model| ordered_key(STATUS_ORDER, &m.status);
        let priority_key = |m: &Model| ordered_key(PRIORITY_ORDER, &m.priority);
        let computed = [
            Computed {
                field: "status",
                expr: ordered(Column::Status, STATUS_ORDER),
                key: &status_key,
            },
            Computed {
                field: "priority",
                expr: ordered(Column::Priority, PRIORITY_ORDER),
                key: &priority_key,
            },
        ];
        let cols = ListColumns::<Entity> {
            search: &[Column::Title, Column::Description],
            computed: &computed,
        };
        let mut base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        if let Some(u) = assignee {
            base = base.filter(assigned_to(org.0, u.0));
        }
        // `assignee_id` is read through `task_assignees`, `label` in the `labels` array; the
        // rest by keyset.
        let backend = self.db.get_database_backend();
        let mut q = query.clone();
        q.filters.retain(|f| {
            if f.op != FilterOp::Eq {
                return true;
            }
            match (f.field, &f.value) {
                ("assignee_id", FieldValue::Uuid(u)) => {
                    base = base.clone().filter(assigned_to(org.0, *u));
                    false
                }
                ("label", FieldValue::Text(l)) => {
                    base = base.clone().filter(labelled(backend, l));
                    false
                }
                _ => true,
            }
        });
        let page = keyset::page(&self.db, base, &q, &cols).await?;
        let data = with_extras(&self.db, page.data).await?;
        Ok(Page {
            data,
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }

    async fn update(
        &self,
        tx: &mut Txn,
        t: &Task,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let before: Option<Json> = Entity::find()
            .select_only()
            .column(Column::AssigneeIds)
            .filter(Column::Id.eq(t.id.0))
            .into_tuple()
            .one(db)
            .await
            .map_err(store_err)?;
        let mut values = row(t)?;
        values.version = Set(db_version(expected_version + 1)?);
        update_versioned(db, values, (t.organization_id, t.id.0), expected_version).await?;
        if before != Some(ids_json(&t.assignee_ids)) {
            write_assignees(db, t).await?;
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: TaskId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        delete_in_org::<Entity>(db, org, id.0, crate::sales::delete_err).await
    }
}

fn statuses(rows: Vec<String>, table: &str) -> Result<Vec<TaskStatus>, StoreError> {
    rows.into_iter()
        .map(|s| s.parse::<TaskStatus>().map_err(|e| corrupt(table, &s, e)))
        .collect()
}

/// The statuses of `org`'s tasks that `cond` picks, read on `db` (a writing transaction).
async fn statuses_where(
    db: &sea_orm::DatabaseTransaction,
    org: OrganizationId,
    cond: sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<TaskStatus>, StoreError> {
    let rows: Vec<String> = Entity::find()
        .select_only()
        .column(Column::Status)
        .filter(Column::OrganizationId.eq(org.0))
        .filter(cond)
        .into_tuple()
        .all(db)
        .await
        .map_err(store_err)?;
    statuses(rows, "tasks")
}

#[async_trait]
impl TaskStore for SqlTaskRepository {
    async fn column(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        status: TaskStatus,
    ) -> Result<Vec<(TaskId, i64)>, StoreError> {
        let rows: Vec<(Uuid, i64)> = Entity::find()
            .select_only()
            .column(Column::Id)
            .column(Column::BoardRank)
            .filter(Column::ProjectId.eq(project.0))
            .filter(Column::Status.eq(status.as_str()))
            .filter(Column::OrganizationId.eq(org.0))
            .into_tuple()
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(rows.into_iter().map(|(id, r)| (TaskId(id), r)).collect())
    }

    async fn set_ranks(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        ranks: &[(TaskId, i64)],
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        for (id, rank) in ranks {
            Entity::update_many()
                .col_expr(Column::BoardRank, Expr::val(*rank))
                .filter(Column::Id.eq(id.0))
                .filter(Column::OrganizationId.eq(org.0))
                .exec(db)
                .await
                .map_err(store_err)?;
        }
        Ok(())
    }

    async fn dependency_statuses(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
    ) -> Result<Vec<TaskStatus>, StoreError> {
        let depended_on = Query::select()
            .column(dependencies::Column::DependsOnId)
            .from(dependencies::Entity)
            .and_where(dependencies::Column::TaskId.eq(task.0))
            .to_owned();
        let db = sql(tx.as_mut())?;
        statuses_where(db, org, Column::Id.in_subquery(depended_on)).await
    }

    async fn subtask_statuses(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
    ) -> Result<Vec<TaskStatus>, StoreError> {
        statuses_where(sql(tx.as_mut())?, org, Column::ParentId.eq(task.0)).await
    }

    async fn member_ids(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<UserId>, StoreError> {
        use super::projects::members;
        let rows: Vec<Uuid> = members::Entity::find()
            .select_only()
            .column(members::Column::UserId)
            .filter(members::Column::OrganizationId.eq(org.0))
            .filter(members::Column::ProjectId.eq(project.0))
            .into_tuple()
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(rows.into_iter().map(UserId).collect())
    }

    async fn parent_edges(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(TaskId, TaskId)>, StoreError> {
        let rows: Vec<(Uuid, Option<Uuid>)> = Entity::find()
            .select_only()
            .column(Column::Id)
            .column(Column::ParentId)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ProjectId.eq(project.0))
            .filter(Column::ParentId.is_not_null())
            .into_tuple()
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, p)| p.map(|p| (TaskId(id), TaskId(p))))
            .collect())
    }

    async fn dependencies(
        &self,
        org: OrganizationId,
        task: TaskId,
    ) -> Result<Vec<Task>, StoreError> {
        let rows = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(
                Column::Id.in_subquery(
                    Query::select()
                        .column(dependencies::Column::DependsOnId)
                        .from(dependencies::Entity)
                        .and_where(dependencies::Column::TaskId.eq(task.0))
                        .to_owned(),
                ),
            )
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        with_extras(&self.db, rows).await
    }

    async fn add_dependency(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        task: TaskId,
        depends_on: TaskId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = dependencies::ActiveModel {
            organization_id: Set(org.0),
            project_id: Set(project.0),
            task_id: Set(task.0),
            depends_on_id: Set(depends_on.0),
            created_at: Set(now),
        };
        dependencies::Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn remove_dependency(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
        depends_on: TaskId,
    ) -> Result<(), StoreError> {
        let res = dependencies::Entity::delete_many()
            .filter(dependencies::Column::OrganizationId.eq(org.0))
            .filter(dependencies::Column::TaskId.eq(task.0))
            .filter(dependencies::Column::DependsOnId.eq(depends_on.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        crate::rows::found(res.rows_affected)
    }

    async fn board(
        &self,
        org: OrganizationId,
        project: ProjectId,
        assignee: Option<UserId>,
    ) -> Result<Vec<Task>, StoreError> {
        let mut select = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ProjectId.eq(project.0));
        if let Some(u) = assignee {
            select = select.filter(assigned_to(org.0, u.0));
        }
        let rows = select
            .order_by_asc(Column::Status)
            .order_by_asc(Column::BoardRank)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        let q = board_extras_query(
            self.db.get_database_backend(),
            org.0,
            project.0,
            assignee.map(|u| u.0),
        );
        let x = read_extras(&self.db, &q).await?;
        assemble_all(rows, &x)
    }

    async fn milestone_statuses(
        &self,
        org: OrganizationId,
        milestones: &[MilestoneId],
    ) -> Result<Vec<(MilestoneId, TaskStatus)>, StoreError> {
        if milestones.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(Option<Uuid>, String)> = Entity::find()
            .select_only()
            .column(Column::MilestoneId)
            .column(Column::Status)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::MilestoneId.is_in(milestones.iter().map(|m| m.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        rows.into_iter()
            .filter_map(|(m, s)| m.map(|m| (m, s)))
            .map(|(m, s)| {
                let status = s
                    .parse::<TaskStatus>()
                    .map_err(|e| corrupt("tasks", m, e))?;
                Ok((MilestoneId(m), status))
            })
            .collect()
    }

    async fn milestone_statuses_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        milestone: MilestoneId,
    ) -> Result<Vec<TaskStatus>, StoreError> {
        statuses_where(sql(tx.as_mut())?, org, Column::MilestoneId.eq(milestone.0)).await
    }

    async fn overdue_candidates(
        &self,
        before: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, TaskId)>, StoreError> {
        let rows: Vec<(Uuid, Uuid)> = Entity::find()
            .select_only()
            .column(Column::OrganizationId)
            .column(Column::Id)
            .filter(Column::DueDate.lt(before))
            .filter(
                Column::Status
                    .is_not_in([TaskStatus::Done.as_str(), TaskStatus::Cancelled.as_str()]),
            )
            .filter(
                Condition::any()
                    .add(Column::OverdueToldFor.is_null())
                    .add(Expr::col(Column::OverdueToldFor).ne(Expr::col(Column::DueDate))),
            )
            .order_by_asc(Column::DueDate)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|(o, t)| (OrganizationId(o), TaskId(t)))
            .collect())
    }

    async fn mark_overdue_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
        date: NaiveDate,
    ) -> Result<bool, StoreError> {
        let res = Entity::update_many()
            .col_expr(Column::OverdueToldFor, Expr::val(date))
            .filter(Column::Id.eq(task.0))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::DueDate.eq(date))
            .filter(
                Condition::any()
                    .add(Column::OverdueToldFor.is_null())
                    .add(Column::OverdueToldFor.ne(date)),
            )
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(res.rows_affected > 0)
    }
}

#[async_trait]
impl TaskGraph for SqlTaskRepository {
    async fn dependency_edges(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(TaskId, TaskId)>, StoreError> {
        let db = sql(tx.as_mut())?;
        // The project's row serializes the dependency inserts of the project.
        locked(
            db,
            crate::rows::in_org::<super::projects::Entity>(org, project.0),
        )
        .await?;
        let rows: Vec<(Uuid, Uuid)> = dependencies::Entity::find()
            .select_only()
            .column(dependencies::Column::TaskId)
            .column(dependencies::Column::DependsOnId)
            .filter(dependencies::Column::OrganizationId.eq(org.0))
            .filter(dependencies::Column::ProjectId.eq(project.0))
            .into_tuple()
            .all(db)
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|(a, b)| (TaskId(a), TaskId(b)))
            .collect())
    }
}
