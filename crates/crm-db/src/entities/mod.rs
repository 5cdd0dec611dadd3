//! sea-orm entities of the tables that are not one `Stored` record's: tables several
//! repositories share (activities, users, the outbox, webhooks, …) and those with a repository
//! of their own. A `Stored` record's entity is declared in its repository file
//! (`clients/contact_repo.rs`, …). Private to this crate: rows become domain types in the
//! repositories.

pub mod activity;
pub mod auth_attempt;
pub mod code_request;
pub mod deal_stage_history;
pub mod document_counter;
pub mod event;
pub mod file;
pub mod file_blob;
pub mod idempotency_key;
pub mod job_run;
pub mod notification;
pub mod notification_preference;
pub mod notification_stream_ticket;
pub mod organization;
pub mod outbox;
pub mod pipeline;
pub mod pipeline_stage;
pub mod quotation;
pub mod refresh_token;
pub mod role;
pub mod user;
pub mod user_role;
pub mod verification_code;
pub mod webhook;
pub mod webhook_delivery;
