//! `GET /organization` and `PATCH /organization`: the caller's own tenant profile.

use super::common::{check_version, invalid, nullable, require, require_all};
use super::email::EmailAddress;
use super::model::{Organization, audit, optional_text, phone, required_text, timezone, website};
use super::ports::IdentityPorts;
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::money::Currency;
use crate::kernel::validation::FieldError;
use serde::Deserialize;
use uuid::Uuid;

/// The fields to change; absent fields stay as they are. Nullable fields are
/// `Some(None)` when the client sent `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "legal_name": "Acme Trading LLC",
    "tax_id": "US-47-1234567",
    "website": "https://acme.example",
    "default_currency": "USD",
    "timezone": "America/New_York"
})))]
pub struct OrganizationPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<200>))]
    pub legal_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<100>))]
    pub tax_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_website))]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<1000>))]
    pub address: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::currency_or_null))]
    pub default_currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::timezone_or_null))]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub logo_file_id: Option<Option<Uuid>>,
}

#[derive(Clone)]
pub struct OrganizationService {
    p: IdentityPorts,
}

impl OrganizationService {
    pub fn new(ports: IdentityPorts) -> Self {
        Self { p: ports }
    }

    /// The caller's organization; needs `organization:read`. There is no way to name another
    /// organization: the id comes from the caller's token.
    pub async fn get(&self, actor: &Actor) -> Result<Organization, DomainError> {
        require(actor, "organization", "read")?;
        Ok(self.p.organizations.get(actor.organization_id).await?)
    }

