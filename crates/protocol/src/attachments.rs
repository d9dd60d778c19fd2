//! Keeping attachments with their image: copied after it, deleted with it when the user asks.
//!
//! A copy carries each referrer with its exact bytes (so each signature still matches the
//! digest it signs), its blobs mounted or streamed like any other: listed referrers by digest,
//! cosign's tags under their names. Where the target does not index referrers itself, the
//! target's fallback index is merged with what it already lists, never replaced: other tools'
//! referrers live there too.

use crate::client::Registry;
use crate::error::Error;
use crate::flow::Finished;
use crate::http::Transport;
use crate::journal::{Action, Entry, SavedManifest};
use crate::json::{text, Value};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::referrers::{self, ApiSupport, Discovered, Referrer};
use crate::refusal::{Refusal, Stage};
use crate::state::{target_state, Stored, TargetState};
use crate::transfer::{self, CopyProgress, Endpoints};

/// One attachment a copy will carry, with what the target holds in its place now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarryItem {
    /// The attachment (its manifest read).
    pub referrer: Referrer,
    /// What the target holds now: by digest for a listed referrer, under the tag for a cosign
    /// tag.
    pub state: TargetState,
}

/// What carrying the attachments will do, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarryPlan {
    /// The image.
    pub subject: Digest,
    /// Each attachment, in discovery order.
    pub items: Vec<CarryItem>,
    /// Whether the target indexes referrers itself (then no fallback index is written).
    pub target_api: ApiSupport,
    /// What the source showed of its referrers API when they were discovered.
    pub source_api: ApiSupport,
    /// The source's fallback index (written as it is when the target has none, so its digest
    /// stays the same).
    pub source_index: Option<FetchedManifest>,
    /// The target's fallback index now (`None`: it has none, or indexes referrers itself).
    pub target_index: Option<FetchedManifest>,
    /// The attachment tags the target had, from its tag list (`None`: the list could not say):
    /// just before writing, one more such page shows whether a tag planned as new is still
    /// missing, instead of a HEAD per tag.
    pub target_tags: Option<Vec<Tag>>,
}

impl CarryPlan {
    /// The attachments that will be written.
    pub fn to_write(&self) -> usize {
        self.items.iter().filter(|i| i.state != TargetState::AlreadySource).count()
    }

    /// The cosign tags that will move off something else the target holds.
    pub fn moves(&self) -> Vec<&Tag> {
        self.items.iter().filter(|i| i.state.moves()).filter_map(|i| i.referrer.tag()).collect()
    }

    /// What was discovered at the source, again: for planning once more from what the target
    /// holds by then (after a pause, a retry).
    pub fn discovered(&self) -> Discovered {
        Discovered {
            subject: self.subject.clone(),
            referrers: self.items.iter().map(|i| i.referrer.clone()).collect(),
            api: self.source_api,
            fallback: self.source_index.clone(),
        }
    }

    /// The listed referrers' descriptors: what the target's fallback index must list.
    fn listed(&self) -> Vec<Value> {
        self.items.iter().filter_map(|i| i.referrer.descriptor.clone()).collect()
    }
}

/// What the target has at `referrer`'s place: the digest by digest (present or not), or what
/// its cosign tag holds. `tags` is what the target's tag list said of the attachment tags (see
/// [`referrers::attachment_tags`]): a cosign tag it lacks is not asked about, nor a listed
/// referrer that the target's own fallback index (`listed`) does not name (writing it by digest
/// again would store the same bytes).
async fn held<T: Transport>(
    target: &Registry<T>,
    repository: &Repository,
    referrer: &Referrer,
    (tags, listed): (Option<&[Tag]>, Option<&[String]>),
) -> Result<Option<Digest>, Error> {
    let reference = match referrer.tag() {
        Some(tag) if tags.is_some_and(|tags| !tags.contains(tag)) => return Ok(None),
        Some(tag) => Reference::Tag(tag.clone()),
        None if listed.is_some_and(|listed| !listed.iter().any(|d| d == referrer.digest.as_str())) => return Ok(None),
        None => Reference::Digest(referrer.digest.clone()),
    };
    target.manifest_digest(repository, &reference).await
}

