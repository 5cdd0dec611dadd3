//! The OpenAPI 3.1 document, generated from the handlers' annotations. Error responses common
//! to every route are added by [`StandardErrors`], so no route can forget to document them.

use crate::problem::{Problem, ProblemField};
use crate::routes;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "CRM API", description = "CRM and business backend. Conventions: cursor lists, problem+json errors, ETag/If-Match, integer minor-unit money."),
    paths(
        routes::health::live, routes::health::ready,
        routes::activities::list,
        routes::events::list, routes::events::types,
        routes::notifications::list, routes::notifications::unread_count,
        routes::notifications::read, routes::notifications::read_all,
        routes::notifications::delete, routes::notifications::preferences,
        routes::notifications::set_preferences, routes::notifications::create_ticket,
        routes::notifications::stream,
    ),
    nest(
        (path = "/api/v1", api = routes::identity::Api),
        (path = "/api/v1", api = routes::clients::Api),
        (path = "/api/v1", api = routes::sales::Api),
        (path = "/api/v1", api = routes::finance::Api),
        (path = "/api/v1", api = routes::projects::Api),
        (path = "/api/v1", api = routes::hr::Api),
        (path = "/api/v1", api = routes::calendar::Api),
        (path = "/api/v1", api = routes::messages::Api),
        (path = "/api/v1", api = routes::files::Api),
        (path = "/api/v1", api = routes::imports::Api),
        (path = "/api/v1", api = routes::webhooks::Api),
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&Exports, &Security, &StandardErrors, &IdempotencyKeys, &OperationIds, &Links, &ExtraLinks, &NotificationTypes, &NoNulInText, &OptionalBodies),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Sign-up with an emailed code, sign-in, tokens, passwords"),
        (name = "organization", description = "The caller's organization profile"),
        (name = "users", description = "People of the organization"),
        (name = "roles", description = "Roles and the permission catalogue"),
        (name = "departments", description = "Departments (a hierarchy)"),
        (name = "designations", description = "Job titles"),
        (name = "clients", description = "Clients, sub-clients, contacts, interactions"),
        (name = "leads", description = "Leads and their conversion"),
        (name = "pipelines", description = "Sales pipelines and stages"),
        (name = "deals", description = "Deals, board and forecast"),
        (name = "quotations", description = "Quotations with computed totals"),
        (name = "invoices", description = "Invoices: drafts, issue with gap-free numbers, void, PDF, mailing"),
        (name = "credit-notes", description = "Credit notes against issued invoices"),
        (name = "payments", description = "Payments with allocations to invoices, and refunds"),
        (name = "recurring-invoices", description = "Templates that make one invoice per due date"),
        (name = "reports", description = "Receivables aging and revenue; project reports and timesheets"),
        (name = "projects", description = "Projects and their members"),
        (name = "tasks", description = "Tasks on a board, with subtasks and dependencies"),
        (name = "milestones", description = "Milestones reached when their tasks are"),
        (name = "time-entries", description = "Logged time and timers, a ledger frozen once invoiced"),
        (name = "employees", description = "Employees: numbers, manager chains, termination"),
        (name = "work-schedules", description = "Work schedules in IANA time zones; one default per organization"),
        (name = "holidays", description = "The organization's holidays"),
        (name = "job-postings", description = "Job postings: openings, salary range, open to applications or not"),
        (name = "candidates", description = "Candidates, one per email and organization"),
        (name = "applications", description = "Applications moved through the pipeline, their stage history and the hire"),
        (name = "interviews", description = "Interviews, their interviewers and their feedback"),
        (name = "offers", description = "Offers of employment: drafted, sent, accepted, declined, withdrawn"),
        (name = "training-programs", description = "Training programs and how long a pass stays valid"),
        (name = "training-sessions", description = "Sessions of a program, with their seats"),
        (name = "training-enrollments", description = "Who takes a session, and their result (a pass stamps the certification)"),
        (name = "certifications", description = "Each person's latest pass of each program, valid, expiring or expired today"),
        (name = "leave-types", description = "Leave types and their policies: allowance, accrual, carry forward, approval"),
        (name = "leave-balances", description = "Leave balances and ledgers computed for any date, and adjustments"),
        (name = "leave-requests", description = "Leave requests: counted days, overlap and balance checks, decisions by the reporting line"),
        (name = "attendance", description = "Check-in and check-out, punches written by HR, and the days and monthly summaries derived from them"),
        (name = "calendar", description = "Calendar events with attendees and responses, and their occurrences expanded in each event's time zone"),
        (name = "messages", description = "Conversations (direct, group, a record's thread), their messages, members and read marks"),
        (name = "activities", description = "The audit log"),
        (name = "events", description = "What happened to records, as integrations see it (30 days)"),
        (name = "notifications", description = "The caller's notifications, preferences and live stream"),
        (name = "files", description = "Uploads stored once per organization, attached to records"),
        (name = "imports", description = "CSV imports of leads, clients and contacts, written in the background"),
        (name = "webhooks", description = "Signed deliveries of events to subscribed urls (Standard Webhooks)"),
    )
)]
pub struct ApiDoc;

