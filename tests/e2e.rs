//! End to end: the release build of the app in headless Chromium against a real distribution
//! registry on 127.0.0.1, results checked with skopeo and the registry's own access log.
//!
//! Needs `dist/` (scripts/test builds it), `docker-registry`, `skopeo`, `chromium` and
//! `chromium-driver`. Tests take a lock so only one browser runs at a time on small machines.

mod common;

use common::{
    attr_of, attrs, click_link, screenshot, screenshot_both_widths, screenshot_both_widths_at, submit_copy,
    submit_retag, texts, writes, Stack, ONE_BROWSER_AT_A_TIME,
};
use fantoccini::Locator;
use std::time::Duration;

use serde_json::Value;
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::{Registry, RegistryAuth, RegistryOptions};
use wharf_testkit::seed::{seed_demo, seed_hostile, seed_many_tags, HOSTILE_LABELS};
use wharf_testkit::static_server::StaticServer;
use wharf_testkit::{dist_with_config, free_port, skopeo};

/// Types the targets and waits until the page has looked up what each one holds.
async fn type_and_check_targets(browser: &Browser, targets: &str) {
    browser.type_into("[data-testid=retag-targets]", targets).await;
    browser
        .wait_js(&format!("document.querySelector('[data-testid=targets-checked]')?.dataset.for == {targets:?}"))
        .await;
}

/// Opens the retag view of `source` (a path after the registry) and waits for the source digest.
async fn open_retag(stack: &Stack, source: &str) {
    stack.goto(source).await;
    stack.browser.wait_css("[data-testid=source-digest]").await;
}

#[tokio::test]
async fn browse_catalog_tags_manifest_with_deep_links_and_wire_panel() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;

    stack.goto("").await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    assert_eq!(
        attrs(b, "[data-testid=repo-list] li", "data-repo").await,
        ["demo/hello", "demo/multi", "demo/oci-app", "team/app/api"]
    );
    // Each repository in view gets its tag count (one tag list GET each).
    b.wait_js("[...document.querySelectorAll('[data-testid=repo-item]')].every(li => li.dataset.tags != '')").await;
    assert_eq!(attrs(b, "[data-testid=repo-list] li", "data-tags").await, ["3", "1", "1", "3"]);
    assert!(texts(b, "[data-testid=repo-list] li").await[0].contains("3 tags"));
    assert_eq!(b.text("[data-testid=ping]").await, "● connected");
    b.type_into("[data-testid=repo-filter]", "app").await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 2").await;
    screenshot(&stack.browser, "catalog").await;

    // Catalog → tags of a nested repository: natural order, digests fetched lazily.
    click_link(b, "team/app/api").await;
    assert!(b.client.current_url().await.unwrap().path().ends_with("/team/app/api"));
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 3").await;
    assert_eq!(attrs(b, "[data-testid=tag-row]", "data-tag").await, ["v1.2", "v1.9", "v1.10"], "v1.10 after v1.9");
    let digests = attrs(b, "[data-testid=tag-row] [data-digest]", "data-digest").await;
    assert!(digests.iter().all(|d| d == &stack.seeded.nested), "{digests:?}");
    assert!(texts(b, "[data-testid=tag-row]").await[0].contains("3 tags"), "shared digest shown");
    screenshot(&stack.browser, "tags").await;

    // Tags → manifest: digest computed in the page equals the registry's and skopeo's.
    click_link(b, "v1.9").await;
    let shown_digest = b.text("[data-testid=manifest-digest]").await;
    assert_eq!(shown_digest, stack.seeded.nested);
    assert_eq!(skopeo::manifest_digest(&stack.registry.host, "team/app/api:v1.9"), Ok(Some(shown_digest.clone())));
    assert_eq!(attr_of(b, "[data-testid=digest-check]", "data-check").await.as_deref(), Some("matches"));
    assert_eq!(b.text("[data-testid=media-type]").await, "Docker image manifest v2");
    b.wait_css("[data-testid=image-config]").await;
    assert_eq!(b.text("[data-testid=created]").await, "2026-11-01T10:00:00Z");
    assert_eq!(b.text("[data-testid=platform]").await, "linux/amd64");
    assert_eq!(texts(b, "[data-testid=layer-row]").await.len(), 2);
    let labels = b.text("[data-testid=labels]").await;
    assert!(labels.contains("org.opencontainers.image.version") && labels.contains("1.9"), "{labels}");
    b.click("[data-testid=show-raw]").await;
    let raw = b.wait_js("document.querySelector('[data-testid=raw]')?.textContent").await;
    let fetched = registry_manifest_text(&stack.registry.url(), "team/app/api", &stack.seeded.nested);
    assert_eq!(raw.as_str().unwrap(), fetched, "the raw view shows exactly the registry's bytes");
    screenshot(&stack.browser, "manifest-image").await;

    // Back, forward and reload keep the view.
    b.client.back().await.unwrap();
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 3").await;
    b.client.forward().await.unwrap();
    b.wait_css("[data-testid=manifest-digest]").await;
    b.client.refresh().await.unwrap();
    assert_eq!(b.text("[data-testid=manifest-digest]").await, stack.seeded.nested);

    // An index: platforms, attestations marked, each linking to its manifest by digest.
    stack.goto("/demo/multi/-/manifest/latest").await;
    b.wait_js("document.querySelectorAll('[data-testid=platform-row]').length == 4").await;
    assert_eq!(b.text("[data-testid=media-type]").await, "OCI image index");
    assert_eq!(attrs(b, "[data-testid=platform-row]", "data-attestation").await, ["false", "false", "true", "true"]);
    let rows = texts(b, "[data-testid=platform-row]").await;
    assert!(
        rows[0].starts_with("linux/amd64")
            && rows[1].starts_with("linux/arm64/v8")
            && rows[2].starts_with("attestation"),
        "{rows:?}"
    );
    screenshot(&stack.browser, "manifest-index").await;
    b.click("[data-testid=platform-row] a").await;
    b.wait_js(&format!(
        "document.querySelector('[data-testid=manifest-digest]')?.textContent == '{}'",
        stack.seeded.multi_children[0]
    ))
    .await;
    assert!(b.client.current_url().await.unwrap().as_str().contains(&stack.seeded.multi_children[0]));

    // The wire panel lists what was sent, with curl commands carrying the Accept list.
    // The panel gathers exchanges for a moment before it shows them: wait for the rows.
    b.click("[data-testid=wire-toggle]").await;
    b.wait_js("document.querySelectorAll('[data-testid=wire-row]').length >= 3").await;
    let rows = b.client.find_all(Locator::Css("[data-testid=wire-row]")).await.unwrap();
    assert!(rows.len() >= 3, "{} exchanges", rows.len());
    let methods = attrs(b, "[data-testid=wire-row]", "data-method").await;
    assert!(methods.iter().all(|m| m == "GET" || m == "HEAD"), "browsing sends no mutation: {methods:?}");
    let curls: Value = b
        .client
        .execute("return [...document.querySelectorAll('[data-testid=curl]')].map(e => e.textContent)", vec![])
        .await
        .unwrap();
    let curls: Vec<String> = serde_json::from_value(curls).unwrap();
    assert!(
        curls
            .iter()
            .any(|c| c.contains("Accept: application/vnd.oci.image.index.v1+json") && c.contains("/manifests/")),
        "{curls:?}"
    );
    screenshot(&stack.browser, "wire-panel").await;
    // The OCI image and a typed repository name.
    stack.goto("/demo/oci-app/-/manifest/v1").await;
    assert_eq!(b.text("[data-testid=media-type]").await, "OCI image manifest");
    stack.goto("").await;
    b.type_into("[data-testid=open-repo-input]", "Not/Valid").await;
    b.click("[data-testid=open-repo-form] button").await;
    assert!(b.text("[data-testid=open-repo-error]").await.contains("lowercase"));

    stack.close().await;
}

