//! `/candidates`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{CandidatesDelete, CandidatesRead, CandidatesWrite};
use actix_web::{HttpResponse, web};
use crm_hr::recruitment::candidates::{
    CANDIDATE_LIST_SPEC, Candidate, CandidateId, CandidateInput, CandidatePatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /candidates`.
    Candidates = crm_hr::recruitment::candidates::CANDIDATE_LIST_SPEC, search = "name, email, phone and notes";
}

handlers! { service: hr.candidates, id: CandidateId, location: "/api/v1/candidates";
    #[utoipa::path(get, path = "/candidates", tag = "candidates",
        params(Candidates),
        responses((status = 200, description = "One page", body = PageDto<Candidate>)))]
    list list_candidates(CandidatesRead, CANDIDATE_LIST_SPEC);

    /// The email is unique per organization whatever its case: a duplicate is 409
    /// (`candidate-duplicate`) with `existing_id` naming the candidate that has it.
    #[utoipa::path(post, path = "/candidates", tag = "candidates", request_body = CandidateInput,
        responses(
            (status = 201, description = "Created", body = Candidate),
            (status = 409, description = "A candidate has this email; `existing_id` names it", body = crate::problem::Problem, content_type = "application/problem+json"),
        ))]
    create create_candidate(CandidatesWrite, CandidateInput);

    #[utoipa::path(get, path = "/candidates/{id}", tag = "candidates", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The candidate (with ETag)", body = Candidate)))]
    get get_candidate(CandidatesRead);

    /// A new email taken by another candidate is 409 (`candidate-duplicate`, `existing_id`).
    #[utoipa::path(patch, path = "/candidates/{id}", tag = "candidates",
        request_body = CandidatePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated candidate", body = Candidate)))]
    update update_candidate(CandidatesWrite, CandidatePatch);

    /// A candidate with applications is kept (409 `candidate-in-use`).
    #[utoipa::path(delete, path = "/candidates/{id}", tag = "candidates", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_candidate(CandidatesDelete);
}
