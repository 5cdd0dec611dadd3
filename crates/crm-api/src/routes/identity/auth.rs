//! `/auth/*`: sign-up with an emailed code, sign-in, token refresh, password flows, `me`.

use crate::access::{Public, SignedIn};
use crate::app::AppState;
use crate::http::{Body, accepted, no_content};
use crate::problem::ApiError;
use crate::routes::dto::{RoleRef, UserDto};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use crm_domain::DomainError;
use crm_domain::identity::{
    ChangePasswordInput, LoginInput, RegisterInput, ResetPasswordInput, TokenPair, VerifyEmailInput,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "name": "Ann Lee",
    "email": "ann@acme.example",
    "status": "pending_verification",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7"
}))]
pub struct Registered {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// `pending_verification` until the emailed code is confirmed.
    pub status: String,
    pub organization_id: Uuid,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "ann@acme.example"
}))]
pub struct EmailBody {
    #[schema(schema_with = crm_domain::kernel::openapi::email)]
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "refresh_token": "rt_Yp3kQ0v7n2WcT9bL4sXe8uHfJ1mZaR6d"
}))]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
#[schema(example = tokens_example)]
pub struct Tokens {
    pub access_token: String,
    /// Opaque; single use: each refresh returns a new one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: UserDto,
}

impl From<TokenPair> for Tokens {
    fn from(t: TokenPair) -> Self {
        Self {
            user: UserDto::from(&t.user),
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: t.token_type.to_string(),
            expires_in: t.expires_in,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "name": "Ann Lee",
    "email": "ann@acme.example",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "status": "active",
    "department_id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "designation_id": "019bbbc0-4a60-70f3-83e1-b258fd724452",
    "roles": [
        {
            "id": "019bb138-11f4-78c9-a6ce-ab360512bd13",
            "name": "admin"
        }
    ],
    "permissions": [
        "clients:read",
        "clients:write",
        "deals:read",
        "deals:write",
        "leads:read",
        "leads:write"
    ],
    "created_at": "2026-01-12T08:00:01.000000Z",
    "updated_at": "2026-01-14T09:10:00.000000Z",
    "version": 3
}))]
pub struct MeDto {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub organization_id: Uuid,
    pub status: String,
    pub department_id: Option<Uuid>,
    pub designation_id: Option<Uuid>,
    pub roles: Vec<RoleRef>,
    /// Effective permission codes, e.g. `leads:read`, `leads:write:own`.
    pub permissions: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub version: i64,
}

/// A token pair for the example user.
fn tokens_example() -> serde_json::Value {
    serde_json::json!({
        "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTliYjEzOC0xM2U4LTc3YTktYTU2NC0xMmE5YjhhMWFiY2QiLCJvcmciOiIwMTliYjEzOC0xMDAwLTcxYTUtOGRhNC1mOWZjM2M2ZGE1ZDciLCJpc3MiOiJjcm0iLCJhdWQiOiJjcm0tYXBpIiwiZXhwIjoxNzcyNDQzNDMwfQ.3Jm0bX2cK9yQ1Hn8pVt5Lw7Rz4Ud6Ae0Gf2Si8Ok1Xc",
        "refresh_token": "rt_Yp3kQ0v7n2WcT9bL4sXe8uHfJ1mZaR6d",
        "token_type": "Bearer",
        "expires_in": 900,
        "user": crm_domain::kernel::openapi::example_of::<UserDto>(),
    })
}

