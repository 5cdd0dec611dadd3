//! Rules of the identity module that several of its use cases share: no escalation of
//! permissions, effective permissions and seeded roles, sessions, codes and their mails, the
//! audit entries of role assignments and password changes, and how store conflicts read.

use super::IdentityPorts;
use super::codes::{CodePurpose, code_material};
use super::email::EmailAddress;
use super::model::{FamilyId, RefreshTokenId, RoleId, TokenPair};
use super::permissions::{self, ADMIN_ROLE, CATALOGUE};
use super::ports::{HashError, NewRefreshToken};
use super::roles::Role;
use super::settings::AuthSettings;
use super::users::User;
use crate::activity::change_entry as audit;
use crate::activity::{FieldChange, NewActivity};
use crate::kernel::context::{Actor, PermissionSet};
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::uow::Txn;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// `403 permission-escalation` unless the caller holds every one of `codes`: nobody grants,
/// or takes away, powers they do not have themselves.
pub(crate) fn ensure_held(actor: &Actor, codes: &[String]) -> Result<(), DomainError> {
    let held: BTreeSet<&str> = actor.permissions().collect();
    let missing: Vec<&str> = codes
        .iter()
        .map(String::as_str)
        .filter(|c| !held.contains(c))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Forbidden {
            code: "permission-escalation",
            message: format!(
                "you cannot grant or revoke permissions you do not hold ({})",
                missing.join(", ")
            ),
        })
    }
}

/// A saturated hashing pool is a momentary overload of this server, not the client's fault:
/// `503`, which the API answers with `Retry-After`.
pub(crate) fn hash_error(e: HashError) -> DomainError {
    match e {
        HashError::Busy => {
            DomainError::Unavailable("password hashing is busy; retry shortly".into())
        }
        HashError::Failed(m) => DomainError::Unexpected(m),
    }
}

pub(crate) fn email_taken() -> DomainError {
    DomainError::conflict("email-taken", "a user with this email already exists")
}

/// Store conflicts on a user insert or update can only be the email.
pub(crate) fn user_write_error(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict { .. } => email_taken(),
        other => other.into(),
    }
}

/// The material keyed-hashed for a refresh token, domain-separated from code material.
pub(crate) fn refresh_material(raw: &str) -> String {
    format!("refresh:{raw}")
}

/// The audit entry of a password change: the hash itself never enters the log, only the fact.
pub(crate) fn with_password_change(mut entry: NewActivity) -> NewActivity {
    let hidden = serde_json::Value::String("[redacted]".into());
    entry.changes.push(FieldChange {
        field: "password".into(),
        before: hidden.clone(),
        after: hidden,
    });
    entry.changes.sort_by(|a, b| a.field.cmp(&b.field));
    entry
}

/// The permissions a set of roles grants. Codes outside today's catalogue are dropped (a
/// permission retired from the catalogue stops working everywhere at once), and the system
/// `admin` role grants the whole catalogue as it is now, so codes added by a later release
/// reach existing organizations' admins without a data migration. Runs on every request:
/// the admin's set is built once and shared.
pub fn effective_permission_set(roles: &[Role]) -> PermissionSet {
    static WHOLE_CATALOGUE: LazyLock<PermissionSet> =
        LazyLock::new(|| PermissionSet::new(CATALOGUE.iter().map(|p| p.code.to_string())));
    if roles.iter().any(|r| r.is_system && r.name == ADMIN_ROLE) {
        return WHOLE_CATALOGUE.clone();
    }
    PermissionSet::new(
        roles
            .iter()
            .flat_map(|r| r.permissions.iter())
            .filter(|c| permissions::is_known(c))
            .cloned(),
    )
}

/// [`effective_permission_set`] as sorted codes.
pub fn effective_permissions(roles: &[Role]) -> Vec<String> {
    effective_permission_set(roles)
        .iter()
        .map(String::from)
        .collect()
}

