//! Customer tracking: a client's summary (open and won deal values, last interaction,
//! quotations by status) and its timeline (interactions, deals, quotations and audit entries,
//! newest first), both computed by the store rather than by loading rows.

mod model;
mod ports;
mod service;

pub use model::{
    ClientFigures, ClientSummary, DealFigure, OpenDeals, TimelineItem, TimelineKind, TrackingScope,
    Visibility,
};
pub use ports::*;
pub use service::{TIMELINE_LIST_SPEC, TrackingService};
