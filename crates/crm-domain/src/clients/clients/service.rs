//! `/clients` and `/clients/{id}/sub-clients`: a tree of clients without cycles.

use super::model::{
    CLIENT_ADDRESS_MAX, CLIENT_INDUSTRY_MAX, CLIENT_NAME_MAX, CLIENT_STATUS_MAX, Client, ClientId,
    ClientInput, ClientPatch, Lifecycle,
};
use crate::activity::audit;
use crate::clients::ClientPorts;
use crate::clients::common::{email, tags};
use crate::clients::requirements::{ClientsDelete, ClientsRead, ClientsWrite};
use crate::kernel::clock;
use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::UserId;
use crate::kernel::input::{Errors, not_found};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::rules::check_version;
use crate::kernel::scope::{in_scope, owner_filter, require, within};
use crate::kernel::text::{optional_text, phone, required_text, website};
use crate::kernel::uow::Txn;
use crate::kernel::validation::FieldError;

fn cycle() -> FieldError {
    FieldError::new(
        "parent_id",
        "cycle",
        "a client cannot be placed under itself or one of its sub-clients",
    )
}

fn owner_not_reassignable() -> FieldError {
    FieldError::new(
        "owner_id",
        "not_allowed",
        "assigning a client to another owner needs the clients:write permission",
    )
}

fn in_use(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict { .. } => DomainError::conflict(
            "client-in-use",
            "the client still has sub-clients or other records that refer to it",
        ),
        other => other.into(),
    }
}

/// Clients: CRUD, sub-clients, ownership.
#[derive(Clone)]
pub struct ClientService {
    p: ClientPorts,
}

impl ClientService {
    pub fn new(ports: ClientPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `clients:read` (or `clients:read:own`, which lists only the caller's clients).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Client>, DomainError> {
        let owner = owner_filter(actor, require::<ClientsRead>(actor)?);
        Ok(self
            .p
            .clients
            .list(actor.organization_id, query, owner)
            .await?)
    }

    /// Needs `clients:read`; `404` when missing, of another organization, or (under `:own`)
    /// owned by someone else.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: ClientId) -> Result<Client, DomainError> {
        let scope = require::<ClientsRead>(actor)?;
        in_scope(
            actor,
            scope,
            self.p.clients.get(actor.organization_id, id).await?,
        )
    }

