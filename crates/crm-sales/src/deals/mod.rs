//! Deals: an amount in a currency moving through the stages of a pipeline until it is won or
//! lost. Stage moves are recorded; a closed deal no longer moves or changes; a won deal makes
//! its client a customer. The board and the forecast are aggregated by the store.

mod model;
mod ports;
mod service;

pub use model::{
    BOARD_DEALS_PER_STAGE, Board, BoardStage, DEAL_LIST_SPEC, Deal, DealId, DealInput, DealPatch,
    DealStatus, Forecast, ForecastQuery, ForecastRow, LostInput, MoneyTotal, StageChange,
    StageTotal, deal_of_client,
};
pub use ports::*;
pub use service::{DealService, month_of};
