//! `milestones`: a `Stored` record (`SqlRecords<Entity>` is its `Records<Milestone>`); its
//! computed `status`, `progress` and `is_overdue` are filled by the service from the linked
//! tasks.

use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::db_version;
use crm_domain::{OrganizationId, StoreError};
use crm_projects::milestones::{Milestone, MilestoneId, MilestoneStatus};
use crm_projects::projects::ProjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub due_date: Option<Date>,
    pub reached_at: Option<DateTimeUtc>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Milestone {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(Milestone {
            id: MilestoneId(m.id),
            organization_id: OrganizationId(m.organization_id),
            project_id: ProjectId(m.project_id),
            title: m.title,
            description: m.description,
            due_date: m.due_date,
            status: if m.reached_at.is_some() {
                MilestoneStatus::Reached
            } else {
                MilestoneStatus::Open
            },
            progress: 0,
            is_overdue: false,
            reached_at: m.reached_at,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// A milestone stays in its project.
crate::rows::tenanted!([CreatedAt, ProjectId]);

impl Stored for Entity {
    type Record = Milestone;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Title, Column::Description]);

    fn row(m: &Milestone) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(m.id.0),
            created_at: Set(m.created_at),
            updated_at: Set(m.updated_at),
            version: Set(db_version(m.version)?),
            organization_id: Set(m.organization_id.0),
            project_id: Set(m.project_id.0),
            title: Set(m.title.clone()),
            description: Set(m.description.clone()),
            due_date: Set(m.due_date),
            reached_at: Set(m.reached_at),
            legacy_id: Set(m.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}
