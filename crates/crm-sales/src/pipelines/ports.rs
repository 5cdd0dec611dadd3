use super::model::{Pipeline, PipelineId};
use async_trait::async_trait;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn};

/// Pipelines with their stages.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PipelineRepository: Send + Sync {
    /// Inserts `pipeline` and its stages. When `is_default`, `Conflict` if the organization
    /// already has a default (callers clear it first with [`Self::clear_default`]).
    async fn create(&self, tx: &mut Txn, pipeline: &Pipeline) -> Result<(), StoreError>;

    /// The pipeline `id` of `org` with its stages in order; `NotFound` when missing.
    async fn get(&self, org: OrganizationId, id: PipelineId) -> Result<Pipeline, StoreError>;

    /// The pipeline (with its stages) `id` of `org`, read inside `tx` and held until it ends, so a concurrent
    /// writer of it waits for this one; `NotFound` when missing or of another organization.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PipelineId,
    ) -> Result<Pipeline, StoreError>;

    /// As [`Self::get`], read on `tx`'s connection without a lock: a deal moving stage reads
    /// its pipeline inside its own transaction rather than wait for a second pool connection
    /// while holding one.
    async fn get_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PipelineId,
    ) -> Result<Pipeline, StoreError>;

    /// The organization's default pipeline, `None` before it was first needed.
    async fn get_default(&self, org: OrganizationId) -> Result<Option<Pipeline>, StoreError>;

    /// The organization's default pipeline, inserting `candidate` (a default pipeline of
    /// `org`) when there is none yet; `true` when `candidate` was inserted. Idempotent and safe
    /// under concurrency: a unique key on the default admits one, and a caller that loses the
    /// race answers the winner's pipeline.
    async fn ensure_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        candidate: &Pipeline,
    ) -> Result<(Pipeline, bool), StoreError>;

    /// One page of the pipelines of `org`, each with its stages.
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Pipeline>, StoreError>;

    /// Stores `pipeline` where the stored version is `expected_version`; its stages replace
    /// the stored ones (same id: renamed or moved; new id: added; absent: removed).
    /// `Conflict` when a removed stage still has deals; `Stale`, `NotFound`.
    async fn update(
        &self,
        tx: &mut Txn,
        pipeline: &Pipeline,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Takes the default flag off the organization's default pipeline (its version rises by
    /// one) and answers its id and stored version before the change; `None` when there is no
    /// default.
    async fn clear_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(PipelineId, i64)>, StoreError>;

    /// Deletes the pipeline and its stages. `NotFound`; `Conflict` while deals refer to it.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PipelineId,
    ) -> Result<(), StoreError>;
}
