//! Deleting one tag and only that tag: a [`Registry`] operation, its recipe written on it.
//!
//! A delete by digest removes the manifest and, with it, **every tag that points at it**. Where
//! the registry has OCI 1.1's delete-by-tag, [`Registry::tag_delete`] uses it; otherwise
//! (distribution 2.8) it moves the tag to a unique throwaway manifest and deletes that by digest.
//! If the registry refuses the delete, the tag is put back on its image, so nothing is lost.

use std::cell::Cell;

use crate::client::Registry;
use crate::digest::sha256_of;
use crate::error::Error;
use crate::http::Transport;
use crate::manifest::FetchedManifest;
use crate::media::OCI_MANIFEST;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::refusal::Refusal;
use crate::requests;

/// The OCI empty descriptor's content, `{}`: the config of the throwaway manifest.
pub const EMPTY_JSON: &[u8] = b"{}";
/// Its media type.
pub const EMPTY_JSON_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";

/// How a tag was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagDeleteMethod {
    /// `DELETE /v2/<name>/manifests/<tag>` (OCI distribution 1.1).
    DeleteByTag,
    /// The tag was moved to a throwaway manifest, which was deleted by digest.
    Throwaway {
        /// The throwaway manifest's digest.
        digest: Digest,
    },
}

/// The result of a tag delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagDeleteReport {
    /// What the tag pointed at (for undo: PUT these bytes back while the registry still has them).
    pub previous: Digest,
    /// How it was deleted.
    pub method: TagDeleteMethod,
}

/// A manifest that exists only to be deleted: an OCI image manifest with the empty config and an
/// annotation that makes its digest unique to this delete.
pub fn throwaway_manifest(unique: &str) -> Vec<u8> {
    let empty = sha256_of(EMPTY_JSON);
    let unique = serde_json::to_string(unique).unwrap_or_else(|_| "\"wharf\"".into());
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{EMPTY_JSON_MEDIA_TYPE}","digest":"{empty}","size":2}},"layers":[],"annotations":{{"org.wharf.delete-placeholder":{unique}}}}}"#
    )
    .into_bytes()
}

/// What a run of many tag deletes learns about the registry from its first deletes and then need
/// not ask again: whether it deletes by tag, whether it deletes by digest at all, and whether the
/// repository holds the throwaway's `{}` config. A fresh one knows nothing (a single delete asks
/// everything); a clean-up of a thousand tags shares one, so each tag costs three requests: the
/// read that re-checks it, the throwaway's PUT and its DELETE.
#[derive(Debug, Default)]
pub struct DeleteKnowledge {
    by_tag: Cell<Option<bool>>,
    deletes_on: Cell<bool>,
    empty_config: Cell<bool>,
}

impl<T: Transport> Registry<T> {
    /// Whether this registry deletes manifests at all, asked without changing anything: a DELETE
    /// of a manifest that does not exist answers 404 where deletes are on, and 405 (distribution:
    /// `UNSUPPORTED`) where they are switched off. `Err` carries the refusal (or whatever else
    /// stopped the question) for the page to explain ([`crate::delete::refusal_advice`]).
    pub async fn deletes_allowed(&self, repository: &Repository) -> Result<(), Error> {
        let probe = sha256_of(&throwaway_manifest("wharf: are deletes on?"));
        match self.manifest_delete(repository, &probe).await {
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e),
            // Nothing held it, so nothing was deleted; the registry just says yes.
            Ok(()) => Ok(()),
        }
    }

    /// Deletes `tag` and only `tag`: its sibling tags (same digest) stay. `unique` (a timestamp,
    /// a random value) makes the throwaway manifest's digest unique, so deleting it cannot take
    /// another tag with it. Costs, without delete-by-tag: a GET of the tag's manifest (kept to
    /// put it back), the DELETE by tag that is refused, a DELETE of the throwaway that must
    /// answer 404 (deletes are on), the empty config's HEAD (and upload, once per repository),
    /// the throwaway's PUT under the tag and its DELETE.
    pub async fn tag_delete(&self, repository: &Repository, tag: &Tag, unique: &str) -> Result<TagDeleteReport, Error> {
        delete_one_tag(self, repository, tag, None, unique, &DeleteKnowledge::default()).await
    }

    /// [`Registry::tag_delete`], only while the tag holds `expected` (the image a plan showed):
    /// a tag found on another image is refused ([`Refusal::MovedSincePlan`]) before anything is
    /// written. The check costs nothing: the delete reads the tag's manifest anyway. `known` is
    /// what earlier deletes of the same run learned, and learns from this one.
    pub async fn tag_delete_if(
        &self,
        repository: &Repository,
        tag: &Tag,
        expected: Option<&Digest>,
        unique: &str,
        known: &DeleteKnowledge,
    ) -> Result<TagDeleteReport, Error> {
        delete_one_tag(self, repository, tag, expected, unique, known).await
    }
}

