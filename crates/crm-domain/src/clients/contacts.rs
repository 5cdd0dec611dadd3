//! `/clients/{id}/contacts`: the people at a client, at most one of them primary.

use crate::activity::audit;
use crate::clients::ClientPorts;
use crate::clients::clients::ClientId;
use crate::clients::common::{OfClient, client_for, client_record_use_cases, email, of_client};
use crate::clients::requirements::{ClientsRead, ClientsWrite};
use crate::identity::EmailAddress;
use crate::kernel::clock;
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::input::Errors;
use crate::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crate::kernel::records::Record;
use crate::kernel::rules::nullable;
use crate::kernel::scope::{owner_filter, require};
use crate::kernel::text::{optional_text, phone, required_text};
use crate::kernel::uow::Txn;
use crate::kernel::validation::ValueError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// A contact person of a client.
    ContactId
);

// A person at a client. At most one contact per client is primary. (Plain comments: doc
// comments would become the response schema's descriptions.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "name": "Hank Scorpio",
    "email": "hank@globex.example",
    "phone": "+1 555 0143",
    "title": "CEO",
    "is_primary": true,
    "created_at": "2026-02-03T10:25:00.000000Z",
    "updated_at": "2026-02-03T10:25:00.000000Z",
    "version": 1
})))]
pub struct Contact {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: ContactId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub organization_id: OrganizationId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub client_id: ClientId,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    // Job title at the client.
    pub title: Option<String>,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crate::record!(Contact, ContactId, "contact", scope: ClientId);

impl OfClient for Contact {
    fn client_id(&self) -> ClientId {
        self.client_id
    }
}

/// Longest contact name and job title.
pub const CONTACT_NAME_MAX: usize = 200;
pub const CONTACT_TITLE_MAX: usize = 200;

/// `POST /clients/{id}/contacts`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Hank Scorpio",
    "email": "hank@globex.example",
    "phone": "+1 555 0143",
    "title": "CEO",
    "is_primary": true
})))]
pub struct ContactInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<{ CONTACT_NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    /// Job title at the client.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ CONTACT_TITLE_MAX }>))]
    pub title: Option<String>,
    /// Makes this the client's primary contact; the previous primary stops being one.
    #[serde(default)]
    pub is_primary: bool,
}

/// `PATCH /clients/{id}/contacts/{contact_id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Founder and CEO",
    "phone": null
})))]
pub struct ContactPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<{ CONTACT_NAME_MAX }>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ CONTACT_TITLE_MAX }>))]
    pub title: Option<Option<String>>,
    pub is_primary: Option<bool>,
}

const CONTACT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text).sort().nullable(),
    FieldSpec::new("phone", FieldKind::Text).sort().nullable(),
    FieldSpec::new("title", FieldKind::Text).sort().nullable(),
    FieldSpec::new("is_primary", FieldKind::Bool).sort(),
];

/// `GET /clients/{id}/contacts`: oldest first by default, sortable by `created_at`; `q`
/// searches name, email and phone.
pub const CONTACT_LIST_SPEC: ListSpec = ListSpec {
    fields: CONTACT_FIELDS,
    default_sort: "created_at",
    searchable: true,
};

/// Every contact of the organization (`GET /contacts/export`): the per-client list's fields,
/// filters, search and sort, plus a `client_id` filter.
pub const ALL_CONTACTS_LIST_SPEC: ListSpec = ListSpec {
    fields: ALL_CONTACTS_FIELDS,
    default_sort: "created_at",
    searchable: true,
};

const ALL_CONTACTS_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("client_id", FieldKind::Uuid)
        .filter()
        .doc("Only the contacts of this client"),
    CONTACT_FIELDS[0],
    CONTACT_FIELDS[1],
    CONTACT_FIELDS[2],
    CONTACT_FIELDS[3],
    CONTACT_FIELDS[4],
    CONTACT_FIELDS[5],
    CONTACT_FIELDS[6],
];

/// What contacts store besides their `Records<Contact>`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ContactRepository: Send + Sync {
    /// One page of every contact of `org` (keyset, as `Records::list`) under
    /// [`ALL_CONTACTS_LIST_SPEC`]; with `owner`, only the contacts of the clients `owner` owns.
    async fn list_in_org(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Contact>, StoreError>;

    /// Takes the primary flag off every contact of `client` but `except` (each cleared one
    /// rises one version) and answers the contacts it changed, as they were before.
    async fn clear_primary(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        client: ClientId,
        except: Option<ContactId>,
    ) -> Result<Vec<Contact>, StoreError>;
}