/// Plans carrying what `found` discovered at the source (every manifest read) into
/// `target_repository`. At the target: one short page of its tag list for the attachment tags
/// ([`referrers::attachment_tags`]); a HEAD per cosign tag it has; its fallback index when it has
/// one (and does not index referrers itself); a HEAD per listed referrer that index names. Where
/// the target is another registry whose support is not known yet ([`Endpoints::referrers_api`],
/// which learns it), one referrers request.
pub async fn plan_carry<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, target_repository): (&Repository, &Repository),
    mut found: Discovered,
) -> Result<CarryPlan, Error> {
    let target_api = ends.referrers_api.get().1;
    found.read_all(ends.source, source_repository).await?;
    let tags = referrers::attachment_tags(ends.target, target_repository, &found.subject).await;
    let target_api = match (ends.same_registry(), target_api) {
        (true, _) => found.api,
        (false, ApiSupport::Unknown) if found.referrers.iter().any(|r| r.descriptor.is_some()) => {
            match referrers::api_list(ends.target, target_repository, &found.subject, None).await? {
                Some(_) => ApiSupport::Served,
                None => ApiSupport::NotServed,
            }
        }
        (false, known) => known,
    };
    let fallback = referrers::fallback_tag(&found.subject);
    let target_index = match target_api {
        ApiSupport::Served => None,
        _ if found.referrers.iter().all(|r| r.descriptor.is_none()) => None,
        _ if tags.as_ref().is_some_and(|tags| !tags.contains(&fallback)) => None,
        _ => match ends.target.manifest_get(target_repository, &Reference::Tag(fallback)).await {
            Ok(index) => Some(index),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        },
    };
    // What the target's own index lists, where that is the whole truth: it does not index
    // referrers itself, and its index was read (or it has none).
    let listed: Option<Vec<String>> = (target_api != ApiSupport::Served).then(|| {
        let entries = target_index.as_ref().and_then(|index| referrers::index_entries(&index.bytes));
        entries.unwrap_or_default().iter().filter_map(|e| text(e, "digest")).collect()
    });
    let mut items = Vec::with_capacity(found.referrers.len());
    for referrer in found.referrers {
        let now = held(ends.target, target_repository, &referrer, (tags.as_deref(), listed.as_deref())).await?;
        items.push(CarryItem { state: target_state(Some(&referrer.digest), now), referrer });
    }
    ends.referrers_api.set((found.api, target_api));
    Ok(CarryPlan {
        subject: found.subject,
        items,
        target_api,
        source_api: found.api,
        source_index: found.fallback,
        target_index,
        target_tags: tags,
    })
}

/// How one attachment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// Its digest.
    pub digest: Digest,
    /// Its cosign tag, if it has one.
    pub tag: Option<Tag>,
    /// Written (with the registry's answer), already there, or failed.
    pub outcome: Result<Option<Stored>, Error>,
}

/// The fallback index a copy wrote: where, over what, and its exact bytes (an exported script
/// writes the same bytes, over the same index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexWritten {
    /// Its tag (`sha256-<subject>`).
    pub tag: Tag,
    /// What the tag held before (`None`: it did not exist).
    pub before: Option<Digest>,
    /// The index written.
    pub manifest: FetchedManifest,
}

/// What carrying did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarryReport {
    /// Each attachment.
    pub items: Vec<Carried>,
    /// The target's fallback index: `None` when none was needed or it listed everything
    /// already; otherwise what was written, or why writing it failed.
    pub index: Option<Result<IndexWritten, Error>>,
}

