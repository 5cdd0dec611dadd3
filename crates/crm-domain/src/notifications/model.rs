use crate::activity::NewActivity;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest title and body stored (texts are cut at a character boundary).
pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 500;
/// Read notifications older than this are removed by the clean-up job.
pub const RETENTION_DAYS: i64 = 90;
/// How long a stream ticket may be redeemed.
pub const TICKET_TTL_SECS: i64 = 60;

/// Who is notified of an audit entry, for one notification type.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// A record of `entity` whose `owner_id` was set (on creation or by a change) to someone
    /// other than the actor: the new owner.
    Assigned { entity: &'static str },
    /// The event `<entity>.<verb>` on a record owned by someone other than the actor: the owner.
    Decided {
        entity: &'static str,
        verb: &'static str,
    },
    /// The event `<entity>.<verb>` whose entry names its recipients itself, in its
    /// [`NOTIFY_FIELD`](super::rules::NOTIFY_FIELD) change (written with
    /// [`notify_change`](super::rules::notify_change)): approvers, members, attendees — people
    /// the writing use case found, which the entry alone cannot say.
    Listed {
        entity: &'static str,
        verb: &'static str,
    },
    /// Anything else a module needs: the recipients of an entry (the actor is removed after).
    Custom(fn(&NewActivity) -> Vec<UserId>),
}

/// One kind of notification, declared by the module that makes it.
#[derive(Clone, Copy, Debug)]
pub struct NotificationType {
    /// `<record>.<what happened to you>`, e.g. `lead.assigned`.
    pub r#type: &'static str,
    /// Also the notification's title.
    pub description: &'static str,
    pub rule: Rule,
}

/// A notification to write for one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub r#type: &'static str,
    pub title: String,
    pub body: String,
    pub record_type: &'static str,
    pub record_id: Uuid,
}

/// A notification as its recipient sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2304-2480-7896-8534-f45738d048ec",
    "type": "lead.assigned",
    "title": "A lead was assigned to you",
    "body": "Ann Lee",
    "record_type": "lead",
    "record_id": "019c2304-2480-7896-8534-f45738d04900",
    "read_at": null,
    "legacy_id": null,
    "created_at": "2026-02-03T10:20:00.000000Z"
})))]
pub struct Notification {
    pub id: Uuid,
    /// One of the types `GET /notification-preferences` lists, or, for a notification
    /// imported from the original Node.js server (`crm import legacy`), `legacy.notification`
    /// or `legacy.reminder`.
    #[serde(rename = "type")]
    pub r#type: String,
    pub title: String,
    pub body: String,
    /// The kind of record it is about (`lead`, `invoice`, …). An imported notification
    /// whose old record was not imported names itself: `notification`, with its own id.
    pub record_type: String,
    pub record_id: Uuid,
    /// When the recipient marked it read; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
    /// For a notification imported from the original Node.js server (`crm import legacy`):
    /// the old notification's id and the recipient's old user id, `id:userid` (the old server
    /// kept one row for all recipients); `null` for notifications made here. Read-only.
    #[serde(default)]
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// `GET /notifications/unread-count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"count": 3})))]
pub struct UnreadCount {
    pub count: u64,
}

/// `POST /notifications/read-all`: how many were marked read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"updated": 3})))]
pub struct Updated {
    pub updated: u64,
}

/// One stored preference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preference {
    pub r#type: String,
    pub in_app: bool,
    pub email: bool,
}

/// A preference as the API shows and takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"type": "lead.assigned", "in_app": true, "email": false})))]
pub struct PreferenceItem {
    /// A notification type.
    #[serde(rename = "type")]
    pub r#type: String,
    /// Whether it is stored and streamed (default `true`).
    pub in_app: bool,
    /// Whether it is also mailed (default `false`).
    pub email: bool,
}

/// `GET` and `PUT /notification-preferences`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"items": [
    {"type": "deal.assigned", "in_app": true, "email": false},
    {"type": "lead.assigned", "in_app": true, "email": true}
]})))]
pub struct Preferences {
    pub items: Vec<PreferenceItem>,
}

/// `POST /notifications/stream-tickets`: a single-use ticket for `?ticket=`, valid 60 s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"ticket": "hT3y0n8gqQm1P0rX4c2v9bLkWzA7sDfE6uJiOpN5aYc"})))]
pub struct StreamTicket {
    pub ticket: String,
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("type", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only notifications of this type, e.g. `lead.assigned`"),
    FieldSpec::new("record_type", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only notifications about this kind of record, e.g. `lead`"),
    FieldSpec::new("record_id", FieldKind::Uuid)
        .filter()
        .doc("Only notifications about this record"),
];

/// `GET /notifications`: newest first by default; `unread=true` is handled by the route.
pub const NOTIFICATION_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-created_at",
    searchable: false,
};
