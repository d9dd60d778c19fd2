//! Moving an image's content into a target repository: every blob, then every child manifest by
//! digest. The ground both a copy and the attachments carried with it stand on; the caller
//! writes the top manifest (by tag, or by digest for a referrer).
//!
//! Order matters, because a registry refuses a manifest whose blobs or children it does not hold
//! in the target repository: every blob (config and layers of every image) first, then each child
//! manifest of an index by digest (attestation manifests included). Within a registry, blobs are
//! mounted from the source repository (`POST …/blobs/uploads/?mount=&from=`: no bytes move; a
//! blob the target already holds answers 201 as well, so no HEAD is needed first). When the
//! registry answers 202 instead, the upload session it opened receives the bytes
//! ([`crate::upload`]). Between registries nothing can be mounted: a HEAD skips blobs the target
//! already holds (only its 404 counts as "not there": any other failure stops the copy), and the
//! others are streamed.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use crate::client::Registry;
use crate::error::Error;
use crate::http::Transport;
use crate::manifest::{FetchedManifest, ParsedManifest};
use crate::names::{Digest, Reference, Repository, Tag};
use crate::referrers::ApiSupport;
use crate::refusal::{Refusal, Stage};
use crate::requests;
use crate::state::TargetState;
use crate::upload::{self, UploadMode};

/// How one blob got into the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobOutcome {
    /// Mounted from the source repository (or already there): no bytes moved.
    Mounted,
    /// Already in the target: a HEAD found it there (another registry), or this copy put it there
    /// for an earlier manifest. Nothing was sent for it.
    Present,
    /// Its bytes were streamed from the source into the target.
    Uploaded(UploadMode),
}

/// The two ends of a copy: the same registry twice, or two registries, and what they have shown
/// of themselves during a run.
pub struct Endpoints<'a, T> {
    /// Where the image is read.
    pub source: &'a Registry<T>,
    /// Where it is written.
    pub target: &'a Registry<T>,
    /// Blobs larger than this are streamed in chunks of this size.
    pub chunk_size: u64,
    /// The target refused a one-request blob PUT: the rest go as POST + PATCH + PUT at once.
    pub monolithic_refused: Cell<bool>,
    /// What each end has shown of its referrers API (source, target), learned by the first
    /// discovery that asks and kept for the others.
    pub referrers_api: Cell<(ApiSupport, ApiSupport)>,
    /// Blobs this copy has put in place already, by target repository: an artifact's empty
    /// config, shared by an SBOM and a signature, is mounted once.
    placed: RefCell<Vec<(Repository, Digest)>>,
}

impl<'a, T: Transport> Endpoints<'a, T> {
    /// From `source` to `target`, with the default chunk size.
    pub fn new(source: &'a Registry<T>, target: &'a Registry<T>) -> Self {
        Endpoints::with_chunk_size(source, target, upload::CHUNK_SIZE)
    }

    /// From `source` to `target`, streaming blobs larger than `chunk_size` in chunks of it.
    pub fn with_chunk_size(source: &'a Registry<T>, target: &'a Registry<T>, chunk_size: u64) -> Self {
        Endpoints {
            source,
            target,
            chunk_size,
            monolithic_refused: Cell::new(false),
            referrers_api: Cell::new((ApiSupport::Unknown, ApiSupport::Unknown)),
            placed: RefCell::default(),
        }
    }

    /// Starts from what is known of each end's referrers API.
    pub fn knowing(self, source_api: ApiSupport, target_api: ApiSupport) -> Self {
        self.referrers_api.set((source_api, target_api));
        self
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

/// Refuses to write `tag` when a HEAD finds it holding neither what the plan saw (`state`) nor
/// `source` already: someone moved it since, and writing would undo their change.
pub async fn still_as_planned<T: Transport>(
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
    Err(Error::Refused(Refusal::MovedSincePlan { place: format!("{repository}:{tag}"), now, stage: Stage::Copying }))
}

/// What [`transfer`] moved: everything but the top manifest, which the caller writes.
pub struct Transferred {
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
pub async fn transfer<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, target_repository): (&Repository, &Repository),
    top: FetchedManifest,
    progress: &dyn Fn(&CopyProgress),
) -> Result<Transferred, Error> {
    let manifests = gather(ends.source, source_repository, top.writable()?).await?;
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

/// Gets one blob into the target, unless this copy placed it there already: mounted within a registry (streamed through the session a
/// refused mount opened), or, between registries, skipped when a HEAD finds it and streamed
/// otherwise.
async fn blob_into<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, target_repository): (&Repository, &Repository),
    digest: &Digest,
    size: u64,
    on_bytes: &dyn Fn(u64),
) -> Result<BlobOutcome, Error> {
    let place = (target_repository.clone(), digest.clone());
    if ends.placed.borrow().contains(&place) {
        return Ok(BlobOutcome::Present);
    }
    let outcome = blob_moved(ends, (source_repository, target_repository), digest, size, on_bytes).await?;
    ends.placed.borrow_mut().push(place);
    Ok(outcome)
}

/// [`blob_into`] for a blob this copy has not placed yet.
async fn blob_moved<T: Transport>(
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