impl CarryReport {
    /// Whether every attachment is in place.
    pub fn complete(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Every failure: the attachments', then the fallback index's.
    pub fn failures(&self) -> impl Iterator<Item = &Error> {
        self.items
            .iter()
            .filter_map(|i| i.outcome.as_ref().err())
            .chain(self.index.as_ref().and_then(|i| i.as_ref().err()))
    }

    /// What an incomplete carry means for its image: a 429 stays itself (a run waits and carries
    /// the rest), anything else is a [`Refusal::Partial`] with counts and the first failure.
    pub fn problem(&self) -> Option<Error> {
        if let Some(throttled) = self.failures().find(|e| e.is_throttled()) {
            return Some(throttled.clone());
        }
        let first = self.failures().next()?;
        Some(Error::Refused(Refusal::Partial {
            failed: self.items.iter().filter(|i| i.outcome.is_err()).count(),
            total: self.items.len(),
            first: first.headline(),
        }))
    }
}

/// Carries every attachment of `plan` after its image was copied: every blob and child first,
/// then one look at the target's attachment tags, then the manifests. Each written one yields a
/// journal entry: a referrer added by digest (undo deletes it again), a cosign tag or the fallback
/// index as a tag write (undo puts the tag back). A failure does not stop the others.
pub async fn carry<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, target_repository): (&Repository, &Repository),
    plan: &CarryPlan,
    progress: &dyn Fn(usize),
) -> Finished<CarryReport> {
    let repositories = (source_repository, target_repository);
    let to_write: Vec<&CarryItem> = plan.items.iter().filter(|i| i.state != TargetState::AlreadySource).collect();
    let mut moved = Vec::with_capacity(to_write.len());
    for item in &to_write {
        moved.push(content_of(ends, repositories, item).await);
    }
    // The tags the plan saw missing may have been created since: one page of the tag list says
    // whether they still are missing (a HEAD per tag when it cannot say, or a tag was there).
    let new_tag = to_write.iter().any(|i| i.referrer.tag().is_some() && i.state == TargetState::New);
    let new_index = plan.target_index.is_none() && plan.target_api != ApiSupport::Served && !plan.listed().is_empty();
    let planned_new = new_tag || new_index;
    let tags_now = match &plan.target_tags {
        Some(_) if planned_new => referrers::attachment_tags(ends.target, target_repository, &plan.subject).await,
        _ => None,
    };
    let target = ends.target;
    let subject = plan.subject.short();
    let mut journal = Vec::new();
    let mut items = Vec::with_capacity(plan.items.len());
    let mut indexed_by_target = plan.target_api == ApiSupport::Served;
    let mut moved = moved.into_iter();
    for (done, item) in plan.items.iter().enumerate() {
        let referrer = &item.referrer;
        let outcome = if item.state == TargetState::AlreadySource {
            Ok(None)
        } else {
            let content = moved.next().expect("one content per attachment written");
            let written = match content {
                Ok(manifest) => put_one(target, target_repository, item, &manifest, tags_now.as_deref()).await,
                Err(e) => Err(e),
            };
            if let Ok(put) = &written {
                indexed_by_target |= put.subject.is_some();
            }
            let stored = written.map(|put| Stored::from_answer(&referrer.digest, put.digest.as_deref()));
            let summary = format!("attachment of {subject} copied from {source_repository}");
            journal.push(match referrer.tag() {
                Some(tag) => Entry::tag_write(
                    Action::CopyAttachment,
                    target.url(),
                    target_repository,
                    tag,
                    item.state.current(&referrer.digest),
                    &referrer.digest,
                    stored.as_ref(),
                    summary,
                ),
                None => Entry::new(
                    Action::CopyAttachment,
                    target.url(),
                    target_repository,
                    None,
                    None,
                    stored.as_ref().ok().map(|_| &referrer.digest),
                    stored.as_ref().map(|_| summary).map_err(Error::headline),
                ),
            });
            stored.and_then(|s| {
                match s.mismatch(format!("{target_repository}@{}", referrer.digest), &referrer.digest) {
                    Some(mismatch) => Err(mismatch),
                    None => Ok(Some(s)),
                }
            })
        };
        items.push(Carried { digest: referrer.digest.clone(), tag: referrer.tag().cloned(), outcome });
        progress(done + 1);
    }
    let index = if indexed_by_target {
        None
    } else {
        write_index(target, target_repository, plan, tags_now.as_deref(), &mut journal).await
    };
    Finished { outcome: Ok(CarryReport { items, index }), journal }
}

