//! Conversations, their members and messages, as the API shows them, and the bodies that
//! write them.

use chrono::{DateTime, Utc};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::{OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A conversation: direct, group or the thread of a record.
    ConversationId
);
crm_domain::typed_id!(
    /// A message. UUIDv7, and strictly increasing within a conversation in commit order
    /// ([`next_message_id`]), so paging by id never skips nor repeats.
    MessageId
);

crm_domain::name_enum!(
    /// Who a conversation is between: two people, a named group, or whoever reads a record.
    ConversationKind, "kind" { Direct => "direct", Group => "group", Record => "record" }
);

/// Longest group title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest message body, in characters.
pub const BODY_MAX: usize = 10_000;
/// Longest `client_message_id`, in characters.
pub const CLIENT_ID_MAX: usize = 100;
/// Most members a group is created with, and most files one message names.
pub const MEMBERS_MAX: usize = 100;
pub const FILES_MAX: usize = 10;
/// Most messages one page holds, and the default.
pub const PAGE_MAX: u32 = 200;
pub const PAGE_DEFAULT: u32 = 50;

/// A conversation as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub organization_id: OrganizationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The newest message's time (the creation's before the first).
    pub last_activity_at: DateTime<Utc>,
    pub last_message_id: Option<MessageId>,
}

impl Conversation {
    /// What keeps one direct conversation per pair and one thread per record: the two
    /// member ids sorted, or the record's type and id. Unique per organization.
    pub fn unique_key(&self, members: &[UserId]) -> Option<String> {
        match self.kind {
            ConversationKind::Direct => Some(direct_key(members)),
            ConversationKind::Record => Some(record_key(
                self.record_type.as_deref().unwrap_or_default(),
                self.record_id.unwrap_or_default(),
            )),
            ConversationKind::Group => None,
        }
    }
}

/// The key of the direct conversation of these two people, whatever their order.
pub fn direct_key(members: &[UserId]) -> String {
    let mut ids: Vec<Uuid> = members.iter().map(|u| u.0).collect();
    ids.sort();
    ids.dedup();
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    format!("direct:{}", ids.join(":"))
}

/// The key of a record's thread.
pub fn record_key(record_type: &str, record_id: Uuid) -> String {
    format!("record:{record_type}:{record_id}")
}

/// A member of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "user_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d9",
    "joined_at": "2026-12-10T09:00:00.000000Z"
})))]
pub struct ConversationMember {
    pub user_id: UserId,
    pub joined_at: DateTime<Utc>,
}

/// A message. A deleted one stays in its place with an empty body, so pages and read marks
/// keep their positions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019d0a10-2000-7000-8000-000000000002",
    "conversation_id": "019d0a10-1000-7000-8000-000000000001",
    "author_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d8",
    "body": "The signed contract is attached.",
    "file_ids": ["019d0a0f-0000-7000-8000-00000000000f"],
    "client_message_id": "web-7f3c2a",
    "created_at": "2026-12-10T09:15:00.000000Z",
    "edited_at": null,
    "deleted": false
})))]
pub struct Message {
    pub id: MessageId,
    #[serde(skip)]
    pub organization_id: OrganizationId,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub body: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub file_ids: Vec<Uuid>,
    pub client_message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
}

/// A conversation as `GET /conversations` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019d0a10-1000-7000-8000-000000000001",
    "kind": "group",
    "title": "Launch team",
    "record_type": null,
    "record_id": null,
    "created_by": "019bb138-1000-71a5-8da4-f9fc3c6da5d8",
    "created_at": "2026-12-10T09:00:00.000000Z",
    "updated_at": "2026-12-10T09:00:00.000000Z",
    "last_activity_at": "2026-12-10T09:15:00.000000Z",
    "members": [
        {"user_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d8", "joined_at": "2026-12-10T09:00:00.000000Z"},
        {"user_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d9", "joined_at": "2026-12-10T09:00:00.000000Z"}
    ],
    "last_message": {
        "id": "019d0a10-2000-7000-8000-000000000002",
        "conversation_id": "019d0a10-1000-7000-8000-000000000001",
        "author_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d8",
        "body": "The signed contract is attached.",
        "file_ids": [],
        "client_message_id": null,
        "created_at": "2026-12-10T09:15:00.000000Z",
        "edited_at": null,
        "deleted": false
    },
    "unread_count": 1
})))]
pub struct ConversationView {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub record_type: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub record_id: Option<Uuid>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub members: Vec<ConversationMember>,
    pub last_message: Option<Message>,
    /// Messages by others after the caller's read mark, deleted ones not counted.
    pub unread_count: u64,
}

