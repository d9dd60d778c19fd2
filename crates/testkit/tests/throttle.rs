//! The 429 stand-in against a real registry: a chosen manifest HEAD is answered 429 with
//! `Retry-After` and CORS headers, its retry passes with the registry's own headers, and every
//! other exchange (GET bytes, uploads, preflights) passes through unchanged.

use sha2::{Digest, Sha256};
use std::io::Read;
use wharf_testkit::oci::Format;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{app_image, Pusher};
use wharf_testkit::throttle::{Throttle, ThrottleOptions};

const ACCEPT: &str = wharf_protocol::media::MANIFEST_ACCEPT;

fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{}", Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// HEAD through the proxy: (status, Retry-After, Docker-Content-Digest, Content-Length, ACAO).
fn head(url: &str) -> (u16, Option<String>, Option<String>, Option<String>, Option<String>) {
    let response = match ureq::head(url).set("Accept", ACCEPT).call() {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("HEAD {url}: {e}"),
    };
    let header = |name: &str| response.header(name).map(str::to_string);
    (
        response.status(),
        header("Retry-After"),
        header("Docker-Content-Digest"),
        header("Content-Length"),
        header("Access-Control-Allow-Origin"),
    )
}

fn get_bytes(url: &str, accept: Option<&str>) -> (u16, Vec<u8>, Option<String>) {
    let mut request = ureq::get(url);
    if let Some(accept) = accept {
        request = request.set("Accept", accept);
    }
    let response = request.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let digest = response.header("Docker-Content-Digest").map(str::to_string);
    let status = response.status();
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes).expect("body");
    (status, bytes, digest)
}

#[test]
fn a_throttled_head_gets_429_then_its_retry_and_everything_else_pass_unchanged() {
    let registry = Registry::start(RegistryOptions::default());
    let image = app_image(Format::Oci, "amd64", None, "1.0");
    let other = app_image(Format::Docker, "amd64", None, "2.0");
    let direct = Pusher::new(&registry.url());
    direct.tagged("throttle/app", &image, &["1.0", "1.1", "1.2"]);
    let throttle = Throttle::start(&registry.url(), ThrottleOptions { every_nth: 2, ..ThrottleOptions::default() });
    let base = throttle.url();
    let tag_url = |tag: &str| format!("{base}/v2/throttle/app/manifests/{tag}");

    // The 1st distinct manifest HEAD path is chosen: 429 with Retry-After and CORS headers.
    let (status, retry_after, digest, _, origin) = head(&tag_url("1.0"));
    assert_eq!(status, 429);
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(digest, None);
    assert_eq!(origin.as_deref(), Some("*"));
    // Its retry passes, with the registry's own digest and length.
    let (status, retry_after, digest, length, _) = head(&tag_url("1.0"));
    assert_eq!((status, retry_after), (200, None));
    assert_eq!(digest, registry.digest_of("throttle/app", "1.0").unwrap());
    assert_eq!(length, Some(image.manifest.bytes.len().to_string()));
    // The 2nd distinct path is not chosen, the 3rd is.
    assert_eq!(head(&tag_url("1.1")).0, 200);
    assert_eq!(head(&tag_url("1.2")).0, 429);
    assert_eq!(head(&tag_url("1.2")).0, 200);
    assert_eq!(throttle.throttled(), 2);
    assert_eq!(throttle.unretried(), Vec::<String>::new());

    // GETs pass the exact bytes: a manifest (with the registry's digest) and a layer blob.
    let (status, bytes, digest) = get_bytes(&tag_url("1.0"), Some(ACCEPT));
    assert_eq!(status, 200);
    assert_eq!(bytes, image.manifest.bytes);
    assert_eq!(digest.as_deref(), Some(sha256_hex(&bytes).as_str()));
    let layer = &image.layers[1];
    let (_, bytes, _) = get_bytes(&format!("{base}/v2/throttle/app/blobs/{}", layer.digest), None);
    assert_eq!(sha256_hex(&bytes), layer.digest);
    // A manifest HEAD that is not chosen never gets a 429, however often it is asked.
    for _ in 0..3 {
        assert_eq!(head(&tag_url("1.1")).0, 200);
    }

    // Uploads through the proxy: POST, PUT with a body, and the registry's Location (built from
    // the proxy's Host) lead back through the proxy.
    let mark = throttle.log_mark();
    Pusher::new(&base).tagged("throttle/other", &other, &["2.0"]);
    assert_eq!(registry.digest_of("throttle/other", "2.0"), Ok(Some(other.manifest.digest.clone())));
    let methods: Vec<String> = throttle.log_since(mark).iter().map(|s| s.method.clone()).collect();
    assert!(methods.contains(&"POST".to_string()) && methods.contains(&"PUT".to_string()), "{methods:?}");

    // A CORS preflight goes to the registry, which answers it.
    let preflight = ureq::request("OPTIONS", &tag_url("1.0"))
        .set("Origin", "http://127.0.0.1:1")
        .set("Access-Control-Request-Method", "HEAD")
        .set("Access-Control-Request-Headers", "accept")
        .call()
        .expect("preflight");
    assert_eq!(preflight.status(), 200);
    assert!(preflight.header("Access-Control-Allow-Methods").unwrap_or("").contains("HEAD"));

    // The log: every request with its status; the 429s marked.
    let log = throttle.log();
    let throttled: Vec<(&str, &str, u16)> =
        log.iter().filter(|s| s.throttled).map(|s| (s.method.as_str(), s.path.as_str(), s.status)).collect();
    assert_eq!(
        throttled,
        [("HEAD", "/v2/throttle/app/manifests/1.0", 429), ("HEAD", "/v2/throttle/app/manifests/1.2", 429)]
    );
    assert!(log.iter().any(|s| s.method == "OPTIONS" && s.status == 200));
    assert!(log.iter().filter(|s| !s.throttled).all(|s| s.status != 0 && s.status != 429), "{log:?}");
}

