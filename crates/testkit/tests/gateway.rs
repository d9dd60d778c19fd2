//! deploy/nginx-gateway.conf as shipped (only its example addresses replaced), in front of a
//! Docker-Hub-like registry (token realm on another origin, no catalog, blobs by redirect to a
//! storage host without CORS) and a second, open registry: the app is served at `/`, each registry
//! under its prefix, and every answer a client needs comes back rewritten under that prefix.

use std::io::Read;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use wharf_protocol::digest::sha256_of;
use wharf_testkit::gateway::{Gateway, HubLike, CONFIG_JSON, HUB_USER};
use wharf_testkit::nginx::Nginx;
use wharf_testkit::oci::{Blob, Format};
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{app_image, image_with_payload, Pusher};
use wharf_testkit::skopeo;
use wharf_testkit::throttle::{Throttle, ThrottleOptions};
use wharf_testkit::token_server::SERVICE;

const ACCEPT: &str = wharf_protocol::media::MANIFEST_ACCEPT;

/// An answer: status, headers (name lower-cased, value), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        let all = self.all(name);
        assert!(all.len() <= 1, "more than one {name}: {all:?}");
        all.first().copied()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends a request without following redirects; any status is an answer.
fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
    let agent = ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(30)).build();
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(bytes) => request.send_bytes(bytes),
        None => request.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .iter()
        .flat_map(|name| response.all(name).into_iter().map(move |v| (name.to_ascii_lowercase(), v.to_string())))
        .collect();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).expect("read body");
    Answer { status, headers, body }
}

fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
    send("GET", url, headers, None)
}

/// A tag list's tags, sorted (distribution 2.8 lists them in storage order).
fn sorted_tags(answer: &Answer) -> Vec<String> {
    let mut tags: Vec<String> = answer.json()["tags"]
        .as_array()
        .unwrap_or_else(|| panic!("no tags: {}", answer.text()))
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    tags.sort();
    tags
}

fn basic((user, password): (&str, &str)) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// A token from `realm` for `scopes`, as `user` (or anonymous).
fn token(realm: &str, scopes: &[&str], user: Option<(&str, &str)>) -> String {
    let query: String = scopes.iter().map(|s| format!("&scope={s}")).collect();
    let authorization = user.map(basic);
    let headers: Vec<(&str, &str)> = authorization.iter().map(|a| ("Authorization", a.as_str())).collect();
    let answer = get(&format!("{realm}?service={SERVICE}{query}"), &headers);
    assert_eq!(answer.status, 200, "token from {realm}: {}", answer.text());
    answer.json()["token"].as_str().expect("token").to_string()
}

/// A small stand-in for dist/: index.html with Trunk's nonce placeholder, a script, config.json.
fn fake_dist() -> std::path::PathBuf {
    let dist = wharf_testkit::scratch_dir("gateway-dist");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><html><head><script type=\"module\" nonce=\"{{NONCE}}\" src=\"/app.js\"></script>\
         </head><body nonce=\"{{NONCE}}\">wharf</body></html>\n",
    )
    .expect("index.html");
    std::fs::write(dist.join("app.js"), "console.log('wharf');\n").expect("app.js");
    std::fs::write(dist.join("config.json"), CONFIG_JSON).expect("config.json");
    dist
}

