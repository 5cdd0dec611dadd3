//! Settings of the mail adapter, filled by the API crate from its layered configuration
//! (`CRM__MAIL__…`).

use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;

/// Which transport delivers mail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// A real SMTP server.
    Smtp,
    /// One `.eml` file per message in [`MailConfig::file_dir`], for development and tests.
    File,
    /// Only a log line per message; the body is dropped.
    #[default]
    Log,
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text. Only for a relay on the same host or a test server.
    None,
    /// Plain connection upgraded with `STARTTLS`, which the server must offer (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "SMTPS" (usually port 465).
    Tls,
}

impl TlsMode {
    /// The port servers conventionally use with this mode.
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// Settings of the SMTP transport.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// Credentials are sent only when this is set.
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: TlsMode,
    /// Limit for connecting, and for the whole SMTP exchange of one message.
    pub timeout_secs: u64,
}

impl SmtpConfig {
    /// Gmail with STARTTLS, as the original Node.js server used it (`EMAIL_USER` / `EMAIL_PASS`).
    /// Gmail accepts only an app password here, not the account password.
    pub fn gmail(username: impl Into<String>, app_password: impl Into<String>) -> Self {
        Self {
            host: "smtp.gmail.com".to_owned(),
            port: 587,
            username: Some(username.into()),
            password: Some(app_password.into()),
            tls: TlsMode::Starttls,
            timeout_secs: 30,
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: TlsMode::default().default_port(),
            username: None,
            password: None,
            tls: TlsMode::default(),
            timeout_secs: 30,
        }
    }
}

// Hand-written so that printing the settings (startup logs, panics) never shows the password.
impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("tls", &self.tls)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// Everything [`crate::build_mailer`] needs.
///
/// Deserializes from the shape of the `mail` settings section (`transport`, `from`, `smtp.*`,
/// `file.dir`), so the API crate can read `CRM__MAIL__…` straight into it; missing keys take
/// the [`Default`] values.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "MailSection")]
pub struct MailConfig {
    pub transport: TransportKind,
    /// The `From` of every message: `no-reply@example.com` or `Example CRM <no-reply@example.com>`.
    pub from: String,
    pub smtp: SmtpConfig,
    /// Where the file transport writes; created when missing.
    pub file_dir: PathBuf,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: TransportKind::default(),
            from: "CRM <no-reply@localhost>".to_owned(),
            smtp: SmtpConfig::default(),
            file_dir: PathBuf::from("data/mail"),
        }
    }
}

/// The settings layout: the file transport's folder is `mail.file.dir` there.
#[derive(Deserialize)]
#[serde(default)]
struct MailSection {
    transport: TransportKind,
    from: String,
    smtp: SmtpConfig,
    file: FileSection,
}

#[derive(Deserialize)]
#[serde(default)]
struct FileSection {
    dir: PathBuf,
}

impl Default for MailSection {
    fn default() -> Self {
        let cfg = MailConfig::default();
        Self {
            transport: cfg.transport,
            from: cfg.from,
            smtp: cfg.smtp,
            file: FileSection { dir: cfg.file_dir },
        }
    }
}

impl Default for FileSection {
    fn default() -> Self {
        Self {
            dir: MailConfig::default().file_dir,
        }
    }
}

impl From<MailSection> for MailConfig {
    fn from(s: MailSection) -> Self {
        Self {
            transport: s.transport,
            from: s.from,
            smtp: s.smtp,
            file_dir: s.file.dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let cfg = MailConfig {
            smtp: SmtpConfig::gmail("someone@gmail.com", "hunter2-secret"),
            ..MailConfig::default()
        };
        let printed = format!("{cfg:?} {cfg:#?}");
        assert!(!printed.contains("hunter2-secret"), "{printed}");
        assert!(printed.contains("[redacted]"));
        assert!(printed.contains("someone@gmail.com"));
    }

    #[test]
    fn debug_without_password_says_none() {
        let printed = format!("{:?}", SmtpConfig::default());
        assert!(printed.contains("password: None"), "{printed}");
    }

    #[test]
    fn deserializes_the_settings_section_layout() {
        let cfg: MailConfig = serde_json::from_value(serde_json::json!({
            "transport": "smtp",
            "from": "CRM <crm@example.com>",
            "smtp": {"host": "mail.example.com", "port": 2525, "tls": "none", "username": "u"},
            "file": {"dir": "/tmp/outbox"}
        }))
        .unwrap();
        assert_eq!(cfg.transport, TransportKind::Smtp);
        assert_eq!(cfg.from, "CRM <crm@example.com>");
        assert_eq!(cfg.smtp.host, "mail.example.com");
        assert_eq!(cfg.smtp.port, 2525);
        assert_eq!(cfg.smtp.tls, TlsMode::None);
        assert_eq!(cfg.smtp.username.as_deref(), Some("u"));
        assert_eq!(cfg.smtp.password, None);
        assert_eq!(cfg.smtp.timeout_secs, SmtpConfig::default().timeout_secs);
        assert_eq!(cfg.file_dir, PathBuf::from("/tmp/outbox"));
    }

    #[test]
    fn empty_section_gives_defaults() {
        let cfg: MailConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(cfg, MailConfig::default());
        assert_eq!(cfg.transport, TransportKind::Log);
    }
}