/// The operation of every CSV export (`Routes::export`), derived from its list's: the list's
/// tag, security and parameters without paging and counting, answering `text/csv`.
struct Exports;

impl Modify for Exports {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::OperationBuilder;
        use utoipa::openapi::{HeaderBuilder, ObjectBuilder, schema::Type};
        for route in routes::api_routes().table().iter().filter(|r| r.csv_export) {
            let Some(list_path) = route.path.strip_suffix("/export") else {
                continue;
            };
            let what = list_path.rsplit('/').next().unwrap_or_default().to_string();
            const FORMAT: &str = "as `text/csv` (RFC 4180, UTF-8, CRLF): a \
                 header row of the list item's JSON field names in its order (the same with \
                 no rows), then one row per item. Strings as they are, numbers as numbers, \
                 booleans `true`/`false`, `null` empty, arrays and objects as compact JSON; a \
                 text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is \
                 prefixed with `'`. The body is streamed page by page; if reading fails after \
                 it began, the transfer is cut short (no terminating chunk) rather than ended \
                 as if complete. `limit`, `cursor` and `count` are not taken (422).";
            // Derived from the list's operation; an export without a list of its own
            // (`/contacts/export`) documents its parameters itself and is completed here.
            let (mut op, description) = match openapi
                .paths
                .paths
                .get(list_path)
                .and_then(|i| i.get.clone())
            {
                Some(list) => (
                    list,
                    format!(
                        "Every {what} record the list `GET {}` would return with the same \
                         filters, `q`, `sort`, scope and permission, {FORMAT}",
                        list_path.trim_start_matches("/api/v1")
                    ),
                ),
                None => match openapi
                    .paths
                    .paths
                    .get(&route.path)
                    .and_then(|i| i.get.clone())
                {
                    Some(own) => {
                        let d: Vec<String> = [&own.summary, &own.description]
                            .into_iter()
                            .flatten()
                            .cloned()
                            .collect();
                        (own, format!("{}\n\nThe rows, {FORMAT}", d.join(" ")))
                    }
                    None => continue,
                },
            };
            // `export_clients_contacts`, `export_contacts`, `export_time_entries`.
            let words: Vec<String> = list_path
                .trim_start_matches("/api/v1/")
                .split('/')
                .filter(|s| !s.starts_with('{'))
                .map(|s| s.replace('-', "_"))
                .collect();
            op.operation_id = Some(format!("export_{}", words.join("_")));
            op.summary = Some(format!("Export the {what} list as CSV"));
            op.description = Some(description);
            if let Some(params) = op.parameters.as_mut() {
                params.retain(|p| {
                    !matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query
                        && crate::export::NOT_EXPORT_PARAMETERS.contains(&p.name.as_str()))
                });
            }
            let csv = ResponseBuilder::new()
                .description("The CSV file, streamed")
                .header(
                    "Content-Disposition",
                    HeaderBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .description(Some(format!(
                            "`attachment; filename=\"{what}-<YYYY-MM-DD>.csv\"`"
                        )))
                        .build(),
                )
                .content(
                    "text/csv; charset=utf-8",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .example(Some(serde_json::Value::String(
                            "id,name,status\r\n019bb138-13e8-77a9-a564-12a9b8a1abcd,\"Doe, Jo\",new\r\n"
                                .into(),
                        )))
                        .build(),
                )
                .build();
            op.responses = utoipa::openapi::ResponsesBuilder::new()
                .response("200", csv)
                .build();
            let op: utoipa::openapi::path::Operation = OperationBuilder::from(op).build();
            openapi
                .paths
                .paths
                .entry(route.path.clone())
                .or_default()
                .get = Some(op);
            // An export under a record (`/clients/{id}/contacts/export`) is linked from that
            // record's create, so a stateful fuzzer exports the lists of records that exist.
            if let Some((parent, _)) = route.path.split_once("/{id}/") {
                let escaped = route.path.replace('~', "~0").replace('/', "~1");
                if let Some(RefOr::T(created)) = openapi
                    .paths
                    .paths
                    .get_mut(parent)
                    .and_then(|item| item.post.as_mut())
                    .and_then(|op| op.responses.responses.get_mut("201"))
                {
                    let link = utoipa::openapi::link::LinkBuilder::new()
                        .operation_ref(format!("#/paths/{escaped}/get"))
                        .parameter("id", "$response.body#/id");
                    created.links.insert(
                        format!("export_{}", what.replace('-', "_")),
                        RefOr::T(link.build()),
                    );
                }
            }
        }
    }
}

