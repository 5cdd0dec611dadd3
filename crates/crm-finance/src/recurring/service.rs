//! `/recurring-invoices` and `POST /recurring-invoices/{id}/pause|resume`.

use super::model::{
    MAX_INTERVAL, MAX_OCCURRENCES, NOTES_MAX, RecurringInvoice, RecurringInvoiceId,
    RecurringInvoiceInput, RecurringInvoicePatch, RecurringStatus,
};
use crate::FinancePorts;
use crate::invoices::{DEFAULT_TERMS_DAYS, MAX_TERMS_DAYS};
use crate::requirements::{RecurringInvoicesDelete, RecurringInvoicesRead, RecurringInvoicesWrite};
use crm_domain::activity::audit;
use crm_domain::kernel::input::{Errors, text};
use crm_domain::kernel::lines::{price_items, sums};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::references::visible_client;
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::require;
use crm_domain::kernel::text::optional_text;
use crm_domain::kernel::values::{currency, date};
use crm_domain::{Actor, DomainError, ValueError};

fn bounded(v: i64, min: i64, max: i64) -> Result<i32, ValueError> {
    if (min..=max).contains(&v) {
        i32::try_from(v).map_err(|_| ValueError::new("out_of_range", "out of range"))
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between {min} and {max}"),
        ))
    }
}

fn notes(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "text", NOTES_MAX, true)
}

fn check_end(t: &RecurringInvoice, errors: &mut Errors) {
    if t.end_date.is_some_and(|e| e < t.start_date) {
        errors.add(
            "end_date",
            "out_of_range",
            "end_date must not be before start_date",
        );
    }
}

fn status_conflict(from: RecurringStatus, what: &str) -> DomainError {
    DomainError::conflict(
        "recurring-status",
        format!("a {from} recurring invoice cannot be {what}"),
    )
}

/// Recurring invoice templates.
#[derive(Clone)]
pub struct RecurringInvoiceService {
    p: FinancePorts,
}

