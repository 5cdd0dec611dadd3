//! `/quotations` and `POST /quotations/{id}/send|accept|reject`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{QuotationsDelete, QuotationsRead, QuotationsWrite};
use actix_web::{HttpResponse, web};
use crm_sales::quotations::{
    QUOTATION_LIST_SPEC, Quotation, QuotationId, QuotationInput, QuotationPatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /quotations`.
    Quotations = crm_sales::quotations::QUOTATION_LIST_SPEC, search = "number";
}

handlers! { service: sales.quotations, id: QuotationId, location: "/api/v1/quotations";
    #[utoipa::path(get, path = "/quotations", tag = "quotations",
        params(Quotations),
        responses((status = 200, description = "One page", body = PageDto<Quotation>)))]
    list list_quotations(QuotationsRead, QUOTATION_LIST_SPEC);

    /// The number (`Q-YYYY-NNNN`, gap-free per organization and year) and totals are computed.
    #[utoipa::path(post, path = "/quotations", tag = "quotations", request_body = QuotationInput,
        responses((status = 201, description = "Created as a draft", body = Quotation)))]
    create create_quotation(QuotationsWrite, QuotationInput);

    #[utoipa::path(get, path = "/quotations/{id}", tag = "quotations", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The quotation (with ETag)", body = Quotation)))]
    get get_quotation(QuotationsRead);

    /// Only drafts can be edited (409 otherwise).
    #[utoipa::path(patch, path = "/quotations/{id}", tag = "quotations", request_body = QuotationPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated quotation", body = Quotation)))]
    update update_quotation(QuotationsWrite, QuotationPatch);

    #[utoipa::path(delete, path = "/quotations/{id}", tag = "quotations", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_quotation(QuotationsDelete);

    /// draft → sent.
    #[utoipa::path(post, path = "/quotations/{id}/send", tag = "quotations",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The sent quotation", body = Quotation)))]
    change send_quotation(QuotationsWrite, send);

    /// sent → accepted (409 once `valid_until` has passed).
    #[utoipa::path(post, path = "/quotations/{id}/accept", tag = "quotations",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The accepted quotation", body = Quotation)))]
    change accept_quotation(QuotationsWrite, accept);

    /// sent → rejected.
    #[utoipa::path(post, path = "/quotations/{id}/reject", tag = "quotations",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The rejected quotation", body = Quotation)))]
    change reject_quotation(QuotationsWrite, reject);
}
