//! `/credit-notes` (read; made with `POST /invoices/{id}/credit-notes`).

use crate::access::Auth;
use crate::app::AppState;
use crate::http::ok_etag;
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::CreditNotesRead;
use actix_web::{HttpResponse, web};
use crm_finance::credit_notes::{CREDIT_NOTE_LIST_SPEC, CreditNote, CreditNoteId};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /credit-notes`.
    CreditNotes = crm_finance::credit_notes::CREDIT_NOTE_LIST_SPEC, search = "number";
}

handlers! { service: finance.credit_notes, id: CreditNoteId, location: "/api/v1/credit-notes";
    #[utoipa::path(get, path = "/credit-notes", tag = "credit-notes",
        params(CreditNotes),
        responses((status = 200, description = "One page", body = PageDto<CreditNote>)))]
    list list_credit_notes(CreditNotesRead, CREDIT_NOTE_LIST_SPEC);

    #[utoipa::path(get, path = "/credit-notes/{id}", tag = "credit-notes", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The credit note (with ETag)", body = CreditNote)))]
    get get_credit_note(CreditNotesRead);
}
