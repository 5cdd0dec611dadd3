//! The finance part of `make bench` (issue 13): invoices seeded per organization, the invoice
//! list and get against their in-process ceiling, payments with two allocations racing for
//! the same invoices (checked afterwards: every balance equals its rows, none below zero),
//! and one organization whose invoices grow 10k → 100k → 1M, with the list's p99 and the
//! receivables report measured at each size.

use crate::load::Figures;
use crate::scenarios::{Http, call, drive};
use crate::seed::exec;
use crate::{Config, seed, server};
use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Serialize;
use uuid::Uuid;

const BATCH: i64 = 20_000;

/// Inserts invoices number `from..=to` (1-based) of `total` for `org`, spaced `spacing_secs`
/// apart and ending now, each with one line: 70 % issued (unpaid, due 30 days after issue,
/// spread over the past), 20 % drafts, 10 % void; all in USD, every client of the
/// organization in turn. The overdue job is told they were notified already, so it does not
/// spend the run writing a million notifications.
pub async fn invoices(
    db: &DatabaseConnection,
    org: Uuid,
    (from, to, total): (i64, i64, i64),
    spacing_secs: f64,
    bar: &ProgressBar,
) -> Result<(), String> {
    let mut start = from;
    while start <= to {
        let end = (start + BATCH - 1).min(to);
        let n = exec(
            db,
            "WITH o AS (SELECT array_agg(id ORDER BY id) AS a FROM users WHERE organization_id = $1), \
             c AS (SELECT array_agg(id ORDER BY id) AS a FROM clients WHERE organization_id = $1), \
             s AS (SELECT g, now() - make_interval(secs => ($4::bigint - g) * $5::float8) AS t, \
                   CASE WHEN g % 10 < 7 THEN 'issued' WHEN g % 10 < 9 THEN 'draft' ELSE 'void' END AS st, \
                   10000 + (g % 100) * 1000 AS sub \
                   FROM generate_series($2::bigint, $3::bigint) g), \
             ins AS ( \
             INSERT INTO invoices (id, created_at, updated_at, version, organization_id, client_id, \
             created_by, number, status, payment_status, issue_date, payment_terms_days, due_date, \
             currency, subtotal, tax_total, total, amount_paid, amount_credited, balance_due, \
             issued_at, overdue_notified) \
             SELECT bench_uuid7(s.t), s.t, s.t, 1, $1, c.a[1 + (s.g % cardinality(c.a))::int], \
             o.a[1 + (s.g % cardinality(o.a))::int], \
             CASE WHEN s.st <> 'draft' THEN 'INV-' || to_char(s.t, 'YYYY') || '-' || lpad(s.g::text, 7, '0') END, \
             s.st, 'unpaid', CASE WHEN s.st <> 'draft' THEN s.t::date END, 30, \
             CASE WHEN s.st <> 'draft' THEN s.t::date + 30 END, 'USD', s.sub, s.sub / 10, \
             s.sub + s.sub / 10, 0, 0, s.sub + s.sub / 10, \
             CASE WHEN s.st <> 'draft' THEN s.t END, TRUE \
             FROM s, o, c \
             RETURNING id, subtotal, tax_total, total) \
             INSERT INTO invoice_items (organization_id, invoice_id, position, description, \
             quantity_thousandths, unit_price, tax_rate, subtotal, tax, total) \
             SELECT $1, id, 0, 'Consulting', 1000, subtotal, 1000, subtotal, tax_total, total FROM ins",
            vec![
                org.into(),
                start.into(),
                end.into(),
                total.into(),
                spacing_secs.into(),
            ],
        )
        .await?;
        bar.inc(n);
        start = end + 1;
    }
    Ok(())
}

/// `n` clients of `org` (for an organization seeded without any), owned by its first user.
pub async fn clients(db: &DatabaseConnection, org: Uuid, tag: &str, n: i64) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO clients (id, created_at, updated_at, version, organization_id, name, kind, \
         email, owner_id, status, tags, lifecycle) \
         SELECT bench_uuid7(now() - make_interval(secs => g)), now(), now(), 1, $1, \
         'Client ' || g, 'company', 'client' || g || '@' || $2 || '.bench.test', \
         (SELECT min(id::text)::uuid FROM users WHERE organization_id = $1), 'active', '[]', 'customer' \
         FROM generate_series(1, $3::bigint) g \
         WHERE NOT EXISTS (SELECT 1 FROM clients WHERE organization_id = $1)",
        vec![org.into(), tag.to_string().into(), n.into()],
    )
    .await
    .map(|_| ())
}

