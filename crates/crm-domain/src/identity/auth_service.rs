//! Sign-up, sign-in, sessions and passwords (`/auth/*`), and turning a verified access token
//! into an [`Actor`].

use super::codes::{CodePurpose, OneTimeCode, code_material, invalid_code};
use super::common::{
    effective_permissions, email_taken, hash_error, invalid, refresh_material, seed_roles,
    user_write_error, with_password_change,
};
use super::email::EmailAddress;
use super::model::{
    FamilyId, Me, Organization, PersonName, RefreshTokenId, RoleSummary, TokenPair, User,
    UserStatus, audit, required_text,
};
use super::password::{NewPassword, PlainPassword};
use super::permissions::ADMIN_ROLE;
use super::ports::{AccessClaims, IdentityPorts, RotateOutcome, RotatedToken};
use super::settings::AuthSettings;
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::UserId;
use crate::kernel::money::Currency;
use serde::Deserialize;

/// `POST /auth/register`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Ann Lee",
    "email": "ann@acme.example",
    "password": "correct-horse-battery",
    "organization_name": "Acme Trading"
})))]
pub struct RegisterInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::new_password))]
    pub password: PlainPassword,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub organization_name: Option<String>,
}

/// `POST /auth/verify-email`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "ann@acme.example",
    "code": "482913"
})))]
pub struct VerifyEmailInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::one_time_code))]
    pub code: String,
}

/// `POST /auth/login`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "ann@acme.example",
    "password": "correct-horse-battery"
})))]
pub struct LoginInput {
    pub email: String,
    pub password: PlainPassword,
}

/// `POST /auth/reset-password`: a password-reset code, or an invitation code for an invited
/// user.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "ann@acme.example",
    "code": "482913",
    "new_password": "a-new-long-passphrase"
})))]
pub struct ResetPasswordInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::one_time_code))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::new_password))]
    pub new_password: PlainPassword,
}

/// `POST /auth/change-password`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "current_password": "correct-horse-battery",
    "new_password": "a-new-long-passphrase"
})))]
pub struct ChangePasswordInput {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 1))]
    pub current_password: PlainPassword,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::new_password))]
    pub new_password: PlainPassword,
}

/// `crm admin create` and `CRM__BOOTSTRAP__*`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BootstrapAdminInput {
    pub email: String,
    pub password: PlainPassword,
    pub name: String,
    pub organization_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootstrapOutcome {
    Created(User),
    /// A user with that email exists already; nothing was changed.
    AlreadyExists(User),
}

/// The one answer to every failed sign-in, whatever failed, so the response never tells
/// whether the address has an account.
fn bad_credentials() -> DomainError {
    DomainError::Unauthorized {
        code: "invalid-credentials",
        message: "email or password is incorrect".into(),
    }
}

