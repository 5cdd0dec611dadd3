//! `POST /projects/{id}/invoice`: a draft invoice of a project's unbilled billable time and
//! approved billable expenses, which get its id in the same transaction (and lose it again
//! when the draft is deleted: the time entries by their foreign key, the expenses by the
//! invoice store's delete).

use super::model::{DEFAULT_TERMS_DAYS, Invoice, NewDraft};
use super::service::InvoiceService;
use crate::requirements::InvoicesWrite;
use chrono::NaiveDate;
use crm_domain::activity::audit;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::lines::{LineItem, price_line, totals};
use crm_domain::kernel::money::Quantity;
use crm_domain::kernel::records::Record as _;
use crm_domain::kernel::scope::require;
use crm_domain::kernel::values::date;
use crm_domain::{Actor, DomainError};
use crm_projects::projects::Project;
use crm_projects::time::{TimeLine, invoice_lines};
use serde::Deserialize;

/// `POST /projects/{id}/invoice`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"up_to": "2026-03-31"})))]
pub struct ProjectInvoiceInput {
    /// Bill only time worked and expenses incurred on or before this day (all when absent).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub up_to: Option<String>,
}

fn nothing_to_bill() -> DomainError {
    DomainError::conflict(
        "nothing-to-bill",
        "the project has no unbilled billable time or approved billable expenses",
    )
}

fn priced(
    description: String,
    quantity: Quantity,
    unit_price: i64,
) -> Result<LineItem, DomainError> {
    price_line(description, quantity, unit_price, 0)
        .map_err(|e| DomainError::invalid("items", "out_of_range", e.to_string()))
}

impl InvoiceService {
    /// The description of a line of time: its task's title, or the project's untasked time.
    async fn time_line_text(
        &self,
        project: &Project,
        line: &TimeLine,
    ) -> Result<String, DomainError> {
        let hours = line.quantity;
        Ok(match line.task_id {
            Some(t) => {
                let title = match self.p.tasks.get(project.organization_id, t).await {
                    Ok(task) => task.title,
                    Err(crm_domain::StoreError::NotFound) => format!("Task {t}"),
                    Err(e) => return Err(e.into()),
                };
                format!("{title} ({hours} h)")
            }
            None => format!("{}: time without a task ({hours} h)", project.name),
        })
    }

    /// Needs `invoices:write` (the caller has checked the project is theirs to read). One
    /// line per task and rate of unbilled billable time (quantity in hours, 3 decimals, at
    /// the entries' `bill_rate`; untasked time on its own line), one per approved billable
    /// expense in the invoice's currency; the project's client, in the project's budget
    /// currency (the organization's when it has none). `409 nothing-to-bill`; `409
    /// project-without-client` for a project with no client to bill.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, project = %project.id))]
    pub async fn from_project(
        &self,
        actor: &Actor,
        project: Project,
        input: ProjectInvoiceInput,
    ) -> Result<Invoice, DomainError> {
        require::<InvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let up_to: Option<NaiveDate> =
            errors.value("up_to", input.up_to.as_deref().map(date).transpose());
        errors.finish()?;
        let Some(client) = project.client_id else {
            return Err(DomainError::conflict(
                "project-without-client",
                "the project has no client to bill: set its client_id first",
            ));
        };
        let currency = match project.budget_currency {
            Some(c) => c,
            None => self.p.organizations.get(org).await?.default_currency,
        };
        let mut tx = self.p.tx.begin().await?;
        // The project's row: two invoicings of one project run one after the other.
        let project = self
            .p
            .projects
            .get_for_update(&mut tx, org, project.id)
            .await?;
        let entries = self
            .p
            .project_time
            .unbilled(&mut tx, org, project.id)
            .await?;
        let lines = invoice_lines(&entries, up_to);
        let expenses = self
            .p
            .expense_lookups
            .billable_for_project(&mut tx, org, project.id.0, currency, up_to)
            .await?;
        if lines.is_empty() && expenses.is_empty() {
            return Err(nothing_to_bill());
        }
        let mut items = Vec::with_capacity(lines.len() + expenses.len());
        for l in &lines {
            let text = self.time_line_text(&project, l).await?;
            items.push(priced(text, l.quantity, l.unit_price)?);
        }
        for e in &expenses {
            let amount = e.approved_amount.unwrap_or(e.amount);
            let text = format!("{} ({}, {})", e.description, e.category, e.incurred_on);
            items.push(priced(text, Quantity::from_thousandths(1000), amount)?);
        }
        let sums = totals(&items)
            .map_err(|e| DomainError::invalid("items", "out_of_range", e.to_string()))?;
        let invoice = Invoice {
            project_id: Some(project.id.0),
            ..Invoice::draft(NewDraft {
                organization_id: org,
                client_id: client,
                currency,
                items,
                totals: sums,
                payment_terms_days: DEFAULT_TERMS_DAYS,
                created_by: actor.user_id,
                now: self.p.now(),
            })
        };
        self.p.invoices.create(&mut tx, &invoice).await?;
        let entry_ids: Vec<_> = lines
            .iter()
            .flat_map(|l| l.entry_ids.iter().copied())
            .collect();
        self.p
            .project_time
            .mark_invoiced(&mut tx, org, &entry_ids, invoice.id.0)
            .await?;
        let expense_ids: Vec<_> = expenses.iter().map(|e| e.id()).collect();
        self.p
            .expense_lookups
            .mark_invoiced(&mut tx, org, &expense_ids, invoice.id.0)
            .await?;
        self.p
            .record(&mut tx, audit::created(actor, &invoice))
            .await?;
        tx.commit().await?;
        Ok(invoice)
    }
}
