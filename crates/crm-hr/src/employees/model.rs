use crate::work_schedules::WorkScheduleId;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::identity::{DepartmentId, DesignationId, EmailAddress};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{Actor, OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// An employee of an organization.
    EmployeeId
);

crm_domain::name_enum!(
    /// How a person is employed.
    EmploymentType, "employment_type" {
        FullTime => "full_time",
        PartTime => "part_time",
        Contract => "contract",
        Intern => "intern",
    }
);

crm_domain::name_enum!(
    /// `active` until terminated.
    EmployeeStatus, "status" {
        Active => "active",
        Terminated => "terminated",
    }
);

/// Longest first or last name.
pub const NAME_MAX: usize = 100;
pub const ADDRESS_MAX: usize = 1_000;
pub const REASON_MAX: usize = 2_000;
pub const RELATION_MAX: usize = 50;

/// Whom to call: a person's emergency contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Maria Rossi", "phone": "+39 06 1234 5678", "relation": "spouse"
})))]
pub struct EmergencyContact {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ RELATION_MAX }>))]
    pub relation: Option<String>,
}

/// An employee. `date_of_birth`, `address` and `emergency_contact` are `null` for a reader
/// who is neither the person nor a holder of `employees:read` over all records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "user_id": "019bb138-1000-7a00-8000-000000000002",
    "employee_number": "EMP-0001",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0000",
    "department_id": null,
    "designation_id": null,
    "manager_id": null,
    "hire_date": "2026-01-05",
    "employment_type": "full_time",
    "status": "active",
    "work_schedule_id": "019cd0a0-0a00-7000-8000-000000000001",
    "date_of_birth": "1990-12-10",
    "address": "12 St James's Square, London",
    "emergency_contact": {"name": "Maria Rossi", "phone": "+39 06 1234 5678", "relation": "spouse"},
    "termination_date": null,
    "termination_reason": null,
    "legacy_id": null,
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-01-05T09:00:00.000000Z",
    "version": 1
})))]
pub struct Employee {
    pub id: EmployeeId,
    pub organization_id: OrganizationId,
    pub user_id: Option<UserId>,
    /// Assigned: `EMP-NNNN`, gap-free per organization.
    pub employee_number: String,
    pub first_name: String,
    pub last_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub designation_id: Option<DesignationId>,
    pub manager_id: Option<EmployeeId>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub hire_date: NaiveDate,
    pub employment_type: EmploymentType,
    /// `active` until `POST /employees/{id}/terminate`.
    pub status: EmployeeStatus,
    pub work_schedule_id: WorkScheduleId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date_of_birth: Option<NaiveDate>,
    pub address: Option<String>,
    pub emergency_contact: Option<EmergencyContact>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub termination_date: Option<NaiveDate>,
    pub termination_reason: Option<String>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`: the person's `Users` id); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(Employee, EmployeeId, "employee", scope: Option<UserId>);

impl Employee {
    /// Whether `user` is this person.
    pub fn is_user(&self, user: UserId) -> bool {
        self.user_id == Some(user)
    }

    /// The full name, as lists and mails show it.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// Itself as `actor` may read it: personal data only for the person and for holders of
    /// `employees:read` over all records.
    pub fn visible_to(self, actor: &Actor) -> Self {
        if self.is_user(actor.user_id) || actor.can_all("employees", "read") {
            self
        } else {
            Self {
                date_of_birth: None,
                address: None,
                emergency_contact: None,
                ..self
            }
        }
    }
}

/// `EMP-0001`: at least four digits, more when needed.
pub fn employee_number(n: i64) -> String {
    format!("EMP-{n:04}")
}

/// `422 manager_id` / `cycle` when `id` is in the chain above its would-be manager (or is
/// the manager itself).
pub fn check_manager_chain(
    id: EmployeeId,
    manager: EmployeeId,
    chain_above_manager: &[EmployeeId],
) -> Result<(), ValueError> {
    if manager == id || chain_above_manager.contains(&id) {
        Err(ValueError::new(
            "cycle",
            "an employee cannot report to themselves, directly or through their reports",
        ))
    } else {
        Ok(())
    }
}

const EMPLOYEE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("employee_number", FieldKind::Text).sort(),
    FieldSpec::new("first_name", FieldKind::Text).sort(),
    FieldSpec::new("last_name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text).sort().nullable(),
    FieldSpec::new("hire_date", FieldKind::Date).range().sort(),
    FieldSpec::new("termination_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("employment_type", FieldKind::Text)
        .filter()
        .sort()
        .doc("full_time, part_time, contract or intern"),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("active or terminated"),
    FieldSpec::new("department_id", FieldKind::Uuid).filter(),
    FieldSpec::new("designation_id", FieldKind::Uuid).filter(),
    FieldSpec::new("manager_id", FieldKind::Uuid).filter(),
    FieldSpec::new("user_id", FieldKind::Uuid).filter(),
    FieldSpec::new("work_schedule_id", FieldKind::Uuid).filter(),
];

/// `GET /employees`: newest first; `q` searches names, number, email and phone.
pub const EMPLOYEE_LIST_SPEC: ListSpec = ListSpec {
    fields: EMPLOYEE_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /employees`. `employee_number` and `status` are assigned; termination goes through
/// `POST /employees/{id}/terminate`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "hire_date": "2026-01-05",
    "employment_type": "full_time"
})))]
pub struct EmployeeInput {
    pub user_id: Option<UserId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub first_name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub last_name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub designation_id: Option<DesignationId>,
    pub manager_id: Option<EmployeeId>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub hire_date: String,
    /// Default `full_time`.
    pub employment_type: Option<EmploymentType>,
    /// Default: the organization's default schedule.
    pub work_schedule_id: Option<WorkScheduleId>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date_of_birth: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ ADDRESS_MAX }>))]
    pub address: Option<String>,
    pub emergency_contact: Option<EmergencyContact>,
}

