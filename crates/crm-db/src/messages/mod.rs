//! sea-orm adapter of the messages ports: `conversations`, `conversation_members` (with each
//! member's read mark) and `messages` (migration `m20261210_000002_messages`).

use crate::entities::user;
use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::rows::corrupt;
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::activity::ActivityRepository;
use crm_domain::files::RecordAccess;
use crm_domain::identity::Clock;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, TxManager, Txn, UserId};
use crm_messages::{
    Conversation, ConversationId, ConversationMember, FileAccess, Message, MessageId, MessagePorts,
    MessageStore, Window,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

mod conversation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub organization_id: Uuid,
        pub kind: String,
        pub title: Option<String>,
        pub record_type: Option<String>,
        pub record_id: Option<Uuid>,
        pub unique_key: Option<String>,
        pub created_by: Uuid,
        pub last_message_id: Option<Uuid>,
        pub last_activity_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub organization_id: Uuid,
        pub joined_at: DateTimeUtc,
        /// The nil UUID before the first read.
        pub last_read_message_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub conversation_id: Uuid,
        pub author_id: Uuid,
        pub body: String,
        pub file_ids: Json,
        pub client_message_id: Option<String>,
        pub created_at: DateTimeUtc,
        pub edited_at: Option<DateTimeUtc>,
        pub deleted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use conversation::{Column as C, Entity as Conversations};
use member::{Column as M, Entity as Members};
use message::{Column as Msg, Entity as Messages};

impl TryFrom<conversation::Model> for Conversation {
    type Error = StoreError;
    fn try_from(m: conversation::Model) -> Result<Self, StoreError> {
        Ok(Conversation {
            id: ConversationId(m.id),
            organization_id: OrganizationId(m.organization_id),
            kind: m
                .kind
                .parse()
                .map_err(|e: crm_domain::ValueError| corrupt("conversations", m.id, e.message))?,
            title: m.title,
            record_type: m.record_type,
            record_id: m.record_id,
            created_by: UserId(m.created_by),
            created_at: m.created_at,
            updated_at: m.updated_at,
            last_activity_at: m.last_activity_at,
            last_message_id: m.last_message_id.map(MessageId),
        })
    }
}

impl TryFrom<message::Model> for Message {
    type Error = StoreError;
    fn try_from(m: message::Model) -> Result<Self, StoreError> {
        let file_ids: Vec<Uuid> =
            serde_json::from_value(m.file_ids).map_err(|e| corrupt("messages", m.id, e))?;
        Ok(Message {
            id: MessageId(m.id),
            organization_id: OrganizationId(m.organization_id),
            conversation_id: ConversationId(m.conversation_id),
            author_id: UserId(m.author_id),
            body: m.body,
            file_ids,
            client_message_id: m.client_message_id,
            created_at: m.created_at,
            edited_at: m.edited_at,
            deleted: m.deleted,
        })
    }
}

fn file_ids_json(ids: &[Uuid]) -> serde_json::Value {
    serde_json::Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>())
}

fn messages(models: Vec<message::Model>) -> Result<Vec<Message>, StoreError> {
    models.into_iter().map(Message::try_from).collect()
}

/// More ids than this are read in several queries (an `IN` list stays well under every
/// backend's bound on parameters).
const CHUNK: usize = 500;

/// `MessageStore` on sea-orm.
#[derive(Clone)]
pub struct SqlMessageStore {
    db: DatabaseConnection,
}