/// Operations whose body may be left out (read by `http::OptionalBody`).
const OPTIONAL_BODIES: &[&str] = &[
    "/api/v1/invoices/{id}/send",
    "/api/v1/proposals/{id}/send",
    "/api/v1/projects/{id}/invoice",
];

struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for path in OPTIONAL_BODIES {
            if let Some(body) = openapi
                .paths
                .paths
                .get_mut(*path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.request_body.as_mut())
                && let utoipa::openapi::RefOr::T(body) = body
            {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
}

/// A list filter bound on a timestamp that also takes a date (`2026-03-01`, read as that
/// day's start for `_from` and its end for `_to`).
pub struct DateOrDateTime;

impl utoipa::PartialSchema for DateOrDateTime {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        let format = |f| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(f)))
        };
        OneOfBuilder::new()
            .item(format(KnownFormat::DateTime))
            .item(format(KnownFormat::Date))
            .into()
    }
}

impl utoipa::ToSchema for DateOrDateTime {}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // Routes are authenticated unless they say `security(())`.
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// `If-Match` as [`crate::http::IfMatch`] reads it: `*`, or a (weak) entity tag naming a version.
/// At most 18 digits: every such number is a version (`i64`).
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[0-9]{1,18}")$"#;

/// Adds the error answers every route of a kind gives, from what the operation declares:
/// authentication (`401`/`403` unless public), a body (`400`/`413`/`415`/`422`), a query
/// (`422`), a path id (`404`), an `If-Match` header (`412`, and the header's pattern), an
/// authenticated write (`409`: any write may meet a unique or foreign-key constraint).
/// Every text of a body without a pattern of its own is documented as NUL-free: the body
/// extractor refuses a NUL in any JSON string (`422` on its path), because PostgreSQL text
/// cannot hold one. The patterns of `crm_domain::kernel::openapi` exclude it already.
struct NoNulInText;

impl NoNulInText {
    fn visit(schema: &mut RefOr<utoipa::openapi::schema::Schema>) {
        use utoipa::openapi::schema::{
            ArrayItems, KnownFormat, Schema, SchemaFormat, SchemaType, Type,
        };
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(o) => {
                let text = match &o.schema_type {
                    SchemaType::Type(t) => *t == Type::String,
                    SchemaType::Array(ts) => ts.contains(&Type::String),
                    SchemaType::AnyValue => false,
                };
                let free_format = matches!(
                    o.format,
                    None | Some(SchemaFormat::KnownFormat(KnownFormat::Password))
                );
                if text && free_format && o.pattern.is_none() && o.enum_values.is_none() {
                    o.pattern = Some(NO_NUL.to_string());
                }
                o.properties.values_mut().for_each(Self::visit);
            }
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    Self::visit(items);
                }
            }
            Schema::OneOf(x) => x.items.iter_mut().for_each(Self::visit),
            Schema::AllOf(x) => x.items.iter_mut().for_each(Self::visit),
            Schema::AnyOf(x) => x.items.iter_mut().for_each(Self::visit),
            _ => {}
        }
    }
}

