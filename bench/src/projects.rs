//! The projects part of `make bench` (issue 14): projects, members, milestones, tasks with
//! their assignees and dependencies, and time entries seeded per organization; the board of a
//! project with 5,000 tasks, the list of the tasks assigned to the caller, and the report of
//! a project with 100,000 time entries, each against its in-process ceiling, and the report
//! one request at a time for its p99.
//!
//! Rows are written as the server writes them (`crm-db/src/projects/*.rs`): `labels` and
//! `assignee_ids` JSON arrays of strings, one `task_assignees` row per task and user,
//! `board_rank` gapped by 1,024 per `(project_id, status)` column, time entries stopped
//! (`is_running` false, `running_user_id` NULL) at the project's hourly rate, and no
//! person's day over 1,440 minutes.

use crate::load::Figures;
use crate::seed::{count, exec};
use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Serialize;
use uuid::Uuid;

const BATCH: i64 = 20_000;
/// Projects per organization; the first holds the board, the second the report's time.
pub const PROJECTS: i64 = 20;
/// Members of each project besides the organization's admin (its manager and owner).
const MEMBERS: i64 = 7;
/// Milestones per project; a task with a due date belongs to one.
const MILESTONES: i64 = 3;
/// Tasks of the board project (fewer when the organization has fewer tasks).
pub const BOARD_TASKS: i64 = 5_000;
/// The admin is the first assignee of one task in this many of every project.
pub const ADMIN_EVERY: i64 = 20;
/// The most entries one person has on one day in one of the two projects with time, and the
/// longest entry (15–90 minutes): 8 × 90 = 720 minutes a project, so a member of both (the
/// admin) stays within the 1,440-minute day.
const ENTRIES_PER_DAY: i64 = 8;

fn code(k: i64) -> String {
    format!("BENCH-{k:03}")
}

/// What one organization gets.
pub struct Plan {
    pub org: Uuid,
    /// The organization's admin: owner and manager of every project, the benchmarked caller.
    pub admin: Uuid,
    pub tasks: i64,
    pub time_entries: i64,
}

/// Projects `BENCH-001`…`BENCH-020` owned by the admin (active, hourly at 95.00), each with the
/// admin as manager and 7 users as members (different users per project), 3 milestones.
async fn projects(db: &DatabaseConnection, p: &Plan) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO projects (id, created_at, updated_at, version, organization_id, name, code, \
         description, client_id, deal_id, owner_id, status, start_date, due_date, billing, \
         hourly_rate, budget_amount, budget_currency, budget_minutes, progress_method) \
         SELECT bench_uuid7(t), t, t, 1, $1, 'Project ' || k, 'BENCH-' || lpad(k::text, 3, '0'), \
         NULL, NULL, NULL, $2, 'active', t::date, NULL, 'hourly', 9500, 1000000000, 'USD', \
         10000000, 'tasks' \
         FROM (SELECT k, now() - make_interval(days => 2000 + $3::int - k) AS t \
               FROM generate_series(1, $3::int) k) s",
        vec![p.org.into(), p.admin.into(), (PROJECTS as i32).into()],
    )
    .await?;
    exec(
        db,
        "WITH o AS (SELECT array_agg(id ORDER BY id) AS a FROM users \
                    WHERE organization_id = $1 AND id <> $2), \
         p AS (SELECT id, created_at, row_number() OVER (ORDER BY code) AS k FROM projects \
               WHERE organization_id = $1 AND code LIKE 'BENCH-%') \
         INSERT INTO project_members (organization_id, project_id, user_id, role, created_at) \
         SELECT $1, p.id, $2, 'manager', p.created_at FROM p \
         UNION ALL \
         SELECT $1, p.id, o.a[1 + ((p.k * $3 + j) % cardinality(o.a))::int], 'member', p.created_at \
         FROM p, o, generate_series(0, $3 - 1) j",
        vec![p.org.into(), p.admin.into(), (MEMBERS as i32).into()],
    )
    .await?;
    exec(
        db,
        "INSERT INTO milestones (id, created_at, updated_at, version, organization_id, \
         project_id, title, description, due_date, reached_at) \
         SELECT bench_uuid7(p.created_at + make_interval(secs => j)), p.created_at, p.created_at, \
         1, $1, p.id, 'Milestone ' || j, NULL, current_date + (j * 30 - 30), NULL \
         FROM projects p, generate_series(1, $2::int) j \
         WHERE p.organization_id = $1 AND p.code LIKE 'BENCH-%'",
        vec![p.org.into(), (MILESTONES as i32).into()],
    )
    .await
    .map(|_| ())
}

