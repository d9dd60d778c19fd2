//! "Where is this digest?": every `repository:tag` of a registry that holds a manifest, and every
//! tagged index that holds it as a platform. The protocol has no search, so the page walks the
//! catalog's repositories (the pinned ones where the catalog is refused): per repository its tag
//! list, per tag a HEAD (its digest and media type), and per distinct index a GET by digest, once
//! for the whole walk (an index's bytes are content addressed, so one read serves every
//! repository that holds it).

use std::cell::RefCell;
use std::collections::HashMap;

use crate::client::Registry;
use crate::error::Error;
use crate::http::Transport;
use crate::manifest::ParsedManifest;
use crate::names::{Digest, Reference, Repository, Tag};

/// What was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A manifest digest.
    Digest(Digest),
    /// `repository:tag`: whatever it holds now.
    Tag(Repository, Tag),
}

impl Query {
    /// Reads a digest (`sha256:…`, or a `repository@sha256:…` reference) or `repository:tag`;
    /// `Err` says what is wrong, in words.
    pub fn parse(text: &str) -> Result<Query, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("Type a digest (sha256:…) or repository:tag".into());
        }
        let digest_part = text.rsplit_once('@').map_or(text, |(_, d)| d);
        if digest_part.starts_with("sha256:") || digest_part.starts_with("sha512:") {
            return Digest::parse(digest_part).map(Query::Digest).map_err(|e| e.to_string());
        }
        let (repository, tag) = text
            .rsplit_once(':')
            .filter(|(repository, _)| !repository.is_empty())
            .ok_or_else(|| format!("{text:?} is neither a digest (sha256:…) nor repository:tag"))?;
        let repository = Repository::parse(repository).map_err(|e| e.to_string())?;
        let tag = Tag::parse(tag).map_err(|e| e.to_string())?;
        Ok(Query::Tag(repository, tag))
    }

    /// The digest searched for: the digest itself, or what the tag holds now (`Err` when the tag
    /// does not exist: the registry said 404).
    pub async fn resolve<T: Transport>(&self, registry: &Registry<T>) -> Result<Digest, String> {
        match self {
            Query::Digest(digest) => Ok(digest.clone()),
            Query::Tag(repository, tag) => {
                match registry.manifest_digest(repository, &Reference::Tag(tag.clone())).await {
                    Ok(Some(digest)) => Ok(digest),
                    Ok(None) => Err(format!("{repository}:{tag} does not exist (the registry answered 404)")),
                    Err(e) => Err(e.headline()),
                }
            }
        }
    }
}

/// One place the digest is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The repository.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// When the tag holds an index that has the digest as a platform: that index.
    pub index: Option<Digest>,
    /// That platform, `os/arch[/variant]`.
    pub platform: Option<String>,
}

/// An index's platforms (digest and `os/arch[/variant]`) by the index's digest, read once per
/// walk.
#[derive(Debug, Default)]
pub struct Indexes(RefCell<HashMap<Digest, Vec<(String, String)>>>);

impl Indexes {
    async fn platforms_of<T: Transport>(
        &self,
        registry: &Registry<T>,
        repository: &Repository,
        index: &Digest,
    ) -> Result<Vec<(String, String)>, Error> {
        if let Some(known) = self.0.borrow().get(index) {
            return Ok(known.clone());
        }
        let manifest = registry.manifest_get(repository, &Reference::Digest(index.clone())).await?;
        let platforms: Vec<(String, String)> = match &manifest.parsed {
            ParsedManifest::Index(list) => list
                .manifests
                .iter()
                .map(|d| (d.digest.clone(), d.platform.as_ref().map(|p| p.label()).unwrap_or_default()))
                .collect(),
            _ => Vec::new(),
        };
        self.0.borrow_mut().insert(index.clone(), platforms.clone());
        Ok(platforms)
    }
}

/// What one repository showed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepositoryResult {
    /// Tags read (HEADs answered).
    pub tags_read: usize,
    /// Where the digest is.
    pub hits: Vec<Hit>,
    /// Whether the walk was stopped before every tag was read.
    pub stopped: bool,
}

/// Reads `repository`'s tags and finds `target` among them: a tag holding it, or a tag holding an
/// index that lists it. `stopped` is asked before each request; a tag that vanished between the
/// list and its HEAD is passed over.
pub async fn search_repository<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    target: &Digest,
    indexes: &Indexes,
    stopped: &dyn Fn() -> bool,
) -> Result<RepositoryResult, Error> {
    let mut result = RepositoryResult::default();
    let listing = registry.tag_list(repository).await?;
    for tag in &listing.tags {
        if stopped() {
            result.stopped = true;
            return Ok(result);
        }
        let Ok(parsed) = Tag::parse(tag) else { continue };
        let head = match registry.manifest_head(repository, &Reference::Tag(parsed.clone())).await {
            Ok(head) => head,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        result.tags_read += 1;
        // A hidden digest header: the GET's bytes say it.
        let (digest, is_index) = match (head.digest, &head.media_type) {
            (Some(digest), media_type) => (digest, media_type.as_ref().is_some_and(|m| m.is_index())),
            (None, _) => {
                let manifest = registry.manifest_get(repository, &Reference::Tag(parsed)).await?;
                (manifest.digest, manifest.media_type.is_index())
            }
        };
        if &digest == target {
            result.hits.push(Hit { repository: repository.to_string(), tag: tag.clone(), index: None, platform: None });
        } else if is_index {
            let platforms = indexes.platforms_of(registry, repository, &digest).await?;
            if let Some((_, platform)) = platforms.iter().find(|(child, _)| child == target.as_str()) {
                result.hits.push(Hit {
                    repository: repository.to_string(),
                    tag: tag.clone(),
                    index: Some(digest),
                    platform: Some(platform.clone()).filter(|p| !p.is_empty()),
                });
            }
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_a_digest_or_a_tag() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(Query::parse(&format!(" {digest} ")), Ok(Query::Digest(Digest::parse(&digest).unwrap())));
        assert_eq!(Query::parse(&format!("demo/hello@{digest}")), Ok(Query::Digest(Digest::parse(&digest).unwrap())));
        assert_eq!(
            Query::parse("demo/hello:1.0"),
            Ok(Query::Tag(Repository::parse("demo/hello").unwrap(), Tag::parse("1.0").unwrap()))
        );
        assert!(Query::parse("").unwrap_err().contains("Type a digest"));
        assert!(Query::parse("demo/hello").unwrap_err().contains("neither a digest"));
        assert!(Query::parse("sha256:abc").is_err(), "a short digest");
        assert!(Query::parse("Demo/Hello:1.0").is_err(), "an invalid name");
    }
}