/// The notification types a preference may name: every module's, as `app::notifier` gathers
/// them (the server answers `422` on any other).
struct NotificationTypes;

impl Modify for NotificationTypes {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Schema;
        let Some(c) = api.components.as_mut() else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(o))) = c.schemas.get_mut("PreferenceItem")
            && let Some(RefOr::T(Schema::Object(t))) = o.properties.get_mut("type")
        {
            t.enum_values = Some(
                crate::app::notifier()
                    .types()
                    .iter()
                    .map(|t| serde_json::Value::from(t.r#type))
                    .collect(),
            );
        }
    }
}

/// Any text without a NUL character.
pub const NO_NUL: &str = "^[^\\x00]*$";

impl Modify for NoNulInText {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            // A problem's texts may quote the request (an unknown field's name), NUL included.
            c.schemas
                .iter_mut()
                .filter(|(name, _)| !name.starts_with("Problem"))
                .for_each(|(_, schema)| Self::visit(schema));
        }
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.post, &mut item.put, &mut item.patch]
                .into_iter()
                .flatten()
            {
                let Some(RefOr::T(body)) = op.request_body.as_mut() else {
                    continue;
                };
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = content.schema.as_mut()
                    {
                        Self::visit(schema);
                    }
                }
            }
        }
    }
}

/// Whether an operation says `security(())`: callable without a token.
fn is_public(op: &utoipa::openapi::path::Operation) -> bool {
    op.security.as_ref().is_some_and(|s| {
        s.iter().all(|r| {
            serde_json::to_value(r)
                .map(|v| v.as_object().is_some_and(|o| o.is_empty()))
                .unwrap_or(false)
        })
    })
}

/// The `Idempotency-Key` header every authenticated `POST` accepts (`crate::idempotency`),
/// with the `422` of a malformed or reused key.
struct IdempotencyKeys;

/// 1–255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        for item in openapi.paths.paths.values_mut() {
            let Some(op) = item.post.as_mut() else {
                continue;
            };
            if is_public(op) {
                continue;
            }
            op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(utoipa::openapi::Required::False)
                    .description(Some(
                        "Sent again with the same key and body within 24 hours, the request is \
                         not done twice: the first answer comes back with \
                         `Idempotent-Replayed: true`. A key reused for another request is `422`; \
                         while the first is still running, `409`.",
                    ))
                    .schema(Some(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::schema::Type::String)
                            .pattern(Some(IDEMPOTENCY_KEY_PATTERN)),
                    ))
                    .build(),
            ));
            op.responses
                .responses
                .entry("422".to_string())
                .or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("Validation failed, or the Idempotency-Key was used for another request")
                            .content(
                                "application/problem+json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .build(),
                    )
                });
        }
    }
}

struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = |desc: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(desc)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_id = path.contains('{');
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (op, writes) in ops {
                let Some(op) = op.as_mut() else { continue };
                let public = is_public(op);
                let has_body = op.request_body.is_some();
                let mut reads_if_match = false;
                for param in op.parameters.iter_mut().flatten() {
                    let RefOr::T(param) = param else { continue };
                    if param.name.eq_ignore_ascii_case("If-Match")
                        && param.parameter_in == ParameterIn::Header
                    {
                        reads_if_match = true;
                        param.schema = Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::String)
                                .pattern(Some(IF_MATCH_PATTERN))
                                .into(),
                        );
                    }
                }
                // A path id that is not a UUID answers 404 (framework_errors::path_error), so
                // only a body or a query can earn a 422.
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
                let mut add = |code: &str, desc: &str| {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| problem(desc));
                };
                if !public {
                    add("401", "Missing, invalid or expired access token");
                    add("403", "Authenticated but not permitted");
                }
                if has_body {
                    add("400", "Malformed JSON");
                    add("413", "Body larger than the configured limit");
                    add("415", "Body is not application/json");
                }
                if has_body || has_query {
                    add(
                        "422",
                        "Validation failed; one entry per bad field (body or query)",
                    );
                }
                if has_path_id {
                    add(
                        "404",
                        "No such record in the caller's organization (or outside its `:own` scope)",
                    );
                }
                if reads_if_match {
                    add(
                        "412",
                        "`If-Match` names a version that is not the current one",
                    );
                }
                if writes && !public {
                    add(
                        "409",
                        "Conflicts with the current state (a taken unique value, a record still in use, an illegal state change); `type` names which",
                    );
                }
                add("414", "Request target (path and query) longer than 8 KiB");
                add("429", "Rate limited; see Retry-After");
                add("500", "Unexpected error (no internals disclosed)");
                add("503", "Database unreachable; retry later");
            }
        }
    }
}

