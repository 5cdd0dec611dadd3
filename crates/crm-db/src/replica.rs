//! Lists read from a replica when one is configured (`CRM__DATABASE__READ_URL`): the HTTP layer
//! runs a safe request (`GET`, `HEAD`) inside [`reading_lists_from`], and every list page
//! (`keyset::page`, with its count) taken on the primary pool goes to the replica instead.
//! Everything else stays on the primary: authentication (a revoked session ends at once),
//! single-record reads (a client reads back what it just wrote), every write, and any read
//! made on a transaction.

use sea_orm::DatabaseConnection;
use std::any::Any;
use std::future::Future;

tokio::task_local! {
    static REPLICA: DatabaseConnection;
}

/// A replica's pool.
#[derive(Clone, Debug)]
pub struct Replica(DatabaseConnection);

impl crate::Database {
    /// This database as the replica lists are read from.
    pub fn into_replica(self) -> Replica {
        Replica(self.conn)
    }
}

/// Runs `f` with its lists read from `replica` (as is, when `None`).
pub async fn reading_lists_from<F: Future>(replica: Option<Replica>, f: F) -> F::Output {
    match replica {
        Some(Replica(conn)) => REPLICA.scope(conn, f).await,
        None => f.await,
    }
}

/// The replica a list about to be read on `db` goes to: only when `db` is the primary pool
/// itself (never a transaction) and the current request reads lists from one.
pub(crate) fn for_list<C: Any>(db: &C) -> Option<DatabaseConnection> {
    if (db as &dyn Any).is::<DatabaseConnection>() {
        REPLICA.try_with(Clone::clone).ok()
    } else {
        None
    }
}
