//! sea-orm adapters of the domain's ports: connection handling, transactions, repositories and
//! the outbox. The only crate that knows SQL; sea-orm types never leave it.

mod activity_repo;
pub mod calendar;
pub mod clients;
mod connect;
mod counters_repo;
mod entities;
mod error;
mod events_repo;
mod files_repo;
pub mod finance;
pub mod hr;
mod idempotency_repo;
pub mod identity;
mod imports_repo;
mod jobs_repo;
mod keyset;
pub mod legacy;
mod line_items;
pub mod messages;
mod notifications_repo;
mod outbox_repo;
pub mod projects;
mod queue;
mod records;
pub mod replica;
mod rows;
pub mod sales;
mod statements;
mod stored;
mod tx;
mod webhook_repo;

pub use activity_repo::SqlActivityRepository;
pub use connect::{Database, DbSettings, describe_connect_error, redact_url};
pub use counters_repo::SqlDocumentCounterRepository;
pub use events_repo::SqlEventRepository;
pub use files_repo::{SqlBlobRepository, SqlFileRepository};
pub use idempotency_repo::SqlIdempotencyStore;
pub use identity::{
    SqlOrganizationRepository, SqlRefreshTokenRepository, SqlRoleRepository, SqlUserRepository,
    SqlVerificationCodeRepository,
};
pub use imports_repo::SqlImportRepository;
pub use jobs_repo::{SqlCleanup, SqlJobClaims};
pub use notifications_repo::{Delivery, SqlNotificationFeed, SqlNotificationRepository};
pub use outbox_repo::SqlOutboxRepository;
pub use records::SqlRecords;
pub use sales::{SqlClientTrackingRepository, SqlPipelineRepository, SqlQuotationRepository};
pub use statements::StatementLog;
pub use tx::SqlTxManager;
pub use webhook_repo::{SqlDeliveryRepository, SqlWebhookRepository};

pub use migration::{Migrator, MigratorTrait};
