//! Copy an image to another repository, of the same registry or of another one, without pulling
//! it through a disk.
//!
//! Order matters, because a registry refuses a manifest whose blobs or children it does not hold
//! in the target repository: every blob (config and layers of every image) first, then each child
//! manifest of an index by digest (attestation manifests included), then the top manifest by tag.
//! Within a registry, blobs are mounted from the source repository (`POST
//! …/blobs/uploads/?mount=&from=`: no bytes move; a blob the target already holds answers 201 as
//! well, so no HEAD is needed first). When the registry answers 202 instead, the upload session it
//! opened receives the bytes ([`crate::upload`]). Between registries nothing can be mounted: a
//! HEAD skips blobs the target already holds (only its 404 counts as "not there": any other
//! failure stops the copy), and the others are streamed. Just before the top
//! manifest is written, a HEAD checks that the target tag still holds what the plan saw.

use std::collections::BTreeSet;

use crate::client::Registry;
use crate::error::Error;
use crate::flow::{target_state, Finished, Stored, TargetState};
use crate::http::Transport;
use crate::journal::{action, Entry};
use crate::manifest::{FetchedManifest, ParsedManifest};
use crate::names::{Digest, Reference, Repository, Tag};
use crate::requests;
use crate::upload::{self, UploadMode};

/// What a copy will do, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPlan {
    /// Source repository.
    pub source_repository: Repository,
    /// The image, by digest.
    pub source: Digest,
    /// Target repository.
    pub target_repository: Repository,
    /// Target tag.
    pub target_tag: Tag,
    /// What the target tag holds now.
    pub target_state: TargetState,
}

impl CopyPlan {
    /// Builds the plan from what the target tag holds now (`None`: it does not exist).
    pub fn new(
        source_repository: Repository,
        source: Digest,
        target_repository: Repository,
        target_tag: Tag,
        current: Option<Digest>,
    ) -> Self {
        let target_state = target_state(Some(&source), current);
        CopyPlan { source_repository, source, target_repository, target_tag, target_state }
    }

    /// Whether sending needs the user's confirmation (the target tag would move).
    pub fn needs_confirmation(&self) -> bool {
        self.target_state.moves()
    }
}

/// Plans a copy: what the target tag holds now at `target` (one HEAD).
pub async fn plan<T: Transport>(
    target: &Registry<T>,
    source_repository: Repository,
    source: Digest,
    target_repository: Repository,
    target_tag: Tag,
) -> Result<CopyPlan, Error> {
    let current = target.manifest_digest(&target_repository, &Reference::Tag(target_tag.clone())).await?;
    Ok(CopyPlan::new(source_repository, source, target_repository, target_tag, current))
}

/// How one blob got into the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobOutcome {
    /// Mounted from the source repository (or already there): no bytes moved.
    Mounted,
    /// Another registry: a HEAD found it already in the target, so nothing was sent.
    Present,
    /// Its bytes were streamed from the source into the target.
    Uploaded(UploadMode),
}

/// The two ends of a copy: the same registry twice, or two registries.
pub struct Endpoints<'a, T> {
    /// Where the image is read.
    pub source: &'a Registry<T>,
    /// Where it is written.
    pub target: &'a Registry<T>,
    /// Blobs larger than this are streamed in chunks of this size.
    pub chunk_size: u64,
    /// The target refused a one-request blob PUT: the rest go as POST + PATCH + PUT at once.
    pub monolithic_refused: std::cell::Cell<bool>,
}

impl<'a, T: Transport> Endpoints<'a, T> {
    /// From `source` to `target`, with the default chunk size.
    pub fn new(source: &'a Registry<T>, target: &'a Registry<T>) -> Self {
        Endpoints::with_chunk_size(source, target, upload::CHUNK_SIZE)
    }

    /// From `source` to `target`, streaming blobs larger than `chunk_size` in chunks of it.
    pub fn with_chunk_size(source: &'a Registry<T>, target: &'a Registry<T>, chunk_size: u64) -> Self {
        Endpoints { source, target, chunk_size, monolithic_refused: std::cell::Cell::new(false) }
    }

    /// Within one registry blobs can be mounted; between two, their bytes must move.
    pub fn same_registry(&self) -> bool {
        self.source.url() == self.target.url()
    }
}