#[test]
fn the_shipped_gateway_serves_the_app_and_both_registries_under_their_prefixes() {
    // The hub-like upstream: library/alpine (anyone pulls), hubuser/app (the user's own).
    let alpine = image_with_payload("3.20", 300_000);
    let own = app_image(Format::Oci, "amd64", None, "1.0");
    let hub = HubLike::start(|base| {
        let pusher = Pusher::new(base);
        pusher.tagged("library/alpine", &alpine, &["3.20", "latest"]);
        pusher.tagged("hubuser/app", &own, &["1.0"]);
    });
    let local = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
    let local_image = app_image(Format::Docker, "amd64", None, "2.0");
    let pusher = Pusher::new(&local.url());
    pusher.tagged("demo/one", &local_image, &["2.0"]);
    pusher.tagged("demo/two", &local_image, &["2.0", "latest"]);
    let dist = fake_dist();
    let gateway = Gateway::start(&dist, &hub, &local.host);
    let gw = &gateway.url;

    // ---- The hub-like upstream by itself: a 307 to storage, which serves the exact bytes. ----
    let layer = &alpine.layers[0];
    let pull = token(&hub.realm, &["repository:library/alpine:pull"], None);
    let bearer = format!("Bearer {pull}");
    let direct =
        get(&format!("{}/v2/library/alpine/blobs/{}", hub.registry.url(), layer.digest), &[("Authorization", &bearer)]);
    assert_eq!(direct.status, 307, "a blob GET on the hub redirects: {}", direct.text());
    let hex = layer.digest.trim_start_matches("sha256:");
    let storage_url = format!("{}/docker/registry/v2/blobs/sha256/{}/{hex}/data", hub.storage.url, &hex[..2]);
    assert_eq!(direct.header("Location"), Some(storage_url.as_str()));
    let stored = get(&storage_url, &[]);
    assert_eq!(stored.status, 200);
    assert_eq!(stored.body, layer.bytes, "the storage serves the blob's exact bytes");
    assert!(
        stored.headers.iter().all(|(name, _)| !name.starts_with("access-control-")),
        "the storage sends no CORS headers: {:?}",
        stored.headers
    );
    // skopeo, a real client, follows the redirect and checks every digest.
    skopeo::assert_reads_whole_image(&hub.registry.host, "library/alpine:latest");

    // ---- The app at /. ----
    let index = get(&format!("{gw}/"), &[]);
    assert_eq!(index.status, 200);
    let csp = index.header("Content-Security-Policy").expect("CSP on index.html").to_string();
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the CSP");
    assert_eq!(nonce.len(), 32, "the nonce is nginx's $request_id: {csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert_eq!(index.text().matches(&format!("nonce=\"{nonce}\"")).count(), 2, "{}", index.text());
    assert!(!index.text().contains("{{NONCE}}"));
    assert_eq!(index.header("Cache-Control"), Some("no-cache"));
    assert_eq!(index.header("X-Frame-Options"), Some("DENY"));
    let again = get(&format!("{gw}/index.html"), &[]);
    assert!(!again.text().contains(nonce), "each response has its own nonce");
    let deep = get(&format!("{gw}/r/hub/library/alpine"), &[]);
    assert_eq!((deep.status, deep.body.len()), (200, index.body.len()), "deep links get index.html");
    let config = get(&format!("{gw}/config.json"), &[]);
    assert_eq!(config.status, 200);
    assert_eq!(config.text(), CONFIG_JSON, "config.json is served from dist/ as it is");
    assert_eq!(config.header("X-Content-Type-Options"), Some("nosniff"));
    let script = get(&format!("{gw}/app.js"), &[]);
    assert!(script.header("Content-Security-Policy").is_some() && script.header("Cache-Control").is_none());

    // nginx's own 301 for a prefix without its slash is not taken for a hub redirect.
    for prefix in ["/hub", "/local"] {
        let bare = get(&format!("{gw}{prefix}/v2"), &[]);
        assert_eq!((bare.status, bare.header("Location")), (301, Some(format!("{prefix}/v2/").as_str())));
    }

    // ---- /hub/: the challenge names the realm on this origin. ----
    let ping = get(&format!("{}/v2/", gateway.hub_url()), &[]);
    assert_eq!(ping.status, 401);
    let realm = gateway.hub_realm();
    assert_eq!(
        ping.header("WWW-Authenticate"),
        Some(format!("Bearer realm=\"{realm}\",service=\"{SERVICE}\"").as_str())
    );
    let direct_ping = get(&format!("{}/v2/", hub.registry.url()), &[]);
    assert_eq!(
        (ping.body.as_slice(), ping.header("Content-Type")),
        (direct_ping.body.as_slice(), direct_ping.header("Content-Type"))
    );
    assert_eq!(ping.header("Docker-Distribution-Api-Version"), Some("registry/2.0"));
    assert_eq!(ping.header("Link"), None, "an empty Link map adds no header");

    // The realm through the gateway: a login works, a wrong password is refused by the service.
    let issued = hub.token.issued();
    let push = token(&realm, &["repository:hubuser/app:pull,push"], Some(HUB_USER));
    assert_eq!(hub.token.issued(), issued + 1, "the token came from the hub's token service");
    let last = hub.token.log.lock().expect("token log").last().cloned().expect("a token request");
    assert_eq!(last.account.as_deref(), Some(HUB_USER.0), "the Basic credentials reached the token service");
    assert_eq!(last.granted, vec!["repository:hubuser/app:pull,push".to_string()]);
    let refused = get(&format!("{realm}?service={SERVICE}"), &[("Authorization", &basic((HUB_USER.0, "wrong")))]);
    assert_eq!(refused.status, 401);

    // No catalog, even logged in; the 401 comes back as the upstream sent it, realm aside.
    let catalog_token = token(&realm, &["registry:catalog:*"], Some(HUB_USER));
    let catalog_bearer = format!("Bearer {catalog_token}");
    let catalog = get(&format!("{}/v2/_catalog", gateway.hub_url()), &[("Authorization", &catalog_bearer)]);
    let direct_catalog = get(&format!("{}/v2/_catalog", hub.registry.url()), &[("Authorization", &catalog_bearer)]);
    assert_eq!(catalog.status, 401, "{}", catalog.text());
    assert_eq!(catalog.body, direct_catalog.body);
    assert_eq!(catalog.json()["errors"][0]["code"], "UNAUTHORIZED");
    let challenge = direct_catalog.header("WWW-Authenticate").expect("challenge").to_string();
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    assert_eq!(
        catalog.header("WWW-Authenticate"),
        Some(challenge.replace(&format!("realm=\"{}\"", hub.realm), &format!("realm=\"{realm}\"")).as_str())
    );

    // A 404 envelope passes unchanged (proxy_intercept_errors is on for the redirects only).
    let anonymous = format!("Bearer {}", token(&realm, &["repository:library/alpine:pull"], None));
    let auth = [("Authorization", anonymous.as_str()), ("Accept", ACCEPT)];
    let missing = get(&format!("{}/v2/library/alpine/manifests/nope", gateway.hub_url()), &auth);
    let direct_missing = get(&format!("{}/v2/library/alpine/manifests/nope", hub.registry.url()), &auth);
    assert_eq!(missing.status, 404);
    assert_eq!(
        (missing.body.as_slice(), missing.header("Content-Type")),
        (direct_missing.body.as_slice(), direct_missing.header("Content-Type"))
    );
    assert_eq!(missing.json()["errors"][0]["code"], "MANIFEST_UNKNOWN");

    // Manifest and tags through /hub/, registry headers untouched.
    let manifest = get(&format!("{}/v2/library/alpine/manifests/latest", gateway.hub_url()), &auth);
    assert_eq!(manifest.status, 200, "{}", manifest.text());
    assert_eq!(manifest.body, alpine.manifest.bytes);
    assert_eq!(manifest.header("Docker-Content-Digest"), Some(alpine.manifest.digest.as_str()));
    let tags = get(&format!("{}/v2/library/alpine/tags/list", gateway.hub_url()), &auth[..1]);
    assert_eq!(sorted_tags(&tags), ["3.20", "latest"]);

    // A blob GET: nginx follows the 307 itself; the storage gets no Authorization.
    let before = hub.storage.requests().len();
    let blob = get(&format!("{}/v2/library/alpine/blobs/{}", gateway.hub_url(), layer.digest), &auth[..1]);
    assert_eq!(blob.status, 200, "{}", gateway.nginx.error_log());
    assert_eq!(blob.body, layer.bytes, "the blob's exact bytes through the gateway");
    assert_eq!(sha256_of(&blob.body).to_string(), layer.digest);
    assert_eq!(blob.header("Location"), None);
    let head =
        send("HEAD", &format!("{}/v2/library/alpine/blobs/{}", gateway.hub_url(), layer.digest), &auth[..1], None);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some(layer.bytes.len().to_string().as_str()));
    let fetched = hub.storage.requests()[before..].to_vec();
    let storage_host = hub.storage.url.trim_start_matches("http://");
    assert_eq!(fetched.len(), 2, "{fetched:?}");
    for (request, method) in fetched.iter().zip(["GET", "HEAD"]) {
        assert_eq!(request.method, method);
        assert_eq!(request.url, format!("/docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]));
        assert_eq!(request.authorization, None, "the storage must not see the user's token");
        assert_eq!(request.host.as_deref(), Some(storage_host), "the storage's own Host");
    }
    let unknown = get(&format!("{}/v2/library/alpine/blobs/sha256:{}", gateway.hub_url(), "0".repeat(64)), &auth[..1]);
    assert_eq!((unknown.status, unknown.json()["errors"][0]["code"].as_str()), (404, Some("BLOB_UNKNOWN")));

    // A push through /hub/: upload Locations (absolute, on the upstream's host) come back under /hub/.
    let push_auth = format!("Bearer {push}");
    let pushed = app_image(Format::Oci, "arm64", Some("v8"), "1.1");
    push_through(&gateway.hub_url(), "/hub", "hubuser/app", "1.1", &pushed, &push_auth);
    assert_eq!(
        skopeo::manifest_digest_as(&hub.registry.host, "hubuser/app:1.1", Some(HUB_USER)),
        Ok(Some(pushed.manifest.digest.clone()))
    );

    // ---- /local/: no challenge, Link and Location under /local/. ----
    let ping = get(&format!("{}/v2/", gateway.local_url()), &[]);
    assert_eq!((ping.status, ping.header("WWW-Authenticate")), (200, None));
    let page = get(&format!("{}/v2/_catalog?n=1", gateway.local_url()), &[]);
    assert_eq!(page.json()["repositories"], serde_json::json!(["demo/one"]));
    let direct_page = get(&format!("{}/v2/_catalog?n=1", local.url()), &[]);
    let direct_link = direct_page.header("Link").expect("a Link from the registry");
    let link = page.header("Link").expect("a Link through the gateway");
    assert_eq!(link, direct_link.replacen("</v2/", "</local/v2/", 1), "the Link is moved under /local/");
    let next =
        link.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(target, _)| target).expect("<target>");
    let second = get(&format!("{gw}{next}"), &[]);
    assert_eq!(second.json()["repositories"], serde_json::json!(["demo/two"]));
    let tags = get(&format!("{}/v2/demo/two/tags/list", gateway.local_url()), &[]);
    assert_eq!(sorted_tags(&tags), ["2.0", "latest"]);
    assert_eq!(tags.header("Link"), None);
    let manifest = get(&format!("{}/v2/demo/one/manifests/2.0", gateway.local_url()), &[("Accept", ACCEPT)]);
    assert_eq!(manifest.header("Docker-Content-Digest"), Some(local_image.manifest.digest.as_str()));
    assert_eq!(manifest.body, local_image.manifest.bytes);

    // A push through /local/, checked with the registry's own digest and skopeo.
    let fresh = app_image(Format::Docker, "arm64", Some("v8"), "3.0");
    push_through(&gateway.local_url(), "/local", "demo/pushed", "3.0", &fresh, "");
    assert_eq!(local.digest_of("demo/pushed", "3.0"), Ok(Some(fresh.manifest.digest.clone())));
    assert_eq!(skopeo::manifest_digest(&local.host, "demo/pushed:3.0"), Ok(Some(fresh.manifest.digest.clone())));

    // Every upstream request went through a prefix the config names.
    let log = gateway.nginx.access_log();
    assert!(log.contains("\"GET /hub/v2/library/alpine/blobs/"), "{log}");
    drop(gateway);
    let _ = std::fs::remove_dir_all(dist);
}

