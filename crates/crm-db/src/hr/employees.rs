//! `employees`: a `Stored` record (`SqlRecords<Entity>` is its `Records<Employee>`) and the
//! `EmployeeStore` queries: by user, the manager's user, the manager chain, direct reports.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored, owned};
use crate::rows::{Tree, ancestors, db_version};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::identity::{DepartmentId, DesignationId, EmailAddress};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_hr::employees::{EmergencyContact, Employee, EmployeeId};
use crm_hr::ports::EmployeeStore;
use crm_hr::work_schedules::WorkScheduleId;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Query;
use sea_orm::{QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "employees")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub user_id: Option<Uuid>,
    pub employee_number: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub department_id: Option<Uuid>,
    pub designation_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub hire_date: Date,
    pub employment_type: String,
    pub status: String,
    pub work_schedule_id: Uuid,
    pub date_of_birth: Option<Date>,
    pub address: Option<String>,
    pub emergency_contact: Option<Json>,
    pub termination_date: Option<Date>,
    pub termination_reason: Option<String>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected(format!("stored employee {what}: {e}"))
}

impl TryFrom<Model> for Employee {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let emergency_contact = match m.emergency_contact {
            None | Some(Json::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<EmergencyContact>(v)
                    .map_err(|e| corrupt("emergency_contact", e))?,
            ),
        };
        Ok(Employee {
            id: EmployeeId(m.id),
            organization_id: OrganizationId(m.organization_id),
            user_id: m.user_id.map(UserId),
            employee_number: m.employee_number,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m
                .email
                .map(|e| EmailAddress::parse(&e))
                .transpose()
                .map_err(|e| corrupt("email", e.message))?,
            phone: m.phone,
            department_id: m.department_id.map(DepartmentId),
            designation_id: m.designation_id.map(DesignationId),
            manager_id: m.manager_id.map(EmployeeId),
            hire_date: m.hire_date,
            employment_type: m
                .employment_type
                .parse()
                .map_err(|e: crm_domain::ValueError| corrupt("employment_type", e.message))?,
            status: m
                .status
                .parse()
                .map_err(|e: crm_domain::ValueError| corrupt("status", e.message))?,
            work_schedule_id: WorkScheduleId(m.work_schedule_id),
            date_of_birth: m.date_of_birth,
            address: m.address,
            emergency_contact,
            termination_date: m.termination_date,
            termination_reason: m.termination_reason,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// The number is assigned once.
crate::rows::tenanted!([CreatedAt, EmployeeNumber]);

impl Stored for Entity {
    type Record = Employee;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[
        Column::FirstName,
        Column::LastName,
        Column::EmployeeNumber,
        Column::Email,
        Column::Phone,
    ]);
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(e: &Employee) -> Result<ActiveModel, StoreError> {
        let emergency_contact = e
            .emergency_contact
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(|err| corrupt("emergency_contact", err))?;
        Ok(ActiveModel {
            id: Set(e.id.0),
            created_at: Set(e.created_at),
            updated_at: Set(e.updated_at),
            version: Set(db_version(e.version)?),
            organization_id: Set(e.organization_id.0),
            user_id: Set(e.user_id.map(|u| u.0)),
            employee_number: Set(e.employee_number.clone()),
            first_name: Set(e.first_name.clone()),
            last_name: Set(e.last_name.clone()),
            email: Set(e.email.as_ref().map(|m| m.as_str().to_string())),
            phone: Set(e.phone.clone()),
            department_id: Set(e.department_id.map(|d| d.0)),
            designation_id: Set(e.designation_id.map(|d| d.0)),
            manager_id: Set(e.manager_id.map(|m| m.0)),
            hire_date: Set(e.hire_date),
            employment_type: Set(e.employment_type.as_str().to_string()),
            status: Set(e.status.as_str().to_string()),
            work_schedule_id: Set(e.work_schedule_id.0),
            date_of_birth: Set(e.date_of_birth),
            address: Set(e.address.clone()),
            emergency_contact: Set(emergency_contact),
            termination_date: Set(e.termination_date),
            termination_reason: Set(e.termination_reason.clone()),
            legacy_id: Set(e.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, user: Option<UserId>) -> Select<Entity> {
        owned(select, Column::UserId, user)
    }
}

impl Tree for Entity {
    fn id(row: &Model) -> Uuid {
        row.id
    }
    fn parent(row: &Model) -> Option<Uuid> {
        row.manager_id
    }
}

fn of_org(org: OrganizationId) -> Select<Entity> {
    Entity::find().filter(Column::OrganizationId.eq(org.0))
}

#[async_trait]
impl EmployeeStore for SqlRecords<Entity> {
    async fn by_user(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Option<Employee>, StoreError> {
        of_org(org)
            .filter(Column::UserId.eq(user.0))
            .one(self.db())
            .await
            .map_err(store_err)?
            .map(Employee::try_from)
            .transpose()
    }

    async fn manager_user(
        &self,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<Option<UserId>, StoreError> {
        // One statement: the manager's row found through the employee's `manager_id`.
        let manager_of = Query::select()
            .column(Column::ManagerId)
            .from(Entity)
            .and_where(Column::OrganizationId.eq(org.0))
            .and_where(Column::Id.eq(employee.0))
            .to_owned();
        let found: Option<Option<Uuid>> = of_org(org)
            .select_only()
            .column(Column::UserId)
            .filter(Column::Id.in_subquery(manager_of))
            .into_tuple()
            .one(self.db())
            .await
            .map_err(store_err)?;
        Ok(found.flatten().map(UserId))
    }

    async fn manager_chain(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: EmployeeId,
    ) -> Result<Vec<EmployeeId>, StoreError> {
        let chain = ancestors::<Entity>(sql(tx.as_mut())?, org, id.0).await?;
        Ok(chain.into_iter().map(EmployeeId).collect())
    }

    async fn reports(
        &self,
        org: OrganizationId,
        id: EmployeeId,
    ) -> Result<Vec<Employee>, StoreError> {
        of_org(org)
            .filter(Column::ManagerId.eq(id.0))
            .order_by_asc(Column::LastName)
            .order_by_asc(Column::FirstName)
            .order_by_asc(Column::Id)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(Employee::try_from)
            .collect()
    }
}

/// The user of the manager of the employee whose user is `user`, in one statement (the
/// reporting line other modules' approvals follow).
pub(crate) async fn manager_user_of_user(
    db: &impl sea_orm::ConnectionTrait,
    org: OrganizationId,
    user: UserId,
) -> Result<Option<UserId>, StoreError> {
    let manager_of = Query::select()
        .column(Column::ManagerId)
        .from(Entity)
        .and_where(Column::OrganizationId.eq(org.0))
        .and_where(Column::UserId.eq(user.0))
        .to_owned();
    let found: Option<Option<Uuid>> = of_org(org)
        .select_only()
        .column(Column::UserId)
        .filter(Column::Id.in_subquery(manager_of))
        .into_tuple()
        .one(db)
        .await
        .map_err(store_err)?;
    Ok(found.flatten().map(UserId))
}

/// The employees of `org`: what the deletes of departments and designations check (there is
/// no foreign key).
pub(crate) fn referring(org: OrganizationId) -> Select<Entity> {
    of_org(org)
}
