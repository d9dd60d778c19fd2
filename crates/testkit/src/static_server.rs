//! Serves the built app (`dist/`) on 127.0.0.1 like a static host would: files by path, and
//! `index.html` for every other path so deep links load the app.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use tiny_http::{Header, Response, Server};

/// A running static server; stopped on drop.
pub struct StaticServer {
    server: Arc<Server>,
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

impl StaticServer {
    /// Serves `root` on `port` (0: any free port).
    pub fn start(root: PathBuf, port: u16) -> StaticServer {
        let server = Arc::new(Server::http(("127.0.0.1", port)).expect("bind static server"));
        let url = format!("http://{}", server.server_addr().to_ip().expect("ip address"));
        let worker = server.clone();
        let thread = std::thread::spawn(move || {
            for request in worker.incoming_requests() {
                let path = request.url().split(['?', '#']).next().unwrap_or("/").trim_start_matches('/').to_string();
                let candidate = root.join(&path);
                let file = if !path.is_empty() && !path.contains("..") && candidate.is_file() {
                    candidate
                } else {
                    root.join("index.html")
                };
                let response = match std::fs::read(&file) {
                    Ok(bytes) => Response::from_data(bytes)
                        .with_header(Header::from_bytes("Content-Type", content_type(&file)).expect("header"))
                        .with_header(Header::from_bytes("Cache-Control", "no-cache").expect("header")),
                    Err(_) => Response::from_data(b"not found".to_vec()).with_status_code(404),
                };
                let _ = request.respond(response);
            }
        });
        StaticServer { server, thread: Some(thread), url }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
