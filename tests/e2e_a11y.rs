//! End to end: every view of Wharf passes axe-core's WCAG 2 level A and AA rules, at a desktop
//! width and at a phone's 390 px. Each view is checked once its content has loaded (digest badges
//! shown, probes finished), screenshots of both widths go to `target/screenshots/a11y-*`, and the
//! test fails after checking every view, listing each violation with the failing elements.

mod common;

use std::time::Duration;

use common::{screenshot, submit_retag, Stack, ONE_BROWSER_AT_A_TIME};
use wharf_testkit::axe::{describe, Violation};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::RegistryOptions;

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// Resizes the window and waits until the page's viewport has the new width.
async fn resize(browser: &Browser, (width, height): (u32, u32)) {
    browser.client.set_window_size(width, height).await.expect("set the window size");
    let inner = browser.wait_js(&format!("window.innerWidth <= {width} && window.innerWidth > {width} - 20")).await;
    assert_eq!(inner, serde_json::json!(true), "the viewport follows the window");
    // One frame for layout to settle after the resize.
    tokio::time::sleep(Duration::from_millis(150)).await;
}

/// The outermost elements that reach past the window's right edge (they make a phone scroll
/// sideways), as `tag.class` with their width; for the log, not an assertion.
async fn wider_than_window(browser: &Browser) -> Vec<String> {
    let value = browser
        .client
        .execute(
            "const w = document.documentElement.clientWidth; \
             const over = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1); \
             return over.filter(e => !over.includes(e.parentElement)) \
               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/ +/g, '.') : '') \
                 + ' (' + Math.round(e.getBoundingClientRect().width) + ' px)');",
            vec![],
        )
        .await
        .expect("measure the page");
    serde_json::from_value(value).expect("a list of elements")
}

/// What the check of every view found, in the order checked.
#[derive(Default)]
struct Findings(Vec<(String, Vec<Violation>)>);

impl Findings {
    /// Runs axe on the open view at both widths and screenshots each as `a11y-<view>-desktop` and
    /// `a11y-<view>-phone`; leaves the window at the desktop width.
    async fn check(&mut self, browser: &Browser, view: &str) {
        for (width, size) in [("desktop", DESKTOP), ("phone", PHONE)] {
            resize(browser, size).await;
            screenshot(browser, &format!("a11y-{view}-{width}")).await;
            if size == PHONE {
                let wide = wider_than_window(browser).await;
                if !wide.is_empty() {
                    println!("[a11y] {view} at {} px: wider than the window: {}", size.0, wide.join(", "));
                }
            }
            let violations = browser.axe_violations().await;
            let label = format!("{view} ({width}, {} px)", size.0);
            if violations.is_empty() {
                println!("[a11y] {label}: no violations");
            } else {
                println!("[a11y] {label}: {} violation(s)\n{}", violations.len(), describe(&violations));
            }
            self.0.push((label, violations));
        }
        resize(browser, DESKTOP).await;
    }

    fn assert_clean(&self) {
        let failing: Vec<String> = self
            .0
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(label, v)| format!("{label}:\n{}", describe(v)))
            .collect();
        assert!(failing.is_empty(), "axe-core (WCAG 2 A/AA) found violations:\n{}", failing.join("\n"));
    }
}

#[tokio::test]
async fn every_view_passes_axe_at_desktop_and_phone_widths() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    let mut findings = Findings::default();

    b.client.goto(&format!("{}/?choose", stack.app.url)).await.expect("open the chooser");
    b.wait_css("section.home [data-testid=registry-input]").await;
    findings.check(b, "home").await;

    stack.goto("").await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    findings.check(b, "catalog").await;

    stack.goto("/demo/hello").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 3").await;
    findings.check(b, "tags").await;

    b.click("[data-testid=select-all]").await;
    b.wait_css("[data-testid=bulk-panel]").await;
    findings.check(b, "tags-selected").await;

    // The manifest's JSON (`pre.json`, src/pages/manifest.rs) scrolls inside its box on the
    // index, and on a phone on the image too: it is focusable (`tabindex="0"`), so a keyboard can
    // scroll it, which axe checks (`scrollable-region-focusable`).
    stack.goto("/demo/hello/-/manifest/1.0").await;
    b.wait_css("[data-testid=digest-check]").await;
    b.wait_js("document.querySelectorAll('[data-testid=layer-row] [data-digest]').length > 0").await;
    b.wait_css("[data-testid=history]").await;
    findings.check(b, "manifest").await;

    stack.goto("/demo/multi/-/manifest/latest").await;
    b.wait_js("document.querySelectorAll('[data-testid=platform-row] [data-digest]').length == 4").await;
    findings.check(b, "index").await;

    stack.goto("/demo/hello/-/retag/1.0").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.wait_css("[data-testid=retag-form]").await;
    findings.check(b, "retag").await;

    // A retag done here gives the journal an entry to show (with its undo button).
    submit_retag(b, "a11y-1").await;
    b.wait_css("[data-testid=result-row][data-tag=a11y-1]").await;
    findings.check(b, "retag-done").await;

    stack.goto("/demo/hello/-/copy/1.0").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.wait_css("[data-testid=copy-form]").await;
    findings.check(b, "copy").await;

    stack.goto("/demo/hello/-/delete/1.0").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.wait_css("[data-testid=delete-digest]").await;
    findings.check(b, "delete").await;

    // The confirmation lists the tags a delete by digest removes; nothing is sent until confirmed.
    b.click("[data-testid=delete-digest]").await;
    b.wait_css("[data-testid=delete-digest-tags] li").await;
    findings.check(b, "delete-confirm").await;

    stack.goto("/-/journal").await;
    b.wait_css("[data-testid=journal-entry]").await;
    findings.check(b, "journal").await;

    stack.goto("/-/selftest").await;
    b.wait_css("[data-testid=selftest-summary]").await;
    findings.check(b, "selftest").await;

    stack.goto("/demo/hello").await;
    // The three seeded tags and the one retagged above.
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 4").await;
    b.click("[data-testid=wire-toggle]").await;
    b.wait_css("[data-testid=wire-row]").await;
    findings.check(b, "wire").await;

    stack.close().await;
    findings.assert_clean();
}
