//! Messages: `GET|POST /conversations/{id}/messages`, `PATCH|DELETE /messages/{id}`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, no_content};
use crate::problem::ApiError;
use crate::routes::perms::{MessagesDelete, MessagesRead, MessagesWrite};
use actix_web::{HttpResponse, web};
use crm_domain::FieldError;
use crm_messages::{
    ConversationId, Message, MessageId, MessageInput, MessagePage, MessagePatch, PAGE_DEFAULT,
    PAGE_MAX, Window,
};
use uuid::Uuid;

/// `GET /conversations/{id}/messages`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct WindowParams {
    /// Only messages older than this message id (the last id of a newest-first page).
    before: Option<Uuid>,
    /// Only messages newer than this message id; the page is then oldest first.
    after: Option<Uuid>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The window the query asks for; `422` naming each bad parameter.
fn window(query: &[(String, String)]) -> Result<Window, ApiError> {
    let mut errors = Vec::new();
    let mut one = |name: &str| -> Option<String> {
        let mut values = query.iter().filter(|(k, _)| k == name);
        let (_, v) = values.next()?;
        if values.next().is_some() {
            errors.push(FieldError::new(name, "invalid", "given more than once"));
            return None;
        }
        if let Err(e) = crm_domain::kernel::pagination::check_query_value(name, v) {
            errors.push(e);
            return None;
        }
        Some(v.trim().to_string())
    };
    let before = one("before");
    let after = one("after");
    let limit = one("limit");
    let id = |name: &str, v: Option<String>, errors: &mut Vec<FieldError>| {
        v.and_then(|v| match Uuid::parse_str(&v) {
            Ok(u) => Some(MessageId(u)),
            Err(_) => {
                errors.push(FieldError::new(
                    name,
                    "invalid",
                    "must be a message id (UUID)",
                ));
                None
            }
        })
    };
    let before = id("before", before, &mut errors);
    let after = id("after", after, &mut errors);
    let limit = match limit {
        None => PAGE_DEFAULT,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=PAGE_MAX).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    "invalid",
                    format!("must be an integer from 1 to {PAGE_MAX}"),
                ));
                PAGE_DEFAULT
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Window {
        before,
        after,
        limit,
    })
}

/// A window of the conversation's messages by id: newest first, older than `before` if
/// given; with `after`, the messages after it, oldest first. Deleted messages keep their
/// place (`deleted: true`, empty body). Ids grow in commit order, so paging either way
/// never skips nor repeats a message while others write.
#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "messages",
    params(("id" = Uuid, Path), WindowParams),
    responses((status = 200, description = "One window", body = MessagePage)))]
pub async fn list_messages(
    auth: Auth<MessagesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let w = window(&query)?;
    let page = state
        .messages
        .messages
        .list(&auth.actor, ConversationId(*id), w)
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Sends a message (`body` 1–10,000 characters, `file_ids` the caller may read). The same
/// `client_message_id` from the same author in this conversation again: `200` with the
/// message already sent. The other members are notified (`message.created`).
#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "messages",
    request_body = MessageInput,
    params(("id" = Uuid, Path)),
    responses(
        (status = 201, description = "Sent", body = Message),
        (status = 200, description = "Already sent with this client_message_id", body = Message),
    ))]
pub async fn send_message(
    auth: Auth<MessagesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<MessageInput>,
) -> Result<HttpResponse, ApiError> {
    let id = ConversationId(*id);
    let svc = &state.messages.messages;
    svc.check_open(&auth.actor, id).await?;
    let (m, created) = svc.send(&auth.actor, id, body.parse()?).await?;
    if created {
        // No `Location`: a message is read in its conversation's window, not on its own.
        Ok(HttpResponse::Created().json(m))
    } else {
        Ok(HttpResponse::Ok().json(m))
    }
}

/// The author edits a message's body (stamps `edited_at`); 403 for anyone else, 409
/// `message-deleted` once deleted.
#[utoipa::path(patch, path = "/messages/{id}", tag = "messages",
    request_body = MessagePatch,
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The edited message", body = Message)))]
pub async fn edit_message(
    auth: Auth<MessagesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<MessagePatch>,
) -> Result<HttpResponse, ApiError> {
    let id = MessageId(*id);
    let svc = &state.messages.messages;
    svc.check_message(&auth.actor, id).await?;
    let m = svc.edit(&auth.actor, id, body.parse()?).await?;
    Ok(HttpResponse::Ok().json(m))
}

/// The author, or an administrator (`messages:delete` over all records), deletes a message:
/// it stays in its place, `deleted: true` with an empty body and no files.
#[utoipa::path(delete, path = "/messages/{id}", tag = "messages",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_message(
    auth: Auth<MessagesDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .messages
        .messages
        .delete(&auth.actor, MessageId(*id))
        .await?;
    Ok(no_content())
}
