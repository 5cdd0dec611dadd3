//! `/designations`: job titles.

use super::model::{Designation, DesignationInput, DesignationPatch, TITLE_MAX, level};
use crate::identity::IdentityPorts;
use crate::identity::model::{DepartmentId, DesignationId, ValueError, required_text};
use crate::identity::requirements::{DesignationsDelete, DesignationsRead, DesignationsWrite};
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::input::Errors;

use crate::kernel::scope::require_all;

#[derive(Clone)]
pub struct DesignationService {
    p: IdentityPorts,
}

impl DesignationService {
    pub fn new(ports: IdentityPorts) -> Self {
        Self { p: ports }
    }

    crate::record_use_cases!(
        designations: Designation, DesignationId, read: DesignationsRead, delete: DesignationsDelete,
        in_use: "designation-in-use", "the designation is still in use"
    );

    /// Needs `designations:write`; `422` per bad field (a department outside the organization
    /// is `not_found`, a level outside 0..=100 `out_of_range`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: DesignationInput,
    ) -> Result<Designation, DomainError> {
        require_all::<DesignationsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let title = errors.value("title", required_text(&input.title, "title", TITLE_MAX));
        let level = errors.value("level", level(input.level));
        errors.extend(self.department_errors(org, input.department_id).await?);
        errors.finish()?;
        let now = self.p.clock.now();
        let d = Designation {
            id: DesignationId::new(),
            organization_id: org,
            title,
            department_id: input.department_id,
            level,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create(actor, d).await
    }

    /// Needs `designations:write`; `412` on a stale version, `422` as for create.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: DesignationId,
        expected_version: Option<i64>,
        patch: DesignationPatch,
    ) -> Result<Designation, DomainError> {
        require_all::<DesignationsWrite>(actor)?;
        let org = actor.organization_id;
        // A named department is looked up before the transaction, on the pool; its error
        // counts only if it is a change, which the locked designation tells.
        let department_errors = self
            .department_errors(org, patch.department_id.flatten())
            .await?;
        let mut tx = self.p.tx.begin().await?;
        let crud = self.crud();
        let current = crud
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        let p = patch;
        errors.patch(
            "title",
            &mut next.title,
            p.title.map(|v| required_text(&v, "title", TITLE_MAX)),
        );
        errors.patch("level", &mut next.level, p.level.map(level));
        errors.patch(
            "department_id",
            &mut next.department_id,
            p.department_id.map(Ok::<_, ValueError>),
        );
        if next.department_id != current.department_id {
            errors.extend(department_errors);
        }
        errors.finish()?;
        crud.save(actor, tx, current, next, self.p.clock.now())
            .await
    }

    /// A `not_found` error on `department_id` unless `dept` is a department of `org`.
    async fn department_errors(
        &self,
        org: OrganizationId,
        dept: Option<DepartmentId>,
    ) -> Result<Errors, DomainError> {
        let mut errors = Errors::new();
        if let Some(d) = dept {
            let found = self.p.departments.get(org, d).await;
            errors.reference("department_id", "department", found)?;
        }
        Ok(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::DepartmentId;
    use crate::identity::test_support::*;
    use crate::kernel::error::StoreError;
    use crate::kernel::ids::OrganizationId;

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
