//! Pushes demo images into a registry through its HTTP API: blob upload (POST + PUT with
//! `digest=`), children of an index by digest, then manifests by tag.

use std::time::Duration;

use crate::oci::{self, Blob, Format, Image, ImageSpec};
use wharf_protocol::tags::natural_cmp;

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
        self.upload(repo, blob);
    }

    /// Mounts blob `digest` from repository `from` into `repo` (POST with `mount=` and `from=`);
    /// panics unless the registry answers 201 (mounted).
    pub fn mount(&self, repo: &str, from: &str, digest: &str) {
        let url = format!("{}/v2/{repo}/blobs/uploads/?mount={digest}&from={from}", self.base);
        let answer = self.agent.post(&url).call().unwrap_or_else(|e| panic!("POST {url}: {e}"));
        assert_eq!(answer.status(), 201, "mount {digest} from {from} into {repo}");
    }

    /// Uploads a blob without asking first whether the repository has it (POST, then PUT with
    /// `digest=`): for blobs the caller knows are new, when pushing many.
    pub fn upload(&self, repo: &str, blob: &Blob) {
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
        self.send_manifest(repo, reference, manifest);
    }

    /// [`Pusher::manifest`], checking that the registry's `Docker-Content-Digest` answer is the
    /// sha256 of the bytes sent (it stored them as they are); returns that digest.
    pub fn manifest_put(&self, repo: &str, reference: &str, manifest: &Blob) -> String {
        let response = self.send_manifest(repo, reference, manifest);
        let digest = response.header("Docker-Content-Digest").unwrap_or_default().to_string();
        assert_eq!(digest, manifest.digest, "PUT {repo}:{reference}: the registry's digest is not the bytes' sha256");
        digest
    }

    fn send_manifest(&self, repo: &str, reference: &str, manifest: &Blob) -> ureq::Response {
        self.agent
            .put(&format!("{}/v2/{repo}/manifests/{reference}", self.base))
            .set("Content-Type", &manifest.media_type)
            .send_bytes(&manifest.bytes)
            .unwrap_or_else(|e| panic!("PUT {repo}:{reference}: {e}"))
    }

    /// GETs a manifest (`Accept`: every manifest type): `Some((media type, bytes))`, or `None`
    /// when the registry answers 404. Panics on any other failure.
    pub fn manifest_get(&self, repo: &str, reference: &str) -> Option<(String, Vec<u8>)> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        match self.agent.get(&url).set("Accept", wharf_protocol::media::MANIFEST_ACCEPT).call() {
            Ok(response) => {
                let media_type = response.content_type().to_string();
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes)
                    .unwrap_or_else(|e| panic!("GET {url}: {e}"));
                Some((media_type, bytes))
            }
            Err(ureq::Error::Status(404, _)) => None,
            Err(e) => panic!("GET {url}: {e}"),
        }
    }

    /// Every repository the registry lists: `/v2/_catalog` page by page, following its `Link`
    /// header (distribution 2.8 answers 400 to an `n` above its maximum, 1,000 by default).
    pub fn catalog(&self) -> Vec<String> {
        let mut repositories = Vec::new();
        let mut next = Some("/v2/_catalog?n=1000".to_string());
        while let Some(path) = next.take() {
            let url = format!("{}{path}", self.base);
            let response = self.agent.get(&url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
            // `Link: </v2/_catalog?last=x&n=1000>; rel="next"`
            next =
                response.header("Link").and_then(|link| Some(link.split_once('<')?.1.split_once('>')?.0.to_string()));
            let text = response.into_string().unwrap_or_else(|e| panic!("GET {url}: {e}"));
            let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: {e}"));
            let names = body["repositories"].as_array().unwrap_or_else(|| panic!("GET {url}: no repositories"));
            repositories.extend(names.iter().filter_map(|n| n.as_str().map(str::to_string)));
        }
        repositories
    }

    /// `http://host:port` this pusher talks to.
    pub fn base(&self) -> &str {
        &self.base
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

/// A small app image, created `2026-11-01T10:00:00Z`.
pub fn app_image(format: Format, architecture: &str, variant: Option<&str>, version: &str) -> Image {
    app_image_at(format, architecture, variant, version, "2026-11-01T10:00:00Z")
}

/// [`app_image`] with another creation time (its config's `created` and history).
pub fn app_image_at(format: Format, architecture: &str, variant: Option<&str>, version: &str, created: &str) -> Image {
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
        created,
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
/// rebuilds without changes do), so shared digests show on every page. Each image has its own
/// `created` time, and those times are not in the order of the tag names.
pub fn seed_many_tags(base: &str, repo: &str, count: usize, distinct: usize) {
    let p = Pusher::new(base);
    let images: Vec<Image> = (0..distinct)
        .map(|i| {
            let created = created_at(scatter(i, distinct, 1));
            app_image_at(Format::Oci, "amd64", None, &format!("build-{i}"), &created)
        })
        .collect();
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

// ---------------------------------------------------------------------------------------------
// "A registry at a glance" (issue 9): repositories whose tags differ in created time, size, kind
// and platforms, with what each tag should show computed from what was pushed.
// ---------------------------------------------------------------------------------------------

/// The first creation time the seeders hand out: 2025-01-06T08:00:00Z (Unix seconds).
pub const DATES_FROM: i64 = 1_736_121_600 + 8 * 3600;
/// The step between two creation times: a day, 3 h 17 min 11 s (so times of day differ too).
pub const DATE_STEP: i64 = 86_400 + 3 * 3600 + 17 * 60 + 11;

/// Unix seconds as RFC 3339 UTC, `2025-01-06T08:00:00Z` (whole seconds, `Z`).
pub fn rfc3339_utc(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days since 1970-01-01 → civil date, in 400-year eras of 146,097 days starting 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest / 60 % 60, rest % 60)
}

/// The `rank`-th creation time the seeders hand out (rank 0 is the oldest).
pub fn created_at(rank: usize) -> String {
    rfc3339_utc(DATES_FROM + rank as i64 * DATE_STEP)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A permutation of `0..n` that is far from the identity and from its reverse: `i` → `(i ×
/// step + offset) mod n`, with `step` near 5/8 of `n` and coprime to it. `salt` picks another
/// permutation, so two properties (time and size) are not in step with each other.
pub fn scatter(i: usize, n: usize, salt: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    // A multiplier other than ±1 that is coprime to n (none exists for n = 2, 3, 4, 6: those
    // are rotated instead).
    let step = (0..n).map(|k| (n * 5 / 8 + salt + k) % n).find(|&s| s > 1 && s < n - 1 && gcd(s, n) == 1);
    match step {
        Some(step) => (i * step + salt * 7 + 3) % n,
        None => (i + 1 + salt % (n - 1)) % n,
    }
}

/// Runs `work` over `items` on `threads` threads (each item once).
pub fn in_parallel<T: Sync>(items: &[T], threads: usize, work: impl Fn(&T) + Sync) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                work(item);
            });
        }
    });
}

