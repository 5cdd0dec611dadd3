use crate::activity::audit::Audited;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::typed_id!(
    /// A webhook subscription.
    WebhookId
);
crate::typed_id!(
    /// One event's delivery to one webhook.
    DeliveryId
);

/// The shape of a webhook url, as the OpenAPI document states it and `url_shape` checks it:
/// `http(s)://`, a host name (its last label starting with a letter) or a dotted-quad IPv4
/// address, an optional port (up to 65535), then printable
/// ASCII without spaces.
pub const WEBHOOK_URL_PATTERN: &str = "^[Hh][Tt][Tt][Pp][Ss]?://(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*)(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?([/?#][!-~]*)?$";
/// The shape of an event-type pattern (`patterns::check` then asks the catalogue).
pub const EVENT_PATTERN_PATTERN: &str =
    "^(\\*|[a-z0-9_]+(\\.[a-z0-9_]+)*\\.\\*|[a-z0-9_]+(\\.[a-z0-9_]+)+)$";

#[cfg(feature = "openapi")]
fn url_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(WEBHOOK_URL_PATTERN))
        .max_length(Some(WEBHOOK_URL_MAX))
        .into()
}

#[cfg(feature = "openapi")]
fn url_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .pattern(Some(WEBHOOK_URL_PATTERN))
        .max_length(Some(WEBHOOK_URL_MAX))
        .into()
}

#[cfg(feature = "openapi")]
fn patterns_schema(nullable: bool) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{SchemaType, Type};
    let item = utoipa::openapi::ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(EVENT_PATTERN_PATTERN));
    let ty = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    utoipa::openapi::ArrayBuilder::new()
        .schema_type(ty)
        .items(item)
        .min_items(Some(1))
        .max_items(Some(super::patterns::MAX_PATTERNS))
        .into()
}

#[cfg(feature = "openapi")]
fn patterns_required() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    patterns_schema(false)
}

#[cfg(feature = "openapi")]
fn patterns_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    patterns_schema(true)
}

/// Longest url and description.
pub const WEBHOOK_URL_MAX: usize = 2048;
pub const WEBHOOK_DESCRIPTION_MAX: usize = 500;

// A subscription: the events matching `event_types` are POSTed to `url`, signed with the
// webhook's secret (never shown here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "url": "https://hooks.example.com/crm",
    "event_types": ["lead.created", "deal.*"],
    "description": "Sync to the data warehouse",
    "is_active": true,
    "created_at": "2026-02-03T10:25:00.000000Z",
    "updated_at": "2026-02-03T10:25:00.000000Z",
    "version": 1
})))]
pub struct Webhook {
    #[cfg_attr(feature = "openapi", schema(value_type = Uuid))]
    pub id: WebhookId,
    #[cfg_attr(feature = "openapi", schema(value_type = Uuid))]
    pub organization_id: OrganizationId,
    pub url: String,
    // Exact event types, `<resource>.*` or `*`.
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Audited for Webhook {
    const ENTITY: &'static str = "webhook";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

/// The answer of `POST /webhooks` and `POST /webhooks/{id}/rotate-secret`: the webhook and
/// its secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "url": "https://hooks.example.com/crm",
    "event_types": ["lead.created", "deal.*"],
    "description": "Sync to the data warehouse",
    "is_active": true,
    "created_at": "2026-02-03T10:25:00.000000Z",
    "updated_at": "2026-02-03T10:25:00.000000Z",
    "version": 1,
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwK2mIvHdT9Ys="
})))]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` + base64 of the signing key. Shown only in this answer.
    pub secret: String,
}

/// `POST /webhooks`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "url": "https://hooks.example.com/crm",
    "event_types": ["lead.created", "deal.*"],
    "description": "Sync to the data warehouse"
})))]
pub struct WebhookInput {
    /// `http` or `https`; must not resolve to a loopback, private or link-local address.
    #[cfg_attr(feature = "openapi", schema(schema_with = url_schema))]
    pub url: String,
    /// Event types from `GET /event-types`, `<resource>.*` or `*`; at least one.
    #[cfg_attr(feature = "openapi", schema(schema_with = patterns_required))]
    pub event_types: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ WEBHOOK_DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    /// Default `true`.
    pub is_active: Option<bool>,
}

/// `PATCH /webhooks/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"is_active": false})))]
pub struct WebhookPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = url_or_null))]
    pub url: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = patterns_or_null))]
    pub event_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_line::<{ WEBHOOK_DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    pub is_active: Option<bool>,
}

crate::name_enum! {
    /// Where a delivery stands.
    DeliveryStatus, "delivery status" {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
    }
}

// One event's delivery to one webhook and how its attempts went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2309-0000-7c79-86d4-ac7a5c3902b3",
    "event_id": "019c2308-ffff-7c79-86d4-ac7a5c3902b3",
    "event_type": "lead.created",
    "status": "pending",
    "attempts": 1,
    "last_status_code": 500,
    "last_error": "the receiver answered 500",
    "next_attempt_at": "2026-02-03T10:25:05.000000Z",
    "created_at": "2026-02-03T10:25:00.000000Z"
})))]
pub struct Delivery {
    #[cfg_attr(feature = "openapi", schema(value_type = Uuid))]
    pub id: DeliveryId,
    /// The event's id, sent as `webhook-id` on every attempt.
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// When the next attempt is due; `null` once the delivery succeeded or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const WEBHOOK_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("url", FieldKind::Text).sort(),
    FieldSpec::new("is_active", FieldKind::Bool)
        .filter()
        .sort()
        .doc("Only active (`true`) or paused (`false`) webhooks"),
];

/// `GET /webhooks`: oldest first; `q` searches url and description.
pub const WEBHOOK_LIST_SPEC: ListSpec = ListSpec {
    fields: WEBHOOK_FIELDS,
    default_sort: "created_at",
    searchable: true,
};

const DELIVERY_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`pending`, `succeeded` or `failed`"),
    FieldSpec::new("event_type", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only deliveries of this event type"),
    FieldSpec::new("attempts", FieldKind::Integer).sort(),
];

/// `GET /webhooks/{id}/deliveries`: newest first.
pub const DELIVERY_LIST_SPEC: ListSpec = ListSpec {
    fields: DELIVERY_FIELDS,
    default_sort: "-created_at",
    searchable: false,
};
