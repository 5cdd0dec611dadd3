//! Bulk seeding straight into PostgreSQL: `INSERT … SELECT generate_series` in batches, ids
//! made UUIDv7-shaped from each row's `created_at` so keyset order matches the API's.

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use uuid::Uuid;

const BATCH: i64 = 20_000;

/// Runs one seeding statement; the error names the statement's start.
pub(crate) async fn exec(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, String> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await
    .map(|r| r.rows_affected())
    .map_err(|e| format!("seeding ({}…): {e}", sql.get(..60).unwrap_or(sql)))
}

/// The one value a statement answers (its first column of its one row).
pub(crate) async fn one<T: sea_orm::TryGetable>(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Result<T, String> {
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await
    .map_err(|e| e.to_string())?
    .and_then(|r| r.try_get_by_index::<T>(0).ok())
    .ok_or_else(|| format!("no answer to {sql}"))
}

/// The one integer a statement answers (a count).
pub(crate) async fn count(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Result<i64, String> {
    one(db, sql, values).await
}

pub async fn query_uuids(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Uuid>, String> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| r.try_get_by_index::<Uuid>(0).map_err(|e| e.to_string()))
        .collect()
}

pub async fn install_helpers(db: &DatabaseConnection) -> Result<(), String> {
    // A UUIDv7 whose time part is `ts` (random bits from gen_random_uuid, version bits set to 7).
    db.execute_unprepared(
        "CREATE OR REPLACE FUNCTION bench_uuid7(ts timestamptz) RETURNS uuid AS $$ \
         SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing \
         substring(int8send(floor(extract(epoch from ts) * 1000)::bigint) from 3) \
         from 1 for 6), 52, 1), 53, 1), 'hex')::uuid $$ LANGUAGE sql VOLATILE",
    )
    .await
    .map_err(|e| e.to_string())?;
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_seed (orgs INT NOT NULL, leads_per_org BIGINT NOT NULL)",
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Whether a previous run left exactly this data set.
pub async fn already_seeded(
    db: &DatabaseConnection,
    orgs: usize,
    leads: i64,
) -> Result<bool, String> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) FROM bench_seed WHERE orgs = $1 AND leads_per_org = $2",
            [(orgs as i32).into(), leads.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    Ok(row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0)
        > 0)
}

pub async fn mark_seeded(db: &DatabaseConnection, orgs: usize, leads: i64) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO bench_seed (orgs, leads_per_org) VALUES ($1, $2)",
        vec![(orgs as i32).into(), leads.into()],
    )
    .await
    .map(|_| ())
}

pub fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let style =
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}

/// What one organization gets besides its admin.
pub struct OrgPlan {
    pub org: Uuid,
    /// Unique per organization, used in emails.
    pub tag: String,
    pub users: i64,
    pub clients: i64,
    pub deals: i64,
    pub pipeline: Uuid,
    pub stages: Vec<Uuid>,
}

