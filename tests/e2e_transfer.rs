//! End to end, issue 4: copies between registries (chunked streaming), bulk promotion with its
//! dry run, stop and retry, a destination registry stopped mid-run, deletes that keep sibling
//! tags, and undo from the journal. The app runs in headless Chromium against real registries on
//! 127.0.0.1; results are checked with skopeo and the registries' own digests.

mod common;

use std::time::{Duration, Instant};

use common::{
    attr_of, attrs, export_script, run_exported, screenshot, screenshot_both_widths_at, submit_copy, Stack,
    ONE_BROWSER_AT_A_TIME,
};
use fantoccini::Locator;
use serde_json::Value;
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{app_image, image_with_payload, seed_many_tags, seed_payload_images, Pusher};
use wharf_testkit::{oci::Format, skopeo};

/// Opens the copy page of `source`, fills the form and waits for the result; returns its text.
/// A failed copy panics with the headline of the page's error box.
async fn copy_via_page(stack: &Stack, source: &str, registry: &str, repository: &str, tag: &str) -> String {
    let b = &stack.browser;
    stack.goto(source).await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-registry]", registry).await;
    b.type_into("[data-testid=copy-repository]", repository).await;
    b.type_into("[data-testid=copy-tag]", tag).await;
    submit_copy(b, Duration::from_secs(90)).await.text().await.expect("copy result text")
}

fn requests_matching(registry: &Registry, mark: usize, method: &str, path_part: &str) -> usize {
    registry.requests_since(mark).iter().filter(|(m, u)| m == method && u.contains(path_part)).count()
}

#[tokio::test]
async fn copy_between_registries_streams_blobs_in_chunks_and_keeps_digests() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let dest = Registry::start(RegistryOptions::default());
    // A layer above the 8 MiB chunk size: it goes as ranged reads and PATCH chunks.
    let big = image_with_payload("big-1", 9 * 1024 * 1024 + 123);
    Pusher::new(&stack.registry.url()).tagged("demo/big", &big, &["1.0"]);

    let mark = dest.log_mark();
    let text = copy_via_page(&stack, "/demo/big/-/copy/1.0", &dest.url(), "prod/big", "1.0").await;
    assert!(text.contains("0 mounted, 0 already there, 3 streamed"), "{text}");
    assert_eq!(dest.digest_of("prod/big", "1.0"), Ok(Some(big.manifest.digest.clone())));
    assert_eq!(skopeo::manifest_digest(&dest.host, "prod/big:1.0"), Ok(Some(big.manifest.digest.clone())));
    skopeo::assert_reads_whole_image(&dest.host, "prod/big:1.0");
    assert_eq!(requests_matching(&dest, mark, "PATCH", "/blobs/uploads/"), 2, "9 MiB in two 8 MiB chunks");
    assert_eq!(
        requests_matching(&stack.registry, 0, "POST", "/blobs/uploads/?mount"),
        0,
        "nothing is mounted across registries"
    );
    screenshot(&stack.browser, "copy-cross-registry").await;

    // An index with attestation manifests: every child by digest, then the index by tag.
    let text = copy_via_page(&stack, "/demo/multi/-/copy/latest", &dest.url(), "prod/multi", "latest").await;
    assert!(text.contains("4 child manifest(s)"), "{text}");
    assert_eq!(skopeo::manifest_digest(&dest.host, "prod/multi:latest"), Ok(Some(stack.seeded.multi.clone())));
    skopeo::assert_reads_whole_image(&dest.host, "prod/multi:latest");

    // Blobs partly present already: the shared base layer is found by HEAD and not sent again.
    copy_via_page(&stack, "/demo/hello/-/copy/1.0", &dest.url(), "prod/hello", "1.0").await;
    let text = copy_via_page(&stack, "/demo/hello/-/copy/0.9", &dest.url(), "prod/hello", "0.9").await;
    assert!(text.contains("3 blob(s): 0 mounted, 1 already there, 2 streamed"), "{text}");
    assert_eq!(skopeo::manifest_digest(&dest.host, "prod/hello:0.9"), Ok(Some(stack.seeded.hello_old.clone())));
    skopeo::assert_reads_whole_image(&dest.host, "prod/hello:0.9");
    stack.close().await;
}

/// Clicks a tag's checkbox, with shift held when `shift`.
async fn click_tag_box(browser: &Browser, tag: &str, shift: bool) {
    browser
        .client
        .execute(
            "document.querySelector(`[data-tag=\"${arguments[0]}\"] [data-testid=tag-select]`)\
             .dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, shiftKey: arguments[1]}));",
            vec![Value::from(tag), Value::from(shift)],
        )
        .await
        .expect("click checkbox");
}

