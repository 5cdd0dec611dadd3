//! `candidates`: a `Stored` record (`SqlRecords<Entity>` is its `Records<Candidate>` and
//! `CandidateStore`). The email is stored normalised under the unique key
//! `ux_candidates_email (organization_id, email)`.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use async_trait::async_trait;
use crm_domain::files::FileId;
use crm_domain::identity::EmailAddress;
use crm_domain::{OrganizationId, StoreError};
use crm_hr::recruitment::candidates::{Candidate, CandidateId};
use crm_hr::recruitment::ports::CandidateStore;
use sea_orm::ActiveValue::Set;
use sea_orm::QuerySelect;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "candidates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub source: Option<String>,
    pub resume_file_id: Option<Uuid>,
    pub notes: Option<String>,
    pub tags: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Candidate {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let id = m.id;
        Ok(Candidate {
            id: CandidateId(m.id),
            organization_id: OrganizationId(m.organization_id),
            email: EmailAddress::parse(&m.email).map_err(|e| corrupt("candidates", id, e))?,
            tags: serde_json::from_value(m.tags).map_err(|e| corrupt("candidates", id, e))?,
            name: m.name,
            phone: m.phone,
            source: m.source,
            resume_file_id: m.resume_file_id.map(FileId),
            notes: m.notes,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = Candidate;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Name, Column::Email, Column::Phone, Column::Notes]);
    // Applications refuse the deletion of their candidate (a foreign key): `409`.
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(c: &Candidate) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(c.id.0),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
            version: Set(db_version(c.version)?),
            organization_id: Set(c.organization_id.0),
            name: Set(c.name.clone()),
            email: Set(c.email.as_str().to_string()),
            phone: Set(c.phone.clone()),
            source: Set(c.source.clone()),
            resume_file_id: Set(c.resume_file_id.map(|f| f.0)),
            notes: Set(c.notes.clone()),
            tags: Set(serde_json::Value::from(c.tags.clone())),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}

#[async_trait]
impl CandidateStore for SqlRecords<Entity> {
    async fn find_by_email(
        &self,
        org: OrganizationId,
        email: &EmailAddress,
        except: Option<CandidateId>,
    ) -> Result<Option<CandidateId>, StoreError> {
        let mut q = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Email.eq(email.as_str()));
        if let Some(c) = except {
            q = q.filter(Column::Id.ne(c.0));
        }
        let id: Option<Uuid> = q.into_tuple().one(self.db()).await.map_err(store_err)?;
        Ok(id.map(CandidateId))
    }
}
