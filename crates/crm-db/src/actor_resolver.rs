use crate::entities::{role, user, user_role};
use crate::error::store_err;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::{Actor, ActorResolver, DomainError, OrganizationId, UserId};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeSet;

/// Resolves the caller on every request: one indexed read of the user and one of its roles'
/// permissions, so deactivation and revocation take effect at once.
#[derive(Clone)]
pub struct SqlActorResolver {
    db: DatabaseConnection,
}

impl SqlActorResolver {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn revoked() -> DomainError {
    DomainError::Unauthorized {
        code: "unauthorized",
        message: "the access token is no longer valid".into(),
    }
}

#[async_trait]
impl ActorResolver for SqlActorResolver {
    async fn resolve(
        &self,
        user_id: UserId,
        org: OrganizationId,
        issued_at: DateTime<Utc>,
    ) -> Result<Actor, DomainError> {
        let u = user::Entity::find_by_id(user_id.0)
            .filter(user::Column::OrganizationId.eq(org.0))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .ok_or_else(revoked)?;
        // Tokens carry whole seconds; a token issued in the same second as the stamp was made
        // after it only if its second is strictly later.
        if u.status != "active" || issued_at.timestamp() < u.tokens_valid_after.timestamp() {
            return Err(revoked());
        }
        let perms: Vec<serde_json::Value> = role::Entity::find()
            .select_only()
            .column(role::Column::Permissions)
            .inner_join_on_user_roles(user_id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        let mut codes = BTreeSet::new();
        for p in perms {
            if let Some(list) = p.as_array() {
                codes.extend(list.iter().filter_map(|c| c.as_str().map(str::to_string)));
            }
        }
        Ok(Actor::new(user_id, org, codes))
    }
}

trait JoinUserRoles {
    fn inner_join_on_user_roles(self, user: UserId) -> Self;
}

impl JoinUserRoles for sea_orm::Select<role::Entity> {
    fn inner_join_on_user_roles(self, user: UserId) -> Self {
        self.filter(
            role::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(user_role::Column::RoleId)
                    .from(user_role::Entity)
                    .and_where(user_role::Column::UserId.eq(user.0))
                    .to_owned(),
            ),
        )
    }
}
