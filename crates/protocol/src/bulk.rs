//! Promote many tags at once: a naming rule turns each selected tag into a target, a dry-run plan
//! says what every operation will do before anything is sent, and a runner works through the
//! items a few at a time, can be stopped between items, and reports each item's end.
//!
//! Within one repository an item is a retag (GET by digest, PUT by tag; the GET is shared by items
//! of the same image). Into another repository or registry it is a [`crate::copy`].

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::attachments;
use crate::copy::{self, CopyPlan, Endpoints};
use crate::error::Error;
use crate::flow::{target_state, Stored, TargetState};
use crate::http::Transport;
use crate::journal::{action, Entry};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, NameError, Reference, Repository, Tag};
use crate::referrers::{self, ApiSupport, Discovered};

/// Items in flight at once unless the user picks another number.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most the form allows: browsers open 6 connections per HTTP/1.1 host.
pub const MAX_CONCURRENCY: usize = 6;

/// How often one step (an item's write, its attachments, a dry-run lookup) waits out a 429 before it fails with it.
pub const MAX_THROTTLED_ATTEMPTS: usize = 8;

/// What a run does when the registry answers 429 Too Many Requests. The core has no clock: the
/// app waits (and shows why), and the item is tried again when the future ends.
pub trait Throttle {
    /// A 429 arrived, with its `Retry-After` if any: the future ends when the run may go on.
    fn throttled<'a>(&'a self, retry_after: Option<&'a str>) -> Pin<Box<dyn Future<Output = ()> + 'a>>;
    /// Before an item starts: ends at once unless a pause is on.
    fn ready(&self) -> Pin<Box<dyn Future<Output = ()> + '_>>;
}

/// No waiting at all: for runs whose registry never throttles, and for scripted tests.
pub struct NoWait;

impl Throttle for NoWait {
    fn throttled<'a>(&'a self, _: Option<&'a str>) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(std::future::ready(()))
    }
    fn ready(&self) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// Whether an error is the registry asking to slow down.
fn is_throttled(error: &Error) -> bool {
    error.status() == Some(429)
}

/// After a failed step: a 429 with waits left (counted in `waits`) is waited out and the step is
/// tried again (`true`); anything else ends it (`false`). `before_wait` is told the error and the
/// number of the attempt that follows, before the wait.
async fn wait_out_429(
    throttle: &dyn Throttle,
    waits: &Cell<usize>,
    error: &Error,
    before_wait: impl FnOnce(usize),
) -> bool {
    if !is_throttled(error) || waits.get() >= MAX_THROTTLED_ATTEMPTS {
        return false;
    }
    waits.set(waits.get() + 1);
    before_wait(waits.get() + 1);
    throttle.throttled(error.retry_after()).await;
    true
}

/// How a selected tag's target tag is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamingRule {
    /// The same name (copies to another repository or registry).
    Keep,
    /// `prefix` + the tag.
    Prefix(String),
    /// The tag + `suffix`.
    Suffix(String),
    /// One fixed tag (for a single selected tag, e.g. promoting it to `stable`).
    Fixed(String),
}

impl NamingRule {
    /// The target tag for `tag`, validated.
    pub fn apply(&self, tag: &str) -> Result<Tag, NameError> {
        Tag::parse(&match self {
            NamingRule::Keep => tag.to_string(),
            NamingRule::Prefix(p) => format!("{p}{tag}"),
            NamingRule::Suffix(s) => format!("{tag}{s}"),
            NamingRule::Fixed(f) => f.clone(),
        })
    }
}

/// Pairs each selected tag with its target. Every problem is reported: invalid results, two
/// sources writing one target, or a retag of a tag onto itself.
pub fn name_targets(selected: &[String], rule: &NamingRule, same_place: bool) -> Result<Vec<(Tag, Tag)>, Vec<String>> {
    let mut pairs = Vec::new();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for source in selected {
        let Ok(source_tag) = Tag::parse(source) else {
            problems.push(format!("“{source}” is not a valid tag"));
            continue;
        };
        match rule.apply(source) {
            Err(e) => problems.push(format!("{source} → {e}")),
            Ok(target) if same_place && target == source_tag => {
                problems.push(format!("{source} → {target}: the same tag in the same repository; change the rule"))
            }
            // The set holds the names as text: one set type for the whole bundle.
            Ok(target) if !seen.insert(target.to_string()) => {
                problems.push(format!("{source} → {target}: another selected tag already writes {target}"))
            }
            Ok(target) => pairs.push((source_tag, target)),
        }
    }
    if pairs.is_empty() && problems.is_empty() {
        problems.push("select at least one tag".into());
    }
    if problems.is_empty() {
        Ok(pairs)
    } else {
        Err(problems)
    }
}

