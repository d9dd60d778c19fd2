//! Building image content by hand (there is no Docker engine here): gzipped tar layers, config
//! JSON, manifests and indexes, each serialized once and then handled as exact bytes.

use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use serde_json::{json, Value};
use std::io::Write;
use wharf_protocol::digest::sha256_of;

/// A blob: bytes, digest, media type.
#[derive(Debug, Clone)]
pub struct Blob {
    /// Exact bytes.
    pub bytes: Vec<u8>,
    /// sha256 digest.
    pub digest: String,
    /// Media type, as a descriptor will name it.
    pub media_type: String,
}

impl Blob {
    /// A blob of these bytes.
    pub fn new(bytes: Vec<u8>, media_type: &str) -> Blob {
        Blob { digest: sha256_of(&bytes).to_string(), bytes, media_type: media_type.to_string() }
    }

    /// Its descriptor.
    pub fn descriptor(&self) -> Value {
        json!({ "mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len() })
    }
}

/// A tar holding the given files (deterministic: fixed mtimes and modes).
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar_bytes = Vec::new();
    let mut builder = tar::Builder::new(&mut tar_bytes);
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o755);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append_data(&mut header, path, *content).expect("tar entry");
    }
    builder.finish().expect("tar");
    drop(builder);
    tar_bytes
}

/// A gzipped tar holding the given files (no gzip timestamp, so the digest is stable).
pub fn layer(files: &[(&str, &[u8])], media_type: &str) -> Blob {
    let mut gz: GzEncoder<Vec<u8>> = GzBuilder::new().mtime(0).write(Vec::new(), Compression::default());
    gz.write_all(&tar_of(files)).expect("gzip");
    Blob::new(gz.finish().expect("gzip"), media_type)
}

/// A JSON value as a blob (serialized once; its bytes are what is pushed).
pub fn json_blob(value: &Value, media_type: &str) -> Blob {
    Blob::new(serde_json::to_vec_pretty(value).expect("json"), media_type)
}

/// Image flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Docker schema 2.
    Docker,
    /// OCI.
    Oci,
}

impl Format {
    /// Manifest media type.
    pub fn manifest_type(self) -> &'static str {
        match self {
            Format::Docker => wharf_protocol::media::DOCKER_MANIFEST_V2,
            Format::Oci => wharf_protocol::media::OCI_MANIFEST,
        }
    }
    /// Config media type.
    pub fn config_type(self) -> &'static str {
        match self {
            Format::Docker => wharf_protocol::media::DOCKER_CONFIG,
            Format::Oci => wharf_protocol::media::OCI_CONFIG,
        }
    }
    /// Layer media type.
    pub fn layer_type(self) -> &'static str {
        match self {
            Format::Docker => "application/vnd.docker.image.rootfs.diff.tar.gzip",
            Format::Oci => "application/vnd.oci.image.layer.v1.tar+gzip",
        }
    }
}

/// An image: config, layers and the manifest bytes.
#[derive(Debug, Clone)]
pub struct Image {
    /// Config blob.
    pub config: Blob,
    /// Layers.
    pub layers: Vec<Blob>,
    /// The manifest (media type = the format's).
    pub manifest: Blob,
}

/// What goes into an image config.
pub struct ImageSpec<'a> {
    /// Docker or OCI.
    pub format: Format,
    /// `amd64`, `arm64`, …
    pub architecture: &'a str,
    /// `v8` for arm64.
    pub variant: Option<&'a str>,
    /// Labels (key, value).
    pub labels: Vec<(String, String)>,
    /// Environment.
    pub env: Vec<String>,
    /// Entrypoint.
    pub entrypoint: Vec<&'a str>,
    /// Cmd.
    pub cmd: Vec<&'a str>,
    /// Layer files: (path, content), one layer each.
    pub layer_files: Vec<(&'a str, Vec<u8>)>,
    /// Creation time.
    pub created: &'a str,
}

/// Builds an image from a spec.
pub fn image(spec: &ImageSpec) -> Image {
    let layers: Vec<Blob> = spec
        .layer_files
        .iter()
        .map(|(path, content)| layer(&[(path, content.as_slice())], spec.format.layer_type()))
        .collect();
    let diff_ids: Vec<String> = spec
        .layer_files
        .iter()
        // diff_id = digest of the uncompressed tar.
        .map(|(path, content)| sha256_of(&tar_of(&[(path, content.as_slice())])).to_string())
        .collect();
    let labels: serde_json::Map<String, Value> =
        spec.labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let mut history: Vec<Value> = spec
        .layer_files
        .iter()
        .map(|(path, _)| json!({ "created": spec.created, "created_by": format!("COPY {path} /{path} # buildkit"), "comment": "buildkit.dockerfile.v0" }))
        .collect();
    history.push(json!({ "created": spec.created, "created_by": format!("ENTRYPOINT {:?}", spec.entrypoint), "empty_layer": true }));
    let mut config = json!({
        "created": spec.created,
        "architecture": spec.architecture,
        "os": "linux",
        "config": { "Env": spec.env, "Entrypoint": spec.entrypoint, "Cmd": spec.cmd, "Labels": labels, "WorkingDir": "/" },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": history,
    });
    if let Some(variant) = spec.variant {
        config["variant"] = json!(variant);
    }
    let config = json_blob(&config, spec.format.config_type());
    let manifest = json_blob(
        &json!({
            "schemaVersion": 2,
            "mediaType": spec.format.manifest_type(),
            "config": config.descriptor(),
            "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        }),
        spec.format.manifest_type(),
    );
    Image { config, layers, manifest }
}

/// A buildx-style attestation manifest for `subject` (an in-toto provenance statement as layer).
pub fn attestation_for(subject: &Blob) -> Image {
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{ "name": "demo", "digest": { "sha256": subject.digest.trim_start_matches("sha256:") } }],
        "predicate": { "builder": { "id": "wharf-seeder" } }
    });
    let layer = json_blob(&statement, "application/vnd.in-toto+json");
    let config = json_blob(
        &json!({ "architecture": "unknown", "os": "unknown", "config": {}, "rootfs": { "type": "layers", "diff_ids": [layer.digest.clone()] } }),
        wharf_protocol::media::OCI_CONFIG,
    );
    let mut layer_descriptor = layer.descriptor();
    layer_descriptor["annotations"] = json!({ "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2" });
    let manifest = json_blob(
        &json!({ "schemaVersion": 2, "mediaType": wharf_protocol::media::OCI_MANIFEST, "config": config.descriptor(), "layers": [layer_descriptor] }),
        wharf_protocol::media::OCI_MANIFEST,
    );
    Image { config, layers: vec![layer], manifest }
}

