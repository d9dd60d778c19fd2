//! A repository at a glance: kind, created, image size and platforms of every tag.
//!
//! The registry has no bulk API, so the cost model is fixed: per tag one HEAD (its digest), per
//! distinct manifest one GET, per distinct image config one blob GET. Everything read by digest
//! never changes, so [`Facts`] keeps it per digest, and a tag's [`Summary`] is worked out from
//! them whenever it is shown: thousands of tags over a few hundred images cost a few hundred
//! GETs. Sorting and filtering run over every tag, not a page of them ([`arrange`]).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::about::{self, Description};
use crate::json::{text, Value};
use crate::kind::{Kind, REFERRERS_INDEX, SIGNED};
use crate::manifest::{FetchedManifest, ParsedManifest};
use crate::tags::natural_cmp;
use crate::time::parse_rfc3339;

/// What one manifest says, kept by its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFacts {
    /// Its kind.
    pub kind: Kind,
    /// The image config to read `created` and the platform from (images only).
    pub config: Option<String>,
    /// Digest and size of the config and every layer: what a pull downloads.
    pub blobs: Vec<(String, u64)>,
    /// An index's platform images (attestation entries left out): digest and `os/arch[/variant]`.
    pub platforms: Vec<(String, String)>,
    /// For a fallback referrers index: the kind of each entry it lists, by its `artifactType`.
    pub lists: Vec<Kind>,
    /// Its own `org.opencontainers.image.description` annotation.
    pub description: Option<String>,
}

impl ManifestFacts {
    /// The facts of a fetched manifest.
    pub fn read(manifest: &FetchedManifest) -> ManifestFacts {
        let kind = Kind::of(&manifest.parsed);
        match &manifest.parsed {
            ParsedManifest::Image(image) => ManifestFacts {
                config: (kind == Kind::Image).then(|| image.config.digest.clone()),
                blobs: std::iter::once(&image.config)
                    .chain(&image.layers)
                    .map(|d| (d.digest.clone(), d.size))
                    .collect(),
                platforms: Vec::new(),
                lists: Vec::new(),
                description: about::described_in(Some(&image.annotations)).map(str::to_owned),
                kind,
            },
            ParsedManifest::Index(index) => ManifestFacts {
                lists: match kind.artifact_type() {
                    Some(REFERRERS_INDEX) => index
                        .manifests
                        .iter()
                        .map(|d| {
                            let declared = d.artifact_type.as_deref().unwrap_or_default();
                            Kind::of_type(declared).unwrap_or_else(|| Kind::Artifact(declared.to_string()))
                        })
                        .collect(),
                    _ => Vec::new(),
                },
                kind,
                config: None,
                blobs: Vec::new(),
                description: about::described_in(Some(&index.annotations)).map(str::to_owned),
                platforms: index
                    .manifests
                    .iter()
                    .filter(|d| !d.is_attestation())
                    .map(|d| (d.digest.clone(), d.platform.as_ref().map(|p| p.label()).unwrap_or_default()))
                    .collect(),
            },
            _ => ManifestFacts {
                kind,
                config: None,
                blobs: Vec::new(),
                platforms: Vec::new(),
                lists: Vec::new(),
                description: None,
            },
        }
    }
}

/// What an image config says that a glance shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFacts {
    /// `created`, as written.
    pub created: Option<String>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// Its `org.opencontainers.image.description` label.
    pub description: Option<String>,
}

impl ConfigFacts {
    /// Reads a config blob; `None` when it is not a JSON object.
    pub fn read(bytes: &[u8]) -> Option<ConfigFacts> {
        let json = crate::json::parse(bytes).ok().filter(Value::is_object)?;
        let platform = match (text(&json, "os"), text(&json, "architecture")) {
            (Some(os), Some(arch)) => Some(match text(&json, "variant").filter(|v| !v.is_empty()) {
                Some(variant) => format!("{os}/{arch}/{variant}"),
                None => format!("{os}/{arch}"),
            }),
            _ => None,
        };
        let description = json
            .get("config")
            .and_then(|c| c.get("Labels"))
            .and_then(|labels| labels.get(about::DESCRIPTION))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Some(ConfigFacts { created: text(&json, "created"), platform, description })
    }
}

/// A fetch the glance still needs to summarise a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Need {
    /// GET this manifest by digest.
    Manifest(String),
    /// GET this config blob.
    Config(String),
}

