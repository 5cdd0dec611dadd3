//! One port for the records of an organization, and the write steps every use case of such a
//! record repeats: a plain resource declares only what is special about it.
//!
//! `Records<T>` is implemented once in crm-db (`SqlRecords<E>`, generic over the sea-orm
//! entity); a resource's repository declares only its own queries beside it (the contacts'
//! `clear_primary`). [`Crud`] writes a record with its audit entry in the caller's transaction.

use crate::activity::ActivityRepository;
use crate::activity::audit::{self, Audited};
use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::rules::check_version;
use crate::kernel::scope::{Owned, Requirement, in_scope, owner_filter, require, require_all};
use crate::kernel::uow::{TxManager, Txn};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A record of one organization with a typed id and an optimistic `version`.
pub trait Record: Audited + Clone + PartialEq + Send + Sync + 'static {
    /// Its typed id.
    type Id: Copy + Send + Sync + Into<uuid::Uuid> + 'static;
    /// What narrows a list of it besides the organization: `()` for nothing, the parent of a
    /// nested resource (the client of a contact).
    type Scope: Send + Sync + 'static;
    fn id(&self) -> Self::Id;
    fn organization_id(&self) -> OrganizationId;
    fn version(&self) -> i64;
    /// Itself as stored by a change at `now`: one version on, updated `now`.
    fn touched(self, now: DateTime<Utc>) -> Self;
}

/// `impl Record` and `impl Audited` for a struct with the fields `id`, `organization_id`,
/// `version` and `updated_at`: `record!(Contact, ContactId, "contact", scope: ClientId)`.
#[macro_export]
macro_rules! record {
    ($ty:ty, $id:ty, $entity:literal, scope: $scope:ty) => {
        impl $crate::activity::audit::Audited for $ty {
            const ENTITY: &'static str = $entity;
            fn entity_id(&self) -> uuid::Uuid {
                self.id.0
            }
        }
        impl $crate::kernel::records::Record for $ty {
            type Id = $id;
            type Scope = $scope;
            fn id(&self) -> $id {
                self.id
            }
            fn organization_id(&self) -> $crate::kernel::ids::OrganizationId {
                self.organization_id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn touched(self, now: chrono::DateTime<chrono::Utc>) -> Self {
                Self {
                    updated_at: now,
                    version: self.version + 1,
                    ..self
                }
            }
        }
    };
}

/// The use cases every record read and deleted organization-wide repeats, as methods of its
/// service (whose ports `self.p` hold `tx`, `activities` and the records `$records`):
/// `crud()`, the record's write steps; `list` and `get`, which need `$read` over all records
/// (`404` for a missing record); `delete`, which needs `$delete` and answers a store conflict
/// (records still referring to it) as `409 $in_use`.
#[macro_export]
macro_rules! record_use_cases {
    ($records:ident: $ty:ty, $id:ty, read: $read:ty, delete: $delete:ty,
     in_use: $code:literal, $message:literal) => {
        fn crud(&self) -> $crate::kernel::records::Crud<'_, $ty> {
            let p = &self.p;
            $crate::kernel::records::Crud::new(&*p.tx, &*p.$records, &*p.activities)
        }

        /// Needs the read permission over all records; sorted and filtered by the list spec.
        #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
        pub async fn list(
            &self,
            actor: &$crate::kernel::context::Actor,
            query: &$crate::kernel::pagination::ListQuery,
        ) -> Result<$crate::kernel::pagination::Page<$ty>, $crate::kernel::error::DomainError> {
            $crate::kernel::records::list_all::<$read, _>(&*self.p.$records, actor, query).await
        }

        /// Needs the read permission; `404` when missing or of another organization.
        #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
        pub async fn get(
            &self,
            actor: &$crate::kernel::context::Actor,
            id: $id,
        ) -> Result<$ty, $crate::kernel::error::DomainError> {
            $crate::kernel::records::get_all::<$read, _>(&*self.p.$records, actor, id).await
        }

        /// Needs the delete permission; `409` while other records still refer to it.
        #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
        pub async fn delete(
            &self,
            actor: &$crate::kernel::context::Actor,
            id: $id,
        ) -> Result<(), $crate::kernel::error::DomainError> {
            $crate::kernel::scope::require_all::<$delete>(actor)?;
            let in_use = $crate::kernel::records::conflict($code, $message);
            self.crud().delete(actor, id, Ok).await.map_err(in_use)
        }
    };
}

