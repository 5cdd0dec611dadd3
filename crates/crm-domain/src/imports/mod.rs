//! Imports of CSV files (contract section 10): `POST /imports` stores the file and answers
//! `202`; the scheduler's [`ImportJob`] checks each row exactly as the resource's create route
//! checks its body (the route's own input type and the service's own check step, through an
//! [`ImportTarget`] per resource) and writes the rows in batches, each batch's records, their
//! audit entries and the import's progress in one transaction, so a restart goes on after the
//! last committed batch and never writes a row twice.

mod cells;
mod csv;
mod model;
mod ports;
mod service;
mod upload;

pub use cells::{CellKind, Columns, Field};
pub use csv::{CsvError, CsvRecords, MAX_CELLS, MAX_RECORD_BYTES};
pub use model::{
    IMPORT_LIST_SPEC, Import, ImportForm, ImportId, ImportResource, ImportStatus, MAX_ERRORS,
    OnDuplicate, RowError,
};
pub use ports::*;
pub use service::{ImportJob, ImportPorts, ImportService, ImportSettings, Wake};
pub use upload::ImportUpload;

/// The event types of imports (an import needs the write permission of its resource, so it
/// declares no permission of its own).
pub mod requirements {
    crate::event_types! {
        "import.created" => "A CSV import was uploaded",
        "import.completed" => "A CSV import finished its rows",
        "import.failed" => "A CSV import stopped before its end (its creator lost access, its file is gone)",
    }
}
