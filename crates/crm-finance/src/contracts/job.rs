//! The daily life of contracts, looked for on every poll: from its notice date on, an active
//! contract's owner is told once (`contract.notice_due`); once its end has passed (in its
//! organization's time zone) it is renewed when `auto_renew`, else `expired`. Each contract
//! is claimed `SKIP LOCKED` and checked under the claim, its change and entry written in one
//! transaction: instances share the work, and none acts twice on a contract and date (the
//! told notice date is kept on the row; a status moves once; a successor's `renewed_from_id`
//! is unique).

use super::model::{CONTRACT_COUNTER, Contract, ContractId, ContractStatus};
use super::service::renew_in;
use crate::FinancePorts;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Utc};
use crm_domain::activity::change_entry;
use crm_domain::jobs::{Job, Period};
use crm_domain::kernel::clock::{local_date, stored};
use crm_domain::kernel::numbering::begin_numbered;
use crm_domain::kernel::records::Record;
use crm_domain::{DomainError, OrganizationId};

/// Contracts looked at per poll and kind of work; the next poll takes the rest.
const BATCH: u64 = 200;

/// What the job did to one contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Nothing,
    Told,
    Renewed,
    Expired,
}

/// Notices, renewals and expiries of contracts.
pub struct ContractJob {
    p: FinancePorts,
}

impl ContractJob {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// Tells the owner of contract `id` of its notice date if it has come and nobody has.
    pub async fn tell_notice(
        &self,
        org: OrganizationId,
        id: ContractId,
        now: DateTime<Utc>,
    ) -> Result<Outcome, DomainError> {
        let o = self.p.organizations.get(org).await?;
        let today = local_date(now, &o.timezone);
        let mut tx = self.p.tx.begin().await?;
        let Some(current) = self.p.contract_lookups.claim(&mut tx, org, id).await? else {
            return Ok(Outcome::Nothing);
        };
        let (true, Some(date)) = (current.notice_due(today), current.notice_date) else {
            return Ok(Outcome::Nothing);
        };
        self.p
            .contract_lookups
            .mark_notice_told(&mut tx, org, id, date)
            .await?;
        let entry = change_entry(
            org,
            None,
            "contract",
            id.0,
            "notice_due",
            None,
            Some(&current),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(Outcome::Told)
    }

    /// Renews or expires contract `id` if it is active and its end has passed. A renewal
    /// takes its successor's number first thing in its transaction, as every numbering
    /// transaction does; an expiry takes none (a number taken and not used would be a gap).
    pub async fn end_term(
        &self,
        org: OrganizationId,
        id: ContractId,
        now: DateTime<Utc>,
    ) -> Result<Outcome, DomainError> {
        let o = self.p.organizations.get(org).await?;
        let today = local_date(now, &o.timezone);
        let seen = self.p.contracts.get(org, id).await?;
        if !seen.ended(today) {
            return Ok(Outcome::Nothing);
        }
        let year = today.year();
        let (mut tx, number) = if seen.auto_renew {
            let (tx, n) =
                begin_numbered(&*self.p.tx, &*self.p.counters, org, CONTRACT_COUNTER, year).await?;
            (tx, Some(Contract::format_number(year, n)))
        } else {
            (self.p.tx.begin().await?, None)
        };
        let Some(current) = self.p.contract_lookups.claim(&mut tx, org, id).await? else {
            return Ok(Outcome::Nothing);
        };
        // Changed since it was read (its renewal switched, its end moved): the next poll
        // decides on what it is then; dropping the transaction gives any number back.
        if !current.ended(today) || current.auto_renew != number.is_some() {
            return Ok(Outcome::Nothing);
        }
        let now = stored(now);
        let outcome = match number {
            Some(number) => {
                renew_in(&self.p, &mut tx, None, &current, number, now).await?;
                Outcome::Renewed
            }
            None => {
                let expired = Contract {
                    status: ContractStatus::Expired,
                    ..current.clone()
                }
                .touched(now);
                self.p
                    .contracts
                    .update(&mut tx, &expired, current.version)
                    .await?;
                let entry = change_entry(
                    org,
                    None,
                    "contract",
                    id.0,
                    "expired",
                    Some(&current),
                    Some(&expired),
                );
                self.p.record(&mut tx, entry).await?;
                Outcome::Expired
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}

#[async_trait]
impl Job for ContractJob {
    fn name(&self) -> &'static str {
        "contracts"
    }

    fn period(&self) -> Period {
        Period::EveryPoll
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        // No organization's today is more than a day past UTC's: the horizons take every
        // candidate, and each is checked against its own organization's today.
        let today_somewhere = now.date_naive() + Duration::days(1);
        let notices = self
            .p
            .contract_lookups
            .notice_before(today_somewhere, BATCH)
            .await?;
        let ended = self
            .p
            .contract_lookups
            .ended_before(today_somewhere, BATCH)
            .await?;
        let (mut told, mut renewed, mut expired, mut failed) = (0, 0, 0, 0);
        for (org, id) in &notices {
            match self.tell_notice(*org, *id, now).await {
                Ok(Outcome::Told) => told += 1,
                Ok(_) => {}
                Err(e) => {
                    failed += 1;
                    tracing::warn!(org = %org, contract = %id, error = %e, "contract notice not told; retried next poll");
                }
            }
        }
        for (org, id) in &ended {
            match self.end_term(*org, *id, now).await {
                Ok(Outcome::Renewed) => renewed += 1,
                Ok(Outcome::Expired) => expired += 1,
                Ok(_) => {}
                Err(e) => {
                    failed += 1;
                    tracing::warn!(org = %org, contract = %id, error = %e, "contract term not ended; retried next poll");
                }
            }
        }
        if failed > 0 && told + renewed + expired == 0 {
            return Err(DomainError::Unavailable(format!(
                "{failed} contracts failed"
            )));
        }
        Ok(if told + renewed + expired == 0 {
            String::new()
        } else {
            format!("contracts: {told} notices, {renewed} renewed, {expired} expired")
        })
    }
}
