//! An upload in progress: bytes go to the blob store's temporary object as they arrive, hashed
//! and counted on the way; the first bytes are kept for sniffing the content type.

use super::ports::BlobWriter;
use crate::kernel::error::StoreError;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// How many leading bytes are kept to read the content type from.
const HEAD: usize = 8192;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// More than the limit arrived; what was written is gone.
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an uploaded part's bytes go into, chunk by chunk: a file's [`Upload`], or an import's,
/// which also reads the CSV on the way. The HTTP layer streams a part into either alike.
#[async_trait::async_trait]
pub trait ChunkSink: Sized + Send {
    /// Appends `chunk`; on an error the sink is gone (aborted).
    async fn write(self, chunk: Bytes) -> Result<Self, UploadError>;
    /// Discards what was written.
    async fn abort(self);
}

#[async_trait::async_trait]
impl ChunkSink for Upload {
    async fn write(self, chunk: Bytes) -> Result<Self, UploadError> {
        Upload::write(self, chunk).await
    }

    async fn abort(self) {
        Upload::abort(self).await
    }
}

/// See the module documentation. Dropped without [`Upload::abort`] or
/// [`super::FileService::finish_upload`], the temporary object stays until the clean-up job
/// removes it.
pub struct Upload {
    pub(super) writer: Box<dyn BlobWriter>,
    hasher: Sha256,
    pub(super) size: u64,
    max: u64,
    pub(super) head: Vec<u8>,
}

impl Upload {
    pub(super) fn new(writer: Box<dyn BlobWriter>, max: u64) -> Self {
        Self {
            writer,
            hasher: Sha256::new(),
            size: 0,
            max,
            head: Vec::new(),
        }
    }

    /// Appends `chunk`; over the limit, the upload is aborted and `TooLarge` answered.
    pub async fn write(mut self, chunk: Bytes) -> Result<Self, UploadError> {
        let size = self.size + chunk.len() as u64;
        if size > self.max {
            let max = self.max;
            self.writer.abort().await;
            return Err(UploadError::TooLarge(max));
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(&chunk);
        self.size = size;
        if let Err(e) = self.writer.write(chunk).await {
            self.writer.abort().await;
            return Err(e.into());
        }
        Ok(self)
    }

    /// Removes what was written.
    pub async fn abort(self) {
        self.writer.abort().await;
    }

    /// Bytes so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The lowercase hex sha256 of everything written.
    pub(super) fn digest(&self) -> String {
        self.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The MIME type the first bytes show, if any.
    pub(super) fn sniffed(&self) -> Option<&'static str> {
        infer::get(&self.head).map(|t| t.mime_type())
    }
}
