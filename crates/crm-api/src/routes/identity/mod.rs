//! Identity and access over HTTP: sign-up and sessions, the organization profile, users,
//! roles and the permission catalogue, departments and designations.

/// The five handlers of a plain identity resource (`list`, `create`, `get`, `update`,
/// `delete`), each under its own OpenAPI annotation, calling `state.identity.<service>` and
/// answering `<dto>`. Expanded in the resource's file, whose imports it uses, so a resource
/// states only what differs: its annotations, permissions, inputs and types.
macro_rules! resource_handlers {
    (
        service: $svc:ident, id: $id:ident, dto: $dto:ident, location: $loc:literal;
        $(#[$lm:meta])* fn $list:ident($read:ty, $spec:ident);
        $(#[$cm:meta])* fn $create:ident($write:ty, $input:ty);
        $(#[$gm:meta])* fn $get:ident;
        $(#[$um:meta])* fn $update:ident($patch:ty);
        $(#[$dm:meta])* fn $delete:ident($del:ty);
    ) => {
        $(#[$lm])*
        pub async fn $list(
            auth: Auth<$read>,
            state: web::Data<AppState>,
            query: web::Query<Vec<(String, String)>>,
        ) -> Result<HttpResponse, ApiError> {
            let q = ListQuery::parse(&$spec, &query).map_err(ApiError::validation)?;
            let page = state.identity.$svc.list(&auth.actor, &q).await?;
            Ok(HttpResponse::Ok().json(PageDto::from_page(page, |r| $dto::from(&r))))
        }

        $(#[$cm])*
        pub async fn $create(
            auth: Auth<$write>,
            state: web::Data<AppState>,
            body: Body<$input>,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.identity.$svc.create(&auth.actor, body.parse()?).await?;
            let location = format!(concat!($loc, "/{}"), r.id);
            Ok(created(location, r.version, &$dto::from(&r)))
        }

        $(#[$gm])*
        pub async fn $get(
            auth: Auth<$read>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.identity.$svc.get(&auth.actor, $id(*id)).await?;
            Ok(ok_etag(r.version, &$dto::from(&r)))
        }

        $(#[$um])*
        pub async fn $update(
            auth: Auth<$write>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            if_match: IfMatch,
            body: Body<$patch>,
        ) -> Result<HttpResponse, ApiError> {
            let r = state
                .identity
                .$svc
                .update(&auth.actor, $id(*id), if_match.0, body.parse()?)
                .await?;
            Ok(ok_etag(r.version, &$dto::from(&r)))
        }

        $(#[$dm])*
        pub async fn $delete(
            auth: Auth<$del>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            state.identity.$svc.delete(&auth.actor, $id(*id)).await?;
            Ok(no_content())
        }
    };
}
pub(crate) use resource_handlers;

pub mod auth;
pub mod departments;
pub mod designations;
pub mod organization;
pub mod roles;
pub mod users;

use crate::access::Routes;

/// Identity's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    r.post("/auth/register", auth::register)
        .post("/auth/verify-email", auth::verify_email)
        .post("/auth/resend-code", auth::resend_code)
        .post("/auth/login", auth::login)
        .post("/auth/refresh", auth::refresh)
        .post("/auth/logout", auth::logout)
        .post("/auth/forgot-password", auth::forgot_password)
        .post("/auth/reset-password", auth::reset_password)
        .post("/auth/change-password", auth::change_password)
        .get("/auth/me", auth::me)
        .get("/organization", organization::get)
        .patch("/organization", organization::patch)
        .get("/users", users::list)
        .post("/users", users::create)
        .get("/users/{id}", users::get)
        .patch("/users/{id}", users::update)
        .post("/users/{id}/deactivate", users::deactivate)
        .post("/users/{id}/reactivate", users::reactivate)
        .get("/users/{id}/roles", users::roles)
        .put("/users/{id}/roles", users::set_roles)
        .get("/roles", roles::list)
        .post("/roles", roles::create)
        .get("/roles/{id}", roles::get)
        .patch("/roles/{id}", roles::update)
        .delete("/roles/{id}", roles::delete)
        .get("/permissions", roles::permissions)
        .get("/departments", departments::list)
        .post("/departments", departments::create)
        .get("/departments/{id}", departments::get)
        .patch("/departments/{id}", departments::update)
        .delete("/departments/{id}", departments::delete)
        .get("/designations", designations::list_designations)
        .post("/designations", designations::create_designation)
        .get("/designations/{id}", designations::get_designation)
        .patch("/designations/{id}", designations::update_designation)
        .delete("/designations/{id}", designations::delete_designation)
}

/// Identity's operations; `openapi.rs` nests them under `/api/v1`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    auth::register,
    auth::verify_email,
    auth::resend_code,
    auth::login,
    auth::refresh,
    auth::logout,
    auth::forgot_password,
    auth::reset_password,
    auth::change_password,
    auth::me,
    organization::get,
    organization::patch,
    users::list,
    users::create,
    users::get,
    users::update,
    users::deactivate,
    users::reactivate,
    users::roles,
    users::set_roles,
    roles::list,
    roles::create,
    roles::get,
    roles::update,
    roles::delete,
    roles::permissions,
    departments::list,
    departments::create,
    departments::get,
    departments::update,
    departments::delete,
    designations::list_designations,
    designations::create_designation,
    designations::get_designation,
    designations::update_designation,
    designations::delete_designation,
))]
pub struct Api;
