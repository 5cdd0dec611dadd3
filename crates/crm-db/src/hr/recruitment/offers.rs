//! `offers`: `Records<Offer>` over the generic `Stored` table for its writes and reads by id,
//! with a list of its own: `status` is read on the day the caller's list is read (a `sent`
//! offer past its `expires_on` is `expired`, never stored), so the `status` filter and sort
//! use that reading (the same `CASE` as quotations).

use crate::keyset::{self, Computed, ListColumns};
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use crate::sales::currency;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page};
use crm_domain::kernel::records::Records;
use crm_domain::{OrganizationId, StoreError, Txn};
use crm_hr::recruitment::applications::ApplicationId;
use crm_hr::recruitment::offers::{Offer, OfferId, OfferStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, DatabaseConnection};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub application_id: Uuid,
    pub salary_amount: i64,
    pub salary_currency: String,
    pub start_date: Option<Date>,
    pub expires_on: Option<Date>,
    pub status: String,
    pub sent_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Offer {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(Offer {
            id: OfferId(m.id),
            organization_id: OrganizationId(m.organization_id),
            application_id: ApplicationId(m.application_id),
            salary_amount: m.salary_amount,
            salary_currency: currency(&m.salary_currency, "offers", m.id)?,
            start_date: m.start_date,
            expires_on: m.expires_on,
            status: m.status.parse().map_err(|e| corrupt("offers", m.id, e))?,
            sent_at: m.sent_at,
            decided_at: m.decided_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// An offer stays with its application.
crate::rows::tenanted!([CreatedAt, ApplicationId]);

impl Stored for Entity {
    type Record = Offer;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[]);

    fn row(o: &Offer) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(o.id.0),
            created_at: Set(o.created_at),
            updated_at: Set(o.updated_at),
            version: Set(db_version(o.version)?),
            organization_id: Set(o.organization_id.0),
            application_id: Set(o.application_id.0),
            salary_amount: Set(o.salary_amount),
            salary_currency: Set(o.salary_currency.code().to_string()),
            start_date: Set(o.start_date),
            expires_on: Set(o.expires_on),
            status: Set(o.status.as_str().to_string()),
            sent_at: Set(o.sent_at),
            decided_at: Set(o.decided_at),
        })
    }

    /// Not used: [`SqlOfferRepository::list`] reads the status on the day given.
    fn scoped(select: Select<Entity>, _: NaiveDate) -> Select<Entity> {
        select
    }
}

/// The offers of every organization.
#[derive(Clone)]
pub struct SqlOfferRepository {
    rows: SqlRecords<Entity>,
}

impl SqlOfferRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            rows: SqlRecords::new(db),
        }
    }
}

fn expired_on(today: NaiveDate) -> Condition {
    Condition::all()
        .add(Column::Status.eq(OfferStatus::Sent.as_str()))
        .add(Column::ExpiresOn.lt(today))
}

/// The condition of a `status` filter on the status as read on `today`.
fn status_as_of(raw: &str, today: NaiveDate) -> Condition {
    match raw.parse::<OfferStatus>().ok() {
        Some(OfferStatus::Expired) => expired_on(today),
        Some(OfferStatus::Sent) => Condition::all()
            .add(Column::Status.eq(OfferStatus::Sent.as_str()))
            .add(
                Condition::any()
                    .add(Column::ExpiresOn.is_null())
                    .add(Column::ExpiresOn.gte(today)),
            ),
        _ => Condition::all().add(Column::Status.eq(raw)),
    }
}

#[async_trait]
impl Records<Offer> for SqlOfferRepository {
    async fn create(&self, tx: &mut Txn, o: &Offer) -> Result<(), StoreError> {
        self.rows.create(tx, o).await
    }

    async fn get(&self, org: OrganizationId, id: OfferId) -> Result<Offer, StoreError> {
        self.rows.get(org, id).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: OfferId,
    ) -> Result<Offer, StoreError> {
        self.rows.get_for_update(tx, org, id).await
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Page<Offer>, StoreError> {
        let status_read: Expr =
            Expr::case(expired_on(today), Expr::val(OfferStatus::Expired.as_str()))
                .finally(Expr::col((Entity, Column::Status)))
                .into();
        let status_key = move |m: &Model| {
            let expired =
                m.status == OfferStatus::Sent.as_str() && m.expires_on.is_some_and(|d| d < today);
            FieldValue::Text(if expired {
                OfferStatus::Expired.as_str().to_string()
            } else {
                m.status.clone()
            })
        };
        let computed = [Computed {
            field: "status",
            expr: status_read,
            key: &status_key,
        }];
        let cols = ListColumns::<Entity> {
            search: &[],
            computed: &computed,
        };
        let mut base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        let mut q = query.clone();
        q.filters.retain(|f| {
            if f.field != "status" || f.op != FilterOp::Eq {
                return true;
            }
            if let FieldValue::Text(raw) = &f.value {
                base = base.clone().filter(status_as_of(raw, today));
            }
            false
        });
        keyset::page_as(self.rows.db(), base, &q, &cols).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        o: &Offer,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        self.rows.update(tx, o, expected_version).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: OfferId,
    ) -> Result<(), StoreError> {
        self.rows.delete(tx, org, id).await
    }
}
