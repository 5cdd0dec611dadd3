//! A client: a company or person the organization sells to, nested as sub-clients.

use crate::identity::EmailAddress;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use crate::kernel::scope::Owned;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// A client (company or individual) of one organization.
    ClientId
);

crate::name_enum!(
    /// Whether a client is an organization or a person.
    ClientKind, "kind" {
        Company => "company",
        Individual => "individual",
    }
);

crate::name_enum!(
    /// Customer tracking: `prospect` until one of the client's deals is won, then `customer`.
    Lifecycle, "lifecycle" {
        Prospect => "prospect",
        Customer => "customer",
    }
);

// A company or person the organization sells to. Clients nest through `parent_id`
// (sub-clients), without cycles and within one organization. (Plain comments here and on
// the fields below: doc comments would become the response schema's descriptions.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2304-2480-7896-8534-f45738d048ec",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Globex Corporation",
    "kind": "company",
    "email": "accounts@globex.example",
    "phone": "+1 555 0142",
    "website": "https://globex.example",
    "industry": "Manufacturing",
    "parent_id": null,
    "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "status": "active",
    "tags": [
        "enterprise",
        "east-coast"
    ],
    "address": "1 Globex Way, Springfield",
    "lifecycle": "prospect",
    "legacy_id": null,
    "created_at": "2026-02-03T10:20:00.000000Z",
    "updated_at": "2026-02-03T10:20:00.000000Z",
    "version": 1
})))]
pub struct Client {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: ClientId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub organization_id: OrganizationId,
    pub name: String,
    /// `company` or `individual`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ClientKind,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    /// The parent client of a sub-client.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub parent_id: Option<ClientId>,
    // Drives the `:own` permission scope.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub owner_id: UserId,
    // Free text, `active` unless set.
    pub status: String,
    // Trimmed, distinct, in the order given.
    pub tags: Vec<String>,
    // Free-form postal address, possibly several lines.
    pub address: Option<String>,
    /// `prospect` until a deal is won, then `customer`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub lifecycle: Lifecycle,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Client {
    /// The status of a client created without one.
    pub const DEFAULT_STATUS: &'static str = "active";
}

crate::record!(Client, ClientId, "client", scope: Option<UserId>);

impl Owned for Client {
    fn owner_id(&self) -> UserId {
        self.owner_id
    }
}

/// Longest client name.
pub const CLIENT_NAME_MAX: usize = 200;
/// Longest status text.
pub const CLIENT_STATUS_MAX: usize = 50;
/// Longest industry text.
pub const CLIENT_INDUSTRY_MAX: usize = 100;
/// Longest address.
pub const CLIENT_ADDRESS_MAX: usize = 1000;

/// `POST /clients`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Globex Corporation",
    "kind": "company",
    "email": "accounts@globex.example",
    "phone": "+1 555 0142",
    "website": "https://globex.example",
    "industry": "Manufacturing",
    "status": "active",
    "tags": [
        "enterprise",
        "east-coast"
    ],
    "address": "1 Globex Way, Springfield"
})))]
pub struct ClientInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<{ CLIENT_NAME_MAX }>))]
    pub name: String,
    /// `company` when absent.
    pub kind: Option<ClientKind>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_website))]
    pub website: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ CLIENT_INDUSTRY_MAX }>))]
    pub industry: Option<String>,
    /// Makes the new client a sub-client of this one.
    pub parent_id: Option<ClientId>,
    /// The caller when absent; another user needs the all-records `clients:write`.
    pub owner_id: Option<UserId>,
    /// `active` when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<{ CLIENT_STATUS_MAX }>))]
    pub status: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::tags))]
    pub tags: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<{ CLIENT_ADDRESS_MAX }>))]
    pub address: Option<String>,
}

/// `PATCH /clients/{id}`: only the fields present change; `null` clears a clearable field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "industry": "Industrial automation",
    "tags": [
        "enterprise",
        "key-account"
    ],
    "phone": null
})))]
pub struct ClientPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<{ CLIENT_NAME_MAX }>))]
    pub name: Option<String>,
    pub kind: Option<ClientKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_website))]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ CLIENT_INDUSTRY_MAX }>))]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub parent_id: Option<Option<ClientId>>,
    /// Reassigning needs the all-records `clients:write` (`422` on `owner_id` otherwise).
    pub owner_id: Option<UserId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<{ CLIENT_STATUS_MAX }>))]
    pub status: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::tags_or_null))]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<{ CLIENT_ADDRESS_MAX }>))]
    pub address: Option<Option<String>>,
}

const CLIENT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("kind", FieldKind::Text)
        .filter()
        .sort()
        .doc("`company`, `individual`"),
    FieldSpec::new("email", FieldKind::Text).sort().nullable(),
    FieldSpec::new("phone", FieldKind::Text).sort().nullable(),
    FieldSpec::new("status", FieldKind::Text).filter().sort(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
    FieldSpec::new("parent_id", FieldKind::Uuid).filter(),
    FieldSpec::new("lifecycle", FieldKind::Text).filter().sort(),
    FieldSpec::new("industry", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
];

/// `GET /clients` and `GET /clients/{id}/sub-clients`: newest first by default; filters
/// `kind`, `status`, `owner_id`, `parent_id`, `lifecycle`, `industry`, `created_at_from/_to`;
/// sorts `created_at`, `name`, `updated_at`; `q` searches name, email and phone.
pub const CLIENT_LIST_SPEC: ListSpec = ListSpec {
    fields: CLIENT_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_snake_case() {
        for k in ClientKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
            assert_eq!(k.as_str().parse::<ClientKind>().unwrap(), *k);
        }
        for l in Lifecycle::ALL {
            assert_eq!(l.as_str().parse::<Lifecycle>().unwrap(), *l);
        }
        let e = "person".parse::<ClientKind>().unwrap_err();
        assert_eq!(e.code, "invalid");
        assert_eq!(e.message, "kind must be one of company, individual");
    }
}