/// Tasks number `from..=to` of `total`, spaced `spacing_secs` apart and ending now. Every
/// `stride`-th task is the board project's (`BOARD_TASKS` of them), the others go round the
/// other projects. Within its project a task's index `k` sets its column (the five statuses
/// in turn) and its rank (1,024 × its place in the column); it is assigned to one member, a
/// second on every other task, and to the admin first on one task in 20. A third of the
/// tasks have a due date (some past, told already, as the overdue job leaves them) and a
/// milestone.
async fn tasks(
    db: &DatabaseConnection,
    p: &Plan,
    (from, to): (i64, i64),
    spacing_secs: f64,
    bar: &ProgressBar,
) -> Result<(), String> {
    let board = BOARD_TASKS.min(p.tasks).max(1);
    let mut start = from;
    while start <= to {
        let end = (start + BATCH - 1).min(to);
        exec(
            db,
            "WITH pr AS (SELECT id, row_number() OVER (ORDER BY code) AS k FROM projects \
                         WHERE organization_id = $1 AND code LIKE 'BENCH-%'), \
             p AS (SELECT array_agg(id ORDER BY k) AS a FROM pr), \
             m AS (SELECT pr.k, array_agg(m.user_id ORDER BY m.user_id) AS a \
                   FROM project_members m JOIN pr ON pr.id = m.project_id \
                   WHERE m.organization_id = $1 AND m.role = 'member' GROUP BY pr.k), \
             ms AS (SELECT pr.k, array_agg(x.id ORDER BY x.title) AS a \
                    FROM milestones x JOIN pr ON pr.id = x.project_id \
                    WHERE x.organization_id = $1 GROUP BY pr.k), \
             st AS (SELECT greatest(1, $5::bigint / $6::bigint) AS stride), \
             s0 AS (SELECT g, now() - make_interval(secs => ($5::bigint - g) * $7::float8) AS t, \
                    CASE WHEN g % st.stride = 0 OR cardinality(p.a) = 1 THEN 1 \
                         ELSE 2 + (g - 1 - g / st.stride) % (cardinality(p.a) - 1) END AS pk, \
                    CASE WHEN g % st.stride = 0 OR cardinality(p.a) = 1 THEN g / st.stride - 1 \
                         ELSE (g - 1 - g / st.stride) / (cardinality(p.a) - 1) END AS k \
                    FROM generate_series($3::bigint, $4::bigint) g, p, st), \
             s AS (SELECT s0.g, s0.t, s0.pk, s0.k, \
                   (ARRAY['todo', 'in_progress', 'in_review', 'done', 'cancelled'])[1 + (s0.k % 5)::int] AS st, \
                   CASE WHEN s0.k % 3 = 0 THEN current_date + (s0.g % 90 - 30)::int END AS due, \
                   CASE WHEN s0.k % 3 = 0 THEN ms.a[1 + (s0.k / 3 % cardinality(ms.a))::int] END AS milestone, \
                   CASE WHEN s0.k % $8::bigint = 3 THEN $2 \
                        ELSE m.a[1 + (s0.k % cardinality(m.a))::int] END AS a1, \
                   CASE WHEN s0.k % 2 = 0 THEN m.a[1 + ((s0.k + 3) % cardinality(m.a))::int] END AS a2 \
                   FROM s0 JOIN m ON m.k = s0.pk JOIN ms ON ms.k = s0.pk), \
             ins AS ( \
             INSERT INTO tasks (id, created_at, updated_at, version, organization_id, project_id, \
             parent_id, milestone_id, title, description, status, priority, start_date, due_date, \
             estimate_minutes, board_rank, labels, assignee_ids, completed_at, overdue_told_for) \
             SELECT bench_uuid7(s.t), s.t, s.t, 1, $1, p.a[s.pk], NULL, s.milestone, 'Task ' || s.g, \
             CASE WHEN s.g % 4 = 0 THEN 'Bench task ' || s.g END, s.st, \
             (ARRAY['low', 'medium', 'high', 'urgent'])[1 + (s.g % 4)::int], NULL, s.due, \
             30 * (1 + s.g % 16), 1024 * (s.k / 5 + 1), \
             CASE WHEN s.g % 3 = 0 THEN '[\"bench\"]'::jsonb ELSE '[]'::jsonb END, \
             CASE WHEN s.a2 IS NULL THEN jsonb_build_array(s.a1::text) \
                  ELSE jsonb_build_array(s.a1::text, s.a2::text) END, \
             CASE WHEN s.st = 'done' THEN s.t END, \
             CASE WHEN s.due < current_date AND s.st NOT IN ('done', 'cancelled') THEN s.due END \
             FROM s, p \
             RETURNING id, assignee_ids) \
             INSERT INTO task_assignees (organization_id, task_id, user_id) \
             SELECT $1, ins.id, u::uuid FROM ins, jsonb_array_elements_text(ins.assignee_ids) u",
            vec![
                p.org.into(),
                p.admin.into(),
                start.into(),
                end.into(),
                p.tasks.into(),
                board.into(),
                spacing_secs.into(),
                ADMIN_EVERY.into(),
            ],
        )
        .await?;
        bar.inc((end - start + 1) as u64);
        start = end + 1;
    }
    // One task in ten depends on the task created before it in its project.
    exec(
        db,
        "INSERT INTO task_dependencies (organization_id, project_id, task_id, depends_on_id, \
         created_at) \
         SELECT $1, project_id, id, prev, created_at FROM ( \
           SELECT id, project_id, created_at, lag(id) OVER w AS prev, row_number() OVER w AS n \
           FROM tasks WHERE organization_id = $1 \
           WINDOW w AS (PARTITION BY project_id ORDER BY created_at, id)) x \
         WHERE n % 10 = 0 AND prev IS NOT NULL",
        vec![p.org.into()],
    )
    .await
    .map(|_| ())
}

