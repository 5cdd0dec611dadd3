//! Codes and refresh tokens: drawn from a CSPRNG, stored only as keyed hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crm_domain::identity::{OneTimeCode, SecretGenerator, SecretHash, SecretHasher};
use hmac::{Hmac, Mac};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// HMAC-SHA256 under a key derived from the server secret: a stolen table of hashes is useless
/// without the key, and six-digit codes cannot be brute-forced offline.
#[derive(Clone)]
pub struct HmacSecretHasher {
    key: Vec<u8>,
}

impl HmacSecretHasher {
    pub fn new(server_secret: &SecretString) -> Self {
        // A derived key, so the JWT signing key itself never hashes anything else.
        let key = hmac_sha256(
            server_secret.expose_secret().as_bytes(),
            b"crm/secret-hash/v1",
        );
        Self { key }
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

impl SecretHasher for HmacSecretHasher {
    fn hash(&self, secret: &str) -> SecretHash {
        let digest = hmac_sha256(&self.key, secret.as_bytes());
        SecretHash::new(
            digest
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        )
    }
}

/// Secrets from the thread-local CSPRNG (ChaCha, seeded from the OS).
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomSecrets;

impl SecretGenerator for RandomSecrets {
    fn six_digit_code(&self) -> OneTimeCode {
        // Six digits always parse; the loop only avoids a panic path (the tests prove it exits).
        loop {
            let n: u32 = rand::rng().random_range(0..1_000_000);
            if let Ok(code) = OneTimeCode::parse(&format!("{n:06}")) {
                return code;
            }
        }
    }

    fn refresh_token(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_tokens_are_long_and_distinct() {
        let g = RandomSecrets;
        for _ in 0..1000 {
            let c = g.six_digit_code();
            assert_eq!(c.expose().len(), 6);
            assert!(c.expose().chars().all(|ch| ch.is_ascii_digit()));
        }
        let (a, b) = (g.refresh_token(), g.refresh_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn hashes_are_keyed() {
        let a = HmacSecretHasher::new(&SecretString::from("secret-one-long-enough-000000000000"));
        let b = HmacSecretHasher::new(&SecretString::from("secret-two-long-enough-000000000000"));
        assert_eq!(a.hash("123456"), a.hash("123456"));
        assert_ne!(a.hash("123456"), a.hash("123457"));
        assert_ne!(a.hash("123456"), b.hash("123456"));
        assert_eq!(a.hash("x").as_str().len(), 64);
    }
}
