//! Codes and passwords: resending codes, forgotten and changed passwords.

use super::AuthService;
use crate::activity::audit;
use crate::identity::codes::{CodePurpose, OneTimeCode, code_material, invalid_code};
use crate::identity::common::{as_self, hash_error, user_write_error, with_password_change};
use crate::identity::email::EmailAddress;
use crate::identity::model::FamilyId;
use crate::identity::password::{NewPassword, PlainPassword};
use crate::identity::users::{User, UserStatus};
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::input::Errors;
use serde::Deserialize;

/// `POST /auth/reset-password`: a password-reset code, or an invitation code for an invited
/// user.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "ann@acme.example",
    "code": "482913",
    "new_password": "a-new-long-passphrase"
})))]
pub struct ResetPasswordInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::one_time_code))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::new_password))]
    pub new_password: PlainPassword,
}

/// `POST /auth/change-password`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "current_password": "correct-horse-battery",
    "new_password": "a-new-long-passphrase"
})))]
pub struct ChangePasswordInput {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 1))]
    pub current_password: PlainPassword,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::new_password))]
    pub new_password: PlainPassword,
}

impl AuthService {
    /// Mails a fresh verification code (or, to an invited user, a fresh invitation code).
    /// `Ok` (`202`) when the code was queued, and also for an unknown address or an account with
    /// nothing to verify; `429` within the send window of the address and purpose, for known
    /// and unknown addresses alike (see `IdentityPorts::check_send_window`). `422` only for a
    /// malformed address.
    #[tracing::instrument(skip_all)]
    pub async fn resend_code(&self, email: &str) -> Result<(), DomainError> {
        let mut errors = Errors::new();
        let email = errors.value("email", EmailAddress::parse(email));
        errors.finish()?;
        let user = self.p.users.find_by_email(&email).await?;
        let target = user.and_then(|user| match user.status {
            UserStatus::PendingVerification => Some((user, CodePurpose::EmailVerification)),
            UserStatus::Invited => Some((user, CodePurpose::Invitation)),
            UserStatus::Active | UserStatus::Deactivated => None,
        });
        self.send_code(&email, target, CodePurpose::EmailVerification)
            .await
    }

    /// Mails a password-reset code (an invitation code to an invited user, since that is what
    /// `reset_password` accepts from them). Answers as [`Self::resend_code`]: `Ok` when queued
    /// or when the address has no (active) account, `429` within the send window, `422` only
    /// for a malformed address.
    #[tracing::instrument(skip_all)]
    pub async fn forgot_password(&self, email: &str) -> Result<(), DomainError> {
        let mut errors = Errors::new();
        let email = errors.value("email", EmailAddress::parse(email));
        errors.finish()?;
        let user = self.p.users.find_by_email(&email).await?;
        let target = user.and_then(|user| match user.status {
            UserStatus::Active | UserStatus::PendingVerification => {
                Some((user, CodePurpose::PasswordReset))
            }
            UserStatus::Invited => Some((user, CodePurpose::Invitation)),
            UserStatus::Deactivated => None,
        });
        self.send_code(&email, target, CodePurpose::PasswordReset)
            .await
    }

