//! The use cases of conversations and messages.

use crate::model::{
    BODY_MAX, CLIENT_ID_MAX, Conversation, ConversationId, ConversationInput, ConversationKind,
    ConversationMemberInput, ConversationView, FILES_MAX, MEMBERS_MAX, Message, MessageId,
    MessageInput, MessagePage, MessagePatch, ReadInput, ReadMark, TITLE_MAX, Window,
    next_message_id,
};
use crate::ports::MessagePorts;
use crate::requirements::{MessagesDelete, MessagesRead, MessagesWrite};
use chrono::{DateTime, Utc};
use crm_domain::activity::audit;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::scope::require;
use crm_domain::kernel::text::{optional_text, required_multiline, required_text};
use crm_domain::notifications::rules::notify_change;
use crm_domain::{Actor, DomainError, Scope, StoreError, UserId};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A conversation as its audit entries (and events) show it.
#[derive(Clone, Debug, Serialize)]
struct ConversationEntry {
    id: ConversationId,
    kind: ConversationKind,
    title: Option<String>,
    record_type: Option<String>,
    record_id: Option<Uuid>,
    created_by: UserId,
    member_ids: Vec<UserId>,
}

impl audit::Audited for ConversationEntry {
    const ENTITY: &'static str = "conversation";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

fn conversation_entry(c: &Conversation, members: &[UserId]) -> ConversationEntry {
    let mut member_ids = members.to_vec();
    member_ids.sort();
    ConversationEntry {
        id: c.id,
        kind: c.kind,
        title: c.title.clone(),
        record_type: c.record_type.clone(),
        record_id: c.record_id,
        created_by: c.created_by,
        member_ids,
    }
}

/// A message as its audit entries and events show it: never its text, so the audit log
/// and the event log hold no copy of what the members wrote, and a deleted message's text
/// is gone for good.
#[derive(Clone, Debug, Serialize)]
struct MessageEntry {
    id: MessageId,
    conversation_id: ConversationId,
    author_id: UserId,
    file_ids: Vec<Uuid>,
    created_at: DateTime<Utc>,
    edited_at: Option<DateTime<Utc>>,
    deleted: bool,
    /// What a notification names the message by: the group's title, or the kind of
    /// conversation.
    subject: String,
}

impl audit::Audited for MessageEntry {
    const ENTITY: &'static str = "message";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

fn message_entry(m: &Message, c: &Conversation) -> MessageEntry {
    let subject = match (c.kind, &c.title, &c.record_type) {
        (ConversationKind::Group, Some(t), _) => t.clone(),
        (ConversationKind::Record, _, Some(t)) => format!("Thread on a {t}"),
        _ => "Direct message".to_string(),
    };
    MessageEntry {
        id: m.id,
        conversation_id: m.conversation_id,
        author_id: m.author_id,
        file_ids: m.file_ids.clone(),
        created_at: m.created_at,
        edited_at: m.edited_at,
        deleted: m.deleted,
        subject,
    }
}

/// How the caller reaches a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    Member,
    /// A reader of a record's thread who has not taken part yet.
    Reader,
}

fn not_group() -> DomainError {
    DomainError::conflict(
        "conversation-not-group",
        "only a group's members change: a direct conversation keeps its pair, a record's thread is open to the record's readers",
    )
}

/// The shared steps of both services.
#[derive(Clone)]
struct Core {
    p: MessagePorts,
}

impl Core {
    /// The conversation `id` and how the caller reaches it: a member of a direct or group
    /// conversation; whoever may read the record of a record's thread (members included,
    /// and only while they may). `404` otherwise.
    async fn open(
        &self,
        actor: &Actor,
        id: ConversationId,
    ) -> Result<(Conversation, Reach), DomainError> {
        let org = actor.organization_id;
        let c = self.p.store.get(org, id).await?;
        let member = self.p.store.is_member(org, id, actor.user_id).await?;
        if c.kind == ConversationKind::Record {
            self.record_readable(actor, &c).await?;
        } else if !member {
            return Err(DomainError::NotFound);
        }
        Ok((c, if member { Reach::Member } else { Reach::Reader }))
    }

