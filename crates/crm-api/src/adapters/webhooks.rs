//! The webhook adapters: the HTTP sender (reqwest, with the address guard in its resolver) and
//! the secret vault (ChaCha20-Poly1305 under a key derived from the server secret).

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use crm_domain::StoreError;
use crm_domain::webhooks::address::is_forbidden;
use crm_domain::webhooks::signing::KEY_BYTES;
use crm_domain::webhooks::{SecretVault, SendOutcome, TargetRefusal, WebhookSecret, WebhookSender};
use hmac::{Hmac, Mac};
use rand::RngCore;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Most of a receiver's answer that is read (then dropped): its body does not matter.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The whole attempt, connection included (contract: a `2xx` within 10 s).
const TOTAL_TIMEOUT: Duration = Duration::from_secs(crate::settings::WEBHOOK_ATTEMPT_SECS);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Installs ring as the process's rustls crypto provider (reqwest is built without one, and
/// sqlx and lettre use the same rustls). Idempotent.
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Resolves a host and refuses it when any of its addresses is internal: the addresses it
/// answers are the ones the connection uses, so DNS cannot change between check and connect.
#[derive(Clone, Copy)]
struct GuardedResolver {
    allow_private: bool,
}

async fn resolve_checked(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, TargetRefusal> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| TargetRefusal::Unresolvable(format!("cannot resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(TargetRefusal::Unresolvable(format!(
            "{host} has no address"
        )));
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
        return Err(TargetRefusal::Forbidden(format!(
            "{host} resolves to {}, a loopback, private or link-local address",
            bad.ip()
        )));
    }
    Ok(addrs)
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve_checked(&host, 0, allow)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
            let out: Addrs = Box::new(addrs.into_iter());
            Ok(out)
        })
    }
}

/// POSTs webhook bodies: no redirects, no proxies, connect and total timeouts, the answer
/// read up to 64 KiB, and every address checked first (in the resolver for names; here for
/// literal IP addresses, which no resolver sees).
#[derive(Clone)]
pub struct HttpWebhookSender {
    client: reqwest::Client,
    allow_private: bool,
}

impl HttpWebhookSender {
    pub fn new(allow_private: bool) -> Result<Self, String> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .user_agent(concat!("crm-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .build()
            .map_err(|e| format!("webhook HTTP client: {e}"))?;
        Ok(Self {
            client,
            allow_private,
        })
    }

    /// The url parsed, with a literal IP address checked.
    fn parse(&self, raw: &str) -> Result<url::Url, TargetRefusal> {
        let url = url::Url::parse(raw)
            .map_err(|e| TargetRefusal::Invalid(format!("not a valid url: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TargetRefusal::Invalid("url must be http or https".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetRefusal::Invalid(
                "url must not carry credentials".into(),
            ));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(TargetRefusal::Invalid("url has no host".into())),
        };
        if let Some(ip) = ip
            && !self.allow_private
            && is_forbidden(ip)
        {
            return Err(TargetRefusal::Forbidden(format!(
                "{ip} is a loopback, private or link-local address"
            )));
        }
        Ok(url)
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn check_target(&self, raw: &str) -> Result<(), TargetRefusal> {
        let url = self.parse(raw)?;
        if let Some(url::Host::Domain(host)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            resolve_checked(host, port, self.allow_private).await?;
        }
        Ok(())
    }

    async fn send(&self, raw: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> SendOutcome {
        let url = match self.parse(raw) {
            Ok(u) => u,
            Err(e) => return SendOutcome::Failed(e.to_string()),
        };
        let mut req = self.client.post(url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let mut res = match req.body(body).send().await {
            Ok(r) => r,
            Err(e) => return SendOutcome::Failed(describe(&e)),
        };
        let status = res.status().as_u16();
        // Read a little of the answer so the connection can be reused, then drop the rest.
        let mut read = 0usize;
        while read < MAX_RESPONSE_BYTES {
            match res.chunk().await {
                Ok(Some(c)) => read += c.len(),
                _ => break,
            }
        }
        SendOutcome::Answered(status)
    }
}

/// The cause of a failed send, without the url (it may carry a token in its query).
fn describe(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        if inner.downcast_ref::<TargetRefusal>().is_some() {
            return inner.to_string();
        }
        cause = inner;
    }
    if e.is_timeout() {
        "no answer within 10 s".into()
    } else if e.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        format!("request failed: {cause}")
    }
}

/// Webhook secrets at rest: ChaCha20-Poly1305 under a key derived from the server secret, a
/// random nonce per seal, stored as `v1:<base64 nonce ‖ ciphertext>`. A stolen database alone
/// does not give the signing keys away. Changing the server secret makes stored secrets
/// unreadable: rotate each webhook's secret after it.
#[derive(Clone)]
pub struct SealedSecrets {
    cipher: ChaCha20Poly1305,
}

impl SealedSecrets {
    pub fn new(server_secret: &SecretString) -> Self {
        use sha2::Digest;
        const LABEL: &[u8] = b"crm/webhook-secret/v1";
        let secret = server_secret.expose_secret().as_bytes();
        // HMAC-SHA256(server secret, label): a key of its own, so the JWT key never encrypts.
        // HMAC takes keys of any length; the SHA-256 branch only avoids a panic path.
        let key = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(LABEL);
                mac.finalize().into_bytes()
            }
            Err(_) => Sha256::new()
                .chain_update(LABEL)
                .chain_update(secret)
                .finalize(),
        };
        Self {
            cipher: ChaCha20Poly1305::new(&key),
        }
    }
}

