//! Events (contract section 5): what happened, as integrations see it.
//!
//! An event is not written separately: the audit entry of a change carries it
//! ([`crate::activity::NewActivity::data`]), so the change, its audit entry and its event are
//! one row written in the change's transaction, and no module can record one without the
//! other. Its type is `<entity_type>.<action>` (`lead.created`, `deal.won`). Each domain
//! module declares the types it records with [`event_types!`](crate::event_types), next to its
//! permissions; `GET /event-types` lists them all. Events are listed for 30 days.

mod model;
mod ports;
mod service;

pub use model::{EVENT_LIST_SPEC, Event, EventType, RETENTION_DAYS};
pub use ports::EventRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockEventRepository;
pub use service::EventService;

crate::requirements! {
    EventsRead = "events":"read";
}

/// Declares the event types a module records:
///
/// ```ignore
/// crm_domain::event_types! {
///     "lead.created" => "A lead was created",
///     "lead.converted" => "A lead was converted into a client and a deal",
/// }
/// ```
#[macro_export]
macro_rules! event_types {
    ($($t:literal => $d:literal),* $(,)?) => {
        /// The event types this module records.
        pub const EVENT_TYPES: &[$crate::events::EventType] = &[
            $($crate::events::EventType { r#type: $t, description: $d }),*
        ];
    };
}
