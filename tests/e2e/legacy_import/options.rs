//! `crm import legacy --source-offset`: the old database's wall-clock times read at another
//! offset, and an offset that is none refused before anything is read or written; the
//! tables no step reads, listed in the report.

use super::*;
use crate::backend_tests;

/// Rows of a table with no home here.
pub(super) fn rows() -> Vec<String> {
    vec![format!(
        "INSERT INTO `DealUsers` (id, dealId, leadId, employee, createdAt, updatedAt) VALUES
            ('DUone000000000000000001', NULL, '{L_NEW}', '{U_SALES}', '2024-03-05 10:15:00', '2024-03-05 10:15:00'),
            ('DUtwo000000000000000001', NULL, '{L_NEW}', '{U_EMP}', '2024-03-05 10:15:00', '2024-03-05 10:15:00')"
    )]
}

backend_tests!(source_offset_moves_the_old_times, |b| async move {
    let Some(source) = LegacySource::create().await else {
        return;
    };
    let db = TestDb::create(b).await;
    let dir = db.dir().clone();
    let report_arg = dir.join("report.csv").to_str().unwrap().to_string();

    // Not an offset: one line on standard error, a non-zero exit, nothing written.
    let bad = import(
        &db.url,
        &source.url,
        &["--source-offset", "+25:00", "--report", &report_arg],
        &dir,
    )
    .await;
    assert!(!bad.status.success(), "{}", stdout(&bad));
    assert!(stderr(&bad).contains("+25:00"), "{}", stderr(&bad));

    // The old server ran on UTC: 10:15 in the database is 10:15 UTC.
    imported(
        &db.url,
        &source.url,
        &["--source-offset", "Z", "--report", &report_arg],
        &dir,
    )
    .await;
    // A table no step reads is said, with its rows; an empty one, and the ones read, are not.
    let findings = report(Path::new(&report_arg));
    assert!(
        has(&findings, "DealUsers", "", "2 rows not imported"),
        "{findings:?}"
    );
    assert!(
        !findings
            .iter()
            .any(|(t, _, r)| (t == "Orders" || t == "Leads") && r.contains("rows not imported")),
        "{findings:?}"
    );
    let settings = test_settings(&db.url, db.dir(), &[]);
    let app = start_on(db, settings).await;
    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let users = list(&app, &owner.access, "/api/v1/users?limit=200").await;
    let created = by_legacy(&users, U_ACME)["created_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(created.starts_with("2024-03-05T10:15:00"), "{created}");
    let leads = list(&app, &owner.access, "/api/v1/leads?limit=200").await;
    let lead = by_legacy(&leads, L_NEW);
    assert!(
        lead["created_at"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-05T10:15:00"),
        "{lead}"
    );
    // Dates stay the dates people saw, whatever the offset.
    let employees = list(&app, &owner.access, "/api/v1/employees?limit=200").await;
    assert_eq!(by_legacy(&employees, U_EMP)["hire_date"], "2023-01-10");

    app.stop().await;
    source.drop_db().await;
});