impl RecurringInvoiceService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// Needs `recurring_invoices:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<RecurringInvoice>, DomainError> {
        require::<RecurringInvoicesRead>(actor)?;
        Ok(self.p.recurring.list(actor.organization_id, query).await?)
    }

    /// Needs `recurring_invoices:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        id: RecurringInvoiceId,
    ) -> Result<RecurringInvoice, DomainError> {
        require::<RecurringInvoicesRead>(actor)?;
        Ok(self.p.recurring.get(actor.organization_id, id).await?)
    }

    /// Needs `recurring_invoices:write`. Active from the start; the job makes every invoice
    /// due from `start_date` on, the past ones included (each dated its own date).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: RecurringInvoiceInput,
    ) -> Result<RecurringInvoice, DomainError> {
        require::<RecurringInvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let o = self.p.organizations.get(org).await?;
        let today = crm_domain::kernel::clock::local_date(self.p.clock.now(), &o.timezone);
        let mut errors = Errors::new();
        let currency = match input.currency.as_deref() {
            Some(c) => errors.value("currency", currency(c)),
            None => o.default_currency,
        };
        let items = price_items(&input.items, true, &mut errors);
        let (subtotal, tax_total, total) = errors.value("items", sums(&items));
        let payment_terms_days = errors.value(
            "payment_terms_days",
            input
                .payment_terms_days
                .map_or(Ok(DEFAULT_TERMS_DAYS), |v| {
                    bounded(v, 0, i64::from(MAX_TERMS_DAYS))
                }),
        );
        let interval = errors.value(
            "interval",
            bounded(input.interval.unwrap_or(1), 1, MAX_INTERVAL),
        );
        let start_date = errors.value(
            "start_date",
            input.start_date.as_deref().map_or(Ok(today), date),
        );
        let end_date = errors.value("end_date", input.end_date.as_deref().map(date).transpose());
        let max_occurrences = errors.value(
            "max_occurrences",
            input
                .max_occurrences
                .map(|m| bounded(m, 1, MAX_OCCURRENCES))
                .transpose(),
        );
        let notes_v = errors.value("notes", notes(input.notes.as_deref()));
        let terms_v = errors.value("terms", notes(input.terms.as_deref()));
        visible_client(
            &*self.p.clients,
            actor,
            input.client_id,
            "client_id",
            &mut errors,
        )
        .await?;
        let now = self.p.now();
        let template = RecurringInvoice {
            id: RecurringInvoiceId::new(),
            organization_id: org,
            client_id: input.client_id,
            currency,
            items,
            subtotal,
            tax_total,
            total,
            payment_terms_days,
            frequency: input.frequency,
            interval,
            start_date,
            end_date,
            max_occurrences,
            auto_issue: input.auto_issue.unwrap_or(true),
            auto_send: input.auto_send.unwrap_or(false),
            status: RecurringStatus::Active,
            next_issue_date: None,
            occurrences_done: 0,
            notes: notes_v,
            terms: terms_v,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
            version: 1,
        }
        .rescheduled();
        check_end(&template, &mut errors);
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        self.p.recurring.create(&mut tx, &template).await?;
        self.p
            .record(&mut tx, audit::created(actor, &template))
            .await?;
        tx.commit().await?;
        Ok(template)
    }

    /// Needs `recurring_invoices:write`. `412` on a stale version; `409 schedule-started`
    /// when the schedule changes after the first invoice; limits and lines change what the
    /// next invoices carry (a limit already passed completes the template).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: RecurringInvoiceId,
        expected_version: Option<i64>,
        patch: RecurringInvoicePatch,
    ) -> Result<RecurringInvoice, DomainError> {
        require::<RecurringInvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.recurring.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        let p = &patch;
        errors.patch(
            "currency",
            &mut next.currency,
            p.currency.as_deref().map(currency),
        );
        if let Some(raw) = &p.items {
            next.items = price_items(raw, true, &mut errors);
            (next.subtotal, next.tax_total, next.total) = errors.value("items", sums(&next.items));
        }
        errors.patch(
            "payment_terms_days",
            &mut next.payment_terms_days,
            p.payment_terms_days
                .map(|v| bounded(v, 0, i64::from(MAX_TERMS_DAYS))),
        );
        if let Some(f) = p.frequency {
            next.frequency = f;
        }
        errors.patch(
            "interval",
            &mut next.interval,
            p.interval.map(|v| bounded(v, 1, MAX_INTERVAL)),
        );
        errors.patch(
            "start_date",
            &mut next.start_date,
            p.start_date.as_deref().map(date),
        );
        errors.patch_nullable("end_date", &mut next.end_date, p.end_date.clone(), |d| {
            d.map(date).transpose()
        });
        errors.patch(
            "max_occurrences",
            &mut next.max_occurrences,
            p.max_occurrences
                .map(|m| m.map(|m| bounded(m, 1, MAX_OCCURRENCES)).transpose()),
        );
        if let Some(a) = p.auto_issue {
            next.auto_issue = a;
        }
        if let Some(a) = p.auto_send {
            next.auto_send = a;
        }
        errors.patch("notes", &mut next.notes, text(&p.notes, notes));
        errors.patch("terms", &mut next.terms, text(&p.terms, notes));
        check_end(&next, &mut errors);
        errors.finish()?;
        let schedule_moved = next.start_date != current.start_date
            || next.frequency != current.frequency
            || next.interval != current.interval;
        if schedule_moved && current.occurrences_done > 0 {
            return Err(DomainError::conflict(
                "schedule-started",
                "the schedule (start_date, frequency, interval) is fixed once an invoice was made; end this template and start another",
            ));
        }
        let next = next.rescheduled();
        // A paused template stays paused, unless its limits leave it nothing to make.
        let next = if current.status == RecurringStatus::Paused
            && next.status != RecurringStatus::Completed
        {
            RecurringInvoice {
                status: RecurringStatus::Paused,
                ..next
            }
        } else {
            next
        };
        if next == current {
            return Ok(current);
        }
        let next = RecurringInvoice {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .recurring
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `recurring_invoices:delete`. The invoices it made stay.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: RecurringInvoiceId) -> Result<(), DomainError> {
        require::<RecurringInvoicesDelete>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.recurring.get_for_update(&mut tx, org, id).await?;
        self.p.recurring.delete(&mut tx, org, id).await?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `active → paused`: no invoice is made while paused.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn pause(
        &self,
        actor: &Actor,
        id: RecurringInvoiceId,
        expected_version: Option<i64>,
    ) -> Result<RecurringInvoice, DomainError> {
        self.transition(actor, id, expected_version, RecurringStatus::Paused)
            .await
    }

    /// `paused → active`. The periods that fell due while paused are skipped (they count as
    /// done); the next invoice is the first one dated today or later.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn resume(
        &self,
        actor: &Actor,
        id: RecurringInvoiceId,
        expected_version: Option<i64>,
    ) -> Result<RecurringInvoice, DomainError> {
        self.transition(actor, id, expected_version, RecurringStatus::Active)
            .await
    }

    async fn transition(
        &self,
        actor: &Actor,
        id: RecurringInvoiceId,
        expected_version: Option<i64>,
        to: RecurringStatus,
    ) -> Result<RecurringInvoice, DomainError> {
        require::<RecurringInvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.recurring.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        let (next, action) = match (current.status, to) {
            (RecurringStatus::Active, RecurringStatus::Paused) => (
                RecurringInvoice {
                    status: RecurringStatus::Paused,
                    ..current.clone()
                },
                "paused",
            ),
            (RecurringStatus::Paused, RecurringStatus::Active) => {
                let schedule = current.schedule();
                let mut done = u32::try_from(current.occurrences_done).unwrap_or(0);
                while schedule.occurrence(done).is_some_and(|d| d < today) {
                    done += 1;
                }
                let resumed = RecurringInvoice {
                    status: RecurringStatus::Active,
                    occurrences_done: i32::try_from(done).unwrap_or(i32::MAX),
                    ..current.clone()
                };
                (resumed.rescheduled(), "resumed")
            }
            (from, RecurringStatus::Paused) => return Err(status_conflict(from, "paused")),
            (from, _) => return Err(status_conflict(from, "resumed")),
        };
        let next = RecurringInvoice {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .recurring
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::changed(actor, action, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }
}