    /// Changes the caller's organization profile; needs `organization:write`. `412` when
    /// `expected_version` (`If-Match`) is not the stored version; `422` per bad field. Without
    /// `If-Match` the patch applies to the profile as stored when its lock is taken, so a
    /// concurrent change never turns into a `412`. A patch that changes nothing is answered
    /// with the stored profile, without a new version or an audit entry.
    pub async fn patch(
        &self,
        actor: &Actor,
        expected_version: Option<i64>,
        patch: OrganizationPatch,
    ) -> Result<Organization, DomainError> {
        require_all(actor, "organization", "write")?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .p
            .organizations
            .get_for_update(&mut tx, actor.organization_id)
            .await?;
        check_version(expected_version, current.version)?;
        let mut next = apply(&current, patch)?;
        if next == current {
            return Ok(current);
        }
        let now = self.p.clock.now();
        next.updated_at = now;
        next.version = current.version + 1;
        self.p
            .organizations
            .update(&mut tx, &next, current.version)
            .await?;
        let entry = audit(
            next.id,
            Some(actor.user_id),
            "organization",
            next.id.0,
            "updated",
            Some(&current),
            Some(&next),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }
}

fn apply(current: &Organization, patch: OrganizationPatch) -> Result<Organization, DomainError> {
    let mut next = current.clone();
    let mut errors: Vec<FieldError> = Vec::new();
    let mut set = |field: &str, r: Result<(), super::model::ValueError>| {
        if let Err(e) = r {
            errors.push(e.into_field(field));
        }
    };
    if let Some(v) = patch.name {
        set(
            "name",
            required_text(&v, "name", Organization::NAME_MAX).map(|v| next.name = v),
        );
    }
    if let Some(v) = patch.legal_name {
        set(
            "legal_name",
            optional_text(v.as_deref(), "legal_name", 200).map(|v| next.legal_name = v),
        );
    }
    if let Some(v) = patch.tax_id {
        set(
            "tax_id",
            optional_text(v.as_deref(), "tax_id", 100).map(|v| next.tax_id = v),
        );
    }
    if let Some(v) = patch.email {
        let parsed = match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => EmailAddress::parse(raw).map(Some),
            None => Ok(None),
        };
        set("email", parsed.map(|v| next.email = v));
    }
    if let Some(v) = patch.phone {
        set("phone", phone(v.as_deref()).map(|v| next.phone = v));
    }
    if let Some(v) = patch.website {
        set("website", website(v.as_deref()).map(|v| next.website = v));
    }
    if let Some(v) = patch.address {
        set(
            "address",
            optional_text(v.as_deref(), "address", 1000).map(|v| next.address = v),
        );
    }
    if let Some(v) = patch.default_currency {
        let parsed = Currency::parse(&v)
            .map_err(|e| super::model::ValueError::new("invalid", e.to_string()));
        set(
            "default_currency",
            parsed.map(|c| next.default_currency = c),
        );
    }
    if let Some(v) = patch.timezone {
        set("timezone", timezone(&v).map(|v| next.timezone = v));
    }
    if let Some(v) = patch.logo_file_id {
        next.logo_file_id = v;
    }
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(invalid(errors.into_iter().map(Some)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::test_support::*;
    use crate::kernel::error::StoreError;
    use crate::kernel::ids::OrganizationId;

    fn org(id: OrganizationId) -> Organization {
        let mut o = Organization::new("Acme".into(), Currency::parse("USD").unwrap(), now());
        o.id = id;
        o.version = 4;
        o
    }

    fn svc(env: Env) -> (OrganizationService, Probe) {
        let (ports, probe) = env.build();
        (OrganizationService::new(ports), probe)
    }

    #[tokio::test]
    async fn reading_needs_the_permission_and_only_ever_reads_the_callers_organization() {
        let mut env = Env::new();
        let mine = OrganizationId::new();
        env.organizations
            .expect_get()
            .withf(move |o| *o == mine)
            .times(1)
            .returning(move |o| Ok(org(o)));
        let (svc, _) = svc(env);
        assert_eq!(
            svc.get(&actor(mine, &["organization:read"]))
                .await
                .unwrap()
                .id,
            mine
        );
        assert!(matches!(
            svc.get(&actor(mine, &["leads:read"])).await,
            Err(DomainError::Forbidden { .. })
        ));
    }

    #[tokio::test]
    async fn patch_applies_validated_fields_bumps_the_version_and_audits() {
        let mut env = Env::new();
        let mine = OrganizationId::new();
        env.organizations
            .expect_get_for_update()
            .returning(move |_, o| Ok(org(o)));
        env.organizations
            .expect_update()
            .withf(|_, o, expected| {
                *expected == 4
                    && o.version == 5
                    && o.name == "Acme Ltd"
                    && o.timezone == "Europe/Paris"
                    && o.default_currency.code() == "EUR"
                    && o.website.is_none()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let patch = OrganizationPatch {
            name: Some(" Acme Ltd ".into()),
            default_currency: Some("eur".into()),
            timezone: Some("Europe/Paris".into()),
            website: Some(None),
            ..Default::default()
        };
        let out = svc
            .patch(&actor(mine, &["organization:write"]), Some(4), patch)
            .await
            .unwrap();
        assert_eq!(out.version, 5);
        assert!(probe.committed());
        let fields: Vec<String> = probe.audit()[0]
            .changes
            .iter()
            .map(|c| c.field.clone())
            .collect();
        assert_eq!(fields, vec!["default_currency", "name", "timezone"]);
    }

    #[tokio::test]
    async fn a_stale_if_match_is_412_and_a_lost_race_too() {
        let mut env = Env::new();
        let mine = OrganizationId::new();
        env.organizations
            .expect_get_for_update()
            .returning(move |_, o| Ok(org(o)));
        env.organizations
            .expect_update()
            .times(1)
            .returning(|_, _, _| Err(StoreError::Stale));
        let (svc, probe) = svc(env);
        let admin = actor(mine, &["organization:write"]);
        let patch = || OrganizationPatch {
            name: Some("New".into()),
            ..Default::default()
        };
        assert_eq!(
            svc.patch(&admin, Some(3), patch()).await.unwrap_err(),
            DomainError::Stale
        );
        assert_eq!(
            svc.patch(&admin, None, patch()).await.unwrap_err(),
            DomainError::Stale
        );
        assert!(!probe.committed());
    }

    #[tokio::test]
    async fn patch_reports_every_bad_field_and_needs_write() {
        let mut env = Env::new();
        let mine = OrganizationId::new();
        env.organizations
            .expect_get_for_update()
            .returning(move |_, o| Ok(org(o)));
        let (svc, _) = svc(env);
        let patch = OrganizationPatch {
            name: Some("".into()),
            email: Some(Some("nope".into())),
            default_currency: Some("XYZ".into()),
            timezone: Some("nowhere".into()),
            phone: Some(Some("call me".into())),
            ..Default::default()
        };
        let err = svc
            .patch(&actor(mine, &["organization:write"]), None, patch)
            .await
            .unwrap_err();
        let DomainError::Invalid(errors) = err else {
            panic!("expected 422")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["name", "email", "phone", "default_currency", "timezone"]
        );
        let reader = actor(mine, &["organization:read"]);
        assert!(matches!(
            svc.patch(&reader, None, OrganizationPatch::default()).await,
            Err(DomainError::Forbidden { .. })
        ));
    }

    #[tokio::test]
    async fn a_patch_that_changes_nothing_writes_nothing() {
        let mut env = Env::new();
        let mine = OrganizationId::new();
        env.organizations
            .expect_get_for_update()
            .returning(move |_, o| Ok(org(o)));
        let (svc, probe) = svc(env);
        let same = OrganizationPatch {
            name: Some("Acme".into()),
            ..Default::default()
        };
        let out = svc
            .patch(&actor(mine, &["organization:write"]), Some(4), same)
            .await
            .unwrap();
        assert_eq!(out.version, 4);
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[test]
    fn patch_json_tells_null_from_absent() {
        let p: OrganizationPatch =
            serde_json::from_str(r#"{"legal_name": null, "tax_id": "X1"}"#).unwrap();
        assert_eq!(p.legal_name, Some(None));
        assert_eq!(p.tax_id, Some(Some("X1".into())));
        assert_eq!(p.address, None);
    }
}