/// Contacts of clients. They follow their client: `clients:*` permissions, and under `:own`
/// only the contacts of the caller's clients are visible (`404` otherwise).
#[derive(Clone)]
pub struct ContactService {
    p: ClientPorts,
}

impl ContactService {
    pub fn new(ports: ClientPorts) -> Self {
        Self { p: ports }
    }

    client_record_use_cases!(contacts: Contact, ContactId);

    /// Every contact of the organization the caller may see (`GET /contacts/export`): needs
    /// `clients:read`; under `:own` only the contacts of the caller's clients, as each
    /// client's list shows them.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list_all(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Contact>, DomainError> {
        let owner = owner_filter(actor, require::<ClientsRead>(actor)?);
        let org = actor.organization_id;
        Ok(self.p.contact_repo.list_in_org(org, query, owner).await?)
    }

    /// Needs `clients:write` on the client (`404` before any field is looked at); `422` per
    /// bad field. A primary contact takes the flag from the previous primary in the same
    /// transaction.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %client))]
    pub async fn create(
        &self,
        actor: &Actor,
        client: ClientId,
        input: ContactInput,
    ) -> Result<Contact, DomainError> {
        let contact = self.check_create(actor, client, input).await?;
        let mut tx = self.p.tx.begin().await?;
        self.insert(&mut tx, actor, &contact).await?;
        tx.commit().await?;
        Ok(contact)
    }

    /// The checks of [`Self::create`], without writing: the contact as it would be stored, or
    /// the create's `403`/`404`/`422`. Reads only on the pool (the client).
    pub async fn check_create(
        &self,
        actor: &Actor,
        client: ClientId,
        input: ContactInput,
    ) -> Result<Contact, DomainError> {
        client_for::<ClientsWrite>(&self.p, actor, client).await?;
        let mut errors = Errors::new();
        let now = clock::now();
        let contact = Contact {
            id: ContactId::new(),
            organization_id: actor.organization_id,
            client_id: client,
            name: errors.value("name", required_text(&input.name, "name", CONTACT_NAME_MAX)),
            email: errors.value("email", email(input.email.as_deref())),
            phone: errors.value("phone", phone(input.phone.as_deref())),
            title: errors.value("title", title(input.title.as_deref())),
            is_primary: input.is_primary,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        errors.finish()?;
        Ok(contact)
    }

    /// The write of [`Self::create`] on the caller's transaction: a primary contact locks its
    /// client and takes the flag from the others; then the contact and its audit entry.
    pub async fn insert(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        contact: &Contact,
    ) -> Result<(), DomainError> {
        if contact.is_primary {
            let (org, client) = (actor.organization_id, contact.client_id);
            self.p.clients.get_for_update(tx, org, client).await?;
            self.clear_others(actor, tx, client, None).await?;
        }
        self.crud().insert(tx, actor, contact).await
    }

    /// Needs `clients:write` on the client; `412` on a stale version, `422` per bad field.
    /// `is_primary: true` takes the flag from the previous primary in the same transaction;
    /// `false` leaves the client without a primary contact.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        client: ClientId,
        id: ContactId,
        expected_version: Option<i64>,
        patch: ContactPatch,
    ) -> Result<Contact, DomainError> {
        client_for::<ClientsWrite>(&self.p, actor, client).await?;
        let mut tx = self.p.tx.begin().await?;
        // Making a contact primary locks its client first, as creating a primary contact
        // does: one lock order (client, then contacts), so the two cannot deadlock, and two
        // concurrent promotions take turns.
        if patch.is_primary == Some(true) {
            let org = actor.organization_id;
            self.p.clients.get_for_update(&mut tx, org, client).await?;
        }
        let crud = self.crud();
        let scope = |c| of_client(client, c);
        let current = crud
            .locked(&mut tx, actor, id, expected_version, scope)
            .await?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        let name = |v: &str| required_text(v, "name", CONTACT_NAME_MAX);
        errors.patch("name", &mut next.name, patch.name.as_deref().map(name));
        errors.patch_nullable("email", &mut next.email, patch.email, email);
        errors.patch_nullable("phone", &mut next.phone, patch.phone, phone);
        errors.patch_nullable("title", &mut next.title, patch.title, title);
        next.is_primary = patch.is_primary.unwrap_or(next.is_primary);
        errors.finish()?;
        if next.is_primary && !current.is_primary {
            self.clear_others(actor, &mut tx, client, Some(id)).await?;
        }
        crud.save(actor, tx, current, next, clock::now()).await
    }

    /// Clears the primary flag of every contact of `client` but `except`, inside `tx` (whose
    /// caller has locked the client row); each cleared contact gets its own audit entry.
    async fn clear_others(
        &self,
        actor: &Actor,
        tx: &mut Txn,
        client: ClientId,
        except: Option<ContactId>,
    ) -> Result<(), DomainError> {
        let org = actor.organization_id;
        for before in self
            .p
            .contact_repo
            .clear_primary(tx, org, client, except)
            .await?
        {
            let mut after = before.clone().touched(clock::now());
            after.is_primary = false;
            let entry = audit::updated(actor, &before, &after);
            self.p.activities.record(tx, entry).await?;
        }
        Ok(())
    }
}

