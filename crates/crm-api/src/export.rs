//! CSV exports of lists (contract section 10): `GET /{list}/export?<the list's filters and
//! sort>` answers `text/csv` (RFC 4180, UTF-8) with a header row of the list item's JSON field
//! names and one row per item the list would return.
//!
//! One mechanism for every exported list: the route builder's [`Routes::export`] takes the
//! list's permission, spec and use case (a [`Fetch`]: the same service call its list handler
//! makes), so an export answers exactly what walking the list page by page would, with its
//! tenancy, `:own` scope, `403` and `422`. The body is streamed: the handler reads the first
//! page (so a missing parent or a refused filter is still a proper problem answer), then each
//! further page is read only when the response has sent the previous one, through the list's
//! own keyset cursor, [`Limit::EXPORT`] rows at a time. Memory holds one page whatever the row
//! count, and the first bytes leave before the last row is read.
//!
//! Cells: strings as they are, numbers as numbers, booleans `true`/`false`, `null` empty,
//! arrays and objects as compact JSON. A text cell that starts with `=`, `+`, `-`, `@`, a tab
//! or a carriage return gets a leading `'`, so a spreadsheet shows it instead of running it as
//! a formula (numbers are never prefixed: `-2` stays a number).
//!
//! A failure after the status line was sent (the database gone mid-export) ends the body with
//! an error: the connection is closed without the last chunk of the chunked transfer, so the
//! client sees a truncated transfer, never a shorter CSV that looks complete.

use crate::access::{Auth, Requirement, Routes};
use crate::app::AppState;
use crate::problem::ApiError;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, HttpResponseBuilder};
use crm_domain::kernel::pagination::{Cursor, Limit, ListSpec};
use crm_domain::{Actor, DomainError, FieldError, ListQuery, Page};
use futures_util::future::LocalBoxFuture;
use futures_util::stream::{self, Stream};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// What an export's use case is called with: the worker's state, the caller, and the ids of
/// the route's path (a client's id for its contacts; empty for a top-level list).
pub struct Ctx {
    pub state: web::Data<AppState>,
    pub actor: Actor,
    pub path: Vec<Uuid>,
}

impl Ctx {
    /// The first id of the path (`{id}`); `404` when the route has none, which a route
    /// declaring it cannot reach.
    pub fn parent(&self) -> Result<Uuid, DomainError> {
        self.path.first().copied().ok_or(DomainError::NotFound)
    }
}

/// One page of the list for a query: the list's own use case (`C` is what it is called
/// with: [`Ctx`] in the server).
pub type Fetch<T, C = Ctx> =
    for<'a> fn(&'a C, &'a ListQuery) -> LocalBoxFuture<'a, Result<Page<T>, DomainError>>;

/// The list parameters an export does not take: it walks every page itself and counts nothing.
pub const NOT_EXPORT_PARAMETERS: &[&str] = &["limit", "cursor", "count"];

impl Routes {
    /// `GET path` (the list's path with `/export`): the CSV of the list `spec` whose pages
    /// `fetch` reads, under the list's permission `P`; `name` starts the file's name
    /// (`leads-2026-12-07.csv`).
    pub fn export<P, T>(
        self,
        path: &str,
        name: &'static str,
        spec: &'static ListSpec,
        fetch: Fetch<T>,
    ) -> Self
    where
        P: Requirement + 'static,
        T: Serialize + utoipa::PartialSchema + 'static,
    {
        self.get(
            path,
            move |auth: Auth<P>,
                  state: web::Data<AppState>,
                  ids: web::Path<Vec<Uuid>>,
                  query: web::Query<Vec<(String, String)>>| async move {
                let ctx = Ctx {
                    state,
                    actor: auth.actor,
                    path: ids.into_inner(),
                };
                respond(ctx, name, spec, &query, fetch).await
            },
        )
        .mark_export()
    }
}

/// The [`Fetch`] of a list whose use case is `state.<module>.<service>.list(actor, query)`.
macro_rules! list_of {
    ($module:ident . $svc:ident) => {
        |c, q| Box::pin(c.state.$module.$svc.list(&c.actor, q))
    };
}
pub(crate) use list_of;

