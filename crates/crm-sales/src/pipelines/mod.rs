//! Pipelines: ordered stages a deal moves through, each with a win probability. Every
//! organization has exactly one default pipeline (Qualification 10 %, Proposal 40 %,
//! Negotiation 70 %), created on first need; deals and conversions that name no pipeline use
//! it and start in its first stage.

mod model;
mod ports;
mod service;

pub use model::{
    DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, MAX_STAGES, PIPELINE_LIST_SPEC, Pipeline, PipelineId,
    PipelineInput, PipelinePatch, STAGE_NAME_MAX, Stage, StageId, StageInput, StagePatch,
};
pub use ports::*;
pub use service::PipelineService;
