use crate::access::Auth;
use crate::app::AppState;
use crate::problem::ApiError;
use crate::routes::perms::ActivitiesRead;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_domain::ListQuery;
use crm_domain::activity::{Activity, LIST_SPEC};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /activities`.
    Activities = crm_domain::activity::LIST_SPEC, search = "nothing";
}

/// One changed field of an audited write.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "field": "stage_id",
    "before": "019bb138-10d2-742b-8e80-c4b0a4042bb3",
    "after": "019bb138-10dc-7319-8591-42deccea2645"
}))]
pub struct FieldChangeDto {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// An audit-log entry. Entries never change: `updated_at` equals `created_at` and `version` is 1.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019cadd4-cb50-7819-a34f-806fabf4a07c",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "actor_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "entity_type": "deal",
    "entity_id": "019c2d75-7b80-7bb7-9e08-caa1a0817910",
    "action": "updated",
    "changes": [
        {
            "field": "stage_id",
            "before": "019bb138-10d2-742b-8e80-c4b0a4042bb3",
            "after": "019bb138-10dc-7319-8591-42deccea2645"
        },
        {
            "field": "probability",
            "before": 10,
            "after": 40
        }
    ],
    "created_at": "2026-03-02T09:15:30.123456Z",
    "updated_at": "2026-03-02T09:15:30.123456Z",
    "version": 1
}))]
pub struct ActivityDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// The user who made the change; null for the system.
    pub actor_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `created`, `updated`, `deleted` or an action verb.
    pub action: String,
    pub changes: Vec<FieldChangeDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<Activity> for ActivityDto {
    fn from(a: Activity) -> Self {
        Self {
            id: a.id.0,
            organization_id: a.organization_id.0,
            actor_id: a.actor_id.map(|u| u.0),
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            action: a.action,
            changes: a
                .changes
                .into_iter()
                .map(|c| FieldChangeDto {
                    field: c.field,
                    before: c.before,
                    after: c.after,
                })
                .collect(),
            created_at: a.created_at,
            updated_at: a.created_at,
            version: 1,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(example = crm_domain::kernel::openapi::page_example::<ActivityDto>)]
pub struct ActivityPage {
    pub data: Vec<ActivityDto>,
    pub next_cursor: Option<String>,
    /// Present with `count=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// The organization's audit log, newest first. Needs `activities:read`.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities",
    params(Activities),
    responses((status = 200, description = "One page of entries", body = ActivityPage)))]
pub async fn list(
    auth: Auth<ActivitiesRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.activities.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(ActivityPage {
        data: page.data.into_iter().map(ActivityDto::from).collect(),
        next_cursor: page.next_cursor,
        total: page.total,
    }))
}
