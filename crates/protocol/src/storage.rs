//! What a repository's tags take on the registry's disk: the distinct config and layer blobs they
//! reach (an index through its platforms), each counted once however many tags share it. This is
//! how GitLab's registry counts a repository (unique layers of tagged manifests), and what a
//! clean-up frees is worked out the same way ([`crate::cleanup`]). Manifests themselves (a few KB
//! each) are left out. Worked out from what the tag list's glance read ([`Facts`]); no request of
//! its own.

use std::collections::{HashMap, HashSet};

use crate::glance::{Facts, TagDigest};

/// Blob digest → its size.
pub type Blobs = HashMap<String, u64>;

/// The blobs `digest` reaches: an image's config and layers, an index's platforms' (attestation
/// entries aside, as the glance reads them). `None` while a manifest it needs is not read yet.
pub fn blobs_of(facts: &Facts, digest: &str) -> Option<Blobs> {
    let manifest = facts.manifest(digest)?;
    let mut blobs: Blobs = manifest.blobs.iter().cloned().collect();
    for (child, _) in &manifest.platforms {
        blobs.extend(facts.manifest(child)?.blobs.iter().cloned());
    }
    Some(blobs)
}

/// Adds up blobs, each once.
pub fn total(blobs: &Blobs) -> u64 {
    blobs.values().sum()
}

/// A repository's storage, as far as it is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Storage {
    /// Tags whose blobs are known.
    pub known_tags: usize,
    /// Tags listed.
    pub tags: usize,
    /// Distinct blobs of the known tags.
    pub blobs: Blobs,
}

impl Storage {
    /// Whether every tag is known (the figure is then exact).
    pub fn complete(&self) -> bool {
        self.known_tags == self.tags
    }

    /// The bytes of its distinct blobs.
    pub fn bytes(&self) -> u64 {
        total(&self.blobs)
    }

    /// The bytes of blobs none of `others` holds.
    pub fn bytes_not_in(&self, others: &HashSet<&str>) -> u64 {
        self.blobs.iter().filter(|(digest, _)| !others.contains(digest.as_str())).map(|(_, size)| size).sum()
    }
}

/// The storage of the tags `tags`, from the digests the glance found and what it read. A tag the
/// registry said is gone counts as known, with nothing.
pub fn repository_storage(tags: &[String], digests: &HashMap<String, TagDigest>, facts: &Facts) -> Storage {
    let mut storage = Storage { tags: tags.len(), ..Storage::default() };
    let mut seen: HashSet<&str> = HashSet::new();
    for tag in tags {
        match digests.get(tag) {
            Some(TagDigest::Missing) => storage.known_tags += 1,
            Some(cell) => {
                let Some(digest) = cell.digest() else { continue };
                if seen.contains(digest) {
                    storage.known_tags += 1;
                } else if let Some(blobs) = blobs_of(facts, digest) {
                    seen.insert(digest);
                    storage.known_tags += 1;
                    storage.blobs.extend(blobs);
                }
            }
            None => {}
        }
    }
    storage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glance::ManifestFacts;
    use crate::kind::Kind;

    fn image(blobs: &[(&str, u64)]) -> ManifestFacts {
        ManifestFacts {
            kind: Kind::Image,
            config: Some(blobs[0].0.to_string()),
            blobs: blobs.iter().map(|(d, s)| (d.to_string(), *s)).collect(),
            platforms: Vec::new(),
            lists: Vec::new(),
            description: None,
        }
    }

    #[test]
    fn shared_blobs_count_once_and_indexes_reach_their_platforms() {
        let mut facts = Facts::default();
        facts.add_manifest("m1".into(), image(&[("c1", 10), ("base", 1000), ("l1", 5)]));
        facts.add_manifest("m2".into(), image(&[("c2", 10), ("base", 1000), ("l2", 7)]));
        facts.add_manifest(
            "ix".into(),
            ManifestFacts {
                kind: Kind::Index,
                config: None,
                blobs: Vec::new(),
                platforms: vec![("m2".into(), "linux/amd64".into()), ("m3".into(), "linux/arm64".into())],
                lists: Vec::new(),
                description: None,
            },
        );
        let tags: Vec<String> = ["a", "b", "b2", "ix", "gone"].iter().map(|s| s.to_string()).collect();
        let mut digests = HashMap::new();
        digests.insert("a".to_string(), TagDigest::Fresh("m1".into()));
        digests.insert("b".to_string(), TagDigest::Fresh("m2".into()));
        digests.insert("b2".to_string(), TagDigest::Cached("m2".into()));
        digests.insert("ix".to_string(), TagDigest::Fresh("ix".into()));
        digests.insert("gone".to_string(), TagDigest::Missing);
        // The index's second platform is not read yet: the figure covers the rest, not complete.
        let partial = repository_storage(&tags, &digests, &facts);
        assert_eq!((partial.known_tags, partial.bytes(), partial.complete()), (4, 1032, false));
        facts.add_manifest("m3".into(), image(&[("c3", 10), ("base", 1000), ("l3", 100)]));
        let storage = repository_storage(&tags, &digests, &facts);
        assert!(storage.complete());
        assert_eq!(storage.bytes(), 10 + 1000 + 5 + 10 + 7 + 10 + 100);
        let other_repository: HashSet<&str> = ["base", "c1"].into_iter().collect();
        assert_eq!(storage.bytes_not_in(&other_repository), 5 + 10 + 7 + 10 + 100);
    }
}
