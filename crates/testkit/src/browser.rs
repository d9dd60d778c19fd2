//! Headless Chromium through chromedriver, both started here and stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::{free_port, kill_marked, scratch_dir};

/// A chromedriver process and one browser session.
pub struct Browser {
    driver: Child,
    profile: std::path::PathBuf,
    /// The WebDriver session.
    pub client: Client,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (apt-get install chromium-driver)");
        let profile = scratch_dir("chromium-profile");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
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
        Browser { driver, profile, client }
    }

    /// Waits for an element matching a CSS selector (up to 20 s).
    pub async fn wait_css(&self, selector: &str) -> fantoccini::elements::Element {
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

    /// Replaces the text of an input.
    pub async fn type_into(&self, selector: &str, text: &str) {
        let input = self.wait_css(selector).await;
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
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
