use crate::entities::user::{self, ActiveModel, Column, Entity};
use crate::entities::{refresh_token, role, user_role};
use crate::error::store_err;
use crate::keyset;
use crate::keyset::ListColumns;
use crate::rows::{corrupt, db_version, locked, stale_or_missing};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::identity::{
    Caller, DepartmentId, DesignationId, EmailAddress, FamilyId, PasswordHash, PersonName, Role,
    User, UserRepository, UserStatus,
};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryResult, QuerySelect, RelationDef,
};
use uuid::Uuid;

#[derive(Clone)]
pub struct SqlUserRepository {
    db: DatabaseConnection,
}

impl SqlUserRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The column of the session's open refresh token in authentication's statement.
const OPEN_TOKEN: &str = "open_token";

/// A row of authentication's statement: the user, and whether the token's session is open.
struct CallerRow {
    user: user::Model,
    session_open: bool,
}

impl FromQueryResult for CallerRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let open: Option<Uuid> = res.try_get(pre, OPEN_TOKEN)?;
        Ok(Self {
            user: user::Model::from_query_result(res, pre)?,
            session_open: open.is_some(),
        })
    }
}

impl TryFrom<user::Model> for User {
    type Error = StoreError;
    fn try_from(m: user::Model) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("user", m.id, e);
        Ok(User {
            id: UserId(m.id),
            organization_id: OrganizationId(m.organization_id),
            name: PersonName::parse(&m.name).map_err(|e| bad(&e))?,
            email: EmailAddress::parse(&m.email).map_err(|e| bad(&e))?,
            password_hash: m.password_hash.map(PasswordHash::new),
            status: m.status.parse::<UserStatus>().map_err(|e| bad(&e))?,
            department_id: m.department_id.map(DepartmentId),
            designation_id: m.designation_id.map(DesignationId),
            tokens_valid_after: m.tokens_valid_after,
            last_login_at: m.last_login_at,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

/// Every column the domain owns but `id`, `organization_id` and `created_at`.
/// `last_login_at` changes only through `record_sign_in`, so an edit cannot roll it back.
fn changes(u: &User) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        updated_at: Set(u.updated_at),
        version: Set(db_version(u.version)?),
        name: Set(u.name.as_str().to_string()),
        email: Set(u.email.as_str().to_string()),
        password_hash: Set(u.password_hash.as_ref().map(|h| h.as_str().to_string())),
        status: Set(u.status.as_str().to_string()),
        department_id: Set(u.department_id.map(|d| d.0)),
        designation_id: Set(u.designation_id.map(|d| d.0)),
        tokens_valid_after: Set(u.tokens_valid_after),
        legacy_id: Set(u.legacy_id.clone()),
        ..Default::default()
    })
}

async fn user_of(
    db: &impl ConnectionTrait,
    org: OrganizationId,
    id: UserId,
) -> Result<User, StoreError> {
    Entity::find_by_id(id.0)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await
        .map_err(store_err)?
        .ok_or(StoreError::NotFound)?
        .try_into()
}

#[async_trait]
impl UserRepository for SqlUserRepository {
    async fn create(&self, tx: &mut Txn, user: &User) -> Result<(), StoreError> {
        let mut row = changes(user)?;
        row.id = Set(user.id.0);
        row.organization_id = Set(user.organization_id.0);
        row.created_at = Set(user.created_at);
        row.last_login_at = Set(user.last_login_at);
        Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, org: OrganizationId, id: UserId) -> Result<User, StoreError> {
        user_of(&self.db, org, id).await
    }

