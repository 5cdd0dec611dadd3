//! Sign-up, sign-in, sessions and passwords (`/auth/*`), and turning a verified access token
//! into an [`Actor`]: the per-request hot path lives here, each other use case in its own file.

mod bootstrap;
mod recovery;
mod sessions;
mod signup;

pub use bootstrap::{BootstrapAdminInput, BootstrapOutcome};
pub use recovery::{ChangePasswordInput, ResetPasswordInput};
pub use sessions::LoginInput;
pub use signup::{RegisterInput, VerifyEmailInput};

use crate::identity::IdentityPorts;
use crate::identity::common::{effective_permissions, seed_roles};
use crate::identity::email::EmailAddress;
use crate::identity::model::{Me, PersonName, RoleId};
use crate::identity::organization::Organization;
use crate::identity::password::PasswordHash;
use crate::identity::permissions::ADMIN_ROLE;
use crate::identity::ports::AccessClaims;
use crate::identity::roles::{Role, RoleSummary};
use crate::identity::settings::AuthSettings;
use crate::identity::users::{User, UserStatus};
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::money::Currency;
use chrono::{DateTime, Utc};

fn bad_access_token() -> DomainError {
    DomainError::Unauthorized {
        code: "invalid-token",
        message: "the access token is no longer valid".into(),
    }
}

/// Everything behind `/auth/*`.
#[derive(Clone)]
pub struct AuthService {
    p: IdentityPorts,
    settings: AuthSettings,
}

impl AuthService {
    pub fn new(ports: IdentityPorts, settings: AuthSettings) -> Self {
        Self { p: ports, settings }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// `GET /auth/me`: the caller, their roles (by name) and effective permissions (sorted).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn me(&self, actor: &Actor) -> Result<Me, DomainError> {
        let user = self.caller(actor).await?;
        let roles = self
            .p
            .roles
            .roles_of_user(actor.organization_id, user.id)
            .await?;
        let permissions = effective_permissions(&roles);
        let mut summaries: Vec<RoleSummary> = roles.iter().map(RoleSummary::from).collect();
        summaries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Me {
            user,
            roles: summaries,
            permissions,
        })
    }

    /// The caller behind a signature-checked access token, with the permissions their roles
    /// grant right now (role changes apply to the next request, not the next sign-in).
    /// `401 invalid-token` when the user is gone, not active, or the token was issued before
    /// the user's `tokens_valid_after`.
    // A debug-level span: this runs on every request, and the request span already names it.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %claims.organization_id))]
    pub async fn authenticate(&self, claims: &AccessClaims) -> Result<Actor, DomainError> {
        // One statement: it runs on every request.
        let caller = match self
            .p
            .users
            .get_with_roles(claims.organization_id, claims.user_id, claims.session)
            .await
        {
            Ok(found) => found,
            Err(StoreError::NotFound) => return Err(bad_access_token()),
            Err(e) => return Err(e.into()),
        };
        // An ended session's tokens die with it, on every instance, not when they expire.
        if !caller.session_open || !caller.user.accepts_token_issued_at(claims.issued_at) {
            return Err(bad_access_token());
        }
        Ok(caller.actor())
    }

    /// The caller's own user row; a token whose user vanished is a bad token.
    async fn caller(&self, actor: &Actor) -> Result<User, DomainError> {
        match self.p.users.get(actor.organization_id, actor.user_id).await {
            Ok(u) => Ok(u),
            Err(StoreError::NotFound) => Err(bad_access_token()),
            Err(e) => Err(e.into()),
        }
    }
}

/// A new organization named `name` (in USD, UTC), its system roles, and the id of its
/// `admin` role.
fn founded(
    name: String,
    now: DateTime<Utc>,
) -> Result<(Organization, Vec<Role>, RoleId), DomainError> {
    let currency = Currency::parse("USD").map_err(|e| DomainError::Unexpected(e.to_string()))?;
    let org = Organization::new(name, currency, now);
    let roles = seed_roles(org.id, now);
    let admin = roles
        .iter()
        .find(|r| r.name == ADMIN_ROLE)
        .map(|r| r.id)
        .ok_or_else(|| DomainError::Unexpected("no admin among the system roles".into()))?;
    Ok((org, roles, admin))
}