/// Gets everything one attachment names into the target (its blobs and children); returns its
/// manifest, to be written once the tags have been looked at.
async fn content_of<T: Transport>(
    ends: &Endpoints<'_, T>,
    repositories: (&Repository, &Repository),
    item: &CarryItem,
) -> Result<FetchedManifest, Error> {
    let referrer = &item.referrer;
    let manifest = match &referrer.manifest {
        Some(m) => m.clone(),
        None => ends.source.manifest_get(repositories.0, &Reference::Digest(referrer.digest.clone())).await?,
    };
    let moved = transfer::transfer(ends, repositories, manifest, &|_: &CopyProgress| {}).await?;
    Ok(moved.manifests.into_iter().next().expect("the top manifest"))
}

/// Writes one attachment's manifest: by digest, or under its cosign tag while the tag still holds
/// what the plan saw. A tag the plan saw missing and `tags_now` (the target's attachment tags,
/// read just before) still lacks needs no HEAD.
async fn put_one<T: Transport>(
    target: &Registry<T>,
    repository: &Repository,
    item: &CarryItem,
    manifest: &FetchedManifest,
    tags_now: Option<&[Tag]>,
) -> Result<crate::responses::PutOutcome, Error> {
    let referrer = &item.referrer;
    let reference = match referrer.tag() {
        Some(tag) => {
            let still_missing = item.state == TargetState::New && tags_now.is_some_and(|tags| !tags.contains(tag));
            if !still_missing {
                transfer::still_as_planned(target, repository, tag, &item.state, &referrer.digest).await?;
            }
            Reference::Tag(tag.clone())
        }
        None => Reference::Digest(referrer.digest.clone()),
    };
    target.manifest_put(repository, &reference, manifest).await
}

/// The bytes of the fallback index a copy writes, given the target's (`None`: it has none), the
/// source's, and the descriptors of the referrers carried: the source's own bytes when the target
/// has none and the source lists exactly those (so its digest stays the same), else the target's
/// index with the carried ones added (`None`: the target's lists them all already).
pub fn index_to_write(
    target_index: Option<&FetchedManifest>,
    source_index: Option<&FetchedManifest>,
    listed: &[Value],
) -> Option<Vec<u8>> {
    let source_lists_exactly = source_index.filter(|index| {
        let entries = referrers::index_entries(&index.bytes).unwrap_or_default();
        let digests = |list: &[Value]| {
            let mut d: Vec<String> = list.iter().filter_map(|e| text(e, "digest")).collect();
            d.sort();
            d
        };
        digests(&entries) == digests(listed)
    });
    match (target_index, source_lists_exactly) {
        (None, Some(source)) => Some(source.bytes.clone()),
        (existing, _) => referrers::merged_index(existing, listed),
    }
}