fn client_address(req: &HttpRequest) -> String {
    // The socket's peer: a forwarded-for header is trivially forged, so it is not trusted.
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn limited(retry_after_secs: u64) -> ApiError {
    DomainError::RateLimited { retry_after_secs }.into()
}

/// Budgets every `POST /auth/*` per client address, and per account when one is named: this
/// instance's in-memory budgets first (a flood is refused without a statement), then the
/// counts every instance shares, with the slowing of an account after failed logins. Answers
/// the account's failed logins so far.
async fn throttle(
    state: &AppState,
    req: &HttpRequest,
    account: Option<&str>,
) -> Result<u32, ApiError> {
    let address = client_address(req);
    state.rate_limits.check_address(&address).map_err(limited)?;
    if let Some(a) = account {
        state.rate_limits.check_account(a).map_err(limited)?;
    }
    Ok(state.throttle.check(&address, account, Utc::now()).await?)
}

/// Create an organization and its first user (its admin); mails a 6-digit code.
#[utoipa::path(post, path = "/auth/register", tag = "auth", security(()), request_body = RegisterInput,
    responses(
        (status = 201, description = "Registered; verify the emailed code next", body = Registered),
        (status = 409, description = "The email is taken", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<RegisterInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    throttle(&state, &req, Some(&body.email)).await?;
    let user = state.identity.auth.register(body).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/users/{}", user.id)))
        .json(Registered {
            id: user.id.0,
            name: user.name.as_str().to_string(),
            email: user.email.as_str().to_string(),
            status: user.status.as_str().to_string(),
            organization_id: user.organization_id.0,
        }))
}

/// Confirm the emailed code; the account becomes active and a token pair is returned.
#[utoipa::path(post, path = "/auth/verify-email", tag = "auth", security(()), request_body = VerifyEmailInput,
    responses(
        (status = 200, description = "Verified and signed in", body = Tokens),
        (status = 400, description = "Wrong, used or expired code", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify_email(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<VerifyEmailInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    throttle(&state, &req, Some(&body.email)).await?;
    let pair = state.identity.auth.verify_email(body).await?;
    Ok(HttpResponse::Ok().json(Tokens::from(pair)))
}

/// Mail a new verification code (answers the same whether or not the address is known).
#[utoipa::path(post, path = "/auth/resend-code", tag = "auth", security(()), request_body = EmailBody,
    responses((status = 202, description = "If the address awaits verification, a new code is on its way")))]
pub async fn resend_code(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<EmailBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    throttle(&state, &req, Some(&body.email)).await?;
    state.identity.auth.resend_code(&body.email).await?;
    Ok(accepted())
}

/// Sign in.
#[utoipa::path(post, path = "/auth/login", tag = "auth", security(()), request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in", body = Tokens),
        (status = 401, description = "Wrong email or password (the same answer for both)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Right password, email not verified yet (`type` ends in `email-not-verified`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<LoginInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let failures = throttle(&state, &req, Some(&body.email)).await?;
    let email = body.email.clone();
    // A count that cannot be written does not change the answer: the attempt was counted
    // against the budgets already, and the database's trouble shows in the log.
    match state.identity.auth.login(body).await {
        Ok(pair) => {
            if failures > 0
                && let Err(e) = state.throttle.succeeded(&email).await
            {
                tracing::warn!(error = %e, "a successful login's failures were not cleared");
            }
            Ok(HttpResponse::Ok().json(Tokens::from(pair)))
        }
        Err(e) => {
            if matches!(e, DomainError::Unauthorized { .. })
                && let Err(e) = state.throttle.failed(&email, Utc::now()).await
            {
                tracing::warn!(error = %e, "a failed login was not counted");
            }
            Err(e.into())
        }
    }
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", security(()), request_body = RefreshBody,
    responses(
        (status = 200, description = "A new token pair", body = Tokens),
        (status = 401, description = "Invalid, expired, retired or revoked refresh token", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    throttle(&state, &req, None).await?;
    let pair = state.identity.auth.refresh(&body.refresh_token).await?;
    Ok(HttpResponse::Ok().json(Tokens::from(pair)))
}

/// End the session of this refresh token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(()), request_body = RefreshBody,
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    throttle(&state, &req, None).await?;
    state.identity.auth.logout(&body.refresh_token).await?;
    Ok(no_content())
}

/// Mail a password-reset code (answers the same whether or not the address is known).
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth", security(()), request_body = EmailBody,
    responses((status = 202, description = "If the address has an account, a code is on its way")))]
pub async fn forgot_password(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<EmailBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    throttle(&state, &req, Some(&body.email)).await?;
    state.identity.auth.forgot_password(&body.email).await?;
    Ok(accepted())
}

/// Set a new password with a reset code (or an invitation code); signs out every session.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", security(()), request_body = ResetPasswordInput,
    responses(
        (status = 204, description = "Password set"),
        (status = 400, description = "Wrong, used or expired code", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    _: Public,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<ResetPasswordInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    throttle(&state, &req, Some(&body.email)).await?;
    state.identity.auth.reset_password(body).await?;
    Ok(no_content())
}

/// Change the caller's password; other sessions are signed out.
#[utoipa::path(post, path = "/auth/change-password", tag = "auth", request_body = ChangePasswordInput,
    responses((status = 204, description = "Password changed")))]
pub async fn change_password(
    who: SignedIn,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<ChangePasswordInput>,
) -> Result<HttpResponse, ApiError> {
    throttle(&state, &req, None).await?;
    state
        .identity
        .auth
        .change_password(&who.actor, who.session, body.parse()?)
        .await?;
    Ok(no_content())
}

/// The caller, its roles and effective permissions.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, description = "The caller", body = MeDto)))]
pub async fn me(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let me = state.identity.auth.me(&who.actor).await?;
    let u = &me.user;
    Ok(HttpResponse::Ok().json(MeDto {
        id: u.id.0,
        name: u.name.as_str().to_string(),
        email: u.email.as_str().to_string(),
        organization_id: u.organization_id.0,
        status: u.status.as_str().to_string(),
        department_id: u.department_id.map(|d| d.0),
        designation_id: u.designation_id.map(|d| d.0),
        roles: me.roles.iter().map(RoleRef::from).collect(),
        permissions: me.permissions.clone(),
        created_at: u.created_at,
        updated_at: u.updated_at,
        version: u.version,
    }))
}
