//! Serves the built app (`dist/`) on 127.0.0.1 like a static host would: files by path, and
//! `index.html` for every other path so deep links load the app.
//!
//! Written on `std::net` rather than tiny_http: the page fetches a split page's chunks ten at a
//! time, and under that burst tiny_http left a request on a fresh connection unread for seconds
//! (measured: a chunk's request reached the handler only after the test had given up). Here each
//! connection has its own thread and carries one request (`Connection: close`), as simple as a
//! static host can be.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A running static server; stopped on drop.
pub struct StaticServer {
    stopping: Arc<AtomicBool>,
    address: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
    /// `http://127.0.0.1:port`.
    pub url: String,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// The file a request path names, or `index.html` for a path that names none (a deep link).
fn file_for(root: &Path, target: &str) -> PathBuf {
    let path = target.split(['?', '#']).next().unwrap_or("/").trim_start_matches('/');
    let candidate = root.join(path);
    if !path.is_empty() && !path.contains("..") && candidate.is_file() {
        candidate
    } else {
        root.join("index.html")
    }
}

/// Reads one request's head and answers it.
fn serve(root: &Path, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The rest of the head: GETs carry no body, so the blank line ends what there is to read.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let file = file_for(root, target);
    let (status, kind, body) = match std::fs::read(&file) {
        Ok(bytes) => ("200 OK", content_type(&file), bytes),
        Err(_) => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: \
         close\r\n\r\n",
        body.len()
    );
    let mut stream = stream;
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

impl StaticServer {
    /// Serves `root` on `port` (0: any free port).
    pub fn start(root: PathBuf, port: u16) -> StaticServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind static server");
        let address = listener.local_addr().expect("static server address");
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = serve(&root, stream);
                });
            }
        });
        StaticServer { stopping, address, thread: Some(thread), url: format!("http://{address}") }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // The accept loop wakes on a connection: make one so it sees the flag and ends.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
