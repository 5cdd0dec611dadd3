//! sea-orm adapters of the calendar ports: events with their attendees and responses, and
//! the events of a range, and the agenda's rows of the other modules.

mod agenda;
mod events;
mod feeds;

pub use agenda::SqlAgendaSources;
pub use feeds::SqlFeedStore;

/// `Records<CalendarEvent>` and `CalendarStore`.
pub type SqlCalendarEventRepository = crate::SqlRecords<events::Entity>;

use crm_calendar::ports::CalendarPorts;
use crm_domain::TxManager;
use crm_domain::activity::ActivityRepository;
use crm_domain::identity::Clock;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What the calendar ports share with the other modules.
pub struct Shared {
    pub tx: Arc<dyn TxManager>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
    pub generator: Arc<dyn crm_domain::identity::SecretGenerator>,
    pub hasher: Arc<dyn crm_domain::identity::SecretHasher>,
}

/// The ports of the calendar services on `db`, as the server (`crm-api`'s `app.rs`) and the
/// integration tests wire them.
pub fn ports(db: &DatabaseConnection, shared: Shared) -> CalendarPorts {
    let events = Arc::new(SqlCalendarEventRepository::new(db.clone()));
    CalendarPorts {
        tx: shared.tx,
        activities: shared.activities,
        clock: shared.clock,
        events: events.clone(),
        store: events,
        agenda: Arc::new(SqlAgendaSources::new(db.clone())),
        feeds: Arc::new(SqlFeedStore::new(db.clone())),
        generator: shared.generator,
        hasher: shared.hasher,
    }
}
