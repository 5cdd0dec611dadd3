//! The SMTP mailer against a minimal SMTP server run inside the test.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crm_domain::mail::{MailError, OutgoingMail};
use crm_mail::{
    MailConfig, SmtpConfig, SmtpMailer, TlsMode, TransportKind, build_mailer, parse_from,
};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Accept,
    /// Answers every login with 535, as Gmail does for an account password.
    RefuseLogin,
    /// Answers every recipient with 550.
    RejectRecipient,
    /// Accepts the connection and never says anything.
    Silent,
}

#[derive(Debug, Default)]
struct Delivery {
    auth: Option<String>,
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

struct FakeSmtp {
    addr: SocketAddr,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
}

impl FakeSmtp {
    async fn start(behaviour: Behaviour, advertise_auth: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, deliveries) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = session(stream, behaviour, advertise_auth, tx).await;
                });
            }
        });
        Self { addr, deliveries }
    }

    async fn next_delivery(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(5), self.deliveries.recv())
            .await
            .expect("no delivery within 5s")
            .expect("server stopped")
    }
}

async fn session(
    stream: TcpStream,
    behaviour: Behaviour,
    advertise_auth: bool,
    tx: mpsc::UnboundedSender<Delivery>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut line = String::new();
    if behaviour == Behaviour::Silent {
        while lines.read_line(&mut line).await? > 0 {}
        return Ok(());
    }
    write.write_all(b"220 fake.test ESMTP ready\r\n").await?;
    let mut current = Delivery::default();
    let mut auth = None;
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let auth_line = if advertise_auth {
                "250-AUTH PLAIN LOGIN\r\n"
            } else {
                ""
            };
            format!("250-fake.test\r\n{auth_line}250 HELP\r\n")
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK\r\n".into()
        } else if upper.starts_with("RSET") {
            current = Delivery::default();
            "250 OK\r\n".into()
        } else if upper.starts_with("AUTH") {
            let mut parts = cmd.split_whitespace().skip(1);
            let mechanism = parts.next().unwrap_or_default().to_ascii_uppercase();
            let mut given = parts.next().map(str::to_owned);
            if mechanism == "LOGIN" {
                let mut collected = Vec::new();
                for prompt in ["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n"] {
                    write.write_all(prompt.as_bytes()).await?;
                    line.clear();
                    lines.read_line(&mut line).await?;
                    collected.push(line.trim_end().to_owned());
                }
                given = Some(collected.join(" "));
            } else if given.is_none() {
                write.write_all(b"334 \r\n").await?;
                line.clear();
                lines.read_line(&mut line).await?;
                given = Some(line.trim_end().to_owned());
            }
            auth = Some(format!("{mechanism} {}", given.unwrap_or_default()));
            if behaviour == Behaviour::RefuseLogin {
                "535 5.7.8 Username and Password not accepted\r\n".into()
            } else {
                "235 2.7.0 Accepted\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            current.mail_from = cmd["MAIL FROM:".len()..].to_owned();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            if behaviour == Behaviour::RejectRecipient {
                "550 5.1.1 No such user here\r\n".into()
            } else {
                current.rcpt_to.push(cmd["RCPT TO:".len()..].to_owned());
                "250 OK\r\n".into()
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                // Undo the dot-stuffing of RFC 5321 §4.5.2.
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            current.data = data;
            current.auth = auth.clone();
            let _ = tx.send(std::mem::take(&mut current));
            "250 2.0.0 queued\r\n".into()
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not recognized\r\n".into()
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

fn config(addr: SocketAddr, username: Option<&str>, password: Option<&str>) -> MailConfig {
    MailConfig {
        transport: TransportKind::Smtp,
        from: "Acme CRM <crm@example.com>".into(),
        smtp: SmtpConfig {
            host: addr.ip().to_string(),
            port: addr.port(),
            username: username.map(str::to_owned),
            password: password.map(str::to_owned),
            tls: TlsMode::None,
            timeout_secs: 1,
        },
        ..MailConfig::default()
    }
}

fn mail(to: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.into(),
        subject: "Your verification code: 123456".into(),
        text: "Hello Ann,\n\nyour code is 123456.\n".into(),
        html: Some("<p>Hello Ann, your code is <b>123456</b>.</p>".into()),
        attachments: Vec::new(),
    }
}

/// Collects what the crate logs while the returned guard lives (current-thread runtime only).
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = Buf(Arc::clone(&buf));
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    (buf, tracing::subscriber::set_default(subscriber))
}

