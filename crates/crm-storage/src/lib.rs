//! The [`BlobStore`] port on `object_store`: the local filesystem or any S3-compatible service.
//!
//! A separate crate rather than a part of `crm-db`: it is no SQL, and its dependency tree (an
//! HTTP client with TLS for S3) is needed by the server only, not by every user of the
//! repositories. Layout: blobs at `<organization>/<sha256>`, uploads in progress at
//! `tmp/<uuid>` until complete; then they are renamed to the blob's address (an atomic
//! `rename(2)` on disk, a copy and delete on S3) or deleted when the blob is already stored.
//! `LocalFileSystem` writes each object to a staging file next to it and renames it when
//! complete, so even the temporary name never holds half a file.

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use crm_domain::files::{BlobStore, BlobWriter, ByteStream};
use crm_domain::{OrganizationId, StoreError};
use futures_util::{StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use std::ops::Range;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// Where blobs are kept.
#[derive(Clone, Debug)]
pub enum StorageConfig {
    /// A directory on the local disk (created when missing).
    Local {
        dir: String,
    },
    S3(S3Config),
}

#[derive(Clone, Debug, Default)]
pub struct S3Config {
    pub bucket: String,
    /// Empty for AWS itself; the service's URL otherwise (`http://127.0.0.1:9000`).
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://host/bucket/key` rather than `https://bucket.host/key`.
    pub path_style: bool,
}

/// S3 needs parts of at least 5 MiB (but the last); on disk a part is written at once, so a
/// smaller buffer keeps the memory an upload holds small.
const S3_PART: usize = 5 * 1024 * 1024;
const LOCAL_PART: usize = 256 * 1024;

/// The blob store of `config`.
pub fn open(config: &StorageConfig) -> Result<ObjectBlobStore, String> {
    match config {
        StorageConfig::Local { dir } => {
            std::fs::create_dir_all(dir).map_err(|e| format!("files directory {dir}: {e}"))?;
            let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| format!("files directory {dir}: {e}"))?;
            Ok(ObjectBlobStore::new(Arc::new(fs), LOCAL_PART))
        }
        StorageConfig::S3(c) => {
            let mut b = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(&c.bucket)
                .with_region(&c.region)
                .with_access_key_id(&c.access_key_id)
                .with_secret_access_key(&c.secret_access_key)
                .with_virtual_hosted_style_request(!c.path_style);
            if !c.endpoint.is_empty() {
                b = b
                    .with_endpoint(&c.endpoint)
                    .with_allow_http(c.endpoint.starts_with("http://"));
            }
            let s3 = b.build().map_err(|e| format!("S3 storage: {e}"))?;
            Ok(ObjectBlobStore::new(Arc::new(s3), S3_PART))
        }
    }
}

fn err(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        e => StoreError::Unavailable(format!("storage: {e}")),
    }
}

fn blob_path(org: OrganizationId, sha256: &str) -> Path {
    Path::from(format!("{}/{}", org.0, sha256))
}

const TMP: &str = "tmp";

/// [`BlobStore`] on any `object_store`.
#[derive(Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    part: usize,
}

