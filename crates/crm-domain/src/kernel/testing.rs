//! Scaffolding for the service unit tests of every module (behind the `mocks` feature): a
//! transaction manager that counts and remembers commits, an audit log that keeps what it is
//! given, a fixed clock and callers with chosen permissions.

use crate::activity::{MockActivityRepository, NewActivity};
use crate::identity::Clock;
use crate::kernel::context::Actor;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::uow::{FakeTx, Tx, TxManager};
use crate::notifications::{NotificationType, rules};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The organization most tests act in.
pub const ORG: OrganizationId =
    OrganizationId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));

/// The instant tests run at: 2026-03-01 12:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A caller of `org` holding exactly `perms`.
pub fn actor(org: OrganizationId, perms: &[&str]) -> Actor {
    Actor::new(UserId::new(), org, perms.iter().map(|s| s.to_string()))
}

/// Whom the rule a module declares for notification type `r#type` (in `types`, its
/// `NOTIFICATION_TYPES`) names for `entry`: tests check the declared rule, not a copy of it.
pub fn notified(types: &[NotificationType], r#type: &str, entry: &NewActivity) -> Vec<UserId> {
    let declared = types
        .iter()
        .find(|t| t.r#type == r#type)
        .unwrap_or_else(|| panic!("no notification type {type}"));
    rules::recipients(&declared.rule, entry)
}

/// What a test inspects after the service ran.
#[derive(Clone, Default)]
pub struct Probe {
    pub committed: Arc<AtomicBool>,
    pub begins: Arc<AtomicUsize>,
    pub audit: Arc<Mutex<Vec<NewActivity>>>,
}

impl Probe {
    pub fn committed(&self) -> bool {
        self.committed.load(Ordering::SeqCst)
    }
    pub fn begins(&self) -> usize {
        self.begins.load(Ordering::SeqCst)
    }
    pub fn audit(&self) -> Vec<NewActivity> {
        self.audit.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// A transaction manager whose transactions report here.
    pub fn tx_manager(&self) -> Arc<dyn TxManager> {
        Arc::new(CountingTxManager(self.clone()))
    }

    /// An audit log that accepts every entry and keeps it here.
    pub fn activities(&self) -> MockActivityRepository {
        let mut activities = MockActivityRepository::new();
        let audit = self.audit.clone();
        activities.expect_record().returning(move |_, e| {
            if let Ok(mut a) = audit.lock() {
                a.push(e);
            }
            Ok(())
        });
        activities
    }
}

struct CountingTxManager(Probe);

#[async_trait]
impl TxManager for CountingTxManager {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        self.0.begins.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(FakeTx {
            committed: self.0.committed.clone(),
        }))
    }
}

/// A clock stopped at one instant.
pub struct FixedClock(pub DateTime<Utc>);

impl Default for FixedClock {
    fn default() -> Self {
        Self(now())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
