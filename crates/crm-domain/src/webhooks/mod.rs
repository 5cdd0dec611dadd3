//! Signed webhooks (contract section 5): an organization's subscriptions to its events,
//! delivered with Standard Webhooks signatures, retried with backoff, logged per attempt.
//!
//! The rules live here: which event types a subscription may name and which events it
//! matches ([`patterns`]), how a body is signed ([`signing`]), which addresses a delivery may
//! never reach ([`address`]), when a failed delivery is tried again ([`retry`]), and the two
//! workers' steps ([`delivery`]). Storage, HTTP and encryption are ports ([`ports`]).

pub mod address;
pub mod delivery;
mod model;
pub mod patterns;
mod ports;
pub mod retry;
mod service;
pub mod signing;

pub use delivery::WebhookDispatcher;
pub use model::{
    DELIVERY_LIST_SPEC, Delivery, DeliveryId, DeliveryStatus, EVENT_PATTERN_PATTERN,
    WEBHOOK_DESCRIPTION_MAX, WEBHOOK_LIST_SPEC, WEBHOOK_URL_MAX, WEBHOOK_URL_PATTERN, Webhook,
    WebhookId, WebhookInput, WebhookPatch, WebhookWithSecret,
};
pub use ports::*;
pub use retry::RetrySchedule;
pub use service::{WebhookPorts, WebhookService};

/// The url shape check the service applies (for the OpenAPI pattern test).
pub fn check_url_shape(url: &str) -> Result<String, crate::kernel::validation::ValueError> {
    service::url_shape(url)
}
pub use signing::WebhookSecret;

crate::requirements! {
    WebhooksRead = "webhooks":"read";
    WebhooksWrite = "webhooks":"write";
    WebhooksDelete = "webhooks":"delete";
}

crate::event_types! {
    "webhook.created" => "A webhook subscription was created",
    "webhook.updated" => "A webhook subscription was changed",
    "webhook.deleted" => "A webhook subscription was deleted",
    "webhook.secret_rotated" => "A webhook's signing secret was replaced",
}
