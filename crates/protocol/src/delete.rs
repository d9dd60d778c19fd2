//! Deleting without surprises.
//!
//! A delete by digest removes the manifest and, with it, **every tag that points at it**. Users
//! who meant to delete one tag lose its siblings. So:
//! - [`tags_pointing_at`] lists every tag of the whole repository that a delete by digest would
//!   remove (all pages, not the ones on screen), for the confirmation;
//! - [`tag_delete`] deletes one tag and leaves its siblings: the OCI 1.1 delete-by-tag where the
//!   registry supports it, otherwise (distribution 2.8) it moves the tag to a unique throwaway
//!   manifest and deletes that by digest. If the registry refuses the delete, the tag is put back
//!   on its image, so nothing is lost.

use crate::attachments;
use crate::client::Registry;
use crate::digest::sha256_of;
use crate::error::Error;
use crate::flow::Finished;
use crate::http::Transport;
use crate::journal::{action, Entry, SavedManifest};
use crate::manifest::FetchedManifest;
use crate::media::OCI_MANIFEST;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::referrers::{self, ApiSupport, Discovered};
use crate::requests;

/// The OCI empty descriptor's content, `{}`: the config of the throwaway manifest.
pub const EMPTY_JSON: &[u8] = b"{}";
/// Its media type.
pub const EMPTY_JSON_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";

/// Said after every delete: the registry frees the space only when its garbage collector runs.
pub const GC_REMINDER: &str = "Space comes back only after the registry's garbage collection runs \
(for distribution: `registry garbage-collect /etc/docker/registry/config.yml`, with the registry read-only \
or stopped). Until then the blobs stay on disk.";

/// What to tell the user when a registry refuses a delete: 405 or `UNSUPPORTED` mean deletes are
/// switched off. `None` for other errors (their own advice applies).
pub fn refusal_advice(error: &Error) -> Option<String> {
    let unsupported = error.registry_errors().iter().any(|e| e.kind() == crate::error::ErrorCode::Unsupported);
    (error.status() == Some(405) || unsupported).then(|| {
        "This registry does not allow deletes. For distribution (registry:2, Harbor's core, Zot's compatible \
         mode) set `storage: delete: enabled: true` in its config (REGISTRY_STORAGE_DELETE_ENABLED=true) and \
         restart it. Docker Hub and GHCR do not allow deleting through the registry API at all: use their web \
         UI or their own API. Nothing was changed."
            .to_string()
    })
}

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

/// Every tag of `repository` that points at `digest`: all of them disappear with a delete by
/// digest. Reads the whole tag list and the digest of each tag.
pub async fn tags_pointing_at<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    digest: &Digest,
) -> Result<Vec<String>, Error> {
    let listing = registry.tag_list(repository).await?;
    let mut matching = Vec::new();
    for tag in listing.tags {
        let Ok(reference) = Reference::parse(&tag) else { continue };
        if registry.manifest_digest(repository, &reference).await?.as_ref() == Some(digest) {
            matching.push(tag);
        }
    }
    Ok(matching)
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

/// Deletes `tag` and only `tag`. `unique` (a timestamp, a random value) makes the throwaway
/// manifest's digest unique, so deleting it cannot take another tag with it.
pub async fn tag_delete<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    tag: &Tag,
    unique: &str,
) -> Result<TagDeleteReport, Error> {
    let reference = Reference::Tag(tag.clone());
    let previous = registry.manifest_get(repository, &reference).await?;
    match registry.send_checked(requests::tag_delete(registry.url(), repository, tag)).await {
        // Some registries answer 202 without deleting (distribution 3.0–3.1.0 with deletes
        // off): believe it only when the tag is gone.
        Ok(_) if registry.manifest_digest(repository, &reference).await?.is_none() => {
            return Ok(TagDeleteReport { previous: previous.digest, method: TagDeleteMethod::DeleteByTag });
        }
        Ok(_) => {}
        // No delete-by-tag here (distribution 2.8 answers 400 DIGEST_INVALID): fall back.
        Err(e) if lacks_delete_by_tag(&e) => {}
        // 401, 403, 5xx, a blocked request: not an answer about delete-by-tag, so stop with it.
        Err(e) => return Err(e),
    }
    let throwaway_bytes = throwaway_manifest(unique);
    let throwaway = FetchedManifest::from_bytes("throwaway manifest", throwaway_bytes, Some(OCI_MANIFEST), None, None)?;
    // Before the tag is touched: will this registry delete by digest at all? The throwaway does
    // not exist yet, so a registry with deletes on answers 404, and one with deletes off 405.
    match registry.manifest_delete(repository, &throwaway.digest).await {
        Err(e) if e.status() == Some(404) => {}
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    ensure_empty_config(registry, repository).await?;
    registry.manifest_put(repository, &reference, &throwaway).await?;
    match registry.manifest_delete(repository, &throwaway.digest).await {
        Ok(_) => Ok(TagDeleteReport {
            previous: previous.digest,
            method: TagDeleteMethod::Throwaway { digest: throwaway.digest },
        }),
        Err(refused) => {
            // Put the tag back where it was; say so plainly if even that fails.
            match registry.manifest_put(repository, &reference, &previous).await {
                Ok(_) => Err(refused),
                Err(restore) => Err(Error::Unsupported(format!(
                    "The registry refused to delete the placeholder ({}), and putting {repository}:{tag} back on {} \
                     failed too ({}). {repository}:{tag} now points at the placeholder {}: retag {} to {tag} to \
                     restore it.",
                    refused.headline(),
                    previous.digest,
                    restore.headline(),
                    throwaway.digest,
                    previous.digest
                ))),
            }
        }
    }
}

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

/// What a delete will remove, decided (and shown) before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeletePlan {
    /// One tag; the image and its other tags stay.
    Tag {
        /// Where.
        repository: Repository,
        /// The tag.
        tag: Tag,
        /// What it points at now (as shown to the user).
        digest: Digest,
    },
    /// A manifest by digest, and with it every tag of the repository that points at it.
    Manifest {
        /// Where.
        repository: Repository,
        /// The manifest, its exact bytes kept for the journal (undo can push them back).
        manifest: FetchedManifest,
        /// Every tag that goes with it ([`tags_pointing_at`]).
        tags: Vec<String>,
        /// Its signatures, SBOMs and attestations, which the delete would leave dangling (boxed:
        /// a plan is mostly a tag delete's few names).
        attachments: Box<Discovered>,
    },
}