/// The first user of an organization, with a password, at version 1.
fn new_user(
    org: OrganizationId,
    name: PersonName,
    email: EmailAddress,
    hash: PasswordHash,
    status: UserStatus,
    now: DateTime<Utc>,
) -> User {
    User {
        id: UserId::new(),
        organization_id: org,
        name,
        email,
        password_hash: Some(hash),
        status,
        department_id: None,
        designation_id: None,
        tokens_valid_after: None,
        last_login_at: None,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::identity::model::FamilyId;
    use crate::identity::permissions::ADMIN_ROLE;
    use crate::identity::users::Caller;
    use crate::identity::users::UserStatus;
    use crate::kernel::ids::UserId;

    use crate::identity::roles::Role;

    use crate::identity::permissions::CATALOGUE;

    use crate::identity::test_support::*;
    use crate::kernel::ids::OrganizationId;
    use chrono::Duration;

    // ---- me / authenticate ----------------------------------------------------------------

    #[tokio::test]
    async fn me_lists_roles_and_effective_permissions() {
        let mut env = Env::new();
        let me = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (org, uid) = (me.organization_id, me.id);
        env.users.expect_get().returning(move |_, _| Ok(me.clone()));
        let roles: Vec<Role> = vec![
            role(org, "sales", true, &["leads:read:own", "clients:read"]),
            role(org, "auditors", false, &["activities:read", "clients:read"]),
        ];
        env.roles
            .expect_roles_of_user()
            .withf(move |o, u| *o == org && *u == uid)
            .returning(move |_, _| Ok(roles.clone()));
        let (svc, _) = svc(env);
        let me = svc
            .me(&Actor::new(uid, org, Vec::<String>::new()))
            .await
            .unwrap();
        let names: Vec<&str> = me.roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["auditors", "sales"]);
        assert_eq!(
            me.permissions,
            vec!["activities:read", "clients:read", "leads:read:own"]
        );
    }

    #[tokio::test]
    async fn authenticate_rejects_tokens_older_than_the_users_stamp() {
        let mut env = Env::new();
        let mut u = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        u.tokens_valid_after = Some(now());
        let (org, uid) = (u.organization_id, u.id);
        env.users.expect_get_with_roles().returning(move |o, _, _| {
            Ok(Caller {
                user: u.clone(),
                roles: vec![role(o, ADMIN_ROLE, true, &["leads:read"])],
                session_open: true,
            })
        });
        let (svc, _) = svc(env);
        let claims = |at| AccessClaims {
            user_id: uid,
            organization_id: org,
            session: None,
            issued_at: at,
        };

        let old = svc
            .authenticate(&claims(now() - Duration::seconds(1)))
            .await
            .unwrap_err();
        assert!(matches!(
            old,
            DomainError::Unauthorized {
                code: "invalid-token",
                ..
            }
        ));
        let actor = svc.authenticate(&claims(now())).await.unwrap();
        assert_eq!((actor.user_id, actor.organization_id), (uid, org));
        // A stale system admin role still grants today's whole catalogue.
        assert_eq!(actor.permissions().count(), CATALOGUE.len());
        let later = now() + Duration::seconds(5);
        assert_eq!(svc.authenticate(&claims(later)).await.unwrap(), actor);
    }

    #[tokio::test]
    async fn authenticate_rejects_the_tokens_of_an_ended_session() {
        let mut env = Env::new();
        let u = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (org, uid) = (u.organization_id, u.id);
        let (open, ended) = (FamilyId::new(), FamilyId::new());
        env.users
            .expect_get_with_roles()
            .returning(move |o, _, session| {
                Ok(Caller {
                    user: u.clone(),
                    roles: vec![role(o, ADMIN_ROLE, true, &[])],
                    session_open: session != Some(ended),
                })
            });
        let (svc, _) = svc(env);
        let claims = |session| AccessClaims {
            user_id: uid,
            organization_id: org,
            session,
            issued_at: now(),
        };
        assert!(svc.authenticate(&claims(Some(open))).await.is_ok());
        assert_eq!(
            code_of(&svc.authenticate(&claims(Some(ended))).await.unwrap_err()),
            "invalid-token"
        );
    }

    #[tokio::test]
    async fn authenticate_rejects_missing_and_deactivated_users() {
        let mut env = Env::new();
        let off = user(
            OrganizationId::new(),
            "off@example.com",
            UserStatus::Deactivated,
        );
        let mut seq = mockall::Sequence::new();
        env.users
            .expect_get_with_roles()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_, _, _| {
                Ok(Caller {
                    user: off.clone(),
                    roles: vec![],
                    session_open: true,
                })
            });
        env.users
            .expect_get_with_roles()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Err(StoreError::NotFound));
        let (svc, _) = svc(env);
        let claims = AccessClaims {
            user_id: UserId::new(),
            organization_id: OrganizationId::new(),
            session: None,
            issued_at: now(),
        };
        for _ in 0..2 {
            assert_eq!(
                code_of(&svc.authenticate(&claims).await.unwrap_err()),
                "invalid-token"
            );
        }
    }
}

/// What the tests of every auth use case share.
#[cfg(test)]
pub(super) mod testkit {
    pub use super::AuthService;
    use super::RegisterInput;
    use crate::identity::codes::CodePurpose;
    use crate::identity::ports::{PasswordCheck, SecretHash};
    pub use crate::identity::settings::AuthSettings;
    use crate::identity::test_support::*;
    use crate::kernel::error::DomainError;
    use crate::kernel::ids::UserId;

    pub const OK: PasswordCheck = PasswordCheck {
        matches: true,
        needs_rehash: false,
    };
    pub const WRONG: PasswordCheck = PasswordCheck {
        matches: false,
        needs_rehash: false,
    };

    pub fn svc(env: Env) -> (AuthService, Probe) {
        let (ports, probe) = env.build();
        (AuthService::new(ports, AuthSettings::default()), probe)
    }

    pub fn register_input() -> RegisterInput {
        RegisterInput {
            name: " Ann Lee ".into(),
            email: "Ann@Example.com".into(),
            password: "correct horse".into(),
            organization_name: Some("Acme".into()),
        }
    }

    pub fn code_hash_for(user: UserId, purpose: CodePurpose) -> SecretHash {
        hashed(&format!("code:{}:{user}:{CODE}", purpose.as_str()))
    }

    pub fn code_of(e: &DomainError) -> &'static str {
        match e {
            DomainError::BadRequest { code, .. }
            | DomainError::Unauthorized { code, .. }
            | DomainError::Forbidden { code, .. }
            | DomainError::Conflict { code, .. } => code,
            other => panic!("unexpected {other:?}"),
        }
    }
}
