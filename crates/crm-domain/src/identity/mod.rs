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
mod roles;
mod settings;
#[cfg(test)]
pub(crate) mod test_support;
pub mod throttle;
mod users;

pub use auth::{
    AuthService, BootstrapAdminInput, BootstrapOutcome, ChangePasswordInput, LoginInput,
    RegisterInput, ResetPasswordInput, VerifyEmailInput,
};
pub use codes::{
    CodePurpose, ConsumeOutcome, NewVerificationCode, OneTimeCode, RecentSend, send_wait,
};
pub use common::{effective_permissions, seed_roles};
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

use crate::activity::ActivityRepository;
use crate::kernel::records::Records;
use crate::kernel::uow::TxManager;
use crate::mail::{MailTemplates, OutboxRepository};
use std::sync::Arc;

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

/// Every port the identity services use, wired once by the composition root and shared by
/// all of them (each service uses the subset it needs).
#[derive(Clone)]
pub struct IdentityPorts {
    pub tx: Arc<dyn TxManager>,
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub roles: Arc<dyn RoleRepository>,
    pub departments: Arc<dyn Records<Department>>,
    /// The ancestry of departments.
    pub department_tree: Arc<dyn DepartmentRepository>,
    pub designations: Arc<dyn Records<Designation>>,
    pub codes: Arc<dyn VerificationCodeRepository>,
    pub refresh_tokens: Arc<dyn RefreshTokenRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    pub outbox: Arc<dyn OutboxRepository>,
    pub mail: Arc<dyn MailTemplates>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub secrets: Arc<dyn SecretHasher>,
    pub generator: Arc<dyn SecretGenerator>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub clock: Arc<dyn Clock>,
    /// To check that `logo_file_id` names a file of the organization.
    pub files: Arc<dyn crate::files::FileRepository>,
}

/// The permissions identity's routes and services require, as types.
/// Declared here, with the module's event and notification types, so that a new resource
/// of the module registers in this one file.
pub mod requirements {
    crate::requirements! {
        ActivitiesRead = "activities":"read";
        OrganizationRead = "organization":"read";
        OrganizationWrite = "organization":"write";
        UsersRead = "users":"read";
        UsersWrite = "users":"write";
        UsersDelete = "users":"delete";
        RolesRead = "roles":"read";
        RolesWrite = "roles":"write";
        RolesDelete = "roles":"delete";
        PermissionsRead = "permissions":"read";
        DepartmentsRead = "departments":"read";
        DepartmentsWrite = "departments":"write";
        DepartmentsDelete = "departments":"delete";
        DesignationsRead = "designations":"read";
        DesignationsWrite = "designations":"write";
        DesignationsDelete = "designations":"delete";
    }

    crate::event_types! {
        "organization.created" => "An organization signed up",
        "organization.updated" => "The organization profile was changed",
        "user.created" => "A user was invited or created",
        "user.updated" => "A user profile was changed",
        "user.deactivated" => "A user was deactivated",
        "user.reactivated" => "A user was reactivated",
        "user.roles_changed" => "A user's roles were changed",
        "user.email_verified" => "A user verified their email address",
        "user.password_changed" => "A user changed their password",
        "user.password_reset" => "A user reset their password with an emailed code",
        "user.invitation_accepted" => "An invited user set their password",
        "role.created" => "A role was created",
        "role.updated" => "A role was changed",
        "role.deleted" => "A role was deleted",
        "department.created" => "A department was created",
        "department.updated" => "A department was changed",
        "department.deleted" => "A department was deleted",
        "designation.created" => "A designation was created",
        "designation.updated" => "A designation was changed",
        "designation.deleted" => "A designation was deleted",
    }
}
