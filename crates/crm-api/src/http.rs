//! Response and request helpers for the contract's conventions: `201` with `Location`, `ETag`
//! as `"<version>"`, `If-Match` preconditions, list pages.

use crate::problem::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `200` with the resource and its `ETag`.
pub fn ok_etag<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{version}\"")))
        .json(body)
}

/// `201` with `Location` and `ETag`.
pub fn created<T: Serialize>(location: String, version: i64, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, format!("\"{version}\"")))
        .json(body)
}

/// Whether an `If-None-Match` header names `etag` (or is `*`), weak or strong alike.
pub fn none_match(raw: Option<&actix_web::http::header::HeaderValue>, etag: &str) -> bool {
    let Some(v) = raw.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    v.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// The version named by `If-Match`, if the request sent one. `*` matches any version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

impl IfMatch {
    /// What a malformed validator stands for: a version no record ever has (they start at 1),
    /// so the service still answers `404` for a record that is missing or out of scope, and
    /// `412` only for one that exists.
    pub const NEVER: IfMatch = IfMatch(Some(0));
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(parse_if_match(req.headers().get(header::IF_MATCH))))
    }
}

fn parse_if_match(v: Option<&HeaderValue>) -> IfMatch {
    let Some(v) = v else { return IfMatch(None) };
    let raw = v.to_str().unwrap_or("").trim();
    if raw == "*" {
        return IfMatch(None);
    }
    let tag = raw.strip_prefix("W/").unwrap_or(raw);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|v| *v >= 1)
        .map_or(IfMatch::NEVER, |v| IfMatch(Some(v)))
}

/// The configured largest JSON body.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// A JSON body whose errors wait for the handler.
///
/// actix extracts a handler's arguments side by side, so with `web::Json` a malformed body could
/// answer `400`/`422` before the access check (the first argument) answered `403`, telling a
/// caller without the permission how the route validates. `Body` always extracts, and the handler
/// reads it with [`Body::parse`] after access was granted.
pub struct Body<T>(Result<T, ApiError>);

impl<T> Body<T> {
    pub fn parse(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map(|l| l.0).unwrap_or(1 << 20);
        // Read as a JSON value first: a body that is not JSON is `400` whatever its fields,
        // where reading `T` straight from the bytes stopped at the first unknown field (`422`).
        let body = actix_web::web::JsonBody::<serde_json::Value>::new(req, payload, None, true)
            .limit(limit);
        Box::pin(async move {
            Ok(Body(match body.await {
                Ok(value) => crate::framework_errors::from_json_value(value),
                Err(e) => Err(crate::framework_errors::json_problem(&e)),
            }))
        })
    }
}

/// As [`Body`], for an action whose body may be left out entirely: no body (or only
/// whitespace) is `T::default()`; anything else must be JSON, read as `Body` reads it.
pub struct OptionalBody<T>(Result<T, ApiError>);

impl<T> OptionalBody<T> {
    pub fn parse(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map(|l| l.0).unwrap_or(1 << 20);
        let bytes = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = match bytes.await {
                Ok(b) => b,
                Err(_) => {
                    return Ok(OptionalBody(Err(ApiError::bad_request(
                        "the body could not be read",
                    ))));
                }
            };
            if bytes.len() > limit {
                return Ok(OptionalBody(Err(ApiError::for_status(
                    actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                ))));
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalBody(Ok(T::default())));
            }
            Ok(OptionalBody(
                match serde_json::from_slice::<serde_json::Value>(&bytes) {
                    Ok(value) => crate::framework_errors::from_json_value(value),
                    Err(e) => Err(ApiError::new(
                        actix_web::http::StatusCode::BAD_REQUEST,
                        "malformed-json",
                        format!("the body is not valid JSON: {e}"),
                    )),
                },
            ))
        })
    }
}

/// `202 Accepted` with no body.
pub fn accepted() -> HttpResponse {
    HttpResponse::build(StatusCode::ACCEPTED).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_forms() {
        let p = |s: &str| parse_if_match(Some(&HeaderValue::from_str(s).unwrap()));
        assert_eq!(p("\"3\""), IfMatch(Some(3)));
        assert_eq!(p("W/\"7\""), IfMatch(Some(7)));
        assert_eq!(p("*"), IfMatch(None));
        assert_eq!(parse_if_match(None), IfMatch(None));
        // Malformed validators never match, and are no error of their own.
        for bad in ["\"abc\"", "garbage", "\"\"", "3", "\"-1\"", "\"0\""] {
            assert_eq!(p(bad), IfMatch::NEVER, "{bad}");
        }
    }
}
