//! `job_postings`: a `Stored` record (`SqlRecords<Entity>` is its `Records<JobPosting>`).

use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::{corrupt, db_version};
use crate::sales::currency;
use crm_domain::identity::{DepartmentId, DesignationId};
use crm_domain::{OrganizationId, StoreError, UserId};
use crm_hr::recruitment::postings::{JobPosting, JobPostingId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "job_postings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub title: String,
    pub department_id: Option<Uuid>,
    pub designation_id: Option<Uuid>,
    pub location: Option<String>,
    pub employment_type: String,
    pub openings: i64,
    pub description: Option<String>,
    pub status: String,
    pub closes_on: Option<Date>,
    pub salary_min: Option<i64>,
    pub salary_max: Option<i64>,
    pub salary_currency: Option<String>,
    pub hiring_manager_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for JobPosting {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let bad = |e: crm_domain::ValueError| corrupt("job_postings", m.id, e);
        Ok(JobPosting {
            id: JobPostingId(m.id),
            organization_id: OrganizationId(m.organization_id),
            employment_type: m.employment_type.parse().map_err(bad)?,
            status: m.status.parse().map_err(bad)?,
            salary_currency: m
                .salary_currency
                .as_deref()
                .map(|c| currency(c, "job_postings", m.id))
                .transpose()?,
            title: m.title,
            department_id: m.department_id.map(DepartmentId),
            designation_id: m.designation_id.map(DesignationId),
            location: m.location,
            openings: m.openings,
            description: m.description,
            closes_on: m.closes_on,
            salary_min: m.salary_min,
            salary_max: m.salary_max,
            hiring_manager_id: m.hiring_manager_id.map(UserId),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = JobPosting;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Title, Column::Location, Column::Description]);
    // Applications refuse the deletion of their posting (a foreign key): `409`.
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(p: &JobPosting) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(p.id.0),
            created_at: Set(p.created_at),
            updated_at: Set(p.updated_at),
            version: Set(db_version(p.version)?),
            organization_id: Set(p.organization_id.0),
            title: Set(p.title.clone()),
            department_id: Set(p.department_id.map(|d| d.0)),
            designation_id: Set(p.designation_id.map(|d| d.0)),
            location: Set(p.location.clone()),
            employment_type: Set(p.employment_type.as_str().to_string()),
            openings: Set(p.openings),
            description: Set(p.description.clone()),
            status: Set(p.status.as_str().to_string()),
            closes_on: Set(p.closes_on),
            salary_min: Set(p.salary_min),
            salary_max: Set(p.salary_max),
            salary_currency: Set(p.salary_currency.map(|c| c.code().to_string())),
            hiring_manager_id: Set(p.hiring_manager_id.map(|u| u.0)),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}
