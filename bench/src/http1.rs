//! A minimal HTTP/1.1 keep-alive client, one connection per worker: the load generator shares
//! the two cores with the server and the database, so it should cost as little as `wrk` does.
//! It speaks only what the server answers: `Content-Length` or chunked bodies.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const JSON: &str = "application/json";

pub struct Conn {
    stream: BufReader<TcpStream>,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Conn {
    async fn connect(addr: &str) -> io::Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::with_capacity(64 * 1024, tcp),
        })
    }

    /// Sends one request and reads the whole answer; `Ok(None)` when the server had closed
    /// the connection before answering.
    async fn round_trip(&mut self, head: &[u8], body: &[u8]) -> io::Result<Option<Response>> {
        self.stream.get_mut().write_all(head).await?;
        if !body.is_empty() {
            self.stream.get_mut().write_all(body).await?;
        }
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let v = v.trim();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.parse::<usize>().ok(),
                    "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                    "connection" => close = v.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("chunk"))?;
                let start = body.len();
                body.resize(start + size, 0);
                self.stream.read_exact(&mut body[start..]).await?;
                line.clear();
                self.stream.read_line(&mut line).await?;
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            self.stream.read_exact(&mut body).await?;
        }
        Ok(Some(Response {
            status,
            body,
            close,
        }))
    }
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    close: bool,
}

/// Keep-alive connections: one per worker slot for closed-loop load, and a shared set of idle
/// ones for open-loop load.
pub struct Pool {
    addr: String,
    slots: Vec<Mutex<Option<Conn>>>,
    /// Connections free for [`Pool::send_any`]. A request takes one, or opens one when none is
    /// free, and gives it back after the answer, as an HTTP client's pool does: the connections
    /// open are the requests in flight, and no request waits behind another one's answer.
    idle: std::sync::Mutex<Vec<Conn>>,
    opened: AtomicU64,
}

impl Pool {
    pub fn new(addr: &str, slots: usize) -> Self {
        Self {
            addr: addr.to_string(),
            slots: (0..slots.max(1)).map(|_| Mutex::new(None)).collect(),
            idle: std::sync::Mutex::new(Vec::new()),
            opened: AtomicU64::new(0),
        }
    }

    /// Connections opened so far, counting reconnections.
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    fn head(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
        if_match: Option<i64>,
        content_type: &str,
    ) -> String {
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {}\r\n", self.addr);
        if let Some(t) = token {
            head.push_str("authorization: Bearer ");
            head.push_str(t);
            head.push_str("\r\n");
        }
        if let Some(v) = if_match {
            head.push_str(&format!("if-match: \"{v}\"\r\n"));
        }
        if !body.is_empty() {
            head.push_str(&format!(
                "content-type: {content_type}\r\ncontent-length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head
    }

    /// Sends on `conn`, opening it when `None`; leaves it `None` when the server closed it.
    async fn exchange(
        &self,
        conn: &mut Option<Conn>,
        head: &[u8],
        body: &[u8],
    ) -> io::Result<Response> {
        loop {
            let reused = conn.is_some();
            let c = match conn.as_mut() {
                Some(c) => c,
                None => {
                    self.opened.fetch_add(1, Ordering::Relaxed);
                    conn.insert(Conn::connect(&self.addr).await?)
                }
            };
            match c.round_trip(head, body).await {
                Ok(Some(r)) => {
                    if r.close {
                        *conn = None;
                    }
                    return Ok(r);
                }
                // A kept-alive connection the server has since closed (its idle timeout) fails
                // on write or reads end-of-file: reconnect and send again, once.
                Ok(None) | Err(_) if reused => *conn = None,
                Ok(None) => break,
                Err(e) => {
                    *conn = None;
                    return Err(e);
                }
            }
        }
        *conn = None;
        Err(bad("the server closed a new connection without answering"))
    }

    /// Sends on the slot's own connection: closed-loop load, one worker per slot.
    pub async fn send(
        &self,
        slot: usize,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        if_match: Option<i64>,
    ) -> io::Result<Response> {
        let head = self.head(
            method,
            path,
            token,
            body.unwrap_or_default(),
            if_match,
            JSON,
        );
        self.send_head(slot, &head, body.unwrap_or_default()).await
    }

    /// As [`Pool::send`], with the body's own content type.
    pub async fn send_typed(
        &self,
        slot: usize,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> io::Result<Response> {
        let head = self.head(method, path, token, body, None, content_type);
        self.send_head(slot, &head, body).await
    }

    async fn send_head(&self, slot: usize, head: &str, body: &[u8]) -> io::Result<Response> {
        let mut guard = self.slots[slot % self.slots.len()].lock().await;
        self.exchange(&mut guard, head.as_bytes(), body).await
    }

    /// Sends on any free connection: open-loop load.
    pub async fn send_any(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> io::Result<Response> {
        let body = body.unwrap_or_default();
        let head = self.head(method, path, None, body, None, JSON);
        let mut conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let answer = self.exchange(&mut conn, head.as_bytes(), body).await;
        if let Some(c) = conn {
            self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(c);
        }
        answer
    }
}
