//! `/interviews` and their feedback.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{InterviewsDelete, InterviewsRead, InterviewsWrite};
use actix_web::{HttpResponse, web};
use crm_hr::recruitment::interviews::{
    Feedback, FeedbackInput, INTERVIEW_LIST_SPEC, Interview, InterviewId, InterviewInput,
    InterviewPatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /interviews`.
    Interviews = crm_hr::recruitment::interviews::INTERVIEW_LIST_SPEC, search = "location";
}

handlers! { service: hr.interviews, id: InterviewId, location: "/api/v1/interviews";
    /// Under `interviews:read:own`: the interviews the caller is an interviewer of.
    #[utoipa::path(get, path = "/interviews", tag = "interviews",
        params(Interviews),
        responses((status = 200, description = "One page", body = PageDto<Interview>)))]
    list list_interviews(InterviewsRead, INTERVIEW_LIST_SPEC);

    /// `ends_at` after `starts_at` (422); an interviewer already in a scheduled interview at
    /// the same time is 409 (`interviewer-busy`, `existing_id` the other interview); an
    /// application in a final stage is 409 (`application-closed`). Each interviewer is
    /// notified (`interview.scheduled`).
    #[utoipa::path(post, path = "/interviews", tag = "interviews", request_body = InterviewInput,
        responses((status = 201, description = "Created", body = Interview)))]
    create create_interview(InterviewsWrite, InterviewInput);

    #[utoipa::path(get, path = "/interviews/{id}", tag = "interviews", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The interview (with ETag)", body = Interview)))]
    get get_interview(InterviewsRead);

    /// A change of time, interviewers or status is checked for double bookings again (409).
    #[utoipa::path(patch, path = "/interviews/{id}", tag = "interviews",
        request_body = InterviewPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated interview", body = Interview)))]
    update update_interview(InterviewsWrite, InterviewPatch);

    /// Its feedback goes with it.
    #[utoipa::path(delete, path = "/interviews/{id}", tag = "interviews", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_interview(InterviewsDelete);
}

/// The caller's feedback: only a listed interviewer (403 `not-an-interviewer`), once (409
/// `feedback-given`); a cancelled interview takes none (409 `interview-cancelled`).
#[utoipa::path(post, path = "/interviews/{id}/feedback", tag = "interviews",
    request_body = FeedbackInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "The feedback", body = Feedback)))]
pub async fn add_feedback(
    auth: Auth<InterviewsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<FeedbackInput>,
) -> Result<HttpResponse, ApiError> {
    // The interview before the body: 404 out of reach, 403 for a non-interviewer.
    state
        .hr
        .interviews
        .feedback_target(&auth.actor, InterviewId(*id))
        .await?;
    let input = body.parse()?;
    let f = state
        .hr
        .interviews
        .add_feedback(&auth.actor, InterviewId(*id), input)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/interviews/{}/feedback", f.interview_id),
        ))
        .json(f))
}

/// The feedback given on the interview, oldest first (its interviewers and holders of
/// `interviews:read` read it).
#[utoipa::path(get, path = "/interviews/{id}/feedback", tag = "interviews",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The feedback", body = PageDto<Feedback>)))]
pub async fn list_feedback(
    auth: Auth<InterviewsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .hr
        .interviews
        .feedback(&auth.actor, InterviewId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(PageDto {
        data,
        next_cursor: None,
        total: None,
    }))
}
