//! Manifests, indexes and image configs: exact bytes kept, a parsed copy for display.
//!
//! A [`FetchedManifest`] owns the bytes exactly as the registry sent them; everything that puts a
//! manifest back (retag, copy) uses those bytes, never a re-serialisation, because a serde round
//! trip changes the digest. The parsed structs exist only to show things.
//!
//! They are read field by field from one parse of the bytes ([`crate::json`]), leniently: a field
//! of the wrong type reads as absent, which is all display code needs.

use std::collections::BTreeMap;

use crate::json::{string_map, strings, text, text_or_empty, Value};

use crate::digest::{check_header, sha256_of, HeaderCheck};
use crate::error::Error;
use crate::media::MediaType;
use crate::names::Digest;

/// Annotation buildx puts on attestation entries of an index.
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
/// The annotation value that marks an attestation manifest.
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";
/// Annotation naming the image an attestation describes.
pub const REFERENCE_DIGEST_ANNOTATION: &str = "vnd.docker.reference.digest";
/// Manifests above this size are refused by distribution (413) and not worth showing.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Platform of an index entry or image config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`, `unknown` for attestations).
    pub architecture: String,
    /// Operating system.
    pub os: String,
    /// CPU variant (`v7`, `v8`).
    pub variant: Option<String>,
    /// Windows OS version.
    pub os_version: Option<String>,
}

impl Platform {
    /// `linux/arm64/v8` form.
    pub fn label(&self) -> String {
        let mut s = format!("{}/{}", self.os, self.architecture);
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            s.push('/');
            s.push_str(v);
        }
        s
    }
}

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// Media type of the target.
    pub media_type: String,
    /// Digest of the target.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// Platform (index entries).
    pub platform: Option<Platform>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Artifact type (OCI 1.1).
    pub artifact_type: Option<String>,
}

impl Descriptor {
    /// buildx attestation entries: marked by annotation, or the `unknown/unknown` platform.
    pub fn is_attestation(&self) -> bool {
        self.annotations.get(REFERENCE_TYPE_ANNOTATION).map(String::as_str) == Some(ATTESTATION_MANIFEST)
            || self.platform.as_ref().is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
    }
}

/// An image manifest (Docker v2 or OCI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    /// The config blob.
    pub config: Descriptor,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
    /// OCI 1.1 subject.
    pub subject: Option<Descriptor>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Artifact type (OCI 1.1).
    pub artifact_type: Option<String>,
}

impl ImageManifest {
    /// Sum of the (compressed) layer sizes.
    pub fn total_layer_size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }
}

/// An index / manifest list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageIndex {
    /// Child manifests.
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
}

/// The part of a schema 1 manifest worth showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema1 {
    /// The repository name it is bound to.
    pub name: String,
    /// The tag it is bound to.
    pub tag: String,
    /// Architecture.
    pub architecture: String,
}

/// A manifest's parsed form, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedManifest {
    /// Docker v2 / OCI image manifest (boxed: far larger than the other variants).
    Image(Box<ImageManifest>),
    /// Manifest list / OCI index.
    Index(ImageIndex),
    /// Docker schema 1: read-only.
    Schema1(Schema1),
    /// Something else (an artifact type we don't know): shown raw.
    Unknown,
}

/// A manifest as fetched: exact bytes and what is known about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    /// The bytes exactly as received.
    pub bytes: Vec<u8>,
    /// The kind of manifest.
    pub media_type: MediaType,
    /// The Content-Type header as sent (may be absent or hidden).
    pub content_type: Option<String>,
    /// sha256 of `bytes`.
    pub digest: Digest,
    /// How the registry's `Docker-Content-Digest` compares.
    pub header_check: HeaderCheck,
    /// Parsed copy for display.
    pub parsed: ParsedManifest,
}

