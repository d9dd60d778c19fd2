//! A CI repository for clean-up tests: 42 builds a day apart sharing a base layer, tags that share
//! digests with protected tags, an index whose platforms are dated apart (one of them also tagged
//! on its own), and the sets a rule must select, worked out here independently of the app's code
//! from the dates the seeder itself wrote.

use std::collections::{BTreeMap, BTreeSet};

use crate::oci::{self, Blob, Format, Image, ImageSpec};
use crate::seed::{rfc3339_utc, Pusher};

/// What [`seed_cleanup`] pushed.
pub struct CleanupSeed {
    /// Every tag → its image's digest.
    pub tags: BTreeMap<String, String>,
    /// Every image (by manifest digest): its date (seconds) and its blobs (digest → size).
    pub images: BTreeMap<String, (i64, BTreeMap<String, u64>)>,
}

/// A build image: the shared base layer and a layer of its own, created `created` (seconds).
fn build(n: usize, created: i64, architecture: &str) -> Image {
    oci::image(&ImageSpec {
        format: Format::Oci,
        architecture,
        variant: None,
        labels: vec![("org.opencontainers.image.version".into(), format!("build {n}"))],
        env: vec![],
        entrypoint: vec!["/app/run"],
        cmd: vec![],
        layer_files: vec![
            ("etc/base-release", b"NAME=\"shared CI base\"\nVERSION=1\n".repeat(40)),
            ("app/run", format!("#!/bin/sh\necho build {n} on {architecture}\n").into_bytes()),
        ],
        created: &rfc3339_utc(created),
    })
}

fn blobs_of(image: &Image) -> BTreeMap<String, u64> {
    std::iter::once(&image.config)
        .chain(&image.layers)
        .map(|b: &Blob| (b.digest.clone(), b.bytes.len() as u64))
        .collect()
}

/// Pushes the CI repository `repo`, dated against `now` (seconds):
/// - `build-001` … `build-042`: one image each, build n created 2·n days ago;
/// - `latest` on build 1, `v1.0` on build 35 and `stable` on build 30 (same digests);
/// - `multi`: an index of two platforms created 3 and 100 days ago (so dated 3 days ago), and
///   `multi-amd64` on its 100-day-old platform.
pub fn seed_cleanup(base: &str, repo: &str, now: i64) -> CleanupSeed {
    const DAY: i64 = 86_400;
    let pusher = Pusher::new(base);
    let mut seed = CleanupSeed { tags: BTreeMap::new(), images: BTreeMap::new() };
    let mut builds = Vec::new();
    for n in 1..=42 {
        let created = now - 2 * n as i64 * DAY;
        let image = build(n, created, "amd64");
        pusher.tagged(repo, &image, &[&format!("build-{n:03}")]);
        seed.tags.insert(format!("build-{n:03}"), image.manifest.digest.clone());
        seed.images.insert(image.manifest.digest.clone(), (created, blobs_of(&image)));
        builds.push(image);
    }
    for (tag, n) in [("latest", 1), ("v1.0", 35), ("stable", 30)] {
        let image = &builds[n - 1];
        pusher.manifest(repo, tag, &image.manifest);
        seed.tags.insert(tag.into(), image.manifest.digest.clone());
    }
    let (amd, arm) = (build(100, now - 100 * DAY, "amd64"), build(101, now - 3 * DAY, "arm64"));
    pusher.image(repo, &amd);
    pusher.image(repo, &arm);
    let index = oci::index(&[(&amd, "amd64", None), (&arm, "arm64", None)], &[]);
    pusher.manifest(repo, "multi", &index);
    pusher.manifest(repo, "multi-amd64", &amd.manifest);
    let mut index_blobs = blobs_of(&amd);
    index_blobs.extend(blobs_of(&arm));
    seed.tags.insert("multi".into(), index.digest.clone());
    seed.images.insert(index.digest, (now - 3 * DAY, index_blobs));
    seed.tags.insert("multi-amd64".into(), amd.manifest.digest.clone());
    seed.images.insert(amd.manifest.digest.clone(), (now - 100 * DAY, blobs_of(&amd)));
    seed
}

