use chrono::{DateTime, Utc};
use crm_domain::identity::Clock;
use crm_domain::kernel::clock;

/// The wall clock, at the precision the databases store.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreClock;

impl Clock for StoreClock {
    fn now(&self) -> DateTime<Utc> {
        clock::now()
    }
}
