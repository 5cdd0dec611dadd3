//! Claims of scheduled work and the clean-up's batched deletes.
//!
//! A claim is a row per (job, period). Taking one is a read, then either an insert (no claim
//! yet; the primary key makes a concurrent second insert fail, and that caller lost) or a
//! conditional update that only matches an unfinished claim whose lease has run out (so of two
//! instances taking over a crashed run, one update matches). Both are single statements the
//! database serializes, on every backend, without holding a transaction across the job's run.

use crate::entities::{
    activity, auth_attempt, code_request, idempotency_key, job_run, webhook_delivery,
};
use crate::error::store_err;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::StoreError;
use crm_domain::jobs::{Cleanup, JobClaims};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

#[derive(Clone)]
pub struct SqlJobClaims {
    db: DatabaseConnection,
}

impl SqlJobClaims {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn key(job: &str, period: &str) -> Condition {
    Condition::all()
        .add(job_run::Column::Job.eq(job))
        .add(job_run::Column::Period.eq(period))
}

#[async_trait]
impl JobClaims for SqlJobClaims {
    async fn claim(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let existing = job_run::Entity::find()
            .filter(key(job, period))
            .one(&self.db)
            .await
            .map_err(store_err)?;
        let Some(existing) = existing else {
            let row = job_run::ActiveModel {
                job: Set(job.to_string()),
                period: Set(period.to_string()),
                holder: Set(holder.to_string()),
                claimed_until: Set(lease_until),
                finished_at: Set(None),
                attempts: Set(1),
                last_error: Set(None),
            };
            return match job_run::Entity::insert(row).exec(&self.db).await {
                Ok(_) => Ok(true),
                Err(e) => match store_err(e) {
                    // Another instance inserted it first.
                    StoreError::Conflict { .. } => Ok(false),
                    e => Err(e),
                },
            };
        };
        if existing.finished_at.is_some() || existing.claimed_until >= now {
            return Ok(false);
        }
        let taken = job_run::Entity::update_many()
            .col_expr(job_run::Column::Holder, Expr::value(holder))
            .col_expr(job_run::Column::ClaimedUntil, Expr::value(lease_until))
            .col_expr(
                job_run::Column::Attempts,
                Expr::col(job_run::Column::Attempts).add(1),
            )
            .filter(key(job, period))
            .filter(job_run::Column::FinishedAt.is_null())
            .filter(job_run::Column::ClaimedUntil.lt(now))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(taken.rows_affected == 1)
    }

