//! Sign-up: registration of a new organization and its first user, and the email check
//! that activates them.

use super::{AuthService, founded, new_user};
use crate::activity::audit;
use crate::identity::codes::{CodePurpose, OneTimeCode, code_material, invalid_code};
use crate::identity::common::{as_self, email_taken, hash_error, roles_changed, user_write_error};
use crate::identity::email::EmailAddress;
use crate::identity::model::{PersonName, TokenPair, required_text};
use crate::identity::organization::Organization;
use crate::identity::password::{NewPassword, PlainPassword};
use crate::identity::users::{User, UserStatus};
use crate::kernel::error::DomainError;
use crate::kernel::input::Errors;
use serde::Deserialize;

/// `POST /auth/register`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Ann Lee",
    "email": "ann@acme.example",
    "password": "correct-horse-battery",
    "organization_name": "Acme Trading"
})))]
pub struct RegisterInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::new_password))]
    pub password: PlainPassword,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub organization_name: Option<String>,
}

/// `POST /auth/verify-email`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "ann@acme.example",
    "code": "482913"
})))]
pub struct VerifyEmailInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::one_time_code))]
    pub code: String,
}

impl AuthService {
    /// Creates an organization, its system roles, its first user (`admin`, pending
    /// verification), the verification code and its mail, and their audit entries, in one
    /// transaction. `403 registration-closed` when sign-up is off, `422` per bad field,
    /// `409 email-taken` when the address has an account, `503` when hashing is saturated.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, input: RegisterInput) -> Result<User, DomainError> {
        if !self.settings.open_registration {
            return Err(DomainError::Forbidden {
                code: "registration-closed",
                message: "public registration is disabled".into(),
            });
        }
        let mut errors = Errors::new();
        let name = errors.value("name", PersonName::parse(&input.name));
        let email = errors.value("email", EmailAddress::parse(&input.email));
        let password = errors.value("password", NewPassword::parse(input.password.expose()));
        let org_name = input
            .organization_name
            .as_deref()
            .map(|raw| required_text(raw, "organization_name", Organization::NAME_MAX));
        let org_name = errors.value("organization_name", org_name.transpose());
        errors.finish()?;
        if self.p.users.find_by_email(&email).await?.is_some() {
            return Err(email_taken());
        }
        // Hash before the transaction opens: no connection is held while the pool works.
        let hash = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
        let org_name = org_name.unwrap_or_else(|| name.as_str().to_string());
        let (org, roles, admin) = founded(org_name, now)?;
        let user = new_user(
            org.id,
            name,
            email,
            hash,
            UserStatus::PendingVerification,
            now,
        );