async fn summary_count(browser: &Browser, key: &str) -> usize {
    attr_of(browser, "[data-testid=bulk-summary]", key).await.and_then(|v| v.parse().ok()).expect("summary count")
}

async fn wait_bulk_finished(browser: &Browser) {
    browser
        .wait_js_within(
            "document.querySelector('[data-testid=bulk-summary]')?.dataset.finished == 'true'",
            Duration::from_secs(180),
        )
        .await;
}

#[tokio::test]
async fn bulk_retag_of_fifty_tags_shows_a_dry_run_first_and_verifies_every_item() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let registry = &stack.registry;
    seed_many_tags(&registry.url(), "bulk/app", 50, 5);
    // A target that exists already: the plan must say it moves.
    let other = app_image(Format::Oci, "amd64", None, "9.9");
    Pusher::new(&registry.url()).tagged("bulk/app", &other, &["prod-v0.0.3"]);
    let b = &stack.browser;

    stack.goto("/bulk/app").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 51").await;
    // Shift-click selects a range.
    click_tag_box(b, "v0.0.0", false).await;
    click_tag_box(b, "v0.0.9", true).await;
    assert_eq!(b.text("[data-testid=select-none]").await, "Clear selection (10)");
    b.click("[data-testid=select-none]").await;
    // Every matching tag, less the existing target.
    b.click("[data-testid=select-all]").await;
    click_tag_box(b, "prod-v0.0.3", false).await;
    assert_eq!(b.text("[data-testid=select-none]").await, "Clear selection (50)");
    screenshot(&stack.browser, "bulk-selection").await;
    // The bulk panel opens under the toolbar as soon as tags are selected.
    b.wait_css("[data-testid=bulk-panel]").await;
    assert_eq!(b.text("[data-testid=select-none]").await, "Clear selection (50)");
    b.type_into("[data-testid=bulk-rule-text]", "prod-").await;
    b.type_into("[data-testid=bulk-concurrency]", "4").await;
    let mark = registry.log_mark();
    b.click("[data-testid=bulk-plan]").await;
    b.wait_css("[data-testid=bulk-dry-run]").await;
    assert_eq!(attr_of(b, "[data-testid=bulk-dry-run]", "data-operations").await.as_deref(), Some("50"));
    assert_eq!(attr_of(b, "[data-testid=bulk-dry-run]", "data-moves").await.as_deref(), Some("1"));
    assert_eq!(attrs(b, "[data-testid=bulk-item]", "data-target").await.len(), 50);
    screenshot(&stack.browser, "bulk-dry-run").await;
    assert!(registry.requests_since(mark).iter().all(|(m, _)| m == "HEAD" || m == "GET"), "the dry run only reads");
    assert_eq!(registry.digest_of("bulk/app", "prod-v0.0.0"), Ok(None), "the registry has no prod-v0.0.0 yet");
    assert_eq!(registry.digest_of("bulk/app", "prod-v0.0.3"), Ok(Some(other.manifest.digest.clone())));

    b.click("[data-testid=bulk-run]").await;
    wait_bulk_finished(b).await;
    assert_eq!(summary_count(b, "data-done").await, 50);
    assert_eq!(summary_count(b, "data-failed").await, 0);
    screenshot(&stack.browser, "bulk-done").await;
    for tag in wharf_testkit::seed::many_tag_names(50) {
        let source = match registry.digest_of("bulk/app", &tag) {
            Ok(Some(digest)) => digest,
            other => panic!("source tag {tag}: {other:?}"),
        };
        assert_eq!(registry.digest_of("bulk/app", &format!("prod-{tag}")), Ok(Some(source)), "prod-{tag}");
    }
    // Five distinct images: each was read once, then one PUT per tag.
    let manifest_gets = requests_matching(registry, mark, "GET", "/manifests/sha256:");
    assert_eq!(manifest_gets, 5, "one GET per distinct image");

    // Issue 22: the run exported as one script, replayed on a registry seeded the same way but
    // with one source tag moved: that item fails and says so, every other one is verified.
    let script = export_script(b).await;
    let replica = Registry::start(RegistryOptions::default());
    seed_many_tags(&replica.url(), "bulk/app", 50, 5);
    Pusher::new(&replica.url()).tagged("bulk/app", &other, &["v0.0.7"]);
    let run = run_exported(&script, &[("REGISTRY", &replica.url())]);
    assert!(!run.success, "a failed item makes the script exit non-zero: {}", run.stderr);
    assert!(run.stderr.contains("FAILED: retag bulk/app:v0.0.7 to bulk/app:prod-v0.0.7\n"), "{}", run.stderr);
    assert!(run.stderr.contains("1 of 50 failed"), "{}", run.stderr);
    assert_eq!(replica.digest_of("bulk/app", "prod-v0.0.7"), Ok(None), "the moved item wrote nothing");
    for tag in wharf_testkit::seed::many_tag_names(50).iter().filter(|t| *t != "v0.0.7") {
        let source = registry.digest_of("bulk/app", tag).unwrap().expect("source");
        assert_eq!(replica.digest_of("bulk/app", &format!("prod-{tag}")), Ok(Some(source)), "replayed prod-{tag}");
    }

    // The journal has an entry per item, after a reload.
    stack.goto("/-/journal").await;
    b.wait_css("[data-testid=journal]").await;
    let actions = attrs(b, "[data-testid=journal-entry]", "data-action").await;
    assert_eq!(actions.iter().filter(|a| *a == "bulk retag").count(), 50, "{actions:?}");
    stack.close().await;
}

