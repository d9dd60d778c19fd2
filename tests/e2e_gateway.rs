//! End to end, issue 11: registries that send no CORS headers and keep their token realm on
//! another host, reached through the shipped gateway (deploy/nginx-gateway.conf, run with only its
//! example addresses replaced), and registries under a path prefix (`/hub`, `/local`).
//!
//! The "hub" is a real registry (distribution 2.8) with token auth whose token service is on
//! another origin, whose catalog answers 401 to everyone, which sends Docker Hub's `RateLimit-*`
//! headers, and whose blobs are served by a 307 to a storage server without CORS headers. The
//! second upstream is a plain registry. Results are checked with skopeo and the registries' own
//! digests; the storage server's log says who fetched the blobs.

mod common;

use std::time::Duration;

use common::{assert_accessible, attr_of, screenshot_both_widths, submit_copy, ONE_BROWSER_AT_A_TIME};
use serde_json::Value;
use wharf_testkit::browser::Browser;
use wharf_testkit::gateway::{Gateway, HubLike, CONFIG_JSON, HUB_USER};
use wharf_testkit::oci::Format;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{app_image, many_tag_names, seed_many_tags, Pusher};
use wharf_testkit::skopeo;
use wharf_testkit::static_server::StaticServer;
use wharf_testkit::throttle::{Throttle, ThrottleOptions};
use wharf_testkit::{dist_with_config, workspace_root};

async fn js(b: &Browser, expression: &str) -> Value {
    b.client.execute(&format!("return ({expression});"), vec![]).await.expect("script")
}

async fn log_in(b: &Browser, user: (&str, &str)) {
    b.click("[data-testid=login-open]").await;
    b.type_into("[data-testid=login-user]", user.0).await;
    b.type_into("[data-testid=login-password]", user.1).await;
    // Remembered in this tab, so deep links opened later (full navigations) keep the login.
    b.click("[data-testid=login-remember]").await;
    b.click("[data-testid=login-submit]").await;
    b.wait_js(&format!("document.querySelector('[data-testid=account]')?.textContent.includes('{}')", user.0)).await;
}

