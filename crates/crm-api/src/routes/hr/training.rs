//! Training: `/training-programs`, `/training-sessions` with their enrollments,
//! `/training-enrollments` (read and results), `GET /certifications`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{
    CertificationsRead, TrainingEnrollmentsRead, TrainingEnrollmentsWrite, TrainingProgramsDelete,
    TrainingProgramsRead, TrainingProgramsWrite, TrainingSessionsDelete, TrainingSessionsRead,
    TrainingSessionsWrite,
};
use actix_web::{HttpResponse, web};
use crm_hr::training::{
    CERTIFICATION_LIST_SPEC, Certification, EnrollmentInput, EnrollmentPatch,
    TRAINING_ENROLLMENT_LIST_SPEC, TRAINING_PROGRAM_LIST_SPEC, TRAINING_SESSION_LIST_SPEC,
    TrainingEnrollment, TrainingEnrollmentId, TrainingProgram, TrainingProgramId,
    TrainingProgramInput, TrainingProgramPatch, TrainingSession, TrainingSessionId,
    TrainingSessionInput, TrainingSessionPatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /training-programs`.
    TrainingPrograms = crm_hr::training::TRAINING_PROGRAM_LIST_SPEC,
        search = "title, category and description";
    /// `GET /training-sessions`.
    TrainingSessions = crm_hr::training::TRAINING_SESSION_LIST_SPEC,
        search = "location and trainer";
    /// `GET /training-enrollments` and `GET /training-sessions/{id}/enrollments`.
    TrainingEnrollments = crm_hr::training::TRAINING_ENROLLMENT_LIST_SPEC, search = "";
    /// `GET /certifications`.
    Certifications = crm_hr::training::CERTIFICATION_LIST_SPEC, search = "";
}

handlers! { service: hr.training_programs, id: TrainingProgramId, location: "/api/v1/training-programs";
    /// By title.
    #[utoipa::path(get, path = "/training-programs", tag = "training-programs",
        params(TrainingPrograms),
        responses((status = 200, description = "One page", body = PageDto<TrainingProgram>)))]
    list list_training_programs(TrainingProgramsRead, TRAINING_PROGRAM_LIST_SPEC);

    /// `validity_months` 1–600, or none: a pass never expires.
    #[utoipa::path(post, path = "/training-programs", tag = "training-programs",
        request_body = TrainingProgramInput,
        responses((status = 201, description = "Created", body = TrainingProgram)))]
    create create_training_program(TrainingProgramsWrite, TrainingProgramInput);

    #[utoipa::path(get, path = "/training-programs/{id}", tag = "training-programs",
        params(("id" = Uuid, Path)),
        responses((status = 200, description = "The program (with ETag)", body = TrainingProgram)))]
    get get_training_program(TrainingProgramsRead);

    /// A new `validity_months` applies to later passes.
    #[utoipa::path(patch, path = "/training-programs/{id}", tag = "training-programs",
        request_body = TrainingProgramPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated program", body = TrainingProgram)))]
    update update_training_program(TrainingProgramsWrite, TrainingProgramPatch);

    /// 409 `training-program-in-use` while it has sessions.
    #[utoipa::path(delete, path = "/training-programs/{id}", tag = "training-programs",
        params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_training_program(TrainingProgramsDelete);
}

handlers! { service: hr.training_sessions, id: TrainingSessionId, location: "/api/v1/training-sessions";
    /// Soonest first.
    #[utoipa::path(get, path = "/training-sessions", tag = "training-sessions",
        params(TrainingSessions),
        responses((status = 200, description = "One page", body = PageDto<TrainingSession>)))]
    list list_training_sessions(TrainingSessionsRead, TRAINING_SESSION_LIST_SPEC);

    /// A session of one of the organization's programs; `ends_at` after `starts_at`;
    /// `capacity` none: unlimited; `status` default `scheduled`.
    #[utoipa::path(post, path = "/training-sessions", tag = "training-sessions",
        request_body = TrainingSessionInput,
        responses((status = 201, description = "Created", body = TrainingSession)))]
    create create_training_session(TrainingSessionsWrite, TrainingSessionInput);

    #[utoipa::path(get, path = "/training-sessions/{id}", tag = "training-sessions",
        params(("id" = Uuid, Path)),
        responses((status = 200, description = "The session (with ETag)", body = TrainingSession)))]
    get get_training_session(TrainingSessionsRead);

    /// The program is fixed; a capacity below the session's enrollments is 422 `capacity`.
    #[utoipa::path(patch, path = "/training-sessions/{id}", tag = "training-sessions",
        request_body = TrainingSessionPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated session", body = TrainingSession)))]
    update update_training_session(TrainingSessionsWrite, TrainingSessionPatch);

    /// 409 `training-session-in-use` while it has enrollments (cancel it instead).
    #[utoipa::path(delete, path = "/training-sessions/{id}", tag = "training-sessions",
        params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_training_session(TrainingSessionsDelete);
}

/// Enrolls an employee: 409 `training-enrollment-exists` the second time,
/// `training-session-full` when every seat is taken, `training-session-cancelled` for a
/// cancelled session, `employee-terminated` for a terminated employee.
#[utoipa::path(post, path = "/training-sessions/{id}/enrollments", tag = "training-enrollments",
    request_body = EnrollmentInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "Enrolled", body = TrainingEnrollment)))]
pub async fn enroll(
    auth: Auth<TrainingEnrollmentsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<EnrollmentInput>,
) -> Result<HttpResponse, ApiError> {
    let session = TrainingSessionId(*id);
    let svc = &state.hr.training_enrollments;
    // The session before the body: another organization's answers 404 whatever it holds.
    svc.session_exists(&auth.actor, session).await?;
    let e = svc.enroll(&auth.actor, session, body.parse()?).await?;
    Ok(created(
        format!("/api/v1/training-enrollments/{}", e.id),
        e.version,
        &e,
    ))
}

/// The session's enrollments (the list's filters and sort apply); under
/// `training_enrollments:read:own`, only the caller's own.
#[utoipa::path(get, path = "/training-sessions/{id}/enrollments", tag = "training-enrollments",
    params(("id" = Uuid, Path), TrainingEnrollments),
    responses((status = 200, description = "One page", body = PageDto<TrainingEnrollment>)))]
pub async fn session_enrollments(
    auth: Auth<TrainingEnrollmentsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = crm_domain::ListQuery::parse(&TRAINING_ENROLLMENT_LIST_SPEC, &query)
        .map_err(ApiError::validation)?;
    let page = state
        .hr
        .training_enrollments
        .of_session(&auth.actor, TrainingSessionId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |e| e)))
}

handlers! { service: hr.training_enrollments, id: TrainingEnrollmentId, location: "/api/v1/training-enrollments";
    /// Every session's enrollments, in the order they were made; under
    /// `training_enrollments:read:own`, only the caller's own.
    #[utoipa::path(get, path = "/training-enrollments", tag = "training-enrollments",
        params(TrainingEnrollments),
        responses((status = 200, description = "One page", body = PageDto<TrainingEnrollment>)))]
    list list_training_enrollments(TrainingEnrollmentsRead, TRAINING_ENROLLMENT_LIST_SPEC);

    #[utoipa::path(get, path = "/training-enrollments/{id}", tag = "training-enrollments",
        params(("id" = Uuid, Path)),
        responses((status = 200, description = "The enrollment (with ETag)", body = TrainingEnrollment)))]
    get get_training_enrollment(TrainingEnrollmentsRead);

    /// The result: `passed` stamps `completed_on` (the date of the session's end in the
    /// organization's time zone) and `valid_until` (plus the program's validity); leaving
    /// `passed` clears them. 409 `training-session-cancelled` for a result of a cancelled
    /// session.
    #[utoipa::path(patch, path = "/training-enrollments/{id}", tag = "training-enrollments",
        request_body = EnrollmentPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated enrollment", body = TrainingEnrollment)))]
    update update_training_enrollment(TrainingEnrollmentsWrite, EnrollmentPatch);
}

handlers! { service: hr.certifications, id: TrainingEnrollmentId, location: "/api/v1/certifications";
    /// The latest pass of each employee and program, its `status` read on the
    /// organization's today; soonest to expire first. Under `certifications:read:own`, only
    /// the caller's own.
    #[utoipa::path(get, path = "/certifications", tag = "certifications",
        params(Certifications),
        responses((status = 200, description = "One page", body = PageDto<Certification>)))]
    list list_certifications(CertificationsRead, CERTIFICATION_LIST_SPEC);
}
