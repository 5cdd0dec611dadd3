//! `applications` (a `Stored` record: `SqlRecords<Entity>` is its `Records<Application>` and
//! `ApplicationStore`) and `application_stages`, the stage history: one row per stage
//! entered, closed (`left_at`, `seconds_in`) by the move that leaves it.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version, found};
use crate::sales::{get, sum_i64};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_hr::employees::EmployeeId;
use crm_hr::recruitment::applications::{
    Application, ApplicationId, ApplicationStage, StageMove, StageMoveId,
};
use crm_hr::recruitment::candidates::CandidateId;
use crm_hr::recruitment::ports::{ApplicationStore, StageTotals};
use crm_hr::recruitment::postings::JobPostingId;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub job_posting_id: Uuid,
    pub candidate_id: Uuid,
    pub stage: String,
    pub rating: Option<i64>,
    pub source: Option<String>,
    pub cover_letter: Option<String>,
    pub rejection_reason: Option<String>,
    pub stage_changed_at: DateTimeUtc,
    pub employee_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Application {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(Application {
            id: ApplicationId(m.id),
            organization_id: OrganizationId(m.organization_id),
            job_posting_id: JobPostingId(m.job_posting_id),
            candidate_id: CandidateId(m.candidate_id),
            stage: m
                .stage
                .parse()
                .map_err(|e| corrupt("applications", m.id, e))?,
            rating: m.rating,
            source: m.source,
            cover_letter: m.cover_letter,
            rejection_reason: m.rejection_reason,
            stage_changed_at: m.stage_changed_at,
            employee_id: m.employee_id.map(EmployeeId),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// An application stays with its posting and candidate.
crate::rows::tenanted!([CreatedAt, JobPostingId, CandidateId]);

impl Stored for Entity {
    type Record = Application;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Source, Column::CoverLetter, Column::RejectionReason]);

    fn row(a: &Application) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(a.id.0),
            created_at: Set(a.created_at),
            updated_at: Set(a.updated_at),
            version: Set(db_version(a.version)?),
            organization_id: Set(a.organization_id.0),
            job_posting_id: Set(a.job_posting_id.0),
            candidate_id: Set(a.candidate_id.0),
            stage: Set(a.stage.as_str().to_string()),
            rating: Set(a.rating),
            source: Set(a.source.clone()),
            cover_letter: Set(a.cover_letter.clone()),
            rejection_reason: Set(a.rejection_reason.clone()),
            stage_changed_at: Set(a.stage_changed_at),
            employee_id: Set(a.employee_id.map(|e| e.0)),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}

pub(crate) mod stages {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "application_stages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub application_id: Uuid,
        pub job_posting_id: Uuid,
        pub from_stage: Option<String>,
        pub to_stage: String,
        pub moved_by: Option<Uuid>,
        pub moved_at: DateTimeUtc,
        pub reason: Option<String>,
        pub left_at: Option<DateTimeUtc>,
        pub seconds_in: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn stage_move(m: stages::Model) -> Result<StageMove, StoreError> {
    let bad = |e: crm_domain::ValueError| corrupt("application_stages", m.id, e);
    Ok(StageMove {
        id: StageMoveId(m.id),
        organization_id: OrganizationId(m.organization_id),
        application_id: ApplicationId(m.application_id),
        job_posting_id: JobPostingId(m.job_posting_id),
        from_stage: m
            .from_stage
            .as_deref()
            .map(str::parse::<ApplicationStage>)
            .transpose()
            .map_err(bad)?,
        to_stage: m.to_stage.parse().map_err(bad)?,
        moved_by: m.moved_by.map(UserId),
        moved_at: m.moved_at,
        reason: m.reason,
        left_at: m.left_at,
    })
}

fn stages_of(org: OrganizationId, application: ApplicationId) -> Select<stages::Entity> {
    stages::Entity::find()
        .filter(stages::Column::OrganizationId.eq(org.0))
        .filter(stages::Column::ApplicationId.eq(application.0))
}

#[async_trait]
impl ApplicationStore for SqlRecords<Entity> {
    async fn find(
        &self,
        org: OrganizationId,
        posting: JobPostingId,
        candidate: CandidateId,
    ) -> Result<Option<ApplicationId>, StoreError> {
        let id: Option<Uuid> = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::JobPostingId.eq(posting.0))
            .filter(Column::CandidateId.eq(candidate.0))
            .into_tuple()
            .one(self.db())
            .await
            .map_err(store_err)?;
        Ok(id.map(ApplicationId))
    }

    async fn history(
        &self,
        org: OrganizationId,
        application: ApplicationId,
    ) -> Result<Vec<StageMove>, StoreError> {
        stages_of(org, application)
            .order_by_asc(stages::Column::MovedAt)
            .order_by_asc(stages::Column::Id)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(stage_move)
            .collect()
    }

    async fn current_stage(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        application: ApplicationId,
    ) -> Result<Option<StageMove>, StoreError> {
        stages_of(org, application)
            .filter(stages::Column::LeftAt.is_null())
            .order_by_desc(stages::Column::MovedAt)
            .order_by_desc(stages::Column::Id)
            .one(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?
            .map(stage_move)
            .transpose()
    }

    async fn leave_stage(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: StageMoveId,
        left_at: DateTime<Utc>,
        seconds_in: i64,
    ) -> Result<(), StoreError> {
        let r = stages::Entity::update_many()
            .col_expr(stages::Column::LeftAt, Expr::value(left_at))
            .col_expr(stages::Column::SecondsIn, Expr::value(seconds_in))
            .filter(stages::Column::OrganizationId.eq(org.0))
            .filter(stages::Column::Id.eq(id.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        found(r.rows_affected)
    }

    async fn enter_stage(&self, tx: &mut Txn, e: &StageMove) -> Result<(), StoreError> {
        let row = stages::ActiveModel {
            id: Set(e.id.0),
            organization_id: Set(e.organization_id.0),
            application_id: Set(e.application_id.0),
            job_posting_id: Set(e.job_posting_id.0),
            from_stage: Set(e.from_stage.map(|s| s.as_str().to_string())),
            to_stage: Set(e.to_stage.as_str().to_string()),
            moved_by: Set(e.moved_by.map(|u| u.0)),
            moved_at: Set(e.moved_at),
            reason: Set(e.reason.clone()),
            left_at: Set(e.left_at),
            seconds_in: Set(None),
        };
        crate::rows::insert(sql(tx.as_mut())?, row).await
    }

    async fn hires(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        posting: JobPostingId,
    ) -> Result<i64, StoreError> {
        let n = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::JobPostingId.eq(posting.0))
            .filter(Column::Stage.eq(ApplicationStage::Hired.as_str()))
            .count(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        i64::try_from(n).map_err(|e| StoreError::Unexpected(e.to_string()))
    }

    async fn stage_totals(
        &self,
        org: OrganizationId,
        posting: Option<JobPostingId>,
    ) -> Result<Vec<StageTotals>, StoreError> {
        use stages::Column as S;
        let backend = self.db().get_database_backend();
        let mut q = Query::select()
            .expr_as(Expr::col(S::ToStage), "stage")
            .expr_as(Expr::cust("COUNT(DISTINCT application_id)"), "applications")
            .expr_as(
                Expr::cust(
                    "COUNT(DISTINCT CASE WHEN seconds_in IS NOT NULL THEN application_id END)",
                ),
                "left_stage",
            )
            .expr_as(sum_i64(backend, Expr::col(S::SecondsIn)), "seconds")
            .from(stages::Entity)
            .and_where(S::OrganizationId.eq(org.0))
            .group_by_col(S::ToStage)
            .to_owned();
        if let Some(p) = posting {
            q.and_where(S::JobPostingId.eq(p.0));
        }
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                let stage: String = get(r, "stage")?;
                let seconds: Option<i64> = get(r, "seconds")?;
                Ok(StageTotals {
                    stage: stage
                        .parse()
                        .map_err(|e| corrupt("application_stages", &stage, e))?,
                    applications: get(r, "applications")?,
                    left: get(r, "left_stage")?,
                    seconds: seconds.unwrap_or(0),
                })
            })
            .collect()
    }
}
