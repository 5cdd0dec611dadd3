use crate::entities::code_request as requests;
use crate::entities::verification_code::{ActiveModel, Column, Entity};
use crate::error::store_err;
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::identity::{
    CodePurpose, ConsumeOutcome, EmailAddress, NewVerificationCode, RecentSend, SecretHash,
    VerificationCodeRepository,
};
use crm_domain::{StoreError, Txn, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

/// The live code of its user and purpose; at most one per pair.
const ACTIVE: &str = "active";
/// Consumed by a successful attempt.
const USED: &str = "used";
/// Replaced by a newer code; kept so the resend caps still count it.
const SUPERSEDED: &str = "superseded";

#[derive(Clone)]
pub struct SqlVerificationCodeRepository {
    db: DatabaseConnection,
}

impl SqlVerificationCodeRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl VerificationCodeRepository for SqlVerificationCodeRepository {
    async fn issue(&self, tx: &mut Txn, code: &NewVerificationCode) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let max_attempts = i32::try_from(code.max_attempts)
            .map_err(|_| StoreError::Unexpected("max_attempts out of range".into()))?;
        Entity::update_many()
            .col_expr(Column::Status, Expr::value(SUPERSEDED))
            .filter(Column::UserId.eq(code.user_id.0))
            .filter(Column::Purpose.eq(code.purpose.as_str()))
            .filter(Column::Status.eq(ACTIVE))
            .exec(db)
            .await
            .map_err(store_err)?;
        let row = ActiveModel {
            id: Set(code.id.0),
            organization_id: Set(code.organization_id.0),
            user_id: Set(code.user_id.0),
            email: Set(code.email.as_str().to_string()),
            purpose: Set(code.purpose.as_str().to_string()),
            code_hash: Set(code.code_hash.as_str().to_string()),
            attempts: Set(0),
            max_attempts: Set(max_attempts),
            status: Set(ACTIVE.to_string()),
            created_at: Set(code.created_at),
            expires_at: Set(code.expires_at),
            used_at: Set(None),
        };
        Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn consume(
        &self,
        tx: &mut Txn,
        user: UserId,
        purpose: CodePurpose,
        code_hash: &SecretHash,
        now: DateTime<Utc>,
    ) -> Result<ConsumeOutcome, StoreError> {
        let db = sql(tx.as_mut())?;
        // The one statement that decides success: of two concurrent submits of the right code,
        // the second waits for the first's row lock, re-checks `status` and matches nothing.
        let used = Entity::update_many()
            .col_expr(Column::Status, Expr::value(USED))
            .col_expr(Column::UsedAt, Expr::value(now))
            .filter(Column::UserId.eq(user.0))
            .filter(Column::Purpose.eq(purpose.as_str()))
            .filter(Column::Status.eq(ACTIVE))
            .filter(Column::CodeHash.eq(code_hash.as_str()))
            .filter(Column::ExpiresAt.gt(now))
            .filter(Expr::col(Column::Attempts).lt(Expr::col(Column::MaxAttempts)))
            .exec(db)
            .await
            .map_err(store_err)?;
        if used.rows_affected > 0 {
            return Ok(ConsumeOutcome::Consumed);
        }

        // Why not: classify on the live code, locked (a current read on MySQL too) so the
        // attempt counted below is exactly the next one.
        let Some(live) = Entity::find()
            .filter(Column::UserId.eq(user.0))
            .filter(Column::Purpose.eq(purpose.as_str()))
            .filter(Column::Status.eq(ACTIVE))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .lock_exclusive()
            .one(db)
            .await
            .map_err(store_err)?
        else {
            return Ok(ConsumeOutcome::Missing);
        };
        if live.expires_at <= now {
            return Ok(ConsumeOutcome::Expired);
        }
        if live.attempts >= live.max_attempts {
            return Ok(ConsumeOutcome::Exhausted);
        }
        if live.code_hash == code_hash.as_str() {
            // It matched yet the update missed it: a concurrent request changed it meanwhile.
            return Ok(ConsumeOutcome::Missing);
        }

        let counted = Entity::update_many()
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .filter(Column::Id.eq(live.id))
            .filter(Column::Status.eq(ACTIVE))
            .filter(Expr::col(Column::Attempts).lt(Expr::col(Column::MaxAttempts)))
            .exec(db)
            .await
            .map_err(store_err)?;
        if counted.rows_affected == 0 {
            // Used, superseded or exhausted by a concurrent request between the two statements
            // (only possible where the read above could not lock).
            return Ok(ConsumeOutcome::Missing);
        }
        let left = live
            .max_attempts
            .saturating_sub(live.attempts.saturating_add(1));
        Ok(ConsumeOutcome::Wrong {
            attempts_left: u32::try_from(left).unwrap_or(0),
        })
    }

    async fn issued_since(
        &self,
        email: &EmailAddress,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let n = Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .filter(Column::CreatedAt.gte(since))
            .count(&self.db)
            .await
            .map_err(store_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn recent_sends(
        &self,
        email: &EmailAddress,
        since: DateTime<Utc>,
    ) -> Result<Vec<RecentSend>, StoreError> {
        let codes = Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .filter(Column::CreatedAt.gte(since))
            .all(&self.db)
            .await
            .map_err(store_err)?;
        let requests = requests::Entity::find()
            .filter(requests::Column::Email.eq(email.as_str()))
            .filter(requests::Column::RequestedAt.gte(since))
            .all(&self.db)
            .await
            .map_err(store_err)?;
        let purpose = |raw: &str| {
            raw.parse::<CodePurpose>()
                .map_err(|e| StoreError::Unexpected(format!("stored code purpose: {e}")))
        };
        let mut sends = Vec::with_capacity(codes.len() + requests.len());
        for c in codes {
            sends.push(RecentSend {
                purpose: purpose(&c.purpose)?,
                at: c.created_at,
                // Killed by its wrong tries: the next request mails a fresh code at once.
                holds_window: c.attempts < c.max_attempts,
            });
        }
        for r in requests {
            sends.push(RecentSend {
                purpose: purpose(&r.purpose)?,
                at: r.requested_at,
                holds_window: true,
            });
        }
        Ok(sends)
    }

    async fn record_request(
        &self,
        email: &EmailAddress,
        purpose: CodePurpose,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Only the last hour matters to the window and the cap: this address's older rows go.
        requests::Entity::delete_many()
            .filter(requests::Column::Email.eq(email.as_str()))
            .filter(requests::Column::RequestedAt.lt(at - chrono::Duration::hours(1)))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        let row = requests::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            email: Set(email.as_str().to_string()),
            purpose: Set(purpose.as_str().to_string()),
            requested_at: Set(at),
        };
        requests::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