/// What the tag list should call a tag (`data-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlanceKind {
    /// A single-platform image.
    Image,
    /// A multi-platform index.
    Index,
    /// A Helm chart.
    Helm,
    /// Another OCI artifact (named by its `artifactType`, or its config media type).
    Artifact,
}

impl GlanceKind {
    /// The value of `data-kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            GlanceKind::Image => "image",
            GlanceKind::Index => "index",
            GlanceKind::Helm => "helm",
            GlanceKind::Artifact => "artifact",
        }
    }
}

/// One platform image: of an index, or the image itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlancePlatform {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// The platform image's manifest digest.
    pub digest: String,
    /// Its config's `created`.
    pub created: String,
    /// Its config plus its layers (compressed sizes, as the manifest's descriptors give them).
    pub size: u64,
}

/// What a tag of [`seed_glance`] holds, computed from what was pushed.
#[derive(Debug, Clone)]
pub struct GlanceTag {
    /// The tag.
    pub tag: String,
    /// The digest of its manifest (the registry's `Docker-Content-Digest`).
    pub digest: String,
    /// The manifest's media type.
    pub media_type: String,
    /// Its kind.
    pub kind: GlanceKind,
    /// The config's `created`; for an index the newest of its platform images'; `None` for
    /// artifacts, whose config has none.
    pub created: Option<String>,
    /// Image size: config + layers; for an index, the total of the distinct blobs of its platform
    /// images (attestations left out); for an artifact, its config + layers too.
    pub size: u64,
    /// For an index, the same total with the attestation manifests' blobs counted too.
    pub size_with_attestations: u64,
    /// The platform images, in the index's order (attestation entries left out); one for an
    /// image; none for an artifact.
    pub platforms: Vec<GlancePlatform>,
    /// The text an artifact is named by: its `artifactType` (the config media type when it has
    /// none). `None` for images, indexes and Helm charts.
    pub artifact_type: Option<String>,
}

