//! `/users`: people of the caller's organization.

use crate::access::{Auth, SignedIn};
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::{PageDto, RoleRef, UserDto};
use crate::routes::perms::{UsersDelete, UsersRead, UsersWrite};
use actix_web::{HttpResponse, web};
use crm_domain::ListQuery;
use crm_domain::UserId;
use crm_domain::identity::{CreateUserInput, RoleId, USER_LIST_SPEC, UserPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /users`.
    Users = crm_domain::identity::USER_LIST_SPEC, search = "name and email";
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "role_ids": [
        "019bb138-11f4-78c9-a6ce-ab360512bd13"
    ]
}))]
pub struct SetRolesBody {
    /// Exactly the roles the user should have.
    pub role_ids: Vec<Uuid>,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "user_id": "019bdaf4-4440-7110-9710-cf5327ac435a",
    "roles": [
        {
            "id": "019bb138-11f4-78c9-a6ce-ab360512bd13",
            "name": "sales"
        }
    ]
}))]
pub struct UserRoles {
    pub user_id: Uuid,
    pub roles: Vec<RoleRef>,
}

/// Users of the organization (`users:read:own` sees only itself).
#[utoipa::path(get, path = "/users", tag = "users",
    params(Users),
    responses((status = 200, description = "One page", body = PageDto<UserDto>)))]
pub async fn list(
    auth: Auth<UsersRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&USER_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.identity.users.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |u| UserDto::from(&u))))
}

/// Add a user. With a password the user is active at once; without one the user is invited
/// and mailed a code that `POST /auth/reset-password` accepts.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUserInput,
    responses(
        (status = 201, description = "Created", body = UserDto),
        (status = 409, description = "The email is taken", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    auth: Auth<UsersWrite>,
    state: web::Data<AppState>,
    body: Body<CreateUserInput>,
) -> Result<HttpResponse, ApiError> {
    let u = state
        .identity
        .users
        .create(&auth.actor, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/users/{}", u.id),
        u.version,
        &UserDto::from(&u),
    ))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The user (with ETag)", body = UserDto)))]
pub async fn get(
    auth: Auth<UsersRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let u = state.identity.users.get(&auth.actor, UserId(*id)).await?;
    Ok(ok_etag(u.version, &UserDto::from(&u)))
}

/// Edit a user. Anyone may change their own name; everything else needs `users:write`.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
    responses((status = 200, description = "The updated user", body = UserDto)))]
pub async fn update(
    who: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let u = state
        .identity
        .users
        .update(&who.actor, UserId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(u.version, &UserDto::from(&u)))
}

/// Switch a user off: sign-in refused, live tokens rejected at once.
#[utoipa::path(post, path = "/users/{id}/deactivate", tag = "users",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The deactivated user", body = UserDto)))]
pub async fn deactivate(
    auth: Auth<UsersDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let u = state
        .identity
        .users
        .deactivate(&auth.actor, UserId(*id))
        .await?;
    Ok(ok_etag(u.version, &UserDto::from(&u)))
}

#[utoipa::path(post, path = "/users/{id}/reactivate", tag = "users",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The reactivated user", body = UserDto)))]
pub async fn reactivate(
    auth: Auth<UsersDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let u = state
        .identity
        .users
        .reactivate(&auth.actor, UserId(*id))
        .await?;
    Ok(ok_etag(u.version, &UserDto::from(&u)))
}

#[utoipa::path(get, path = "/users/{id}/roles", tag = "users",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The user's roles", body = UserRoles)))]
pub async fn roles(
    auth: Auth<UsersRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let roles = state.identity.users.roles(&auth.actor, UserId(*id)).await?;
    Ok(HttpResponse::Ok().json(UserRoles {
        user_id: *id,
        roles: roles.iter().map(RoleRef::from).collect(),
    }))
}

/// Replace the user's roles.
#[utoipa::path(put, path = "/users/{id}/roles", tag = "users", request_body = SetRolesBody,
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The user's roles now", body = UserRoles)))]
pub async fn set_roles(
    auth: Auth<UsersWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<SetRolesBody>,
) -> Result<HttpResponse, ApiError> {
    let ids = body.parse()?.role_ids.into_iter().map(RoleId).collect();
    let roles = state
        .identity
        .users
        .set_roles(&auth.actor, UserId(*id), ids)
        .await?;
    Ok(HttpResponse::Ok().json(UserRoles {
        user_id: *id,
        roles: roles.iter().map(RoleRef::from).collect(),
    }))
}
