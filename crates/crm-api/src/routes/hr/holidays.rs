//! `/holidays`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{HolidaysDelete, HolidaysRead, HolidaysWrite};
use actix_web::{HttpResponse, web};
use crm_hr::holidays::{HOLIDAY_LIST_SPEC, Holiday, HolidayId, HolidayInput, HolidayPatch};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /holidays`.
    Holidays = crm_hr::holidays::HOLIDAY_LIST_SPEC, search = "name";
}

handlers! { service: hr.holidays, id: HolidayId, location: "/api/v1/holidays";
    /// By date; `?year=` lists one calendar year.
    #[utoipa::path(get, path = "/holidays", tag = "holidays",
        params(Holidays),
        responses((status = 200, description = "One page", body = PageDto<Holiday>)))]
    list list_holidays(HolidaysRead, HOLIDAY_LIST_SPEC);

    /// 409 `holiday-date-taken` for a second holiday on one date.
    #[utoipa::path(post, path = "/holidays", tag = "holidays", request_body = HolidayInput,
        responses((status = 201, description = "Created", body = Holiday)))]
    create create_holiday(HolidaysWrite, HolidayInput);

    #[utoipa::path(get, path = "/holidays/{id}", tag = "holidays", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The holiday (with ETag)", body = Holiday)))]
    get get_holiday(HolidaysRead);

    #[utoipa::path(patch, path = "/holidays/{id}", tag = "holidays",
        request_body = HolidayPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated holiday", body = Holiday)))]
    update update_holiday(HolidaysWrite, HolidayPatch);

    #[utoipa::path(delete, path = "/holidays/{id}", tag = "holidays", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_holiday(HolidaysDelete);
}
