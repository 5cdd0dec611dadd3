//! Who holds a permission in an organization: the users the notifications of a decision go to
//! (expense and leave approvers, HR for expiring certifications).

use crate::entities::{role, user, user_role};
use crate::error::store_err;
use crm_domain::identity::UserStatus;
use crm_domain::identity::permissions::ADMIN_ROLE;
use crm_domain::{OrganizationId, StoreError, UserId};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Query;
use sea_orm::{DatabaseConnection, QueryOrder, QuerySelect};

/// Whether a role's stored permission codes include `code` (the seeded admin role holds the
/// whole catalogue whatever is stored).
fn grants(r: &role::Model, code: &str) -> bool {
    (r.is_system && r.name == ADMIN_ROLE)
        || r.permissions
            .as_array()
            .is_some_and(|codes| codes.iter().any(|c| c.as_str() == Some(code)))
}

/// The active users of `org` holding `code` through one of their roles, by id. Two
/// statements: the organization's roles (a handful; their permissions are a JSON list, read
/// here rather than with each backend's JSON operators), then the users holding one of the
/// granting roles.
pub(crate) async fn holders_of(
    db: &DatabaseConnection,
    org: OrganizationId,
    code: &str,
) -> Result<Vec<UserId>, StoreError> {
    let roles: Vec<Uuid> = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org.0))
        .all(db)
        .await
        .map_err(store_err)?
        .iter()
        .filter(|r| grants(r, code))
        .map(|r| r.id)
        .collect();
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let holders = Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::OrganizationId.eq(org.0))
        .and_where(user_role::Column::RoleId.is_in(roles))
        .to_owned();
    let ids: Vec<Uuid> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrganizationId.eq(org.0))
        .filter(user::Column::Status.eq(UserStatus::Active.as_str()))
        .filter(user::Column::Id.in_subquery(holders))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await
        .map_err(store_err)?;
    Ok(ids.into_iter().map(UserId).collect())
}
