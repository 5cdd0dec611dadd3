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
mod department_service;
mod email;
mod model;
mod organization_service;
mod password;
pub mod permissions;
mod ports;
pub mod requirements;
mod role_service;
mod settings;
#[cfg(test)]
mod test_support;
mod user_service;

pub use auth::{
    AuthService, BootstrapAdminInput, BootstrapOutcome, ChangePasswordInput, LoginInput,
    RegisterInput, ResetPasswordInput, VerifyEmailInput,
};
pub use codes::{
    CodePurpose, ConsumeOutcome, NewVerificationCode, OneTimeCode, RecentSend, send_wait,
};
pub use common::effective_permissions;
pub use department_service::{
    DEPARTMENT_LIST_SPEC, DESIGNATION_LIST_SPEC, DepartmentInput, DepartmentPatch,
    DepartmentService, DesignationInput, DesignationPatch, DesignationService, MAX_LEVEL,
};
pub use email::EmailAddress;
pub use model::{
    Department, DepartmentId, Designation, DesignationId, FamilyId, Me, Organization, PersonName,
    RefreshTokenId, Role, RoleId, RoleSummary, TokenPair, User, UserStatus, ValueError,
    VerificationCodeId,
};
pub use organization_service::{OrganizationPatch, OrganizationService};
pub use password::{NewPassword, PasswordHash, PlainPassword};
pub use permissions::{CATALOGUE, PermissionDef, SystemRole, system_roles};
pub use ports::*;
pub use role_service::{ROLE_LIST_SPEC, RoleInput, RolePatch, RoleService};
pub use settings::AuthSettings;
pub use user_service::{CreateUserInput, USER_LIST_SPEC, UserPatch, UserService};

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
