//! One-time codes (email verification, password reset, invitation): their shape, their storage
//! records and how a consumption attempt ends.

use super::email::EmailAddress;
use super::model::{ValueError, VerificationCodeId};
use crate::kernel::error::DomainError;
use crate::kernel::ids::{OrganizationId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Six decimal digits, as mailed and as typed back. `Default` (empty) only stands in for a code
/// that failed to parse (see [`crate::kernel::input::Errors`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    pub const LEN: usize = 6;

    /// Accepts exactly six ASCII digits, ignoring surrounding whitespace (codes get pasted).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let t = raw.trim();
        if t.len() == Self::LEN && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_string()))
        } else {
            Err(ValueError::new("invalid", "code must be 6 digits"))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode([redacted])")
    }
}

/// What a code is for. A code only ever works for the purpose it was issued for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePurpose {
    EmailVerification,
    PasswordReset,
    Invitation,
}

impl CodePurpose {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
            Self::Invitation => "invitation",
        }
    }
}

impl fmt::Display for CodePurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CodePurpose {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email_verification" => Ok(Self::EmailVerification),
            "password_reset" => Ok(Self::PasswordReset),
            "invitation" => Ok(Self::Invitation),
            _ => Err(ValueError::new(
                "invalid",
                format!("unknown code purpose {s}"),
            )),
        }
    }
}

/// A code to store. Only its keyed hash is kept; the clear code leaves in the mail only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVerificationCode {
    pub id: VerificationCodeId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    /// Kept with the code so resend caps can be counted per address.
    pub email: EmailAddress,
    pub purpose: CodePurpose,
    pub code_hash: super::ports::SecretHash,
    pub created_at: DateTime<Utc>,
    /// `created_at` + the configured lifetime, fixed at issue so a later change of the setting
    /// does not stretch codes already mailed.
    pub expires_at: DateTime<Utc>,
    /// Wrong tries allowed before the code is dead, fixed at issue for the same reason.
    pub max_attempts: u32,
}

/// One earlier code request for an address, as the send window sees it: a mailed code, or a
/// request that mailed nothing (unknown address, nothing to send).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentSend {
    pub purpose: CodePurpose,
    pub at: DateTime<Utc>,
    /// `false` for a code killed by its wrong tries: it no longer holds the window of its
    /// purpose (the next request mails a fresh code at once), though it still counts towards
    /// the hourly cap.
    pub holds_window: bool,
}

/// How long a request for a `purpose` code to an address must wait, in whole seconds (rounded
/// up), given the address's requests of the last hour; `None` when a code may go now.
///
/// The rules (contract §3): one code per address per purpose within `cooldown_secs` (a dead
/// code excepted), and at most `hourly_cap` requests per address within any hour, whatever
/// their purpose. Requests that mailed nothing count as mails did, so the answer is the same
/// for addresses with and without an account.
pub fn send_wait(
    recent: &[RecentSend],
    purpose: CodePurpose,
    now: DateTime<Utc>,
    cooldown_secs: u64,
    hourly_cap: u32,
) -> Option<u64> {
    let secs_until = |t: DateTime<Utc>| {
        let ms = (t - now).num_milliseconds();
        u64::try_from(ms)
            .ok()
            .filter(|ms| *ms > 0)
            .map(|ms| ms.div_ceil(1000))
    };
    let cooldown =
        chrono::Duration::seconds(i64::try_from(cooldown_secs).unwrap_or(i64::MAX / 1000));
    let window = recent
        .iter()
        .filter(|r| r.purpose == purpose && r.holds_window)
        .map(|r| r.at)
        .max()
        .and_then(|last| secs_until(last + cooldown));
    let hour = chrono::Duration::hours(1);
    let mut in_hour: Vec<DateTime<Utc>> = recent
        .iter()
        .map(|r| r.at)
        .filter(|at| *at + hour > now)
        .collect();
    in_hour.sort();
    let cap = usize::try_from(hourly_cap).unwrap_or(usize::MAX);
    // Over the cap: wait until enough of the hour's requests age out to leave room for one.
    let capped = (in_hour.len() >= cap)
        .then(|| in_hour.get(in_hour.len() - cap).copied())
        .flatten()
        .and_then(|t| secs_until(t + hour))
        .or_else(|| (cap == 0).then_some(3600));
    window.into_iter().chain(capped).max()
}

/// How one attempt to use a code ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// The code matched and is now used; no other attempt can consume it.
    Consumed,
    /// The code did not match; the attempt was counted. `attempts_left == 0` means the code is
    /// now dead.
    Wrong { attempts_left: u32 },
    /// The live code is past its lifetime.
    Expired,
    /// The live code already took its maximum of wrong tries.
    Exhausted,
    /// No live code for this user and purpose: never issued, already used (including by a
    /// concurrent request a moment ago) or replaced by a newer one.
    Missing,
}

impl ConsumeOutcome {
    /// The answer to a failed attempt: `400` with a code that says why, so a client can offer
    /// "send a new code" when that is the only way forward. `None` for [`Self::Consumed`].
    pub fn into_error(self) -> Option<DomainError> {
        let (code, message) = match self {
            Self::Consumed => return None,
            Self::Wrong { attempts_left: 0 } => (
                "code-exhausted",
                "the code is wrong and no tries are left; request a new code".to_string(),
            ),
            Self::Wrong { attempts_left } => (
                "invalid-code",
                format!("the code is wrong; {attempts_left} tries left"),
            ),
            Self::Expired => (
                "code-expired",
                "the code has expired; request a new code".to_string(),
            ),
            Self::Exhausted => (
                "code-exhausted",
                "too many wrong tries; request a new code".to_string(),
            ),
            Self::Missing => return Some(invalid_code()),
        };
        Some(DomainError::BadRequest { code, message })
    }
}

