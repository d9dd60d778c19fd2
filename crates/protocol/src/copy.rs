//! Copy an image to another repository, of the same registry or of another one, without pulling
//! it through a disk, and with it, unless the user says otherwise, its signatures, SBOMs and
//! attestations ([`crate::attachments`]).
//!
//! A plan ([`plan`]) reads what the target tag holds (one HEAD) and, with the attachments, what
//! the source has attached and what the target holds in each one's place. Executing it
//! ([`execute`]) moves every blob and child manifest ([`crate::transfer`]), checks with a HEAD
//! that the target tag still holds what the plan saw, writes the top manifest by tag, and then
//! carries the attachments once the tag holds the image. A bulk copy's items are this same flow
//! ([`CopyPlan::item`]): their attachments, listed by the dry run, are planned at the target
//! once the image is in place.

use std::rc::Rc;

use crate::attachments::{self, CarryPlan, CarryReport};
use crate::error::Error;
use crate::flow::{Confirmed, Finished};
use crate::http::Transport;
use crate::journal::{Action, Entry};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::pace::Retry;
use crate::referrers::{self, Discovered};
use crate::state::{target_state, Stored, TargetState};
use crate::transfer::{self, BlobOutcome, CopyProgress, Endpoints};

/// The attachments a copy carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carry {
    /// Planned before anything is sent: the page shows each one and what it would move.
    Planned(Box<CarryPlan>),
    /// Planned at the target once the image is in place (a bulk item: the dry run listed them,
    /// and confirming the run confirms carrying them); `None`: discovered at the source then too.
    Later(Option<Box<Discovered>>),
}

/// What a copy will do, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPlan {
    /// Source repository.
    pub source_repository: Repository,
    /// The image, by digest.
    pub source: Digest,
    /// The tag the image was chosen by, when it was (named in the journal).
    pub source_tag: Option<Tag>,
    /// Target repository.
    pub target_repository: Repository,
    /// Target tag.
    pub target_tag: Tag,
    /// What the target tag holds now.
    pub target_state: TargetState,
    /// Its attachments (`None`: copied without them).
    pub attachments: Option<Carry>,
    /// How the journal names it: a copy, or one item of a bulk copy.
    pub action: Action,
    /// The source manifest as the page already holds it (its exact bytes, by the plan's digest):
    /// the copy does not read it again.
    pub held: Option<Rc<FetchedManifest>>,
}

impl CopyPlan {
    /// Builds the plan from what the target tag holds now (`None`: it does not exist), without
    /// attachments.
    pub fn new(
        source_repository: Repository,
        source: Digest,
        target_repository: Repository,
        target_tag: Tag,
        current: Option<Digest>,
    ) -> Self {
        let target_state = target_state(Some(&source), current);
        CopyPlan {
            source_repository,
            source,
            source_tag: None,
            target_repository,
            target_tag,
            target_state,
            attachments: None,
            action: Action::Copy,
            held: None,
        }
    }

    /// The same plan, naming the tag the image was chosen by when `reference` is one (an
    /// exported script reads the source by it, and stops when it has moved).
    pub fn chosen_by(mut self, reference: &Reference) -> Self {
        if let Reference::Tag(tag) = reference {
            self.source_tag = Some(tag.clone());
        }
        self
    }

    /// One item of a bulk copy: `source_tag`'s image to `target_tag`, whose state the dry run
    /// read, and, when `attachments` is `Some`, what the dry run found attached to it (`Some(None)`:
    /// not looked up yet).
    pub fn item(
        (source_repository, source_tag, source): (&Repository, &Tag, &Digest),
        (target_repository, target_tag, target_state): (&Repository, &Tag, &TargetState),
        attachments: Option<Option<Discovered>>,
    ) -> Self {
        CopyPlan {
            source_repository: source_repository.clone(),
            source: source.clone(),
            source_tag: Some(source_tag.clone()),
            target_repository: target_repository.clone(),
            target_tag: target_tag.clone(),
            target_state: target_state.clone(),
            attachments: attachments.map(|found| Carry::Later(found.map(Box::new))),
            action: Action::BulkCopy,
            held: None,
        }
    }

