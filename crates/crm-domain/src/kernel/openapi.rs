//! Helpers for schema examples in the OpenAPI document (behind the `openapi` feature): a type
//! that contains another reuses that type's example instead of repeating it.

use serde_json::Value;

/// The schema-level `example` of `T` (null when it has none).
pub fn example_of<T: utoipa::PartialSchema>() -> Value {
    serde_json::to_value(T::schema())
        .ok()
        .and_then(|s| s.get("example").cloned())
        .unwrap_or(Value::Null)
}

/// A list page of `T` in the contract's shape: `{"data": [...], "next_cursor": ...}`.
pub fn page_example<T: utoipa::PartialSchema>() -> Value {
    serde_json::json!({
        "data": [example_of::<T>()],
        "next_cursor": "eyJrIjpbIjIwMjYtMDMtMDJUMDk6MTU6MzAuMTIzNDU2WiJdLCJpZCI6IjAxOWNhZTNkLTQ1NmItN2MxZS05YTBiLTJmM2M0ZDVlNmY3MCJ9"
    })
}
