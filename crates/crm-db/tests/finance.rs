//! Finance adapters against a real database: what the finance migration does to the data of
//! organizations that existed before it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use crm_db::{Database, Migrator, MigratorTrait, SqlRoleRepository, SqlTxManager};
use crm_domain::TxManager;
use crm_domain::identity::{Role, RoleId, RoleRepository, system_roles};
use crm_domain::kernel::clock;
use support::TestDb;

fn role(org: crm_domain::OrganizationId, name: &str, codes: &[&str]) -> Role {
    let now = clock::now();
    Role {
        id: RoleId::new(),
        organization_id: org,
        name: name.to_string(),
        description: None,
        permissions: codes.iter().map(|c| c.to_string()).collect(),
        is_system: true,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

async fn codes(roles: &SqlRoleRepository, r: &Role) -> Vec<String> {
    roles
        .get(r.organization_id, r.id)
        .await
        .unwrap()
        .permissions
}

/// On its own SQLite file: the test migrates part of the way, which a shared database cannot.
#[tokio::test]
async fn the_new_finance_codes_reach_the_seeded_roles_of_existing_organizations() {
    let (url, dir) = support::temp_sqlite();
    // One connection: the test migrates (`DbSettings::for_migrations`).
    let db = Database::connect(&support::settings(url.clone()).for_migrations())
        .await
        .unwrap();
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name().ends_with("_finance"))
        .expect("the finance migration");
    Migrator::up(&db.conn, Some(u32::try_from(before).unwrap()))
        .await
        .unwrap();
    let test_db = TestDb {
        db,
        dir: Some(dir),
        url,
    };
    let org = support::organization(&test_db).await;
    let roles = SqlRoleRepository::new(test_db.conn());
    let seeded = [
        role(org.id, "finance", &["invoices:read", "expenses:approve"]),
        role(org.id, "manager", &["leads:read", "invoices:read"]),
        role(org.id, "employee", &["users:read:own"]),
        role(org.id, "admin", &[]),
    ];
    let mut custom = role(org.id, "finance-custom", &["invoices:read"]);
    custom.is_system = false;
    let mut tx = SqlTxManager::new(test_db.conn()).begin().await.unwrap();
    for r in seeded.iter().chain([&custom]) {
        roles.create(&mut tx, r).await.unwrap();
    }
    tx.commit().await.unwrap();

    Migrator::up(&test_db.conn(), None).await.unwrap();

    let finance = codes(&roles, &seeded[0]).await;
    for c in [
        "invoices:read",
        "credit_notes:write",
        "reports:read",
        "proposals:write:own",
        "expenses:read:own",
    ] {
        assert!(
            finance.iter().any(|x| x == c),
            "finance lacks {c}: {finance:?}"
        );
    }
    let manager = codes(&roles, &seeded[1]).await;
    for c in [
        "leads:read",
        "credit_notes:read",
        "reports:read",
        "expenses:write:own",
    ] {
        assert!(
            manager.iter().any(|x| x == c),
            "manager lacks {c}: {manager:?}"
        );
    }
    // The reporting line decides a manager's approvals (m20261208_000006): no approval over
    // everyone's expenses.
    for c in ["credit_notes:write", "expenses:approve"] {
        assert!(!manager.iter().any(|x| x == c), "{c}: {manager:?}");
    }
    // Every later release's grants arrive too (the projects release: an employee's own
    // projects and time; the HR release: their balances, enrollments, certifications and
    // interviews, the schedules and holidays), and nothing else.
    let employee = codes(&roles, &seeded[2]).await;
    assert_eq!(
        employee,
        [
            "certifications:read:own",
            "expenses:delete:own",
            "expenses:read:own",
            "expenses:write:own",
            "holidays:read",
            "interviews:read:own",
            "leave_balances:read:own",
            "projects:read:own",
            "time_entries:delete:own",
            "time_entries:read:own",
            "time_entries:write:own",
            "training_enrollments:read:own",
            "users:read:own",
            "work_schedules:read"
        ]
    );
    assert!(
        manager.iter().any(|x| x == "time_entries:delete"),
        "{manager:?}"
    );
    // Admin holds the whole catalogue whatever is stored; a custom role is the admin's to change.
    assert!(codes(&roles, &seeded[3]).await.is_empty());
    assert_eq!(codes(&roles, &custom).await, ["invoices:read"]);
    // Every code granted is one the same role holds in an organization made today.
    for (r, got) in [
        ("finance", &finance),
        ("manager", &manager),
        ("employee", &employee),
    ] {
        let today = system_roles()
            .into_iter()
            .find(|s| s.name == r)
            .unwrap()
            .permissions;
        for c in got.iter() {
            assert!(
                today.contains(c),
                "{r} was granted {c}, which a new {r} lacks"
            );
        }
    }
}
