//! `/contracts`, `POST /contracts/{id}/activate|terminate|renew`, and the notification rule
//! of contracts.

use super::model::{
    CONTRACT_COUNTER, Contract, ContractId, ContractInput, ContractPatch, ContractStatus,
    DEFAULT_RENEWAL_MONTHS, DESCRIPTION_MAX, MAX_NOTICE_DAYS, MAX_RENEWAL_MONTHS, REASON_MAX,
    TITLE_MAX, TerminateInput,
};
use crate::FinancePorts;
use crate::requirements::{ContractsDelete, ContractsRead, ContractsWrite};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_domain::activity::{NewActivity, change_entry};
use crm_domain::clients::ClientId;
use crm_domain::files::FileId;
use crm_domain::kernel::input::{Errors, clearable, invalid, not_found, text};
use crm_domain::kernel::numbering::begin_numbered;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, Record, get_all, list_all};
use crm_domain::kernel::references::{check_owner, visible_client};
use crm_domain::kernel::scope::require;
use crm_domain::kernel::text::{optional_text, required_multiline, required_text};
use crm_domain::kernel::values::{amount, currency, date, optional_date};
use crm_domain::{Actor, DomainError, OrganizationId, Txn, UserId, ValueError};

fn title(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "title", TITLE_MAX)
}

fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "description", DESCRIPTION_MAX, true)
}

fn months(v: i64) -> Result<i32, ValueError> {
    if (1..=MAX_RENEWAL_MONTHS).contains(&v) {
        Ok(i32::try_from(v).unwrap_or(DEFAULT_RENEWAL_MONTHS))
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 1 and {MAX_RENEWAL_MONTHS} months"),
        ))
    }
}

fn notice_days(v: i64) -> Result<i32, ValueError> {
    if (0..=MAX_NOTICE_DAYS).contains(&v) {
        Ok(i32::try_from(v).unwrap_or(0))
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 0 and {MAX_NOTICE_DAYS} days"),
        ))
    }
}

fn status_conflict(current: ContractStatus, what: &str) -> DomainError {
    DomainError::conflict(
        "contract-status",
        format!("a {current} contract cannot be {what}"),
    )
}

/// `422 end_date` unless the term ends after it starts.
fn check_term(start: NaiveDate, end: NaiveDate, errors: &mut Errors) {
    if end <= start {
        errors.add("end_date", "out_of_range", "must be after start_date");
    }
}

