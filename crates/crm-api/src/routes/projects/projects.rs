//! `/projects` and `/projects/{id}/members`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, OptionalBody, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{InvoicesWrite, ProjectsDelete, ProjectsRead, ProjectsWrite};
use actix_web::{HttpResponse, web};
use crm_domain::UserId;
use crm_finance::invoices::ProjectInvoiceInput;
use crm_projects::projects::{
    Member, MemberInput, MemberPatch, PROJECT_LIST_SPEC, Project, ProjectId, ProjectInput,
    ProjectPatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /projects`.
    Projects = crm_projects::projects::PROJECT_LIST_SPEC, search = "name, code and description";
}

handlers! { service: projects.projects, id: ProjectId, location: "/api/v1/projects";
    /// Under `projects:read:own`: the projects the caller manages or is a member of.
    #[utoipa::path(get, path = "/projects", tag = "projects",
        params(Projects),
        responses((status = 200, description = "One page", body = PageDto<Project>)))]
    list list_projects(ProjectsRead, PROJECT_LIST_SPEC);

    /// `planned`, `non_billable`, progress by `tasks` and managed by the caller unless the
    /// body says. A code in use is 409.
    #[utoipa::path(post, path = "/projects", tag = "projects", request_body = ProjectInput,
        responses((status = 201, description = "Created", body = Project)))]
    create create_project(ProjectsWrite, ProjectInput);

    #[utoipa::path(get, path = "/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The project (with ETag)", body = Project)))]
    get get_project(ProjectsRead);

    #[utoipa::path(patch, path = "/projects/{id}", tag = "projects", request_body = ProjectPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated project", body = Project)))]
    update update_project(ProjectsWrite, ProjectPatch);

    /// Members, tasks and milestones go with it; a project with logged time is kept (409).
    #[utoipa::path(delete, path = "/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_project(ProjectsDelete);
}

/// Every member of the project, by when they joined (one page).
#[utoipa::path(get, path = "/projects/{id}/members", tag = "projects", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The members", body = PageDto<Member>)))]
pub async fn list_members(
    auth: Auth<ProjectsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .projects
        .projects
        .members(&auth.actor, ProjectId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(PageDto {
        data,
        next_cursor: None,
        total: None,
    }))
}

/// A user of the organization joins the project (409 when already a member).
#[utoipa::path(post, path = "/projects/{id}/members", tag = "projects",
    request_body = MemberInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "The new member", body = Member)))]
pub async fn add_member(
    auth: Auth<ProjectsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<MemberInput>,
) -> Result<HttpResponse, ApiError> {
    // The project before the body: another organization's project, or one out of the
    // caller's scope, answers 404 whatever the body holds.
    state
        .projects
        .projects
        .reachable::<ProjectsWrite>(&auth.actor, ProjectId(*id))
        .await?;
    let input = body.parse()?;
    let m = state
        .projects
        .projects
        .add_member(&auth.actor, ProjectId(*id), input)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/projects/{}/members/{}", *id, m.user_id),
        ))
        .json(m))
}

/// A member's new role (404 when the user is not a member).
#[utoipa::path(patch, path = "/projects/{id}/members/{user_id}", tag = "projects",
    request_body = MemberPatch,
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, description = "The member", body = Member)))]
pub async fn update_member(
    auth: Auth<ProjectsWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    let (id, user) = *path;
    // The project before the body, as `add_member`.
    state
        .projects
        .projects
        .reachable::<ProjectsWrite>(&auth.actor, ProjectId(id))
        .await?;
    let patch = body.parse()?;
    let m = state
        .projects
        .projects
        .update_member(&auth.actor, ProjectId(id), UserId(user), patch)
        .await?;
    Ok(HttpResponse::Ok().json(m))
}

/// The user leaves the project (404 when not a member).
#[utoipa::path(delete, path = "/projects/{id}/members/{user_id}", tag = "projects",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn remove_member(
    auth: Auth<ProjectsWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user) = *path;
    state
        .projects
        .projects
        .remove_member(&auth.actor, ProjectId(id), UserId(user))
        .await?;
    Ok(no_content())
}

/// A draft invoice of the project's unbilled billable time (one line per task and rate,
/// hours with 3 decimals) and approved billable expenses, for the project's client; those
/// entries and expenses get its `invoice_id` in the same transaction and are unbilled again
/// when the draft is deleted. Needs `invoices:write` and `projects:read` on the project.
/// Nothing to bill, or no client: 409. The body may be left out.
#[utoipa::path(post, path = "/projects/{id}/invoice", tag = "projects",
    request_body = ProjectInvoiceInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "The draft invoice", body = crm_finance::invoices::Invoice)))]
pub async fn invoice_project(
    auth: Auth<InvoicesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: OptionalBody<ProjectInvoiceInput>,
) -> Result<HttpResponse, ApiError> {
    let project = state
        .projects
        .projects
        .reachable::<ProjectsRead>(&auth.actor, ProjectId(*id))
        .await?;
    let input = body.parse()?;
    let r = state
        .finance
        .invoices
        .from_project(&auth.actor, project, input)
        .await?;
    Ok(created(format!("/api/v1/invoices/{}", r.id), r.version, &r))
}
