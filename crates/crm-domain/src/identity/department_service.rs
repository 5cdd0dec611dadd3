//! `/departments` (a tree without cycles) and `/designations`.

use super::common::{check_version, invalid, nullable, require_all};
use super::model::{
    Department, DepartmentId, Designation, DesignationId, ValueError, audit, optional_text,
    required_text,
};
use super::ports::IdentityPorts;
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crate::kernel::validation::FieldError;
use serde::Deserialize;

const DEPARTMENT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("code", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
    FieldSpec::new("parent_id", FieldKind::Uuid).filter(),
    FieldSpec::new("head_user_id", FieldKind::Uuid).filter(),
];

/// `GET /departments`: by name; `q` searches name and code.
pub const DEPARTMENT_LIST_SPEC: ListSpec = ListSpec {
    fields: DEPARTMENT_FIELDS,
    default_sort: "name",
    searchable: true,
};

const DESIGNATION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("department_id", FieldKind::Uuid).filter(),
    FieldSpec::new("level", FieldKind::Integer)
        .filter()
        .range()
        .sort()
        .nullable(),
];

/// `GET /designations`: by title; `q` searches the title.
pub const DESIGNATION_LIST_SPEC: ListSpec = ListSpec {
    fields: DESIGNATION_FIELDS,
    default_sort: "title",
    searchable: true,
};

/// Highest seniority level a designation may carry.
pub const MAX_LEVEL: i32 = 100;

/// `POST /departments`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Sales",
    "code": "SAL",
    "parent_id": null,
    "head_user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd"
})))]
pub struct DepartmentInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::department_code))]
    pub code: Option<String>,
    pub parent_id: Option<DepartmentId>,
    pub head_user_id: Option<UserId>,
}

/// `PATCH /departments/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Sales and Partnerships",
    "head_user_id": "019bdaf4-4440-7110-9710-cf5327ac435a"
})))]
pub struct DepartmentPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::department_code))]
    pub code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub parent_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub head_user_id: Option<Option<UserId>>,
}

/// `POST /designations`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Account Executive",
    "department_id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "level": 3
})))]
pub struct DesignationInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub title: String,
    pub department_id: Option<DepartmentId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_int_range::<0, { MAX_LEVEL as i64 }>))]
    pub level: Option<i32>,
}

/// `PATCH /designations/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Senior Account Executive",
    "level": 4
})))]
pub struct DesignationPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_int_range::<0, { MAX_LEVEL as i64 }>))]
    pub level: Option<Option<i32>>,
}

fn code(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    let Some(c) = optional_text(raw, "code", 50)? else {
        return Ok(None);
    };
    if c.chars()
        .all(|ch| ch.is_alphanumeric() || matches!(ch, '-' | '_' | '.'))
    {
        Ok(Some(c))
    } else {
        Err(ValueError::new(
            "invalid",
            "code may contain letters, digits, - _ and .",
        ))
    }
}

fn level(v: Option<i32>) -> Result<Option<i32>, ValueError> {
    match v {
        Some(l) if !(0..=MAX_LEVEL).contains(&l) => Err(ValueError::new(
            "out_of_range",
            format!("level must be between 0 and {MAX_LEVEL}"),
        )),
        other => Ok(other),
    }
}

fn cycle() -> FieldError {
    FieldError::new(
        "parent_id",
        "cycle",
        "a department cannot be placed under itself or one of its sub-departments",
    )
}

fn not_found(field: &str, what: &str) -> FieldError {
    FieldError::new(field, "not_found", format!("no such {what}"))
}

/// Store failures other than NotFound are errors; NotFound is the given field error.
fn reference<T>(
    r: Result<T, StoreError>,
    missing: FieldError,
) -> Result<Option<FieldError>, DomainError> {
    match r {
        Ok(_) => Ok(None),
        Err(StoreError::NotFound) => Ok(Some(missing)),
        Err(e) => Err(e.into()),
    }
}

fn in_use(code: &'static str, what: &str) -> impl Fn(StoreError) -> DomainError {
    let message = format!("the {what} is still in use");
    move |e| match e {
        StoreError::Conflict { .. } => DomainError::conflict(code, message.clone()),
        other => other.into(),
    }
}

