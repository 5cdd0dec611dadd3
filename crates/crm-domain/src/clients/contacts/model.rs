//! A contact: a person at a client, at most one of them primary.

use crate::activity::audit::Audited;
use crate::clients::clients::ClientId;
use crate::clients::common::OfClient;
use crate::identity::EmailAddress;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// A contact person of a client.
    ContactId
);

// A person at a client. At most one contact per client is primary. (Plain comments: doc
// comments would become the response schema's descriptions.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "name": "Hank Scorpio",
    "email": "hank@globex.example",
    "phone": "+1 555 0143",
    "title": "CEO",
    "is_primary": true,
    "created_at": "2026-02-03T10:25:00.000000Z",
    "updated_at": "2026-02-03T10:25:00.000000Z",
    "version": 1
})))]
pub struct Contact {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: ContactId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub organization_id: OrganizationId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub client_id: ClientId,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    // Job title at the client.
    pub title: Option<String>,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Audited for Contact {
    const ENTITY: &'static str = "contact";
    fn entity_id(&self) -> uuid::Uuid {
        self.id.0
    }
}

impl OfClient for Contact {
    fn client_id(&self) -> ClientId {
        self.client_id
    }
}

/// Longest contact name and job title.
pub const CONTACT_NAME_MAX: usize = 200;
pub const CONTACT_TITLE_MAX: usize = 200;

/// `POST /clients/{id}/contacts`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Hank Scorpio",
    "email": "hank@globex.example",
    "phone": "+1 555 0143",
    "title": "CEO",
    "is_primary": true
})))]
pub struct ContactInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<{ CONTACT_NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    /// Job title at the client.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ CONTACT_TITLE_MAX }>))]
    pub title: Option<String>,
    /// Makes this the client's primary contact; the previous primary stops being one.
    #[serde(default)]
    pub is_primary: bool,
}

/// `PATCH /clients/{id}/contacts/{contact_id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Founder and CEO",
    "phone": null
})))]
pub struct ContactPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<{ CONTACT_NAME_MAX }>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ CONTACT_TITLE_MAX }>))]
    pub title: Option<Option<String>>,
    pub is_primary: Option<bool>,
}

const CONTACT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text).sort().nullable(),
    FieldSpec::new("phone", FieldKind::Text).sort().nullable(),
    FieldSpec::new("title", FieldKind::Text).sort().nullable(),
    FieldSpec::new("is_primary", FieldKind::Bool).sort(),
];

/// `GET /clients/{id}/contacts`: oldest first by default, sortable by `created_at`; `q`
/// searches name, email and phone.
pub const CONTACT_LIST_SPEC: ListSpec = ListSpec {
    fields: CONTACT_FIELDS,
    default_sort: "created_at",
    searchable: true,
};
