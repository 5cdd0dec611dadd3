use super::model::User;
use crate::identity::email::EmailAddress;
use crate::identity::model::FamilyId;
use crate::identity::password::PasswordHash;
use crate::identity::roles::Role;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// What authentication reads about the caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user: User,
    pub roles: Vec<Role>,
    /// `false` when the token's sign-in session has ended (logout, a reused refresh token,
    /// a password reset or change): its refresh-token family holds no open token any more.
    /// `true` for a token issued without a session.
    pub session_open: bool,
}

impl Caller {
    /// The user acting with the permissions their roles give them now.
    pub fn actor(&self) -> crate::kernel::context::Actor {
        crate::kernel::context::Actor::with_permissions(
            self.user.id,
            self.user.organization_id,
            crate::identity::common::effective_permission_set(&self.roles),
        )
    }
}

/// Users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts `user`. `Conflict` when the email is taken (system-wide unique).
    async fn create(&self, tx: &mut Txn, user: &User) -> Result<(), StoreError>;

    /// The user `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: UserId) -> Result<User, StoreError>;

    /// The user `id` of `org`, read inside `tx` and held until it ends, so a concurrent writer
    /// of the user (profile, status, roles) waits for this one; `NotFound` when missing or of
    /// another organization.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
    ) -> Result<User, StoreError>;

    /// The user `id` of `org`, the roles assigned to them and, for a token issued in the
    /// sign-in session `session`, whether that session is still open, read in one statement:
    /// authentication runs it on every request. `NotFound` when missing or of another
    /// organization.
    async fn get_with_roles(
        &self,
        org: OrganizationId,
        id: UserId,
        session: Option<FamilyId>,
    ) -> Result<Caller, StoreError>;

    /// As [`Self::get`], read on `tx`'s connection: a transaction that needs the user must
    /// not wait for a second connection from the pool while it holds one (with every
    /// connection held that way, the waits would only end in the acquire timeout).
    async fn get_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
    ) -> Result<User, StoreError>;

    /// Global lookup by (already normalised) address, for sign-in and codes; `Ok(None)` when no
    /// user has it. Adapters compare case-insensitively so rows written by older software match.
    async fn find_by_email(&self, email: &EmailAddress) -> Result<Option<User>, StoreError>;

    /// One page of the users of `org`.
    async fn list(&self, org: OrganizationId, query: &ListQuery) -> Result<Page<User>, StoreError>;

    /// Stores `user` (new version already set) where the stored version is `expected_version`,
    /// within `user.organization_id`. `Stale` on a version mismatch, `NotFound` when gone,
    /// `Conflict` when a changed email is taken.
    async fn update(
        &self,
        tx: &mut Txn,
        user: &User,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Replaces the password hash without touching `version` or `updated_at`: an upgrade of
    /// the hash algorithm at sign-in is not a change of the resource. `NotFound` when gone.
    async fn set_password_hash(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError>;

    /// Stamps `last_login_at`, again without touching `version` or `updated_at`. `NotFound`
    /// when gone.
    async fn record_sign_in(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}
