//! `/expenses`, `POST /expenses/{id}/submit|approve|reject|reimburse`, and the notification
//! rules of expenses.

use super::model::{
    ApproveInput, CATEGORY_MAX, DESCRIPTION_MAX, Expense, ExpenseId, ExpenseInput, ExpensePatch,
    ExpenseStatus, MERCHANT_MAX, REASON_MAX, RejectInput,
};
use crate::FinancePorts;
use crate::requirements::{ExpensesApprove, ExpensesDelete, ExpensesRead, ExpensesWrite};
use crm_domain::activity::{NewActivity, audit};
use crm_domain::clients::ClientId;
use crm_domain::files::FileId;
use crm_domain::kernel::input::{Errors, invalid, not_found, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, Record, get_owned, list_owned};
use crm_domain::kernel::references::visible_client;
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::{Requirement, in_scope, require};
use crm_domain::kernel::text::{optional_text, required_multiline, required_text};
use crm_domain::kernel::values::{currency, date, positive_amount};
use crm_domain::notifications::rules::notify_change;
use crm_domain::{Actor, DomainError, Scope, Txn, UserId, ValueError};
use serde_json::Value;
use uuid::Uuid;

fn description(raw: &str) -> Result<String, ValueError> {
    required_multiline(raw, "description", DESCRIPTION_MAX)
}

fn category(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "category", CATEGORY_MAX)
}

fn merchant(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "merchant", MERCHANT_MAX, false)
}

fn status_conflict(current: ExpenseStatus, what: &str) -> DomainError {
    DomainError::conflict(
        "expense-status",
        format!("a {current} expense cannot be {what}"),
    )
}

/// `403` when `actor` submitted the expense: nobody decides on their own claim.
fn not_the_submitter(actor: &Actor, e: &Expense, what: &str) -> Result<(), DomainError> {
    if e.submitted_by == actor.user_id {
        return Err(DomainError::Forbidden {
            code: "expense-own-claim",
            message: format!("an expense cannot be {what} by the person who submitted it"),
        });
    }
    Ok(())
}

fn user(v: &Value) -> Option<UserId> {
    v.as_str().and_then(|s| Uuid::parse_str(s).ok()).map(UserId)
}

fn is_event(entry: &NewActivity, verb: &str) -> bool {
    entry.entity_type == <Expense as audit::Audited>::ENTITY
        && entry.event_verb.unwrap_or(entry.action) == verb
}

/// Rule of `expense.<verb>` told to the submitter (the expense's `submitted_by`).
pub fn submitter_of(entry: &NewActivity, verb: &str) -> Vec<UserId> {
    if !is_event(entry, verb) {
        return Vec::new();
    }
    entry
        .data
        .as_ref()
        .and_then(|d| d.get("submitted_by"))
        .and_then(user)
        .into_iter()
        .collect()
}

/// Expenses: drafts of their submitter, submission, decision, reimbursement.
#[derive(Clone)]
pub struct ExpenseService {
    p: FinancePorts,
}