/// The manifest bytes as the registry serves them, read with a plain HTTP client.
fn registry_manifest_text(base: &str, repo: &str, digest: &str) -> String {
    let response = curl_get(&format!("{base}/v2/{repo}/manifests/{digest}"));
    assert_eq!(wharf_protocol::digest::sha256_of(response.as_bytes()).to_string(), digest);
    response
}

fn curl_get(url: &str) -> String {
    let output = std::process::Command::new("curl")
        .args(["-sS", "-H", &format!("Accept: {}", wharf_protocol::media::MANIFEST_ACCEPT), url])
        .output()
        .expect("curl");
    String::from_utf8(output.stdout).expect("utf-8 manifest")
}

#[tokio::test]
async fn retag_single_arch_sends_exactly_get_and_put_and_keeps_the_digest() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    stack.goto("/demo/hello").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 3").await;
    click_link(b, "1.0").await;
    click_link(b, "Retag this image…").await;
    assert_eq!(b.text("[data-testid=source-digest]").await, stack.seeded.hello);

    type_and_check_targets(b, "release-1").await;
    assert!(b.text("[data-testid=targets-checked]").await.contains("release-1: new tag"));
    let mark = stack.registry.log_mark();
    submit_retag(b, "release-1").await;
    let requests = stack.registry.requests_since_settled(mark);
    assert_eq!(
        requests,
        [
            ("GET".to_string(), format!("/v2/demo/hello/manifests/{}", stack.seeded.hello)),
            ("PUT".to_string(), "/v2/demo/hello/manifests/release-1".to_string()),
        ],
        "a retag is one GET and one PUT"
    );
    assert_eq!(
        attr_of(b, "[data-testid=result-row][data-tag=release-1]", "data-outcome").await.as_deref(),
        Some("stored")
    );
    assert_eq!(
        attr_of(b, "[data-testid=result-row][data-tag=release-1]", "data-registry-digest").await.as_deref(),
        Some(stack.seeded.hello.as_str())
    );
    b.wait_css("[data-testid=digest-equal]").await;
    screenshot(&stack.browser, "retag-result").await;
    assert_eq!(
        skopeo::manifest_digest(&stack.registry.host, "demo/hello:release-1"),
        Ok(Some(stack.seeded.hello.clone()))
    );

    // Several targets at once, looked up while typing, so the retag ends before the page shows
    // it running: the result is still a new element, not the last one changed in place.
    type_and_check_targets(b, "stable, v1 v1").await;
    submit_retag(b, "stable, v1 v1").await;
    b.wait_css("[data-testid=result-row][data-tag=v1]").await;
    for tag in ["stable", "v1"] {
        assert_eq!(
            skopeo::manifest_digest(&stack.registry.host, &format!("demo/hello:{tag}")),
            Ok(Some(stack.seeded.hello.clone())),
            "{tag}"
        );
    }
    // A double click: the page shows the run only after a moment (or with its result), so the
    // second click lands on an enabled button, and must send nothing more.
    type_and_check_targets(b, "twice").await;
    let mark = stack.registry.log_mark();
    b.client
        .execute("const s = document.querySelector('[data-testid=retag-submit]'); s.click(); s.click();", vec![])
        .await
        .expect("double click");
    b.wait_css("[data-testid=result-row][data-tag=twice]").await;
    assert_eq!(
        stack.registry.requests_since_settled(mark),
        [
            ("GET".to_string(), format!("/v2/demo/hello/manifests/{}", stack.seeded.hello)),
            ("PUT".to_string(), "/v2/demo/hello/manifests/twice".to_string()),
        ],
        "the second click sent nothing"
    );
    assert_eq!(skopeo::manifest_digest(&stack.registry.host, "demo/hello:twice"), Ok(Some(stack.seeded.hello.clone())));
    click_link(b, "View tags").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 7").await;
    let tags = attrs(b, "[data-testid=tag-row]", "data-tag").await;
    for tag in ["release-1", "stable", "v1", "twice"] {
        assert!(tags.contains(&tag.to_string()), "{tag} in {tags:?}");
    }
    stack.close().await;
}

