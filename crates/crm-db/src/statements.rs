//! Counting the statements a server sends, for the round-trip budget tests
//! (`tests/e2e/round_trips.rs`) and for diagnosis (`CRM__DATABASE__COUNT_STATEMENTS=true`).
//!
//! sea-orm reports every statement run on a pool or inside a transaction to the pool's metric
//! callback; `BEGIN` and `COMMIT` go around it, so the transaction adapter records them itself.
//! Off by default: a pool without a log pays nothing.

use std::sync::{Arc, Mutex};

/// The statements sent since the last [`StatementLog::take`], in order.
#[derive(Clone, Debug, Default)]
pub struct StatementLog(Arc<Mutex<Vec<String>>>);

impl StatementLog {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn record(&self, sql: &str) {
        if let Ok(mut v) = self.0.lock() {
            v.push(sql.to_string());
        }
    }

    /// The statements recorded so far, leaving the log empty.
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

/// Installs `log` as the pool's statement observer.
pub(crate) fn observe(conn: &mut sea_orm::DatabaseConnection, log: &Option<StatementLog>) {
    if let Some(log) = log.clone() {
        conn.set_metric_callback(move |info| log.record(&info.statement.sql));
    }
}