impl FetchedManifest {
    /// Builds from a response body. `by_digest` is the digest it was fetched by, if any: the bytes
    /// must hash to it (schema 1 excepted, whose registry digest excludes the signatures).
    pub fn from_bytes(
        url: &str,
        bytes: Vec<u8>,
        content_type: Option<&str>,
        digest_header: Option<&str>,
        by_digest: Option<&Digest>,
    ) -> Result<Self, Error> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(Error::Parse {
                url: url.into(),
                detail: format!("the manifest is {} bytes, over the 4 MiB limit", bytes.len()),
            });
        }
        let json = crate::json::parse(&bytes)
            .map_err(|e| Error::Parse { url: url.into(), detail: format!("the body is not a JSON manifest ({e})") })?;
        if !json.is_object() {
            return Err(Error::Parse { url: url.into(), detail: "the body is JSON but not an object".into() });
        }
        let header_type = content_type.map(MediaType::parse);
        let body_type = text(&json, "mediaType").map(|t| MediaType::parse(&t));
        if let (Some(h), Some(b)) = (&header_type, &body_type) {
            // Some registries send a generic JSON type for schema 1; only a clash between two
            // manifest types is a real mismatch.
            let generic = matches!(h, MediaType::Other(s) if s == "application/json" || s == "text/plain");
            if h != b && !generic {
                return Err(Error::Parse {
                    url: url.into(),
                    detail: format!("the Content-Type is {h} but the manifest says it is {b}"),
                });
            }
        }
        let media_type = body_type
            .or(header_type.filter(|t| !matches!(t, MediaType::Other(s) if s == "application/json")))
            .unwrap_or_else(|| infer_media_type(&json));
        let parsed = parse_for_display(&media_type, &json);
        let digest = sha256_of(&bytes);
        let header_check = if media_type.is_schema1() {
            // The registry's digest covers the payload without signatures: not comparable.
            match digest_header {
                Some(h) if !h.is_empty() => HeaderCheck::Unverifiable { header: h.to_string() },
                _ => HeaderCheck::Absent,
            }
        } else {
            check_header(&digest, digest_header)
        };
        if let Some(expected) = by_digest {
            if !media_type.is_schema1() && expected != &digest && expected.algorithm() == "sha256" {
                return Err(Error::DigestMismatch {
                    url: url.into(),
                    expected: expected.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        if let HeaderCheck::Differs { header } = &header_check {
            return Err(Error::DigestMismatch {
                url: url.into(),
                expected: header.clone(),
                actual: digest.to_string(),
            });
        }
        Ok(FetchedManifest {
            bytes,
            media_type,
            content_type: content_type.map(str::to_string),
            digest,
            header_check,
            parsed,
        })
    }

    /// The Content-Type to PUT these bytes with: the manifest's own type.
    pub fn put_content_type(&self) -> &str {
        self.media_type.as_str()
    }

    /// The manifest, unless it is schema 1: such an image cannot be written anywhere else (its
    /// signature names its source), so every write refuses it here, once.
    pub fn writable(self) -> Result<Self, Error> {
        if self.media_type.is_schema1() {
            return Err(Error::Refused(crate::refusal::Refusal::Schema1));
        }
        Ok(self)
    }

    /// The body as text (manifests are UTF-8 JSON).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The body re-indented for reading. Display only: never send this.
    pub fn pretty(&self) -> String {
        let text = self.text();
        crate::pretty::pretty_json(&text).unwrap_or(text)
    }
}

/// Manifests without a `mediaType` field (allowed by OCI): tell by shape.
fn infer_media_type(json: &Value) -> MediaType {
    let present = |key: &str| json.get(key).is_some_and(|v| !v.is_null());
    if schema_version(json) == Some(1) {
        MediaType::DockerSchema1(crate::media::DOCKER_MANIFEST_V1_SIGNED.into())
    } else if present("manifests") {
        MediaType::OciIndex
    } else if present("layers") {
        MediaType::OciManifest
    } else {
        MediaType::Other("application/json".into())
    }
}

fn schema_version(json: &Value) -> Option<u64> {
    json.get("schemaVersion").and_then(Value::as_u64)
}

/// A list of descriptors; `None` when absent, or when any entry is not a descriptor (then the
/// manifest is not what its type says, and is shown raw).
fn descriptors(json: &Value, key: &str) -> Option<Vec<Descriptor>> {
    match json.get(key) {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(list) => list.as_array()?.iter().map(Descriptor::from_json).collect(),
    }
}

impl Platform {
    fn from_json(json: &Value) -> Platform {
        Platform {
            architecture: text_or_empty(json, "architecture"),
            os: text_or_empty(json, "os"),
            variant: text(json, "variant"),
            os_version: text(json, "os.version"),
        }
    }
}

impl Descriptor {
    /// A descriptor: an object with a digest, at least.
    fn from_json(json: &Value) -> Option<Descriptor> {
        Some(Descriptor {
            media_type: text_or_empty(json, "mediaType"),
            digest: text(json, "digest")?,
            size: json.get("size").and_then(Value::as_u64).unwrap_or(0),
            platform: json.get("platform").filter(|p| p.is_object()).map(Platform::from_json),
            annotations: string_map(json, "annotations").unwrap_or_default(),
            artifact_type: text(json, "artifactType"),
        })
    }
}

fn parse_for_display(media_type: &MediaType, json: &Value) -> ParsedManifest {
    if media_type.is_schema1() || schema_version(json) == Some(1) {
        return ParsedManifest::Schema1(Schema1 {
            name: text_or_empty(json, "name"),
            tag: text_or_empty(json, "tag"),
            architecture: text_or_empty(json, "architecture"),
        });
    }
    let annotations = || string_map(json, "annotations").unwrap_or_default();
    if media_type.is_index() {
        return match descriptors(json, "manifests") {
            Some(manifests) => ParsedManifest::Index(ImageIndex { manifests, annotations: annotations() }),
            None => ParsedManifest::Unknown,
        };
    }
    if media_type.is_image() {
        let config = json.get("config").and_then(Descriptor::from_json);
        let subject = match json.get("subject") {
            None | Some(Value::Null) => Some(None),
            Some(s) => Descriptor::from_json(s).map(Some),
        };
        return match (config, descriptors(json, "layers"), subject) {
            (Some(config), Some(layers), Some(subject)) => ParsedManifest::Image(Box::new(ImageManifest {
                config,
                layers,
                subject,
                annotations: annotations(),
                artifact_type: text(json, "artifactType"),
            })),
            _ => ParsedManifest::Unknown,
        };
    }
    ParsedManifest::Unknown
}

/// The image config blob, the parts worth showing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageConfig {
    /// Creation time (RFC 3339).
    pub created: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Architecture.
    pub architecture: String,
    /// OS.
    pub os: String,
    /// Variant.
    pub variant: Option<String>,
    /// Runtime configuration.
    pub config: Option<RuntimeConfig>,
    /// Build history.
    pub history: Vec<HistoryEntry>,
}

/// The `config` object of an image config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeConfig {
    /// Entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// Cmd.
    pub cmd: Option<Vec<String>>,
    /// Environment.
    pub env: Option<Vec<String>>,
    /// Labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Working directory.
    pub working_dir: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Exposed ports (`80/tcp`).
    pub exposed_ports: Option<Vec<String>>,
}

