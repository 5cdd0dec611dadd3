//! `/recurring-invoices` and `POST /recurring-invoices/{id}/pause|resume`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{
    RecurringInvoicesDelete, RecurringInvoicesRead, RecurringInvoicesWrite,
};
use actix_web::{HttpResponse, web};
use crm_finance::recurring::{
    RECURRING_LIST_SPEC, RecurringInvoice, RecurringInvoiceId, RecurringInvoiceInput,
    RecurringInvoicePatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /recurring-invoices`.
    RecurringInvoices = crm_finance::recurring::RECURRING_LIST_SPEC, search = "";
}

handlers! { service: finance.recurring, id: RecurringInvoiceId, location: "/api/v1/recurring-invoices";
    #[utoipa::path(get, path = "/recurring-invoices", tag = "recurring-invoices",
        params(RecurringInvoices),
        responses((status = 200, description = "One page", body = PageDto<RecurringInvoice>)))]
    list list_recurring(RecurringInvoicesRead, RECURRING_LIST_SPEC);

    /// Active at once: one invoice per due date from `start_date` on, past dates included,
    /// each dated its own date (issued unless `auto_issue` is false).
    #[utoipa::path(post, path = "/recurring-invoices", tag = "recurring-invoices", request_body = RecurringInvoiceInput,
        responses((status = 201, description = "Created", body = RecurringInvoice)))]
    create create_recurring(RecurringInvoicesWrite, RecurringInvoiceInput);

    #[utoipa::path(get, path = "/recurring-invoices/{id}", tag = "recurring-invoices", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The template (with ETag)", body = RecurringInvoice)))]
    get get_recurring(RecurringInvoicesRead);

    /// The schedule is fixed once an invoice was made (409).
    #[utoipa::path(patch, path = "/recurring-invoices/{id}", tag = "recurring-invoices", request_body = RecurringInvoicePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated template", body = RecurringInvoice)))]
    update update_recurring(RecurringInvoicesWrite, RecurringInvoicePatch);

    /// The invoices it made stay.
    #[utoipa::path(delete, path = "/recurring-invoices/{id}", tag = "recurring-invoices", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_recurring(RecurringInvoicesDelete);

    /// active → paused.
    #[utoipa::path(post, path = "/recurring-invoices/{id}/pause", tag = "recurring-invoices",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The paused template", body = RecurringInvoice)))]
    change pause_recurring(RecurringInvoicesWrite, pause);

    /// paused → active; the dates that passed while paused are skipped.
    #[utoipa::path(post, path = "/recurring-invoices/{id}/resume", tag = "recurring-invoices",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The resumed template", body = RecurringInvoice)))]
    change resume_recurring(RecurringInvoicesWrite, resume);
}
