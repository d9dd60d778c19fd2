//! Deleting without surprises.
//!
//! A delete by digest removes the manifest and, with it, **every tag that points at it**. Users
//! who meant to delete one tag lose its siblings. So:
//! - [`tags_pointing_at`] lists every tag of the whole repository that a delete by digest would
//!   remove (all pages, not the ones on screen), for the confirmation;
//! - a tag delete ([`DeletePlan::Tag`]) goes through [`Registry::tag_delete`], which leaves the
//!   siblings, and only while the tag still holds the image the plan showed;
//! - a delete by digest ([`DeletePlan::Manifest`]) says which tags go with it, saves the
//!   manifest's bytes in the journal (undo can push them back), and, when asked, deletes the
//!   image's attachments too.

use crate::attachments;
use crate::client::Registry;
use crate::error::Error;
use crate::flow::Finished;
use crate::http::Transport;
use crate::journal::{Action, Entry, SavedManifest};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::pace::Retry;
use crate::referrers::{self, ApiSupport, Discovered};
use crate::refusal::Refusal;
use crate::tag_delete::{DeleteKnowledge, TagDeleteReport};

/// Said after every delete: the registry frees the space only when its garbage collector runs.
pub const GC_REMINDER: &str = "Space comes back only after the registry's garbage collection runs \
(for distribution: `registry garbage-collect /etc/docker/registry/config.yml`, with the registry read-only \
or stopped). Until then the blobs stay on disk.";

/// What a distribution registry needs after a tag delete (one, or a clean-up's) to free the space, and its trap (read in
/// distribution's `registry/storage/garbagecollect.go` at v2.8.2, the version Debian ships, and
/// tried on it: see the README).
pub const GC_AFTER_TAG_DELETE: &str = "The registry frees the space only when its garbage collector runs, with the registry \
stopped or read-only. A tag delete leaves the image's manifest in the repository without a tag, and plain \
`registry garbage-collect` keeps every manifest with its blobs: only `registry garbage-collect --delete-untagged \
/etc/docker/registry/config.yml` reclaims this space (try it with `--dry-run` first). The trap, in distribution 2.x \
(2.8.2 included): `--delete-untagged` also deletes the platform manifests of a tagged multi-platform index, and their \
layers, which breaks that image (distribution #3178, fixed in 3.0 by #4285). Where the registry holds an index you keep, \
tag its platforms first, or run the collection with distribution 3.0 or later.";

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
/// A tag that no longer holds the plan's image is refused ([`crate::refusal::Stage::Deleting`]),
/// nothing sent but the read that found it. Failures are journaled too: a failed tag delete with
/// where a HEAD finds the tag afterwards (it may be on the placeholder, if the registry refused
/// both the delete and the put-back). `retry` waits out 429s and `known` carries what earlier
/// deletes learned of the registry (a run of many deletes).
pub async fn execute<T: Transport>(
    registry: &Registry<T>,
    plan: &DeletePlan,
    unique: &str,
    with_attachments: bool,
    retry: &Retry<'_>,
    known: &DeleteKnowledge,
) -> Finished<DeleteReport> {
    let url = registry.url();
    match plan {
        DeletePlan::Tag { repository, tag, digest } => {
            let result = match retry.step(|| registry.tag_delete_if(repository, tag, Some(digest), unique, known)).await
            {
                // Found holding another image: nothing was written, so nothing to journal.
                Err(Error::Refused(moved @ Refusal::MovedSincePlan { .. })) => return Finished::refused(moved.into()),
                result => result,
            };
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
                Action::DeleteTag,
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
                        Action::DeleteManifest,
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
