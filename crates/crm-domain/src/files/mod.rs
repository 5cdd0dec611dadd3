//! Files (contract section 5): uploads stored once per organization under their sha256, with
//! access that follows the record a file is attached to.
//!
//! Three ports: [`FileRepository`] (the rows), [`BlobRepository`] (one row per stored blob with
//! the number of files naming it) and [`BlobStore`] (the bytes: local disk or S3-compatible,
//! adapters in `crm-storage`). [`RecordAccess`] is the port each module that owns a record type
//! plugs into, so a file attached to a lead is visible exactly to whoever may read the lead.

mod model;
mod ports;
mod service;
mod upload;

pub use model::{
    DESCRIPTION_MAX, FILE_LIST_SPEC, FileId, FilePatch, NAME_MAX, RECORD_TYPES, RecordRef,
    StoredFile, UploadMeta, content_type, sanitize_name,
};
#[cfg(feature = "openapi")]
pub use model::{record_type_or_null, record_type_schema};
pub use ports::*;
pub use service::{FileCleanupJob, FilePorts, FileService, FileSettings};
pub use upload::{ChunkSink, Upload, UploadError};

crate::requirements! {
    FilesRead = "files":"read";
    FilesWrite = "files":"write";
    FilesDelete = "files":"delete";
}

crate::event_types! {
    "file.created" => "A file was uploaded",
    "file.updated" => "A file's name, description or attachment was changed",
    "file.deleted" => "A file was deleted",
}
