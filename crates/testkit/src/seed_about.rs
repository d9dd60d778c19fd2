//! Images and artifacts that say what they are (issue 23): descriptions in each of the three
//! places a client reads them (the manifest's annotations, an index's annotations, the config's
//! labels), markup in one of them, the other standard annotations, a Helm chart pushed the way
//! `helm push` stores it (with dependencies), and a generic OCI artifact with a text, a JSON and a
//! binary layer, named by their title annotations as `oras push` writes them.

use serde_json::{json, Value};

use crate::oci::{self, json_blob, Blob, Format, Image, ImageSpec, EMPTY_JSON, HELM_CHART_LAYER, HELM_CONFIG};
use crate::seed::Pusher;

/// The description annotation and label key.
pub const DESCRIPTION: &str = "org.opencontainers.image.description";
/// The annotated image's description: markup that must stay text, and a second line.
pub const ANNOTATED_DESCRIPTION: &str =
    "<b>Bold</b> web server <img src=x onerror=\"window.__pwned = 23\"> for the demo\nIt serves static files; this second line is shown on demand.";
/// The index's description.
pub const INDEX_DESCRIPTION: &str = "Multi-platform demo, described by its index";
/// The labelled image's description.
pub const LABEL_DESCRIPTION: &str = "Described by its config label only";
/// The chart's name, version, appVersion and description.
pub const CHART: (&str, &str, &str, &str) = ("wharf-demo", "0.3.1", "1.16.0", "A Helm chart for the Wharf demo");
/// The generic artifact's type.
pub const NOTES_TYPE: &str = "application/vnd.example.notes.v1";
/// Its text layer.
pub const NOTES_README: &str = "# Release notes\n\nEverything in this artifact is <em>text</em>.\n";

/// Where each was pushed, and its digest.
pub struct AboutSeed {
    /// `about/annotated:1.0`: the description in the manifest's annotations, with markup.
    pub annotated: String,
    /// `about/multi:1.0`: an index whose annotations carry the description.
    pub index: String,
    /// `about/labelled:1.0`: the description in the config's labels only.
    pub labelled: String,
    /// `charts/wharf-demo:0.3.1`: a Helm chart.
    pub chart: String,
    /// `artifacts/notes:v1`: a generic artifact.
    pub notes: String,
}

/// `image` with `annotations` in its manifest (the manifest rebuilt; config and layers as they
/// are).
fn annotated(image: Image, annotations: &[(&str, &str)]) -> Image {
    let mut manifest: Value = serde_json::from_slice(&image.manifest.bytes).expect("manifest JSON");
    manifest["annotations"] =
        json!(annotations.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>());
    let media_type = image.manifest.media_type.clone();
    Image { manifest: json_blob(&manifest, &media_type), ..image }
}

fn app(name: &str, architecture: &str, labels: &[(&str, &str)]) -> Image {
    oci::image(&ImageSpec {
        format: Format::Oci,
        architecture,
        variant: None,
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        env: vec![],
        entrypoint: vec!["/app/serve"],
        cmd: vec![],
        layer_files: vec![("app/serve", format!("#!/bin/sh\necho {name} {architecture}\n").into_bytes())],
        created: "2026-11-20T09:00:00Z",
    })
}

/// A chart as `helm push` stores it: `Chart.yaml` as the JSON config, the archive as the one
/// layer, and the title, version and description annotations Helm writes on the manifest.
fn chart() -> Image {
    let (name, version, app_version, description) = CHART;
    let config = Blob::new(
        serde_json::to_vec(&json!({
            "name": name, "version": version, "apiVersion": "v2", "appVersion": app_version,
            "description": description, "type": "application", "keywords": ["demo", "wharf"],
            "home": "https://example.com/wharf-demo",
            "dependencies": [
                { "name": "redis", "version": "17.x.x", "repository": "oci://registry-1.docker.io/bitnamicharts" },
                { "name": "common", "version": "2.2.1", "repository": "https://charts.example.com" },
            ],
        }))
        .expect("json"),
        HELM_CONFIG,
    );
    let chart_yaml = format!("apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"{app_version}\"\n");
    let archive = oci::layer(&[(&format!("{name}/Chart.yaml"), chart_yaml.as_bytes())], HELM_CHART_LAYER);
    oci::artifact(
        config,
        vec![archive],
        None,
        &[
            (DESCRIPTION, description),
            ("org.opencontainers.image.title", name),
            ("org.opencontainers.image.version", version),
        ],
    )
}