pub async fn already_seeded(db: &DatabaseConnection, orgs: usize, n: i64) -> Result<bool, String> {
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_seed_invoices (orgs INT NOT NULL, per_org BIGINT NOT NULL)",
    )
    .await
    .map_err(|e| e.to_string())?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) FROM bench_seed_invoices WHERE orgs = $1 AND per_org = $2",
            [(orgs as i32).into(), n.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    Ok(row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0)
        > 0)
}

pub async fn mark_seeded(db: &DatabaseConnection, orgs: usize, n: i64) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO bench_seed_invoices (orgs, per_org) VALUES ($1, $2)",
        vec![(orgs as i32).into(), n.into()],
    )
    .await
    .map(|_| ())
}

/// What the finance scenarios pick from.
#[derive(Default)]
pub struct Sample {
    /// `(organization index, invoice id)` of issued invoices, at random.
    pub invoices: Vec<(usize, Uuid)>,
    /// `(organization index, client id, two issued invoices of that client)`: every payment
    /// allocates 1 to each invoice of a pair, and the workers share the pairs, so payments
    /// race for the same invoices.
    pub pairs: Vec<(usize, Uuid, [Uuid; 2])>,
}

/// Issued invoices of each organization at random, and 200 pairs of one client's issued
/// invoices per organization.
pub async fn sample(db: &DatabaseConnection, orgs: &[Uuid]) -> Result<Sample, String> {
    let mut invoices = Vec::new();
    let mut pairs = Vec::new();
    for (k, org) in orgs.iter().enumerate() {
        let ids = seed::query_uuids(
            db,
            "SELECT id FROM invoices WHERE organization_id = $1 AND status = 'issued' \
             ORDER BY random() LIMIT 2000",
            vec![(*org).into()],
        )
        .await?;
        invoices.extend(ids.into_iter().map(|id| (k, id)));
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT client_id, (array_agg(id ORDER BY id))[1:2] FROM invoices \
                 WHERE organization_id = $1 AND status = 'issued' AND balance_due > 5000 \
                 GROUP BY client_id HAVING count(*) >= 2 ORDER BY random() LIMIT 200",
                [(*org).into()],
            ))
            .await
            .map_err(|e| e.to_string())?;
        for r in rows {
            let client: Uuid = r.try_get_by_index(0).map_err(|e| e.to_string())?;
            let two: Vec<Uuid> = r.try_get_by_index(1).map_err(|e| e.to_string())?;
            if let [a, b] = two[..] {
                pairs.push((k, client, [a, b]));
            }
        }
    }
    if invoices.is_empty() || pairs.is_empty() {
        return Err("no issued invoices to measure: seed with CRM_BENCH_INVOICES > 0".into());
    }
    Ok(Sample { invoices, pairs })
}

/// The allocation check after the payment runs.
#[derive(Serialize, Clone, Default)]
pub struct AllocationCheck {
    /// Invoices the payments allocated to.
    pub invoices: i64,
    /// Allocations written.
    pub allocations: i64,
    /// Invoices whose `amount_paid` differs from the sum of their allocations, or whose
    /// balance is below 0 or differs from total − paid − credited.
    pub mismatched: i64,
}

/// Recomputes every allocated invoice's balance from its rows.
pub async fn check_allocations(db: &DatabaseConnection) -> Result<AllocationCheck, String> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "WITH a AS (SELECT invoice_id, sum(amount) AS paid, count(*) AS n \
                        FROM payment_allocations GROUP BY invoice_id) \
             SELECT count(*)::bigint, coalesce(sum(a.n), 0)::bigint, \
                    count(*) FILTER (WHERE i.amount_paid <> a.paid OR i.balance_due < 0 \
                      OR i.balance_due <> i.total - i.amount_paid - i.amount_credited)::bigint \
             FROM a JOIN invoices i ON i.id = a.invoice_id",
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no answer")?;
    let get = |i: usize| row.try_get_by_index::<i64>(i).map_err(|e| e.to_string());
    Ok(AllocationCheck {
        invoices: get(0)?,
        allocations: get(1)?,
        mismatched: get(2)?,
    })
}