    /// `Ok` when the caller may read the record of a record's thread; `404` otherwise.
    async fn record_readable(&self, actor: &Actor, c: &Conversation) -> Result<(), DomainError> {
        let (Some(t), Some(id)) = (c.record_type.as_deref(), c.record_id) else {
            return Err(DomainError::NotFound);
        };
        let Some(access) = self.p.records.get(t) else {
            return Err(DomainError::NotFound);
        };
        match access.readable(actor, id).await {
            Ok(()) => Ok(()),
            Err(DomainError::NotFound | DomainError::Forbidden { .. }) => {
                Err(DomainError::NotFound)
            }
            Err(e) => Err(e),
        }
    }

    /// `conversations` as the caller sees them: members, last message and unread count
    /// read for all of them at once (three set-based reads whatever their number).
    async fn views(
        &self,
        actor: &Actor,
        conversations: Vec<Conversation>,
    ) -> Result<Vec<ConversationView>, DomainError> {
        if conversations.is_empty() {
            return Ok(Vec::new());
        }
        let org = actor.organization_id;
        let ids: Vec<ConversationId> = conversations.iter().map(|c| c.id).collect();
        let last_ids: Vec<MessageId> = conversations
            .iter()
            .filter_map(|c| c.last_message_id)
            .collect();
        let mut members: HashMap<ConversationId, Vec<crate::model::ConversationMember>> =
            HashMap::new();
        for (c, m) in self.p.store.members_of(org, &ids).await? {
            members.entry(c).or_default().push(m);
        }
        let mut last: HashMap<MessageId, Message> = if last_ids.is_empty() {
            HashMap::new()
        } else {
            self.p
                .store
                .messages_by_id(org, &last_ids)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect()
        };
        let unread: HashMap<ConversationId, u64> = self
            .p
            .store
            .unread_counts(org, actor.user_id, &ids)
            .await?
            .into_iter()
            .collect();
        Ok(conversations
            .into_iter()
            .map(|c| {
                let m = members.remove(&c.id).unwrap_or_default();
                let l = c.last_message_id.and_then(|id| last.remove(&id));
                let u = unread.get(&c.id).copied().unwrap_or(0);
                ConversationView::new(c, m, l, u)
            })
            .collect())
    }

    async fn view(&self, actor: &Actor, c: Conversation) -> Result<ConversationView, DomainError> {
        self.views(actor, vec![c])
            .await?
            .pop()
            .ok_or(DomainError::NotFound)
    }

    /// Which of `ids` (named under `field[i]`) are no users of the organization.
    async fn check_users(
        &self,
        actor: &Actor,
        field: &str,
        ids: &[(usize, UserId)],
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if ids.is_empty() {
            return Ok(());
        }
        let wanted: Vec<UserId> = ids.iter().map(|(_, u)| *u).collect();
        let found: HashSet<UserId> = self
            .p
            .store
            .existing_users(actor.organization_id, &wanted)
            .await?
            .into_iter()
            .collect();
        for (i, u) in ids {
            if !found.contains(u) {
                errors.add(
                    &format!("{field}[{i}]"),
                    "not_found",
                    "no such user in the organization",
                );
            }
        }
        Ok(())
    }
}

/// Conversations: creation (direct, group, record), the caller's list, members, read marks.
#[derive(Clone)]
pub struct ConversationService {
    core: Core,
}

impl ConversationService {
    pub fn new(ports: MessagePorts) -> Self {
        Self {
            core: Core { p: ports },
        }
    }

    fn p(&self) -> &MessagePorts {
        &self.core.p
    }