impl ConversationView {
    pub fn new(
        c: Conversation,
        members: Vec<ConversationMember>,
        last_message: Option<Message>,
        unread_count: u64,
    ) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            title: c.title,
            record_type: c.record_type,
            record_id: c.record_id,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_activity_at: c.last_activity_at,
            members,
            last_message,
            unread_count,
        }
    }
}

/// The id of a conversation's next message: a new UUIDv7, or, when the clock (of this or
/// another instance) is not past the conversation's last message, that id plus one. Taken
/// under the conversation's lock, so ids grow in commit order.
pub fn next_message_id(fresh: MessageId, last: Option<MessageId>) -> MessageId {
    match last {
        Some(l) if fresh.0 <= l.0 => MessageId(Uuid::from_u128(l.0.as_u128().wrapping_add(1))),
        _ => fresh,
    }
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("last_activity_at", FieldKind::Timestamp)
        .range()
        .sort()
        .doc("The newest message's time (the creation's before the first)"),
    FieldSpec::new("kind", FieldKind::Text)
        .filter()
        .one_of(&["direct", "group", "record"])
        .doc("direct, group or record"),
];

/// `GET /conversations`: the caller's, latest activity first.
pub const CONVERSATION_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-last_activity_at",
    searchable: false,
};

/// `POST /conversations`: one of three shapes by `kind` (the document states each as a branch
/// of a `oneOf`). A field another kind takes is refused when present, `null` included
/// (`422 not_allowed`), so the server accepts exactly the shapes the document shows.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationInput {
    pub kind: ConversationKind,
    /// `group`: required.
    #[serde(default, deserialize_with = "crm_domain::kernel::rules::nullable")]
    pub title: Option<Option<String>>,
    /// `direct`: exactly one other user; `group`: the other members (the caller is always
    /// one); users of the caller's organization.
    #[serde(default, deserialize_with = "crm_domain::kernel::rules::nullable")]
    pub member_ids: Option<Option<Vec<Uuid>>>,
    /// `record`: a type files may be attached to.
    #[serde(default, deserialize_with = "crm_domain::kernel::rules::nullable")]
    pub record_type: Option<Option<String>>,
    /// `record`: a record the caller may read.
    #[serde(default, deserialize_with = "crm_domain::kernel::rules::nullable")]
    pub record_id: Option<Option<Uuid>>,
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ConversationInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder,
            SchemaFormat, Type,
        };
        let uuid = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        };
        let ids = |min: usize, max: usize| {
            ArrayBuilder::new()
                .items(uuid())
                .min_items(Some(min))
                .max_items(Some(max))
        };
        let shape = |kind: &str, description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(description))
                .property(
                    "kind",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([kind])),
                )
                .required("kind")
                .additional_properties(Some(
                    AdditionalProperties::<utoipa::openapi::schema::Schema>::FreeForm(false),
                ))
        };
        let direct = shape(
            "direct",
            "Two people: `member_ids` names the one other user (the pair's conversation is answered with 200 when it exists)",
        )
        .property("member_ids", ids(1, 1))
        .required("member_ids");
        let group = shape(
            "group",
            "A named group: the caller and the users `member_ids` names",
        )
        .property(
            "title",
            crm_domain::kernel::openapi::line::<{ TITLE_MAX }>(),
        )
        .required("title")
        .property("member_ids", ids(0, MEMBERS_MAX))
        .required("member_ids");
        let record = shape(
            "record",
            "The thread of a record the caller may read (answered with 200 when it exists)",
        )
        .property("record_type", crm_domain::files::record_type_schema())
        .required("record_type")
        .property("record_id", uuid())
        .required("record_id");
        OneOfBuilder::new()
            .item(direct)
            .item(group)
            .item(record)
            .examples([serde_json::json!({
                "kind": "group",
                "title": "Launch team",
                "member_ids": ["019bb138-1000-71a5-8da4-f9fc3c6da5d9"]
            })])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ConversationInput {}

