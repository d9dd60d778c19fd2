//! End to end: the journal lives in the browser's IndexedDB, shared by its tabs. Two windows of
//! one browser record a retag at the same moment and both entries are kept, with different ids;
//! a journal left in localStorage by an older Wharf is carried over once, ids kept; one that
//! cannot be read is left where it is and reported.

mod common;

use common::{attrs, screenshot, Stack, ONE_BROWSER_AT_A_TIME};
use serde_json::{json, Value};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::RegistryOptions;

/// Runs an async script (its last argument is the callback) and returns what it passed back.
async fn js_async(browser: &Browser, script: &str, args: Vec<Value>) -> Value {
    browser.client.execute_async(script, args).await.expect("async script")
}

async fn js(browser: &Browser, script: &str, args: Vec<Value>) -> Value {
    browser.client.execute(script, args).await.expect("script")
}

/// Opens the retag page of demo/hello:1.0 in the current window, types `target` and waits until
/// the page has looked it up (so the click sends only the GET and the PUT).
async fn ready_retag(stack: &Stack, target: &str) {
    let b = &stack.browser;
    stack.goto("/demo/hello/-/retag/1.0").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=retag-targets]", target).await;
    b.wait_js(&format!("document.querySelector('[data-testid=targets-checked]')?.dataset.for == {target:?}")).await;
}

/// Clicks the retag button when `Date.now()` reaches `at`, and keeps the time it clicked.
async fn arm_click(browser: &Browser, at: f64) {
    js(
        browser,
        "const at = arguments[0]; \
         setTimeout(() => { window.clickedAt = Date.now(); \
           document.querySelector('[data-testid=retag-submit]').click(); }, at - Date.now());",
        vec![json!(at)],
    )
    .await;
}

#[tokio::test]
async fn two_windows_recording_at_once_both_keep_their_entries() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;

    let first = b.client.window().await.expect("first window");
    ready_retag(&stack, "from-a").await;
    let second = b.client.new_window(false).await.expect("second window").handle;
    b.client.switch_to_window(second.clone()).await.expect("to the second window");
    ready_retag(&stack, "from-b").await;

    // Both clicks aimed at the same moment, each by its own page's timer: neither waits for the
    // driver, and the two pages record (and write) their entries at the same time.
    let at = js(b, "return Date.now() + 1500;", vec![]).await.as_f64().expect("a time");
    arm_click(b, at).await;
    b.client.switch_to_window(first.clone()).await.expect("to the first window");
    arm_click(b, at).await;

    let mut clicked = Vec::new();
    for (window, tag) in [(&first, "from-a"), (&second, "from-b")] {
        b.client.switch_to_window(window.clone()).await.expect("switch window");
        let row = b.wait_css(&format!("[data-testid=result-row][data-tag='{tag}']")).await;
        assert_eq!(row.attr("data-outcome").await.unwrap().as_deref(), Some("stored"), "retag to {tag}");
        clicked.push(js(b, "return window.clickedAt;", vec![]).await.as_f64().expect("clicked"));
    }
    assert!((clicked[0] - clicked[1]).abs() < 250.0, "the two clicks were at once: {clicked:?}");

    // The registry itself holds both tags at the source's digest.
    for tag in ["from-a", "from-b"] {
        assert_eq!(stack.registry.digest_of("demo/hello", tag), Ok(Some(stack.seeded.hello.clone())), "{tag}");
    }

    // Either window's journal lists both entries, with different ids.
    stack.goto("/-/journal").await;
    b.wait_js("document.querySelectorAll('[data-testid=journal-entry]').length == 2").await;
    let mut places = attrs(b, "[data-testid=journal-entry]", "data-place").await;
    places.sort();
    assert_eq!(places, ["demo/hello:from-a", "demo/hello:from-b"]);
    let mut ids = attrs(b, "[data-testid=journal-entry]", "data-id").await;
    ids.sort();
    assert_eq!(ids, ["1", "2"], "numbered one after the other, in the store's transactions");
    assert_eq!(b.text("[data-testid=journal-count]").await, "2 entries");
    b.client.switch_to_window(second).await.expect("to the second window");
    stack.goto("/-/journal").await;
    b.wait_js("document.querySelectorAll('[data-testid=journal-entry]').length == 2").await;
    stack.close().await;
}

