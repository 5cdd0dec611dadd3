//! `/employees`, `POST /employees/{id}/terminate`, `GET /employees/{id}/reports`.

use super::model::{
    ADDRESS_MAX, EmergencyContact, Employee, EmployeeId, EmployeeInput, EmployeePatch,
    EmployeeStatus, EmploymentType, NAME_MAX, NewEmployee, REASON_MAX, RELATION_MAX, Termination,
    check_manager_chain, employee_number,
};
use crate::ports::HrPorts;
use crate::requirements::{EmployeesDelete, EmployeesRead, EmployeesWrite};
use crate::work_schedules::WorkScheduleId;
use chrono::NaiveDate;
use crm_domain::activity::audit;
use crm_domain::identity::{DepartmentId, DesignationId, EmailAddress};
use crm_domain::kernel::input::{Errors, text};
use crm_domain::kernel::numbering::begin_numbered;
use crm_domain::kernel::pagination::{FieldValue, Filter, FilterOp, ListQuery, Page};
use crm_domain::kernel::records::{Crud, conflict};
use crm_domain::kernel::scope::{owner_filter, require, require_all};
use crm_domain::kernel::text::{optional_text, phone, required_text};
use crm_domain::kernel::values::{date, optional_date};
use crm_domain::{Actor, DomainError, OrganizationId, Scope, StoreError, Txn, UserId, ValueError};

/// The counter kind of employee numbers (one sequence per organization, year 0).
pub const COUNTER: &str = "employee";

const USER_TAKEN: (&str, &str) = (
    "employee-user-taken",
    "that user is already linked to another employee",
);

fn name(raw: &str, what: &str) -> Result<String, ValueError> {
    required_text(raw, what, NAME_MAX)
}

fn email(raw: Option<&str>) -> Result<Option<EmailAddress>, ValueError> {
    raw.map_or(Ok(None), EmailAddress::parse_optional)
}

fn address(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "address", ADDRESS_MAX, true)
}

fn reason(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "reason", REASON_MAX, true)
}

/// Checks an emergency contact, its errors named under `emergency_contact.*`.
fn emergency_contact(
    raw: Option<EmergencyContact>,
    errors: &mut Errors,
) -> Option<EmergencyContact> {
    let c = raw?;
    let name = errors.take(
        "emergency_contact.name",
        required_text(&c.name, "name", NAME_MAX),
    );
    let phone = errors.take("emergency_contact.phone", phone(c.phone.as_deref()));
    let relation = errors.take(
        "emergency_contact.relation",
        optional_text(c.relation.as_deref(), "relation", RELATION_MAX, false),
    );
    Some(EmergencyContact {
        name: name?,
        phone: phone?,
        relation: relation?,
    })
}

/// An employee checked and with every reference looked up, ready to be numbered and
/// inserted ([`EmployeeService::insert`]).
#[derive(Clone, Debug)]
pub struct PreparedEmployee(Employee);

/// What a body names besides the employee itself.
#[derive(Default)]
struct Names {
    user_id: Option<UserId>,
    department_id: Option<DepartmentId>,
    designation_id: Option<DesignationId>,
    manager_id: Option<EmployeeId>,
    work_schedule_id: Option<WorkScheduleId>,
}

/// Employees, their numbers, manager chains and terminations.
#[derive(Clone)]
pub struct EmployeeService {
    p: HrPorts,
}