impl GlanceTag {
    /// The value of `data-platforms`: `os/arch[/variant]`, comma-separated, in the index's order.
    pub fn platforms_attr(&self) -> String {
        self.platforms.iter().map(|p| p.platform.as_str()).collect::<Vec<_>>().join(",")
    }

    /// The value of `data-created` (empty when there is none).
    pub fn created_attr(&self) -> &str {
        self.created.as_deref().unwrap_or("")
    }
}

/// What [`seed_glance`] pushed.
#[derive(Debug, Clone)]
pub struct GlanceSeed {
    /// The repository.
    pub repo: String,
    /// Every tag, in natural (version) order of the names.
    pub tags: Vec<GlanceTag>,
    /// The tag with the newest `created`: on the last page of the natural name order (100 a
    /// page), neither first nor last in it.
    pub newest: String,
    /// The tag with the oldest `created`.
    pub oldest: String,
    /// The multi-platform index (linux/amd64, linux/arm64/v8, two attestations).
    pub index: String,
    /// The Helm chart.
    pub helm: String,
    /// The OCI artifact with an `artifactType`.
    pub artifact: String,
    /// Two tags on one image: (the second name, the version tag it shares a digest with).
    pub shared: (String, String),
}

impl GlanceSeed {
    /// The tag named `name`.
    pub fn tag(&self, name: &str) -> &GlanceTag {
        self.tags.iter().find(|t| t.tag == name).unwrap_or_else(|| panic!("{name} is not a tag of {}", self.repo))
    }

    /// Tags newest first; equal times (a shared image) by natural name order; tags without a
    /// `created` last, by name.
    pub fn newest_first(&self) -> Vec<&GlanceTag> {
        let mut tags: Vec<&GlanceTag> = self.tags.iter().collect();
        tags.sort_by(|a, b| match (&a.created, &b.created) {
            (Some(x), Some(y)) => y.cmp(x).then_with(|| natural_cmp(&a.tag, &b.tag)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => natural_cmp(&a.tag, &b.tag),
        });
        tags
    }

    /// Tags largest first (equal sizes by natural name order).
    pub fn largest_first(&self) -> Vec<&GlanceTag> {
        let mut tags: Vec<&GlanceTag> = self.tags.iter().collect();
        tags.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| natural_cmp(&a.tag, &b.tag)));
        tags
    }

    /// How many distinct manifest digests the tags point at.
    pub fn distinct_digests(&self) -> usize {
        self.tags.iter().map(|t| t.digest.as_str()).collect::<std::collections::BTreeSet<_>>().len()
    }
}

/// The version tags of [`seed_glance`]: `v1.0.0` … `v1.14.5`.
const GLANCE_VERSIONS: usize = 146;
/// Which of them is the newest image: `v1.13.7`.
const GLANCE_NEWEST: usize = 137;
/// Which of them shares its image with the tag `stable`: `v1.12.4`.
const GLANCE_SHARED: usize = 124;

fn glance_version_tag(j: usize) -> String {
    format!("v1.{}.{}", j / 10, j % 10)
}

/// Size of an image as the glance shows it: config + layers, from the descriptors' sizes.
fn image_size(image: &Image) -> u64 {
    (image.config.bytes.len() + image.layers.iter().map(|l| l.bytes.len()).sum::<usize>()) as u64
}

/// The total of the distinct blobs (configs and layers) of `images`.
fn distinct_blob_total(images: &[&Image]) -> u64 {
    let mut seen = std::collections::BTreeMap::new();
    for image in images {
        for blob in std::iter::once(&image.config).chain(&image.layers) {
            seen.insert(blob.digest.clone(), blob.bytes.len() as u64);
        }
    }
    seen.values().sum()
}

fn os_release() -> Vec<u8> {
    b"NAME=\"Wharf demo base\"\nVERSION_ID=\"2025.1\"\n".to_vec()
}