/// One operation of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItem {
    /// The selected tag.
    pub source_tag: Tag,
    /// The image it points at now (`None`: it vanished since the list was read).
    pub source: Option<Digest>,
    /// Where it goes.
    pub target_tag: Tag,
    /// What the target holds now.
    pub target_state: TargetState,
}

impl BulkItem {
    /// Whether running it changes anything.
    pub fn is_needed(&self) -> bool {
        self.source.is_some() && self.target_state != TargetState::AlreadySource
    }

    /// Its state before a run: waiting, or skipped with the reason when there is nothing to do.
    pub fn initial_state(&self) -> ItemState {
        match (&self.source, &self.target_state) {
            (None, _) => ItemState::Skipped(format!("{} no longer exists", self.source_tag)),
            (_, TargetState::AlreadySource) => ItemState::Skipped("already in place".into()),
            _ => ItemState::Waiting,
        }
    }
}

/// The dry run: every operation, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPlan {
    /// Where the selected tags are.
    pub source_repository: Repository,
    /// Where the targets go.
    pub target_repository: Repository,
    /// Copy (another repository or registry) rather than retag.
    pub copy: bool,
    /// For a copy: carry each image's signatures and attachments after it
    /// ([`crate::attachments`]).
    pub with_attachments: bool,
    /// What [`find_attachments`] found for each distinct image, for the dry run to list and the
    /// run to carry (an image missing here is looked up when its turn comes).
    pub attachments: Vec<Discovered>,
    /// The operations, in selection order.
    pub items: Vec<BulkItem>,
}

impl BulkPlan {
    /// How many existing target tags will move to another image.
    pub fn moves(&self) -> usize {
        self.items.iter().filter(|i| i.source.is_some() && i.target_state.moves()).count()
    }

    /// The items that change something.
    pub fn needed(&self) -> Vec<usize> {
        (0..self.items.len()).filter(|&i| self.items[i].is_needed()).collect()
    }

    /// Every item's state before a run.
    pub fn initial_states(&self) -> Vec<ItemState> {
        self.items.iter().map(BulkItem::initial_state).collect()
    }

    /// The needed items a retry runs again, given each item's state: failed or not started.
    pub fn retryable(&self, states: &[ItemState]) -> Vec<usize> {
        self.needed().into_iter().filter(|&i| states.get(i).is_some_and(ItemState::is_retryable)).collect()
    }
}

/// Runs `work(i)` for `i` in `0..count`, at most `concurrency` at a time, in order of `i`; stops
/// starting new ones once `stop()` says so. Returns how many were started.
pub async fn for_each_bounded<F, Fut>(count: usize, concurrency: usize, stop: &dyn Fn() -> bool, work: F) -> usize
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    bounded(count, concurrency, stop, &|i| Box::pin(work(i))).await
}

/// A future of a type only its maker knows.
type Boxed<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// [`for_each_bounded`] with the work boxed: the workers and their join exist once in the
/// bundle, whatever the work.
async fn bounded<'a>(
    count: usize,
    concurrency: usize,
    stop: &'a dyn Fn() -> bool,
    work: &'a dyn Fn(usize) -> Boxed<'a>,
) -> usize {
    let next = &Cell::new(0usize);
    let workers = (0..concurrency.clamp(1, count.max(1)))
        .map(|_| {
            Some(Box::pin(async move {
                loop {
                    let i = next.get();
                    if i >= count || stop() {
                        return;
                    }
                    next.set(i + 1);
                    work(i).await;
                }
            }) as Boxed<'_>)
        })
        .collect();
    JoinAll(workers).await;
    next.get()
}

/// Runs every future to its end. Each time the task wakes, every future still running is polled
/// in order: a handful of workers, so that is cheap, and it is the order `futures`' `join_all`
/// polls a short list in.
struct JoinAll<'a>(Vec<Option<Boxed<'a>>>);