/// Plans a delete by digest: reads every tag of the repository to list those that go with it,
/// and finds what is attached to it ([`referrers::discover_read`]; `api` is what is known of the
/// registry's referrers API, and the plan says what was learned).
pub async fn plan_manifest_delete<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    manifest: FetchedManifest,
    api: ApiSupport,
) -> Result<DeletePlan, Error> {
    let tags = tags_pointing_at(registry, repository, &manifest.digest).await?;
    let attachments = referrers::discover_read(registry, repository, &manifest.digest, api).await?;
    Ok(DeletePlan::Manifest { repository: repository.clone(), manifest, tags, attachments: Box::new(attachments) })
}

/// How a delete ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteReport {
    /// One tag deleted.
    Tag(TagDeleteReport),
    /// The manifest deleted, with these tags.
    Manifest {
        /// Its digest.
        digest: Digest,
        /// The tags that went with it.
        tags: Vec<String>,
        /// The attachments deleted with it (when asked), and how each delete ended.
        attachments: Vec<(Digest, Result<(), Error>)>,
    },
}

/// Runs a delete plan. A tag delete yields one journal entry; a manifest delete one per tag that
/// went with it (one without a tag when none did), each holding the manifest's bytes for undo.
/// With `with_attachments`, the manifest's attachments go too, once it is gone, each journaled
/// with its bytes.
/// Failures are journaled too: a failed tag delete with where a HEAD finds the tag afterwards (it
/// may be on the placeholder, if the registry refused both the delete and the put-back).
pub async fn execute<T: Transport>(
    registry: &Registry<T>,
    plan: &DeletePlan,
    unique: &str,
    with_attachments: bool,
) -> Finished<DeleteReport> {
    let url = registry.url();
    match plan {
        DeletePlan::Tag { repository, tag, digest } => {
            let result = tag_delete(registry, repository, tag, unique).await;
            let before = result.as_ref().map(|r| &r.previous).unwrap_or(digest);
            // A failure may come after the tag was moved to the placeholder (and not put back):
            // the entry says where a HEAD finds the tag now, or, if even that fails, where it was.
            let after = match &result {
                Ok(_) => None,
                Err(_) => match registry.manifest_digest(repository, &Reference::Tag(tag.clone())).await {
                    Ok(now) => now,
                    Err(_) => Some(before.clone()),
                },
            };
            let change = Entry::new(
                action::DELETE_TAG,
                url,
                repository,
                Some(tag),
                Some(before),
                after.as_ref(),
                result.as_ref().map(|_| format!("deleted {tag}")).map_err(Error::headline),
            );
            Finished { outcome: result.map(DeleteReport::Tag), journal: vec![change] }
        }
        DeletePlan::Manifest { repository, manifest, tags, attachments } => {
            let result = registry.manifest_delete(repository, &manifest.digest).await;
            let saved = SavedManifest { media_type: manifest.media_type.as_str().to_string(), body: manifest.text() };
            let parsed: Vec<Tag> = tags.iter().filter_map(|t| Tag::parse(t).ok()).collect();
            let entry_tags: Vec<Option<&Tag>> =
                if parsed.is_empty() { vec![None] } else { parsed.iter().map(Some).collect() };
            let digest = &manifest.digest;
            let mut journal: Vec<Entry> = entry_tags
                .into_iter()
                .map(|tag| {
                    let mut change = Entry::new(
                        action::DELETE_MANIFEST,
                        url,
                        repository,
                        tag,
                        Some(digest),
                        if result.is_ok() { None } else { Some(digest) },
                        result.as_ref().map(|_| format!("deleted {}", digest.short())).map_err(Error::headline),
                    );
                    change.saved = result.is_ok().then(|| saved.clone());
                    change
                })
                .collect();
            let mut dropped = Vec::new();
            if result.is_ok() && with_attachments {
                let done = attachments::drop_all(registry, repository, attachments).await;
                journal.extend(done.journal);
                dropped = done.outcome.unwrap_or_default();
            }
            let outcome = result.map(|()| DeleteReport::Manifest {
                digest: digest.clone(),
                tags: tags.clone(),
                attachments: dropped,
            });
            Finished { outcome, journal }
        }
    }
}
