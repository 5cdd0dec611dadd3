//! An import: one uploaded CSV of one resource, and how far its rows have gone in.

use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

crate::typed_id!(
    /// An import of one organization.
    ImportId
);

crate::name_enum!(
    /// `queued` until a worker takes it, `running` while its rows go in, then `completed`, or
    /// `failed` when it could not go on (its creator lost access, the file is gone).
    ImportStatus, "status" {
        Queued => "queued",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
    }
);

crate::name_enum!(
    /// What the rows of a file create.
    ImportResource, "resource" {
        Leads => "leads",
        Clients => "clients",
        Contacts => "contacts",
    }
);

crate::name_enum!(
    /// What a row whose record already exists does: `skip` counts it as skipped, `update`
    /// applies the row to that record as a `PATCH` would.
    OnDuplicate, "on_duplicate" {
        Skip => "skip",
        Update => "update",
    }
);

/// Most row errors an import keeps (`failed_rows` counts them all).
pub const MAX_ERRORS: usize = 1000;

/// One refusal of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// The row as a spreadsheet numbers it: the header is row 1, the first data row 2
    /// (blank lines are no rows).
    pub row: u64,
    /// The field refused, as the create route names it (`email`, `score`); `null` when the
    /// row as a whole is refused (a duplicate that may not be updated, too many cells).
    pub field: Option<String>,
    pub message: String,
}

// An import of a CSV file (contract section 10). (Plain comments: doc comments would become
// the response schema's descriptions.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2304-2480-7896-8534-f45738d04901",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "created_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "resource": "leads",
    "status": "running",
    "on_duplicate": "skip",
    "dry_run": false,
    "mapping": {"Full name": "name", "Notes": null},
    "total_rows": 1200,
    "processed_rows": 500,
    "created": 480,
    "updated": 0,
    "skipped": 12,
    "failed_rows": 8,
    "errors": [{"row": 7, "field": "email", "message": "email must be a valid email address"}],
    "finished_at": null,
    "created_at": "2026-02-03T10:20:00.000000Z",
    "updated_at": "2026-02-03T10:20:04.512000Z",
    "version": 3
})))]
pub struct Import {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: ImportId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub organization_id: OrganizationId,
    // The user who uploaded it: the rows are checked and written with their permissions, and
    // only they see the import.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub created_by: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub resource: ImportResource,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: ImportStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub on_duplicate: OnDuplicate,
    // Rows checked and counted, nothing written.
    pub dry_run: bool,
    // `{csv column: field}` as sent (`null`: the column is left out).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub mapping: BTreeMap<String, Option<String>>,
    // Data rows of the file (the header is not one).
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed_rows: i64,
    // The first 1,000 refusals, in row order.
    pub errors: Vec<RowError>,
    // The stored file (its blob in the organization's storage), kept until the import ends.
    #[serde(skip)]
    pub sha256: String,
    // Until when the worker running it holds it; another takes it over after that.
    #[serde(skip)]
    pub lease_until: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crate::record!(Import, ImportId, "import", scope: UserId);

impl Import {
    /// Whether a worker is done with it.
    pub fn is_finished(&self) -> bool {
        matches!(self.status, ImportStatus::Completed | ImportStatus::Failed)
    }
}

const IMPORT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`queued`, `running`, `completed`, `failed`"),
    FieldSpec::new("resource", FieldKind::Text)
        .filter()
        .sort()
        .doc("`leads`, `clients`, `contacts`"),
    FieldSpec::new("total_rows", FieldKind::Integer).sort(),
];

/// `GET /imports`: the caller's imports, newest first; filters `status`, `resource`.
pub const IMPORT_LIST_SPEC: ListSpec = ListSpec {
    fields: IMPORT_FIELDS,
    default_sort: "-created_at",
    searchable: false,
};

/// The text parts of `POST /imports`, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportForm {
    pub resource: Option<String>,
    pub mapping: Option<String>,
    pub on_duplicate: Option<String>,
    pub dry_run: Option<String>,
}