    async fn finish(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        job_run::Entity::update_many()
            .col_expr(job_run::Column::FinishedAt, Expr::value(now))
            .col_expr(job_run::Column::LastError, Expr::value(None::<String>))
            .filter(key(job, period))
            .filter(job_run::Column::Holder.eq(holder))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn fail(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(2000).collect();
        job_run::Entity::update_many()
            .col_expr(job_run::Column::ClaimedUntil, Expr::value(retry_at))
            .col_expr(job_run::Column::LastError, Expr::value(error))
            .filter(key(job, period))
            .filter(job_run::Column::Holder.eq(holder))
            .filter(job_run::Column::FinishedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}

/// The clean-up's deletes: ids of one batch first, then a delete by id, because PostgreSQL
/// has no `DELETE … LIMIT` and MariaDB refuses a `LIMIT` in a subquery of the same table.
#[derive(Clone)]
pub struct SqlCleanup {
    db: DatabaseConnection,
}

impl SqlCleanup {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The key columns of the `limit` oldest rows matching `cond`, oldest first by `age`.
async fn oldest<E, T>(
    db: &DatabaseConnection,
    keys: &[E::Column],
    cond: Condition,
    age: E::Column,
    limit: u64,
) -> Result<Vec<T>, StoreError>
where
    E: EntityTrait,
    T: sea_orm::TryGetableMany,
{
    let mut q = E::find().select_only();
    for c in keys {
        q = q.column(*c);
    }
    q.filter(cond)
        .order_by_asc(age)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
        .map_err(store_err)
}

#[async_trait]
impl Cleanup for SqlCleanup {
    async fn code_requests(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        use code_request::{Column, Entity};
        let cond = Condition::all().add(Column::RequestedAt.lt(before));
        let ids: Vec<uuid::Uuid> =
            oldest::<Entity, _>(&self.db, &[Column::Id], cond, Column::RequestedAt, limit).await?;
        if !ids.is_empty() {
            Entity::delete_many()
                .filter(Column::Id.is_in(ids.clone()))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(ids.len() as u64)
    }

    /// Clears the record of events older than `before`: they leave the event list (the
    /// `events` view), their audit entries stay.
    async fn events(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        use activity::{Column, Entity};
        let cond = Condition::all()
            .add(Column::CreatedAt.lt(before))
            .add(Column::EventType.is_not_null());
        let ids: Vec<uuid::Uuid> =
            oldest::<Entity, _>(&self.db, &[Column::Id], cond, Column::CreatedAt, limit).await?;
        if !ids.is_empty() {
            Entity::update_many()
                .col_expr(Column::Data, Expr::value(None::<serde_json::Value>))
                .col_expr(Column::EventType, Expr::value(None::<String>))
                .filter(Column::Id.is_in(ids.clone()))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(ids.len() as u64)
    }

    async fn idempotency_keys(&self, now: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        use idempotency_key::{Column, Entity};
        let cols = [
            Column::OrganizationId,
            Column::UserId,
            Column::IdempotencyKey,
        ];
        let cond = Condition::all().add(Column::ExpiresAt.lt(now));
        let keys: Vec<(uuid::Uuid, uuid::Uuid, String)> =
            oldest::<Entity, _>(&self.db, &cols, cond, Column::ExpiresAt, limit).await?;
        let n = keys.len() as u64;
        if n > 0 {
            let any = keys.into_iter().fold(Condition::any(), |any, (o, u, k)| {
                any.add(
                    Condition::all()
                        .add(Column::OrganizationId.eq(o))
                        .add(Column::UserId.eq(u))
                        .add(Column::IdempotencyKey.eq(k)),
                )
            });
            Entity::delete_many()
                .filter(any)
                .filter(Column::ExpiresAt.lt(now))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(n)
    }

    async fn job_runs(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        use job_run::{Column, Entity};
        let cond = Condition::all()
            .add(Column::FinishedAt.is_not_null())
            .add(Column::ClaimedUntil.lt(before));
        let keys: Vec<(String, String)> = oldest::<Entity, _>(
            &self.db,
            &[Column::Job, Column::Period],
            cond,
            Column::ClaimedUntil,
            limit,
        )
        .await?;
        let n = keys.len() as u64;
        if n > 0 {
            let any = keys
                .iter()
                .fold(Condition::any(), |any, (j, p)| any.add(key(j, p)));
            Entity::delete_many()
                .filter(any)
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(n)
    }

    /// Finished deliveries only: a pending one is still someone's work. Walked by the primary
    /// key: delivery ids are UUIDv7, in creation order, so no index on `created_at` is kept.
    async fn webhook_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<u64, StoreError> {
        use webhook_delivery::{Column, Entity};
        let cond = Condition::all()
            .add(Column::Id.lt(crm_domain::kernel::ids::v7_floor(before)))
            .add(Column::Status.is_in(["succeeded", "failed"]));
        let ids: Vec<uuid::Uuid> =
            oldest::<Entity, _>(&self.db, &[Column::Id], cond, Column::Id, limit).await?;
        if !ids.is_empty() {
            Entity::delete_many()
                .filter(Column::Id.is_in(ids.clone()))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(ids.len() as u64)
    }

    async fn auth_attempts(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError> {
        use auth_attempt::{Column, Entity};
        let cond = Condition::all().add(Column::UpdatedAt.lt(before));
        let keys: Vec<String> = oldest::<Entity, _>(
            &self.db,
            &[Column::AttemptKey],
            cond,
            Column::UpdatedAt,
            limit,
        )
        .await?;
        if !keys.is_empty() {
            // Only if still untouched: an attempt counted meanwhile keeps its row.
            Entity::delete_many()
                .filter(Column::AttemptKey.is_in(keys.clone()))
                .filter(Column::UpdatedAt.lt(before))
                .exec(&self.db)
                .await
                .map_err(store_err)?;
        }
        Ok(keys.len() as u64)
    }
}
