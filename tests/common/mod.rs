//! What the browser tests share: a registry, seeded content, the app and a browser per test, and
//! small ways to read the page.
#![allow(dead_code)] // Each test binary uses a different part.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::Locator;
use wharf_testkit::axe::describe;
use wharf_testkit::browser::{Browser, NOT_SEEN};
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{seed_demo, Seeded};
use wharf_testkit::static_server::StaticServer;
use wharf_testkit::workspace_root;

/// Taken by every browser test of a suite: one Chromium at a time on a small machine.
pub static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Registry, seeded content, app server and browser for one test.
pub struct Stack {
    pub registry: Registry,
    pub seeded: Seeded,
    pub app: StaticServer,
    pub browser: Browser,
}

impl Stack {
    pub async fn start(options: RegistryOptions) -> Stack {
        let dist = workspace_root().join("dist");
        assert!(dist.join("index.html").is_file(), "dist/ is missing: run scripts/test (it builds the app first)");
        let registry = Registry::start(options);
        let seeded = seed_demo(&registry.url());
        let app = StaticServer::start(dist, 0);
        let browser = Browser::start().await;
        Stack { registry, seeded, app, browser }
    }

    /// The app URL of a view path (after `/r/http:host`).
    pub fn view(&self, rest: &str) -> String {
        format!("{}/r/http:{}{rest}", self.app.url, self.registry.host)
    }

    pub async fn goto(&self, rest: &str) {
        self.browser.client.goto(&self.view(rest)).await.expect("navigate");
    }

