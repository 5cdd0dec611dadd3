//! CSV export of a whole organization's leads (issue #17): rows per second, time to the first
//! byte and the server's peak RSS, which must not grow with the number of rows since the export
//! is streamed page by page. The body is read as it arrives and never kept: the bench's own
//! keep-alive client buffers whole answers, a million rows would be hundreds of MiB.

use crate::server::Server;
use serde::Serialize;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(Serialize)]
pub struct ExportRun {
    /// Data rows received (the header not counted).
    pub rows: u64,
    pub bytes: u64,
    pub secs: f64,
    pub rows_per_sec: f64,
    pub first_byte_ms: f64,
    pub peak_rss_mib: f64,
}

/// `GET path` on a connection of its own, the chunked body decoded and its lines counted.
pub async fn run(srv: &Server, token: &str, path: &str) -> Result<ExportRun, String> {
    let addr = srv.base.trim_start_matches("http://");
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let mut conn = BufReader::with_capacity(256 * 1024, tcp);
    srv.reset_peak();
    let start = Instant::now();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Accept: text/csv\r\nConnection: close\r\n\r\n"
    );
    conn.get_mut()
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
    let first_byte_ms = start.elapsed().as_secs_f64() * 1e3;
    if !line.starts_with("HTTP/1.1 200") {
        return Err(format!("{path} answered {}", line.trim_end()));
    }
    let mut chunked = false;
    loop {
        line.clear();
        conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        chunked |= line
            .to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked");
    }
    if !chunked {
        return Err(format!("{path}: not streamed (no chunked transfer)"));
    }
    let (mut newlines, mut bytes) = (0u64, 0u64);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        line.clear();
        conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(line.trim_end().split(';').next().unwrap_or(""), 16)
            .map_err(|_| format!("{path}: bad chunk header {line:?}"))?;
        if size == 0 {
            break;
        }
        let mut left = size;
        while left > 0 {
            let n = left.min(buf.len());
            conn.read_exact(&mut buf[..n])
                .await
                .map_err(|e| e.to_string())?;
            newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            left -= n;
        }
        bytes += size as u64;
        line.clear();
        conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
    }
    let secs = start.elapsed().as_secs_f64();
    // The seeded leads hold no line break in a cell: one line per row, the header first.
    let rows = newlines.saturating_sub(1);
    Ok(ExportRun {
        rows,
        bytes,
        secs,
        rows_per_sec: rows as f64 / secs.max(1e-9),
        first_byte_ms,
        peak_rss_mib: srv.peak_mib(),
    })
}
