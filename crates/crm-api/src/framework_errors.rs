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
use serde::de::DeserializeOwned;
use serde_json::Value;

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

/// A type or shape error in otherwise valid JSON read straight from the bytes (no path known):
/// attributed to the field serde names, else to the body.
fn data_error(e: &serde_json::Error) -> FieldError {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    field_error("", msg)
}

/// Reads a syntactically valid JSON body as `T`. The body was parsed as a [`Value`] first, so a
/// syntax error is always `400` whatever the fields; here a wrong type, unknown variant, unknown
/// or missing field is a `422` naming its field by its JSON path (`items[1].quantity`), and a
/// NUL character in any string is refused (PostgreSQL cannot store it in text columns).
pub fn from_json_value<T: DeserializeOwned>(mut value: Value) -> Result<T, ApiError> {
    let mut nul = Vec::new();
    find_nul(&value, &mut String::new(), &mut nul);
    if !nul.is_empty() {
        return Err(ApiError::validation(nul));
    }
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = json_path(e.path());
        ApiError::validation(vec![field_error(&path, &e.inner().to_string())])
    })
}

/// `a.b[1].c`, or empty for the body itself.
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_string()
    } else {
        format!("{parent}.{field}")
    }
}

/// `5.0` is the integer 5, as JSON Schema reads it (an integer is a number without a
/// fractional part), and as the OpenAPI document's `type: integer` promises; serde would
/// refuse it for an integer field. `5.5` stays a number with a fraction, and is refused.
fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

