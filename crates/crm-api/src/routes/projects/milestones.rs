//! `/milestones` and `POST /milestones/{id}/reach`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{MilestonesDelete, MilestonesRead, MilestonesWrite};
use actix_web::{HttpResponse, web};
use crm_projects::milestones::{
    MILESTONE_LIST_SPEC, Milestone, MilestoneId, MilestoneInput, MilestonePatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /milestones`.
    Milestones = crm_projects::milestones::MILESTONE_LIST_SPEC, search = "title and description";
}

handlers! { service: projects.milestones, id: MilestoneId, location: "/api/v1/milestones";
    #[utoipa::path(get, path = "/milestones", tag = "milestones",
        params(Milestones),
        responses((status = 200, description = "One page", body = PageDto<Milestone>)))]
    list list_milestones(MilestonesRead, MILESTONE_LIST_SPEC);

    #[utoipa::path(post, path = "/milestones", tag = "milestones", request_body = MilestoneInput,
        responses((status = 201, description = "Created, open", body = Milestone)))]
    create create_milestone(MilestonesWrite, MilestoneInput);

    #[utoipa::path(get, path = "/milestones/{id}", tag = "milestones", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The milestone (with ETag)", body = Milestone)))]
    get get_milestone(MilestonesRead);

    #[utoipa::path(patch, path = "/milestones/{id}", tag = "milestones",
        request_body = MilestonePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated milestone", body = Milestone)))]
    update update_milestone(MilestonesWrite, MilestonePatch);

    /// Its tasks stay, unlinked.
    #[utoipa::path(delete, path = "/milestones/{id}", tag = "milestones", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_milestone(MilestonesDelete);

    /// Reached when every linked task is done or cancelled (409 `milestone-open` otherwise,
    /// 409 `milestone-reached` when it already is).
    #[utoipa::path(post, path = "/milestones/{id}/reach", tag = "milestones",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The reached milestone", body = Milestone)))]
    change reach_milestone(MilestonesWrite, reach);
}
