//! `/tasks`, `/tasks/{id}/dependencies` and `GET /projects/{id}/board`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{TasksDelete, TasksRead, TasksWrite};
use actix_web::{HttpResponse, web};
use crm_projects::projects::ProjectId;
use crm_projects::tasks::{
    Dependency, DependencyInput, TASK_LIST_SPEC, Task, TaskBoard, TaskId, TaskInput, TaskPatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /tasks`.
    Tasks = crm_projects::tasks::TASK_LIST_SPEC, search = "title and description";
}

handlers! { service: projects.tasks, id: TaskId, location: "/api/v1/tasks";
    /// Under `tasks:read:own`: the tasks assigned to the caller.
    #[utoipa::path(get, path = "/tasks", tag = "tasks",
        params(Tasks),
        responses((status = 200, description = "One page", body = PageDto<Task>)))]
    list list_tasks(TasksRead, TASK_LIST_SPEC);

    /// The project must take work (409 when completed or cancelled); parent and milestone of
    /// the same project and assignees members of it (422). Placed at `position` of its
    /// status column, last when absent.
    #[utoipa::path(post, path = "/tasks", tag = "tasks", request_body = TaskInput,
        responses((status = 201, description = "Created", body = Task)))]
    create create_task(TasksWrite, TaskInput);

    #[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The task (with ETag)", body = Task)))]
    get get_task(TasksRead);

    /// `status` and/or `position` move the card (send `If-Match`: a stale one is 412, so two
    /// people dragging one card cannot both win). `done` while a dependency or subtask is
    /// open is 409 (`blocked`).
    #[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", request_body = TaskPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated task", body = Task)))]
    update update_task(TasksWrite, TaskPatch);

    /// A task with subtasks, or with logged time, is kept (409).
    #[utoipa::path(delete, path = "/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_task(TasksDelete);
}

/// The project's tasks in status columns (todo, in_progress, in_review, done, cancelled),
/// each by `position`; under `tasks:read:own` only the caller's.
#[utoipa::path(get, path = "/projects/{id}/board", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The board", body = TaskBoard)))]
pub async fn board(
    auth: Auth<TasksRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let b = state
        .projects
        .tasks
        .board(&auth.actor, ProjectId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(b))
}

/// The tasks this task depends on (one page).
#[utoipa::path(get, path = "/tasks/{id}/dependencies", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The tasks it waits for", body = PageDto<Task>)))]
pub async fn list_dependencies(
    auth: Auth<TasksRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .projects
        .tasks
        .dependencies(&auth.actor, TaskId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(PageDto {
        data,
        next_cursor: None,
        total: None,
    }))
}

/// The task waits for `depends_on_id` (same project, else 422). A cycle at any depth is 409
/// (`dependency-cycle`), as is a dependency that exists (`dependency-exists`).
#[utoipa::path(post, path = "/tasks/{id}/dependencies", tag = "tasks",
    request_body = DependencyInput, params(("id" = Uuid, Path)),
    responses((status = 201, description = "The dependency", body = Dependency)))]
pub async fn add_dependency(
    auth: Auth<TasksWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<DependencyInput>,
) -> Result<HttpResponse, ApiError> {
    // The task before the body: another organization's task, or one out of the caller's
    // scope, answers 404 whatever the body holds.
    state
        .projects
        .tasks
        .writable(&auth.actor, TaskId(*id))
        .await?;
    let input = body.parse()?;
    let d = state
        .projects
        .tasks
        .add_dependency(&auth.actor, TaskId(*id), input)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!(
                "/api/v1/tasks/{}/dependencies/{}",
                d.task_id, d.depends_on_id
            ),
        ))
        .json(d))
}

/// The task stops waiting for `depends_on_id` (404 when it did not).
#[utoipa::path(delete, path = "/tasks/{id}/dependencies/{depends_on_id}", tag = "tasks",
    params(("id" = Uuid, Path), ("depends_on_id" = Uuid, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn remove_dependency(
    auth: Auth<TasksWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, on) = *path;
    state
        .projects
        .tasks
        .remove_dependency(&auth.actor, TaskId(id), TaskId(on))
        .await?;
    Ok(no_content())
}
