//! A distribution registry as a child process, configured per test.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, scratch_dir, workspace_root};

/// How long a stopped registry may take to finish the requests under way (`http.draintimeout`).
const DRAIN: Duration = Duration::from_secs(5);

/// The query that marks the harness's own log barrier (see [`Registry::requests_since_settled`]).
const BARRIER_QUERY: &str = "wharf-testkit-barrier=";

/// How the registry is configured.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Send CORS headers (allow any origin).
    pub cors: bool,
    /// With `cors`, also send `Access-Control-Expose-Headers`.
    pub expose_headers: bool,
    /// `storage.delete.enabled`.
    pub delete: bool,
    /// `storage.maintenance.readonly`: every write is refused.
    pub read_only: bool,
    /// Fixed port (the demo uses 5000); `None` picks a free one.
    pub port: Option<u16>,
    /// A login: htpasswd users, or a token service.
    pub auth: RegistryAuth,
    /// Serve blobs by redirect: distribution's `redirect` storage middleware with this
    /// `baseurl`. A blob GET or HEAD then answers 307 to the base URL's scheme and host followed
    /// by the blob's path in storage (2.8 drops the base URL's own path):
    /// `/docker/registry/v2/blobs/sha256/<first 2 hex>/<hex>/data`, a file under
    /// [`Registry::storage_root`].
    pub blob_redirect: Option<String>,
    /// Headers added to every answer (`http.headers`), such as Docker Hub's `RateLimit-*`.
    pub extra_headers: Vec<(String, String)>,
}

/// How the registry authenticates.
#[derive(Debug, Clone, Default)]
pub enum RegistryAuth {
    /// Open to everyone.
    #[default]
    None,
    /// Basic auth against these (user, password) pairs (written as a bcrypt htpasswd file).
    Htpasswd(Vec<(String, String)>),
    /// Token auth: realm URL, service, issuer, and the PEM certificate that signs tokens.
    Token {
        /// Where browsers get tokens.
        realm: String,
        /// `service` claim / parameter.
        service: String,
        /// `iss` claim.
        issuer: String,
        /// The signing certificate, PEM.
        certificate_pem: String,
    },
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            cors: true,
            expose_headers: true,
            delete: true,
            read_only: false,
            port: None,
            auth: RegistryAuth::None,
            blob_redirect: None,
            extra_headers: Vec::new(),
        }
    }
}

/// The CORS headers of the project's own deploy/registry-config.yml (so the tests run what is
/// documented), with Wharf's example origin opened to any origin (tests serve the app on random
/// ports), and without `Access-Control-Expose-Headers` when `expose` is false.
fn shipped_cors_headers(expose: bool) -> String {
    let shipped =
        fs::read_to_string(workspace_root().join("deploy/registry-config.yml")).expect("deploy/registry-config.yml");
    let lines: Vec<String> = shipped
        .lines()
        .filter(|l| l.trim_start().starts_with("Access-Control-"))
        .filter(|l| expose || !l.contains("Access-Control-Expose-Headers"))
        .map(|l| l.replace("['https://wharf.example.com']", "['*']") + "\n")
        .collect();
    assert!(lines.len() >= 4, "deploy/registry-config.yml lost its CORS headers");
    lines.concat()
}

/// A running registry; stopped (by its PID) on drop.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:port`.
    pub host: String,
    /// The access log (stderr/stdout of the process).
    pub log_path: PathBuf,
    /// Storage and config.
    pub dir: PathBuf,
}

impl Registry {
    /// Writes a config and starts `docker-registry serve`, waiting until `/v2/` answers.
    pub fn start(options: RegistryOptions) -> Registry {
        let dir = scratch_dir("registry");
        let port = options.port.unwrap_or_else(free_port);
        let (child, log_path) = Self::spawn(&dir, port, &options);
        let registry = Registry { child, host: format!("127.0.0.1:{port}"), log_path, dir };
        registry.wait_ready();
        registry
    }