/// An OCI index over images with their platforms, plus attestation entries.
pub fn index(entries: &[(&Image, &str, Option<&str>)], attestations: &[(&Image, &Image)]) -> Blob {
    let mut manifests: Vec<Value> = entries
        .iter()
        .map(|(image, arch, variant)| {
            let mut d = image.manifest.descriptor();
            let mut platform = json!({ "architecture": arch, "os": "linux" });
            if let Some(v) = variant {
                platform["variant"] = json!(v);
            }
            d["platform"] = platform;
            d
        })
        .collect();
    for (attestation, subject) in attestations {
        let mut d = attestation.manifest.descriptor();
        d["platform"] = json!({ "architecture": "unknown", "os": "unknown" });
        d["annotations"] = json!({ "vnd.docker.reference.digest": subject.manifest.digest, "vnd.docker.reference.type": "attestation-manifest" });
        manifests.push(d);
    }
    json_blob(
        &json!({ "schemaVersion": 2, "mediaType": wharf_protocol::media::OCI_INDEX, "manifests": manifests }),
        wharf_protocol::media::OCI_INDEX,
    )
}

/// The OCI empty descriptor's media type (a config that carries nothing).
pub const EMPTY_JSON: &str = "application/vnd.oci.empty.v1+json";
/// Helm's chart config (`Chart.yaml` as JSON).
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
/// Helm's chart archive layer.
pub const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// The `{}` blob the OCI empty descriptor names.
pub fn empty_config() -> Blob {
    Blob::new(b"{}".to_vec(), EMPTY_JSON)
}

/// An OCI manifest that is not a runnable image: a config blob, layers, an optional
/// `artifactType` and annotations. The config's descriptor carries `data` (base64 of the bytes)
/// when it is the empty `{}` blob, as oras writes it.
pub fn artifact(config: Blob, layers: Vec<Blob>, artifact_type: Option<&str>, annotations: &[(&str, &str)]) -> Image {
    artifact_with_subject(config, layers, artifact_type, None, annotations)
}

/// [`artifact`] with an OCI 1.1 `subject` (the descriptor of the manifest it refers to), as a
/// referrer (an SBOM, a signature) is written.
pub fn referrer(
    config: Blob,
    layers: Vec<Blob>,
    artifact_type: &str,
    subject: &Value,
    annotations: &[(&str, &str)],
) -> Image {
    artifact_with_subject(config, layers, Some(artifact_type), Some(subject), annotations)
}

fn artifact_with_subject(
    config: Blob,
    layers: Vec<Blob>,
    artifact_type: Option<&str>,
    subject: Option<&Value>,
    annotations: &[(&str, &str)],
) -> Image {
    let mut config_descriptor = config.descriptor();
    if config.media_type == EMPTY_JSON {
        config_descriptor["data"] = json!("e30=");
    }
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": wharf_protocol::media::OCI_MANIFEST,
    });
    if let Some(artifact_type) = artifact_type {
        manifest["artifactType"] = json!(artifact_type);
    }
    manifest["config"] = config_descriptor;
    manifest["layers"] = json!(layers.iter().map(Blob::descriptor).collect::<Vec<_>>());
    if let Some(subject) = subject {
        manifest["subject"] = subject.clone();
    }
    if !annotations.is_empty() {
        let map: serde_json::Map<String, Value> =
            annotations.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
        manifest["annotations"] = Value::Object(map);
    }
    let manifest = json_blob(&manifest, wharf_protocol::media::OCI_MANIFEST);
    Image { config, layers, manifest }
}

/// A Helm chart as `helm push` stores it: the chart's metadata as a JSON config
/// ([`HELM_CONFIG`]) and the chart archive as the one layer ([`HELM_CHART_LAYER`]).
pub fn helm_chart(name: &str, version: &str, app_version: &str) -> Image {
    let config = Blob::new(
        serde_json::to_vec(&json!({
            "name": name,
            "version": version,
            "apiVersion": "v2",
            "appVersion": app_version,
            "description": "A Helm chart for the Wharf demo",
            "type": "application",
        }))
        .expect("json"),
        HELM_CONFIG,
    );
    let chart_yaml = format!(
        "apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"{app_version}\"\ndescription: A Helm chart for the Wharf demo\ntype: application\n"
    );
    let values = b"replicaCount: 1\nimage:\n  repository: demo/glance\n  tag: stable\n".to_vec();
    let archive = layer(
        &[(&format!("{name}/Chart.yaml"), chart_yaml.as_bytes()), (&format!("{name}/values.yaml"), &values)],
        HELM_CHART_LAYER,
    );
    artifact(config, vec![archive], None, &[])
}
