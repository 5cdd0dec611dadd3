//! `training_sessions`: a `Stored` record (`SqlRecords<Entity>` is its
//! `Records<TrainingSession>`); its enrollments' foreign key refuses its deletion
//! (`Conflict`).

use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::{corrupt, db_version};
use crm_domain::{OrganizationId, StoreError};
use crm_hr::training::{TrainingProgramId, TrainingSession, TrainingSessionId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub program_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub location: Option<String>,
    pub trainer: Option<String>,
    pub capacity: Option<i32>,
    pub status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for TrainingSession {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(TrainingSession {
            id: TrainingSessionId(m.id),
            organization_id: OrganizationId(m.organization_id),
            program_id: TrainingProgramId(m.program_id),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            location: m.location,
            trainer: m.trainer,
            capacity: m.capacity.map(i64::from),
            status: m.status.parse().map_err(|e: crm_domain::ValueError| {
                corrupt("training_sessions", m.id, e.message)
            })?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// A session stays with its program.
crate::rows::tenanted!([CreatedAt, ProgramId]);

impl Stored for Entity {
    type Record = TrainingSession;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Location, Column::Trainer]);
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(s: &TrainingSession) -> Result<ActiveModel, StoreError> {
        let capacity = s
            .capacity
            .map(i32::try_from)
            .transpose()
            .map_err(|_| StoreError::Unexpected("capacity out of range".into()))?;
        Ok(ActiveModel {
            id: Set(s.id.0),
            created_at: Set(s.created_at),
            updated_at: Set(s.updated_at),
            version: Set(db_version(s.version)?),
            organization_id: Set(s.organization_id.0),
            program_id: Set(s.program_id.0),
            starts_at: Set(s.starts_at),
            ends_at: Set(s.ends_at),
            location: Set(s.location.clone()),
            trainer: Set(s.trainer.clone()),
            capacity: Set(capacity),
            status: Set(s.status.as_str().to_string()),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}