fn bad_refresh_token() -> DomainError {
    DomainError::Unauthorized {
        code: "invalid-refresh-token",
        message: "the refresh token is invalid, expired or revoked".into(),
    }
}

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

    /// Creates an organization, its system roles, its first user (`admin`, pending
    /// verification), the verification code and its mail, and their audit entries, in one
    /// transaction. `403 registration-closed` when sign-up is off, `422` per bad field,
    /// `409 email-taken` when the address has an account, `503` when hashing is saturated.
    pub async fn register(&self, input: RegisterInput) -> Result<User, DomainError> {
        if !self.settings.open_registration {
            return Err(DomainError::Forbidden {
                code: "registration-closed",
                message: "public registration is disabled".into(),
            });
        }
        let name = PersonName::parse(&input.name).map_err(|e| e.into_field("name"));
        let email = EmailAddress::parse(&input.email).map_err(|e| e.into_field("email"));
        let password =
            NewPassword::parse(input.password.expose()).map_err(|e| e.into_field("password"));
        let org_name = input
            .organization_name
            .as_deref()
            .map(|raw| required_text(raw, "organization_name", Organization::NAME_MAX))
            .transpose()
            .map_err(|e| e.into_field("organization_name"));
        let (name, email, password, org_name) = match (name, email, password, org_name) {
            (Ok(n), Ok(e), Ok(p), Ok(o)) => (n, e, p, o),
            (n, e, p, o) => return Err(invalid([n.err(), e.err(), p.err(), o.err()])),
        };
        if self.p.users.find_by_email(&email).await?.is_some() {
            return Err(email_taken());
        }
        // Hash before the transaction opens: no connection is held while the pool works.
        let hash = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
        let currency =
            Currency::parse("USD").map_err(|e| DomainError::Unexpected(e.to_string()))?;
        let org = Organization::new(
            org_name.unwrap_or_else(|| name.as_str().to_string()),
            currency,
            now,
        );
        let roles = seed_roles(org.id, now);
        let admin = roles
            .iter()
            .find(|r| r.name == ADMIN_ROLE)
            .map(|r| r.id)
            .ok_or_else(|| DomainError::Unexpected("no admin among the system roles".into()))?;
        let user = User {
            id: UserId::new(),
            organization_id: org.id,
            name,
            email,
            password_hash: Some(hash),
            status: UserStatus::PendingVerification,
            department_id: None,
            designation_id: None,
            tokens_valid_after: None,
            last_login_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };

        let mut boxed = self.p.tx.begin().await?;
        let tx = boxed.as_mut();
        self.p.organizations.create(tx, &org).await?;
        for role in &roles {
            self.p.roles.create(tx, role).await?;
        }
        // A concurrent registration with the same address loses here, on the unique index.
        self.p
            .users
            .create(tx, &user)
            .await
            .map_err(user_write_error)?;
        self.p
            .roles
            .set_user_roles(tx, org.id, user.id, &[admin])
            .await?;
        // Audit entries after the rows they name, so an actor reference is never dangling.
        let by = Some(user.id);
        self.p
            .record(
                tx,
                audit(
                    org.id,
                    by,
                    "organization",
                    org.id.0,
                    "created",
                    None,
                    Some(&org),
                ),
            )
            .await?;
        for role in &roles {
            self.p
                .record(
                    tx,
                    audit(org.id, by, "role", role.id.0, "created", None, Some(role)),
                )
                .await?;
        }
        self.p
            .record(
                tx,
                audit(org.id, by, "user", user.id.0, "created", None, Some(&user)),
            )
            .await?;
        self.p
            .record(tx, roles_changed(by, &user, &[], &[admin]))
            .await?;
        self.p
            .issue_code(
                &self.settings,
                tx,
                &user,
                CodePurpose::EmailVerification,
                Some(&org.name),
                now,
            )
            .await?;
        boxed.commit().await?;
        Ok(user)
    }

    /// Confirms the address with the mailed code: the user becomes `active` and is signed in.
    /// `422` for a malformed email or code; `400` (`invalid-code`, `code-expired`,
    /// `code-exhausted`) for an unknown address, a wrong, used, replaced or expired code.
    /// A wrong try is committed (it counts) even though the request fails.
    pub async fn verify_email(&self, input: VerifyEmailInput) -> Result<TokenPair, DomainError> {
        let (email, code) = parse_email_and_code(&input.email, &input.code)?;
        let Some(user) = self.p.users.find_by_email(&email).await? else {
            return Err(invalid_code());
        };
        if user.status != UserStatus::PendingVerification {
            return Err(invalid_code());
        }
        let now = self.p.clock.now();
        let purpose = CodePurpose::EmailVerification;
        let hash = self.p.secrets.hash(&code_material(user.id, purpose, &code));
        let mut tx = self.p.tx.begin().await?;
        let outcome = self
            .p
            .codes
            .consume(tx.as_mut(), user.id, purpose, &hash, now)
            .await?;
        if let Some(err) = outcome.into_error() {
            tx.commit().await?;
            return Err(err);
        }
        let mut verified = user.touched(now);
        verified.status = UserStatus::Active;
        self.p
            .users
            .update(tx.as_mut(), &verified, user.version)
            .await
            .map_err(user_write_error)?;
        let entry = audit(
            user.organization_id,
            Some(user.id),
            "user",
            user.id.0,
            "email_verified",
            Some(&user),
            Some(&verified),
        );
        self.p.record(tx.as_mut(), entry).await?;
        let pair = self
            .p
            .start_session(&self.settings, tx.as_mut(), &verified, now)
            .await?;
        tx.commit().await?;
        Ok(pair)
    }

    /// Mails a fresh verification code (or, to an invited user, a fresh invitation code).
    /// `Ok` (`202`) when the code was queued, and also for an unknown address or an account with
    /// nothing to verify; `429` within the send window of the address and purpose, for known
    /// and unknown addresses alike (see [`IdentityPorts::check_send_window`]). `422` only for a
    /// malformed address.
    pub async fn resend_code(&self, email: &str) -> Result<(), DomainError> {
        let email =
            EmailAddress::parse(email).map_err(|e| invalid([Some(e.into_field("email"))]))?;
        let user = self.p.users.find_by_email(&email).await?;
        let target = user.and_then(|user| match user.status {
            UserStatus::PendingVerification => Some((user, CodePurpose::EmailVerification)),
            UserStatus::Invited => Some((user, CodePurpose::Invitation)),
            UserStatus::Active | UserStatus::Deactivated => None,
        });
        self.send_code(&email, target, CodePurpose::EmailVerification)
            .await
    }

    /// Signs in. Unknown email, missing password, wrong password, invited and deactivated
    /// accounts all answer the same `401 invalid-credentials`, after the same hashing work
    /// (an unknown address runs `verify_dummy`). The right password on an unverified account
    /// answers `403 email-not-verified`, which only the password's owner can learn.
    /// A hash the hasher flags `needs_rehash` is replaced with a fresh one. `503` when
    /// hashing is saturated.
    pub async fn login(&self, input: LoginInput) -> Result<TokenPair, DomainError> {
        // A malformed address cannot have an account: same path as an unknown one.
        let user = match EmailAddress::parse(&input.email) {
            Ok(email) => self.p.users.find_by_email(&email).await?,
            Err(_) => None,
        };
        let Some((mut user, hash)) = user.and_then(|u| u.password_hash.clone().map(|h| (u, h)))
        else {
            // No account (or no password yet): spend what a real check costs, then refuse alike.
            self.p
                .passwords
                .verify_dummy(&input.password)
                .await
                .map_err(hash_error)?;
            return Err(bad_credentials());
        };
        let check = self
            .p
            .passwords
            .verify(&input.password, &hash)
            .await
            .map_err(hash_error)?;
        if !check.matches {
            return Err(bad_credentials());
        }
        match user.status {
            UserStatus::Active => {}
            UserStatus::PendingVerification => {
                return Err(DomainError::Forbidden {
                    code: "email-not-verified",
                    message: "confirm your email address with the code we sent first".into(),
                });
            }
            UserStatus::Invited | UserStatus::Deactivated => return Err(bad_credentials()),
        }
        // The upgrade is opportunistic: when the pool is busy, the next sign-in retries. It is
        // computed before the transaction opens so no connection waits on the pool.
        let fresh = if check.needs_rehash {
            match self.p.passwords.hash(&input.password).await {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(user_id = %user.id, error = %e, "password rehash skipped");
                    None
                }
            }
        } else {
            None
        };
        let now = self.p.clock.now();
        let mut tx = self.p.tx.begin().await?;
        if let Some(fresh) = fresh {
            self.p
                .users
                .set_password_hash(tx.as_mut(), user.organization_id, user.id, &fresh)
                .await?;
            user.password_hash = Some(fresh);
        }
        let pair = self
            .p
            .start_session(&self.settings, tx.as_mut(), &user, now)
            .await?;
        tx.commit().await?;
        Ok(pair)
    }

    /// Exchanges a refresh token for a new pair; the presented token stops working. A token
    /// presented a second time revokes its whole family (both the thief's and the owner's
    /// sessions end). Unknown, revoked, expired or reused tokens, and tokens of users no
    /// longer active, answer `401 invalid-refresh-token`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, DomainError> {
        if refresh_token.is_empty() {
            return Err(bad_refresh_token());
        }
        let now = self.p.clock.now();
        let presented = self.p.secrets.hash(&refresh_material(refresh_token));
        let raw = self.p.generator.refresh_token();
        let next = RotatedToken {
            id: RefreshTokenId::new(),
            token_hash: self.p.secrets.hash(&refresh_material(&raw)),
            created_at: now,
        };
        let mut tx = self.p.tx.begin().await?;
        match self
            .p
            .refresh_tokens
            .rotate(tx.as_mut(), &presented, &next, now)
            .await?
        {
            RotateOutcome::Rotated {
                organization_id,
                user_id,
                family_id,
            } => {
                let user = match self
                    .p
                    .users
                    .get_in_tx(tx.as_mut(), organization_id, user_id)
                    .await
                {
                    Ok(u) if u.status == UserStatus::Active => u,
                    Ok(_) | Err(StoreError::NotFound) => {
                        self.p
                            .refresh_tokens
                            .revoke_family(tx.as_mut(), family_id, now)
                            .await?;
                        tx.commit().await?;
                        return Err(bad_refresh_token());
                    }
                    Err(e) => return Err(e.into()),
                };
                let pair = self.p.pair(&user, family_id, raw, now)?;
                tx.commit().await?;
                Ok(pair)
            }
            RotateOutcome::Reused { family_id } => {
                tracing::warn!(family_id = %family_id, "refresh token reuse; revoking its family");
                self.p
                    .refresh_tokens
                    .revoke_family(tx.as_mut(), family_id, now)
                    .await?;
                tx.commit().await?;
                Err(bad_refresh_token())
            }
            RotateOutcome::Invalid => Err(bad_refresh_token()),
        }
    }

    /// Ends the session of `refresh_token` (its whole family). Always `Ok`, also for an
    /// unknown token: logging out twice is not an error.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), DomainError> {
        if refresh_token.is_empty() {
            return Ok(());
        }
        let presented = self.p.secrets.hash(&refresh_material(refresh_token));
        let now = self.p.clock.now();
        let mut tx = self.p.tx.begin().await?;
        self.p
            .refresh_tokens
            .revoke_by_token(tx.as_mut(), &presented, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails a password-reset code (an invitation code to an invited user, since that is what
    /// `reset_password` accepts from them). Answers as [`Self::resend_code`]: `Ok` when queued
    /// or when the address has no (active) account, `429` within the send window, `422` only
    /// for a malformed address.
    pub async fn forgot_password(&self, email: &str) -> Result<(), DomainError> {
        let email =
            EmailAddress::parse(email).map_err(|e| invalid([Some(e.into_field("email"))]))?;
        let user = self.p.users.find_by_email(&email).await?;
        let target = user.and_then(|user| match user.status {
            UserStatus::Active | UserStatus::PendingVerification => {
                Some((user, CodePurpose::PasswordReset))
            }
            UserStatus::Invited => Some((user, CodePurpose::Invitation)),
            UserStatus::Deactivated => None,
        });
        self.send_code(&email, target, CodePurpose::PasswordReset)
            .await
    }

    /// Sets a new password with a mailed code: a password-reset code, or the invitation code
    /// of an invited user. Invited and unverified users become `active` (the code proves the
    /// mailbox is theirs). Every refresh token of the user is revoked and access tokens issued
    /// before now die. `422` per bad field, `400` as for [`Self::verify_email`].
    pub async fn reset_password(&self, input: ResetPasswordInput) -> Result<(), DomainError> {
        let email = EmailAddress::parse(&input.email).map_err(|e| e.into_field("email"));
        let code = OneTimeCode::parse(&input.code).map_err(|e| e.into_field("code"));
        let password = NewPassword::parse(input.new_password.expose())
            .map_err(|e| e.into_field("new_password"));
        let (email, code, password) = match (email, code, password) {
            (Ok(e), Ok(c), Ok(p)) => (e, c, p),
            (e, c, p) => return Err(invalid([e.err(), c.err(), p.err()])),
        };
        let Some(user) = self.p.users.find_by_email(&email).await? else {
            return Err(invalid_code());
        };
        let purpose = match user.status {
            UserStatus::Invited => CodePurpose::Invitation,
            UserStatus::Active | UserStatus::PendingVerification => CodePurpose::PasswordReset,
            UserStatus::Deactivated => return Err(invalid_code()),
        };
        let fresh = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
        let hash = self.p.secrets.hash(&code_material(user.id, purpose, &code));
        let mut tx = self.p.tx.begin().await?;
        let outcome = self
            .p
            .codes
            .consume(tx.as_mut(), user.id, purpose, &hash, now)
            .await?;
        if let Some(err) = outcome.into_error() {
            tx.commit().await?;
            return Err(err);
        }
        let mut updated = user.touched(now);
        updated.password_hash = Some(fresh);
        updated.status = UserStatus::Active;
        updated.tokens_valid_after = Some(now);
        self.p
            .users
            .update(tx.as_mut(), &updated, user.version)
            .await
            .map_err(user_write_error)?;
        self.p
            .refresh_tokens
            .revoke_all_for_user(tx.as_mut(), user.organization_id, user.id, None, now)
            .await?;
        let action = if purpose == CodePurpose::Invitation {
            "invitation_accepted"
        } else {
            "password_reset"
        };
        let entry = audit(
            user.organization_id,
            Some(user.id),
            "user",
            user.id.0,
            action,
            Some(&user),
            Some(&updated),
        );
        self.p
            .record(tx.as_mut(), with_password_change(entry))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the caller's password after checking the current one (`422` on
    /// `current_password` when wrong, so a client does not mistake it for an expired session).
    ///
    /// Every other session is ended: all refresh-token families of the user except `session`
    /// (the caller's, from the access token's `sid`) are revoked. `tokens_valid_after` is
    /// deliberately *not* bumped: that would also kill the caller's own access token although
    /// the answer (`204`) carries no new one; other sessions lose their refresh token now and
    /// their access token within its short lifetime (15 minutes). A suspected compromise is
    /// better served by reset or deactivation, which do bump it.
    pub async fn change_password(
        &self,
        actor: &Actor,
        session: Option<FamilyId>,
        input: ChangePasswordInput,
    ) -> Result<(), DomainError> {
        let current = if input.current_password.is_empty() {
            Err(
                super::model::ValueError::new("required", "current_password is required")
                    .into_field("current_password"),
            )
        } else {
            Ok(())
        };
        let password = NewPassword::parse(input.new_password.expose())
            .map_err(|e| e.into_field("new_password"));
        let password = match (current, password) {
            (Ok(()), Ok(p)) => p,
            (c, p) => return Err(invalid([c.err(), p.err()])),
        };
        let user = self.caller(actor).await?;
        let matches = match &user.password_hash {
            Some(h) => {
                self.p
                    .passwords
                    .verify(&input.current_password, h)
                    .await
                    .map_err(hash_error)?
                    .matches
            }
            None => false,
        };
        if !matches {
            return Err(DomainError::invalid(
                "current_password",
                "incorrect",
                "the current password is incorrect",
            ));
        }
        let fresh = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
        let mut updated = user.touched(now);
        updated.password_hash = Some(fresh);
        let mut tx = self.p.tx.begin().await?;
        self.p
            .users
            .update(tx.as_mut(), &updated, user.version)
            .await
            .map_err(user_write_error)?;
        self.p
            .refresh_tokens
            .revoke_all_for_user(tx.as_mut(), user.organization_id, user.id, session, now)
            .await?;
        let entry = audit(
            user.organization_id,
            Some(user.id),
            "user",
            user.id.0,
            "password_changed",
            Some(&user),
            Some(&updated),
        );
        self.p
            .record(tx.as_mut(), with_password_change(entry))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `GET /auth/me`: the caller, their roles (by name) and effective permissions (sorted).
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
    pub async fn authenticate(&self, claims: &AccessClaims) -> Result<Actor, DomainError> {
        // One statement: it runs on every request.
        let (user, roles) = match self
            .p
            .users
            .get_with_roles(claims.organization_id, claims.user_id)
            .await
        {
            Ok(found) => found,
            Err(StoreError::NotFound) => return Err(bad_access_token()),
            Err(e) => return Err(e.into()),
        };
        if !user.accepts_token_issued_at(claims.issued_at) {
            return Err(bad_access_token());
        }
        Ok(Actor::new(
            user.id,
            user.organization_id,
            effective_permissions(&roles),
        ))
    }

    /// Creates a verified `admin` in the organization named `organization_name` (created with
    /// its system roles when missing), unless a user with that email exists, which is reported
    /// and left alone (the server's start-up bootstrap is idempotent; the CLI reports it).
    /// Audited as a system change (no actor).
    pub async fn bootstrap_admin(
        &self,
        input: BootstrapAdminInput,
    ) -> Result<BootstrapOutcome, DomainError> {
        let name = PersonName::parse(&input.name).map_err(|e| e.into_field("name"));
        let email = EmailAddress::parse(&input.email).map_err(|e| e.into_field("email"));
        let password =
            NewPassword::parse(input.password.expose()).map_err(|e| e.into_field("password"));
        let org_name = required_text(
            &input.organization_name,
            "organization",
            Organization::NAME_MAX,
        )
        .map_err(|e| e.into_field("organization"));
        let (name, email, password, org_name) = match (name, email, password, org_name) {
            (Ok(n), Ok(e), Ok(p), Ok(o)) => (n, e, p, o),
            (n, e, p, o) => return Err(invalid([n.err(), e.err(), p.err(), o.err()])),
        };
        if let Some(existing) = self.p.users.find_by_email(&email).await? {
            return Ok(BootstrapOutcome::AlreadyExists(existing));
        }
        let hash = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
        let existing_org = self.p.organizations.find_by_name(&org_name).await?;
        let mut boxed = self.p.tx.begin().await?;
        let tx = boxed.as_mut();
        let (org, admin) = match existing_org {
            Some(org) => {
                let admin = self
                    .p
                    .roles
                    .find_by_name(org.id, ADMIN_ROLE)
                    .await?
                    .filter(|r| r.is_system)
                    .ok_or_else(|| {
                        DomainError::Unexpected(format!(
                            "organization {} has no admin role",
                            org.id
                        ))
                    })?;
                (org, admin.id)
            }
            None => {
                let currency =
                    Currency::parse("USD").map_err(|e| DomainError::Unexpected(e.to_string()))?;
                let org = Organization::new(org_name, currency, now);
                let roles = seed_roles(org.id, now);
                self.p.organizations.create(tx, &org).await?;
                self.p
                    .record(
                        tx,
                        audit(
                            org.id,
                            None,
                            "organization",
                            org.id.0,
                            "created",
                            None,
                            Some(&org),
                        ),
                    )
                    .await?;
                for role in &roles {
                    self.p.roles.create(tx, role).await?;
                    self.p
                        .record(
                            tx,
                            audit(org.id, None, "role", role.id.0, "created", None, Some(role)),
                        )
                        .await?;
                }
                let admin = roles
                    .iter()
                    .find(|r| r.name == ADMIN_ROLE)
                    .map(|r| r.id)
                    .ok_or_else(|| {
                        DomainError::Unexpected("no admin among the system roles".into())
                    })?;
                (org, admin)
            }
        };
        let user = User {
            id: UserId::new(),
            organization_id: org.id,
            name,
            email,
            password_hash: Some(hash),
            status: UserStatus::Active,
            department_id: None,
            designation_id: None,
            tokens_valid_after: None,
            last_login_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.p
            .users
            .create(tx, &user)
            .await
            .map_err(user_write_error)?;
        self.p
            .roles
            .set_user_roles(tx, org.id, user.id, &[admin])
            .await?;
        self.p
            .record(
                tx,
                audit(
                    org.id,
                    None,
                    "user",
                    user.id.0,
                    "created",
                    None,
                    Some(&user),
                ),
            )
            .await?;
        self.p
            .record(tx, roles_changed(None, &user, &[], &[admin]))
            .await?;
        boxed.commit().await?;
        Ok(BootstrapOutcome::Created(user))
    }

    /// The caller's own user row; a token whose user vanished is a bad token.
    async fn caller(&self, actor: &Actor) -> Result<User, DomainError> {
        match self.p.users.get(actor.organization_id, actor.user_id).await {
            Ok(u) => Ok(u),
            Err(StoreError::NotFound) => Err(bad_access_token()),
            Err(e) => Err(e.into()),
        }
    }

    /// The send window first, whoever asks; then the code and its mail for `target`, or, when
    /// there is no one to mail, a record of the request under `fallback` so that it holds the
    /// window exactly as a mail would.
    async fn send_code(
        &self,
        email: &EmailAddress,
        target: Option<(User, CodePurpose)>,
        fallback: CodePurpose,
    ) -> Result<(), DomainError> {
        let now = self.p.clock.now();
        let purpose = target.as_ref().map_or(fallback, |(_, p)| *p);
        self.p
            .check_send_window(&self.settings, email, purpose, now)
            .await?;
        let Some((user, purpose)) = target else {
            self.p.codes.record_request(email, purpose, now).await?;
            return Ok(());
        };
        let mut tx = self.p.tx.begin().await?;
        self.p
            .issue_code(&self.settings, tx.as_mut(), &user, purpose, None, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }
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

fn parse_email_and_code(
    email: &str,
    code: &str,
) -> Result<(EmailAddress, OneTimeCode), DomainError> {
    match (EmailAddress::parse(email), OneTimeCode::parse(code)) {
        (Ok(e), Ok(c)) => Ok((e, c)),
        (e, c) => Err(invalid([
            e.err().map(|e| e.into_field("email")),
            c.err().map(|e| e.into_field("code")),
        ])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::codes::{ConsumeOutcome, RecentSend};
    use crate::identity::model::Role;
    use crate::identity::password::PasswordHash;
    use crate::identity::permissions::CATALOGUE;
    use crate::identity::ports::{HashError, PasswordCheck};
    use crate::identity::test_support::*;
    use crate::kernel::ids::OrganizationId;
    use chrono::Duration;

    const OK: PasswordCheck = PasswordCheck {
        matches: true,
        needs_rehash: false,
    };
    const WRONG: PasswordCheck = PasswordCheck {
        matches: false,
        needs_rehash: false,
    };

    fn svc(env: Env) -> (AuthService, crate::identity::test_support::Probe) {
        let (ports, probe) = env.build();
        (AuthService::new(ports, AuthSettings::default()), probe)
    }

    fn register_input() -> RegisterInput {
        RegisterInput {
            name: " Ann Lee ".into(),
            email: "Ann@Example.com".into(),
            password: "correct horse".into(),
            organization_name: Some("Acme".into()),
        }
    }

    fn code_hash_for(user: UserId, purpose: CodePurpose) -> crate::identity::ports::SecretHash {
        hashed(&format!("code:{}:{user}:{CODE}", purpose.as_str()))
    }

    fn code_of(e: &DomainError) -> &'static str {
        match e {
            DomainError::BadRequest { code, .. }
            | DomainError::Unauthorized { code, .. }
            | DomainError::Forbidden { code, .. }
            | DomainError::Conflict { code, .. } => code,
            other => panic!("unexpected {other:?}"),
        }
    }

    // ---- register -------------------------------------------------------------------------

    #[tokio::test]
    async fn register_writes_everything_in_one_committed_transaction() {
        let mut env = Env::new();
        env.users
            .expect_find_by_email()
            .times(1)
            .returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .withf(|p| p.expose() == "correct horse")
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
        env.organizations
            .expect_create()
            .withf(|_, o| o.name == "Acme" && o.version == 1 && o.default_currency.code() == "USD")
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles
            .expect_create()
            .withf(|_, r| r.is_system)
            .times(6)
            .returning(|_, _| Ok(()));
        env.users
            .expect_create()
            .withf(|_, u| {
                u.status == UserStatus::PendingVerification
                    && u.email.as_str() == "ann@example.com"
                    && u.name.as_str() == "Ann Lee"
                    && u.password_hash == Some(PasswordHash::new("$argon2id$new"))
            })
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles
            .expect_set_user_roles()
            .withf(|_, _, _, roles| roles.len() == 1)
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        env.codes
            .expect_issue()
            .withf(|_, c| {
                c.purpose == CodePurpose::EmailVerification
                    && c.code_hash == code_hash_for(c.user_id, CodePurpose::EmailVerification)
                    && c.expires_at == now() + Duration::minutes(10)
                    && c.max_attempts == 5
                    && c.email.as_str() == "ann@example.com"
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);

        let user = svc.register(register_input()).await.unwrap();

        assert_eq!(user.status, UserStatus::PendingVerification);
        assert_eq!(probe.begins(), 1, "one transaction");
        assert!(probe.committed());
        let mails = probe.mails();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, "ann@example.com");
        assert!(mails[0].text.contains(CODE) && mails[0].subject == "verification");
        let audit = probe.audit();
        let kinds: Vec<(&str, &str)> = audit.iter().map(|a| (a.entity_type, a.action)).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == ("role", "created")).count(),
            6
        );
        assert!(kinds.contains(&("organization", "created")));
        assert!(kinds.contains(&("user", "created")));
        assert!(kinds.contains(&("user", "roles_changed")));
        assert!(
            audit
                .iter()
                .all(|a| a.organization_id == user.organization_id && a.actor_id == Some(user.id))
        );
        assert!(
            audit
                .iter()
                .flat_map(|a| &a.changes)
                .all(|c| c.field != "password_hash"),
            "the hash never reaches the log"
        );
    }

    #[tokio::test]
    async fn register_without_organization_name_names_it_after_the_person() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        env.organizations
            .expect_create()
            .withf(|_, o| o.name == "Ann Lee")
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles.expect_create().returning(|_, _| Ok(()));
        env.users.expect_create().returning(|_, _| Ok(()));
        env.roles
            .expect_set_user_roles()
            .returning(|_, _, _, _| Ok(()));
        env.codes.expect_issue().returning(|_, _| Ok(()));
        let (svc, _) = svc(env);
        let input = RegisterInput {
            organization_name: None,
            ..register_input()
        };
        svc.register(input).await.unwrap();
    }

    #[tokio::test]
    async fn register_with_a_taken_email_is_a_409_before_any_write() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(user(org, "ann@example.com", UserStatus::Active))));
        let (svc, probe) = svc(env);
        let err = svc.register(register_input()).await.unwrap_err();
        assert_eq!(code_of(&err), "email-taken");
        assert!(matches!(err, DomainError::Conflict { .. }));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn register_losing_a_race_on_the_unique_email_is_a_409_and_rolls_back() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        env.organizations.expect_create().returning(|_, _| Ok(()));
        env.roles.expect_create().returning(|_, _| Ok(()));
        env.users.expect_create().returning(|_, _| {
            Err(StoreError::Conflict {
                constraint: "users_email_key".into(),
            })
        });
        let (svc, probe) = svc(env);
        let err = svc.register(register_input()).await.unwrap_err();
        assert_eq!(code_of(&err), "email-taken");
        assert!(!probe.committed());
        assert!(probe.mails().is_empty());
    }

    #[tokio::test]
    async fn register_is_403_when_sign_up_is_closed() {
        let (ports, _) = Env::new().build();
        let svc = AuthService::new(
            ports,
            AuthSettings {
                open_registration: false,
                ..AuthSettings::default()
            },
        );
        let err = svc.register(register_input()).await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Forbidden {
                code: "registration-closed",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn register_reports_every_bad_field() {
        let (svc, _) = svc(Env::new());
        let input = RegisterInput {
            name: "  ".into(),
            email: "nope".into(),
            password: "short".into(),
            organization_name: Some("".into()),
        };
        let DomainError::Invalid(errors) = svc.register(input).await.unwrap_err() else {
            panic!("expected 422")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["name", "email", "password", "organization_name"]
        );
    }

    #[tokio::test]
    async fn saturated_hashing_is_a_503() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .returning(|_| Err(HashError::Busy));
        let (svc, probe) = svc(env);
        assert!(matches!(
            svc.register(register_input()).await.unwrap_err(),
            DomainError::Unavailable(_)
        ));
        assert_eq!(probe.begins(), 0);
    }

    // ---- verify-email ---------------------------------------------------------------------

    fn verify_input() -> VerifyEmailInput {
        VerifyEmailInput {
            email: "ann@example.com".into(),
            code: CODE.into(),
        }
    }

    #[tokio::test]
    async fn the_right_code_activates_and_signs_in() {
        let mut env = Env::new();
        let pending = user(
            OrganizationId::new(),
            "ann@example.com",
            UserStatus::PendingVerification,
        );
        let (uid, version) = (pending.id, pending.version);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(pending.clone())));
        env.codes
            .expect_consume()
            .withf(move |_, u, p, h, t| {
                *u == uid
                    && *p == CodePurpose::EmailVerification
                    && *h == code_hash_for(uid, *p)
                    && *t == now()
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Consumed));
        env.users
            .expect_update()
            .withf(move |_, u, expected| {
                u.status == UserStatus::Active
                    && u.version == version + 1
                    && *expected == version
                    && u.updated_at == now()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_create()
            .withf(move |_, t| {
                t.user_id == uid
                    && t.token_hash == hashed(&format!("refresh:{NEW_REFRESH}"))
                    && t.expires_at == now() + Duration::days(30)
            })
            .times(1)
            .returning(|_, _| Ok(()));
        env.users
            .expect_record_sign_in()
            .withf(move |_, _, u, at| *u == uid && *at == now())
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (svc, probe) = svc(env);

        let pair = svc.verify_email(verify_input()).await.unwrap();

        assert_eq!(pair.token_type, "Bearer");
        assert_eq!(pair.refresh_token, NEW_REFRESH);
        assert_eq!(pair.expires_in, 900);
        assert_eq!(pair.user.status, UserStatus::Active);
        assert_eq!(pair.user.last_login_at, Some(now()));
        assert_eq!(pair.user.version, version + 1);
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "email_verified");
    }

    #[tokio::test]
    async fn wrong_expired_and_exhausted_codes_are_400_and_the_attempt_is_kept() {
        let cases = [
            (ConsumeOutcome::Wrong { attempts_left: 2 }, "invalid-code"),
            (ConsumeOutcome::Wrong { attempts_left: 0 }, "code-exhausted"),
            (ConsumeOutcome::Expired, "code-expired"),
            (ConsumeOutcome::Exhausted, "code-exhausted"),
            (ConsumeOutcome::Missing, "invalid-code"),
        ];
        for (outcome, expected) in cases {
            let mut env = Env::new();
            let pending = user(
                OrganizationId::new(),
                "ann@example.com",
                UserStatus::PendingVerification,
            );
            env.users
                .expect_find_by_email()
                .returning(move |_| Ok(Some(pending.clone())));
            env.codes
                .expect_consume()
                .times(1)
                .returning(move |_, _, _, _, _| Ok(outcome));
            // No users.update / refresh_tokens.create expectations: calling them would fail.
            let (svc, probe) = svc(env);
            let err = svc.verify_email(verify_input()).await.unwrap_err();
            assert!(matches!(err, DomainError::BadRequest { .. }), "{outcome:?}");
            assert_eq!(code_of(&err), expected, "{outcome:?}");
            assert!(
                probe.committed(),
                "{outcome:?}: the counted attempt must be committed"
            );
        }
    }

    #[tokio::test]
    async fn two_concurrent_submits_of_the_right_code_give_one_success() {
        // The adapter's conditional update lets one consume win; the loser sees no live code.
        let mut env = Env::new();
        env.users
            .expect_record_sign_in()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let pending = user(
            OrganizationId::new(),
            "ann@example.com",
            UserStatus::PendingVerification,
        );
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(pending.clone())));
        let mut seq = mockall::Sequence::new();
        env.codes
            .expect_consume()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Consumed));
        env.codes
            .expect_consume()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Missing));
        env.users
            .expect_update()
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, _) = svc(env);
        let (a, b) = tokio::join!(
            svc.verify_email(verify_input()),
            svc.verify_email(verify_input())
        );
        let results = [a, b];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        let err = results.into_iter().find_map(Result::err).unwrap();
        assert_eq!(code_of(&err), "invalid-code");
    }

    #[tokio::test]
    async fn unknown_or_already_verified_addresses_get_the_same_400() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "bob@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |e| Ok((e.as_str() == "bob@example.com").then(|| active.clone())));
        let (svc, probe) = svc(env);
        let unknown = svc.verify_email(verify_input()).await.unwrap_err();
        let verified = svc
            .verify_email(VerifyEmailInput {
                email: "bob@example.com".into(),
                code: CODE.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(unknown, verified);
        assert_eq!(code_of(&unknown), "invalid-code");
        assert_eq!(probe.begins(), 0);
        let malformed = svc
            .verify_email(VerifyEmailInput {
                email: "x".into(),
                code: "12".into(),
            })
            .await;
        assert!(matches!(malformed, Err(DomainError::Invalid(ref e)) if e.len() == 2));
    }

    // ---- login ----------------------------------------------------------------------------

    fn login(email: &str, password: &str) -> LoginInput {
        LoginInput {
            email: email.into(),
            password: password.into(),
        }
    }

    #[tokio::test]
    async fn unknown_email_and_wrong_password_look_identical() {
        let mut env = Env::new();
        let known = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |e| Ok((e.as_str() == "ann@example.com").then(|| known.clone())));
        env.passwords
            .expect_verify_dummy()
            .times(2)
            .returning(|_| Ok(()));
        env.passwords
            .expect_verify()
            .times(1)
            .returning(matches(WRONG));
        let (svc, probe) = svc(env);

        let unknown = svc
            .login(login("zed@example.com", "whatever1"))
            .await
            .unwrap_err();
        let wrong = svc
            .login(login("ann@example.com", "whatever1"))
            .await
            .unwrap_err();
        let malformed = svc
            .login(login("not-an-email", "whatever1"))
            .await
            .unwrap_err();

        assert_eq!(unknown, wrong);
        assert_eq!(unknown, malformed);
        assert!(matches!(
            unknown,
            DomainError::Unauthorized {
                code: "invalid-credentials",
                ..
            }
        ));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn the_right_password_signs_in() {
        let mut env = Env::new();
        let known = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (uid, oid, version) = (known.id, known.organization_id, known.version);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(known.clone())));
        env.passwords
            .expect_verify()
            .withf(|p, h| p.expose() == "correct horse" && h.as_str() == "$argon2id$stored")
            .returning(matches(OK));
        env.refresh_tokens
            .expect_create()
            .withf(move |_, t| t.user_id == uid)
            .times(1)
            .returning(|_, _| Ok(()));
        env.users
            .expect_record_sign_in()
            .withf(move |_, org, u, at| *org == oid && *u == uid && *at == now())
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let pair = svc
            .login(login("ANN@example.com ", "correct horse"))
            .await
            .unwrap();
        assert_eq!(pair.user.id, uid);
        assert_eq!(pair.user.last_login_at, Some(now()));
        assert_eq!(pair.user.version, version, "signing in is not an edit");
        assert!(pair.access_token.starts_with(&format!("at:{uid}:")));
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn unverified_account_with_the_right_password_is_403_email_not_verified() {
        let mut env = Env::new();
        let pending = user(
            OrganizationId::new(),
            "ann@example.com",
            UserStatus::PendingVerification,
        );
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(pending.clone())));
        let mut seq = mockall::Sequence::new();
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(OK));
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(WRONG));
        let (svc, _) = svc(env);
        let right = svc
            .login(login("ann@example.com", "correct horse"))
            .await
            .unwrap_err();
        assert!(matches!(
            right,
            DomainError::Forbidden {
                code: "email-not-verified",
                ..
            }
        ));
        // With a wrong password the account's state stays hidden.
        let wrong = svc
            .login(login("ann@example.com", "nope nope"))
            .await
            .unwrap_err();
        assert_eq!(code_of(&wrong), "invalid-credentials");
    }

    #[tokio::test]
    async fn deactivated_and_invited_accounts_cannot_sign_in() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let off = user(org, "off@example.com", UserStatus::Deactivated);
        let invited = user(org, "new@example.com", UserStatus::Invited);
        env.users.expect_find_by_email().returning(move |e| {
            Ok(Some(if e.as_str() == "off@example.com" {
                off.clone()
            } else {
                invited.clone()
            }))
        });
        env.passwords
            .expect_verify()
            .times(1)
            .returning(matches(OK));
        // The invited user has no hash yet: the dummy check keeps the timing equal.
        env.passwords
            .expect_verify_dummy()
            .times(1)
            .returning(|_| Ok(()));
        let (svc, _) = svc(env);
        for email in ["off@example.com", "new@example.com"] {
            let err = svc.login(login(email, "correct horse")).await.unwrap_err();
            assert_eq!(code_of(&err), "invalid-credentials", "{email}");
        }
    }

    #[tokio::test]
    async fn a_hash_that_needs_rehash_is_replaced_at_sign_in() {
        let mut env = Env::new();
        env.users
            .expect_record_sign_in()
            .returning(|_, _, _, _| Ok(()));
        let mut legacy = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        legacy.password_hash = Some(PasswordHash::new("$2b$10$legacy"));
        let (org, uid) = (legacy.organization_id, legacy.id);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(legacy.clone())));
        env.passwords
            .expect_verify()
            .returning(matches(PasswordCheck {
                matches: true,
                needs_rehash: true,
            }));
        env.passwords
            .expect_hash()
            .withf(|p| p.expose() == "short1")
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$fresh")));
        env.users
            .expect_set_password_hash()
            .withf(move |_, o, u, h| *o == org && *u == uid && h.as_str() == "$argon2id$fresh")
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        env.refresh_tokens.expect_create().returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        // Legacy passwords shorter than today's policy still sign in: the policy is for new ones.
        let pair = svc.login(login("ann@example.com", "short1")).await.unwrap();
        assert_eq!(
            pair.user.password_hash,
            Some(PasswordHash::new("$argon2id$fresh"))
        );
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn a_busy_pool_refuses_fast_and_a_failed_rehash_does_not_block_sign_in() {
        let mut env = Env::new();
        env.users
            .expect_record_sign_in()
            .returning(|_, _, _, _| Ok(()));
        let known = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(known.clone())));
        let mut seq = mockall::Sequence::new();
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Err(HashError::Busy));
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(PasswordCheck {
                matches: true,
                needs_rehash: true,
            }));
        env.passwords
            .expect_hash()
            .times(1)
            .returning(|_| Err(HashError::Busy));
        env.refresh_tokens
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, _) = svc(env);
        let busy = svc
            .login(login("ann@example.com", "correct horse"))
            .await
            .unwrap_err();
        assert!(matches!(busy, DomainError::Unavailable(_)));
        assert!(
            svc.login(login("ann@example.com", "correct horse"))
                .await
                .is_ok()
        );
    }

    // ---- refresh / logout -----------------------------------------------------------------

    #[tokio::test]
    async fn refresh_rotates_and_returns_a_new_pair_in_the_same_family() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (org, uid) = (active.organization_id, active.id);
        let family = FamilyId::new();
        env.refresh_tokens
            .expect_rotate()
            .withf(|_, presented, next, t| {
                *presented == hashed("refresh:old-token")
                    && next.token_hash == hashed(&format!("refresh:{NEW_REFRESH}"))
                    && *t == now()
            })
            .times(1)
            .returning(move |_, _, _, _| {
                Ok(RotateOutcome::Rotated {
                    organization_id: org,
                    user_id: uid,
                    family_id: family,
                })
            });
        env.users
            .expect_get_in_tx()
            .withf(move |_, o, u| *o == org && *u == uid)
            .returning(move |_, _, _| Ok(active.clone()));
        let (svc, probe) = svc(env);
        let pair = svc.refresh("old-token").await.unwrap();
        assert_eq!(pair.refresh_token, NEW_REFRESH);
        assert_eq!(pair.access_token, format!("at:{uid}:{family}"));
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn reusing_a_retired_refresh_token_revokes_its_whole_family() {
        let mut env = Env::new();
        let family = FamilyId::new();
        env.refresh_tokens
            .expect_rotate()
            .returning(move |_, _, _, _| Ok(RotateOutcome::Reused { family_id: family }));
        env.refresh_tokens
            .expect_revoke_family()
            .withf(move |_, f, t| *f == family && *t == now())
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let err = svc.refresh("stolen").await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Unauthorized {
                code: "invalid-refresh-token",
                ..
            }
        ));
        assert!(
            probe.committed(),
            "the revocation must stick although the request fails"
        );
    }

    #[tokio::test]
    async fn invalid_tokens_and_tokens_of_deactivated_users_are_401() {
        let mut env = Env::new();
        let off = user(
            OrganizationId::new(),
            "off@example.com",
            UserStatus::Deactivated,
        );
        let (org, uid) = (off.organization_id, off.id);
        let family = FamilyId::new();
        let mut seq = mockall::Sequence::new();
        env.refresh_tokens
            .expect_rotate()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(RotateOutcome::Invalid));
        env.refresh_tokens
            .expect_rotate()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_, _, _, _| {
                Ok(RotateOutcome::Rotated {
                    organization_id: org,
                    user_id: uid,
                    family_id: family,
                })
            });
        env.users
            .expect_get_in_tx()
            .returning(move |_, _, _| Ok(off.clone()));
        env.refresh_tokens
            .expect_revoke_family()
            .withf(move |_, f, _| *f == family)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, _) = svc(env);
        assert_eq!(
            code_of(&svc.refresh("unknown").await.unwrap_err()),
            "invalid-refresh-token"
        );
        assert_eq!(
            code_of(&svc.refresh("of-deactivated").await.unwrap_err()),
            "invalid-refresh-token"
        );
        assert_eq!(
            code_of(&svc.refresh("").await.unwrap_err()),
            "invalid-refresh-token"
        );
    }

    #[tokio::test]
    async fn logout_revokes_the_family_and_is_idempotent() {
        let mut env = Env::new();
        let mut seq = mockall::Sequence::new();
        env.refresh_tokens
            .expect_revoke_by_token()
            .withf(|_, h, _| *h == hashed("refresh:tok"))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(Some(FamilyId::new())));
        env.refresh_tokens
            .expect_revoke_by_token()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(None));
        let (svc, probe) = svc(env);
        svc.logout("tok").await.unwrap();
        svc.logout("tok").await.unwrap();
        assert!(probe.committed());
    }

    // ---- resend / forgot ------------------------------------------------------------------

    fn sent(purpose: CodePurpose, secs_ago: i64, holds_window: bool) -> RecentSend {
        RecentSend {
            purpose,
            at: now() - Duration::seconds(secs_ago),
            holds_window,
        }
    }

    #[tokio::test]
    async fn requests_without_an_account_mail_nothing_but_hold_the_window() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.codes
            .expect_recent_sends()
            .withf(|_, since| *since == now() - Duration::hours(1))
            .returning(|_, _| Ok(vec![]));
        env.codes
            .expect_record_request()
            .withf(|e, p, at| {
                e.as_str() == "nobody@example.com"
                    && *p == CodePurpose::EmailVerification
                    && *at == now()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.codes
            .expect_record_request()
            .withf(|_, p, _| *p == CodePurpose::PasswordReset)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        svc.resend_code("nobody@example.com").await.unwrap();
        svc.forgot_password("nobody@example.com").await.unwrap();
        assert_eq!(probe.begins(), 0);
        assert!(probe.mails().is_empty());
        assert!(matches!(
            svc.resend_code("bad").await,
            Err(DomainError::Invalid(_))
        ));

        // Within the window an unknown address is refused as a known one is.
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.codes
            .expect_recent_sends()
            .returning(|_, _| Ok(vec![sent(CodePurpose::EmailVerification, 15, true)]));
        env.codes.expect_record_request().never();
        let (service, _) = self::svc(env);
        assert_eq!(
            service.resend_code("nobody@example.com").await.unwrap_err(),
            DomainError::RateLimited {
                retry_after_secs: 45
            }
        );
    }

    /// A pending user whose address saw `recent` code requests in the last hour.
    fn pending_env(recent: Vec<RecentSend>) -> Env {
        let mut env = Env::new();
        let pending = user(
            OrganizationId::new(),
            "ann@example.com",
            UserStatus::PendingVerification,
        );
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(pending.clone())));
        env.codes
            .expect_recent_sends()
            .returning(move |_, _| Ok(recent.clone()));
        env
    }

    #[tokio::test]
    async fn resend_is_429_within_the_window_or_over_the_hourly_cap() {
        use CodePurpose::{EmailVerification as V, PasswordReset as R};
        let refused = [
            (vec![sent(V, 10, true)], 50),
            (vec![sent(V, 59, true), sent(V, 5, false)], 1),
            (
                vec![
                    sent(V, 3000, true),
                    sent(R, 2000, true),
                    sent(V, 900, true),
                    sent(R, 300, true),
                    sent(V, 200, false),
                ],
                600,
            ),
        ];
        for (recent, secs) in refused {
            let mut env = pending_env(recent.clone());
            env.codes.expect_issue().never();
            let (svc, probe) = svc(env);
            assert_eq!(
                svc.resend_code("ann@example.com").await.unwrap_err(),
                DomainError::RateLimited {
                    retry_after_secs: secs
                },
                "{recent:?}"
            );
            assert!(probe.mails().is_empty());
        }
        // Another purpose's code, an old one, or one killed by its wrong tries: mailed at once.
        for recent in [
            vec![sent(R, 1, true)],
            vec![sent(V, 61, true)],
            vec![sent(V, 20, false)],
        ] {
            let mut env = pending_env(recent.clone());
            env.codes
                .expect_issue()
                .withf(|_, c| c.purpose == CodePurpose::EmailVerification)
                .times(1)
                .returning(|_, _| Ok(()));
            let (svc, probe) = svc(env);
            svc.resend_code("ann@example.com").await.unwrap();
            assert_eq!(probe.mails().len(), 1, "{recent:?}");
            assert!(probe.committed());
        }
    }

    #[tokio::test]
    async fn resend_to_a_verified_account_mails_nothing_and_holds_the_window() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(active.clone())));
        env.codes.expect_recent_sends().returning(|_, _| Ok(vec![]));
        env.codes
            .expect_record_request()
            .withf(|_, p, _| *p == CodePurpose::EmailVerification)
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.codes.expect_issue().never();
        let (svc, probe) = svc(env);
        svc.resend_code("ann@example.com").await.unwrap();
        assert!(probe.mails().is_empty());
    }

    #[tokio::test]
    async fn forgot_password_mails_a_reset_code_or_a_fresh_invitation() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let active = user(org, "ann@example.com", UserStatus::Active);
        let invited = user(org, "new@example.com", UserStatus::Invited);
        env.users.expect_find_by_email().returning(move |e| {
            Ok(Some(if e.as_str() == "ann@example.com" {
                active.clone()
            } else {
                invited.clone()
            }))
        });
        // A verification code mailed a moment ago (as at registration) holds its own purpose
        // only: the reset code goes at once.
        env.codes
            .expect_recent_sends()
            .returning(|_, _| Ok(vec![sent(CodePurpose::EmailVerification, 1, true)]));
        env.codes.expect_issue().times(2).returning(|_, _| Ok(()));
        env.organizations
            .expect_get()
            .withf(move |o| *o == org)
            .returning(move |_| {
                let mut o =
                    Organization::new("Acme".into(), Currency::parse("EUR").unwrap(), now());
                o.id = org;
                Ok(o)
            });
        let (svc, probe) = svc(env);
        svc.forgot_password("ann@example.com").await.unwrap();
        svc.forgot_password("new@example.com").await.unwrap();
        let subjects: Vec<String> = probe.mails().into_iter().map(|m| m.subject).collect();
        assert_eq!(subjects, vec!["password_reset", "invitation to Acme"]);
    }

    // ---- reset / change password ----------------------------------------------------------

    #[tokio::test]
    async fn an_invitation_code_sets_the_password_activates_and_revokes_everything() {
        let mut env = Env::new();
        let invited = user(
            OrganizationId::new(),
            "new@example.com",
            UserStatus::Invited,
        );
        let (org, uid) = (invited.organization_id, invited.id);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(invited.clone())));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$chosen")));
        env.codes
            .expect_consume()
            .withf(move |_, u, p, h, _| {
                *u == uid && *p == CodePurpose::Invitation && *h == code_hash_for(uid, *p)
            })
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Consumed));
        env.users
            .expect_update()
            .withf(|_, u, _| {
                u.status == UserStatus::Active
                    && u.tokens_valid_after == Some(now())
                    && u.password_hash == Some(PasswordHash::new("$argon2id$chosen"))
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_revoke_all_for_user()
            .withf(move |_, o, u, except, _| *o == org && *u == uid && except.is_none())
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let input = ResetPasswordInput {
            email: "new@example.com".into(),
            code: CODE.into(),
            new_password: "a brand new one".into(),
        };
        svc.reset_password(input).await.unwrap();
        assert!(probe.committed());
        let entry = &probe.audit()[0];
        assert_eq!(entry.action, "invitation_accepted");
        let pw = entry
            .changes
            .iter()
            .find(|c| c.field == "password")
            .unwrap();
        assert_eq!(pw.after, "[redacted]");
    }

    #[tokio::test]
    async fn a_wrong_reset_code_changes_nothing_but_the_attempt_count() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(active.clone())));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        env.codes
            .expect_consume()
            .withf(|_, _, p, _, _| *p == CodePurpose::PasswordReset)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Wrong { attempts_left: 4 }));
        let (svc, probe) = svc(env);
        let input = ResetPasswordInput {
            email: "ann@example.com".into(),
            code: "000000".into(),
            new_password: "a brand new one".into(),
        };
        let err = svc.reset_password(input).await.unwrap_err();
        assert_eq!(code_of(&err), "invalid-code");
        assert!(probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn change_password_checks_the_current_one_and_ends_other_sessions() {
        let mut env = Env::new();
        let me = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (org, uid) = (me.organization_id, me.id);
        let caller = Actor::new(uid, org, Vec::<String>::new());
        let session = FamilyId::new();
        env.users
            .expect_get()
            .withf(move |o, u| *o == org && *u == uid)
            .returning(move |_, _| Ok(me.clone()));
        let mut seq = mockall::Sequence::new();
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(WRONG));
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(OK));
        env.passwords
            .expect_hash()
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$next")));
        env.users
            .expect_update()
            .withf(|_, u, _| {
                u.password_hash == Some(PasswordHash::new("$argon2id$next"))
                    && u.tokens_valid_after.is_none()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_revoke_all_for_user()
            .withf(move |_, o, u, except, _| *o == org && *u == uid && *except == Some(session))
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let input = || ChangePasswordInput {
            current_password: "old password".into(),
            new_password: "new password".into(),
        };

        let err = svc
            .change_password(&caller, Some(session), input())
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Invalid(ref e) if e[0].field == "current_password"));
        svc.change_password(&caller, Some(session), input())
            .await
            .unwrap();
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "password_changed");
    }

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
        env.users.expect_get_with_roles().returning(move |o, _| {
            Ok((u.clone(), vec![role(o, ADMIN_ROLE, true, &["leads:read"])]))
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
            .returning(move |_, _| Ok((off.clone(), vec![])));
        env.users
            .expect_get_with_roles()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Err(StoreError::NotFound));
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

    // ---- bootstrap ------------------------------------------------------------------------

    #[tokio::test]
    async fn bootstrap_creates_a_verified_admin_once() {
        let mut env = Env::new();
        let mut seq = mockall::Sequence::new();
        env.users
            .expect_find_by_email()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(None));
        let existing = user(
            OrganizationId::new(),
            "root@example.com",
            UserStatus::Active,
        );
        env.users
            .expect_find_by_email()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(existing.clone())));
        env.passwords
            .expect_hash()
            .times(1)
            .returning(|_| Ok(PasswordHash::new("h")));
        env.organizations
            .expect_find_by_name()
            .withf(|n| n == "Default")
            .returning(|_| Ok(None));
        env.organizations
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles.expect_create().times(6).returning(|_, _| Ok(()));
        env.users
            .expect_create()
            .withf(|_, u| u.status == UserStatus::Active)
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles
            .expect_set_user_roles()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let input = BootstrapAdminInput {
            email: "root@example.com".into(),
            password: "bootstrap pw".into(),
            name: "Root".into(),
            organization_name: "Default".into(),
        };
        assert!(matches!(
            svc.bootstrap_admin(input.clone()).await.unwrap(),
            BootstrapOutcome::Created(_)
        ));
        assert!(probe.committed());
        assert!(probe.audit().iter().all(|a| a.actor_id.is_none()));
        assert!(matches!(
            svc.bootstrap_admin(input).await.unwrap(),
            BootstrapOutcome::AlreadyExists(_)
        ));
        assert_eq!(probe.begins(), 1);
    }
}
