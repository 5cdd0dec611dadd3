//! Rules every sales aggregate shares: the value parsers of its bodies (amounts, probabilities,
//! dates, currencies, emails) and the checks of what a body names (owners, clients, pipelines).
//! Scope, input and audit steps are the kernel's (`kernel::scope`, `kernel::input`,
//! `activity::audit`).

use crate::SalesPorts;
use crate::pipelines::{
    DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, Pipeline, PipelineId, Stage, StageId,
};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::{NewActivity, change_entry};
use crm_domain::clients::{Client, ClientId};
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::input::{Errors, not_found};
pub(crate) use crm_domain::kernel::input::{clearable, text};
use crm_domain::kernel::references;
use crm_domain::kernel::scope::Requirement;
pub(crate) use crm_domain::kernel::text::{optional_text, phone, required_text};
pub use crm_domain::kernel::values::MAX_AMOUNT;
pub(crate) use crm_domain::kernel::values::{
    amount, currency, date, optional_currency, optional_date,
};
use crm_domain::{
    Actor, DomainError, FieldError, OrganizationId, Scope, StoreError, Txn, UserId, ValueError,
};

/// An optional email address, normalised; blank means absent.
pub(crate) fn email(raw: Option<&str>) -> Result<Option<EmailAddress>, ValueError> {
    raw.map_or(Ok(None), EmailAddress::parse_optional)
}

/// A probability (or score) in percent, 0..=100.
pub(crate) fn probability(v: i32) -> Result<i32, ValueError> {
    if (0..=100).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new("out_of_range", "must be between 0 and 100"))
    }
}

pub(crate) use crm_domain::kernel::clock::stored as stored_time;

impl SalesPorts {
    /// Now, as stored.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        stored_time(self.clock.now())
    }

    /// Today's date (UTC), against which quotations expire.
    pub(crate) fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }

    pub(crate) async fn record(&self, tx: &mut Txn, entry: NewActivity) -> Result<(), DomainError> {
        Ok(self.activities.record(tx, entry).await?)
    }

    /// Checks the owner of a record the caller writes under `P` with `scope`
    /// ([`crm_domain::kernel::references::check_owner`]).
    pub(crate) async fn check_owner<P: Requirement>(
        &self,
        actor: &Actor,
        scope: Scope,
        owner: UserId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        references::check_owner::<P>(&*self.users, actor, scope, owner, errors).await
    }

    /// The client `id` when the caller may see it
    /// ([`crm_domain::kernel::references::visible_client`]).
    pub(crate) async fn visible_client(
        &self,
        actor: &Actor,
        id: ClientId,
        field: &str,
        errors: &mut Errors,
    ) -> Result<Option<Client>, DomainError> {
        references::visible_client(&*self.clients, actor, id, field, errors).await
    }

    /// The organization's default pipeline, created (in its own short transaction, with its
    /// audit entry) when the organization has none yet. Concurrent first calls agree on one:
    /// the adapter's unique key lets only one insert win.
    pub(crate) async fn default_pipeline(
        &self,
        org: OrganizationId,
        actor: Option<UserId>,
    ) -> Result<Pipeline, DomainError> {
        if let Some(p) = self.pipelines.get_default(org).await? {
            return Ok(p);
        }
        let now = self.now();
        let candidate = Pipeline {
            id: PipelineId::new(),
            organization_id: org,
            name: DEFAULT_PIPELINE_NAME.to_string(),
            is_default: true,
            stages: DEFAULT_STAGES
                .iter()
                .enumerate()
                .map(|(i, (name, probability))| Stage {
                    id: StageId::new(),
                    name: (*name).to_string(),
                    position: i32::try_from(i).unwrap_or(i32::MAX),
                    probability: *probability,
                    legacy_id: None,
                })
                .collect(),
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.tx.begin().await?;
        let (pipeline, created) = self
            .pipelines
            .ensure_default(&mut tx, org, &candidate)
            .await?;
        if created {
            // Made by the system on first need: the entry names the caller when there is one.
            let entry = change_entry(
                org,
                actor,
                "pipeline",
                pipeline.id.0,
                "created",
                None,
                Some(&pipeline),
            );
            self.record(&mut tx, entry).await?;
        }
        tx.commit().await?;
        Ok(pipeline)
    }

    /// The pipeline `id`, or the default one when `None`; a named pipeline that does not
    /// exist is a `not_found` refusal (which the caller files under its field).
    pub(crate) async fn pipeline_or_default(
        &self,
        actor: &Actor,
        id: Option<PipelineId>,
    ) -> Result<Result<Pipeline, FieldError>, DomainError> {
        let Some(id) = id else {
            let org = actor.organization_id;
            return self
                .default_pipeline(org, Some(actor.user_id))
                .await
                .map(Ok);
        };
        match self.pipelines.get(actor.organization_id, id).await {
            Ok(p) => Ok(Ok(p)),
            Err(StoreError::NotFound) => Ok(Err(not_found("pipeline_id", "pipeline"))),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_probabilities() {
        assert_eq!(required_text("  Acme ", "name", 200).unwrap(), "Acme");
        assert_eq!(
            required_text(" ", "name", 200).unwrap_err().code,
            "required"
        );
        assert_eq!(
            required_text("abc", "name", 2).unwrap_err().code,
            "too_long"
        );
        assert_eq!(optional_text(Some("  "), "x", 5, false).unwrap(), None);
        assert!(optional_text(Some("a\nb"), "x", 5, false).is_err());
        assert!(optional_text(Some("a\nb"), "x", 5, true).is_ok());
        assert!(phone(Some("+1 (555) 010")).unwrap().is_some());
        assert!(phone(Some("call me")).is_err());
        assert_eq!(
            email(Some(" Ann@X.io ")).unwrap().unwrap().as_str(),
            "ann@x.io"
        );
        assert!(email(Some("nope")).is_err());
        assert!(probability(101).is_err());
        assert!(probability(-1).is_err());
    }
}
