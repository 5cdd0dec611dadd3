use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// How long events are listed (and their data kept).
pub const RETENTION_DAYS: i64 = 30;

/// One kind of event, as `GET /event-types` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "lead.created",
    "description": "A lead was created"
})))]
pub struct EventType {
    /// `<resource>.<verb>`.
    #[serde(rename = "type")]
    pub r#type: &'static str,
    pub description: &'static str,
}

/// Something that happened to a record.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2304-2480-7896-8534-f45738d048ec",
    "type": "lead.created",
    "occurred_at": "2026-02-03T10:20:00.000000Z",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "actor_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "record_type": "lead",
    "record_id": "019c2304-2480-7896-8534-f45738d04900",
    "data": {"id": "019c2304-2480-7896-8534-f45738d04900", "name": "Ann Lee", "status": "new", "version": 1}
})))]
pub struct Event {
    pub id: Uuid,
    /// `<record_type>.<verb>`, one of `GET /event-types`.
    #[serde(rename = "type")]
    pub r#type: String,
    pub occurred_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = Uuid))]
    pub organization_id: OrganizationId,
    /// Who made the change; `null` for the system.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>))]
    pub actor_id: Option<UserId>,
    pub record_type: String,
    pub record_id: Uuid,
    /// The record as the API shows it after the change (before it, for `*.deleted`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("occurred_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("type", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only events of this type, e.g. `lead.created`"),
    FieldSpec::new("record_type", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only events about this kind of record, e.g. `lead`"),
    FieldSpec::new("record_id", FieldKind::Uuid)
        .filter()
        .doc("Only events about this record"),
    FieldSpec::new("actor_id", FieldKind::Uuid)
        .filter()
        .doc("Only events caused by this user"),
];

/// `GET /events`: newest first by default; the last 30 days.
pub const EVENT_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-occurred_at",
    searchable: false,
};