/// Progress while copying.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyProgress {
    /// Blobs in the image(s).
    pub blobs_total: usize,
    /// Blobs done.
    pub blobs_done: usize,
    /// Bytes of all blobs.
    pub bytes_total: u64,
    /// Bytes of the blobs done.
    pub bytes_done: u64,
    /// Manifests stored (children, then the top one).
    pub manifests_done: usize,
    /// Manifests to store.
    pub manifests_total: usize,
    /// Attachments carried after the image.
    pub attachments_done: usize,
    /// Attachments to carry.
    pub attachments_total: usize,
}

/// The result of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// The source digest (of the bytes sent).
    pub source: Digest,
    /// Each blob and how it got there.
    pub blobs: Vec<(Digest, u64, BlobOutcome)>,
    /// Child manifests stored by digest.
    pub children: Vec<Digest>,
    /// The digest the registry answered for the top manifest.
    pub registry_digest: Option<String>,
    /// How that compares with the source.
    pub stored: Stored,
}

/// Every manifest of the image: the top one and, for an index, each child (fetched by digest).
async fn gather<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    top: FetchedManifest,
) -> Result<Vec<FetchedManifest>, Error> {
    let mut all = vec![top];
    let mut i = 0;
    while i < all.len() {
        if let ParsedManifest::Index(index) = &all[i].parsed {
            let children: Vec<String> = index.manifests.iter().map(|d| d.digest.clone()).collect();
            for child in children {
                let digest = Digest::parse(&child)?;
                all.push(registry.manifest_get(repository, &Reference::Digest(digest)).await?);
            }
        }
        i += 1;
    }
    Ok(all)
}

/// Runs a plan. `confirmed` must be true when the target tag moves; `progress` is told after each
/// step. Yields one journal entry for the target tag (a refusal before anything is sent yields
/// none).
pub async fn execute<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &CopyPlan,
    confirmed: bool,
    progress: &dyn Fn(&CopyProgress),
) -> Finished<CopyReport> {
    if plan.needs_confirmation() && !confirmed {
        return Finished::refused(Error::Unsupported(format!(
            "Not sent: {}:{} points at another image; confirm moving it first.",
            plan.target_repository, plan.target_tag
        )));
    }
    let outcome = copy_image(ends, plan, progress).await;
    let change = Entry::tag_write(
        action::COPY,
        ends.target.url(),
        &plan.target_repository,
        &plan.target_tag,
        plan.target_state.current(&plan.source),
        &plan.source,
        outcome.as_ref().map(|r| &r.stored),
        format!("copied from {}@{}", plan.source_repository, plan.source.short()),
    );
    Finished { outcome, journal: vec![change] }
}

/// The copy itself, without the confirmation check or the journal (bulk runs journal their own).
pub(crate) async fn copy_image<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &CopyPlan,
    progress: &dyn Fn(&CopyProgress),
) -> Result<CopyReport, Error> {
    let source = ends.source;
    let top = source.manifest_get(&plan.source_repository, &Reference::Digest(plan.source.clone())).await?;
    let repositories = (&plan.source_repository, &plan.target_repository);
    let moved = transfer(ends, repositories, top, progress).await?;
    let top = &moved.manifests[0];
    // The blobs may have taken a while: the tag must still hold what the user agreed to move.
    still_as_planned(ends.target, &plan.target_repository, &plan.target_tag, &plan.target_state, &plan.source).await?;
    let tag = Reference::Tag(plan.target_tag.clone());
    let put = ends.target.manifest_put(&plan.target_repository, &tag, top).await?;
    let mut state = moved.progress;
    state.manifests_done += 1;
    progress(&state);
    Ok(CopyReport {
        source: top.digest.clone(),
        blobs: moved.blobs,
        children: moved.children,
        stored: Stored::from_answer(&top.digest, put.digest.as_deref()),
        registry_digest: put.digest,
    })
}

/// Refuses to write `tag` when a HEAD finds it holding neither what the plan saw (`state`) nor
/// `source` already: someone moved it since, and writing would undo their change.
pub(crate) async fn still_as_planned<T: Transport>(
    target: &Registry<T>,
    repository: &Repository,
    tag: &Tag,
    state: &TargetState,
    source: &Digest,
) -> Result<(), Error> {
    let now = target.manifest_digest(repository, &Reference::Tag(tag.clone())).await?;
    if now.as_ref() == state.current(source) || now.as_ref() == Some(source) {
        return Ok(());
    }
    let held = now.map_or("nothing".to_string(), |d| d.to_string());
    Err(Error::Unsupported(format!(
        "Not moved: {repository}:{tag} changed while the image was copied; it now points at {held}. The blobs and \
         child manifests are in place; check the tag and copy again."
    )))
}

