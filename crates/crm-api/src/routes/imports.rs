//! `/imports` (contract section 10): CSV imports of leads, clients and contacts, written in
//! the background (see `crm_domain::imports`).

use crate::access::SignedIn;
use crate::app::AppState;
use crate::http::ok_etag;
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::files::{file_part, multipart_error, refuse_upload, text_part};
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use crm_domain::imports::{IMPORT_LIST_SPEC, Import, ImportForm, ImportId, ImportUpload};
use crm_domain::{FieldError, ListQuery};
use futures_util::StreamExt;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /imports`.
    Imports = crm_domain::imports::IMPORT_LIST_SPEC, search = "nothing";
}

/// The `multipart/form-data` body of `POST /imports`, for the document (a text part is never
/// `null`: the optional parts are strings that may be left out).
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(example = json!({
    "file": "Full name,email,Notes\nJane Prospect,jane@prospect.example,met at a fair\n",
    "resource": "leads",
    "mapping": "{\"Full name\": \"name\", \"Notes\": null}",
    "on_duplicate": "skip",
    "dry_run": "false"
}))]
pub struct ImportUploadForm {
    /// The CSV (RFC 4180, UTF-8, a byte order mark allowed): a header row naming the
    /// columns, then one row per record. Each column fills the field of the resource's create
    /// body of its name, or the field `mapping` gives it; a column that is neither is `422` on
    /// `file` naming it. Cells are read as the field's type (numbers, `true`/`false`, lists
    /// as `a, b` or a JSON array); an empty cell leaves the field out. At most
    /// `CRM__FILES__MAX_BYTES` (`413` beyond).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What the rows create: `leads`, `clients` or `contacts` (a contact's row names its client
    /// in a `client_id` column). Needs that resource's write permission (`leads:write`,
    /// `clients:write`; `:own` applies to each row as on a create).
    #[schema(pattern = "^(leads|clients|contacts)$")]
    resource: String,
    /// A JSON object `{"csv column": "field"}`; a `null` field leaves the column out.
    #[serde(default)]
    mapping: String,
    /// What a row whose record exists does (leads: an open lead with the row's email; clients
    /// and contacts have no unique key, so none of their rows is a duplicate): `skip` (the
    /// default) counts it in `skipped`, `update` applies the row to it as `PATCH` would,
    /// counted in `updated`.
    #[serde(default)]
    #[schema(pattern = "^(skip|update)$")]
    on_duplicate: String,
    /// `true`: every row is checked and counted, nothing is written but the import.
    #[serde(default)]
    #[schema(pattern = "^(true|false)$")]
    dry_run: String,
}

/// The largest `mapping` part, in bytes.
const MAPPING_MAX: usize = 64 * 1024;

async fn read_parts(
    state: &AppState,
    multipart: &mut Multipart,
    upload: &mut Option<ImportUpload>,
    form: &mut ImportForm,
) -> Result<(), ApiError> {
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" if upload.is_none() => {
                let started = state.imports.start_upload().await?;
                *upload = Some(file_part(&mut field, started).await?);
            }
            "file" => {
                return Err(ApiError::validation(vec![FieldError::new(
                    "file",
                    "invalid",
                    "only one file per import",
                )]));
            }
            "resource" => form.resource = Some(text_part(&mut field, "resource", 64).await?),
            "mapping" => form.mapping = Some(text_part(&mut field, "mapping", MAPPING_MAX).await?),
            "on_duplicate" => {
                form.on_duplicate = Some(text_part(&mut field, "on_duplicate", 64).await?)
            }
            "dry_run" => form.dry_run = Some(text_part(&mut field, "dry_run", 64).await?),
            other => {
                let other = if other.is_empty() { "body" } else { other };
                return Err(ApiError::validation(vec![FieldError::new(
                    other,
                    "unknown",
                    "unknown part: the parts are file, resource, mapping, on_duplicate and dry_run",
                )]));
            }
        }
    }
    Ok(())
}

/// Import a CSV of leads, clients or contacts (`multipart/form-data`). Answers `202` with the
/// import, `queued`; its rows are written in the background, in batches, and
/// `GET /imports/{id}` follows it (`processed_rows` of `total_rows`). Each row is checked
/// exactly as the resource's create route checks a body (the same fields, rules and error
/// messages); a refused row is reported and the others go in. `errors` lists each refusal as
/// `{row, field, message}`, where `row` is the row a spreadsheet shows (the header is row 1,
/// the first data row 2) and `field` the field as the create route names it (`null` for the
/// row as a whole); it keeps the first 1,000 refusals, `failed_rows` counts them all.
/// `422` names the bad part (`file`: missing, not UTF-8 CSV, empty, a column that is no
/// field; `resource`, `mapping`, `on_duplicate`, `dry_run`); `403` without the resource's
/// write permission; `413` over `CRM__FILES__MAX_BYTES`.
#[utoipa::path(post, path = "/imports", tag = "imports",
    request_body(content = ImportUploadForm, content_type = "multipart/form-data"),
    responses((status = 202, description = "Queued", body = Import,
        headers(("Location" = String, description = "The import's URL")))))]
pub async fn create(
    auth: SignedIn,
    state: web::Data<AppState>,
    mut multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let mut upload = None;
    let mut form = ImportForm::default();
    if let Err(e) = read_parts(&state, &mut multipart, &mut upload, &mut form).await {
        return Err(refuse_upload(e, upload, &mut multipart, state.files.max_bytes()).await);
    }
    let import = state.imports.start(&auth.actor, upload, form).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{}", import.id)))
        .insert_header((header::ETAG, format!("\"{}\"", import.version)))
        .json(&import))
}

/// The caller's imports, newest first.
#[utoipa::path(get, path = "/imports", tag = "imports",
    params(Imports),
    responses((status = 200, description = "One page", body = PageDto<Import>)))]
pub async fn list(
    auth: SignedIn,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&IMPORT_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.imports.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |i| i)))
}

/// An import and its progress; only its creator sees it (`404` for anyone else).
#[utoipa::path(get, path = "/imports/{id}", tag = "imports",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The import", body = Import)))]
pub async fn get(
    auth: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let i = state.imports.get(&auth.actor, ImportId(*id)).await?;
    Ok(ok_etag(i.version, &i))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, get), components(schemas(ImportUploadForm)))]
pub struct Api;