    /// Waits until the wire panel counts as many exchanges as the registry logged since
    /// `page_mark` (a [`Registry::log_mark`] taken before the page was loaded), and returns that
    /// count. The page gathers its log in batches, so it may trail the registry's for a moment;
    /// a page that recorded an exchange the registry never saw makes this fail.
    pub async fn wire_caught_up(&self, page_mark: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (wire, logged) = (wire_count(&self.browser).await, self.registry.requests_since(page_mark).len());
            if wire == logged {
                return wire;
            }
            assert!(
                Instant::now() < deadline,
                "the wire panel counts {wire} exchanges, the registry logged {logged} since the page loaded: {:?}",
                self.registry.requests_since(page_mark)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn close(self) {
        self.browser.close().await;
    }
}

pub async fn texts(browser: &Browser, selector: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in browser.client.find_all(Locator::Css(selector)).await.expect("find_all") {
        out.push(element.text().await.expect("text"));
    }
    out
}

pub async fn attrs(browser: &Browser, selector: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in browser.client.find_all(Locator::Css(selector)).await.expect("find_all") {
        out.push(element.attr(attr).await.expect("attr").unwrap_or_default());
    }
    out
}

/// The value of an attribute of the first element matching `selector`.
pub async fn attr_of(browser: &Browser, selector: &str, attr: &str) -> Option<String> {
    browser.wait_css(selector).await.attr(attr).await.expect("attribute")
}

/// Clicks a link by its text and waits for the URL to change.
pub async fn click_link(browser: &Browser, text: &str) {
    let before = browser.client.current_url().await.expect("url");
    browser.client.wait().for_element(Locator::LinkText(text)).await.expect("link").click().await.expect("click");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser.client.current_url().await.expect("url") == before {
        assert!(std::time::Instant::now() < deadline, "clicking {text} did not navigate");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Saves a screenshot of the page as `target/screenshots/<name>.png`.
pub async fn screenshot(browser: &Browser, name: &str) {
    let dir = workspace_root().join("target").join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    browser.screenshot(&dir.join(format!("{name}.png"))).await;
}

/// The number of exchanges the wire panel's toggle shows ("▸ Wire (12)").
pub async fn wire_count(browser: &Browser) -> usize {
    let text = browser.text("[data-testid=wire-toggle]").await;
    text.rsplit_once('(')
        .and_then(|(_, n)| n.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no count in the wire toggle: {text:?}"))
}

/// The requests that change something: PUT, POST, PATCH, DELETE.
pub fn writes(requests: &[(String, String)]) -> Vec<(String, String)> {
    requests.iter().filter(|(m, _)| ["PUT", "POST", "PATCH", "DELETE"].contains(&m.as_str())).cloned().collect()
}

/// The text of an error box's headline.
async fn headline_of(error_box: &Element) -> String {
    match error_box.find(Locator::Css("[data-testid=error-headline]")).await {
        Ok(headline) => headline.text().await.expect("headline text"),
        Err(_) => error_box.text().await.expect("error text"),
    }
}

/// Clicks `submit` and waits (up to `limit`) for the first of `outcomes` that the page renders
/// after the click; outcomes left on the page by an earlier submission do not count.
pub async fn submit_and_wait(browser: &Browser, submit: &str, outcomes: &[&str], limit: Duration) -> (usize, Element) {
    browser.mark_seen(&outcomes.join(", ")).await;
    browser.click(submit).await;
    let fresh: Vec<String> = outcomes.iter().map(|o| format!("{o}{NOT_SEEN}")).collect();
    browser.wait_first(&fresh.iter().map(String::as_str).collect::<Vec<_>>(), limit).await
}

/// Retags the open retag page's image: types `targets` into `[data-testid=retag-targets]`
/// (unless it holds them already, as after a look-up while typing), submits, and returns the
/// `[data-testid=retag-result]` element (whose rows may say "failed": that is for the caller).
/// Panics with the page's words when it shows its error box instead, refuses a name, or asks to
/// confirm moving a tag (that flow has its own buttons).
pub async fn submit_retag(browser: &Browser, targets: &str) -> Element {
    // The field is disabled until the source manifest has loaded; typing into it then fails.
    let field = browser.wait_css("[data-testid=retag-targets]:not([disabled])").await;
    if field.prop("value").await.expect("targets value").as_deref() != Some(targets) {
        browser.type_into("[data-testid=retag-targets]", targets).await;
    }
    let outcomes = [
        "[data-testid=retag-result]",
        "[data-testid=error]",
        "[data-testid=retag-name-error]",
        "[data-testid=retag-confirm]",
    ];
    let (which, element) =
        submit_and_wait(browser, "[data-testid=retag-submit]", &outcomes, Duration::from_secs(20)).await;
    match which {
        0 => element,
        1 => panic!("retag {targets:?} failed: {}", headline_of(&element).await),
        2 => panic!("retag {targets:?}: the page refused a name: {}", element.text().await.unwrap_or_default()),
        _ => panic!("retag {targets:?}: the page asks to confirm: {}", element.text().await.unwrap_or_default()),
    }
}

/// Submits the open copy form as filled in, and returns the `[data-testid=copy-result]` element
/// once it shows (up to `limit`). Panics with the headline of the page's error box when that
/// shows instead, or with the page's words when it refuses a name or asks to confirm a move.
pub async fn submit_copy(browser: &Browser, limit: Duration) -> Element {
    let outcomes = [
        "[data-testid=copy-result]",
        "[data-testid=error]",
        "[data-testid=copy-name-error]",
        "[data-testid=copy-confirm]",
    ];
    let (which, element) = submit_and_wait(browser, "[data-testid=copy-submit]", &outcomes, limit).await;
    match which {
        0 => element,
        1 => panic!("the copy failed: {}", headline_of(&element).await),
        2 => panic!("the copy form refused a name: {}", element.text().await.unwrap_or_default()),
        _ => panic!("the copy asks to confirm: {}", element.text().await.unwrap_or_default()),
    }
}

/// `data-outcome` and text of the retag result's row for `tag`.
pub async fn result_row(browser: &Browser, tag: &str) -> (String, String) {
    let row = browser.wait_css(&format!("[data-testid=result-row][data-tag='{tag}']")).await;
    (row.attr("data-outcome").await.expect("outcome").unwrap_or_default(), row.text().await.expect("row text"))
}

// ---------------------------------------------------------------------------------------------
// Issue 9, the glance (tests/e2e_glance.rs): reading the tag list's rows and the page's marks.
// Added at the end of this file; nothing above it changed.
// ---------------------------------------------------------------------------------------------

impl Stack {
    /// The app URL of a view path on another registry host (e.g. a proxy in front of this
    /// stack's registry): `/r/http:<host><rest>`.
    pub fn view_on(&self, host: &str, rest: &str) -> String {
        format!("{}/r/http:{host}{rest}", self.app.url)
    }
}

/// One row of the tag list (`tr[data-testid=tag-row]`), as its data attributes say (an absent
/// attribute reads as empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlanceRow {
    pub tag: String,
    pub digest: String,
    pub created: String,
    pub size: String,
    pub kind: String,
    pub platforms: String,
    pub fresh: String,
    /// The row's visible text.
    pub text: String,
}

/// The tag list's rows on the page now, read in one script.
pub async fn glance_rows(browser: &Browser) -> Vec<GlanceRow> {
    let script = "return Array.from(document.querySelectorAll('tr[data-testid=tag-row]')).map((r) => {
        const a = (n) => r.getAttribute(n) ?? '';
        return { tag: a('data-tag'), digest: a('data-digest'), created: a('data-created'), size: a('data-size'),
                 kind: a('data-kind'), platforms: a('data-platforms'), fresh: a('data-fresh'), text: r.innerText };
    });";
    let value = browser.client.execute(script, vec![]).await.expect("read the tag rows");
    let field = |row: &serde_json::Value, name: &str| row[name].as_str().unwrap_or_default().to_string();
    value
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| GlanceRow {
            tag: field(row, "tag"),
            digest: field(row, "digest"),
            created: field(row, "created"),
            size: field(row, "size"),
            kind: field(row, "kind"),
            platforms: field(row, "platforms"),
            fresh: field(row, "fresh"),
            text: field(row, "text"),
        })
        .collect()
}

/// Every row of the list, page after page: reads the page in view, then clicks
/// `[data-testid=page-next]` while it is enabled (and waits for the rows to change). Leaves the
/// list on its last page.
pub async fn all_glance_rows(browser: &Browser) -> Vec<GlanceRow> {
    let mut rows = Vec::new();
    loop {
        let page = glance_rows(browser).await;
        let first = page.first().map(|r| r.tag.clone()).unwrap_or_default();
        rows.extend(page);
        let next = match browser.client.find(Locator::Css("[data-testid=page-next]")).await {
            Ok(next) => next,
            Err(_) => return rows,
        };
        if !next.is_enabled().await.expect("page-next enabled") {
            return rows;
        }
        browser.click("[data-testid=page-next]").await;
        browser
            .wait_js(&format!(
                "(document.querySelector('tr[data-testid=tag-row]')?.getAttribute('data-tag') ?? '') !== {first:?}"
            ))
            .await;
    }
}

/// Waits (up to `limit`) for the User Timing mark `name` and returns its `startTime` (ms since
/// the navigation started). Panics with the progress element's state when it never comes.
pub async fn wait_mark(browser: &Browser, name: &str, limit: Duration) -> f64 {
    let script = format!(
        "const e = performance.getEntriesByName({name:?}); if (e.length) return e[0].startTime;
         const p = document.querySelector('[data-testid=glance-progress]');
         return p ? `progress ${{p.getAttribute('data-done')}} of ${{p.getAttribute('data-total')}}` : 'no glance-progress';"
    );
    let deadline = Instant::now() + limit;
    loop {
        let value = browser.client.execute(&script, vec![]).await.expect("read the marks");
        if let Some(ms) = value.as_f64() {
            return ms;
        }
        assert!(Instant::now() < deadline, "the page never set the mark {name} within {} s ({value})", limit.as_secs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Screenshots of the page at 1280 px and at a phone's 390 px (`<name>.png`, `<name>-390.png`),
/// the window set back to 1280 × 900 afterwards.
pub async fn screenshot_both_widths(browser: &Browser, name: &str) {
    screenshot(browser, name).await;
    browser.client.set_window_size(390, 844).await.expect("phone width");
    tokio::time::sleep(Duration::from_millis(200)).await;
    screenshot(browser, &format!("{name}-390")).await;
    browser.client.set_window_size(1280, 900).await.expect("desktop width");
}

/// [`screenshot_both_widths`] of the part of the page at `selector`, scrolled to the top of the
/// window at each width (at 390 px a section below the fold would otherwise not be in the picture).
pub async fn screenshot_both_widths_at(browser: &Browser, name: &str, selector: &str) {
    let scroll = "document.querySelector(arguments[0])?.scrollIntoView({block: 'start'});";
    browser.client.execute(scroll, vec![serde_json::json!(selector)]).await.expect("scroll");
    screenshot(browser, name).await;
    browser.client.set_window_size(390, 844).await.expect("phone width");
    tokio::time::sleep(Duration::from_millis(200)).await;
    browser.client.execute(scroll, vec![serde_json::json!(selector)]).await.expect("scroll");
    screenshot(browser, &format!("{name}-390")).await;
    browser.client.set_window_size(1280, 900).await.expect("desktop width");
}

/// Asserts the page as it stands has no axe-core (WCAG 2 A/AA) violations.
pub async fn assert_accessible(b: &Browser, what: &str) {
    let violations = b.axe_violations().await;
    assert!(violations.is_empty(), "{what}: {}", describe(&violations));
}

// ---------------------------------------------------------------------------------------------
// Issue 22, export as script (tests/e2e_export.rs, tests/e2e_auth.rs).
// ---------------------------------------------------------------------------------------------

/// Presses the first `Export as script` on the page and returns the script it shows.
pub async fn export_script(browser: &Browser) -> String {
    browser.click("[data-testid=export-script]").await;
    let text = browser.wait_css("[data-testid=export-script-text]").await;
    text.prop("value").await.expect("script text").unwrap_or_default()
}

/// How an exported script ended.
pub struct ScriptRun {
    /// It exited 0.
    pub success: bool,
    /// What it said (its report lines and errors).
    pub stderr: String,
}

/// Checks `script` with shellcheck (every warning, style included, fails the test), then runs it
/// with `bash` and exactly the `REGISTRY*` variables in `env` (none from this process's
/// environment leaks in).
pub fn run_exported(script: &str, env: &[(&str, &str)]) -> ScriptRun {
    let dir = std::env::temp_dir().join(format!("wharf-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("script dir");
    let path = dir.join(format!("script-{}.sh", NEXT_SCRIPT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    std::fs::write(&path, script).expect("write script");
    let lint = std::process::Command::new("shellcheck")
        .args(["--shell=bash", "--severity=style"])
        .arg(&path)
        .output()
        .expect("shellcheck (scripts/setup installs it)");
    assert!(lint.status.success(), "shellcheck on the exported script:\n{}", String::from_utf8_lossy(&lint.stdout));
    let mut command = std::process::Command::new("bash");
    command.arg(&path);
    for name in ["REGISTRY", "TARGET_REGISTRY", "REGISTRY_USER", "REGISTRY_PASSWORD", "REGISTRY_TOKEN"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("bash");
    let _ = std::fs::remove_file(&path);
    ScriptRun { success: output.status.success(), stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
}

static NEXT_SCRIPT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
