//! `/webhooks`: subscriptions, their secrets, their delivery log.

use super::model::{
    DeliveryId, WEBHOOK_DESCRIPTION_MAX, WEBHOOK_URL_MAX, Webhook, WebhookId, WebhookInput,
    WebhookPatch, WebhookWithSecret,
};
use super::patterns::{self, MAX_PATTERNS};
use super::ports::{
    DeliveryRepository, SecretVault, TargetRefusal, WebhookRepository, WebhookSender,
};
use super::{Delivery, WebhooksDelete, WebhooksRead, WebhooksWrite};
use crate::activity::{ActivityRepository, audit};
use crate::kernel::clock;
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::input::Errors;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::rules::check_version;
use crate::kernel::scope::require_all;
use crate::kernel::text::optional_text;
use crate::kernel::uow::TxManager;
use crate::kernel::validation::ValueError;
use std::sync::Arc;

/// What the webhook service needs.
#[derive(Clone)]
pub struct WebhookPorts {
    pub tx: Arc<dyn TxManager>,
    pub webhooks: Arc<dyn WebhookRepository>,
    pub deliveries: Arc<dyn DeliveryRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    pub sender: Arc<dyn WebhookSender>,
    pub vault: Arc<dyn SecretVault>,
}

/// Webhook subscriptions (`webhooks:*`, organization-wide: no `:own`).
#[derive(Clone)]
pub struct WebhookService {
    p: WebhookPorts,
    /// Every event type the server records, for checking subscriptions.
    types: Arc<Vec<&'static str>>,
}

/// The url's shape, exactly [`super::model::WEBHOOK_URL_PATTERN`] (the OpenAPI document
/// states it); whether it may be reached is the sender's check.
pub(crate) fn url_shape(url: &str) -> Result<String, ValueError> {
    let bad = |m: &str| Err(ValueError::new("invalid", m.to_string()));
    if url.is_empty() {
        return Err(ValueError::new("required", "url is required"));
    }
    if url.chars().count() > WEBHOOK_URL_MAX {
        return Err(ValueError::new(
            "too_long",
            format!("url is longer than {WEBHOOK_URL_MAX} characters"),
        ));
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return bad("url must start with http:// or https://");
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !tail.chars().all(|c| c.is_ascii_graphic()) {
        return bad("url must be printable ASCII without spaces (percent-encode the rest)");
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let label_ok =
        |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let octet = |l: &str| {
        !l.is_empty()
            && l.len() <= 3
            && l.chars().all(|c| c.is_ascii_digit())
            && (l == "0" || !l.starts_with('0'))
            && l.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    let labels: Vec<&str> = host.split('.').collect();
    let quad = labels.len() == 4 && labels.iter().all(|l| octet(l));
    // A name's last label starts with a letter: one that is a number would make the host an
    // IPv4 address in URL parsing (`1.2.3.4.5`, `127.1`).
    let name = labels.iter().all(|l| label_ok(l))
        && labels
            .last()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()));
    if !(quad || name) {
        return bad(
            "url must name a host (a name whose last label starts with a letter, or an IPv4 address)",
        );
    }
    if let Some(p) = port {
        let digits = !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit());
        let in_range =
            p.len() < 5 || (!p.starts_with('0') && p.parse::<u32>().is_ok_and(|n| n <= 65535));
        if !(digits && in_range) {
            return bad("url port must be 0 to 65535");
        }
    }
    Ok(url.to_string())
}

fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "description", WEBHOOK_DESCRIPTION_MAX, false)
}

impl WebhookService {
    pub fn new(ports: WebhookPorts, types: Vec<&'static str>) -> Self {
        Self {
            p: ports,
            types: Arc::new(types),
        }
    }

    /// Each bad pattern under `event_types[i]`; an empty list under `event_types`.
    fn event_types(&self, errors: &mut Errors, raw: &[String]) -> Vec<String> {
        if raw.is_empty() {
            errors.add("event_types", "required", "name at least one event type");
        } else if raw.len() > MAX_PATTERNS {
            errors.add(
                "event_types",
                "too_many",
                format!("at most {MAX_PATTERNS} event types"),
            );
        }
        for (i, p) in raw.iter().enumerate() {
            if let Err(e) = patterns::check(p, &self.types) {
                errors.push(e.into_field(&format!("event_types[{i}]")));
            }
        }
        let mut out: Vec<String> = Vec::with_capacity(raw.len());
        for p in raw {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }

    /// The url's shape, then (if it has one) whether it may be reached. Network, so never
    /// inside a transaction.
    async fn url(&self, errors: &mut Errors, raw: &str) -> String {
        let Some(url) = errors.take("url", url_shape(raw)) else {
            return String::new();
        };
        if let Err(e) = self.p.sender.check_target(&url).await {
            let code = match e {
                TargetRefusal::Invalid(_) => "invalid",
                TargetRefusal::Unresolvable(_) => "unresolvable",
                TargetRefusal::Forbidden(_) => "forbidden_target",
            };
            errors.add("url", code, e.to_string());
        }
        url
    }

    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Webhook>, DomainError> {
        require_all::<WebhooksRead>(actor)?;
        Ok(self.p.webhooks.list(actor.organization_id, query).await?)
    }

    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: WebhookId) -> Result<Webhook, DomainError> {
        require_all::<WebhooksRead>(actor)?;
        Ok(self.p.webhooks.get(actor.organization_id, id).await?)
    }

