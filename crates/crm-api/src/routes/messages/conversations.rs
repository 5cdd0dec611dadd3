//! `/conversations`: the caller's conversations, their members and read marks.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, no_content};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{MessagesRead, MessagesWrite};
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use crm_domain::UserId;
use crm_domain::kernel::pagination::ListQuery;
use crm_messages::{
    CONVERSATION_LIST_SPEC, ConversationId, ConversationInput, ConversationMemberInput,
    ConversationView, ReadInput, ReadMark,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /conversations`.
    Conversations = crm_messages::CONVERSATION_LIST_SPEC, search = "";
}

/// The caller's conversations, latest activity first, each with its members, last message
/// and the caller's unread count. A record's thread is listed while the caller may read the
/// record.
#[utoipa::path(get, path = "/conversations", tag = "messages",
    params(Conversations),
    responses((status = 200, description = "One page", body = PageDto<ConversationView>)))]
pub async fn list_conversations(
    auth: Auth<MessagesRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&CONVERSATION_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.messages.conversations.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |c| c)))
}

/// `direct` (`member_ids`: one other user; the pair's conversation if it exists, `200`),
/// `group` (`title`, `member_ids`), or `record` (`record_type`, `record_id`: a record the
/// caller may read; its thread if it exists, `200`, which the caller then joins).
#[utoipa::path(post, path = "/conversations", tag = "messages",
    request_body = ConversationInput,
    responses(
        (status = 201, description = "Created", body = ConversationView),
        (status = 200, description = "The pair's direct conversation, or the record's thread, already there", body = ConversationView),
    ))]
pub async fn create_conversation(
    auth: Auth<MessagesWrite>,
    state: web::Data<AppState>,
    body: Body<ConversationInput>,
) -> Result<HttpResponse, ApiError> {
    let (c, created) = state
        .messages
        .conversations
        .create(&auth.actor, body.parse()?)
        .await?;
    if created {
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/conversations/{}", c.id)))
            .json(c))
    } else {
        Ok(HttpResponse::Ok().json(c))
    }
}

/// A conversation the caller belongs to (a record's thread: one whose record the caller
/// may read); 404 for everybody else.
#[utoipa::path(get, path = "/conversations/{id}", tag = "messages",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The conversation", body = ConversationView)))]
pub async fn get_conversation(
    auth: Auth<MessagesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let c = state
        .messages
        .conversations
        .get(&auth.actor, ConversationId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

/// A member of a group adds a user of the organization (again: nothing changes). 409
/// `conversation-not-group` for direct conversations and records' threads.
#[utoipa::path(post, path = "/conversations/{id}/members", tag = "messages",
    request_body = ConversationMemberInput,
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The conversation with its members", body = ConversationView)))]
pub async fn add_conversation_member(
    auth: Auth<MessagesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<ConversationMemberInput>,
) -> Result<HttpResponse, ApiError> {
    let id = ConversationId(*id);
    let svc = &state.messages.conversations;
    svc.check_open(&auth.actor, id).await?;
    let c = svc.add_member(&auth.actor, id, body.parse()?).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// A member of a group removes a member (themselves: leaving); 404 when `user_id` is no
/// member. 409 `conversation-not-group` for direct conversations and records' threads.
#[utoipa::path(delete, path = "/conversations/{id}/members/{user_id}", tag = "messages",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn remove_conversation_member(
    auth: Auth<MessagesWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user) = path.into_inner();
    state
        .messages
        .conversations
        .remove_member(&auth.actor, ConversationId(id), UserId(user))
        .await?;
    Ok(no_content())
}

/// Moves the caller's read mark to `message_id` (a message of this conversation), never
/// backwards; answers the mark and the unread count after it.
#[utoipa::path(post, path = "/conversations/{id}/read", tag = "messages",
    request_body = ReadInput,
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The caller's read mark", body = ReadMark)))]
pub async fn mark_conversation_read(
    auth: Auth<MessagesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<ReadInput>,
) -> Result<HttpResponse, ApiError> {
    let id = ConversationId(*id);
    let svc = &state.messages.conversations;
    svc.check_open(&auth.actor, id).await?;
    let mark = svc.read(&auth.actor, id, body.parse()?).await?;
    Ok(HttpResponse::Ok().json(mark))
}
