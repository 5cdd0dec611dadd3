//! What identity needs from the outside world.
//!
//! Tenancy rule: every repository method that reads or writes records of one organization takes
//! that organization's id (from the caller's token, never from a request) and must answer
//! `StoreError::NotFound` for a record of another organization, exactly as for a missing one.
//! The only global lookups are by email (login is by email, so an address is unique across the
//! system), by refresh-token hash (the token is itself the credential) and by organization name
//! (bootstrap only). Write methods take the caller's transaction so a change, its audit entry
//! and its outbox mail commit together.

use super::codes::{CodePurpose, ConsumeOutcome, NewVerificationCode};
use super::email::EmailAddress;
use super::model::{FamilyId, RefreshTokenId};
use super::password::{PasswordHash, PlainPassword};
use super::users::User;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::uow::Txn;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;
use thiserror::Error;

/// One-time codes, stored only as keyed hashes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait VerificationCodeRepository: Send + Sync {
    /// Stores `code` as the live code of its user and purpose. Any earlier live code of that
    /// user and purpose stops working, but its row stays (marked superseded) so that
    /// [`Self::issued_since`] still counts it.
    async fn issue(&self, tx: &mut Txn, code: &NewVerificationCode) -> Result<(), StoreError>;

    /// One attempt at the live code of `user` for `purpose`, as a single conditional update
    /// (`… SET consumed_at = now WHERE live AND hash = ? AND expires_at > now AND attempts <
    /// max`, then classify by reading the row when nothing was updated), so that two concurrent
    /// submits of the right code give exactly one [`ConsumeOutcome::Consumed`] and the other
    /// [`ConsumeOutcome::Missing`]. A wrong code increments the attempts in the same way.
    /// Store failures are `Unavailable`/`Unexpected`; every rule outcome is `Ok`.
    async fn consume(
        &self,
        tx: &mut Txn,
        user: UserId,
        purpose: CodePurpose,
        code_hash: &SecretHash,
        now: DateTime<Utc>,
    ) -> Result<ConsumeOutcome, StoreError>;

    /// How many codes (any purpose, superseded ones included) were issued to `email` at or
    /// after `since`: the basis of the resend cooldown and hourly cap.
    async fn issued_since(
        &self,
        email: &EmailAddress,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError>;

    /// Every code request for `email` at or after `since`: the codes mailed (any purpose and
    /// state; `holds_window` is false for a code killed by its wrong tries) and the requests
    /// recorded by [`Self::record_request`]. The basis of the send window and hourly cap
    /// ([`super::codes::send_wait`]).
    async fn recent_sends(
        &self,
        email: &EmailAddress,
        since: DateTime<Utc>,
    ) -> Result<Vec<super::codes::RecentSend>, StoreError>;

    /// Records a code request that mailed nothing (no account, or nothing to send), so that it
    /// holds the window of `purpose` for `email` as a mailed code would. Requests older than
    /// an hour of the same address may be forgotten here.
    async fn record_request(
        &self,
        email: &EmailAddress,
        purpose: CodePurpose,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// A refresh token to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub id: RefreshTokenId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub family_id: FamilyId,
    pub token_hash: SecretHash,
    pub created_at: DateTime<Utc>,
    /// The family's absolute end: set at sign-in, inherited unchanged by every rotation.
    pub expires_at: DateTime<Utc>,
}

/// The successor of a rotated token; the adapter copies organization, user, family and
/// `expires_at` from the token it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotatedToken {
    pub id: RefreshTokenId,
    pub token_hash: SecretHash,
    pub created_at: DateTime<Utc>,
}

/// How a rotation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The presented token was current; it is now retired and its successor stored.
    Rotated {
        organization_id: OrganizationId,
        user_id: UserId,
        family_id: FamilyId,
    },
    /// The presented token was already retired by an earlier rotation: it has been stolen or
    /// replayed. The service must revoke the whole family.
    Reused { family_id: FamilyId },
    /// Unknown, revoked, or past the family's absolute lifetime.
    Invalid,
}