impl Need {
    /// The digest to fetch.
    pub fn digest(&self) -> &str {
        match self {
            Need::Manifest(d) | Need::Config(d) => d,
        }
    }
}

/// One platform of an index, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformRow {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// The platform image's digest.
    pub digest: String,
    /// Its image size (config + layers), once its manifest is known.
    pub size: Option<u64>,
    /// Its config's `created`, once known.
    pub created: Option<String>,
}

/// What is known of one manifest digest, worked out from [`Facts`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Its kind, once its manifest is known.
    pub kind: Option<Kind>,
    /// `created` as written: an image's config's, or an index's newest platform's.
    pub created: Option<String>,
    /// `created` in seconds since the epoch, when it reads as a date.
    pub created_at: Option<i64>,
    /// Compressed bytes a pull downloads: config + layers; for an index, its platforms' distinct
    /// blobs, each counted once.
    pub size: Option<u64>,
    /// The platforms (one for an image, once its config is known).
    pub platforms: Vec<PlatformRow>,
    /// Whether everything a glance shows is known.
    pub complete: bool,
    /// What the image says it is ([`about::description`]): for an index, its own annotation,
    /// else its first platform's.
    pub description: Option<Description>,
}

/// Everything read by digest so far. Content addressed, so never stale.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    manifests: HashMap<String, ManifestFacts>,
    configs: HashMap<String, ConfigFacts>,
}

impl Facts {
    /// Keeps a manifest's facts.
    pub fn add_manifest(&mut self, digest: String, facts: ManifestFacts) {
        self.manifests.insert(digest, facts);
    }

    /// Keeps a config's facts.
    pub fn add_config(&mut self, digest: String, facts: ConfigFacts) {
        self.configs.insert(digest, facts);
    }

    /// Takes in everything `other` knows.
    pub fn merge(&mut self, other: Facts) {
        self.manifests.extend(other.manifests);
        self.configs.extend(other.configs);
    }

    /// The facts of a manifest, if read.
    pub fn manifest(&self, digest: &str) -> Option<&ManifestFacts> {
        self.manifests.get(digest)
    }

    /// What is still to be fetched to summarise `digest` completely, in the order to fetch it.
    pub fn needs(&self, digest: &str) -> Vec<Need> {
        let Some(manifest) = self.manifests.get(digest) else {
            return vec![Need::Manifest(digest.to_string())];
        };
        let mut needs: Vec<Need> = manifest
            .config
            .iter()
            .filter(|c| !self.configs.contains_key(*c))
            .map(|c| Need::Config(c.clone()))
            .collect();
        for (child, _) in &manifest.platforms {
            match self.manifests.get(child) {
                None => needs.push(Need::Manifest(child.clone())),
                Some(image) => needs.extend(
                    image.config.iter().filter(|c| !self.configs.contains_key(*c)).map(|c| Need::Config(c.clone())),
                ),
            }
        }
        needs
    }

    /// What is known of `digest`.
    pub fn summary(&self, digest: &str) -> Summary {
        let Some(manifest) = self.manifests.get(digest) else {
            return Summary::default();
        };
        let config = |image: &ManifestFacts| image.config.as_ref().and_then(|c| self.configs.get(c));
        let image_size = |image: &ManifestFacts| image.blobs.iter().map(|(_, size)| size).sum::<u64>();
        let mut summary = Summary { kind: Some(manifest.kind.clone()), ..Summary::default() };
        if manifest.kind != Kind::Index {
            let known = config(manifest);
            summary.created = known.and_then(|c| c.created.clone());
            summary.size = Some(image_size(manifest));
            summary.platforms = known
                .and_then(|c| c.platform.clone())
                .map(|platform| PlatformRow {
                    platform,
                    digest: digest.to_string(),
                    size: summary.size,
                    created: summary.created.clone(),
                })
                .into_iter()
                .collect();
            summary.complete = manifest.config.is_none() || known.is_some();
        } else {
            let mut distinct = HashSet::new();
            let mut total = 0;
            summary.complete = true;
            for (child, platform) in &manifest.platforms {
                let image = self.manifests.get(child);
                let known = image.and_then(config);
                summary.complete &= image.is_some_and(|i| i.config.is_none() || known.is_some());
                for (blob, size) in image.map_or(&[][..], |i| &i.blobs) {
                    if distinct.insert(blob) {
                        total += size;
                    }
                }
                let created = known.and_then(|c| c.created.clone());
                // The index's date is its newest platform's.
                if created.as_deref().and_then(parse_rfc3339) > summary.created.as_deref().and_then(parse_rfc3339) {
                    summary.created = created.clone();
                }
                summary.platforms.push(PlatformRow {
                    platform: if platform.is_empty() {
                        known.and_then(|c| c.platform.clone()).unwrap_or_default()
                    } else {
                        platform.clone()
                    },
                    digest: child.clone(),
                    size: image.map(image_size),
                    created,
                });
            }
            // Partial answers stay unshown: the newest of the platforms read so far is not the
            // index's date, and a sum of some of its blobs is not its size.
            summary.size = summary.complete.then_some(total);
            if !summary.complete {
                summary.created = None;
            }
        }
        summary.created_at = summary.created.as_deref().and_then(parse_rfc3339);
        summary.description = self.description_of(manifest);
        summary
    }

