//! Steps every sales service shares: permission scopes, versions, field checks, audit entries
//! and the checks of references to clients, users and pipelines.

use crate::pipelines::{
    DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, Pipeline, PipelineId, Stage, StageId,
};
use crate::ports::SalesPorts;
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use crm_domain::activity::NewActivity;
use crm_domain::clients::{Client, ClientId};
use crm_domain::kernel::pagination::{FieldValue, Filter, FilterOp, ListQuery};
pub(crate) use crm_domain::kernel::rules::{check_version, nullable, require, require_all};
use crm_domain::{Actor, DomainError, FieldError, OrganizationId, Scope, StoreError, Tx, UserId};

/// The owner a query is narrowed to: the caller under `:own`, nobody otherwise.
pub(crate) fn owner_filter(actor: &Actor, scope: Scope) -> Option<UserId> {
    match scope {
        Scope::All => None,
        Scope::Own => Some(actor.user_id),
    }
}

/// `Ok` when a record owned by `owner` is within the caller's `scope`, `404` otherwise: a
/// record outside the scope is indistinguishable from a missing one.
pub(crate) fn in_scope(actor: &Actor, scope: Scope, owner: UserId) -> Result<(), DomainError> {
    if scope == Scope::All || owner == actor.user_id {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// `query` narrowed to the records of `owner` (when `Some`), as an equality filter on
/// `owner_id`, which every owned list offers.
pub(crate) fn narrowed(query: &ListQuery, owner: Option<UserId>) -> ListQuery {
    let mut q = query.clone();
    if let Some(u) = owner {
        q.filters.push(Filter {
            field: "owner_id",
            op: FilterOp::Eq,
            value: FieldValue::Uuid(u.0),
        });
    }
    q
}

/// The time as stored: truncated to microseconds so it compares equal after a round trip.
pub(crate) fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// Collects field errors while a whole input is checked.
#[derive(Debug, Default)]
pub(crate) struct Errors(Vec<FieldError>);

impl Errors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Takes over the errors collected in `other`.
    pub fn extend(&mut self, other: Errors) {
        self.0.extend(other.0);
    }

    /// The value when `r` is `Ok`, else records its error under `field`.
    pub fn take<T>(&mut self, field: &str, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(mut e) => {
                e.field = field.to_string();
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `422` with every recorded error, or `Ok` when there is none.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}

pub(crate) use crm_domain::activity::change_entry as audit;

/// The kernel's text checks, answering with a field error whose field `Errors::take` fills in.
fn field(e: crm_domain::kernel::validation::ValueError) -> FieldError {
    err(e.code, e.message)
}

pub(crate) fn required_text(raw: &str, what: &str, max: usize) -> Result<String, FieldError> {
    crm_domain::kernel::text::required_text(raw, what, max).map_err(field)
}

/// An optional text: trimmed, empty means absent; `multiline` allows line breaks and tabs.
pub(crate) fn optional_text(
    raw: Option<&str>,
    what: &str,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, FieldError> {
    crm_domain::kernel::text::optional_text(raw, what, max, multiline).map_err(field)
}

pub(crate) fn phone(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    crm_domain::kernel::text::phone(raw).map_err(field)
}

fn err(code: &str, message: impl Into<String>) -> FieldError {
    // The field is filled in by `Errors::take`.
    FieldError::new("", code, message)
}

pub(crate) fn not_found(field: &str, what: &str) -> FieldError {
    FieldError::new(field, "not_found", format!("no such {what}"))
}

/// An optional email address, normalised.
pub(crate) fn email(
    raw: Option<&str>,
) -> Result<Option<crm_domain::identity::EmailAddress>, FieldError> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => crm_domain::identity::EmailAddress::parse(t)
            .map(Some)
            .map_err(|e| err(e.code, e.message)),
    }
}

pub(crate) fn currency(raw: &str) -> Result<crm_domain::Currency, FieldError> {
    crm_domain::Currency::parse(raw).map_err(|e| err("invalid", e.to_string()))
}

/// A `YYYY-MM-DD` date.
pub(crate) fn date(raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| err("invalid", "must be a YYYY-MM-DD date"))
}

/// Largest amount accepted, in minor units (10^15: a thousand trillion cents), so that sums
/// and probability-weighted sums stay far inside 64 bits.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A non-negative amount in minor units, at most [`MAX_AMOUNT`].
pub(crate) fn amount(v: i64) -> Result<i64, FieldError> {
    if (0..=MAX_AMOUNT).contains(&v) {
        Ok(v)
    } else {
        Err(err(
            "out_of_range",
            format!("must be between 0 and {MAX_AMOUNT} minor units"),
        ))
    }
}

/// A probability in percent, 0..=100.
pub(crate) fn probability(v: i32) -> Result<i32, FieldError> {
    if (0..=100).contains(&v) {
        Ok(v)
    } else {
        Err(err("out_of_range", "must be between 0 and 100"))
    }
}

fn owner_not_reassignable(resource: &str) -> FieldError {
    FieldError::new(
        "owner_id",
        "not_allowed",
        format!("assigning a record to another owner needs the {resource}:write permission"),
    )
}

/// Store failures other than `NotFound` are errors; `NotFound` is the given field error.
pub(crate) fn reference<T>(
    r: Result<T, StoreError>,
    missing: FieldError,
) -> Result<Result<T, FieldError>, DomainError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(StoreError::NotFound) => Ok(Err(missing)),
        Err(e) => Err(e.into()),
    }
}

