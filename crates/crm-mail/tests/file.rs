//! The file mailer writes whole, parseable `.eml` files in sending order.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crm_domain::mail::{MailError, MailTemplates, OutgoingMail};
use crm_mail::{MailConfig, Templates, TransportKind, build_mailer};
use std::path::{Path, PathBuf};

/// A folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("crm-mail-test-{}", uuid::Uuid::now_v7())))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn file_config(dir: &Path) -> MailConfig {
    MailConfig {
        transport: TransportKind::File,
        from: "Acme CRM <crm@example.com>".into(),
        file_dir: dir.to_path_buf(),
        ..MailConfig::default()
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A small RFC 5322 reader: unfolded header fields, and the body after the blank line.
struct Parsed {
    headers: Vec<(String, String)>,
    body: String,
}

impl Parsed {
    fn parse(raw: &str) -> Self {
        let (head, body) = raw
            .split_once("\r\n\r\n")
            .expect("no blank line after the headers");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("continuation before any header");
                last.1.push(' ');
                last.1.push_str(line.trim());
            } else {
                let (name, value) = line.split_once(':').expect("header line without a colon");
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
        }
        Self {
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[tokio::test]
async fn writes_one_parseable_eml_per_message_in_sending_order() {
    let tmp = TempDir::new();
    let dir = tmp.0.join("nested").join("outbox");
    let mailer = build_mailer(&file_config(&dir)).unwrap();

    for n in 1..=3 {
        let mail = OutgoingMail {
            to: format!("user{n}@example.com"),
            subject: format!("Message {n}"),
            text: format!("Body of message {n}.\n"),
            html: None,
            attachments: Vec::new(),
        };
        mailer.send(&mail).await.unwrap();
    }

    let names = entries(&dir);
    assert_eq!(names.len(), 3, "{names:?}");
    for (i, name) in names.iter().enumerate() {
        assert!(name.ends_with(".eml") && !name.starts_with('.'), "{name}");
        let raw = std::fs::read_to_string(dir.join(name)).unwrap();
        let parsed = Parsed::parse(&raw);
        let n = i + 1;
        assert_eq!(
            parsed.header("To"),
            Some(format!("user{n}@example.com").as_str())
        );
        assert_eq!(
            parsed.header("Subject"),
            Some(format!("Message {n}").as_str())
        );
        assert_eq!(
            parsed.header("From"),
            Some("\"Acme CRM\" <crm@example.com>")
        );
        assert!(parsed.header("Date").is_some(), "{raw}");
        let id = parsed.header("Message-ID").unwrap();
        assert!(
            id.starts_with('<') && id.ends_with("@example.com>"),
            "{raw}"
        );
        assert!(
            parsed
                .header("Content-Type")
                .unwrap()
                .starts_with("text/plain"),
            "{raw}"
        );
        assert!(
            parsed.body.contains(&format!("Body of message {n}.")),
            "{raw}"
        );
    }
}

#[tokio::test]
async fn templated_mail_is_written_as_multipart_alternative() {
    let tmp = TempDir::new();
    let mailer = build_mailer(&file_config(&tmp.0)).unwrap();
    let mail = Templates::new("Acme CRM").verification_code("ann@example.com", "Ann", "482913", 10);

    mailer.send(&mail).await.unwrap();

    let names = entries(&tmp.0);
    assert_eq!(names.len(), 1, "{names:?}");
    let raw = std::fs::read_to_string(tmp.0.join(&names[0])).unwrap();
    let parsed = Parsed::parse(&raw);
    assert_eq!(parsed.header("To"), Some("ann@example.com"));
    assert_eq!(
        parsed.header("Subject"),
        Some("Your verification code: 482913")
    );
    assert!(
        parsed
            .header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"),
        "{raw}"
    );
    assert!(parsed.body.contains("Content-Type: text/plain"), "{raw}");
    assert!(parsed.body.contains("Content-Type: text/html"), "{raw}");
    assert!(parsed.body.contains("482913"), "{raw}");
}

#[tokio::test]
async fn unwritable_folder_is_temporary() {
    let tmp = TempDir::new();
    std::fs::create_dir_all(&tmp.0).unwrap();
    // A folder cannot be created below a regular file.
    let blocker = tmp.0.join("a-file");
    std::fs::write(&blocker, b"x").unwrap();
    let mailer = build_mailer(&file_config(&blocker.join("outbox"))).unwrap();

    let mail = OutgoingMail {
        to: "ann@example.com".into(),
        subject: "s".into(),
        text: "t".into(),
        html: None,
        attachments: Vec::new(),
    };
    let err = mailer.send(&mail).await.unwrap_err();

    assert!(matches!(err, MailError::Temporary(_)), "{err:?}");
}

#[tokio::test]
async fn malformed_recipient_is_permanent_and_writes_nothing() {
    let tmp = TempDir::new();
    let mailer = build_mailer(&file_config(&tmp.0)).unwrap();
    let mail = OutgoingMail {
        to: "no at sign".into(),
        subject: "s".into(),
        text: "t".into(),
        html: None,
        attachments: Vec::new(),
    };

    let err = mailer.send(&mail).await.unwrap_err();

    assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
    assert!(!tmp.0.exists() || entries(&tmp.0).is_empty());
}