/// Makes every `operationId` unique, as OpenAPI requires: a handler name several modules share
/// (`list`, `create`, `get`…) is prefixed with the operation's tag (`clients_list`).
struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        for item in openapi.paths.paths.values() {
            for op in operations_of(item) {
                if let Some(id) = &op.operation_id {
                    *seen.entry(id.clone()).or_default() += 1;
                }
            }
        }
        for item in openapi.paths.paths.values_mut() {
            for op in operations_of_mut(item) {
                let Some(id) = op.operation_id.clone() else {
                    continue;
                };
                if seen.get(&id).is_some_and(|n| *n > 1) {
                    let tag = op.tags.iter().flatten().next().cloned().unwrap_or_default();
                    op.operation_id = Some(format!("{tag}_{id}"));
                }
            }
        }
    }
}

fn operations_of(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = &utoipa::openapi::path::Operation> {
    [&item.get, &item.post, &item.put, &item.patch, &item.delete]
        .into_iter()
        .flatten()
}

fn operations_of_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// OpenAPI links from each create (`POST /things` answering `201` with the record) to the
/// record's own operations (`GET`/`PATCH`/`DELETE /things/{id}`), so clients and stateful
/// fuzzers know that the new `id` names it and its `ETag` is the `If-Match` to send.
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::link::LinkBuilder;
        let paths: Vec<String> = openapi.paths.paths.keys().cloned().collect();
        for collection in &paths {
            // The record path: the collection and one more `{param}` segment.
            let Some((record, param)) = paths.iter().find_map(|p| {
                let rest = p.strip_prefix(collection.as_str())?.strip_prefix("/{")?;
                let name = rest.strip_suffix('}')?;
                (!name.contains('/')).then(|| (p.clone(), name.to_string()))
            }) else {
                continue;
            };
            let Some(target) = openapi.paths.paths.get(&record) else {
                continue;
            };
            // Whether the record's PATCH takes `If-Match` (a membership has no version).
            let versioned = target.patch.as_ref().is_some_and(|op| {
                op.parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case("If-Match")))
            });
            // The created body's key: its `id`, or for a membership (`{user_id}`) its user.
            let key = if param == "user_id" { "user_id" } else { "id" };
            let methods: Vec<(&str, &str)> = [
                ("get", "get", target.get.is_some()),
                ("update", "patch", target.patch.is_some()),
                ("delete", "delete", target.delete.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, method, present)| present.then_some((name, method)))
            .collect();
            let escaped = record.replace('~', "~0").replace('/', "~1");
            // Path parameters of the collection itself (`{id}` of `/clients/{id}/contacts`).
            let outer: Vec<String> = collection
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .map(str::to_string)
                .collect();
            let Some(item) = openapi.paths.paths.get_mut(collection) else {
                continue;
            };
            let Some(create) = item.post.as_mut() else {
                continue;
            };
            let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") else {
                continue;
            };
            for (name, method) in &methods {
                let mut link = LinkBuilder::new()
                    .operation_ref(format!("#/paths/{escaped}/{method}"))
                    .parameter(param.clone(), format!("$response.body#/{key}"));
                for o in &outer {
                    link = link.parameter(o.clone(), format!("$request.path.{o}"));
                }
                if *method == "patch" && versioned {
                    link = link.parameter("If-Match", "$response.header.ETag");
                }
                created
                    .links
                    .insert((*name).to_string(), RefOr::T(link.build()));
            }
        }
    }
}

