//! `/notifications`, `/notification-preferences` and the live stream (contract section 5).
//! Every route is the caller's own: any signed-in user, their notifications only.

use crate::access::{Access, Declared, SignedIn};
use crate::app::AppState;
use crate::auth::Authenticated;
use crate::http::{Body, no_content};
use crate::notification_streams::Subscription;
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use crm_domain::kernel::clock;
use crm_domain::notifications::{
    NOTIFICATION_LIST_SPEC, Notification, NotificationService, Preferences, Recipient,
    StreamTicket, UnreadCount, Updated,
};
use crm_domain::{DomainError, FieldError, ListQuery};
use futures_util::future::LocalBoxFuture;
use std::collections::VecDeque;
use std::time::Duration;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /notifications`.
    Notifications = crm_domain::notifications::NOTIFICATION_LIST_SPEC, search = "nothing";
}

/// The caller's notifications, newest first; `unread=true` keeps the unread ones.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(Notifications,
        ("unread" = Option<bool>, Query, description = "`true`: only unread notifications")),
    responses((status = 200, description = "One page", body = PageDto<Notification>)))]
pub async fn list(
    who: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let mut unread = false;
    let mut bad = Vec::new();
    for (k, v) in query.iter().filter(|(k, _)| k == "unread") {
        match v.as_str() {
            "true" => unread = true,
            "false" => unread = false,
            _ => bad.push(FieldError {
                field: k.clone(),
                code: "invalid".into(),
                message: "must be true or false".into(),
            }),
        }
    }
    let q = ListQuery::parse_with(&NOTIFICATION_LIST_SPEC, &query, &["unread"]);
    let q = match q {
        Ok(q) if bad.is_empty() => q,
        Ok(_) => return Err(ApiError::validation(bad)),
        Err(mut e) => {
            e.extend(bad);
            return Err(ApiError::validation(e));
        }
    };
    let page = state.notifications.list(&who.actor, unread, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |n| n)))
}

#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications",
    responses((status = 200, description = "How many are unread", body = UnreadCount)))]
pub async fn unread_count(
    who: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.notifications.unread_count(&who.actor).await?))
}

/// Marks one read (a second call keeps the first `read_at`).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The notification", body = Notification)))]
pub async fn read(
    who: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let n = state
        .notifications
        .read(&who.actor, *id, clock::now())
        .await?;
    Ok(HttpResponse::Ok().json(n))
}

#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, description = "How many were marked read", body = Updated)))]
pub async fn read_all(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .notifications
            .read_all(&who.actor, clock::now())
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/notifications/{id}", tag = "notifications",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    who: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.notifications.delete(&who.actor, *id).await?;
    Ok(no_content())
}

/// Every notification type with the caller's choice (default: in the app, no mail).
#[utoipa::path(get, path = "/api/v1/notification-preferences", tag = "notifications",
    responses((status = 200, description = "Every notification type", body = Preferences)))]
pub async fn preferences(
    who: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.notifications.preferences(&who.actor).await?))
}

/// Sets the choices of the listed types (others keep theirs); answers every type.
#[utoipa::path(put, path = "/api/v1/notification-preferences", tag = "notifications",
    request_body = Preferences,
    responses((status = 200, description = "Every notification type", body = Preferences)))]
pub async fn set_preferences(
    who: SignedIn,
    state: web::Data<AppState>,
    body: Body<Preferences>,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .notifications
        .set_preferences(&who.actor, body.parse()?, clock::now())
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// A single-use ticket, valid 60 s, for `GET /notifications/stream?ticket=` (browsers'
/// `EventSource` cannot send a header).
#[utoipa::path(post, path = "/api/v1/notifications/stream-tickets", tag = "notifications",
    responses((status = 201, description = "The ticket (shown once)", body = StreamTicket)))]
pub async fn create_ticket(
    who: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let t = state
        .notifications
        .create_ticket(&who.actor, clock::now())
        .await?;
    Ok(HttpResponse::Created().json(t))
}

/// Whom a stream is for: the bearer token's user, or a stream ticket's (`?ticket=`).
pub struct StreamCaller(pub Recipient);

impl FromRequest for StreamCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let ticket = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .ok()
            .and_then(|q| {
                q.iter()
                    .find(|(k, _)| k == "ticket")
                    .map(|(_, v)| v.clone())
            });
        let Some(ticket) = ticket else {
            let fut = Authenticated::from_request(req, payload);
            return Box::pin(async move {
                let a = fut.await?.actor;
                Ok(StreamCaller(Recipient {
                    organization_id: a.organization_id,
                    user_id: a.user_id,
                }))
            });
        };
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(ApiError::internal)?;
            let who = state
                .notifications
                .redeem_ticket(&ticket, clock::now())
                .await?;
            Ok(StreamCaller(who))
        })
    }
}

impl Declared for StreamCaller {
    fn access() -> Access {
        Access::SignedIn
    }
}

/// The missed notifications replayed on resume, at most.
const REPLAY: u64 = 1000;

/// Server-Sent Events of the caller's new notifications: `id:` the notification id, `event:`
/// its type, `data:` the notification; a comment line at least every 20 s. `Last-Event-ID`
/// first replays what came after that id. A user holds at most a few streams (`429` beyond).
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications",
    params(
        ("ticket" = Option<String>, Query, description = "A ticket from `POST /notifications/stream-tickets`, instead of the `Authorization` header"),
        ("Last-Event-ID" = Option<Uuid>, Header, description = "Resume after this notification"),
    ),
    responses((status = 200, description = "`text/event-stream`", content_type = "text/event-stream", body = String)))]
pub async fn stream(
    caller: StreamCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let who = caller.0;
    let last = match req.headers().get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| Uuid::parse_str(s.trim()).ok())
                .ok_or_else(|| {
                    ApiError::from(DomainError::invalid(
                        "Last-Event-ID",
                        "invalid",
                        "must be a notification id",
                    ))
                })?,
        ),
    };
    if state.streams.is_closing() {
        return Err(DomainError::Unavailable("the server is stopping".into()).into());
    }
    // Subscribed before the replay is read, so nothing falls between the two.
    let sub = state
        .streams
        .subscribe(who.user_id)
        .ok_or(DomainError::RateLimited {
            retry_after_secs: 5,
        })?;
    let mut s = SseState {
        sub,
        service: state.notifications.clone(),
        who,
        pending: VecDeque::from([Bytes::from_static(b": connected\n\n")]),
        sent: VecDeque::new(),
        last: Some(last.unwrap_or_else(Uuid::now_v7)),
        keepalive: tokio::time::interval_at(
            tokio::time::Instant::now() + state.keepalive,
            state.keepalive,
        ),
    };
    if let Some(after) = last {
        for n in state.notifications.after(who, after, REPLAY).await? {
            s.push(&n);
        }
    }
    let body = futures_util::stream::unfold(s, |mut s| async move {
        s.next().await.map(|b| (Ok::<_, actix_web::Error>(b), s))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// Ids already sent, so a notification seen twice (replay and live) is framed once.
const REMEMBERED: usize = 256;

struct SseState {
    sub: Subscription,
    service: NotificationService,
    who: Recipient,
    pending: VecDeque<Bytes>,
    sent: VecDeque<Uuid>,
    /// The newest notification sent (or resumed after).
    last: Option<Uuid>,
    keepalive: tokio::time::Interval,
}

impl SseState {
    fn push(&mut self, n: &Notification) {
        if self.sent.contains(&n.id) {
            return;
        }
        if self.sent.len() == REMEMBERED {
            self.sent.pop_front();
        }
        self.sent.push_back(n.id);
        self.last = self.last.max(Some(n.id));
        let data = serde_json::to_string(n).unwrap_or_default();
        self.pending.push_back(Bytes::from(format!(
            "id: {}\nevent: {}\ndata: {data}\n\n",
            n.id, n.r#type
        )));
    }

    /// The next bytes to send; `None` ends the stream (server stopping).
    async fn next(&mut self) -> Option<Bytes> {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            if *self.sub.closing.borrow() {
                return None;
            }
            if let Some(b) = self.pending.pop_front() {
                return Some(b);
            }
            tokio::select! {
                _ = self.sub.closing.changed() => return None,
                _ = self.keepalive.tick() => return Some(Bytes::from_static(b": keepalive\n\n")),
                r = self.sub.rx.recv() => match r {
                    Ok(n) => self.push(&n),
                    Err(RecvError::Lagged(_)) => {
                        // Too slow for the in-memory buffer: catch up from the table.
                        let after = self.last.unwrap_or_else(Uuid::now_v7);
                        match self.service.after(self.who, after, REPLAY).await {
                            Ok(list) => list.iter().for_each(|n| self.push(n)),
                            Err(e) => tracing::warn!(error = %e, "stream catch-up failed"),
                        }
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// The keep-alive interval of the streams (`CRM__NOTIFICATIONS__KEEPALIVE_SECS`, 1 to 20).
pub fn keepalive(secs: u64) -> Duration {
    Duration::from_secs(secs.clamp(1, 20))
}
