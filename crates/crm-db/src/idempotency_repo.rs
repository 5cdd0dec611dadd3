//! Idempotency keys: claimed by an insert the primary key serializes, answered by an update.

use crate::entities::idempotency_key::{ActiveModel, Column, Entity, Model};
use crate::error::store_err;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::StoreError;
use crm_domain::idempotency::{
    ABANDONED_AFTER, Claim, IdempotencyStore, KEPT, KeyScope, StoredAnswer,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
};

#[derive(Clone)]
pub struct SqlIdempotencyStore {
    db: DatabaseConnection,
}

impl SqlIdempotencyStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn find(&self, scope: &KeyScope) -> Result<Option<Model>, StoreError> {
        Entity::find()
            .filter(key(scope))
            .one(&self.db)
            .await
            .map_err(store_err)
    }

    /// Inserts a fresh claim: `Run`, or `None` when another request inserted it first.
    async fn insert(
        &self,
        scope: &KeyScope,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Claim>, StoreError> {
        let row = ActiveModel {
            organization_id: Set(scope.organization_id.0),
            user_id: Set(scope.user_id.0),
            idempotency_key: Set(scope.key.clone()),
            request_hash: Set(request_hash.to_string()),
            status_code: Set(None),
            response_body: Set(None),
            content_type: Set(None),
            location: Set(None),
            etag: Set(None),
            started_at: Set(now),
            expires_at: Set(now + KEPT),
        };
        match Entity::insert(row).exec_without_returning(&self.db).await {
            Ok(_) => Ok(Some(Claim::Run)),
            Err(e) => match store_err(e) {
                StoreError::Conflict { .. } => Ok(None),
                e => Err(e),
            },
        }
    }
}

fn key(scope: &KeyScope) -> Condition {
    Condition::all()
        .add(Column::OrganizationId.eq(scope.organization_id.0))
        .add(Column::UserId.eq(scope.user_id.0))
        .add(Column::IdempotencyKey.eq(scope.key.as_str()))
}

/// What an existing row means for a new request with the same key.
fn classify(row: Model, request_hash: &str) -> Claim {
    if row.request_hash != request_hash {
        return Claim::Reused;
    }
    match row.status_code {
        Some(status) => Claim::Answered(StoredAnswer {
            status: u16::try_from(status).unwrap_or(500),
            body: row.response_body.unwrap_or_default(),
            content_type: row.content_type,
            location: row.location,
            etag: row.etag,
        }),
        None => Claim::InProgress,
    }
}

#[async_trait]
impl IdempotencyStore for SqlIdempotencyStore {
    async fn claim(
        &self,
        scope: &KeyScope,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        if let Some(row) = self.find(scope).await? {
            if row.expires_at <= now {
                // Expired and not yet removed: forget it and start afresh.
                Entity::delete_many()
                    .filter(key(scope))
                    .filter(Column::ExpiresAt.lte(now))
                    .exec(&self.db)
                    .await
                    .map_err(store_err)?;
            } else if row.status_code.is_none()
                && row.request_hash == request_hash
                && row.started_at < now - ABANDONED_AFTER
            {
                // Its instance stopped before answering: one taker runs it again.
                let taken = Entity::update_many()
                    .col_expr(Column::StartedAt, Expr::value(now))
                    .filter(key(scope))
                    .filter(Column::StatusCode.is_null())
                    .filter(Column::StartedAt.eq(row.started_at))
                    .exec(&self.db)
                    .await
                    .map_err(store_err)?;
                return Ok(if taken.rows_affected == 1 {
                    Claim::Run
                } else {
                    Claim::InProgress
                });
            } else {
                return Ok(classify(row, request_hash));
            }
        }
        if let Some(claim) = self.insert(scope, request_hash, now).await? {
            return Ok(claim);
        }
        // Lost the race to a concurrent request with the same key.
        match self.find(scope).await? {
            Some(row) => Ok(classify(row, request_hash)),
            None => Ok(Claim::InProgress),
        }
    }

    async fn complete(
        &self,
        scope: &KeyScope,
        answer: &StoredAnswer,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Entity::update_many()
            .col_expr(Column::StatusCode, Expr::value(i32::from(answer.status)))
            .col_expr(Column::ResponseBody, Expr::value(answer.body.clone()))
            .col_expr(
                Column::ContentType,
                Expr::value(answer.content_type.clone()),
            )
            .col_expr(Column::Location, Expr::value(answer.location.clone()))
            .col_expr(Column::Etag, Expr::value(answer.etag.clone()))
            .col_expr(Column::ExpiresAt, Expr::value(now + KEPT))
            .filter(key(scope))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn release(&self, scope: &KeyScope) -> Result<(), StoreError> {
        Entity::delete_many()
            .filter(key(scope))
            .filter(Column::StatusCode.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