    /// Sets a new password with a mailed code: a password-reset code, or the invitation code
    /// of an invited user. Invited and unverified users become `active` (the code proves the
    /// mailbox is theirs). Every refresh token of the user is revoked and access tokens issued
    /// before now die. `422` per bad field, `400` as for [`Self::verify_email`].
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(&self, input: ResetPasswordInput) -> Result<(), DomainError> {
        let mut errors = Errors::new();
        let email = errors.value("email", EmailAddress::parse(&input.email));
        let code = errors.value("code", OneTimeCode::parse(&input.code));
        let new_password = NewPassword::parse(input.new_password.expose());
        let password = errors.value("new_password", new_password);
        errors.finish()?;
        let Some(user) = self.p.users.find_by_email(&email).await? else {
            return Err(invalid_code());
        };
        let purpose = match user.status {
            UserStatus::Invited => CodePurpose::Invitation,
            UserStatus::Active | UserStatus::PendingVerification => CodePurpose::PasswordReset,
            UserStatus::Deactivated => return Err(invalid_code()),
        };
        let fresh = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
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
        let mut updated = user.touched(now);
        updated.password_hash = Some(fresh);
        updated.status = UserStatus::Active;
        updated.tokens_valid_after = Some(now);
        self.p
            .users
            .update(&mut tx, &updated, user.version)
            .await
            .map_err(user_write_error)?;
        self.p
            .refresh_tokens
            .revoke_all_for_user(&mut tx, user.organization_id, user.id, None, now)
            .await?;
        let action = if purpose == CodePurpose::Invitation {
            "invitation_accepted"
        } else {
            "password_reset"
        };
        let entry = audit::changed(&as_self(&user), action, &user, &updated);
        self.p.record(&mut tx, with_password_change(entry)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the caller's password after checking the current one (`422` on
    /// `current_password` when wrong, so a client does not mistake it for an expired session).
    ///
    /// Every other session is ended: all refresh-token families of the user except `session`
    /// (the caller's, from the access token's `sid`) are revoked. `tokens_valid_after` is
    /// deliberately *not* bumped: that would also kill the caller's own access token although
    /// the answer (`204`) carries no new one; other sessions lose their refresh token now and
    /// their access token within its short lifetime (15 minutes). A suspected compromise is
    /// better served by reset or deactivation, which do bump it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn change_password(
        &self,
        actor: &Actor,
        session: Option<FamilyId>,
        input: ChangePasswordInput,
    ) -> Result<(), DomainError> {
        let mut errors = Errors::new();
        if input.current_password.is_empty() {
            errors.add(
                "current_password",
                "required",
                "current_password is required",
            );
        }
        let new_password = NewPassword::parse(input.new_password.expose());
        let password = errors.value("new_password", new_password);
        errors.finish()?;
        let user = self.caller(actor).await?;
        let matches = match &user.password_hash {
            Some(h) => {
                self.p
                    .passwords
                    .verify(&input.current_password, h)
                    .await
                    .map_err(hash_error)?
                    .matches
            }
            None => false,
        };
        if !matches {
            return Err(DomainError::invalid(
                "current_password",
                "incorrect",
                "the current password is incorrect",
            ));
        }
        let fresh = self
            .p
            .passwords
            .hash(password.as_plain())
            .await
            .map_err(hash_error)?;
        let now = self.p.clock.now();
        let mut updated = user.touched(now);
        updated.password_hash = Some(fresh);
        let mut tx = self.p.tx.begin().await?;
        self.p
            .users
            .update(&mut tx, &updated, user.version)
            .await
            .map_err(user_write_error)?;
        self.p
            .refresh_tokens
            .revoke_all_for_user(&mut tx, user.organization_id, user.id, session, now)
            .await?;
        let entry = audit::changed(actor, "password_changed", &user, &updated);
        self.p.record(&mut tx, with_password_change(entry)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The send window first, whoever asks; then the code and its mail for `target`, or, when
    /// there is no one to mail, a record of the request under `fallback` so that it holds the
    /// window exactly as a mail would.
    async fn send_code(
        &self,
        email: &EmailAddress,
        target: Option<(User, CodePurpose)>,
        fallback: CodePurpose,
    ) -> Result<(), DomainError> {
        let now = self.p.clock.now();
        let purpose = target.as_ref().map_or(fallback, |(_, p)| *p);
        self.p
            .check_send_window(&self.settings, email, purpose, now)
            .await?;
        let Some((user, purpose)) = target else {
            self.p.codes.record_request(email, purpose, now).await?;
            return Ok(());
        };
        let mut tx = self.p.tx.begin().await?;
        self.p
            .issue_code(&self.settings, &mut tx, &user, purpose, None, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::auth::testkit::*;
    use crate::identity::codes::{ConsumeOutcome, RecentSend};
    use crate::identity::organization::Organization;
    use crate::kernel::money::Currency;

    use crate::identity::password::PasswordHash;

    use crate::identity::test_support::*;
    use crate::kernel::ids::OrganizationId;
    use chrono::Duration;

    // ---- resend / forgot ------------------------------------------------------------------

    fn sent(purpose: CodePurpose, secs_ago: i64, holds_window: bool) -> RecentSend {
        RecentSend {
            purpose,
            at: now() - Duration::seconds(secs_ago),
            holds_window,
        }
    }

    #[tokio::test]
    async fn requests_without_an_account_mail_nothing_but_hold_the_window() {
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.codes
            .expect_recent_sends()
            .withf(|_, since| *since == now() - Duration::hours(1))
            .returning(|_, _| Ok(vec![]));
        env.codes
            .expect_record_request()
            .withf(|e, p, at| {
                e.as_str() == "nobody@example.com"
                    && *p == CodePurpose::EmailVerification
                    && *at == now()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.codes
            .expect_record_request()
            .withf(|_, p, _| *p == CodePurpose::PasswordReset)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        svc.resend_code("nobody@example.com").await.unwrap();
        svc.forgot_password("nobody@example.com").await.unwrap();
        assert_eq!(probe.begins(), 0);
        assert!(probe.mails().is_empty());
        assert!(matches!(
            svc.resend_code("bad").await,
            Err(DomainError::Invalid(_))
        ));

        // Within the window an unknown address is refused as a known one is.
        let mut env = Env::new();
        env.users.expect_find_by_email().returning(|_| Ok(None));
        env.codes
            .expect_recent_sends()
            .returning(|_, _| Ok(vec![sent(CodePurpose::EmailVerification, 15, true)]));
        env.codes.expect_record_request().never();
        let (service, _) = self::svc(env);
        assert_eq!(
            service.resend_code("nobody@example.com").await.unwrap_err(),
            DomainError::RateLimited {
                retry_after_secs: 45
            }
        );
    }

    /// A pending user whose address saw `recent` code requests in the last hour.
    fn pending_env(recent: Vec<RecentSend>) -> Env {
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
            .expect_recent_sends()
            .returning(move |_, _| Ok(recent.clone()));
        env
    }

    #[tokio::test]
    async fn resend_is_429_within_the_window_or_over_the_hourly_cap() {
        use CodePurpose::{EmailVerification as V, PasswordReset as R};
        let refused = [
            (vec![sent(V, 10, true)], 50),
            (vec![sent(V, 59, true), sent(V, 5, false)], 1),
            (
                vec![
                    sent(V, 3000, true),
                    sent(R, 2000, true),
                    sent(V, 900, true),
                    sent(R, 300, true),
                    sent(V, 200, false),
                ],
                600,
            ),
        ];
        for (recent, secs) in refused {
            let mut env = pending_env(recent.clone());
            env.codes.expect_issue().never();
            let (svc, probe) = svc(env);
            assert_eq!(
                svc.resend_code("ann@example.com").await.unwrap_err(),
                DomainError::RateLimited {
                    retry_after_secs: secs
                },
                "{recent:?}"
            );
            assert!(probe.mails().is_empty());
        }
        // Another purpose's code, an old one, or one killed by its wrong tries: mailed at once.
        for recent in [
            vec![sent(R, 1, true)],
            vec![sent(V, 61, true)],
            vec![sent(V, 20, false)],
        ] {
            let mut env = pending_env(recent.clone());
            env.codes
                .expect_issue()
                .withf(|_, c| c.purpose == CodePurpose::EmailVerification)
                .times(1)
                .returning(|_, _| Ok(()));
            let (svc, probe) = svc(env);
            svc.resend_code("ann@example.com").await.unwrap();
            assert_eq!(probe.mails().len(), 1, "{recent:?}");
            assert!(probe.committed());
        }
    }

    #[tokio::test]
    async fn resend_to_a_verified_account_mails_nothing_and_holds_the_window() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(active.clone())));
        env.codes.expect_recent_sends().returning(|_, _| Ok(vec![]));
        env.codes
            .expect_record_request()
            .withf(|_, p, _| *p == CodePurpose::EmailVerification)
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.codes.expect_issue().never();
        let (svc, probe) = svc(env);
        svc.resend_code("ann@example.com").await.unwrap();
        assert!(probe.mails().is_empty());
    }

    #[tokio::test]
    async fn forgot_password_mails_a_reset_code_or_a_fresh_invitation() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let active = user(org, "ann@example.com", UserStatus::Active);
        let invited = user(org, "new@example.com", UserStatus::Invited);
        env.users.expect_find_by_email().returning(move |e| {
            Ok(Some(if e.as_str() == "ann@example.com" {
                active.clone()
            } else {
                invited.clone()
            }))
        });
        // A verification code mailed a moment ago (as at registration) holds its own purpose
        // only: the reset code goes at once.
        env.codes
            .expect_recent_sends()
            .returning(|_, _| Ok(vec![sent(CodePurpose::EmailVerification, 1, true)]));
        env.codes.expect_issue().times(2).returning(|_, _| Ok(()));
        env.organizations
            .expect_get()
            .withf(move |o| *o == org)
            .returning(move |_| {
                let mut o =
                    Organization::new("Acme".into(), Currency::parse("EUR").unwrap(), now());
                o.id = org;
                Ok(o)
            });
        let (svc, probe) = svc(env);
        svc.forgot_password("ann@example.com").await.unwrap();
        svc.forgot_password("new@example.com").await.unwrap();
        let subjects: Vec<String> = probe.mails().into_iter().map(|m| m.subject).collect();
        assert_eq!(subjects, vec!["password_reset", "invitation to Acme"]);
    }

    // ---- reset / change password ----------------------------------------------------------

    #[tokio::test]
    async fn an_invitation_code_sets_the_password_activates_and_revokes_everything() {
        let mut env = Env::new();
        let invited = user(
            OrganizationId::new(),
            "new@example.com",
            UserStatus::Invited,
        );
        let (org, uid) = (invited.organization_id, invited.id);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(invited.clone())));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$chosen")));
        env.codes
            .expect_consume()
            .withf(move |_, u, p, h, _| {
                *u == uid && *p == CodePurpose::Invitation && *h == code_hash_for(uid, *p)
            })
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Consumed));
        env.users
            .expect_update()
            .withf(|_, u, _| {
                u.status == UserStatus::Active
                    && u.tokens_valid_after == Some(now())
                    && u.password_hash == Some(PasswordHash::new("$argon2id$chosen"))
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_revoke_all_for_user()
            .withf(move |_, o, u, except, _| *o == org && *u == uid && except.is_none())
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let input = ResetPasswordInput {
            email: "new@example.com".into(),
            code: CODE.into(),
            new_password: "a brand new one".into(),
        };
        svc.reset_password(input).await.unwrap();
        assert!(probe.committed());
        let entry = &probe.audit()[0];
        assert_eq!(entry.action, "invitation_accepted");
        let pw = entry
            .changes
            .iter()
            .find(|c| c.field == "password")
            .unwrap();
        assert_eq!(pw.after, "[redacted]");
    }

    #[tokio::test]
    async fn a_wrong_reset_code_changes_nothing_but_the_attempt_count() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(active.clone())));
        env.passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("h")));
        env.codes
            .expect_consume()
            .withf(|_, _, p, _, _| *p == CodePurpose::PasswordReset)
            .returning(|_, _, _, _, _| Ok(ConsumeOutcome::Wrong { attempts_left: 4 }));
        let (svc, probe) = svc(env);
        let input = ResetPasswordInput {
            email: "ann@example.com".into(),
            code: "000000".into(),
            new_password: "a brand new one".into(),
        };
        let err = svc.reset_password(input).await.unwrap_err();
        assert_eq!(code_of(&err), "invalid-code");
        assert!(probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn change_password_checks_the_current_one_and_ends_other_sessions() {
        let mut env = Env::new();
        let me = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (org, uid) = (me.organization_id, me.id);
        let caller = Actor::new(uid, org, Vec::<String>::new());
        let session = FamilyId::new();
        env.users
            .expect_get()
            .withf(move |o, u| *o == org && *u == uid)
            .returning(move |_, _| Ok(me.clone()));
        let mut seq = mockall::Sequence::new();
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(WRONG));
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(OK));
        env.passwords
            .expect_hash()
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$next")));
        env.users
            .expect_update()
            .withf(|_, u, _| {
                u.password_hash == Some(PasswordHash::new("$argon2id$next"))
                    && u.tokens_valid_after.is_none()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.refresh_tokens
            .expect_revoke_all_for_user()
            .withf(move |_, o, u, except, _| *o == org && *u == uid && *except == Some(session))
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let input = || ChangePasswordInput {
            current_password: "old password".into(),
            new_password: "new password".into(),
        };

        let err = svc
            .change_password(&caller, Some(session), input())
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Invalid(ref e) if e[0].field == "current_password"));
        svc.change_password(&caller, Some(session), input())
            .await
            .unwrap();
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].action, "password_changed");
    }
}
