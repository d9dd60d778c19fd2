//! Pushes demo images into a registry through its HTTP API: blob upload (POST + PUT with
//! `digest=`), children of an index by digest, then manifests by tag.

use std::time::Duration;

use crate::oci::{self, Blob, Format, Image, ImageSpec};

/// A small HTTP client for pushing.
pub struct Pusher {
    base: String,
    agent: ureq::Agent,
}

/// Digests of what [`seed_demo`] pushed, for tests to compare with.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// `demo/hello:1.0` and `:latest` (Docker v2, single arch).
    pub hello: String,
    /// `demo/hello:0.9`.
    pub hello_old: String,
    /// `demo/oci-app:v1` (OCI image).
    pub oci_app: String,
    /// `demo/multi:latest` (OCI index, 2 platforms + 2 attestations).
    pub multi: String,
    /// The index's children, amd64 then arm64.
    pub multi_children: Vec<String>,
    /// `team/app/api:v1.9` etc.
    pub nested: String,
}

impl Pusher {
    /// A pusher for `http://127.0.0.1:port`.
    pub fn new(base: &str) -> Pusher {
        Pusher {
            base: base.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build(),
        }
    }

    /// Uploads a blob unless the repository has it already.
    pub fn blob(&self, repo: &str, blob: &Blob) {
        let head = self.agent.head(&format!("{}/v2/{repo}/blobs/{}", self.base, blob.digest)).call();
        if head.is_ok() {
            return;
        }
        let started = self.agent.post(&format!("{}/v2/{repo}/blobs/uploads/", self.base)).call().expect("start upload");
        let location = started.header("Location").expect("upload Location").to_string();
        let location = if location.starts_with('/') { format!("{}{location}", self.base) } else { location };
        let separator = if location.contains('?') { '&' } else { '?' };
        self.agent
            .put(&format!("{location}{separator}digest={}", blob.digest))
            .set("Content-Type", "application/octet-stream")
            .send_bytes(&blob.bytes)
            .expect("finish upload");
    }

    /// PUTs manifest bytes under a tag or digest.
    pub fn manifest(&self, repo: &str, reference: &str, manifest: &Blob) {
        self.agent
            .put(&format!("{}/v2/{repo}/manifests/{reference}", self.base))
            .set("Content-Type", &manifest.media_type)
            .send_bytes(&manifest.bytes)
            .unwrap_or_else(|e| panic!("PUT {repo}:{reference}: {e}"));
    }

    /// Pushes an image's blobs and its manifest by digest (for use under an index or tags).
    pub fn image(&self, repo: &str, image: &Image) {
        self.blob(repo, &image.config);
        for layer in &image.layers {
            self.blob(repo, layer);
        }
        self.manifest(repo, &image.manifest.digest, &image.manifest);
    }

    /// Pushes an image and tags it.
    pub fn tagged(&self, repo: &str, image: &Image, tags: &[&str]) {
        self.image(repo, image);
        for tag in tags {
            self.manifest(repo, tag, &image.manifest);
        }
    }
}

/// A small app image.
pub fn app_image(format: Format, architecture: &str, variant: Option<&str>, version: &str) -> Image {
    oci::image(&ImageSpec {
        format,
        architecture,
        variant,
        labels: vec![
            ("org.opencontainers.image.title".into(), "hello".into()),
            ("org.opencontainers.image.version".into(), version.into()),
            ("org.opencontainers.image.source".into(), "https://example.com/wharf/demo".into()),
        ],
        env: vec!["PATH=/usr/local/bin:/usr/bin:/bin".into(), format!("APP_VERSION={version}")],
        entrypoint: vec!["/app/hello"],
        cmd: vec!["--listen", ":8080"],
        layer_files: vec![
            ("etc/os-release", b"NAME=\"Wharf demo base\"\n".to_vec()),
            ("app/hello", format!("#!/bin/sh\necho hello {version} on {architecture}\n").into_bytes()),
        ],
        created: "2026-11-01T10:00:00Z",
    })
}

