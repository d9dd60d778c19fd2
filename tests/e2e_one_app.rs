//! End to end: Wharf is one app. The first load fetches one module; the pages it does not need
//! come as chunks of that same module when they open (the same memory, the same app), each once,
//! and the wire panel keeps every exchange of the page's life whatever page opens (a second
//! bundle, as Wharf once had, started a second app, which emptied the panel).

mod common;

use common::{click_link, screenshot, wire_count, Stack, ONE_BROWSER_AT_A_TIME};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::RegistryOptions;

/// The wasm files the page fetched so far (from the browser's own resource timing).
async fn wasm_fetched(browser: &Browser) -> Vec<String> {
    let value = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.endsWith('.wasm'))",
            vec![],
        )
        .await
        .expect("resource timing");
    serde_json::from_value(value).expect("a list of names")
}

/// Every exchange the wire panel lists, oldest first, as "METHOD URL".
async fn wire_rows(browser: &Browser) -> Vec<String> {
    let value = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=wire-row]')].reverse()\
             .map(r => r.dataset.method + ' ' + r.querySelector('.url').textContent)",
            vec![],
        )
        .await
        .expect("wire rows");
    serde_json::from_value(value).expect("a list of rows")
}

#[tokio::test]
async fn every_page_is_in_one_bundle_and_the_wire_panel_keeps_every_exchange() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;

    stack.goto("/demo/hello").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length > 0").await;
    b.click("[data-testid=wire-toggle]").await;
    // The log takes exchanges in batches (every 250 ms): the rows may trail the page a moment.
    b.wait_js(
        "[...document.querySelectorAll('[data-testid=wire-row] .url')].some(u => u.textContent.endsWith('/v2/demo/hello/tags/list'))",
    )
    .await;
    let first = wire_rows(b).await;
    let at_start = wasm_fetched(b).await;
    assert_eq!(at_start.len(), 1, "the tag list needs the first module only: {at_start:?}");
    assert!(at_start[0].ends_with("/main_bg.wasm"), "{at_start:?}");
    assert!(first.iter().any(|r| r.ends_with("/v2/demo/hello/tags/list")), "the tag list is on the wire: {first:?}");
    let mut seen = first.len();

    // Manifest, then the pages that changed bundles before: copy, back, delete, the journal.
    click_link(b, "1.0").await;
    b.wait_css("[data-testid=manifest-digest]").await;
    click_link(b, "Copy to another repository or registry…").await;
    b.wait_css("[data-testid=copy-form]").await;
    let now = wire_count(b).await;
    assert!(now >= seen, "the wire log never empties: {now} after {seen}");
    seen = now;
    b.client.back().await.expect("back to the manifest");
    click_link(b, "Delete…").await;
    b.wait_css("[data-testid=delete-digest]").await;
    let now = wire_count(b).await;
    assert!(now >= seen, "the wire log never empties: {now} after {seen}");
    click_link(b, "Journal").await;
    b.wait_css("[data-testid=journal-count]").await;

    let rows = wire_rows(b).await;
    assert_eq!(rows[..first.len()], first[..], "the first page's exchanges are still listed, oldest first");
    assert!(rows.len() > first.len(), "and the later pages' exchanges follow them");
    assert!(rows.iter().any(|r| r.contains("/manifests/1.0")), "{rows:?}");
    let wasm = wasm_fetched(b).await;
    let mut distinct = wasm.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), wasm.len(), "each module fetched once: {wasm:?}");
    assert_eq!(wasm.iter().filter(|w| w.ends_with("/main_bg.wasm")).count(), 1, "one app: {wasm:?}");
    for page in ["split_copy.wasm", "split_delete.wasm", "split_journal.wasm"] {
        assert!(wasm.iter().any(|w| w.ends_with(page)), "{page} came when its page opened: {wasm:?}");
    }
    assert!(!wasm.iter().any(|w| w.ends_with("split_selftest.wasm")), "no page is fetched before it opens: {wasm:?}");
    screenshot(b, "one-app-journal-with-wire").await;
    stack.close().await;
}
