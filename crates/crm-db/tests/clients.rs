//! The clients adapters against a real database: a fresh SQLite file per test, or the
//! database named by `CRM_DB_TEST_URL` (PostgreSQL, MariaDB) when set.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{TestDb, all_pages, in_tx, query_for, settings, temp_sqlite};

use chrono::{Duration, TimeZone, Utc};
use crm_db::{
    Database, Migrator, MigratorTrait, SqlActivityRepository, SqlTxManager, SqlUserRepository,
};
use crm_domain::clients::{
    CLIENT_LIST_SPEC, CONTACT_LIST_SPEC, Client, ClientId, ClientKind, ClientRepository, Contact,
    ContactId, ContactRepository, INTERACTION_LIST_SPEC, Interaction, InteractionId,
    InteractionKind, InteractionRepository, Lifecycle,
};
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::clock;
use crm_domain::kernel::records::Records;
use crm_domain::{ListQuery, OrganizationId, StoreError, TxManager, UserId};
use std::sync::Arc;

/// The repositories as the server wires them (`crm_db::clients::ports`).
struct Env {
    tx: SqlTxManager,
    clients: Arc<dyn Records<Client>>,
    client_tree: Arc<dyn ClientRepository>,
    contacts: Arc<dyn Records<Contact>>,
    contact_repo: Arc<dyn ContactRepository>,
    interactions: Arc<dyn Records<Interaction>>,
    last_interactions: Arc<dyn InteractionRepository>,
    db: TestDb,
}

impl Env {
    fn new(db: TestDb) -> Env {
        let c = db.conn();
        let tx = SqlTxManager::new(c.clone());
        let ports = crm_db::clients::ports(
            &c,
            Arc::new(tx.clone()),
            Arc::new(SqlActivityRepository::new(c.clone())),
            Arc::new(SqlUserRepository::new(c.clone())),
        );
        Env {
            tx,
            clients: ports.clients,
            client_tree: ports.client_tree,
            contacts: ports.contacts,
            contact_repo: ports.contact_repo,
            interactions: ports.interactions,
            last_interactions: ports.last_interactions,
            db,
        }
    }
}

async fn env() -> Env {
    Env::new(support::database().await)
}

async fn org(env: &Env) -> OrganizationId {
    support::organization(&env.db).await.id
}