/// A plan of more operations than one page of the table: 100 rows a page, every operation on
/// one of the pages exactly once, and the run verifies them all.
#[tokio::test]
async fn bulk_plan_of_150_tags_pages_its_operations_and_runs_them_all() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let registry = &stack.registry;
    seed_many_tags(&registry.url(), "paged/app", 150, 5);
    let b = &stack.browser;

    stack.goto("/paged/app").await;
    b.wait_js("document.querySelector('[data-testid=tag-table]')?.dataset.shown == '150'").await;
    b.click("[data-testid=select-all]").await;
    assert_eq!(b.text("[data-testid=select-none]").await, "Clear selection (150)");
    b.wait_css("[data-testid=bulk-panel]").await;
    b.type_into("[data-testid=bulk-rule-text]", "rc-").await;
    b.click("[data-testid=bulk-plan]").await;
    b.wait_css("[data-testid=bulk-dry-run]").await;
    assert_eq!(attr_of(b, "[data-testid=bulk-dry-run]", "data-operations").await.as_deref(), Some("150"));
    assert_eq!(b.text("[data-testid=bulk-page-label]").await, "Items 1–100 of 150 (page 1 of 2)");
    let mut listed = attrs(b, "[data-testid=bulk-item]", "data-source").await;
    assert_eq!(listed.len(), 100);
    b.click("[data-testid=bulk-page-next]").await;
    b.wait_js("document.querySelector('[data-testid=bulk-page-label]').textContent.startsWith('Items 101–150')").await;
    let second = attrs(b, "[data-testid=bulk-item]", "data-source").await;
    assert_eq!(second.len(), 50);
    listed.extend(second);
    listed.sort();
    let mut every = wharf_testkit::seed::many_tag_names(150);
    every.sort();
    assert_eq!(listed, every, "each operation on exactly one page");
    screenshot_both_widths_at(&stack.browser, "bulk-paged", "[data-testid=bulk-page-label]").await;

    b.click("[data-testid=bulk-run]").await;
    wait_bulk_finished(b).await;
    assert_eq!(summary_count(b, "data-done").await, 150);
    assert_eq!(attrs(b, "[data-testid=bulk-item]", "data-state").await.len(), 50, "still on the second page");
    for tag in wharf_testkit::seed::many_tag_names(150) {
        let source = registry.digest_of("paged/app", &tag).expect("source digest").expect("source tag");
        assert_eq!(registry.digest_of("paged/app", &format!("rc-{tag}")), Ok(Some(source)), "rc-{tag}");
    }
    stack.close().await;
}

