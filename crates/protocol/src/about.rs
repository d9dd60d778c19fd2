//! What an image or artifact says about itself, read from what is already fetched: its
//! description and the other standard annotations (`org.opencontainers.image.*`), a Helm chart's
//! metadata from its config, and an artifact's type and layers. Every value is text for people;
//! none of it is ever markup.

use std::collections::BTreeMap;

use crate::json::{parse, strings, text, Value};
use crate::manifest::{Descriptor, ImageManifest};

/// The annotation (or config label) that describes an image.
pub const DESCRIPTION: &str = "org.opencontainers.image.description";
/// The annotation that names a layer's file.
pub const TITLE: &str = "org.opencontainers.image.title";
/// A Helm chart's config media type.
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
/// The OCI empty config (`{}`), which artifacts without a config of their own carry.
pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
/// The largest layer shown as text on the page; a bigger one is left for a download.
pub const MAX_SHOWN_LAYER: u64 = 64 * 1024;

/// Where a description was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescribedIn {
    /// The manifest's own annotations.
    Manifest,
    /// The annotations of the index the image is a platform of (or that the tag names).
    Index,
    /// The image config's labels (`LABEL` in a Dockerfile).
    ConfigLabel,
}

impl DescribedIn {
    /// A stable short name (`data-from`).
    pub fn key(self) -> &'static str {
        match self {
            DescribedIn::Manifest => "manifest",
            DescribedIn::Index => "index",
            DescribedIn::ConfigLabel => "configlabel",
        }
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            DescribedIn::Manifest => "the manifest's annotation",
            DescribedIn::Index => "the index's annotation",
            DescribedIn::ConfigLabel => "the image config's label",
        }
    }
}

/// A description and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// The text, as written.
    pub text: String,
    /// Where.
    pub from: DescribedIn,
}

impl Description {
    /// Its first line, for a one-line view (the rest is shown on demand).
    pub fn first_line(&self) -> &str {
        self.text.trim_start().lines().next().unwrap_or_default().trim_end()
    }

    /// Whether more than [`Description::first_line`] is written.
    pub fn has_more(&self) -> bool {
        self.text.trim() != self.first_line()
    }
}

/// The description of an image: the manifest's annotation, else the index's, else the config's
/// label (the order zot reads them in; GHCR reads the index's for a multi-platform image). Blank
/// values do not count.
pub fn description(manifest: Option<&str>, index: Option<&str>, label: Option<&str>) -> Option<Description> {
    [(manifest, DescribedIn::Manifest), (index, DescribedIn::Index), (label, DescribedIn::ConfigLabel)]
        .into_iter()
        .find_map(|(text, from)| {
            let text = text?;
            (!text.trim().is_empty()).then(|| Description { text: text.to_string(), from })
        })
}

/// The description written in annotations or labels, if any.
pub fn described_in(map: Option<&BTreeMap<String, String>>) -> Option<&str> {
    map?.get(DESCRIPTION).map(String::as_str)
}

/// The other standard annotations the manifest page shows, with their names for people; the
/// page links a value only when it is an `http(s)` URL.
pub const STANDARD: [(&str, &str); 9] = [
    ("org.opencontainers.image.title", "Title"),
    ("org.opencontainers.image.version", "Version"),
    ("org.opencontainers.image.revision", "Revision"),
    ("org.opencontainers.image.source", "Source"),
    ("org.opencontainers.image.url", "URL"),
    ("org.opencontainers.image.documentation", "Documentation"),
    ("org.opencontainers.image.licenses", "Licenses"),
    ("org.opencontainers.image.vendor", "Vendor"),
    ("org.opencontainers.image.authors", "Authors"),
];

/// The standard facts found in `sources`, each from the first source that has it (the same order
/// as [`description`]).
pub fn standard_facts(sources: &[Option<&BTreeMap<String, String>>]) -> Vec<(&'static str, String)> {
    STANDARD
        .iter()
        .filter_map(|(key, name)| {
            let value = sources.iter().flatten().find_map(|map| map.get(*key).filter(|v| !v.trim().is_empty()))?;
            Some((*name, value.clone()))
        })
        .collect()
}