fn new_client(org: OrganizationId, owner: UserId, name: &str) -> Client {
    let now = clock::now();
    Client {
        id: ClientId::new(),
        organization_id: org,
        name: name.into(),
        kind: ClientKind::Company,
        email: None,
        phone: None,
        website: None,
        industry: None,
        parent_id: None,
        owner_id: owner,
        status: "active".into(),
        tags: vec![],
        address: None,
        lifecycle: Lifecycle::Prospect,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

async fn save(env: &Env, c: &Client) {
    in_tx!(env, |tx| env.clients.create(&mut tx, c).await).unwrap();
}

fn new_contact(c: &Client, name: &str, primary: bool) -> Contact {
    let now = clock::now();
    Contact {
        id: ContactId::new(),
        organization_id: c.organization_id,
        client_id: c.id,
        name: name.into(),
        email: None,
        phone: None,
        title: None,
        is_primary: primary,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn new_interaction(c: &Client, kind: InteractionKind, day: u32) -> Interaction {
    let now = clock::now();
    Interaction {
        id: InteractionId::new(),
        organization_id: c.organization_id,
        client_id: c.id,
        kind,
        summary: format!("{kind} on day {day}"),
        occurred_at: Utc.with_ymd_and_hms(2026, 2, day, 9, 30, 0).unwrap(),
        contact_id: None,
        owner_id: c.owner_id,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn query(params: &[(&str, &str)]) -> ListQuery {
    query_for(&CLIENT_LIST_SPEC, params)
}

#[tokio::test]
async fn clients_round_trip_tenant_scoped_with_optimistic_concurrency() {
    let env = env().await;
    let o = org(&env).await;
    let other = org(&env).await;
    let mut c = new_client(o, UserId::new(), "Acme");
    c.kind = ClientKind::Individual;
    c.email = Some(EmailAddress::parse("ann@acme.io").unwrap());
    c.phone = Some("+1 555 0100".into());
    c.website = Some("https://acme.io".into());
    c.industry = Some("Retail".into());
    c.tags = vec!["vip".into(), "north".into()];
    c.address = Some("1 Main St\nSpringfield".into());
    save(&env, &c).await;

    assert_eq!(env.clients.get(o, c.id).await.unwrap(), c);
    assert_eq!(
        env.clients.get(other, c.id).await,
        Err(StoreError::NotFound)
    );
    let locked = in_tx!(env, |tx| env.clients.get_for_update(&mut tx, o, c.id).await).unwrap();
    assert_eq!(locked, c);
    assert_eq!(
        in_tx!(env, |tx| env
            .clients
            .get_for_update(&mut tx, other, c.id)
            .await),
        Err(StoreError::NotFound)
    );

    let mut next = c.clone();
    next.name = "Acme Corp".into();
    next.tags = vec![];
    next.email = None;
    next.version = 2;
    next.updated_at = clock::now();
    in_tx!(env, |tx| env.clients.update(&mut tx, &next, 1).await).unwrap();
    assert_eq!(env.clients.get(o, c.id).await.unwrap(), next);
    // The same expected version again is stale; another organization's row is missing.
    let mut again = next.clone();
    again.version = 3;
    assert_eq!(
        in_tx!(env, |tx| env.clients.update(&mut tx, &again, 1).await),
        Err(StoreError::Stale)
    );
    again.organization_id = other;
    assert_eq!(
        in_tx!(env, |tx| env.clients.update(&mut tx, &again, 2).await),
        Err(StoreError::NotFound)
    );
}

#[tokio::test]
async fn lifecycle_changes_once_and_bumps_the_version() {
    let env = env().await;
    let o = org(&env).await;
    let c = new_client(o, UserId::new(), "Acme");
    save(&env, &c).await;
    for _ in 0..2 {
        in_tx!(env, |tx| env
            .client_tree
            .set_lifecycle(&mut tx, o, c.id, Lifecycle::Customer)
            .await)
        .unwrap();
    }
    let stored = env.clients.get(o, c.id).await.unwrap();
    assert_eq!((stored.lifecycle, stored.version), (Lifecycle::Customer, 2));
    // Another organization, created before the transaction: SQLite transactions begin
    // IMMEDIATE, so a second one begun inside the first would wait for it.
    let stranger = org(&env).await;
    assert_eq!(
        in_tx!(env, |tx| env
            .client_tree
            .set_lifecycle(&mut tx, stranger, c.id, Lifecycle::Prospect)
            .await),
        Err(StoreError::NotFound)
    );
}

#[tokio::test]
async fn client_lists_page_filter_search_and_respect_the_owner() {
    let env = env().await;
    let o = org(&env).await;
    let noise = org(&env).await;
    let (ann, bo) = (UserId::new(), UserId::new());
    save(&env, &new_client(noise, ann, "Needle Noise")).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let owner = if i % 2 == 0 { ann } else { bo };
        let mut c = new_client(o, owner, &format!("Client {i}"));
        match i {
            1 => {
                c.name = "Haystack Needle Ltd".into();
                c.kind = ClientKind::Individual;
            }
            2 => c.email = Some(EmailAddress::parse("needle@x.io").unwrap()),
            3 => c.phone = Some("+44 20 7946 0958".into()),
            4 => {
                c.status = "dormant".into();
                c.industry = Some("Mining".into());
                c.lifecycle = Lifecycle::Customer;
            }
            _ => {}
        }
        save(&env, &c).await;
        ids.push(c.id);
    }

    // Keyset pages visit every row once, in order, and count them.
    let all = all_pages!(CLIENT_LIST_SPEC, &[("sort", "created_at")], |q| env
        .clients
        .list(o, &q, None));
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), ids);
    let newest_first = all_pages!(CLIENT_LIST_SPEC, &[("sort", "-created_at")], |q| env
        .clients
        .list(o, &q, None));
    assert_eq!(
        newest_first.iter().rev().map(|c| c.id).collect::<Vec<_>>(),
        ids
    );
    let counted = env
        .clients
        .list(o, &query(&[("count", "true"), ("limit", "2")]), None)
        .await
        .unwrap();
    assert_eq!((counted.total, counted.data.len()), (Some(6), 2));
    assert!(counted.next_cursor.is_some());

    // `:own` callers see their own clients only.
    let mine = all_pages!(CLIENT_LIST_SPEC, &[("sort", "name")], |q| env.clients.list(
        o,
        &q,
        Some(ann)
    ));
    assert_eq!(
        mine.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[0], ids[2], ids[4]]
    );
    let by_name = all_pages!(CLIENT_LIST_SPEC, &[("sort", "-name")], |q| env
        .clients
        .list(o, &q, None));
    assert_eq!(by_name[0].name, "Haystack Needle Ltd");
    let by_updated = all_pages!(CLIENT_LIST_SPEC, &[("sort", "updated_at")], |q| env
        .clients
        .list(o, &q, None));
    assert_eq!(by_updated.len(), 6);

    // `q` covers name, email and phone, case-insensitively, never another organization.
    let ids_of = |p: crm_domain::Page<Client>| p.data.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let found = env
        .clients
        .list(o, &query(&[("q", "NEEDLE"), ("sort", "created_at")]), None)
        .await
        .unwrap();
    assert_eq!(ids_of(found), vec![ids[1], ids[2]]);
    let by_phone = env
        .clients
        .list(o, &query(&[("q", "7946")]), None)
        .await
        .unwrap();
    assert_eq!(ids_of(by_phone), vec![ids[3]]);
    // LIKE wildcards in `q` are literal.
    let literal = env
        .clients
        .list(o, &query(&[("q", "%")]), None)
        .await
        .unwrap();
    assert!(literal.data.is_empty());

    for (param, value, expected) in [
        ("kind", "individual", vec![ids[1]]),
        ("status", "dormant", vec![ids[4]]),
        ("lifecycle", "customer", vec![ids[4]]),
        ("industry", "Mining", vec![ids[4]]),
    ] {
        let page = env
            .clients
            .list(o, &query(&[(param, value)]), None)
            .await
            .unwrap();
        assert_eq!(ids_of(page), expected, "{param}={value}");
    }
    let bo_s = bo.to_string();
    let owned = env
        .clients
        .list(
            o,
            &query(&[("owner_id", &bo_s), ("sort", "created_at")]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(ids_of(owned), vec![ids[1], ids[3], ids[5]]);
    let from = (clock::now() - Duration::hours(1)).to_rfc3339();
    let recent = env
        .clients
        .list(
            o,
            &query(&[("created_at_from", &from), ("count", "true")]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(recent.total, Some(6));
}

#[tokio::test]
async fn sub_clients_ancestry_and_deletion() {
    let env = env().await;
    let o = org(&env).await;
    let owner = UserId::new();
    let root = new_client(o, owner, "Root");
    let mut emea = new_client(o, owner, "EMEA");
    emea.parent_id = Some(root.id);
    let mut north = new_client(o, UserId::new(), "North");
    north.parent_id = Some(emea.id);
    let mut south = new_client(o, owner, "South");
    south.parent_id = Some(emea.id);
    for c in [&root, &emea, &north, &south] {
        save(&env, c).await;
    }

    let kids = all_pages!(CLIENT_LIST_SPEC, &[("sort", "name")], |q| env
        .client_tree
        .children(o, emea.id, &q, None));
    assert_eq!(
        kids.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![north.id, south.id]
    );
    let own_kids = env
        .client_tree
        .children(o, emea.id, &query(&[]), Some(owner))
        .await
        .unwrap();
    assert_eq!(own_kids.data.len(), 1);
    let parent_s = emea.id.to_string();
    let filtered = env
        .clients
        .list(o, &query(&[("parent_id", &parent_s)]), None)
        .await
        .unwrap();
    assert_eq!(filtered.data.len(), 2);

    let chain = in_tx!(env, |tx| env
        .client_tree
        .ancestor_ids(&mut tx, o, north.id)
        .await)
    .unwrap();
    assert_eq!(chain, vec![emea.id, root.id]);
    // Another organization, created before the transaction: SQLite transactions begin
    // IMMEDIATE, so a second one begun inside the first would wait for it.
    let stranger = org(&env).await;
    assert_eq!(
        in_tx!(env, |tx| env
            .client_tree
            .ancestor_ids(&mut tx, stranger, north.id)
            .await),
        Err(StoreError::NotFound)
    );

    // A client with sub-clients stays; a leaf goes with its contacts and interactions.
    assert!(matches!(
        in_tx!(env, |tx| env.clients.delete(&mut tx, o, emea.id).await),
        Err(StoreError::Conflict { .. })
    ));
    let k = new_contact(&north, "Kim", true);
    in_tx!(env, |tx| env.contacts.create(&mut tx, &k).await).unwrap();
    let i = new_interaction(&north, InteractionKind::Call, 3);
    in_tx!(env, |tx| env.interactions.create(&mut tx, &i).await).unwrap();
    // Made before the transaction below: a second writer inside it would wait for it.
    let stranger = org(&env).await;
    assert_eq!(
        in_tx!(env, |tx| env
            .clients
            .delete(&mut tx, stranger, north.id)
            .await),
        Err(StoreError::NotFound)
    );
    in_tx!(env, |tx| env.clients.delete(&mut tx, o, north.id).await).unwrap();
    assert_eq!(
        env.clients.get(o, north.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(env.contacts.get(o, k.id).await, Err(StoreError::NotFound));
    assert_eq!(
        env.interactions.get(o, i.id).await,
        Err(StoreError::NotFound)
    );
}

#[tokio::test]
async fn contacts_keep_one_primary_and_unlink_interactions_when_deleted() {
    let env = env().await;
    let o = org(&env).await;
    let c = new_client(o, UserId::new(), "Acme");
    let other = new_client(o, UserId::new(), "Other");
    save(&env, &c).await;
    save(&env, &other).await;
    let mut first = new_contact(&c, "First", true);
    first.email = Some(EmailAddress::parse("first@acme.io").unwrap());
    first.title = Some("CFO".into());
    let second = new_contact(&c, "Second", false);
    let elsewhere = new_contact(&other, "Elsewhere", true);
    for k in [&first, &second, &elsewhere] {
        in_tx!(env, |tx| env.contacts.create(&mut tx, k).await).unwrap();
    }
    assert_eq!(env.contacts.get(o, first.id).await.unwrap(), first);
    assert_eq!(
        env.contacts.get(org(&env).await, first.id).await,
        Err(StoreError::NotFound)
    );

    // Promote the second: the first loses the flag (one version later), the other client's
    // primary is untouched.
    let cleared = in_tx!(env, |tx| env
        .contact_repo
        .clear_primary(&mut tx, o, c.id, Some(second.id))
        .await)
    .unwrap();
    assert_eq!(cleared, vec![first.clone()]);
    let first_now = env.contacts.get(o, first.id).await.unwrap();
    assert_eq!((first_now.is_primary, first_now.version), (false, 2));
    assert!(env.contacts.get(o, elsewhere.id).await.unwrap().is_primary);
    let mut promoted = second.clone();
    promoted.is_primary = true;
    promoted.version = 2;
    in_tx!(env, |tx| env.contacts.update(&mut tx, &promoted, 1).await).unwrap();
    assert_eq!(
        in_tx!(env, |tx| env.contacts.update(&mut tx, &promoted, 1).await),
        Err(StoreError::Stale)
    );
    let listed = all_pages!(CONTACT_LIST_SPEC, &[("sort", "created_at")], |q| env
        .contacts
        .list(o, &q, c.id));
    assert_eq!(
        listed
            .iter()
            .map(|k| (k.id, k.is_primary))
            .collect::<Vec<_>>(),
        vec![(first.id, false), (second.id, true)]
    );
    let found = env
        .contacts
        .list(o, &query_for(&CONTACT_LIST_SPEC, &[("q", "FIRST@")]), c.id)
        .await
        .unwrap();
    assert_eq!(found.data.len(), 1);

    let mut with_contact = new_interaction(&c, InteractionKind::Meeting, 4);
    with_contact.contact_id = Some(first.id);
    in_tx!(env, |tx| env
        .interactions
        .create(&mut tx, &with_contact)
        .await)
    .unwrap();
    in_tx!(env, |tx| env.contacts.delete(&mut tx, o, first.id).await).unwrap();
    let unlinked = env.interactions.get(o, with_contact.id).await.unwrap();
    assert_eq!((unlinked.contact_id, unlinked.version), (None, 2));
    assert_eq!(
        in_tx!(env, |tx| env.contacts.delete(&mut tx, o, first.id).await),
        Err(StoreError::NotFound)
    );
}

#[tokio::test]
async fn interactions_list_newest_first_and_give_the_last_date() {
    let env = env().await;
    let o = org(&env).await;
    let c = new_client(o, UserId::new(), "Acme");
    let quiet = new_client(o, UserId::new(), "Quiet");
    save(&env, &c).await;
    save(&env, &quiet).await;
    let mut rows = Vec::new();
    for (kind, day) in [
        (InteractionKind::Call, 5),
        (InteractionKind::Email, 20),
        (InteractionKind::Note, 11),
        (InteractionKind::Call, 2),
    ] {
        let i = new_interaction(&c, kind, day);
        in_tx!(env, |tx| env.interactions.create(&mut tx, &i).await).unwrap();
        rows.push(i);
    }
    assert_eq!(env.interactions.get(o, rows[0].id).await.unwrap(), rows[0]);

    let newest = all_pages!(INTERACTION_LIST_SPEC, &[("sort", "-occurred_at")], |q| env
        .interactions
        .list(o, &q, c.id));
    assert_eq!(
        newest.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[1].id, rows[2].id, rows[0].id, rows[3].id]
    );
    let spec = &INTERACTION_LIST_SPEC;
    let calls = env
        .interactions
        .list(o, &query_for(spec, &[("kind", "call")]), c.id)
        .await
        .unwrap();
    assert_eq!(calls.data.len(), 2);
    let early = env
        .interactions
        .list(
            o,
            &query_for(spec, &[("occurred_at_to", "2026-02-10"), ("count", "true")]),
            c.id,
        )
        .await
        .unwrap();
    assert_eq!(early.total, Some(2));
    assert!(
        env.interactions
            .list(o, &query_for(spec, &[]), quiet.id)
            .await
            .unwrap()
            .data
            .is_empty()
    );

    assert_eq!(
        env.last_interactions
            .last_interaction_at(o, c.id)
            .await
            .unwrap(),
        Some(rows[1].occurred_at)
    );
    assert_eq!(
        env.last_interactions
            .last_interaction_at(o, quiet.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        env.last_interactions
            .last_interaction_at(org(&env).await, c.id)
            .await
            .unwrap(),
        None
    );

    let mut edited = rows[0].clone();
    edited.summary = "Rescheduled".into();
    edited.kind = InteractionKind::Meeting;
    edited.version = 2;
    in_tx!(env, |tx| env.interactions.update(&mut tx, &edited, 1).await).unwrap();
    assert_eq!(env.interactions.get(o, edited.id).await.unwrap(), edited);
    assert_eq!(
        in_tx!(env, |tx| env.interactions.update(&mut tx, &edited, 1).await),
        Err(StoreError::Stale)
    );
    in_tx!(env, |tx| env
        .interactions
        .delete(&mut tx, o, edited.id)
        .await)
    .unwrap();
    assert_eq!(
        env.interactions.get(o, edited.id).await,
        Err(StoreError::NotFound)
    );
}

#[tokio::test]
async fn the_clients_migration_goes_down_and_up_again() {
    if std::env::var("CRM_DB_TEST_URL").is_ok_and(|u| !u.is_empty()) {
        // A shared database is not ours to tear down.
        return;
    }
    let (url, dir) = temp_sqlite();
    // One connection: schema changes made on one pooled SQLite connection are not always
    // seen at once by another, which would make a rerun of `up` trip over its own leftovers.
    let db = Database::connect(&settings(url.clone()).for_migrations())
        .await
        .unwrap();
    Migrator::up(&db.conn, None).await.unwrap();
    let applied = Migrator::get_applied_migrations(&db.conn).await.unwrap();
    let ours = applied
        .iter()
        .position(|m| m.name() == "m20261122_000003_clients")
        .expect("the clients migration is applied");
    // Roll back everything after and including ours, then apply again.
    let steps = u32::try_from(applied.len() - ours).unwrap();
    Migrator::down(&db.conn, Some(steps)).await.unwrap();
    Migrator::up(&db.conn, None).await.unwrap();
    let env = Env::new(TestDb {
        db,
        dir: Some(dir),
        url,
    });
    let o = org(&env).await;
    let c = new_client(o, UserId::new(), "Again");
    save(&env, &c).await;
    assert_eq!(env.clients.get(o, c.id).await.unwrap(), c);
}
