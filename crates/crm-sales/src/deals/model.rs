use crate::leads::LeadId;
use crate::pipelines::{PipelineId, StageId};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::{Currency, FieldError, OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

crm_domain::typed_id!(
    /// A deal of one organization.
    DealId
);

/// `open` until won or lost; closed deals are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    Open,
    Won,
    Lost,
}

impl DealStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }
}

impl fmt::Display for DealStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DealStatus {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Self::Open),
            "won" => Ok(Self::Won),
            "lost" => Ok(Self::Lost),
            _ => Err(FieldError::new(
                "status",
                "invalid",
                "status must be one of open, won, lost",
            )),
        }
    }
}

/// A sale in progress (or closed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deal {
    pub id: DealId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub client_id: Option<ClientId>,
    /// The lead it came from, if any.
    pub lead_id: Option<LeadId>,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    /// Minor units of `currency`.
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// Win probability in percent; the stage's unless set.
    pub probability: i32,
    pub expected_close_date: Option<NaiveDate>,
    /// Drives the `:own` permission scope.
    pub owner_id: UserId,
    pub status: DealStatus,
    pub lost_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Deal {
    pub fn is_closed(&self) -> bool {
        self.status != DealStatus::Open
    }
}

/// One move of a deal between stages (`from_stage_id` is `None` for the stage it was
/// created in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageChange {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub deal_id: DealId,
    pub from_stage_id: Option<StageId>,
    pub to_stage_id: StageId,
    pub changed_at: DateTime<Utc>,
    /// `None` for changes made by the system.
    pub changed_by: Option<UserId>,
}

/// A sum of amounts in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoneyTotal {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    pub amount: i64,
}

/// The store's aggregate of the open deals of one stage in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageTotal {
    pub stage_id: StageId,
    pub currency: Currency,
    pub count: u64,
    pub amount: i64,
}

/// One column of the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardStage {
    pub stage_id: StageId,
    pub name: String,
    pub position: i32,
    pub probability: i32,
    /// Open deals in the stage.
    pub count: u64,
    /// Their amounts per currency, by currency code.
    pub totals: Vec<MoneyTotal>,
    /// The most recently updated open deals of the stage (at most
    /// [`crate::deals::BOARD_DEALS_PER_STAGE`]; `count` tells how many there are).
    pub deals: Vec<Deal>,
}

/// `GET /deals/board`: the open deals of a pipeline, stage by stage in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub pipeline_id: PipelineId,
    pub stages: Vec<BoardStage>,
}

/// The open deals expected to close in one month, in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastRow {
    /// `YYYY-MM`; `None` for open deals without an expected close date.
    pub month: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// How many open deals.
    pub count: u64,
    /// Their amounts, unweighted.
    pub amount: i64,
    /// Σ amount × probability / 100, rounded half away from zero to the minor unit.
    pub weighted_amount: i64,
}

/// `GET /deals/forecast`: by month (undated last), then currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Forecast {
    pub rows: Vec<ForecastRow>,
}