impl SalesPorts {
    /// Now, as stored.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        stored_time(self.clock.now())
    }

    /// Today's date (UTC), against which quotations expire.
    pub(crate) fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }

    pub(crate) async fn record(
        &self,
        tx: &mut (dyn Tx + 'static),
        entry: NewActivity,
    ) -> Result<(), DomainError> {
        Ok(self.activities.record(tx, entry).await?)
    }

    /// Checks an owner for a record of `resource` the caller writes with `scope`: under `:own`
    /// only the caller itself (`422 not_allowed`), and always a user of the organization
    /// (`422 not_found`). `current` is the stored owner on updates (no check when unchanged).
    pub(crate) async fn check_owner(
        &self,
        actor: &Actor,
        resource: &str,
        scope: Scope,
        owner: UserId,
        current: Option<UserId>,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if current == Some(owner) {
            return Ok(());
        }
        if scope == Scope::Own && owner != actor.user_id {
            errors.push(owner_not_reassignable(resource));
            return Ok(());
        }
        if owner == actor.user_id {
            return Ok(());
        }
        if let Err(e) = reference(
            self.users.get(actor.organization_id, owner).await,
            not_found("owner_id", "user"),
        )? {
            errors.push(e);
        }
        Ok(())
    }

    /// The client `id` when it is a client of the organization the caller may see (all
    /// clients with `clients:read`, its own with `clients:read:own`); a field error on
    /// `field` otherwise.
    pub(crate) async fn visible_client(
        &self,
        actor: &Actor,
        id: ClientId,
        field: &str,
    ) -> Result<Result<Client, FieldError>, DomainError> {
        let missing = not_found(field, "client");
        let Some(scope) = actor.scope("clients", "read") else {
            return Ok(Err(missing));
        };
        match reference(self.clients.get(actor.organization_id, id).await, missing)? {
            Ok(c) if scope == Scope::All || c.owner_id == actor.user_id => Ok(Ok(c)),
            Ok(_) => Ok(Err(not_found(field, "client"))),
            Err(e) => Ok(Err(e)),
        }
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
                })
                .collect(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.tx.begin().await?;
        let (pipeline, created) = self
            .pipelines
            .ensure_default(tx.as_mut(), org, &candidate)
            .await?;
        if created {
            let entry = audit(
                org,
                actor,
                "pipeline",
                pipeline.id.0,
                "created",
                None,
                Some(&pipeline),
            );
            self.record(tx.as_mut(), entry).await?;
        }
        tx.commit().await?;
        Ok(pipeline)
    }

    /// The pipeline `id`, or the default one when `None`; a named pipeline that does not
    /// exist is a field error on `field`.
    pub(crate) async fn pipeline_or_default(
        &self,
        actor: &Actor,
        id: Option<PipelineId>,
        field: &str,
    ) -> Result<Result<Pipeline, FieldError>, DomainError> {
        match id {
            Some(id) => reference(
                self.pipelines.get(actor.organization_id, id).await,
                not_found(field, "pipeline"),
            ),
            None => self
                .default_pipeline(actor.organization_id, Some(actor.user_id))
                .await
                .map(Ok),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_amounts_and_probabilities() {
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
        assert!(amount(-1).is_err());
        assert!(amount(MAX_AMOUNT + 1).is_err());
        assert_eq!(amount(0).unwrap(), 0);
        assert!(probability(101).is_err());
        assert!(probability(-1).is_err());
        assert_eq!(date("2026-02-28").unwrap().to_string(), "2026-02-28");
        assert!(date("2026-02-30").is_err());
        assert!(currency("usd").is_ok());
        assert!(currency("usx").is_err());
    }

    #[test]
    fn errors_carry_their_field() {
        let mut e = Errors::default();
        assert_eq!(e.take("name", required_text("", "name", 5)), None);
        assert_eq!(e.take("x", Ok::<_, FieldError>(1)), Some(1));
        let Err(DomainError::Invalid(list)) = e.finish() else {
            panic!("expected 422")
        };
        assert_eq!(list[0].field, "name");
    }
}