fn find_nul(v: &Value, path: &mut String, out: &mut Vec<FieldError>) {
    match v {
        Value::String(s) if s.contains('\0') => {
            let field = if path.is_empty() { "body" } else { path };
            out.push(FieldError::new(
                field,
                "invalid",
                "must not contain a NUL character",
            ));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                find_nul(item, path, out);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                find_nul(item, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The text between the first pair of backticks after `marker`.
fn quoted_after<'a>(msg: &'a str, marker: &str) -> Option<&'a str> {
    msg.split_once(marker)?.1.split('`').next()
}

/// Every backtick-quoted name in `s`, e.g. the variants serde lists after "expected".
fn quoted_names(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// The field error of one serde message at `path` (empty: the body itself), worded for people:
/// serde's messages name Rust types (`expected i64`), which mean nothing to an API client.
pub fn field_error(path: &str, msg: &str) -> FieldError {
    let at = |p: &str| {
        if p.is_empty() {
            "body".to_string()
        } else {
            p.to_string()
        }
    };
    if let Some(f) = quoted_after(msg, "unknown field `") {
        // The path already ends at the unknown key when one is known.
        let field = if path == f || path.ends_with(&format!(".{f}")) {
            path.to_string()
        } else {
            join(path, f)
        };
        let message = format!("{field} cannot be set by clients");
        return FieldError::new(field, "not_allowed", message);
    }
    if let Some(f) = quoted_after(msg, "missing field `") {
        let field = join(path, f);
        let message = format!("{field} is required");
        return FieldError::new(field, "required", message);
    }
    if let Some(f) = quoted_after(msg, "duplicate field `") {
        let field = join(path, f);
        let message = format!("{field} is given more than once");
        return FieldError::new(field, "invalid", message);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let allowed = rest
            .split_once(", expected ")
            .map(|(_, e)| quoted_names(e))
            .unwrap_or_default();
        let message = if allowed.is_empty() {
            "is not an allowed value".to_string()
        } else {
            format!("must be one of: {}", allowed.join(", "))
        };
        return FieldError::new(at(path), "invalid", message);
    }
    let expected = msg.rsplit_once(", expected ").map(|(_, e)| e.trim());
    let message = match expected.map(describe_expected) {
        Some(Some(what)) if msg.starts_with("invalid value: ") && what.is_number => {
            format!("must be {} within the allowed range", what.text)
        }
        Some(Some(what)) => format!("must be {}", what.text),
        // A message of our own types' parsers (they name no Rust type): kept as it is.
        _ if !msg.starts_with("invalid type: ")
            && !msg.starts_with("invalid value: ")
            && !msg.starts_with("invalid length ")
            && !msg.starts_with("data did not match") =>
        {
            msg.to_string()
        }
        _ => "has the wrong type or format".to_string(),
    };
    FieldError::new(at(path), "invalid", message)
}

struct Expected {
    text: &'static str,
    is_number: bool,
}

/// What serde's "expected …" means, in words for people; `None` when it is not one of the
/// shapes listed (the caller then says "wrong type or format" rather than echo a type name).
fn describe_expected(e: &str) -> Option<Expected> {
    let number = |text| {
        Some(Expected {
            text,
            is_number: true,
        })
    };
    let other = |text| {
        Some(Expected {
            text,
            is_number: false,
        })
    };
    match e {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => number("a whole number"),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => number("a whole number of 0 or more"),
        "f32" | "f64" => number("a number"),
        "a string" | "a borrowed string" | "string" | "a character" | "char" => other("a string"),
        "a boolean" | "bool" => other("true or false"),
        "a sequence" => other("a list"),
        "a map" => other("an object"),
        "a UUID string" => other("a UUID"),
        _ if e.starts_with("struct ") || e.starts_with("a map") => other("an object"),
        _ if e.starts_with("a sequence") || e.starts_with("a tuple") => other("a list"),
        _ if e.contains("UUID") => other("a UUID"),
        _ if e.contains("date") || e.contains("time") => {
            other("a date or time in the documented format")
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Company,
        Individual,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        quantity: i64,
        note: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        kind: Option<Kind>,
        score: Option<i32>,
        count: Option<u32>,
        active: Option<bool>,
        #[serde(default)]
        items: Vec<Item>,
    }

    fn one_error(v: serde_json::Value) -> ProblemFieldView {
        let err = from_json_value::<Input>(v).unwrap_err();
        assert_eq!(err.problem.status, 422);
        assert_eq!(err.problem.errors.len(), 1, "{:?}", err.problem.errors);
        let f = &err.problem.errors[0];
        ProblemFieldView {
            field: f.field.clone(),
            code: f.code.clone(),
            message: f.message.clone(),
        }
    }

    struct ProblemFieldView {
        field: String,
        code: String,
        message: String,
    }

    fn no_rust_names(m: &str) {
        for name in [
            "i8", "i16", "i32", "i64", "u32", "u64", "f64", "usize", "struct", "Option",
        ] {
            assert!(!m.contains(name), "{m:?} names {name}");
        }
    }

    #[test]
    fn every_field_error_names_its_field_in_words_for_people() {
        let cases = [
            (
                json!({"name": "a", "kind": "spaceship"}),
                "kind",
                "invalid",
                "must be one of: company, individual",
            ),
            (
                json!({"name": "a", "score": 5.5}),
                "score",
                "invalid",
                "must be a whole number",
            ),
            (
                json!({"name": "a", "score": "high"}),
                "score",
                "invalid",
                "must be a whole number",
            ),
            (
                json!({"name": "a", "score": 3_000_000_000_i64}),
                "score",
                "invalid",
                "must be a whole number within the allowed range",
            ),
            (
                json!({"name": "a", "count": -1}),
                "count",
                "invalid",
                "must be a whole number of 0 or more within the allowed range",
            ),
            (
                json!({"name": "a", "active": "yes"}),
                "active",
                "invalid",
                "must be true or false",
            ),
            (json!({"name": 5}), "name", "invalid", "must be a string"),
            (
                json!({"name": "a", "items": {}}),
                "items",
                "invalid",
                "must be a list",
            ),
            (
                json!({"name": "a", "items": [{"quantity": 1}, {"quantity": "two"}]}),
                "items[1].quantity",
                "invalid",
                "must be a whole number",
            ),
            (
                json!({"name": "a", "items": [{"quantity": 1}, {}]}),
                "items[1].quantity",
                "required",
                "items[1].quantity is required",
            ),
            (
                json!({"name": "a", "items": [{"quantity": 1, "price": 2}]}),
                "items[0].price",
                "not_allowed",
                "items[0].price cannot be set by clients",
            ),
            (
                json!({"name": "a", "items": [5]}),
                "items[0]",
                "invalid",
                "must be an object",
            ),
            (
                json!({"kind": "company"}),
                "name",
                "required",
                "name is required",
            ),
            (
                json!({"name": "a", "id": "x"}),
                "id",
                "not_allowed",
                "id cannot be set by clients",
            ),
            (
                json!({"name": "a\u{0}b"}),
                "name",
                "invalid",
                "must not contain a NUL character",
            ),
            (
                json!({"name": "a", "items": [{"quantity": 1, "note": "\u{0}"}]}),
                "items[0].note",
                "invalid",
                "must not contain a NUL character",
            ),
        ];
        for (body, field, code, message) in cases {
            let e = one_error(body.clone());
            assert_eq!(
                (e.field.as_str(), e.code.as_str(), e.message.as_str()),
                (field, code, message),
                "{body}"
            );
            no_rust_names(&e.message);
        }
        let e = from_json_value::<Input>(json!("text")).unwrap_err();
        assert_eq!(e.problem.errors[0].field, "body");
        assert_eq!(e.problem.errors[0].message, "must be an object");
    }

    #[test]
    fn a_valid_body_reads_as_its_type() {
        let v: Input =
            from_json_value(json!({"name": "a", "kind": "individual", "items": [{"quantity": 2}]}))
                .unwrap();
        assert!(matches!(v.kind, Some(Kind::Individual)));
        assert_eq!(v.items[0].quantity, 2);
    }
}
