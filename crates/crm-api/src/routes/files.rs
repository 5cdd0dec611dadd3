//! `/files` (contract section 5): multipart uploads streamed to storage, metadata, and
//! downloads with `Range`, `ETag`/`If-None-Match` and `Content-Disposition: attachment`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{FilesDelete, FilesRead, FilesWrite};
use actix_multipart::{Field, Multipart};
use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use crm_domain::files::{
    ChunkSink, DESCRIPTION_MAX, FILE_LIST_SPEC, FileId, FilePatch, StoredFile, Upload, UploadError,
    UploadMeta,
};
use crm_domain::{FieldError, ListQuery};
use futures_util::{StreamExt, TryStreamExt};
use std::ops::Range;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /files`.
    Files = crm_domain::files::FILE_LIST_SPEC, search = "name and description";
}

/// The `multipart/form-data` body of `POST /files`, for the document.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(example = json!({
    "file": "(the file's bytes)",
    "record_type": "lead",
    "record_id": "019c2304-2480-7896-8534-f45738d04900",
    "description": "Signed offer"
}))]
pub struct FileUpload {
    /// The file; its part's `filename` is the stored name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The kind of record to attach the file to (with `record_id`).
    #[schema(schema_with = crm_domain::files::record_type_schema)]
    record_type: Option<String>,
    #[schema(schema_with = uuid_part)]
    record_id: Option<String>,
    #[schema(schema_with = description_part)]
    description: Option<String>,
}

fn uuid_part() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

/// As the patch's description, but a text part is never `null`.
fn description_part() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    let mut s = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>();
    if let utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(o)) = &mut s {
        o.schema_type =
            utoipa::openapi::schema::SchemaType::new(utoipa::openapi::schema::Type::String);
    }
    s
}

pub(crate) fn multipart_error(e: actix_multipart::MultipartError) -> ApiError {
    use actix_multipart::MultipartError as M;
    match e {
        M::ContentTypeMissing | M::ContentTypeParse | M::ContentTypeIncompatible => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "the body must be multipart/form-data with a boundary",
        ),
        e => ApiError::bad_request(format!("malformed multipart body: {e}")),
    }
}

pub(crate) fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!("the file is larger than {max} bytes"),
    )
}

/// The largest text part, in bytes: a description of `DESCRIPTION_MAX` characters of up to
/// four bytes each.
const TEXT_PART_MAX: usize = DESCRIPTION_MAX * 4;

/// A small text part, at most `cap` bytes (`422` on `name` beyond).
pub(crate) async fn text_part(
    field: &mut Field,
    name: &str,
    cap: usize,
) -> Result<String, ApiError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_error)?;
        if buf.len() + chunk.len() > cap {
            return Err(ApiError::validation(vec![FieldError::new(
                name,
                "too_long",
                format!("must be at most {cap} bytes"),
            )]));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| {
        ApiError::validation(vec![FieldError::new(name, "invalid", "must be UTF-8 text")])
    })
}

/// Streams the file part into `upload`; on any failure the upload is gone.
pub(crate) async fn file_part<U: ChunkSink>(
    field: &mut Field,
    mut upload: U,
) -> Result<U, ApiError> {
    while let Some(chunk) = field.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                upload.abort().await;
                return Err(multipart_error(e));
            }
        };
        upload = match upload.write(chunk).await {
            Ok(u) => u,
            Err(UploadError::TooLarge(max)) => return Err(too_large(max)),
            Err(UploadError::Store(e)) => return Err(crm_domain::DomainError::from(e).into()),
        };
    }
    Ok(upload)
}

/// After a `413`: reads (and drops) what the client is still sending, within a bound, so it
/// reads the answer rather than a reset connection. (After an error of the multipart stream
/// itself there is nothing left to read.)
/// After a part was refused: the upload begun is discarded and, after a `413`, the rest of the
/// body read away; answers `e`.
pub(crate) async fn refuse_upload<U: ChunkSink>(
    e: ApiError,
    upload: Option<U>,
    multipart: &mut Multipart,
    max_bytes: u64,
) -> ApiError {
    if let Some(u) = upload {
        u.abort().await;
    }
    drain_refused(&e, multipart, max_bytes).await;
    e
}

async fn drain_refused(e: &ApiError, multipart: &mut Multipart, max_bytes: u64) {
    if e.problem.status != StatusCode::PAYLOAD_TOO_LARGE.as_u16() {
        return;
    }
    let mut left = max_bytes.saturating_mul(2);
    'drain: while left > 0 {
        let Some(Ok(mut f)) = multipart.next().await else {
            break;
        };
        while let Some(c) = f.next().await {
            let Ok(c) = c else { break 'drain };
            left = left.saturating_sub(c.len() as u64);
        }
    }
}

/// Reads every part; the file part is streamed to storage as it arrives.
async fn read_parts(
    state: &AppState,
    auth: &Auth<FilesWrite>,
    multipart: &mut Multipart,
    upload: &mut Option<Upload>,
    meta: &mut UploadMeta,
) -> Result<(), ApiError> {
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" if upload.is_none() => {
                meta.name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .map(str::to_string);
                meta.client_type = field.content_type().map(|m| m.essence_str().to_string());
                let started = state.files.start_upload(&auth.actor).await?;
                *upload = Some(file_part(&mut field, started).await?);
            }
            "file" => {
                return Err(ApiError::validation(vec![FieldError::new(
                    "file",
                    "invalid",
                    "only one file per request",
                )]));
            }
            "record_type" => {
                meta.record_type = Some(text_part(&mut field, "record_type", 64).await?)
            }
            "record_id" => meta.record_id = Some(text_part(&mut field, "record_id", 64).await?),
            "description" => {
                meta.description = Some(text_part(&mut field, "description", TEXT_PART_MAX).await?);
            }
            other => {
                let other = if other.is_empty() { "body" } else { other };
                return Err(ApiError::validation(vec![FieldError::new(
                    other,
                    "unknown",
                    "unknown part: the parts are file, record_type, record_id and description",
                )]));
            }
        }
    }
    Ok(())
}

/// Upload a file (`multipart/form-data`), at most `CRM__FILES__MAX_BYTES` (25 MiB by default).
/// The content type is read from the bytes; the part's own type counts only when the bytes
/// say nothing and it is harmless (`text/plain`, `text/csv`, …).
#[utoipa::path(post, path = "/files", tag = "files",
    request_body(content = FileUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored", body = StoredFile)))]
pub async fn upload(
    auth: Auth<FilesWrite>,
    state: web::Data<AppState>,
    mut multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let mut upload = None;
    let mut meta = UploadMeta::default();
    if let Err(e) = read_parts(&state, &auth, &mut multipart, &mut upload, &mut meta).await {
        return Err(refuse_upload(e, upload, &mut multipart, state.files.max_bytes()).await);
    }
    let f = state.files.finish_upload(&auth.actor, upload, meta).await?;
    Ok(created(format!("/api/v1/files/{}", f.id), f.version, &f))
}

/// Files the caller may see: filtered by `record_type` and `record_id`, that record's files.
#[utoipa::path(get, path = "/files", tag = "files",
    params(Files),
    responses((status = 200, description = "One page", body = PageDto<StoredFile>)))]
pub async fn list(
    auth: Auth<FilesRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&FILE_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.files.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |f| f)))
}

/// A file's metadata.
#[utoipa::path(get, path = "/files/{id}", tag = "files",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file's metadata", body = StoredFile)))]
pub async fn get(
    auth: Auth<FilesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let f = state.files.get(&auth.actor, FileId(*id)).await?;
    Ok(ok_etag(f.version, &f))
}

/// Rename, describe, attach to another record or detach.
#[utoipa::path(patch, path = "/files/{id}", tag = "files", request_body = FilePatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "Changed", body = StoredFile)))]
pub async fn update(
    auth: Auth<FilesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<FilePatch>,
) -> Result<HttpResponse, ApiError> {
    let f = state
        .files
        .update(&auth.actor, FileId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(f.version, &f))
}

/// Delete a file; its bytes go when no other file has them.
#[utoipa::path(delete, path = "/files/{id}", tag = "files",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    auth: Auth<FilesDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.files.delete(&auth.actor, FileId(*id)).await?;
    Ok(no_content())
}

/// What a `Range` header asks of a body of `size` bytes: `None` to send it all (no header, a
/// header this server does not serve, such as several ranges), `Some(Err(()))` when nothing
/// of it can be served (`416`).
fn wanted_range(raw: Option<&HeaderValue>, size: u64) -> Option<Result<Range<u64>, ()>> {
    let spec = raw?.to_str().ok()?.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || size == 0 {
            return Some(Err(()));
        }
        return Some(Ok(size.saturating_sub(n)..size));
    }
    let start: u64 = a.parse().ok()?;
    let end = if b.is_empty() {
        size
    } else {
        let last: u64 = b.parse().ok()?;
        if last < start {
            return None;
        }
        last.saturating_add(1).min(size)
    };
    if start >= size {
        return Some(Err(()));
    }
    Some(Ok(start..end))
}

/// `attachment; filename*=UTF-8''<percent-encoded name>` (RFC 6266, RFC 8187).
fn disposition(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~".
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    format!(
        "attachment; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR)
    )
}

/// The file's bytes, always as an attachment and never sniffed by the browser. `ETag` is the
/// sha256; `If-None-Match` answers `304`; one `Range` answers `206` (`416` beyond the end).
#[utoipa::path(get, path = "/files/{id}/content", tag = "files",
    params(("id" = Uuid, Path),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of a copy the client holds")),
    responses(
        (status = 200, description = "The bytes, with the file's content type", content_type = "*/*", body = Vec<u8>,
            headers(("Content-Disposition" = String), ("ETag" = String), ("X-Content-Type-Options" = String))),
        (status = 206, description = "The requested range", content_type = "*/*", body = Vec<u8>,
            headers(("Content-Range" = String))),
        (status = 304, description = "The client's copy is current"),
        (status = 416, description = "The range lies beyond the end of the file", body = crate::problem::Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn content(
    auth: Auth<FilesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let f = state.files.get(&auth.actor, FileId(*id)).await?;
    let etag = format!("\"{}\"", f.sha256);
    if crate::http::none_match(req.headers().get(header::IF_NONE_MATCH), &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let size = u64::try_from(f.size).unwrap_or(0);
    let range = match wanted_range(req.headers().get(header::RANGE), size) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(())) => {
            let e = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range-not-satisfiable",
                format!("the file has {size} bytes"),
            );
            let mut res = actix_web::ResponseError::error_response(&e);
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(res);
        }
    };
    let stream = state.files.content(&f, range.clone()).await?;
    let body = stream.map_err(|e| std::io::Error::other(e.to_string()));
    let mut res = match &range {
        Some(r) => {
            let mut b = HttpResponse::PartialContent();
            b.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end - 1),
            ));
            b
        }
        None => HttpResponse::Ok(),
    };
    let len = range.as_ref().map_or(size, |r| r.end - r.start);
    Ok(res
        .insert_header((header::CONTENT_TYPE, content_type_header(&f)))
        .insert_header((header::CONTENT_DISPOSITION, disposition(&f.name)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, etag))
        .body(SizedStream::new(len, body.boxed_local())))
}

fn content_type_header(f: &StoredFile) -> HeaderValue {
    HeaderValue::from_str(&f.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(upload, list, get, update, delete, content),
    components(schemas(FileUpload))
)]
pub struct Api;

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderValue {
        HeaderValue::from_str(v).unwrap()
    }

    #[test]
    fn ranges() {
        assert_eq!(wanted_range(Some(&h("bytes=0-9")), 100), Some(Ok(0..10)));
        assert_eq!(wanted_range(Some(&h("bytes=90-")), 100), Some(Ok(90..100)));
        assert_eq!(wanted_range(Some(&h("bytes=-5")), 100), Some(Ok(95..100)));
        assert_eq!(
            wanted_range(Some(&h("bytes=50-500")), 100),
            Some(Ok(50..100))
        );
        assert_eq!(wanted_range(Some(&h("bytes=100-")), 100), Some(Err(())));
        assert_eq!(wanted_range(Some(&h("bytes=0-1,5-6")), 100), None);
        assert_eq!(wanted_range(Some(&h("items=0-1")), 100), None);
        assert_eq!(wanted_range(None, 100), None);
    }

    #[test]
    fn names_are_percent_encoded_in_the_disposition() {
        assert_eq!(
            disposition("résumé 1.pdf"),
            "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf"
        );
        assert_eq!(
            disposition("a\"b;c.txt"),
            "attachment; filename*=UTF-8''a%22b%3Bc.txt"
        );
    }

    #[test]
    fn if_none_match_lists() {
        assert!(crate::http::none_match(Some(&h("\"a\", \"b\"")), "\"b\""));
        assert!(crate::http::none_match(Some(&h("*")), "\"b\""));
        assert!(!crate::http::none_match(Some(&h("\"a\"")), "\"b\""));
    }
}