impl SqlMessageStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl MessageStore for SqlMessageStore {
    async fn existing_users(
        &self,
        org: OrganizationId,
        ids: &[UserId],
    ) -> Result<Vec<UserId>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let found: Vec<Uuid> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::OrganizationId.eq(org.0))
                .filter(user::Column::Id.is_in(chunk.iter().map(|u| u.0)))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(store_err)?;
            out.extend(found.into_iter().map(UserId));
        }
        Ok(out)
    }

    async fn create(
        &self,
        tx: &mut Txn,
        c: &Conversation,
        unique_key: Option<String>,
        members: &[UserId],
    ) -> Result<(), StoreError> {
        let tx = sql(tx.as_mut())?;
        Conversations::insert(conversation::ActiveModel {
            id: Set(c.id.0),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
            version: Set(1),
            organization_id: Set(c.organization_id.0),
            kind: Set(c.kind.as_str().to_string()),
            title: Set(c.title.clone()),
            record_type: Set(c.record_type.clone()),
            record_id: Set(c.record_id),
            unique_key: Set(unique_key),
            created_by: Set(c.created_by.0),
            last_message_id: Set(c.last_message_id.map(|m| m.0)),
            last_activity_at: Set(c.last_activity_at),
        })
        .exec_without_returning(tx)
        .await
        .map_err(store_err)?;
        let rows = members.iter().map(|u| member::ActiveModel {
            conversation_id: Set(c.id.0),
            user_id: Set(u.0),
            organization_id: Set(c.organization_id.0),
            joined_at: Set(c.created_at),
            last_read_message_id: Set(Uuid::nil()),
        });
        Members::insert_many(rows)
            .exec_without_returning(tx)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn by_key(
        &self,
        org: OrganizationId,
        unique_key: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        Conversations::find()
            .filter(C::OrganizationId.eq(org.0))
            .filter(C::UniqueKey.eq(unique_key))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(Conversation::try_from)
            .transpose()
    }

    async fn get(
        &self,
        org: OrganizationId,
        id: ConversationId,
    ) -> Result<Conversation, StoreError> {
        Conversations::find()
            .filter(C::Id.eq(id.0))
            .filter(C::OrganizationId.eq(org.0))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
    ) -> Result<Conversation, StoreError> {
        crate::rows::locked(
            sql(tx.as_mut())?,
            Conversations::find()
                .filter(C::Id.eq(id.0))
                .filter(C::OrganizationId.eq(org.0)),
        )
        .await?
        .try_into()
    }

    async fn is_member(
        &self,
        org: OrganizationId,
        id: ConversationId,
        user: UserId,
    ) -> Result<bool, StoreError> {
        let found: Option<Uuid> = Members::find()
            .select_only()
            .column(M::UserId)
            .filter(M::ConversationId.eq(id.0))
            .filter(M::UserId.eq(user.0))
            .filter(M::OrganizationId.eq(org.0))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(store_err)?;
        Ok(found.is_some())
    }

    async fn members_of(
        &self,
        org: OrganizationId,
        ids: &[ConversationId],
    ) -> Result<Vec<(ConversationId, ConversationMember)>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let rows = Members::find()
                .filter(M::OrganizationId.eq(org.0))
                .filter(M::ConversationId.is_in(chunk.iter().map(|c| c.0)))
                .order_by_asc(M::JoinedAt)
                .order_by_asc(M::UserId)
                .all(&self.db)
                .await
                .map_err(store_err)?;
            out.extend(rows.into_iter().map(|m| {
                (
                    ConversationId(m.conversation_id),
                    ConversationMember {
                        user_id: UserId(m.user_id),
                        joined_at: m.joined_at,
                    },
                )
            }));
        }
        Ok(out)
    }

    async fn members_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
    ) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<Uuid> = Members::find()
            .select_only()
            .column(M::UserId)
            .filter(M::OrganizationId.eq(org.0))
            .filter(M::ConversationId.eq(id.0))
            .order_by_asc(M::UserId)
            .into_tuple()
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    async fn add_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // One statement, whoever else joins at the same time: a second row is ignored (on
        // MariaDB, whose client counts found rows, an ignored row may still count as one).
        let added = Members::insert(member::ActiveModel {
            conversation_id: Set(id.0),
            user_id: Set(user.0),
            organization_id: Set(org.0),
            joined_at: Set(at),
            last_read_message_id: Set(Uuid::nil()),
        })
        .on_conflict(
            OnConflict::columns([M::ConversationId, M::UserId])
                .do_nothing_on([M::ConversationId])
                .to_owned(),
        )
        .exec_without_returning(sql(tx.as_mut())?)
        .await
        .map_err(store_err)?;
        Ok(added > 0)
    }

    async fn remove_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ConversationId,
        user: UserId,
    ) -> Result<bool, StoreError> {
        let r = Members::delete_many()
            .filter(M::OrganizationId.eq(org.0))
            .filter(M::ConversationId.eq(id.0))
            .filter(M::UserId.eq(user.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(r.rows_affected > 0)
    }

    async fn list_for(
        &self,
        org: OrganizationId,
        user: UserId,
        query: &ListQuery,
    ) -> Result<Page<Conversation>, StoreError> {
        let mine = Query::select()
            .column(M::ConversationId)
            .from(Members)
            .and_where(M::OrganizationId.eq(org.0))
            .and_where(M::UserId.eq(user.0))
            .to_owned();
        let base = Conversations::find()
            .filter(C::OrganizationId.eq(org.0))
            .filter(C::Id.in_subquery(mine));
        keyset::page_as(&self.db, base, query, &ListColumns::search(&[])).await
    }

    async fn messages_by_id(
        &self,
        org: OrganizationId,
        ids: &[MessageId],
    ) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let rows = Messages::find()
                .filter(Msg::OrganizationId.eq(org.0))
                .filter(Msg::Id.is_in(chunk.iter().map(|m| m.0)))
                .all(&self.db)
                .await
                .map_err(store_err)?;
            out.extend(messages(rows)?);
        }
        Ok(out)
    }

    async fn unread_counts(
        &self,
        org: OrganizationId,
        user: UserId,
        ids: &[ConversationId],
    ) -> Result<Vec<(ConversationId, u64)>, StoreError> {
        let backend = self.db.get_database_backend();
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            // Per conversation, one range of `ix_messages_conversation` past the member's
            // mark (never NULL: the nil UUID before the first read).
            let marks = vec!["?"; chunk.len()].join(", ");
            let text = format!(
                "SELECT m.conversation_id AS conversation_id, COUNT(*) AS unread \
                 FROM conversation_members cm \
                 JOIN messages m ON m.organization_id = cm.organization_id \
                   AND m.conversation_id = cm.conversation_id \
                   AND m.id > cm.last_read_message_id \
                 WHERE cm.organization_id = ? AND cm.user_id = ? \
                   AND cm.conversation_id IN ({marks}) \
                   AND m.author_id <> ? AND m.deleted = ? \
                 GROUP BY m.conversation_id"
            );
            let mut values: Vec<Value> = vec![org.0.into(), user.0.into()];
            values.extend(chunk.iter().map(|c| Value::from(c.0)));
            values.push(user.0.into());
            values.push(false.into());
            let rows = self
                .db
                .query_all_raw(crate::rows::portable(backend, &text, values))
                .await
                .map_err(store_err)?;
            for row in rows {
                let id: Uuid = row.try_get("", "conversation_id").map_err(store_err)?;
                let n: i64 = row.try_get("", "unread").map_err(store_err)?;
                out.push((ConversationId(id), u64::try_from(n).unwrap_or(0)));
            }
        }
        Ok(out)
    }

    async fn insert_message(&self, tx: &mut Txn, m: &Message) -> Result<(), StoreError> {
        let tx = sql(tx.as_mut())?;
        Messages::insert(message::ActiveModel {
            id: Set(m.id.0),
            organization_id: Set(m.organization_id.0),
            conversation_id: Set(m.conversation_id.0),
            author_id: Set(m.author_id.0),
            body: Set(m.body.clone()),
            file_ids: Set(file_ids_json(&m.file_ids)),
            client_message_id: Set(m.client_message_id.clone()),
            created_at: Set(m.created_at),
            edited_at: Set(m.edited_at),
            deleted: Set(m.deleted),
        })
        .exec_without_returning(tx)
        .await
        .map_err(store_err)?;
        Conversations::update_many()
            .col_expr(C::LastMessageId, Expr::value(Some(m.id.0)))
            .col_expr(C::LastActivityAt, Expr::value(m.created_at))
            .filter(C::Id.eq(m.conversation_id.0))
            .filter(C::OrganizationId.eq(m.organization_id.0))
            .exec(tx)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn by_client_id(
        &self,
        org: OrganizationId,
        conversation: ConversationId,
        author: UserId,
        client_message_id: &str,
    ) -> Result<Option<Message>, StoreError> {
        Messages::find()
            .filter(Msg::OrganizationId.eq(org.0))
            .filter(Msg::ConversationId.eq(conversation.0))
            .filter(Msg::AuthorId.eq(author.0))
            .filter(Msg::ClientMessageId.eq(client_message_id))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(Message::try_from)
            .transpose()
    }

    async fn message(&self, org: OrganizationId, id: MessageId) -> Result<Message, StoreError> {
        Messages::find()
            .filter(Msg::Id.eq(id.0))
            .filter(Msg::OrganizationId.eq(org.0))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    async fn message_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: MessageId,
    ) -> Result<Message, StoreError> {
        crate::rows::locked(
            sql(tx.as_mut())?,
            Messages::find()
                .filter(Msg::Id.eq(id.0))
                .filter(Msg::OrganizationId.eq(org.0)),
        )
        .await?
        .try_into()
    }

    async fn update_message(&self, tx: &mut Txn, m: &Message) -> Result<(), StoreError> {
        let r = Messages::update_many()
            .col_expr(Msg::Body, Expr::value(m.body.clone()))
            .col_expr(Msg::FileIds, Expr::value(file_ids_json(&m.file_ids)))
            .col_expr(Msg::EditedAt, Expr::value(m.edited_at))
            .col_expr(Msg::Deleted, Expr::value(m.deleted))
            .filter(Msg::Id.eq(m.id.0))
            .filter(Msg::OrganizationId.eq(m.organization_id.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        crate::rows::found(r.rows_affected)
    }

    async fn window(
        &self,
        org: OrganizationId,
        conversation: ConversationId,
        w: Window,
    ) -> Result<Vec<Message>, StoreError> {
        let mut select = Messages::find()
            .filter(Msg::OrganizationId.eq(org.0))
            .filter(Msg::ConversationId.eq(conversation.0));
        if let Some(b) = w.before {
            select = select.filter(Msg::Id.lt(b.0));
        }
        if let Some(a) = w.after {
            select = select.filter(Msg::Id.gt(a.0));
        }
        select = if w.newest_first() {
            select.order_by_desc(Msg::Id)
        } else {
            select.order_by_asc(Msg::Id)
        };
        let rows = select
            .limit(u64::from(w.limit) + 1)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        messages(rows)
    }

    async fn mark_read(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        conversation: ConversationId,
        user: UserId,
        message: MessageId,
    ) -> Result<Option<MessageId>, StoreError> {
        let tx = sql(tx.as_mut())?;
        // Forward only: a mark already past `message` stays.
        Members::update_many()
            .col_expr(M::LastReadMessageId, Expr::value(message.0))
            .filter(M::OrganizationId.eq(org.0))
            .filter(M::ConversationId.eq(conversation.0))
            .filter(M::UserId.eq(user.0))
            .filter(M::LastReadMessageId.lt(message.0))
            .exec(tx)
            .await
            .map_err(store_err)?;
        let mark: Option<Uuid> = Members::find()
            .select_only()
            .column(M::LastReadMessageId)
            .filter(M::OrganizationId.eq(org.0))
            .filter(M::ConversationId.eq(conversation.0))
            .filter(M::UserId.eq(user.0))
            .into_tuple()
            .one(tx)
            .await
            .map_err(store_err)?;
        Ok(mark.filter(|m| !m.is_nil()).map(MessageId))
    }
}

/// What the messages ports share with the other modules.
pub struct Shared {
    pub tx: Arc<dyn TxManager>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
    pub files: Arc<dyn FileAccess>,
    pub records: Vec<(&'static str, Arc<dyn RecordAccess>)>,
}

/// The ports of the messages services on `db`.
pub fn ports(db: &DatabaseConnection, shared: Shared) -> MessagePorts {
    let records: BTreeMap<&'static str, Arc<dyn RecordAccess>> =
        shared.records.into_iter().collect();
    MessagePorts {
        tx: shared.tx,
        activities: shared.activities,
        clock: shared.clock,
        store: Arc::new(SqlMessageStore::new(db.clone())),
        files: shared.files,
        records: Arc::new(records),
    }
}