#[tokio::test]
async fn bulk_copy_with_stop_and_a_destination_stopped_midway_ends_every_item_and_retry_completes() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let mut dest = Registry::start(RegistryOptions::default());
    let items = seed_payload_images(&stack.registry.url(), "load/app", 50, 2 * 1024 * 1024);
    let b = &stack.browser;

    stack.goto("/load/app").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 50").await;
    b.click("[data-testid=select-all]").await;
    b.wait_css("[data-testid=bulk-panel]").await;
    b.wait_css("[data-testid=bulk-operation]").await.select_by_value("copy").await.expect("choose copy");
    b.type_into("[data-testid=bulk-registry]", &dest.url()).await;
    b.type_into("[data-testid=bulk-repository]", "prod/app").await;
    b.wait_css("[data-testid=bulk-rule]").await.select_by_value("keep").await.expect("keep names");
    b.click("[data-testid=bulk-plan]").await;
    b.wait_css("[data-testid=bulk-dry-run]").await;
    assert_eq!(attr_of(b, "[data-testid=bulk-dry-run]", "data-operations").await.as_deref(), Some("50"));

    // Stop: items in flight finish, no new one starts.
    let mark = dest.log_mark();
    b.click("[data-testid=bulk-run]").await;
    wait_for_manifest_puts(&dest, mark, 3).await;
    b.click("[data-testid=bulk-stop]").await;
    wait_bulk_finished(b).await;
    let (done, failed, not_started) = (
        summary_count(b, "data-done").await,
        summary_count(b, "data-failed").await,
        summary_count(b, "data-not-started").await,
    );
    assert_eq!((done + not_started, failed), (50, 0), "stopped cleanly: {done} done, {not_started} not started");
    assert!(not_started > 0, "stop kept items from starting");
    screenshot(&stack.browser, "bulk-stopped").await;

    // Retry, and stop the destination registry in the middle.
    let mark = dest.log_mark();
    b.click("[data-testid=bulk-retry]").await;
    wait_for_manifest_puts(&dest, mark, 3).await;
    // Stopped as an operator stops it: requests under way finish, new ones are refused (a
    // SIGKILL can break the registry's own storage; see `Registry::stop`).
    dest.stop();
    wait_bulk_finished(b).await;
    let states = attrs(b, "[data-testid=bulk-item]", "data-state").await;
    assert!(states.iter().all(|s| ["done", "failed", "not-started"].contains(&s.as_str())), "{states:?}");
    let failed = summary_count(b, "data-failed").await;
    assert!(failed > 0, "the stopped registry failed items");
    screenshot(&stack.browser, "bulk-destination-down").await;

    // Back up: no tag points at a wrong or partial manifest.
    dest.restart_with(RegistryOptions::default());
    let mut present = 0;
    for (tag, digest) in &items {
        // Absent (the registry's 404) or the source's digest; no answer at all fails the test.
        if let Some(found) = dest.digest_of("prod/app", tag).unwrap_or_else(|e| panic!("{tag}: {e}")) {
            assert_eq!(&found, digest, "{tag} holds its source image");
            present += 1;
        }
    }
    assert!(present < 50 && present >= summary_count(b, "data-done").await, "{present} present");

    b.click("[data-testid=bulk-retry]").await;
    wait_bulk_finished(b).await;
    assert_eq!(summary_count(b, "data-done").await, 50);
    for (tag, digest) in &items {
        assert_eq!(dest.digest_of("prod/app", tag), Ok(Some(digest.clone())), "{tag}");
    }
    assert_eq!(skopeo::manifest_digest(&dest.host, "prod/app:t49"), Ok(Some(items[49].1.clone())));
    skopeo::assert_reads_whole_image(&dest.host, "prod/app:t07");
    stack.close().await;
}

