//! Calendar events (`/calendar/events`): the record, its field rules, attendees and their
//! responses, and the service.

mod model;
pub mod service;

pub use model::*;
pub use service::EventService;

#[cfg(test)]
mod tests;