/// Pushes `image` as `repo:tag` through `base` (`<gateway>/<prefix>`) with the monolithic
/// POST-then-PUT upload, checking that every Location the registry answers comes back as a path
/// under `prefix` on the gateway.
fn push_through(
    base: &str,
    prefix: &str,
    repo: &str,
    tag: &str,
    image: &wharf_testkit::oci::Image,
    authorization: &str,
) {
    let origin = base.trim_end_matches(prefix);
    let auth: Vec<(&str, &str)> =
        if authorization.is_empty() { Vec::new() } else { vec![("Authorization", authorization)] };
    let blobs: Vec<&Blob> = std::iter::once(&image.config).chain(&image.layers).collect();
    for blob in blobs {
        let started = send("POST", &format!("{base}/v2/{repo}/blobs/uploads/"), &auth, Some(b""));
        assert_eq!(started.status, 202, "POST upload: {}", started.text());
        let location = started.header("Location").expect("upload Location").to_string();
        assert!(
            location.starts_with(&format!("{prefix}/v2/{repo}/blobs/uploads/")),
            "the upload Location is under {prefix}/: {location}"
        );
        let separator = if location.contains('?') { '&' } else { '?' };
        let mut headers = auth.clone();
        headers.push(("Content-Type", "application/octet-stream"));
        let done =
            send("PUT", &format!("{origin}{location}{separator}digest={}", blob.digest), &headers, Some(&blob.bytes));
        assert_eq!(done.status, 201, "PUT upload: {}", done.text());
        assert_eq!(done.header("Location"), Some(format!("{prefix}/v2/{repo}/blobs/{}", blob.digest).as_str()));
        assert_eq!(done.header("Docker-Content-Digest"), Some(blob.digest.as_str()));
    }
    let mut headers = auth.clone();
    headers.push(("Content-Type", image.manifest.media_type.as_str()));
    let put = send("PUT", &format!("{base}/v2/{repo}/manifests/{tag}"), &headers, Some(&image.manifest.bytes));
    assert_eq!(put.status, 201, "PUT manifest: {}", put.text());
    assert_eq!(put.header("Docker-Content-Digest"), Some(image.manifest.digest.as_str()));
    assert_eq!(
        put.header("Location"),
        Some(format!("{prefix}/v2/{repo}/manifests/{}", image.manifest.digest).as_str())
    );
}