/// The records `T` of every organization. Tenancy as everywhere: reads take the organization
/// and answer `NotFound` for another organization's record as for a missing one; writes take
/// the caller's transaction, so a change and its audit entry commit together.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Records<T: Record>: Send + Sync {
    /// Inserts `record`. `Conflict` naming the constraint on a duplicate a unique key guards.
    async fn create(&self, tx: &mut Txn, record: &T) -> Result<(), StoreError>;

    /// The record `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: T::Id) -> Result<T, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends, so a concurrent writer of
    /// the record waits for this one.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: T::Id,
    ) -> Result<T, StoreError>;

    /// One page of the records of `org` within `scope`.
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        scope: T::Scope,
    ) -> Result<Page<T>, StoreError>;

    /// Stores `record`, whose `version` is already the new one, where the stored version is
    /// `expected_version`: `Stale` on a mismatch, `NotFound` when the row is gone, `Conflict`
    /// as for [`Self::create`].
    async fn update(
        &self,
        tx: &mut Txn,
        record: &T,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// `NotFound` when missing; `Conflict` while other records still refer to it.
    async fn delete(&self, tx: &mut Txn, org: OrganizationId, id: T::Id) -> Result<(), StoreError>;
}

/// `GET` of a list of records every holder of `P` reads whole (`403` otherwise).
pub async fn list_all<P: Requirement, T: Record<Scope = ()>>(
    records: &dyn Records<T>,
    actor: &Actor,
    query: &ListQuery,
) -> Result<Page<T>, DomainError> {
    require_all::<P>(actor)?;
    Ok(records.list(actor.organization_id, query, ()).await?)
}

/// `GET` of one record every holder of `P` reads (`403` otherwise, `404` when missing).
pub async fn get_all<P: Requirement, T: Record>(
    records: &dyn Records<T>,
    actor: &Actor,
    id: T::Id,
) -> Result<T, DomainError> {
    require_all::<P>(actor)?;
    Ok(records.get(actor.organization_id, id).await?)
}

/// `GET` of a list of owned records: needs `P`; under `:own` only the caller's.
pub async fn list_owned<P: Requirement, T: Record<Scope = Option<UserId>>>(
    records: &dyn Records<T>,
    actor: &Actor,
    query: &ListQuery,
) -> Result<Page<T>, DomainError> {
    let owner = owner_filter(actor, require::<P>(actor)?);
    Ok(records.list(actor.organization_id, query, owner).await?)
}

/// `GET` of one owned record: needs `P`; `404` when missing, of another organization or
/// outside `:own`.
pub async fn get_owned<P: Requirement, T: Record + Owned>(
    records: &dyn Records<T>,
    actor: &Actor,
    id: T::Id,
) -> Result<T, DomainError> {
    let scope = require::<P>(actor)?;
    in_scope(actor, scope, records.get(actor.organization_id, id).await?)
}

/// The owned record `id` within the caller's `scope`, read and locked inside `tx` (see the
/// port's `get_for_update`); `404` outside it.
pub async fn locked_owned<T: Record + Owned>(
    records: &dyn Records<T>,
    tx: &mut Txn,
    actor: &Actor,
    scope: Scope,
    id: T::Id,
) -> Result<T, DomainError> {
    let record = records
        .get_for_update(tx, actor.organization_id, id)
        .await?;
    in_scope(actor, scope, record)
}