#[tokio::test]
async fn through_the_gateway_the_hub_and_a_prefixed_registry_are_browsed_logged_into_and_copied_between() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let alpine = app_image(Format::Docker, "amd64", None, "alpine-3.20");
    let private = app_image(Format::Oci, "amd64", None, "private-1.0");
    let hub = HubLike::start(|base| {
        let p = Pusher::new(base);
        p.tagged("library/alpine", &alpine, &["3.20", "latest"]);
        p.tagged("hubuser/private", &private, &["1.0"]);
    });
    let local = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
    let dist = dist_with_config(CONFIG_JSON);
    let gateway = Gateway::start(&dist, &hub, &local.host);
    let browser = Browser::start().await;
    let b = &browser;

    // The hub refuses its catalog: the page opens on the pinned list, not on an error.
    b.client.goto(&format!("{}/r/%2Fhub", gateway.url)).await.expect("open the hub's catalog");
    b.wait_css("[data-testid=catalog-refused]").await;
    b.wait_css("[data-testid=pinned-item][data-repo='library/alpine']").await;
    assert_eq!(js(b, "document.querySelectorAll('[data-testid=error]').length").await, 0, "no error box");
    let heading = b.text("[data-testid=registry-name]").await;
    assert!(heading.contains("Docker Hub (via gateway)") && heading.contains("/hub"), "{heading}");
    // Docker Hub's quota headers, as the hub sent them, are shown.
    b.wait_css("[data-testid=rate-limit]").await;
    let quota = b.text("[data-testid=rate-limit]").await;
    assert!(quota.contains("76 of 100 requests left per 6 h"), "{quota}");
    assert_accessible(b, "the hub's catalog").await;
    screenshot_both_widths(b, "gateway-catalog").await;

    // The anonymous /v2/ answered 401: log in. The token comes from the realm the gateway
    // rewrote onto this origin, and still no catalog (nobody is granted it).
    log_in(b, HUB_USER).await;
    assert!(
        hub.token.log.lock().unwrap().iter().any(|r| r.account.as_deref() == Some(HUB_USER.0)),
        "the token service, on its own origin, was asked as {} through the gateway",
        HUB_USER.0
    );

    // A repository pinned from the page, kept by the browser, one click from the catalog.
    b.type_into("[data-testid=open-repo-input]", "hubuser/private").await;
    b.click("[data-testid=pin-repo]").await;
    b.wait_css("[data-testid=pinned-item][data-repo='hubuser/private'] [data-testid=unpin]").await;
    b.client.refresh().await.expect("reload");
    b.wait_css("[data-testid=pinned-item][data-repo='hubuser/private']").await;
    b.wait_css("[data-testid=catalog-refused]").await;
    b.click("[data-testid=pinned-item][data-repo='hubuser/private'] a").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 1").await;
    let shown: Vec<String> = serde_json::from_value(
        js(b, "[...document.querySelectorAll('[data-testid=tag-row] [data-digest]')].map(e => e.dataset.digest)").await,
    )
    .expect("digests");
    assert_eq!(shown, vec![private.manifest.digest.clone()], "the private repository's tag, read with the login");
    assert_eq!(b.text("[data-testid=repo-pinned]").await.trim(), "· pinned");
    // Pull commands use the config's public name, not the gateway's path.
    let pull = attr_of(b, "[data-testid=tag-pull]", "title").await.unwrap_or_default();
    assert_eq!(pull, "docker pull docker.io/hubuser/private:1.0");
    assert_eq!(js(b, "document.querySelectorAll('[data-testid=pull-guessed]').length").await, 0);

    // A deep link straight into the copy form (a full navigation through the gateway): copy
    // from the hub to the registry under /local. Blobs stream from the hub through the gateway,
    // which follows the hub's redirects to its storage itself.
    b.client.goto(&format!("{}/r/%2Fhub/library/alpine/-/copy/3.20", gateway.url)).await.expect("deep link");
    b.wait_css("[data-testid=source-digest]").await;
    let storage_before = hub.storage.requests().len();
    b.type_into("[data-testid=copy-registry]", "/local").await;
    b.type_into("[data-testid=copy-repository]", "mirror/alpine").await;
    b.type_into("[data-testid=copy-tag]", "3.20").await;
    let result = submit_copy(b, Duration::from_secs(60)).await.text().await.expect("copy result");
    b.wait_css("[data-testid=digest-equal]").await;
    let alpine_blobs: Vec<_> = std::iter::once(&alpine.config).chain(&alpine.layers).collect();
    let blobs = alpine_blobs.len();
    assert!(result.contains(&format!("{blobs} blob(s): 0 mounted, 0 already there, {blobs} streamed")), "{result}");
    assert_eq!(skopeo::manifest_digest(&local.host, "mirror/alpine:3.20"), Ok(Some(alpine.manifest.digest.clone())));
    assert_eq!(
        skopeo::manifest_digest_as(&hub.registry.host, "library/alpine:3.20", Some(HUB_USER)),
        Ok(Some(alpine.manifest.digest.clone())),
        "the source, read by skopeo from the hub itself"
    );
    skopeo::assert_reads_whole_image(&local.host, "mirror/alpine:3.20");
    // Every blob came from the storage server, fetched by nginx without the user's token; the
    // page itself never asked the storage host for anything.
    let fetched: Vec<_> =
        hub.storage.requests().into_iter().skip(storage_before).filter(|r| r.method == "GET").collect();
    for blob in &alpine_blobs {
        let hex = blob.digest.trim_start_matches("sha256:");
        assert!(fetched.iter().any(|r| r.url.ends_with(&format!("/{hex}/data"))), "{hex} from storage: {fetched:?}");
    }
    assert!(fetched.iter().all(|r| r.authorization.is_none()), "no Authorization towards storage: {fetched:?}");
    let storage_host = hub.storage.url.trim_start_matches("http://").to_string();
    let page_asked_storage =
        js(b, &format!("performance.getEntriesByType('resource').some(e => e.name.includes('{storage_host}'))")).await;
    assert_eq!(page_asked_storage, Value::Bool(false), "the browser never met the storage host");
    assert_accessible(b, "the copy result").await;
    screenshot_both_widths(b, "gateway-copy").await;

    // The self-test of the hub through the gateway: one origin, so nothing of CORS can fail, and
    // the rewritten realm is this origin's.
    b.client.goto(&format!("{}/r/%2Fhub/-/selftest", gateway.url)).await.expect("self-test through the gateway");
    b.wait_css("[data-testid=selftest-summary]").await;
    assert_eq!(attr_of(b, "[data-testid=finding][data-id=reach]", "data-status").await.as_deref(), Some("pass"));
    let statuses: Vec<String> = serde_json::from_value(
        js(
            b,
            "[...document.querySelectorAll('[data-testid=finding]')].map(f => f.dataset.id + '=' + f.dataset.status)",
        )
        .await,
    )
    .expect("findings");
    // Nothing fails: what this account may not do (push to the probe repository, list the
    // catalog) is said as such, not as a missing setting.
    assert!(statuses.iter().all(|s| !s.ends_with("=fail")), "{statuses:?}");
    assert!(statuses.contains(&"method-post=skip".to_string()), "{statuses:?}");
    let report = b.text("[data-testid=selftest]").await;
    assert!(report.contains(&gateway.hub_realm()), "the realm named is the gateway's: {report}");
    screenshot_both_widths(b, "gateway-selftest").await;

    // The journal keeps the copy under the prefixed registry, and its deep link opens.
    b.client.goto(&format!("{}/r/%2Flocal/-/journal", gateway.url)).await.expect("journal");
    b.wait_css("[data-testid=journal-entry][data-action=copy]").await;
    let journal = b.text("[data-testid=journal]").await;
    assert!(journal.contains("mirror/alpine") && journal.contains("/local"), "{journal}");
    b.client.goto(&format!("{}/r/%2Flocal/mirror/alpine", gateway.url)).await.expect("tags under /local");
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 1").await;
    assert_eq!(
        attr_of(b, "[data-testid=tag-row] [data-digest]", "data-digest").await.as_deref(),
        Some(alpine.manifest.digest.as_str())
    );
    browser.close().await;
    drop(gateway);
}