#[tokio::test]
async fn retag_multi_platform_index_keeps_index_digest() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    stack.goto("/demo/multi/-/retag/latest").await;
    assert_eq!(b.text("[data-testid=source-digest]").await, stack.seeded.multi);
    submit_retag(b, "v3.1").await;
    assert_eq!(
        attr_of(b, "[data-testid=result-row][data-tag='v3.1']", "data-registry-digest").await.as_deref(),
        Some(stack.seeded.multi.as_str())
    );
    assert_eq!(skopeo::manifest_digest(&stack.registry.host, "demo/multi:v3.1"), Ok(Some(stack.seeded.multi.clone())));
    // skopeo can read a platform image through the new tag.
    let inspect = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            "--override-arch",
            "arm64",
            &format!("docker://{}/demo/multi:v3.1", stack.registry.host),
        ])
        .output()
        .unwrap();
    let inspected: Value = serde_json::from_slice(&inspect.stdout).expect("skopeo inspect json");
    assert_eq!(inspected["Architecture"], "arm64");
    stack.close().await;
}

#[tokio::test]
async fn moving_an_existing_tag_needs_confirmation_and_declining_sends_nothing() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    let host = stack.registry.host.clone();
    let page = stack.registry.log_mark();
    open_retag(&stack, "/demo/hello/-/retag/1.0").await;
    type_and_check_targets(b, "0.9").await;
    assert!(b.text("[data-testid=targets-checked]").await.contains("0.9: holds"), "shown while typing");
    b.click("[data-testid=retag-submit]").await;
    let confirm = b.wait_css("[data-testid=retag-confirm]").await;
    let text = confirm.text().await.unwrap();
    assert!(text.contains("Move 0.9 from"), "{text}");
    let old_short = &stack.seeded.hello_old[..19];
    assert!(text.contains(old_short), "shows the digest the tag holds now: {text}");
    assert!(!b.wait_css("[data-testid=confirm-retag]").await.is_enabled().await.unwrap(), "disabled until confirmed");
    screenshot(&stack.browser, "retag-confirm").await;

    // Two witnesses: the registry's access log and the page's own wire log.
    let wire_before = stack.wire_caught_up(page).await;
    let mark = stack.registry.log_mark();
    b.click("[data-testid=cancel-retag]").await;
    assert!(b.text("[data-testid=retag-cancelled]").await.contains("nothing was sent"));
    let sent = stack.registry.requests_since_settled(mark);
    assert!(sent.is_empty(), "declining sends nothing: {sent:?}");
    assert_eq!(stack.wire_caught_up(page).await, wire_before, "the wire panel shows no new exchange");
    assert_eq!(
        skopeo::manifest_digest(&host, "demo/hello:0.9"),
        Ok(Some(stack.seeded.hello_old.clone())),
        "old tag untouched"
    );

    b.click("[data-testid=retag-submit]").await;
    b.wait_css("[data-testid=retag-confirm]").await;
    b.click("[data-testid=confirm-move]").await;
    b.click("[data-testid=confirm-retag]").await;
    assert_eq!(attr_of(b, "[data-testid=result-row][data-tag='0.9']", "data-outcome").await.as_deref(), Some("stored"));
    assert_eq!(
        skopeo::manifest_digest(&host, "demo/hello:0.9"),
        Ok(Some(stack.seeded.hello.clone())),
        "moved after confirming"
    );
    stack.close().await;
}

