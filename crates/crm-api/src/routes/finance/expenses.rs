//! `/expenses`, `POST /expenses/{id}/submit|approve|reject|reimburse`.

use crate::access::{Auth, SignedIn};
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{ExpensesApprove, ExpensesDelete, ExpensesRead, ExpensesWrite};
use actix_web::{HttpResponse, web};
use crm_finance::expenses::{
    ApproveInput, EXPENSE_LIST_SPEC, Expense, ExpenseId, ExpenseInput, ExpensePatch, RejectInput,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /expenses`.
    Expenses = crm_finance::expenses::EXPENSE_LIST_SPEC, search = "description and merchant";
}

handlers! { service: finance.expenses, id: ExpenseId, location: "/api/v1/expenses";
    /// With `expenses:read:own`, the caller's own expenses only.
    #[utoipa::path(get, path = "/expenses", tag = "expenses",
        params(Expenses),
        responses((status = 200, description = "One page", body = PageDto<Expense>)))]
    list list_expenses(ExpensesRead, EXPENSE_LIST_SPEC);

    /// A draft claimed by the caller (`submitted_by`).
    #[utoipa::path(post, path = "/expenses", tag = "expenses", request_body = ExpenseInput,
        responses((status = 201, description = "Created as a draft", body = Expense)))]
    create create_expense(ExpensesWrite, ExpenseInput);

    #[utoipa::path(get, path = "/expenses/{id}", tag = "expenses", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The expense (with ETag)", body = Expense)))]
    get get_expense(ExpensesRead);

    /// Only drafts can be edited (409 otherwise).
    #[utoipa::path(patch, path = "/expenses/{id}", tag = "expenses", request_body = ExpensePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated expense", body = Expense)))]
    update update_expense(ExpensesWrite, ExpensePatch);

    /// Only drafts can be deleted (409 otherwise).
    #[utoipa::path(delete, path = "/expenses/{id}", tag = "expenses", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_expense(ExpensesDelete);

    /// draft → submitted, by the person who claims it only (403 for anyone else); the
    /// organization's approvers are notified.
    #[utoipa::path(post, path = "/expenses/{id}/submit", tag = "expenses",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The submitted expense", body = Expense)))]
    change submit_expense(ExpensesWrite, submit);

    /// approved → reimbursed (409 otherwise).
    #[utoipa::path(post, path = "/expenses/{id}/reimburse", tag = "expenses",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The reimbursed expense", body = Expense)))]
    change reimburse_expense(ExpensesApprove, reimburse);
}

/// submitted → approved, for `approved_amount` (1 up to the amount; the whole amount when
/// absent; send `{}` for that). By the submitter's manager's user (their reporting line,
/// whatever their roles) or a holder of `expenses:approve`; never by the submitter (403).
#[utoipa::path(post, path = "/expenses/{id}/approve", tag = "expenses",
    request_body = ApproveInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The approved expense", body = Expense)))]
pub async fn approve_expense(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<ApproveInput>,
) -> Result<HttpResponse, ApiError> {
    let id = ExpenseId(*id);
    // The decider before the body: an expense out of reach answers the same whatever it holds.
    state
        .finance
        .expenses
        .check_decider(&auth.actor, id)
        .await?;
    let r = state
        .finance
        .expenses
        .approve(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// submitted → rejected, with a reason (422 without one). By the submitter's manager's user
/// or a holder of `expenses:approve`; never by the submitter (403).
#[utoipa::path(post, path = "/expenses/{id}/reject", tag = "expenses",
    request_body = RejectInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The rejected expense", body = Expense)))]
pub async fn reject_expense(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<RejectInput>,
) -> Result<HttpResponse, ApiError> {
    let id = ExpenseId(*id);
    // The decider before the body: an expense out of reach answers the same whatever it holds.
    state
        .finance
        .expenses
        .check_decider(&auth.actor, id)
        .await?;
    let r = state
        .finance
        .expenses
        .reject(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}
