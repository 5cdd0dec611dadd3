use super::cells::Field;
use super::model::{ImportId, OnDuplicate};
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::OrganizationId;
use crate::kernel::uow::Txn;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What imports store besides their `Records<Import>`: the queue the workers take them from.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ImportQueue: Send + Sync {
    /// Imports of every organization a worker may take at `now`: `queued`, or `running` with
    /// a lease that ran out (its worker stopped). Oldest first, at most `limit`.
    async fn due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, ImportId)>, StoreError>;

    /// Takes the import for this worker until `lease_until`, if it is still due at `now`: one
    /// conditional `UPDATE` (status `running`, the lease, one version on), so of several
    /// workers one takes it. `true` when this call took it.
    async fn claim(
        &self,
        org: OrganizationId,
        id: ImportId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// The write of one checked row, on the batch's transaction (its record and audit entry).
#[async_trait]
pub trait RowWrite: Send + Sync {
    /// A refusal of the row itself (`422`, `409`, `404`) is that row's error; anything else
    /// fails the batch, which is written again from its first row.
    async fn write(self: Box<Self>, tx: &mut Txn, actor: &Actor) -> Result<(), DomainError>;
}

/// What a checked row will do.
pub enum Planned {
    Create(Box<dyn RowWrite>),
    /// A duplicate under `on_duplicate=update`: the row as a patch of the existing record.
    Update(Box<dyn RowWrite>),
    /// A duplicate under `on_duplicate=skip`.
    Skip,
}

/// The duplicate keys of the rows checked but not yet committed (a batch's; a dry run's
/// whole file), each with the record that holds it: two rows of one batch with one key are
/// a create and then a duplicate, as they would be one batch apart.
pub type PendingKeys = HashMap<String, uuid::Uuid>;

/// One resource rows can be imported into, as its module's create and update use cases
/// check and write it (adapters in `crm-api/src/adapters/import_targets.rs`: each reads a
/// row with the create route's own input type).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ImportTarget: Send + Sync {
    /// `403` unless `actor` holds the resource's write permission (in either scope).
    fn authorize(&self, actor: &Actor) -> Result<(), DomainError>;

    /// The fields a row may fill: the create input's fields, each with how its cell reads.
    fn fields(&self) -> Vec<Field>;

    /// Checks one row exactly as the create route checks its body (`422` with the fields, as
    /// the route names them; `404`/`409` as the route answers them), and the resource's
    /// duplicate rule. Reads on the pool only: no transaction is open.
    async fn plan(
        &self,
        actor: &Actor,
        row: Map<String, Value>,
        on_duplicate: OnDuplicate,
        pending: &mut PendingKeys,
    ) -> Result<Planned, DomainError>;
}