#[tokio::test]
async fn invalid_tag_is_refused_before_anything_is_sent() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    let page = stack.registry.log_mark();
    open_retag(&stack, "/demo/hello/-/retag/latest").await;
    let wire_before = stack.wire_caught_up(page).await;
    let mark = stack.registry.log_mark();
    // One input event with the whole text: typed key by key, a pause after "good" on a busy
    // machine would let the page look that valid prefix up, which is not what this test is about.
    b.client
        .execute(
            "const i = document.querySelector('[data-testid=retag-targets]'); i.value = arguments[0]; \
             i.dispatchEvent(new InputEvent('input', { bubbles: true }));",
            vec![serde_json::json!("good bad/tag .hidden")],
        )
        .await
        .expect("type the targets");
    b.click("[data-testid=retag-submit]").await;
    // The page's report; what it sent up to here is in the registry's log once that has settled.
    let message = b.text("[data-testid=retag-name-error]").await;
    assert!(message.contains("“bad/tag” is not a valid tag: “/” is not allowed"), "{message}");
    assert!(message.contains("“.hidden” is not a valid tag"), "{message}");
    assert!(message.contains("Nothing was sent."), "{message}");
    screenshot(&stack.browser, "retag-invalid").await;
    let sent = stack.registry.requests_since_settled(mark);
    assert!(sent.is_empty(), "no request for an invalid name: {sent:?}");
    assert_eq!(stack.wire_caught_up(page).await, wire_before, "the wire panel shows no new exchange");
    assert_eq!(skopeo::manifest_digest(&stack.registry.host, "demo/hello:good"), Ok(None), "not even the valid one");
    stack.close().await;
}

#[tokio::test]
async fn unreachable_and_cors_blocked_registries_are_explained() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;

    let nothing_there = free_port();
    b.client.goto(&format!("{}/r/http:127.0.0.1:{nothing_there}", stack.app.url)).await.unwrap();
    let headline = b.text("[data-testid=error-headline]").await;
    assert!(headline.starts_with("Could not reach the registry"), "{headline}");
    assert!(b.text("[data-testid=error-advice]").await.contains("registry is running"));
    b.wait_js("document.querySelector('[data-testid=ping]').textContent.includes('not connected')").await;
    screenshot(&stack.browser, "error-unreachable").await;

    let no_cors = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
    b.client.goto(&format!("{}/r/http:{}", stack.app.url, no_cors.host)).await.unwrap();
    let headline = b.text("[data-testid=error-headline]").await;
    assert!(headline.contains("blocked the registry's answer") && headline.contains("CORS"), "{headline}");
    let advice = b.text("[data-testid=error-advice]").await;
    assert!(advice.contains(&format!("Access-Control-Allow-Origin: ['{}']", stack.app.url)), "{advice}");
    assert!(advice.contains("Access-Control-Expose-Headers") && advice.contains("Docker-Content-Digest"), "{advice}");
    screenshot(&stack.browser, "error-cors").await;
    // The page still works: the registry can be switched from the bar.
    b.type_into("[data-testid=registry-input]", &stack.registry.url()).await;
    b.click("[data-testid=registry-go]").await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    stack.close().await;
}

#[tokio::test]
async fn hidden_digest_header_is_reported_and_the_digest_computed() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions { expose_headers: false, ..RegistryOptions::default() }).await;
    let b = &stack.browser;
    stack.goto("/demo/hello/-/manifest/1.0").await;
    assert_eq!(b.text("[data-testid=manifest-digest]").await, stack.seeded.hello);
    assert_eq!(attr_of(b, "[data-testid=digest-check]", "data-check").await.as_deref(), Some("absent"));
    // Tag digests fall back to a GET when HEAD's header is hidden.
    stack.goto("/demo/hello").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 3").await;
    let digests = attrs(b, "[data-testid=tag-row] [data-digest]", "data-digest").await;
    assert_eq!(digests.iter().filter(|d| *d == &stack.seeded.hello).count(), 2, "{digests:?}");
    stack.close().await;
}

