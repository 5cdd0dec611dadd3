//! Projects: `/projects` with their members and board, `/tasks` with their dependencies,
//! `/milestones` (reach), `/time-entries` (timers), the project report and the timesheet:
//! the module's routes and their OpenAPI operations. The projects
//! domain types are the response bodies.

mod milestones;
// `projects::projects`: the `/projects` routes of the projects module.
#[allow(clippy::module_inception)]
mod projects;
mod tasks;
mod time_entries;

use crate::access::Routes;
use crate::export::list_of;
use crate::routes::perms;

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    r.get("/projects", projects::list_projects)
        .post("/projects", projects::create_project)
        .get("/projects/{id}", projects::get_project)
        .patch("/projects/{id}", projects::update_project)
        .delete("/projects/{id}", projects::delete_project)
        .get("/projects/{id}/members", projects::list_members)
        .post("/projects/{id}/members", projects::add_member)
        .patch("/projects/{id}/members/{user_id}", projects::update_member)
        .delete("/projects/{id}/members/{user_id}", projects::remove_member)
        .get("/projects/{id}/board", tasks::board)
        .post("/projects/{id}/invoice", projects::invoice_project)
        .get("/tasks", tasks::list_tasks)
        .post("/tasks", tasks::create_task)
        .get("/tasks/{id}", tasks::get_task)
        .patch("/tasks/{id}", tasks::update_task)
        .delete("/tasks/{id}", tasks::delete_task)
        .get("/tasks/{id}/dependencies", tasks::list_dependencies)
        .post("/tasks/{id}/dependencies", tasks::add_dependency)
        .delete(
            "/tasks/{id}/dependencies/{depends_on_id}",
            tasks::remove_dependency,
        )
        .get("/milestones", milestones::list_milestones)
        .post("/milestones", milestones::create_milestone)
        .get("/milestones/{id}", milestones::get_milestone)
        .patch("/milestones/{id}", milestones::update_milestone)
        .delete("/milestones/{id}", milestones::delete_milestone)
        .post("/milestones/{id}/reach", milestones::reach_milestone)
        .get("/time-entries", time_entries::list_time_entries)
        .export::<perms::TimeEntriesRead, _>(
            "/time-entries/export",
            "time-entries",
            &crm_projects::time::TIME_ENTRY_LIST_SPEC,
            list_of!(projects.time_entries),
        )
        .post("/time-entries", time_entries::create_time_entry)
        .post("/time-entries/start", time_entries::start_timer)
        .get("/time-entries/{id}", time_entries::get_time_entry)
        .patch("/time-entries/{id}", time_entries::update_time_entry)
        .delete("/time-entries/{id}", time_entries::delete_time_entry)
        .post("/time-entries/{id}/stop", time_entries::stop_timer)
        .get("/projects/{id}/report", time_entries::project_report)
        .get("/reports/timesheet", time_entries::timesheet)
}

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    projects::list_projects,
    projects::create_project,
    projects::get_project,
    projects::update_project,
    projects::delete_project,
    projects::list_members,
    projects::add_member,
    projects::update_member,
    projects::remove_member,
    projects::invoice_project,
    tasks::board,
    tasks::list_tasks,
    tasks::create_task,
    tasks::get_task,
    tasks::update_task,
    tasks::delete_task,
    tasks::list_dependencies,
    tasks::add_dependency,
    tasks::remove_dependency,
    milestones::list_milestones,
    milestones::create_milestone,
    milestones::get_milestone,
    milestones::update_milestone,
    milestones::delete_milestone,
    milestones::reach_milestone,
    time_entries::list_time_entries,
    time_entries::create_time_entry,
    time_entries::start_timer,
    time_entries::get_time_entry,
    time_entries::update_time_entry,
    time_entries::delete_time_entry,
    time_entries::stop_timer,
    time_entries::project_report,
    time_entries::timesheet,
))]
pub struct Api;
