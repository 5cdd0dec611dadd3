//! `Records<T>` (the domain's per-organization record port) implemented once, for every table
//! that declares itself [`Stored`]: create, get, get for update, list, versioned update and
//! delete are the helpers of `rows.rs` and `keyset.rs`, so a resource's repository declares
//! only its entity, its conversions and what is special about it.

use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::rows::{
    Tenanted, db_version, delete_in_org, in_org, insert, locked, one, update_versioned,
};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Record, Records};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Select,
};
use std::marker::PhantomData;
use uuid::Uuid;

/// A table whose rows are the records `Self::Record` (converted with `TryFrom` one way and
/// [`Stored::row`] the other).
pub trait Stored: Tenanted {
    type Record: Record + TryFrom<Self::Model, Error = StoreError>;
    /// The columns `q` searches (and any computed sort).
    const LIST: ListColumns<'static, Self>;
    /// How the database's refusal of a delete reads (a foreign key still pointing at the row
    /// is a `Conflict` for some tables).
    const DELETE_ERR: fn(DbErr) -> StoreError = store_err;

    /// `record` as its row: what `create` inserts and `update` writes.
    fn row(record: &Self::Record) -> Result<Self::ActiveModel, StoreError>;

    /// A list of `org`'s rows narrowed to `scope` (the parent of a nested resource).
    fn scoped(select: Select<Self>, scope: <Self::Record as Record>::Scope) -> Select<Self>;

    /// Runs inside the deleting transaction before the row `id` goes (to unlink rows that
    /// refer to it without a foreign key).
    fn before_delete(
        _tx: &DatabaseTransaction,
        _org: OrganizationId,
        _id: Uuid,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }
}

/// The records of the table `E`.
pub struct SqlRecords<E> {
    db: DatabaseConnection,
    table: PhantomData<fn() -> E>,
}

impl<E> SqlRecords<E> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            table: PhantomData,
        }
    }
}

impl<E> SqlRecords<E> {
    /// The pool, for the queries a resource declares beside these.
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl<E> Clone for SqlRecords<E> {
    fn clone(&self) -> Self {
        Self::new(self.db.clone())
    }
}

#[async_trait]
impl<E> Records<E::Record> for SqlRecords<E>
where
    E: Stored,
    E::Model: Sync + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    async fn create(&self, tx: &mut Txn, record: &E::Record) -> Result<(), StoreError> {
        insert(sql(tx.as_mut())?, E::row(record)?).await
    }

    async fn get(
        &self,
        org: OrganizationId,
        id: <E::Record as Record>::Id,
    ) -> Result<E::Record, StoreError> {
        one(&self.db, in_org::<E>(org, id.into())).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: <E::Record as Record>::Id,
    ) -> Result<E::Record, StoreError> {
        let select = in_org::<E>(org, id.into());
        locked(sql(tx.as_mut())?, select).await?.try_into()
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        scope: <E::Record as Record>::Scope,
    ) -> Result<Page<E::Record>, StoreError> {
        let base = E::scoped(E::find().filter(E::ORGANIZATION.eq(org.0)), scope);
        keyset::page_as(&self.db, base, query, &E::LIST).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        record: &E::Record,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let key = (record.organization_id(), record.id().into());
        // The stored version rises by one, whatever the caller counted.
        let mut row = E::row(record)?;
        row.set(E::VERSION, db_version(expected_version + 1)?.into());
        update_versioned(sql(tx.as_mut())?, row, key, expected_version).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: <E::Record as Record>::Id,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        E::before_delete(db, org, id.into()).await?;
        delete_in_org::<E>(db, org, id.into(), E::DELETE_ERR).await
    }
}

/// `select` narrowed to the rows whose `column` is `owner`, when given (`:own` callers).
pub(crate) fn owned<E: EntityTrait>(
    select: Select<E>,
    column: E::Column,
    owner: Option<UserId>,
) -> Select<E> {
    match owner {
        Some(u) => select.filter(column.eq(u.0)),
        None => select,
    }
}
