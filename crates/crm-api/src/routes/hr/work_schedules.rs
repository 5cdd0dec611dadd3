//! `/work-schedules`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{WorkSchedulesDelete, WorkSchedulesRead, WorkSchedulesWrite};
use actix_web::{HttpResponse, web};
use crm_hr::work_schedules::{
    WORK_SCHEDULE_LIST_SPEC, WorkSchedule, WorkScheduleId, WorkScheduleInput, WorkSchedulePatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /work-schedules`.
    WorkSchedules = crm_hr::work_schedules::WORK_SCHEDULE_LIST_SPEC, search = "name";
}

handlers! { service: hr.work_schedules, id: WorkScheduleId, location: "/api/v1/work-schedules";
    /// Every organization has a default schedule (Monday–Friday 09:00–17:00 in its time
    /// zone), created on first need.
    #[utoipa::path(get, path = "/work-schedules", tag = "work-schedules",
        params(WorkSchedules),
        responses((status = 200, description = "One page", body = PageDto<WorkSchedule>)))]
    list list_work_schedules(WorkSchedulesRead, WORK_SCHEDULE_LIST_SPEC);

    /// `is_default: true` takes the flag off the previous default.
    #[utoipa::path(post, path = "/work-schedules", tag = "work-schedules",
        request_body = WorkScheduleInput,
        responses((status = 201, description = "Created", body = WorkSchedule)))]
    create create_work_schedule(WorkSchedulesWrite, WorkScheduleInput);

    #[utoipa::path(get, path = "/work-schedules/{id}", tag = "work-schedules",
        params(("id" = Uuid, Path)),
        responses((status = 200, description = "The schedule (with ETag)", body = WorkSchedule)))]
    get get_work_schedule(WorkSchedulesRead);

    /// `is_default: false` on the default is 422 (make another one the default instead).
    #[utoipa::path(patch, path = "/work-schedules/{id}", tag = "work-schedules",
        request_body = WorkSchedulePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated schedule", body = WorkSchedule)))]
    update update_work_schedule(WorkSchedulesWrite, WorkSchedulePatch);

    /// 409 `work-schedule-is-default` for the default, `work-schedule-in-use` while
    /// employees follow it.
    #[utoipa::path(delete, path = "/work-schedules/{id}", tag = "work-schedules",
        params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_work_schedule(WorkSchedulesDelete);
}
