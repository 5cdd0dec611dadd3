//! Adapter: invoices as PDF. [`PdfRenderer`] implements crm-finance's [`DocumentRenderer`]
//! port with `printpdf`, on A4 pages set in the built-in Helvetica (no font file is read or
//! embedded; text stays selectable and extractable). The layout is computed here: a header
//! with the logo, title, number and dates; the two parties; the lines as a table whose header
//! repeats on every page it spills onto; the totals; the notes and terms; and "Page i of n".

mod layout;
mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crm_finance::document::{DocumentRenderer, InvoiceDocument, RenderError};

/// Renders [`InvoiceDocument`]s as PDF files. Stateless: one value serves every thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct PdfRenderer;

impl PdfRenderer {
    pub fn new() -> Self {
        Self
    }
}

impl DocumentRenderer for PdfRenderer {
    fn invoice_pdf(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError> {
        // The PDF writer is a large library: a panic inside it becomes an error of this
        // document instead of unwinding through the caller's worker.
        catch_unwind(AssertUnwindSafe(|| layout::invoice(doc)))
            .map_err(|_| RenderError("the PDF writer panicked".to_string()))
    }
}
