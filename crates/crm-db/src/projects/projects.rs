//! `projects` (a `Stored` record: `SqlRecords<Entity>` is its `Records<Project>`, `:own`
//! narrowed to the projects the caller manages or is a member of) and `project_members`,
//! with the project queries of `ProjectStore`: members, task totals, the deals named.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use crate::sales::{count_star, currency, get, sum_i64};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_projects::milestones::Milestone;
use crm_projects::ports::{ProjectStore, StatusTotals};
use crm_projects::projects::{Member, MemberRole, Project, ProjectId};
use crm_projects::tasks::TaskStatus;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{Condition, ConnectionTrait, QueryOrder};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub description: Option<String>,
    pub client_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub status: String,
    pub start_date: Option<Date>,
    pub due_date: Option<Date>,
    pub billing: String,
    pub hourly_rate: Option<i64>,
    pub budget_amount: Option<i64>,
    pub budget_currency: Option<String>,
    pub budget_minutes: Option<i64>,
    pub progress_method: String,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Project {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let bad = |e: crm_domain::ValueError| corrupt("projects", m.id, e);
        Ok(Project {
            id: ProjectId(m.id),
            organization_id: OrganizationId(m.organization_id),
            status: m.status.parse().map_err(bad)?,
            billing: m.billing.parse().map_err(bad)?,
            progress_method: m.progress_method.parse().map_err(bad)?,
            budget_currency: m
                .budget_currency
                .as_deref()
                .map(|c| currency(c, "projects", m.id))
                .transpose()?,
            name: m.name,
            code: m.code,
            description: m.description,
            client_id: m.client_id.map(ClientId),
            deal_id: m.deal_id,
            owner_id: UserId(m.owner_id),
            start_date: m.start_date,
            due_date: m.due_date,
            hourly_rate: m.hourly_rate,
            budget_amount: m.budget_amount,
            budget_minutes: m.budget_minutes,
            progress: 0,
            tasks_total: 0,
            tasks_done: 0,
            is_overdue: false,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = Project;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Name, Column::Code, Column::Description]);
    // Logged time refuses the deletion of its project (a foreign key): `409`.
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(p: &Project) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(p.id.0),
            created_at: Set(p.created_at),
            updated_at: Set(p.updated_at),
            version: Set(db_version(p.version)?),
            organization_id: Set(p.organization_id.0),
            name: Set(p.name.clone()),
            code: Set(p.code.clone()),
            description: Set(p.description.clone()),
            client_id: Set(p.client_id.map(|c| c.0)),
            deal_id: Set(p.deal_id),
            owner_id: Set(p.owner_id.0),
            status: Set(p.status.as_str().to_string()),
            start_date: Set(p.start_date),
            due_date: Set(p.due_date),
            billing: Set(p.billing.as_str().to_string()),
            hourly_rate: Set(p.hourly_rate),
            budget_amount: Set(p.budget_amount),
            budget_currency: Set(p.budget_currency.map(|c| c.code().to_string())),
            budget_minutes: Set(p.budget_minutes),
            progress_method: Set(p.progress_method.as_str().to_string()),
            legacy_id: Set(p.legacy_id.clone()),
        })
    }

    /// `:own`: the projects `user` manages or is a member of.
    fn scoped(select: Select<Entity>, user: Option<UserId>) -> Select<Entity> {
        match user {
            None => select,
            Some(u) => select.filter(
                Condition::any().add(Column::OwnerId.eq(u.0)).add(
                    Column::Id.in_subquery(
                        Query::select()
                            .column(members::Column::ProjectId)
                            .from(members::Entity)
                            .and_where(members::Column::UserId.eq(u.0))
                            .to_owned(),
                    ),
                ),
            ),
        }
    }
}

