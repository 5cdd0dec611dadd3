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
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019bb138-10dc-7319-8591-42deccea2645",
    "name": "Proposal",
    "position": 1,
    "probability": 40
})))]
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
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019bb138-10c8-7d40-8690-5269ed6f0b09",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Sales",
    "is_default": true,
    "stages": [
        {
            "id": "019bb138-10d2-742b-8e80-c4b0a4042bb3",
            "name": "Qualification",
            "position": 0,
            "probability": 10
        },
        {
            "id": "019bb138-10dc-7319-8591-42deccea2645",
            "name": "Proposal",
            "position": 1,
            "probability": 40
        },
        {
            "id": "019bb138-10e6-74a1-8f52-53a02a318785",
            "name": "Negotiation",
            "position": 2,
            "probability": 70
        }
    ],
    "created_at": "2026-01-12T08:00:00.200000Z",
    "updated_at": "2026-01-12T08:00:00.200000Z",
    "version": 1
})))]
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
