//! `/departments`: a tree without cycles.

use super::model::{Department, DepartmentInput, DepartmentPatch, NAME_MAX, code, cycle};
use crate::identity::IdentityPorts;
use crate::identity::model::{DepartmentId, ValueError, required_text};
use crate::identity::requirements::{DepartmentsDelete, DepartmentsRead, DepartmentsWrite};
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::input::Errors;
use crate::kernel::records::conflict;
use crate::kernel::scope::require_all;

/// A department code is unique within the organization.
fn code_taken(e: DomainError) -> DomainError {
    conflict("department-code-taken", "another department has this code")(e)
}

#[derive(Clone)]
pub struct DepartmentService {
    p: IdentityPorts,
}

impl DepartmentService {
    pub fn new(ports: IdentityPorts) -> Self {
        Self { p: ports }
    }

    crate::record_use_cases!(
        departments: Department, DepartmentId, read: DepartmentsRead, delete: DepartmentsDelete,
        in_use: "department-in-use", "the department is still in use"
    );

    /// Needs `departments:write`. `422` per bad field (a parent or head user outside the
    /// organization is `not_found`), `409 department-code-taken`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: DepartmentInput,
    ) -> Result<Department, DomainError> {
        require_all::<DepartmentsWrite>(actor)?;
        let org = actor.organization_id;
        let now = self.p.clock.now();
        let mut errors = Errors::new();
        let dept = Department {
            id: DepartmentId::new(),
            organization_id: org,
            name: errors.value("name", required_text(&input.name, "name", NAME_MAX)),
            code: errors.value("code", code(input.code.as_deref())),
            parent_id: input.parent_id,
            head_user_id: input.head_user_id,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if let Some(p) = input.parent_id {
            let parent = self.p.departments.get(org, p).await;
            errors.reference("parent_id", "department", parent)?;
        }
        errors.extend(self.head_errors(org, input.head_user_id).await?);
        errors.finish()?;
        self.crud().create(actor, dept).await.map_err(code_taken)
    }

    /// Needs `departments:write`. Moving a department under itself or one of its descendants
    /// is `422` on `parent_id` (code `cycle`); the ancestry is read inside the write's
    /// transaction. `412` on a stale version.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: DepartmentId,
        expected_version: Option<i64>,
        patch: DepartmentPatch,
    ) -> Result<Department, DomainError> {
        require_all::<DepartmentsWrite>(actor)?;
        let org = actor.organization_id;
        // A named head is looked up before the transaction, on the pool (a read waiting for a
        // second connection while holding the transaction's could exhaust the pool); its
        // error counts only if it is a change, which the locked department tells.
        let head_errors = self.head_errors(org, patch.head_user_id.flatten()).await?;
        let mut tx = self.p.tx.begin().await?;
        let crud = self.crud();
        let current = crud
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        let p = patch;
        errors.patch(
            "name",
            &mut next.name,
            p.name.map(|v| required_text(&v, "name", NAME_MAX)),
        );
        errors.patch("code", &mut next.code, p.code.map(|v| code(v.as_deref())));
        errors.patch(
            "head_user_id",
            &mut next.head_user_id,
            p.head_user_id.map(Ok::<_, ValueError>),
        );
        if next.head_user_id != current.head_user_id {
            errors.extend(head_errors);
        }
        let under_itself =
            |p: Option<DepartmentId>| if p == Some(id) { Err(cycle()) } else { Ok(p) };
        errors.patch(
            "parent_id",
            &mut next.parent_id,
            p.parent_id.map(under_itself),
        );
        errors.finish()?;
        // The chain above the new parent is read (and locked) inside this transaction: it is
        // the committed tree, and a concurrent move cannot close a loop with this one.
        if let Some(parent) = next.parent_id.filter(|p| Some(*p) != current.parent_id) {
            let mut errors = Errors::new();
            let ancestors = self
                .p
                .department_tree
                .ancestor_ids(&mut tx, org, parent)
                .await;
            if let Some(chain) = errors.reference("parent_id", "department", ancestors)?
                && chain.contains(&id)
            {
                errors.push(cycle());
            }
            errors.finish()?;
        }
        let now = self.p.clock.now();
        crud.save(actor, tx, current, next, now)
            .await
            .map_err(code_taken)
    }

    /// A `not_found` error on `head_user_id` unless `head` is a user of `org`.
    async fn head_errors(
        &self,
        org: OrganizationId,
        head: Option<UserId>,
    ) -> Result<Errors, DomainError> {
        let mut errors = Errors::new();
        if let Some(u) = head {
            errors.reference("head_user_id", "user", self.p.users.get(org, u).await)?;
        }
        Ok(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::test_support::*;
    use crate::identity::users::UserStatus;
    use crate::kernel::error::StoreError;

    fn dept(org: OrganizationId, name: &str, parent: Option<DepartmentId>) -> Department {
        Department {
            id: DepartmentId::new(),
            organization_id: org,
            name: name.into(),
            code: None,
            parent_id: parent,
            head_user_id: None,
            legacy_id: None,
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
        env.department_tree
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
        env.department_tree
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
}