#[test]
fn a_429_from_the_hub_passes_the_redirect_following_location_unchanged() {
    let image = app_image(Format::Docker, "amd64", None, "1.0");
    let hub = HubLike::start(|base| Pusher::new(base).tagged("library/alpine", &image, &["latest"]));
    let path = "/v2/library/alpine/manifests/latest".to_string();
    let throttle = Throttle::start(
        &hub.registry.url(),
        ThrottleOptions {
            every_nth: 0,
            paths: vec![path.clone()],
            attempts: 1,
            retry_after: 7,
            ..ThrottleOptions::default()
        },
    );
    let local = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
    let dist = fake_dist();
    let nginx = Nginx::start_gateway(Nginx::reserve_port(), &dist, &throttle.url(), &hub.realm, &local.host);
    let realm = format!("{}/hub-auth/token", nginx.url);
    let bearer = format!("Bearer {}", token(&realm, &["repository:library/alpine:pull"], None));
    let url = format!("{}/hub{path}", nginx.url);
    let headers = [("Authorization", bearer.as_str()), ("Accept", ACCEPT)];

    let limited = send("HEAD", &url, &headers, None);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("Retry-After"), Some("7"), "Retry-After passes through");
    let retried = send("HEAD", &url, &headers, None);
    assert_eq!(retried.status, 200);
    assert_eq!(retried.header("Docker-Content-Digest"), Some(image.manifest.digest.as_str()));
    assert_eq!(throttle.throttled(), 1);
    drop(nginx);
    let _ = std::fs::remove_dir_all(dist);
}