impl ExpenseService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Expense> {
        Crud::new(&*self.p.tx, &*self.p.expenses, &*self.p.activities)
    }

    /// Needs `expenses:read`; under `:own` only the caller's.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Expense>, DomainError> {
        list_owned::<ExpensesRead, _>(&*self.p.expenses, actor, query).await
    }

    /// Needs `expenses:read`; `404` when missing, of another organization or outside `:own`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: ExpenseId) -> Result<Expense, DomainError> {
        get_owned::<ExpensesRead, _>(&*self.p.expenses, actor, id).await
    }

    /// `Ok` when `actor` decides on the expense `id`: a holder of `expenses:approve` or the
    /// user of the submitter's manager (the reporting line, whatever that user's roles). For
    /// anyone else `403` when they may read the expense, `404` when they may not (another
    /// organization's expense included). The decision routes check it before they read their
    /// body, so an expense out of reach answers the same whatever the body holds.
    pub async fn check_decider(&self, actor: &Actor, id: ExpenseId) -> Result<(), DomainError> {
        let org = actor.organization_id;
        let e = self.p.expenses.get(org, id).await?;
        if actor.can_all(ExpensesApprove::RESOURCE, ExpensesApprove::ACTION) {
            return Ok(());
        }
        let manager = self
            .p
            .expense_lookups
            .manager_user(org, e.submitted_by)
            .await?;
        if manager == Some(actor.user_id) {
            return Ok(());
        }
        match actor.scope(ExpensesRead::RESOURCE, ExpensesRead::ACTION) {
            Some(scope) if crm_domain::kernel::scope::within(actor, scope, e.submitted_by) => {
                Err(DomainError::Forbidden {
                    code: "not-approver",
                    message: "expenses are decided by the submitter's manager or a holder of expenses:approve".into(),
                })
            }
            _ => Err(DomainError::NotFound),
        }
    }

    /// Files the refusals of what a body names: a client the caller may see, a receipt of
    /// the organization, a project of the organization.
    async fn check_references(
        &self,
        actor: &Actor,
        client: Option<ClientId>,
        receipt: Option<FileId>,
        project: Option<Uuid>,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        self.p
            .check_project(actor.organization_id, project, errors)
            .await?;
        if let Some(c) = client {
            visible_client(&*self.p.clients, actor, c, "client_id", errors).await?;
        }
        if let Some(f) = receipt
            && !self
                .p
                .expense_lookups
                .file_exists(actor.organization_id, f)
                .await?
        {
            errors.push(not_found("receipt_file_id", "file"));
        }
        Ok(())
    }

    /// Needs `expenses:write` (`:own` is enough: the caller is always the submitter). A
    /// draft; `currency` the organization's and `incurred_on` its today when absent. `422`
    /// per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: ExpenseInput) -> Result<Expense, DomainError> {
        require::<ExpensesWrite>(actor)?;
        let org = actor.organization_id;
        let o = self.p.organizations.get(org).await?;
        let today = crm_domain::kernel::clock::local_date(self.p.clock.now(), &o.timezone);
        let mut errors = Errors::new();
        let description = errors.value("description", description(&input.description));
        let category = errors.value("category", category(&input.category));
        let amount = errors.value("amount", positive_amount(input.amount));
        let currency = match input.currency.as_deref() {
            Some(c) => errors.value("currency", currency(c)),
            None => o.default_currency,
        };
        let incurred_on = errors.value(
            "incurred_on",
            input.incurred_on.as_deref().map_or(Ok(today), date),
        );
        let merchant = errors.value("merchant", merchant(input.merchant.as_deref()));
        self.check_references(
            actor,
            input.client_id,
            input.receipt_file_id,
            input.project_id,
            &mut errors,
        )
        .await?;
        errors.finish()?;
        let now = self.p.now();
        let expense = Expense {
            id: ExpenseId::new(),
            organization_id: org,
            description,
            category,
            amount,
            currency,
            incurred_on,
            merchant,
            project_id: input.project_id,
            client_id: input.client_id,
            billable: input.billable,
            receipt_file_id: input.receipt_file_id,
            submitted_by: actor.user_id,
            status: ExpenseStatus::Draft,
            approved_amount: None,
            decided_by: None,
            decided_at: None,
            rejection_reason: None,
            reimbursed_at: None,
            invoice_id: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create(actor, expense).await
    }

    /// Needs `expenses:write` (`:own`: the caller's). Drafts only (`409 expense-not-draft`);
    /// `412` on a stale version; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: ExpenseId,
        expected_version: Option<i64>,
        patch: ExpensePatch,
    ) -> Result<Expense, DomainError> {
        let scope = require::<ExpensesWrite>(actor)?;
        let p = &patch;
        // What the body names is looked up on the pool, before the transaction.
        let mut errors = Errors::new();
        self.check_references(
            actor,
            p.client_id.flatten(),
            p.receipt_file_id.flatten(),
            p.project_id.flatten(),
            &mut errors,
        )
        .await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |e| {
                in_scope(actor, scope, e)
            })
            .await?;
        if current.status != ExpenseStatus::Draft {
            return Err(not_draft("edited"));
        }
        let mut next = current.clone();
        errors.patch(
            "description",
            &mut next.description,
            p.description.as_deref().map(description),
        );
        errors.patch(
            "category",
            &mut next.category,
            p.category.as_deref().map(category),
        );
        errors.patch("amount", &mut next.amount, p.amount.map(positive_amount));
        errors.patch(
            "currency",
            &mut next.currency,
            p.currency.as_deref().map(currency),
        );
        errors.patch(
            "incurred_on",
            &mut next.incurred_on,
            p.incurred_on.as_deref().map(date),
        );
        errors.patch("merchant", &mut next.merchant, text(&p.merchant, merchant));
        if let Some(v) = p.project_id {
            next.project_id = v;
        }
        if let Some(v) = p.client_id {
            next.client_id = v;
        }
        if let Some(v) = p.receipt_file_id {
            next.receipt_file_id = v;
        }
        if let Some(v) = p.billable {
            next.billable = v;
        }
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }

    /// Needs `expenses:delete` (`:own`: the caller's). Drafts only (`409 expense-not-draft`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: ExpenseId) -> Result<(), DomainError> {
        let scope = require::<ExpensesDelete>(actor)?;
        self.crud()
            .delete(actor, id, |e| {
                let e = in_scope(actor, scope, e)?;
                if e.status != ExpenseStatus::Draft {
                    return Err(not_draft("deleted"));
                }
                Ok(e)
            })
            .await
    }

    /// The expense `id` locked in `tx` within `scope` (`404` outside it), held to `If-Match`.
    async fn locked(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        scope: Scope,
        id: ExpenseId,
        expected_version: Option<i64>,
    ) -> Result<Expense, DomainError> {
        let current = self
            .p
            .expenses
            .get_for_update(tx, actor.organization_id, id)
            .await?;
        let current = in_scope(actor, scope, current)?;
        check_version(expected_version, current.version)?;
        Ok(current)
    }

    /// Needs `expenses:write`, and only the submitter submits (`403` for anyone else, `404`
    /// under `:own` for another's). `draft → submitted` (`409` otherwise); the organization's
    /// approvers are told.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn submit(
        &self,
        actor: &Actor,
        id: ExpenseId,
        expected_version: Option<i64>,
    ) -> Result<Expense, DomainError> {
        let scope = require::<ExpensesWrite>(actor)?;
        // Who will be told, read on the pool before the transaction: the holders of
        // `expenses:approve` and the submitter's manager's user.
        let org = actor.organization_id;
        let mut approvers = self.p.expense_lookups.approvers(org).await?;
        if let Some(manager) = self
            .p
            .expense_lookups
            .manager_user(org, actor.user_id)
            .await?
            && !approvers.contains(&manager)
        {
            approvers.push(manager);
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .locked(&mut tx, actor, scope, id, expected_version)
            .await?;
        if current.submitted_by != actor.user_id {
            return Err(DomainError::Forbidden {
                code: "expense-not-submitter",
                message: "only the person who claims an expense submits it".into(),
            });
        }
        if current.status != ExpenseStatus::Draft {
            return Err(status_conflict(current.status, "submitted"));
        }
        let next = Expense {
            status: ExpenseStatus::Submitted,
            ..current.clone()
        }
        .touched(self.p.now());
        // The approvers it was sent to (the users holding `expenses:approve` at that moment).
        let sent_to: Vec<UserId> = approvers
            .iter()
            .copied()
            .filter(|u| *u != actor.user_id)
            .collect();
        let sent_to = notify_change(&sent_to);
        self.crud()
            .change(actor, tx, "submitted", &current, next, Some(sent_to))
            .await
    }

    /// By the submitter's manager's user or a holder of `expenses:approve`
    /// ([`Self::check_decider`]), never the submitter (`403`). `submitted → approved` (`409`
    /// otherwise) for `approved_amount` (1..=amount, `422`; the whole amount when absent).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn approve(
        &self,
        actor: &Actor,
        id: ExpenseId,
        expected_version: Option<i64>,
        input: ApproveInput,
    ) -> Result<Expense, DomainError> {
        self.check_decider(actor, id).await?;
        let scope = Scope::All;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .locked(&mut tx, actor, scope, id, expected_version)
            .await?;
        not_the_submitter(actor, &current, "approved")?;
        if current.status != ExpenseStatus::Submitted {
            return Err(status_conflict(current.status, "approved"));
        }
        let approved = input.approved_amount.unwrap_or(current.amount);
        if !(1..=current.amount).contains(&approved) {
            return Err(invalid(
                "approved_amount",
                "out_of_range",
                format!(
                    "must be between 1 and the expense's amount ({})",
                    current.amount
                ),
            ));
        }
        let now = self.p.now();
        let next = Expense {
            status: ExpenseStatus::Approved,
            approved_amount: Some(approved),
            decided_by: Some(actor.user_id),
            decided_at: Some(now),
            ..current.clone()
        }
        .touched(now);
        self.crud()
            .change(actor, tx, "approved", &current, next, None)
            .await
    }

    /// By the submitter's manager's user or a holder of `expenses:approve`
    /// ([`Self::check_decider`]), never the submitter (`403`). `submitted → rejected` (`409`
    /// otherwise) with a reason (`422 reason`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn reject(
        &self,
        actor: &Actor,
        id: ExpenseId,
        expected_version: Option<i64>,
        input: RejectInput,
    ) -> Result<Expense, DomainError> {
        self.check_decider(actor, id).await?;
        let scope = Scope::All;
        let mut errors = Errors::new();
        let reason = errors.value(
            "reason",
            required_multiline(&input.reason, "reason", REASON_MAX),
        );
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .locked(&mut tx, actor, scope, id, expected_version)
            .await?;
        not_the_submitter(actor, &current, "rejected")?;
        if current.status != ExpenseStatus::Submitted {
            return Err(status_conflict(current.status, "rejected"));
        }
        let now = self.p.now();
        let next = Expense {
            status: ExpenseStatus::Rejected,
            rejection_reason: Some(reason),
            decided_by: Some(actor.user_id),
            decided_at: Some(now),
            ..current.clone()
        }
        .touched(now);
        self.crud()
            .change(actor, tx, "rejected", &current, next, None)
            .await
    }

    /// Needs `expenses:approve`. `approved → reimbursed` (`409` otherwise), stamped
    /// `reimbursed_at`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn reimburse(
        &self,
        actor: &Actor,
        id: ExpenseId,
        expected_version: Option<i64>,
    ) -> Result<Expense, DomainError> {
        let scope = require::<ExpensesApprove>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .locked(&mut tx, actor, scope, id, expected_version)
            .await?;
        if current.status != ExpenseStatus::Approved {
            return Err(status_conflict(current.status, "reimbursed"));
        }
        let now = self.p.now();
        let next = Expense {
            status: ExpenseStatus::Reimbursed,
            reimbursed_at: Some(now),
            ..current.clone()
        }
        .touched(now);
        self.crud()
            .change(actor, tx, "reimbursed", &current, next, None)
            .await
    }
}

fn not_draft(what: &str) -> DomainError {
    DomainError::conflict(
        "expense-not-draft",
        format!("only a draft expense can be {what}"),
    )
}
