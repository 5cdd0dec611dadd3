use super::delete_err;
use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored, owned};
use crate::rows::{corrupt, db_version};
use async_trait::async_trait;
use crm_domain::clients::ClientId;
use crm_domain::identity::EmailAddress;
use crm_domain::{OrganizationId, StoreError, UserId};
use crm_sales::deals::DealId;
use crm_sales::leads::{Lead, LeadId, LeadRepository, LeadStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::QuerySelect;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    /// The email while the lead is open, NULL otherwise (unique per organization).
    pub open_email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub source: Option<String>,
    pub status: String,
    pub owner_id: Uuid,
    pub estimated_amount: Option<i64>,
    pub currency: Option<String>,
    pub score: Option<i32>,
    pub converted_client_id: Option<Uuid>,
    pub converted_deal_id: Option<Uuid>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Lead {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("leads", m.id, e);
        let email = m
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(|e| bad(&e))?;
        let currency = m
            .currency
            .as_deref()
            .map(|c| super::currency(c, "leads", m.id))
            .transpose()?;
        let status = m
            .status
            .parse::<LeadStatus>()
            .ok()
            .ok_or_else(|| bad(&format!("status {}", m.status)))?;
        Ok(Lead {
            id: LeadId(m.id),
            organization_id: OrganizationId(m.organization_id),
            name: m.name,
            email,
            phone: m.phone,
            company: m.company,
            source: m.source,
            status,
            owner_id: UserId(m.owner_id),
            estimated_amount: m.estimated_amount,
            currency,
            score: m.score,
            converted_client_id: m.converted_client_id.map(ClientId),
            converted_deal_id: m.converted_deal_id.map(DealId),
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = Lead;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Name, Column::Email, Column::Company]);
    const DELETE_ERR: fn(DbErr) -> StoreError = delete_err;

    fn row(l: &Lead) -> Result<ActiveModel, StoreError> {
        let email = l.email.as_ref().map(|e| e.as_str().to_string());
        Ok(ActiveModel {
            id: Set(l.id.0),
            created_at: Set(l.created_at),
            updated_at: Set(l.updated_at),
            version: Set(db_version(l.version)?),
            organization_id: Set(l.organization_id.0),
            name: Set(l.name.clone()),
            open_email: Set(email.clone().filter(|_| l.status.is_open())),
            email: Set(email),
            phone: Set(l.phone.clone()),
            company: Set(l.company.clone()),
            source: Set(l.source.clone()),
            status: Set(l.status.as_str().to_string()),
            owner_id: Set(l.owner_id.0),
            estimated_amount: Set(l.estimated_amount),
            currency: Set(l.currency.map(|c| c.code().to_string())),
            score: Set(l.score),
            converted_client_id: Set(l.converted_client_id.map(|c| c.0)),
            converted_deal_id: Set(l.converted_deal_id.map(|d| d.0)),
            legacy_id: Set(l.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, owner: Option<UserId>) -> Select<Entity> {
        owned(select, Column::OwnerId, owner)
    }
}

#[async_trait]
impl LeadRepository for SqlRecords<Entity> {
    async fn find_open_by_email(
        &self,
        org: OrganizationId,
        email: &EmailAddress,
        except: Option<LeadId>,
    ) -> Result<Option<LeadId>, StoreError> {
        let mut q = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::OpenEmail.eq(email.as_str()));
        if let Some(id) = except {
            q = q.filter(Column::Id.ne(id.0));
        }
        Ok(q.into_tuple::<uuid::Uuid>()
            .one(self.db())
            .await
            .map_err(store_err)?
            .map(LeadId))
    }
}
