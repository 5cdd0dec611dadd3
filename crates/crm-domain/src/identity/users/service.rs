//! `/users`: members of the caller's organization.

use super::model::{CreateUserInput, User, UserPatch, UserStatus};
use crate::activity::audit;
use crate::identity::IdentityPorts;
use crate::identity::codes::CodePurpose;
use crate::identity::common::{
    effective_permissions, email_taken, ensure_held, hash_error, roles_changed, user_write_error,
};
use crate::identity::email::EmailAddress;
use crate::identity::model::{DepartmentId, DesignationId, PersonName, RoleId, ValueError};
use crate::identity::password::NewPassword;
use crate::identity::permissions::{ADMIN_ROLE, EMPLOYEE_ROLE};
use crate::identity::requirements::{UsersDelete, UsersRead, UsersWrite};
use crate::identity::roles::{Role, RoleSummary};
use crate::identity::settings::AuthSettings;
use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::input::Errors;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::rules::check_version;
use crate::kernel::scope::{require, require_all};
use crate::kernel::validation::FieldError;
use std::collections::BTreeSet;

#[derive(Clone)]
pub struct UserService {
    p: IdentityPorts,
    settings: AuthSettings,
}

impl UserService {
    pub fn new(ports: IdentityPorts, settings: AuthSettings) -> Self {
        Self { p: ports, settings }
    }