/// `n` stopped time entries on project `code`, on its tasks in turn, by its members in turn,
/// over as many past days as keep each person at most 8 entries (of 15–90 minutes) a day;
/// 4 in 5 billable, at the project's rate, none invoiced.
async fn time_entries(
    db: &DatabaseConnection,
    org: Uuid,
    code: &str,
    n: i64,
    bar: &ProgressBar,
) -> Result<(), String> {
    let people = MEMBERS + 1;
    let days = ((n + people * ENTRIES_PER_DAY - 1) / (people * ENTRIES_PER_DAY)).max(1);
    let mut start = 1;
    while start <= n {
        let end = (start + BATCH - 1).min(n);
        let k = exec(
            db,
            "WITH p AS (SELECT id, hourly_rate FROM projects WHERE organization_id = $1 AND code = $2), \
             m AS (SELECT array_agg(user_id ORDER BY user_id) AS a FROM project_members \
                   WHERE organization_id = $1 AND project_id = (SELECT id FROM p)), \
             tk AS (SELECT array_agg(id ORDER BY board_rank, id) AS a FROM tasks \
                    WHERE organization_id = $1 AND project_id = (SELECT id FROM p)), \
             s AS (SELECT g, (g / cardinality(m.a)) % $5::bigint AS d, \
                   15 * (1 + (g / cardinality(m.a) / $5::bigint) % 6) AS mins \
                   FROM generate_series($3::bigint, $4::bigint) g, m) \
             INSERT INTO time_entries (id, created_at, updated_at, version, organization_id, \
             project_id, task_id, user_id, work_date, minutes, billable, note, bill_rate, \
             invoice_id, started_at, is_running, running_user_id) \
             SELECT bench_uuid7(x.t), x.t, x.t, 1, $1, p.id, tk.a[1 + (s.g % cardinality(tk.a))::int], \
             m.a[1 + (s.g % cardinality(m.a))::int], current_date - s.d::int, s.mins, s.g % 5 <> 0, \
             CASE WHEN s.g % 4 = 0 THEN 'Work ' || s.g END, p.hourly_rate, NULL, NULL, FALSE, NULL \
             FROM s, p, m, tk, \
             LATERAL (SELECT now() - make_interval(days => s.d::int, secs => (s.g % 3600)::int) AS t) x",
            vec![
                org.into(),
                code.to_string().into(),
                start.into(),
                end.into(),
                days.into(),
            ],
        )
        .await?;
        bar.inc(k);
        start = end + 1;
    }
    Ok(())
}

/// Everything of one organization: its projects, tasks and time.
pub async fn seed(db: &DatabaseConnection, p: &Plan, bar: &ProgressBar) -> Result<(), String> {
    projects(db, p).await?;
    tasks(db, p, (1, p.tasks), 30.0, bar).await?;
    // The report's project, and as much time on the board's as it has tasks.
    time_entries(db, p.org, &code(2), p.time_entries, bar).await?;
    time_entries(db, p.org, &code(1), BOARD_TASKS.min(p.tasks), bar).await
}