    /// What an image says it is: its annotation, else its config's label; for an index, the
    /// index's annotation, else its first platform image's.
    fn description_of(&self, manifest: &ManifestFacts) -> Option<Description> {
        let label = |image: &ManifestFacts| {
            image.config.as_ref().and_then(|c| self.configs.get(c)).and_then(|c| c.description.as_deref())
        };
        if manifest.kind != Kind::Index {
            return about::description(manifest.description.as_deref(), None, label(manifest));
        }
        let first = manifest.platforms.first().and_then(|(child, _)| self.manifests.get(child));
        about::description(None, manifest.description.as_deref(), None)
            .or_else(|| about::description(first.and_then(|f| f.description.as_deref()), None, first.and_then(label)))
    }
}

/// Reads everything a summary of `manifest` needs, in order (an index's platform manifests, then
/// each image's config), from the registry. Fetches that fail are returned with their digest; the
/// summary then shows what was read and says it is not complete.
pub async fn read_all<T: crate::http::Transport>(
    registry: &crate::client::Registry<T>,
    repository: &crate::names::Repository,
    manifest: &FetchedManifest,
) -> (Facts, Vec<(String, crate::Error)>) {
    use crate::names::{Digest, Reference};
    let mut facts = Facts::default();
    let mut failed = Vec::new();
    let top = manifest.digest.to_string();
    facts.add_manifest(top.clone(), ManifestFacts::read(manifest));
    loop {
        let Some(need) = facts.needs(&top).into_iter().find(|n| !failed.iter().any(|(d, _)| d == n.digest())) else {
            return (facts, failed);
        };
        let key = need.digest().to_string();
        let digest = match Digest::parse(&key) {
            Ok(d) => d,
            Err(e) => {
                failed.push((key, crate::Error::InvalidName(e)));
                continue;
            }
        };
        let read = match need {
            Need::Manifest(_) => registry
                .manifest_get(repository, &Reference::Digest(digest))
                .await
                .map(|m| facts.add_manifest(key.clone(), ManifestFacts::read(&m))),
            Need::Config(_) => registry.blob_get(repository, &digest).await.map(|bytes| {
                facts.add_config(key.clone(), ConfigFacts::read(&bytes).unwrap_or_default());
            }),
        };
        if let Err(e) = read {
            failed.push((key, e));
        }
    }
}

/// What is known of the digest a tag points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagDigest {
    /// From an earlier visit, not confirmed yet in this one.
    Cached(String),
    /// Read by a HEAD in this visit.
    Fresh(String),
    /// The registry answered 404: the tag is gone since the list was read.
    Missing,
    /// The HEAD failed, for this reason.
    Failed(String),
}

impl TagDigest {
    /// The digest, fresh or cached.
    pub fn digest(&self) -> Option<&str> {
        match self {
            TagDigest::Cached(d) | TagDigest::Fresh(d) => Some(d),
            _ => None,
        }
    }

    /// Whether this visit's HEAD has answered (with a digest, 404 or a failure).
    pub fn is_settled(&self) -> bool {
        !matches!(self, TagDigest::Cached(_))
    }
}

