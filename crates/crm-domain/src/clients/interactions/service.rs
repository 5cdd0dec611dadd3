//! `/clients/{id}/interactions`: calls, emails, meetings and notes with a client.

use super::model::{Interaction, InteractionId, InteractionInput, InteractionPatch, SUMMARY_MAX};
use crate::clients::ClientPorts;
use crate::clients::clients::ClientId;
use crate::clients::common::{client_for, client_record_use_cases, of_client};
use crate::clients::contacts::ContactId;
use crate::clients::requirements::{ClientsRead, ClientsWrite};
use crate::kernel::clock;
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::input::{Errors, not_found};
use crate::kernel::text::required_multiline;
use crate::kernel::validation::ValueError;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Stored precision: microseconds, so a value compares equal after a round trip.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

fn summary(raw: &str) -> Result<String, ValueError> {
    required_multiline(raw, "summary", SUMMARY_MAX)
}

/// Interactions with clients. They follow their client: `clients:*` permissions, and under
/// `:own` only the interactions of the caller's clients are visible (`404` otherwise).
#[derive(Clone)]
pub struct InteractionService {
    p: ClientPorts,
}

impl InteractionService {
    pub fn new(ports: ClientPorts) -> Self {
        Self { p: ports }
    }

    client_record_use_cases!(interactions: Interaction, InteractionId);

    /// Records `not_found` on `contact_id` unless it is a contact of `client`.
    async fn check_contact(
        &self,
        actor: &Actor,
        client: ClientId,
        contact: ContactId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        const WHAT: &str = "contact of this client";
        let found = self.p.contacts.get(actor.organization_id, contact).await;
        if errors
            .reference("contact_id", WHAT, found)?
            .is_some_and(|c| c.client_id != client)
        {
            errors.push(not_found("contact_id", WHAT));
        }
        Ok(())
    }

    /// When the latest interaction with the client occurred (customer tracking); needs
    /// `clients:read` on the client.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %client))]
    pub async fn last_interaction_at(
        &self,
        actor: &Actor,
        client: ClientId,
    ) -> Result<Option<DateTime<Utc>>, DomainError> {
        client_for::<ClientsRead>(&self.p, actor, client).await?;
        let org = actor.organization_id;
        Ok(self
            .p
            .last_interactions
            .last_interaction_at(org, client)
            .await?)
    }

