//! Headless Chromium through chromedriver, both started here and stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::{free_port, kill_marked, scratch_dir};

/// The key under which WebDriver returns an element from a script (W3C WebDriver, "web element
/// identifier").
const WEB_ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Appended to a selector by tests that marked earlier elements with [`Browser::mark_seen`]: only
/// elements rendered after the mark match.
pub const NOT_SEEN: &str = ":not([data-testkit-seen])";

/// A chromedriver process and one browser session.
pub struct Browser {
    driver: Child,
    profile: std::path::PathBuf,
    /// chromedriver's address, for the commands fantoccini does not wrap (DevTools).
    driver_url: String,
    /// The WebDriver session.
    pub client: Client,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub async fn start() -> Browser {
        Self::start_with(&[]).await
    }

    /// [`Browser::start`] trusting any TLS certificate: for a server with a certificate made by
    /// the test (`Nginx::start_tls`), where a real deployment has one a CA signed.
    pub async fn start_accepting_any_certificate() -> Browser {
        Self::start_with(&["--ignore-certificate-errors"]).await
    }

    async fn start_with(extra_args: &[&str]) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (apt-get install chromium-driver)");
        let profile = scratch_dir("chromium-profile");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .iter()
        .chain(extra_args)
        .map(|a| a.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({ "binary": "/usr/bin/chromium", "args": args }));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    panic!("could not start a browser session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Browser { driver, profile, driver_url: url, client }
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`) and
    /// returns its result: the profiler and tracing, which WebDriver has no command for.
    pub async fn cdp(&self, command: &str, params: Value) -> Value {
        let session = self.client.session_id().await.expect("session id").expect("a session");
        let url = format!("{}/session/{session}/goog/cdp/execute", self.driver_url);
        let body = json!({ "cmd": command, "params": params });
        tokio::task::spawn_blocking(move || {
            let answer = ureq::post(&url)
                .set("Content-Type", "application/json")
                .send_string(&body.to_string())
                .unwrap_or_else(|e| panic!("DevTools command: {e}"));
            let answer: Value = serde_json::from_str(&answer.into_string().expect("answer")).expect("json");
            answer["value"].clone()
        })
        .await
        .expect("DevTools command thread")
    }

    /// Waits for an element matching a CSS selector (up to 20 s).
    pub async fn wait_css(&self, selector: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no element {selector}: {e}"))
    }

    /// Waits until `script` (a JS expression) is truthy, and returns its value (up to 20 s).
    pub async fn wait_js(&self, expression: &str) -> serde_json::Value {
        self.wait_js_within(expression, Duration::from_secs(20)).await
    }

    /// [`Browser::wait_js`] with another time limit, for long operations.
    pub async fn wait_js_within(&self, expression: &str, limit: Duration) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let value = self.client.execute(&format!("return ({expression});"), vec![]).await.expect("execute script");
            let truthy = !(value.is_null() || value == json!(false) || value == json!("") || value == json!(0));
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for: {expression}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to `limit`) until one of `selectors` matches, and returns the index of the first
    /// of them, in the order given, that matches then, with its first element. An outcome and the
    /// ways it can fail are waited for together, so a test learns at once which one the page
    /// showed; list an outcome before an error box nested in it.
    pub async fn wait_first(&self, selectors: &[&str], limit: Duration) -> (usize, Element) {
        let script = "const selectors = arguments[0]; \
                      for (let i = 0; i < selectors.length; i++) { \
                        const found = document.querySelector(selectors[i]); \
                        if (found) { return [i, found]; } \
                      } \
                      return null;";
        let deadline = Instant::now() + limit;
        loop {
            let value = self.client.execute(script, vec![json!(selectors)]).await.expect("execute script");
            if let Value::Array(found) = value {
                let index = found[0].as_u64().expect("selector index") as usize;
                // A script's element comes back as `{"element-6066-…": id}` (WebDriver's key).
                let id = found[1][WEB_ELEMENT_KEY]
                    .as_str()
                    .unwrap_or_else(|| panic!("not an element: {found:?}"))
                    .to_string();
                return (index, Element::from_element_id(self.client.clone(), id.into()));
            }
            if Instant::now() > deadline {
                panic!("none of {selectors:?} appeared within {} s", limit.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Marks every element now matching `selector` with `data-testkit-seen`, so that a wait for
    /// `selector` followed by [`NOT_SEEN`] finds only elements the page renders from now on (an
    /// outcome left from an earlier submission does not count as the next one).
    pub async fn mark_seen(&self, selector: &str) {
        self.client
            .execute(
                "document.querySelectorAll(arguments[0]).forEach(e => e.setAttribute('data-testkit-seen', ''));",
                vec![json!(selector)],
            )
            .await
            .expect("mark elements as seen");
    }

    /// Replaces the text of an input.
    pub async fn type_into(&self, selector: &str, text: &str) {
        let input = self.wait_css(selector).await;
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }

    /// Sets the field `[data-testid=<testid>]` as typing would leave it, with an input event.
    /// WebDriver's clear would be undone by the next redraw of a page whose field is controlled
    /// by its state.
    pub async fn fill(&self, testid: &str, value: &str) {
        self.wait_css(&format!("[data-testid={testid}]")).await;
        let script = format!(
            "const f = document.querySelector('[data-testid={testid}]'); f.value = {value:?}; \
             f.dispatchEvent(new Event('input', {{bubbles: true}}));"
        );
        self.client.execute(&script, vec![]).await.expect("fill the field");
    }

    /// Clicks an element after scrolling it to the middle of the window (the wire panel is fixed
    /// at the bottom and would otherwise be in the way).
    pub async fn click(&self, selector: &str) {
        let element = self.wait_css(selector).await;
        let as_arg = serde_json::to_value(&element).expect("element as script argument");
        self.client.execute("arguments[0].scrollIntoView({block: 'center'});", vec![as_arg]).await.expect("scroll");
        element.click().await.expect("click");
    }

    /// Text of the first element matching a selector.
    pub async fn text(&self, selector: &str) -> String {
        self.wait_css(selector).await.text().await.expect("element text")
    }

    /// Saves a PNG screenshot to `path`.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    fn stop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Chromium outlives a killed chromedriver: end the browsers using this session's profile.
        kill_marked(&self.profile.display().to_string());
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    /// Ends chromedriver and every browser it started, even when a test panicked mid-session.
    fn drop(&mut self) {
        self.stop();
    }
}