/// One history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When.
    pub created: Option<String>,
    /// The build step.
    pub created_by: Option<String>,
    /// Whether it added no layer.
    pub empty_layer: bool,
    /// Comment.
    pub comment: Option<String>,
}

impl ImageConfig {
    /// Parses a config blob.
    pub fn parse(url: &str, bytes: &[u8]) -> Result<Self, Error> {
        let json: Value = serde_json::from_slice(bytes).map_err(|e| Error::Parse {
            url: url.into(),
            detail: format!("the image config is not valid JSON ({e})"),
        })?;
        if !json.is_object() {
            return Err(Error::Parse { url: url.into(), detail: "the image config is JSON but not an object".into() });
        }
        let runtime = json.get("config").filter(|c| c.is_object()).map(|c| RuntimeConfig {
            entrypoint: strings(c, "Entrypoint"),
            cmd: strings(c, "Cmd"),
            env: strings(c, "Env"),
            labels: string_map(c, "Labels"),
            working_dir: text(c, "WorkingDir"),
            user: text(c, "User"),
            exposed_ports: c
                .get("ExposedPorts")
                .and_then(Value::as_object)
                .map(|ports| ports.keys().cloned().collect()),
        });
        let history = json.get("history").and_then(Value::as_array).map_or_else(Vec::new, |entries| {
            entries
                .iter()
                .map(|h| HistoryEntry {
                    created: text(h, "created"),
                    created_by: text(h, "created_by"),
                    empty_layer: h.get("empty_layer").and_then(Value::as_bool).unwrap_or(false),
                    comment: text(h, "comment"),
                })
                .collect()
        });
        Ok(ImageConfig {
            created: text(&json, "created"),
            author: text(&json, "author"),
            architecture: text_or_empty(&json, "architecture"),
            os: text_or_empty(&json, "os"),
            variant: text(&json, "variant"),
            config: runtime,
            history,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped like `docker buildx build --platform linux/amd64,linux/arm64 --attest type=provenance`
    // output pushed to distribution 2.8: two images plus one attestation manifest per image.
    const BUILDX_INDEX: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "size": 673, "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222", "size": 673, "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333", "size": 566, "annotations": {"vnd.docker.reference.digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "vnd.docker.reference.type": "attestation-manifest"}, "platform": {"architecture": "unknown", "os": "unknown"}}
  ]
}"#;

    // Docker v2 manifest as written by `docker push` (Docker 24).
    const DOCKER_V2: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1472, "digest": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
   "layers": [
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3408729, "digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 100, "digest": "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}
   ]
}"#;

