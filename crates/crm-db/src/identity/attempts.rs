//! The shared sign-in attempt counters (`auth_attempts`): one upsert per attempt for all its
//! keys, then one read of them. Outside any transaction: each statement commits at once, and
//! an instance that counts an attempt makes it count for every other one.

use crate::entities::auth_attempt::{ActiveModel, Column, Entity, Model};
use crate::error::store_err;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::StoreError;
use crm_domain::identity::throttle::{AttemptCounter, AttemptCounters, FORGET_AFTER, WINDOW};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
};

#[derive(Clone)]
pub struct SqlAttemptCounters {
    db: DatabaseConnection,
}

impl SqlAttemptCounters {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// `column` of the stored row (the existing one, in an upsert's update part).
fn stored(column: Column) -> Expr {
    Expr::col((Entity, column))
}

fn counter(m: Model) -> AttemptCounter {
    AttemptCounter {
        key: m.attempt_key,
        hits: u32::try_from(m.hits).unwrap_or(0),
        window_start: m.window_start,
        failures: u32::try_from(m.failures).unwrap_or(0),
        last_failure_at: m.last_failure_at,
    }
}

#[async_trait]
impl AttemptCounters for SqlAttemptCounters {
    async fn hit(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<AttemptCounter>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Rows are locked in one order by every request (sorted keys), so two upserts of the
        // same keys wait for each other instead of deadlocking.
        let mut sorted = keys.to_vec();
        sorted.sort();
        sorted.dedup();
        let rows = sorted.iter().map(|k| ActiveModel {
            attempt_key: Set(k.clone()),
            window_start: Set(now),
            hits: Set(1),
            failures: Set(0),
            last_failure_at: Set(None),
            updated_at: Set(now),
        });
        let expired = stored(Column::WindowStart).lte(now - WINDOW);
        // `hits` is assigned before `window_start`: MySQL evaluates the assignments in order
        // with the values already changed, so both must test the old window.
        let upsert = Entity::insert_many(rows).on_conflict(
            OnConflict::column(Column::AttemptKey)
                .value(
                    Column::Hits,
                    Expr::case(expired.clone(), 1).finally(stored(Column::Hits).add(1)),
                )
                .value(
                    Column::WindowStart,
                    Expr::case(expired, Expr::value(now)).finally(stored(Column::WindowStart)),
                )
                .value(Column::UpdatedAt, Expr::value(now))
                .to_owned(),
        );
        // PostgreSQL answers the counters from the upsert itself; the others read them back.
        let found = if self.db.get_database_backend() == DbBackend::Postgres {
            upsert
                .exec_with_returning(&self.db)
                .await
                .map_err(store_err)?
        } else {
            upsert
                .exec_without_returning(&self.db)
                .await
                .map_err(store_err)?;
            Entity::find()
                .filter(Column::AttemptKey.is_in(sorted))
                .all(&self.db)
                .await
                .map_err(store_err)?
        };
        Ok(found.into_iter().map(counter).collect())
    }

    async fn fail(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let row = ActiveModel {
            attempt_key: Set(key.to_string()),
            window_start: Set(now),
            hits: Set(0),
            failures: Set(1),
            last_failure_at: Set(Some(now)),
            updated_at: Set(now),
        };
        let forgotten = stored(Column::LastFailureAt)
            .is_null()
            .or(stored(Column::LastFailureAt).lte(now - FORGET_AFTER));
        Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::AttemptKey)
                    .value(
                        Column::Failures,
                        Expr::case(forgotten, 1).finally(stored(Column::Failures).add(1)),
                    )
                    .value(Column::LastFailureAt, Expr::value(now))
                    .value(Column::UpdatedAt, Expr::value(now))
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn succeed(&self, key: &str) -> Result<(), StoreError> {
        Entity::update_many()
            .col_expr(Column::Failures, Expr::value(0))
            .col_expr(Column::LastFailureAt, Expr::value(None::<DateTime<Utc>>))
            .filter(Column::AttemptKey.eq(key))
            .filter(Column::Failures.gt(0))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