    /// Needs `clients:write` on the client (`404` before any field is looked at); `422` per
    /// bad field (a `contact_id` that is not a contact of this client is `not_found`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %client))]
    pub async fn create(
        &self,
        actor: &Actor,
        client: ClientId,
        input: InteractionInput,
    ) -> Result<Interaction, DomainError> {
        client_for::<ClientsWrite>(&self.p, actor, client).await?;
        let mut errors = Errors::new();
        let now = clock::now();
        let interaction = Interaction {
            id: InteractionId::new(),
            organization_id: actor.organization_id,
            client_id: client,
            kind: input.kind,
            summary: errors.value("summary", summary(&input.summary)),
            occurred_at: micros(input.occurred_at.unwrap_or(now)),
            contact_id: input.contact_id,
            owner_id: actor.user_id,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if let Some(c) = input.contact_id {
            self.check_contact(actor, client, c, &mut errors).await?;
        }
        errors.finish()?;
        self.crud().create(actor, interaction).await
    }

    /// Needs `clients:write` on the client; `412` on a stale version, `422` as for create.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        client: ClientId,
        id: InteractionId,
        expected_version: Option<i64>,
        patch: InteractionPatch,
    ) -> Result<Interaction, DomainError> {
        client_for::<ClientsWrite>(&self.p, actor, client).await?;
        // A named contact is looked up before the transaction, on the pool (a read waiting
        // for a second connection while holding the transaction's could exhaust the pool);
        // its error counts only if it is a change, which the locked interaction tells.
        let mut contact_errors = Errors::new();
        if let Some(Some(c)) = patch.contact_id {
            self.check_contact(actor, client, c, &mut contact_errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let crud = self.crud();
        let scope = |i| of_client(client, i);
        let current = crud
            .locked(&mut tx, actor, id, expected_version, scope)
            .await?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        next.kind = patch.kind.unwrap_or(next.kind);
        errors.patch(
            "summary",
            &mut next.summary,
            patch.summary.as_deref().map(summary),
        );
        next.occurred_at = patch.occurred_at.map_or(next.occurred_at, micros);
        if let Some(c) = patch.contact_id {
            next.contact_id = c;
            if c.is_some() && c != current.contact_id {
                errors.extend(contact_errors);
            }
        }
        errors.finish()?;
        crud.save(actor, tx, current, next, clock::now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::test_support::*;
    use crate::clients::*;
    use crate::kernel::error::StoreError;
    use crate::kernel::ids::{OrganizationId, UserId};

    fn svc(env: Env) -> (InteractionService, Probe) {
        let (ports, probe) = env.build();
        (InteractionService::new(ports), probe)
    }

    fn input(contact: Option<ContactId>) -> InteractionInput {
        InteractionInput {
            kind: InteractionKind::Call,
            summary: "Discussed renewal\nNext: send quote".into(),
            occurred_at: Some(now()),
            contact_id: contact,
        }
    }

    #[tokio::test]
    async fn an_interaction_records_who_and_when() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, UserId::new(), None);
        let k = contact(&c, "Kim", true);
        let (client_id, kim) = (c.id, k.id);
        let me = a.user_id;
        let mut env = Env::new().with_clients(vec![c]);
        env.contacts
            .expect_get()
            .returning(move |_, _| Ok(k.clone()));
        env.interactions
            .expect_create()
            .withf(move |_, i| {
                i.owner_id == me && i.occurred_at == now() && i.contact_id == Some(kim)
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        let i = svc.create(&a, client_id, input(Some(kim))).await.unwrap();
        assert_eq!(i.kind, InteractionKind::Call);
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].entity_type, "interaction");
    }

    #[tokio::test]
    async fn the_contact_must_belong_to_the_same_client() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let elsewhere = client(org, a.user_id, None);
        let k = contact(&elsewhere, "Kim", false);
        let (client_id, kim) = (c.id, k.id);
        let mut env = Env::new().with_clients(vec![c]);
        env.contacts.expect_get().returning(move |_, id| {
            if id == kim {
                Ok(k.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
        let (svc, probe) = svc(env);
        for contact in [kim, ContactId::new()] {
            let DomainError::Invalid(errors) = svc
                .create(&a, client_id, input(Some(contact)))
                .await
                .unwrap_err()
            else {
                panic!("expected 422")
            };
            assert_eq!(
                (errors[0].field.as_str(), errors[0].code.as_str()),
                ("contact_id", "not_found")
            );
        }
        let empty = InteractionInput {
            summary: "  ".into(),
            ..input(None)
        };
        assert!(matches!(
            svc.create(&a, client_id, empty).await,
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn interactions_follow_the_visibility_of_their_client() {
        let org = OrganizationId::new();
        let me = actor(org, OWN);
        let theirs = client(org, UserId::new(), None);
        let theirs_id = theirs.id;
        let (svc, probe) = svc(Env::new().with_clients(vec![theirs]));
        assert_eq!(
            svc.create(&me, theirs_id, input(None)).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            svc.last_interaction_at(&me, theirs_id).await,
            Err(DomainError::NotFound)
        );
        assert!(matches!(
            svc.delete(
                &actor(org, &["clients:read", "clients:write"]),
                theirs_id,
                InteractionId::new()
            )
            .await,
            Err(DomainError::Forbidden { .. })
        ));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn a_stale_interaction_update_is_refused() {
        let org = OrganizationId::new();
        let a = actor(org, ALL);
        let c = client(org, a.user_id, None);
        let client_id = c.id;
        let i = Interaction {
            id: InteractionId::new(),
            organization_id: org,
            client_id,
            kind: InteractionKind::Note,
            summary: "x".into(),
            occurred_at: now(),
            contact_id: None,
            owner_id: a.user_id,
            legacy_id: None,
            created_at: now(),
            updated_at: now(),
            version: 3,
        };
        let id = i.id;
        let mut env = Env::new().with_clients(vec![c]);
        env.interactions
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(i.clone()));
        env.interactions
            .expect_update()
            .withf(|_, i, v| i.kind == InteractionKind::Meeting && i.version == 4 && *v == 3)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let patch = InteractionPatch {
            kind: Some(InteractionKind::Meeting),
            ..Default::default()
        };
        assert_eq!(
            svc.update(&a, client_id, id, Some(2), patch.clone()).await,
            Err(DomainError::Stale)
        );
        // Refused after the interaction was read inside the transaction: nothing committed.
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
        let i = svc.update(&a, client_id, id, Some(3), patch).await.unwrap();
        assert_eq!(i.version, 4);
        assert_eq!(probe.audit()[0].changes[0].field, "kind");
    }
}
