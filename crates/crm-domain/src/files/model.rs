//! A stored file: its metadata row (the bytes are a blob named by their sha256).

use crate::activity::audit::Audited;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use crate::kernel::scope::Owned;
use crate::kernel::validation::ValueError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::typed_id!(
    /// A stored file.
    FileId
);

/// The record types files may be attached to today, as the OpenAPI document lists them. The
/// server registers one `RecordAccess` per entry (`crm-api/src/adapters/record_access.rs`); a
/// module that adds a record type adds it here and its adapter there.
pub const RECORD_TYPES: &[&str] = &[
    "application",
    "candidate",
    "client",
    "contract",
    "credit_note",
    "deal",
    "expense",
    "invoice",
    "lead",
    "payment",
    "project",
    "proposal",
    "quotation",
    "task",
];

/// `record_type` in a patch: one of [`RECORD_TYPES`] or `null`.
#[cfg(feature = "openapi")]
pub fn record_type_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::kernel::openapi::one_of(RECORD_TYPES, true)
}

/// `record_type` of an upload: one of [`RECORD_TYPES`].
#[cfg(feature = "openapi")]
pub fn record_type_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::kernel::openapi::one_of(RECORD_TYPES, false)
}

/// Longest file name and description, in characters.
pub const NAME_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 2000;

// A file: its name, type, size and sha256, and the record it is attached to. (Plain comments:
// doc comments would become the response schema's descriptions.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "name": "contract.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "record_type": "lead",
    "record_id": "019c2304-2480-7896-8534-f45738d048ec",
    "description": "Signed contract",
    "uploaded_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "created_at": "2026-02-03T10:25:00.000000Z",
    "updated_at": "2026-02-03T10:25:00.000000Z",
    "version": 1
})))]
pub struct StoredFile {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: FileId,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub organization_id: OrganizationId,
    pub name: String,
    // Read from the file's first bytes; the uploader's type only where the bytes say nothing
    // and that type is harmless.
    pub content_type: String,
    // Bytes.
    pub size: i64,
    // Lowercase hex SHA-256 of the content.
    pub sha256: String,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub uploaded_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl StoredFile {
    /// The record the file is attached to, if any.
    pub fn record(&self) -> Option<RecordRef> {
        match (&self.record_type, self.record_id) {
            (Some(t), Some(id)) => Some(RecordRef {
                record_type: t.clone(),
                record_id: id,
            }),
            _ => None,
        }
    }
}

impl Audited for StoredFile {
    const ENTITY: &'static str = "file";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

impl Owned for StoredFile {
    fn owner_id(&self) -> UserId {
        self.uploaded_by
    }
}

/// A record a file is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRef {
    pub record_type: String,
    pub record_id: Uuid,
}

/// The text parts of `POST /files` and what the file part says about itself, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadMeta {
    /// The file part's `filename`.
    pub name: Option<String>,
    /// The file part's `Content-Type`: a hint only.
    pub client_type: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub description: Option<String>,
}

/// `PATCH /files/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "contract-signed.pdf",
    "record_type": "deal",
    "record_id": "019c2304-2480-7896-8534-f45738d048ec"
})))]
pub struct FilePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    /// The kind of record to attach the file to (`client`, `lead`, `deal`, `quotation`, …);
    /// `null` with `record_id: null` detaches it.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = record_type_or_null))]
    pub record_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub record_id: Option<Option<Uuid>>,
}

/// The stored name of an uploaded file: the last path segment of what the client sent, without
/// control characters, trimmed, at most [`NAME_MAX`] characters.
pub fn sanitize_name(raw: &str) -> Result<String, ValueError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() {
        return Err(ValueError::new("required", "the file needs a name"));
    }
    Ok(clean.chars().take(NAME_MAX).collect())
}

/// A new name sent in `PATCH /files/{id}`: unlike a file part's `filename`, which browsers
/// send as they find it and which is cleaned, it is one line of text as the document says
/// (control characters refused, not removed), and then stored as [`sanitize_name`] makes it.
pub fn patched_name(raw: &str) -> Result<String, ValueError> {
    crate::kernel::text::required_text(raw, "name", NAME_MAX)?;
    sanitize_name(raw)
}

/// Types a client may declare for bytes that carry no magic number: none of them is run or
/// rendered as active content by a browser.
const SAFE_HINTS: &[&str] = &[
    "text/plain",
    "text/csv",
    "text/markdown",
    "text/tab-separated-values",
    "application/json",
    "application/octet-stream",
];

/// The stored content type: what the first bytes say (`sniffed`), else the client's `hint`
/// when it is one of the harmless types, else `application/octet-stream`.
pub fn content_type(sniffed: Option<&str>, hint: Option<&str>) -> String {
    if let Some(s) = sniffed {
        return s.to_string();
    }
    let hint = hint
        .and_then(|h| h.split(';').next())
        .map(|h| h.trim().to_ascii_lowercase());
    match hint {
        Some(h) if SAFE_HINTS.contains(&h.as_str()) => h,
        _ => "application/octet-stream".to_string(),
    }
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("size", FieldKind::Integer).sort(),
    FieldSpec::new("content_type", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only files of this content type, e.g. `application/pdf`"),
    FieldSpec::new("record_type", FieldKind::Text)
        .filter()
        .doc("Only files attached to this kind of record, e.g. `lead`"),
    FieldSpec::new("record_id", FieldKind::Uuid)
        .filter()
        .doc("Only files attached to this record"),
    FieldSpec::new("uploaded_by", FieldKind::Uuid)
        .filter()
        .doc("Only files uploaded by this user"),
];

/// `GET /files`: newest first by default; `q` searches name and description.
pub const FILE_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patched_name_with_control_characters_is_refused() {
        assert_eq!(patched_name("report.pdf").unwrap(), "report.pdf");
        assert_eq!(patched_name(" a/b/report.pdf ").unwrap(), "report.pdf");
        assert_eq!(patched_name("\n\r\u{a6}\t*").unwrap_err().code, "invalid");
        assert_eq!(patched_name("   ").unwrap_err().code, "required");
    }

    #[test]
    fn names_lose_paths_controls_and_leading_dots() {
        assert_eq!(sanitize_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(sanitize_name("C:\\x\\report.pdf").unwrap(), "report.pdf");
        assert_eq!(sanitize_name("a\u{0}b\nc.txt").unwrap(), "abc.txt");
        assert_eq!(sanitize_name(".htaccess").unwrap(), "htaccess");
        assert!(sanitize_name("  ").is_err());
        assert!(sanitize_name("dir/").is_err());
        assert_eq!(sanitize_name(&"x".repeat(300)).unwrap().len(), NAME_MAX);
    }

    #[test]
    fn the_bytes_decide_and_a_hint_counts_only_when_harmless() {
        assert_eq!(
            content_type(Some("image/png"), Some("text/html")),
            "image/png"
        );
        assert_eq!(
            content_type(None, Some("text/html")),
            "application/octet-stream"
        );
        assert_eq!(
            content_type(None, Some("image/svg+xml")),
            "application/octet-stream"
        );
        assert_eq!(
            content_type(None, Some("Text/Plain; charset=utf-8")),
            "text/plain"
        );
        assert_eq!(content_type(None, None), "application/octet-stream");
    }
}
