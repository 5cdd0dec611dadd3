use chrono::{DateTime, Utc};
use crm_domain::OrganizationId;
use crm_domain::activity::audit::Audited;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    "probability": 40,
    "legacy_id": null
})))]
pub struct Stage {
    pub id: StageId,
    pub name: String,
    /// 0 for the first stage, then 1, 2, … in order.
    pub position: i32,
    /// Win probability in percent (0..=100); a deal entering the stage takes it.
    pub probability: i32,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
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
            "probability": 10,
            "legacy_id": null
        },
        {
            "id": "019bb138-10dc-7319-8591-42deccea2645",
            "name": "Proposal",
            "position": 1,
            "probability": 40,
            "legacy_id": null
        },
        {
            "id": "019bb138-10e6-74a1-8f52-53a02a318785",
            "name": "Negotiation",
            "position": 2,
            "probability": 70,
            "legacy_id": null
        }
    ],
    "legacy_id": null,
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
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
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

impl Audited for Pipeline {
    const ENTITY: &'static str = "pipeline";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

const PIPELINE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("is_default", FieldKind::Bool)
        .filter()
        .sort(),
];

/// `GET /pipelines`: by name; filter `is_default`; `q` searches the name.
pub const PIPELINE_LIST_SPEC: ListSpec = ListSpec {
    fields: PIPELINE_FIELDS,
    default_sort: "name",
    searchable: true,
};

/// Longest pipeline or stage name.
pub const STAGE_NAME_MAX: usize = 100;
/// Most stages a pipeline may have.
pub const MAX_STAGES: usize = 30;

/// One stage of `POST /pipelines`; its position is its place in the list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Proposal",
    "probability": 40
})))]
pub struct StageInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ STAGE_NAME_MAX }>))]
    pub name: String,
    /// Win probability in percent, 0..=100.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, 100>))]
    pub probability: i32,
}

/// `POST /pipelines`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Enterprise",
    "is_default": false,
    "stages": [
        {
            "name": "Discovery",
            "probability": 10
        },
        {
            "name": "Proposal",
            "probability": 40
        },
        {
            "name": "Negotiation",
            "probability": 70
        }
    ]
})))]
pub struct PipelineInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ STAGE_NAME_MAX }>))]
    pub name: String,
    /// Makes it the organization's default (the flag moves from the previous one).
    #[serde(default)]
    pub is_default: bool,
    /// At least one, at most 30 (`MAX_STAGES`), in order; names differ (ignoring case).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 30))]
    pub stages: Vec<StageInput>,
}

/// One stage of `PATCH /pipelines/{id}`: with the `id` of an existing stage it renames or
/// moves that stage; without, it adds one. Stages left out are removed (`409` while deals are
/// in them).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019bb138-10dc-7319-8591-42deccea2645",
    "name": "Proposal sent",
    "probability": 45
})))]
pub struct StagePatch {
    pub id: Option<StageId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ STAGE_NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, 100>))]
    pub probability: i32,
}

/// `PATCH /pipelines/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Sales (2026)",
    "stages": [
        {
            "id": "019bb138-10d2-742b-8e80-c4b0a4042bb3",
            "name": "Qualification",
            "probability": 10
        },
        {
            "id": "019bb138-10dc-7319-8591-42deccea2645",
            "name": "Proposal sent",
            "probability": 45
        },
        {
            "name": "Legal review",
            "probability": 60
        },
        {
            "id": "019bb138-10e6-74a1-8f52-53a02a318785",
            "name": "Negotiation",
            "probability": 70
        }
    ]
})))]
pub struct PipelinePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ STAGE_NAME_MAX }>))]
    pub name: Option<String>,
    /// `true` moves the default flag here; `false` on the default is refused (make another
    /// pipeline the default instead).
    pub is_default: Option<bool>,
    /// The complete new list of stages, in order.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 30))]
    pub stages: Option<Vec<StagePatch>>,
}
