//! End to end, issue 12: Wharf against a registry that is not distribution, the
//! `container-registry` crate (0.3.1), behind the shipped same-origin nginx file. It has no
//! catalog and no tag list (bare 404s), challenges only `/v2/`, takes blob uploads only as
//! POST → PATCH → PUT and sends no `Docker-Content-Digest` on manifest GETs. Every claim the page
//! makes is checked against what the registry really answers, read here with a plain client.

mod common;

use std::time::Duration;

use common::{
    assert_accessible, attr_of, result_row, screenshot_both_widths, submit_copy, submit_retag, ONE_BROWSER_AT_A_TIME,
};
use serde_json::Value;
use wharf_protocol::digest::sha256_of;
use wharf_testkit::browser::Browser;
use wharf_testkit::nginx::Nginx;
use wharf_testkit::oci::{Blob, Format, Image};
use wharf_testkit::other_registry::{Answer, OtherRegistry, OTHER_USER};
use wharf_testkit::seed::app_image;
use wharf_testkit::workspace_root;

async fn js(b: &Browser, expression: &str) -> Value {
    b.client.execute(&format!("return ({expression});"), vec![]).await.expect("script")
}

/// An image whose manifest is not canonical JSON (indented, a trailing newline): a client that
/// re-serializes it would change its digest.
fn non_canonical_image() -> Image {
    let mut image = app_image(Format::Docker, "amd64", None, "other-1.0");
    let parsed: Value = serde_json::from_slice(&image.manifest.bytes).expect("manifest json");
    let mut pretty = serde_json::to_string_pretty(&parsed).expect("pretty").into_bytes();
    pretty.push(b'\n');
    image.manifest = Blob::new(pretty, &image.manifest.media_type);
    image
}

/// Whether an answer is a 404 without the spec's error envelope.
fn bare_404(answer: &Answer) -> bool {
    answer.status == 404 && !String::from_utf8_lossy(&answer.body).contains("\"errors\"")
}

/// What the self-test must say of the delete probe, given the registry's own answer to it.
fn expected_delete(answer: &Answer) -> &'static str {
    let envelope = String::from_utf8_lossy(&answer.body).contains("\"errors\"");
    match answer.status {
        202 => "pass",
        404 if envelope => "pass",
        405 if envelope => "fail",
        _ => "warn",
    }
}