fn title(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "title", CONTACT_TITLE_MAX, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::test_support::*;
    use crate::kernel::ids::UserId;
    use crate::kernel::pagination::ListQuery;
    use std::sync::{Arc, Mutex};

    fn svc(env: Env) -> (ContactService, Probe) {
        let (ports, probe) = env.build();
        (ContactService::new(ports), probe)
    }

    fn input(name: &str, primary: bool) -> ContactInput {
        ContactInput {
            name: name.into(),
            email: None,
            phone: None,
            title: None,
            is_primary: primary,
        }
    }

    #[tokio::test]
    async fn a_new_primary_contact_takes_the_flag_in_the_same_transaction() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let old = contact(&c, "Old", true);
        let (client_id, old_id) = (c.id, old.id);
        let calls = Arc::new(Mutex::new(Vec::<&str>::new()));
        let mut env = Env::new().with_clients(vec![c.clone()]);
        let log = calls.clone();
        env.clients
            .expect_get_for_update()
            .withf(move |_, o, id| *o == org && *id == client_id)
            .times(1)
            .returning(move |_, _, _| {
                log.lock().unwrap().push("lock");
                Ok(c.clone())
            });
        let log = calls.clone();
        env.contact_repo
            .expect_clear_primary()
            .withf(move |_, o, cl, except| *o == org && *cl == client_id && except.is_none())
            .times(1)
            .returning(move |_, _, _, _| {
                log.lock().unwrap().push("clear");
                Ok(vec![old.clone()])
            });
        let log = calls.clone();
        env.contacts
            .expect_create()
            .withf(|_, k| k.is_primary && k.name == "New")
            .times(1)
            .returning(move |_, _| {
                log.lock().unwrap().push("create");
                Ok(())
            });
        let (svc, probe) = svc(env);
        let k = svc.create(&a, client_id, input("New", true)).await.unwrap();
        assert!(k.is_primary);
        assert_eq!(*calls.lock().unwrap(), ["lock", "clear", "create"]);
        assert_eq!(probe.begins(), 1);
        assert!(probe.committed());
        // The old primary's change is audited too.
        let audit = probe.audit();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].entity_id, old_id.0);
        assert_eq!(audit[0].changes[0].field, "is_primary");
        assert_eq!(
            (audit[1].entity_type, audit[1].action),
            ("contact", "created")
        );
    }

    #[tokio::test]
    async fn a_plain_contact_leaves_the_primary_alone() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let client_id = c.id;
        let mut env = Env::new().with_clients(vec![c]);
        env.contacts
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        assert!(
            !svc.create(&a, client_id, input("Plain", false))
                .await
                .unwrap()
                .is_primary
        );
        assert_eq!(probe.audit().len(), 1);
    }

    #[tokio::test]
    async fn promoting_a_contact_clears_the_others_but_itself() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let k = contact(&c, "Kim", false);
        let (client_id, kim) = (c.id, k.id);
        let mut env = Env::new().with_clients(vec![c.clone()]);
        env.contacts
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(k.clone()));
        env.clients
            .expect_get_for_update()
            .times(1)
            .returning(move |_, _, _| Ok(c.clone()));
        env.contact_repo
            .expect_clear_primary()
            .withf(move |_, _, _, except| *except == Some(kim))
            .times(1)
            .returning(|_, _, _, _| Ok(vec![]));
        env.contacts
            .expect_update()
            .withf(|_, k, v| k.is_primary && k.version == 2 && *v == 1)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let patch = ContactPatch {
            is_primary: Some(true),
            ..Default::default()
        };
        let k = svc
            .update(&a, client_id, kim, Some(1), patch)
            .await
            .unwrap();
        assert!(k.is_primary);
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn contacts_follow_the_visibility_of_their_client() {
        let org = OrganizationId::new();
        let me = actor(org, OWN);
        let theirs = client(org, UserId::new(), None);
        let other = client(org, me.user_id, None);
        let k = contact(&theirs, "Kim", false);
        let (theirs_id, other_id, kim) = (theirs.id, other.id, k.id);
        let mut env = Env::new().with_clients(vec![theirs, other]);
        env.contacts
            .expect_get()
            .returning(move |_, _| Ok(k.clone()));
        let (svc, probe) = svc(env);
        let q = ListQuery::parse(&CONTACT_LIST_SPEC, &[]).unwrap();
        assert_eq!(
            svc.list(&me, theirs_id, &q).await.map(|_| ()),
            Err(DomainError::NotFound)
        );
        assert_eq!(
            svc.get(&me, theirs_id, kim).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            svc.create(&me, theirs_id, input("X", false)).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            svc.delete(&me, theirs_id, kim).await,
            Err(DomainError::NotFound)
        );
        // A contact reached through another client than its own is not found either.
        assert_eq!(
            svc.get(&me, other_id, kim).await,
            Err(DomainError::NotFound)
        );
        // Reading is not writing.
        let reader = actor(org, &["clients:read"]);
        assert!(matches!(
            svc.create(&reader, theirs_id, input("X", false)).await,
            Err(DomainError::Forbidden { .. })
        ));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn every_contact_of_the_organization_follows_client_visibility() {
        let org = OrganizationId::new();
        let q = ListQuery::parse(
            &ALL_CONTACTS_LIST_SPEC,
            &[("client_id".into(), uuid::Uuid::nil().to_string())],
        )
        .unwrap();
        for (perms, own) in [(ALL, false), (OWN, true)] {
            let a = actor(org, perms);
            let me = a.user_id;
            let mut env = Env::new();
            env.contact_repo
                .expect_list_in_org()
                .withf(move |o, q, owner| {
                    *o == org && q.filters.len() == 1 && *owner == own.then_some(me)
                })
                .times(1)
                .returning(|_, _, _| {
                    Ok(Page {
                        data: vec![],
                        next_cursor: None,
                        total: None,
                    })
                });
            let (svc, _) = svc(env);
            assert!(svc.list_all(&a, &q).await.unwrap().data.is_empty());
        }
        let (svc, _) = svc(Env::new());
        assert!(matches!(
            svc.list_all(&actor(org, &[]), &q).await,
            Err(DomainError::Forbidden { .. })
        ));
    }

    #[tokio::test]
    async fn contact_updates_check_version_and_fields() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let mut k = contact(&c, "Kim", false);
        k.version = 2;
        let (client_id, kim) = (c.id, k.id);
        let mut env = Env::new().with_clients(vec![c]);
        env.contacts
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(k.clone()));
        env.contacts
            .expect_update()
            .returning(|_, _, _| Err(StoreError::Stale));
        let (svc, probe) = svc(env);
        let rename = ContactPatch {
            name: Some("Kimberly".into()),
            ..Default::default()
        };
        assert_eq!(
            svc.update(&a, client_id, kim, Some(1), rename.clone())
                .await,
            Err(DomainError::Stale)
        );
        // Refused after the contact was read inside the transaction: nothing committed.
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
        assert_eq!(
            svc.update(&a, client_id, kim, None, rename).await,
            Err(DomainError::Stale),
            "a concurrent writer makes the conditional update stale"
        );
        let bad = ContactPatch {
            name: Some("".into()),
            email: Some(Some("x".into())),
            ..Default::default()
        };
        let DomainError::Invalid(errors) =
            svc.update(&a, client_id, kim, None, bad).await.unwrap_err()
        else {
            panic!("expected 422")
        };
        assert_eq!(errors.len(), 2);
        assert!(!probe.committed());
    }
}
