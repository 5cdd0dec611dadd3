//! `/clients/{id}/contacts`: the people at a client, at most one of them primary.

use super::model::{
    CONTACT_NAME_MAX, CONTACT_TITLE_MAX, Contact, ContactId, ContactInput, ContactPatch,
};
use crate::activity::audit;
use crate::clients::clients::ClientId;
use crate::clients::common::{client_for, email, of_client};
use crate::clients::ports::ClientPorts;
use crate::clients::requirements::{ClientsDelete, ClientsRead, ClientsWrite};
use crate::kernel::clock;
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::input::Errors;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::rules::check_version;
use crate::kernel::text::{optional_text, phone, required_text};
use crate::kernel::uow::Txn;
use crate::kernel::validation::ValueError;
use chrono::{DateTime, Utc};

fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", CONTACT_NAME_MAX)
}

fn title(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "title", CONTACT_TITLE_MAX, false)
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

    /// Needs `clients:read` on the client.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %client))]
    pub async fn list(
        &self,
        actor: &Actor,
        client: ClientId,
        query: &ListQuery,
    ) -> Result<Page<Contact>, DomainError> {
        client_for::<ClientsRead>(&self.p, actor, client).await?;
        let org = actor.organization_id;
        Ok(self.p.contacts.list(org, client, query).await?)
    }

    /// Needs `clients:read` on the client.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        client: ClientId,
        id: ContactId,
    ) -> Result<Contact, DomainError> {
        client_for::<ClientsRead>(&self.p, actor, client).await?;
        of_client(
            client,
            self.p.contacts.get(actor.organization_id, id).await?,
        )
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
        client_for::<ClientsWrite>(&self.p, actor, client).await?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let now = clock::now();
        let contact = Contact {
            id: ContactId::new(),
            organization_id: org,
            client_id: client,
            name: errors.value("name", name(&input.name)),
            email: errors.value("email", email(input.email.as_deref())),
            phone: errors.value("phone", phone(input.phone.as_deref())),
            title: errors.value("title", title(input.title.as_deref())),
            is_primary: input.is_primary,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        if contact.is_primary {
            self.p.clients.get_for_update(&mut tx, org, client).await?;
            self.take_primary(actor, &mut tx, client, None, now).await?;
        }
        self.p.contacts.create(&mut tx, &contact).await?;
        let entry = audit::created(actor, &contact);
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(contact)
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
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        // Making a contact primary locks its client first, as creating a primary contact
        // does: one lock order (client, then contacts), so the two cannot deadlock, and two
        // concurrent promotions take turns.
        if patch.is_primary == Some(true) {
            self.p.clients.get_for_update(&mut tx, org, client).await?;
        }
        let current = self.p.contacts.get_for_update(&mut tx, org, id).await?;
        let current = of_client(client, current)?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        errors.patch("name", &mut next.name, patch.name.as_deref().map(name));
        let mail = patch.email.as_ref().map(|v| email(v.as_deref()));
        errors.patch("email", &mut next.email, mail);
        let tel = patch.phone.as_ref().map(|v| phone(v.as_deref()));
        errors.patch("phone", &mut next.phone, tel);
        let job = patch.title.as_ref().map(|v| title(v.as_deref()));
        errors.patch("title", &mut next.title, job);
        next.is_primary = patch.is_primary.unwrap_or(next.is_primary);
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let now = clock::now();
        let next = Contact {
            updated_at: now,
            version: current.version + 1,
            ..next
        };
        if next.is_primary && !current.is_primary {
            self.take_primary(actor, &mut tx, client, Some(id), now)
                .await?;
        }
        self.p
            .contacts
            .update(&mut tx, &next, current.version)
            .await?;
        let entry = audit::updated(actor, &current, &next);
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `clients:delete` on the client.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(
        &self,
        actor: &Actor,
        client: ClientId,
        id: ContactId,
    ) -> Result<(), DomainError> {
        client_for::<ClientsDelete>(&self.p, actor, client).await?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.contacts.get_for_update(&mut tx, org, id).await?;
        let current = of_client(client, current)?;
        self.p.contacts.delete(&mut tx, org, id).await?;
        let entry = audit::deleted(actor, &current);
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Clears the primary flag of every other contact of `client`, inside `tx`, whose caller
    /// has locked the client row, so two concurrent "make primary" requests cannot both win.
    /// Each cleared contact gets its own audit entry.
    async fn take_primary(
        &self,
        actor: &Actor,
        tx: &mut Txn,
        client: ClientId,
        except: Option<ContactId>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let org = actor.organization_id;
        let cleared = self
            .p
            .contacts
            .clear_primary(tx, org, client, except)
            .await?;
        for before in cleared {
            let after = Contact {
                is_primary: false,
                updated_at: now,
                version: before.version + 1,
                ..before.clone()
            };
            let entry = audit::updated(actor, &before, &after);
            self.p.activities.record(tx, entry).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::test_support::*;
    use crate::clients::*;
    use crate::kernel::error::StoreError;
    use crate::kernel::ids::{OrganizationId, UserId};
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
        env.contacts
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
        env.contacts
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
