//! `/clients/{id}/interactions`: calls, emails, meetings and notes with a client.

use super::common::{
    Errors, audit, check_version, in_scope, not_found, nullable, reference, require,
    required_multiline,
};
use super::model::{Client, ClientId, ContactId, Interaction, InteractionId, InteractionKind};
use super::ports::ClientPorts;
use crate::kernel::clock;
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crate::kernel::uow::Tx;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Deserialize;

const INTERACTION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("occurred_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("kind", FieldKind::Text)
        .filter()
        .sort()
        .doc("`call`, `email`, `meeting`, `note`"),
];

/// `GET /clients/{id}/interactions`: most recent first by default; sorts `occurred_at`,
/// `created_at`; filter `kind`; range `occurred_at_from/_to`; `q` searches the summary.
pub const INTERACTION_LIST_SPEC: ListSpec = ListSpec {
    fields: INTERACTION_FIELDS,
    default_sort: "-occurred_at",
    searchable: true,
};

/// Longest interaction summary.
pub const SUMMARY_MAX: usize = 10_000;

/// `POST /clients/{id}/interactions`. Who recorded it is the caller.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "meeting",
    "summary": "Kick-off: scope and timeline agreed",
    "occurred_at": "2026-02-10T14:00:00Z",
    "contact_id": "019c2308-b860-7c79-86d4-ac7a5c3902b3"
})))]
pub struct InteractionInput {
    pub kind: InteractionKind,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::text::<{ SUMMARY_MAX }>))]
    pub summary: String,
    /// Now when absent.
    pub occurred_at: Option<DateTime<Utc>>,
    /// A contact of the same client.
    pub contact_id: Option<ContactId>,
}

/// `PATCH /clients/{id}/interactions/{interaction_id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "summary": "Kick-off: scope, timeline and budget agreed",
    "contact_id": null
})))]
pub struct InteractionPatch {
    pub kind: Option<InteractionKind>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::text_or_null::<{ SUMMARY_MAX }>))]
    pub summary: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nullable")]
    pub contact_id: Option<Option<ContactId>>,
}

