//! sea-orm adapters of the identity ports: organizations, users, roles, departments,
//! designations, one-time codes and refresh tokens.

mod codes;
mod departments;
mod designations;
mod organizations;
mod refresh_tokens;
mod roles;
mod users;

pub use codes::SqlVerificationCodeRepository;
pub use departments::SqlDepartmentRepository;
pub use designations::SqlDesignationRepository;
pub use organizations::SqlOrganizationRepository;
pub use refresh_tokens::SqlRefreshTokenRepository;
pub use roles::SqlRoleRepository;
pub use users::SqlUserRepository;
