//! `/clients/{id}/contacts`.

use crm_domain::clients::{CONTACT_LIST_SPEC, Contact, ContactId, ContactInput, ContactPatch};

super::client_records! {
    service: contacts, handlers: [list_contacts, create_contact, get_contact, update_contact, delete_contact],
    id: ContactId, record: Contact, input: ContactInput, patch: ContactPatch,
    spec: CONTACT_LIST_SPEC, search: "name, email and phone",
    collection: "/clients/{id}/contacts", item: "/clients/{id}/contacts/{contact_id}",
    item_id: "contact_id",
    create_doc: "Add a contact; `is_primary: true` makes it the one primary contact.",
    what: "contacts", got: "The contact (with ETag)", updated: "The updated contact",
}

crate::list_params::list_params! {
    /// The query parameters of `GET /contacts/export`.
    AllContactsParams = crm_domain::clients::ALL_CONTACTS_LIST_SPEC, search = "name, email and phone";
}

/// Every contact of the organization the caller may see, whatever its client (under
/// `clients:read:own`, the contacts of the caller's clients), with the per-client list's
/// filters and sort and a `client_id` filter. Documentation only: the route is
/// `Routes::export`'s, and `openapi::Exports` completes this operation as it does the others.
#[utoipa::path(get, path = "/contacts/export", tag = "clients",
    params(AllContactsParams),
    responses((status = 200, description = "The CSV file")))]
#[allow(dead_code)]
pub fn export_all_contacts() {}
