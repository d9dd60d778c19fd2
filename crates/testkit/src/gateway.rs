//! A gateway in front of two registries, as `deploy/nginx-gateway.conf` ships it: Wharf at `/`,
//! a Docker-Hub-like registry under `/hub/`, its token realm (on another origin) under
//! `/hub-auth/token`, and a second registry under `/local/`.
//!
//! The hub-like upstream behaves like Docker Hub where it matters to a browser: token auth with
//! the realm on another origin, no catalog for anyone (`registry:catalog:*` is never granted, so
//! `/v2/_catalog` answers 401 even after a login), and blobs served by a 307 redirect to an
//! object-storage stand-in on yet another origin that sends no CORS headers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Response, Server};

use crate::nginx::Nginx;
use crate::registry::{Registry, RegistryAuth, RegistryOptions};
use crate::token_server::{Grant, TokenPolicy, TokenServer, ISSUER, SERVICE};

/// The hub-like registry's account: pull and push on `hubuser/*`, pull on `library/*`.
pub const HUB_USER: (&str, &str) = ("hubuser", "hubpass");

/// One request the storage stand-in answered.
#[derive(Debug, Clone)]
pub struct StorageRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request target as sent (path and query).
    pub url: String,
    /// The `Authorization` header, if the request carried one (it never should).
    pub authorization: Option<String>,
    /// The `Host` header.
    pub host: Option<String>,
}

/// Object storage stand-in: serves the files under `root` by path (GET and HEAD), 404 for
/// anything else, and no CORS headers at all. Stopped on drop.
pub struct BlobStorage {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// Every request answered, in order.
    pub log: Arc<Mutex<Vec<StorageRequest>>>,
}

impl BlobStorage {
    /// Serves `root` on a free 127.0.0.1 port.
    pub fn start(root: PathBuf) -> BlobStorage {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("bind storage server"));
        let url = format!("http://{}", server.server_addr().to_ip().expect("ip address"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (worker, worker_log) = (server.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            for request in worker.incoming_requests() {
                let header = |name: &str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                        .map(|h| h.value.as_str().to_string())
                };
                let entry = StorageRequest {
                    method: request.method().as_str().to_string(),
                    url: request.url().to_string(),
                    authorization: header("Authorization"),
                    host: header("Host"),
                };
                if let Ok(mut l) = worker_log.lock() {
                    l.push(entry);
                }
                let path = request.url().split(['?', '#']).next().unwrap_or("/").trim_start_matches('/').to_string();
                let candidate = root.join(&path);
                let readable = matches!(request.method(), Method::Get | Method::Head)
                    && !path.is_empty()
                    && !path.split('/').any(|part| part == "..")
                    && candidate.is_file();
                let response = match readable.then(|| std::fs::read(&candidate)) {
                    Some(Ok(bytes)) => Response::from_data(bytes)
                        .with_header(Header::from_bytes("Content-Type", "application/octet-stream").expect("header")),
                    _ => Response::from_data(b"no such object".to_vec()).with_status_code(404),
                };
                let _ = request.respond(response);
            }
        });
        BlobStorage { server, thread: Some(thread), url, log }
    }

    /// The requests answered so far.
    pub fn requests(&self) -> Vec<StorageRequest> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for BlobStorage {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The rate-limit headers the hub-like registry sends, as Docker Hub does for pulls.
pub const HUB_RATE_LIMIT: [(&str, &str); 2] =
    [("RateLimit-Limit", "100;w=21600"), ("RateLimit-Remaining", "76;w=21600")];

/// A Docker-Hub-like upstream: a real registry with token auth, its token service on another
/// port, and its blobs served by redirect from [`BlobStorage`].
pub struct HubLike {
    /// The registry (distribution 2.8, token auth, `redirect` storage middleware).
    pub registry: Registry,
    /// Its token service (another origin); see [`HubLike::policy`].
    pub token: TokenServer,
    /// The storage its blob GETs and HEADs redirect to (307): it serves
    /// `/docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data` from the registry's storage root.
    pub storage: BlobStorage,
    /// The realm the registry's 401s name: `http://<token host>/token`.
    pub realm: String,
}

impl HubLike {
    /// Who may do what, like Docker Hub: everyone pulls `library/*`; [`HUB_USER`] pulls and
    /// pushes `hubuser/*`; nobody is ever granted `registry:catalog:*`.
    pub fn policy() -> TokenPolicy {
        TokenPolicy {
            users: vec![(HUB_USER.0.to_string(), HUB_USER.1.to_string())],
            grants: vec![
                Grant::new(None, "library/*", &["pull"]),
                Grant::new(Some(HUB_USER.0), "hubuser/*", &["pull", "push"]),
            ],
            expires_in: 300,
        }
    }

    /// Starts the registry open, lets `seed` push to it (its base URL `http://127.0.0.1:port`),
    /// then restarts it on the same storage with token auth and blob redirects.
    pub fn start(seed: impl FnOnce(&str)) -> HubLike {
        let mut registry = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
        seed(&registry.url());
        let storage = BlobStorage::start(registry.storage_root());
        let token = TokenServer::start(Self::policy());
        let realm = format!("http://{}/token", token.host);
        registry.restart_with(RegistryOptions {
            cors: false,
            auth: RegistryAuth::Token {
                realm: realm.clone(),
                service: SERVICE.to_string(),
                issuer: ISSUER.to_string(),
                certificate_pem: token.certificate_pem.clone(),
            },
            blob_redirect: Some(format!("{}/", storage.url)),
            // Docker Hub's quota headers, on every answer.
            extra_headers: HUB_RATE_LIMIT.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            ..RegistryOptions::default()
        });
        HubLike { registry, token, storage, realm }
    }
}

/// deploy/nginx-gateway.conf running on a free 127.0.0.1 port; stopped on drop.
pub struct Gateway {
    /// The nginx process (its logs: [`Nginx::access_log`], [`Nginx::error_log`]).
    pub nginx: Nginx,
    /// `http://127.0.0.1:port`: the app's origin.
    pub url: String,
}

impl Gateway {
    /// Serves `dist` and proxies `/hub/` to `hub` (registry, realm and, through it, storage) and
    /// `/local/` to the registry at `local_registry_host` (`127.0.0.1:port`).
    pub fn start(dist: &Path, hub: &HubLike, local_registry_host: &str) -> Gateway {
        let port = Nginx::reserve_port();
        let nginx = Nginx::start_gateway(port, dist, &hub.registry.url(), &hub.realm, local_registry_host);
        let url = nginx.url.clone();
        Gateway { nginx, url }
    }

    /// `<url>/hub`: the hub's registry URL as config.json names it (`"url": "/hub"`).
    pub fn hub_url(&self) -> String {
        format!("{}/hub", self.url)
    }

    /// `<url>/local`: the second registry's URL as config.json names it (`"url": "/local"`).
    pub fn local_url(&self) -> String {
        format!("{}/local", self.url)
    }

    /// `<url>/hub-auth/token`: the realm the hub's rewritten challenges name.
    pub fn hub_realm(&self) -> String {
        format!("{}/hub-auth/token", self.url)
    }
}

/// The example `config.json` of deploy/nginx-gateway.conf.
pub const CONFIG_JSON: &str = r#"{"registries":[{"name":"Docker Hub (via gateway)","url":"/hub","public_name":"docker.io","pinned":["library/alpine"]},{"name":"local","url":"/local","public_name":"registry.example.com:5000"}]}"#;