/// Rule of the contract notifications (`notice_due`, `renewed`, `expired`): the owner the
/// entry's record names.
pub fn owner_of(entry: &NewActivity, verb: &str) -> Vec<UserId> {
    if entry.entity_type != <Contract as crm_domain::activity::audit::Audited>::ENTITY
        || entry.event_verb.unwrap_or(entry.action) != verb
    {
        return Vec::new();
    }
    entry
        .data
        .as_ref()
        .and_then(|d| d.get("owner_id"))
        .and_then(|v| v.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(UserId)
        .into_iter()
        .collect()
}

/// Contracts: numbered drafts, activation, termination, renewal.
#[derive(Clone)]
pub struct ContractService {
    p: FinancePorts,
}

impl ContractService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Contract> {
        Crud::new(&*self.p.tx, &*self.p.contracts, &*self.p.activities)
    }

    /// Needs `contracts:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Contract>, DomainError> {
        list_all::<ContractsRead, _>(&*self.p.contracts, actor, query).await
    }

    /// Needs `contracts:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: ContractId) -> Result<Contract, DomainError> {
        get_all::<ContractsRead, _>(&*self.p.contracts, actor, id).await
    }

    /// Files the refusals of what a body names: a client the caller may see, a file of the
    /// organization, an owner of it.
    async fn check_references(
        &self,
        actor: &Actor,
        client: Option<ClientId>,
        file: Option<FileId>,
        owner: Option<UserId>,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Some(c) = client {
            visible_client(&*self.p.clients, actor, c, "client_id", errors).await?;
        }
        if let Some(f) = file
            && !self
                .p
                .contract_lookups
                .file_exists(actor.organization_id, f)
                .await?
        {
            errors.push(not_found("file_id", "file"));
        }
        if let Some(o) = owner {
            let scope = require::<ContractsWrite>(actor)?;
            check_owner::<ContractsWrite>(&*self.p.users, actor, scope, o, errors).await?;
        }
        Ok(())
    }

    /// Needs `contracts:write`. A draft numbered `CT-<year>-<n>` in the transaction that
    /// creates it (the year of the organization's today); `currency` the organization's and
    /// `owner_id` the caller when absent. `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: ContractInput,
    ) -> Result<Contract, DomainError> {
        require::<ContractsWrite>(actor)?;
        let org = actor.organization_id;
        let o = self.p.organizations.get(org).await?;
        let today = crm_domain::kernel::clock::local_date(self.p.clock.now(), &o.timezone);
        let mut errors = Errors::new();
        let title = errors.value("title", title(&input.title));
        let value = errors.value("value", amount(input.value.unwrap_or(0)));
        let currency = match input.currency.as_deref() {
            Some(c) => errors.value("currency", currency(c)),
            None => o.default_currency,
        };
        let start = errors.take("start_date", date(&input.start_date));
        let end = errors.take("end_date", date(&input.end_date));
        if let (Some(s), Some(e)) = (start, end) {
            check_term(s, e, &mut errors);
        }
        let renewal_months = errors.value(
            "renewal_months",
            input
                .renewal_months
                .map_or(Ok(DEFAULT_RENEWAL_MONTHS), months),
        );
        let notice = errors.value(
            "notice_days",
            input.notice_days.map(notice_days).transpose(),
        );
        let signed_on = errors.value("signed_on", optional_date(input.signed_on.as_deref()));
        let description = errors.value("description", description(input.description.as_deref()));
        let owner = input.owner_id.unwrap_or(actor.user_id);
        self.check_references(
            actor,
            Some(input.client_id),
            input.file_id,
            Some(owner),
            &mut errors,
        )
        .await?;
        errors.finish()?;
        let (Some(start_date), Some(end_date)) = (start, end) else {
            return Err(invalid("start_date", "required", "a date is required"));
        };
        let year = today.year();
        let (tx, n) =
            begin_numbered(&*self.p.tx, &*self.p.counters, org, CONTRACT_COUNTER, year).await?;
        let now = self.p.now();
        let contract = Contract {
            id: ContractId::new(),
            organization_id: org,
            number: Contract::format_number(year, n),
            client_id: input.client_id,
            title,
            value,
            currency,
            start_date,
            end_date,
            status: ContractStatus::Draft,
            auto_renew: input.auto_renew,
            renewal_months,
            notice_days: notice,
            notice_date: None,
            signed_on,
            description,
            file_id: input.file_id,
            renewed_from_id: None,
            owner_id: owner,
            termination_reason: None,
            terminated_on: None,
            notice_told_for: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
        .with_notice_date();
        self.crud().create_in(actor, tx, contract).await
    }

    /// Needs `contracts:write`. Drafts and active contracts only (`409 contract-status`);
    /// `412` on a stale version; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: ContractId,
        expected_version: Option<i64>,
        patch: ContractPatch,
    ) -> Result<Contract, DomainError> {
        require::<ContractsWrite>(actor)?;
        let p = &patch;
        let mut errors = Errors::new();
        self.check_references(actor, None, p.file_id.flatten(), p.owner_id, &mut errors)
            .await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if !matches!(
            current.status,
            ContractStatus::Draft | ContractStatus::Active
        ) {
            return Err(status_conflict(current.status, "edited"));
        }
        let mut next = current.clone();
        errors.patch("title", &mut next.title, p.title.as_deref().map(title));
        errors.patch("value", &mut next.value, p.value.map(amount));
        errors.patch(
            "currency",
            &mut next.currency,
            p.currency.as_deref().map(currency),
        );
        errors.patch(
            "start_date",
            &mut next.start_date,
            p.start_date.as_deref().map(date),
        );
        errors.patch(
            "end_date",
            &mut next.end_date,
            p.end_date.as_deref().map(date),
        );
        errors.patch(
            "renewal_months",
            &mut next.renewal_months,
            p.renewal_months.map(months),
        );
        errors.patch(
            "notice_days",
            &mut next.notice_days,
            clearable(p.notice_days, notice_days),
        );
        errors.patch(
            "signed_on",
            &mut next.signed_on,
            text(&p.signed_on, optional_date),
        );
        errors.patch(
            "description",
            &mut next.description,
            text(&p.description, description),
        );
        if let Some(v) = p.auto_renew {
            next.auto_renew = v;
        }
        if let Some(v) = p.file_id {
            next.file_id = v;
        }
        if let Some(v) = p.owner_id {
            next.owner_id = v;
        }
        if p.start_date.is_some() || p.end_date.is_some() {
            check_term(next.start_date, next.end_date, &mut errors);
        }
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next.with_notice_date(), self.p.now())
            .await
    }

    /// Needs `contracts:delete`. Drafts only (`409 contract-status`); the number of a deleted
    /// draft is not given out again (the audit log tells where it went).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: ContractId) -> Result<(), DomainError> {
        require::<ContractsDelete>(actor)?;
        self.crud()
            .delete(actor, id, |c| {
                if c.status != ContractStatus::Draft {
                    return Err(status_conflict(c.status, "deleted"));
                }
                Ok(c)
            })
            .await
    }

    /// Needs `contracts:write`. `draft → active` (`409` otherwise).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn activate(
        &self,
        actor: &Actor,
        id: ContractId,
        expected_version: Option<i64>,
    ) -> Result<Contract, DomainError> {
        require::<ContractsWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if current.status != ContractStatus::Draft {
            return Err(status_conflict(current.status, "activated"));
        }
        let next = Contract {
            status: ContractStatus::Active,
            ..current.clone()
        }
        .touched(self.p.now());
        self.crud()
            .change(actor, tx, "activated", &current, next, None)
            .await
    }

    /// Needs `contracts:write`. `active → terminated` (`409` otherwise) with a reason
    /// (`422 reason`) from `effective_date`, a day of its term (`422 effective_date`; the
    /// organization's today, kept within the term, when absent).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn terminate(
        &self,
        actor: &Actor,
        id: ContractId,
        expected_version: Option<i64>,
        input: TerminateInput,
    ) -> Result<Contract, DomainError> {
        require::<ContractsWrite>(actor)?;
        let mut errors = Errors::new();
        let reason = errors.value(
            "reason",
            required_multiline(&input.reason, "reason", REASON_MAX),
        );
        let effective = errors.value(
            "effective_date",
            optional_date(input.effective_date.as_deref()),
        );
        errors.finish()?;
        let today = self.p.today(actor.organization_id).await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if current.status != ContractStatus::Active {
            return Err(status_conflict(current.status, "terminated"));
        }
        let on = match effective {
            Some(d) if d < current.start_date || d > current.end_date => {
                return Err(invalid(
                    "effective_date",
                    "out_of_range",
                    format!(
                        "must be within the contract's term ({} to {})",
                        current.start_date, current.end_date
                    ),
                ));
            }
            Some(d) => d,
            None => today.clamp(current.start_date, current.end_date),
        };
        let next = Contract {
            status: ContractStatus::Terminated,
            termination_reason: Some(reason),
            terminated_on: Some(on),
            ..current.clone()
        }
        .touched(self.p.now());
        self.crud()
            .change(actor, tx, "terminated", &current, next, None)
            .await
    }

    /// Needs `contracts:write`. An active or expired contract becomes `renewed`, and its
    /// successor (same client, title, value, currency and terms, from the day after its end
    /// for `renewal_months`) is created active with a number of its own; `409` from any
    /// other status.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn renew(
        &self,
        actor: &Actor,
        id: ContractId,
        expected_version: Option<i64>,
    ) -> Result<Contract, DomainError> {
        require::<ContractsWrite>(actor)?;
        let org = actor.organization_id;
        let year = self.p.today(org).await?.year();
        let (mut tx, n) =
            begin_numbered(&*self.p.tx, &*self.p.counters, org, CONTRACT_COUNTER, year).await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if !matches!(
            current.status,
            ContractStatus::Active | ContractStatus::Expired
        ) {
            return Err(status_conflict(current.status, "renewed"));
        }
        let successor = renew_in(
            &self.p,
            &mut tx,
            Some(actor.user_id),
            &current,
            Contract::format_number(year, n),
            self.p.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(successor)
    }
}

