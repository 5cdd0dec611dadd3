use super::model::{Deal, DealId, ForecastRow, StageChange, StageTotal};
use crate::pipelines::{PipelineId, StageId};
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};

/// Which open deals a forecast covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForecastFilter {
    pub pipeline_id: Option<PipelineId>,
    /// Only deals of this owner (`:own` callers, or the `owner_id` parameter).
    pub owner_id: Option<UserId>,
    /// Expected close date on or after (undated deals are then left out).
    pub from: Option<NaiveDate>,
    /// Expected close date on or before (undated deals are then left out).
    pub to: Option<NaiveDate>,
}

/// What deals store besides their `Records<Deal>`: their stage history, and the aggregates
/// of the board and the forecast.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DealRepository: Send + Sync {
    /// Appends a stage move.
    async fn record_stage_change(
        &self,
        tx: &mut Txn,
        change: &StageChange,
    ) -> Result<(), StoreError>;

    /// The stage moves of deal `id`, oldest first.
    async fn stage_history(
        &self,
        org: OrganizationId,
        id: DealId,
    ) -> Result<Vec<StageChange>, StoreError>;

    /// Count and sum of the open deals of `pipeline` per stage and currency (`GROUP BY`
    /// in the store), optionally only those of `owner`.
    async fn board_totals(
        &self,
        org: OrganizationId,
        pipeline: PipelineId,
        owner: Option<UserId>,
    ) -> Result<Vec<StageTotal>, StoreError>;

    /// The open deals of each of `stages` (of `pipeline`), most recently updated first, at
    /// most `per_stage` of each, optionally only those of `owner`.
    async fn board_deals(
        &self,
        org: OrganizationId,
        pipeline: PipelineId,
        stages: &[StageId],
        owner: Option<UserId>,
        per_stage: u32,
    ) -> Result<Vec<Deal>, StoreError>;

    /// The probability-weighted open amounts per expected-close month and currency, computed
    /// by the store: ordered by month (undated last), then currency code.
    async fn forecast(
        &self,
        org: OrganizationId,
        filter: &ForecastFilter,
    ) -> Result<Vec<ForecastRow>, StoreError>;
}