/// `POST /conversations/{id}/members`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"user_id": "019bb138-1000-71a5-8da4-f9fc3c6da5da"})))]
pub struct ConversationMemberInput {
    pub user_id: UserId,
}

/// `POST /conversations/{id}/messages`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "body": "The signed contract is attached.",
    "file_ids": [],
    "client_message_id": "web-7f3c2a"
})))]
pub struct MessageInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ BODY_MAX }>))]
    pub body: String,
    /// Files the caller may read.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>, max_items = 10))]
    pub file_ids: Option<Vec<Uuid>>,
    /// The sender's own key: sending again with it answers the message already sent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ CLIENT_ID_MAX }>))]
    pub client_message_id: Option<String>,
}

/// `PATCH /messages/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"body": "The signed contract (v2) is attached."})))]
pub struct MessagePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ BODY_MAX }>))]
    pub body: String,
}

/// `POST /conversations/{id}/read`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"message_id": "019d0a10-2000-7000-8000-000000000002"})))]
pub struct ReadInput {
    pub message_id: MessageId,
}

/// The caller's read mark after `POST /conversations/{id}/read`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "conversation_id": "019d0a10-1000-7000-8000-000000000001",
    "last_read_message_id": "019d0a10-2000-7000-8000-000000000002",
    "unread_count": 0
})))]
pub struct ReadMark {
    pub conversation_id: ConversationId,
    pub last_read_message_id: Option<MessageId>,
    pub unread_count: u64,
}

/// `GET /conversations/{id}/messages`: a window by message id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Only messages older than this one.
    pub before: Option<MessageId>,
    /// Only messages newer than this one; the page is then oldest first.
    pub after: Option<MessageId>,
    pub limit: u32,
}

impl Window {
    /// Newest first unless `after` is given.
    pub fn newest_first(&self) -> bool {
        self.after.is_none()
    }
}

/// A page of messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "data": [{
        "id": "019d0a10-2000-7000-8000-000000000002",
        "conversation_id": "019d0a10-1000-7000-8000-000000000001",
        "author_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d8",
        "body": "The signed contract is attached.",
        "file_ids": [],
        "client_message_id": null,
        "created_at": "2026-12-10T09:15:00.000000Z",
        "edited_at": null,
        "deleted": false
    }],
    "has_more": false
})))]
pub struct MessagePage {
    pub data: Vec<Message>,
    /// More messages lie beyond the last one of `data` in the page's direction: ask again
    /// with its id as `before` (newest first) or `after`.
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_key_is_the_same_in_either_order() {
        let (a, b) = (UserId::new(), UserId::new());
        assert_eq!(direct_key(&[a, b]), direct_key(&[b, a]));
        assert_ne!(direct_key(&[a, b]), direct_key(&[a, UserId::new()]));
    }

    #[test]
    fn message_ids_grow_past_the_last_one_whatever_the_clock() {
        let last = MessageId::new();
        let early = MessageId(Uuid::from_u128(last.0.as_u128() - 5));
        let next = next_message_id(early, Some(last));
        assert!(next.0 > last.0);
        let later = MessageId::new();
        assert_eq!(next_message_id(later, Some(last)), later);
        assert_eq!(next_message_id(early, None), early);
    }
}