#[test]
fn chosen_paths_and_repeated_429s() {
    let registry = Registry::start(RegistryOptions::default());
    let image = app_image(Format::Oci, "amd64", None, "1.0");
    Pusher::new(&registry.url()).tagged("throttle/app", &image, &["a", "b"]);
    let throttle = Throttle::start(
        &registry.url(),
        ThrottleOptions {
            every_nth: 0,
            paths: vec!["/v2/throttle/app/manifests/b".into()],
            attempts: 2,
            retry_after: 3,
            method: "HEAD",
        },
    );
    let url = |tag: &str| format!("{}/v2/throttle/app/manifests/{tag}", throttle.url());
    assert_eq!(head(&url("a")).0, 200);
    let (status, retry_after, ..) = head(&url("b"));
    assert_eq!((status, retry_after.as_deref()), (429, Some("3")));
    assert_eq!(throttle.unretried(), ["/v2/throttle/app/manifests/b"]);
    assert_eq!(head(&url("b")).0, 429);
    assert_eq!(head(&url("b")).0, 200);
    assert_eq!(throttle.throttled(), 2);
    assert!(throttle.unretried().is_empty());
    // A GET of a chosen path is never throttled.
    assert_eq!(get_bytes(&url("b"), Some(ACCEPT)).0, 200);
}

/// In Chromium, from another origin: the preflight passes through to the registry, the page reads
/// the 429's status and `Retry-After` (the proxy's own CORS headers), and its retry the
/// registry's digest.
#[tokio::test]
async fn a_page_of_another_origin_reads_the_429_and_its_retry() {
    use wharf_testkit::browser::Browser;
    use wharf_testkit::static_server::StaticServer;

    let registry = Registry::start(RegistryOptions::default());
    let image = app_image(Format::Oci, "amd64", None, "1.0");
    Pusher::new(&registry.url()).tagged("throttle/app", &image, &["1.0"]);
    let throttle = Throttle::start(&registry.url(), ThrottleOptions { every_nth: 1, ..ThrottleOptions::default() });
    let page = wharf_testkit::scratch_dir("throttle-page");
    std::fs::write(page.join("index.html"), "<!doctype html><title>throttle check</title>").expect("page");
    let app = StaticServer::start(page.clone(), 0);
    let browser = Browser::start().await;
    browser.client.goto(&app.url).await.expect("open the page");
    let answer = browser
        .client
        .execute_async(
            r#"
            const [url, accept, done] = arguments;
            (async () => {
              const once = async () => {
                const r = await fetch(url, { method: 'HEAD', headers: { Accept: accept }, cache: 'no-store' });
                return [r.status, r.headers.get('Retry-After'), r.headers.get('Docker-Content-Digest')];
              };
              const first = await once();
              const second = await once();
              done([first, second]);
            })().catch((e) => done(String(e)));
            "#,
            vec![
                serde_json::json!(format!("{}/v2/throttle/app/manifests/1.0", throttle.url())),
                serde_json::json!(ACCEPT),
            ],
        )
        .await
        .expect("fetch in the page");
    browser.close().await;
    let _ = std::fs::remove_dir_all(&page);
    let digest = registry.digest_of("throttle/app", "1.0").unwrap().unwrap();
    assert_eq!(answer, serde_json::json!([[429, "1", null], [200, null, digest]]));
    let methods: Vec<(String, u16)> = throttle.log().iter().map(|s| (s.method.clone(), s.status)).collect();
    assert!(methods.contains(&("OPTIONS".to_string(), 200)), "the preflight went to the registry: {methods:?}");
}

#[test]
fn a_throttled_put_is_read_whole_then_answered_429_and_its_retry_lands() {
    let registry = Registry::start(RegistryOptions::default());
    let image = app_image(Format::Oci, "amd64", None, "1.0");
    Pusher::new(&registry.url()).tagged("throttle/put", &image, &["1.0"]);
    let throttle = Throttle::start(
        &registry.url(),
        ThrottleOptions { every_nth: 1, retry_after: 2, method: "PUT", ..ThrottleOptions::default() },
    );
    let url = format!("{}/v2/throttle/put/manifests/copy", throttle.url());
    let put = || match ureq::put(&url).set("Content-Type", &image.manifest.media_type).send_bytes(&image.manifest.bytes)
    {
        Ok(response) => (response.status(), response.header("Retry-After").map(str::to_string)),
        Err(ureq::Error::Status(status, response)) => (status, response.header("Retry-After").map(str::to_string)),
        Err(e) => panic!("PUT {url}: {e}"),
    };
    assert_eq!(put(), (429, Some("2".to_string())), "the first PUT is throttled, its body read");
    assert_eq!(registry.digest_of("throttle/put", "copy"), Ok(None), "the 429 stored nothing");
    assert_eq!(put().0, 201, "the retry passes to the registry");
    assert_eq!(registry.digest_of("throttle/put", "copy"), Ok(Some(image.manifest.digest.clone())));
    assert_eq!(throttle.unretried(), Vec::<String>::new());
    // HEADs are not chosen when PUTs are.
    assert_eq!(head(&url).0, 200);
}
