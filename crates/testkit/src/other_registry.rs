//! A second registry implementation, written independently of distribution: the
//! `container-registry` crate (0.3.1, installed by scripts/setup), as a child process on
//! 127.0.0.1. It serves only two-component names, has no catalog and no tag list (bare 404s),
//! challenges only `/v2/` (a 401 without `WWW-Authenticate` elsewhere), accepts blob uploads only
//! as POST → PATCH → PUT, and sends no `Docker-Content-Digest` on manifest GETs. Without a
//! password option it accepts any Basic credentials, and none is a 401.
//!
//! Seeding and the tests' independent reads go through its API with Basic credentials, in the
//! flow it accepts.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::oci::{Blob, Image};
use crate::{free_port, scratch_dir, terminate};

/// The credentials the tests log in with (any are accepted).
pub const OTHER_USER: (&str, &str) = ("carol", "carol-pw");

/// A raw answer: status, headers (names lower-case, as this registry sends them), body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The running registry; stopped (by its PID) on drop.
pub struct OtherRegistry {
    child: Child,
    /// `127.0.0.1:port`.
    pub host: String,
    /// Its storage directory.
    pub dir: PathBuf,
    agent: ureq::Agent,
}

impl OtherRegistry {
    /// Starts `container-registry` on a free port and waits until `/v2/` answers.
    pub fn start() -> OtherRegistry {
        let dir = scratch_dir("other-registry");
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("log")).expect("log file");
        let child = Command::new("container-registry")
            .args(["-b", &host, "-s"])
            .arg(dir.join("storage"))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("container-registry (scripts/setup installs it with cargo install)");
        let registry = OtherRegistry {
            child,
            host,
            dir,
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if registry.send("GET", "/v2/", None, &[], None).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "container-registry on {} did not start", registry.host);
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }

    /// Sends a request (`path` from `/v2/…`, or an absolute URL), with the test user's Basic
    /// credentials when `user` is given; `Err` only when there was no answer at all.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        user: Option<(&str, &str)>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Answer, String> {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.url()) };
        let mut request = self.agent.request(method, &url);
        if let Some((name, password)) = user {
            let basic = wharf_protocol::auth::Credentials::new(name, password).basic_header();
            request = request.set("Authorization", &basic);
        }
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let response = match body {
            Some(bytes) => request.send_bytes(bytes),
            None => request.call(),
        };
        let response = match response {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(format!("{method} {url}: {e}")),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_string())))
            .collect();
        let mut body = Vec::new();
        response.into_reader().read_to_end(&mut body).map_err(|e| format!("{method} {url}: {e}"))?;
        Ok(Answer { status, headers, body })
    }

    /// [`OtherRegistry::send`] as the test user, panicking when there is no answer.
    pub fn ask(&self, method: &str, path: &str) -> Answer {
        self.send(method, path, Some(OTHER_USER), &[("Accept", wharf_protocol::media::MANIFEST_ACCEPT)], None)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Uploads a blob the way this registry accepts: POST, one PATCH, PUT `?digest=`.
    pub fn upload(&self, repo: &str, blob: &Blob) {
        let started = self.ask("POST", &format!("/v2/{repo}/blobs/uploads/"));
        assert_eq!(started.status, 202, "POST upload: {started:?}");
        let location = started.header("location").expect("upload location").to_string();
        let range = format!("0-{}", blob.bytes.len().saturating_sub(1));
        let patched = self
            .send(
                "PATCH",
                &location,
                Some(OTHER_USER),
                &[("Content-Type", "application/octet-stream"), ("Content-Range", &range)],
                Some(&blob.bytes),
            )
            .expect("PATCH");
        assert_eq!(patched.status, 202, "PATCH: {patched:?}");
        let location = patched.header("location").unwrap_or(&location).to_string();
        let separator = if location.contains('?') { '&' } else { '?' };
        let closed = self
            .send("PUT", &format!("{location}{separator}digest={}", blob.digest), Some(OTHER_USER), &[], Some(&[]))
            .expect("PUT");
        assert_eq!(closed.status, 201, "PUT ?digest=: {closed:?}");
    }

    /// Pushes an image (blobs, then the manifest's exact bytes) under `tags`.
    pub fn push(&self, repo: &str, image: &Image, tags: &[&str]) {
        for blob in std::iter::once(&image.config).chain(&image.layers) {
            self.upload(repo, blob);
        }
        for tag in tags {
            let put = self
                .send(
                    "PUT",
                    &format!("/v2/{repo}/manifests/{tag}"),
                    Some(OTHER_USER),
                    &[("Content-Type", &image.manifest.media_type)],
                    Some(&image.manifest.bytes),
                )
                .expect("PUT manifest");
            assert!(put.status == 201 || put.status == 200, "PUT {repo}:{tag}: {put:?}");
        }
    }

    /// The manifest bytes stored under `reference` (`None`: 404), read as the test user.
    pub fn manifest_bytes(&self, repo: &str, reference: &str) -> Option<Vec<u8>> {
        let answer = self.ask("GET", &format!("/v2/{repo}/manifests/{reference}"));
        match answer.status {
            200 => Some(answer.body),
            404 => None,
            other => panic!("GET {repo}:{reference} answered {other}"),
        }
    }
}

impl Drop for OtherRegistry {
    fn drop(&mut self) {
        terminate(self.child.id());
        let _ = self.child.wait();
    }
}