/// Pushes a repository for the tag list's glance (issue 9), 150 tags:
///
/// - `v1.0.0` … `v1.14.5`: 146 distinct images, each with its own `created` (RFC 3339 UTC, 2025
///   and 2026) and its own size; the times are not in the order of the names, and the newest
///   (`v1.13.7`) is on the last page of the natural name order at 100 a page, while neither the
///   name order nor its reverse starts with it. Most are OCI linux/amd64; every fifth is a Docker
///   v2 image, and every ninth is linux/arm64/v8. All share one base layer (as images built `FROM`
///   one base do);
/// - `stable`: the same image as `v1.12.4`;
/// - `multi-arch`: an OCI index of linux/amd64 and linux/arm64/v8 (own configs and created times,
///   one shared base layer, one layer each of their own) plus a buildx attestation manifest for
///   each;
/// - `chart-0.3.0`: a Helm chart (config [`oci::HELM_CONFIG`], one chart layer);
/// - `report-2025.06`: an OCI artifact with `artifactType` `application/vnd.example.report.v1+json`
///   and the empty config (`{}`).
///
/// About 1,000 requests (blobs are pushed on 4 threads).
pub fn seed_glance(base: &str, repo: &str) -> GlanceSeed {
    let p = Pusher::new(base);
    // Creation times: one rank per version image, two for the index's platform images.
    let dated = GLANCE_VERSIONS + 2;
    let mut ranks: Vec<usize> = (0..dated).map(|e| scatter(e, dated, 0)).collect();
    let top = ranks.iter().position(|&r| r == dated - 1).expect("a newest rank");
    ranks.swap(top, GLANCE_NEWEST);
    let sizes: Vec<usize> = (0..GLANCE_VERSIONS).map(|j| scatter(j, GLANCE_VERSIONS, 3)).collect();

    let versions: Vec<Image> = (0..GLANCE_VERSIONS)
        .map(|j| {
            let format = if j % 5 == 3 { Format::Docker } else { Format::Oci };
            let (architecture, variant) = if j % 9 == 4 { ("arm64", Some("v8")) } else { ("amd64", None) };
            let version = glance_version_tag(j);
            let created = created_at(ranks[j]);
            oci::image(&ImageSpec {
                format,
                architecture,
                variant,
                labels: vec![
                    ("org.opencontainers.image.title".into(), "glance".into()),
                    ("org.opencontainers.image.version".into(), version.clone()),
                ],
                env: vec![format!("APP_VERSION={version}")],
                entrypoint: vec!["/app/glance"],
                cmd: vec![],
                layer_files: vec![
                    ("etc/os-release", os_release()),
                    ("app/payload.bin", incompressible(600 + 64 * sizes[j], j as u64 + 1)),
                ],
                created: &created,
            })
        })
        .collect();

    let platform_image = |architecture: &str, variant: Option<&str>, rank: usize, payload: usize| {
        oci::image(&ImageSpec {
            format: Format::Oci,
            architecture,
            variant,
            labels: vec![("org.opencontainers.image.version".into(), "2.0.0".into())],
            env: vec![],
            entrypoint: vec!["/app/glance"],
            cmd: vec![],
            layer_files: vec![
                ("etc/os-release", os_release()),
                ("app/glance", incompressible(payload, 1000 + payload as u64)),
            ],
            created: &created_at(rank),
        })
    };
    let amd64 = platform_image("amd64", None, ranks[GLANCE_VERSIONS], 7_000);
    let arm64 = platform_image("arm64", Some("v8"), ranks[GLANCE_VERSIONS + 1], 6_100);
    let att_amd64 = oci::attestation_for(&amd64.manifest);
    let att_arm64 = oci::attestation_for(&arm64.manifest);
    let index = oci::index(
        &[(&amd64, "amd64", None), (&arm64, "arm64", Some("v8"))],
        &[(&att_amd64, &amd64), (&att_arm64, &arm64)],
    );

    let chart = oci::helm_chart("glance", "0.3.0", "2.0.0");
    let report_type = "application/vnd.example.report.v1+json";
    let report_layer = oci::json_blob(
        &serde_json::json!({ "report": "vulnerability scan", "findings": [], "scanner": "wharf-seeder" }),
        report_type,
    );
    let report = oci::artifact(
        oci::empty_config(),
        vec![report_layer],
        Some(report_type),
        &[("org.opencontainers.image.description", "a scan report, pushed as an OCI artifact")],
    );

    // Blobs first (each distinct one once, on a few threads), then manifests.
    let mut blobs: Vec<&Blob> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let everything: Vec<&Image> =
        versions.iter().chain([&amd64, &arm64, &att_amd64, &att_arm64, &chart, &report]).collect();
    for image in &everything {
        for blob in std::iter::once(&image.config).chain(&image.layers) {
            if seen.insert(blob.digest.clone()) {
                blobs.push(blob);
            }
        }
    }
    in_parallel(&blobs, 4, |blob| p.upload(repo, blob));
    for child in [&amd64, &arm64, &att_amd64, &att_arm64] {
        p.manifest(repo, &child.manifest.digest, &child.manifest);
    }
    let shared_tag = "stable".to_string();
    let mut puts: Vec<(String, &Blob)> =
        versions.iter().enumerate().map(|(j, image)| (glance_version_tag(j), &image.manifest)).collect();
    puts.push((shared_tag.clone(), &versions[GLANCE_SHARED].manifest));
    puts.push(("multi-arch".into(), &index));
    puts.push(("chart-0.3.0".into(), &chart.manifest));
    puts.push(("report-2025.06".into(), &report.manifest));
    in_parallel(&puts, 4, |(tag, manifest)| p.manifest(repo, tag, manifest));

    // What each tag should show.
    let platform_of = |image: &Image| -> GlancePlatform {
        let config: serde_json::Value = serde_json::from_slice(&image.config.bytes).expect("config json");
        let mut platform =
            format!("{}/{}", config["os"].as_str().unwrap_or(""), config["architecture"].as_str().unwrap_or(""));
        if let Some(variant) = config["variant"].as_str() {
            platform = format!("{platform}/{variant}");
        }
        GlancePlatform {
            platform,
            digest: image.manifest.digest.clone(),
            created: config["created"].as_str().expect("created").to_string(),
            size: image_size(image),
        }
    };
    let image_tag = |tag: &str, image: &Image| {
        let platform = platform_of(image);
        GlanceTag {
            tag: tag.to_string(),
            digest: image.manifest.digest.clone(),
            media_type: image.manifest.media_type.clone(),
            kind: GlanceKind::Image,
            created: Some(platform.created.clone()),
            size: platform.size,
            size_with_attestations: platform.size,
            platforms: vec![platform],
            artifact_type: None,
        }
    };
    let mut tags: Vec<GlanceTag> =
        versions.iter().enumerate().map(|(j, image)| image_tag(&glance_version_tag(j), image)).collect();
    tags.push(image_tag(&shared_tag, &versions[GLANCE_SHARED]));
    let platforms = vec![platform_of(&amd64), platform_of(&arm64)];
    tags.push(GlanceTag {
        tag: "multi-arch".into(),
        digest: index.digest.clone(),
        media_type: index.media_type.clone(),
        kind: GlanceKind::Index,
        created: platforms.iter().map(|p| p.created.clone()).max(),
        size: distinct_blob_total(&[&amd64, &arm64]),
        size_with_attestations: distinct_blob_total(&[&amd64, &arm64, &att_amd64, &att_arm64]),
        platforms,
        artifact_type: None,
    });
    for (tag, image, kind, artifact_type) in [
        ("chart-0.3.0", &chart, GlanceKind::Helm, None),
        ("report-2025.06", &report, GlanceKind::Artifact, Some(report_type.to_string())),
    ] {
        tags.push(GlanceTag {
            tag: tag.into(),
            digest: image.manifest.digest.clone(),
            media_type: image.manifest.media_type.clone(),
            kind,
            created: None,
            size: image_size(image),
            size_with_attestations: image_size(image),
            platforms: vec![],
            artifact_type,
        });
    }
    tags.sort_by(|a, b| natural_cmp(&a.tag, &b.tag));

    let sizes: std::collections::BTreeSet<u64> = tags.iter().filter(|t| t.tag != shared_tag).map(|t| t.size).collect();
    assert_eq!(sizes.len(), tags.len() - 1, "seed_glance: two images came out the same size");
    let seed = GlanceSeed {
        repo: repo.to_string(),
        newest: glance_version_tag(GLANCE_NEWEST),
        oldest: String::new(),
        index: "multi-arch".into(),
        helm: "chart-0.3.0".into(),
        artifact: "report-2025.06".into(),
        shared: (shared_tag, glance_version_tag(GLANCE_SHARED)),
        tags,
    };
    let by_time = seed.newest_first();
    assert_eq!(by_time[0].tag, seed.newest, "seed_glance: the newest image is not the one planned");
    let oldest = by_time.iter().rev().find(|t| t.created.is_some()).expect("dated tags").tag.clone();
    GlanceSeed { oldest, ..seed }
}

