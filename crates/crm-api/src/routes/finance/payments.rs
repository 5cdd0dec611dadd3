//! `/payments`, `POST /payments/{id}/allocations`, `DELETE
//! /payments/{id}/allocations/{allocation_id}`, `POST /payments/{id}/refunds`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{PaymentsDelete, PaymentsRead, PaymentsWrite};
use actix_web::{HttpResponse, web};
use crm_finance::payments::{
    AllocationId, AllocationInput, PAYMENT_LIST_SPEC, Payment, PaymentId, PaymentInput,
    PaymentPatch, RefundInput,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /payments`.
    Payments = crm_finance::payments::PAYMENT_LIST_SPEC, search = "reference";
}

handlers! { service: finance.payments, id: PaymentId, location: "/api/v1/payments";
    #[utoipa::path(get, path = "/payments", tag = "payments",
        params(Payments),
        responses((status = 200, description = "One page", body = PageDto<Payment>)))]
    list list_payments(PaymentsRead, PAYMENT_LIST_SPEC);

    /// With its allocations (may be empty), checked in the writing transaction: issued
    /// invoices of the same client and currency (409 for draft or void), each at most the
    /// invoice's balance due (409), together at most the amount (422 on `allocations`).
    #[utoipa::path(post, path = "/payments", tag = "payments", request_body = PaymentInput,
        responses((status = 201, description = "Recorded", body = Payment)))]
    create create_payment(PaymentsWrite, PaymentInput);

    #[utoipa::path(get, path = "/payments/{id}", tag = "payments", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The payment (with ETag)", body = Payment)))]
    get get_payment(PaymentsRead);

    /// Its details: `received_on`, `method`, `reference`, `notes`.
    #[utoipa::path(patch, path = "/payments/{id}", tag = "payments", request_body = PaymentPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated payment", body = Payment)))]
    update update_payment(PaymentsWrite, PaymentPatch);

    /// Removes the payment with its allocations and refunds, restoring the invoices' balances.
    #[utoipa::path(delete, path = "/payments/{id}", tag = "payments", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_payment(PaymentsDelete);
}

/// Allocates unapplied money to an invoice (422 on `amount` above the unapplied amount);
/// answers the payment, its new allocation last.
#[utoipa::path(post, path = "/payments/{id}/allocations", tag = "payments",
    request_body = AllocationInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "The payment with the new allocation", body = Payment)))]
pub async fn allocate(
    auth: Auth<PaymentsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<AllocationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = PaymentId(*id);
    // The payment before the body: another organization's answers 404 whatever it holds.
    state.finance.payments.exists(&auth.actor, id).await?;
    let p = state
        .finance
        .payments
        .allocate(&auth.actor, id, body.parse()?)
        .await?;
    Ok(created(format!("/api/v1/payments/{}", p.id), p.version, &p))
}

/// Removes an allocation: the money is unapplied again, the invoice's balance due rises.
#[utoipa::path(delete, path = "/payments/{id}/allocations/{allocation_id}", tag = "payments",
    params(("id" = Uuid, Path), ("allocation_id" = Uuid, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn deallocate(
    auth: Auth<PaymentsWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, allocation) = *path;
    state
        .finance
        .payments
        .deallocate(&auth.actor, PaymentId(id), AllocationId(allocation))
        .await?;
    Ok(no_content())
}

/// Refunds unapplied money (422 on `amount` above it); answers the payment, its new refund
/// last.
#[utoipa::path(post, path = "/payments/{id}/refunds", tag = "payments",
    request_body = RefundInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "The payment with the new refund", body = Payment)))]
pub async fn refund(
    auth: Auth<PaymentsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<RefundInput>,
) -> Result<HttpResponse, ApiError> {
    let id = PaymentId(*id);
    // The payment before the body: another organization's answers 404 whatever it holds.
    state.finance.payments.exists(&auth.actor, id).await?;
    let p = state
        .finance
        .payments
        .refund(&auth.actor, id, body.parse()?)
        .await?;
    Ok(created(format!("/api/v1/payments/{}", p.id), p.version, &p))
}