    /// Every tag the copy would move off another image: the target tag, and the cosign tags of
    /// the planned attachments.
    pub fn moves(&self) -> Vec<&Tag> {
        let image = self.target_state.moves().then_some(&self.target_tag);
        let carried = match &self.attachments {
            Some(Carry::Planned(carry)) => carry.moves(),
            _ => Vec::new(),
        };
        image.into_iter().chain(carried).collect()
    }

    /// Whether sending needs the user's confirmation: a tag would move.
    pub fn needs_confirmation(&self) -> bool {
        !self.moves().is_empty()
    }

    /// The attachments planned for the page to show (a bulk item's are planned later).
    pub fn planned_attachments(&self) -> Option<&CarryPlan> {
        match &self.attachments {
            Some(Carry::Planned(carry)) => Some(carry),
            _ => None,
        }
    }

    fn summary(&self) -> String {
        match &self.source_tag {
            Some(tag) => format!("{}:{tag} → {}", self.source_repository, self.target_tag),
            None => format!("copied from {}@{}", self.source_repository, self.source.short()),
        }
    }
}

/// Plans a copy of `held` (the source manifest as the page read it: its digest is the image's)
/// from `source_repository`: what the target tag holds now (one HEAD) and, `with_attachments`,
/// what carrying the image's attachments will do ([`attachments::plan_carry`]). What is learned
/// of each end's referrers API stays in `ends`.
pub async fn plan<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, held): (Repository, Rc<FetchedManifest>),
    (target_repository, target_tag): (Repository, Tag),
    with_attachments: bool,
) -> Result<CopyPlan, Error> {
    let current = ends.target.manifest_digest(&target_repository, &Reference::Tag(target_tag.clone())).await?;
    let source = held.digest.clone();
    let mut plan = CopyPlan::new(source_repository, source, target_repository, target_tag, current);
    plan.held = Some(held);
    if with_attachments {
        let source_api = ends.referrers_api.get().0;
        let found = referrers::discover(ends.source, &plan.source_repository, &plan.source, source_api).await?;
        let repositories = (&plan.source_repository, &plan.target_repository);
        plan.attachments = Some(Carry::Planned(Box::new(attachments::plan_carry(ends, repositories, found).await?)));
    }
    Ok(plan)
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
    /// The attachments' (`None`: not carried, or the image's copy did not hold the source).
    pub attachments: Option<CarryReport>,
}

impl CopyReport {
    /// What keeps the copy from being whole: the target holding other bytes, or attachments that
    /// did not get there (a 429 among them stays itself). `None`: everything is in place.
    pub fn problem(&self, plan: &CopyPlan) -> Option<Error> {
        let place = format!("{}:{}", plan.target_repository, plan.target_tag);
        self.stored.mismatch(place, &self.source).or_else(|| self.attachments.as_ref()?.problem())
    }
}

/// Runs a plan. Refuses (sending nothing) while a tag it moves is not in `confirmed`.
/// `progress` is told after each step; `retry` waits out 429s (a bulk run) or not at all (a
/// page). Yields one journal entry for the target tag (a refusal before anything is sent yields
/// none), then one per attachment written.
pub async fn execute<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &CopyPlan,
    confirmed: &Confirmed,
    progress: &dyn Fn(&CopyProgress),
    retry: &Retry<'_>,
) -> Finished<CopyReport> {
    if let Err(refused) = confirmed.check(&plan.target_repository, plan.moves()) {
        return Finished::refused(refused);
    }
    // A refused step changed no tag: it is sent again, and only the last attempt is journaled.
    let outcome = retry.step(|| copy_image(ends, plan, progress)).await;
    let change = Entry::tag_write(
        plan.action.clone(),
        ends.target.url(),
        &plan.target_repository,
        &plan.target_tag,
        plan.target_state.current(&plan.source),
        &plan.source,
        outcome.as_ref().map(|r| &r.stored),
        plan.summary(),
    );
    let mut journal = vec![change];
    let mut report = match outcome {
        Ok(report) => report,
        Err(e) => return Finished { outcome: Err(e), journal },
    };
    if let Some(carry) = plan.attachments.as_ref().filter(|_| report.stored.holds_source()) {
        let base = finished_image(&report);
        let on_item = |done: usize, total: usize| {
            progress(&CopyProgress { attachments_done: done, attachments_total: total, ..base.clone() })
        };
        report.attachments = carry_attachments(ends, plan, carry, &on_item, retry, &mut journal).await;
    }
    Finished { outcome: Ok(report), journal }
}