impl CleanupSeed {
    /// The tags "keep the newest `keep` images, delete only what is older than `days` days,
    /// protect these exact tags" deletes (the test's patterns are exact names or `prefix*`).
    pub fn expected_deletes(&self, keep: usize, days: i64, protect: &[&str], now: i64) -> BTreeSet<String> {
        let matches = |pattern: &str, tag: &str| match pattern.strip_suffix('*') {
            Some(prefix) => tag.starts_with(prefix),
            None => pattern == tag,
        };
        let mut dates: Vec<i64> = self.images.values().map(|(created, _)| *created).collect();
        dates.sort_unstable_by(|a, b| b.cmp(a));
        // The newest `keep` images: those with fewer than `keep` images strictly newer.
        let newest = |created: i64| dates.iter().filter(|&&d| d > created).count() < keep;
        let candidate = |tag: &str| {
            let (created, _) = self.images[&self.tags[tag]];
            !newest(created) && created < now - days * 86_400
        };
        let kept_digests: BTreeSet<&String> = self
            .tags
            .iter()
            .filter(|(tag, _)| !candidate(tag) || protect.iter().any(|p| matches(p, tag)))
            .map(|(_, digest)| digest)
            .collect();
        self.tags.iter().filter(|(_, digest)| !kept_digests.contains(digest)).map(|(tag, _)| tag.clone()).collect()
    }

    /// The distinct blobs of every tag, in bytes.
    pub fn storage(&self) -> u64 {
        let all: BTreeMap<&String, u64> =
            self.tags.values().flat_map(|digest| self.images[digest].1.iter()).map(|(d, s)| (d, *s)).collect();
        all.values().sum()
    }

    /// Pushes the image of `tag` to `other` as its only tag (`shared`), and returns the bytes of
    /// this repository's storage that `other` does not hold.
    pub fn share_one_with(&self, base: &str, repo: &str, tag: &str, other: &str) -> u64 {
        let pusher = Pusher::new(base);
        let digest = &self.tags[tag];
        let (media_type, bytes) = pusher.manifest_get(repo, digest).expect("the image to share");
        for blob in self.images[digest].1.keys() {
            pusher.mount(other, repo, blob);
        }
        pusher.manifest_put(other, "shared", &Blob::new(bytes, &media_type));
        let theirs = &self.images[digest].1;
        let all: BTreeMap<&String, u64> =
            self.tags.values().flat_map(|digest| self.images[digest].1.iter()).map(|(d, s)| (d, *s)).collect();
        all.iter().filter(|(d, _)| !theirs.contains_key(d.as_str())).map(|(_, s)| s).sum()
    }

    /// The bytes deleting `deleted` frees: blobs they reach that no other tag reaches.
    pub fn freed(&self, deleted: &BTreeSet<String>) -> u64 {
        let kept: BTreeSet<&String> = self
            .tags
            .iter()
            .filter(|(tag, _)| !deleted.contains(*tag))
            .flat_map(|(_, digest)| self.images[digest].1.keys())
            .collect();
        let freed: BTreeMap<&String, u64> = deleted
            .iter()
            .flat_map(|tag| self.images[&self.tags[tag]].1.iter())
            .filter(|(d, _)| !kept.contains(d))
            .map(|(d, s)| (d, *s))
            .collect();
        freed.values().sum()
    }
}

/// For the benchmark: `count` images in `repo`, one tag each (`c0000`, `c0001`, …), sharing one
/// layer and differing in their config's date: tag `i` was built `i + 1` days before `now`, so
/// "keep the newest N" keeps `c0000` … and deletes the rest. Pushed natively, 4 at a time (a
/// config upload and a manifest PUT each). Returns the tags, newest first.
pub fn seed_cleanup_bench(base: &str, repo: &str, count: usize, now: i64) -> Vec<String> {
    let pusher = Pusher::new(base);
    let shared = build(0, now, "amd64").layers;
    for layer in &shared {
        pusher.blob(repo, layer);
    }
    let tags: Vec<String> = (0..count).map(|i| format!("c{i:04}")).collect();
    let indices: Vec<usize> = (0..count).collect();
    crate::seed::in_parallel(&indices, 4, |&i| {
        let image = build(0, now - (i as i64 + 1) * 86_400, "amd64");
        assert_eq!(
            image.layers.iter().map(|l| &l.digest).collect::<Vec<_>>(),
            shared.iter().map(|l| &l.digest).collect::<Vec<_>>()
        );
        pusher.upload(repo, &image.config);
        pusher.manifest(repo, &tags[i], &image.manifest);
    });
    tags
}
