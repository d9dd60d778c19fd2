//! A stand-in for a registry that rate-limits: an HTTP proxy on 127.0.0.1 in front of a registry
//! that passes every request through unchanged, except that it answers `429 Too Many Requests`
//! with `Retry-After` to chosen manifest HEADs (the first attempt of every Nth distinct HEAD
//! path, by default), so that a client that waits and retries gets its answer on the next try.
//!
//! Each connection carries one exchange: the request's head is read (request line and headers),
//! its `Connection` header is replaced by `Connection: close`, and from then on bytes are copied
//! both ways as they are, until the registry closes. So methods, paths, queries, headers
//! (`Accept`, `Authorization`, …), bodies, statuses and response headers are the registry's own,
//! and a HEAD's `Content-Length` and `Docker-Content-Digest` arrive without a body. The registry
//! sees the proxy's `Host` (so the upload `Location`s it builds point at the proxy). CORS
//! preflights (OPTIONS) go to the registry, whose config answers them; the 429 carries CORS
//! headers of its own, so a page can read its status and `Retry-After`.
//!
//! Every request is logged (method, path, status, whether it was throttled); the proxy stops on
//! drop.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The CORS headers the 429 carries.
pub const THROTTLE_CORS: [(&str, &str); 2] = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "Retry-After, Docker-Content-Digest, Content-Length, Link, WWW-Authenticate"),
];

/// Which manifest HEADs are answered 429.
#[derive(Debug, Clone)]
pub struct ThrottleOptions {
    /// Throttle the 1st, (n+1)th, (2n+1)th … distinct manifest HEAD path (path and query, in the
    /// order first seen); 0 chooses none this way.
    pub every_nth: usize,
    /// These manifest HEAD paths (e.g. `/v2/demo/glance/manifests/v1.0.0`) are chosen too.
    pub paths: Vec<String>,
    /// How many attempts at a chosen path are answered 429 before one passes (1: the first).
    pub attempts: usize,
    /// The `Retry-After` value, in seconds.
    pub retry_after: u32,
    /// The method of the manifest requests chosen: `HEAD` (the glance's), or `PUT` (a bulk run's
    /// writes; its body is read before the 429 goes out).
    pub method: &'static str,
}

impl Default for ThrottleOptions {
    fn default() -> Self {
        ThrottleOptions { every_nth: 5, paths: Vec::new(), attempts: 1, retry_after: 1, method: "HEAD" }
    }
}

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `HEAD`, `OPTIONS`, …
    pub method: String,
    /// The request target: path and query.
    pub path: String,
    /// The status it was answered with (0 when the registry sent nothing readable).
    pub status: u16,
    /// Whether the proxy answered it 429 itself.
    pub throttled: bool,
}

#[derive(Default)]
struct Inner {
    /// Per manifest HEAD path: (chosen, attempts so far).
    heads: HashMap<String, (bool, usize)>,
    log: Vec<Seen>,
    throttled: usize,
}

struct Shared {
    upstream: String,
    options: ThrottleOptions,
    inner: Mutex<Inner>,
}

/// A running throttling proxy; stopped on drop.
pub struct Throttle {
    /// `127.0.0.1:port`: put this where the registry's host goes.
    pub host: String,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn is_manifest_path(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    path.starts_with("/v2/") && path.contains("/manifests/")
}

/// The status code of a response's first line (0 when there is none).
fn status_of(response: &[u8]) -> u16 {
    let line = response.split(|&b| b == b'\n').next().unwrap_or(&[]);
    String::from_utf8_lossy(line).split(' ').nth(1).and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

/// Where the request head ends (after the blank line), if it has.
fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

impl Throttle {
    /// Starts the proxy on a free port in front of `upstream` (`http://127.0.0.1:port`).
    pub fn start(upstream: &str, options: ThrottleOptions) -> Throttle {
        let upstream = upstream.trim_end_matches('/');
        let upstream = upstream.strip_prefix("http://").unwrap_or(upstream).to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the throttle proxy");
        let host = listener.local_addr().expect("proxy address").to_string();
        let shared = Arc::new(Shared { upstream, options, inner: Mutex::new(Inner::default()) });
        let stop = Arc::new(AtomicBool::new(false));
        let (worker, stopped) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = worker.clone();
                std::thread::spawn(move || shared.serve(stream));
            }
        });
        Throttle { host, shared, stop, thread: Some(thread) }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }

    /// How many 429s the proxy sent.
    pub fn throttled(&self) -> usize {
        self.shared.inner.lock().expect("throttle state").throttled
    }

    /// Every request seen so far, in the order they were answered.
    pub fn log(&self) -> Vec<Seen> {
        self.shared.inner.lock().expect("throttle state").log.clone()
    }

    /// The number of requests seen so far: a mark for [`Throttle::log_since`].
    pub fn log_mark(&self) -> usize {
        self.shared.inner.lock().expect("throttle state").log.len()
    }

    /// The requests seen after `mark`.
    pub fn log_since(&self, mark: usize) -> Vec<Seen> {
        self.log().into_iter().skip(mark).collect()
    }

    /// The distinct paths answered 429, in the order first throttled.
    pub fn throttled_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = Vec::new();
        for seen in self.log().into_iter().filter(|s| s.throttled) {
            if !paths.contains(&seen.path) {
                paths.push(seen.path);
            }
        }
        paths
    }

    /// Throttled paths that no later HEAD or GET of the same path got past (an answer other
    /// than 429): empty when the client retried every one.
    pub fn unretried(&self) -> Vec<String> {
        let log = self.log();
        self.throttled_paths()
            .into_iter()
            .filter(|path| {
                let last_429 = log.iter().rposition(|s| s.throttled && &s.path == path).expect("throttled");
                !log[last_429 + 1..].iter().any(|s| {
                    &s.path == path && !s.throttled && [self.shared.options.method, "GET"].contains(&s.method.as_str())
                })
            })
            .collect()
    }
}

