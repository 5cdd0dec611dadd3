//! The file part of `POST /imports` on its way to storage: read as CSV as it streams, so the
//! answer can refuse a file that is not UTF-8 CSV, or whose header names no field, and give
//! `total_rows` at once, without a second read of the file.

use super::csv::{CsvError, CsvRecords};
use crate::files::{Upload, UploadError};
use bytes::Bytes;

pub struct ImportUpload {
    pub(super) upload: Upload,
    scan: CsvRecords,
    pub(super) header: Option<Vec<String>>,
    /// Data rows (records after the header).
    pub(super) rows: u64,
    /// The first reason the bytes are not CSV text; reading stops there.
    pub(super) error: Option<CsvError>,
}

impl ImportUpload {
    pub(super) fn new(upload: Upload) -> Self {
        Self {
            upload,
            scan: CsvRecords::new(),
            header: None,
            rows: 0,
            error: None,
        }
    }

    /// Appends `chunk` to the stored file and reads its records; over the size limit the
    /// upload is gone (`TooLarge`).
    pub async fn write(mut self, chunk: Bytes) -> Result<Self, UploadError> {
        self.read(&chunk);
        self.upload = self.upload.write(chunk).await?;
        Ok(self)
    }

    /// The end of the file: its last record, if unterminated.
    pub(super) fn end(&mut self) {
        self.read(&[]);
    }

    fn read(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let (header, rows) = (&mut self.header, &mut self.rows);
        let read = self.scan.feed::<CsvError>(bytes, |n, cells| {
            if n == 1 {
                *header = Some(cells);
            } else {
                *rows += 1;
            }
            Ok(())
        });
        if let Err(e) = read {
            self.error = Some(e);
        }
    }

    /// Removes what was stored.
    pub async fn abort(self) {
        self.upload.abort().await;
    }
}

#[async_trait::async_trait]
impl crate::files::ChunkSink for ImportUpload {
    async fn write(self, chunk: Bytes) -> Result<Self, UploadError> {
        ImportUpload::write(self, chunk).await
    }

    async fn abort(self) {
        ImportUpload::abort(self).await
    }
}