/// A generic artifact with a Markdown, a JSON and a binary layer, each named by its title.
fn notes() -> Image {
    let titled = |bytes: &[u8], media_type: &str, title: &str| {
        let blob = Blob::new(bytes.to_vec(), media_type);
        (blob, title.to_string())
    };
    let layers = [
        titled(NOTES_README.as_bytes(), "text/markdown", "README.md"),
        titled(br#"{"release":"v1","items":3}"#, "application/json", "summary.json"),
        titled(&[0, 97, 115, 109, 1, 0, 0, 0], "application/wasm", "module.wasm"),
    ];
    let image = oci::artifact(
        Blob::new(b"{}".to_vec(), EMPTY_JSON),
        layers.iter().map(|(b, _)| b.clone()).collect(),
        Some(NOTES_TYPE),
        &[],
    );
    // The title annotations go on the layer descriptors, as oras writes them.
    let mut manifest: Value = serde_json::from_slice(&image.manifest.bytes).expect("manifest JSON");
    for (descriptor, (_, title)) in manifest["layers"].as_array_mut().expect("layers").iter_mut().zip(&layers) {
        descriptor["annotations"] = json!({ "org.opencontainers.image.title": title });
    }
    let media_type = image.manifest.media_type.clone();
    Image { manifest: json_blob(&manifest, &media_type), ..image }
}

/// Pushes everything into the registry at `base`.
pub fn seed_about(base: &str) -> AboutSeed {
    let p = Pusher::new(base);
    let annotated_image = annotated(
        app("annotated", "amd64", &[(DESCRIPTION, "the label, which the annotation overrides")]),
        &[
            (DESCRIPTION, ANNOTATED_DESCRIPTION),
            ("org.opencontainers.image.source", "https://example.com/wharf/demo"),
            ("org.opencontainers.image.revision", "4f2a9c1"),
            ("org.opencontainers.image.version", "1.0"),
            ("org.opencontainers.image.licenses", "Apache-2.0"),
            ("org.opencontainers.image.documentation", "javascript:window.__pwned = 24"),
        ],
    );
    p.tagged("about/annotated", &annotated_image, &["1.0"]);

    let (amd64, arm64) = (app("multi", "amd64", &[]), app("multi", "arm64", &[]));
    p.image("about/multi", &amd64);
    p.image("about/multi", &arm64);
    let mut index: Value =
        serde_json::from_slice(&oci::index(&[(&amd64, "amd64", None), (&arm64, "arm64", None)], &[]).bytes)
            .expect("index");
    index["annotations"] = json!({ DESCRIPTION: INDEX_DESCRIPTION });
    let index = json_blob(&index, wharf_protocol::media::OCI_INDEX);
    p.manifest("about/multi", "1.0", &index);

    let labelled = app("labelled", "amd64", &[(DESCRIPTION, LABEL_DESCRIPTION)]);
    p.tagged("about/labelled", &labelled, &["1.0"]);

    let chart = chart();
    p.tagged("charts/wharf-demo", &chart, &[CHART.1]);
    let notes = notes();
    p.tagged("artifacts/notes", &notes, &["v1"]);

    AboutSeed {
        annotated: annotated_image.manifest.digest,
        index: index.digest,
        labelled: labelled.manifest.digest,
        chart: chart.manifest.digest,
        notes: notes.manifest.digest,
    }
}
