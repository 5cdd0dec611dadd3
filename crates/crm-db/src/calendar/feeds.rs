//! `FeedStore` on `calendar_feeds`: a user's feeds by `ix_calendar_feeds_user`, a download's
//! feed by `ux_calendar_feeds_token` joined to its owner (active only).

use crate::entities::user;
use crate::error::store_err;
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_calendar::feeds::{CalendarFeedId, Feed, FeedScope, FeedStore};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{DatabaseConnection, JoinType, QueryOrder, QuerySelect, RelationDef};

mod rows {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_feeds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub user_id: Uuid,
        pub token_hash: String,
        pub scope: String,
        pub created_at: DateTimeUtc,
        pub last_used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use rows::{ActiveModel, Column, Entity, Model};

fn feed_of(m: Model) -> Result<Feed, StoreError> {
    Ok(Feed {
        id: CalendarFeedId(m.id),
        user_id: UserId(m.user_id),
        scope: m
            .scope
            .parse::<FeedScope>()
            .map_err(|_| StoreError::Unexpected(format!("calendar_feeds.scope {:?}", m.scope)))?,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
    })
}

pub struct SqlFeedStore {
    db: DatabaseConnection,
}

impl SqlFeedStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl FeedStore for SqlFeedStore {
    async fn insert(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        feed: &Feed,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        ActiveModel {
            id: Set(feed.id.0),
            organization_id: Set(org.0),
            user_id: Set(feed.user_id.0),
            token_hash: Set(token_hash.to_string()),
            scope: Set(feed.scope.as_str().to_string()),
            created_at: Set(feed.created_at),
            last_used_at: Set(None),
        }
        .insert(sql(tx.as_mut())?)
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn of_user(&self, org: OrganizationId, user: UserId) -> Result<Vec<Feed>, StoreError> {
        Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::UserId.eq(user.0))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(feed_of)
            .collect()
    }

    async fn remove(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        id: CalendarFeedId,
    ) -> Result<Feed, StoreError> {
        let db = sql(tx.as_mut())?;
        let found = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::UserId.eq(user.0))
            .filter(Column::Id.eq(id.0))
            .one(db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?;
        let r = Entity::delete_many()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        if r.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        feed_of(found)
    }

    async fn by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(OrganizationId, Feed)>, StoreError> {
        let owner: RelationDef = Entity::belongs_to(user::Entity)
            .from(Column::UserId)
            .to(user::Column::Id)
            .into();
        let Some(m) = Entity::find()
            .join(JoinType::InnerJoin, owner)
            .filter(Column::TokenHash.eq(token_hash))
            .filter(user::Column::Status.eq("active"))
            .filter(
                Expr::col((user::Entity, user::Column::OrganizationId))
                    .equals((Entity, Column::OrganizationId)),
            )
            .one(&self.db)
            .await
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        // When it was last downloaded: a stamp, not a change of the feed.
        Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::value(now))
            .filter(Column::Id.eq(m.id))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        let org = OrganizationId(m.organization_id);
        Ok(Some((org, feed_of(m)?)))
    }
}