pub async fn already_seeded(
    db: &DatabaseConnection,
    orgs: usize,
    tasks: i64,
    entries: i64,
) -> Result<bool, String> {
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_seed_projects (orgs INT NOT NULL, tasks BIGINT NOT NULL, \
         time_entries BIGINT NOT NULL)",
    )
    .await
    .map_err(|e| e.to_string())?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) FROM bench_seed_projects WHERE orgs = $1 AND tasks = $2 \
             AND time_entries = $3",
            [(orgs as i32).into(), tasks.into(), entries.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    Ok(row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0)
        > 0)
}

/// Forgets an earlier data set of other sizes (its rows are deleted with their projects).
pub async fn clear(db: &DatabaseConnection) -> Result<(), String> {
    for sql in [
        "DELETE FROM time_entries WHERE project_id IN (SELECT id FROM projects WHERE code LIKE 'BENCH-%')",
        "DELETE FROM projects WHERE code LIKE 'BENCH-%'",
        "DELETE FROM bench_seed_projects",
    ] {
        exec(db, sql, Vec::new()).await?;
    }
    Ok(())
}

pub async fn mark_seeded(
    db: &DatabaseConnection,
    orgs: usize,
    tasks: i64,
    entries: i64,
) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO bench_seed_projects (orgs, tasks, time_entries) VALUES ($1, $2, $3)",
        vec![(orgs as i32).into(), tasks.into(), entries.into()],
    )
    .await
    .map(|_| ())
}

/// What the projects scenarios ask for, per organization (by index).
#[derive(Default)]
pub struct Sample {
    /// `(board project, report project)` of each organization.
    pub projects: Vec<(Uuid, Uuid)>,
    /// Tasks on the first organization's board, tasks assigned to its admin, and time entries
    /// of its report project: what the report states.
    pub board_tasks: i64,
    pub my_tasks: i64,
    pub report_entries: i64,
}

pub async fn sample(db: &DatabaseConnection, orgs: &[(Uuid, Uuid)]) -> Result<Sample, String> {
    let mut out = Sample::default();
    for (org, _) in orgs {
        let ids = crate::seed::query_uuids(
            db,
            "SELECT id FROM projects WHERE organization_id = $1 AND code IN ($2, $3) ORDER BY code",
            vec![(*org).into(), code(1).into(), code(2).into()],
        )
        .await?;
        let [board, report] = ids[..] else {
            return Err("no seeded projects: seed with CRM_BENCH_TASKS > 0".into());
        };
        out.projects.push((board, report));
    }
    if let (Some((org, admin)), Some((board, report))) = (orgs.first(), out.projects.first()) {
        out.board_tasks = count(
            db,
            "SELECT count(*) FROM tasks WHERE project_id = $1",
            vec![(*board).into()],
        )
        .await?;
        out.my_tasks = count(
            db,
            "SELECT count(*) FROM task_assignees WHERE organization_id = $1 AND user_id = $2",
            vec![(*org).into(), (*admin).into()],
        )
        .await?;
        out.report_entries = count(
            db,
            "SELECT count(*) FROM time_entries WHERE project_id = $1",
            vec![(*report).into()],
        )
        .await?;
    }
    Ok(out)
}

#[derive(Serialize)]
pub struct ProjectsReport {
    pub tasks_per_org: i64,
    pub time_entries_per_org: i64,
    pub board_tasks: i64,
    pub my_tasks: i64,
    pub report_entries: i64,
    /// `GET /projects/{id}/report`, one request at a time.
    pub report_alone: Option<Figures>,
}

impl ProjectsReport {
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n### Projects\n\n{} tasks per organization over {PROJECTS} projects; the board's \
             project holds {} tasks, the report's {} time entries; the admin (the caller) is \
             assigned {} tasks. The scenarios above at each connection count; the report alone, \
             one request at a time:\n",
            self.tasks_per_org, self.board_tasks, self.report_entries, self.my_tasks
        );
        s.push_str(
            "| what | req/s | p50 ms | p99 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|\n",
        );
        if let Some(f) = &self.report_alone {
            let _ = writeln!(
                s,
                "| project report, one at a time | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                f.rps, f.p50_ms, f.p99_ms, f.max_ms, f.errors
            );
        }
        s
    }
}