    /// Needs `webhooks:write`; `422` per bad field (a url that may not be reached is one).
    /// The answer carries the new secret, the only time it is shown.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: WebhookInput,
    ) -> Result<WebhookWithSecret, DomainError> {
        require_all::<WebhooksWrite>(actor)?;
        let mut errors = Errors::new();
        let event_types = self.event_types(&mut errors, &input.event_types);
        let description = errors.value("description", description(input.description.as_deref()));
        let url = self.url(&mut errors, &input.url).await;
        errors.finish()?;
        let now = clock::now();
        let webhook = Webhook {
            id: WebhookId::new(),
            organization_id: actor.organization_id,
            url,
            event_types,
            description,
            is_active: input.is_active.unwrap_or(true),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let secret = self.p.vault.generate();
        let sealed = self.p.vault.seal(&secret)?;
        let mut tx = self.p.tx.begin().await?;
        self.p.webhooks.create(&mut tx, &webhook, &sealed).await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &webhook))
            .await?;
        tx.commit().await?;
        Ok(WebhookWithSecret {
            webhook,
            secret: secret.reveal(),
        })
    }

    /// Needs `webhooks:write`; `412` on a stale version, `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: WebhookId,
        expected_version: Option<i64>,
        patch: WebhookPatch,
    ) -> Result<Webhook, DomainError> {
        require_all::<WebhooksWrite>(actor)?;
        let org = actor.organization_id;
        // What the body names is checked before the transaction: resolving a host is network.
        let mut errors = Errors::new();
        let url = match &patch.url {
            Some(raw) => Some(self.url(&mut errors, raw).await),
            None => None,
        };
        let types = patch
            .event_types
            .as_ref()
            .map(|raw| self.event_types(&mut errors, raw));
        let desc = patch
            .description
            .as_ref()
            .map(|v| errors.value("description", description(v.as_deref())));
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.webhooks.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        errors.finish()?;
        let mut next = current.clone();
        if let Some(url) = url {
            next.url = url;
        }
        if let Some(types) = types {
            next.event_types = types;
        }
        if let Some(desc) = desc {
            next.description = desc;
        }
        if let Some(active) = patch.is_active {
            next.is_active = active;
        }
        if next == current {
            return Ok(current);
        }
        let next = Webhook {
            updated_at: clock::now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .webhooks
            .update(&mut tx, &next, current.version, None)
            .await?;
        self.p
            .activities
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `webhooks:write`. A new secret replaces the old one at once (signatures made
    /// from now on use it); the answer is the only time it is shown.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn rotate_secret(
        &self,
        actor: &Actor,
        id: WebhookId,
    ) -> Result<WebhookWithSecret, DomainError> {
        require_all::<WebhooksWrite>(actor)?;
        let secret = self.p.vault.generate();
        let sealed = self.p.vault.seal(&secret)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .p
            .webhooks
            .get_for_update(&mut tx, actor.organization_id, id)
            .await?;
        let next = Webhook {
            updated_at: clock::now(),
            version: current.version + 1,
            ..current.clone()
        };
        self.p
            .webhooks
            .update(&mut tx, &next, current.version, Some(sealed))
            .await?;
        let entry = audit::changed(actor, "secret_rotated", &current, &next);
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(WebhookWithSecret {
            webhook: next,
            secret: secret.reveal(),
        })
    }

    /// Needs `webhooks:delete`; the delivery log goes with the webhook.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: WebhookId) -> Result<(), DomainError> {
        require_all::<WebhooksDelete>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.webhooks.get_for_update(&mut tx, org, id).await?;
        self.p.webhooks.delete(&mut tx, org, id).await?;
        self.p
            .activities
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The webhook's delivery log; needs `webhooks:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn deliveries(
        &self,
        actor: &Actor,
        id: WebhookId,
        query: &ListQuery,
    ) -> Result<Page<Delivery>, DomainError> {
        require_all::<WebhooksRead>(actor)?;
        let org = actor.organization_id;
        self.p.webhooks.get(org, id).await?;
        Ok(self.p.deliveries.list(org, id, query).await?)
    }

    /// Makes a delivery due now (one more attempt, also after it failed); needs
    /// `webhooks:write`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %delivery))]
    pub async fn retry(
        &self,
        actor: &Actor,
        webhook: WebhookId,
        delivery: DeliveryId,
    ) -> Result<(), DomainError> {
        require_all::<WebhooksWrite>(actor)?;
        let org = actor.organization_id;
        Ok(self
            .p
            .deliveries
            .retry_now(org, webhook, delivery, clock::now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{ORG, Probe, actor};
    use crate::webhooks::{
        MockDeliveryRepository, MockSecretVault, MockWebhookRepository, MockWebhookSender,
        WebhookSecret,
    };

    const ALL: &[&str] = &["webhooks:read", "webhooks:write", "webhooks:delete"];
    const TYPES: &[&str] = &["lead.created", "lead.updated", "deal.won"];

    fn service(repo: MockWebhookRepository, sender: MockWebhookSender) -> (WebhookService, Probe) {
        let probe = Probe::default();
        let mut vault = MockSecretVault::new();
        vault
            .expect_generate()
            .returning(|| WebhookSecret::from_key(vec![1; 32]));
        vault.expect_seal().returning(|_| Ok("sealed".into()));
        let ports = WebhookPorts {
            tx: probe.tx_manager(),
            webhooks: Arc::new(repo),
            deliveries: Arc::new(MockDeliveryRepository::new()),
            activities: Arc::new(probe.activities()),
            sender: Arc::new(sender),
            vault: Arc::new(vault),
        };
        (WebhookService::new(ports, TYPES.to_vec()), probe)
    }

    fn input(url: &str, types: &[&str]) -> WebhookInput {
        WebhookInput {
            url: url.into(),
            event_types: types.iter().map(|t| t.to_string()).collect(),
            description: None,
            is_active: None,
        }
    }

    #[tokio::test]
    async fn create_stores_the_sealed_secret_and_shows_it_once() {
        let mut repo = MockWebhookRepository::new();
        repo.expect_create()
            .withf(|_, w, sealed| w.is_active && w.event_types == ["lead.*"] && sealed == "sealed")
            .times(1)
            .returning(|_, _, _| Ok(()));
        let mut sender = MockWebhookSender::new();
        sender.expect_check_target().times(1).returning(|_| Ok(()));
        let (svc, probe) = service(repo, sender);
        let a = actor(ORG, ALL);
        let made = svc
            .create(
                &a,
                input("https://hooks.example.com/x", &["lead.*", "lead.*"]),
            )
            .await
            .unwrap();
        assert!(made.secret.starts_with("whsec_"));
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "created");
        // The audit entry (the event) carries the webhook, never its secret.
        let data = serde_json::to_string(&probe.audit()[0].data).unwrap();
        assert!(!data.contains(&made.secret[6..]));
    }

    #[tokio::test]
    async fn every_bad_field_is_named_and_a_refused_target_is_422_on_url() {
        let mut sender = MockWebhookSender::new();
        sender
            .expect_check_target()
            .returning(|_| Err(TargetRefusal::Forbidden("resolves to 127.0.0.1".into())));
        let (svc, probe) = service(MockWebhookRepository::new(), sender);
        let a = actor(ORG, ALL);
        let err = svc
            .create(
                &a,
                input("http://localhost/x", &["lead.created", "lead*", "foo.bar"]),
            )
            .await
            .unwrap_err();
        let DomainError::Invalid(errs) = err else {
            panic!("{err:?}")
        };
        let fields: Vec<(&str, &str)> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("event_types[1]", "malformed"),
                ("event_types[2]", "unknown"),
                ("url", "forbidden_target")
            ]
        );
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn a_url_without_http_is_refused_before_any_lookup() {
        let (svc, _) = service(MockWebhookRepository::new(), MockWebhookSender::new());
        let a = actor(ORG, ALL);
        let err = svc.create(&a, input("ftp://x.example", &["*"])).await;
        assert!(matches!(err, Err(DomainError::Invalid(e)) if e[0].field == "url"));
    }

    #[tokio::test]
    async fn reading_is_not_writing() {
        let (svc, _) = service(MockWebhookRepository::new(), MockWebhookSender::new());
        let a = actor(ORG, &["webhooks:read"]);
        let err = svc.create(&a, input("https://x.example", &["*"])).await;
        assert!(matches!(err, Err(DomainError::Forbidden { .. })));
        let err = svc.rotate_secret(&a, WebhookId::new()).await;
        assert!(matches!(err, Err(DomainError::Forbidden { .. })));
    }
}