impl Future for JoinAll<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut running = false;
        for slot in self.0.iter_mut() {
            if let Some(future) = slot {
                if future.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    running = true;
                }
            }
        }
        if running {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// What a source tag and its target point at (`None`: the tag does not exist).
type Lookup = Result<(Option<Digest>, Option<Digest>), Error>;

/// Reads what each source and target tag points at now, `concurrency` lookups at a time.
pub async fn plan<T: Transport>(
    ends: &Endpoints<'_, T>,
    source_repository: &Repository,
    target_repository: &Repository,
    pairs: Vec<(Tag, Tag)>,
    concurrency: usize,
    throttle: &dyn Throttle,
) -> Result<BulkPlan, Error> {
    let copy = !(ends.same_registry() && source_repository == target_repository);
    let found: RefCell<Vec<Option<Lookup>>> = RefCell::new(vec![None; pairs.len()]);
    let failed = Cell::new(false);
    for_each_bounded(pairs.len(), concurrency, &|| failed.get(), |i| {
        let (source_tag, target_tag) = &pairs[i];
        let found = &found;
        let failed = &failed;
        async move {
            let waits = Cell::new(0);
            let lookup = loop {
                throttle.ready().await;
                let lookup: Lookup = async {
                    let source =
                        ends.source.manifest_digest(source_repository, &Reference::Tag(source_tag.clone())).await?;
                    let target =
                        ends.target.manifest_digest(target_repository, &Reference::Tag(target_tag.clone())).await?;
                    Ok((source, target))
                }
                .await;
                // A 429 during the dry run waits too: the plan is read again, not failed.
                match &lookup {
                    Err(e) if wait_out_429(throttle, &waits, e, |_| {}).await => {}
                    _ => break lookup,
                }
            };
            failed.set(failed.get() || lookup.is_err());
            found.borrow_mut()[i] = Some(lookup);
        }
    })
    .await;
    let mut items = Vec::with_capacity(pairs.len());
    for ((source_tag, target_tag), lookup) in pairs.into_iter().zip(found.into_inner()) {
        let (source, current) = lookup.unwrap_or(Ok((None, None)))?;
        let target_state = target_state(source.as_ref(), current);
        items.push(BulkItem { source_tag, source, target_tag, target_state });
    }
    Ok(BulkPlan {
        source_repository: source_repository.clone(),
        target_repository: target_repository.clone(),
        copy,
        with_attachments: copy,
        attachments: Vec::new(),
        items,
    })
}

/// Finds the attachments of every distinct image the plan copies, `concurrency` at a time, so
/// the dry run can list them (a few requests per image, not per tag). `api` is what is known of
/// the source's referrers API; returns what was learned.
pub async fn find_attachments<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &mut BulkPlan,
    concurrency: usize,
    api: ApiSupport,
) -> Result<ApiSupport, Error> {
    let mut distinct: Vec<Digest> = Vec::new();
    for digest in plan.items.iter().filter(|i| i.is_needed()).filter_map(|i| i.source.as_ref()) {
        if !distinct.contains(digest) {
            distinct.push(digest.clone());
        }
    }
    // The first answer tells whether the API is served; the others then go straight to the tag.
    let learned = Cell::new(api);
    let found: RefCell<Vec<Option<Result<Discovered, Error>>>> = RefCell::new(vec![None; distinct.len()]);
    let failed = Cell::new(false);
    let repository = &plan.source_repository;
    for_each_bounded(distinct.len(), concurrency, &|| failed.get(), |k| {
        let (found, failed, learned, digest) = (&found, &failed, &learned, &distinct[k]);
        async move {
            let discovered = referrers::discover(ends.source, repository, digest, learned.get()).await;
            match &discovered {
                Ok(d) => learned.set(d.api),
                Err(_) => failed.set(true),
            }
            found.borrow_mut()[k] = Some(discovered);
        }
    })
    .await;
    plan.attachments = found.into_inner().into_iter().flatten().collect::<Result<_, _>>()?;
    Ok(learned.get())
}

impl BulkPlan {
    /// What was found attached to `digest` ([`find_attachments`]).
    pub fn attachments_of(&self, digest: &Digest) -> Option<&Discovered> {
        self.attachments.iter().find(|d| &d.subject == digest)
    }
}

/// How an item ended, or where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    /// Waiting for a free slot.
    Waiting,
    /// Being sent.
    Running,
    /// Stored: verified against the source digest, or unverifiable (header hidden). A registry
    /// that answers another digest makes the item [`ItemState::Failed`].
    Done(Stored),
    /// Nothing to do: the target already holds the image, or the source tag vanished.
    Skipped(String),
    /// It failed; the target is as it was or, for a copy, holds only blobs (no manifest).
    Failed(Error),
    /// Never started: the run was cancelled or stopped first.
    NotStarted,
    /// Waiting because the registry answered 429; it goes on by itself. Says what the registry
    /// asked for.
    Paused(String),
}