        let mut tx = self.p.tx.begin().await?;
        self.p.organizations.create(&mut tx, &org).await?;
        for role in &roles {
            self.p.roles.create(&mut tx, role).await?;
        }
        // A concurrent registration with the same address loses here, on the unique index.
        self.p
            .users
            .create(&mut tx, &user)
            .await
            .map_err(user_write_error)?;
        self.p
            .roles
            .set_user_roles(&mut tx, org.id, user.id, &[admin])
            .await?;
        // Audit entries after the rows they name, so an actor reference is never dangling.
        let by = as_self(&user);
        self.p.record(&mut tx, audit::created(&by, &org)).await?;
        for role in &roles {
            self.p.record(&mut tx, audit::created(&by, role)).await?;
        }
        self.p.record(&mut tx, audit::created(&by, &user)).await?;
        self.p
            .record(&mut tx, roles_changed(Some(user.id), &user, &[], &[admin]))
            .await?;
        self.p
            .issue_code(
                &self.settings,
                &mut tx,
                &user,
                CodePurpose::EmailVerification,
                Some(&org.name),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Confirms the address with the mailed code: the user becomes `active` and is signed in.
    /// `422` for a malformed email or code; `400` (`invalid-code`, `code-expired`,
    /// `code-exhausted`) for an unknown address, a wrong, used, replaced or expired code.
    /// A wrong try is committed (it counts) even though the request fails.
    #[tracing::instrument(skip_all)]
    pub async fn verify_email(&self, input: VerifyEmailInput) -> Result<TokenPair, DomainError> {
        let mut errors = Errors::new();
        let email = errors.value("email", EmailAddress::parse(&input.email));
        let code = errors.value("code", OneTimeCode::parse(&input.code));
        errors.finish()?;
        let Some(user) = self.p.users.find_by_email(&email).await? else {
            return Err(invalid_code());
        };
        if user.status != UserStatus::PendingVerification {
            return Err(invalid_code());
        }
        let now = self.p.clock.now();
        let purpose = CodePurpose::EmailVerification;
        let hash = self.p.secrets.hash(&code_material(user.id, purpose, &code));
        let mut tx = self.p.tx.begin().await?;
        let outcome = self
            .p
            .codes
            .consume(&mut tx, user.id, purpose, &hash, now)
            .await?;
        if let Some(err) = outcome.into_error() {
            tx.commit().await?;
            return Err(err);
        }
        let mut verified = user.touched(now);
        verified.status = UserStatus::Active;
        self.p
            .users
            .update(&mut tx, &verified, user.version)
            .await
            .map_err(user_write_error)?;
        let entry = audit::changed(&as_self(&user), "email_verified", &user, &verified);
        self.p.record(&mut tx, entry).await?;
        let pair = self
            .p
            .start_session(&self.settings, &mut tx, &verified, now)
            .await?;
        tx.commit().await?;
        Ok(pair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::auth::testkit::*;
    use crate::identity::codes::ConsumeOutcome;
    use crate::kernel::error::StoreError;

    use crate::identity::password::PasswordHash;

    use crate::identity::ports::HashError;
    use crate::identity::settings::AuthSettings;
    use crate::identity::test_support::*;
    use crate::kernel::ids::OrganizationId;
    use chrono::Duration;

    // ---- register -------------------------------------------------------------------------

    #[tokio::test]
    async fn register_writes_everything_in_one_committed_transaction() {
        let mut env = Env::new();
        env.users
            .expect_find_by_email()
            .times(1)
            .returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .withf(|p| p.expose() == "correct horse")
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
        env.organizations
            .expect_create()
            .withf(|_, o| o.name == "Acme" && o.version == 1 && o.default_currency.code() == "USD")
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles
            .expect_create()
            .withf(|_, r| r.is_system)
            .times(6)
            .returning(|_, _| Ok(()));
        env.users
            .expect_create()
            .withf(|_, u| {
                u.status == UserStatus::PendingVerification
                    && u.email.as_str() == "ann@example.com"
                    && u.name.as_str() == "Ann Lee"
                    && u.password_hash == Some(PasswordHash::new("$argon2id$new"))
            })
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles
            .expect_set_user_roles()
            .withf(|_, _, _, roles| roles.len() == 1)
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        env.codes
            .expect_issue()
            .withf(|_, c| {
                c.purpose == CodePurpose::EmailVerification
                    && c.code_hash == code_hash_for(c.user_id, CodePurpose::EmailVerification)
                    && c.expires_at == now() + Duration::minutes(10)
                    && c.max_attempts == 5
                    && c.email.as_str() == "ann@example.com"
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);

        let user = svc.register(register_input()).await.unwrap();

        assert_eq!(user.status, UserStatus::PendingVerification);
        assert_eq!(probe.begins(), 1, "one transaction");
        assert!(probe.committed());
        let mails = probe.mails();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, "ann@example.com");
        assert!(mails[0].text.contains(CODE) && mails[0].subject == "verification");
        let audit = probe.audit();
        let kinds: Vec<(&str, &str)> = audit.iter().map(|a| (a.entity_type, a.action)).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == ("role", "created")).count(),
            6
        );
        assert!(kinds.contains(&("organization", "created")));
        assert!(kinds.contains(&("user", "created")));
        assert!(kinds.contains(&("user", "roles_changed")));
        assert!(
            audit
                .iter()
                .all(|a| a.organization_id == user.organization_id && a.actor_id == Some(user.id))
        );
        assert!(
            audit
                .iter()
                .flat_map(|a| &a.changes)
                .all(|c| c.field != "password_hash"),
            "the hash never reaches the log"
        );
    }

    #[tokio::test]
    async fn register_without_organization_name_names_it_after_the_person() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        env.organizations
            .expect_create()
            .withf(|_, o| o.name == "Ann Lee")
            .times(1)
            .returning(|_, _| Ok(()));
        env.roles.expect_create().returning(|_, _| Ok(()));
        env.users.expect_create().returning(|_, _| Ok(()));
        env.roles
            .expect_set_user_roles()
            .returning(|_, _, _, _| Ok(()));
        env.codes.expect_issue().returning(|_, _| Ok(()));
        let (svc, _) = svc(env);
        let input = RegisterInput {
            organization_name: None,
            ..register_input()
        };
        svc.register(input).await.unwrap();
    }

