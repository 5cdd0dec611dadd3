//! `invoice.overdue`: once per invoice, on the first poll after it falls overdue in its
//! organization's time zone (issued, something due, due date before today), the invoice's
//! entry is written and the client's owner notified. The invoice row carries the "told"
//! mark, set in the same transaction as the entry; rows are claimed `SKIP LOCKED`, so
//! instances share the work and none tells twice.

use super::InvoiceId;
use crate::FinancePorts;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use crm_domain::activity::{NewActivity, change_entry};
use crm_domain::jobs::{Job, Period, act_on_each};
use crm_domain::kernel::clock::local_date;
use crm_domain::{DomainError, OrganizationId, UserId};

/// Invoices looked at per poll; the next poll takes the rest.
const BATCH: u64 = 500;

/// Who is told an invoice is overdue: the owner of its client, which the entry carries.
pub fn client_owner(entry: &NewActivity) -> Vec<UserId> {
    entry
        .data
        .as_ref()
        .and_then(|d| d.get("client_owner_id"))
        .and_then(|v| v.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(UserId)
        .into_iter()
        .collect()
}

/// Writes the `overdue` entry of each invoice that became overdue.
pub struct InvoiceOverdueJob {
    p: FinancePorts,
}

impl InvoiceOverdueJob {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// Tells of invoice `id` if it is overdue in its organization now and nobody has yet:
    /// whether it did.
    pub async fn tell(
        &self,
        org: OrganizationId,
        id: InvoiceId,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        let o = self.p.organizations.get(org).await?;
        let today = local_date(now, &o.timezone);
        let mut tx = self.p.tx.begin().await?;
        let Some(invoice) = self.p.invoices.claim_overdue(&mut tx, org, id).await? else {
            return Ok(false);
        };
        let invoice = invoice.as_of(today);
        if !invoice.is_overdue {
            return Ok(false);
        }
        let owner = self.p.clients.get(org, invoice.client_id).await?.owner_id;
        self.p.invoices.mark_overdue_told(&mut tx, org, id).await?;
        let mut data = serde_json::to_value(&invoice).unwrap_or_default();
        if let Some(m) = data.as_object_mut() {
            m.insert("client_owner_id".into(), owner.0.to_string().into());
        }
        let entry = change_entry(org, None, "invoice", id.0, "overdue", None, Some(&data));
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[async_trait]
impl Job for InvoiceOverdueJob {
    fn name(&self) -> &'static str {
        "invoices_overdue"
    }

    fn period(&self) -> Period {
        Period::EveryPoll
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        // Due before today somewhere: no organization's today is a day past UTC's.
        let horizon = now.date_naive() + Duration::days(1);
        let due = self.p.invoices.overdue_candidates(horizon, BATCH).await?;
        let told = act_on_each("overdue invoice told", &due, |org, id| {
            self.tell(org, id, now)
        })
        .await;
        Ok(if told == 0 {
            String::new()
        } else {
            format!("{told} invoices overdue")
        })
    }
}
