//! `GET /organization` and `PATCH /organization`: the caller's own tenant profile.

use super::model::{Organization, OrganizationPatch, currency, optional_email, timezone};
use crate::activity::audit;
use crate::files::FileId;
use crate::identity::IdentityPorts;
use crate::identity::model::{ValueError, optional_text, phone, required_text, website};
use crate::identity::requirements::{OrganizationRead, OrganizationWrite};
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::input::{Errors, not_found};
use crate::kernel::rules::check_version;
use crate::kernel::scope::{require, require_all};

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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn get(&self, actor: &Actor) -> Result<Organization, DomainError> {
        require::<OrganizationRead>(actor)?;
        Ok(self.p.organizations.get(actor.organization_id).await?)
    }

    /// Changes the caller's organization profile; needs `organization:write`. `412` when
    /// `expected_version` (`If-Match`) is not the stored version; `422` per bad field. Without
    /// `If-Match` the patch applies to the profile as stored when its lock is taken, so a
    /// concurrent change never turns into a `412`. A patch that changes nothing is answered
    /// with the stored profile, without a new version or an audit entry.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn patch(
        &self,
        actor: &Actor,
        expected_version: Option<i64>,
        patch: OrganizationPatch,
    ) -> Result<Organization, DomainError> {
        require_all::<OrganizationWrite>(actor)?;
        // What the body names is looked up before the transaction, on the pool.
        let mut named = Errors::new();
        if let Some(Some(id)) = patch.logo_file_id
            && !self
                .p
                .files
                .exists(actor.organization_id, FileId(id))
                .await?
        {
            named.push(not_found("logo_file_id", "file"));
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .p
            .organizations
            .get_for_update(&mut tx, actor.organization_id)
            .await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        errors.extend(named);
        let max = Organization::NAME_MAX;
        let p = patch;
        errors.patch(
            "name",
            &mut next.name,
            p.name.map(|v| required_text(&v, "name", max)),
        );
        errors.patch(
            "legal_name",
            &mut next.legal_name,
            p.legal_name
                .map(|v| optional_text(v.as_deref(), "legal_name", 200)),
        );
        errors.patch(
            "tax_id",
            &mut next.tax_id,
            p.tax_id.map(|v| optional_text(v.as_deref(), "tax_id", 100)),
        );
        errors.patch(
            "email",
            &mut next.email,
            p.email.map(|v| optional_email(v.as_deref())),
        );
        errors.patch(
            "phone",
            &mut next.phone,
            p.phone.map(|v| phone(v.as_deref())),
        );
        errors.patch(
            "website",
            &mut next.website,
            p.website.map(|v| website(v.as_deref())),
        );
        errors.patch(
            "address",
            &mut next.address,
            p.address
                .map(|v| optional_text(v.as_deref(), "address", 1000)),
        );
        errors.patch(
            "default_currency",
            &mut next.default_currency,
            p.default_currency.map(|v| currency(&v)),
        );
        errors.patch(
            "timezone",
            &mut next.timezone,
            p.timezone.map(|v| timezone(&v)),
        );
        errors.patch(
            "logo_file_id",
            &mut next.logo_file_id,
            p.logo_file_id.map(Ok::<_, ValueError>),
        );
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        next.updated_at = self.p.clock.now();
        next.version = current.version + 1;
        self.p
            .organizations
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::test_support::*;
    use crate::kernel::error::StoreError;
    use crate::kernel::ids::OrganizationId;
    use crate::kernel::money::Currency;

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
    async fn the_logo_must_be_a_file_of_the_organization() {
        let mut env = Env::new();
        let mine = OrganizationId::new();
        let (theirs, ours) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        env.files
            .expect_exists()
            .withf(move |o, _| *o == mine)
            .returning(move |_, id| Ok(id.0 == ours));
        env.organizations
            .expect_get_for_update()
            .returning(move |_, o| Ok(org(o)));
        env.organizations
            .expect_update()
            .withf(move |_, o, _| o.logo_file_id == Some(ours))
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, _) = svc(env);
        let admin = actor(mine, &["organization:write"]);
        let logo = |id| OrganizationPatch {
            logo_file_id: Some(id),
            ..Default::default()
        };
        let Err(DomainError::Invalid(errors)) = svc.patch(&admin, None, logo(Some(theirs))).await
        else {
            panic!("expected 422")
        };
        assert_eq!(errors[0].field, "logo_file_id");
        let ok = svc.patch(&admin, None, logo(Some(ours))).await.unwrap();
        assert_eq!(ok.logo_file_id, Some(ours));
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
