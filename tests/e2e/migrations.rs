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

/// What a database's schema is, as comparable lines: tables' columns, constraints and their
/// columns, indexes, views (their database's name taken out), and the rows per table.
async fn schema_of(db: &TestDb) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(db.url.as_str()).await.unwrap();
    let b = conn.get_database_backend();
    let (schema, queries): (&str, Vec<&str>) = match db.backend {
        Backend::Sqlite => (
            "",
            vec!["SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master"],
        ),
        Backend::Postgres => (
            "public",
            vec![
                "SELECT table_name || ' ' || column_name || ' ' || data_type || ' ' || is_nullable \
                 || ' ' || COALESCE(column_default, '') FROM information_schema.columns \
                 WHERE table_schema = 'public'",
                "SELECT tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'",
                "SELECT table_name || ' ' || view_definition FROM information_schema.views \
                 WHERE table_schema = 'public'",
            ],
        ),
        Backend::Mysql => (
            "",
            vec![
                "SELECT CONCAT_WS(' ', table_name, column_name, column_type, is_nullable, \
                 COALESCE(column_default, ''), extra) FROM information_schema.columns \
                 WHERE table_schema = DATABASE()",
                "SELECT CONCAT_WS(' ', table_name, index_name, seq_in_index, column_name, \
                 non_unique) FROM information_schema.statistics WHERE table_schema = DATABASE()",
                "SELECT CONCAT_WS(' ', constraint_name, table_name, referenced_table_name, \
                 update_rule, delete_rule) FROM information_schema.referential_constraints \
                 WHERE constraint_schema = DATABASE()",
                "SELECT CONCAT_WS(' ', table_name, REPLACE(view_definition, \
                 CONCAT('`', DATABASE(), '`.'), '')) FROM information_schema.views \
                 WHERE table_schema = DATABASE()",
            ],
        ),
    };
    let mut lines = Vec::new();
    for q in queries {
        for r in conn
            .query_all_raw(Statement::from_string(b, q.to_string()))
            .await
            .unwrap()
        {
            lines.push(r.try_get_by_index::<String>(0).unwrap());
        }
    }
    let tables_query = match db.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                .to_string()
        }
        Backend::Postgres => format!(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = '{schema}' AND table_type = 'BASE TABLE'"
        ),
        Backend::Mysql => "SELECT table_name FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            .to_string(),
    };
    let tables: Vec<String> = conn
        .query_all_raw(Statement::from_string(b, tables_query))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    for t in tables {
        let q = if db.backend == Backend::Mysql {
            format!("SELECT COUNT(*) FROM `{t}`")
        } else {
            format!("SELECT COUNT(*) FROM \"{t}\"")
        };
        let row = conn
            .query_one_raw(Statement::from_string(b, q))
            .await
            .unwrap()
            .unwrap();
        lines.push(format!(
            "{t} rows {}",
            row.try_get_by_index::<i64>(0).unwrap()
        ));
    }
    conn.close().await.ok();
    lines.sort();
    lines
}

// The tests' databases are copies of a template (`db_templates`): a copy must be what the
// migrations make from empty, column for column, index for index, row count for row count.
backend_tests!(
    template_copies_equal_a_migration_from_empty,
    |b| async move {
        let empty = TestDb::create(b).await;
        let mut opts = sea_orm::ConnectOptions::new(empty.url.clone());
        opts.max_connections(1);
        let conn = sea_orm::Database::connect(opts).await.unwrap();
        Migrator::up(&conn, None).await.unwrap();
        conn.close().await.ok();
        let copy = TestDb::migrated(b).await;
        let (migrated, copied) = (schema_of(&empty).await, schema_of(&copy).await);
        assert!(migrated.len() > 100, "{migrated:?}");
        assert_eq!(migrated, copied);
        empty.drop_db().await;
        copy.drop_db().await;
    }
);
