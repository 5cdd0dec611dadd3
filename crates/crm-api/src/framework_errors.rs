//! Turns the framework's own rejections (bad JSON, wrong media type, oversized body, bad query
//! or path, unknown route, wrong method) into problem+json responses.

use crate::problem::{ApiError, PROBLEM_JSON};
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use crm_domain::FieldError;

/// `web::JsonConfig` error handler.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    json_problem(&err).into()
}

/// The problem for a body that could not be read as the expected JSON.
pub fn json_problem(err: &JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE)
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::validation(vec![data_error(e)])
        }
        JsonPayloadError::Deserialize(e) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            format!("the body is not valid JSON: {e}"),
        ),
        other => ApiError::bad_request(other.to_string()),
    }
}

/// A type or shape error in otherwise valid JSON, attributed to its field where serde names it.
fn data_error(e: &serde_json::Error) -> FieldError {
    let msg = e.to_string();
    let named = |marker: &str| {
        msg.split(marker)
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    if let Some(f) = named("unknown field `") {
        FieldError::new(
            f.clone(),
            "not_allowed",
            format!("{f} cannot be set by clients"),
        )
    } else if let Some(f) = named("missing field `") {
        FieldError::new(f.clone(), "required", format!("{f} is required"))
    } else {
        let clean = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        FieldError::new("body", "invalid", clean)
    }
}

/// `web::QueryConfig` error handler: a malformed query is a validation error of the parameter.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let msg = err.to_string();
    ApiError::validation(vec![FieldError::new("query", "invalid", msg)]).into()
}

/// `web::PathConfig` error handler: an id that is not a UUID cannot name anything.
pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no such resource: {err}"),
    )
    .into()
}

pub fn configure_extractors(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(crate::http::BodyLimit(max_body_bytes))
        .app_data(
            web::JsonConfig::default()
                .limit(max_body_bytes)
                .error_handler(json_error),
        )
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::PayloadConfig::default().limit(max_body_bytes));
}

/// The default service: an unknown route.
pub async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not-found", "no such route").error_response()
}

/// `ErrorHandlers` default: any error response that is not already a problem (405 from a
/// resource, 413 from the payload limit…) is replaced by one, keeping its headers.
pub fn to_problem<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let mut new = ApiError::for_status(status).error_response();
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