impl Shared {
    /// Decides whether this request gets a 429 (and counts the attempt).
    fn throttle(&self, method: &str, target: &str) -> bool {
        if method != self.options.method || !is_manifest_path(target) {
            return false;
        }
        let mut inner = self.inner.lock().expect("throttle state");
        let ordinal = inner.heads.len();
        let options = &self.options;
        let entry = inner.heads.entry(target.to_string()).or_insert_with(|| {
            let by_count = options.every_nth > 0 && ordinal % options.every_nth == 0;
            (by_count || options.paths.iter().any(|p| p == target), 0)
        });
        entry.1 += 1;
        entry.0 && entry.1 <= options.attempts
    }

    fn record(&self, method: &str, path: &str, status: u16, throttled: bool) {
        let mut inner = self.inner.lock().expect("throttle state");
        inner.log.push(Seen { method: method.to_string(), path: path.to_string(), status, throttled });
        if throttled {
            inner.throttled += 1;
        }
    }

    /// One connection, one exchange.
    fn serve(&self, mut client: TcpStream) {
        let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        let end = loop {
            if let Some(end) = head_end(&buffer) {
                break end;
            }
            match client.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            if buffer.len() > 1 << 20 {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_string();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("").to_string();
        let mut parts = request_line.split(' ');
        let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());

        if self.throttle(&method, &target) {
            // A body sent with the request is read first: closing on unread bytes would reset
            // the connection before the client reads the 429.
            let length: usize = lines
                .clone()
                .find_map(|l| l.split_once(':').filter(|(n, _)| n.trim().eq_ignore_ascii_case("content-length")))
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
            let mut received = buffer.len() - end;
            while received < length {
                match client.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received += n,
                }
            }
            let body = br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests","detail":"wharf-testkit throttle"}]}"#;
            let mut response =
                format!("HTTP/1.1 429 Too Many Requests\r\nRetry-After: {}\r\n", self.options.retry_after);
            for (name, value) in THROTTLE_CORS {
                response.push_str(&format!("{name}: {value}\r\n"));
            }
            let send_body = method != "HEAD";
            response.push_str(&format!(
                "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                if send_body { body.len() } else { 0 }
            ));
            let mut bytes = response.into_bytes();
            if send_body {
                bytes.extend_from_slice(body);
            }
            self.record(&method, &target, 429, true);
            let _ = client.write_all(&bytes);
            let _ = client.flush();
            let _ = client.shutdown(Shutdown::Both);
            return;
        }

        let Ok(mut upstream) = TcpStream::connect(&self.upstream) else {
            self.record(&method, &target, 0, false);
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        };
        // The same head, with one exchange per connection.
        let mut forwarded = format!("{request_line}\r\n");
        for line in lines.filter(|l| !l.is_empty()) {
            let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
            if !["connection", "keep-alive", "proxy-connection"].contains(&name.as_str()) {
                forwarded.push_str(line);
                forwarded.push_str("\r\n");
            }
        }
        forwarded.push_str("Connection: close\r\n\r\n");
        let mut first = forwarded.into_bytes();
        first.extend_from_slice(&buffer[end..]);
        if upstream.write_all(&first).is_err() {
            self.record(&method, &target, 0, false);
            return;
        }
        // The rest of the request body (if any) as it comes.
        let (Ok(mut from_client), Ok(mut to_upstream)) = (client.try_clone(), upstream.try_clone()) else { return };
        let body = std::thread::spawn(move || {
            let _ = std::io::copy(&mut from_client, &mut to_upstream);
        });
        // The response, as it comes, until the registry closes. Its status is logged before
        // the client gets a byte of it, so a client that has its answer finds it in the log.
        let mut pending = Vec::new();
        let mut recorded = false;
        loop {
            let n = match upstream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if recorded {
                if client.write_all(&chunk[..n]).is_err() {
                    break;
                }
                continue;
            }
            pending.extend_from_slice(&chunk[..n]);
            if pending.contains(&b'\n') || pending.len() > 1024 {
                self.record(&method, &target, status_of(&pending), false);
                recorded = true;
                if client.write_all(&pending).is_err() {
                    break;
                }
            }
        }
        if !recorded {
            self.record(&method, &target, status_of(&pending), false);
            let _ = client.write_all(&pending);
        }
        let _ = client.flush();
        let _ = client.shutdown(Shutdown::Both);
        let _ = upstream.shutdown(Shutdown::Both);
        let _ = body.join();
    }
}

impl Drop for Throttle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.host);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