pub async fn users_clients_deals(db: &DatabaseConnection, p: &OrgPlan) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO users (id, created_at, updated_at, version, organization_id, name, email, \
         password_hash, status) \
         SELECT bench_uuid7(now() - make_interval(secs => g)), now(), now(), 1, $1, \
         'User ' || g, 'user' || g || '@' || $2 || '.bench.test', NULL, 'active' \
         FROM generate_series(1, $3::bigint) g",
        vec![p.org.into(), p.tag.clone().into(), p.users.into()],
    )
    .await?;
    exec(
        db,
        "WITH o AS (SELECT array_agg(id ORDER BY id) AS a FROM users WHERE organization_id = $1) \
         INSERT INTO clients (id, created_at, updated_at, version, organization_id, name, kind, \
         email, phone, website, industry, parent_id, owner_id, status, tags, address, lifecycle) \
         SELECT bench_uuid7(t), t, t, 1, $1, 'Client ' || g, 'company', \
         'client' || g || '@' || $2 || '.bench.test', NULL, NULL, 'software', NULL, \
         o.a[1 + (g % cardinality(o.a))::int], 'active', '[]', NULL, 'prospect' \
         FROM (SELECT g, now() - make_interval(secs => ($3::bigint - g) * 600) AS t \
               FROM generate_series(1, $3::bigint) g) s, o",
        vec![p.org.into(), p.tag.clone().into(), p.clients.into()],
    )
    .await?;
    let stages: Vec<Value> = p.stages.iter().map(|s| (*s).into()).collect();
    let n = stages.len() as i32;
    let mut values = vec![p.org.into(), p.pipeline.into(), p.deals.into(), n.into()];
    values.extend(stages);
    let stage_array = (0..n)
        .map(|i| format!("${}::uuid", i + 5))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH o AS (SELECT array_agg(id ORDER BY id) AS a FROM users WHERE organization_id = $1), \
         c AS (SELECT array_agg(id ORDER BY id) AS a FROM clients WHERE organization_id = $1) \
         INSERT INTO deals (id, created_at, updated_at, version, organization_id, title, client_id, \
         lead_id, pipeline_id, stage_id, amount, currency, probability, expected_close_date, \
         owner_id, status, lost_reason, closed_at) \
         SELECT bench_uuid7(t), t, t, 1, $1, 'Deal ' || g, c.a[1 + (g % cardinality(c.a))::int], \
         NULL, $2, (ARRAY[{stage_array}])[1 + (g % $4)::int], 100000 + (g % 500) * 1000, \
         CASE WHEN g % 10 = 0 THEN 'EUR' ELSE 'USD' END, 10 + (g % $4)::int * 30, \
         current_date + (g % 365)::int, o.a[1 + (g % cardinality(o.a))::int], \
         CASE WHEN g % 10 = 1 THEN 'won' WHEN g % 10 = 2 THEN 'lost' ELSE 'open' END, \
         CASE WHEN g % 10 = 2 THEN 'price' END, CASE WHEN g % 10 IN (1, 2) THEN t END \
         FROM (SELECT g, now() - make_interval(secs => ($3::bigint - g) * 600) AS t \
               FROM generate_series(1, $3::bigint) g) s, o, c"
    );
    exec(db, &sql, values).await?;
    Ok(())
}

/// The leads of one organization: `total` of them spaced `spacing_secs` apart, ending now.
pub struct LeadSet<'a> {
    pub org: Uuid,
    /// Unique per organization, used in emails.
    pub tag: &'a str,
    pub total: i64,
    pub spacing_secs: f64,
}

/// Inserts leads number `from..=to` (1-based) of `set`.
pub async fn leads(
    db: &DatabaseConnection,
    set: &LeadSet<'_>,
    from: i64,
    to: i64,
    bar: &ProgressBar,
) -> Result<(), String> {
    let mut start = from;
    while start <= to {
        let end = (start + BATCH - 1).min(to);
        let n = exec(
            db,
            "WITH o AS (SELECT array_agg(id ORDER BY id) AS a FROM users WHERE organization_id = $1), \
             s AS (SELECT g, now() - make_interval(secs => ($4::bigint - g) * $5::float8) AS t, \
                   'lead' || g || '@' || $6 || '.bench.test' AS e, \
                   CASE WHEN g % 20 < 12 THEN 'new' WHEN g % 20 < 16 THEN 'contacted' \
                        WHEN g % 20 < 18 THEN 'qualified' ELSE 'unqualified' END AS st \
                   FROM generate_series($2::bigint, $3::bigint) g) \
             INSERT INTO leads (id, created_at, updated_at, version, organization_id, name, email, \
             open_email, phone, company, source, status, owner_id, estimated_amount, currency, score) \
             SELECT bench_uuid7(s.t), s.t, s.t, 1, $1, 'Lead ' || s.g, s.e, \
             CASE WHEN s.st <> 'unqualified' THEN s.e END, \
             '+1 555 ' || lpad((s.g % 10000)::text, 4, '0'), 'Company ' || (s.g % 5000), \
             (ARRAY['web', 'referral', 'ads', 'event'])[1 + (s.g % 4)::int], s.st, \
             o.a[1 + (s.g % cardinality(o.a))::int], (s.g % 1000) * 10000, 'USD', (s.g % 101)::int \
             FROM s, o",
            vec![
                set.org.into(),
                start.into(),
                end.into(),
                set.total.into(),
                set.spacing_secs.into(),
                set.tag.to_string().into(),
            ],
        )
        .await?;
        bar.inc(n);
        start = end + 1;
    }
    Ok(())
}

pub async fn analyze(db: &DatabaseConnection) -> Result<(), String> {
    db.execute_unprepared("ANALYZE")
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