/// Refresh tokens, stored only as keyed hashes and grouped in families.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RefreshTokenRepository: Send + Sync {
    /// Stores the first token of a new family.
    async fn create(&self, tx: &mut Txn, token: &NewRefreshToken) -> Result<(), StoreError>;

    /// Retires the token whose hash is `presented` and stores `next` in its family, as one
    /// conditional update (`… WHERE hash = ? AND retired_at IS NULL AND revoked_at IS NULL AND
    /// expires_at > now`), so two concurrent uses give one `Rotated` and one `Reused`.
    /// A global lookup: the token is the credential, its row names the organization.
    async fn rotate(
        &self,
        tx: &mut Txn,
        presented: &SecretHash,
        next: &RotatedToken,
        now: DateTime<Utc>,
    ) -> Result<RotateOutcome, StoreError>;

    /// Logout: revokes the family of the token whose hash is `presented`, whether the token is
    /// current or retired. `Ok(None)` when no token has that hash.
    async fn revoke_by_token(
        &self,
        tx: &mut Txn,
        presented: &SecretHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FamilyId>, StoreError>;

    /// Revokes every token of `family` (idempotent).
    async fn revoke_family(
        &self,
        tx: &mut Txn,
        family: FamilyId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Revokes every family of `user` in `org` but `except` (the caller's own session, when it
    /// is to survive). Idempotent.
    async fn revoke_all_for_user(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        except: Option<FamilyId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// Result of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordCheck {
    pub matches: bool,
    /// The hash verified but is not what the hasher writes today (bcrypt, weaker argon2
    /// parameters): store a fresh hash while the plain password is at hand.
    pub needs_rehash: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HashError {
    /// The bounded hashing pool is saturated; the request is refused at once rather than
    /// queued, so a login flood cannot pile up.
    #[error("password hashing is saturated")]
    Busy,
    /// A bug or an unusable configuration; the message is for logs.
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Slow password hashing (argon2id, or bcrypt when configured), off the async workers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A new hash with today's algorithm and parameters. `Busy` when the pool is saturated.
    async fn hash(&self, password: &PlainPassword) -> Result<PasswordHash, HashError>;

    /// Checks `password` against `hash` in constant time. A hash it cannot parse is
    /// `Ok(matches: false)` after the same work as a real check, never an error that would
    /// tell accounts apart. `Busy` when the pool is saturated.
    async fn verify(
        &self,
        password: &PlainPassword,
        hash: &PasswordHash,
    ) -> Result<PasswordCheck, HashError>;

    /// Does the work of [`Self::verify`] against a fixed dummy hash, so a sign-in with an
    /// unknown email costs the same time as one with a known email. `Busy` as above.
    async fn verify_dummy(&self, password: &PlainPassword) -> Result<(), HashError>;
}

/// A keyed hash (HMAC-SHA-256 with a server secret, hex or base64) of a code or refresh token:
/// deterministic, so the store can look it up, and useless to whoever reads the database
/// without the key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn new(encoded: impl Into<String>) -> Self {
        Self(encoded.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell hashes apart in test failures without printing one whole.
        let head: String = self.0.chars().take(8).collect();
        write!(f, "SecretHash({head}…)")
    }
}

/// Keyed hashing of short-lived secrets. Fast by design: its inputs carry enough entropy or
/// are bound to an attempt counter, unlike passwords.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretHasher: Send + Sync {
    fn hash(&self, secret: &str) -> SecretHash;
}

/// Random secrets from a CSPRNG.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretGenerator: Send + Sync {
    /// Six uniformly random decimal digits (leading zeros included).
    fn six_digit_code(&self) -> super::codes::OneTimeCode;
    /// An opaque refresh token with at least 256 bits of entropy, URL-safe.
    fn refresh_token(&self) -> String;
}

/// A signed access token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    /// Seconds from issue to expiry.
    pub expires_in: u64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("access token could not be issued: {0}")]
pub struct TokenError(pub String);

/// What the API learned from a verified access token, handed to `AuthService::authenticate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub organization_id: OrganizationId,
    /// The refresh-token family the token was issued with (the session).
    pub session: Option<FamilyId>,
    /// With sub-second precision, compared with `User::tokens_valid_after`.
    pub issued_at: DateTime<Utc>,
}

/// Signs access tokens (JWT HS256: `sub`, `org`, `sid`, `iat`, `exp`, `iss`, `aud`, `jti`, type).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenIssuer: Send + Sync {
    /// A token for `user` in session `session`, issued at `now` (the domain's clock, so that it
    /// compares consistently with `tokens_valid_after`). Fails only on a broken key.
    fn issue(
        &self,
        user: &User,
        session: FamilyId,
        now: DateTime<Utc>,
    ) -> Result<AccessToken, TokenError>;
}

/// The time, injectable so tests can stand still.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
