//! The first administrator: `crm admin create` and `CRM__BOOTSTRAP__*`.

use super::AuthService;
use crate::identity::common::{hash_error, invalid, roles_changed, seed_roles, user_write_error};
use crate::identity::email::EmailAddress;
use crate::identity::model::{Organization, PersonName, User, UserStatus, audit, required_text};
use crate::identity::password::{NewPassword, PlainPassword};
use crate::identity::permissions::ADMIN_ROLE;
use crate::kernel::error::DomainError;
use crate::kernel::ids::UserId;
use crate::kernel::money::Currency;
use serde::Deserialize;

/// `crm admin create` and `CRM__BOOTSTRAP__*`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BootstrapAdminInput {
    pub email: String,
    pub password: PlainPassword,
    pub name: String,
    pub organization_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootstrapOutcome {
    Created(User),
    /// A user with that email exists already; nothing was changed.
    AlreadyExists(User),
}

impl AuthService {
    /// Creates a verified `admin` in the organization named `organization_name` (created with
    /// its system roles when missing), unless a user with that email exists, which is reported
    /// and left alone (the server's start-up bootstrap is idempotent; the CLI reports it).
    /// Audited as a system change (no actor).
    pub async fn bootstrap_admin(
        &self,
        input: BootstrapAdminInput,
    ) -> Result<BootstrapOutcome, DomainError> {
        let name = PersonName::parse(&input.name).map_err(|e| e.into_field("name"));
        let email = EmailAddress::parse(&input.email).map_err(|e| e.into_field("email"));
        let password =
            NewPassword::parse(input.password.expose()).map_err(|e| e.into_field("password"));
        let org_name = required_text(
            &input.organization_name,
            "organization",
            Organization::NAME_MAX,
        )
        .map_err(|e| e.into_field("organization"));
        let (name, email, password, org_name) = match (name, email, password, org_name) {
            (Ok(n), Ok(e), Ok(p), Ok(o)) => (n, e, p, o),
            (n, e, p, o) => return Err(invalid([n.err(), e.err(), p.err(), o.err()])),
        };
        if let Some(existing) = self.p.users.find_by_email(&email).await? {
            return Ok(BootstrapOutcome::AlreadyExists(existing));
        }
        let hash = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
        let existing_org = self.p.organizations.find_by_name(&org_name).await?;
        let mut boxed = self.p.tx.begin().await?;
        let tx = &mut boxed;
        let (org, admin) = match existing_org {
            Some(org) => {
                let admin = self
                    .p
                    .roles
                    .find_by_name(org.id, ADMIN_ROLE)
                    .await?
                    .filter(|r| r.is_system)
                    .ok_or_else(|| {
                        DomainError::Unexpected(format!(
                            "organization {} has no admin role",
                            org.id
                        ))
                    })?;
                (org, admin.id)
            }
            None => {
                let currency =
                    Currency::parse("USD").map_err(|e| DomainError::Unexpected(e.to_string()))?;
                let org = Organization::new(org_name, currency, now);
                let roles = seed_roles(org.id, now);
                self.p.organizations.create(tx, &org).await?;
                self.p
                    .record(
                        tx,
                        audit(
                            org.id,
                            None,
                            "organization",
                            org.id.0,
                            "created",
                            None,
                            Some(&org),
                        ),
                    )
                    .await?;
                for role in &roles {
                    self.p.roles.create(tx, role).await?;
                    self.p
                        .record(
                            tx,
                            audit(org.id, None, "role", role.id.0, "created", None, Some(role)),
                        )
                        .await?;
                }
                let admin = roles
                    .iter()
                    .find(|r| r.name == ADMIN_ROLE)
                    .map(|r| r.id)
                    .ok_or_else(|| {
                        DomainError::Unexpected("no admin among the system roles".into())
                    })?;
                (org, admin)
            }
        };
        let user = User {
            id: UserId::new(),
            organization_id: org.id,
            name,
            email,
            password_hash: Some(hash),
            status: UserStatus::Active,
            department_id: None,
            designation_id: None,
            tokens_valid_after: None,
            last_login_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.p
            .users
            .create(tx, &user)
            .await
            .map_err(user_write_error)?;
        self.p
            .roles
            .set_user_roles(tx, org.id, user.id, &[admin])
            .await?;
        self.p
            .record(
                tx,
                audit(
                    org.id,
                    None,
                    "user",
                    user.id.0,
                    "created",
                    None,
                    Some(&user),
                ),
            )
            .await?;
        self.p
            .record(tx, roles_changed(None, &user, &[], &[admin]))
            .await?;
        boxed.commit().await?;
        Ok(BootstrapOutcome::Created(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::auth::testkit::*;

    use crate::identity::password::PasswordHash;

    use crate::identity::test_support::*;
    use crate::kernel::ids::OrganizationId;

    // ---- bootstrap ------------------------------------------------------------------------

    #[tokio::test]
    async fn bootstrap_creates_a_verified_admin_once() {
        let mut env = Env::new();
        let mut seq = mockall::Sequence::new();
        env.users
            .expect_find_by_email()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(None));
        let existing = user(
            OrganizationId::new(),
            "root@example.com",
            UserStatus::Active,
        );
        env.users
            .expect_find_by_email()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| Ok(Some(existing.clone())));
        env.passwords
            .expect_hash()
            .times(1)
            .returning(|_| Ok(PasswordHash::new("h")));
        env.organizations
            .expect_find_by_name()
            .withf(|n| n == "Default")
            .returning(|_| Ok(None));
        env.organizations
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles.expect_create().times(6).returning(|_, _| Ok(()));
        env.users
            .expect_create()
            .withf(|_, u| u.status == UserStatus::Active)
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles
            .expect_set_user_roles()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let input = BootstrapAdminInput {
            email: "root@example.com".into(),
            password: "bootstrap pw".into(),
            name: "Root".into(),
            organization_name: "Default".into(),
        };
        assert!(matches!(
            svc.bootstrap_admin(input.clone()).await.unwrap(),
            BootstrapOutcome::Created(_)
        ));
        assert!(probe.committed());
        assert!(probe.audit().iter().all(|a| a.actor_id.is_none()));
        assert!(matches!(
            svc.bootstrap_admin(input).await.unwrap(),
            BootstrapOutcome::AlreadyExists(_)
        ));
        assert_eq!(probe.begins(), 1);
    }
}
