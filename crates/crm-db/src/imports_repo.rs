//! Imports (`crm_domain::imports`): the `imports` rows as `Records<Import>` (the caller's list,
//! progress written with a batch's versioned update), and the workers' queue.
//!
//! A worker takes an import with one conditional `UPDATE` (queued, or running with a lease
//! that ran out) that also moves its version on: a worker whose lease ran out and that still
//! writes finds the version moved at its next batch, whose versioned update then matches no
//! row, and that batch rolls back. So one worker at a time writes an import's rows.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::stored::StoredAs;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::imports::{
    Import, ImportId, ImportQueue, ImportResource, ImportStatus, OnDuplicate, RowError,
};
use crm_domain::{OrganizationId, StoreError, UserId};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{Condition, QueryOrder, QuerySelect};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub created_by: Uuid,
    pub resource: String,
    pub status: String,
    pub on_duplicate: String,
    pub dry_run: bool,
    /// `{column: field or null}`.
    pub mapping: Json,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed_rows: i64,
    /// `[{row, field, message}]`.
    pub errors: Json,
    pub sha256: String,
    pub lease_until: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Name enums stored as their name.
macro_rules! as_name {
    ($($t:ty),*) => {$(
        impl StoredAs<String> for $t {
            fn load(stored: String) -> Result<Self, String> {
                stored.parse().map_err(|e: crm_domain::ValueError| e.to_string())
            }
            fn store(&self) -> Result<String, StoreError> {
                Ok(self.as_str().to_string())
            }
        }
    )*};
}
as_name!(ImportResource, ImportStatus, OnDuplicate);

/// JSON columns read back into their domain type.
macro_rules! as_json {
    ($($t:ty),*) => {$(
        impl StoredAs<Json> for $t {
            fn load(stored: Json) -> Result<Self, String> {
                serde_json::from_value(stored).map_err(|e| e.to_string())
            }
            fn store(&self) -> Result<Json, StoreError> {
                serde_json::to_value(self).map_err(|e| StoreError::Unexpected(e.to_string()))
            }
        }
    )*};
}
as_json!(BTreeMap<String, Option<String>>, Vec<RowError>);

crate::stored::stored_record!(Import, "import" {
    id, organization_id, created_by, resource, status, on_duplicate, dry_run, mapping,
    total_rows, processed_rows, created, updated, skipped, failed_rows, errors, sha256,
    lease_until, finished_at, created_at, updated_at, version,
});

crate::rows::tenanted!([CreatedBy, CreatedAt]);

impl Stored for Entity {
    type Record = Import;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[]);

    fn row(i: &Import) -> Result<ActiveModel, StoreError> {
        to_row(i)
    }

    /// A user's own imports (`ix_imports_creator`).
    fn scoped(select: Select<Entity>, creator: UserId) -> Select<Entity> {
        select.filter(Column::CreatedBy.eq(creator.0))
    }
}

/// Imports, with their queue.
pub type SqlImportRepository = SqlRecords<Entity>;

/// What a worker may take at `now`: queued, or running with a lease that ran out.
fn due(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(Column::Status.eq(ImportStatus::Queued.as_str()))
        .add(
            Condition::all()
                .add(Column::Status.eq(ImportStatus::Running.as_str()))
                .add(Column::LeaseUntil.lt(now)),
        )
}

#[async_trait]
impl ImportQueue for SqlRecords<Entity> {
    /// Two ranges of `ix_imports_due`.
    async fn due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, ImportId)>, StoreError> {
        let rows: Vec<(Uuid, Uuid)> = Entity::find()
            .select_only()
            .column(Column::OrganizationId)
            .column(Column::Id)
            .filter(due(now))
            .order_by_asc(Column::Id)
            .limit(limit)
            .into_tuple()
            .all(self.db())
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|(o, i)| (OrganizationId(o), ImportId(i)))
            .collect())
    }

    async fn claim(
        &self,
        org: OrganizationId,
        id: ImportId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let taken = Entity::update_many()
            .col_expr(Column::Status, Expr::value(ImportStatus::Running.as_str()))
            .col_expr(Column::LeaseUntil, Expr::value(lease_until))
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.eq(id.0))
            .filter(due(now))
            .exec(self.db())
            .await
            .map_err(store_err)?;
        Ok(taken.rows_affected == 1)
    }
}