/// Writes, in `tx`, `current` as `renewed` and its successor numbered `number`, with both
/// entries (`renewed` on the old one, `created` on the new one) by `actor` (`None`: the
/// server). The store's unique `renewed_from_id` refuses a second successor.
pub(crate) async fn renew_in(
    p: &FinancePorts,
    tx: &mut Txn,
    actor: Option<UserId>,
    current: &Contract,
    number: String,
    now: DateTime<Utc>,
) -> Result<Contract, DomainError> {
    let org: OrganizationId = current.organization_id;
    let (start_date, end_date) = current.successor_term();
    let successor = Contract {
        id: ContractId::new(),
        number,
        start_date,
        end_date,
        status: ContractStatus::Active,
        signed_on: None,
        file_id: None,
        renewed_from_id: Some(current.id),
        termination_reason: None,
        terminated_on: None,
        notice_told_for: None,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
        ..current.clone()
    }
    .with_notice_date();
    let renewed = Contract {
        status: ContractStatus::Renewed,
        ..current.clone()
    }
    .touched(now);
    p.contracts.update(tx, &renewed, current.version).await?;
    p.contracts
        .create(tx, &successor)
        .await
        .map_err(|e| match e {
            crm_domain::StoreError::Conflict { .. } => {
                DomainError::conflict("contract-status", "this contract has already been renewed")
            }
            other => other.into(),
        })?;
    let renewed_entry = change_entry(
        org,
        actor,
        "contract",
        renewed.id.0,
        "renewed",
        Some(current),
        Some(&renewed),
    );
    p.record(tx, renewed_entry).await?;
    let created = change_entry(
        org,
        actor,
        "contract",
        successor.id.0,
        "created",
        None,
        Some(&successor),
    );
    p.record(tx, created).await?;
    Ok(successor)
}
