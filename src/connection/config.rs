//! The runtime configuration: `config.json`, served beside the app and read at start, so a
//! deployment changes its registry without a rebuild.
//!
//! ```json
//! { "title": "Acme registry", "registries": [ { "name": "staging", "url": "https://reg.example" } ] }
//! ```
//! `url` is an address, `"same-origin"`, or a path on this site (`"/hub"`, a gateway's prefix).
//! `"pinned": ["library/alpine"]` lists repositories to offer where the registry does not list
//! its own (no catalog, as on Docker Hub and GHCR). A missing file means "no default": the user types one.
//! `"read_only": true` hides every action that changes a registry, and the transport refuses to
//! send one.

use wharf_protocol::json::{self, Value};
use wharf_protocol::names::Repository;
use wharf_protocol::requests::RegistryUrl;

/// Where the file is fetched from (absolute: deep links live under `/r/...`).
pub const CONFIG_PATH: &str = "/config.json";

/// A registry the deployment offers.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedRegistry {
    /// A label for the picker.
    pub name: Option<String>,
    /// The address, or `same-origin`.
    pub url: String,
    /// The name `docker pull` uses for it (`registry.example.com`, `http://localhost:5000`), when
    /// the browser reaches it by another address (`same-origin`, a proxy).
    pub public_name: Option<String>,
    /// Repositories offered on the catalog page, whatever the catalog says.
    pub pinned: Vec<String>,
}

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeConfig {
    /// Page title / branding.
    pub title: Option<String>,
    /// Registries offered; the first is the default.
    pub registries: Vec<NamedRegistry>,
    /// No mutating action is shown, and none is sent.
    pub read_only: bool,
}

/// The fields the file may have: anything else is a mistake worth reporting (a misspelt
/// `read_only` must not leave a deployment writable without a word).
const FIELDS: [&str; 3] = ["title", "registries", "read_only"];
/// The fields of one registry entry.
const REGISTRY_FIELDS: [&str; 4] = ["name", "url", "public_name", "pinned"];

/// An optional string field, or why it is not one.
fn optional_text(object: &Value, key: &str, place: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{place}“{key}” must be a string")),
    }
}

/// How often `"key"` stands as an object key in `text` (quoted, not escaped, then a colon).
fn key_count(text: &str, key: &str) -> usize {
    let quoted = format!("\"{key}\"");
    text.match_indices(&quoted)
        .filter(|(at, _)| !text[..*at].ends_with('\\'))
        .filter(|(at, q)| text[at + q.len()..].trim_start().starts_with(':'))
        .count()
}

impl RuntimeConfig {
    /// Parses and checks the file: every registry address must be valid.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = |why: String| format!("{CONFIG_PATH} is not valid: {why}");
        let file = json::parse(text.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let fields = file.as_object().ok_or_else(|| invalid("it must be a JSON object".into()))?;
        if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(invalid(format!("unknown field “{unknown}”, expected one of {}", FIELDS.join(", "))));
        }
        // A JSON object keeps the last of two equal keys; a file that says read_only twice is a
        // mistake to report, not to settle by order.
        if let Some(twice) = FIELDS.iter().find(|field| key_count(text, field) > 1) {
            return Err(invalid(format!("“{twice}” is given more than once")));
        }
        let read_only = match file.get("read_only") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("“read_only” must be true or false".into())),
        };
        let listed = match file.get("registries") {
            None => &[][..],
            Some(Value::Array(list)) => list.as_slice(),
            Some(_) => return Err(invalid("“registries” must be a list".into())),
        };
        let mut registries = Vec::with_capacity(listed.len());
        for entry in listed {
            let url = json::text(entry, "url").ok_or_else(|| invalid("every registry needs a “url” string".into()))?;
            RegistryUrl::parse(&url).map_err(|e| format!("{CONFIG_PATH}: registry “{url}”: {e}"))?;
            if let Some(unknown) =
                entry.as_object().and_then(|e| e.keys().find(|k| !REGISTRY_FIELDS.contains(&k.as_str())))
            {
                return Err(invalid(format!(
                    "unknown registry field “{unknown}”, expected one of {}",
                    REGISTRY_FIELDS.join(", ")
                )));
            }
            let pinned = match entry.get("pinned") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(names)) => names
                    .iter()
                    .map(|name| match name.as_str().map(Repository::parse) {
                        Some(Ok(repository)) => Ok(repository.to_string()),
                        Some(Err(e)) => Err(format!("{CONFIG_PATH}: registry “{url}”: pinned repository: {e}")),
                        None => Err(invalid("“pinned” must list repository names as strings".into())),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(invalid("“pinned” must be a list of repository names".into())),
            };
            registries.push(NamedRegistry {
                name: optional_text(entry, "name", "a registry's ").map_err(invalid)?,
                public_name: optional_text(entry, "public_name", "a registry's ").map_err(invalid)?,
                url,
                pinned,
            });
        }
        Ok(RuntimeConfig { title: optional_text(&file, "title", "").map_err(invalid)?, registries, read_only })
    }

    /// The default registry, when one is configured.
    pub fn default_registry(&self) -> Option<RegistryUrl> {
        self.registries.first().and_then(|r| RegistryUrl::parse(&r.url).ok())
    }

    /// The entry that configures `registry`, if any.
    fn entry(&self, registry: &RegistryUrl) -> Option<&NamedRegistry> {
        self.registries.iter().find(|r| RegistryUrl::parse(&r.url).ok().as_ref() == Some(registry))
    }

    /// The public name configured for `registry`, if any.
    pub fn public_name(&self, registry: &RegistryUrl) -> Option<&str> {
        self.entry(registry).and_then(|r| r.public_name.as_deref())
    }

    /// The name the deployment gives `registry`, if any.
    pub fn name(&self, registry: &RegistryUrl) -> Option<&str> {
        self.entry(registry).and_then(|r| r.name.as_deref())
    }

    /// The repositories the deployment pins for `registry`.
    pub fn pinned(&self, registry: &RegistryUrl) -> &[String] {
        self.entry(registry).map_or(&[], |r| r.pinned.as_slice())
    }

    /// The title to show.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or("Wharf")
    }
}

