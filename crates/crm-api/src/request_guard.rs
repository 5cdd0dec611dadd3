//! Checks of the request line that hold on every route, before any route sees the request:
//! the length of the request target, and NUL characters in query parameters.
//!
//! Answered here (inside the request-id middleware) so the answer is problem+json with an
//! `X-Request-Id`. Longer targets than actix-http itself accepts never reach the app: the `http`
//! crate refuses a URI of 65,535 bytes or more (actix answers a bare `400`), and a request head
//! over 128 KiB is a bare `431`; [`MAX_REQUEST_TARGET`] sits well below both.

use crate::problem::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use crm_domain::kernel::pagination::check_query_value;

/// The longest request target (path and query) served: 8 KiB, as common proxies allow.
pub const MAX_REQUEST_TARGET: usize = 8 * 1024;

/// The problem for a request line the app refuses, if any.
fn refusal(target_len: usize, query: &str) -> Option<ApiError> {
    if target_len > MAX_REQUEST_TARGET {
        return Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            format!("the request URL is longer than {MAX_REQUEST_TARGET} bytes"),
        ));
    }
    let errors: Vec<_> = url::form_urlencoded::parse(query.as_bytes())
        .filter_map(|(k, v)| check_query_value(&k, &v).err())
        .collect();
    (!errors.is_empty()).then(|| ApiError::validation(errors))
}

pub async fn request_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let uri = req.uri();
    let target_len = uri
        .path_and_query()
        .map_or(uri.path().len(), |pq| pq.as_str().len());
    if let Some(problem) = refusal(target_len, req.query_string()) {
        return Ok(req
            .into_response(problem.error_response())
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_targets_and_nul_query_values_are_refused() {
        assert!(refusal(MAX_REQUEST_TARGET, "q=a").is_none());
        assert_eq!(
            refusal(MAX_REQUEST_TARGET + 1, "").unwrap().problem.status,
            414
        );
        let e = refusal(10, "q=%00&limit=5&status=a%00b").unwrap();
        assert_eq!(e.problem.status, 422);
        let fields: Vec<_> = e.problem.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["q", "status"]);
        assert!(refusal(10, "q=%2500&name=a+b").is_none());
    }
}