/// One tag of [`seed_glance_bulk`].
#[derive(Debug, Clone)]
pub struct BulkTag {
    /// The tag.
    pub tag: String,
    /// Its manifest's digest.
    pub digest: String,
    /// Its config's `created`.
    pub created: String,
    /// Config + layers.
    pub size: u64,
}

/// What [`seed_glance_bulk`] pushed.
#[derive(Debug, Clone)]
pub struct GlanceBulk {
    /// Every tag, in the order of the names ([`many_tag_names`]).
    pub tags: Vec<BulkTag>,
    /// How many distinct images (manifests, and configs: one each) the tags point at.
    pub images: usize,
    /// How many distinct blobs there are (each image's config, and one shared layer).
    pub blobs: usize,
}

/// A large repository for the glance's benchmark: `tags` tags named like [`many_tag_names`],
/// over `images` distinct small images (neighbouring tags share one, as in [`seed_many_tags`]).
/// Each image has its own `created` time (not in the order of the names) and its own size (its
/// config carries a padding label); all share one tiny layer. Pushed on 4 threads: one blob
/// upload per image, then one manifest PUT per tag.
pub fn seed_glance_bulk(base: &str, repo: &str, tags: usize, images: usize) -> GlanceBulk {
    assert!(images >= 1 && images <= tags, "seed_glance_bulk: 1 ≤ images ≤ tags");
    let p = Pusher::new(base);
    let built: Vec<Image> = (0..images)
        .map(|i| {
            let created = created_at(scatter(i, images, 1));
            oci::image(&ImageSpec {
                format: Format::Oci,
                architecture: "amd64",
                variant: None,
                labels: vec![
                    ("org.opencontainers.image.version".into(), format!("build-{i:05}")),
                    ("org.example.padding".into(), "x".repeat(scatter(i, images, 5))),
                ],
                env: vec![],
                entrypoint: vec!["/app/bench"],
                cmd: vec![],
                layer_files: vec![("etc/os-release", os_release())],
                created: &created,
            })
        })
        .collect();
    p.blob(repo, &built[0].layers[0]);
    in_parallel(&built, 4, |image| p.upload(repo, &image.config));
    let names = many_tag_names(tags);
    let plan: Vec<(&String, &Image)> =
        names.iter().enumerate().map(|(i, tag)| (tag, &built[i * images / tags])).collect();
    in_parallel(&plan, 4, |(tag, image)| p.manifest(repo, tag, &image.manifest));
    let tags = plan
        .iter()
        .map(|(tag, image)| {
            let config: serde_json::Value = serde_json::from_slice(&image.config.bytes).expect("config json");
            BulkTag {
                tag: tag.to_string(),
                digest: image.manifest.digest.clone(),
                created: config["created"].as_str().expect("created").to_string(),
                size: image_size(image),
            }
        })
        .collect();
    GlanceBulk { tags, images, blobs: images + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(DATES_FROM), "2025-01-06T08:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339_utc(1_735_689_599), "2024-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(created_at(1), "2025-01-07T11:17:11Z");
    }

    #[test]
    fn scatter_is_a_permutation_out_of_order() {
        for n in [2usize, 3, 4, 5, 6, 7, 10, 146, 148, 300, 500, 2000] {
            for salt in [0, 1, 3, 5] {
                let image: std::collections::BTreeSet<usize> = (0..n).map(|i| scatter(i, n, salt)).collect();
                assert_eq!(image.len(), n, "n={n} salt={salt}");
                if n > 3 {
                    let forward = (1..n).all(|i| scatter(i, n, salt) > scatter(i - 1, n, salt));
                    let backward = (1..n).all(|i| scatter(i, n, salt) < scatter(i - 1, n, salt));
                    assert!(!forward && !backward, "n={n} salt={salt}");
                }
            }
        }
    }
}
