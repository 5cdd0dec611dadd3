//! Scheduled work: every instance polls every `CRM__JOBS__POLL_SECS`, and each period of each
//! job runs once, on one of them. (What the clean-up removes is tested in crm-db's `jobs.rs`.)

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::db_string;
use std::net::TcpListener;
use std::time::Duration;

/// The first column of the first row, as a trimmed string ("" when there is none).
async fn scalar(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> String {
    db_string(app, sql, values)
        .await
        .unwrap_or_default()
        .trim()
        .to_string()
}

backend_tests!(
    two_instances_run_each_period_of_a_job_once,
    |b| async move {
        let poll = [("CRM__JOBS__POLL_SECS", "1")];
        let app = spawn_app_with(b, &poll).await;
        // A second instance on the same database.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let second = crm_api::app::start(app.settings.clone(), Some(listener))
            .await
            .expect("second instance starts");
        let second_server = second.server.handle();
        tokio::spawn(second.server);

        let runs = "SELECT CAST(COUNT(*) AS CHAR(20)) FROM job_runs \
                    WHERE job = 'cleanup' AND finished_at IS NOT NULL";
        let mut finished = String::new();
        for _ in 0..100 {
            finished = scalar(&app, runs, vec![]).await;
            if finished == "1" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(finished, "1", "the clean-up never finished");
        // Each instance polls a few more times: the finished period is not run again.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let all = scalar(
            &app,
            "SELECT CAST(COUNT(*) AS CHAR(20)) FROM job_runs WHERE job = 'cleanup'",
            vec![],
        )
        .await;
        assert_eq!(all, "1", "one claim row for the period");
        let attempts = scalar(
            &app,
            "SELECT CAST(attempts AS CHAR(20)) FROM job_runs WHERE job = 'cleanup'",
            vec![],
        )
        .await;
        assert_eq!(attempts, "1", "claimed once");

        second_server.stop(false).await;
        for task in &second.background {
            task.abort();
        }
        app.stop().await;
    }
);
