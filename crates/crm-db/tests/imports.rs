//! Imports against a real database: a fresh SQLite file per test, or the database named by
//! `CRM_DB_TEST_URL` (PostgreSQL, MariaDB) when set. The workers' queue: one conditional
//! `UPDATE` takes an import, and a worker that was taken over can no longer write progress.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{TestDb, in_tx, query_for, unique};

use chrono::Duration;
use crm_db::{SqlImportRepository, SqlTxManager, SqlUserRepository};
use crm_domain::identity::{
    EmailAddress, PasswordHash, PersonName, User, UserRepository, UserStatus,
};
use crm_domain::imports::{
    IMPORT_LIST_SPEC, Import, ImportId, ImportQueue, ImportResource, ImportStatus, OnDuplicate,
    RowError,
};
use crm_domain::kernel::clock;
use crm_domain::kernel::records::Records;
use crm_domain::{OrganizationId, StoreError, TxManager, UserId};
use std::collections::BTreeMap;

struct Env {
    _db: TestDb,
    tx: SqlTxManager,
    imports: SqlImportRepository,
    org: OrganizationId,
    user: UserId,
}

async fn env() -> Env {
    let db = support::database().await;
    let org = support::organization(&db).await.id;
    let tx = SqlTxManager::new(db.conn());
    let now = clock::now();
    let u = User {
        id: UserId::new(),
        organization_id: org,
        name: PersonName::parse("Ann Lee").unwrap(),
        email: EmailAddress::parse(&format!("{}@example.com", unique("ann"))).unwrap(),
        password_hash: Some(PasswordHash::new("$argon2id$x")),
        status: UserStatus::Active,
        department_id: None,
        designation_id: None,
        tokens_valid_after: None,
        last_login_at: None,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let users = SqlUserRepository::new(db.conn());
    let env = Env {
        tx,
        imports: SqlImportRepository::new(db.conn()),
        org,
        user: u.id,
        _db: db,
    };
    in_tx!(env, |tx| users.create(&mut tx, &u).await).unwrap();
    env
}

fn queued(env: &Env) -> Import {
    let now = clock::now();
    Import {
        id: ImportId::new(),
        organization_id: env.org,
        created_by: env.user,
        resource: ImportResource::Leads,
        status: ImportStatus::Queued,
        on_duplicate: OnDuplicate::Update,
        dry_run: false,
        mapping: BTreeMap::from([
            ("Full name".to_string(), Some("name".to_string())),
            ("Notes".to_string(), None),
        ]),
        total_rows: 3,
        processed_rows: 0,
        created: 0,
        updated: 0,
        skipped: 0,
        failed_rows: 0,
        errors: Vec::new(),
        sha256: "ab".repeat(32),
        lease_until: None,
        finished_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[tokio::test]
async fn an_import_is_taken_by_one_worker_and_again_only_after_its_lease() {
    let env = env().await;
    let i = queued(&env);
    in_tx!(env, |tx| env.imports.create(&mut tx, &i).await).unwrap();
    // Stored and read back whole.
    assert_eq!(env.imports.get(env.org, i.id).await.unwrap(), i);
    let now = clock::now();
    let due = env.imports.due(now, 100).await.unwrap();
    assert!(due.contains(&(env.org, i.id)));
    let lease = now + Duration::seconds(60);
    assert!(env.imports.claim(env.org, i.id, now, lease).await.unwrap());
    // Held: neither due nor claimable until its lease runs out.
    assert!(!env.imports.claim(env.org, i.id, now, lease).await.unwrap());
    assert!(
        !env.imports
            .due(now, 100)
            .await
            .unwrap()
            .contains(&(env.org, i.id))
    );
    let taken = env.imports.get(env.org, i.id).await.unwrap();
    assert_eq!((taken.status, taken.version), (ImportStatus::Running, 2));
    // Another organization's id is nothing.
    assert!(
        !env.imports
            .claim(OrganizationId::new(), i.id, now, lease)
            .await
            .unwrap()
    );
    // After the lease: another worker takes it, and the first one's progress is refused.
    let later = lease + Duration::seconds(1);
    assert!(
        env.imports
            .due(later, 100)
            .await
            .unwrap()
            .contains(&(env.org, i.id))
    );
    assert!(
        env.imports
            .claim(env.org, i.id, later, later + Duration::seconds(60))
            .await
            .unwrap()
    );
    let progress = Import {
        processed_rows: 2,
        created: 1,
        failed_rows: 1,
        errors: vec![RowError {
            row: 3,
            field: Some("email".into()),
            message: "email must be a valid email address".into(),
        }],
        version: taken.version + 1,
        ..taken.clone()
    };
    let stale = in_tx!(env, |tx| env
        .imports
        .update(&mut tx, &progress, taken.version)
        .await);
    assert_eq!(stale, Err(StoreError::Stale));
    // The worker holding it writes at its version.
    let current = env.imports.get(env.org, i.id).await.unwrap();
    let progress = Import {
        version: current.version + 1,
        ..progress
    };
    in_tx!(env, |tx| env
        .imports
        .update(&mut tx, &progress, current.version)
        .await)
    .unwrap();
    let read = env.imports.get(env.org, i.id).await.unwrap();
    assert_eq!(read.errors, progress.errors);
    assert_eq!((read.processed_rows, read.version), (2, 4));
}

#[tokio::test]
async fn a_users_list_holds_only_their_imports() {
    let env = env().await;
    let mine = queued(&env);
    in_tx!(env, |tx| env.imports.create(&mut tx, &mine).await).unwrap();
    let page = env
        .imports
        .list(env.org, &query_for(&IMPORT_LIST_SPEC, &[]), env.user)
        .await
        .unwrap();
    assert_eq!(
        page.data.iter().map(|i| i.id).collect::<Vec<_>>(),
        [mine.id]
    );
    let none = env
        .imports
        .list(env.org, &query_for(&IMPORT_LIST_SPEC, &[]), UserId::new())
        .await
        .unwrap();
    assert!(none.data.is_empty());
}
