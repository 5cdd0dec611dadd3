//! Access tokens (HS256 JWT, algorithm pinned) and the extractor that turns a bearer token into
//! the caller's `Actor`.

use crate::problem::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use crm_domain::identity::{
    AccessClaims, AccessToken, AuthService, FamilyId, TokenError, TokenIssuer, User,
};
use crm_domain::{Actor, OrganizationId, UserId};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ACCESS: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub org: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
    /// Token type; only `access` tokens authenticate requests.
    pub typ: String,
    /// The sign-in session (refresh-token family) the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: u64,
}

impl JwtKeys {
    pub fn new(secret: &SecretString, issuer: &str, audience: &str, ttl_secs: u64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            issuer: issuer.into(),
            audience: audience.into(),
            ttl_secs,
        }
    }

    /// A new access token and its lifetime in seconds.
    pub fn issue_token(
        &self,
        user: UserId,
        org: OrganizationId,
        session: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<(String, u64), String> {
        let claims = Claims {
            sub: user.0,
            org: org.0,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs as i64,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7(),
            typ: ACCESS.into(),
            sid: session,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|t| (t, self.ttl_secs))
            .map_err(|e| e.to_string())
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.typ == ACCESS).then_some(data.claims)
    }
}

impl TokenIssuer for JwtKeys {
    fn issue(
        &self,
        user: &User,
        session: FamilyId,
        now: DateTime<Utc>,
    ) -> Result<AccessToken, TokenError> {
        self.issue_token(user.id, user.organization_id, Some(session.0), now)
            .map(|(token, expires_in)| AccessToken { token, expires_in })
            .map_err(TokenError)
    }
}

/// What the extractor needs, shared as app data.
#[derive(Clone)]
pub struct AuthContext {
    pub keys: JwtKeys,
    pub auth: AuthService,
}

/// The authenticated caller and the sign-in session its token belongs to.
pub struct Authenticated {
    pub actor: Actor,
    pub session: Option<FamilyId>,
}

/// The bearer token of an `Authorization` header (scheme in either case), trimmed.
pub fn bearer_token(headers: &actix_web::http::header::HeaderMap) -> Option<&str> {
    let v = headers
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req.app_data::<web::Data<AuthContext>>().cloned();
        let token = bearer_token(req.headers()).map(str::to_string);
        Box::pin(async move {
            let ctx = ctx.ok_or_else(ApiError::internal)?;
            let token =
                token.ok_or_else(|| ApiError::unauthorized("a bearer access token is required"))?;
            let claims = ctx
                .keys
                .verify(&token)
                .ok_or_else(|| ApiError::unauthorized("the access token is invalid or expired"))?;
            let claims = AccessClaims {
                user_id: UserId(claims.sub),
                organization_id: OrganizationId(claims.org),
                session: claims.sid.map(FamilyId),
                issued_at: DateTime::from_timestamp(claims.iat, 0).unwrap_or_default(),
            };
            // Checked against the store on every request, so deactivation and revocation
            // take effect at once.
            let actor = ctx.auth.authenticate(&claims).await?;
            Ok(Authenticated {
                actor,
                session: claims.session,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&SecretString::from(secret), "crm", "crm-api", 900)
    }

    #[test]
    fn tokens_verify_only_with_the_same_secret_issuer_and_audience() {
        let k = keys("a-secret-of-sufficient-length-0123456789");
        let (user, org) = (UserId::new(), OrganizationId::new());
        let (t, ttl) = k.issue_token(user, org, None, Utc::now()).unwrap();
        assert_eq!(ttl, 900);
        let c = k.verify(&t).unwrap();
        assert_eq!((c.sub, c.org), (user.0, org.0));
        assert!(
            keys("another-secret-of-sufficient-length-xyz")
                .verify(&t)
                .is_none()
        );
        let other_aud = JwtKeys::new(
            &SecretString::from("a-secret-of-sufficient-length-0123456789"),
            "crm",
            "other",
            900,
        );
        assert!(other_aud.verify(&t).is_none());
    }

    #[test]
    fn expired_and_unsigned_tokens_are_refused() {
        let k = keys("a-secret-of-sufficient-length-0123456789");
        let (t, _) = k
            .issue_token(
                UserId::new(),
                OrganizationId::new(),
                None,
                Utc::now() - chrono::Duration::hours(1),
            )
            .unwrap();
        assert!(k.verify(&t).is_none());
        // alg=none with the same claims must not pass: the algorithm is pinned.
        let parts: Vec<&str> = t.split('.').collect();
        let none_header = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(k.verify(&format!("{none_header}.{}.", parts[1])).is_none());
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