/// The write steps of a record's use cases, over its port, the transactions and the audit log.
pub struct Crud<'a, T: Record> {
    pub tx: &'a dyn TxManager,
    pub records: &'a dyn Records<T>,
    pub activities: &'a dyn ActivityRepository,
}

impl<'a, T: Record> Crud<'a, T> {
    pub fn new(
        tx: &'a dyn TxManager,
        records: &'a dyn Records<T>,
        activities: &'a dyn ActivityRepository,
    ) -> Self {
        Self {
            tx,
            records,
            activities,
        }
    }

    /// Inserts `record` with its `created` audit entry in `tx`, and commits.
    pub async fn create_in(&self, actor: &Actor, mut tx: Txn, record: T) -> Result<T, DomainError> {
        self.insert(&mut tx, actor, &record).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The write of a create: the record and its audit entry on the caller's transaction,
    /// which the caller commits (an import writes a batch of them in one).
    pub async fn insert(&self, tx: &mut Txn, actor: &Actor, record: &T) -> Result<(), DomainError> {
        self.records.create(tx, record).await?;
        self.activities
            .record(tx, audit::created(actor, record))
            .await?;
        Ok(())
    }

    /// As [`Self::create_in`], in a transaction of its own.
    pub async fn create(&self, actor: &Actor, record: T) -> Result<T, DomainError> {
        let tx = self.tx.begin().await?;
        self.create_in(actor, tx, record).await
    }

    /// The record `id` of the caller's organization read for a change inside `tx` (locked
    /// until it ends), passed through `scope` (`404` for a record the caller may not reach),
    /// then held to `If-Match` (`412`).
    pub async fn locked(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        id: T::Id,
        expected_version: Option<i64>,
        scope: impl FnOnce(T) -> Result<T, DomainError>,
    ) -> Result<T, DomainError> {
        let org = actor.organization_id;
        let current = scope(self.records.get_for_update(tx, org, id).await?)?;
        check_version(expected_version, current.version())?;
        Ok(current)
    }

    /// Stores `next`, the change of `current`, as changed at `now` (one version on) with its
    /// `updated` audit entry, and commits; when nothing changed, answers `current` and writes
    /// nothing.
    pub async fn save(
        &self,
        actor: &Actor,
        mut tx: Txn,
        current: T,
        next: T,
        now: DateTime<Utc>,
    ) -> Result<T, DomainError> {
        if next == current {
            return Ok(current);
        }
        let next = next.touched(now);
        self.records
            .update(&mut tx, &next, current.version())
            .await?;
        self.activities
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Stores `next` (already one version on: a named state change such as `submitted` or
    /// `activated`) over `current`, with its `action` entry and any `extra` change besides the
    /// record's own, and commits.
    pub async fn change(
        &self,
        actor: &Actor,
        mut tx: Txn,
        action: &'static str,
        current: &T,
        next: T,
        extra: Option<crate::activity::FieldChange>,
    ) -> Result<T, DomainError> {
        self.records
            .update(&mut tx, &next, current.version())
            .await?;
        let mut entry = audit::changed(actor, action, current, &next);
        entry.changes.extend(extra);
        self.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes the record `id` (locked, passed through `scope`) with its `deleted` audit
    /// entry, in a transaction of its own.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: T::Id,
        scope: impl FnOnce(T) -> Result<T, DomainError>,
    ) -> Result<(), DomainError> {
        let mut tx = self.tx.begin().await?;
        let current = self.locked(&mut tx, actor, id, None, scope).await?;
        let org = actor.organization_id;
        self.records.delete(&mut tx, org, id).await?;
        self.activities
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The `409` a store reported for a write (a unique key taken, a record still referred to),
/// named as the use case names it: `.map_err(conflict("department-code-taken", "…"))`.
pub fn conflict(
    code: &'static str,
    message: &'static str,
) -> impl FnOnce(DomainError) -> DomainError {
    move |e| match e {
        DomainError::Conflict {
            code: "conflict", ..
        } => DomainError::conflict(code, message),
        other => other,
    }
}
