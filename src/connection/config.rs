//! The runtime configuration: `config.json`, served beside the app and read at start, so a
//! deployment changes its registry without a rebuild.
//!
//! ```json
//! { "title": "Acme registry", "registries": [ { "name": "staging", "url": "https://reg.example" } ] }
//! ```
//! `url` is an address or `"same-origin"`. A missing file means "no default": the user types one.
//! `"read_only": true` hides every action that changes a registry, and the transport refuses to
//! send one.

use serde::Deserialize;
use wharf_protocol::requests::RegistryUrl;

/// Where the file is fetched from (absolute: deep links live under `/r/...`).
pub const CONFIG_PATH: &str = "/config.json";

/// A registry the deployment offers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NamedRegistry {
    /// A label for the picker.
    #[serde(default)]
    pub name: Option<String>,
    /// The address, or `same-origin`.
    pub url: String,
}

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Page title / branding.
    #[serde(default)]
    pub title: Option<String>,
    /// Registries offered; the first is the default.
    #[serde(default)]
    pub registries: Vec<NamedRegistry>,
    /// No mutating action is shown, and none is sent.
    #[serde(default)]
    pub read_only: bool,
}

impl RuntimeConfig {
    /// Parses and checks the file: every registry address must be valid.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: RuntimeConfig =
            serde_json::from_slice(text.as_bytes()).map_err(|e| format!("{CONFIG_PATH} is not valid: {e}"))?;
        for entry in &config.registries {
            RegistryUrl::parse(&entry.url).map_err(|e| format!("{CONFIG_PATH}: registry “{}”: {e}", entry.url))?;
        }
        Ok(config)
    }

    /// The default registry, when one is configured.
    pub fn default_registry(&self) -> Option<RegistryUrl> {
        self.registries.first().and_then(|r| RegistryUrl::parse(&r.url).ok())
    }

    /// The title to show.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or("Wharf")
    }
}

/// Fetches the config: `Ok(None)` when there is none (404), `Err` with a message when it is broken.
pub async fn load() -> Result<Option<RuntimeConfig>, String> {
    let response = gloo_net::http::Request::get(CONFIG_PATH)
        .cache(web_sys::RequestCache::NoStore)
        .send()
        .await
        .map_err(|e| format!("could not load {CONFIG_PATH}: {e}"))?;
    if response.status() == 404 {
        return Ok(None);
    }
    if !response.ok() {
        return Err(format!("could not load {CONFIG_PATH}: HTTP {}", response.status()));
    }
    let text = response.text().await.map_err(|e| format!("could not read {CONFIG_PATH}: {e}"))?;
    RuntimeConfig::parse(&text).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let c = RuntimeConfig::parse(
            r#"{"title":"T","registries":[{"name":"a","url":"same-origin"},{"url":"http://127.0.0.1:5000"}]}"#,
        )
        .unwrap();
        assert_eq!(c.title(), "T");
        assert_eq!(c.default_registry(), Some(RegistryUrl::SameOrigin));
        assert!(RuntimeConfig::parse(r#"{"registries":[{"url":"ftp://x"}]}"#).unwrap_err().contains("ftp"));
        assert!(RuntimeConfig::parse(r#"{"registry":"x"}"#).unwrap_err().contains("unknown field"));
        assert!(RuntimeConfig::parse("not json").is_err());
        assert_eq!(RuntimeConfig::parse("{}").unwrap().default_registry(), None);
    }
}