impl ItemState {
    /// Whether a retry should run it again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ItemState::Failed(_) | ItemState::NotStarted | ItemState::Waiting | ItemState::Paused(_))
    }
}

/// The source manifests of a run, each read once: by digest, kept sorted (a binary search finds
/// one; a run has at most as many as it has items).
#[derive(Default)]
struct Manifests(RefCell<Vec<(Digest, Rc<FetchedManifest>)>>);

impl Manifests {
    fn find(list: &[(Digest, Rc<FetchedManifest>)], digest: &Digest) -> Result<usize, usize> {
        list.binary_search_by(|(d, _)| d.as_str().cmp(digest.as_str()))
    }

    fn get(&self, digest: &Digest) -> Option<Rc<FetchedManifest>> {
        let list = self.0.borrow();
        Self::find(&list, digest).ok().map(|i| list[i].1.clone())
    }

    fn insert(&self, digest: &Digest, manifest: Rc<FetchedManifest>) {
        let mut list = self.0.borrow_mut();
        match Self::find(&list, digest) {
            Ok(i) => list[i].1 = manifest,
            Err(i) => list.insert(i, (digest.clone(), manifest)),
        }
    }
}

/// Runs the plan's items at `indices`, `concurrency` at a time. `cancelled()` is read before each
/// item starts; `report(i, state, entries)` is told every change, with the journal entries of an
/// item that ended having sent something (handed over at once, so a run that is stopped or left
/// keeps what it did): its tag write, then one per attachment it carried. Items not started end
/// `NotStarted`. An item the registry answers 429 is reported [`ItemState::Paused`], waits for
/// `throttle`, and goes on from the step that was refused (at most [`MAX_THROTTLED_ATTEMPTS`]
/// times); no item starts while a pause is on.
#[allow(clippy::too_many_arguments)] // The plan, its scope, and what the app provides: each distinct.
pub async fn run<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &BulkPlan,
    indices: &[usize],
    concurrency: usize,
    cancelled: &dyn Fn() -> bool,
    throttle: &dyn Throttle,
    report: &dyn Fn(usize, ItemState, Vec<Entry>),
) {
    let manifests = Manifests::default();
    // What each end has shown of its referrers API, learned by the first item that asks.
    let apis = Cell::new((ApiSupport::Unknown, ApiSupport::Unknown));
    if !plan.copy {
        // Each image is read once, before its tags are written: concurrent items of one image
        // would otherwise all miss the cache and read it together.
        let mut distinct: Vec<&Digest> = Vec::new();
        for item in indices.iter().map(|&i| &plan.items[i]).filter(|item| item.is_needed()) {
            if let Some(d) = item.source.as_ref().filter(|d| !distinct.contains(d)) {
                distinct.push(d);
            }
        }
        for_each_bounded(distinct.len(), concurrency, cancelled, |k| {
            let manifests = &manifests;
            let digest = distinct[k];
            async move {
                throttle.ready().await;
                // A failure here is met again, and reported, by the items of this image.
                if let Ok(m) = source_manifest(ends, plan, digest).await {
                    manifests.insert(digest, Rc::new(m));
                }
            }
        })
        .await;
    }
    let started = for_each_bounded(indices.len(), concurrency, cancelled, |n| {
        let i = indices[n];
        let (manifests, apis) = (&manifests, &apis);
        async move {
            throttle.ready().await;
            // Stopped while a pause held this item back: it never started.
            if cancelled() {
                report(i, ItemState::NotStarted, Vec::new());
                return;
            }
            report(i, ItemState::Running, Vec::new());
            let paced = Paced { throttle, cancelled, report, item: i, waits: Cell::new(0) };
            let (state, changes) = run_item(ends, plan, &plan.items[i], manifests, apis, &paced).await;
            report(i, state, changes);
        }
    })
    .await;
    for &i in &indices[started..] {
        report(i, ItemState::NotStarted, Vec::new());
    }
}

/// One item's way through 429s: how often it was throttled, and whom to tell.
struct Paced<'a> {
    throttle: &'a dyn Throttle,
    cancelled: &'a dyn Fn() -> bool,
    report: &'a dyn Fn(usize, ItemState, Vec<Entry>),
    item: usize,
    waits: Cell<usize>,
}

