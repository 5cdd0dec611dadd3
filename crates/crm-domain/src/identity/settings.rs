//! Tunables of sign-up and sign-in, read from `CRM__AUTH__*`.

use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// How long a mailed code stays valid, from its creation.
    pub code_ttl_minutes: u32,
    /// Wrong tries before a code is dead.
    pub max_code_attempts: u32,
    /// Minimum gap between two codes mailed to one address.
    pub resend_cooldown_secs: u64,
    /// At most this many codes to one address within any hour.
    pub resend_hourly_cap: u32,
    /// Absolute lifetime of a refresh-token family, from sign-in; rotation does not extend it.
    pub refresh_ttl_days: u32,
    /// `false` turns `POST /auth/register` off (`403`).
    pub open_registration: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            code_ttl_minutes: 10,
            max_code_attempts: 5,
            resend_cooldown_secs: 60,
            resend_hourly_cap: 5,
            refresh_ttl_days: 30,
            open_registration: true,
        }
    }
}