/// Parses an export's query: the list's, without paging and counting.
pub fn parse(spec: &ListSpec, params: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let mut errors = Vec::new();
    let mut kept = Vec::with_capacity(params.len());
    for (k, v) in params {
        if NOT_EXPORT_PARAMETERS.contains(&k.as_str()) {
            errors.push(FieldError::new(
                k.as_str(),
                "unknown_parameter",
                format!("{k} is not a parameter of an export (it returns every row)"),
            ));
        } else {
            kept.push((k.clone(), v.clone()));
        }
    }
    let parsed = ListQuery::parse(spec, &kept);
    match parsed {
        Ok(mut q) if errors.is_empty() => {
            q.limit = Limit::export();
            q.count = false;
            q.cursor = None;
            Ok(q)
        }
        Ok(_) => Err(ApiError::validation(errors)),
        Err(mut more) => {
            more.extend(errors);
            Err(ApiError::validation(more))
        }
    }
}

async fn respond<T: Serialize + utoipa::PartialSchema + 'static>(
    ctx: Ctx,
    name: &'static str,
    spec: &'static ListSpec,
    params: &[(String, String)],
    fetch: Fetch<T>,
) -> Result<HttpResponse, ApiError> {
    let query = parse(spec, params)?;
    // The first page before the status line: every refusal of the use case is a problem answer.
    let first = fetch(&ctx, &query).await?;
    let date = chrono::Utc::now().date_naive();
    Ok(csv_response(HttpResponse::Ok())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-{date}.csv\""),
        ))
        .streaming(rows(ctx, query, first, fetch)))
}

/// The `Content-Type` of every export.
pub fn csv_response(mut b: HttpResponseBuilder) -> HttpResponseBuilder {
    b.content_type("text/csv; charset=utf-8");
    b
}

enum Step<T> {
    Page(Page<T>),
    Next(Cursor),
    Done,
}

struct Walk<T, C> {
    ctx: C,
    query: ListQuery,
    fetch: Fetch<T, C>,
    columns: Option<Vec<String>>,
    step: Step<T>,
}

/// The body: the header with the first page, then one chunk per page, read as the response
/// asks for more.
fn rows<T: Serialize + utoipa::PartialSchema + 'static, C: 'static>(
    ctx: C,
    query: ListQuery,
    first: Page<T>,
    fetch: Fetch<T, C>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + 'static {
    let walk = Walk {
        ctx,
        query,
        fetch,
        columns: None,
        step: Step::Page(first),
    };
    stream::unfold(walk, |mut w| async move {
        let page = match std::mem::replace(&mut w.step, Step::Done) {
            Step::Done => return None,
            Step::Page(p) => p,
            Step::Next(cursor) => {
                w.query.cursor = Some(cursor);
                match (w.fetch)(&w.ctx, &w.query).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "export: a page could not be read; the transfer is cut short");
                        return Some((Err(std::io::Error::other("export interrupted")), w));
                    }
                }
            }
        };
        let chunk = w.chunk(page);
        Some((chunk, w))
    })
}

impl<T: Serialize + utoipa::PartialSchema, C> Walk<T, C> {
    fn chunk(&mut self, page: Page<T>) -> Result<Bytes, std::io::Error> {
        let mut out = Writer::new();
        if self.columns.is_none() {
            let columns = schema_field_names::<T>();
            out.record(columns.iter().map(String::as_str))?;
            self.columns = Some(columns);
        }
        let columns = self.columns.as_deref().unwrap_or_default();
        for row in &page.data {
            let value = serde_json::to_value(row).map_err(std::io::Error::other)?;
            out.record(columns.iter().map(|c| cell(value.get(c))))?;
        }
        self.step = match page.next_cursor.as_deref() {
            None => Step::Done,
            Some(raw) => match Cursor::decode(raw) {
                Some(c) => Step::Next(c),
                None => return Err(std::io::Error::other("export: unreadable cursor")),
            },
        };
        out.finish()
    }
}