/// One dependency of a Helm chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmDependency {
    /// Its chart name.
    pub name: String,
    /// Its version or range.
    pub version: Option<String>,
    /// Where it comes from.
    pub repository: Option<String>,
}

/// What a Helm chart's config (its `Chart.yaml`, as JSON) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmChart {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
    /// `appVersion`.
    pub app_version: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `type`: application or library (Helm reads a missing type as application).
    pub chart_type: String,
    /// `apiVersion`: v1 or v2.
    pub api_version: Option<String>,
    /// `home`.
    pub home: Option<String>,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `dependencies`.
    pub dependencies: Vec<HelmDependency>,
}

impl HelmChart {
    /// Reads a chart's config blob; `Err` says what is wrong with it.
    pub fn parse(bytes: &[u8]) -> Result<HelmChart, String> {
        let json = parse(bytes).map_err(|e| format!("the chart's config is not JSON: {e}"))?;
        let name = text(&json, "name").ok_or("the chart's config has no name")?;
        let version = text(&json, "version").ok_or("the chart's config has no version")?;
        let dependencies = json
            .get("dependencies")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|d| {
                        Some(HelmDependency {
                            name: text(d, "name")?,
                            version: text(d, "version"),
                            repository: text(d, "repository"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(HelmChart {
            name,
            version,
            app_version: text(&json, "appVersion"),
            description: text(&json, "description"),
            chart_type: text(&json, "type").filter(|t| !t.is_empty()).unwrap_or_else(|| "application".into()),
            api_version: text(&json, "apiVersion"),
            home: text(&json, "home"),
            keywords: strings(&json, "keywords").unwrap_or_default(),
            dependencies,
        })
    }
}

/// One layer of an artifact, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactLayer {
    /// Its digest.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its file name, from the title annotation (what `oras push` writes).
    pub title: Option<String>,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the page shows it as text: a text or JSON type, at most [`MAX_SHOWN_LAYER`].
    pub shown_as_text: bool,
}

/// An artifact's type (`artifactType`, else its config's media type when that is not the empty
/// config) and its layers.
pub fn artifact_layers(image: &ImageManifest) -> (Option<String>, Vec<ArtifactLayer>) {
    let declared = image
        .artifact_type
        .clone()
        .or_else(|| (image.config.media_type != EMPTY_CONFIG).then(|| image.config.media_type.clone()));
    let layers = image.layers.iter().map(layer_of).collect();
    (declared, layers)
}

fn layer_of(layer: &Descriptor) -> ArtifactLayer {
    ArtifactLayer {
        digest: layer.digest.clone(),
        media_type: layer.media_type.clone(),
        title: layer.annotations.get(TITLE).cloned(),
        size: layer.size,
        shown_as_text: layer.size <= MAX_SHOWN_LAYER && is_text_type(&layer.media_type, layer.annotations.get(TITLE)),
    }
}

/// Whether a media type (or, for a generic one, the file name) is text a page can show.
pub fn is_text_type(media_type: &str, title: Option<&String>) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    let textual = essence.starts_with("text/")
        || essence.ends_with("json")
        || essence.ends_with("+yaml")
        || essence.ends_with("/yaml")
        || essence.ends_with("+xml")
        || essence.ends_with("/xml")
        || essence == "application/toml";
    let generic = matches!(essence, "application/octet-stream" | "application/vnd.oci.image.layer.v1.tar");
    let named_as_text = title.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        [".txt", ".md", ".json", ".yaml", ".yml", ".toml", ".xml", ".csv", ".sh"].iter().any(|ext| t.ends_with(ext))
    });
    textual || (generic && named_as_text)
}

