//! The ports of the messages services: their store, and what they ask other modules (who may
//! read a record, who may read a file).

use crate::model::{Conversation, ConversationId, ConversationMember, Message, MessageId, Window};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::activity::ActivityRepository;
use crm_domain::files::RecordAccess;
use crm_domain::identity::Clock;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{Actor, DomainError, OrganizationId, StoreError, TxManager, Txn, UserId};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// Conversations, members, messages and read marks.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// The ids among `ids` that are active users of `org`.
    async fn existing_users(
        &self,
        org: OrganizationId,
        ids: &[UserId],
    ) -> Result<Vec<UserId>, StoreError>;

    /// Inserts `conversation` with `unique_key` and its first `members`. `Conflict` when the
    /// key is taken (the pair's direct conversation, the record's thread).
    async fn create(
        &self,
        tx: &mut Txn,
        conversation: &Conversation,
        unique_key: Option<String>,
        members: &[UserId],
    ) -> Result<(), StoreError>;

    /// The conversation of `org` holding `unique_key`, if any.
    async fn by_key(
        &self,
        org: OrganizationId,
        unique_key: &str,
    ) -> Result<Option<Conversation>, StoreError>;

    /// `NotFound` when missing or of another organization.
    async fn get(
        &self,
        org: OrganizationId,
        id: ConversationId,
    ) -> Result<Conversation, StoreError>;

    /// As [`Self::get`], the row locked until `tx` ends: every write of a conversation's
    /// members or messages takes it first.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
    ) -> Result<Conversation, StoreError>;

    /// Whether `user` is a member of `id`.
    async fn is_member(
        &self,
        org: OrganizationId,
        id: ConversationId,
        user: UserId,
    ) -> Result<bool, StoreError>;

    /// The members of each conversation of `ids`, in one read, oldest member first.
    async fn members_of(
        &self,
        org: OrganizationId,
        ids: &[ConversationId],
    ) -> Result<Vec<(ConversationId, ConversationMember)>, StoreError>;

    /// The members of `id`, read in `tx`.
    async fn members_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
    ) -> Result<Vec<UserId>, StoreError>;

    /// Adds `user` to `id`; `false` when already a member.
    async fn add_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Removes `user` from `id`; `false` when not a member.
    async fn remove_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
        user: UserId,
    ) -> Result<bool, StoreError>;

    /// One page of the conversations `user` is a member of.
    async fn list_for(
        &self,
        org: OrganizationId,
        user: UserId,
        query: &ListQuery,
    ) -> Result<Page<Conversation>, StoreError>;

    /// The messages `ids`, in one read.
    async fn messages_by_id(
        &self,
        org: OrganizationId,
        ids: &[MessageId],
    ) -> Result<Vec<Message>, StoreError>;

    /// For each conversation of `ids` with any: the messages after `user`'s read mark, by
    /// others, not deleted. One set-based read.
    async fn unread_counts(
        &self,
        org: OrganizationId,
        user: UserId,
        ids: &[ConversationId],
    ) -> Result<Vec<(ConversationId, u64)>, StoreError>;

    /// Inserts `message` and makes it its conversation's last (`last_message_id`,
    /// `last_activity_at`). `Conflict` when its author already sent its `client_message_id`
    /// in that conversation.
    async fn insert_message(&self, tx: &mut Txn, message: &Message) -> Result<(), StoreError>;

    /// The message `author` sent in `conversation` with `client_message_id`, if any.
    async fn by_client_id(
        &self,
        org: OrganizationId,
        conversation: ConversationId,
        author: UserId,
        client_message_id: &str,
    ) -> Result<Option<Message>, StoreError>;

    /// `NotFound` when missing or of another organization.
    async fn message(&self, org: OrganizationId, id: MessageId) -> Result<Message, StoreError>;

    /// As [`Self::message`], the row locked until `tx` ends.
    async fn message_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: MessageId,
    ) -> Result<Message, StoreError>;

    /// Stores the body, `edited_at` and `deleted` of `message`.
    async fn update_message(&self, tx: &mut Txn, message: &Message) -> Result<(), StoreError>;

    /// The messages of `conversation` in `window`, at most `limit + 1` (the extra one tells
    /// that more lie beyond), newest first unless `after` is given.
    async fn window(
        &self,
        org: OrganizationId,
        conversation: ConversationId,
        window: Window,
    ) -> Result<Vec<Message>, StoreError>;

    /// Moves `user`'s read mark in `conversation` to `message` unless it is already there or
    /// later; the mark after the call.
    async fn mark_read(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        conversation: ConversationId,
        user: UserId,
        message: MessageId,
    ) -> Result<Option<MessageId>, StoreError>;
}

/// Whether the caller may read a file (the files module decides: a file attached to a record
/// follows the record).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FileAccess: Send + Sync {
    /// `Ok` when the caller may read file `id`; `NotFound` otherwise.
    async fn readable(&self, actor: &Actor, id: Uuid) -> Result<(), DomainError>;
}

/// Everything the messages services use.
#[derive(Clone)]
pub struct MessagePorts {
    pub tx: Arc<dyn TxManager>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
    pub store: Arc<dyn MessageStore>,
    pub files: Arc<dyn FileAccess>,
    /// Read access per record type: the files module's adapters, so a record's thread is
    /// open exactly to who may read the record.
    pub records: Arc<BTreeMap<&'static str, Arc<dyn RecordAccess>>>,
}

impl MessagePorts {
    /// Now, as stored.
    pub fn now(&self) -> DateTime<Utc> {
        crm_domain::kernel::clock::stored(self.clock.now())
    }
}