impl Paced<'_> {
    /// After a failed step: whether to try it again (a 429, attempts left), having waited.
    async fn wait_after(&self, error: &Error) -> bool {
        if (self.cancelled)() {
            return false;
        }
        let tell = |next: usize| {
            let asked = match error.retry_after() {
                Some(after) => format!("Retry-After: {after}"),
                None => "no Retry-After".to_string(),
            };
            let why = format!(
                "the registry answered 429 Too Many Requests ({asked}); the run waits and resumes by itself (attempt {next} of {} next)",
                MAX_THROTTLED_ATTEMPTS + 1
            );
            (self.report)(self.item, ItemState::Paused(why), Vec::new());
        };
        if !wait_out_429(self.throttle, &self.waits, error, tell).await {
            return false;
        }
        // Stopped during the pause: the item ends with the 429 it met (a retry runs it again).
        if (self.cancelled)() {
            return false;
        }
        (self.report)(self.item, ItemState::Running, Vec::new());
        true
    }
}

async fn run_item<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &BulkPlan,
    item: &BulkItem,
    manifests: &Manifests,
    apis: &Cell<(ApiSupport, ApiSupport)>,
    paced: &Paced<'_>,
) -> (ItemState, Vec<Entry>) {
    let Some(source) = &item.source else {
        return (ItemState::Skipped(format!("{} no longer exists", item.source_tag)), Vec::new());
    };
    if item.target_state == TargetState::AlreadySource {
        return (ItemState::Skipped(format!("{} already points at this image", item.target_tag)), Vec::new());
    }
    let stored = loop {
        let stored = if plan.copy {
            let copy_plan = CopyPlan {
                source_repository: plan.source_repository.clone(),
                source: source.clone(),
                target_repository: plan.target_repository.clone(),
                target_tag: item.target_tag.clone(),
                target_state: item.target_state.clone(),
            };
            // The user confirmed the whole plan, moves included.
            copy::copy_image(ends, &copy_plan, &|_| {}).await.map(|r| r.stored)
        } else {
            retag_one(ends, plan, item, source, manifests).await
        };
        // A refused step changed no tag: it is tried again, and only the last attempt is journaled.
        match &stored {
            Err(e) if paced.wait_after(e).await => continue,
            _ => break stored,
        }
    };
    let change = Entry::tag_write(
        if plan.copy { action::BULK_COPY } else { action::BULK_RETAG },
        ends.target.url(),
        &plan.target_repository,
        &item.target_tag,
        item.target_state.current(source),
        source,
        stored.as_ref(),
        format!("{}:{} → {}", plan.source_repository, item.source_tag, item.target_tag),
    );
    let mut changes = vec![change];
    let state = match stored {
        Ok(stored) => match stored.mismatch(format!("{}:{}", plan.target_repository, item.target_tag), source) {
            Some(mismatch) => ItemState::Failed(mismatch),
            None if plan.copy && plan.with_attachments => loop {
                // What was carried before a 429 stays journaled; the next attempt plans again
                // from what the target holds.
                match carry_attachments(ends, plan, source, apis, &mut changes).await {
                    Ok(()) => break ItemState::Done(stored),
                    Err(e) if paced.wait_after(&e).await => continue,
                    Err(e) => break ItemState::Failed(e),
                }
            },
            None => ItemState::Done(stored),
        },
        Err(e) => ItemState::Failed(e),
    };
    (state, changes)
}

/// After an item's image is in place: finds its attachments and carries them, adding their
/// journal entries. An attachment that did not get there fails the item (a retry copies what is
/// missing: the image is in place, and what is there already is not written again).
async fn carry_attachments<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &BulkPlan,
    source: &Digest,
    apis: &Cell<(ApiSupport, ApiSupport)>,
    changes: &mut Vec<Entry>,
) -> Result<(), Error> {
    let (source_api, target_api) = apis.get();
    let found = match plan.attachments_of(source) {
        Some(found) => found.clone(),
        None => referrers::discover(ends.source, &plan.source_repository, source, source_api).await?,
    };
    let repositories = (&plan.source_repository, &plan.target_repository);
    let learned = found.api;
    let carry_plan = attachments::plan_carry(ends, repositories, found, target_api).await?;
    apis.set((learned, carry_plan.target_api));
    let carried = attachments::carry(ends, repositories, &carry_plan, &|_| {}).await;
    changes.extend(carried.journal);
    let report = carried.outcome?;
    if report.complete() {
        return Ok(());
    }
    let failures = || {
        report
            .items
            .iter()
            .filter_map(|i| i.outcome.as_ref().err())
            .chain(report.index.as_ref().and_then(|i| i.as_ref().err()))
    };
    // A 429 stays itself, so the run waits and carries the rest.
    if let Some(throttled) = failures().find(|e| is_throttled(e)) {
        return Err(throttled.clone());
    }
    let missing = report.items.iter().filter(|i| i.outcome.is_err()).count();
    let first = failures().next().map(Error::headline).unwrap_or_default();
    Err(Error::Unsupported(format!(
        "The image was copied, but {missing} of its {} attachments (or their fallback index) were not: {first}. Retry \
         to copy what is missing.",
        report.items.len()
    )))
}