/// The system roles of a new organization.
pub fn seed_roles(org: OrganizationId, now: DateTime<Utc>) -> Vec<Role> {
    permissions::system_roles()
        .into_iter()
        .map(|r| Role {
            id: RoleId::new(),
            organization_id: org,
            name: r.name.to_string(),
            description: Some(r.description.to_string()),
            permissions: r.permissions,
            is_system: true,
            created_at: now,
            updated_at: now,
            version: 1,
        })
        .collect()
}

impl IdentityPorts {
    pub(crate) async fn record(&self, tx: &mut Txn, entry: NewActivity) -> Result<(), DomainError> {
        Ok(self.activities.record(tx, entry).await?)
    }

    /// Refuses a request for a `purpose` code to `email` made within its window (`429` with
    /// the seconds left): one code per address and purpose per `resend_cooldown_secs`, at most
    /// `resend_hourly_cap` requests per address and hour ([`super::codes::send_wait`]). The
    /// same for addresses with and without an account, so the answer reveals nothing.
    pub(crate) async fn check_send_window(
        &self,
        settings: &AuthSettings,
        email: &EmailAddress,
        purpose: CodePurpose,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let recent = self
            .codes
            .recent_sends(email, now - Duration::hours(1))
            .await?;
        match super::codes::send_wait(
            &recent,
            purpose,
            now,
            settings.resend_cooldown_secs,
            settings.resend_hourly_cap,
        ) {
            Some(retry_after_secs) => Err(DomainError::RateLimited { retry_after_secs }),
            None => Ok(()),
        }
    }

    /// Issues a fresh code for `purpose` (replacing the user's previous one) and queues its
    /// mail, both inside `tx`. `organization_name` is only needed for invitations; when absent
    /// it is read.
    pub(crate) async fn issue_code(
        &self,
        settings: &AuthSettings,
        tx: &mut Txn,
        user: &User,
        purpose: CodePurpose,
        organization_name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let code = self.generator.six_digit_code();
        let record = super::codes::NewVerificationCode {
            id: super::model::VerificationCodeId::new(),
            organization_id: user.organization_id,
            user_id: user.id,
            email: user.email.clone(),
            purpose,
            code_hash: self.secrets.hash(&code_material(user.id, purpose, &code)),
            created_at: now,
            expires_at: now + Duration::minutes(i64::from(settings.code_ttl_minutes)),
            max_attempts: settings.max_code_attempts,
        };
        self.codes.issue(tx, &record).await?;
        let (to, name, minutes) = (
            user.email.as_str(),
            user.name.as_str(),
            settings.code_ttl_minutes,
        );
        let mail = match purpose {
            CodePurpose::EmailVerification => {
                self.mail
                    .verification_code(to, name, code.expose(), minutes)
            }
            CodePurpose::PasswordReset => {
                self.mail
                    .password_reset_code(to, name, code.expose(), minutes)
            }
            CodePurpose::Invitation => {
                let org_name = match organization_name {
                    Some(n) => n.to_string(),
                    None => self.organizations.get(user.organization_id).await?.name,
                };
                self.mail
                    .invitation(to, name, &org_name, code.expose(), minutes)
            }
        };
        self.outbox
            .enqueue(tx, Some(user.organization_id), mail)
            .await?;
        Ok(())
    }

