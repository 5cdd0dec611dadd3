//! `/contracts`, `POST /contracts/{id}/activate|terminate|renew`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{ContractsDelete, ContractsRead, ContractsWrite};
use actix_web::{HttpResponse, web};
use crm_finance::contracts::{
    CONTRACT_LIST_SPEC, Contract, ContractId, ContractInput, ContractPatch, TerminateInput,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /contracts`.
    Contracts = crm_finance::contracts::CONTRACT_LIST_SPEC, search = "title and number";
}

handlers! { service: finance.contracts, id: ContractId, location: "/api/v1/contracts";
    #[utoipa::path(get, path = "/contracts", tag = "contracts",
        params(Contracts),
        responses((status = 200, description = "One page", body = PageDto<Contract>)))]
    list list_contracts(ContractsRead, CONTRACT_LIST_SPEC);

    /// A draft, numbered `CT-YYYY-NNNN` at once (gap-free per organization and year).
    #[utoipa::path(post, path = "/contracts", tag = "contracts", request_body = ContractInput,
        responses((status = 201, description = "Created as a numbered draft", body = Contract)))]
    create create_contract(ContractsWrite, ContractInput);

    #[utoipa::path(get, path = "/contracts/{id}", tag = "contracts", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The contract (with ETag)", body = Contract)))]
    get get_contract(ContractsRead);

    /// Drafts and active contracts only (409 otherwise). A new `end_date` or `notice_days`
    /// makes a new `notice_date`, of which the owner is told once it comes.
    #[utoipa::path(patch, path = "/contracts/{id}", tag = "contracts", request_body = ContractPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated contract", body = Contract)))]
    update update_contract(ContractsWrite, ContractPatch);

    /// Drafts only (409 otherwise); the deleted draft's number is not given out again.
    #[utoipa::path(delete, path = "/contracts/{id}", tag = "contracts", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_contract(ContractsDelete);

    /// draft → active (409 otherwise).
    #[utoipa::path(post, path = "/contracts/{id}/activate", tag = "contracts",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The active contract", body = Contract)))]
    change activate_contract(ContractsWrite, activate);
}

/// active → terminated (409 otherwise), with a reason (422 without one), from
/// `effective_date`, a day of the term (422 otherwise; today when absent).
#[utoipa::path(post, path = "/contracts/{id}/terminate", tag = "contracts",
    request_body = TerminateInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The terminated contract", body = Contract)))]
pub async fn terminate_contract(
    auth: Auth<ContractsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<TerminateInput>,
) -> Result<HttpResponse, ApiError> {
    let id = ContractId(*id);
    // The contract before the body: another organization's answers 404 whatever it holds.
    state.finance.contracts.get(&auth.actor, id).await?;
    let r = state
        .finance
        .contracts
        .terminate(&auth.actor, id, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(r.version, &r))
}

/// An active or expired contract becomes `renewed` (409 from any other status), and its
/// successor is created: same client, title, value, currency and terms, active from the day
/// after the end for `renewal_months`, with a number of its own. `If-Match` names the
/// renewed contract's version.
#[utoipa::path(post, path = "/contracts/{id}/renew", tag = "contracts",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 201, description = "The successor contract", body = Contract)))]
pub async fn renew_contract(
    auth: Auth<ContractsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .finance
        .contracts
        .renew(&auth.actor, ContractId(*id), if_match.0)
        .await?;
    Ok(created(
        format!("/api/v1/contracts/{}", r.id),
        r.version,
        &r,
    ))
}
