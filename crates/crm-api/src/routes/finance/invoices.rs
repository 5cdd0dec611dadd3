//! `/invoices`, `POST /invoices/{id}/issue|void|credit-notes`, `GET /invoices/{id}/pdf`,
//! `POST /quotations/{id}/invoice`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, OptionalBody, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{CreditNotesWrite, InvoicesDelete, InvoicesRead, InvoicesWrite};
use actix_web::{HttpResponse, web};
use crm_finance::credit_notes::{CreditNote, CreditNoteInput};
use crm_finance::invoices::{
    INVOICE_LIST_SPEC, Invoice, InvoiceId, InvoiceInput, InvoicePatch, SendInput, VoidInput,
};
use crm_sales::quotations::QuotationId;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /invoices`.
    Invoices = crm_finance::invoices::INVOICE_LIST_SPEC, search = "number";
}

handlers! { service: finance.invoices, id: InvoiceId, location: "/api/v1/invoices";
    #[utoipa::path(get, path = "/invoices", tag = "invoices",
        params(Invoices),
        responses((status = 200, description = "One page", body = PageDto<Invoice>)))]
    list list_invoices(InvoicesRead, INVOICE_LIST_SPEC);

    /// A draft: no number until issued; totals computed from the lines.
    #[utoipa::path(post, path = "/invoices", tag = "invoices", request_body = InvoiceInput,
        responses((status = 201, description = "Created as a draft", body = Invoice)))]
    create create_invoice(InvoicesWrite, InvoiceInput);

    #[utoipa::path(get, path = "/invoices/{id}", tag = "invoices", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The invoice (with ETag)", body = Invoice)))]
    get get_invoice(InvoicesRead);

    /// Only drafts can be edited (409 otherwise).
    #[utoipa::path(patch, path = "/invoices/{id}", tag = "invoices", request_body = InvoicePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated invoice", body = Invoice)))]
    update update_invoice(InvoicesWrite, InvoicePatch);

    /// Only drafts can be deleted (409 otherwise).
    #[utoipa::path(delete, path = "/invoices/{id}", tag = "invoices", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_invoice(InvoicesDelete);

    /// draft → issued: the next `INV-YYYY-NNNN` of the issue date's year; `issue_date` today
    /// when unset. An invoice without lines is 422.
    #[utoipa::path(post, path = "/invoices/{id}/issue", tag = "invoices",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The issued invoice", body = Invoice)))]
    change issue_invoice(InvoicesWrite, issue);
}

/// issued → void, with a reason; only while no payment is allocated (409). It keeps its number.
#[utoipa::path(post, path = "/invoices/{id}/void", tag = "invoices", request_body = VoidInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The voided invoice", body = Invoice)))]
pub async fn void_invoice(
    auth: Auth<InvoicesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<VoidInput>,
) -> Result<HttpResponse, ApiError> {
    let id = InvoiceId(*id);
    // The invoice before the body: another organization's answers 404 whatever it holds.
    state.finance.invoices.exists(&auth.actor, id).await?;
    let r = state
        .finance
        .invoices
        .void(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// The invoice as a PDF document (number, dates, organization, client, lines, totals, balance
/// due), as an attachment.
#[utoipa::path(get, path = "/invoices/{id}/pdf", tag = "invoices", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>)))]
pub async fn invoice_pdf(
    auth: Auth<InvoicesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (doc, pdf) = rendered(&state, &auth, InvoiceId(*id)).await?;
    let name = format!(
        "{}.pdf",
        doc.number
            .clone()
            .unwrap_or_else(|| format!("draft-{}", *id))
    );
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(pdf))
}

/// Renders invoice `id` as PDF on a blocking thread (layout is CPU work).
async fn rendered(
    state: &AppState,
    auth: &Auth<impl crate::access::Requirement>,
    id: InvoiceId,
) -> Result<(crm_finance::document::InvoiceDocument, Vec<u8>), ApiError> {
    let doc = state.finance.invoices.document(&auth.actor, id).await?;
    let service = state.finance.invoices.clone();
    let copy = doc.clone();
    let pdf = web::block(move || service.render(&copy))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "the PDF rendering thread failed");
            ApiError::internal()
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "an invoice could not be rendered");
            ApiError::internal()
        })?;
    Ok((doc, pdf))
}

/// Mails the issued invoice, its PDF attached, to `to` or the client's email (422 on `to`
/// when the client has none); only issued invoices (409). The body may be left out. The mail
/// waits in the outbox while the mail server is down.
#[utoipa::path(post, path = "/invoices/{id}/send", tag = "invoices", request_body(content = SendInput, description = "May be left out: the client's email is used"),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The sent invoice (`sent_at` set)", body = Invoice)))]
pub async fn send_invoice(
    auth: Auth<InvoicesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: OptionalBody<SendInput>,
) -> Result<HttpResponse, ApiError> {
    let id = InvoiceId(*id);
    state.finance.invoices.exists(&auth.actor, id).await?;
    let input = body.parse()?;
    let (_, pdf) = rendered(&state, &auth, id).await?;
    let r = state
        .finance
        .invoices
        .send(&auth.actor, id, if_match.0, input, pdf)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// A credit note against the issued invoice, numbered `CN-YYYY-NNNN` at once; its total may
/// not exceed the invoice's balance due (422 on `items`).
#[utoipa::path(post, path = "/invoices/{id}/credit-notes", tag = "credit-notes",
    request_body = CreditNoteInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "The credit note", body = CreditNote)))]
pub async fn create_credit_note(
    auth: Auth<CreditNotesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<CreditNoteInput>,
) -> Result<HttpResponse, ApiError> {
    let id = InvoiceId(*id);
    state.finance.invoices.exists(&auth.actor, id).await?;
    let n = state
        .finance
        .credit_notes
        .create(&auth.actor, id, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/credit-notes/{}", n.id),
        n.version,
        &n,
    ))
}

/// A draft invoice with the accepted quotation's client, deal, currency and lines; once per
/// quotation (409 after that, or for a quotation not accepted).
#[utoipa::path(post, path = "/quotations/{id}/invoice", tag = "invoices",
    params(("id" = Uuid, Path)),
    responses((status = 201, description = "The draft invoice", body = Invoice)))]
pub async fn invoice_quotation(
    auth: Auth<InvoicesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let i = state
        .finance
        .invoices
        .from_quotation(&auth.actor, QuotationId(*id))
        .await?;
    Ok(created(format!("/api/v1/invoices/{}", i.id), i.version, &i))
}