/// Stored precision: microseconds, so a value compares equal after a round trip.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
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

    async fn client(
        &self,
        actor: &Actor,
        action: &str,
        id: ClientId,
    ) -> Result<Client, DomainError> {
        let scope = require(actor, action)?;
        in_scope(
            actor,
            scope,
            self.p.clients.get(actor.organization_id, id).await?,
        )
    }

    async fn interaction(
        &self,
        actor: &Actor,
        client: ClientId,
        id: InteractionId,
    ) -> Result<Interaction, DomainError> {
        let i = self.p.interactions.get(actor.organization_id, id).await?;
        if i.client_id == client {
            Ok(i)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// As [`Self::interaction`], read inside `tx` and held until it ends.
    async fn locked(
        &self,
        actor: &Actor,
        tx: &mut (dyn Tx + 'static),
        client: ClientId,
        id: InteractionId,
    ) -> Result<Interaction, DomainError> {
        let i = self
            .p
            .interactions
            .get_for_update(tx, actor.organization_id, id)
            .await?;
        if i.client_id == client {
            Ok(i)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// Records `not_found` on `contact_id` unless it is a contact of `client`.
    async fn check_contact(
        &self,
        actor: &Actor,
        client: ClientId,
        contact: ContactId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let found = reference(
            self.p.contacts.get(actor.organization_id, contact).await,
            errors,
            "contact_id",
            "contact of this client",
        )?;
        if found.is_some_and(|c| c.client_id != client) {
            errors.push(not_found("contact_id", "contact of this client"));
        }
        Ok(())
    }

    /// Needs `clients:read` on the client.
    pub async fn list(
        &self,
        actor: &Actor,
        client: ClientId,
        query: &ListQuery,
    ) -> Result<Page<Interaction>, DomainError> {
        self.client(actor, "read", client).await?;
        Ok(self
            .p
            .interactions
            .list(actor.organization_id, client, query)
            .await?)
    }

    /// Needs `clients:read` on the client.
    pub async fn get(
        &self,
        actor: &Actor,
        client: ClientId,
        id: InteractionId,
    ) -> Result<Interaction, DomainError> {
        self.client(actor, "read", client).await?;
        self.interaction(actor, client, id).await
    }

    /// When the latest interaction with the client occurred (customer tracking); needs
    /// `clients:read` on the client.
    pub async fn last_interaction_at(
        &self,
        actor: &Actor,
        client: ClientId,
    ) -> Result<Option<DateTime<Utc>>, DomainError> {
        self.client(actor, "read", client).await?;
        Ok(self
            .p
            .interactions
            .last_interaction_at(actor.organization_id, client)
            .await?)
    }

    /// Needs `clients:write` on the client; `422` per bad field (a `contact_id` that is not a
    /// contact of this client is `not_found`).
    pub async fn create(
        &self,
        actor: &Actor,
        client: ClientId,
        input: InteractionInput,
    ) -> Result<Interaction, DomainError> {
        self.client(actor, "write", client).await?;
        let org = actor.organization_id;
        let mut errors = Errors::default();
        let summary = errors.take(
            "summary",
            required_multiline(&input.summary, "summary", SUMMARY_MAX),
        );
        if let Some(c) = input.contact_id {
            self.check_contact(actor, client, c, &mut errors).await?;
        }
        errors.finish()?;
        let Some(summary) = summary else {
            return Err(DomainError::Unexpected("validation lost a value".into()));
        };
        let now = clock::now();
        let interaction = Interaction {
            id: InteractionId::new(),
            organization_id: org,
            client_id: client,
            kind: input.kind,
            summary,
            occurred_at: micros(input.occurred_at.unwrap_or(now)),
            contact_id: input.contact_id,
            owner_id: actor.user_id,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.p.tx.begin().await?;
        self.p
            .interactions
            .create(tx.as_mut(), &interaction)
            .await?;
        let entry = audit(
            org,
            actor.user_id,
            "interaction",
            interaction.id.0,
            "created",
            None,
            Some(&interaction),
        );
        self.p.activities.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(interaction)
    }

    /// Needs `clients:write` on the client; `412` on a stale version, `422` as for create.
    pub async fn update(
        &self,
        actor: &Actor,
        client: ClientId,
        id: InteractionId,
        expected_version: Option<i64>,
        patch: InteractionPatch,
    ) -> Result<Interaction, DomainError> {
        self.client(actor, "write", client).await?;
        let org = actor.organization_id;
        // A named contact is looked up before the transaction, on the pool (a read waiting
        // for a second connection while holding the transaction's could exhaust the pool);
        // its error counts only if it is a change, which the locked interaction tells.
        let mut contact_errors = Errors::default();
        if let Some(Some(c)) = patch.contact_id {
            self.check_contact(actor, client, c, &mut contact_errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(actor, tx.as_mut(), client, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::default();
        if let Some(k) = patch.kind {
            next.kind = k;
        }
        if let Some(raw) = &patch.summary
            && let Some(v) = errors.take("summary", required_multiline(raw, "summary", SUMMARY_MAX))
        {
            next.summary = v;
        }
        if let Some(t) = patch.occurred_at {
            next.occurred_at = micros(t);
        }
        if let Some(c) = patch.contact_id {
            next.contact_id = c;
            if c.is_some() && c != current.contact_id {
                errors.extend(contact_errors);
            }
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let next = Interaction {
            updated_at: clock::now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .interactions
            .update(tx.as_mut(), &next, current.version)
            .await?;
        let entry = audit(
            org,
            actor.user_id,
            "interaction",
            id.0,
            "updated",
            Some(&current),
            Some(&next),
        );
        self.p.activities.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `clients:delete` on the client.
    pub async fn delete(
        &self,
        actor: &Actor,
        client: ClientId,
        id: InteractionId,
    ) -> Result<(), DomainError> {
        self.client(actor, "delete", client).await?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(actor, tx.as_mut(), client, id).await?;
        self.p.interactions.delete(tx.as_mut(), org, id).await?;
        let entry = audit(
            org,
            actor.user_id,
            "interaction",
            id.0,
            "deleted",
            Some(&current),
            None,
        );
        self.p.activities.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::test_support::*;
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
            occurred_at: Some(then()),
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
                i.owner_id == me && i.occurred_at == then() && i.contact_id == Some(kim)
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
            occurred_at: then(),
            contact_id: None,
            owner_id: a.user_id,
            created_at: then(),
            updated_at: then(),
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
