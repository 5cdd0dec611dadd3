//! Notifications (contract section 5): a person is told when something is given to them or
//! decided for them by someone else, never of their own action.
//!
//! Who is notified is decided here, from the audit entry of the change ([`NewActivity`]: its
//! actor, its changed fields with before and after values, the record after the change). Each
//! module declares the notification types it makes with [`notification_types!`], next to its
//! permissions and event types, each with a [`Rule`]; the composition root gathers them into
//! one [`Notifier`]. The audit-log adapter asks the notifier while it writes the entry, so the
//! notifications (and the mails the recipients' preferences ask for) are written in the
//! change's transaction, and a change that notifies nobody costs no extra statement.
//!
//! [`NewActivity`]: crate::activity::NewActivity

mod cleanup;
mod model;
mod notifier;
mod ports;
pub mod rules;
mod service;

#[cfg(any(test, feature = "mocks"))]
pub use cleanup::MockNotificationCleanup;
pub use cleanup::{NotificationCleanup, NotificationCleanupJob};
pub use model::{
    BODY_MAX, NOTIFICATION_LIST_SPEC, Notice, Notification, NotificationType, Preference,
    PreferenceItem, Preferences, RETENTION_DAYS, Rule, StreamTicket, TICKET_TTL_SECS, TITLE_MAX,
    UnreadCount, Updated,
};
pub use notifier::Notifier;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockNotificationRepository;
pub use ports::{NotificationRepository, Recipient};
pub use service::NotificationService;

/// Declares the notification types a module makes, with the rule that finds who is notified:
///
/// ```ignore
/// crm_domain::notification_types! {
///     "lead.assigned" => "A lead was assigned to you": assigned("lead");
///     "lead.converted" => "Your lead was converted": decided("lead", "converted");
/// }
/// ```
///
/// The rules are the `const fn`s of [`rules`]; a module with a rule of its own passes
/// `custom(my_rule)` (a `fn(&NewActivity) -> Vec<UserId>`).
#[macro_export]
macro_rules! notification_types {
    ($($t:literal => $d:literal : $rule:ident ( $($arg:expr),* $(,)? );)*) => {
        /// The notification types this module makes, and who is notified of each.
        pub const NOTIFICATION_TYPES: &[$crate::notifications::NotificationType] = &[
            $($crate::notifications::NotificationType {
                r#type: $t,
                description: $d,
                rule: $crate::notifications::rules::$rule($($arg),*),
            }),*
        ];
    };
}
