//! `/users`: members of the caller's organization.

use super::codes::CodePurpose;
use super::common::{
    check_version, effective_permissions, email_taken, ensure_held, hash_error, invalid, nullable,
    require, require_all, roles_changed, user_write_error,
};
use super::email::EmailAddress;
use super::model::{
    DepartmentId, DesignationId, PersonName, Role, RoleId, RoleSummary, User, UserStatus, audit,
};
use super::password::{NewPassword, PlainPassword};
use super::permissions::{ADMIN_ROLE, EMPLOYEE_ROLE};
use super::ports::IdentityPorts;
use super::settings::AuthSettings;
use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crate::kernel::validation::FieldError;
use serde::Deserialize;
use std::collections::BTreeSet;

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text).filter().sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`pending_verification`, `active`, `invited`, `deactivated`"),
    FieldSpec::new("department_id", FieldKind::Uuid).filter(),
    FieldSpec::new("designation_id", FieldKind::Uuid).filter(),
    // Users who never signed in match no range and sort first ascending.
    FieldSpec::new("last_login_at", FieldKind::Timestamp)
        .range()
        .sort()
        .nullable(),
];

/// `GET /users`: `q` searches name and email.
pub const USER_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /users`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Bo Chen",
    "email": "bo@acme.example",
    "role_ids": [
        "019bb138-11f4-78c9-a6ce-ab360512bd13"
    ],
    "department_id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "designation_id": "019bbbc0-4a60-70f3-83e1-b258fd724452"
})))]
pub struct CreateUserInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    /// With a password the user is active at once; without, invited by mail.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_new_password))]
    pub password: Option<PlainPassword>,
    /// Absent: the `employee` role. Present (even empty): exactly these.
    pub role_ids: Option<Vec<RoleId>>,
    pub department_id: Option<DepartmentId>,
    pub designation_id: Option<DesignationId>,
}

/// `PATCH /users/{id}`; absent fields stay, `null` clears the nullable ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Bo Chen-Martin",
    "designation_id": "019bbbc0-4a60-70f3-83e1-b258fd724452"
})))]
pub struct UserPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email_or_null))]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub designation_id: Option<Option<DesignationId>>,
}

impl UserPatch {
    /// Only the name: what any user may change on their own profile.
    fn is_name_only(&self) -> bool {
        self.email.is_none() && self.department_id.is_none() && self.designation_id.is_none()
    }
}

#[derive(Clone)]
pub struct UserService {
    p: IdentityPorts,
    settings: AuthSettings,
}

impl UserService {
    pub fn new(ports: IdentityPorts, settings: AuthSettings) -> Self {
        Self { p: ports, settings }
    }

    /// The organization's users with `users:read`; with only `users:read:own`, a page holding
    /// just the caller.
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<User>, DomainError> {
        match require(actor, "users", "read")? {
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
    pub async fn get(&self, actor: &Actor, id: UserId) -> Result<User, DomainError> {
        self.visible(actor, id)?;
        Ok(self.p.users.get(actor.organization_id, id).await?)
    }

    /// The roles of a visible user.
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
    pub async fn create(&self, actor: &Actor, input: CreateUserInput) -> Result<User, DomainError> {
        require_all(actor, "users", "write")?;
        let org = actor.organization_id;
        let name = PersonName::parse(&input.name).map_err(|e| e.into_field("name"));
        let email = EmailAddress::parse(&input.email).map_err(|e| e.into_field("email"));
        let password = input
            .password
            .as_ref()
            .map(|p| NewPassword::parse(p.expose()))
            .transpose()
            .map_err(|e| e.into_field("password"));
        let roles = self.resolve_roles(org, input.role_ids.as_deref()).await;
        let refs = self
            .check_refs(org, input.department_id, input.designation_id)
            .await?;
        let (name, email, password, roles) = match (name, email, password, roles) {
            (Ok(n), Ok(e), Ok(p), Ok(r)) if refs.is_empty() => (n, e, p, r),
            (n, e, p, r) => {
                let fields = [n.err(), e.err(), p.err(), r.err()];
                return Err(invalid(
                    fields.into_iter().chain(refs.into_iter().map(Some)),
                ));
            }
        };
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
        let by = Some(actor.user_id);
        self.p
            .record(
                &mut tx,
                audit(org, by, "user", user.id.0, "created", None, Some(&user)),
            )
            .await?;
        self.p
            .record(&mut tx, roles_changed(by, &user, &[], &role_ids))
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
    pub async fn update(
        &self,
        actor: &Actor,
        id: UserId,
        expected_version: Option<i64>,
        patch: UserPatch,
    ) -> Result<User, DomainError> {
        self.visible(actor, id)?;
        if !(id == actor.user_id && patch.is_name_only()) {
            require_all(actor, "users", "write")?;
        }
        let org = actor.organization_id;
        // The department and designation the patch names are looked up before the
        // transaction, on the pool (a read waiting for a second connection while holding the
        // transaction's could exhaust the pool); their errors count only if they are a change,
        // which the locked user tells.
        let department_errors = match patch.department_id {
            Some(d @ Some(_)) => self.check_refs(org, d, None).await?,
            _ => Vec::new(),
        };
        let designation_errors = match patch.designation_id {
            Some(d @ Some(_)) => self.check_refs(org, None, d).await?,
            _ => Vec::new(),
        };
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.users.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors: Vec<Option<FieldError>> = Vec::new();
        if let Some(raw) = &patch.name {
            match PersonName::parse(raw) {
                Ok(n) => next.name = n,
                Err(e) => errors.push(Some(e.into_field("name"))),
            }
        }
        if let Some(raw) = &patch.email {
            match EmailAddress::parse(raw) {
                Ok(e) => next.email = e,
                Err(e) => errors.push(Some(e.into_field("email"))),
            }
        }
        if let Some(d) = patch.department_id {
            next.department_id = d;
        }
        if let Some(d) = patch.designation_id {
            next.designation_id = d;
        }
        if next.department_id != current.department_id {
            errors.extend(department_errors.into_iter().map(Some));
        }
        if next.designation_id != current.designation_id {
            errors.extend(designation_errors.into_iter().map(Some));
        }
        if errors.iter().any(Option::is_some) {
            return Err(invalid(errors));
        }
        if next == current {
            return Ok(current);
        }
        let now = self.p.clock.now();
        let next = User {
            updated_at: now,
            version: current.version + 1,
            ..next
        };
        // A taken email is caught by the unique key on the update itself.
        self.p
            .users
            .update(&mut tx, &next, current.version)
            .await
            .map_err(user_write_error)?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "user",
            id.0,
            "updated",
            Some(&current),
            Some(&next),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Switches a user off; needs `users:delete`. Their refresh tokens are revoked and their
    /// live access tokens die at once (`tokens_valid_after` = now). Idempotent. `409` for the
    /// caller themself, so an organization cannot lose its last admin this way.
    pub async fn deactivate(&self, actor: &Actor, id: UserId) -> Result<User, DomainError> {
        require_all(actor, "users", "delete")?;
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
        let entry = audit(
            org,
            Some(actor.user_id),
            "user",
            id.0,
            "deactivated",
            Some(&current),
            Some(&next),
        );
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Switches a deactivated user back on (`active`, or `invited` when they never set a
    /// password); needs `users:delete`. Tokens from before the deactivation stay dead.
    /// Idempotent for users that are not deactivated.
    pub async fn reactivate(&self, actor: &Actor, id: UserId) -> Result<User, DomainError> {
        require_all(actor, "users", "delete")?;
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
        let entry = audit(
            org,
            Some(actor.user_id),
            "user",
            id.0,
            "reactivated",
            Some(&current),
            Some(&next),
        );
        self.p.record(&mut tx, entry).await?;
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
    pub async fn set_roles(
        &self,
        actor: &Actor,
        id: UserId,
        role_ids: Vec<RoleId>,
    ) -> Result<Vec<RoleSummary>, DomainError> {
        require_all(actor, "users", "write")?;
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
        let roles = roles.map_err(|e| invalid([Some(e)]))?;
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
        match require(actor, "users", "read")? {
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

    /// One field error per referenced department or designation that is not of `org`.
    async fn check_refs(
        &self,
        org: OrganizationId,
        department: Option<DepartmentId>,
        designation: Option<DesignationId>,
    ) -> Result<Vec<FieldError>, DomainError> {
        let mut errors = Vec::new();
        if let Some(d) = department {
            match self.p.departments.get(org, d).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => errors.push(FieldError::new(
                    "department_id",
                    "not_found",
                    "no such department",
                )),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(d) = designation {
            match self.p.designations.get(org, d).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => errors.push(FieldError::new(
                    "designation_id",
                    "not_found",
                    "no such designation",
                )),
                Err(e) => return Err(e.into()),
            }
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
    use crate::identity::model::Organization;
    use crate::identity::password::PasswordHash;
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
