//! sea-orm adapters of the domain's ports: connection handling, transactions, repositories and
//! the outbox. The only crate that knows SQL; sea-orm types never leave it.

mod activity_repo;
mod clients;
mod connect;
mod entities;
mod error;
pub mod identity;
mod keyset;
mod outbox_repo;
mod rows;
mod sales;
mod statements;
mod tx;

pub use activity_repo::SqlActivityRepository;
pub use clients::{SqlClientRepository, SqlContactRepository, SqlInteractionRepository};
pub use connect::{Database, DbSettings, describe_connect_error, redact_url};
pub use identity::{
    SqlDepartmentRepository, SqlDesignationRepository, SqlOrganizationRepository,
    SqlRefreshTokenRepository, SqlRoleRepository, SqlUserRepository, SqlVerificationCodeRepository,
};
pub use outbox_repo::SqlOutboxRepository;
pub use sales::{
    SqlClientTrackingRepository, SqlDealRepository, SqlDocumentCounterRepository,
    SqlLeadRepository, SqlPipelineRepository, SqlQuotationRepository,
};
pub use statements::StatementLog;
pub use tx::SqlTxManager;

pub use migration::{Migrator, MigratorTrait};
