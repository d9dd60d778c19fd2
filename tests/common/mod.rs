//! What the browser tests share: a registry, seeded content, the app and a browser per test, and
//! small ways to read the page.
#![allow(dead_code)] // Each test binary uses a different part.

use fantoccini::Locator;
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{seed_demo, Seeded};
use wharf_testkit::static_server::StaticServer;
use wharf_testkit::workspace_root;

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

    pub async fn screenshot(&self, name: &str) {
        let dir = workspace_root().join("target").join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        self.browser.screenshot(&dir.join(format!("{name}.png"))).await;
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