/// Fetches the config: `Ok(None)` when there is none (404), `Err` with a message when it is broken.
pub async fn load() -> Result<Option<RuntimeConfig>, String> {
    let options = super::fetch::Options {
        cache: web_sys::RequestCache::NoStore,
        credentials: web_sys::RequestCredentials::SameOrigin,
        mode: web_sys::RequestMode::Cors,
    };
    let response = super::fetch::send("GET", CONFIG_PATH, &Default::default(), &[], options)
        .await
        .map_err(|e| format!("could not load {CONFIG_PATH}: {e}"))?;
    if response.status() == 404 {
        return Ok(None);
    }
    if !response.ok() {
        return Err(format!("could not load {CONFIG_PATH}: HTTP {}", response.status()));
    }
    let text = super::fetch::text(&response).await.map_err(|e| format!("could not read {CONFIG_PATH}: {e}"))?;
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
        assert!(RuntimeConfig::parse(r#"{"registry":"x"}"#).unwrap_err().contains("unknown field “registry”"));
        assert!(RuntimeConfig::parse(r#"{"read_only":"yes"}"#).unwrap_err().contains("true or false"));
        assert!(RuntimeConfig::parse(r#"{"read_only":null}"#).unwrap_err().contains("true or false"));
        assert!(RuntimeConfig::parse(r#"{"registries":null}"#).unwrap_err().contains("list"));
        let twice = RuntimeConfig::parse(r#"{"read_only": true, "title": "t", "read_only" : false}"#).unwrap_err();
        assert!(twice.contains("“read_only” is given more than once"), "{twice}");
        let quoted = RuntimeConfig::parse(r#"{"title":"say \"read_only\": x","read_only":true}"#).unwrap();
        assert!(quoted.read_only, "a key spelt inside a string value is not a key");
        assert!(RuntimeConfig::parse(r#"{"read_only":true}"#).unwrap().read_only);
        assert!(RuntimeConfig::parse(r#"{"registries":[{"name":"a"}]}"#).unwrap_err().contains("url"));
        assert!(RuntimeConfig::parse(r#"{"registries":{}}"#).unwrap_err().contains("list"));
        assert!(RuntimeConfig::parse(r#"{"title":3}"#).unwrap_err().contains("string"));
        let named =
            RuntimeConfig::parse(r#"{"registries":[{"url":"same-origin","public_name":"registry.example.com"}]}"#)
                .unwrap();
        assert_eq!(named.public_name(&RegistryUrl::SameOrigin), Some("registry.example.com"));
        assert_eq!(named.public_name(&RegistryUrl::Origin("http://127.0.0.1:5000".into())), None);
        assert!(RuntimeConfig::parse(r#"{"registries":[{"url":"same-origin","public":"x"}]}"#)
            .unwrap_err()
            .contains("unknown registry field “public”"));
        assert!(RuntimeConfig::parse(r#"{"registries":[{"url":"same-origin","public_name":5}]}"#)
            .unwrap_err()
            .contains("string"));
        let gateway = RuntimeConfig::parse(
            r#"{"registries":[{"url":"/hub","public_name":"docker.io","pinned":["library/alpine","team/app"]}]}"#,
        )
        .unwrap();
        let hub = RegistryUrl::Path("/hub".into());
        assert_eq!(gateway.pinned(&hub), ["library/alpine", "team/app"]);
        assert_eq!(gateway.public_name(&hub), Some("docker.io"));
        assert!(gateway.pinned(&RegistryUrl::SameOrigin).is_empty());
        assert!(RuntimeConfig::parse(r#"{"registries":[{"url":"/hub","pinned":["Bad"]}]}"#)
            .unwrap_err()
            .contains("pinned repository"));
        assert!(RuntimeConfig::parse(r#"{"registries":[{"url":"/hub","pinned":"a"}]}"#).unwrap_err().contains("list"));
        assert!(RuntimeConfig::parse(r#"{"registries":[{"url":"/hub","pinned":[1]}]}"#)
            .unwrap_err()
            .contains("strings"));
        assert!(RuntimeConfig::parse("[]").unwrap_err().contains("object"));
        assert!(RuntimeConfig::parse("not json").is_err());
        assert_eq!(RuntimeConfig::parse("{}").unwrap().default_registry(), None);
    }
}