pub(crate) mod members {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "project_members")]
    pub struct Model {
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub project_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub role: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn member_of(m: members::Model) -> Result<Member, StoreError> {
    Ok(Member {
        user_id: UserId(m.user_id),
        role: m
            .role
            .parse::<MemberRole>()
            .map_err(|e| corrupt("project_members", m.project_id, e))?,
    })
}

fn member_rows(org: OrganizationId, project: ProjectId) -> sea_orm::Select<members::Entity> {
    members::Entity::find()
        .filter(members::Column::OrganizationId.eq(org.0))
        .filter(members::Column::ProjectId.eq(project.0))
}

#[async_trait]
impl ProjectStore for SqlRecords<Entity> {
    async fn task_totals(
        &self,
        org: OrganizationId,
        projects: &[ProjectId],
    ) -> Result<Vec<StatusTotals>, StoreError> {
        if projects.is_empty() {
            return Ok(Vec::new());
        }
        use super::tasks::Column as T;
        let backend = self.db().get_database_backend();
        let q = Query::select()
            .expr_as(Expr::col(T::ProjectId), "project_id")
            .expr_as(Expr::col(T::Status), "status")
            .expr_as(count_star(), "n")
            .expr_as(sum_i64(backend, Expr::col(T::EstimateMinutes)), "estimate")
            .from(super::tasks::Entity)
            .and_where(T::OrganizationId.eq(org.0))
            .and_where(T::ProjectId.is_in(projects.iter().map(|p| p.0)))
            .group_by_col(T::ProjectId)
            .group_by_col(T::Status)
            .to_owned();
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                let project: Uuid = get(r, "project_id")?;
                let status: String = get(r, "status")?;
                let estimate: Option<i64> = get(r, "estimate")?;
                Ok(StatusTotals {
                    project_id: ProjectId(project),
                    status: status
                        .parse::<TaskStatus>()
                        .map_err(|e| corrupt("tasks", project, e))?,
                    count: get(r, "n")?,
                    estimate_minutes: estimate.unwrap_or(0),
                })
            })
            .collect()
    }

    async fn is_member(
        &self,
        org: OrganizationId,
        project: ProjectId,
        user: UserId,
    ) -> Result<bool, StoreError> {
        let n = member_rows(org, project)
            .filter(members::Column::UserId.eq(user.0))
            .count(self.db())
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn members(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<Member>, StoreError> {
        member_rows(org, project)
            .order_by_asc(members::Column::CreatedAt)
            .order_by_asc(members::Column::UserId)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(member_of)
            .collect()
    }

    async fn add_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        member: &Member,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = members::ActiveModel {
            organization_id: Set(org.0),
            project_id: Set(project.0),
            user_id: Set(member.user_id.0),
            role: Set(member.role.as_str().to_string()),
            created_at: Set(now),
        };
        members::Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn set_role(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        member: &Member,
    ) -> Result<(), StoreError> {
        let res = members::Entity::update_many()
            .col_expr(members::Column::Role, Expr::val(member.role.as_str()))
            .filter(members::Column::OrganizationId.eq(org.0))
            .filter(members::Column::ProjectId.eq(project.0))
            .filter(members::Column::UserId.eq(member.user_id.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        crate::rows::found(res.rows_affected)
    }

    async fn remove_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        user: UserId,
    ) -> Result<(), StoreError> {
        let res = members::Entity::delete_many()
            .filter(members::Column::OrganizationId.eq(org.0))
            .filter(members::Column::ProjectId.eq(project.0))
            .filter(members::Column::UserId.eq(user.0))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        crate::rows::found(res.rows_affected)
    }

    async fn milestones_of(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<Milestone>, StoreError> {
        use super::milestones::{Column as M, Entity as Milestones};
        Milestones::find()
            .filter(M::OrganizationId.eq(org.0))
            .filter(M::ProjectId.eq(project.0))
            .order_by_asc(M::CreatedAt)
            .order_by_asc(M::Id)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(Milestone::try_from)
            .collect()
    }

    async fn overdue_tasks(
        &self,
        org: OrganizationId,
        project: ProjectId,
        today: NaiveDate,
    ) -> Result<i64, StoreError> {
        use super::tasks::{Column as T, Entity as Tasks};
        let n = Tasks::find()
            .filter(T::OrganizationId.eq(org.0))
            .filter(T::ProjectId.eq(project.0))
            .filter(T::DueDate.lt(today))
            .filter(
                T::Status.is_not_in([TaskStatus::Done.as_str(), TaskStatus::Cancelled.as_str()]),
            )
            .count(self.db())
            .await
            .map_err(store_err)?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }

    async fn deal_exists(&self, org: OrganizationId, deal: Uuid) -> Result<bool, StoreError> {
        use crate::sales::{DealColumn as D, DealEntity};
        let n = DealEntity::find()
            .filter(D::OrganizationId.eq(org.0))
            .filter(D::Id.eq(deal))
            .count(self.db())
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }
}