/// A layer's bytes as text, when they are UTF-8; `None` otherwise (the page then offers nothing
/// but the digest).
pub fn layer_text(bytes: &[u8]) -> Option<String> {
    String::from_utf8(bytes.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_description_comes_from_the_first_place_that_has_one() {
        let manifest = map(&[(DESCRIPTION, "from the manifest")]);
        let labels = map(&[(DESCRIPTION, "from the label"), ("other", "x")]);
        let (manifest, labels) = (described_in(Some(&manifest)), described_in(Some(&labels)));
        assert_eq!(described_in(Some(&map(&[("other", "x")]))), None);
        let (index, blank) = (Some("from the index"), Some("  "));
        let cases = [
            (manifest, index, labels, Some(("from the manifest", DescribedIn::Manifest))),
            (None, index, labels, Some(("from the index", DescribedIn::Index))),
            (blank, None, labels, Some(("from the label", DescribedIn::ConfigLabel))),
            (blank, blank, None, None),
            (None, None, None, None),
        ];
        for (m, i, l, expected) in cases {
            let found = description(m, i, l);
            assert_eq!(found.as_ref().map(|d| (d.text.as_str(), d.from)), expected);
        }
    }

    #[test]
    fn a_description_shows_its_first_line_and_knows_there_is_more() {
        let d = Description { text: "\nFirst line\nsecond\n".into(), from: DescribedIn::Manifest };
        assert_eq!(d.first_line(), "First line");
        assert!(d.has_more());
        let one = Description { text: "Only one  ".into(), from: DescribedIn::Manifest };
        assert_eq!(one.first_line(), "Only one");
        assert!(!one.has_more());
    }

    #[test]
    fn standard_facts_take_the_first_source_and_keep_their_order() {
        let manifest = map(&[("org.opencontainers.image.source", "https://example.com/src")]);
        let labels = map(&[
            ("org.opencontainers.image.source", "https://other"),
            ("org.opencontainers.image.version", "1.2.3"),
            ("org.opencontainers.image.licenses", "MIT"),
        ]);
        assert_eq!(
            standard_facts(&[Some(&manifest), None, Some(&labels)]),
            vec![("Version", "1.2.3".into()), ("Source", "https://example.com/src".into()), ("Licenses", "MIT".into())]
        );
    }

    #[test]
    fn a_helm_chart_config_reads_as_helm_writes_it() {
        let config = br#"{"name":"wharf-demo","version":"0.3.1","description":"A demo chart","apiVersion":"v2","appVersion":"1.16.0","type":"application","keywords":["demo"],"dependencies":[{"name":"redis","version":"17.x.x","repository":"oci://registry-1.docker.io/bitnamicharts"},{"name":"common"}]}"#;
        let chart = HelmChart::parse(config).unwrap();
        assert_eq!((chart.name.as_str(), chart.version.as_str()), ("wharf-demo", "0.3.1"));
        assert_eq!(chart.app_version.as_deref(), Some("1.16.0"));
        assert_eq!(chart.chart_type, "application");
        assert_eq!(chart.dependencies.len(), 2);
        assert_eq!(chart.dependencies[0].repository.as_deref(), Some("oci://registry-1.docker.io/bitnamicharts"));
        assert_eq!(chart.dependencies[1].version, None);
        // A library chart, and a config without a type (Helm reads it as an application).
        assert_eq!(
            HelmChart::parse(br#"{"name":"lib","version":"1.0.0","type":"library"}"#).unwrap().chart_type,
            "library"
        );
        assert_eq!(HelmChart::parse(br#"{"name":"a","version":"1"}"#).unwrap().chart_type, "application");
        assert!(HelmChart::parse(br#"{"version":"1"}"#).unwrap_err().contains("no name"));
        assert!(HelmChart::parse(b"<html>").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn text_layers_are_told_by_type_or_file_name() {
        let title = |t: &str| Some(t.to_string());
        assert!(is_text_type("text/plain; charset=utf-8", None));
        assert!(is_text_type("application/spdx+json", None));
        assert!(is_text_type("application/vnd.cyclonedx+xml", None));
        assert!(is_text_type("application/octet-stream", title("README.md").as_ref()));
        assert!(!is_text_type("application/octet-stream", title("module.wasm").as_ref()));
        assert!(!is_text_type("application/wasm", None));
        assert!(!is_text_type("application/vnd.oci.image.layer.v1.tar+gzip", None));
    }
}
