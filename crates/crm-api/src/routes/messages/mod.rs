//! Messages (contract section 9, conversations): `/conversations`, their members, messages
//! and read marks, and `/messages/{id}`. The messages domain types are the response bodies.

mod conversation_messages;
mod conversations;

use crate::access::Routes;

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    r.get("/conversations", conversations::list_conversations)
        .post("/conversations", conversations::create_conversation)
        .get("/conversations/{id}", conversations::get_conversation)
        .post(
            "/conversations/{id}/members",
            conversations::add_conversation_member,
        )
        .delete(
            "/conversations/{id}/members/{user_id}",
            conversations::remove_conversation_member,
        )
        .post(
            "/conversations/{id}/read",
            conversations::mark_conversation_read,
        )
        .get(
            "/conversations/{id}/messages",
            conversation_messages::list_messages,
        )
        .post(
            "/conversations/{id}/messages",
            conversation_messages::send_message,
        )
        .patch("/messages/{id}", conversation_messages::edit_message)
        .delete("/messages/{id}", conversation_messages::delete_message)
}

/// Links the document adds beyond a create's own record (`openapi.rs` `ExtraLinks`): a new
/// conversation leads to its messages, members and read mark, a new message to its edit and
/// deletion, so a client (and Schemathesis' stateful phase) can follow them. Each row: the
/// collection whose `POST` creates, the link's name, the operation's path and method; the
/// created body's `id` fills the target's `{id}`.
pub const LINKS: &[(&str, &str, &str, &str)] = &[
    (
        "/api/v1/conversations",
        "list_messages",
        "/api/v1/conversations/{id}/messages",
        "get",
    ),
    (
        "/api/v1/conversations",
        "send_message",
        "/api/v1/conversations/{id}/messages",
        "post",
    ),
    (
        "/api/v1/conversations",
        "add_member",
        "/api/v1/conversations/{id}/members",
        "post",
    ),
    (
        "/api/v1/conversations",
        "mark_read",
        "/api/v1/conversations/{id}/read",
        "post",
    ),
    (
        "/api/v1/conversations/{id}/messages",
        "edit",
        "/api/v1/messages/{id}",
        "patch",
    ),
    (
        "/api/v1/conversations/{id}/messages",
        "delete",
        "/api/v1/messages/{id}",
        "delete",
    ),
];

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    conversations::list_conversations,
    conversations::create_conversation,
    conversations::get_conversation,
    conversations::add_conversation_member,
    conversations::remove_conversation_member,
    conversations::mark_conversation_read,
    conversation_messages::list_messages,
    conversation_messages::send_message,
    conversation_messages::edit_message,
    conversation_messages::delete_message,
))]
pub struct Api;
