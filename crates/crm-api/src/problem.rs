//! RFC 9457 problem details: the one shape of every error response.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use crm_domain::{DomainError, FieldError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;
use uuid::Uuid;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field's name (dotted path for nested fields), or the query parameter's.
    pub field: String,
    /// A stable machine-readable code, e.g. `required`, `invalid`, `too_long`.
    pub code: String,
    pub message: String,
}

/// An error response (`application/problem+json`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem; its last segment is a stable code
    /// (e.g. `/problems/validation-error`, `/problems/email-not-verified`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per bad field (validation errors); empty otherwise.
    pub errors: Vec<ProblemField>,
    /// For conflicts with an existing record: its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<Uuid>,
}

/// An error on its way to becoming a problem response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Boxed so `Result<_, ApiError>` stays small on the happy path.
    pub problem: Box<Problem>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            problem: Box::new(Problem {
                kind: format!("/problems/{code}"),
                title: status.canonical_reason().unwrap_or("Error").to_string(),
                status: status.as_u16(),
                detail: detail.into(),
                errors: Vec::new(),
                existing_id: None,
            }),
            retry_after: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => one.message.clone(),
            many => format!("{} fields are invalid", many.len()),
        };
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation-error", detail);
        e.problem.errors = errors
            .into_iter()
            .map(|f| ProblemField {
                field: f.field,
                code: f.code,
                message: f.message,
            })
            .collect();
        e
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "the resource does not exist",
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-error",
            "an unexpected error occurred; it has been logged with this request's id",
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service-unavailable",
            detail,
        );
        e.retry_after = Some(5);
        e
    }

    /// The standard problem for a bare status (used for responses produced by the framework).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status.as_u16() {
            400 => ("bad-request", "the request could not be understood"),
            401 => ("unauthorized", "authentication is required"),
            403 => ("forbidden", "you are not allowed to do this"),
            404 => ("not-found", "no such resource or route"),
            405 => (
                "method-not-allowed",
                "this route does not accept that method",
            ),
            406 => ("not-acceptable", "no acceptable representation"),
            408 => ("request-timeout", "the request took too long to arrive"),
            413 => (
                "payload-too-large",
                "the request body is larger than allowed",
            ),
            415 => (
                "unsupported-media-type",
                "send JSON with Content-Type: application/json",
            ),
            429 => ("rate-limited", "too many requests; retry later"),
            503 => (
                "service-unavailable",
                "the service is temporarily unavailable",
            ),
            s if s >= 500 => ("internal-error", "an unexpected error occurred"),
            _ => ("error", "the request failed"),
        };
        Self::new(status, code, detail)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.problem.status, self.problem.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        res.body(serde_json::to_string(&self.problem).unwrap_or_default())
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::BadRequest { code, message } => {
                Self::new(StatusCode::BAD_REQUEST, code, message)
            }
            DomainError::Unauthorized { code, message } => {
                Self::new(StatusCode::UNAUTHORIZED, code, message)
            }
            DomainError::Forbidden { code, message } => {
                Self::new(StatusCode::FORBIDDEN, code, message)
            }
            DomainError::NotFound => Self::not_found(),
            DomainError::Conflict {
                code,
                message,
                existing_id,
            } => {
                let mut e = Self::new(StatusCode::CONFLICT, code, message);
                e.problem.existing_id = existing_id;
                e
            }
            DomainError::Stale => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "the resource changed since you read it; fetch it again and retry",
            ),
            DomainError::Invalid(errors) => Self::validation(errors),
            DomainError::RateLimited { retry_after_secs } => {
                let mut e = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "too many requests; retry later",
                );
                e.retry_after = Some(retry_after_secs.max(1));
                e
            }
            DomainError::Unavailable(cause) => {
                tracing::warn!(%cause, "dependency unavailable");
                Self::unavailable("the service is temporarily unavailable; retry shortly")
            }
            DomainError::Unexpected(cause) => {
                tracing::error!(%cause, "unexpected error");
                Self::internal()
            }
        }
    }
}