    /// The direct children of client `id`, under the same rules as [`Self::list`]; `404`
    /// when `id` itself is not visible.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn sub_clients(
        &self,
        actor: &Actor,
        id: ClientId,
        query: &ListQuery,
    ) -> Result<Page<Client>, DomainError> {
        let scope = require::<ClientsRead>(actor)?;
        let org = actor.organization_id;
        in_scope(actor, scope, self.p.clients.get(org, id).await?)?;
        let owner = owner_filter(actor, scope);
        Ok(self.p.client_tree.children(org, id, query, owner).await?)
    }

    /// Needs `clients:write`. `422` per bad field: a `parent_id` that is not a visible client
    /// of the organization, or an `owner_id` that is not one of its users, is `not_found`; an
    /// `owner_id` other than the caller under `clients:write:own` is `not_allowed`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: ClientInput) -> Result<Client, DomainError> {
        let client = self.check_create(actor, input).await?;
        let mut tx = self.p.tx.begin().await?;
        self.insert(&mut tx, actor, &client).await?;
        tx.commit().await?;
        Ok(client)
    }

    /// The checks of [`Self::create`], without writing: the client as it would be stored, or
    /// the create's `403`/`422`. Reads only on the pool (the owner and the parent).
    pub async fn check_create(
        &self,
        actor: &Actor,
        input: ClientInput,
    ) -> Result<Client, DomainError> {
        let scope = require::<ClientsWrite>(actor)?;
        let mut errors = Errors::new();
        let now = clock::now();
        let status = input.status.as_deref().map_or_else(
            || Ok(Client::DEFAULT_STATUS.to_string()),
            |s| required_text(s, "status", CLIENT_STATUS_MAX),
        );
        let client = Client {
            id: ClientId::new(),
            organization_id: actor.organization_id,
            name: errors.value("name", required_text(&input.name, "name", CLIENT_NAME_MAX)),
            kind: input.kind.unwrap_or_default(),
            email: errors.value("email", email(input.email.as_deref())),
            phone: errors.value("phone", phone(input.phone.as_deref())),
            website: errors.value("website", website(input.website.as_deref())),
            industry: errors.value("industry", industry(input.industry.as_deref())),
            parent_id: input.parent_id,
            owner_id: input.owner_id.unwrap_or(actor.user_id),
            status: errors.value("status", status),
            tags: errors.value("tags", tags(&input.tags)),
            address: errors.value("address", address(input.address.as_deref())),
            lifecycle: Lifecycle::Prospect,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.check_owner(actor, scope, client.owner_id, &mut errors)
            .await?;
        if let Some(parent) = client.parent_id {
            self.check_parent(actor, parent, &mut errors).await?;
        }
        errors.finish()?;
        Ok(client)
    }

    /// The write of [`Self::create`]: the client and its audit entry on the caller's
    /// transaction, which the caller commits.
    pub async fn insert(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        client: &Client,
    ) -> Result<(), DomainError> {
        self.p.clients.create(tx, client).await?;
        let entry = audit::created(actor, client);
        self.p.activities.record(tx, entry).await?;
        Ok(())
    }

    /// Needs `clients:write` (`:own`: only the caller's clients, `404` for others).
    /// `412` when `expected_version` is stale; `422` per bad field, including a move under the
    /// client itself or one of its descendants (`parent_id`, code `cycle`, checked against
    /// the ancestry read inside the write's transaction) and an owner change without the
    /// all-records permission (`owner_id`, code `not_allowed`). A patch that changes nothing
    /// answers the client as it is, without a new version.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: ClientId,
        expected_version: Option<i64>,
        patch: ClientPatch,
    ) -> Result<Client, DomainError> {
        let scope = require::<ClientsWrite>(actor)?;
        let org = actor.organization_id;
        // What the patch names (an owner, a parent) is looked up before the transaction, on
        // the pool: a read waiting for a second connection while holding the transaction's
        // could exhaust the pool. Its errors count only if the value is a change, which the
        // locked record tells.
        let mut owner_errors = Errors::new();
        if let Some(owner) = patch.owner_id {
            self.check_owner(actor, scope, owner, &mut owner_errors)
                .await?;
        }
        let mut parent_errors = Errors::new();
        if let Some(Some(p)) = patch.parent_id
            && p != id
        {
            self.check_parent(actor, p, &mut parent_errors).await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.clients.get_for_update(&mut tx, org, id).await?;
        let current = in_scope(actor, scope, current)?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        let p = &patch;
        let name = p
            .name
            .as_deref()
            .map(|v| required_text(v, "name", CLIENT_NAME_MAX));
        errors.patch("name", &mut next.name, name);
        next.kind = p.kind.unwrap_or(next.kind);
        errors.patch(
            "email",
            &mut next.email,
            p.email.as_ref().map(|v| email(v.as_deref())),
        );
        errors.patch(
            "phone",
            &mut next.phone,
            p.phone.as_ref().map(|v| phone(v.as_deref())),
        );
        let web = p.website.as_ref().map(|v| website(v.as_deref()));
        errors.patch("website", &mut next.website, web);
        let ind = p.industry.as_ref().map(|v| industry(v.as_deref()));
        errors.patch("industry", &mut next.industry, ind);
        let status = p
            .status
            .as_deref()
            .map(|v| required_text(v, "status", CLIENT_STATUS_MAX));
        errors.patch("status", &mut next.status, status);
        errors.patch("tags", &mut next.tags, p.tags.as_deref().map(tags));
        let addr = p.address.as_ref().map(|v| address(v.as_deref()));
        errors.patch("address", &mut next.address, addr);
        if let Some(owner) = p.owner_id
            && owner != current.owner_id
        {
            next.owner_id = owner;
            errors.extend(owner_errors);
        }
        if let Some(parent) = p.parent_id {
            next.parent_id = parent;
            match parent {
                Some(p) if p == id => errors.push(cycle()),
                Some(p) if Some(p) != current.parent_id => errors.extend(parent_errors),
                _ => {}
            }
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        // The chain above the new parent is read (and locked) inside this transaction, so
        // it is the committed tree, and a concurrent move cannot close a loop with this one.
        if let Some(parent) = next.parent_id.filter(|p| Some(*p) != current.parent_id) {
            let mut errors = Errors::new();
            let ancestors = self.p.client_tree.ancestor_ids(&mut tx, org, parent).await;
            if let Some(chain) = errors.reference("parent_id", "client", ancestors)?
                && chain.contains(&id)
            {
                errors.push(cycle());
            }
            errors.finish()?;
        }
        let next = Client {
            updated_at: clock::now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .clients
            .update(&mut tx, &next, current.version)
            .await?;
        let entry = audit::updated(actor, &current, &next);
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `clients:delete` (`:own`: only the caller's clients). Contacts and interactions
    /// go with the client. `409 client-in-use` while sub-clients or other records (deals,
    /// quotations, …) refer to it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: ClientId) -> Result<(), DomainError> {
        let scope = require::<ClientsDelete>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.clients.get_for_update(&mut tx, org, id).await?;
        let current = in_scope(actor, scope, current)?;
        self.p
            .clients
            .delete(&mut tx, org, id)
            .await
            .map_err(in_use)?;
        let entry = audit::deleted(actor, &current);
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records on `owner_id` unless `owner` may own a client created or changed by `actor`:
    /// the caller itself always; another user of the organization only under `clients:write`.
    async fn check_owner(
        &self,
        actor: &Actor,
        scope: Scope,
        owner: UserId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if owner == actor.user_id {
            return Ok(());
        }
        if scope != Scope::All {
            errors.push(owner_not_reassignable());
            return Ok(());
        }
        let user = self.p.users.get(actor.organization_id, owner).await;
        errors.reference("owner_id", "user", user)?;
        Ok(())
    }

    /// Records `not_found` on `parent_id` unless `parent` is a client of the organization
    /// that the caller may read.
    async fn check_parent(
        &self,
        actor: &Actor,
        parent: ClientId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let found = self.p.clients.get(actor.organization_id, parent).await;
        if let Some(c) = errors.reference("parent_id", "client", found)? {
            let readable =
                require::<ClientsRead>(actor).is_ok_and(|s| within(actor, s, c.owner_id));
            if !readable {
                errors.push(not_found("parent_id", "client"));
            }
        }
        Ok(())
    }
}

fn industry(raw: Option<&str>) -> Result<Option<String>, crate::kernel::validation::ValueError> {
    optional_text(raw, "industry", CLIENT_INDUSTRY_MAX, false)
}

fn address(raw: Option<&str>) -> Result<Option<String>, crate::kernel::validation::ValueError> {
    optional_text(raw, "address", CLIENT_ADDRESS_MAX, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::test_support::*;
    use crate::clients::*;
    use crate::identity::{EmailAddress, PersonName, User, UserStatus};
    use crate::kernel::ids::OrganizationId;

    fn svc(env: Env) -> (ClientService, Probe) {
        let (ports, probe) = env.build();
        (ClientService::new(ports), probe)
    }

    fn input(name: &str) -> ClientInput {
        ClientInput {
            name: name.into(),
            kind: None,
            email: None,
            phone: None,
            website: None,
            industry: None,
            parent_id: None,
            owner_id: None,
            status: None,
            tags: vec![],
            address: None,
        }
    }

    fn member(org: OrganizationId) -> User {
        User {
            id: UserId::new(),
            organization_id: org,
            name: PersonName::parse("Bo").unwrap(),
            email: EmailAddress::parse("bo@x.io").unwrap(),
            password_hash: None,
            status: UserStatus::Active,
            department_id: None,
            designation_id: None,
            tokens_valid_after: None,
            last_login_at: None,
            legacy_id: None,
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    fn fields(e: DomainError) -> Vec<(String, String)> {
        match e {
            DomainError::Invalid(errors) => errors.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn every_route_needs_its_permission() {
        let org = OrganizationId::new();
        let (svc, probe) = svc(Env::new());
        let nobody = actor(org, &["leads:read"]);
        let reader = actor(org, &["clients:read"]);
        let q = ListQuery::parse(&CLIENT_LIST_SPEC, &[]).unwrap();
        let id = ClientId::new();
        let forbidden = |r: Result<_, DomainError>| matches!(r, Err(DomainError::Forbidden { .. }));
        assert!(forbidden(svc.list(&nobody, &q).await.map(|_| ())));
        assert!(forbidden(svc.get(&nobody, id).await.map(|_| ())));
        assert!(forbidden(
            svc.sub_clients(&nobody, id, &q).await.map(|_| ())
        ));
        assert!(forbidden(svc.create(&reader, input("A")).await.map(|_| ())));
        assert!(forbidden(
            svc.update(&reader, id, None, ClientPatch::default())
                .await
                .map(|_| ())
        ));
        assert!(forbidden(svc.delete(&reader, id).await));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn own_scope_lists_only_own_clients_and_hides_the_others() {
        let org = OrganizationId::new();
        let me = actor(org, OWN);
        let mine = client(org, me.user_id, None);
        let theirs = client(org, UserId::new(), None);
        let (mine_id, theirs_id, my_id) = (mine.id, theirs.id, me.user_id);
        let mut env = Env::new().with_locked_clients(vec![mine, theirs]);
        env.clients
            .expect_list()
            .withf(move |o, _, owner| *o == org && *owner == Some(my_id))
            .times(1)
            .returning(|_, _, _| {
                Ok(Page {
                    data: vec![],
                    next_cursor: None,
                    total: None,
                })
            });
        let (svc, probe) = svc(env);
        let q = ListQuery::parse(&CLIENT_LIST_SPEC, &[]).unwrap();
        svc.list(&me, &q).await.unwrap();
        assert_eq!(svc.get(&me, mine_id).await.unwrap().id, mine_id);
        assert_eq!(svc.get(&me, theirs_id).await, Err(DomainError::NotFound));
        let patch = ClientPatch {
            name: Some("Mine now".into()),
            ..Default::default()
        };
        assert_eq!(
            svc.update(&me, theirs_id, None, patch).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(svc.delete(&me, theirs_id).await, Err(DomainError::NotFound));
        assert_eq!(
            svc.sub_clients(&me, theirs_id, &q).await.map(|_| ()),
            Err(DomainError::NotFound)
        );
        // Another organization's client is as missing as a missing one.
        let stranger = actor(OrganizationId::new(), ALL);
        assert_eq!(
            svc.get(&stranger, mine_id).await,
            Err(DomainError::NotFound)
        );
        // The refused writes read the client inside their transaction: nothing committed.
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn all_scope_lists_without_owner_restriction() {
        let org = OrganizationId::new();
        let mut env = Env::new();
        env.clients
            .expect_list()
            .withf(|_, _, owner| owner.is_none())
            .times(1)
            .returning(|_, _, _| {
                Ok(Page {
                    data: vec![],
                    next_cursor: None,
                    total: None,
                })
            });
        let (svc, _) = svc(env);
        let q = ListQuery::parse(&CLIENT_LIST_SPEC, &[]).unwrap();
        svc.list(&actor(org, ALL), &q).await.unwrap();
    }

    #[tokio::test]
    async fn create_validates_every_field_at_once() {
        let org = OrganizationId::new();
        let mut env = Env::new().with_locked_clients(vec![]);
        env.users
            .expect_get()
            .returning(|_, _| Err(StoreError::NotFound));
        let (svc, probe) = svc(env);
        let bad = ClientInput {
            name: " ".into(),
            email: Some("nope".into()),
            website: Some("acme".into()),
            parent_id: Some(ClientId::new()),
            owner_id: Some(UserId::new()),
            tags: vec!["".into()],
            ..input("x")
        };
        let got = fields(svc.create(&actor(org, ALL), bad).await.unwrap_err());
        let names: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            ["name", "email", "website", "tags", "owner_id", "parent_id"]
        );
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn create_defaults_and_audits_in_one_transaction() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let me = a.user_id;
        let mut env = Env::new();
        env.clients
            .expect_create()
            .withf(move |_, c| {
                c.owner_id == me
                    && c.status == "active"
                    && c.kind == ClientKind::Company
                    && c.lifecycle == Lifecycle::Prospect
                    && c.version == 1
                    && c.tags == ["vip"]
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        let c = svc
            .create(
                &a,
                ClientInput {
                    email: Some("Sales@Acme.io".into()),
                    tags: vec!["vip".into(), " vip".into()],
                    ..input(" Acme ")
                },
            )
            .await
            .unwrap();
        assert_eq!(c.name, "Acme");
        assert_eq!(c.email.unwrap().as_str(), "sales@acme.io");
        assert!(probe.committed());
        let audit = probe.audit();
        assert_eq!(audit.len(), 1);
        assert_eq!(
            (audit[0].entity_type, audit[0].action, audit[0].entity_id),
            ("client", "created", c.id.0)
        );
        assert!(audit[0].changes.iter().any(|ch| ch.field == "name"));
    }

    #[tokio::test]
    async fn owner_is_assignable_only_with_the_all_records_permission() {
        let org = OrganizationId::new();
        let colleague = member(org);
        let colleague_id = colleague.id;
        let own = actor(org, OWN);
        let mine = client(org, own.user_id, None);
        let mine_id = mine.id;
        let mut env = Env::new().with_locked_clients(vec![mine]);
        env.users
            .expect_get()
            .returning(move |_, _| Ok(colleague.clone()));
        env.clients
            .expect_update()
            .withf(move |_, c, v| c.owner_id == colleague_id && c.version == 2 && *v == 1)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        // `:own` caller: neither on create nor on update.
        let create = ClientInput {
            owner_id: Some(colleague_id),
            ..input("A")
        };
        assert_eq!(
            fields(svc.create(&own, create).await.unwrap_err()),
            [("owner_id".to_string(), "not_allowed".to_string())]
        );
        let reassign = ClientPatch {
            owner_id: Some(colleague_id),
            ..Default::default()
        };
        assert_eq!(
            fields(
                svc.update(&own, mine_id, None, reassign.clone())
                    .await
                    .unwrap_err()
            ),
            [("owner_id".to_string(), "not_allowed".to_string())]
        );
        // Naming oneself is not a reassignment.
        let same = ClientPatch {
            owner_id: Some(own.user_id),
            ..Default::default()
        };
        svc.update(&own, mine_id, None, same).await.unwrap();
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
        // The all-records permission may reassign to a user of the organization.
        let manager = actor(org, ALL);
        let c = svc
            .update(&manager, mine_id, Some(1), reassign)
            .await
            .unwrap();
        assert_eq!(c.owner_id, colleague_id);
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].changes[0].field, "owner_id");
    }

    #[tokio::test]
    async fn moving_a_client_under_its_own_descendant_is_refused() {
        // acme → emea → emea_north; moving acme under emea_north would close a loop.
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let acme = client(org, a.user_id, None);
        let emea = client(org, a.user_id, Some(acme.id));
        let north = client(org, a.user_id, Some(emea.id));
        let (acme_id, emea_id, north_id) = (acme.id, emea.id, north.id);
        let mut env = Env::new().with_locked_clients(vec![acme, emea, north]);
        env.client_tree
            .expect_ancestor_ids()
            .withf(move |_, o, id| *o == org && *id == north_id)
            .returning(move |_, _, _| Ok(vec![emea_id, acme_id]));
        let (svc, probe) = svc(env);
        let under = |p| ClientPatch {
            parent_id: Some(Some(p)),
            ..Default::default()
        };
        assert_eq!(
            fields(
                svc.update(&a, acme_id, None, under(north_id))
                    .await
                    .unwrap_err()
            ),
            [("parent_id".to_string(), "cycle".to_string())]
        );
        assert_eq!(
            fields(
                svc.update(&a, acme_id, None, under(acme_id))
                    .await
                    .unwrap_err()
            ),
            [("parent_id".to_string(), "cycle".to_string())]
        );
        // A parent of another organization does not exist.
        assert_eq!(
            fields(
                svc.update(&a, acme_id, None, under(ClientId::new()))
                    .await
                    .unwrap_err()
            ),
            [("parent_id".to_string(), "not_found".to_string())]
        );
        assert!(!probe.committed());
    }

    #[tokio::test]
    async fn a_stale_version_is_refused_before_any_write() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let mut c = client(org, a.user_id, None);
        c.version = 4;
        let id = c.id;
        let (svc, probe) = svc(Env::new().with_locked_clients(vec![c]));
        let patch = ClientPatch {
            name: Some("B".into()),
            ..Default::default()
        };
        assert_eq!(
            svc.update(&a, id, Some(3), patch).await,
            Err(DomainError::Stale)
        );
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn a_concurrent_change_surfaces_as_stale() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let id = c.id;
        let mut env = Env::new().with_locked_clients(vec![c]);
        env.clients
            .expect_update()
            .returning(|_, _, _| Err(StoreError::Stale));
        let (svc, probe) = svc(env);
        let patch = ClientPatch {
            status: Some("dormant".into()),
            ..Default::default()
        };
        assert_eq!(
            svc.update(&a, id, None, patch).await,
            Err(DomainError::Stale)
        );
        assert!(!probe.committed());
    }

    #[tokio::test]
    async fn deleting_a_client_still_referred_to_is_a_conflict() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let id = c.id;
        let mut env = Env::new().with_locked_clients(vec![c]);
        env.clients.expect_delete().returning(|_, _, _| {
            Err(StoreError::Conflict {
                constraint: "clients.parent_id".into(),
            })
        });
        let (svc, probe) = svc(env);
        assert!(matches!(
            svc.delete(&a, id).await,
            Err(DomainError::Conflict {
                code: "client-in-use",
                ..
            })
        ));
        assert!(!probe.committed());
    }

    #[tokio::test]
    async fn patch_clears_nullable_fields_and_no_change_writes_nothing() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let mut c = client(org, a.user_id, None);
        c.industry = Some("Retail".into());
        let id = c.id;
        let mut env = Env::new().with_locked_clients(vec![c]);
        env.clients
            .expect_update()
            .withf(|_, c, _| c.industry.is_none())
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let noop: ClientPatch = serde_json::from_str(r#"{"name": "Acme"}"#).unwrap();
        assert_eq!(svc.update(&a, id, None, noop).await.unwrap().version, 1);
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
        let clear: ClientPatch = serde_json::from_str(r#"{"industry": null}"#).unwrap();
        assert_eq!(clear.industry, Some(None));
        let c = svc.update(&a, id, None, clear).await.unwrap();
        assert_eq!((c.industry, c.version), (None, 2));
        // Fields nobody may set are refused outright.
        assert!(serde_json::from_str::<ClientPatch>(r#"{"version": 9}"#).is_err());
        assert!(serde_json::from_str::<ClientPatch>(r#"{"lifecycle": "customer"}"#).is_err());
    }
}
