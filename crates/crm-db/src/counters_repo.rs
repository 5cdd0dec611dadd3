use crate::entities::document_counter::{ActiveModel, Column, Entity};
use crate::error::store_err;
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::kernel::numbering::DocumentCounterRepository;
use crm_domain::{OrganizationId, StoreError, Txn};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

/// Gap-free numbers: a row per (organization, kind, year) advanced by a conditional
/// `UPDATE … SET next = next + 1` inside the document's transaction. The row lock queues
/// concurrent creations (SQLite: the database write lock) and a rollback undoes the step.
#[derive(Clone)]
pub struct SqlDocumentCounterRepository {
    db: DatabaseConnection,
}

impl SqlDocumentCounterRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl DocumentCounterRepository for SqlDocumentCounterRepository {
    async fn ensure(&self, org: OrganizationId, kind: &str, year: i32) -> Result<(), StoreError> {
        let row = ActiveModel {
            organization_id: Set(org.0),
            kind: Set(kind.to_string()),
            year: Set(year),
            next: Set(1),
        };
        // Autocommit, outside the caller's transaction: no lock is held while it waits, and
        // a concurrent insert of the same row (the primary key) is as good as ours.
        match Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)
        {
            Ok(_) | Err(StoreError::Conflict { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn next(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        kind: &str,
        year: i32,
    ) -> Result<i64, StoreError> {
        let db = sql(tx.as_mut())?;
        let res = Entity::update_many()
            .col_expr(Column::Next, Expr::col(Column::Next).add(1))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Kind.eq(kind))
            .filter(Column::Year.eq(year))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        let next: i64 = Entity::find()
            .select_only()
            .column(Column::Next)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Kind.eq(kind))
            .filter(Column::Year.eq(year))
            .into_tuple()
            .one(db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?;
        Ok(next - 1)
    }
}
