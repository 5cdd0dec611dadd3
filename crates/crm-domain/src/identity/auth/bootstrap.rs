//! The first administrator: `crm admin create` and `CRM__BOOTSTRAP__*`.

use super::{AuthService, founded, new_user};
use crate::activity::audit::Audited;
use crate::activity::{NewActivity, change_entry};
use crate::identity::common::{hash_error, roles_changed, user_write_error};
use crate::identity::email::EmailAddress;
use crate::identity::model::{PersonName, required_text};
use crate::identity::organization::Organization;
use crate::identity::password::{NewPassword, PlainPassword};
use crate::identity::permissions::ADMIN_ROLE;
use crate::identity::users::{User, UserStatus};
use crate::kernel::error::DomainError;
use crate::kernel::input::Errors;
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
    #[tracing::instrument(skip_all)]
    pub async fn bootstrap_admin(
        &self,
        input: BootstrapAdminInput,
    ) -> Result<BootstrapOutcome, DomainError> {
        let mut errors = Errors::new();
        let name = errors.value("name", PersonName::parse(&input.name));
        let email = errors.value("email", EmailAddress::parse(&input.email));
        let password = errors.value("password", NewPassword::parse(input.password.expose()));
        let org_name = required_text(
            &input.organization_name,
            "organization",
            Organization::NAME_MAX,
        );
        let org_name = errors.value("organization", org_name);
        errors.finish()?;
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
        let mut tx = self.p.tx.begin().await?;
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
                let (org, roles, admin) = founded(org_name, now)?;
                self.p.organizations.create(&mut tx, &org).await?;
                self.p.record(&mut tx, system_created(&org, &org)).await?;
                for role in &roles {
                    self.p.roles.create(&mut tx, role).await?;
                    self.p.record(&mut tx, system_created(&org, role)).await?;
                }
                (org, admin)
            }
        };
        let user = new_user(org.id, name, email, hash, UserStatus::Active, now);
        self.p
            .users
            .create(&mut tx, &user)
            .await
            .map_err(user_write_error)?;
        self.p
            .roles
            .set_user_roles(&mut tx, org.id, user.id, &[admin])
            .await?;
        self.p.record(&mut tx, system_created(&org, &user)).await?;
        self.p
            .record(&mut tx, roles_changed(None, &user, &[], &[admin]))
            .await?;
        tx.commit().await?;
        Ok(BootstrapOutcome::Created(user))
    }
}

/// The audit entry of a record the bootstrap created: a system change, without an actor.
fn system_created<T: Audited>(org: &Organization, record: &T) -> NewActivity {
    let id = record.entity_id();
    change_entry(org.id, None, T::ENTITY, id, "created", None, Some(record))
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
