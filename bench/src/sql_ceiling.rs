//! The database's own ceiling for the one statement each read needs: pgbench with prepared
//! statements runs just the tenant-scoped lead read and the page query, on as many connections
//! as the server's pool. The in-process ceiling counts the server's own extra statements as part
//! of the limit; this one does not, so `API / SQL` says how much of the database's capacity for
//! the request's real work the API turns into answers.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
pub struct SqlCeiling {
    pub clients: u32,
    /// Transactions (one statement each) per second.
    pub get_lead_tps: f64,
    pub list_tps: f64,
}

/// Runs both statements under pgbench for `secs` each; `None` (with a line saying why) when
/// pgbench is not installed or fails, so the rest of the bench still reports.
pub async fn measure(
    db: &DatabaseConnection,
    db_url: &str,
    clients: u32,
    secs: u64,
    leads: &[(Uuid, Uuid)],
    orgs: &[Uuid],
) -> Option<SqlCeiling> {
    match try_measure(db, db_url, clients, secs, leads, orgs).await {
        Ok(c) => Some(c),
        Err(e) => {
            println!("bench: no SQL ceiling: {e}");
            None
        }
    }
}

async fn try_measure(
    db: &DatabaseConnection,
    db_url: &str,
    clients: u32,
    secs: u64,
    leads: &[(Uuid, Uuid)],
    orgs: &[Uuid],
) -> Result<SqlCeiling, String> {
    // The picks live in two small tables, so one statement can choose a random lead or
    // organization (pgbench variables are numbers); the extra primary-key lookup is cached.
    let values = |rows: Vec<String>| rows.join(",");
    let lead_rows: Vec<String> = leads
        .iter()
        .enumerate()
        .map(|(n, (o, id))| format!("({}, '{o}', '{id}')", n + 1))
        .collect();
    let org_rows: Vec<String> = orgs
        .iter()
        .enumerate()
        .map(|(n, o)| format!("({}, '{o}')", n + 1))
        .collect();
    for sql in [
        "DROP TABLE IF EXISTS bench_pick_leads, bench_pick_orgs".to_string(),
        "CREATE TABLE bench_pick_leads (n int PRIMARY KEY, organization_id uuid NOT NULL, id uuid NOT NULL)".into(),
        "CREATE TABLE bench_pick_orgs (n int PRIMARY KEY, organization_id uuid NOT NULL)".into(),
        format!("INSERT INTO bench_pick_leads VALUES {}", values(lead_rows)),
        format!("INSERT INTO bench_pick_orgs VALUES {}", values(org_rows)),
        "ANALYZE bench_pick_leads, bench_pick_orgs".into(),
    ] {
        db.execute_unprepared(&sql).await.map_err(|e| e.to_string())?;
    }
    let dir = std::env::temp_dir().join(format!("crm-bench-sql-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let get = dir.join("get_lead.sql");
    std::fs::write(
        &get,
        format!(
            "\\set n random(1, {})\nSELECT l.* FROM leads l JOIN bench_pick_leads p \
             ON l.organization_id = p.organization_id AND l.id = p.id WHERE p.n = :n;\n",
            leads.len()
        ),
    )
    .map_err(|e| e.to_string())?;
    let list = dir.join("list.sql");
    std::fs::write(
        &list,
        format!(
            "\\set k random(1, {})\nSELECT l.* FROM leads l WHERE l.organization_id = \
             (SELECT organization_id FROM bench_pick_orgs WHERE n = :k) AND l.status = 'new' \
             ORDER BY l.created_at DESC, l.id DESC LIMIT 51;\n",
            orgs.len()
        ),
    )
    .map_err(|e| e.to_string())?;
    let get_lead_tps = pgbench(db_url, clients, secs, &get).await?;
    let list_tps = pgbench(db_url, clients, secs, &list).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SqlCeiling {
        clients,
        get_lead_tps,
        list_tps,
    })
}

async fn pgbench(
    db_url: &str,
    clients: u32,
    secs: u64,
    script: &std::path::Path,
) -> Result<f64, String> {
    println!(
        "bench: pgbench {} on {clients} connections",
        script.display()
    );
    let out = tokio::process::Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .arg("-c")
        .arg(clients.to_string())
        .arg("-T")
        .arg(secs.to_string())
        .arg("-f")
        .arg(script)
        .arg(db_url)
        .output()
        .await
        .map_err(|e| format!("pgbench: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no tps in pgbench's output: {text}"))
}