/// A journal as the localStorage version of Wharf stored it: a retag (undone), its undo, and a
/// failed delete.
fn old_journal(registry: &str, digest: &str) -> String {
    let entry = |id: u64, action: &str, tag: &str, before: Value, after: Value, ok: bool, result: &str| {
        json!({
            "id": id, "time": format!("2026-11-2{id}T10:00:00.000Z"), "action": action, "registry": registry,
            "repository": "demo/hello", "tag": tag, "before": before, "after": after, "ok": ok, "result": result,
        })
    };
    let mut retag = entry(4, "retag", "old-a", Value::Null, json!(digest), true, "stored");
    retag["undone_by"] = json!(5);
    let mut undo = entry(5, "undo", "old-a", json!(digest), Value::Null, true, "undid entry 4");
    undo["undoes"] = json!(4);
    let failed = entry(7, "delete tag", "old-b", json!(digest), json!(digest), false, "refused");
    json!({ "entries": [retag, undo, failed] }).to_string()
}

#[tokio::test]
async fn an_old_journal_is_carried_over_once_and_an_unreadable_one_is_left_and_reported() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    let registry = stack.registry.url();

    // A page of the app's origin that is not the app: the database does not exist yet.
    let plain_page = format!("{}/config.json", stack.app.url);
    b.client.goto(&plain_page).await.expect("a plain page");
    let databases = js_async(b, "indexedDB.databases().then(d => arguments[0](d.length))", vec![]).await;
    assert_eq!(databases, json!(0), "a fresh profile has no database");
    let old = old_journal(&registry, &stack.seeded.hello);
    js(b, "localStorage.setItem('wharf.journal', arguments[0]);", vec![json!(old)]).await;

    stack.goto("/-/journal").await;
    b.wait_js("document.querySelectorAll('[data-testid=journal-entry]').length == 3").await;
    assert_eq!(attrs(b, "[data-testid=journal-entry]", "data-id").await, ["7", "5", "4"], "ids kept, newest first");
    let undone = b.text("[data-testid=journal-entry][data-id='4']").await;
    assert!(undone.contains("already undone (entry 5)"), "{undone}");
    let stored = js(
        b,
        "return [localStorage.getItem('wharf.journal'), localStorage.getItem('wharf.journal.migrated')];",
        vec![],
    )
    .await;
    assert_eq!(stored, json!([null, old]), "the old journal is kept under another name, not read again");
    screenshot(b, "journal-migrated").await;

    // A new entry is numbered after the carried-over ones, and a reload carries nothing twice.
    stack.goto("/demo/hello/-/retag/1.0").await;
    common::submit_retag(b, "after-move").await;
    stack.goto("/-/journal").await;
    b.wait_js("document.querySelectorAll('[data-testid=journal-entry]').length == 4").await;
    assert_eq!(attrs(b, "[data-testid=journal-entry]", "data-id").await, ["8", "7", "5", "4"]);
    screenshot(b, "journal-desktop").await;
    b.client.set_window_size(390, 844).await.expect("phone width");
    screenshot(b, "journal-phone").await;
    b.client.set_window_size(1280, 900).await.expect("desktop width");

    // A journal that cannot be read, found when the database is created: left as it was, and
    // reported on the journal page.
    b.client.goto(&plain_page).await.expect("a plain page");
    let deleted = js_async(
        b,
        "const done = arguments[0]; const r = indexedDB.deleteDatabase('wharf'); \
         r.onsuccess = () => done('deleted'); r.onerror = () => done('error'); r.onblocked = () => done('blocked');",
        vec![],
    )
    .await;
    assert_eq!(deleted, json!("deleted"));
    js(b, "localStorage.setItem('wharf.journal', '{\"entries\": [{\"id\": 1}]}');", vec![]).await;
    stack.goto("/-/journal").await;
    let problem = b.text("[data-testid=journal-problem]").await;
    assert!(problem.contains("not carried over") && problem.contains("not readable"), "{problem}");
    b.wait_js("document.querySelector('[data-testid=journal-count]').textContent == '0 entries'").await;
    let left = js(b, "return localStorage.getItem('wharf.journal');", vec![]).await;
    assert_eq!(left, json!("{\"entries\": [{\"id\": 1}]}"), "left as it was");
    screenshot(b, "journal-old-unreadable").await;
    stack.close().await;
}