/// The links a module declares beyond [`Links`] (`routes::messages::LINKS`): from the `201`
/// of a collection's `POST` to an operation on what it created.
struct ExtraLinks;

impl Modify for ExtraLinks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::link::LinkBuilder;
        for (collection, name, target, method) in routes::messages::LINKS {
            let escaped = target.replace('~', "~0").replace('/', "~1");
            let Some(created) = openapi
                .paths
                .paths
                .get_mut(*collection)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.responses.responses.get_mut("201"))
            else {
                continue;
            };
            let RefOr::T(created) = created else {
                continue;
            };
            let link = LinkBuilder::new()
                .operation_ref(format!("#/paths/{escaped}/{method}"))
                .parameter("id", "$response.body#/id");
            created
                .links
                .insert((*name).to_string(), RefOr::T(link.build()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// `(METHOD, path)` of every operation in the document.
    fn operations(doc: &utoipa::openapi::OpenApi) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let ops = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
                ("HEAD", item.head.is_some()),
                ("OPTIONS", item.options.is_some()),
                ("TRACE", item.trace.is_some()),
            ];
            for (method, present) in ops {
                if present {
                    out.insert((method.to_string(), path.clone()));
                }
            }
        }
        out
    }

    /// `(METHOD, path)` of every route the server registers.
    fn routes() -> BTreeSet<(String, String)> {
        [routes::health_routes(), routes::api_routes()]
            .iter()
            .flat_map(|r| r.table().iter())
            .map(|r| (r.method.as_str().to_string(), r.path.clone()))
            .collect()
    }

    #[test]
    fn every_route_is_documented_and_every_operation_is_served() {
        let doc = ApiDoc::openapi();
        let documented = operations(&doc);
        let served = routes();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "routes without an OpenAPI operation (add the handler to `paths(...)` in openapi.rs \
             and give it a #[utoipa::path] with the same method and path): {undocumented:?}"
        );
        assert!(
            unserved.is_empty(),
            "OpenAPI operations no route serves (fix the #[utoipa::path] method or path): {unserved:?}"
        );
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = ApiDoc::openapi();
        let mut ids = std::collections::BTreeMap::<String, usize>::new();
        for item in doc.paths.paths.values() {
            for op in operations_of(item) {
                let id = op.operation_id.clone().unwrap_or_default();
                *ids.entry(id).or_default() += 1;
            }
        }
        let repeated: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
        assert!(repeated.is_empty(), "operationIds used twice: {repeated:?}");
    }

    #[test]
    fn routes_with_a_path_id_document_404() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                if path.contains('{') {
                    assert!(responses.contains_key("404"), "{method} {path} lacks 404");
                }
                let reads_if_match = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == "If-Match"));
                if reads_if_match {
                    assert!(responses.contains_key("412"), "{method} {path} lacks 412");
                }
            }
        }
    }

    /// The document as committed in `docs/openapi.json`, so that any change to the API's shape
    /// (a renamed field, a new status) shows up in review.
    #[test]
    fn the_document_matches_the_committed_snapshot() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let mut generated = ApiDoc::openapi().to_pretty_json().unwrap();
        generated.push('\n');
        if std::env::var_os("CRM_UPDATE_OPENAPI_SNAPSHOT").is_some_and(|v| v == "1") {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            let first_difference = committed
                .lines()
                .zip(generated.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| format!("line {}:\n  committed: {a}\n  generated: {b}", i + 1))
                .unwrap_or_else(|| "one is a prefix of the other".into());
            panic!(
                "docs/openapi.json is not the document the server serves ({first_difference}).\n\
                 If the API change is intended, rewrite the snapshot and commit it:\n  \
                 CRM_UPDATE_OPENAPI_SNAPSHOT=1 cargo test -p crm-api --lib openapi::tests\n\
                 then review `git diff docs/openapi.json`."
            );
        }
    }
}