/// Carries the attachments, planning them first where the plan left that for later. What was
/// carried before a 429 stays journaled; after the wait, the carry is planned again from what
/// the target holds by then. `None` when planning itself failed with anything but a 429 (the
/// image is in place; its report says the attachments were not carried).
async fn carry_attachments<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &CopyPlan,
    carry: &Carry,
    progress: &dyn Fn(usize, usize),
    retry: &Retry<'_>,
    journal: &mut Vec<Entry>,
) -> Option<CarryReport> {
    let repositories = (&plan.source_repository, &plan.target_repository);
    let mut planned = match carry {
        Carry::Planned(carry_plan) => Ok(carry_plan.as_ref().clone()),
        Carry::Later(Some(found)) => Err(found.as_ref().clone()),
        Carry::Later(None) => {
            let api = ends.referrers_api.get().0;
            match retry.step(|| referrers::discover(ends.source, repositories.0, &plan.source, api)).await {
                Ok(found) => Err(found),
                Err(e) => return Some(CarryReport { items: Vec::new(), index: Some(Err(e)) }),
            }
        }
    };
    loop {
        let carry_plan = match planned {
            Ok(carry_plan) => carry_plan,
            Err(found) => match retry.step(|| attachments::plan_carry(ends, repositories, found.clone())).await {
                Ok(carry_plan) => carry_plan,
                Err(e) => {
                    let failed = found.referrers.iter().map(|r| attachments::Carried {
                        digest: r.digest.clone(),
                        tag: r.tag().cloned(),
                        outcome: Err(e.clone()),
                    });
                    return Some(CarryReport { items: failed.collect(), index: None });
                }
            },
        };
        let total = carry_plan.items.len();
        let carried = attachments::carry(ends, repositories, &carry_plan, &|done| progress(done, total)).await;
        journal.extend(carried.journal);
        let report = carried.outcome.ok()?;
        let throttled = report.failures().find(|e| e.is_throttled()).cloned();
        match throttled {
            Some(throttled) if retry.again(&throttled).await => planned = Err(carry_plan.discovered()),
            _ => return Some(report),
        }
    }
}

/// The progress of a finished image copy, for the attachments' turn.
fn finished_image(report: &CopyReport) -> CopyProgress {
    let bytes: u64 = report.blobs.iter().map(|(_, size, _)| size).sum();
    CopyProgress {
        blobs_total: report.blobs.len(),
        blobs_done: report.blobs.len(),
        bytes_total: bytes,
        bytes_done: bytes,
        manifests_done: report.children.len() + 1,
        manifests_total: report.children.len() + 1,
        ..CopyProgress::default()
    }
}

/// The image itself: its content moved, the target tag checked against the plan, the top
/// manifest written by tag.
async fn copy_image<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &CopyPlan,
    progress: &dyn Fn(&CopyProgress),
) -> Result<CopyReport, Error> {
    let top = match plan.held.as_deref().filter(|held| held.digest == plan.source) {
        Some(held) => held.clone(),
        None => ends.source.manifest_get(&plan.source_repository, &Reference::Digest(plan.source.clone())).await?,
    };
    let repositories = (&plan.source_repository, &plan.target_repository);
    let moved = transfer::transfer(ends, repositories, top, progress).await?;
    let top = &moved.manifests[0];
    // The blobs may have taken a while: the tag must still hold what the user agreed to move.
    transfer::still_as_planned(
        ends.target,
        &plan.target_repository,
        &plan.target_tag,
        &plan.target_state,
        &plan.source,
    )
    .await?;
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
        attachments: None,
    })
}