    /// Writes the config for `options` into `dir` and starts the process.
    fn spawn(dir: &std::path::Path, port: u16, options: &RegistryOptions) -> (Child, PathBuf) {
        let mut headers = if options.cors { shipped_cors_headers(options.expose_headers) } else { String::new() };
        for (name, value) in &options.extra_headers {
            headers.push_str(&format!("    {name}: ['{value}']\n"));
        }
        let headers_block = if headers.is_empty() { String::new() } else { format!("  headers:\n{headers}") };
        let auth_block = match &options.auth {
            RegistryAuth::None => String::new(),
            RegistryAuth::Htpasswd(users) => {
                let lines: Vec<String> = users
                    .iter()
                    .map(|(user, password)| format!("{user}:{}", bcrypt::hash(password, 5).expect("bcrypt")))
                    .collect();
                fs::write(dir.join("htpasswd"), lines.join("\n") + "\n").expect("htpasswd");
                format!("auth:\n  htpasswd:\n    realm: wharf-test\n    path: {}\n", dir.join("htpasswd").display())
            }
            RegistryAuth::Token { realm, service, issuer, certificate_pem } => {
                fs::write(dir.join("token-signer.pem"), certificate_pem).expect("token cert");
                format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
                    dir.join("token-signer.pem").display()
                )
            }
        };
        let middleware_block = match &options.blob_redirect {
            None => String::new(),
            Some(base) => {
                format!("middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: {base}\n")
            }
        };
        let config = format!(
            "version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: {delete}
  maintenance:
    uploadpurging:
      enabled: false
    readonly:
      enabled: {read_only}
http:
  addr: 127.0.0.1:{port}
  draintimeout: {drain}s
{headers_block}{auth_block}{middleware_block}",
            storage = dir.join("storage").display(),
            delete = options.delete,
            read_only = options.read_only,
            drain = DRAIN.as_secs(),
        );
        fs::write(dir.join("config.yml"), config).expect("write registry config");
        let log_path = dir.join("access.log");
        let log = fs::OpenOptions::new().create(true).append(true).open(&log_path).expect("registry log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start docker-registry (apt-get install docker-registry)");
        (child, log_path)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(2)).build();
        while Instant::now() < deadline {
            match agent.get(&format!("{}/v2/", self.url())).call() {
                // 401 is "up" too: an authenticated registry refuses the anonymous ping.
                Ok(_) | Err(ureq::Error::Status(..)) => return,
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        panic!(
            "registry on {} did not start; log:\n{}",
            self.host,
            fs::read_to_string(&self.log_path).unwrap_or_default()
        );
    }

    /// The storage driver's root directory (distribution's `filesystem.rootdirectory`).
    pub fn storage_root(&self) -> PathBuf {
        self.dir.join("storage")
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }

    /// Number of access-log lines so far: a mark for [`Registry::requests_since`].
    pub fn log_mark(&self) -> usize {
        self.access_lines().len()
    }

    /// `(method, uri)` of every request after `mark`, CORS preflights (OPTIONS) left out.
    pub fn requests_since(&self, mark: usize) -> Vec<(String, String)> {
        self.access_lines().into_iter().skip(mark).filter(|(method, _)| method != "OPTIONS").collect()
    }

    /// [`Registry::requests_since`], read once a request of the test's own, sent now, has been
    /// answered and written to the access log. Call it after the page reported an outcome
    /// ("nothing was sent", a field error): a request the page had sent before that report
    /// reached the registry ahead of this one, so it is in the log unless the registry is still
    /// handling it. The test's own request is not in the list (nor counted by marks).
    pub fn requests_since_settled(&self, mark: usize) -> Vec<(String, String)> {
        static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let uri = format!("/v2/?{BARRIER_QUERY}{}-{n}", std::process::id());
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
        match agent.get(&format!("{}{uri}", self.url())).call() {
            // Any answer will do (an authenticated registry says 401): it is logged either way.
            Ok(_) | Err(ureq::Error::Status(..)) => {}
            Err(e) => panic!("the registry on {} did not answer the log barrier: {e}", self.host),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.raw_access_lines().iter().any(|(_, logged)| *logged == uri) {
            assert!(Instant::now() < deadline, "the registry on {} never logged {uri}", self.host);
            std::thread::sleep(Duration::from_millis(5));
        }
        self.requests_since(mark)
    }

    /// The access log's requests, the harness's own barriers left out.
    fn access_lines(&self) -> Vec<(String, String)> {
        self.raw_access_lines().into_iter().filter(|(_, uri)| !uri.contains(BARRIER_QUERY)).collect()
    }

    /// Parses the combined-log lines: `... "GET /v2/ HTTP/1.1" 200 ...`.
    fn raw_access_lines(&self) -> Vec<(String, String)> {
        let text = fs::read_to_string(&self.log_path).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let start = line.find("] \"")? + 3;
                let request = &line[start..];
                let end = request.find('"')?;
                let mut parts = request[..end].split(' ');
                Some((parts.next()?.to_string(), parts.next()?.to_string()))
            })
            .collect()
    }

    /// The registry's own `Docker-Content-Digest` for `repo:reference` (HEAD with every manifest
    /// type accepted): `Ok(Some(digest))` when it holds it; `Ok(None)` only when the registry
    /// answered 404 with its JSON error content type (distribution's `MANIFEST_UNKNOWN`; a HEAD
    /// has no body, so that status is the answer); `Err` for everything else: no answer, 401, 5xx,
    /// or the plain-text "404 page not found" of a path the registry does not route (a malformed
    /// name such as `a/-b`).
    pub fn digest_of(&self, repo: &str, reference: &str) -> Result<Option<String>, String> {
        let accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, \
                      application/vnd.docker.distribution.manifest.list.v2+json, \
                      application/vnd.docker.distribution.manifest.v2+json";
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.url());
        let content_type = |r: &ureq::Response| r.header("Content-Type").unwrap_or("none").to_string();
        match ureq::head(&url).set("Accept", accept).timeout(Duration::from_secs(10)).call() {
            Ok(response) if response.status() == 200 => match response.header("Docker-Content-Digest") {
                Some(digest) => Ok(Some(digest.to_string())),
                None => Err(format!("HEAD {url}: 200 without Docker-Content-Digest")),
            },
            Ok(response) => Err(format!("HEAD {url}: {} {}", response.status(), response.status_text())),
            Err(ureq::Error::Status(404, response)) if content_type(&response).starts_with("application/json") => {
                Ok(None)
            }
            Err(ureq::Error::Status(status, response)) => Err(format!(
                "HEAD {url}: {status} {} (Content-Type: {})",
                response.status_text(),
                content_type(&response)
            )),
            Err(e) => Err(format!("HEAD {url}: {e}")),
        }
    }

    /// Restarts the same storage with other options (same port), e.g. to make it read-only.
    pub fn restart_with(&mut self, options: RegistryOptions) {
        self.stop();
        let port: u16 = self.host.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        let (child, _) = Self::spawn(&self.dir, port, &options);
        self.child = child;
        self.wait_ready();
    }

    /// Stops the registry (the process this handle started) the way an operator would: SIGTERM,
    /// so requests under way finish and new ones are refused, then SIGKILL if it hangs.
    ///
    /// Why not SIGKILL at once: distribution's filesystem driver writes a blob in place, and a
    /// later PUT of the same content skips a blob whose file exists. A kill that lands between
    /// creating a manifest's data file and writing it leaves that file empty for good: every
    /// later PUT of that manifest answers 201 and every GET or HEAD of its tags answers 500.
    /// That is the registry's own crash safety, which no client can repair, so a test that
    /// stops a registry midway would fail now and then for a reason outside Wharf.
    pub fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + DRAIN + Duration::from_secs(2);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
