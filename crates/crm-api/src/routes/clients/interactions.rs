//! `/clients/{id}/interactions`.

use crm_domain::clients::{
    INTERACTION_LIST_SPEC, Interaction, InteractionId, InteractionInput, InteractionPatch,
};

super::client_records! {
    service: interactions,
    handlers: [list_interactions, create_interaction, get_interaction, update_interaction, delete_interaction],
    id: InteractionId, record: Interaction, input: InteractionInput,
    patch: InteractionPatch, spec: INTERACTION_LIST_SPEC, search: "summary",
    collection: "/clients/{id}/interactions",
    item: "/clients/{id}/interactions/{interaction_id}", item_id: "interaction_id",
    create_doc: "Record a call, email, meeting or note with the client.",
    what: "interactions", got: "The interaction (with ETag)", updated: "The updated interaction",
}