#[tokio::test]
async fn large_repository_pages_filters_and_sorts() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    seed_many_tags(&stack.registry.url(), "demo/many", 2000, 300);
    let b = &stack.browser;
    stack.goto("/demo/many").await;
    b.wait_js("document.querySelector('[data-testid=tag-table]')?.dataset.total == '2000'").await;
    assert_eq!(b.text("[data-testid=page-label]").await, "Page 1 of 20");
    assert_eq!(texts(b, "[data-testid=tag-row]").await.len(), 100, "one page rendered");
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 100").await;
    // The pager, at both widths (it wraps on a phone).
    screenshot_both_widths_at(b, "tags-pager", "[data-testid=page-label]").await;
    // Every tag gets a HEAD, the ones in view first: the first answers the registry logged are
    // all for tags on this page (six in flight, so the last few of the page may land after).
    let in_view: Vec<String> = attrs(b, "[data-testid=tag-row]", "data-tag").await;
    let heads: Vec<String> = stack
        .registry
        .requests_since(0)
        .into_iter()
        .filter(|(m, u)| m == "HEAD" && u.starts_with("/v2/demo/many/manifests/"))
        .map(|(_, u)| u.trim_start_matches("/v2/demo/many/manifests/").to_string())
        .collect();
    assert!(heads.len() >= 100, "{} HEADs", heads.len());
    let early: Vec<&String> = heads.iter().take(94).filter(|t| !in_view.contains(t)).collect();
    assert!(early.is_empty(), "HEADs of tags not in view before the page was done: {early:?}");
    let sort = b.wait_css("[data-testid=tag-sort]").await;
    sort.select_by_value("version-desc").await.unwrap();
    b.wait_js("document.querySelector('[data-testid=tag-row]').dataset.tag == 'v19.9.9'").await;
    b.type_into("[data-testid=tag-filter]", "v19.9.").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 10").await;
    assert_eq!(b.text("[data-testid=tag-count]").await, "10 of 2,000 tags");
    assert!(!b.wait_css("[data-testid=page-next]").await.is_enabled().await.unwrap(), "one page after filtering");
    screenshot_both_widths(&stack.browser, "tags-large").await;
    stack.close().await;
}

#[tokio::test]
async fn failed_put_shows_the_registry_error_and_moves_nothing() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut stack = Stack::start(RegistryOptions::default()).await;
    stack.registry.restart_with(RegistryOptions { read_only: true, ..RegistryOptions::default() });
    let b = &stack.browser;
    open_retag(&stack, "/demo/hello/-/retag/1.0").await;
    submit_retag(b, "frozen").await;
    assert_eq!(
        attr_of(b, "[data-testid=result-row][data-tag=frozen]", "data-outcome").await.as_deref(),
        Some("failed")
    );
    let headline = b.text("[data-testid=result-row] [data-testid=error-headline]").await;
    // distribution's read-only mode answers a plain-text 405, not an error envelope.
    assert!(
        headline.contains("PUT") && headline.contains("405 Method Not Allowed: “Method not allowed”"),
        "{headline}"
    );
    assert!(b.text("[data-testid=result-row] [data-testid=error-advice]").await.contains("read-only"));
    assert_eq!(attr_of(b, "[data-testid=retag-result]", "data-all-stored").await.as_deref(), Some("false"));
    assert_eq!(skopeo::manifest_digest(&stack.registry.host, "demo/hello:frozen"), Ok(None));
    stack.close().await;
}

#[tokio::test]
async fn failed_put_shows_error_code_message_and_detail() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    // Unlink a layer from the repository: the manifest stays readable, but a PUT of it is refused
    // with MANIFEST_BLOB_UNKNOWN naming the missing blob.
    let manifest: Value =
        serde_json::from_str(&registry_manifest_text(&stack.registry.url(), "demo/oci-app", &stack.seeded.oci_app))
            .unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_string();
    let deleted = std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "DELETE",
            &format!("{}/v2/demo/oci-app/blobs/{layer}", stack.registry.url()),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&deleted.stdout), "202");
    let b = &stack.browser;
    open_retag(&stack, "/demo/oci-app/-/retag/v1").await;
    submit_retag(b, "broken").await;
    assert_eq!(
        attr_of(b, "[data-testid=result-row][data-tag=broken]", "data-outcome").await.as_deref(),
        Some("failed")
    );
    let headline = b.text("[data-testid=result-row] [data-testid=error-headline]").await;
    assert!(headline.contains("400 Bad Request: MANIFEST_BLOB_UNKNOWN: blob unknown to registry"), "{headline}");
    assert!(headline.contains(&format!("(detail: {layer})")), "{headline}");
    assert!(b.text("[data-testid=result-row] [data-testid=error-advice]").await.contains("lacks a blob"));
    screenshot(&stack.browser, "retag-failed").await;
    assert_eq!(skopeo::manifest_digest(&stack.registry.host, "demo/oci-app:broken"), Ok(None));
    stack.close().await;
}