/// RFC 4180 records (CRLF, fields quoted when they hold a comma, a quote or a line break)
/// written into one buffer.
pub struct Writer(csv::Writer<Vec<u8>>);

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    pub fn new() -> Self {
        Self(
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::with_capacity(64 * 1024)),
        )
    }

    /// One record of text cells.
    pub fn record<I: IntoIterator<Item = S>, S: AsRef<str>>(
        &mut self,
        cells: I,
    ) -> Result<(), std::io::Error> {
        for c in cells {
            self.0
                .write_field(c.as_ref())
                .map_err(std::io::Error::other)?;
        }
        self.0
            .write_record(None::<&[u8]>)
            .map_err(std::io::Error::other)
    }

    pub fn finish(self) -> Result<Bytes, std::io::Error> {
        self.0
            .into_inner()
            .map(Bytes::from)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// A JSON value as a cell (see the module's documentation).
pub fn cell(v: Option<&Value>) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match v {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Some(Value::Number(n)) => Cow::Owned(n.to_string()),
        Some(Value::String(s)) => neutralised(s),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

/// A text cell a spreadsheet would read as a formula, with a leading `'`.
pub fn neutralised(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The header of every export of `T`, with or without rows: the JSON field names of `T` in
/// its declaration order, which is the order serde writes them, read from its schema (utoipa's
/// `preserve_order` keeps the declaration order; utoipa follows serde's renames and skips).
/// The e2e test `empty_and_full_exports_have_the_same_header` holds it to the rows' own order
/// for every export (a type documented other than as one object would give no columns).
pub fn schema_field_names<T: utoipa::PartialSchema>() -> Vec<String> {
    use utoipa::openapi::{RefOr, schema::Schema};
    match T::schema() {
        RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The oracle of the header tests: the order serde writes a row's fields in.
    /// A row's JSON field names in the order it serializes them (its type's declaration order).
    fn field_names<T: Serialize>(row: &T) -> Result<Vec<String>, std::io::Error> {
        let json = serde_json::to_string(row).map_err(std::io::Error::other)?;
        let keys: OrderedKeys = serde_json::from_str(&json).map_err(std::io::Error::other)?;
        Ok(keys.0)
    }

    /// The keys of a JSON object, in order.
    struct OrderedKeys(Vec<String>);

    impl<'de> serde::Deserialize<'de> for OrderedKeys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = OrderedKeys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<OrderedKeys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(k) = map.next_key::<String>()? {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(k);
                    }
                    Ok(OrderedKeys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    use proptest::prelude::*;
    use serde_json::json;

    fn csv_of(cells: &[&Value]) -> String {
        let mut w = Writer::new();
        w.record(cells.iter().map(|v| cell(Some(v)))).unwrap();
        String::from_utf8(w.finish().unwrap().to_vec()).unwrap()
    }

    fn read_back(text: &str) -> Vec<String> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        rec.iter().map(str::to_string).collect()
    }

    #[test]
    fn cells_follow_the_json_types() {
        let line = csv_of(&[
            &json!("plain"),
            &json!(-2),
            &json!(125050),
            &json!(1.5),
            &json!(true),
            &json!(false),
            &Value::Null,
            &json!(["a", "b"]),
            &json!({"street": "1 Main St", "city": "Oslo"}),
        ]);
        assert_eq!(
            line,
            "plain,-2,125050,1.5,true,false,,\"[\"\"a\"\",\"\"b\"\"]\",\
             \"{\"\"city\"\":\"\"Oslo\"\",\"\"street\"\":\"\"1 Main St\"\"}\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        let cells = [
            json!("=SUM(A1)"),
            json!("+1"),
            json!("-2"),
            json!("@x"),
            json!("\tx"),
            json!("\rx"),
            json!(-2),
            json!("a=b"),
        ];
        let refs: Vec<&Value> = cells.iter().collect();
        assert_eq!(
            read_back(&csv_of(&refs)),
            [
                "'=SUM(A1)",
                "'+1",
                "'-2",
                "'@x",
                "'\tx",
                "'\rx",
                "-2",
                "a=b"
            ]
        );
    }

    #[test]
    fn quoting_is_rfc_4180() {
        let line = csv_of(&[&json!("Doe, \"Jo\"\nline 2"), &json!("")]);
        assert_eq!(line, "\"Doe, \"\"Jo\"\"\nline 2\",\r\n");
    }

    #[test]
    fn field_names_keep_the_declaration_order() {
        #[derive(Serialize)]
        struct Row {
            zeta: u8,
            alpha: Option<u8>,
            mid: Vec<u8>,
        }
        let names = field_names(&Row {
            zeta: 1,
            alpha: None,
            mid: vec![],
        })
        .unwrap();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn the_header_without_rows_is_the_header_with_rows() {
        #[derive(Serialize, utoipa::ToSchema)]
        struct Row {
            zeta: u8,
            #[serde(rename = "alpha_renamed")]
            alpha: Option<u8>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            mid: Vec<u8>,
            #[serde(skip)]
            #[allow(dead_code)]
            hidden: u8,
        }
        let full = Row {
            zeta: 1,
            alpha: None,
            mid: vec![1],
            hidden: 0,
        };
        assert_eq!(
            schema_field_names::<Row>(),
            field_names(&full).unwrap(),
            "declaration order, renamed, skipped fields left out"
        );
        assert_eq!(
            field_names(&full).unwrap(),
            ["zeta", "alpha_renamed", "mid"]
        );
    }

    #[test]
    fn only_filters_and_sort_are_export_parameters() {
        let spec = &crm_sales::leads::LEAD_LIST_SPEC;
        let ok = parse(
            spec,
            &[
                ("status".into(), "new".into()),
                ("sort".into(), "-name".into()),
            ],
        )
        .unwrap();
        assert_eq!(ok.limit.get(), Limit::EXPORT);
        for p in NOT_EXPORT_PARAMETERS {
            let e = parse(spec, &[((*p).into(), "1".into())]).unwrap_err();
            assert_eq!(e.problem.errors[0].field, *p);
        }
        let e = parse(spec, &[("colour".into(), "red".into())]).unwrap_err();
        assert_eq!(e.problem.errors[0].field, "colour");
    }

    #[derive(Serialize, utoipa::ToSchema)]
    struct Item {
        id: Uuid,
        name: String,
    }

    /// A list of two pages whose second page fails, as a database gone mid-export does.
    struct Failing;

    fn failing_fetch<'a>(
        _: &'a Failing,
        q: &'a ListQuery,
    ) -> LocalBoxFuture<'a, Result<Page<Item>, DomainError>> {
        Box::pin(async move {
            match q.cursor {
                Some(_) => Err(DomainError::Unavailable("database gone".into())),
                None => Ok(Page {
                    data: vec![Item {
                        id: Uuid::nil(),
                        name: "=first".into(),
                    }],
                    next_cursor: Some(q.cursor_after(
                        vec![crm_domain::kernel::pagination::FieldValue::Timestamp(
                            chrono::Utc::now(),
                        )],
                        Uuid::nil(),
                    )),
                    total: None,
                }),
            }
        })
    }

    #[tokio::test]
    async fn a_page_failing_mid_export_ends_the_body_with_an_error() {
        use futures_util::StreamExt;
        let spec = &crm_sales::leads::LEAD_LIST_SPEC;
        let q = parse(spec, &[]).unwrap();
        let first = failing_fetch(&Failing, &q).await.unwrap();
        let chunks: Vec<_> = rows(Failing, q.clone(), first, failing_fetch)
            .collect()
            .await;
        assert_eq!(
            chunks.len(),
            2,
            "the first page, then the error, then nothing"
        );
        let page = String::from_utf8(chunks[0].as_ref().unwrap().to_vec()).unwrap();
        assert_eq!(
            page,
            "id,name\r\n00000000-0000-0000-0000-000000000000,'=first\r\n"
        );
        assert!(chunks[1].is_err());
        // As a response body: reading it fails, it never ends as a shorter, complete CSV.
        let first = failing_fetch(&Failing, &q).await.unwrap();
        let res =
            csv_response(HttpResponse::Ok()).streaming(rows(Failing, q, first, failing_fetch));
        assert!(actix_web::body::to_bytes(res.into_body()).await.is_err());
    }

    proptest! {
        /// Any text comes back from a CSV reader as it was, with a `'` before a formula's
        /// first character.
        #[test]
        fn any_text_round_trips(s in any::<String>(), t in "[=+@\t\r-]?[ -~\n\r\",]{0,12}") {
            for text in [s, t] {
                let back = read_back(&csv_of(&[&json!(text), &json!(1)]));
                let expected = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{text}")
                } else {
                    text.clone()
                };
                prop_assert_eq!(&back[0], &expected);
                prop_assert_eq!(&back[1], "1");
            }
        }
    }
}