    /// Opens a session for `user`: the first refresh token of a new family, stored in `tx`,
    /// and an access token naming that family; stamps the user's `last_login_at`.
    pub(crate) async fn start_session(
        &self,
        settings: &AuthSettings,
        tx: &mut Txn,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, DomainError> {
        let family = FamilyId::new();
        let raw = self.generator.refresh_token();
        let token = NewRefreshToken {
            id: RefreshTokenId::new(),
            organization_id: user.organization_id,
            user_id: user.id,
            family_id: family,
            token_hash: self.secrets.hash(&refresh_material(&raw)),
            created_at: now,
            expires_at: now + Duration::days(i64::from(settings.refresh_ttl_days)),
        };
        self.refresh_tokens.create(tx, &token).await?;
        self.users
            .record_sign_in(tx, user.organization_id, user.id, now)
            .await?;
        let user = User {
            last_login_at: Some(now),
            ..user.clone()
        };
        self.pair(&user, family, raw, now)
    }

    pub(crate) fn pair(
        &self,
        user: &User,
        family: FamilyId,
        refresh_token: String,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, DomainError> {
        let access = self
            .tokens
            .issue(user, family, now)
            .map_err(|e| DomainError::Unexpected(e.to_string()))?;
        Ok(TokenPair {
            access_token: access.token,
            refresh_token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            user: user.clone(),
        })
    }
}

/// `user` acting on their own account without a token (sign-up, codes), as the audit log
/// names them.
pub(crate) fn as_self(user: &User) -> Actor {
    Actor::new(user.id, user.organization_id, Vec::<String>::new())
}

/// The audit entry of a change of a user's roles.
pub(crate) fn roles_changed(
    actor_id: Option<UserId>,
    user: &User,
    before: &[super::model::RoleId],
    after: &[super::model::RoleId],
) -> crate::activity::NewActivity {
    let ids = |v: &[super::model::RoleId]| {
        let mut v: Vec<String> = v.iter().map(ToString::to_string).collect();
        v.sort();
        v
    };
    audit(
        user.organization_id,
        actor_id,
        "user",
        user.id.0,
        "roles_changed",
        Some(&serde_json::json!({ "role_ids": ids(before) })),
        Some(&serde_json::json!({ "role_ids": ids(after) })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, system: bool, perms: &[&str]) -> Role {
        let now = Utc::now();
        Role {
            id: RoleId::new(),
            organization_id: OrganizationId::new(),
            name: name.into(),
            description: None,
            permissions: perms.iter().map(|s| s.to_string()).collect(),
            is_system: system,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[test]
    fn effective_permissions_are_the_sorted_union_of_known_codes() {
        let roles = [
            role("a", false, &["leads:read", "gone:read"]),
            role("b", false, &["deals:read", "leads:read"]),
        ];
        assert_eq!(
            effective_permissions(&roles),
            vec!["deals:read", "leads:read"]
        );
        assert!(effective_permissions(&[]).is_empty());
    }

    #[test]
    fn the_system_admin_role_grants_the_whole_current_catalogue() {
        let stale_admin = role(ADMIN_ROLE, true, &["leads:read"]);
        assert_eq!(effective_permissions(&[stale_admin]).len(), CATALOGUE.len());
        // A custom role that happens to be called admin gets no such treatment.
        let imposter = role(ADMIN_ROLE, false, &["leads:read"]);
        assert_eq!(effective_permissions(&[imposter]), vec!["leads:read"]);
    }

    #[test]
    fn seeded_roles_are_system_roles_of_the_organization() {
        let org = OrganizationId::new();
        let roles = seed_roles(org, Utc::now());
        assert_eq!(roles.len(), permissions::SYSTEM_ROLE_NAMES.len());
        assert!(
            roles
                .iter()
                .all(|r| r.is_system && r.organization_id == org && r.version == 1)
        );
    }

    #[test]
    fn saturation_is_a_503_and_password_changes_are_logged_redacted() {
        assert!(matches!(
            hash_error(HashError::Busy),
            DomainError::Unavailable(_)
        ));
        assert!(matches!(
            hash_error(HashError::Failed("x".into())),
            DomainError::Unexpected(_)
        ));
        let entry = with_password_change(NewActivity {
            organization_id: OrganizationId::new(),
            actor_id: None,
            entity_type: "user",
            entity_id: uuid::Uuid::now_v7(),
            action: "password_changed",
            changes: vec![FieldChange {
                field: "version".into(),
                before: 1.into(),
                after: 2.into(),
            }],
            data: None,
            event_verb: None,
        });
        assert_eq!(entry.changes[0].field, "password");
        assert_eq!(entry.changes[0].after, "[redacted]");
    }
}