    async fn get_with_roles(
        &self,
        org: OrganizationId,
        id: UserId,
        session: Option<FamilyId>,
    ) -> Result<Caller, StoreError> {
        // users LEFT JOIN user_roles LEFT JOIN roles: one row per role (one with no role for
        // a user without any), each link and role held to the user's organization.
        let link = user_role::Entity::belongs_to(Entity)
            .from(user_role::Column::UserId)
            .to(Column::Id)
            .on_condition(|link, user| {
                Condition::all().add(
                    Expr::col((link, user_role::Column::OrganizationId))
                        .equals((user, Column::OrganizationId)),
                )
            })
            .into();
        let to_role = user_role::Entity::belongs_to(role::Entity)
            .from(user_role::Column::RoleId)
            .to(role::Column::Id)
            .on_condition(|link, role| {
                Condition::all().add(
                    Expr::col((role, role::Column::OrganizationId))
                        .equals((link, user_role::Column::OrganizationId)),
                )
            })
            .into();
        let query = Entity::find_by_id(id.0)
            .filter(Column::OrganizationId.eq(org.0))
            .join(JoinType::LeftJoin, RelationDef::rev(link))
            .join(JoinType::LeftJoin, to_role);
        let rows: Vec<(CallerRow, Option<role::Model>)> = match session {
            None => query
                .select_also(role::Entity)
                .all(&self.db)
                .await
                .map_err(store_err)?
                .into_iter()
                .map(|(user, role)| {
                    let row = CallerRow {
                        user,
                        session_open: true,
                    };
                    (row, role)
                })
                .collect(),
            // LEFT JOIN the session's open refresh token: a family holds at most one (a
            // rotation retires a token and adds its successor in one transaction, an ending
            // revokes them all), so the roles' rows are not multiplied, and the index on
            // `family_id` finds it.
            Some(family) => {
                let open = Entity::belongs_to(refresh_token::Entity)
                    .from(Column::Id)
                    .to(refresh_token::Column::UserId)
                    .on_condition(move |_, token| {
                        Condition::all()
                            .add(
                                Expr::col((token.clone(), refresh_token::Column::FamilyId))
                                    .eq(family.0),
                            )
                            .add(
                                Expr::col((token.clone(), refresh_token::Column::UsedAt)).is_null(),
                            )
                            .add(Expr::col((token, refresh_token::Column::RevokedAt)).is_null())
                    })
                    .into();
                query
                    .join(JoinType::LeftJoin, open)
                    .expr_as(
                        Expr::col((refresh_token::Entity, refresh_token::Column::Id)),
                        OPEN_TOKEN,
                    )
                    .select_also(role::Entity)
                    .into_model::<CallerRow, role::Model>()
                    .all(&self.db)
                    .await
                    .map_err(store_err)?
            }
        };
        let mut rows = rows.into_iter();
        let (first, role) = rows.next().ok_or(StoreError::NotFound)?;
        let roles = role
            .into_iter()
            .chain(rows.filter_map(|(_, r)| r))
            .map(Role::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Caller {
            user: first.user.try_into()?,
            roles,
            session_open: first.session_open,
        })
    }

    async fn get_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
    ) -> Result<User, StoreError> {
        user_of(sql(tx.as_mut())?, org, id).await
    }

    async fn find_by_email(&self, email: &EmailAddress) -> Result<Option<User>, StoreError> {
        // Addresses are stored lower-cased (EmailAddress normalises them), so the unique index
        // answers every lookup; no case-insensitive scan, which would cost a full table read
        // for each unknown address a client tries.
        Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(User::try_from)
            .transpose()
    }

    async fn list(&self, org: OrganizationId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        let cols = ListColumns::<Entity>::search(&[Column::Name, Column::Email]);
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        keyset::page_as(&self.db, base, query, &cols).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        user: &User,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let res = Entity::update_many()
            .set(changes(user)?)
            .filter(Column::Id.eq(user.id.0))
            .filter(Column::OrganizationId.eq(user.organization_id.0))
            .filter(Column::Version.eq(db_version(expected_version)?))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            let row = Entity::find_by_id(user.id.0)
                .filter(Column::OrganizationId.eq(user.organization_id.0));
            return Err(stale_or_missing(db, row).await);
        }
        Ok(())
    }

    async fn set_password_hash(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        let res = Entity::update_many()
            .col_expr(Column::PasswordHash, Expr::value(hash.as_str()))
            .filter(Column::Id.eq(id.0))
            .filter(Column::OrganizationId.eq(org.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn record_sign_in(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let res = Entity::update_many()
            .col_expr(Column::LastLoginAt, Expr::value(at))
            .filter(Column::Id.eq(id.0))
            .filter(Column::OrganizationId.eq(org.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: UserId,
    ) -> Result<User, StoreError> {
        let row = Entity::find_by_id(id.0).filter(Column::OrganizationId.eq(org.0));
        locked(sql(tx.as_mut())?, row).await?.try_into()
    }
}
