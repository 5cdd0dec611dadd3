//! Sessions: sign-in, refresh-token rotation and sign-out.

use super::AuthService;
use crate::identity::common::{hash_error, refresh_material};
use crate::identity::email::EmailAddress;
use crate::identity::model::{RefreshTokenId, TokenPair};
use crate::identity::password::PlainPassword;
use crate::identity::ports::{RotateOutcome, RotatedToken};
use crate::identity::users::UserStatus;
use crate::kernel::error::{DomainError, StoreError};
use serde::Deserialize;

/// `POST /auth/login`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "ann@acme.example",
    "password": "correct-horse-battery"
})))]
pub struct LoginInput {
    pub email: String,
    pub password: PlainPassword,
}

/// The one answer to every failed sign-in, whatever failed, so the response never tells
/// whether the address has an account.
fn bad_credentials() -> DomainError {
    DomainError::Unauthorized {
        code: "invalid-credentials",
        message: "email or password is incorrect".into(),
    }
}

fn bad_refresh_token() -> DomainError {
    DomainError::Unauthorized {
        code: "invalid-refresh-token",
        message: "the refresh token is invalid, expired or revoked".into(),
    }
}

impl AuthService {
    /// Signs in. Unknown email, missing password, wrong password, invited and deactivated
    /// accounts all answer the same `401 invalid-credentials`, after the same hashing work
    /// (an unknown address runs `verify_dummy`). The right password on an unverified account
    /// answers `403 email-not-verified`, which only the password's owner can learn.
    /// A hash the hasher flags `needs_rehash` is replaced with a fresh one. `503` when
    /// hashing is saturated.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, input: LoginInput) -> Result<TokenPair, DomainError> {
        // A malformed address cannot have an account: same path as an unknown one.
        let user = match EmailAddress::parse(&input.email) {
            Ok(email) => self.p.users.find_by_email(&email).await?,
            Err(_) => None,
        };
        let Some((mut user, hash)) = user.and_then(|u| u.password_hash.clone().map(|h| (u, h)))
        else {
            // No account (or no password yet): spend what a real check costs, then refuse alike.
            self.p
                .passwords
                .verify_dummy(&input.password)
                .await
                .map_err(hash_error)?;
            return Err(bad_credentials());
        };
        let check = self
            .p
            .passwords
            .verify(&input.password, &hash)
            .await
            .map_err(hash_error)?;
        if !check.matches {
            return Err(bad_credentials());
        }
        match user.status {
            UserStatus::Active => {}
            UserStatus::PendingVerification => {
                return Err(DomainError::Forbidden {
                    code: "email-not-verified",
                    message: "confirm your email address with the code we sent first".into(),
                });
            }
            UserStatus::Invited | UserStatus::Deactivated => return Err(bad_credentials()),
        }
        // The upgrade is opportunistic: when the pool is busy, the next sign-in retries. It is
        // computed before the transaction opens so no connection waits on the pool.
        let fresh = if check.needs_rehash {
            match self.p.passwords.hash(&input.password).await {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(user_id = %user.id, error = %e, "password rehash skipped");
                    None
                }
            }
        } else {
            None
        };
        let now = self.p.clock.now();
        let mut tx = self.p.tx.begin().await?;
        if let Some(fresh) = fresh {
            self.p
                .users
                .set_password_hash(&mut tx, user.organization_id, user.id, &fresh)
                .await?;
            user.password_hash = Some(fresh);
        }
        let pair = self
            .p
            .start_session(&self.settings, &mut tx, &user, now)
            .await?;
        tx.commit().await?;
        Ok(pair)
    }

    /// Exchanges a refresh token for a new pair; the presented token stops working. A token
    /// presented a second time revokes its whole family (both the thief's and the owner's
    /// sessions end). Unknown, revoked, expired or reused tokens, and tokens of users no
    /// longer active, answer `401 invalid-refresh-token`.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, DomainError> {
        if refresh_token.is_empty() {
            return Err(bad_refresh_token());
        }
        let now = self.p.clock.now();
        let presented = self.p.secrets.hash(&refresh_material(refresh_token));
        let raw = self.p.generator.refresh_token();
        let next = RotatedToken {
            id: RefreshTokenId::new(),
            token_hash: self.p.secrets.hash(&refresh_material(&raw)),
            created_at: now,
        };
        let mut tx = self.p.tx.begin().await?;
        match self
            .p
            .refresh_tokens
            .rotate(&mut tx, &presented, &next, now)
            .await?
        {
            RotateOutcome::Rotated {
                organization_id,
                user_id,
                family_id,
            } => {
                let user = match self
                    .p
                    .users
                    .get_in_tx(&mut tx, organization_id, user_id)
                    .await
                {
                    Ok(u) if u.status == UserStatus::Active => u,
                    Ok(_) | Err(StoreError::NotFound) => {
                        self.p
                            .refresh_tokens
                            .revoke_family(&mut tx, family_id, now)
                            .await?;
                        tx.commit().await?;
                        return Err(bad_refresh_token());
                    }
                    Err(e) => return Err(e.into()),
                };
                let pair = self.p.pair(&user, family_id, raw, now)?;
                tx.commit().await?;
                Ok(pair)
            }
            RotateOutcome::Reused { family_id } => {
                tracing::warn!(family_id = %family_id, "refresh token reuse; revoking its family");
                self.p
                    .refresh_tokens
                    .revoke_family(&mut tx, family_id, now)
                    .await?;
                tx.commit().await?;
                Err(bad_refresh_token())
            }
            RotateOutcome::Invalid => Err(bad_refresh_token()),
        }
    }

    /// Ends the session of `refresh_token` (its whole family). Always `Ok`, also for an
    /// unknown token: logging out twice is not an error.
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, refresh_token: &str) -> Result<(), DomainError> {
        if refresh_token.is_empty() {
            return Ok(());
        }
        let presented = self.p.secrets.hash(&refresh_material(refresh_token));
        let now = self.p.clock.now();
        let mut tx = self.p.tx.begin().await?;
        self.p
            .refresh_tokens
            .revoke_by_token(&mut tx, &presented, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::auth::testkit::*;
    use crate::identity::model::FamilyId;

    use crate::identity::password::PasswordHash;

    use crate::identity::ports::{HashError, PasswordCheck};

    use crate::identity::test_support::*;
    use crate::kernel::ids::OrganizationId;

    // ---- login ----------------------------------------------------------------------------

    fn login(email: &str, password: &str) -> LoginInput {
        LoginInput {
            email: email.into(),
            password: password.into(),
        }
    }

    #[tokio::test]
    async fn unknown_email_and_wrong_password_look_identical() {
        let mut env = Env::new();
        let known = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |e| Ok((e.as_str() == "ann@example.com").then(|| known.clone())));
        env.passwords
            .expect_verify_dummy()
            .times(2)
            .returning(|_| Ok(()));
        env.passwords
            .expect_verify()
            .times(1)
            .returning(matches(WRONG));
        let (svc, probe) = svc(env);

        let unknown = svc
            .login(login("zed@example.com", "whatever1"))
            .await
            .unwrap_err();
        let wrong = svc
            .login(login("ann@example.com", "whatever1"))
            .await
            .unwrap_err();
        let malformed = svc
            .login(login("not-an-email", "whatever1"))
            .await
            .unwrap_err();

        assert_eq!(unknown, wrong);
        assert_eq!(unknown, malformed);
        assert!(matches!(
            unknown,
            DomainError::Unauthorized {
                code: "invalid-credentials",
                ..
            }
        ));
        assert_eq!(probe.begins(), 0);
    }

    #[tokio::test]
    async fn the_right_password_signs_in() {
        let mut env = Env::new();
        let known = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (uid, oid, version) = (known.id, known.organization_id, known.version);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(known.clone())));
        env.passwords
            .expect_verify()
            .withf(|p, h| p.expose() == "correct horse" && h.as_str() == "$argon2id$stored")
            .returning(matches(OK));
        env.refresh_tokens
            .expect_create()
            .withf(move |_, t| t.user_id == uid)
            .times(1)
            .returning(|_, _| Ok(()));
        env.users
            .expect_record_sign_in()
            .withf(move |_, org, u, at| *org == oid && *u == uid && *at == now())
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let pair = svc
            .login(login("ANN@example.com ", "correct horse"))
            .await
            .unwrap();
        assert_eq!(pair.user.id, uid);
        assert_eq!(pair.user.last_login_at, Some(now()));
        assert_eq!(pair.user.version, version, "signing in is not an edit");
        assert!(pair.access_token.starts_with(&format!("at:{uid}:")));
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn unverified_account_with_the_right_password_is_403_email_not_verified() {
        let mut env = Env::new();
        let pending = user(
            OrganizationId::new(),
            "ann@example.com",
            UserStatus::PendingVerification,
        );
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(pending.clone())));
        let mut seq = mockall::Sequence::new();
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(OK));
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(WRONG));
        let (svc, _) = svc(env);
        let right = svc
            .login(login("ann@example.com", "correct horse"))
            .await
            .unwrap_err();
        assert!(matches!(
            right,
            DomainError::Forbidden {
                code: "email-not-verified",
                ..
            }
        ));
        // With a wrong password the account's state stays hidden.
        let wrong = svc
            .login(login("ann@example.com", "nope nope"))
            .await
            .unwrap_err();
        assert_eq!(code_of(&wrong), "invalid-credentials");
    }

    #[tokio::test]
    async fn deactivated_and_invited_accounts_cannot_sign_in() {
        let mut env = Env::new();
        let org = OrganizationId::new();
        let off = user(org, "off@example.com", UserStatus::Deactivated);
        let invited = user(org, "new@example.com", UserStatus::Invited);
        env.users.expect_find_by_email().returning(move |e| {
            Ok(Some(if e.as_str() == "off@example.com" {
                off.clone()
            } else {
                invited.clone()
            }))
        });
        env.passwords
            .expect_verify()
            .times(1)
            .returning(matches(OK));
        // The invited user has no hash yet: the dummy check keeps the timing equal.
        env.passwords
            .expect_verify_dummy()
            .times(1)
            .returning(|_| Ok(()));
        let (svc, _) = svc(env);
        for email in ["off@example.com", "new@example.com"] {
            let err = svc.login(login(email, "correct horse")).await.unwrap_err();
            assert_eq!(code_of(&err), "invalid-credentials", "{email}");
        }
    }

    #[tokio::test]
    async fn a_hash_that_needs_rehash_is_replaced_at_sign_in() {
        let mut env = Env::new();
        env.users
            .expect_record_sign_in()
            .returning(|_, _, _, _| Ok(()));
        let mut legacy = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        legacy.password_hash = Some(PasswordHash::new("$2b$10$legacy"));
        let (org, uid) = (legacy.organization_id, legacy.id);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(legacy.clone())));
        env.passwords
            .expect_verify()
            .returning(matches(PasswordCheck {
                matches: true,
                needs_rehash: true,
            }));
        env.passwords
            .expect_hash()
            .withf(|p| p.expose() == "short1")
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$fresh")));
        env.users
            .expect_set_password_hash()
            .withf(move |_, o, u, h| *o == org && *u == uid && h.as_str() == "$argon2id$fresh")
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        env.refresh_tokens.expect_create().returning(|_, _| Ok(()));
        let (svc, probe) = svc(env);
        // Legacy passwords shorter than today's policy still sign in: the policy is for new ones.
        let pair = svc.login(login("ann@example.com", "short1")).await.unwrap();
        assert_eq!(
            pair.user.password_hash,
            Some(PasswordHash::new("$argon2id$fresh"))
        );
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn a_busy_pool_refuses_fast_and_a_failed_rehash_does_not_block_sign_in() {
        let mut env = Env::new();
        env.users
            .expect_record_sign_in()
            .returning(|_, _, _, _| Ok(()));
        let known = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        env.users
            .expect_find_by_email()
            .returning(move |_| Ok(Some(known.clone())));
        let mut seq = mockall::Sequence::new();
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Err(HashError::Busy));
        env.passwords
            .expect_verify()
            .times(1)
            .in_sequence(&mut seq)
            .returning(matches(PasswordCheck {
                matches: true,
                needs_rehash: true,
            }));
        env.passwords
            .expect_hash()
            .times(1)
            .returning(|_| Err(HashError::Busy));
        env.refresh_tokens
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, _) = svc(env);
        let busy = svc
            .login(login("ann@example.com", "correct horse"))
            .await
            .unwrap_err();
        assert!(matches!(busy, DomainError::Unavailable(_)));
        assert!(
            svc.login(login("ann@example.com", "correct horse"))
                .await
                .is_ok()
        );
    }

    // ---- refresh / logout -----------------------------------------------------------------

    #[tokio::test]
    async fn refresh_rotates_and_returns_a_new_pair_in_the_same_family() {
        let mut env = Env::new();
        let active = user(OrganizationId::new(), "ann@example.com", UserStatus::Active);
        let (org, uid) = (active.organization_id, active.id);
        let family = FamilyId::new();
        env.refresh_tokens
            .expect_rotate()
            .withf(|_, presented, next, t| {
                *presented == hashed("refresh:old-token")
                    && next.token_hash == hashed(&format!("refresh:{NEW_REFRESH}"))
                    && *t == now()
            })
            .times(1)
            .returning(move |_, _, _, _| {
                Ok(RotateOutcome::Rotated {
                    organization_id: org,
                    user_id: uid,
                    family_id: family,
                })
            });
        env.users
            .expect_get_in_tx()
            .withf(move |_, o, u| *o == org && *u == uid)
            .returning(move |_, _, _| Ok(active.clone()));
        let (svc, probe) = svc(env);
        let pair = svc.refresh("old-token").await.unwrap();
        assert_eq!(pair.refresh_token, NEW_REFRESH);
        assert_eq!(pair.access_token, format!("at:{uid}:{family}"));
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn reusing_a_retired_refresh_token_revokes_its_whole_family() {
        let mut env = Env::new();
        let family = FamilyId::new();
        env.refresh_tokens
            .expect_rotate()
            .returning(move |_, _, _, _| Ok(RotateOutcome::Reused { family_id: family }));
        env.refresh_tokens
            .expect_revoke_family()
            .withf(move |_, f, t| *f == family && *t == now())
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, probe) = svc(env);
        let err = svc.refresh("stolen").await.unwrap_err();
        assert!(matches!(
            err,
            DomainError::Unauthorized {
                code: "invalid-refresh-token",
                ..
            }
        ));
        assert!(
            probe.committed(),
            "the revocation must stick although the request fails"
        );
    }

    #[tokio::test]
    async fn invalid_tokens_and_tokens_of_deactivated_users_are_401() {
        let mut env = Env::new();
        let off = user(
            OrganizationId::new(),
            "off@example.com",
            UserStatus::Deactivated,
        );
        let (org, uid) = (off.organization_id, off.id);
        let family = FamilyId::new();
        let mut seq = mockall::Sequence::new();
        env.refresh_tokens
            .expect_rotate()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(RotateOutcome::Invalid));
        env.refresh_tokens
            .expect_rotate()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_, _, _, _| {
                Ok(RotateOutcome::Rotated {
                    organization_id: org,
                    user_id: uid,
                    family_id: family,
                })
            });
        env.users
            .expect_get_in_tx()
            .returning(move |_, _, _| Ok(off.clone()));
        env.refresh_tokens
            .expect_revoke_family()
            .withf(move |_, f, _| *f == family)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (svc, _) = svc(env);
        assert_eq!(
            code_of(&svc.refresh("unknown").await.unwrap_err()),
            "invalid-refresh-token"
        );
        assert_eq!(
            code_of(&svc.refresh("of-deactivated").await.unwrap_err()),
            "invalid-refresh-token"
        );
        assert_eq!(
            code_of(&svc.refresh("").await.unwrap_err()),
            "invalid-refresh-token"
        );
    }

    #[tokio::test]
    async fn logout_revokes_the_family_and_is_idempotent() {
        let mut env = Env::new();
        let mut seq = mockall::Sequence::new();
        env.refresh_tokens
            .expect_revoke_by_token()
            .withf(|_, h, _| *h == hashed("refresh:tok"))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(Some(FamilyId::new())));
        env.refresh_tokens
            .expect_revoke_by_token()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(None));
        let (svc, probe) = svc(env);
        svc.logout("tok").await.unwrap();
        svc.logout("tok").await.unwrap();
        assert!(probe.committed());
    }
}
