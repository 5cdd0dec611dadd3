//! `training_enrollments`: a `Stored` record (`SqlRecords<Entity>` is its
//! `Records<TrainingEnrollment>`, `:own` narrowed by `employee_id`) and the `TrainingStore`
//! queries: seats, certifications (the latest pass per employee and program), and what the
//! expiry job reads and marks.

use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_hr::employees::EmployeeId;
use crm_hr::training::{
    CertificationScope, CertificationStatus, EXPIRING_DAYS, EnrollmentStatus, TrainingEnrollment,
    TrainingEnrollmentId, TrainingProgramId, TrainingSessionId, TrainingStore,
};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{Condition, QueryOrder, QuerySelect};

/// Who HR is: the holders of this permission.
const HR_PERMISSION: &str = "training_enrollments:write";

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_enrollments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub session_id: Uuid,
    pub program_id: Uuid,
    pub employee_id: Uuid,
    pub status: String,
    pub score: Option<i32>,
    pub notes: Option<String>,
    pub completed_on: Option<Date>,
    pub valid_until: Option<Date>,
    /// The job's mark, never part of the record: the `valid_until` whose expiry was told.
    pub expiry_told_for: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for TrainingEnrollment {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(TrainingEnrollment {
            id: TrainingEnrollmentId(m.id),
            organization_id: OrganizationId(m.organization_id),
            session_id: TrainingSessionId(m.session_id),
            program_id: TrainingProgramId(m.program_id),
            employee_id: EmployeeId(m.employee_id),
            status: m.status.parse().map_err(|e: crm_domain::ValueError| {
                corrupt("training_enrollments", m.id, e.message)
            })?,
            score: m.score.map(i64::from),
            notes: m.notes,
            completed_on: m.completed_on,
            valid_until: m.valid_until,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// An enrollment stays in its session, of its program, for its person.
crate::rows::tenanted!([CreatedAt, SessionId, ProgramId, EmployeeId]);

impl Stored for Entity {
    type Record = TrainingEnrollment;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[]);

    /// Every column but the job's mark, which a change of the record never writes.
    fn row(e: &TrainingEnrollment) -> Result<ActiveModel, StoreError> {
        let score = e
            .score
            .map(i32::try_from)
            .transpose()
            .map_err(|_| StoreError::Unexpected("score out of range".into()))?;
        Ok(ActiveModel {
            id: Set(e.id.0),
            created_at: Set(e.created_at),
            updated_at: Set(e.updated_at),
            version: Set(db_version(e.version)?),
            organization_id: Set(e.organization_id.0),
            session_id: Set(e.session_id.0),
            program_id: Set(e.program_id.0),
            employee_id: Set(e.employee_id.0),
            status: Set(e.status.as_str().to_string()),
            score: Set(score),
            notes: Set(e.notes.clone()),
            completed_on: Set(e.completed_on),
            valid_until: Set(e.valid_until),
            ..Default::default()
        })
    }

    fn scoped(select: Select<Entity>, employee: Option<EmployeeId>) -> Select<Entity> {
        match employee {
            Some(e) => select.filter(Column::EmployeeId.eq(e.0)),
            None => select,
        }
    }
}

const PASSED: &str = "passed";

/// No later pass of the same employee and program than the outer row (a later
/// `completed_on`, or the same one and a later id): the outer row is a certification.
fn no_later_pass() -> Expr {
    let newer = Alias::new("newer");
    let col = |c: Column| Expr::col((newer.clone(), c));
    let later = Query::select()
        .expr(Expr::val(1))
        .from_as(Entity, newer.clone())
        .and_where(col(Column::OrganizationId).equals((Entity, Column::OrganizationId)))
        .and_where(col(Column::EmployeeId).equals((Entity, Column::EmployeeId)))
        .and_where(col(Column::ProgramId).equals((Entity, Column::ProgramId)))
        .and_where(col(Column::Status).eq(PASSED))
        .cond_where(
            Condition::any()
                .add(col(Column::CompletedOn).gt(Expr::col((Entity, Column::CompletedOn))))
                .add(
                    Condition::all()
                        .add(col(Column::CompletedOn).equals((Entity, Column::CompletedOn)))
                        .add(col(Column::Id).gt(Expr::col((Entity, Column::Id)))),
                ),
        )
        .to_owned();
    Expr::exists(later).not()
}

/// The rows whose certification has `status` on `today`.
fn with_status(status: CertificationStatus, today: NaiveDate) -> Condition {
    let horizon = today + Duration::days(EXPIRING_DAYS);
    match status {
        CertificationStatus::Expired => Condition::all().add(Column::ValidUntil.lt(today)),
        CertificationStatus::Expiring => Condition::all()
            .add(Column::ValidUntil.gte(today))
            .add(Column::ValidUntil.lte(horizon)),
        CertificationStatus::Valid => Condition::any()
            .add(Column::ValidUntil.is_null())
            .add(Column::ValidUntil.gt(horizon)),
    }
}

/// The certification lists: the searched columns are none.
const CERTIFICATIONS: ListColumns<'static, Entity> = ListColumns::search(&[]);

#[async_trait]
impl TrainingStore for SqlRecords<Entity> {
    async fn enrolled_count(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        session: TrainingSessionId,
    ) -> Result<i64, StoreError> {
        use sea_orm::PaginatorTrait;
        let n = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::SessionId.eq(session.0))
            .count(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        i64::try_from(n).map_err(|_| StoreError::Unexpected("enrollment count".into()))
    }

    async fn certifications(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        scope: &CertificationScope,
    ) -> Result<Page<TrainingEnrollment>, StoreError> {
        let mut base = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Status.eq(PASSED))
            .filter(no_later_pass());
        if let Some(e) = scope.employee {
            base = base.filter(Column::EmployeeId.eq(e.0));
        }
        if let Some(s) = scope.status {
            base = base.filter(with_status(s, scope.today));
        }
        if let Some(d) = scope.expiring_before {
            base = base.filter(Column::ValidUntil.lt(d));
        }
        keyset::page_as(self.db(), base, query, &CERTIFICATIONS).await
    }

    async fn expiring_candidates(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, TrainingEnrollmentId)>, StoreError> {
        let rows: Vec<(Uuid, Uuid)> = Entity::find()
            .select_only()
            .column(Column::OrganizationId)
            .column(Column::Id)
            .filter(Column::ValidUntil.gte(from))
            .filter(Column::ValidUntil.lte(to))
            .filter(Column::Status.eq(PASSED))
            .filter(
                Condition::any()
                    .add(Column::ExpiryToldFor.is_null())
                    .add(Expr::col(Column::ExpiryToldFor).ne(Expr::col(Column::ValidUntil))),
            )
            .filter(no_later_pass())
            .order_by_asc(Column::ValidUntil)
            .order_by_asc(Column::Id)
            .limit(limit)
            .into_tuple()
            .all(self.db())
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|(o, e)| (OrganizationId(o), TrainingEnrollmentId(e)))
            .collect())
    }

    async fn is_latest_pass(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        e: &TrainingEnrollment,
    ) -> Result<bool, StoreError> {
        use sea_orm::PaginatorTrait;
        let Some(done) = e.completed_on else {
            return Ok(false);
        };
        if e.status != EnrollmentStatus::Passed {
            return Ok(false);
        }
        let later = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::EmployeeId.eq(e.employee_id.0))
            .filter(Column::ProgramId.eq(e.program_id.0))
            .filter(Column::Status.eq(PASSED))
            .filter(
                Condition::any().add(Column::CompletedOn.gt(done)).add(
                    Condition::all()
                        .add(Column::CompletedOn.eq(done))
                        .add(Column::Id.gt(e.id.0)),
                ),
            )
            .count(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(later == 0)
    }

    async fn mark_expiry_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        enrollment: TrainingEnrollmentId,
        valid_until: NaiveDate,
    ) -> Result<bool, StoreError> {
        let res = Entity::update_many()
            .col_expr(Column::ExpiryToldFor, Expr::val(valid_until))
            .filter(Column::Id.eq(enrollment.0))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Status.eq(PASSED))
            .filter(Column::ValidUntil.eq(valid_until))
            .filter(
                Condition::any()
                    .add(Column::ExpiryToldFor.is_null())
                    .add(Column::ExpiryToldFor.ne(valid_until)),
            )
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(res.rows_affected > 0)
    }

    /// The active users holding the HR permission (`identity::holders_of`).
    async fn hr_users(&self, org: OrganizationId) -> Result<Vec<UserId>, StoreError> {
        crate::identity::holders_of(self.db(), org, HR_PERMISSION).await
    }
}