/// The answer when no code can match (unknown address, nothing issued, already used). It is
/// also what an unknown address gets, so the two are indistinguishable.
pub(crate) fn invalid_code() -> DomainError {
    DomainError::BadRequest {
        code: "invalid-code",
        message: "the code is wrong, used or expired".to_string(),
    }
}

/// The string that is keyed-hashed for a code: bound to the user and the purpose, so a code
/// row copied to another user or purpose never matches.
pub(crate) fn code_material(user: UserId, purpose: CodePurpose, code: &OneTimeCode) -> String {
    format!("code:{}:{}:{}", purpose.as_str(), user, code.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(OneTimeCode::parse(" 012345 ").unwrap().expose(), "012345");
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "12 345"] {
            assert!(OneTimeCode::parse(bad).is_err(), "{bad:?}");
        }
        assert!(!format!("{:?}", OneTimeCode::parse("654321").unwrap()).contains("654321"));
    }

    #[test]
    fn purposes_round_trip() {
        for p in [
            CodePurpose::EmailVerification,
            CodePurpose::PasswordReset,
            CodePurpose::Invitation,
        ] {
            assert_eq!(p.as_str().parse::<CodePurpose>().unwrap(), p);
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::json!(p.as_str())
            );
        }
    }

    #[test]
    fn every_failed_outcome_is_a_400() {
        let code_of = |o: ConsumeOutcome| match o.into_error() {
            Some(DomainError::BadRequest { code, .. }) => code,
            other => panic!("{o:?} gave {other:?}"),
        };
        assert_eq!(
            code_of(ConsumeOutcome::Wrong { attempts_left: 3 }),
            "invalid-code"
        );
        assert_eq!(
            code_of(ConsumeOutcome::Wrong { attempts_left: 0 }),
            "code-exhausted"
        );
        assert_eq!(code_of(ConsumeOutcome::Expired), "code-expired");
        assert_eq!(code_of(ConsumeOutcome::Exhausted), "code-exhausted");
        assert_eq!(code_of(ConsumeOutcome::Missing), "invalid-code");
        assert!(ConsumeOutcome::Consumed.into_error().is_none());
    }

    #[test]
    fn the_send_window_is_per_purpose_and_released_by_a_dead_code() {
        let now = Utc::now();
        let ago = |s: i64| now - chrono::Duration::seconds(s);
        let sent = |purpose, secs, holds_window| RecentSend {
            purpose,
            at: ago(secs),
            holds_window,
        };
        let (v, r) = (CodePurpose::EmailVerification, CodePurpose::PasswordReset);
        assert_eq!(send_wait(&[], v, now, 60, 5), None);
        // A verification code mailed 10 s ago holds verification, not password reset.
        assert_eq!(send_wait(&[sent(v, 10, true)], v, now, 60, 5), Some(50));
        assert_eq!(send_wait(&[sent(v, 10, true)], r, now, 60, 5), None);
        // The window is over after 60 s; a dead code never held it.
        assert_eq!(send_wait(&[sent(v, 60, true)], v, now, 60, 5), None);
        assert_eq!(send_wait(&[sent(v, 10, false)], v, now, 60, 5), None);
        // The newest live code decides; seconds round up.
        let ms = RecentSend {
            purpose: v,
            at: now - chrono::Duration::milliseconds(59_500),
            holds_window: true,
        };
        assert_eq!(send_wait(&[ms], v, now, 60, 5), Some(1));
        assert_eq!(
            send_wait(
                &[sent(v, 50, true), sent(v, 5, false), sent(v, 20, true)],
                v,
                now,
                60,
                5
            ),
            Some(40)
        );
        // A cooldown of 0 turns the window off.
        assert_eq!(send_wait(&[sent(v, 1, true)], v, now, 0, 5), None);
    }

    #[test]
    fn the_hourly_cap_counts_every_request_of_the_address() {
        let now = Utc::now();
        let at = |secs: i64, purpose| RecentSend {
            purpose,
            at: now - chrono::Duration::seconds(secs),
            holds_window: false,
        };
        let (v, r) = (CodePurpose::EmailVerification, CodePurpose::PasswordReset);
        let four = [at(3000, v), at(2000, r), at(1000, v), at(500, r)];
        assert_eq!(send_wait(&four, v, now, 60, 5), None);
        let five = [
            at(3000, v),
            at(2000, r),
            at(1000, v),
            at(500, r),
            at(100, v),
        ];
        // The oldest of the hour leaves it in 600 s.
        assert_eq!(send_wait(&five, r, now, 60, 5), Some(600));
        assert_eq!(send_wait(&five, r, now, 60, 4), Some(1600));
        // Requests older than an hour do not count.
        assert_eq!(send_wait(&[at(3600, v); 9], v, now, 60, 5), None);
    }

    #[test]
    fn material_binds_user_and_purpose() {
        let c = OneTimeCode::parse("123456").unwrap();
        let u = UserId::new();
        assert_ne!(
            code_material(u, CodePurpose::PasswordReset, &c),
            code_material(u, CodePurpose::Invitation, &c)
        );
        assert_ne!(
            code_material(u, CodePurpose::PasswordReset, &c),
            code_material(UserId::new(), CodePurpose::PasswordReset, &c)
        );
    }
}
