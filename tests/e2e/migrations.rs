//! Every migration applies from empty, rolls back to zero, and applies again.

use crate::backend_tests;
use crate::helpers::*;
use crm_db::{Migrator, MigratorTrait};
use sea_orm_migration::MigrationStatus;

backend_tests!(up_down_up, |b| async move {
    let db = TestDb::create(b).await;
    // One connection, as `crm migrate` uses: a second pooled SQLite connection can keep a stale
    // schema across down-then-up.
    let mut opts = sea_orm::ConnectOptions::new(db.url.clone());
    opts.max_connections(1);
    let conn = sea_orm::Database::connect(opts).await.unwrap();
    Migrator::up(&conn, None).await.unwrap();
    let all = Migrator::get_migration_with_status(&conn).await.unwrap();
    assert!(!all.is_empty());
    assert!(all.iter().all(|m| m.status() == MigrationStatus::Applied));
    Migrator::down(&conn, None).await.unwrap();
    let all = Migrator::get_migration_with_status(&conn).await.unwrap();
    assert!(all.iter().all(|m| m.status() == MigrationStatus::Pending));
    // Down really removed the tables: applying again from scratch succeeds.
    Migrator::up(&conn, None).await.unwrap();
    let all = Migrator::get_migration_with_status(&conn).await.unwrap();
    assert!(all.iter().all(|m| m.status() == MigrationStatus::Applied));
    conn.close().await.ok();
    db.drop_db().await;
});
