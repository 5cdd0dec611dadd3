use crate::entities::refresh_token::{ActiveModel, Column, Entity};
use crate::error::store_err;
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::identity::{
    FamilyId, NewRefreshToken, RefreshTokenRepository, RotateOutcome, RotatedToken, SecretHash,
};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, UpdateMany,
};

#[derive(Clone)]
pub struct SqlRefreshTokenRepository {
    #[allow(dead_code)] // every method runs in the caller's transaction
    db: DatabaseConnection,
}

impl SqlRefreshTokenRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// `SET revoked_at = now` on the tokens not revoked yet (revocation keeps its first instant).
fn revoke(now: DateTime<Utc>) -> UpdateMany<Entity> {
    Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::RevokedAt.is_null())
}

#[async_trait]
impl RefreshTokenRepository for SqlRefreshTokenRepository {
    async fn create(&self, tx: &mut Txn, token: &NewRefreshToken) -> Result<(), StoreError> {
        let row = ActiveModel {
            id: Set(token.id.0),
            organization_id: Set(token.organization_id.0),
            user_id: Set(token.user_id.0),
            family_id: Set(token.family_id.0),
            token_hash: Set(token.token_hash.as_str().to_string()),
            created_at: Set(token.created_at),
            expires_at: Set(token.expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
        };
        Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn rotate(
        &self,
        tx: &mut Txn,
        presented: &SecretHash,
        next: &RotatedToken,
        now: DateTime<Utc>,
    ) -> Result<RotateOutcome, StoreError> {
        let db = sql(tx.as_mut())?;
        // The one statement that decides: of two concurrent uses, the second waits for the
        // first's row lock, re-checks `used_at` and matches nothing.
        let retired = Entity::update_many()
            .col_expr(Column::UsedAt, Expr::value(now))
            .filter(Column::TokenHash.eq(presented.as_str()))
            .filter(Column::UsedAt.is_null())
            .filter(Column::RevokedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .exec(db)
            .await
            .map_err(store_err)?;
        let row = Entity::find()
            .filter(Column::TokenHash.eq(presented.as_str()))
            .one(db)
            .await
            .map_err(store_err)?;

        if retired.rows_affected == 0 {
            return Ok(match row {
                None => RotateOutcome::Invalid,
                Some(r) if r.expires_at <= now => RotateOutcome::Invalid,
                // Retired by an earlier rotation and presented again: stolen or replayed.
                Some(r) if r.used_at.is_some() => RotateOutcome::Reused {
                    family_id: FamilyId(r.family_id),
                },
                // Revoked (logout, reuse detection) without having been rotated.
                Some(_) => RotateOutcome::Invalid,
            });
        }

        let Some(old) = row else {
            return Err(StoreError::Unexpected(
                "a rotated refresh token vanished inside its transaction".into(),
            ));
        };
        let successor = ActiveModel {
            id: Set(next.id.0),
            organization_id: Set(old.organization_id),
            user_id: Set(old.user_id),
            family_id: Set(old.family_id),
            token_hash: Set(next.token_hash.as_str().to_string()),
            created_at: Set(next.created_at),
            // The family's absolute lifetime: rotation never extends it.
            expires_at: Set(old.expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
        };
        Entity::insert(successor)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(RotateOutcome::Rotated {
            organization_id: OrganizationId(old.organization_id),
            user_id: UserId(old.user_id),
            family_id: FamilyId(old.family_id),
        })
    }

    async fn revoke_by_token(
        &self,
        tx: &mut Txn,
        presented: &SecretHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FamilyId>, StoreError> {
        let db = sql(tx.as_mut())?;
        let Some(row) = Entity::find()
            .filter(Column::TokenHash.eq(presented.as_str()))
            .one(db)
            .await
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        revoke(now)
            .filter(Column::FamilyId.eq(row.family_id))
            .exec(db)
            .await
            .map_err(store_err)?;
        Ok(Some(FamilyId(row.family_id)))
    }

    async fn revoke_family(
        &self,
        tx: &mut Txn,
        family: FamilyId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        revoke(now)
            .filter(Column::FamilyId.eq(family.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn revoke_all_for_user(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        except: Option<FamilyId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut q = revoke(now)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::UserId.eq(user.0));
        if let Some(keep) = except {
            q = q.filter(Column::FamilyId.ne(keep.0));
        }
        q.exec(sql(tx.as_mut())?).await.map_err(store_err)?;
        Ok(())
    }
}