/// What [`transfer`] moved: everything but the top manifest, which the caller writes.
pub(crate) struct Transferred {
    /// The top manifest, then every child (fetched by digest).
    pub manifests: Vec<FetchedManifest>,
    /// Each blob and how it got there.
    pub blobs: Vec<(Digest, u64, BlobOutcome)>,
    /// Child manifests stored by digest.
    pub children: Vec<Digest>,
    /// Where the copy is.
    pub progress: CopyProgress,
}

/// Gets everything a manifest names into the target repository: every blob, then every child
/// manifest by digest. Refuses schema 1 (its signature names the source tag).
pub(crate) async fn transfer<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, target_repository): (&Repository, &Repository),
    top: FetchedManifest,
    progress: &dyn Fn(&CopyProgress),
) -> Result<Transferred, Error> {
    if top.media_type.is_schema1() {
        return Err(Error::Unsupported(crate::manifest::SCHEMA1_EXPLANATION.to_string()));
    }
    let manifests = gather(ends.source, source_repository, top).await?;
    let mut seen = BTreeSet::new();
    let mut blobs: Vec<(Digest, u64)> = Vec::new();
    for manifest in &manifests {
        if let ParsedManifest::Image(image) = &manifest.parsed {
            for descriptor in std::iter::once(&image.config).chain(image.layers.iter()) {
                if seen.insert(descriptor.digest.clone()) {
                    blobs.push((Digest::parse(&descriptor.digest)?, descriptor.size));
                }
            }
        }
    }
    let mut state = CopyProgress {
        blobs_total: blobs.len(),
        bytes_total: blobs.iter().map(|(_, s)| s).sum(),
        manifests_total: manifests.len(),
        ..CopyProgress::default()
    };
    progress(&state);
    let mut report_blobs = Vec::with_capacity(blobs.len());
    for (digest, size) in blobs {
        let before = state.bytes_done;
        let on_bytes = |sent: u64| {
            let mut now = state.clone();
            now.bytes_done = before + sent.min(size);
            progress(&now);
        };
        let outcome = blob_into(ends, (source_repository, target_repository), &digest, size, &on_bytes).await?;
        state.blobs_done += 1;
        state.bytes_done = before + size;
        progress(&state);
        report_blobs.push((digest, size, outcome));
    }
    // Children first (by digest), the top manifest last (by the caller): each PUT finds what it
    // names.
    let mut children = Vec::new();
    for child in manifests.iter().skip(1).rev() {
        ends.target.manifest_put(target_repository, &Reference::Digest(child.digest.clone()), child).await?;
        children.push(child.digest.clone());
        state.manifests_done += 1;
        progress(&state);
    }
    Ok(Transferred { manifests, blobs: report_blobs, children, progress: state })
}

/// Gets one blob into the target: mounted within a registry (streamed through the session a
/// refused mount opened), or, between registries, skipped when a HEAD finds it and streamed
/// otherwise.
async fn blob_into<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, target_repository): (&Repository, &Repository),
    digest: &Digest,
    size: u64,
    on_bytes: &dyn Fn(u64),
) -> Result<BlobOutcome, Error> {
    let (source, target) = (ends.source, ends.target);
    let session = if ends.same_registry() {
        let mount = requests::blob_mount(target.url(), target_repository, digest, source_repository);
        let mount_url = mount.url.clone();
        let response = target.send_checked(mount).await?;
        if response.status == 201 {
            return Ok(BlobOutcome::Mounted);
        }
        upload::Session::from_answer(target.url(), &mount_url, &response.headers)?
    } else {
        // Only a 404 means "not there": a refused or failed HEAD stops the copy with its error
        // rather than uploading blind.
        if target.blob_exists(target_repository, digest).await? {
            return Ok(BlobOutcome::Present);
        }
        upload::start(target, target_repository).await?
    };
    let mode = upload::stream(
        source,
        source_repository,
        (target, target_repository),
        session,
        digest,
        size,
        (ends.chunk_size, &ends.monolithic_refused),
        on_bytes,
    )
    .await?;
    Ok(BlobOutcome::Uploaded(mode))
}