/// Bytes that do not compress (xorshift from `seed`), so a layer holding them is about as large.
pub fn incompressible(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// An app image with one more layer of `payload` incompressible bytes (different per `version`).
pub fn image_with_payload(version: &str, payload: usize) -> Image {
    let seed = version.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    oci::image(&ImageSpec {
        format: Format::Oci,
        architecture: "amd64",
        variant: None,
        labels: vec![("org.opencontainers.image.version".into(), version.into())],
        env: vec![format!("APP_VERSION={version}")],
        entrypoint: vec!["/app/hello"],
        cmd: vec![],
        layer_files: vec![
            ("etc/os-release", b"NAME=\"Wharf demo base\"\n".to_vec()),
            ("app/data.bin", incompressible(payload, seed)),
        ],
        created: "2026-11-01T10:00:00Z",
    })
}

/// A 2-platform OCI index whose images have one config and one layer each (4 blobs, no
/// attestations), pushed to `repo:tag`; returns its digest.
pub fn seed_two_platform_index(base: &str, repo: &str, tag: &str) -> String {
    let p = Pusher::new(base);
    let images: Vec<Image> = ["amd64", "arm64"]
        .iter()
        .map(|arch| {
            oci::image(&ImageSpec {
                format: Format::Oci,
                architecture: arch,
                variant: None,
                labels: vec![],
                env: vec![],
                entrypoint: vec!["/app/hello"],
                cmd: vec![],
                layer_files: vec![("app/hello", format!("hello on {arch}\n").into_bytes())],
                created: "2026-11-01T10:00:00Z",
            })
        })
        .collect();
    for image in &images {
        p.image(repo, image);
    }
    let index = oci::index(&[(&images[0], "amd64", None), (&images[1], "arm64", None)], &[]);
    p.manifest(repo, tag, &index);
    index.digest
}

/// Pushes `count` distinct images with `payload`-byte layers to `repo`, tagged `t00`, `t01`, …;
/// returns (tag, digest) pairs.
pub fn seed_payload_images(base: &str, repo: &str, count: usize, payload: usize) -> Vec<(String, String)> {
    let p = Pusher::new(base);
    (0..count)
        .map(|i| {
            let tag = format!("t{i:02}");
            let image = image_with_payload(&tag, payload);
            p.tagged(repo, &image, &[&tag]);
            (tag, image.manifest.digest)
        })
        .collect()
}

/// The demo content every test and the demo command start from.
pub fn seed_demo(base: &str) -> Seeded {
    let p = Pusher::new(base);
    let hello = app_image(Format::Docker, "amd64", None, "1.0");
    let hello_old = app_image(Format::Docker, "amd64", None, "0.9");
    p.tagged("demo/hello", &hello, &["1.0", "latest"]);
    p.tagged("demo/hello", &hello_old, &["0.9"]);

    let oci_app = app_image(Format::Oci, "amd64", None, "2.0");
    p.tagged("demo/oci-app", &oci_app, &["v1"]);

    let amd64 = app_image(Format::Oci, "amd64", None, "3.1");
    let arm64 = app_image(Format::Oci, "arm64", Some("v8"), "3.1");
    let att_amd64 = oci::attestation_for(&amd64.manifest);
    let att_arm64 = oci::attestation_for(&arm64.manifest);
    for image in [&amd64, &arm64, &att_amd64, &att_arm64] {
        p.image("demo/multi", image);
    }
    let multi = oci::index(
        &[(&amd64, "amd64", None), (&arm64, "arm64", Some("v8"))],
        &[(&att_amd64, &amd64), (&att_arm64, &arm64)],
    );
    p.manifest("demo/multi", "latest", &multi);

    let nested = app_image(Format::Docker, "amd64", None, "1.9");
    p.tagged("team/app/api", &nested, &["v1.9", "v1.10", "v1.2"]);

    Seeded {
        hello: hello.manifest.digest,
        hello_old: hello_old.manifest.digest,
        oci_app: oci_app.manifest.digest,
        multi: multi.digest,
        multi_children: vec![amd64.manifest.digest, arm64.manifest.digest],
        nested: nested.manifest.digest,
    }
}

/// The tag names of the large repository: `v0.0.0` … in version order, `count` of them.
pub fn many_tag_names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("v{}.{}.{}", i / 100, (i / 10) % 10, i % 10)).collect()
}

