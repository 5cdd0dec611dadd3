//! `/roles` and `/permissions`.

use super::model::{Role, RoleInput, RolePatch, parse_name, permission_codes};
use crate::activity::audit;
use crate::identity::IdentityPorts;
use crate::identity::common::{effective_permissions, ensure_held};
use crate::identity::model::{RoleId, optional_text};
use crate::identity::permissions::{ADMIN_ROLE, CATALOGUE, PermissionDef, SYSTEM_ROLE_NAMES};
use crate::identity::requirements::{PermissionsRead, RolesDelete, RolesRead, RolesWrite};
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::input::Errors;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::rules::check_version;
use crate::kernel::scope::require_all;

fn system_role_conflict(message: &str) -> DomainError {
    DomainError::conflict("system-role", message)
}

fn name_taken() -> DomainError {
    DomainError::conflict("role-name-taken", "a role with this name already exists")
}

fn role_write_error(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict { .. } => name_taken(),
        other => other.into(),
    }
}

#[derive(Clone)]
pub struct RoleService {
    p: IdentityPorts,
}

impl RoleService {
    pub fn new(ports: IdentityPorts) -> Self {
        Self { p: ports }
    }

    /// `GET /permissions`: the catalogue; needs `permissions:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub fn catalogue(&self, actor: &Actor) -> Result<&'static [PermissionDef], DomainError> {
        require_all::<PermissionsRead>(actor)?;
        Ok(CATALOGUE)
    }

    /// Needs `roles:read`; sorted and filtered by `ROLE_LIST_SPEC`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<Role>, DomainError> {
        require_all::<RolesRead>(actor)?;
        Ok(self.p.roles.list(actor.organization_id, query).await?)
    }

    /// Needs `roles:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: RoleId) -> Result<Role, DomainError> {
        require_all::<RolesRead>(actor)?;
        Ok(self.p.roles.get(actor.organization_id, id).await?)
    }

    /// A custom role; needs `roles:write` and every permission it grants. `422` per bad field
    /// (unknown codes as `permissions[i]`), `409 role-name-taken` for a duplicate or a system
    /// role's name.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: RoleInput) -> Result<Role, DomainError> {
        require_all::<RolesWrite>(actor)?;
        let now = self.p.clock.now();
        let mut errors = Errors::new();
        let description = optional_text(input.description.as_deref(), "description", 1000);
        let role = Role {
            id: RoleId::new(),
            organization_id: actor.organization_id,
            name: errors.value("name", parse_name(&input.name)),
            description: errors.value("description", description),
            permissions: permission_codes(&mut errors, &input.permissions),
            is_system: false,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        errors.finish()?;
        if is_reserved(&role.name) {
            return Err(name_taken());
        }
        ensure_held(actor, &role.permissions)?;
        let mut tx = self.p.tx.begin().await?;
        self.p
            .roles
            .create(&mut tx, &role)
            .await
            .map_err(role_write_error)?;
        self.p.record(&mut tx, audit::created(actor, &role)).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Edits a role; needs `roles:write`, and every permission of both the old and the new set
    /// (no one widens or narrows a role beyond their own powers). System roles keep their name,
    /// and `admin` keeps its permissions (`409 system-role`). `412` on a stale version.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: RoleId,
        expected_version: Option<i64>,
        patch: RolePatch,
    ) -> Result<Role, DomainError> {
        require_all::<RolesWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .p
            .roles
            .get_for_update(&mut tx, actor.organization_id, id)
            .await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        let p = patch;
        errors.patch("name", &mut next.name, p.name.map(|v| parse_name(&v)));
        errors.patch(
            "description",
            &mut next.description,
            p.description
                .map(|v| optional_text(v.as_deref(), "description", 1000)),
        );
        if let Some(raw) = &p.permissions {
            next.permissions = permission_codes(&mut errors, raw);
        }
        errors.finish()?;
        if current.is_system && next.name != current.name {
            return Err(system_role_conflict("system roles cannot be renamed"));
        }
        if current.is_system
            && current.name == ADMIN_ROLE
            && next.permissions != current.permissions
        {
            return Err(system_role_conflict(
                "the admin role always holds every permission",
            ));
        }
        if !current.is_system
            && next.name.to_lowercase() != current.name.to_lowercase()
            && is_reserved(&next.name)
        {
            return Err(name_taken());
        }
        if next == current {
            return Ok(current);
        }
        ensure_held(
            actor,
            &effective_permissions(std::slice::from_ref(&current)),
        )?;
        ensure_held(actor, &next.permissions)?;
        let next = Role {
            updated_at: self.p.clock.now(),
            version: current.version + 1,
            ..next
        };
        // A duplicate name is caught by the write itself (`Conflict`).
        self.p
            .roles
            .update(&mut tx, &next, current.version)
            .await
            .map_err(role_write_error)?;
        self.p
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes a custom role and its assignments; needs `roles:delete` and every permission
    /// the role grants. `409 system-role` for a system role; `404` when missing or of another
    /// organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: RoleId) -> Result<(), DomainError> {
        require_all::<RolesDelete>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .p
            .roles
            .get_for_update(&mut tx, actor.organization_id, id)
            .await?;
        if current.is_system {
            return Err(system_role_conflict("system roles cannot be deleted"));
        }
        ensure_held(actor, &current.permissions)?;
        self.p
            .roles
            .delete(&mut tx, actor.organization_id, id)
            .await?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn is_reserved(name: &str) -> bool {
    SYSTEM_ROLE_NAMES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::test_support::*;
    use crate::kernel::ids::OrganizationId;

    fn svc(env: Env) -> (RoleService, Probe) {
        let (ports, probe) = env.build();
        (RoleService::new(ports), probe)
    }

    fn admin(org: OrganizationId) -> Actor {
        actor(org, &CATALOGUE.iter().map(|p| p.code).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn system_roles_cannot_be_deleted_or_renamed() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let sales = role(org, "sales", true, &["leads:read:own"]);
        let admin_role = role(org, ADMIN_ROLE, true, &["leads:read"]);
        let (sales_id, admin_id) = (sales.id, admin_role.id);
        env.roles
            .expect_get_for_update()
            .returning(move |_, _, id| {
                Ok(if id == sales_id {
                    sales.clone()
                } else {
                    admin_role.clone()
                })
            });
        env.roles
            .expect_update()
            .withf(|_, r, _| {
                r.name == "sales" && r.permissions == vec!["leads:read:own", "leads:write:own"]
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let boss = admin(org);
        let err = svc.delete(&boss, sales_id).await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Conflict {
                code: "system-role",
                ..
            }
        ));
        let rename = RolePatch {
            name: Some("sellers".into()),
            ..Default::default()
        };
        assert!(matches!(
            svc.update(&boss, sales_id, None, rename).await,
            Err(DomainError::Conflict {
                code: "system-role",
                ..
            })
        ));
        let shrink_admin = RolePatch {
            permissions: Some(vec![]),
            ..Default::default()
        };
        assert!(matches!(
            svc.update(&boss, admin_id, None, shrink_admin).await,
            Err(DomainError::Conflict { .. })
        ));
        // Other system roles' permissions can be tuned.
        let widen = RolePatch {
            permissions: Some(vec!["leads:write:own".into(), "leads:read:own".into()]),
            ..Default::default()
        };
        assert_eq!(
            svc.update(&boss, sales_id, None, widen)
                .await
                .unwrap()
                .version,
            2
        );
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn custom_roles_are_created_with_catalogue_codes_only() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        env.roles
            .expect_create()
            .withf(move |_, r| {
                !r.is_system
                    && r.organization_id == org
                    && r.permissions == vec!["deals:read", "leads:read"]
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        let boss = admin(org);
        let input = RoleInput {
            name: "Auditor".into(),
            description: None,
            permissions: vec![
                "leads:read".into(),
                "deals:read".into(),
                "leads:read".into(),
            ],
        };
        svc.create(&boss, input).await.unwrap();
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "created");

        let bad = RoleInput {
            name: "".into(),
            description: None,
            permissions: vec!["leads:read".into(), "leads:fly".into()],
        };
        let DomainError::Invalid(errors) = svc.create(&boss, bad).await.unwrap_err() else {
            panic!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "permissions[1]"]);
        let reserved = RoleInput {
            name: "Admin".into(),
            description: None,
            permissions: vec![],
        };
        assert!(matches!(
            svc.create(&boss, reserved).await,
            Err(DomainError::Conflict {
                code: "role-name-taken",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn roles_need_permissions_and_stay_within_the_callers_powers() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        env.roles
            .expect_get()
            .returning(|_, _| Err(StoreError::NotFound));
        env.roles
            .expect_get_for_update()
            .returning(|_, _, _| Err(StoreError::NotFound));
        let (svc, _) = svc(env);
        let reader = actor(org, &["roles:read"]);
        let input = RoleInput {
            name: "X".into(),
            description: None,
            permissions: vec!["invoices:approve".into()],
        };
        assert!(matches!(
            svc.create(&reader, input.clone()).await,
            Err(DomainError::Forbidden {
                code: "forbidden",
                ..
            })
        ));
        let writer = actor(org, &["roles:write"]);
        let err = svc.create(&writer, input).await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Forbidden {
                code: "permission-escalation",
                ..
            }
        ));
        // A role of another organization is simply not there.
        assert_eq!(
            svc.get(&reader, RoleId::new()).await.unwrap_err(),
            DomainError::NotFound
        );
        assert_eq!(
            svc.delete(&admin(org), RoleId::new()).await.unwrap_err(),
            DomainError::NotFound
        );
        assert!(
            svc.catalogue(&actor(org, &["permissions:read"]))
                .unwrap()
                .len()
                > 100
        );
        assert!(svc.catalogue(&actor(org, &[])).is_err());
    }

    #[tokio::test]
    async fn custom_roles_can_be_deleted() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let custom = role(org, "Auditor", false, &["activities:read"]);
        let id = custom.id;
        env.roles
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(custom.clone()));
        env.roles
            .expect_delete()
            .withf(move |_, o, r| *o == org && *r == id)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        svc.delete(&admin(org), id).await.unwrap();
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "deleted");
    }
}