    /// `POST /conversations`: needs `messages:write` (own or all). `(view, true)` when made
    /// now, `(view, false)` for the pair's direct conversation or the record's thread that
    /// already exists (the caller then joins the thread).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: ConversationInput,
    ) -> Result<(ConversationView, bool), DomainError> {
        require::<MessagesWrite>(actor)?;
        let mut errors = Errors::new();
        let not_allowed = |errors: &mut Errors, field: &str, kind: &str| {
            errors.add(
                field,
                "not_allowed",
                format!("a {kind} conversation takes no {field}"),
            )
        };
        let mut title = None;
        let mut record = None;
        let mut others: Vec<(usize, UserId)> = Vec::new();
        let kind = input.kind.as_str();
        // Present (`null` included) where this kind takes no such field.
        let takes: &[&str] = match input.kind {
            ConversationKind::Direct => &["member_ids"],
            ConversationKind::Group => &["title", "member_ids"],
            ConversationKind::Record => &["record_type", "record_id"],
        };
        for (field, present) in [
            ("title", input.title.is_some()),
            ("member_ids", input.member_ids.is_some()),
            ("record_type", input.record_type.is_some()),
            ("record_id", input.record_id.is_some()),
        ] {
            if present && !takes.contains(&field) {
                not_allowed(&mut errors, field, kind);
            }
        }
        let member_ids = input.member_ids.flatten();
        match input.kind {
            ConversationKind::Direct => match member_ids.as_deref() {
                Some([one]) if *one == actor.user_id.0 => errors.add(
                    "member_ids[0]",
                    "invalid",
                    "a direct conversation is with another user",
                ),
                Some([one]) => others.push((0, UserId(*one))),
                _ => errors.add(
                    "member_ids",
                    "invalid",
                    "a direct conversation names exactly one other user",
                ),
            },
            ConversationKind::Group => {
                title = match input.title.flatten().as_deref() {
                    Some(t) => errors.take("title", required_text(t, "title", TITLE_MAX)),
                    None => {
                        errors.add("title", "required", "a group has a title");
                        None
                    }
                };
                match member_ids.as_deref() {
                    Some(ids) if ids.len() > MEMBERS_MAX => errors.add(
                        "member_ids",
                        "too_many",
                        format!("a group starts with at most {MEMBERS_MAX} members"),
                    ),
                    Some(ids) => {
                        let mut seen = HashSet::new();
                        for (i, u) in ids.iter().enumerate() {
                            if *u != actor.user_id.0 && seen.insert(*u) {
                                others.push((i, UserId(*u)));
                            }
                        }
                    }
                    None => errors.add("member_ids", "required", "a group names its members"),
                }
            }
            ConversationKind::Record => {
                record = self
                    .record_of(
                        actor,
                        input.record_type.flatten().as_deref(),
                        input.record_id.flatten(),
                        &mut errors,
                    )
                    .await?;
            }
        }
        self.core
            .check_users(actor, "member_ids", &others, &mut errors)
            .await?;
        errors.finish()?;

        let now = self.p().now();
        let (record_type, record_id) = match record {
            Some((t, id)) => (Some(t), Some(id)),
            None => (None, None),
        };
        let c = Conversation {
            id: ConversationId::new(),
            organization_id: actor.organization_id,
            kind: input.kind,
            title,
            record_type,
            record_id,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
            last_activity_at: now,
            last_message_id: None,
        };
        let mut members = vec![actor.user_id];
        members.extend(others.iter().map(|(_, u)| *u));
        let key = c.unique_key(&members);
        let mut tx = self.p().tx.begin().await?;
        match self
            .p()
            .store
            .create(&mut tx, &c, key.clone(), &members)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) if key.is_some() => {
                drop(tx);
                let key = key.unwrap_or_default();
                let existing = self
                    .p()
                    .store
                    .by_key(actor.organization_id, &key)
                    .await?
                    .ok_or_else(|| {
                        DomainError::Unexpected("a conversation key conflicted with none".into())
                    })?;
                if existing.kind == ConversationKind::Record {
                    self.join(actor, existing.id).await?;
                }
                return Ok((self.core.view(actor, existing).await?, false));
            }
            Err(e) => return Err(e.into()),
        }
        self.p()
            .activities
            .record(
                &mut tx,
                audit::created(actor, &conversation_entry(&c, &members)),
            )
            .await?;
        tx.commit().await?;
        Ok((self.core.view(actor, c).await?, true))
    }

    /// The record a thread is asked for: a known type (`422 record_type`) and a record the
    /// caller may read (`422 record_id`).
    async fn record_of(
        &self,
        actor: &Actor,
        record_type: Option<&str>,
        record_id: Option<Uuid>,
        errors: &mut Errors,
    ) -> Result<Option<(String, Uuid)>, DomainError> {
        let Some(t) = record_type else {
            errors.add(
                "record_type",
                "required",
                "a record's thread names its record_type",
            );
            if record_id.is_none() {
                errors.add(
                    "record_id",
                    "required",
                    "a record's thread names its record_id",
                );
            }
            return Ok(None);
        };
        let Some((name, access)) = self.p().records.get_key_value(t) else {
            let known: Vec<&str> = self.p().records.keys().copied().collect();
            errors.add(
                "record_type",
                "invalid",
                format!("must be one of: {}", known.join(", ")),
            );
            return Ok(None);
        };
        let Some(id) = record_id else {
            errors.add(
                "record_id",
                "required",
                "a record's thread names its record_id",
            );
            return Ok(None);
        };
        match access.readable(actor, id).await {
            Ok(()) => Ok(Some(((*name).to_string(), id))),
            Err(DomainError::NotFound | DomainError::Forbidden { .. }) => {
                errors.add("record_id", "not_found", format!("no such {t}"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The caller takes part in a record's thread (no entry: joining is reading).
    async fn join(&self, actor: &Actor, id: ConversationId) -> Result<(), DomainError> {
        let mut tx = self.p().tx.begin().await?;
        let now = self.p().now();
        if self
            .p()
            .store
            .add_member(&mut tx, actor.organization_id, id, actor.user_id, now)
            .await?
        {
            tx.commit().await?;
        }
        Ok(())
    }

    /// `GET /conversations`: needs `messages:read` (own or all). The caller's conversations,
    /// latest activity first; a record's thread only while the caller may read the record.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<ConversationView>, DomainError> {
        require::<MessagesRead>(actor)?;
        let page = self
            .p()
            .store
            .list_for(actor.organization_id, actor.user_id, query)
            .await?;
        let mut kept = Vec::with_capacity(page.data.len());
        for c in page.data {
            if c.kind == ConversationKind::Record {
                match self.core.record_readable(actor, &c).await {
                    Ok(()) => {}
                    Err(DomainError::NotFound) => continue,
                    Err(e) => return Err(e),
                }
            }
            kept.push(c);
        }
        Ok(Page {
            data: self.core.views(actor, kept).await?,
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }

    /// `404` unless the caller may open conversation `id`: what an action route with a body
    /// asks first, so a conversation out of reach answers the same whatever the body holds.
    pub async fn check_open(&self, actor: &Actor, id: ConversationId) -> Result<(), DomainError> {
        self.core.open(actor, id).await.map(|_| ())
    }

    /// `GET /conversations/{id}`: needs `messages:read`; `404` for whoever may not open it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        id: ConversationId,
    ) -> Result<ConversationView, DomainError> {
        require::<MessagesRead>(actor)?;
        let (c, _) = self.core.open(actor, id).await?;
        self.core.view(actor, c).await
    }

    /// `POST /conversations/{id}/members`: needs `messages:write`; a member of a group adds
    /// a user of the organization (`422 user_id`); adding a member again changes nothing.
    /// Direct and record conversations: `409 conversation-not-group`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn add_member(
        &self,
        actor: &Actor,
        id: ConversationId,
        input: ConversationMemberInput,
    ) -> Result<ConversationView, DomainError> {
        require::<MessagesWrite>(actor)?;
        let (c, _) = self.core.open(actor, id).await?;
        if c.kind != ConversationKind::Group {
            return Err(not_group());
        }
        let mut errors = Errors::new();
        if input.user_id != actor.user_id {
            self.core
                .check_users(actor, "user_id", &[(0, input.user_id)], &mut errors)
                .await?;
        }
        // A single field: name it plainly rather than as a list entry.
        errors.finish().map_err(|_| {
            crm_domain::kernel::input::invalid(
                "user_id",
                "not_found",
                "no such user in the organization",
            )
        })?;
        let org = actor.organization_id;
        let mut tx = self.p().tx.begin().await?;
        let locked = self.p().store.get_for_update(&mut tx, org, id).await?;
        let before = self.p().store.members_in_tx(&mut tx, org, id).await?;
        let now = self.p().now();
        // Under the conversation's lock the members read are the members: adding one again
        // writes nothing.
        if !before.contains(&input.user_id) {
            self.p()
                .store
                .add_member(&mut tx, org, id, input.user_id, now)
                .await?;
            let mut after = before.clone();
            after.push(input.user_id);
            self.p()
                .activities
                .record(
                    &mut tx,
                    audit::changed(
                        actor,
                        "member_added",
                        &conversation_entry(&locked, &before),
                        &conversation_entry(&locked, &after),
                    ),
                )
                .await?;
            tx.commit().await?;
        }
        self.core.view(actor, locked).await
    }

    /// `DELETE /conversations/{id}/members/{user_id}`: needs `messages:write`; a member of a
    /// group removes a member (themselves included: leaving). `404` when `user_id` is no
    /// member; direct and record conversations: `409 conversation-not-group`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn remove_member(
        &self,
        actor: &Actor,
        id: ConversationId,
        user: UserId,
    ) -> Result<(), DomainError> {
        require::<MessagesWrite>(actor)?;
        let (c, _) = self.core.open(actor, id).await?;
        if c.kind != ConversationKind::Group {
            return Err(not_group());
        }
        let org = actor.organization_id;
        let mut tx = self.p().tx.begin().await?;
        let locked = self.p().store.get_for_update(&mut tx, org, id).await?;
        let before = self.p().store.members_in_tx(&mut tx, org, id).await?;
        if !self.p().store.remove_member(&mut tx, org, id, user).await? {
            return Err(DomainError::NotFound);
        }
        let after: Vec<UserId> = before.iter().copied().filter(|u| *u != user).collect();
        self.p()
            .activities
            .record(
                &mut tx,
                audit::changed(
                    actor,
                    "member_removed",
                    &conversation_entry(&locked, &before),
                    &conversation_entry(&locked, &after),
                ),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST /conversations/{id}/read`: needs `messages:read`; moves the caller's read mark
    /// to `message_id` (a message of this conversation, `422` otherwise), never backwards. A
    /// reader of a record's thread joins it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn read(
        &self,
        actor: &Actor,
        id: ConversationId,
        input: ReadInput,
    ) -> Result<ReadMark, DomainError> {
        require::<MessagesRead>(actor)?;
        let (_, reach) = self.core.open(actor, id).await?;
        let org = actor.organization_id;
        match self.p().store.message(org, input.message_id).await {
            Ok(m) if m.conversation_id == id => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(crm_domain::kernel::input::invalid(
                    "message_id",
                    "not_found",
                    "no such message in this conversation",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let mut tx = self.p().tx.begin().await?;
        if reach == Reach::Reader {
            let now = self.p().now();
            self.p()
                .store
                .add_member(&mut tx, org, id, actor.user_id, now)
                .await?;
        }
        let mark = self
            .p()
            .store
            .mark_read(&mut tx, org, id, actor.user_id, input.message_id)
            .await?;
        tx.commit().await?;
        let unread = self
            .p()
            .store
            .unread_counts(org, actor.user_id, &[id])
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .sum();
        Ok(ReadMark {
            conversation_id: id,
            last_read_message_id: mark,
            unread_count: unread,
        })
    }
}

/// Messages: the window, sending (idempotent by `client_message_id`), editing, deleting.
#[derive(Clone)]
pub struct MessageService {
    core: Core,
}

fn body(raw: &str) -> Result<String, crm_domain::ValueError> {
    required_multiline(raw, "body", BODY_MAX)
}

impl MessageService {
    pub fn new(ports: MessagePorts) -> Self {
        Self {
            core: Core { p: ports },
        }
    }

    fn p(&self) -> &MessagePorts {
        &self.core.p
    }

    /// `GET /conversations/{id}/messages`: needs `messages:read`; the window by message id.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn list(
        &self,
        actor: &Actor,
        id: ConversationId,
        window: Window,
    ) -> Result<MessagePage, DomainError> {
        require::<MessagesRead>(actor)?;
        self.core.open(actor, id).await?;
        let mut data = self
            .p()
            .store
            .window(actor.organization_id, id, window)
            .await?;
        let has_more = data.len() > window.limit as usize;
        data.truncate(window.limit as usize);
        Ok(MessagePage { data, has_more })
    }

    /// `POST /conversations/{id}/messages`: needs `messages:write`. `(message, true)` when
    /// sent now; `(message, false)` when the caller already sent this `client_message_id`
    /// here (whatever the body says now). Under the conversation's lock: the id follows the
    /// last one, the other members are told (`message.created`) in the same transaction. A
    /// reader of a record's thread joins it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn send(
        &self,
        actor: &Actor,
        id: ConversationId,
        input: MessageInput,
    ) -> Result<(Message, bool), DomainError> {
        require::<MessagesWrite>(actor)?;
        self.core.open(actor, id).await?;
        let mut errors = Errors::new();
        let text = errors.value("body", body(&input.body));
        let client_id = errors
            .take(
                "client_message_id",
                optional_text(
                    input.client_message_id.as_deref(),
                    "client_message_id",
                    CLIENT_ID_MAX,
                    false,
                ),
            )
            .flatten();
        let file_ids = input.file_ids.unwrap_or_default();
        if file_ids.len() > FILES_MAX {
            errors.add(
                "file_ids",
                "too_many",
                format!("a message carries at most {FILES_MAX} files"),
            );
        } else {
            for (i, f) in file_ids.iter().enumerate() {
                if file_ids[..i].contains(f) {
                    errors.add(&format!("file_ids[{i}]"), "duplicate", "named twice");
                    continue;
                }
                match self.p().files.readable(actor, *f).await {
                    Ok(()) => {}
                    Err(DomainError::NotFound | DomainError::Forbidden { .. }) => {
                        errors.add(&format!("file_ids[{i}]"), "not_found", "no such file")
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        errors.finish()?;

        let org = actor.organization_id;
        let mut tx = self.p().tx.begin().await?;
        let c = self.p().store.get_for_update(&mut tx, org, id).await?;
        let members = self.p().store.members_in_tx(&mut tx, org, id).await?;
        let now = self.p().now();
        if !members.contains(&actor.user_id) {
            self.p()
                .store
                .add_member(&mut tx, org, id, actor.user_id, now)
                .await?;
        }
        let message = Message {
            id: next_message_id(MessageId::new(), c.last_message_id),
            organization_id: org,
            conversation_id: id,
            author_id: actor.user_id,
            body: text,
            file_ids,
            client_message_id: client_id.clone(),
            created_at: now.max(c.last_activity_at),
            edited_at: None,
            deleted: false,
        };
        match self.p().store.insert_message(&mut tx, &message).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) if client_id.is_some() => {
                drop(tx);
                let sent = self
                    .p()
                    .store
                    .by_client_id(org, id, actor.user_id, client_id.as_deref().unwrap_or(""))
                    .await?
                    .ok_or_else(|| {
                        DomainError::Unexpected("a client_message_id conflicted with none".into())
                    })?;
                return Ok((sent, false));
            }
            Err(e) => return Err(e.into()),
        }
        let notify: Vec<UserId> = members
            .iter()
            .copied()
            .filter(|u| *u != actor.user_id)
            .collect();
        let mut entry = audit::created(actor, &message_entry(&message, &c));
        entry.changes.push(notify_change(&notify));
        self.p().activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok((message, true))
    }

    /// The message `id`, in a conversation the caller may open (`404` otherwise).
    async fn reachable(
        &self,
        actor: &Actor,
        id: MessageId,
    ) -> Result<(Message, Conversation), DomainError> {
        let m = self.p().store.message(actor.organization_id, id).await?;
        let (c, _) = self.core.open(actor, m.conversation_id).await?;
        Ok((m, c))
    }

    /// `404` unless the caller may open conversation `id` (asked before a message's body is
    /// read).
    pub async fn check_open(&self, actor: &Actor, id: ConversationId) -> Result<(), DomainError> {
        self.core.open(actor, id).await.map(|_| ())
    }

    /// `404` unless message `id` is in a conversation the caller may open (asked before the
    /// body is read).
    pub async fn check_message(&self, actor: &Actor, id: MessageId) -> Result<(), DomainError> {
        self.reachable(actor, id).await.map(|_| ())
    }

    /// `PATCH /messages/{id}`: needs `messages:write`; only the author (`403`), never a
    /// deleted message (`409 message-deleted`). Stamps `edited_at` when the body changes.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn edit(
        &self,
        actor: &Actor,
        id: MessageId,
        patch: MessagePatch,
    ) -> Result<Message, DomainError> {
        require::<MessagesWrite>(actor)?;
        let (_, c) = self.reachable(actor, id).await?;
        let mut errors = Errors::new();
        let text = errors.value("body", body(&patch.body));
        let mut tx = self.p().tx.begin().await?;
        let before = self
            .p()
            .store
            .message_for_update(&mut tx, actor.organization_id, id)
            .await?;
        if before.author_id != actor.user_id {
            return Err(DomainError::forbidden("only the author edits a message"));
        }
        if before.deleted {
            return Err(DomainError::conflict(
                "message-deleted",
                "the message was deleted",
            ));
        }
        errors.finish()?;
        if before.body == text {
            return Ok(before);
        }
        let after = Message {
            body: text,
            edited_at: Some(self.p().now()),
            ..before.clone()
        };
        self.p().store.update_message(&mut tx, &after).await?;
        self.p()
            .activities
            .record(
                &mut tx,
                audit::updated(
                    actor,
                    &message_entry(&before, &c),
                    &message_entry(&after, &c),
                ),
            )
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// `DELETE /messages/{id}`: needs `messages:delete`; the author (`:own`), or a holder of
    /// `messages:delete` over all records (the admin role) who may open the conversation;
    /// others `403`. The message stays, `deleted` with an empty body and no files; deleting
    /// it again changes nothing.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: MessageId) -> Result<(), DomainError> {
        let scope = require::<MessagesDelete>(actor)?;
        let (_, c) = self.reachable(actor, id).await?;
        let mut tx = self.p().tx.begin().await?;
        let before = self
            .p()
            .store
            .message_for_update(&mut tx, actor.organization_id, id)
            .await?;
        if before.author_id != actor.user_id && scope != Scope::All {
            return Err(DomainError::forbidden(
                "only the author or an administrator deletes a message",
            ));
        }
        if before.deleted {
            return Ok(());
        }
        let after = Message {
            body: String::new(),
            file_ids: Vec::new(),
            deleted: true,
            ..before.clone()
        };
        self.p().store.update_message(&mut tx, &after).await?;
        self.p()
            .activities
            .record(&mut tx, audit::deleted(actor, &message_entry(&before, &c)))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
