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