/// The source image by digest, refused when it is schema 1 (its signature names the tag).
async fn source_manifest<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &BulkPlan,
    digest: &Digest,
) -> Result<FetchedManifest, Error> {
    let fetched = ends.source.manifest_get(&plan.source_repository, &Reference::Digest(digest.clone())).await?;
    if fetched.media_type.is_schema1() {
        return Err(Error::Unsupported(crate::manifest::SCHEMA1_EXPLANATION.to_string()));
    }
    Ok(fetched)
}

async fn retag_one<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &BulkPlan,
    item: &BulkItem,
    source: &Digest,
    manifests: &Manifests,
) -> Result<Stored, Error> {
    let cached = manifests.get(source);
    let manifest = match cached {
        Some(m) => m,
        None => {
            let fetched = Rc::new(source_manifest(ends, plan, source).await?);
            manifests.insert(source, fetched.clone());
            fetched
        }
    };
    let put =
        ends.target.manifest_put(&plan.target_repository, &Reference::Tag(item.target_tag.clone()), &manifest).await?;
    Ok(Stored::from_answer(source, put.digest.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn naming_rules_validate_and_refuse_collisions() {
        let pairs = name_targets(&tags(&["1.0", "1.1"]), &NamingRule::Prefix("rc-".into()), true).unwrap();
        assert_eq!(pairs[1].1.as_str(), "rc-1.1");
        assert_eq!(NamingRule::Suffix("-prod".into()).apply("v2").unwrap().as_str(), "v2-prod");
        let fixed = name_targets(&tags(&["a", "b"]), &NamingRule::Fixed("stable".into()), true).unwrap_err();
        assert!(fixed[0].contains("already writes stable"), "{fixed:?}");
        let itself = name_targets(&tags(&["a"]), &NamingRule::Keep, true).unwrap_err();
        assert!(itself[0].contains("same tag"), "{itself:?}");
        assert_eq!(name_targets(&tags(&["a"]), &NamingRule::Keep, false).unwrap()[0].1.as_str(), "a");
        let bad = name_targets(&tags(&["a"]), &NamingRule::Prefix("/".into()), true).unwrap_err();
        assert!(bad[0].starts_with("a → "), "{bad:?}");
        assert!(name_targets(&[], &NamingRule::Keep, false).unwrap_err()[0].contains("at least one"));
    }

    #[test]
    fn bounded_runs_keep_to_the_limit_and_stop_when_told() {
        let in_flight = Cell::new(0usize);
        let most = Cell::new(0usize);
        let done = RefCell::new(Vec::new());
        let stop_after = Cell::new(usize::MAX);
        let started = pollster::block_on(for_each_bounded(10, 3, &|| done.borrow().len() >= stop_after.get(), |i| {
            let (in_flight, most, done) = (&in_flight, &most, &done);
            async move {
                in_flight.set(in_flight.get() + 1);
                most.set(most.get().max(in_flight.get()));
                YieldOnce(false).await;
                in_flight.set(in_flight.get() - 1);
                done.borrow_mut().push(i);
            }
        }));
        assert_eq!(started, 10);
        assert_eq!(most.get(), 3, "three workers overlapped, never more");
        assert_eq!(done.borrow().len(), 10);

        done.borrow_mut().clear();
        stop_after.set(4);
        let started = pollster::block_on(for_each_bounded(10, 2, &|| done.borrow().len() >= stop_after.get(), |i| {
            let done = &done;
            async move {
                YieldOnce(false).await;
                done.borrow_mut().push(i);
            }
        }));
        assert!((4..=5).contains(&started), "stopped starting new items: {started}");
    }

    /// Pending once, then ready: lets the other workers run.
    struct YieldOnce(bool);
    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            if self.0 {
                std::task::Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    }
}
