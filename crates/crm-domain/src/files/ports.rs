use super::model::{FileId, StoredFile};
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use std::ops::Range;
use uuid::Uuid;

/// Bytes read from storage, in chunks.
pub type ByteStream = BoxStream<'static, Result<Bytes, StoreError>>;

/// Which files a list may show: a list never includes a file attached to a record the caller
/// cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileVisibility {
    /// Unattached files of this uploader only (`files:read:own`); `None`: all unattached files.
    pub uploader: Option<UserId>,
    /// Record types whose every record the caller reads: their files are listed.
    pub record_types: Vec<String>,
}

/// File rows.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FileRepository: Send + Sync {
    async fn create(&self, tx: &mut Txn, file: &StoredFile) -> Result<(), StoreError>;

    /// `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: FileId) -> Result<StoredFile, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: FileId,
    ) -> Result<StoredFile, StoreError>;

    /// One page of the organization's files that `visible` allows (ignored when `query`
    /// filters by a record, which the service has checked).
    async fn list(
        &self,
        org: OrganizationId,
        visible: Option<FileVisibility>,
        query: &ListQuery,
    ) -> Result<Page<StoredFile>, StoreError>;

    /// `Stale` or `NotFound` as for the other repositories.
    async fn update(
        &self,
        tx: &mut Txn,
        file: &StoredFile,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    async fn delete(&self, tx: &mut Txn, org: OrganizationId, id: FileId)
    -> Result<(), StoreError>;

    /// Whether `id` is a file of `org` (for `*_file_id` fields of other records).
    async fn exists(&self, org: OrganizationId, id: FileId) -> Result<bool, StoreError>;
}

/// One row per stored blob `(organization, sha256)` counting the files (and uploads in
/// progress) that refer to it. A blob is deleted from storage only while its row is locked
/// with a count of zero, and an upload takes its reference (committed) before it places or
/// reuses the blob, so a clean-up can never delete a blob an upload has just counted on.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BlobRepository: Send + Sync {
    /// Adds one reference to the blob, creating its row.
    async fn hold(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
        size: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Removes one reference; answers how many are left.
    async fn release(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;

    /// Locks the blob's row when nothing refers to it; `false` when it is referenced or gone.
    async fn lock_unreferenced(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
    ) -> Result<bool, StoreError>;

    /// Deletes the (locked, unreferenced) row.
    async fn forget(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        sha256: &str,
    ) -> Result<(), StoreError>;

    /// Blobs nothing has referred to since before `before`, at most `limit`.
    async fn unreferenced(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, String)>, StoreError>;
}

/// Where the bytes live: blobs at `<organization>/<sha256>`, uploads first written to a
/// temporary object that is moved there once complete.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A new temporary object to stream an upload into.
    async fn start(&self) -> Result<Box<dyn BlobWriter>, StoreError>;

    /// The blob's bytes, or those of `range` (end exclusive, within the blob).
    async fn read(
        &self,
        org: OrganizationId,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError>;

    /// Deletes the blob; a missing blob is no error.
    async fn delete(&self, org: OrganizationId, sha256: &str) -> Result<(), StoreError>;

    /// Deletes temporary objects last written before `before` (uploads a crash abandoned).
    async fn remove_temporaries(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// An upload being written to its temporary object.
#[async_trait]
pub trait BlobWriter: Send {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError>;

    /// Completes the temporary object (nothing is visible under a real name yet).
    async fn close(&mut self) -> Result<(), StoreError>;

    /// Moves the completed temporary object to the blob's address, or discards it when the
    /// blob is already stored.
    async fn place(self: Box<Self>, org: OrganizationId, sha256: &str) -> Result<(), StoreError>;

    /// Removes whatever was written.
    async fn abort(self: Box<Self>);
}

/// Read access to the records of one type, as the module that owns them decides it (its
/// service's get by id, so `:own` scopes apply).
#[async_trait]
pub trait RecordAccess: Send + Sync {
    /// `Ok` when the caller may read record `id`; `NotFound` when it is missing, of another
    /// organization or out of the caller's reach; `Forbidden` without the permission.
    async fn readable(&self, actor: &Actor, id: Uuid) -> Result<(), DomainError>;

    /// Whether the caller reads every record of this type (not only their own).
    fn reads_all(&self, actor: &Actor) -> bool;
}
