//! An interaction: a call, email, meeting or note with a client.

use crate::clients::clients::ClientId;
use crate::clients::common::OfClient;
use crate::clients::contacts::ContactId;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// A recorded call, email, meeting or note with a client.
    InteractionId
);

crate::name_enum!(
    /// What kind of exchange an interaction was.
    InteractionKind, "kind" {
        Call => "call",
        Email => "email",
        Meeting => "meeting",
        Note => "note",
    }
);

// A call, email, meeting or note with a client: what, when, with whom, recorded by whom.
// (Plain comments: doc comments would become the response schema's descriptions.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c47da-1300-71b3-93ad-dccb2c33be0a",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "kind": "meeting",
    "summary": "Kick-off: scope and timeline agreed",
    "occurred_at": "2026-02-10T14:00:00.000000Z",
    "contact_id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "legacy_id": null,
    "created_at": "2026-02-10T14:00:00.000000Z",
    "updated_at": "2026-02-10T14:00:00.000000Z",
    "version": 1
})))]
pub struct Interaction {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: InteractionId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub organization_id: OrganizationId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub client_id: ClientId,
    /// `call`, `email`, `meeting` or `note`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: InteractionKind,
    pub summary: String,
    pub occurred_at: DateTime<Utc>,
    // The client's contact it was with, if any.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub contact_id: Option<ContactId>,
    /// Who recorded it.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub owner_id: UserId,
    // The record's id in the original Node.js server's database when it came from there
    // (`crm import legacy`: its `notes`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crate::record!(Interaction, InteractionId, "interaction", scope: ClientId);

impl OfClient for Interaction {
    fn client_id(&self) -> ClientId {
        self.client_id
    }
}

/// Longest interaction summary.
pub const SUMMARY_MAX: usize = 10_000;

/// `POST /clients/{id}/interactions`. Who recorded it is the caller.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "meeting",
    "summary": "Kick-off: scope and timeline agreed",
    "occurred_at": "2026-02-10T14:00:00Z",
    "contact_id": "019c2308-b860-7c79-86d4-ac7a5c3902b3"
})))]
pub struct InteractionInput {
    pub kind: InteractionKind,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::text::<{ SUMMARY_MAX }>))]
    pub summary: String,
    /// Now when absent.
    pub occurred_at: Option<DateTime<Utc>>,
    /// A contact of the same client.
    pub contact_id: Option<ContactId>,
}

/// `PATCH /clients/{id}/interactions/{interaction_id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "summary": "Kick-off: scope, timeline and budget agreed",
    "contact_id": null
})))]
pub struct InteractionPatch {
    pub kind: Option<InteractionKind>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::text_or_null::<{ SUMMARY_MAX }>))]
    pub summary: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nullable")]
    pub contact_id: Option<Option<ContactId>>,
}

const INTERACTION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("occurred_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("kind", FieldKind::Text)
        .filter()
        .sort()
        .doc("`call`, `email`, `meeting`, `note`"),
];

/// `GET /clients/{id}/interactions`: most recent first by default; sorts `occurred_at`,
/// `created_at`; filter `kind`; range `occurred_at_from/_to`; `q` searches the summary.
pub const INTERACTION_LIST_SPEC: ListSpec = ListSpec {
    fields: INTERACTION_FIELDS,
    default_sort: "-occurred_at",
    searchable: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_in_snake_case() {
        for k in InteractionKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
            assert_eq!(k.to_string().parse::<InteractionKind>().unwrap(), *k);
        }
    }
}
