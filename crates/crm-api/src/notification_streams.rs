//! The live notification streams of this instance: at most N open per user, fed by one
//! listener (PostgreSQL `LISTEN`) or poller (SQLite, MariaDB) per instance that fans every new
//! notification out in memory to the streams of its recipient, and closed on shutdown.

use crm_db::{Delivery, SqlNotificationFeed};
use crm_domain::UserId;
use crm_domain::notifications::Notification;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

/// Notifications waiting for a slow stream before it must catch up from the table.
const BUFFER: usize = 64;

struct Slot {
    tx: broadcast::Sender<Arc<Notification>>,
    open: usize,
}

/// Every open stream of this instance, by user.
pub struct Streams {
    slots: Mutex<HashMap<Uuid, Slot>>,
    max_per_user: usize,
    closing: watch::Sender<bool>,
}

/// One open stream: receives its user's new notifications; closing it frees its place.
pub struct Subscription {
    pub rx: broadcast::Receiver<Arc<Notification>>,
    pub closing: watch::Receiver<bool>,
    user: Uuid,
    streams: Arc<Streams>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut slots = self.streams.lock();
        if let Some(slot) = slots.get_mut(&self.user) {
            slot.open = slot.open.saturating_sub(1);
            if slot.open == 0 {
                slots.remove(&self.user);
            }
        }
    }
}

impl Streams {
    pub fn new(max_per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            slots: Mutex::new(HashMap::new()),
            max_per_user: max_per_user.max(1),
            closing: watch::channel(false).0,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new stream for `user`, or `None` when they already hold the most allowed.
    pub fn subscribe(self: &Arc<Self>, user: UserId) -> Option<Subscription> {
        let mut slots = self.lock();
        let slot = slots.entry(user.0).or_insert_with(|| Slot {
            tx: broadcast::channel(BUFFER).0,
            open: 0,
        });
        if slot.open >= self.max_per_user {
            return None;
        }
        slot.open += 1;
        Some(Subscription {
            rx: slot.tx.subscribe(),
            closing: self.closing.subscribe(),
            user: user.0,
            streams: self.clone(),
        })
    }

    /// Hands `d` to its recipient's open streams on this instance, if any.
    pub fn publish(&self, d: Delivery) {
        if let Some(slot) = self.lock().get(&d.user_id) {
            let _ = slot.tx.send(Arc::new(d.notification));
        }
    }

    pub fn has_subscribers(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Ends every stream (the server is stopping) and refuses new ones.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    pub fn is_closing(&self) -> bool {
        *self.closing.borrow()
    }
}

/// How far back each poll looks: a transaction that took its id earlier but committed later
/// is still found, and `seen` keeps it from being sent twice.
const LOOK_BACK: chrono::Duration = chrono::Duration::seconds(5);
const PAGE: u64 = 500;

/// Feeds `streams` for as long as the server runs: by `LISTEN` on PostgreSQL, otherwise by
/// reading the notifications table every `poll` while someone is listening on this instance.
pub async fn feed(feed: SqlNotificationFeed, streams: Arc<Streams>, poll: Duration) {
    if feed.pushes() {
        let s = streams.clone();
        feed.listen(move |d| s.publish(d)).await;
        return;
    }
    let mut seen: HashSet<Uuid> = HashSet::new();
    let mut order: VecDeque<Uuid> = VecDeque::new();
    loop {
        tokio::time::sleep(poll).await;
        if !streams.has_subscribers() {
            continue;
        }
        let from = crm_domain::kernel::ids::v7_floor(crm_domain::kernel::clock::now() - LOOK_BACK);
        let mut after = from;
        loop {
            match feed.since(after, PAGE).await {
                Ok(list) => {
                    let full = list.len() as u64 == PAGE;
                    for d in list {
                        after = d.notification.id;
                        if seen.insert(d.notification.id) {
                            order.push_back(d.notification.id);
                            streams.publish(d);
                        }
                    }
                    if !full {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notification poll failed; will retry");
                    break;
                }
            }
        }
        while order.front().is_some_and(|id| *id < from) {
            if let Some(id) = order.pop_front() {
                seen.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(user: Uuid) -> Delivery {
        Delivery {
            organization_id: Uuid::now_v7(),
            user_id: user,
            notification: Notification {
                id: Uuid::now_v7(),
                r#type: "lead.assigned".into(),
                title: "t".into(),
                body: "b".into(),
                record_type: "lead".into(),
                record_id: Uuid::now_v7(),
                read_at: None,
                legacy_id: None,
                created_at: crm_domain::kernel::clock::now(),
            },
        }
    }

    #[tokio::test]
    async fn streams_are_bounded_per_user_and_freed_when_closed() {
        let s = Streams::new(2);
        let u = UserId::new();
        let a = s.subscribe(u).unwrap();
        let _b = s.subscribe(u).unwrap();
        assert!(s.subscribe(u).is_none());
        assert!(s.subscribe(UserId::new()).is_some());
        drop(a);
        assert!(s.subscribe(u).is_some());
    }

    #[tokio::test]
    async fn a_notification_reaches_only_its_recipient() {
        let s = Streams::new(5);
        let (u, other) = (UserId::new(), UserId::new());
        let mut mine = s.subscribe(u).unwrap();
        let mut theirs = s.subscribe(other).unwrap();
        let d = delivery(u.0);
        let id = d.notification.id;
        s.publish(d);
        assert_eq!(mine.rx.recv().await.unwrap().id, id);
        assert!(theirs.rx.try_recv().is_err());
        s.close();
        assert!(*mine.closing.borrow_and_update());
    }
}
