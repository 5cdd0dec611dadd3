//! Finance: `/invoices` (issue, void, PDF, credit notes), `/credit-notes`, `/payments` (with
//! allocations and refunds), `/recurring-invoices`, `/reports/receivables|revenue`,
//! `/expenses` (submit, approve, reject, reimburse), `/contracts` (activate, terminate,
//! renew), `/proposals` (send, accept, decline, quotation) and
//! `POST /quotations/{id}/invoice`: the
//! module's routes and their OpenAPI operations. The finance domain types are the response
//! bodies.

mod contracts;
mod credit_notes;
mod expenses;
mod invoices;
mod payments;
mod proposals;
mod recurring;
mod reports;

use crate::access::Routes;
use crate::export::list_of;
use crate::routes::perms;

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    r.get("/invoices", invoices::list_invoices)
        .export::<perms::InvoicesRead, _>(
            "/invoices/export",
            "invoices",
            &crm_finance::invoices::INVOICE_LIST_SPEC,
            list_of!(finance.invoices),
        )
        .post("/invoices", invoices::create_invoice)
        .get("/invoices/{id}", invoices::get_invoice)
        .patch("/invoices/{id}", invoices::update_invoice)
        .delete("/invoices/{id}", invoices::delete_invoice)
        .post("/invoices/{id}/issue", invoices::issue_invoice)
        .post("/invoices/{id}/void", invoices::void_invoice)
        .get("/invoices/{id}/pdf", invoices::invoice_pdf)
        .post("/invoices/{id}/send", invoices::send_invoice)
        .post("/invoices/{id}/credit-notes", invoices::create_credit_note)
        .post("/quotations/{id}/invoice", invoices::invoice_quotation)
        .get("/credit-notes", credit_notes::list_credit_notes)
        .get("/credit-notes/{id}", credit_notes::get_credit_note)
        .get("/payments", payments::list_payments)
        .export::<perms::PaymentsRead, _>(
            "/payments/export",
            "payments",
            &crm_finance::payments::PAYMENT_LIST_SPEC,
            list_of!(finance.payments),
        )
        .post("/payments", payments::create_payment)
        .get("/payments/{id}", payments::get_payment)
        .patch("/payments/{id}", payments::update_payment)
        .delete("/payments/{id}", payments::delete_payment)
        .post("/payments/{id}/allocations", payments::allocate)
        .delete(
            "/payments/{id}/allocations/{allocation_id}",
            payments::deallocate,
        )
        .post("/payments/{id}/refunds", payments::refund)
        .get("/recurring-invoices", recurring::list_recurring)
        .post("/recurring-invoices", recurring::create_recurring)
        .get("/recurring-invoices/{id}", recurring::get_recurring)
        .patch("/recurring-invoices/{id}", recurring::update_recurring)
        .delete("/recurring-invoices/{id}", recurring::delete_recurring)
        .post("/recurring-invoices/{id}/pause", recurring::pause_recurring)
        .post(
            "/recurring-invoices/{id}/resume",
            recurring::resume_recurring,
        )
        .get("/reports/receivables", reports::receivables)
        .get("/reports/revenue", reports::revenue)
        .get("/expenses", expenses::list_expenses)
        .export::<perms::ExpensesRead, _>(
            "/expenses/export",
            "expenses",
            &crm_finance::expenses::EXPENSE_LIST_SPEC,
            list_of!(finance.expenses),
        )
        .post("/expenses", expenses::create_expense)
        .get("/expenses/{id}", expenses::get_expense)
        .patch("/expenses/{id}", expenses::update_expense)
        .delete("/expenses/{id}", expenses::delete_expense)
        .post("/expenses/{id}/submit", expenses::submit_expense)
        .post("/expenses/{id}/approve", expenses::approve_expense)
        .post("/expenses/{id}/reject", expenses::reject_expense)
        .post("/expenses/{id}/reimburse", expenses::reimburse_expense)
        .get("/contracts", contracts::list_contracts)
        .post("/contracts", contracts::create_contract)
        .get("/contracts/{id}", contracts::get_contract)
        .patch("/contracts/{id}", contracts::update_contract)
        .delete("/contracts/{id}", contracts::delete_contract)
        .post("/contracts/{id}/activate", contracts::activate_contract)
        .post("/contracts/{id}/terminate", contracts::terminate_contract)
        .post("/contracts/{id}/renew", contracts::renew_contract)
        .get("/proposals", proposals::list_proposals)
        .post("/proposals", proposals::create_proposal)
        .get("/proposals/{id}", proposals::get_proposal)
        .patch("/proposals/{id}", proposals::update_proposal)
        .delete("/proposals/{id}", proposals::delete_proposal)
        .post("/proposals/{id}/send", proposals::send_proposal)
        .post("/proposals/{id}/accept", proposals::accept_proposal)
        .post("/proposals/{id}/decline", proposals::decline_proposal)
        .post("/proposals/{id}/quotation", proposals::quote_proposal)
}

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    invoices::list_invoices,
    invoices::create_invoice,
    invoices::get_invoice,
    invoices::update_invoice,
    invoices::delete_invoice,
    invoices::issue_invoice,
    invoices::void_invoice,
    invoices::invoice_pdf,
    invoices::send_invoice,
    invoices::create_credit_note,
    invoices::invoice_quotation,
    credit_notes::list_credit_notes,
    credit_notes::get_credit_note,
    payments::list_payments,
    payments::create_payment,
    payments::get_payment,
    payments::update_payment,
    payments::delete_payment,
    payments::allocate,
    payments::deallocate,
    payments::refund,
    recurring::list_recurring,
    recurring::create_recurring,
    recurring::get_recurring,
    recurring::update_recurring,
    recurring::delete_recurring,
    recurring::pause_recurring,
    recurring::resume_recurring,
    reports::receivables,
    reports::revenue,
    expenses::list_expenses,
    expenses::create_expense,
    expenses::get_expense,
    expenses::update_expense,
    expenses::delete_expense,
    expenses::submit_expense,
    expenses::approve_expense,
    expenses::reject_expense,
    expenses::reimburse_expense,
    contracts::list_contracts,
    contracts::create_contract,
    contracts::get_contract,
    contracts::update_contract,
    contracts::delete_contract,
    contracts::activate_contract,
    contracts::terminate_contract,
    contracts::renew_contract,
    proposals::list_proposals,
    proposals::create_proposal,
    proposals::get_proposal,
    proposals::update_proposal,
    proposals::delete_proposal,
    proposals::send_proposal,
    proposals::accept_proposal,
    proposals::decline_proposal,
    proposals::quote_proposal,
))]
pub struct Api;