    /// The organization's users with `users:read` (sorted and filtered by
    /// `USER_LIST_SPEC`); with only `users:read:own`, a page holding just the caller.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<User>, DomainError> {
        match require::<UsersRead>(actor)? {
            Scope::All => Ok(self.p.users.list(actor.organization_id, query).await?),
            Scope::Own => {
                let me = self
                    .p
                    .users
                    .get(actor.organization_id, actor.user_id)
                    .await?;
                Ok(Page {
                    data: vec![me],
                    next_cursor: None,
                    total: query.count.then_some(1),
                })
            }
        }
    }

    /// One user. `403` without any `users:read`; `404` when missing, of another organization,
    /// or not the caller under `users:read:own`. The caller's own profile is always readable.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: UserId) -> Result<User, DomainError> {
        self.visible(actor, id)?;
        Ok(self.p.users.get(actor.organization_id, id).await?)
    }

    /// The roles of a visible user.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn roles(&self, actor: &Actor, id: UserId) -> Result<Vec<RoleSummary>, DomainError> {
        self.visible(actor, id)?;
        self.p.users.get(actor.organization_id, id).await?;
        Ok(summaries(
            &self
                .p
                .roles
                .roles_of_user(actor.organization_id, id)
                .await?,
        ))
    }

    /// Adds a user to the caller's organization; needs `users:write`. With a password the
    /// user is `active`; without one `invited`, and mailed an invitation code that
    /// `POST /auth/reset-password` accepts. `422` per bad field (unknown role, department or
    /// designation ids included), `409 email-taken`, `403` when the roles would grant
    /// permissions the caller does not hold.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: CreateUserInput) -> Result<User, DomainError> {
        require_all::<UsersWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let name = errors.value("name", PersonName::parse(&input.name));
        let email = errors.value("email", EmailAddress::parse(&input.email));
        let password = input
            .password
            .as_ref()
            .map(|p| NewPassword::parse(p.expose()));
        let password = errors.value("password", password.transpose());
        let roles = self.resolve_roles(org, input.role_ids.as_deref()).await;
        let roles = errors.value("role_ids", roles);
        errors.extend(
            self.reference_errors(org, input.department_id, input.designation_id)
                .await?,
        );
        errors.finish()?;
        ensure_grantable(actor, &roles)?;
        if self.p.users.find_by_email(&email).await?.is_some() {
            return Err(email_taken());
        }
        let hash = match &password {
            Some(p) => Some(
                self.p
                    .passwords
                    .hash(p.as_plain())
                    .await
                    .map_err(hash_error)?,
            ),
            None => None,
        };
        let organization_name = match hash {
            Some(_) => None,
            None => Some(self.p.organizations.get(org).await?.name),
        };
        let now = self.p.clock.now();
        let user = User {
            id: UserId::new(),
            organization_id: org,
            name,
            email,
            status: if hash.is_some() {
                UserStatus::Active
            } else {
                UserStatus::Invited
            },
            password_hash: hash,
            department_id: input.department_id,
            designation_id: input.designation_id,
            tokens_valid_after: None,
            last_login_at: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let role_ids: Vec<RoleId> = roles.iter().map(|r| r.id).collect();
        let mut tx = self.p.tx.begin().await?;
        self.p
            .users
            .create(&mut tx, &user)
            .await
            .map_err(user_write_error)?;
        if !role_ids.is_empty() {
            self.p
                .roles
                .set_user_roles(&mut tx, org, user.id, &role_ids)
                .await?;
        }
        self.p.record(&mut tx, audit::created(actor, &user)).await?;
        self.p
            .record(
                &mut tx,
                roles_changed(Some(actor.user_id), &user, &[], &role_ids),
            )
            .await?;
        if let Some(org_name) = organization_name {
            self.p
                .issue_code(
                    &self.settings,
                    &mut tx,
                    &user,
                    CodePurpose::Invitation,
                    Some(&org_name),
                    now,
                )
                .await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Edits a user. Anyone may change their own `name`; everything else, and anyone else,
    /// needs `users:write`. `412` on a stale `expected_version`, `409 email-taken`, `422` per
    /// bad field, `404` as for [`Self::get`].
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: UserId,
        expected_version: Option<i64>,
        patch: UserPatch,
    ) -> Result<User, DomainError> {
        self.visible(actor, id)?;
        if !(id == actor.user_id && patch.is_name_only()) {
            require_all::<UsersWrite>(actor)?;
        }
        let org = actor.organization_id;
        // The department and designation the patch names are looked up before the
        // transaction, on the pool (a read waiting for a second connection while holding the
        // transaction's could exhaust the pool); their errors count only if they are a change,
        // which the locked user tells.
        let department_errors = self
            .reference_errors(org, patch.department_id.flatten(), None)
            .await?;
        let designation_errors = self
            .reference_errors(org, None, patch.designation_id.flatten())
            .await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.users.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        let p = patch;
        errors.patch(
            "name",
            &mut next.name,
            p.name.map(|v| PersonName::parse(&v)),
        );
        errors.patch(
            "email",
            &mut next.email,
            p.email.map(|v| EmailAddress::parse(&v)),
        );
        errors.patch(
            "department_id",
            &mut next.department_id,
            p.department_id.map(Ok::<_, ValueError>),
        );
        errors.patch(
            "designation_id",
            &mut next.designation_id,
            p.designation_id.map(Ok::<_, ValueError>),
        );
        if next.department_id != current.department_id {
            errors.extend(department_errors);
        }
        if next.designation_id != current.designation_id {
            errors.extend(designation_errors);
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let next = User {
            updated_at: self.p.clock.now(),
            version: current.version + 1,
            ..next
        };
        // A taken email is caught by the unique key on the update itself.
        self.p
            .users
            .update(&mut tx, &next, current.version)
            .await
            .map_err(user_write_error)?;
        self.p
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Switches a user off; needs `users:delete`. Their refresh tokens are revoked and their
    /// live access tokens die at once (`tokens_valid_after` = now). Idempotent. `409` for the
    /// caller themself, so an organization cannot lose its last admin this way.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn deactivate(&self, actor: &Actor, id: UserId) -> Result<User, DomainError> {
        require_all::<UsersDelete>(actor)?;
        if id == actor.user_id {
            return Err(DomainError::conflict(
                "cannot-deactivate-self",
                "you cannot deactivate yourself",
            ));
        }
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.users.get_for_update(&mut tx, org, id).await?;
        if current.status == UserStatus::Deactivated {
            return Ok(current);
        }
        let now = self.p.clock.now();
        let mut next = current.touched(now);
        next.status = UserStatus::Deactivated;
        next.tokens_valid_after = Some(now);
        self.p
            .users
            .update(&mut tx, &next, current.version)
            .await
            .map_err(user_write_error)?;
        self.p
            .refresh_tokens
            .revoke_all_for_user(&mut tx, org, id, None, now)
            .await?;
        self.p
            .record(
                &mut tx,
                audit::changed(actor, "deactivated", &current, &next),
            )
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Switches a deactivated user back on (`active`, or `invited` when they never set a
    /// password); needs `users:delete`. Tokens from before the deactivation stay dead.
    /// Idempotent for users that are not deactivated.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn reactivate(&self, actor: &Actor, id: UserId) -> Result<User, DomainError> {
        require_all::<UsersDelete>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.users.get_for_update(&mut tx, org, id).await?;
        if current.status != UserStatus::Deactivated {
            return Ok(current);
        }
        let mut next = current.touched(self.p.clock.now());
        next.status = if current.password_hash.is_some() {
            UserStatus::Active
        } else {
            UserStatus::Invited
        };
        self.p
            .users
            .update(&mut tx, &next, current.version)
            .await
            .map_err(user_write_error)?;
        self.p
            .record(
                &mut tx,
                audit::changed(actor, "reactivated", &current, &next),
            )
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// `PUT /users/{id}/roles`: replaces the user's roles; needs `users:write`.
    ///
    /// No escalation: the caller must hold every permission of the new roles and every
    /// permission the user has now (so a non-admin can neither grant admin nor demote one).
    /// The caller cannot drop the system `admin` role from themself (`409`), so an
    /// organization always keeps an admin. `422` for ids that are not roles of the
    /// organization; `404` for a user outside it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn set_roles(
        &self,
        actor: &Actor,
        id: UserId,
        role_ids: Vec<RoleId>,
    ) -> Result<Vec<RoleSummary>, DomainError> {
        require_all::<UsersWrite>(actor)?;
        let org = actor.organization_id;
        let ids: Vec<RoleId> = role_ids
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // The named roles are resolved before the transaction, on the pool; their error is
        // answered after the user is found (404 before 422).
        let roles = self.resolve_roles(org, Some(&ids)).await;
        // The user's lock serializes changes of their roles: what is read as their roles
        // below is what the write replaces.
        let mut tx = self.p.tx.begin().await?;
        let user = self.p.users.get_for_update(&mut tx, org, id).await?;
        let mut errors = Errors::new();
        let roles = errors.value("role_ids", roles);
        errors.finish()?;
        let before = self.p.roles.roles_of_user_in_tx(&mut tx, org, id).await?;
        ensure_grantable(actor, &roles)?;
        ensure_grantable(actor, &before)?;
        let is_admin = |rs: &[Role]| rs.iter().any(|r| r.is_system && r.name == ADMIN_ROLE);
        if id == actor.user_id && is_admin(&before) && !is_admin(&roles) {
            return Err(DomainError::conflict(
                "cannot-remove-own-admin",
                "you cannot remove the admin role from yourself",
            ));
        }
        let before_ids: Vec<RoleId> = before.iter().map(|r| r.id).collect();
        self.p.roles.set_user_roles(&mut tx, org, id, &ids).await?;
        self.p
            .record(
                &mut tx,
                roles_changed(Some(actor.user_id), &user, &before_ids, &ids),
            )
            .await?;
        tx.commit().await?;
        Ok(summaries(&roles))
    }

    fn visible(&self, actor: &Actor, id: UserId) -> Result<(), DomainError> {
        if id == actor.user_id {
            return Ok(());
        }
        match require::<UsersRead>(actor)? {
            Scope::All => Ok(()),
            Scope::Own => Err(DomainError::NotFound),
        }
    }

    /// The roles named by `ids` (all must be of `org`), or the `employee` role when `ids` is
    /// absent. The error is the field error to report.
    async fn resolve_roles(
        &self,
        org: OrganizationId,
        ids: Option<&[RoleId]>,
    ) -> Result<Vec<Role>, FieldError> {
        let unexpected = |e: StoreError| FieldError::new("role_ids", "unavailable", e.to_string());
        match ids {
            None => Ok(self
                .p
                .roles
                .find_by_name(org, EMPLOYEE_ROLE)
                .await
                .map_err(unexpected)?
                .into_iter()
                .collect()),
            Some([]) => Ok(Vec::new()),
            Some(ids) => {
                let found = self.p.roles.get_many(org, ids).await.map_err(unexpected)?;
                let unique: BTreeSet<&RoleId> = ids.iter().collect();
                if found.len() == unique.len() {
                    Ok(found)
                } else {
                    Err(FieldError::new(
                        "role_ids",
                        "not_found",
                        "role_ids names roles that do not exist",
                    ))
                }
            }
        }
    }

    /// A `not_found` error per referenced department or designation that is not of `org`.
    async fn reference_errors(
        &self,
        org: OrganizationId,
        department: Option<DepartmentId>,
        designation: Option<DesignationId>,
    ) -> Result<Errors, DomainError> {
        let mut errors = Errors::new();
        if let Some(d) = department {
            let found = self.p.departments.get(org, d).await;
            errors.reference("department_id", "department", found)?;
        }
        if let Some(d) = designation {
            let found = self.p.designations.get(org, d).await;
            errors.reference("designation_id", "designation", found)?;
        }
        Ok(errors)
    }
}

fn summaries(roles: &[Role]) -> Vec<RoleSummary> {
    let mut v: Vec<RoleSummary> = roles.iter().map(RoleSummary::from).collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// `403` unless the caller holds every permission `roles` grant.
fn ensure_grantable(actor: &Actor, roles: &[Role]) -> Result<(), DomainError> {
    ensure_held(actor, &effective_permissions(roles))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::organization::Organization;
    use crate::identity::password::{PasswordHash, PlainPassword};
    use crate::identity::permissions::CATALOGUE;
    use crate::identity::test_support::*;
    use crate::kernel::money::Currency;

    fn svc(env: Env) -> (UserService, Probe) {
        let (ports, probe) = env.build();
        (UserService::new(ports, AuthSettings::default()), probe)
    }

    fn admin(org: OrganizationId) -> Actor {
        Actor::new(
            UserId::new(),
            org,
            CATALOGUE.iter().map(|p| p.code.to_string()),
        )
    }

    fn create_input(password: Option<&str>) -> CreateUserInput {
        CreateUserInput {
            name: "Bo Chen".into(),
            email: "bo@example.com".into(),
            password: password.map(PlainPassword::from),
            role_ids: None,
            department_id: None,
            designation_id: None,
        }
    }

    #[tokio::test]
    async fn creating_without_a_password_invites_by_mail() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let employee = role(org, EMPLOYEE_ROLE, true, &["users:read:own"]);
        let employee_id = employee.id;
        env.roles
            .expect_find_by_name()
            .withf(move |o, n| *o == org && n == EMPLOYEE_ROLE)
            .returning(move |_, _| Ok(Some(employee.clone())));
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.organizations.expect_get().returning(|o| {
            let mut x = Organization::new("Acme".into(), Currency::parse("USD").unwrap(), now());
            x.id = o;
            Ok(x)
        });
        env.users
            .expect_create()
            .withf(move |_, u| {
                u.status == UserStatus::Invited
                    && u.password_hash.is_none()
                    && u.organization_id == org
            })
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles
            .expect_set_user_roles()
            .withf(move |_, o, _, r| *o == org && r == [employee_id])
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        env.codes
            .expect_issue()
            .withf(|_, c| c.purpose == CodePurpose::Invitation)
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        let user = svc.create(&admin(org), create_input(None)).await.unwrap();
        assert_eq!(user.status, UserStatus::Invited);
        assert!(probe.committed());
        assert_eq!(probe.mails()[0].subject, "invitation to Acme");
        assert_eq!(probe.audit()[0].action, "created");
    }

    #[tokio::test]
    async fn creating_with_a_password_activates_at_once_without_mail() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.roles.expect_get_many().returning(|_, _| Ok(vec![]));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        env.users
            .expect_create()
            .withf(|_, u| u.status == UserStatus::Active)
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        let input = CreateUserInput {
            role_ids: Some(vec![]),
            ..create_input(Some("a good password"))
        };
        svc.create(&admin(org), input).await.unwrap();
        assert!(probe.mails().is_empty());
    }

    #[tokio::test]
    async fn create_checks_permission_fields_references_and_duplicates() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        env.roles.expect_get_many().returning(|_, _| Ok(vec![]));
        env.departments
            .expect_get()
            .returning(|_, _| Err(StoreError::NotFound));
        env.designations
            .expect_get()
            .returning(|_, _| Err(StoreError::NotFound));
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(user(org, "bo@example.com", UserStatus::Active))));
        let (svc, probe) = svc(env);
        let hr = actor(org, &["users:read"]);
        assert!(matches!(
            svc.create(&hr, create_input(None)).await,
            Err(DomainError::Forbidden { .. })
        ));
        let bad = CreateUserInput {
            name: "".into(),
            email: "x".into(),
            password: Some("short".into()),
            role_ids: Some(vec![RoleId::new()]),
            department_id: Some(DepartmentId::new()),
            designation_id: Some(DesignationId::new()),
        };
        let DomainError::Invalid(errors) = svc.create(&admin(org), bad).await.unwrap_err() else {
            panic!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "email",
                "password",
                "role_ids",
                "department_id",
                "designation_id"
            ]
        );
        let taken = CreateUserInput {
            role_ids: Some(vec![]),
            ..create_input(None)
        };
        let err = svc.create(&admin(org), taken).await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Conflict {
                code: "email-taken",
                ..
            }
        ));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn deactivation_bumps_the_token_stamp_and_revokes_sessions() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let target = user(org, "bo@example.com", UserStatus::Active);
        let (tid, version) = (target.id, target.version);
        env.users
            .expect_get_for_update()
            .withf(move |_, o, u| *o == org && *u == tid)
            .returning(move |_, _, _| Ok(target.clone()));
        env.users
            .expect_update()
            .withf(move |_, u, expected| {
                u.status == UserStatus::Deactivated
                    && u.tokens_valid_after == Some(now())
                    && *expected == version
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_revoke_all_for_user()
            .withf(move |_, o, u, except, _| *o == org && *u == tid && except.is_none())
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let me = admin(org);
        let out = svc.deactivate(&me, tid).await.unwrap();
        assert_eq!(out.status, UserStatus::Deactivated);
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "deactivated");
        let own = svc.deactivate(&me, me.user_id).await.unwrap_err();
        assert!(matches!(
            own,
            DomainError::Conflict {
                code: "cannot-deactivate-self",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn users_of_another_organization_are_404_and_missing_permission_403() {
        let mut env = Env::new();
        let mine = OrganizationId::new();
        let theirs = user(OrganizationId::new(), "x@example.com", UserStatus::Active).id;
        env.users
            .expect_get()
            .withf(move |o, u| *o == mine && *u == theirs)
            .returning(|_, _| Err(StoreError::NotFound));
        env.users
            .expect_get_for_update()
            .withf(move |_, o, u| *o == mine && *u == theirs)
            .returning(|_, _, _| Err(StoreError::NotFound));
        let (svc, _) = svc(env);
        assert_eq!(
            svc.get(&admin(mine), theirs).await.unwrap_err(),
            DomainError::NotFound
        );
        assert_eq!(
            svc.deactivate(&admin(mine), theirs).await.unwrap_err(),
            DomainError::NotFound
        );
        let own_only = actor(mine, &["users:read:own"]);
        assert_eq!(
            svc.get(&own_only, theirs).await.unwrap_err(),
            DomainError::NotFound
        );
        let nobody = actor(mine, &[]);
        assert!(matches!(
            svc.get(&nobody, theirs).await,
            Err(DomainError::Forbidden { .. })
        ));
        assert!(matches!(
            svc.deactivate(&own_only, theirs).await,
            Err(DomainError::Forbidden { .. })
        ));
    }

    #[tokio::test]
    async fn a_user_may_rename_themself_but_nothing_more() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let me_user = user(org, "ann@example.com", UserStatus::Active);
        let me = Actor::new(me_user.id, org, ["users:read:own".to_string()]);
        env.users
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(me_user.clone()));
        env.users
            .expect_update()
            .withf(|_, u, _| u.name.as_str() == "Ann B. Lee")
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let renamed = svc
            .update(
                &me,
                me.user_id,
                Some(3),
                UserPatch {
                    name: Some("Ann B. Lee".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.version, 4);
        assert!(probe.committed());
        let email = UserPatch {
            email: Some("new@example.com".into()),
            ..Default::default()
        };
        assert!(matches!(
            svc.update(&me, me.user_id, None, email).await,
            Err(DomainError::Forbidden { .. })
        ));
        let stale = UserPatch {
            name: Some("Other".into()),
            ..Default::default()
        };
        assert_eq!(
            svc.update(&me, me.user_id, Some(2), stale)
                .await
                .unwrap_err(),
            DomainError::Stale
        );
    }

    #[tokio::test]
    async fn roles_cannot_escalate_and_an_admin_keeps_their_own_admin_role() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let target = user(org, "bo@example.com", UserStatus::Active);
        let tid = target.id;
        let admin_role = role(org, ADMIN_ROLE, true, &[]);
        let sales = role(org, "sales", true, &["leads:read:own"]);
        let (admin_id, sales_id) = (admin_role.id, sales.id);
        env.users
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(target.clone()));
        let all = [admin_role.clone(), sales.clone()];
        env.roles.expect_get_many().returning(move |_, ids| {
            Ok(all
                .iter()
                .filter(|r| ids.contains(&r.id))
                .cloned()
                .collect())
        });
        let current_admin = admin_role.clone();
        env.roles
            .expect_roles_of_user_in_tx()
            .returning(move |_, _, _| Ok(vec![current_admin.clone()]));
        env.roles
            .expect_set_user_roles()
            .withf(move |_, _, u, r| *u == tid && r == [sales_id])
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (svc, probe) = svc(env);

        // An HR user with users:write cannot hand out admin, nor demote an admin.
        let hr = actor(org, &["users:write", "users:read", "leads:read:own"]);
        let err = svc.set_roles(&hr, tid, vec![admin_id]).await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Forbidden {
                code: "permission-escalation",
                ..
            }
        ));
        assert!(matches!(
            svc.set_roles(&hr, tid, vec![sales_id]).await,
            Err(DomainError::Forbidden { .. })
        ));
        // An admin can; unknown ids are 422.
        let boss = admin(org);
        assert_eq!(
            svc.set_roles(&boss, tid, vec![sales_id, sales_id])
                .await
                .unwrap()[0]
                .name,
            "sales"
        );
        assert!(probe.committed());
        assert!(matches!(
            svc.set_roles(&boss, tid, vec![RoleId::new()]).await,
            Err(DomainError::Invalid(_))
        ));
        // An admin cannot drop their own admin role.
        let self_admin = Actor::new(tid, org, CATALOGUE.iter().map(|p| p.code.to_string()));
        let err = svc
            .set_roles(&self_admin, tid, vec![sales_id])
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            DomainError::Conflict {
                code: "cannot-remove-own-admin",
                ..
            }
        ));
    }
}