fn logged(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

#[tokio::test]
async fn delivers_text_and_html_with_login() {
    let mut server = FakeSmtp::start(Behaviour::Accept, true).await;
    let mailer = build_mailer(&config(server.addr, Some("crm-user"), Some("s3cret-pw"))).unwrap();

    mailer
        .send(&mail("Ann Example <ann@example.com>"))
        .await
        .unwrap();

    let got = server.next_delivery().await;
    assert_eq!(got.mail_from, "<crm@example.com>");
    assert_eq!(got.rcpt_to, vec!["<ann@example.com>".to_owned()]);
    // AUTH PLAIN's initial response is base64("\0user\0password").
    assert_eq!(
        got.auth.as_deref(),
        Some("PLAIN AGNybS11c2VyAHMzY3JldC1wdw==")
    );
    let data = got.data;
    assert!(
        data.contains("From: \"Acme CRM\" <crm@example.com>\r\n"),
        "{data}"
    );
    assert!(
        data.contains("To: \"Ann Example\" <ann@example.com>\r\n"),
        "{data}"
    );
    assert!(
        data.contains("Subject: Your verification code: 123456\r\n"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: multipart/alternative;"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/plain; charset=utf-8"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/html; charset=utf-8"),
        "{data}"
    );
    assert!(data.contains("your code is 123456."), "{data}");
    assert!(data.contains("<b>123456</b>"), "{data}");
}

#[tokio::test]
async fn sends_plain_text_only_without_credentials() {
    let mut server = FakeSmtp::start(Behaviour::Accept, true).await;
    let mailer = build_mailer(&config(server.addr, None, None)).unwrap();

    let mut plain = mail("bob@example.com");
    plain.html = None;
    mailer.send(&plain).await.unwrap();

    let got = server.next_delivery().await;
    assert_eq!(got.auth, None, "no login without a username");
    assert!(
        got.data.contains("Content-Type: text/plain; charset=utf-8"),
        "{}",
        got.data
    );
    assert!(!got.data.contains("multipart"), "{}", got.data);
    assert!(got.data.contains("your code is 123456."), "{}", got.data);
}

#[tokio::test]
async fn reuses_the_mailer_for_several_messages() {
    let mut server = FakeSmtp::start(Behaviour::Accept, false).await;
    let mailer = build_mailer(&config(server.addr, None, None)).unwrap();
    for to in ["one@example.com", "two@example.com", "three@example.com"] {
        mailer.send(&mail(to)).await.unwrap();
        let got = server.next_delivery().await;
        assert_eq!(got.rcpt_to, vec![format!("<{to}>")]);
    }
}

#[tokio::test]
async fn refused_login_is_temporary_and_logs_the_app_password_hint() {
    let (logs, _guard) = capture_logs();
    let server = FakeSmtp::start(Behaviour::RefuseLogin, true).await;
    let mailer = build_mailer(&config(
        server.addr,
        Some("me@gmail.com"),
        Some("account-pw-42"),
    ))
    .unwrap();

    let err = mailer.send(&mail("ann@example.com")).await.unwrap_err();

    assert!(matches!(err, MailError::Temporary(_)), "{err:?}");
    let logs = logged(&logs);
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("SMTP login refused (535)"), "{logs}");
    assert!(logs.contains("app password"), "{logs}");
    assert!(
        !logs.contains("account-pw-42"),
        "the password leaked into the log: {logs}"
    );
    let cfg = config(server.addr, Some("me@gmail.com"), Some("account-pw-42"));
    let smtp = SmtpMailer::new(&cfg.smtp, parse_from(&cfg.from).unwrap()).unwrap();
    assert!(!format!("{smtp:?} {:?}", cfg).contains("account-pw-42"));
}

#[tokio::test]
async fn rejected_recipient_is_permanent() {
    let server = FakeSmtp::start(Behaviour::RejectRecipient, false).await;
    let mailer = build_mailer(&config(server.addr, None, None)).unwrap();

    let err = mailer.send(&mail("nobody@example.com")).await.unwrap_err();

    assert!(
        matches!(err, MailError::Permanent(ref m) if m.contains("550")),
        "{err:?}"
    );
}

#[tokio::test]
async fn nothing_listening_is_temporary_and_logs_the_reachability_hint() {
    let (logs, _guard) = capture_logs();
    // Bind and release a port so that nothing listens on it.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mailer = build_mailer(&config(addr, None, None)).unwrap();

    let err = mailer.send(&mail("ann@example.com")).await.unwrap_err();

    assert!(matches!(err, MailError::Temporary(_)), "{err:?}");
    let logs = logged(&logs);
    assert!(
        logs.contains(&format!(
            "SMTP server 127.0.0.1:{} is not reachable",
            addr.port()
        )),
        "{logs}"
    );
}

#[tokio::test]
async fn silent_server_times_out_as_temporary() {
    let server = FakeSmtp::start(Behaviour::Silent, false).await;
    let mailer = build_mailer(&config(server.addr, None, None)).unwrap();

    let started = Instant::now();
    let err = mailer.send(&mail("ann@example.com")).await.unwrap_err();

    assert!(matches!(err, MailError::Temporary(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn malformed_recipient_is_permanent() {
    let server = FakeSmtp::start(Behaviour::Accept, false).await;
    let mailer = build_mailer(&config(server.addr, None, None)).unwrap();

    for to in ["not-an-address", "", "a@b.com\r\nBcc: x@evil.test"] {
        let err = mailer.send(&mail(to)).await.unwrap_err();
        assert!(matches!(err, MailError::Permanent(_)), "{to:?}: {err:?}");
    }
}

#[tokio::test]
async fn line_breaks_in_the_subject_cannot_add_headers() {
    let mut server = FakeSmtp::start(Behaviour::Accept, false).await;
    let mailer = build_mailer(&config(server.addr, None, None)).unwrap();

    let mut m = mail("ann@example.com");
    m.subject = "Hi\r\nBcc: victim@evil.test".into();
    mailer.send(&m).await.unwrap();

    let got = server.next_delivery().await;
    assert!(!got.data.contains("\r\nBcc:"), "{}", got.data);
    assert_eq!(got.rcpt_to, vec!["<ann@example.com>".to_owned()]);
}
