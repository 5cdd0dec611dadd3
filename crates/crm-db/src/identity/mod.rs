//! sea-orm adapters of the identity ports: organizations, users, roles, departments,
//! designations, one-time codes and refresh tokens.

mod attempts;
mod codes;
mod departments;
mod designations;
mod holders;
pub(crate) use holders::holders_of;
mod organizations;
mod refresh_tokens;
mod roles;
mod users;

pub use attempts::SqlAttemptCounters;
pub use codes::SqlVerificationCodeRepository;
/// Departments, with their `DepartmentRepository` queries.
pub type SqlDepartmentRepository = crate::SqlRecords<departments::Entity>;
/// Designations.
pub type SqlDesignationRepository = crate::SqlRecords<designations::Entity>;
pub use organizations::SqlOrganizationRepository;
pub use refresh_tokens::SqlRefreshTokenRepository;
pub use roles::SqlRoleRepository;
pub use users::SqlUserRepository;

use crate::{Database, SqlActivityRepository, SqlOutboxRepository};
use crm_domain::identity::{
    Clock, IdentityPorts, PasswordHasher, SecretGenerator, SecretHasher, TokenIssuer,
};
use crm_domain::mail::MailTemplates;
use std::sync::Arc;

/// The ports identity needs that no database backs: hashing, secrets, tokens, mail templates
/// and the clock, built by the composition root (or a test) and handed to [`ports`].
pub struct IdentityParts {
    pub mail: Arc<dyn MailTemplates>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub secrets: Arc<dyn SecretHasher>,
    pub generator: Arc<dyn SecretGenerator>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub clock: Arc<dyn Clock>,
}

/// Every identity port: the repositories, the transaction manager, the audit log and the
/// outbox backed by `db`, the rest from `parts`. The server and the tests of this crate wire
/// identity through this one function, so the two cannot drift apart.
pub fn ports(db: &Database, parts: IdentityParts) -> IdentityPorts {
    let conn = &db.conn;
    IdentityPorts {
        tx: Arc::new(db.tx_manager()),
        organizations: Arc::new(SqlOrganizationRepository::new(conn.clone())),
        users: Arc::new(SqlUserRepository::new(conn.clone())),
        roles: Arc::new(SqlRoleRepository::new(conn.clone())),
        departments: Arc::new(SqlDepartmentRepository::new(conn.clone())),
        department_tree: Arc::new(SqlDepartmentRepository::new(conn.clone())),
        designations: Arc::new(SqlDesignationRepository::new(conn.clone())),
        codes: Arc::new(SqlVerificationCodeRepository::new(conn.clone())),
        refresh_tokens: Arc::new(SqlRefreshTokenRepository::new(conn.clone())),
        activities: Arc::new(SqlActivityRepository::new(conn.clone())),
        outbox: Arc::new(SqlOutboxRepository::new(conn.clone())),
        mail: parts.mail,
        passwords: parts.passwords,
        secrets: parts.secrets,
        generator: parts.generator,
        tokens: parts.tokens,
        clock: parts.clock,
        files: Arc::new(crate::SqlFileRepository::new(conn.clone())),
    }
}