/// How a tag list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest `created` first; tags not known yet last.
    #[default]
    Newest,
    /// Oldest first; tags not known yet last.
    Oldest,
    /// Largest image first; tags not known yet last.
    Largest,
    /// Natural version order, ascending (`v1.9` before `v1.10`).
    Version,
    /// Natural version order, descending.
    VersionDesc,
    /// Byte order of the names (as the registry lists them).
    Name,
}

/// Every order with its key and label, as a sort control lists them.
pub const ORDERS: [(Order, &str, &str); 6] = [
    (Order::Newest, "newest", "Newest first"),
    (Order::Oldest, "oldest", "Oldest first"),
    (Order::Largest, "largest", "Largest first"),
    (Order::Version, "version", "Version (v1.9 before v1.10)"),
    (Order::VersionDesc, "version-desc", "Version, highest first"),
    (Order::Name, "name", "Name"),
];

impl Order {
    /// The order of a key of [`ORDERS`]; [`Order::Newest`] for anything else.
    pub fn from_key(key: &str) -> Order {
        ORDERS.iter().find(|(_, k, _)| *k == key).map_or(Order::Newest, |(order, _, _)| *order)
    }

    /// Its key in [`ORDERS`].
    pub fn key(self) -> &'static str {
        ORDERS.iter().find(|(order, _, _)| *order == self).map_or("newest", |(_, key, _)| key)
    }

    /// Whether it needs the tags' metadata (dates or sizes).
    pub fn needs_metadata(self) -> bool {
        matches!(self, Order::Newest | Order::Oldest | Order::Largest)
    }
}

/// What a list is narrowed to; empty fields let everything through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Words that must all appear in the tag (ASCII case folded).
    pub text: String,
    /// A [`Kind::key`].
    pub kind: String,
    /// An `os/arch[/variant]` the tag must have.
    pub platform: String,
    /// Show the `sha256-*` tags of signatures and attachments too (hidden by default: they are
    /// not images).
    pub show_attachments: bool,
}

/// What is attached to each image, as the tag list shows it: digest → the kinds of its
/// signatures, attestations and SBOMs, read from cosign's tag names (`.sig`, `.att`, `.sbom`)
/// and from the entries of its fallback referrers index, once that index's manifest is known.
pub fn attached(
    tags: &[String],
    digests: &HashMap<String, TagDigest>,
    facts: &Facts,
) -> HashMap<String, Vec<&'static str>> {
    let mut attached: HashMap<String, Vec<&'static str>> = HashMap::new();
    for tag in tags {
        let Some((subject, suffix)) = crate::referrers::attachment_subject(tag) else { continue };
        let kinds: Vec<&'static str> = match suffix {
            Some("sig") => vec![Kind::Signature.key()],
            Some("att") => vec![Kind::Attestation.key()],
            Some("sbom") => vec![Kind::Sbom.key()],
            Some(_) => Vec::new(),
            None => digests
                .get(tag)
                .and_then(TagDigest::digest)
                .and_then(|d| facts.manifests.get(d))
                .map(|m| m.lists.iter().map(Kind::key).collect())
                .unwrap_or_default(),
        };
        let entry = attached.entry(subject).or_default();
        for kind in kinds {
            if !entry.contains(&kind) {
                entry.push(kind);
            }
        }
    }
    attached.retain(|_, kinds| !kinds.is_empty());
    attached
}

/// Each tag's place in natural version order (`ranks[i]` for `tags[i]`). Worked out once per tag
/// list: [`arrange`] then breaks ties by comparing two numbers rather than two version strings,
/// which for 10,000 tags re-sorted several times a second is most of the page's work.
pub fn natural_ranks(tags: &[String]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..tags.len()).collect();
    order.sort_unstable_by(|&a, &b| natural_cmp(&tags[a], &tags[b]).then(a.cmp(&b)));
    let mut ranks = vec![0; tags.len()];
    for (rank, i) in order.into_iter().enumerate() {
        ranks[i] = rank as u32;
    }
    ranks
}