/// Waits until the registry's log shows `count` manifest PUTs since `mark` (the log is read every
/// 5 ms: a poll for that event, not a wait for time to pass).
async fn wait_for_manifest_puts(registry: &Registry, mark: usize, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while requests_matching(registry, mark, "PUT", "/manifests/") < count {
        assert!(Instant::now() < deadline, "no manifest PUTs reached the registry");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn undo_entry(browser: &Browser, selector: &str) {
    browser.click(&format!("{selector} [data-testid=undo]")).await;
    browser.wait_css(&format!("{selector} [data-testid=undo-done]")).await;
}

#[tokio::test]
async fn deletes_keep_sibling_tags_list_every_tag_and_undo_restores_them() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut stack = Stack::start(RegistryOptions::default()).await;
    let host = stack.registry.host.clone();
    let nested = stack.seeded.nested.clone();
    let digest_of = |tag: &str| skopeo::manifest_digest(&host, &format!("team/app/api:{tag}"));

    // Delete by digest: the confirmation lists all three tags; cancel sends nothing.
    stack.goto("/team/app/api/-/delete/v1.9").await;
    stack.browser.click("[data-testid=delete-digest]").await;
    let listed = attr_of(&stack.browser, "[data-testid=delete-digest-confirm]", "data-tags").await.unwrap();
    let mut listed: Vec<&str> = listed.split(' ').collect();
    listed.sort();
    assert_eq!(listed, ["v1.10", "v1.2", "v1.9"]);
    screenshot(&stack.browser, "delete-digest-confirm").await;
    stack.browser.click("[data-testid=cancel-delete]").await;

    // Delete one tag: its two siblings survive.
    stack.browser.click("[data-testid=delete-tag]").await;
    stack.browser.click("[data-testid=confirm-delete]").await;
    let result = stack.browser.text("[data-testid=delete-result]").await;
    assert!(result.contains("Deleted team/app/api:v1.9") && result.contains("sibling tags are untouched"), "{result}");
    assert!(
        stack.browser.text("[data-testid=gc-reminder]").await.contains("garbage-collect --delete-untagged"),
        "a tag delete leaves an untagged manifest: only --delete-untagged reclaims it"
    );
    screenshot(&stack.browser, "delete-tag-result").await;
    assert_eq!(digest_of("v1.9"), Ok(None), "the registry says v1.9 is gone");
    assert_eq!(digest_of("v1.2"), Ok(Some(nested.clone())));
    assert_eq!(digest_of("v1.10"), Ok(Some(nested.clone())));

    // Undo the tag delete from the journal.
    stack.goto("/-/journal").await;
    undo_entry(&stack.browser, "[data-testid=journal-entry][data-action='delete tag']").await;
    assert_eq!(digest_of("v1.9"), Ok(Some(nested.clone())), "undo put the tag back");

    // Delete by digest: all three go; undo brings one back from the journal's saved copy.
    stack.goto("/team/app/api/-/delete/v1.2").await;
    stack.browser.click("[data-testid=delete-digest]").await;
    stack.browser.wait_css("[data-testid=delete-digest-confirm]").await;
    stack.browser.click("[data-testid=confirm-delete]").await;
    stack.browser.wait_css("[data-testid=delete-result]").await;
    for tag in ["v1.2", "v1.9", "v1.10"] {
        assert_eq!(digest_of(tag), Ok(None), "{tag} went with the manifest");
    }
    stack.goto("/-/journal").await;
    undo_entry(&stack.browser, "[data-testid=journal-entry][data-place='team/app/api:v1.10']").await;
    assert_eq!(digest_of("v1.10"), Ok(Some(nested.clone())), "restored from the saved bytes");

    // Undo of an overwritten tag: latest moved to 0.9's image, then back.
    stack.goto("/demo/hello/-/retag/0.9").await;
    stack.browser.wait_css("[data-testid=source-digest]").await;
    stack.browser.type_into("[data-testid=retag-targets]", "latest").await;
    stack.browser.wait_js("document.querySelector('[data-testid=targets-checked]')?.dataset.for == 'latest'").await;
    stack.browser.click("[data-testid=retag-submit]").await;
    stack.browser.click("[data-testid=confirm-move]").await;
    stack.browser.click("[data-testid=confirm-retag]").await;
    stack.browser.wait_css("[data-testid=retag-result]").await;
    let hello = |tag: &str| skopeo::manifest_digest(&host, &format!("demo/hello:{tag}"));
    assert_eq!(hello("latest"), Ok(Some(stack.seeded.hello_old.clone())));
    stack.goto("/-/journal").await;
    undo_entry(&stack.browser, "[data-testid=journal-entry][data-action='retag'][data-place='demo/hello:latest']")
        .await;
    assert_eq!(hello("latest"), Ok(Some(stack.seeded.hello.clone())), "undo restored the old digest");
    screenshot(&stack.browser, "journal").await;

    // The export is the whole journal as JSON.
    stack.browser.click("[data-testid=journal-export]").await;
    let exported = stack
        .browser
        .client
        .execute_async(
            "const done = arguments[0]; \
             fetch(document.querySelector('[data-testid=journal-export]').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .expect("read export");
    let exported: Value = serde_json::from_str(exported.as_str().unwrap()).expect("JSON export");
    let entries = exported["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "undo" && e["tag"] == "latest"), "{exported}");
    assert!(entries.iter().any(|e| e["action"] == "delete manifest" && e["saved"]["body"].is_string()));

    // Deletes switched off: the explanation, and nothing lost.
    stack.registry.restart_with(RegistryOptions { delete: false, ..RegistryOptions::default() });
    stack.goto("/demo/hello/-/delete/1.0").await;
    stack.browser.click("[data-testid=delete-tag]").await;
    stack.browser.click("[data-testid=confirm-delete]").await;
    let advice = stack.browser.text("[data-testid=delete-disabled]").await;
    assert!(advice.contains("storage") && advice.contains("Docker Hub"), "{advice}");
    screenshot(&stack.browser, "delete-disabled").await;
    assert_eq!(hello("1.0"), Ok(Some(stack.seeded.hello.clone())), "the tag is still there");
    assert_eq!(hello("latest"), Ok(Some(stack.seeded.hello.clone())));
    let _ = stack.browser.client.find(Locator::Css("[data-testid=error]")).await.expect("the error is shown");
    stack.close().await;
}
