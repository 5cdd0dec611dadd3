use chrono::{DateTime, Utc};
use crm_domain::OrganizationId;
use serde::Serialize;

crm_domain::typed_id!(
    /// A pipeline of one organization.
    PipelineId
);
crm_domain::typed_id!(
    /// A stage of one pipeline.
    StageId
);

/// The name of the pipeline every organization starts with.
pub const DEFAULT_PIPELINE_NAME: &str = "Sales";

/// The default pipeline's stages: name and win probability in percent, in order.
pub const DEFAULT_STAGES: [(&str, i32); 3] =
    [("Qualification", 10), ("Proposal", 40), ("Negotiation", 70)];

/// One step of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stage {
    pub id: StageId,
    pub name: String,
    /// 0 for the first stage, then 1, 2, … in order.
    pub position: i32,
    /// Win probability in percent (0..=100); a deal entering the stage takes it.
    pub probability: i32,
}

/// Ordered stages deals move through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pipeline {
    pub id: PipelineId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// Exactly one pipeline of an organization is the default.
    pub is_default: bool,
    /// In order of `position`; never empty.
    pub stages: Vec<Stage>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Pipeline {
    /// The stage `id` of this pipeline.
    pub fn stage(&self, id: StageId) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The stage deals start in.
    pub fn first_stage(&self) -> Option<&Stage> {
        self.stages.iter().min_by_key(|s| s.position)
    }
}