/// One size of the invoice growth run.
#[derive(Serialize)]
pub struct InvoiceGrowthRow {
    pub invoices: i64,
    pub connections: usize,
    pub list: Figures,
    /// `GET /reports/receivables`, one request at a time.
    pub receivables: Figures,
}

#[derive(Serialize)]
pub struct FinanceReport {
    pub invoices_per_org: i64,
    pub allocations: Option<AllocationCheck>,
    pub growth: Vec<InvoiceGrowthRow>,
}

/// One organization's invoices grown to each size of `CRM_BENCH_GROWTH`: the issued list's
/// p99 at the smallest connection count, and the receivables report alone.
pub async fn growth(
    cfg: &Config,
    db: &DatabaseConnection,
    http: &Http,
    env: &[(String, String)],
    config_dir: &std::path::Path,
) -> Result<Vec<InvoiceGrowthRow>, String> {
    let email = "admin@invoice-growth.bench.test";
    server::create_admin(
        &cfg.binary,
        config_dir,
        env,
        email,
        crate::scenarios::PASSWORD,
        "Bench invoice growth",
    )
    .await?;
    let (_, org, token) = crate::scenarios::login(http, email).await?;
    clients(db, org, "invoice-growth", 1_000).await?;
    exec(
        db,
        "DELETE FROM invoices WHERE organization_id = $1",
        vec![org.into()],
    )
    .await?;
    db.execute_unprepared("VACUUM ANALYZE invoices, invoice_items")
        .await
        .map_err(|e| e.to_string())?;
    let last = cfg.growth.iter().copied().max().unwrap_or(0);
    let conns = cfg.connections.iter().copied().min().unwrap_or(16);
    let mut have = 0i64;
    let mut out = Vec::new();
    for &n in &cfg.growth {
        let bar = seed::bar((n - have).max(0) as u64, "growth invoices");
        invoices(db, org, (have + 1, n, last), 30.0, &bar).await?;
        bar.finish();
        have = have.max(n);
        seed::analyze(db).await?;
        let (h, t) = (http.clone(), token.clone());
        let list = call(move |w, _| {
            let (h, t) = (h.clone(), t.clone());
            async move {
                h.status(w, "/api/v1/invoices?status=issued&limit=50", &t)
                    .await
            }
        });
        println!("bench: list invoices with {n} invoices in one organization");
        let list = drive(cfg, conns, &[200], &list).await;
        let (h, t) = (http.clone(), token.clone());
        let report = call(move |w, _| {
            let (h, t) = (h.clone(), t.clone());
            async move { h.status(w, "/api/v1/reports/receivables", &t).await }
        });
        println!("bench: receivables with {n} invoices");
        let receivables = drive(cfg, 1, &[200], &report).await;
        println!(
            "  list p99 {:.2} ms; receivables p50 {:.1} ms, max {:.1} ms",
            list.p99_ms, receivables.p50_ms, receivables.max_ms
        );
        out.push(InvoiceGrowthRow {
            invoices: n,
            connections: conns,
            list,
            receivables,
        });
    }
    Ok(out)
}

impl FinanceReport {
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n### Finance: invoices growing in one organization\n\n{} invoices per \
             organization in the scenarios above. The issued list (50) at the smallest \
             connection count, and `GET /reports/receivables` one request at a time.\n\n\
             | invoices | list req/s | list p50 ms | list p99 ms | receivables p50 ms | \
             receivables p99 ms | receivables max ms | errors |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|",
            self.invoices_per_org
        );
        for g in &self.growth {
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {} |",
                g.invoices,
                g.list.rps,
                g.list.p50_ms,
                g.list.p99_ms,
                g.receivables.p50_ms,
                g.receivables.p99_ms,
                g.receivables.max_ms,
                g.list.errors + g.receivables.errors
            );
        }
        if let Some(a) = &self.allocations {
            let _ = writeln!(
                s,
                "\nAfter the payment runs: {} allocations on {} invoices; {} invoices whose \
                 `amount_paid` or `balance_due` differ from their allocation rows or fall \
                 below 0.",
                a.allocations, a.invoices, a.mismatched
            );
        }
        s
    }
}