#[tokio::test]
async fn read_only_mode_hides_and_refuses_every_mutation() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let config = format!(
        r#"{{"title": "Read-only Wharf", "read_only": true, "registries": [{{"name": "demo", "url": "{}"}}]}}"#,
        stack.registry.url()
    );
    let app = StaticServer::start(dist_with_config(&config), 0);
    let b = &stack.browser;
    let mark = stack.registry.log_mark();
    // The home page follows the runtime config to its default registry, under its title.
    b.client.goto(&format!("{}/", app.url)).await.unwrap();
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    assert_eq!(b.client.title().await.unwrap(), "Read-only Wharf");
    click_link(b, "demo/hello").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 3").await;
    assert_eq!(texts(b, "[data-testid=tag-row] a.action").await.len(), 0, "no Retag… links");
    assert_eq!(texts(b, "[data-testid=tag-select]").await.len(), 0, "no selection for bulk promotion");
    click_link(b, "1.0").await;
    b.wait_css("[data-testid=manifest-digest]").await;
    let links: Value = b
        .client
        .execute("return [...document.querySelectorAll('main a')].map(a => a.textContent)", vec![])
        .await
        .unwrap();
    for action in ["Retag", "Copy", "Delete"] {
        assert!(!links.to_string().contains(action), "{links}");
    }
    // A deep link to the retag view shows why there is nothing to do, and no form.
    b.client.goto(&format!("{}/r/http:{}/demo/hello/-/retag/1.0", app.url, stack.registry.host)).await.unwrap();
    assert!(b.text("[data-testid=read-only]").await.contains("read-only"));
    assert_eq!(texts(b, "[data-testid=retag-form]").await.len(), 0);
    screenshot(&stack.browser, "read-only").await;
    b.client.goto(&format!("{}/r/http:{}/demo/hello/-/copy/1.0", app.url, stack.registry.host)).await.unwrap();
    assert!(b.text("[data-testid=read-only]").await.contains("read-only"));
    assert_eq!(texts(b, "[data-testid=copy-form]").await.len(), 0);
    b.client.goto(&format!("{}/r/http:{}/demo/hello/-/delete/1.0", app.url, stack.registry.host)).await.unwrap();
    assert!(b.text("[data-testid=read-only]").await.contains("read-only"));
    assert_eq!(texts(b, "[data-testid=delete-tag], [data-testid=delete-digest]").await.len(), 0);
    b.client.goto(&format!("{}/r/http:{}/demo/hello/-/cleanup", app.url, stack.registry.host)).await.unwrap();
    assert!(b.text("[data-testid=read-only]").await.contains("read-only"));
    assert_eq!(texts(b, "[data-testid=cleanup-form]").await.len(), 0);
    // The self-test would send PUT, POST and DELETE probes: the transport refuses each one.
    b.client.goto(&format!("{}/r/http:{}/-/selftest", app.url, stack.registry.host)).await.unwrap();
    b.wait_css("[data-testid=selftest-summary]").await;
    for id in ["method-put", "method-post", "method-delete"] {
        let row = b.wait_css(&format!("[data-testid=finding][data-id={id}]")).await;
        assert_eq!(row.attr("data-status").await.unwrap().as_deref(), Some("skip"), "{id}");
        assert!(row.text().await.unwrap().contains("read-only"), "{id}");
    }
    let mutations: Vec<_> =
        stack.registry.requests_since_settled(mark).into_iter().filter(|(m, _)| m != "GET" && m != "HEAD").collect();
    assert!(mutations.is_empty(), "{mutations:?}");
    stack.close().await;
}

#[tokio::test]
async fn invalid_runtime_config_is_explained_on_the_page() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let app = StaticServer::start(dist_with_config(r#"{"registries": [{"url": "ftp://nowhere"}]}"#), 0);
    let b = &stack.browser;
    b.client.goto(&format!("{}/", app.url)).await.unwrap();
    let message = b.text("[data-testid=config-error]").await;
    assert!(message.contains("config.json") && message.contains("ftp"), "{message}");
    // The page still works: a registry can be typed.
    b.type_into("[data-testid=registry-input]", &stack.registry.url()).await;
    b.click("[data-testid=registry-go]").await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    stack.close().await;
}

#[tokio::test]
async fn hostile_content_from_the_registry_renders_inert() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let digest = seed_hostile(&stack.registry.url());
    let b = &stack.browser;
    stack.goto("/demo/hostile/-/manifest/latest").await;
    assert_eq!(b.text("[data-testid=manifest-digest]").await, digest);
    b.wait_css("[data-testid=labels]").await;
    let labels = b.text("[data-testid=labels]").await;
    for (_, value) in HOSTILE_LABELS {
        let visible = value.replace(['\u{202e}', '\u{202c}'], "");
        let first_word = visible.split(' ').next().unwrap();
        assert!(labels.contains(first_word), "label text {first_word:?} shown as text in {labels}");
    }
    let checks: Value = b
        .client
        .execute(
            "return {
                pwned: window.__pwned ?? null,
                scripts: document.querySelectorAll('main script').length,
                images: document.querySelectorAll('main img').length,
                bold: document.querySelectorAll('main b').length,
                scriptLinks: document.querySelectorAll('a[href^=\"javascript:\"], a[href^=\"data:\"]').length,
                goodLinks: document.querySelectorAll('a[href=\"https://example.com/wharf/demo\"]').length,
                overflow: document.documentElement.scrollWidth - window.innerWidth,
            }",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(checks["pwned"], Value::Null, "no payload ran: {checks}");
    assert_eq!(checks["scripts"], 0, "{checks}");
    assert_eq!(checks["images"], 0, "{checks}");
    assert_eq!(checks["bold"], 0, "{checks}");
    assert_eq!(checks["scriptLinks"], 0, "only http(s) values become links: {checks}");
    assert_eq!(checks["goodLinks"], 1, "{checks}");
    assert!(checks["overflow"].as_f64().unwrap() <= 1.0, "a 5,000-character label wraps: {checks}");
    let history = b.text("[data-testid=history]").await;
    assert!(history.contains("<b>not-bold</b>"), "{history}");
    screenshot(&stack.browser, "hostile-content").await;
    // Hostile annotations and platform fields of an index.
    stack.goto("/demo/hostile/-/manifest/index").await;
    b.wait_js("document.querySelectorAll('[data-testid=platform-row]').length == 2").await;
    let rows = texts(b, "[data-testid=platform-row]").await;
    assert!(rows[0].contains("<img src=x onerror=window.__pwned=8>"), "{rows:?}");
    assert!(rows[1].contains("for sha256:éééééééééééé"), "{rows:?}");
    let after: Value = b
        .client
        .execute("return [window.__pwned ?? null, document.querySelectorAll('main img, main script').length]", vec![])
        .await
        .unwrap();
    assert_eq!(after, serde_json::json!([null, 0]));
    stack.close().await;
}