fn code_taken(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict { .. } => {
            DomainError::conflict("department-code-taken", "another department has this code")
        }
        other => other.into(),
    }
}

#[derive(Clone)]
pub struct DepartmentService {
    p: IdentityPorts,
}

impl DepartmentService {
    pub fn new(ports: IdentityPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `departments:read`.
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Department>, DomainError> {
        require_all(actor, "departments", "read")?;
        Ok(self
            .p
            .departments
            .list(actor.organization_id, query)
            .await?)
    }

    /// Needs `departments:read`; `404` when missing or of another organization.
    pub async fn get(&self, actor: &Actor, id: DepartmentId) -> Result<Department, DomainError> {
        require_all(actor, "departments", "read")?;
        Ok(self.p.departments.get(actor.organization_id, id).await?)
    }

    /// Needs `departments:write`. `422` per bad field (a parent or head user outside the
    /// organization is `not_found`), `409 department-code-taken`.
    pub async fn create(
        &self,
        actor: &Actor,
        input: DepartmentInput,
    ) -> Result<Department, DomainError> {
        require_all(actor, "departments", "write")?;
        let org = actor.organization_id;
        let name = required_text(&input.name, "name", 200).map_err(|e| e.into_field("name"));
        let dept_code = code(input.code.as_deref()).map_err(|e| e.into_field("code"));
        let parent = match input.parent_id {
            Some(p) => reference(
                self.p.departments.get(org, p).await,
                not_found("parent_id", "department"),
            )?,
            None => None,
        };
        let head = self.check_head(org, input.head_user_id).await?;
        let (name, dept_code) = match (name, dept_code, parent, head) {
            (Ok(n), Ok(c), None, None) => (n, c),
            (n, c, p, h) => return Err(invalid([n.err(), c.err(), p, h])),
        };
        let now = self.p.clock.now();
        let dept = Department {
            id: DepartmentId::new(),
            organization_id: org,
            name,
            code: dept_code,
            parent_id: input.parent_id,
            head_user_id: input.head_user_id,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.p.tx.begin().await?;
        self.p
            .departments
            .create(&mut tx, &dept)
            .await
            .map_err(code_taken)?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "department",
            dept.id.0,
            "created",
            None,
            Some(&dept),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(dept)
    }

    /// Needs `departments:write`. Moving a department under itself or one of its descendants
    /// is `422` on `parent_id` (code `cycle`); the ancestry is read inside the write's
    /// transaction. `412` on a stale version.
    pub async fn update(
        &self,
        actor: &Actor,
        id: DepartmentId,
        expected_version: Option<i64>,
        patch: DepartmentPatch,
    ) -> Result<Department, DomainError> {
        require_all(actor, "departments", "write")?;
        let org = actor.organization_id;
        // A named head is looked up before the transaction, on the pool (a read waiting for a
        // second connection while holding the transaction's could exhaust the pool); its
        // error counts only if it is a change, which the locked department tells.
        let head_error = match patch.head_user_id {
            Some(h @ Some(_)) => self.check_head(org, h).await?,
            _ => None,
        };
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.departments.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors: Vec<Option<FieldError>> = Vec::new();
        if let Some(raw) = &patch.name {
            match required_text(raw, "name", 200) {
                Ok(n) => next.name = n,
                Err(e) => errors.push(Some(e.into_field("name"))),
            }
        }
        if let Some(raw) = &patch.code {
            match code(raw.as_deref()) {
                Ok(c) => next.code = c,
                Err(e) => errors.push(Some(e.into_field("code"))),
            }
        }
        if let Some(h) = patch.head_user_id {
            next.head_user_id = h;
            if h != current.head_user_id {
                errors.push(head_error);
            }
        }
        if let Some(p) = patch.parent_id {
            next.parent_id = p;
            if p == Some(id) {
                errors.push(Some(cycle()));
            }
        }
        if errors.iter().any(Option::is_some) {
            return Err(invalid(errors));
        }
        if next == current {
            return Ok(current);
        }
        // The chain above the new parent is read (and locked) inside this transaction: it is
        // the committed tree, and a concurrent move cannot close a loop with this one.
        if let Some(parent) = next.parent_id.filter(|p| Some(*p) != current.parent_id) {
            let ancestors = match self.p.departments.ancestor_ids(&mut tx, org, parent).await {
                Ok(a) => a,
                Err(StoreError::NotFound) => {
                    return Err(invalid([Some(not_found("parent_id", "department"))]));
                }
                Err(e) => return Err(e.into()),
            };
            if ancestors.contains(&id) {
                return Err(invalid([Some(cycle())]));
            }
        }
        let next = Department {
            updated_at: self.p.clock.now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .departments
            .update(&mut tx, &next, current.version)
            .await
            .map_err(code_taken)?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "department",
            id.0,
            "updated",
            Some(&current),
            Some(&next),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `departments:delete`. `409 department-in-use` while sub-departments,
    /// designations or users refer to it.
    pub async fn delete(&self, actor: &Actor, id: DepartmentId) -> Result<(), DomainError> {
        require_all(actor, "departments", "delete")?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.departments.get_for_update(&mut tx, org, id).await?;
        self.p
            .departments
            .delete(&mut tx, org, id)
            .await
            .map_err(in_use("department-in-use", "department"))?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "department",
            id.0,
            "deleted",
            Some(&current),
            None,
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A field error unless `head` is a user of `org`.
    async fn check_head(
        &self,
        org: OrganizationId,
        head: Option<UserId>,
    ) -> Result<Option<FieldError>, DomainError> {
        match head {
            Some(u) => reference(
                self.p.users.get(org, u).await,
                not_found("head_user_id", "user"),
            ),
            None => Ok(None),
        }
    }
}

#[derive(Clone)]
pub struct DesignationService {
    p: IdentityPorts,
}

impl DesignationService {
    pub fn new(ports: IdentityPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `designations:read`.
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Designation>, DomainError> {
        require_all(actor, "designations", "read")?;
        Ok(self
            .p
            .designations
            .list(actor.organization_id, query)
            .await?)
    }

    /// Needs `designations:read`; `404` when missing or of another organization.
    pub async fn get(&self, actor: &Actor, id: DesignationId) -> Result<Designation, DomainError> {
        require_all(actor, "designations", "read")?;
        Ok(self.p.designations.get(actor.organization_id, id).await?)
    }

    /// Needs `designations:write`; `422` per bad field (a department outside the organization
    /// is `not_found`, a level outside 0..=100 `out_of_range`).
    pub async fn create(
        &self,
        actor: &Actor,
        input: DesignationInput,
    ) -> Result<Designation, DomainError> {
        require_all(actor, "designations", "write")?;
        let org = actor.organization_id;
        let title = required_text(&input.title, "title", 200).map_err(|e| e.into_field("title"));
        let lvl = level(input.level).map_err(|e| e.into_field("level"));
        let dept = self.check_department(org, input.department_id).await?;
        let (title, lvl) = match (title, lvl, dept) {
            (Ok(t), Ok(l), None) => (t, l),
            (t, l, d) => return Err(invalid([t.err(), l.err(), d])),
        };
        let now = self.p.clock.now();
        let d = Designation {
            id: DesignationId::new(),
            organization_id: org,
            title,
            department_id: input.department_id,
            level: lvl,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.p.tx.begin().await?;
        self.p.designations.create(&mut tx, &d).await?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "designation",
            d.id.0,
            "created",
            None,
            Some(&d),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Needs `designations:write`; `412` on a stale version, `422` as for create.
    pub async fn update(
        &self,
        actor: &Actor,
        id: DesignationId,
        expected_version: Option<i64>,
        patch: DesignationPatch,
    ) -> Result<Designation, DomainError> {
        require_all(actor, "designations", "write")?;
        let org = actor.organization_id;
        // A named department is looked up before the transaction, on the pool; its error
        // counts only if it is a change, which the locked designation tells.
        let department_error = match patch.department_id {
            Some(d @ Some(_)) => self.check_department(org, d).await?,
            _ => None,
        };
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.designations.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors: Vec<Option<FieldError>> = Vec::new();
        if let Some(raw) = &patch.title {
            match required_text(raw, "title", 200) {
                Ok(t) => next.title = t,
                Err(e) => errors.push(Some(e.into_field("title"))),
            }
        }
        if let Some(l) = patch.level {
            match level(l) {
                Ok(l) => next.level = l,
                Err(e) => errors.push(Some(e.into_field("level"))),
            }
        }
        if let Some(d) = patch.department_id {
            next.department_id = d;
            if d != current.department_id {
                errors.push(department_error);
            }
        }
        if errors.iter().any(Option::is_some) {
            return Err(invalid(errors));
        }
        if next == current {
            return Ok(current);
        }
        let next = Designation {
            updated_at: self.p.clock.now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .designations
            .update(&mut tx, &next, current.version)
            .await?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "designation",
            id.0,
            "updated",
            Some(&current),
            Some(&next),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `designations:delete`; `409 designation-in-use` while users hold it.
    pub async fn delete(&self, actor: &Actor, id: DesignationId) -> Result<(), DomainError> {
        require_all(actor, "designations", "delete")?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.designations.get_for_update(&mut tx, org, id).await?;
        self.p
            .designations
            .delete(&mut tx, org, id)
            .await
            .map_err(in_use("designation-in-use", "designation"))?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "designation",
            id.0,
            "deleted",
            Some(&current),
            None,
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn check_department(
        &self,
        org: OrganizationId,
        dept: Option<DepartmentId>,
    ) -> Result<Option<FieldError>, DomainError> {
        match dept {
            Some(d) => reference(
                self.p.departments.get(org, d).await,
                not_found("department_id", "department"),
            ),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::model::UserStatus;
    use crate::identity::test_support::*;

    fn dept(org: OrganizationId, name: &str, parent: Option<DepartmentId>) -> Department {
        Department {
            id: DepartmentId::new(),
            organization_id: org,
            name: name.into(),
            code: None,
            parent_id: parent,
            head_user_id: None,
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    fn depts(env: Env) -> (DepartmentService, Probe) {
        let (ports, probe) = env.build();
        (DepartmentService::new(ports), probe)
    }

    const WRITE: &[&str] = &[
        "departments:read",
        "departments:write",
        "departments:delete",
    ];

    #[tokio::test]
    async fn moving_a_department_under_its_own_descendant_is_refused() {
        // eng → platform → infra; moving eng under infra would close a loop.
        let mut env = Env::new();
        let org = OrganizationId::new();
        let eng = dept(org, "Engineering", None);
        let platform = dept(org, "Platform", Some(eng.id));
        let infra = dept(org, "Infra", Some(platform.id));
        let (eng_id, platform_id, infra_id) = (eng.id, platform.id, infra.id);
        env.departments
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(eng.clone()));
        env.departments
            .expect_ancestor_ids()
            .withf(move |_, o, id| *o == org && *id == infra_id)
            .returning(move |_, _, _| Ok(vec![platform_id, eng_id]));
        let (svc, probe) = depts(env);
        let a = actor(org, WRITE);
        let under_infra = DepartmentPatch {
            parent_id: Some(Some(infra_id)),
            ..Default::default()
        };
        let DomainError::Invalid(errors) =
            svc.update(&a, eng_id, None, under_infra).await.unwrap_err()
        else {
            panic!("expected 422")
        };
        assert_eq!(
            (errors[0].field.as_str(), errors[0].code.as_str()),
            ("parent_id", "cycle")
        );
        let under_itself = DepartmentPatch {
            parent_id: Some(Some(eng_id)),
            ..Default::default()
        };
        assert!(matches!(
            svc.update(&a, eng_id, None, under_itself).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(!probe.committed());
    }

    #[tokio::test]
    async fn moving_elsewhere_in_the_tree_is_fine_and_audited() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let sales = dept(org, "Sales", None);
        let ops = dept(org, "Ops", None);
        let (sales_id, ops_id) = (sales.id, ops.id);
        env.departments
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(sales.clone()));
        env.departments
            .expect_ancestor_ids()
            .returning(|_, _, _| Ok(vec![]));
        env.departments
            .expect_update()
            .withf(move |_, d, v| d.parent_id == Some(ops_id) && d.version == 2 && *v == 1)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = depts(env);
        let patch = DepartmentPatch {
            parent_id: Some(Some(ops_id)),
            ..Default::default()
        };
        svc.update(&actor(org, WRITE), sales_id, Some(1), patch)
            .await
            .unwrap();
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].changes[0].field, "parent_id");
    }

    #[tokio::test]
    async fn the_head_must_be_a_user_of_the_same_organization() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let outsider = user(OrganizationId::new(), "x@example.com", UserStatus::Active).id;
        let insider = user(org, "y@example.com", UserStatus::Active);
        let insider_id = insider.id;
        env.users.expect_get().returning(move |o, u| {
            if o == org && u == insider_id {
                Ok(insider.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
        env.departments
            .expect_create()
            .withf(move |_, d| d.head_user_id == Some(insider_id))
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, _) = depts(env);
        let a = actor(org, WRITE);
        let input = |head| DepartmentInput {
            name: "Sales".into(),
            code: Some("SAL".into()),
            parent_id: None,
            head_user_id: Some(head),
        };
        let DomainError::Invalid(errors) = svc.create(&a, input(outsider)).await.unwrap_err()
        else {
            panic!()
        };
        assert_eq!(
            (errors[0].field.as_str(), errors[0].code.as_str()),
            ("head_user_id", "not_found")
        );
        assert_eq!(
            svc.create(&a, input(insider_id))
                .await
                .unwrap()
                .code
                .as_deref(),
            Some("SAL")
        );
    }

    #[tokio::test]
    async fn departments_need_permissions_hide_other_tenants_and_refuse_deleting_in_use() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let used = dept(org, "Used", None);
        let used_id = used.id;
        let stored = used.clone();
        env.departments.expect_get().returning(move |_, id| {
            if id == used_id {
                Ok(stored.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
        env.departments
            .expect_get_for_update()
            .returning(move |_, _, id| {
                if id == used_id {
                    Ok(used.clone())
                } else {
                    Err(StoreError::NotFound)
                }
            });
        env.departments.expect_delete().returning(|_, _, _| {
            Err(StoreError::Conflict {
                constraint: "users_department_id_fkey".into(),
            })
        });
        let (svc, probe) = depts(env);
        let reader = actor(org, &["departments:read"]);
        assert!(matches!(
            svc.delete(&reader, used_id).await,
            Err(DomainError::Forbidden { .. })
        ));
        assert!(matches!(
            svc.get(&actor(org, &[]), used_id).await,
            Err(DomainError::Forbidden { .. })
        ));
        assert_eq!(
            svc.get(&reader, DepartmentId::new()).await.unwrap_err(),
            DomainError::NotFound
        );
        let err = svc.delete(&actor(org, WRITE), used_id).await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Conflict {
                code: "department-in-use",
                ..
            }
        ));
        assert!(!probe.committed());
    }

    #[tokio::test]
    async fn designations_validate_level_and_department() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        env.departments
            .expect_get()
            .returning(|_, _| Err(StoreError::NotFound));
        env.designations
            .expect_create()
            .withf(|_, d| d.title == "Engineer II" && d.level == Some(2))
            .times(1)
            .returning(|_, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = DesignationService::new(ports);
        let a = actor(org, &["designations:write"]);
        let bad = DesignationInput {
            title: " ".into(),
            department_id: Some(DepartmentId::new()),
            level: Some(101),
        };
        let DomainError::Invalid(errors) = svc.create(&a, bad).await.unwrap_err() else {
            panic!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["title", "level", "department_id"]);
        let ok = DesignationInput {
            title: "Engineer II".into(),
            department_id: None,
            level: Some(2),
        };
        svc.create(&a, ok).await.unwrap();
        assert!(probe.committed());
        let reader = actor(org, &["designations:read"]);
        let input = DesignationInput {
            title: "X".into(),
            department_id: None,
            level: None,
        };
        assert!(matches!(
            svc.create(&reader, input).await,
            Err(DomainError::Forbidden { .. })
        ));
    }
}
