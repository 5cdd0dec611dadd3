//! Identity and access: organizations, users, roles and permissions, codes and tokens.
//!
//! Pure rules and ports; adapters (crm-db, crm-api, crm-mail) implement the ports. Where
//! things are enforced:
//! - tenancy: every repository method takes the organization id of the caller's token
//!   (the `ports` module docs say which lookups are global and why); a record of another
//!   organization is `NotFound`, never `Forbidden`;
//! - permissions: each service method checks [`crate::Actor::scope`] before touching storage;
//!   nobody grants or revokes permissions they do not hold themselves;
//! - atomicity: each write opens one transaction for the change, its audit entry
//!   ([`crate::activity::ActivityRepository::record`]) and its mail
//!   ([`crate::mail::OutboxRepository::enqueue`]);
//! - secrets: codes and refresh tokens are stored only as keyed hashes, passwords only as
//!   slow hashes; none of their types prints its content.

mod auth;
mod codes;
mod common;
mod departments;
mod designations;
mod email;
mod model;
mod organization;
mod password;
pub mod permissions;
mod ports;
pub mod requirements;
mod roles;
mod settings;
#[cfg(test)]
mod test_support;
mod users;

pub use auth::{
    AuthService, BootstrapAdminInput, BootstrapOutcome, ChangePasswordInput, LoginInput,
    RegisterInput, ResetPasswordInput, VerifyEmailInput,
};
pub use codes::{
    CodePurpose, ConsumeOutcome, NewVerificationCode, OneTimeCode, RecentSend, send_wait,
};
pub use common::effective_permissions;
pub use departments::*;
pub use designations::*;
pub use email::EmailAddress;
pub use model::{
    DepartmentId, DesignationId, FamilyId, Me, PersonName, RefreshTokenId, RoleId, TokenPair,
    ValueError, VerificationCodeId,
};
pub use organization::*;
pub use password::{NewPassword, PasswordHash, PlainPassword};
pub use permissions::{CATALOGUE, PermissionDef, SystemRole, system_roles};
pub use ports::*;
pub use roles::*;
pub use settings::AuthSettings;
pub use users::*;

/// The services of identity and access, as the server holds them.
#[derive(Clone)]
pub struct IdentityServices {
    pub auth: AuthService,
    pub organizations: OrganizationService,
    pub users: UserService,
    pub roles: RoleService,
    pub departments: DepartmentService,
    pub designations: DesignationService,
}

impl IdentityServices {
    pub fn new(ports: IdentityPorts, settings: AuthSettings) -> Self {
        Self {
            auth: AuthService::new(ports.clone(), settings.clone()),
            organizations: OrganizationService::new(ports.clone()),
            users: UserService::new(ports.clone(), settings),
            roles: RoleService::new(ports.clone()),
            departments: DepartmentService::new(ports.clone()),
            designations: DesignationService::new(ports),
        }
    }
}