/// Runs the self-test page against `registry` and returns (check id → status) plus the page text.
async fn self_test(
    browser: &Browser,
    app: &str,
    registry: &Registry,
) -> (std::collections::BTreeMap<String, String>, String) {
    browser.client.goto(&format!("{app}/r/http:{}/-/selftest", registry.host)).await.unwrap();
    browser.wait_css("[data-testid=selftest-summary]").await;
    let mut statuses = std::collections::BTreeMap::new();
    for row in browser.client.find_all(Locator::Css("[data-testid=finding]")).await.unwrap() {
        let id = row.attr("data-id").await.unwrap().unwrap_or_default();
        statuses.insert(id, row.attr("data-status").await.unwrap().unwrap_or_default());
    }
    (statuses, browser.text("[data-testid=selftest]").await)
}

#[tokio::test]
async fn self_test_reports_each_registry_configuration() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let (b, app) = (&stack.browser, stack.app.url.clone());

    // Fully configured: nothing fails, and the probes left nothing behind.
    let mark = stack.registry.log_mark();
    let (full, _) = self_test(b, &app, &stack.registry).await;
    screenshot(&stack.browser, "selftest-green").await;
    assert!(full.values().all(|s| s != "fail"), "{full:?}");
    for id in [
        "reach",
        "preflight",
        "method-head",
        "method-put",
        "method-post",
        "method-delete",
        "delete",
        "catalog",
        "expose-link",
        "expose-digest",
        "expose-location",
        "auth",
    ] {
        assert_eq!(full.get(id).map(String::as_str), Some("pass"), "{id}: {full:?}");
    }
    let written: Vec<_> =
        stack.registry.requests_since(mark).into_iter().filter(|(m, _)| m == "PUT" || m == "POST").collect();
    assert!(written.iter().all(|(_, u)| u.contains("wharf-selftest")), "{written:?}");
    // distribution answers 404 for the tags of a repository that holds none.
    let left = skopeo::list_tags_if_known(&stack.registry.host, "wharf-selftest").expect("list wharf-selftest");
    assert_eq!(left.unwrap_or_default(), Vec::<String>::new(), "nothing stored by the probes");
    let requests = stack.registry.requests_since(mark);
    let opened = requests.iter().filter(|(m, u)| m == "POST" && u.contains("/blobs/uploads/")).count();
    let cancelled = requests.iter().filter(|(m, u)| m == "DELETE" && u.contains("/blobs/uploads/")).count();
    assert_eq!((opened, cancelled), (1, 1), "the one upload session is cancelled: {requests:?}");

    // No CORS headers at all.
    let no_cors = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
    let (report, text) = self_test(b, &app, &no_cors).await;
    assert_eq!(report.get("reach").map(String::as_str), Some("fail"), "{report:?}");
    assert!(text.contains("Access-Control-Allow-Origin"), "{text}");
    drop(no_cors);

    // CORS without Expose-Headers: the headers the app reads are hidden.
    let hidden = Registry::start(RegistryOptions { expose_headers: false, ..RegistryOptions::default() });
    seed_demo(&hidden.url());
    let (report, text) = self_test(b, &app, &hidden).await;
    screenshot(&stack.browser, "selftest-hidden-headers").await;
    for id in ["expose-digest", "expose-link", "expose-location"] {
        assert_eq!(report.get(id).map(String::as_str), Some("fail"), "{id}: {report:?}");
    }
    assert_eq!(report.get("preflight").map(String::as_str), Some("pass"));
    assert!(text.contains("Access-Control-Expose-Headers"));
    drop(hidden);

    // Deletes switched off.
    let no_delete = Registry::start(RegistryOptions { delete: false, ..RegistryOptions::default() });
    let (report, text) = self_test(b, &app, &no_delete).await;
    assert_eq!(report.get("delete").map(String::as_str), Some("fail"), "{report:?}");
    assert_eq!(report.get("method-delete").map(String::as_str), Some("pass"), "the method itself is allowed");
    assert!(text.contains("enabled: true"));
    drop(no_delete);

    // A login and CORS: distribution answers the preflight 401, and the report says so.
    let users = vec![("alice".to_string(), "pw".to_string())];
    let auth_cors =
        Registry::start(RegistryOptions { auth: RegistryAuth::Htpasswd(users), ..RegistryOptions::default() });
    let (report, text) = self_test(b, &app, &auth_cors).await;
    screenshot(&stack.browser, "selftest-auth-cors").await;
    assert_eq!(report.get("reach").map(String::as_str), Some("pass"), "{report:?}");
    assert_eq!(report.get("preflight").map(String::as_str), Some("fail"), "{report:?}");
    assert!(text.contains("401") && text.contains("distribution#4458"), "{text}");
    assert_eq!(report.get("auth").map(String::as_str), Some("pass"), "Basic recognised: {report:?}");
    assert_eq!(report.get("expose-www-authenticate").map(String::as_str), Some("pass"));
    drop(auth_cors);
    stack.close().await;
}

