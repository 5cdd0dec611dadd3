//! The ceiling: the same service calls the handlers make (authentication of the caller, then
//! the use case), in this process on a pool of the server's size — the SQL the API issues,
//! without HTTP, JWT or JSON.

use crm_api::app::AppState;
use crm_api::settings::{Settings, Sources};
use crm_domain::identity::AccessClaims;
use crm_domain::{Actor, OrganizationId, UserId};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

pub async fn state(env: &[(String, String)], config_dir: &Path) -> Result<Arc<AppState>, String> {
    let settings = Settings::load_from(Sources {
        env_name: Some("production".into()),
        config_dir: Some(config_dir.to_path_buf()),
        vars: Some(env.to_vec()),
    })
    .map_err(|e| e.to_string())?;
    let db = crm_db::Database::connect(&settings.db())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(AppState::new(db, &settings)))
}

/// What the bearer-token extractor does after verifying the JWT.
pub async fn authenticate(state: &AppState, user: Uuid, org: Uuid) -> Result<Actor, String> {
    state
        .identity
        .auth
        .authenticate(&AccessClaims {
            user_id: UserId(user),
            organization_id: OrganizationId(org),
            session: None,
            issued_at: chrono::Utc::now(),
        })
        .await
        .map_err(|e| format!("{e:?}"))
}
