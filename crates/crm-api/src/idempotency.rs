//! `Idempotency-Key` on every `POST` (contract section 2), as one middleware rather than per
//! handler: the key is claimed in the database before the handler runs (a concurrent duplicate
//! finds the claim: `409`), the answer is stored after it (a later duplicate gets it again with
//! `Idempotent-Replayed: true`), and a `5xx` answer is not stored (the retry runs again).
//!
//! Keys belong to the authenticated user of the token; a request without a valid token is
//! passed through untouched (its route is public, or it is answered `401`): replaying a public
//! route's answer to whoever sends the same key would hand one caller's answer (a login's
//! tokens) to another.

use crate::auth::AuthContext;
use crate::problem::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use crm_domain::idempotency::{Claim, IdempotencyStore, KeyScope, StoredAnswer, valid_key};
use crm_domain::kernel::clock;
use crm_domain::{FieldError, OrganizationId, UserId};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// What the middleware needs, as app data.
#[derive(Clone)]
pub struct Idempotency {
    pub store: Arc<dyn IdempotencyStore>,
    /// Requests with a larger body are refused (`413`), as the body extractor would...
    pub max_body_bytes: usize,
    /// ...but for `multipart/form-data` (file uploads), whose bodies up to this size are
    /// spooled to a temporary file while hashed, and handed on from there: memory stays flat
    /// whatever the size of the upload.
    pub max_spool_bytes: u64,
}

/// A body read by the middleware: in memory, or (multipart bodies over the JSON limit) in an
/// unlinked temporary file.
enum Held {
    Memory(Bytes),
    Spooled(tokio::fs::File),
}

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!("the body is larger than {max} bytes"),
    )
}

fn is_multipart(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Reads the body while hashing it: `Err` is the answer to give instead.
async fn read_body(
    payload: &mut Payload,
    hasher: &mut Sha256,
    memory_max: usize,
    spool_max: Option<u64>,
) -> Result<Held, ApiError> {
    use tokio::io::AsyncWriteExt;
    let io = |e: std::io::Error| {
        tracing::error!(error = %e, "idempotency: cannot spool the body");
        ApiError::internal()
    };
    let mut body = BytesMut::new();
    let mut spool: Option<(tokio::fs::File, tokio::fs::File)> = None;
    let mut total: u64 = 0;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(e.to_string()))?;
        total += chunk.len() as u64;
        hasher.update(&chunk);
        if let Some((writer, _)) = spool.as_mut() {
            let max = spool_max.unwrap_or_default();
            if total > max {
                return Err(too_large(max));
            }
            writer.write_all(&chunk).await.map_err(io)?;
            continue;
        }
        if body.len() + chunk.len() <= memory_max {
            body.extend_from_slice(&chunk);
            continue;
        }
        let Some(max) = spool_max else {
            return Err(too_large(memory_max as u64));
        };
        if total > max {
            return Err(too_large(max));
        }
        let path = std::env::temp_dir().join(format!("crm-body-{}", uuid::Uuid::now_v7()));
        let mut writer = tokio::fs::File::create(&path).await.map_err(io)?;
        let reader = tokio::fs::File::open(&path).await;
        // Unlinked at once: the open handles keep the bytes, and neither an error nor a crash
        // leaves the file behind.
        let _ = tokio::fs::remove_file(&path).await;
        let reader = reader.map_err(io)?;
        writer.write_all(&body).await.map_err(io)?;
        writer.write_all(&chunk).await.map_err(io)?;
        body = BytesMut::new();
        spool = Some((writer, reader));
    }
    match spool {
        Some((mut writer, reader)) => {
            writer.flush().await.map_err(io)?;
            Ok(Held::Spooled(reader))
        }
        None => Ok(Held::Memory(body.freeze())),
    }
}

/// The held body as the handler's payload.
fn payload_of(held: Held) -> Payload {
    match held {
        Held::Memory(b) => Payload::from(b),
        Held::Spooled(file) => {
            use tokio::io::AsyncReadExt;
            let stream = futures_util::stream::unfold(file, |mut f| async move {
                let mut buf = BytesMut::zeroed(64 * 1024);
                match f.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(buf.freeze()), f))
                    }
                    Err(e) => Some((Err(actix_web::error::PayloadError::Io(e)), f)),
                }
            });
            Payload::Stream {
                payload: Box::pin(stream.fuse()),
            }
        }
    }
}

fn problem(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(e.error_response())
}

/// The key's owner, from a valid access token.
fn caller(req: &ServiceRequest) -> Option<(OrganizationId, UserId)> {
    let ctx = req.app_data::<web::Data<AuthContext>>()?;
    let claims = ctx.keys.verify(crate::auth::bearer_token(req.headers())?)?;
    Some((OrganizationId(claims.org), UserId(claims.sub)))
}