    // Schema 1 shape from distribution 2.8 converting a v2 image for an old client (signature cut).
    const SCHEMA1: &str = r#"{
   "schemaVersion": 1,
   "name": "library/alpine",
   "tag": "3.18",
   "architecture": "amd64",
   "fsLayers": [{"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
   "history": [{"v1Compatibility": "{}"}],
   "signatures": [{"header": {"alg": "ES256"}, "signature": "x", "protected": "y"}]
}"#;

    #[test]
    fn index_with_attestation() {
        let m = FetchedManifest::from_bytes(
            "u",
            BUILDX_INDEX.as_bytes().to_vec(),
            Some(crate::media::OCI_INDEX),
            None,
            None,
        )
        .unwrap();
        assert!(m.media_type.is_index());
        let ParsedManifest::Index(index) = &m.parsed else { panic!("{:?}", m.parsed) };
        let flags: Vec<bool> = index.manifests.iter().map(Descriptor::is_attestation).collect();
        assert_eq!(flags, [false, false, true]);
        assert_eq!(index.manifests[1].platform.as_ref().unwrap().label(), "linux/arm64/v8");
        assert_eq!(m.header_check, HeaderCheck::Absent);
    }

    #[test]
    fn docker_v2_keeps_exact_bytes_and_checks_header() {
        let bytes = DOCKER_V2.as_bytes().to_vec();
        let digest = sha256_of(&bytes);
        let m = FetchedManifest::from_bytes(
            "u",
            bytes.clone(),
            Some(crate::media::DOCKER_MANIFEST_V2),
            Some(digest.as_str()),
            Some(&digest),
        )
        .unwrap();
        assert_eq!(m.bytes, bytes, "bytes untouched");
        assert_eq!(m.header_check, HeaderCheck::Matches);
        assert_eq!(m.put_content_type(), crate::media::DOCKER_MANIFEST_V2);
        let ParsedManifest::Image(image) = &m.parsed else { panic!() };
        assert_eq!(image.layers.len(), 2);
        assert_eq!(image.total_layer_size(), 3408829);
        assert_ne!(m.pretty().as_bytes(), bytes.as_slice(), "pretty is a display copy");
    }

    #[test]
    fn mismatches_are_errors() {
        let bytes = DOCKER_V2.as_bytes().to_vec();
        let wrong = sha256_of(b"other");
        let by_digest = FetchedManifest::from_bytes("u", bytes.clone(), None, None, Some(&wrong)).unwrap_err();
        assert!(matches!(by_digest, Error::DigestMismatch { .. }));
        let by_header = FetchedManifest::from_bytes("u", bytes.clone(), None, Some(wrong.as_str()), None).unwrap_err();
        assert!(matches!(by_header, Error::DigestMismatch { .. }));
        let clash = FetchedManifest::from_bytes("u", bytes, Some(crate::media::OCI_MANIFEST), None, None).unwrap_err();
        assert!(clash.headline().contains("says it is"), "{clash}");
        let html =
            FetchedManifest::from_bytes("u", b"<html></html>".to_vec(), Some("text/html"), None, None).unwrap_err();
        assert!(matches!(html, Error::Parse { .. }));
    }

    #[test]
    fn schema1_is_recognised_and_not_hash_checked() {
        let m = FetchedManifest::from_bytes(
            "u",
            SCHEMA1.as_bytes().to_vec(),
            Some(crate::media::DOCKER_MANIFEST_V1_SIGNED),
            Some("sha256:0000000000000000000000000000000000000000000000000000000000000000"),
            None,
        )
        .unwrap();
        assert!(m.media_type.is_schema1());
        assert!(matches!(m.header_check, HeaderCheck::Unverifiable { .. }));
        let ParsedManifest::Schema1(s) = &m.parsed else { panic!() };
        assert_eq!((s.name.as_str(), s.tag.as_str()), ("library/alpine", "3.18"));
    }

    #[test]
    fn media_type_inferred_without_field() {
        let oci = br#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:00","size":1},"layers":[]}"#;
        let m = FetchedManifest::from_bytes("u", oci.to_vec(), Some("application/json"), None, None).unwrap();
        assert_eq!(m.media_type, MediaType::OciManifest);
    }

    #[test]
    fn config_fields() {
        let config = br#"{"created":"2024-01-02T03:04:05Z","architecture":"amd64","os":"linux",
          "config":{"Entrypoint":["/bin/app"],"Cmd":["--serve"],"Env":["PATH=/bin"],"Labels":{"org.opencontainers.image.source":"https://x"}},
          "history":[{"created_by":"ADD file:abc in /","empty_layer":false},{"created_by":"CMD [\"--serve\"]","empty_layer":true}]}"#;
        let c = ImageConfig::parse("u", config).unwrap();
        let rc = c.config.unwrap();
        assert_eq!(rc.entrypoint.unwrap(), ["/bin/app"]);
        assert_eq!(rc.labels.unwrap()["org.opencontainers.image.source"], "https://x");
        assert_eq!(c.history.len(), 2);
        assert!(c.history[1].empty_layer);
    }
}