    #[tokio::test]
    async fn register_with_a_taken_email_is_a_409_before_any_write() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(user(org, "ann@example.com", UserStatus::Active))));
        let (svc, probe) = svc(env);
        let err = svc.register(register_input()).await.unwrap_err();
        assert_eq!(code_of(&err), "email-taken");
        assert!(matches!(err, DomainError::Conflict { .. }));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn register_losing_a_race_on_the_unique_email_is_a_409_and_rolls_back() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        env.organizations.expect_create().returning(|_, _| Ok(()));
        env.roles.expect_create().returning(|_, _| Ok(()));
        env.users.expect_create().returning(|_, _| {
            Err(StoreError::Conflict {
                constraint: "users_email_key".into(),
            })
        });
        let (svc, probe) = svc(env);
        let err = svc.register(register_input()).await.unwrap_err();
        assert_eq!(code_of(&err), "email-taken");
        assert!(!probe.committed());
        assert!(probe.mails().is_empty());
    }

    #[tokio::test]
    async fn register_is_403_when_sign_up_is_closed() {
        let (ports, _) = Env::new().build();
        let svc = AuthService::new(
            ports,
            AuthSettings {
                open_registration: false,
                ..AuthSettings::default()
            },
        );
        let err = svc.register(register_input()).await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Forbidden {
                code: "registration-closed",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn register_reports_every_bad_field() {
        let (svc, _) = svc(Env::new());
        let input = RegisterInput {
            name: "  ".into(),
            email: "nope".into(),
            password: "short".into(),
            organization_name: Some("".into()),
        };
        let DomainError::Invalid(errors) = svc.register(input).await.unwrap_err() else {
            panic!("expected 422")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["name", "email", "password", "organization_name"]
        );
    }

    #[tokio::test]
    async fn saturated_hashing_is_a_503() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.passwords
            .expect_hash()
            .returning(|_| Err(HashError::Busy));
        let (svc, probe) = svc(env);
        assert!(matches!(
            svc.register(register_input()).await.unwrap_err(),
            DomainError::Unavailable(_)
        ));
        assert_eq!(probe.begins(), 0);
    }

    // ---- verify-email ---------------------------------------------------------------------

    fn verify_input() -> VerifyEmailInput {
        VerifyEmailInput {
            email: "ann@example.com".into(),
            code: CODE.into(),
        }
    }

    #[tokio::test]
    async fn the_right_code_activates_and_signs_in() {
        let mut env = Env::new();
        let pending = user(
            OrganizationId::new(),
            "ann@example.com",
            UserStatus::PendingVerification,
        );
        let (uid, version) = (pending.id, pending.version);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(pending.clone())));
        env.codes
            .expect_consume()
            .withf(move |_, u, p, h, t| {
                *u == uid
                    && *p == CodePurpose::EmailVerification
                    && *h == code_hash_for(uid, *p)
                    && *t == now()
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Consumed));
        env.users
            .expect_update()
            .withf(move |_, u, expected| {
                u.status == UserStatus::Active
                    && u.version == version + 1
                    && *expected == version
                    && u.updated_at == now()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_create()
            .withf(move |_, t| {
                t.user_id == uid
                    && t.token_hash == hashed(&format!("refresh:{NEW_REFRESH}"))
                    && t.expires_at == now() + Duration::days(30)
            })
            .times(1)
            .returning(|_, _| Ok(()));
        env.users
            .expect_record_sign_in()
            .withf(move |_, _, u, at| *u == uid && *at == now())
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (svc, probe) = svc(env);

        let pair = svc.verify_email(verify_input()).await.unwrap();

        assert_eq!(pair.token_type, "Bearer");
        assert_eq!(pair.refresh_token, NEW_REFRESH);
        assert_eq!(pair.expires_in, 900);
        assert_eq!(pair.user.status, UserStatus::Active);
        assert_eq!(pair.user.last_login_at, Some(now()));
        assert_eq!(pair.user.version, version + 1);
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "email_verified");
    }

    #[tokio::test]
    async fn wrong_expired_and_exhausted_codes_are_400_and_the_attempt_is_kept() {
        let cases = [
            (ConsumeOutcome::Wrong { attempts_left: 2 }, "invalid-code"),
            (ConsumeOutcome::Wrong { attempts_left: 0 }, "code-exhausted"),
            (ConsumeOutcome::Expired, "code-expired"),
            (ConsumeOutcome::Exhausted, "code-exhausted"),
            (ConsumeOutcome::Missing, "invalid-code"),
        ];
        for (outcome, expected) in cases {
            let mut env = Env::new();
            let pending = user(
                OrganizationId::new(),
                "ann@example.com",
                UserStatus::PendingVerification,
            );
            env.users
                .expect_find_by_email()
                .returning(move |_| Ok(Some(pending.clone())));
            env.codes
                .expect_consume()
                .times(1)
                .returning(move |_, _, _, _, _| Ok(outcome));
            // No users.update / refresh_tokens.create expectations: calling them would fail.
            let (svc, probe) = svc(env);
            let err = svc.verify_email(verify_input()).await.unwrap_err();
            assert!(matches!(err, DomainError::BadRequest { .. }), "{outcome:?}");
            assert_eq!(code_of(&err), expected, "{outcome:?}");
            assert!(
                probe.committed(),
                "{outcome:?}: the counted attempt must be committed"
            );
        }
    }

    #[tokio::test]
    async fn two_concurrent_submits_of_the_right_code_give_one_success() {
        // The adapter's conditional update lets one consume win; the loser sees no live code.
        let mut env = Env::new();
        env.users
            .expect_record_sign_in()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let pending = user(
            OrganizationId::new(),
            "ann@example.com",
            UserStatus::PendingVerification,
        );
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(pending.clone())));
        let mut seq = mockall::Sequence::new();
        env.codes
            .expect_consume()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Consumed));
        env.codes
            .expect_consume()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Missing));
        env.users
            .expect_update()
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, _) = svc(env);
        let (a, b) = tokio::join!(
            svc.verify_email(verify_input()),
            svc.verify_email(verify_input())
        );
        let results = [a, b];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        let err = results.into_iter().find_map(Result::err).unwrap();
        assert_eq!(code_of(&err), "invalid-code");
    }

    #[tokio::test]
    async fn unknown_or_already_verified_addresses_get_the_same_400() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "bob@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |e| Ok((e.as_str() == "bob@example.com").then(|| active.clone())));
        let (svc, probe) = svc(env);
        let unknown = svc.verify_email(verify_input()).await.unwrap_err();
        let verified = svc
            .verify_email(VerifyEmailInput {
                email: "bob@example.com".into(),
                code: CODE.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(unknown, verified);
        assert_eq!(code_of(&unknown), "invalid-code");
        assert_eq!(probe.begins(), 0);
        let malformed = svc
            .verify_email(VerifyEmailInput {
                email: "x".into(),
                code: "12".into(),
            })
            .await;
        assert!(matches!(malformed, Err(DomainError::Invalid(ref e)) if e.len() == 2));
    }
}
