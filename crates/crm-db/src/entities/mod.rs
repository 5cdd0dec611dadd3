//! sea-orm entities. Private to this crate: rows become domain types in the repositories.

pub mod activity;
pub mod client;
pub mod code_request;
pub mod contact;
pub mod deal;
pub mod deal_stage_history;
pub mod department;
pub mod designation;
pub mod document_counter;
pub mod event;
pub mod idempotency_key;
pub mod interaction;
pub mod job_run;
pub mod lead;
pub mod organization;
pub mod outbox;
pub mod pipeline;
pub mod pipeline_stage;
pub mod quotation;
pub mod quotation_item;
pub mod refresh_token;
pub mod role;
pub mod user;
pub mod user_role;
pub mod verification_code;
