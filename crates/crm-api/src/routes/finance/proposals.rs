//! `/proposals`, `POST /proposals/{id}/send|accept|decline|quotation`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, OptionalBody, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{ProposalsDelete, ProposalsRead, ProposalsWrite};
use actix_web::{HttpResponse, web};
use crm_finance::proposals::{
    PROPOSAL_LIST_SPEC, Proposal, ProposalId, ProposalInput, ProposalPatch, SendProposalInput,
};
use crm_sales::quotations::Quotation;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /proposals`.
    Proposals = crm_finance::proposals::PROPOSAL_LIST_SPEC, search = "title";
}

handlers! { service: finance.proposals, id: ProposalId, location: "/api/v1/proposals";
    /// With `proposals:read:own`, the caller's own proposals only. `status` as read today:
    /// `expired` finds sent proposals past `valid_until`.
    #[utoipa::path(get, path = "/proposals", tag = "proposals",
        params(Proposals),
        responses((status = 200, description = "One page", body = PageDto<Proposal>)))]
    list list_proposals(ProposalsRead, PROPOSAL_LIST_SPEC);

    /// A draft for a lead or a client (exactly one of `lead_id` and `client_id`; 422 naming
    /// the field otherwise, or for a lead, client or deal the caller cannot see), owned by
    /// the caller unless `owner_id` says otherwise; totals computed from the lines.
    #[utoipa::path(post, path = "/proposals", tag = "proposals", request_body = ProposalInput,
        responses((status = 201, description = "Created as a draft", body = Proposal)))]
    create create_proposal(ProposalsWrite, ProposalInput);

    #[utoipa::path(get, path = "/proposals/{id}", tag = "proposals", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The proposal (with ETag)", body = Proposal)))]
    get get_proposal(ProposalsRead);

    /// Only drafts can be edited (409 otherwise).
    #[utoipa::path(patch, path = "/proposals/{id}", tag = "proposals", request_body = ProposalPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated proposal", body = Proposal)))]
    update update_proposal(ProposalsWrite, ProposalPatch);

    /// Only drafts can be deleted (409 otherwise).
    #[utoipa::path(delete, path = "/proposals/{id}", tag = "proposals", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_proposal(ProposalsDelete);

    /// sent → accepted (409 from any other status, and once `valid_until` has passed).
    #[utoipa::path(post, path = "/proposals/{id}/accept", tag = "proposals",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The accepted proposal", body = Proposal)))]
    change accept_proposal(ProposalsWrite, accept);

    /// sent → declined (409 from any other status, and once `valid_until` has passed).
    #[utoipa::path(post, path = "/proposals/{id}/decline", tag = "proposals",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The declined proposal", body = Proposal)))]
    change decline_proposal(ProposalsWrite, decline);
}

/// Mails the proposal (its summary and Markdown body) to `to` or the email of its client
/// (or lead); 422 on `to` when there is none. draft or sent → sent (`sent_at` set); 409 from
/// any other status, and once `valid_until` has passed. The body may be left out. The mail
/// waits in the outbox while the mail server is down.
#[utoipa::path(post, path = "/proposals/{id}/send", tag = "proposals", request_body(content = SendProposalInput, description = "May be left out: the client's or lead's email is used"),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The sent proposal", body = Proposal)))]
pub async fn send_proposal(
    auth: Auth<ProposalsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: OptionalBody<SendProposalInput>,
) -> Result<HttpResponse, ApiError> {
    let id = ProposalId(*id);
    // The proposal before the body: another organization's answers 404 whatever it holds.
    state.finance.proposals.exists(&auth.actor, id).await?;
    let r = state
        .finance
        .proposals
        .send(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// A draft quotation (needs `quotations:write` too) owned by the caller, with the proposal's
/// lines, currency and deal, issued today and valid until the proposal's `valid_until` when
/// still ahead (else 30 days). Its client is the proposal's, or for a lead's proposal the
/// lead's converted client (409 while the lead is not converted). The proposal need not be
/// accepted: any status but `declined` (409) will do, once per proposal (409 while its
/// quotation exists; `quotation_id` is set on the proposal). A proposal without lines is 422
/// on `items`.
#[utoipa::path(post, path = "/proposals/{id}/quotation", tag = "proposals",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 201, description = "The draft quotation", body = Quotation)))]
pub async fn quote_proposal(
    auth: Auth<ProposalsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let q = state
        .finance
        .proposals
        .quotation(&auth.actor, ProposalId(*id), if_match.0)
        .await?;
    Ok(created(
        format!("/api/v1/quotations/{}", q.id),
        q.version,
        &q,
    ))
}