impl ObjectBlobStore {
    pub fn new(store: Arc<dyn ObjectStore>, part: usize) -> Self {
        Self { store, part }
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn start(&self) -> Result<Box<dyn BlobWriter>, StoreError> {
        let tmp = Path::from(format!("{TMP}/{}", uuid::Uuid::now_v7()));
        let writer = BufWriter::with_capacity(self.store.clone(), tmp.clone(), self.part)
            .with_max_concurrency(2);
        Ok(Box::new(ObjectWriter {
            store: self.store.clone(),
            tmp,
            writer,
            pending: BytesMut::new(),
            part: self.part,
        }))
    }

    async fn read(
        &self,
        org: OrganizationId,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self
            .store
            .get_opts(&blob_path(org, sha256), options)
            .await
            .map_err(err)?;
        Ok(got.into_stream().map_err(err).boxed())
    }

    async fn delete(&self, org: OrganizationId, sha256: &str) -> Result<(), StoreError> {
        match self.store.delete(&blob_path(org, sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    async fn remove_temporaries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let old: Vec<Path> = self
            .store
            .list(Some(&Path::from(TMP)))
            .try_filter(|m| futures_util::future::ready(m.last_modified < before))
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .map_err(err)?;
        let mut removed = 0;
        for p in old {
            match self.store.delete(&p).await {
                Ok(()) => removed += 1,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(err(e)),
            }
        }
        Ok(removed)
    }
}

/// A store that could not be opened: every call answers `Unavailable` with the reason. For
/// tools that build the services without serving files (the server itself refuses to start).
pub struct Unopened(pub String);

#[async_trait]
impl BlobStore for Unopened {
    async fn start(&self) -> Result<Box<dyn BlobWriter>, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }

    async fn read(
        &self,
        _: OrganizationId,
        _: &str,
        _: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }

    async fn delete(&self, _: OrganizationId, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }

    async fn remove_temporaries(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
}

struct ObjectWriter {
    store: Arc<dyn ObjectStore>,
    tmp: Path,
    writer: BufWriter,
    /// The part being filled. Chunks are copied into it rather than handed on: a chunk of the
    /// request body shares the HTTP layer's read buffer, and holding a part's worth of them
    /// kept many of those buffers alive, so an upload's memory grew with its length.
    pending: BytesMut,
    part: usize,
}

impl ObjectWriter {
    async fn flush_part(&mut self) -> Result<(), StoreError> {
        let full = std::mem::take(&mut self.pending);
        self.writer.put(full.freeze()).await.map_err(err)
    }
}

#[async_trait]
impl BlobWriter for ObjectWriter {
    async fn write(&mut self, mut chunk: Bytes) -> Result<(), StoreError> {
        while !chunk.is_empty() {
            if self.pending.capacity() == 0 {
                self.pending.reserve(self.part);
            }
            let take = (self.part - self.pending.len()).min(chunk.len());
            self.pending.extend_from_slice(&chunk.split_to(take));
            if self.pending.len() >= self.part {
                self.flush_part().await?;
            }
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<(), StoreError> {
        if !self.pending.is_empty() {
            self.flush_part().await?;
        }
        self.writer
            .shutdown()
            .await
            .map_err(|e| StoreError::Unavailable(format!("storage: {e}")))
    }

    async fn place(self: Box<Self>, org: OrganizationId, sha256: &str) -> Result<(), StoreError> {
        let to = blob_path(org, sha256);
        let placed = match self.store.head(&to).await {
            Ok(_) => self.store.delete(&self.tmp).await,
            Err(object_store::Error::NotFound { .. }) => self.store.rename(&self.tmp, &to).await,
            Err(e) => Err(e),
        };
        if let Err(e) = placed {
            let _ = self.store.delete(&self.tmp).await;
            return Err(err(e));
        }
        Ok(())
    }

    async fn abort(mut self: Box<Self>) {
        // Either the multipart upload (never completed) or the completed temporary object.
        let _ = self.writer.abort().await;
        if let Err(e) = self.store.delete(&self.tmp).await
            && !matches!(e, object_store::Error::NotFound { .. })
        {
            tracing::warn!(error = %e, "files: a temporary object is left to the clean-up");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(
        s: &ObjectBlobStore,
        org: OrganizationId,
        sha: &str,
        r: Option<Range<u64>>,
    ) -> Vec<u8> {
        let chunks: Vec<Bytes> = s
            .read(org, sha, r)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        chunks.concat()
    }

    #[tokio::test]
    async fn local_uploads_land_under_the_content_address_and_leave_no_temporary() {
        let dir = std::env::temp_dir().join(format!("crm-storage-{}", uuid::Uuid::now_v7()));
        let store = open(&StorageConfig::Local {
            dir: dir.to_string_lossy().into_owned(),
        })
        .unwrap();
        let org = OrganizationId(uuid::Uuid::now_v7());
        for _ in 0..2 {
            let mut w = store.start().await.unwrap();
            for _ in 0..3 {
                w.write(Bytes::from(vec![7u8; 200 * 1024])).await.unwrap();
            }
            w.close().await.unwrap();
            w.place(org, "abc").await.unwrap();
        }
        assert_eq!(read_all(&store, org, "abc", None).await.len(), 600 * 1024);
        assert_eq!(
            read_all(&store, org, "abc", Some(10..20)).await,
            vec![7u8; 10]
        );
        let tmp = std::fs::read_dir(dir.join(TMP))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(tmp, 0, "temporaries are renamed or removed");
        let w = store.start().await.unwrap();
        w.abort().await;
        store.delete(org, "abc").await.unwrap();
        assert!(matches!(
            store.read(org, "abc", None).await,
            Err(StoreError::NotFound)
        ));
        store.delete(org, "abc").await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}
