//! `/offers` and their actions.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{OffersDelete, OffersRead, OffersWrite};
use actix_web::{HttpResponse, web};
use crm_hr::recruitment::offers::{OFFER_LIST_SPEC, Offer, OfferId, OfferInput, OfferPatch};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /offers`.
    Offers = crm_hr::recruitment::offers::OFFER_LIST_SPEC, search = "";
}

handlers! { service: hr.offers, id: OfferId, location: "/api/v1/offers";
    /// `status` as read today: a sent offer past its `expires_on` is `expired`.
    #[utoipa::path(get, path = "/offers", tag = "offers",
        params(Offers),
        responses((status = 200, description = "One page", body = PageDto<Offer>)))]
    list list_offers(OffersRead, OFFER_LIST_SPEC);

    /// A `draft`, for an application not in a final stage (409 `application-closed`).
    #[utoipa::path(post, path = "/offers", tag = "offers", request_body = OfferInput,
        responses((status = 201, description = "Created, a draft", body = Offer)))]
    create create_offer(OffersWrite, OfferInput);

    #[utoipa::path(get, path = "/offers/{id}", tag = "offers", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The offer (with ETag)", body = Offer)))]
    get get_offer(OffersRead);

    /// Only a draft (409 `offer-not-draft`).
    #[utoipa::path(patch, path = "/offers/{id}", tag = "offers",
        request_body = OfferPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated offer", body = Offer)))]
    update update_offer(OffersWrite, OfferPatch);

    /// Only a draft (409 `offer-not-draft`): withdraw a sent offer instead.
    #[utoipa::path(delete, path = "/offers/{id}", tag = "offers", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_offer(OffersDelete);

    /// `draft` → `sent` (409 `offer-status` from any other status; 409 `offer-expired` when
    /// `expires_on` has passed).
    #[utoipa::path(post, path = "/offers/{id}/send", tag = "offers",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The sent offer", body = Offer)))]
    change send_offer(OffersWrite, send);

    /// `sent` → `accepted` (409 `offer-status` otherwise, an expired offer included).
    #[utoipa::path(post, path = "/offers/{id}/accept", tag = "offers",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The accepted offer", body = Offer)))]
    change accept_offer(OffersWrite, accept);

    /// `sent` → `declined` (409 `offer-status` otherwise, an expired offer included).
    #[utoipa::path(post, path = "/offers/{id}/decline", tag = "offers",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The declined offer", body = Offer)))]
    change decline_offer(OffersWrite, decline);

    /// `draft`, `sent` or `expired` → `withdrawn` (409 `offer-status` otherwise).
    #[utoipa::path(post, path = "/offers/{id}/withdraw", tag = "offers",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The withdrawn offer", body = Offer)))]
    change withdraw_offer(OffersWrite, withdraw);
}