#[tokio::test]
async fn a_registry_that_is_not_distribution_is_used_for_what_it_serves_and_reported_truly() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let other = OtherRegistry::start();
    let image = non_canonical_image();
    other.push("demo/hello", &image, &["1.0"]);
    let source_bytes = other.manifest_bytes("demo/hello", "1.0").expect("seeded");
    assert_eq!(source_bytes, image.manifest.bytes, "the registry stored the exact bytes");
    let source_digest = sha256_of(&source_bytes).to_string();
    let manifest_get = other.ask("GET", "/v2/demo/hello/manifests/1.0");
    assert_eq!(manifest_get.header("Docker-Content-Digest"), None, "this registry sends no digest on GET");

    let dist = workspace_root().join("dist");
    let nginx = Nginx::start(Nginx::reserve_port(), &dist, &other.host, None);
    let browser = Browser::start().await;
    let b = &browser;
    let open = |path: &str| format!("{}/r/same-origin{path}", nginx.url);

    // No catalog: said as such, with the name field; not "check the repository name".
    let catalog = other.ask("GET", "/v2/_catalog");
    assert!(bare_404(&catalog), "the registry has no catalog: {catalog:?}");
    b.client.goto(&open("")).await.expect("catalog");
    // /v2/ answered 401 with a Basic challenge: the login form is open already.
    b.wait_css("[data-testid=login-form]").await;
    b.type_into("[data-testid=login-user]", OTHER_USER.0).await;
    b.type_into("[data-testid=login-password]", OTHER_USER.1).await;
    b.click("[data-testid=login-remember]").await;
    b.click("[data-testid=login-submit]").await;
    b.wait_js("document.querySelector('[data-testid=account]')?.textContent.includes('carol')").await;
    b.wait_css("[data-testid=catalog-refused]").await;
    let notice = b.text("[data-testid=catalog-refused]").await;
    assert!(notice.contains("does not list its repositories"), "{notice}");
    assert!(!notice.to_lowercase().contains("check the repository name"), "{notice}");
    assert_accessible(b, "catalog without a catalog").await;
    screenshot_both_widths(b, "other-catalog").await;

    // Open the repository by name: its tag list is not served, and a tag opens by name.
    b.type_into("[data-testid=open-repo-input]", "demo/hello").await;
    b.click("[data-testid=open-repo-form] button[type=submit]").await;
    b.wait_css("[data-testid=no-tags][data-not-served=true]").await;
    assert!(bare_404(&other.ask("GET", "/v2/demo/hello/tags/list")), "the registry has no tag list");
    let said = b.text("[data-testid=no-tags]").await;
    assert!(said.contains("does not list tags") && !said.contains("does not know this repository"), "{said}");
    assert_accessible(b, "repository without a tag list").await;
    screenshot_both_widths(b, "other-no-tag-list").await;
    b.type_into("[data-testid=open-ref-input]", "1.0").await;
    b.click("[data-testid=open-ref-form] button[type=submit]").await;
    // The digest is computed from the bytes, since the registry sent none.
    let shown = b.wait_css("[data-testid=manifest-digest]").await.text().await.expect("digest");
    assert_eq!(shown, source_digest);
    assert_eq!(attr_of(b, "[data-testid=digest-check]", "data-check").await.as_deref(), Some("absent"));
    let check = b.text("[data-testid=digest-check]").await;
    assert!(check.contains("sent no Docker-Content-Digest") && !check.contains("CORS"), "same origin: {check}");
    screenshot_both_widths(b, "other-manifest").await;

    // Retag, opened by a full navigation (the login comes from this tab's storage and is sent
    // after /v2/'s challenge, although the tag routes answer 401 without one): the new tag holds
    // the exact bytes.
    b.client.goto(&open("/demo/hello/-/retag/1.0")).await.expect("retag page");
    b.wait_css("[data-testid=source-digest]").await;
    submit_retag(b, "1.0-copy").await;
    let (outcome, text) = result_row(b, "1.0-copy").await;
    assert!(outcome == "stored" || outcome == "unverifiable", "{outcome}: {text}");
    assert_eq!(other.manifest_bytes("demo/hello", "1.0-copy").as_deref(), Some(source_bytes.as_slice()));

    // Copy to another repository: the mount is not done, the one-request PUT is refused, and the
    // blobs go as POST + PATCH + PUT, which the result says.
    b.client.goto(&open("/demo/hello/-/copy/1.0")).await.expect("copy page");
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-repository]", "team/hello").await;
    b.type_into("[data-testid=copy-tag]", "1.0").await;
    let result = submit_copy(b, Duration::from_secs(60)).await.text().await.expect("copy result");
    let flows = b.text("[data-testid=copy-upload-flows]").await;
    assert!(flows.contains("POST + 1 PATCH + PUT"), "{flows} / {result}");
    assert!(flows.contains("answered 500 to a single PUT"), "{flows}");
    assert_eq!(other.manifest_bytes("team/hello", "1.0").as_deref(), Some(source_bytes.as_slice()));
    for blob in std::iter::once(&image.config).chain(&image.layers) {
        let head = other.ask("HEAD", &format!("/v2/team/hello/blobs/{}", blob.digest));
        assert_eq!(head.status, 200, "{} at team/hello", blob.digest);
        let got = other.ask("GET", &format!("/v2/team/hello/blobs/{}", blob.digest));
        assert_eq!(sha256_of(&got.body).to_string(), blob.digest, "the blob's bytes");
    }
    assert_accessible(b, "copy result").await;
    screenshot_both_widths(b, "other-copy").await;

    // The self-test, on the repository the user names: each row as the registry answered.
    b.client.goto(&open("/-/selftest")).await.expect("self-test");
    b.wait_css("[data-testid=selftest-summary]").await;
    b.type_into("[data-testid=selftest-repo]", "demo/hello").await;
    b.click("[data-testid=selftest-repo-form] button[type=submit]").await;
    b.wait_js("document.querySelector('[data-testid=finding][data-id=tags]')?.textContent.includes('demo/hello')")
        .await;
    let statuses: std::collections::BTreeMap<String, String> = serde_json::from_value(
        js(b, "Object.fromEntries([...document.querySelectorAll('[data-testid=finding]')].map(f => [f.dataset.id, f.dataset.status]))")
            .await,
    )
    .expect("findings");
    let probe = wharf_protocol::selftest::PROBE_REPOSITORY;
    let zero = format!("sha256:{}", "0".repeat(64));
    let delete = other.ask("DELETE", &format!("/v2/{probe}/manifests/{zero}"));
    let upload = other.ask("POST", &format!("/v2/{probe}/blobs/uploads/"));
    let expected = [
        ("catalog", if bare_404(&catalog) { "warn" } else { "pass" }),
        ("tags", if bare_404(&other.ask("GET", "/v2/demo/hello/tags/list")) { "warn" } else { "pass" }),
        ("delete", expected_delete(&delete)),
        ("upload", if upload.status == 202 && upload.header("location").is_some() { "pass" } else { "warn" }),
    ];
    for (id, status) in expected {
        assert_eq!(statuses.get(id).map(String::as_str), Some(status), "{id}: {statuses:?} (delete {delete:?})");
    }
    assert_eq!(attr_of(b, "[data-testid=selftest-summary]", "data-proven").await.as_deref(), Some("false"));
    let summary = b.text("[data-testid=selftest-summary]").await;
    assert!(!summary.contains("Everything Wharf needs works"), "{summary}");
    let report = b.text("[data-testid=selftest]").await;
    assert!(report.contains("not served"), "{report}");
    assert_accessible(b, "self-test").await;
    screenshot_both_widths(b, "other-selftest").await;
    browser.close().await;
    drop(nginx);
}
