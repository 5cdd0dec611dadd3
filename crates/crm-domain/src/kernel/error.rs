//! Error contracts: [`StoreError`] for repository ports, [`DomainError`] for services.

use crate::kernel::validation::FieldError;
use thiserror::Error;
use uuid::Uuid;

/// What a store (repository, transaction manager) can fail with.
///
/// Adapters translate their driver errors into these variants so that the domain and the API
/// can answer precisely.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// No row matched (or it belongs to another organization, which callers must not learn).
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated; `constraint` names it so the domain can say which field.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// The version the caller expected is not the stored one (optimistic concurrency).
    #[error("stale version")]
    Stale,
    /// The database cannot be reached right now; the request may be retried later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data. The message is for logs, never for clients.
    #[error("unexpected store error: {0}")]
    Unexpected(String),
}

/// What a service call can fail with. The API maps each variant to exactly one status and
/// problem type, so every module answers alike.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// 400: a well-formed request the rules refuse outright (e.g. a wrong or expired code).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no valid credentials.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// 403: authenticated but not permitted.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// 404: missing or outside the caller's organization or scope.
    #[error("not found")]
    NotFound,
    /// 409: duplicate or illegal state change; `existing_id` points at the record in the way.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        existing_id: Option<Uuid>,
    },
    /// 412: `If-Match` named a version that is no longer current.
    #[error("the resource was changed by someone else")]
    Stale,
    /// 422: one entry per bad field.
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// 429: slow down; retry after this many seconds.
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// 503: a dependency (database, hashing pool) is unavailable right now.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug. The message goes to logs only.
    #[error("unexpected: {0}")]
    Unexpected(String),
}

impl DomainError {
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            existing_id: None,
        }
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { constraint } => Self::Conflict {
                code: "conflict",
                message: format!(
                    "a record with the same unique value already exists ({constraint})"
                ),
                existing_id: None,
            },
            StoreError::Stale => Self::Stale,
            StoreError::Unavailable(m) => Self::Unavailable(m),
            StoreError::Unexpected(m) => Self::Unexpected(m),
        }
    }
}
