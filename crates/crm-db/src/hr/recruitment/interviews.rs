//! `interviews` (a `Stored` record: `SqlRecords<Entity>` is its `Records<Interview>` and
//! `InterviewStore`, `:own` narrowed to the interviews the caller is an interviewer of),
//! `interview_interviewers` (written with the interview, read by `:own` and the
//! double-booking check) and `interview_feedback`.

use crate::entities::user;
use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_hr::recruitment::applications::ApplicationId;
use crm_hr::recruitment::interviews::{
    Feedback, FeedbackId, Interview, InterviewId, InterviewStatus,
};
use crm_hr::recruitment::ports::InterviewStore;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{JoinType, Query};
use sea_orm::{QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "interviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub application_id: Uuid,
    pub round: i64,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub mode: String,
    pub location: Option<String>,
    pub interviewer_ids: Json,
    pub status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn ids_json(ids: &[UserId]) -> Json {
    serde_json::Value::from(ids.iter().map(|u| u.0.to_string()).collect::<Vec<_>>())
}

impl TryFrom<Model> for Interview {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let id = m.id;
        let bad = |e: &dyn std::fmt::Display| corrupt("interviews", id, e);
        let interviewers: Vec<Uuid> =
            serde_json::from_value(m.interviewer_ids).map_err(|e| bad(&e))?;
        Ok(Interview {
            id: InterviewId(m.id),
            organization_id: OrganizationId(m.organization_id),
            application_id: ApplicationId(m.application_id),
            round: m.round,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            mode: m.mode.parse().map_err(|e| bad(&e))?,
            location: m.location,
            interviewer_ids: interviewers.into_iter().map(UserId).collect(),
            status: m.status.parse().map_err(|e| bad(&e))?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// An interview stays with its application.
crate::rows::tenanted!([CreatedAt, ApplicationId]);

impl Stored for Entity {
    type Record = Interview;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Location]);

    fn row(i: &Interview) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(i.id.0),
            created_at: Set(i.created_at),
            updated_at: Set(i.updated_at),
            version: Set(db_version(i.version)?),
            organization_id: Set(i.organization_id.0),
            application_id: Set(i.application_id.0),
            round: Set(i.round),
            starts_at: Set(i.starts_at),
            ends_at: Set(i.ends_at),
            mode: Set(i.mode.as_str().to_string()),
            location: Set(i.location.clone()),
            interviewer_ids: Set(ids_json(&i.interviewer_ids)),
            status: Set(i.status.as_str().to_string()),
        })
    }

    /// `:own`: the interviews `user` is an interviewer of.
    fn scoped(select: Select<Entity>, user: Option<UserId>) -> Select<Entity> {
        match user {
            None => select,
            Some(u) => select.filter(
                Column::Id.in_subquery(
                    Query::select()
                        .column(interviewers::Column::InterviewId)
                        .from(interviewers::Entity)
                        .and_where(interviewers::Column::UserId.eq(u.0))
                        .to_owned(),
                ),
            ),
        }
    }
}

pub(crate) mod interviewers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "interview_interviewers")]
    pub struct Model {
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub interview_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod feedback {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "interview_feedback")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub interview_id: Uuid,
        pub interviewer_id: Uuid,
        pub rating: i64,
        pub recommendation: String,
        pub notes: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn feedback_of(m: feedback::Model) -> Result<Feedback, StoreError> {
    Ok(Feedback {
        id: FeedbackId(m.id),
        organization_id: OrganizationId(m.organization_id),
        interview_id: InterviewId(m.interview_id),
        interviewer_id: UserId(m.interviewer_id),
        rating: m.rating,
        recommendation: m
            .recommendation
            .parse()
            .map_err(|e| corrupt("interview_feedback", m.id, e))?,
        notes: m.notes,
        created_at: m.created_at,
    })
}

fn uuids(users: &[UserId]) -> Vec<Uuid> {
    users.iter().map(|u| u.0).collect()
}

#[async_trait]
impl InterviewStore for SqlRecords<Entity> {
    async fn users_of(
        &self,
        org: OrganizationId,
        users: &[UserId],
    ) -> Result<Vec<UserId>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<Uuid> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::OrganizationId.eq(org.0))
            .filter(user::Column::Id.is_in(uuids(users)))
            .into_tuple()
            .all(self.db())
            .await
            .map_err(store_err)?;
        Ok(found.into_iter().map(UserId).collect())
    }

    async fn lock_users(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        // One statement, rows locked in id order (SQLite's writer lock already serializes).
        let _: Vec<Uuid> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::OrganizationId.eq(org.0))
            .filter(user::Column::Id.is_in(uuids(users)))
            .order_by_asc(user::Column::Id)
            .lock_exclusive()
            .into_tuple()
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn overlapping(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        users: &[UserId],
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        except: Option<InterviewId>,
    ) -> Result<Option<(InterviewId, UserId)>, StoreError> {
        use interviewers::Column as W;
        if users.is_empty() {
            return Ok(None);
        }
        let mut q = interviewers::Entity::find()
            .select_only()
            .column(W::InterviewId)
            .column(W::UserId)
            .join(
                JoinType::InnerJoin,
                interviewers::Entity::belongs_to(Entity)
                    .from(W::InterviewId)
                    .to(Column::Id)
                    .into(),
            )
            .filter(W::OrganizationId.eq(org.0))
            .filter(W::UserId.is_in(uuids(users)))
            .filter(Column::Status.eq(InterviewStatus::Scheduled.as_str()))
            .filter(Column::StartsAt.lt(ends_at))
            .filter(Column::EndsAt.gt(starts_at))
            .order_by_asc(Column::StartsAt);
        if let Some(i) = except {
            q = q.filter(W::InterviewId.ne(i.0));
        }
        let hit: Option<(Uuid, Uuid)> = q
            .into_tuple()
            .one(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(hit.map(|(i, u)| (InterviewId(i), UserId(u))))
    }

    async fn set_interviewers(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        interview: InterviewId,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        interviewers::Entity::delete_many()
            .filter(interviewers::Column::OrganizationId.eq(org.0))
            .filter(interviewers::Column::InterviewId.eq(interview.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        if users.is_empty() {
            return Ok(());
        }
        let rows = users.iter().map(|u| interviewers::ActiveModel {
            organization_id: Set(org.0),
            interview_id: Set(interview.0),
            user_id: Set(u.0),
        });
        interviewers::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn feedback(
        &self,
        org: OrganizationId,
        interview: InterviewId,
    ) -> Result<Vec<Feedback>, StoreError> {
        feedback::Entity::find()
            .filter(feedback::Column::OrganizationId.eq(org.0))
            .filter(feedback::Column::InterviewId.eq(interview.0))
            .order_by_asc(feedback::Column::CreatedAt)
            .order_by_asc(feedback::Column::Id)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(feedback_of)
            .collect()
    }

    async fn add_feedback(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        f: &Feedback,
    ) -> Result<(), StoreError> {
        let row = feedback::ActiveModel {
            id: Set(f.id.0),
            organization_id: Set(org.0),
            interview_id: Set(f.interview_id.0),
            interviewer_id: Set(f.interviewer_id.0),
            rating: Set(f.rating),
            recommendation: Set(f.recommendation.as_str().to_string()),
            notes: Set(f.notes.clone()),
            created_at: Set(f.created_at),
        };
        crate::rows::insert(sql(tx.as_mut())?, row).await
    }
}