#[tokio::test]
async fn copy_to_another_repository_mounts_blobs_and_keeps_digests() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    let host = stack.registry.host.clone();

    // A single-arch image: config and layers mounted, manifest by tag.
    stack.goto("/demo/hello/-/manifest/1.0").await;
    click_link(b, "Copy to another repository or registry…").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-repository]", "team/copies").await;
    b.type_into("[data-testid=copy-tag]", "hello").await;
    let mark = stack.registry.log_mark();
    submit_copy(b, Duration::from_secs(20)).await;
    b.wait_css("[data-testid=digest-equal]").await;
    assert_eq!(
        attr_of(b, "[data-testid=copy-result]", "data-registry-digest").await.as_deref(),
        Some(stack.seeded.hello.as_str())
    );
    assert!(b.text("[data-testid=copy-result]").await.contains("3 blob(s): 3 mounted, 0 already there, 0 streamed"));
    screenshot(&stack.browser, "copy-result").await;
    let methods: Vec<String> = stack
        .registry
        .requests_since(mark)
        .into_iter()
        .map(|(m, u)| format!("{m} {}", u.split('?').next().unwrap()))
        .collect();
    assert_eq!(methods.iter().filter(|m| m.starts_with("POST")).count(), 3, "one mount per blob: {methods:?}");
    assert_eq!(skopeo::manifest_digest(&host, "team/copies:hello"), Ok(Some(stack.seeded.hello.clone())));
    let inspected = std::process::Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", &format!("docker://{host}/team/copies:hello")])
        .output()
        .unwrap();
    assert!(inspected.status.success(), "skopeo reads the copied image and its config");

    // An index with attestations: every child by digest, then the index by tag.
    stack.goto("/demo/multi/-/copy/latest").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-repository]", "team/copies").await;
    b.type_into("[data-testid=copy-tag]", "multi").await;
    let result = submit_copy(b, Duration::from_secs(20)).await;
    b.wait_css("[data-testid=digest-equal]").await;
    assert!(result.text().await.unwrap().contains("4 child manifest(s)"));
    assert_eq!(skopeo::manifest_digest(&host, "team/copies:multi"), Ok(Some(stack.seeded.multi.clone())));
    let arm = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            "--override-arch",
            "arm64",
            &format!("docker://{host}/team/copies:multi"),
        ])
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&arm.stdout).unwrap()["Architecture"], "arm64");

    // Overwrite protection, as for retag: declining sends nothing and leaves the target untouched.
    let page_mark = stack.registry.log_mark();
    stack.goto("/demo/hello/-/copy/0.9").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-repository]", "team/copies").await;
    b.type_into("[data-testid=copy-tag]", "hello").await;
    let mark = stack.registry.log_mark();
    b.click("[data-testid=copy-submit]").await;
    b.wait_css("[data-testid=copy-confirm]").await;
    // Every exchange of the page so far is in its wire panel (one app: nothing was lost on the way).
    stack.wire_caught_up(page_mark).await;
    let confirm_mark = stack.registry.log_mark();
    b.click("[data-testid=cancel-copy]").await;
    // The page's report, then the registry's log up to it: the target was only looked at.
    assert!(b.text("[data-testid=copy-cancelled]").await.contains("nothing was sent"));
    let since_submit = stack.registry.requests_since_settled(mark);
    assert!(writes(&since_submit).is_empty(), "no write reached the registry: {since_submit:?}");
    let after_confirm = stack.registry.requests_since(confirm_mark);
    assert!(after_confirm.is_empty(), "nothing at all after the confirmation: {after_confirm:?}");
    assert_eq!(skopeo::manifest_digest(&host, "team/copies:hello"), Ok(Some(stack.seeded.hello.clone())));

    // Blobs partly present in the target (0.9 shares its base layer with 1.0): the copy is whole.
    b.type_into("[data-testid=copy-tag]", "old").await;
    submit_copy(b, Duration::from_secs(20)).await;
    b.wait_css("[data-testid=digest-equal]").await;
    assert_eq!(skopeo::manifest_digest(&host, "team/copies:old"), Ok(Some(stack.seeded.hello_old.clone())));
    skopeo::assert_reads_whole_image(&host, "team/copies:old");
    skopeo::assert_reads_whole_image(&host, "team/copies:multi");
    stack.close().await;
}