/// The request as the key promises it: method, path with query, and (fed as it is read) body.
fn request_hasher(method: &Method, target: &str) -> Sha256 {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(target.as_bytes());
    h.update(b"\n");
    h
}

#[cfg(test)]
fn request_hash(method: &Method, target: &str, body: &[u8]) -> String {
    let mut h = request_hasher(method, target);
    h.update(body);
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn replay(req: ServiceRequest, a: StoredAnswer) -> ServiceResponse<BoxBody> {
    let mut res = HttpResponse::build(StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK));
    let mut set = |name: HeaderName, v: Option<String>| {
        if let Some(v) = v.and_then(|v| HeaderValue::from_str(&v).ok()) {
            res.insert_header((name, v));
        }
    };
    set(header::CONTENT_TYPE, a.content_type);
    set(header::LOCATION, a.location);
    set(header::ETAG, a.etag);
    res.insert_header((HeaderName::from_static(REPLAYED), "true"));
    req.into_response(res.body(a.body))
}

fn header_text(res: &HttpResponse<BoxBody>, name: HeaderName) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(raw) = req.headers().get(HEADER) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.method() != Method::POST {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = match raw.to_str() {
        Ok(k) if valid_key(k) => k.to_string(),
        _ => {
            let e = ApiError::validation(vec![FieldError::new(
                "Idempotency-Key",
                "invalid",
                "must be 1 to 255 visible ASCII characters",
            )]);
            return Ok(problem(req, e));
        }
    };
    let (Some((org, user)), Some(cfg)) = (
        caller(&req),
        req.app_data::<web::Data<Idempotency>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // The body, read once here and handed on to the handler unchanged.
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_string(), |pq| pq.as_str().to_string());
    let mut hasher = request_hasher(req.method(), &target);
    let spool_max = is_multipart(&req).then_some(cfg.max_spool_bytes);
    let mut payload = req.take_payload();
    let held = match read_body(&mut payload, &mut hasher, cfg.max_body_bytes, spool_max).await {
        Ok(h) => h,
        Err(e) => return Ok(problem(req, e)),
    };
    let hash = hex(&hasher.finalize());
    let scope = KeyScope {
        organization_id: org,
        user_id: user,
        key,
    };
    let claim = match cfg.store.claim(&scope, &hash, clock::now()).await {
        Ok(c) => c,
        Err(e) => {
            return Ok(problem(
                req,
                ApiError::from(crm_domain::DomainError::from(e)),
            ));
        }
    };
    match claim {
        Claim::Run => {}
        Claim::InProgress => {
            let e = ApiError::new(
                StatusCode::CONFLICT,
                "idempotency-key-in-use",
                "a request with this Idempotency-Key is still being processed",
            );
            return Ok(problem(req, e));
        }
        Claim::Reused => {
            let e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "this Idempotency-Key was used for a different request",
            );
            return Ok(problem(req, e));
        }
        Claim::Answered(a) => return Ok(replay(req, a)),
    }
    req.set_payload(payload_of(held));
    let res = next.call(req).await?.map_into_boxed_body();
    let (req, res) = res.into_parts();
    let status = res.status();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let res = head.set_body(BoxBody::new(bytes.clone()));
    let text = String::from_utf8(bytes.to_vec()).ok();
    let stored = match text {
        // A server error is not kept: the retry runs again.
        Some(body) if !status.is_server_error() => {
            let answer = StoredAnswer {
                status: status.as_u16(),
                body,
                content_type: header_text(&res, header::CONTENT_TYPE),
                location: header_text(&res, header::LOCATION),
                etag: header_text(&res, header::ETAG),
            };
            cfg.store.complete(&scope, &answer, clock::now()).await
        }
        _ => cfg.store.release(&scope).await,
    };
    if let Err(e) = stored {
        // The request was answered; only its replay is lost (a retry after the claim is
        // abandoned runs again). Said in the log, not to the client.
        tracing::warn!(error = %e, "idempotency key: the answer could not be stored");
    }
    Ok(ServiceResponse::new(req, res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_method_target_and_body() {
        let a = request_hash(&Method::POST, "/api/v1/leads", b"{\"name\":\"a\"}");
        assert_eq!(a.len(), 64);
        assert_eq!(
            a,
            request_hash(&Method::POST, "/api/v1/leads", b"{\"name\":\"a\"}")
        );
        assert_ne!(
            a,
            request_hash(&Method::POST, "/api/v1/leads", b"{\"name\":\"b\"}")
        );
        assert_ne!(
            a,
            request_hash(&Method::POST, "/api/v1/deals", b"{\"name\":\"a\"}")
        );
        assert_ne!(
            a,
            request_hash(&Method::PUT, "/api/v1/leads", b"{\"name\":\"a\"}")
        );
    }
}