async fn delete_one_tag<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    tag: &Tag,
    expected: Option<&Digest>,
    unique: &str,
    known: &DeleteKnowledge,
) -> Result<TagDeleteReport, Error> {
    let reference = Reference::Tag(tag.clone());
    let previous = registry.manifest_get(repository, &reference).await?;
    if expected.is_some_and(|digest| digest != &previous.digest) {
        return Err(Error::Refused(Refusal::MovedSincePlan {
            place: format!("{repository}:{tag}"),
            now: Some(previous.digest),
            stage: crate::refusal::Stage::Deleting,
        }));
    }
    if known.by_tag.get() != Some(false) {
        match registry.send_checked(requests::tag_delete(registry.url(), repository, tag)).await {
            // Some registries answer 202 without deleting (distribution 3.0–3.1.0 with deletes
            // off): believe it only when the tag is gone.
            Ok(_) if registry.manifest_digest(repository, &reference).await?.is_none() => {
                known.by_tag.set(Some(true));
                return Ok(TagDeleteReport { previous: previous.digest, method: TagDeleteMethod::DeleteByTag });
            }
            Ok(_) => known.by_tag.set(Some(false)),
            // No delete-by-tag here (distribution 2.8 answers 400 DIGEST_INVALID): fall back.
            Err(e) if lacks_delete_by_tag(&e) => known.by_tag.set(Some(false)),
            // 401, 403, 5xx, a blocked request: not an answer about delete-by-tag, so stop with it.
            Err(e) => return Err(e),
        }
    }
    let throwaway_bytes = throwaway_manifest(unique);
    let throwaway = FetchedManifest::from_bytes("throwaway manifest", throwaway_bytes, Some(OCI_MANIFEST), None, None)?;
    // Before the tag is touched: will this registry delete by digest at all? The throwaway does
    // not exist yet, so a registry with deletes on answers 404, and one with deletes off 405.
    if !known.deletes_on.get() {
        match registry.manifest_delete(repository, &throwaway.digest).await {
            Err(e) if e.status() == Some(404) => known.deletes_on.set(true),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
    }
    if !known.empty_config.get() {
        ensure_empty_config(registry, repository).await?;
        known.empty_config.set(true);
    }
    match move_to_throwaway_and_delete(registry, repository, &reference, &throwaway).await? {
        Ok(_) => Ok(TagDeleteReport {
            previous: previous.digest,
            method: TagDeleteMethod::Throwaway { digest: throwaway.digest },
        }),
        Err(refused) => {
            // Put the tag back where it was; say so plainly if even that fails.
            match registry.manifest_put(repository, &reference, &previous).await {
                Ok(_) => Err(refused),
                Err(restore) => Err(Error::Refused(Refusal::PlaceholderStuck {
                    place: format!("{repository}:{tag}"),
                    previous: previous.digest,
                    placeholder: throwaway.digest,
                    refused: refused.headline(),
                    restore: restore.headline(),
                })),
            }
        }
    }
}

/// Puts the throwaway under the tag and deletes it by digest. `Err` when the PUT fails (the tag
/// is as it was); `Ok` with how the DELETE ended otherwise. A server error from the DELETE is
/// met by sending both again: distribution 2.8 deletes the manifest first and then walks every
/// tag of the repository to untag it, and a tag that a concurrent delete removes meanwhile makes
/// that walk fail with `500 UNKNOWN` (about 2 in 100 deletes at six at a time, in the clean-up
/// benchmark), leaving the tag on a manifest that is gone. The PUT brings the manifest back
/// under the tag, and the second DELETE untags it. The throwaway is this delete's alone, so
/// both are safe to repeat.
async fn move_to_throwaway_and_delete<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    reference: &Reference,
    throwaway: &FetchedManifest,
) -> Result<Result<(), Error>, Error> {
    let mut attempts = 0;
    loop {
        match registry.manifest_put(repository, reference, throwaway).await {
            // Several first deletes of a run upload the `{}` config at once, and distribution
            // may not see it yet: upload it again and send the PUT once more.
            Err(e) if attempts < SERVER_ERROR_RETRIES && e.to_string().contains("MANIFEST_BLOB_UNKNOWN") => {
                attempts += 1;
                ensure_empty_config(registry, repository).await?;
                continue;
            }
            put => put?,
        };
        match registry.manifest_delete(repository, &throwaway.digest).await {
            Err(e) if e.status().is_some_and(|status| status >= 500) && attempts < SERVER_ERROR_RETRIES => {
                attempts += 1
            }
            deleted => return Ok(deleted),
        }
    }
}

/// How often the throwaway's PUT and DELETE are sent again after a server error.
const SERVER_ERROR_RETRIES: usize = 2;

/// Whether a refused `DELETE …/manifests/<tag>` means "this registry has no delete-by-tag":
/// 400, 404, 405 or 501, or an `UNSUPPORTED` code.
fn lacks_delete_by_tag(error: &Error) -> bool {
    matches!(error.status(), Some(400 | 404 | 405 | 501))
        || error.registry_errors().iter().any(|e| e.kind() == crate::error::ErrorCode::Unsupported)
}

/// Makes sure the repository holds the `{}` blob the throwaway manifest names. A HEAD that fails
/// other than with 404 stops the delete before the tag is touched.
async fn ensure_empty_config<T: Transport>(registry: &Registry<T>, repository: &Repository) -> Result<(), Error> {
    let digest = sha256_of(EMPTY_JSON);
    if registry.blob_exists(repository, &digest).await? {
        return Ok(());
    }
    let session = crate::upload::start(registry, repository).await?;
    registry
        .send_checked(requests::upload_monolithic(&session.location, &digest, EMPTY_JSON.to_vec()))
        .await
        .map(|_| ())
}
