use crate::entities::outbox::{self, Column, Entity};
use crate::error::store_err;
use crate::queue::PENDING;
use crate::tx::{SqlTxManager, sql};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::kernel::clock;
use crm_domain::mail::{OutboxMessage, OutboxRepository, OutgoingMail};
use crm_domain::{OrganizationId, OutboxId, StoreError, Txn};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

const SENT: &str = "sent";
const DEAD: &str = "dead";

#[derive(Clone)]
pub struct SqlOutboxRepository {
    db: DatabaseConnection,
    tx: SqlTxManager,
}

impl SqlOutboxRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            tx: SqlTxManager::new(db.clone()),
            db,
        }
    }
}

impl crate::queue::Queue for Entity {
    const ID: Column = Column::Id;
    const STATUS: Column = Column::Status;
    const NEXT_ATTEMPT_AT: Column = Column::NextAttemptAt;
    const LOCKED_UNTIL: Column = Column::LockedUntil;

    fn id_of(m: &outbox::Model) -> sea_orm::Value {
        m.id.into()
    }
}

/// A message due now, as a row (also written by the notifications in their transaction).
pub(crate) fn pending_row(
    id: OutboxId,
    organization_id: Option<OrganizationId>,
    mail: OutgoingMail,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        id: Set(id.0),
        organization_id: Set(organization_id.map(|o| o.0)),
        recipient: Set(mail.to),
        subject: Set(mail.subject),
        body_text: Set(mail.text),
        body_html: Set(mail.html),
        attachments: Set(if mail.attachments.is_empty() {
            None
        } else {
            serde_json::to_string(&mail.attachments).ok()
        }),
        status: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    }
}

#[async_trait]
impl OutboxRepository for SqlOutboxRepository {
    async fn enqueue(
        &self,
        tx: &mut Txn,
        organization_id: Option<OrganizationId>,
        mail: OutgoingMail,
    ) -> Result<OutboxId, StoreError> {
        let id = OutboxId::new();
        let row = pending_row(id, organization_id, mail, clock::now());
        Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(id)
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = crate::queue::claim_due::<Entity>(&self.tx, now, lease_until, limit).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                // Written by `pending_row`; a row that does not read back goes out without
                // its files rather than never.
                let attachments = match row.attachments.as_deref().map(serde_json::from_str) {
                    None => Vec::new(),
                    Some(Ok(a)) => a,
                    Some(Err(e)) => {
                        tracing::error!(outbox = %row.id, error = %e, "unreadable attachments; sent without them");
                        Vec::new()
                    }
                };
                OutboxMessage {
                    id: OutboxId(row.id),
                    organization_id: row.organization_id.map(OrganizationId),
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                    mail: OutgoingMail {
                        to: row.recipient,
                        subject: row.subject,
                        text: row.body_text,
                        html: row.body_html,
                        attachments,
                    },
                }
            })
            .collect())
    }

    async fn mark_sent(&self, id: OutboxId, at: DateTime<Utc>) -> Result<(), StoreError> {
        Entity::update_many()
            .col_expr(Column::Status, Expr::value(SENT))
            .col_expr(Column::SentAt, Expr::value(at))
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .col_expr(
                Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .filter(Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: OutboxId,
        error: String,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let now = clock::now();
        let mut update = Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(if retry_at.is_some() { PENDING } else { DEAD }),
            )
            .col_expr(
                Column::LastError,
                Expr::value(error.chars().take(2000).collect::<String>()),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .col_expr(
                Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1));
        if let Some(at) = retry_at {
            update = update.col_expr(Column::NextAttemptAt, Expr::value(at));
        }
        update
            .filter(Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
