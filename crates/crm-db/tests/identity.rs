//! The identity adapters against a real database: a fresh SQLite file per test, or the
//! database named by `CRM_DB_TEST_URL` (PostgreSQL, MariaDB) when set.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{TestDb, all_pages, in_tx, query_for, unique};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use crm_db::identity::IdentityParts;
use crm_domain::identity::{
    AccessToken, Clock, HashError, OneTimeCode, PasswordCheck, PasswordHasher, PlainPassword,
    SecretGenerator, SecretHasher, TokenError, TokenIssuer,
};
use crm_domain::identity::{
    CodePurpose, ConsumeOutcome, DEPARTMENT_LIST_SPEC, DESIGNATION_LIST_SPEC, Department,
    DepartmentId, DepartmentRepository, Designation, DesignationId, EmailAddress, FamilyId,
    NewRefreshToken, NewVerificationCode, Organization, OrganizationRepository, PasswordHash,
    PersonName, ROLE_LIST_SPEC, RefreshTokenId, RefreshTokenRepository, Role, RoleId,
    RoleRepository, RotateOutcome, RotatedToken, SecretHash, USER_LIST_SPEC, User, UserRepository,
    UserStatus, VerificationCodeId, VerificationCodeRepository,
};
use crm_domain::kernel::clock;
use crm_domain::kernel::records::Records;
use crm_domain::mail::{MailTemplates, OutgoingMail};
use crm_domain::{Currency, ListQuery, OrganizationId, StoreError, TxManager, UserId};
use std::sync::Arc;
use std::time::Duration as StdDuration;

/// The identity ports these tests exercise, wired by `crm_db::identity::ports` as the server
/// wires them.
struct Env {
    tx: Arc<dyn TxManager>,
    orgs: Arc<dyn OrganizationRepository>,
    users: Arc<dyn UserRepository>,
    roles: Arc<dyn RoleRepository>,
    departments: Arc<dyn Records<Department>>,
    department_tree: Arc<dyn DepartmentRepository>,
    designations: Arc<dyn Records<Designation>>,
    codes: Arc<dyn VerificationCodeRepository>,
    tokens: Arc<dyn RefreshTokenRepository>,
    _db: TestDb,
}

/// The non-database parts, which these tests never reach: inert stand-ins.
struct Inert;

#[async_trait]
impl PasswordHasher for Inert {
    async fn hash(&self, _: &PlainPassword) -> Result<PasswordHash, HashError> {
        Err(HashError::Failed("not wired in these tests".into()))
    }
    async fn verify(
        &self,
        _: &PlainPassword,
        _: &PasswordHash,
    ) -> Result<PasswordCheck, HashError> {
        Err(HashError::Failed("not wired in these tests".into()))
    }
    async fn verify_dummy(&self, _: &PlainPassword) -> Result<(), HashError> {
        Err(HashError::Failed("not wired in these tests".into()))
    }
}

impl SecretHasher for Inert {
    fn hash(&self, secret: &str) -> SecretHash {
        SecretHash::new(secret)
    }
}

impl SecretGenerator for Inert {
    fn six_digit_code(&self) -> OneTimeCode {
        OneTimeCode::parse("000000").unwrap()
    }
    fn refresh_token(&self) -> String {
        "inert".into()
    }
}

impl TokenIssuer for Inert {
    fn issue(&self, _: &User, _: FamilyId, _: DateTime<Utc>) -> Result<AccessToken, TokenError> {
        Err(TokenError("not wired in these tests".into()))
    }
}

impl Clock for Inert {
    fn now(&self) -> DateTime<Utc> {
        clock::now()
    }
}

impl MailTemplates for Inert {
    fn verification_code(&self, to: &str, _: &str, _: &str, _: u32) -> OutgoingMail {
        inert_mail(to)
    }
    fn password_reset_code(&self, to: &str, _: &str, _: &str, _: u32) -> OutgoingMail {
        inert_mail(to)
    }
    fn invitation(&self, to: &str, _: &str, _: &str, _: &str, _: u32) -> OutgoingMail {
        inert_mail(to)
    }
    fn notification(&self, to: &str, _: &str, _: &str, _: &str) -> OutgoingMail {
        inert_mail(to)
    }
    fn invoice(&self, to: &str, _: &str, _: &str, _: &[String]) -> OutgoingMail {
        inert_mail(to)
    }
}

fn inert_mail(to: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.into(),
        subject: String::new(),
        text: String::new(),
        html: None,
        attachments: Vec::new(),
    }
}

async fn env() -> Env {
    let db = support::database().await;
    let p = crm_db::identity::ports(
        &db.db,
        IdentityParts {
            mail: Arc::new(Inert),
            passwords: Arc::new(Inert),
            secrets: Arc::new(Inert),
            generator: Arc::new(Inert),
            tokens: Arc::new(Inert),
            clock: Arc::new(Inert),
        },
    );
    Env {
        tx: p.tx,
        orgs: p.organizations,
        users: p.users,
        roles: p.roles,
        departments: p.departments,
        department_tree: p.department_tree,
        designations: p.designations,
        codes: p.codes,
        tokens: p.refresh_tokens,
        _db: db,
    }
}