/// A repository with `count` tags over `distinct` images; neighbouring tags share an image (as
/// rebuilds without changes do), so shared digests show on every page.
pub fn seed_many_tags(base: &str, repo: &str, count: usize, distinct: usize) {
    let p = Pusher::new(base);
    let images: Vec<Image> =
        (0..distinct).map(|i| app_image(Format::Oci, "amd64", None, &format!("build-{i}"))).collect();
    for image in &images {
        p.image(repo, image);
    }
    for (i, tag) in many_tag_names(count).iter().enumerate() {
        p.manifest(repo, tag, &images[i * distinct / count].manifest);
    }
}

/// Labels, history and entrypoint carrying markup, script URLs, very long and bidirectional text:
/// everything a registry hands back must render as inert text.
pub const HOSTILE_LABELS: [(&str, &str); 6] = [
    ("evil.script", "<script>window.__pwned = 1</script>"),
    ("evil.link", "javascript:window.__pwned = 2"),
    ("evil.html", "<img src=x onerror=\"window.__pwned = 3\"><b>bold</b>"),
    ("evil.unicode", "\u{1f6a2} ünïcødé \u{202e}txet desrever\u{202c} 中文"),
    ("good.link", "https://example.com/wharf/demo"),
    ("evil.data", "data:text/html,<script>window.__pwned = 4</script>"),
];

/// Pushes `demo/hostile:latest`; returns its digest.
pub fn seed_hostile(base: &str) -> String {
    let long = "x".repeat(5000);
    let mut labels: Vec<(String, String)> =
        HOSTILE_LABELS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    labels.push(("evil.long".into(), long));
    let image = oci::image(&ImageSpec {
        format: Format::Oci,
        architecture: "amd64",
        variant: None,
        labels,
        env: vec!["HTML=<script>window.__pwned = 5</script>".into()],
        entrypoint: vec!["<script>window.__pwned = 6</script>"],
        cmd: vec!["javascript:alert(1)"],
        layer_files: vec![("<b>not-bold</b>", b"x".to_vec())],
        created: "2026-11-01T10:00:00Z",
    });
    let pusher = Pusher::new(base);
    pusher.tagged("demo/hostile", &image, &["latest"]);
    // An index whose entries carry hostile annotations, including a non-ASCII "digest" where an
    // attestation names its image (a naive byte slice of it would panic the page).
    let mut attestation = image.manifest.descriptor();
    attestation["platform"] = serde_json::json!({ "architecture": "unknown", "os": "unknown" });
    attestation["annotations"] = serde_json::json!({
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": "sha256:ééééééééééééééé<script>window.__pwned = 7</script>",
    });
    let mut entry = image.manifest.descriptor();
    entry["platform"] = serde_json::json!({ "architecture": "amd64", "os": "linux", "variant": "<img src=x onerror=window.__pwned=8>" });
    let index = oci::json_blob(
        &serde_json::json!({
            "schemaVersion": 2,
            "mediaType": wharf_protocol::media::OCI_INDEX,
            "manifests": [entry, attestation],
            "annotations": { "org.opencontainers.image.description": "<script>window.__pwned = 9</script>" },
        }),
        wharf_protocol::media::OCI_INDEX,
    );
    pusher.manifest("demo/hostile", "index", &index);
    image.manifest.digest
}
