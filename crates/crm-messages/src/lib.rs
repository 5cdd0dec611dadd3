//! Messages (contract section 9, "Conversations"): direct, group and record conversations
//! with their members, messages with edit and delete, read marks and unread counts, and the
//! `message.created` notification.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree
//! (`scripts/check-architecture.sh`). It depends on `crm-domain` only; what it asks of other
//! modules (may the caller read this record, this file) goes through ports.
//!
//! Rules, including the points the contract leaves open and what was chosen:
//! - **Who sees a conversation.** A direct or group conversation: its members, `404` for
//!   everybody else, whatever their permissions. A record's thread: whoever may read the
//!   record (the files module's `RecordAccess`, so `:own` scopes apply as on the record's own
//!   route), members included and only while they may. `messages:*` gate the routes
//!   (`read` for reads, `write` for writes, `delete` for deletions, each also as `:own`,
//!   which every seeded role holds); they never open a conversation by themselves.
//! - **Direct**: `member_ids` is exactly one other user; the pair's conversation is unique
//!   (a key of the two sorted ids, unique per organization), so creating it again, or twice
//!   at once, answers the one conversation (`200`, `201` the first time).
//! - **Group**: a `title` (1–200 characters) and up to 100 other members; the creator is
//!   always a member. Any member adds (`POST …/members`, `200` with the conversation, adding
//!   a member again changes nothing) or removes members (`DELETE …/members/{user_id}`,
//!   `204`; themselves included, which is leaving; `404` for a user who is no member).
//!   Direct and record conversations refuse both: `409 conversation-not-group` (the request
//!   is well formed; the conversation's kind is what refuses it).
//! - **Record**: `record_type` (a type files attach to) and `record_id` (a record the caller
//!   may read, `422 record_id` otherwise); one thread per record (the same unique key), so
//!   asking again answers it (`200`). Its members are who takes part: the creator, and whoever
//!   asks for it, posts in it or marks it read; they are listed, see it in `GET
//!   /conversations` and are told of new messages.
//! - **Members** must be users of the caller's organization: `422 member_ids[i]` (or
//!   `user_id`) otherwise.
//! - **Message ids** are UUIDv7, taken under the conversation's row lock and always past its
//!   last message ([`model::next_message_id`]), so they grow in commit order whatever the
//!   clocks of several instances: a reader paging by id (`before` newest first, `after`
//!   oldest first) never skips nor repeats a message while others write.
//! - **Sending** is idempotent by `client_message_id` per author and conversation (a unique
//!   key): the same key again answers the message already sent (`200`), also when two race.
//!   `file_ids` (at most 10) are files the caller may read (`422 file_ids[i]`).
//! - **Editing**: the author only (`403`), not after deletion (`409 message-deleted`);
//!   `edited_at` is stamped when the body changes. **Deleting**: the author, or a holder of
//!   `messages:delete` over all records (the seeded admin role: moderation), who must still
//!   be able to open the conversation; the message stays as `deleted: true` with an empty
//!   body and no files, so pages and read marks keep their places.
//! - **Read marks**: one per member and conversation, moved forward only; `unread_count` is
//!   the count of messages after it by others, not deleted, for a whole page of
//!   conversations in one indexed query.
//! - **Audit and events**: every write is audited in its transaction (`conversation.created`,
//!   `.member_added`, `.member_removed`; `message.created`, `.updated`, `.deleted`), but a
//!   message's entry never holds its text, so neither the audit log nor the event log (nor a
//!   webhook) keeps a copy of what members wrote. Read marks are not audited: a person
//!   reading changes nothing another person sees but a count.
//! - **Notifications**: `message.created` tells the author's fellow members (as listed in
//!   the entry when it was written), through the notifications module (preferences, mail,
//!   the live stream).

pub mod model;
pub mod ports;
pub mod service;

#[cfg(test)]
mod tests;

pub use model::*;
pub use ports::{FileAccess, MessagePorts, MessageStore};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockFileAccess, MockMessageStore};
pub use service::{ConversationService, MessageService};

/// The services of the messages module.
#[derive(Clone)]
pub struct MessageServices {
    pub conversations: ConversationService,
    pub messages: MessageService,
}

impl MessageServices {
    pub fn new(ports: MessagePorts) -> Self {
        Self {
            conversations: ConversationService::new(ports.clone()),
            messages: MessageService::new(ports),
        }
    }
}

/// The permissions of the messages routes and services, as types, with the module's event
/// types and notification types.
pub mod requirements {
    crm_domain::requirements! {
        MessagesRead = "messages":"read";
        MessagesWrite = "messages":"write";
        MessagesDelete = "messages":"delete";
    }

    crm_domain::event_types! {
        "conversation.created" => "A conversation was started (direct, group or a record's thread)",
        "conversation.member_added" => "A member was added to a group conversation",
        "conversation.member_removed" => "A member left or was removed from a group conversation",
        "message.created" => "A message was sent (the event carries no text)",
        "message.updated" => "A message was edited",
        "message.deleted" => "A message was deleted",
    }

    crm_domain::notification_types! {
        "message.created" => "New message": listed("message", "created");
    }
}
