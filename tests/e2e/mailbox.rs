//! Reading what the server "sent": the file transport's `.eml` files, or a real SMTP listener
//! on loopback that records every message it accepts.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Every `.eml` file written so far, oldest first.
pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "eml"));
    names.sort();
    names
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// The first 6-digit run in a message's text (the subject may be encoded). MIME boundaries and
/// part headers are skipped: a random boundary can hold six digits in a row.
pub fn code_in(message: &str) -> Option<String> {
    let is_mime = |l: &str| {
        let l = l.trim_start();
        l.starts_with("--")
            || l.contains("boundary=")
            || l.split_once(": ").is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    let body = message
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n")
        .lines()
        .filter(|l| !is_mime(l))
        .collect::<Vec<_>>()
        .join("\n");
    let text = if body.is_empty() {
        message.to_string()
    } else {
        body
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i + 6 <= chars.len() {
        if chars[i..i + 6].iter().all(|c| c.is_ascii_digit())
            && (i == 0 || !chars[i - 1].is_ascii_digit())
            && (i + 6 == chars.len() || !chars[i + 6].is_ascii_digit())
        {
            return Some(chars[i..i + 6].iter().collect());
        }
        i += 1;
    }
    None
}

/// Waits for a mail to `to` among the `.eml` files and returns the newest one's code.
pub async fn wait_for_code(dir: &Path, to: &str, already_seen: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails: Vec<String> = files(dir)
            .into_iter()
            .filter(|m| {
                m.to_lowercase()
                    .contains(&format!("to: {}", to.to_lowercase()))
                    || m.contains(&format!("<{to}>"))
            })
            .collect();
        if mails.len() > already_seen
            && let Some(code) = mails.last().and_then(|m| code_in(m))
        {
            return code;
        }
        assert!(
            Instant::now() < deadline,
            "no mail with a code reached {to}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A minimal SMTP server recording each accepted message.
#[derive(Clone, Default)]
pub struct SmtpSink {
    pub messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Listens on `port` (0 = any) and serves until the test ends.
    pub async fn start(port: u16) -> (SmtpSink, u16) {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink::default();
        let messages = sink.messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let messages = messages.clone();
                tokio::spawn(async move {
                    let (r, mut w) = stream.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let mut in_data = false;
                    let mut data = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if in_data {
                            if line == "." {
                                in_data = false;
                                messages.lock().unwrap().push(std::mem::take(&mut data));
                                let _ = w.write_all(b"250 OK queued\r\n").await;
                            } else {
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                                data.push_str("\r\n");
                            }
                            continue;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("DATA") {
                            in_data = true;
                            b"354 go ahead\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        (sink, port)
    }

    pub fn all(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let all = self.all();
            if all.len() >= n {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} mails arrived",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