/// Every tag with what is known of it, filtered and ordered. Tags whose kind or platform is not
/// known yet do not pass a kind or platform filter: nothing is shown as matching that was not
/// seen to match. `ranks` are the tags' [`natural_ranks`].
pub fn arrange(
    tags: &[String],
    ranks: &[u32],
    digests: &HashMap<String, TagDigest>,
    facts: &Facts,
    filter: &Filter,
    order: Order,
) -> Vec<String> {
    let mut summaries: HashMap<&str, Summary> = HashMap::new();
    for digest in tags.iter().filter_map(|t| digests.get(t).and_then(TagDigest::digest)) {
        summaries.entry(digest).or_insert_with(|| facts.summary(digest));
    }
    let summary_of = |tag: &String| digests.get(tag).and_then(TagDigest::digest).and_then(|d| summaries.get(d));
    let words: Vec<String> = filter.text.split_ascii_whitespace().map(str::to_ascii_lowercase).collect();
    let rank = |i: usize| ranks.get(i).copied().unwrap_or(u32::MAX);
    let attached = if filter.kind == SIGNED { attached(tags, digests, facts) } else { HashMap::new() };
    let mut shown: Vec<(usize, Option<i64>)> = tags
        .iter()
        .enumerate()
        .filter(|(_, tag)| {
            if !words.is_empty() {
                let lower = tag.to_ascii_lowercase();
                if !words.iter().all(|w| lower.contains(w.as_str())) {
                    return false;
                }
            }
            if !filter.show_attachments && crate::referrers::attachment_subject(tag).is_some() {
                return false;
            }
            let summary = summary_of(tag);
            let kind_passes = match filter.kind.as_str() {
                "" => true,
                SIGNED => digests
                    .get(*tag)
                    .and_then(TagDigest::digest)
                    .and_then(|d| attached.get(d))
                    .is_some_and(|kinds| kinds.contains(&Kind::Signature.key())),
                key => summary.and_then(|s| s.kind.as_ref()).is_some_and(|k| k.key() == key),
            };
            kind_passes
                && (filter.platform.is_empty()
                    || summary.is_some_and(|s| s.platforms.iter().any(|p| p.platform == filter.platform)))
        })
        .map(|(i, tag)| {
            let summary = summary_of(tag);
            let key = match order {
                Order::Newest | Order::Oldest => summary.and_then(|s| s.created_at),
                Order::Largest => summary.and_then(|s| s.size).map(|s| s as i64),
                _ => None,
            };
            (i, key)
        })
        .collect();
    let by_key = |a: &Option<i64>, b: &Option<i64>, descending: bool| match (a, b) {
        (Some(a), Some(b)) if descending => b.cmp(a),
        (Some(a), Some(b)) => a.cmp(b),
        // Not known yet: after everything known.
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    // Ties (and tags not known yet) in natural version order, so the order is total and the
    // unstable sort stable in effect.
    shown.sort_unstable_by(|&(a, ka), &(b, kb)| match order {
        Order::Newest | Order::Largest => by_key(&ka, &kb, true).then_with(|| rank(a).cmp(&rank(b))),
        Order::Oldest => by_key(&ka, &kb, false).then_with(|| rank(a).cmp(&rank(b))),
        Order::Version => rank(a).cmp(&rank(b)),
        Order::VersionDesc => rank(b).cmp(&rank(a)),
        Order::Name => tags[a].cmp(&tags[b]),
    });
    shown.into_iter().map(|(i, _)| tags[i].clone()).collect()
}

/// Every platform seen among these tags, sorted: the choices of a platform filter.
pub fn platforms_seen(digests: &HashMap<String, TagDigest>, facts: &Facts) -> Vec<String> {
    let distinct: HashSet<&str> = digests.values().filter_map(TagDigest::digest).collect();
    let mut seen: Vec<String> =
        distinct.into_iter().flat_map(|d| facts.summary(d).platforms).map(|p| p.platform).collect();
    seen.sort_unstable();
    seen.dedup();
    seen
}

/// The tag → digest map of a repository as a cache keeps it.
pub fn snapshot_to_json(digests: &HashMap<String, TagDigest>) -> String {
    // Inserted one by one: collecting would sort the pairs first, and that sort is page weight.
    let mut map = serde_json::Map::new();
    for (tag, state) in digests {
        if let Some(digest) = state.digest() {
            map.insert(tag.clone(), Value::String(digest.to_string()));
        }
    }
    Value::Object(map).to_string()
}

/// Reads [`snapshot_to_json`]'s form back, every digest marked as cached; entries that are not
/// strings are dropped (a damaged cache costs HEADs, never a wrong answer: every one is re-read).
pub fn snapshot_from_json(text: &str) -> HashMap<String, TagDigest> {
    let Ok(Value::Object(map)) = crate::json::parse(text.as_bytes()) else {
        return HashMap::new();
    };
    map.into_iter()
        .filter_map(|(tag, digest)| match digest {
            Value::String(d) => Some((tag, TagDigest::Cached(d))),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_of;

    fn manifest(json: &str) -> (String, ManifestFacts) {
        let fetched = FetchedManifest::from_bytes("u", json.as_bytes().to_vec(), None, None, None).expect("manifest");
        (fetched.digest.to_string(), ManifestFacts::read(&fetched))
    }

    fn image(config_type: &str, config: &str, layers: &[(&str, u64, &str)], extra: &str) -> String {
        let layers: Vec<String> = layers
            .iter()
            .map(|(digest, size, media)| format!(r#"{{"mediaType":"{media}","digest":"{digest}","size":{size}}}"#))
            .collect();
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"{config_type}","digest":"{config}","size":100}},"layers":[{}]{extra}}}"#,
            layers.join(",")
        )
    }

    const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    const TGZ: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

    fn config(created: &str, arch: &str) -> ConfigFacts {
        ConfigFacts::read(format!(r#"{{"created":"{created}","os":"linux","architecture":"{arch}"}}"#).as_bytes())
            .expect("config")
    }

    #[test]
    fn kinds_by_their_published_formats() {
        let kind = |json: String| manifest(&json).1.kind;
        assert_eq!(kind(image(OCI_CONFIG, "sha256:c", &[("sha256:l", 5, TGZ)], "")), Kind::Image);
        assert_eq!(
            kind(image(
                "application/vnd.cncf.helm.config.v1+json",
                "sha256:c",
                &[("sha256:l", 5, "application/vnd.cncf.helm.chart.content.v1.tar+gzip")],
                ""
            )),
            Kind::Helm
        );
        assert_eq!(
            kind(image(
                OCI_CONFIG,
                "sha256:c",
                &[("sha256:l", 5, "application/vnd.dev.cosign.simplesigning.v1+json")],
                ""
            )),
            Kind::Signature
        );
        assert_eq!(
            kind(image(OCI_CONFIG, "sha256:c", &[("sha256:l", 5, "application/vnd.dsse.envelope.v1+json")], "")),
            Kind::Attestation
        );
        let artifact = |artifact_type: &str| {
            kind(image(
                "application/vnd.oci.empty.v1+json",
                "sha256:c",
                &[("sha256:l", 5, "application/json")],
                &format!(r#","artifactType":"{artifact_type}""#),
            ))
        };
        assert_eq!(artifact("application/vnd.cncf.notary.signature"), Kind::Signature);
        assert_eq!(artifact("application/spdx+json"), Kind::Sbom);
        assert_eq!(artifact("application/vnd.cyclonedx+json"), Kind::Sbom);
        assert_eq!(
            artifact("application/vnd.example.report.v1+json"),
            Kind::Artifact("application/vnd.example.report.v1+json".into())
        );
        // An artifact without artifactType is known by its config media type.
        assert_eq!(
            kind(image("application/vnd.example.thing.config.v1+json", "sha256:c", &[], "")),
            Kind::Artifact("application/vnd.example.thing.config.v1+json".into())
        );
    }

    #[test]
    fn an_image_is_summarised_once_its_config_is_read() {
        let mut facts = Facts::default();
        let (digest, read) =
            manifest(&image(OCI_CONFIG, "sha256:cfg", &[("sha256:a", 1000, TGZ), ("sha256:b", 234, TGZ)], ""));
        assert_eq!(facts.needs(&digest), [Need::Manifest(digest.clone())]);
        facts.add_manifest(digest.clone(), read);
        assert_eq!(facts.needs(&digest), [Need::Config("sha256:cfg".into())]);
        let partial = facts.summary(&digest);
        assert_eq!((partial.size, partial.complete, partial.created.as_deref()), (Some(1334), false, None));
        facts.add_config("sha256:cfg".into(), config("2024-01-02T03:04:05Z", "arm64"));
        let summary = facts.summary(&digest);
        assert!(summary.complete && facts.needs(&digest).is_empty());
        assert_eq!(summary.created_at, crate::time::parse_rfc3339("2024-01-02T03:04:05Z"));
        assert_eq!(summary.platforms.iter().map(|p| p.platform.as_str()).collect::<Vec<_>>(), ["linux/arm64"]);
    }

    #[test]
    fn an_index_sums_each_platform_and_counts_shared_blobs_once() {
        let mut facts = Facts::default();
        let (amd, amd_facts) =
            manifest(&image(OCI_CONFIG, "sha256:c1", &[("sha256:shared", 1000, TGZ), ("sha256:amd", 50, TGZ)], ""));
        let (arm, arm_facts) =
            manifest(&image(OCI_CONFIG, "sha256:c2", &[("sha256:shared", 1000, TGZ), ("sha256:arm", 70, TGZ)], ""));
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{amd}","size":500,"platform":{{"os":"linux","architecture":"amd64"}}}},
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{arm}","size":500,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:att","size":500,"platform":{{"os":"unknown","architecture":"unknown"}},"annotations":{{"vnd.docker.reference.type":"attestation-manifest"}}}}]}}"#
        );
        let (top, top_facts) = manifest(&index);
        assert_eq!(top_facts.kind, Kind::Index);
        facts.add_manifest(top.clone(), top_facts);
        // The attestation entry is not a platform and is never fetched.
        assert_eq!(facts.needs(&top), [Need::Manifest(amd.clone()), Need::Manifest(arm.clone())]);
        facts.add_manifest(amd.clone(), amd_facts);
        facts.add_manifest(arm.clone(), arm_facts);
        assert_eq!(facts.summary(&top).size, None, "not complete until the configs are read");
        facts.add_config("sha256:c2".into(), config("2024-03-01T00:00:00Z", "arm64"));
        assert_eq!(facts.summary(&top).created, None, "one platform's date is not the index's");
        facts.add_config("sha256:c1".into(), config("2024-01-01T00:00:00Z", "amd64"));
        facts.add_config("sha256:c2".into(), config("2024-03-01T00:00:00Z", "arm64"));
        let summary = facts.summary(&top);
        assert!(summary.complete);
        assert_eq!(summary.size, Some(100 + 100 + 1000 + 50 + 70));
        assert_eq!(summary.created.as_deref(), Some("2024-03-01T00:00:00Z"), "the newest platform's");
        let rows: Vec<(&str, Option<u64>)> = summary.platforms.iter().map(|p| (p.platform.as_str(), p.size)).collect();
        assert_eq!(rows, [("linux/amd64", Some(1150)), ("linux/arm64/v8", Some(1170))]);
    }

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arranges_every_tag_by_date_size_or_version_unknown_last() {
        let mut facts = Facts::default();
        let mut digests = HashMap::new();
        for (tag, created, layer) in [
            ("v1.10", "2024-05-01T00:00:00Z", 10),
            ("v1.9", "2024-06-01T00:00:00Z", 30),
            ("v1.2", "2023-01-01T00:00:00Z", 20),
        ] {
            let config = format!("sha256:config-{tag}");
            let (digest, read) = manifest(&image(OCI_CONFIG, &config, &[(&format!("sha256:l{tag}"), layer, TGZ)], ""));
            facts.add_manifest(digest.clone(), read);
            facts.add_config(config, ConfigFacts::read(format!(r#"{{"created":"{created}"}}"#).as_bytes()).unwrap());
            digests.insert(tag.to_string(), TagDigest::Fresh(digest));
        }
        digests.insert("pending".into(), TagDigest::Cached(sha256_of(b"unknown").to_string()));
        let all = tags(&["v1.2", "pending", "v1.10", "zz-no-head-yet", "v1.9"]);
        let ranks = natural_ranks(&all);
        let order = |order| arrange(&all, &ranks, &digests, &facts, &Filter::default(), order);
        assert_eq!(order(Order::Newest), tags(&["v1.9", "v1.10", "v1.2", "pending", "zz-no-head-yet"]));
        assert_eq!(order(Order::Oldest), tags(&["v1.2", "v1.10", "v1.9", "pending", "zz-no-head-yet"]));
        assert_eq!(order(Order::Largest), tags(&["v1.9", "v1.2", "v1.10", "pending", "zz-no-head-yet"]));
        assert_eq!(order(Order::Version), tags(&["pending", "v1.2", "v1.9", "v1.10", "zz-no-head-yet"]));
        assert_eq!(order(Order::VersionDesc), tags(&["zz-no-head-yet", "v1.10", "v1.9", "v1.2", "pending"]));
        assert_eq!(order(Order::Name), tags(&["pending", "v1.10", "v1.2", "v1.9", "zz-no-head-yet"]));
        let only = |filter: Filter| arrange(&all, &ranks, &digests, &facts, &filter, Order::Version);
        assert_eq!(only(Filter { text: "V1.1".into(), ..Filter::default() }), tags(&["v1.10"]));
        assert_eq!(only(Filter { kind: "image".into(), ..Filter::default() }), tags(&["v1.2", "v1.9", "v1.10"]));
        assert!(only(Filter { kind: "helm".into(), ..Filter::default() }).is_empty());
        assert!(only(Filter { platform: "linux/amd64".into(), ..Filter::default() }).is_empty(), "no config said so");
    }

    #[test]
    fn orders_round_trip_their_keys() {
        for (order, key, _) in ORDERS {
            assert_eq!(Order::from_key(key), order);
            assert_eq!(order.key(), key);
        }
        assert_eq!(Order::from_key("bogus"), Order::Newest);
    }

    #[test]
    fn snapshots_keep_digests_and_come_back_as_cached() {
        let mut digests = HashMap::new();
        digests.insert("a".to_string(), TagDigest::Fresh("sha256:1".into()));
        digests.insert("b".to_string(), TagDigest::Cached("sha256:2".into()));
        digests.insert("gone".to_string(), TagDigest::Missing);
        let back = snapshot_from_json(&snapshot_to_json(&digests));
        assert_eq!(back.len(), 2);
        assert_eq!(back["a"], TagDigest::Cached("sha256:1".into()));
        assert!(!back["a"].is_settled());
        assert!(snapshot_from_json("{\"a\": 3, \"b\": \"sha256:x\"}").len() == 1);
        assert!(snapshot_from_json("not json").is_empty());
    }

    #[test]
    fn attachment_tags_are_hidden_and_give_their_image_badges() {
        let subject = sha256_of(b"image").to_string();
        let hex = subject.trim_start_matches("sha256:");
        let (index_digest, index) = manifest(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:s","size":9,"artifactType":"application/spdx+json"},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:n","size":9,"artifactType":"application/vnd.cncf.notary.signature"}]}"#,
        );
        assert_eq!(index.kind, Kind::Artifact(REFERRERS_INDEX.into()), "a fallback index is not a platform index");
        assert_eq!(index.lists, [Kind::Sbom, Kind::Signature]);
        let mut facts = Facts::default();
        facts.add_manifest(index_digest.clone(), index);
        let tags: Vec<String> = ["v1", "v2", &format!("sha256-{hex}"), &format!("sha256-{hex}.att")]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let digests: HashMap<String, TagDigest> = [
            ("v1".to_string(), TagDigest::Fresh(subject.clone())),
            ("v2".to_string(), TagDigest::Fresh(sha256_of(b"other").to_string())),
            (format!("sha256-{hex}"), TagDigest::Fresh(index_digest)),
        ]
        .into_iter()
        .collect();
        let badges = attached(&tags, &digests, &facts);
        assert_eq!(badges.get(&subject).map(Vec::as_slice), Some(&["sbom", "signature", "attestation"][..]));
        assert_eq!(badges.len(), 1, "v2 has nothing attached");
        let ranks = natural_ranks(&tags);
        let shown = |filter: Filter| arrange(&tags, &ranks, &digests, &facts, &filter, Order::Version);
        assert_eq!(shown(Filter::default()), ["v1", "v2"], "the sha256-* tags are hidden by default");
        assert_eq!(shown(Filter { show_attachments: true, ..Filter::default() }).len(), 4);
        assert_eq!(shown(Filter { kind: SIGNED.into(), ..Filter::default() }), ["v1"], "only the signed image");
    }

    #[test]
    fn natural_ranks_follow_version_order() {
        let tags: Vec<String> = ["v1.10", "v1.9", "v1.9", "latest", "v2"].iter().map(|t| t.to_string()).collect();
        let ranks = natural_ranks(&tags);
        let mut by_rank: Vec<&str> = vec![""; tags.len()];
        for (tag, rank) in tags.iter().zip(&ranks) {
            by_rank[*rank as usize] = tag;
        }
        assert_eq!(by_rank, ["latest", "v1.9", "v1.9", "v1.10", "v2"]);
        assert!(ranks[1] < ranks[2], "equal tags keep their list order");
    }
}