#[tokio::test]
async fn straight_at_the_hub_the_selftest_says_what_is_missing_and_points_at_the_gateway() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let alpine = app_image(Format::Docker, "amd64", None, "alpine-3.20");
    let hub = HubLike::start(|base| Pusher::new(base).tagged("library/alpine", &alpine, &["3.20"]));
    // What the hub really answers a page on another origin: 401 and no CORS header.
    let direct = match ureq::get(&format!("{}/v2/", hub.registry.url())).set("Origin", "http://127.0.0.1:1").call() {
        Err(ureq::Error::Status(status, response)) => {
            (status, response.header("Access-Control-Allow-Origin").is_some())
        }
        other => panic!("GET /v2/ of the hub: {other:?}"),
    };
    assert_eq!(direct, (401, false), "the hub answers 401 without Access-Control-Allow-Origin");

    let app = StaticServer::start(workspace_root().join("dist"), 0);
    let browser = Browser::start().await;
    let b = &browser;
    b.client.goto(&format!("{}/r/http:{}/-/selftest", app.url, hub.registry.host)).await.expect("self-test");
    b.wait_css("[data-testid=selftest-summary]").await;
    assert_eq!(attr_of(b, "[data-testid=finding][data-id=reach]", "data-status").await.as_deref(), Some("fail"));
    let reach = b.text("[data-testid=finding][data-id=reach]").await;
    assert!(reach.contains("without an Access-Control-Allow-Origin header"), "{reach}");
    assert!(reach.contains("deploy/nginx-gateway.conf") && reach.contains("/hub"), "{reach}");
    assert_accessible(b, "the self-test straight at the hub").await;
    screenshot_both_widths(b, "gateway-selftest-direct").await;
    browser.close().await;
}

#[tokio::test]
async fn a_429_mid_bulk_pauses_the_run_which_resumes_and_verifies_every_item() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let registry = Registry::start(RegistryOptions::default());
    seed_many_tags(&registry.url(), "bulk/paced", 12, 3);
    // Every third distinct manifest PUT is answered 429 with Retry-After: 2, once.
    let throttle = Throttle::start(
        &registry.url(),
        ThrottleOptions { every_nth: 3, retry_after: 2, method: "PUT", ..ThrottleOptions::default() },
    );
    let app = StaticServer::start(workspace_root().join("dist"), 0);
    let browser = Browser::start().await;
    let b = &browser;
    b.client.goto(&format!("{}/r/http:{}/bulk/paced", app.url, throttle.host)).await.expect("tags");
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 12").await;
    b.click("[data-testid=select-all]").await;
    b.wait_css("[data-testid=bulk-panel]").await;
    b.type_into("[data-testid=bulk-rule-text]", "prod-").await;
    b.click("[data-testid=bulk-plan]").await;
    b.wait_css("[data-testid=bulk-dry-run]").await;
    assert_eq!(attr_of(b, "[data-testid=bulk-dry-run]", "data-operations").await.as_deref(), Some("12"));
    b.click("[data-testid=bulk-run]").await;
    // The user sees why the run waits.
    b.wait_css("[data-testid=bulk-paused]").await;
    let paused = b.text("[data-testid=bulk-paused]").await;
    assert!(paused.contains("429") && paused.contains("Retry-After: 2") && paused.contains("resumes"), "{paused}");
    screenshot_both_widths(b, "bulk-paused").await;
    b.wait_js_within(
        "document.querySelector('[data-testid=bulk-summary]')?.dataset.finished == 'true'",
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(attr_of(b, "[data-testid=bulk-summary]", "data-done").await.as_deref(), Some("12"));
    assert_eq!(attr_of(b, "[data-testid=bulk-summary]", "data-failed").await.as_deref(), Some("0"));
    assert_eq!(
        js(b, "document.querySelectorAll('[data-testid=bulk-paused]').length").await,
        0,
        "no pause is left shown"
    );
    let throttled = throttle.throttled();
    assert!(throttled >= 4, "12 distinct PUTs, every third throttled: {throttled}");
    assert_eq!(throttle.unretried(), Vec::<String>::new(), "every throttled PUT was sent again and passed");
    let pauses = js(b, "performance.getEntriesByName('wharf:bulk-paused').length").await;
    assert_eq!(pauses.as_u64(), Some(throttled as u64), "one pause per 429");
    // Every item verified at the registry itself: the target has the source's digest.
    for tag in many_tag_names(12) {
        let source = registry.digest_of("bulk/paced", &tag).expect("source").expect("source tag");
        assert_eq!(registry.digest_of("bulk/paced", &format!("prod-{tag}")), Ok(Some(source)), "prod-{tag}");
    }
    assert_accessible(b, "the bulk run after its pauses").await;
    browser.close().await;
}
