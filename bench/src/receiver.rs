//! A webhook receiver on loopback for the bench: it answers every delivery `204` at once and
//! records its `webhook-id`, so a run tells deliveries that arrived from ones that arrived
//! twice; and the HTTP head reader it shares with the notification stream's client.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Ids seen by a receiver (webhook ids, or notification ids), with the time of the last.
#[derive(Default)]
pub struct Seen {
    received: AtomicU64,
    ids: Mutex<HashSet<String>>,
    pub last: Mutex<Option<Instant>>,
}

impl Seen {
    pub fn add(&self, id: String) {
        self.received.fetch_add(1, Ordering::Relaxed);
        lock(&self.ids).insert(id);
        *lock(&self.last) = Some(Instant::now());
    }

    pub fn count(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    pub fn distinct(&self) -> u64 {
        lock(&self.ids).len() as u64
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads the header lines of one HTTP/1.1 message off `conn`, skipping blank lines left by the
/// one before and the request or status line (no `name: value`): the headers with lower-cased
/// names, or `None` at the end of the connection.
pub async fn head<R: tokio::io::AsyncBufRead + Unpin>(
    conn: &mut R,
) -> Option<Vec<(String, String)>> {
    let mut headers = Vec::new();
    let mut line = String::new();
    let mut started = false;
    loop {
        line.clear();
        match conn.read_line(&mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let l = line.trim_end();
        if l.is_empty() {
            if started {
                return Some(headers);
            }
            continue;
        }
        started = true;
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
}

/// A webhook receiver on loopback answering `204`, recording each `webhook-id`.
pub async fn receiver(seen: Arc<Seen>) -> Result<u16, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut conn = BufReader::new(tcp);
                while let Some(headers) = head(&mut conn).await {
                    let value = |name: &str| {
                        headers
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                    };
                    let length = value("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    if conn.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    seen.add(value("webhook-id").unwrap_or_default());
                    let answer = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
                    if conn.get_mut().write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(port)
}
