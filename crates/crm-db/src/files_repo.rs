//! Files and the reference counts of their blobs.

use crate::entities::file::{self, ActiveModel, Column, Entity};
use crate::entities::file_blob;
use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::rows::{Tenanted, db_version, delete_in_org, insert, locked, one, update_versioned};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::files::{BlobRepository, FileId, FileRepository, FileVisibility, StoredFile};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Select,
};

#[derive(Clone)]
pub struct SqlFileRepository {
    db: DatabaseConnection,
}

impl SqlFileRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

const LIST: ListColumns<'static, Entity> =
    ListColumns::search(&[Column::Name, Column::Description]);

impl TryFrom<file::Model> for StoredFile {
    type Error = StoreError;
    fn try_from(m: file::Model) -> Result<Self, StoreError> {
        Ok(StoredFile {
            id: FileId(m.id),
            organization_id: OrganizationId(m.organization_id),
            name: m.name,
            content_type: m.content_type,
            size: m.size,
            sha256: m.sha256,
            record_type: m.record_type,
            record_id: m.record_id,
            description: m.description,
            uploaded_by: UserId(m.uploaded_by),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

fn row(f: &StoredFile) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(f.id.0),
        created_at: Set(f.created_at),
        updated_at: Set(f.updated_at),
        version: Set(db_version(f.version)?),
        organization_id: Set(f.organization_id.0),
        name: Set(f.name.clone()),
        content_type: Set(f.content_type.clone()),
        size: Set(f.size),
        sha256: Set(f.sha256.clone()),
        record_type: Set(f.record_type.clone()),
        record_id: Set(f.record_id),
        description: Set(f.description.clone()),
        uploaded_by: Set(f.uploaded_by.0),
    })
}

impl Tenanted for Entity {
    const ID: Column = Column::Id;
    const ORGANIZATION: Column = Column::OrganizationId;
    const VERSION: Column = Column::Version;
    const FIXED: &'static [Column] = &[
        Column::CreatedAt,
        Column::ContentType,
        Column::Size,
        Column::Sha256,
        Column::UploadedBy,
    ];
}

fn in_org(org: OrganizationId, id: FileId) -> Select<Entity> {
    crate::rows::in_org(org, id.0)
}

#[async_trait]
impl FileRepository for SqlFileRepository {
    async fn create(&self, tx: &mut Txn, f: &StoredFile) -> Result<(), StoreError> {
        insert(sql(tx.as_mut())?, row(f)?).await
    }

    async fn get(&self, org: OrganizationId, id: FileId) -> Result<StoredFile, StoreError> {
        one(&self.db, in_org(org, id)).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: FileId,
    ) -> Result<StoredFile, StoreError> {
        locked(sql(tx.as_mut())?, in_org(org, id)).await?.try_into()
    }

    async fn list(
        &self,
        org: OrganizationId,
        visible: Option<FileVisibility>,
        query: &ListQuery,
    ) -> Result<Page<StoredFile>, StoreError> {
        let mut base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        if let Some(v) = visible {
            let mut unattached = Condition::all().add(Column::RecordType.is_null());
            if let Some(user) = v.uploader {
                unattached = unattached.add(Column::UploadedBy.eq(user.0));
            }
            let mut any = Condition::any().add(unattached);
            if !v.record_types.is_empty() {
                any = any.add(Column::RecordType.is_in(v.record_types));
            }
            base = base.filter(any);
        }
        keyset::page_as(&self.db, base, query, &LIST).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        f: &StoredFile,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let key = (f.organization_id, f.id.0);
        update_versioned(sql(tx.as_mut())?, row(f)?, key, expected_version).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: FileId,
    ) -> Result<(), StoreError> {
        delete_in_org::<Entity>(sql(tx.as_mut())?, org, id.0, store_err).await
    }

    async fn exists(&self, org: OrganizationId, id: FileId) -> Result<bool, StoreError> {
        let n = in_org(org, id).count(&self.db).await.map_err(store_err)?;
        Ok(n > 0)
    }
}

/// Blob rows (`file_blobs`).
#[derive(Clone)]
pub struct SqlBlobRepository {
    db: DatabaseConnection,
}

impl SqlBlobRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn blob(org: OrganizationId, sha256: &str) -> Select<file_blob::Entity> {
    file_blob::Entity::find()
        .filter(file_blob::Column::OrganizationId.eq(org.0))
        .filter(file_blob::Column::Sha256.eq(sha256))
}

#[async_trait]
impl BlobRepository for SqlBlobRepository {
    async fn hold(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
        size: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        use file_blob::Column as C;
        let row = file_blob::ActiveModel {
            organization_id: Set(org.0),
            sha256: Set(sha256.to_string()),
            size: Set(size),
            ref_count: Set(1),
            created_at: Set(now),
            unreferenced_since: Set(None),
        };
        // One statement: a concurrent clean-up holding the row's lock makes it wait, and then
        // it inserts the row afresh.
        file_blob::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([C::OrganizationId, C::Sha256])
                    .value(
                        C::RefCount,
                        Expr::col((file_blob::Entity, C::RefCount)).add(1),
                    )
                    .value(
                        C::UnreferencedSince,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .to_owned(),
            )
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn release(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        use file_blob::Column as C;
        let db = sql(tx.as_mut())?;
        let current = match locked(db, blob(org, sha256)).await {
            Ok(r) => r,
            // No row: nothing refers to it (it was never counted).
            Err(StoreError::NotFound) => return Ok(0),
            Err(e) => return Err(e),
        };
        let left = Ord::max(current.ref_count - 1, 0_i64);
        file_blob::Entity::update_many()
            .col_expr(C::RefCount, Expr::value(left))
            .col_expr(
                C::UnreferencedSince,
                Expr::value((left == 0).then_some(now)),
            )
            .filter(C::OrganizationId.eq(org.0))
            .filter(C::Sha256.eq(sha256))
            .exec(db)
            .await
            .map_err(store_err)?;
        Ok(left)
    }

    async fn lock_unreferenced(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
    ) -> Result<bool, StoreError> {
        let select = blob(org, sha256).filter(file_blob::Column::RefCount.eq(0));
        match locked(sql(tx.as_mut())?, select).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn forget(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
    ) -> Result<(), StoreError> {
        file_blob::Entity::delete_many()
            .filter(file_blob::Column::OrganizationId.eq(org.0))
            .filter(file_blob::Column::Sha256.eq(sha256))
            .filter(file_blob::Column::RefCount.eq(0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn unreferenced(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, String)>, StoreError> {
        let rows = file_blob::Entity::find()
            .filter(file_blob::Column::RefCount.eq(0))
            .filter(file_blob::Column::UnreferencedSince.lt(before))
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|r| (OrganizationId(r.organization_id), r.sha256))
            .collect())
    }
}
