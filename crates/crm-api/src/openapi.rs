//! The OpenAPI 3.1 document, generated from the handlers' annotations. Error responses common
//! to every route are added by [`StandardErrors`], so no route can forget to document them.

use crate::problem::{Problem, ProblemField};
use crate::routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "CRM API", description = "CRM and business backend. Conventions: cursor lists, problem+json errors, ETag/If-Match, integer minor-unit money."),
    paths(
        routes::health::live, routes::health::ready,
        routes::auth::register, routes::auth::verify_email, routes::auth::resend_code,
        routes::auth::login, routes::auth::refresh, routes::auth::logout,
        routes::auth::forgot_password, routes::auth::reset_password,
        routes::auth::change_password, routes::auth::me,
        routes::organization::get, routes::organization::patch,
        routes::users::list, routes::users::create, routes::users::get, routes::users::update,
        routes::users::deactivate, routes::users::reactivate, routes::users::roles,
        routes::users::set_roles,
        routes::roles::list, routes::roles::create, routes::roles::get, routes::roles::update,
        routes::roles::delete, routes::roles::permissions,
        routes::departments::list, routes::departments::create, routes::departments::get,
        routes::departments::update, routes::departments::delete,
        routes::departments::list_designations, routes::departments::create_designation,
        routes::departments::get_designation, routes::departments::update_designation,
        routes::departments::delete_designation,
        routes::clients::list, routes::clients::create, routes::clients::get,
        routes::clients::update, routes::clients::delete, routes::clients::sub_clients,
        routes::clients::list_contacts, routes::clients::create_contact,
        routes::clients::get_contact, routes::clients::update_contact,
        routes::clients::delete_contact, routes::clients::list_interactions,
        routes::clients::create_interaction, routes::clients::get_interaction,
        routes::clients::update_interaction, routes::clients::delete_interaction,
        routes::sales::client_summary, routes::sales::client_timeline,
        routes::sales::list_leads, routes::sales::create_lead, routes::sales::get_lead,
        routes::sales::update_lead, routes::sales::delete_lead, routes::sales::convert_lead,
        routes::sales::list_pipelines, routes::sales::create_pipeline, routes::sales::get_pipeline,
        routes::sales::update_pipeline, routes::sales::delete_pipeline,
        routes::sales::board, routes::sales::forecast,
        routes::sales::list_deals, routes::sales::create_deal, routes::sales::get_deal,
        routes::sales::update_deal, routes::sales::delete_deal, routes::sales::won,
        routes::sales::lost, routes::sales::stage_history,
        routes::sales::list_quotations, routes::sales::create_quotation,
        routes::sales::get_quotation, routes::sales::update_quotation,
        routes::sales::delete_quotation, routes::sales::send_quotation,
        routes::sales::accept_quotation, routes::sales::reject_quotation,
        routes::activities::list,
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&Security, &StandardErrors),
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
        (name = "activities", description = "The audit log"),
    )
)]
pub struct ApiDoc;

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
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, false),
            ];
            for (op, has_body) in ops {
                let Some(op) = op.as_mut() else { continue };
                let public = op.security.as_ref().is_some_and(|s| {
                    s.iter().all(|r| {
                        serde_json::to_value(r)
                            .map(|v| v.as_object().is_some_and(|o| o.is_empty()))
                            .unwrap_or(false)
                    })
                });
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
                    add("422", "Validation failed; one entry per bad field");
                } else if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    add("422", "A query parameter is invalid");
                }
                add("429", "Rate limited; see Retry-After");
                add("500", "Unexpected error (no internals disclosed)");
                add("503", "Database unreachable; retry later");
            }
        }
    }
}