/// Brings the target's fallback index up to date: the source's own bytes when the target has
/// none and they list exactly what was carried (the same digest at both ends), otherwise the
/// target's index with the new entries added. Journaled as a tag write.
async fn write_index<T: Transport>(
    target: &Registry<T>,
    repository: &Repository,
    plan: &CarryPlan,
    tags_now: Option<&[Tag]>,
    journal: &mut Vec<Entry>,
) -> Option<Result<IndexWritten, Error>> {
    let listed = plan.listed();
    if listed.is_empty() {
        return None;
    }
    let bytes = index_to_write(plan.target_index.as_ref(), plan.source_index.as_ref(), &listed)?;
    let tag = referrers::fallback_tag(&plan.subject);
    let before = plan.target_index.as_ref().map(|i| i.digest.clone());
    let index = match FetchedManifest::from_bytes(
        "the merged fallback index",
        bytes,
        Some(crate::media::OCI_INDEX),
        None,
        None,
    ) {
        Ok(index) => index,
        Err(e) => return Some(Err(e)),
    };
    let reference = Reference::Tag(tag.clone());
    // Seen missing by the plan and still missing just now: nobody added one meanwhile.
    let still_missing = before.is_none() && tags_now.is_some_and(|tags| !tags.contains(&tag));
    let written = async {
        // Someone else may have added a referrer meanwhile: merge with theirs, not over it.
        let now = if still_missing { None } else { target.manifest_digest(repository, &reference).await? };
        if now != before {
            let place = format!("{repository}:{tag}");
            return Err(Error::Refused(Refusal::MovedSincePlan { place, now, stage: Stage::CarryingAttachments }));
        }
        target.manifest_put(repository, &reference, &index).await
    }
    .await;
    let stored = written.map(|put| Stored::from_answer(&index.digest, put.digest.as_deref()));
    let count = referrers::index_entries(&index.bytes).map_or(0, |e| e.len());
    journal.push(Entry::tag_write(
        Action::CopyAttachment,
        target.url(),
        repository,
        &tag,
        before.as_ref(),
        &index.digest,
        stored.as_ref(),
        format!("fallback index of {}: {count} referrers", plan.subject.short()),
    ));
    Some(stored.map(|_| IndexWritten { tag, before, manifest: index }))
}

/// Deletes every attachment `found` lists, by digest, then the fallback index when it lists
/// nothing that is left. Each delete yields a journal entry with the manifest's bytes saved.
/// Returns each digest with how its delete ended.
pub async fn drop_all<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    found: &Discovered,
) -> Finished<Vec<(Digest, Result<(), Error>)>> {
    let mut ended = Vec::new();
    let mut journal = Vec::new();
    for referrer in &found.referrers {
        let (result, entry) =
            drop_one(registry, repository, found, referrer.tag(), referrer.manifest.as_ref(), &referrer.digest).await;
        journal.push(entry);
        ended.push((referrer.digest.clone(), result));
    }
    if let Some(index) = &found.fallback {
        let listed = referrers::index_entries(&index.bytes).unwrap_or_default();
        let all_gone = listed.iter().all(|d| {
            let digest = text(d, "digest");
            ended.iter().any(|(gone, result)| result.is_ok() && Some(gone.as_str()) == digest.as_deref())
        });
        if all_gone {
            let tag = referrers::fallback_tag(&found.subject);
            let (result, entry) = drop_one(registry, repository, found, Some(&tag), Some(index), &index.digest).await;
            journal.push(entry);
            ended.push((index.digest.clone(), result));
        }
    }
    Finished { outcome: Ok(ended), journal }
}

/// One delete by digest, and its journal entry (the bytes saved when it went).
async fn drop_one<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    found: &Discovered,
    tag: Option<&Tag>,
    manifest: Option<&FetchedManifest>,
    digest: &Digest,
) -> (Result<(), Error>, Entry) {
    let result = registry.manifest_delete(repository, digest).await;
    let mut entry = Entry::new(
        Action::DeleteAttachment,
        registry.url(),
        repository,
        tag,
        Some(digest),
        if result.is_ok() { None } else { Some(digest) },
        result.as_ref().map(|_| format!("deleted with {}", found.subject.short())).map_err(Error::headline),
    );
    entry.saved = manifest
        .filter(|_| result.is_ok())
        .map(|m| SavedManifest { media_type: m.media_type.as_str().to_string(), body: m.text() });
    (result, entry)
}
