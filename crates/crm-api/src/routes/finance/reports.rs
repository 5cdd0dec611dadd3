//! `GET /reports/receivables` and `GET /reports/revenue`.

use crate::access::Auth;
use crate::app::AppState;
use crate::problem::ApiError;
use crate::routes::perms::ReportsRead;
use actix_web::{HttpResponse, web};
use crm_finance::reports::{Receivables, ReceivablesQuery, Revenue, RevenueQuery};

/// Balance due of issued invoices by currency and days past due (current, 1–30, 31–60,
/// 61–90, over 90) as of a date, counting the invoices issued by then.
#[utoipa::path(get, path = "/reports/receivables", tag = "reports",
    params(ReceivablesQuery),
    responses((status = 200, description = "The aging", body = Receivables)))]
pub async fn receivables(
    auth: Auth<ReportsRead>,
    state: web::Data<AppState>,
    query: web::Query<ReceivablesQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .finance
        .reports
        .receivables(&auth.actor, query.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Invoiced (issued totals by issue date), credited (credit notes by date) and collected
/// (payments less refunds by date), per period and currency.
#[utoipa::path(get, path = "/reports/revenue", tag = "reports",
    params(RevenueQuery),
    responses((status = 200, description = "The series", body = Revenue)))]
pub async fn revenue(
    auth: Auth<ReportsRead>,
    state: web::Data<AppState>,
    query: web::Query<RevenueQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .finance
        .reports
        .revenue(&auth.actor, query.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(r))
}