/// A sender that refuses everything, for a server whose HTTP client could not be built (it
/// logs why at start); webhook creation answers `422` on `url` and deliveries fail visibly.
pub struct UnavailableSender(pub String);

#[async_trait]
impl WebhookSender for UnavailableSender {
    async fn check_target(&self, _url: &str) -> Result<(), TargetRefusal> {
        Err(TargetRefusal::Invalid(self.0.clone()))
    }

    async fn send(&self, _url: &str, _h: Vec<(String, String)>, _b: Vec<u8>) -> SendOutcome {
        SendOutcome::Failed(self.0.clone())
    }
}

impl SecretVault for SealedSecrets {
    fn generate(&self) -> WebhookSecret {
        let mut key = vec![0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut key);
        WebhookSecret::from_key(key)
    }

    fn seal(&self, secret: &WebhookSecret) -> Result<String, StoreError> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), secret.key())
            .map_err(|_| StoreError::Unexpected("cannot seal a webhook secret".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("v1:{}", STANDARD.encode(out)))
    }

    fn open(&self, sealed: &str) -> Result<WebhookSecret, StoreError> {
        let bad = || StoreError::Unexpected("a webhook secret cannot be opened".into());
        let raw = sealed
            .strip_prefix("v1:")
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or_else(bad)?;
        if raw.len() < 12 {
            return Err(bad());
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| bad())?;
        let key = self
            .cipher
            .decrypt(&Nonce::from(nonce), ct)
            .map_err(|_| bad())?;
        Ok(WebhookSecret::from_key(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_the_same_server_secret_only() {
        let a = SealedSecrets::new(&SecretString::from("server-secret-one-long-enough-000000"));
        let b = SealedSecrets::new(&SecretString::from("server-secret-two-long-enough-000000"));
        let s = a.generate();
        assert_eq!(s.key().len(), KEY_BYTES);
        let sealed = a.seal(&s).unwrap();
        assert!(!sealed.contains(&STANDARD.encode(s.key())));
        assert_eq!(a.open(&sealed).unwrap(), s);
        assert!(b.open(&sealed).is_err());
        // A fresh nonce each time.
        assert_ne!(a.seal(&s).unwrap(), sealed);
        assert!(a.open("v1:AAAA").is_err());
    }

    #[tokio::test]
    async fn private_targets_are_refused_unless_allowed() {
        let strict = HttpWebhookSender::new(false).unwrap();
        for url in [
            "http://127.0.0.1:9/x",
            "http://[::1]/x",
            "http://localhost/x",
            "http://169.254.169.254/latest",
            "http://10.0.0.1/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(
                matches!(
                    strict.check_target(url).await,
                    Err(TargetRefusal::Forbidden(_))
                ),
                "{url}"
            );
            assert!(
                matches!(
                    strict.send(url, vec![], vec![]).await,
                    SendOutcome::Failed(_)
                ),
                "{url}"
            );
        }
        assert!(matches!(
            strict.check_target("ftp://example.com/").await,
            Err(TargetRefusal::Invalid(_))
        ));
        assert!(matches!(
            strict.check_target("http://no-such-host.invalid/").await,
            Err(TargetRefusal::Unresolvable(_))
        ));
        let open = HttpWebhookSender::new(true).unwrap();
        assert_eq!(open.check_target("http://127.0.0.1:9/x").await, Ok(()));
        assert_eq!(open.check_target("http://localhost/x").await, Ok(()));
    }
}