/// An employee to create from another module (the hire of an application): the same checks
/// as `POST /employees`.
pub type NewEmployee = EmployeeInput;

/// `PATCH /employees/{id}`: only the fields present change; `null` clears what may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"phone": "+44 20 7946 0001"})))]
pub struct EmployeePatch {
    #[serde(default, deserialize_with = "nullable")]
    pub user_id: Option<Option<UserId>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub first_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::email_or_null))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub designation_id: Option<Option<DesignationId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub manager_id: Option<Option<EmployeeId>>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub hire_date: Option<String>,
    pub employment_type: Option<EmploymentType>,
    pub work_schedule_id: Option<WorkScheduleId>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date_of_birth: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ ADDRESS_MAX }>))]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub emergency_contact: Option<Option<EmergencyContact>>,
}

/// `POST /employees/{id}/terminate`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "date": "2026-06-30", "reason": "Resigned"
})))]
pub struct Termination {
    /// Required: a missing one is refused like a bad one, by the service after it has found
    /// the employee, so an employee the caller cannot see is `404` whatever the body says.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, format = Date))]
    pub date: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ REASON_MAX }>))]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_four_digits_at_least() {
        assert_eq!(employee_number(1), "EMP-0001");
        assert_eq!(employee_number(12345), "EMP-12345");
    }

    #[test]
    fn a_manager_chain_that_comes_back_is_a_cycle() {
        let (a, b, c) = (EmployeeId::new(), EmployeeId::new(), EmployeeId::new());
        assert!(check_manager_chain(a, b, &[c]).is_ok());
        assert!(check_manager_chain(a, b, &[]).is_ok());
        assert_eq!(check_manager_chain(a, a, &[]).unwrap_err().code, "cycle");
        assert_eq!(
            check_manager_chain(a, b, &[c, a]).unwrap_err().code,
            "cycle"
        );
    }
}