async fn org(env: &Env) -> Organization {
    let o = Organization::new(
        unique("Acme"),
        Currency::parse("USD").unwrap(),
        clock::now(),
    );
    in_tx!(env, |tx| env.orgs.create(&mut tx, &o).await).unwrap();
    o
}

fn new_user(org: OrganizationId, email: &str) -> User {
    let now = clock::now();
    User {
        id: UserId::new(),
        organization_id: org,
        name: PersonName::parse("Ann Lee").unwrap(),
        email: EmailAddress::parse(email).unwrap(),
        password_hash: Some(PasswordHash::new("$argon2id$old")),
        status: UserStatus::Active,
        department_id: None,
        designation_id: None,
        tokens_valid_after: None,
        last_login_at: None,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

async fn user(env: &Env, org: OrganizationId) -> User {
    let u = new_user(org, &format!("{}@example.com", unique("ann")));
    in_tx!(env, |tx| env.users.create(&mut tx, &u).await).unwrap();
    u
}

fn touched<T: Clone>(v: &T, f: impl FnOnce(&mut T)) -> T {
    let mut c = v.clone();
    f(&mut c);
    c
}

fn query(params: &[(&str, &str)]) -> ListQuery {
    query_for(&USER_LIST_SPEC, params)
}

#[tokio::test]
async fn organizations_round_trip_with_optimistic_concurrency() {
    let env = env().await;
    let o = org(&env).await;
    assert_eq!(env.orgs.get(o.id).await.unwrap(), o);
    assert_eq!(
        env.orgs.find_by_name(&o.name).await.unwrap().map(|x| x.id),
        Some(o.id)
    );
    assert_eq!(env.orgs.find_by_name("no such org").await.unwrap(), None);
    assert_eq!(
        env.orgs.get(OrganizationId::new()).await,
        Err(StoreError::NotFound)
    );

    let v2 = touched(&o, |x| {
        x.legal_name = Some("Acme Ltd".into());
        x.email = Some(EmailAddress::parse("hq@acme.io").unwrap());
        x.default_currency = Currency::parse("EUR").unwrap();
        x.updated_at = clock::now();
        x.version = 2;
    });
    in_tx!(env, |tx| env.orgs.update(&mut tx, &v2, 1).await).unwrap();
    assert_eq!(env.orgs.get(o.id).await.unwrap(), v2);
    // A second writer that read version 1.
    let r = in_tx!(env, |tx| env.orgs.update(&mut tx, &v2, 1).await);
    assert_eq!(r, Err(StoreError::Stale));
    let gone = Organization::new("Gone".into(), Currency::parse("USD").unwrap(), clock::now());
    let r = in_tx!(env, |tx| env.orgs.update(&mut tx, &gone, 1).await);
    assert_eq!(r, Err(StoreError::NotFound));
}

#[tokio::test]
async fn users_are_tenant_scoped_versioned_and_unique_by_email() {
    let env = env().await;
    let o = org(&env).await;
    let other = org(&env).await;
    let u = user(&env, o.id).await;

    assert_eq!(env.users.get(o.id, u.id).await.unwrap(), u);
    assert_eq!(
        env.users.get(other.id, u.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        env.users
            .find_by_email(&u.email)
            .await
            .unwrap()
            .map(|x| x.id),
        Some(u.id)
    );

    // The address is unique across organizations.
    let dup = new_user(other.id, u.email.as_str());
    let r = in_tx!(env, |tx| env.users.create(&mut tx, &dup).await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");

    let v2 = touched(&u, |x| {
        x.name = PersonName::parse("Ann B. Lee").unwrap();
        x.status = UserStatus::Deactivated;
        x.tokens_valid_after = Some(clock::now());
        x.updated_at = clock::now();
        x.version = 2;
    });
    in_tx!(env, |tx| env.users.update(&mut tx, &v2, 1).await).unwrap();
    assert_eq!(env.users.get(o.id, u.id).await.unwrap(), v2);
    let r = in_tx!(env, |tx| env.users.update(&mut tx, &v2, 1).await);
    assert_eq!(r, Err(StoreError::Stale));
    // Another organization's caller cannot learn the row exists.
    let foreign = touched(&v2, |x| x.organization_id = other.id);
    let r = in_tx!(env, |tx| env.users.update(&mut tx, &foreign, 2).await);
    assert_eq!(r, Err(StoreError::NotFound));

    // Taking someone else's address on update.
    let w = user(&env, o.id).await;
    let steal = touched(&w, |x| {
        x.email = u.email.clone();
        x.version = 2;
    });
    let r = in_tx!(env, |tx| env.users.update(&mut tx, &steal, 1).await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");

    // A rehash is not a change of the resource.
    let h = PasswordHash::new("$argon2id$new");
    in_tx!(env, |tx| env
        .users
        .set_password_hash(&mut tx, o.id, u.id, &h)
        .await)
    .unwrap();
    let after = env.users.get(o.id, u.id).await.unwrap();
    assert_eq!(after.password_hash, Some(h.clone()));
    assert_eq!((after.version, after.updated_at), (2, v2.updated_at));
    let r = in_tx!(env, |tx| env
        .users
        .set_password_hash(&mut tx, other.id, u.id, &h)
        .await);
    assert_eq!(r, Err(StoreError::NotFound));
}

#[tokio::test]
async fn a_sign_in_is_stamped_without_a_new_version_and_survives_edits() {
    let env = env().await;
    let o = org(&env).await;
    let other = org(&env).await;
    let u = user(&env, o.id).await;
    assert_eq!(u.last_login_at, None);

    let at = clock::now();
    in_tx!(env, |tx| env
        .users
        .record_sign_in(&mut tx, o.id, u.id, at)
        .await)
    .unwrap();
    let signed_in = env.users.get(o.id, u.id).await.unwrap();
    assert_eq!(signed_in.last_login_at, Some(at));
    assert_eq!(
        (signed_in.version, signed_in.updated_at),
        (u.version, u.updated_at)
    );

    // Another organization's id finds nothing and changes nothing.
    let later = at + Duration::seconds(5);
    let r = in_tx!(env, |tx| env
        .users
        .record_sign_in(&mut tx, other.id, u.id, later)
        .await);
    assert_eq!(r, Err(StoreError::NotFound));
    assert_eq!(
        env.users.get(o.id, u.id).await.unwrap().last_login_at,
        Some(at)
    );

    // An edit made from a copy loaded before the sign-in keeps the stamp.
    let renamed = touched(&u, |x| {
        x.name = PersonName::parse("Ann Renamed").unwrap();
        x.version = 2;
    });
    in_tx!(env, |tx| env.users.update(&mut tx, &renamed, 1).await).unwrap();
    let after = env.users.get(o.id, u.id).await.unwrap();
    assert_eq!(after.name.as_str(), "Ann Renamed");
    assert_eq!(after.last_login_at, Some(at));
}

#[tokio::test]
async fn user_lists_page_by_keyset_filter_and_search() {
    let env = env().await;
    let o = org(&env).await;
    let noise = org(&env).await;
    user(&env, noise.id).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut u = new_user(o.id, &format!("{}-{i}@example.com", unique("p")));
        u.name = PersonName::parse(&format!("Person {i}")).unwrap();
        if i == 3 {
            u.status = UserStatus::Invited;
            u.name = PersonName::parse("Zoë Needle").unwrap();
        }
        in_tx!(env, |tx| env.users.create(&mut tx, &u).await).unwrap();
        ids.push(u.id);
    }

    let mut seen = Vec::new();
    let mut q = query(&[("limit", "2"), ("sort", "created_at"), ("count", "true")]);
    loop {
        let page = env.users.list(o.id, &q).await.unwrap();
        assert_eq!(page.total, Some(5));
        seen.extend(page.data.iter().map(|u| u.id));
        match page.next_cursor {
            Some(c) => {
                q = query(&[
                    ("limit", "2"),
                    ("sort", "created_at"),
                    ("count", "true"),
                    ("cursor", &c),
                ])
            }
            None => break,
        }
    }
    assert_eq!(seen, ids);

    let by_name = env
        .users
        .list(o.id, &query(&[("sort", "-name"), ("limit", "1")]))
        .await
        .unwrap();
    assert_eq!(by_name.data[0].name.as_str(), "Zoë Needle");
    let next = by_name.next_cursor.unwrap();
    let second = env
        .users
        .list(
            o.id,
            &query(&[("sort", "-name"), ("limit", "1"), ("cursor", &next)]),
        )
        .await
        .unwrap();
    assert_eq!(second.data[0].name.as_str(), "Person 4");

    let invited = env
        .users
        .list(o.id, &query(&[("status", "invited")]))
        .await
        .unwrap();
    assert_eq!(invited.data.len(), 1);
    let found = env
        .users
        .list(o.id, &query(&[("q", "NEEDLE")]))
        .await
        .unwrap();
    assert_eq!(
        found.data.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![ids[3]]
    );
}

fn new_role(org: OrganizationId, name: &str) -> Role {
    let now = clock::now();
    Role {
        id: RoleId::new(),
        organization_id: org,
        name: name.into(),
        description: None,
        permissions: vec!["contacts.read".into(), "users.read".into()],
        is_system: false,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[tokio::test]
async fn roles_names_assignments_and_deletion() {
    let env = env().await;
    let o = org(&env).await;
    let other = org(&env).await;
    let u = user(&env, o.id).await;
    let sales = new_role(o.id, "Sales");
    let admin = new_role(o.id, "Admin");
    for r in [&sales, &admin] {
        in_tx!(env, |tx| env.roles.create(&mut tx, r).await).unwrap();
    }
    // Another organization may use the same name.
    in_tx!(env, |tx| env
        .roles
        .create(&mut tx, &new_role(other.id, "Sales"))
        .await)
    .unwrap();

    assert_eq!(env.roles.get(o.id, sales.id).await.unwrap(), sales);
    assert_eq!(
        env.roles.get(other.id, sales.id).await,
        Err(StoreError::NotFound)
    );
    let r = in_tx!(env, |tx| env
        .roles
        .create(&mut tx, &new_role(o.id, "sALES"))
        .await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    assert_eq!(
        env.roles
            .find_by_name(o.id, "sales")
            .await
            .unwrap()
            .map(|r| r.id),
        Some(sales.id)
    );
    let renamed = touched(&admin, |r| {
        r.name = "SALES".into();
        r.version = 2;
    });
    let r = in_tx!(env, |tx| env.roles.update(&mut tx, &renamed, 1).await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    let v2 = touched(&admin, |r| {
        r.permissions = vec!["users.write".into()];
        r.version = 2;
    });
    in_tx!(env, |tx| env.roles.update(&mut tx, &v2, 1).await).unwrap();
    let r = in_tx!(env, |tx| env.roles.update(&mut tx, &v2, 1).await);
    assert_eq!(r, Err(StoreError::Stale));

    let many = env
        .roles
        .get_many(o.id, &[sales.id, admin.id, RoleId::new()])
        .await
        .unwrap();
    assert_eq!(many.len(), 2);

    in_tx!(env, |tx| env
        .roles
        .set_user_roles(&mut tx, o.id, u.id, &[sales.id, admin.id, sales.id])
        .await)
    .unwrap();
    let names: Vec<String> = env
        .roles
        .roles_of_user(o.id, u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["Admin", "Sales"]);
    // Authentication's one statement: the user and the same roles.
    let caller = env.users.get_with_roles(o.id, u.id, None).await.unwrap();
    assert_eq!(caller.user.id, u.id);
    assert!(
        caller.session_open,
        "a token without a session is not refused here"
    );
    let mut with_names: Vec<String> = caller.roles.into_iter().map(|r| r.name).collect();
    with_names.sort();
    assert_eq!(with_names, ["Admin", "Sales"]);
    assert_eq!(
        env.users
            .get_with_roles(other.id, u.id, None)
            .await
            .map(|_| ()),
        Err(StoreError::NotFound)
    );
    assert!(
        env.roles
            .roles_of_user(other.id, u.id)
            .await
            .unwrap()
            .is_empty()
    );
    in_tx!(env, |tx| env
        .roles
        .set_user_roles(&mut tx, o.id, u.id, &[sales.id])
        .await)
    .unwrap();
    assert_eq!(env.roles.roles_of_user(o.id, u.id).await.unwrap().len(), 1);
    in_tx!(env, |tx| env
        .roles
        .set_user_roles(&mut tx, o.id, u.id, &[])
        .await)
    .unwrap();
    let none = env.users.get_with_roles(o.id, u.id, None).await.unwrap();
    assert!(
        none.roles.is_empty(),
        "a user without roles is found, with none"
    );
    in_tx!(env, |tx| env
        .roles
        .set_user_roles(&mut tx, o.id, u.id, &[sales.id])
        .await)
    .unwrap();
    let r = in_tx!(env, |tx| env
        .roles
        .set_user_roles(&mut tx, other.id, u.id, &[])
        .await);
    assert_eq!(r, Err(StoreError::NotFound));

    let r = in_tx!(env, |tx| env
        .roles
        .delete(&mut tx, other.id, sales.id)
        .await);
    assert_eq!(r, Err(StoreError::NotFound));
    in_tx!(env, |tx| env.roles.delete(&mut tx, o.id, sales.id).await).unwrap();
    assert!(
        env.roles
            .roles_of_user(o.id, u.id)
            .await
            .unwrap()
            .is_empty()
    );
    let r = in_tx!(env, |tx| env.roles.delete(&mut tx, o.id, sales.id).await);
    assert_eq!(r, Err(StoreError::NotFound));
}

fn dept(org: OrganizationId, name: &str, parent: Option<DepartmentId>) -> Department {
    let now = clock::now();
    Department {
        id: DepartmentId::new(),
        organization_id: org,
        name: name.into(),
        code: Some(name.to_uppercase()),
        parent_id: parent,
        head_user_id: None,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[tokio::test]
async fn departments_and_designations() {
    let env = env().await;
    let o = org(&env).await;
    let other = org(&env).await;
    let root = dept(o.id, "co", None);
    let eng = dept(o.id, "eng", Some(root.id));
    let web = dept(o.id, "web", Some(eng.id));
    for d in [&root, &eng, &web] {
        in_tx!(env, |tx| env.departments.create(&mut tx, d).await).unwrap();
    }
    let r = in_tx!(env, |tx| env
        .departments
        .create(&mut tx, &dept(o.id, "eng", None))
        .await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    assert_eq!(env.departments.get(o.id, web.id).await.unwrap(), web);
    assert_eq!(
        env.departments.get(other.id, web.id).await,
        Err(StoreError::NotFound)
    );

    let up = in_tx!(env, |tx| env
        .department_tree
        .ancestor_ids(&mut tx, o.id, web.id)
        .await)
    .unwrap();
    assert_eq!(up, vec![eng.id, root.id]);
    let r = in_tx!(env, |tx| env
        .department_tree
        .ancestor_ids(&mut tx, other.id, web.id)
        .await);
    assert_eq!(r, Err(StoreError::NotFound));

    // Corrupt data that loops ends the walk instead of hanging it.
    let looped = touched(&root, |d| d.parent_id = Some(web.id));
    in_tx!(env, |tx| env.departments.update(&mut tx, &looped, 1).await).unwrap();
    let up = in_tx!(env, |tx| env
        .department_tree
        .ancestor_ids(&mut tx, o.id, web.id)
        .await)
    .unwrap();
    assert!(up.contains(&web.id) && up.len() <= 4, "{up:?}");
    assert_eq!(env.departments.get(o.id, root.id).await.unwrap().version, 2);
    let r = in_tx!(env, |tx| env.departments.update(&mut tx, &looped, 1).await);
    assert_eq!(r, Err(StoreError::Stale));
    in_tx!(env, |tx| env.departments.update(&mut tx, &root, 2).await).unwrap();

    let title = Designation {
        id: DesignationId::new(),
        organization_id: o.id,
        title: "Engineer".into(),
        department_id: Some(web.id),
        level: Some(2),
        legacy_id: None,
        created_at: clock::now(),
        updated_at: clock::now(),
        version: 1,
    };
    in_tx!(env, |tx| env.designations.create(&mut tx, &title).await).unwrap();
    assert_eq!(env.designations.get(o.id, title.id).await.unwrap(), title);
    assert_eq!(
        env.designations.get(other.id, title.id).await,
        Err(StoreError::NotFound)
    );

    // Still referred to: a sub-department, a designation.
    let r = in_tx!(env, |tx| env
        .departments
        .delete(&mut tx, o.id, eng.id)
        .await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    let r = in_tx!(env, |tx| env
        .departments
        .delete(&mut tx, o.id, web.id)
        .await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");

    let mut holder = new_user(o.id, &format!("{}@example.com", unique("h")));
    holder.designation_id = Some(title.id);
    in_tx!(env, |tx| env.users.create(&mut tx, &holder).await).unwrap();
    let r = in_tx!(env, |tx| env
        .designations
        .delete(&mut tx, o.id, title.id)
        .await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    let freed = touched(&holder, |u| {
        u.designation_id = None;
        u.version = 2;
    });
    in_tx!(env, |tx| env.users.update(&mut tx, &freed, 1).await).unwrap();
    let r = in_tx!(env, |tx| env
        .designations
        .delete(&mut tx, other.id, title.id)
        .await);
    assert_eq!(r, Err(StoreError::NotFound));
    in_tx!(env, |tx| env
        .designations
        .delete(&mut tx, o.id, title.id)
        .await)
    .unwrap();
    in_tx!(env, |tx| env
        .departments
        .delete(&mut tx, o.id, web.id)
        .await)
    .unwrap();
    let r = in_tx!(env, |tx| env
        .departments
        .delete(&mut tx, o.id, web.id)
        .await);
    assert_eq!(r, Err(StoreError::NotFound));
}

fn code(
    u: &User,
    purpose: CodePurpose,
    hash: &str,
    expires_at: DateTime<Utc>,
) -> NewVerificationCode {
    NewVerificationCode {
        id: VerificationCodeId::new(),
        organization_id: u.organization_id,
        user_id: u.id,
        email: u.email.clone(),
        purpose,
        code_hash: SecretHash::new(hash),
        created_at: clock::now(),
        expires_at,
        max_attempts: 3,
    }
}

async fn consume(env: &Env, u: &User, purpose: CodePurpose, hash: &str) -> ConsumeOutcome {
    in_tx!(env, |tx| env
        .codes
        .consume(&mut tx, u.id, purpose, &SecretHash::new(hash), clock::now())
        .await)
    .unwrap()
}

#[tokio::test]
async fn codes_are_consumed_once_and_count_wrong_tries() {
    let env = env().await;
    let o = org(&env).await;
    let u = user(&env, o.id).await;
    let p = CodePurpose::EmailVerification;
    let later = clock::now() + Duration::minutes(15);
    let start = clock::now();

    assert_eq!(consume(&env, &u, p, "right").await, ConsumeOutcome::Missing);
    in_tx!(env, |tx| env
        .codes
        .issue(&mut tx, &code(&u, p, "first", later))
        .await)
    .unwrap();
    // A newer code replaces it.
    in_tx!(env, |tx| env
        .codes
        .issue(&mut tx, &code(&u, p, "right", later))
        .await)
    .unwrap();
    assert_eq!(
        consume(&env, &u, p, "first").await,
        ConsumeOutcome::Wrong { attempts_left: 2 }
    );
    // A code only works for its purpose.
    assert_eq!(
        consume(&env, &u, CodePurpose::PasswordReset, "right").await,
        ConsumeOutcome::Missing
    );
    assert_eq!(
        consume(&env, &u, p, "right").await,
        ConsumeOutcome::Consumed
    );
    assert_eq!(consume(&env, &u, p, "right").await, ConsumeOutcome::Missing);

    // Wrong tries run out.
    in_tx!(env, |tx| env
        .codes
        .issue(&mut tx, &code(&u, p, "right2", later))
        .await)
    .unwrap();
    for left in [2, 1, 0] {
        assert_eq!(
            consume(&env, &u, p, "nope").await,
            ConsumeOutcome::Wrong {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        consume(&env, &u, p, "right2").await,
        ConsumeOutcome::Exhausted
    );
    assert_eq!(
        consume(&env, &u, p, "nope").await,
        ConsumeOutcome::Exhausted
    );

    // Expired.
    let past = clock::now() - Duration::seconds(1);
    in_tx!(env, |tx| env
        .codes
        .issue(&mut tx, &code(&u, p, "old", past))
        .await)
    .unwrap();
    assert_eq!(consume(&env, &u, p, "old").await, ConsumeOutcome::Expired);

    // Every issue counts, superseded ones included; other addresses do not.
    assert_eq!(env.codes.issued_since(&u.email, start).await.unwrap(), 4);
    assert_eq!(
        env.codes
            .issued_since(&u.email, clock::now() + Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    let stranger = EmailAddress::parse("nobody@example.com").unwrap();
    assert_eq!(env.codes.issued_since(&stranger, start).await.unwrap(), 0);
}

#[tokio::test]
async fn two_concurrent_submits_of_the_right_code_consume_it_once() {
    let env = env().await;
    let o = org(&env).await;
    let u = user(&env, o.id).await;
    let p = CodePurpose::PasswordReset;
    for _ in 0..5 {
        let c = code(&u, p, "right", clock::now() + Duration::minutes(15));
        in_tx!(env, |tx| env.codes.issue(&mut tx, &c).await).unwrap();
        let (a, b) = tokio::join!(consume(&env, &u, p, "right"), consume(&env, &u, p, "right"));
        let mut outcomes = [a, b];
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(
            outcomes,
            [ConsumeOutcome::Consumed, ConsumeOutcome::Missing],
            "{a:?} {b:?}"
        );
    }
}

fn token(u: &User, hash: &str, expires_at: DateTime<Utc>) -> NewRefreshToken {
    NewRefreshToken {
        id: RefreshTokenId::new(),
        organization_id: u.organization_id,
        user_id: u.id,
        family_id: FamilyId::new(),
        token_hash: SecretHash::new(hash),
        created_at: clock::now(),
        expires_at,
    }
}

async fn rotate(env: &Env, presented: &str, next: &str) -> RotateOutcome {
    let next = RotatedToken {
        id: RefreshTokenId::new(),
        token_hash: SecretHash::new(next),
        created_at: clock::now(),
    };
    in_tx!(env, |tx| env
        .tokens
        .rotate(&mut tx, &SecretHash::new(presented), &next, clock::now())
        .await)
    .unwrap()
}

#[tokio::test]
async fn refresh_tokens_rotate_detect_reuse_and_revoke() {
    let env = env().await;
    let o = org(&env).await;
    let u = user(&env, o.id).await;
    let h = |s: &str| unique(s);
    let (t1, t2, t3) = (h("t1"), h("t2"), h("t3"));
    let first = token(&u, &t1, clock::now() + Duration::days(30));
    in_tx!(env, |tx| env.tokens.create(&mut tx, &first).await).unwrap();

    let rotated = RotateOutcome::Rotated {
        organization_id: o.id,
        user_id: u.id,
        family_id: first.family_id,
    };
    // Authentication sees the session open through each rotation, until it ends.
    let open = |family| {
        let env = &env;
        async move {
            env.users
                .get_with_roles(o.id, u.id, Some(family))
                .await
                .unwrap()
                .session_open
        }
    };
    assert!(open(first.family_id).await);
    assert!(
        !open(FamilyId::new()).await,
        "an unknown session is not open"
    );
    assert_eq!(rotate(&env, &t1, &t2).await, rotated);
    assert!(open(first.family_id).await);
    assert_eq!(
        rotate(&env, &t1, &h("x")).await,
        RotateOutcome::Reused {
            family_id: first.family_id
        }
    );
    assert_eq!(rotate(&env, &t2, &t3).await, rotated);
    assert_eq!(
        rotate(&env, &h("unknown"), &h("x")).await,
        RotateOutcome::Invalid
    );

    // Logout revokes the whole family, from a retired token too.
    let fam = in_tx!(env, |tx| env
        .tokens
        .revoke_by_token(&mut tx, &SecretHash::new(&t1), clock::now())
        .await)
    .unwrap();
    assert_eq!(fam, Some(first.family_id));
    assert!(
        !open(first.family_id).await,
        "a logged-out session is not open"
    );
    assert_eq!(rotate(&env, &t3, &h("x")).await, RotateOutcome::Invalid);
    let none = in_tx!(env, |tx| env
        .tokens
        .revoke_by_token(&mut tx, &SecretHash::new("nope"), clock::now())
        .await)
    .unwrap();
    assert_eq!(none, None);

    // Past the family's absolute lifetime.
    let (e1, e2) = (h("e1"), h("e2"));
    let expired = token(&u, &e1, clock::now() - Duration::seconds(1));
    in_tx!(env, |tx| env.tokens.create(&mut tx, &expired).await).unwrap();
    assert_eq!(rotate(&env, &e1, &e2).await, RotateOutcome::Invalid);

    // Revoking every session but one.
    let (k1, d1, k2, d2) = (h("k1"), h("d1"), h("k2"), h("d2"));
    let keep = token(&u, &k1, clock::now() + Duration::days(1));
    let drop = token(&u, &d1, clock::now() + Duration::days(1));
    for t in [&keep, &drop] {
        in_tx!(env, |tx| env.tokens.create(&mut tx, t).await).unwrap();
    }
    in_tx!(env, |tx| env
        .tokens
        .revoke_all_for_user(&mut tx, o.id, u.id, Some(keep.family_id), clock::now())
        .await)
    .unwrap();
    assert_eq!(rotate(&env, &d1, &d2).await, RotateOutcome::Invalid);
    assert!(!open(drop.family_id).await);
    assert!(open(keep.family_id).await);
    assert!(matches!(
        rotate(&env, &k1, &k2).await,
        RotateOutcome::Rotated { .. }
    ));
    in_tx!(env, |tx| env
        .tokens
        .revoke_family(&mut tx, keep.family_id, clock::now())
        .await)
    .unwrap();
    assert_eq!(rotate(&env, &k2, &h("x")).await, RotateOutcome::Invalid);
}

#[tokio::test]
async fn two_concurrent_rotations_give_one_rotated_and_one_reused() {
    let env = env().await;
    let o = org(&env).await;
    let u = user(&env, o.id).await;
    let t = unique("t");
    let first = token(&u, &t, clock::now() + Duration::days(1));
    in_tx!(env, |tx| env.tokens.create(&mut tx, &first).await).unwrap();
    let (n1, n2) = (unique("n1"), unique("n2"));
    let (a, b) = tokio::join!(rotate(&env, &t, &n1), rotate(&env, &t, &n2));
    let rotated = [a, b]
        .iter()
        .filter(|o| matches!(o, RotateOutcome::Rotated { .. }))
        .count();
    let reused = [a, b]
        .iter()
        .filter(|o| matches!(o, RotateOutcome::Reused { .. }))
        .count();
    assert_eq!((rotated, reused), (1, 1), "{a:?} {b:?}");
}

#[tokio::test]
async fn department_and_designation_lists_sort_by_nullable_columns() {
    let env = env().await;
    let o = org(&env).await;
    let mut depts = Vec::new();
    for (name, code) in [
        ("b", Some("B1")),
        ("a", None),
        ("c", Some("A1")),
        ("d", None),
    ] {
        let mut d = dept(o.id, name, None);
        d.code = code.map(str::to_string);
        in_tx!(env, |tx| env.departments.create(&mut tx, &d).await).unwrap();
        depts.push(d);
    }
    let names = |rows: Vec<Department>| rows.into_iter().map(|d| d.name).collect::<Vec<_>>();
    let by_name = all_pages!(DEPARTMENT_LIST_SPEC, &[("sort", "name")], |q| env
        .departments
        .list(o.id, &q, ()));
    assert_eq!(names(by_name), ["a", "b", "c", "d"]);
    // No code sorts first, ties by id.
    let by_code = all_pages!(DEPARTMENT_LIST_SPEC, &[("sort", "code")], |q| env
        .departments
        .list(o.id, &q, ()));
    assert_eq!(names(by_code), ["a", "d", "c", "b"]);
    let by_code_desc = all_pages!(DEPARTMENT_LIST_SPEC, &[("sort", "-code")], |q| env
        .departments
        .list(o.id, &q, ()));
    assert_eq!(names(by_code_desc), ["b", "c", "d", "a"]);
    let q = query_for(&DEPARTMENT_LIST_SPEC, &[("q", "a1")]);
    assert_eq!(
        names(env.departments.list(o.id, &q, ()).await.unwrap().data),
        ["c"]
    );

    for (title, level) in [("x", Some(3)), ("y", None), ("z", Some(0))] {
        let d = Designation {
            id: DesignationId::new(),
            organization_id: o.id,
            title: title.into(),
            department_id: None,
            level,
            legacy_id: None,
            created_at: clock::now(),
            updated_at: clock::now(),
            version: 1,
        };
        in_tx!(env, |tx| env.designations.create(&mut tx, &d).await).unwrap();
    }
    let titles = |rows: Vec<Designation>| rows.into_iter().map(|d| d.title).collect::<Vec<_>>();
    let by_level = all_pages!(DESIGNATION_LIST_SPEC, &[("sort", "-level")], |q| env
        .designations
        .list(o.id, &q, ()));
    assert_eq!(titles(by_level), ["x", "z", "y"]);
    let by_title = all_pages!(DESIGNATION_LIST_SPEC, &[("sort", "title")], |q| env
        .designations
        .list(o.id, &q, ()));
    assert_eq!(titles(by_title), ["x", "y", "z"]);
    let q = query_for(
        &DESIGNATION_LIST_SPEC,
        &[("level_from", "1"), ("count", "true")],
    );
    assert_eq!(
        env.designations.list(o.id, &q, ()).await.unwrap().total,
        Some(1)
    );

    let roles = ["Zeta", "alpha", "Mid"];
    for r in roles {
        in_tx!(env, |tx| env
            .roles
            .create(&mut tx, &new_role(o.id, r))
            .await)
        .unwrap();
    }
    let listed = all_pages!(ROLE_LIST_SPEC, &[("sort", "-created_at")], |q| env
        .roles
        .list(o.id, &q));
    let listed: Vec<String> = listed.into_iter().map(|r| r.name).collect();
    assert_eq!(listed, ["Mid", "alpha", "Zeta"]);
    let q = query_for(&ROLE_LIST_SPEC, &[("is_system", "false"), ("q", "ALP")]);
    assert_eq!(env.roles.list(o.id, &q).await.unwrap().data.len(), 1);
}

#[tokio::test]
async fn records_read_for_update_are_scoped_to_their_organization() {
    let env = env().await;
    let o = org(&env).await;
    let other = org(&env).await;
    let u = user(&env, o.id).await;
    let r = new_role(o.id, &unique("locked"));
    in_tx!(env, |tx| env.roles.create(&mut tx, &r).await).unwrap();
    in_tx!(env, |tx| env
        .roles
        .set_user_roles(&mut tx, o.id, u.id, &[r.id])
        .await)
    .unwrap();
    let d = dept(o.id, &unique("d"), None);
    in_tx!(env, |tx| env.departments.create(&mut tx, &d).await).unwrap();
    let t = Designation {
        id: DesignationId::new(),
        organization_id: o.id,
        title: "Engineer".into(),
        department_id: None,
        level: None,
        legacy_id: None,
        created_at: clock::now(),
        updated_at: clock::now(),
        version: 1,
    };
    in_tx!(env, |tx| env.designations.create(&mut tx, &t).await).unwrap();

    let mut tx = env.tx.begin().await.unwrap();
    let got = env.orgs.get_for_update(&mut tx, o.id).await.unwrap();
    assert_eq!(got.id, o.id);
    assert_eq!(
        env.users.get_for_update(&mut tx, o.id, u.id).await,
        Ok(u.clone())
    );
    assert_eq!(
        env.roles.get_for_update(&mut tx, o.id, r.id).await,
        Ok(r.clone())
    );
    assert_eq!(
        env.roles.roles_of_user_in_tx(&mut tx, o.id, u.id).await,
        Ok(vec![r.clone()])
    );
    assert_eq!(
        env.departments.get_for_update(&mut tx, o.id, d.id).await,
        Ok(d.clone())
    );
    assert_eq!(
        env.designations.get_for_update(&mut tx, o.id, t.id).await,
        Ok(t.clone())
    );
    // Another organization's records are as missing as missing ones.
    assert_eq!(
        env.users.get_for_update(&mut tx, other.id, u.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        env.roles.get_for_update(&mut tx, other.id, r.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        env.roles.roles_of_user_in_tx(&mut tx, other.id, u.id).await,
        Ok(vec![])
    );
    assert_eq!(
        env.departments
            .get_for_update(&mut tx, other.id, d.id)
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        env.designations
            .get_for_update(&mut tx, other.id, t.id)
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        env.orgs
            .get_for_update(&mut tx, OrganizationId::new())
            .await
            .map(|_| ()),
        Err(StoreError::NotFound)
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_second_writer_of_a_locked_user_waits_and_then_reads_the_first_ones_write() {
    let env = env().await;
    let o = org(&env).await;
    let u = user(&env, o.id).await;
    let mut first = env.tx.begin().await.unwrap();
    let current = env
        .users
        .get_for_update(&mut first, o.id, u.id)
        .await
        .unwrap();
    let second = async {
        let mut tx = env.tx.begin().await.unwrap();
        let seen = env.users.get_for_update(&mut tx, o.id, u.id).await.unwrap();
        tx.commit().await.unwrap();
        seen
    };
    let renamed = touched(&current, |x| {
        x.name = PersonName::parse("Ann B. Lee").unwrap();
        x.version += 1;
    });
    let write_first = async {
        // Long enough for the second writer to reach its lock (or, on SQLite, its BEGIN).
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        env.users
            .update(&mut first, &renamed, current.version)
            .await
            .unwrap();
        first.commit().await.unwrap();
    };
    let (seen, ()) = tokio::join!(second, write_first);
    assert_eq!(seen, renamed, "the waiting writer read the committed write");
}