impl EmployeeService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Employee> {
        Crud::new(&*self.p.tx, &*self.p.employees, &*self.p.activities)
    }

    /// Files `not_found` for each named record that is not of the organization.
    async fn check_names(
        &self,
        org: OrganizationId,
        n: &Names,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Some(u) = n.user_id {
            errors.reference("user_id", "user", self.p.users.get(org, u).await)?;
        }
        if let Some(d) = n.department_id {
            let found = self.p.departments.get(org, d).await;
            errors.reference("department_id", "department", found)?;
        }
        if let Some(d) = n.designation_id {
            let found = self.p.designations.get(org, d).await;
            errors.reference("designation_id", "designation", found)?;
        }
        if let Some(m) = n.manager_id {
            let found = self.p.employees.get(org, m).await;
            errors.reference("manager_id", "employee", found)?;
        }
        if let Some(s) = n.work_schedule_id {
            let found = self.p.schedules.get(org, s).await;
            errors.reference("work_schedule_id", "work schedule", found)?;
        }
        Ok(())
    }

    /// Needs `employees:read`; under `:own` only the caller's own record.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Employee>, DomainError> {
        let owner = owner_filter(actor, require::<EmployeesRead>(actor)?);
        let page = self
            .p
            .employees
            .list(actor.organization_id, query, owner)
            .await?;
        Ok(page.map(|e| e.visible_to(actor)))
    }

    /// Needs `employees:read`; `404` when missing, of another organization or (under `:own`)
    /// not the caller's own record.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: EmployeeId) -> Result<Employee, DomainError> {
        let scope = require::<EmployeesRead>(actor)?;
        let e = self.p.employees.get(actor.organization_id, id).await?;
        if scope == Scope::Own && !e.is_user(actor.user_id) {
            return Err(DomainError::NotFound);
        }
        Ok(e.visible_to(actor))
    }

    /// The caller's own employee record; `404` when the caller has none.
    pub async fn of_caller(&self, actor: &Actor) -> Result<Employee, DomainError> {
        self.p
            .employee_store
            .by_user(actor.organization_id, actor.user_id)
            .await?
            .ok_or(DomainError::NotFound)
    }

    /// `GET /employees/{id}/reports`: the employee's direct reports, as a list of employees
    /// (its filters and sort apply). Needs `employees:read` (under `:own`, only the caller's
    /// own record can be among them).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn reports(
        &self,
        actor: &Actor,
        id: EmployeeId,
        query: &ListQuery,
    ) -> Result<Page<Employee>, DomainError> {
        let scope = require::<EmployeesRead>(actor)?;
        let org = actor.organization_id;
        let manager = self.p.employees.get(org, id).await?;
        if scope == Scope::Own && !manager.is_user(actor.user_id) {
            return Err(DomainError::NotFound);
        }
        let mut q = query.clone();
        q.filters.retain(|f| f.field != "manager_id");
        q.filters.push(Filter {
            field: "manager_id",
            op: FilterOp::Eq,
            value: FieldValue::Uuid(id.0),
        });
        let page = self
            .p
            .employees
            .list(org, &q, owner_filter(actor, scope))
            .await?;
        Ok(page.map(|e| e.visible_to(actor)))
    }

    /// Checks `input` and looks up what it names (on the pool, before any transaction):
    /// `422` per bad field. No permission check: [`Self::create`] makes it, and the hire of an
    /// application makes its own.
    pub async fn prepare(
        &self,
        actor: &Actor,
        input: NewEmployee,
    ) -> Result<PreparedEmployee, DomainError> {
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let first_name = errors.value("first_name", name(&input.first_name, "first_name"));
        let last_name = errors.value("last_name", name(&input.last_name, "last_name"));
        let email = errors.value("email", email(input.email.as_deref()));
        let phone = errors.value("phone", phone(input.phone.as_deref()));
        let hire_date = errors.take("hire_date", date(&input.hire_date));
        let date_of_birth = errors.value(
            "date_of_birth",
            optional_date(input.date_of_birth.as_deref()),
        );
        if let (Some(b), Some(h)) = (date_of_birth, hire_date)
            && b >= h
        {
            errors.add("date_of_birth", "out_of_range", "must be before hire_date");
        }
        let address = errors.value("address", address(input.address.as_deref()));
        let emergency_contact = emergency_contact(input.emergency_contact, &mut errors);
        let names = Names {
            user_id: input.user_id,
            department_id: input.department_id,
            designation_id: input.designation_id,
            manager_id: input.manager_id,
            work_schedule_id: input.work_schedule_id,
        };
        self.check_names(org, &names, &mut errors).await?;
        errors.finish()?;
        let work_schedule_id = match input.work_schedule_id {
            Some(s) => s,
            None => self.p.default_schedule(org).await?.id,
        };
        let now = self.p.now();
        Ok(PreparedEmployee(Employee {
            id: EmployeeId::new(),
            organization_id: org,
            user_id: input.user_id,
            employee_number: String::new(),
            first_name,
            last_name,
            email,
            phone,
            department_id: input.department_id,
            designation_id: input.designation_id,
            manager_id: input.manager_id,
            hire_date: hire_date.unwrap_or(NaiveDate::MIN),
            employment_type: input.employment_type.unwrap_or(EmploymentType::FullTime),
            status: EmployeeStatus::Active,
            work_schedule_id,
            date_of_birth,
            address,
            emergency_contact,
            termination_date: None,
            termination_reason: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }))
    }

    /// Opens the transaction that numbers an employee, its number taken first (see
    /// `kernel::numbering::begin_numbered`).
    pub async fn begin_numbered(&self, org: OrganizationId) -> Result<(Txn, i64), DomainError> {
        begin_numbered(&*self.p.tx, &*self.p.counters, org, COUNTER, 0).await
    }

    /// Inserts `prepared` as number `number` with its `created` audit entry in `tx` (not
    /// committed). `409 employee-user-taken` when its user already has an employee.
    pub async fn insert(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        prepared: PreparedEmployee,
        number: i64,
    ) -> Result<Employee, DomainError> {
        let e = Employee {
            employee_number: employee_number(number),
            ..prepared.0
        };
        self.p
            .employees
            .create(tx, &e)
            .await
            .map_err(DomainError::from)
            .map_err(conflict(USER_TAKEN.0, USER_TAKEN.1))?;
        self.p
            .activities
            .record(tx, audit::created(actor, &e))
            .await?;
        Ok(e)
    }

    /// Needs `employees:write`. `422` per bad field; `409 employee-user-taken`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: EmployeeInput,
    ) -> Result<Employee, DomainError> {
        require_all::<EmployeesWrite>(actor)?;
        let prepared = self.prepare(actor, input).await?;
        let (mut tx, n) = self.begin_numbered(actor.organization_id).await?;
        let e = self.insert(&mut tx, actor, prepared, n).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Needs `employees:write`. `412` on a stale version; `422` per bad field (a manager
    /// chain that would come back to the employee is `manager_id` / `cycle`); `409
    /// employee-user-taken`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: EmployeeId,
        expected_version: Option<i64>,
        patch: EmployeePatch,
    ) -> Result<Employee, DomainError> {
        require_all::<EmployeesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let names = Names {
            user_id: patch.user_id.flatten(),
            department_id: patch.department_id.flatten(),
            designation_id: patch.designation_id.flatten(),
            manager_id: patch.manager_id.flatten(),
            work_schedule_id: patch.work_schedule_id,
        };
        self.check_names(org, &names, &mut errors).await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut next = current.clone();
        if let Some(u) = patch.user_id {
            next.user_id = u;
        }
        errors.patch(
            "first_name",
            &mut next.first_name,
            patch.first_name.as_deref().map(|v| name(v, "first_name")),
        );
        errors.patch(
            "last_name",
            &mut next.last_name,
            patch.last_name.as_deref().map(|v| name(v, "last_name")),
        );
        errors.patch("email", &mut next.email, text(&patch.email, email));
        errors.patch("phone", &mut next.phone, text(&patch.phone, phone));
        if let Some(d) = patch.department_id {
            next.department_id = d;
        }
        if let Some(d) = patch.designation_id {
            next.designation_id = d;
        }
        if let Some(m) = patch.manager_id {
            next.manager_id = m;
        }
        errors.patch(
            "hire_date",
            &mut next.hire_date,
            patch.hire_date.as_deref().map(date),
        );
        if let Some(t) = patch.employment_type {
            next.employment_type = t;
        }
        if let Some(s) = patch.work_schedule_id {
            next.work_schedule_id = s;
        }
        errors.patch(
            "date_of_birth",
            &mut next.date_of_birth,
            text(&patch.date_of_birth, optional_date),
        );
        errors.patch("address", &mut next.address, text(&patch.address, address));
        if let Some(c) = patch.emergency_contact {
            next.emergency_contact = emergency_contact(c, &mut errors);
        }
        if let Some(b) = next.date_of_birth
            && b >= next.hire_date
        {
            errors.add("date_of_birth", "out_of_range", "must be before hire_date");
        }
        if let Some(t) = next.termination_date
            && t < next.hire_date
        {
            errors.add(
                "hire_date",
                "out_of_range",
                "must not be after the termination date",
            );
        }
        if let Some(m) = next.manager_id
            && next.manager_id != current.manager_id
        {
            let chain = match self.p.employee_store.manager_chain(&mut tx, org, m).await {
                Ok(c) => c,
                Err(StoreError::NotFound) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            if let Err(e) = check_manager_chain(id, m, &chain) {
                errors.push(e.into_field("manager_id"));
            }
        }
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
            .map_err(conflict(USER_TAKEN.0, USER_TAKEN.1))
            .map(|e| e.visible_to(actor))
    }

    /// Needs `employees:write`. `active → terminated` on `date` (on or after `hire_date`,
    /// `422 date`), with an optional `reason`; `409 employee-terminated` when already
    /// terminated; `If-Match` honoured.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn terminate(
        &self,
        actor: &Actor,
        id: EmployeeId,
        expected_version: Option<i64>,
        input: Termination,
    ) -> Result<Employee, DomainError> {
        require_all::<EmployeesWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let day = errors.take("date", date(&input.date));
        let reason = errors.value("reason", reason(input.reason.as_deref()));
        errors.finish()?;
        if current.status == EmployeeStatus::Terminated {
            return Err(DomainError::conflict(
                "employee-terminated",
                "the employee is already terminated",
            ));
        }
        let Some(day) = day else {
            return Err(DomainError::Unexpected(
                "a checked date went missing".into(),
            ));
        };
        if day < current.hire_date {
            return Err(crm_domain::kernel::input::invalid(
                "date",
                "out_of_range",
                "must not be before the hire date",
            ));
        }
        let now = self.p.now();
        use crm_domain::kernel::records::Record as _;
        let next = Employee {
            status: EmployeeStatus::Terminated,
            termination_date: Some(day),
            termination_reason: reason,
            ..current.clone()
        }
        .touched(now);
        self.crud()
            .change(actor, tx, "terminated", &current, next, None)
            .await
            .map(|e| e.visible_to(actor))
    }

    /// Needs `employees:delete`. `409 employee-has-reports` while others report to them,
    /// `409 employee-in-use` while other HR records refer to them.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: EmployeeId) -> Result<(), DomainError> {
        require_all::<EmployeesDelete>(actor)?;
        let org = actor.organization_id;
        if !self.p.employee_store.reports(org, id).await?.is_empty() {
            return Err(DomainError::conflict(
                "employee-has-reports",
                "others still report to this employee: give them another manager first",
            ));
        }
        self.crud().delete(actor, id, Ok).await.map_err(conflict(
            "employee-in-use",
            "other records still refer to this employee: terminate them instead",
        ))
    }
}
