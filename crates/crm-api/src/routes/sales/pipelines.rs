//! `/pipelines`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{PipelinesDelete, PipelinesRead, PipelinesWrite};
use actix_web::{HttpResponse, web};
use crm_sales::pipelines::{
    PIPELINE_LIST_SPEC, Pipeline, PipelineId, PipelineInput, PipelinePatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /pipelines`.
    Pipelines = crm_sales::pipelines::PIPELINE_LIST_SPEC, search = "name";
}

handlers! { service: sales.pipelines, id: PipelineId, location: "/api/v1/pipelines";
    #[utoipa::path(get, path = "/pipelines", tag = "pipelines", params(Pipelines),
        responses((status = 200, description = "One page (the default pipeline always exists)", body = PageDto<Pipeline>)))]
    list list_pipelines(PipelinesRead, PIPELINE_LIST_SPEC);

    /// Create with `stages: [{name, probability}]`; positions follow the order.
    #[utoipa::path(post, path = "/pipelines", tag = "pipelines", request_body = PipelineInput,
        responses((status = 201, description = "Created", body = Pipeline)))]
    create create_pipeline(PipelinesWrite, PipelineInput);

    #[utoipa::path(get, path = "/pipelines/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The pipeline (with ETag)", body = Pipeline)))]
    get get_pipeline(PipelinesRead);

    #[utoipa::path(patch, path = "/pipelines/{id}", tag = "pipelines", request_body = PipelinePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated pipeline", body = Pipeline)))]
    update update_pipeline(PipelinesWrite, PipelinePatch);

    #[utoipa::path(delete, path = "/pipelines/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_pipeline(PipelinesDelete);
}
