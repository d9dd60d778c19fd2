//! Promote many tags at once: a naming rule turns each selected tag into a target, a dry-run plan
//! says what every operation will do before anything is sent, and the one runner
//! ([`crate::runner`]) works through the items a few at a time.
//!
//! An item *is* a single-item flow: within one repository a retag ([`RetagPlan::item`]; each
//! image is read once, before its tags are written), into another repository or registry a copy
//! with its attachments ([`CopyPlan::item`]). Confirming the dry run confirms every move it
//! lists.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use crate::copy::{self, CopyPlan};
use crate::error::Error;
use crate::flow::{Confirmed, Finished};
use crate::http::Transport;
use crate::manifest::FetchedManifest;
use crate::names::{Digest, NameError, Reference, Repository, Tag};
use crate::pace::{Retry, Throttle};
use crate::referrers::{self, Discovered};
use crate::retag::{self, RetagPlan};
use crate::runner::{self, for_each_bounded, ItemFlow, ItemState};
use crate::state::{target_state, TargetState};
use crate::transfer::Endpoints;

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
    /// How many tags the dry run asked the registry about; the others were known from the tag
    /// list read in this visit.
    pub looked_up: usize,
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

/// What a source tag and its target point at (`None`: the tag does not exist).
type Lookup = Result<(Option<Digest>, Option<Digest>), Error>;

/// What the page already knows of a tag of the repository it lists, read in this visit: a HEAD
/// answered its digest, or the tag list (and a HEAD's 404) says it is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// A HEAD in this visit answered this digest.
    Digest(Digest),
    /// Not in the tag list read in this visit, or a HEAD answered 404.
    Absent,
    /// Not read yet, or only from an earlier visit: the dry run HEADs it.
    Unknown,
}

/// Nothing is known: every tag is looked up.
pub fn nothing_known(_: &Tag) -> Known {
    Known::Unknown
}

/// Reads what each source and target tag points at now, `concurrency` lookups at a time. `known`
/// says what the page already knows of the tags of the source repository (the tag list's
/// glance): those are not asked again, so a dry run within a listed repository sends a HEAD only
/// for what is not fresh. Tags of another repository or registry are always asked.
pub async fn plan<T: Transport>(
    ends: &Endpoints<'_, T>,
    (source_repository, target_repository): (&Repository, &Repository),
    pairs: Vec<(Tag, Tag)>,
    concurrency: usize,
    throttle: &dyn Throttle,
    known: &dyn Fn(&Tag) -> Known,
) -> Result<BulkPlan, Error> {
    let copy = !(ends.same_registry() && source_repository == target_repository);
    let found: RefCell<Vec<Option<Lookup>>> = RefCell::new(vec![None; pairs.len()]);
    let failed = Cell::new(false);
    let looked_up = Cell::new(0);
    for_each_bounded(pairs.len(), concurrency, &|| failed.get(), |i| {
        let (source_tag, target_tag) = &pairs[i];
        let (found, failed, looked_up) = (&found, &failed, &looked_up);
        async move {
            // A 429 during the dry run waits too: the lookup is sent again, not failed.
            let retry = Retry::quietly(throttle, &|| false);
            retry.ready().await;
            let (source_known, target_known) =
                (known(source_tag), if copy { Known::Unknown } else { known(target_tag) });
            let asked = [&source_known, &target_known].iter().filter(|k| ***k == Known::Unknown).count();
            looked_up.set(looked_up.get() + asked);
            let lookup: Lookup = async {
                let source = look(&retry, (ends.source, source_repository), source_tag, source_known).await?;
                let target = look(&retry, (ends.target, target_repository), target_tag, target_known).await?;
                Ok((source, target))
            }
            .await;
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
        looked_up: looked_up.get(),
    })
}

/// One tag's digest: what the page knows, or a HEAD (a GET where the header is hidden), its 429s
/// waited out; `None`: it does not exist.
async fn look<T: Transport>(
    retry: &Retry<'_>,
    (registry, repository): (&crate::client::Registry<T>, &Repository),
    tag: &Tag,
    known: Known,
) -> Result<Option<Digest>, Error> {
    match known {
        Known::Digest(digest) => Ok(Some(digest)),
        Known::Absent => Ok(None),
        Known::Unknown => {
            let reference = Reference::Tag(tag.clone());
            retry.step(|| registry.manifest_digest(repository, &reference)).await
        }
    }
}

/// Finds the attachments of every distinct image the plan copies, `concurrency` at a time, so
/// the dry run can list them (a few requests per image, not per tag). What is learned of the
/// source's referrers API stays in `ends`.
pub async fn find_attachments<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &mut BulkPlan,
    concurrency: usize,
) -> Result<(), Error> {
    let (api, target_api) = ends.referrers_api.get();
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
    ends.referrers_api.set((learned.get(), target_api));
    plan.attachments = found.into_inner().into_iter().flatten().collect::<Result<_, _>>()?;
    Ok(())
}

impl BulkPlan {
    /// What was found attached to `digest` ([`find_attachments`]).
    pub fn attachments_of(&self, digest: &Digest) -> Option<&Discovered> {
        self.attachments.iter().find(|d| &d.subject == digest)
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

/// Runs the plan's items at `indices`, `concurrency` at a time, through the one runner
/// ([`runner::run`]: stop, pauses on 429, per-item states and journal entries). The plan was
/// confirmed as a whole, moves included. Within one repository each distinct image is read once,
/// before its tags are written: concurrent items of one image would otherwise all miss the cache
/// and read it together.
pub async fn run<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &BulkPlan,
    indices: &[usize],
    concurrency: usize,
    stopped: &dyn Fn() -> bool,
    throttle: &dyn Throttle,
    report: &dyn Fn(usize, ItemState, Vec<crate::journal::Entry>),
) {
    let manifests = Manifests::default();
    if !plan.copy {
        let mut distinct: Vec<&Digest> = Vec::new();
        for item in indices.iter().map(|&i| &plan.items[i]).filter(|item| item.is_needed()) {
            if let Some(d) = item.source.as_ref().filter(|d| !distinct.contains(d)) {
                distinct.push(d);
            }
        }
        for_each_bounded(distinct.len(), concurrency, stopped, |k| {
            let (manifests, digest) = (&manifests, distinct[k]);
            async move {
                throttle.ready().await;
                // A failure here is met again, and reported, by the items of this image.
                if let Ok(m) = retag::read_source(ends.source, &plan.source_repository, digest).await {
                    manifests.insert(digest, Rc::new(m));
                }
            }
        })
        .await;
    }
    runner::run(indices, concurrency, stopped, throttle, report, &items(ends, plan, &manifests)).await;
}

/// Each item's flow, for the runner.
fn items<'r, T: Transport>(
    ends: &'r Endpoints<'r, T>,
    plan: &'r BulkPlan,
    manifests: &'r Manifests,
) -> impl Fn(usize, Retry<'r>) -> ItemFlow<'r> + 'r {
    move |i, retry| Box::pin(async move { run_item(ends, plan, &plan.items[i], manifests, &retry).await })
}

/// One item: skipped when there is nothing to do, otherwise its retag or copy flow, its ending
/// read as the item's state.
async fn run_item<T: Transport>(
    ends: &Endpoints<'_, T>,
    plan: &BulkPlan,
    item: &BulkItem,
    manifests: &Manifests,
    retry: &Retry<'_>,
) -> Finished<ItemState> {
    let skipped = |why: String| Finished { outcome: Ok(ItemState::Skipped(why)), journal: Vec::new() };
    let Some(source) = &item.source else {
        return skipped(format!("{} no longer exists", item.source_tag));
    };
    if item.target_state == TargetState::AlreadySource {
        return skipped(format!("{} already points at this image", item.target_tag));
    }
    if plan.copy {
        let attachments = plan.with_attachments.then(|| plan.attachments_of(source).cloned());
        let copy_plan = CopyPlan::item(
            (&plan.source_repository, &item.source_tag, source),
            (&plan.target_repository, &item.target_tag, &item.target_state),
            attachments,
        );
        let confirmed = Confirmed::tags(copy_plan.moves());
        let copied = copy::execute(ends, &copy_plan, &confirmed, &|_| {}, retry).await;
        let outcome = copied.outcome.map(|report| match report.problem(&copy_plan) {
            Some(problem) => ItemState::Failed(problem),
            None => ItemState::Done(report.stored),
        });
        return Finished { outcome, journal: copied.journal };
    }
    let retag_plan =
        RetagPlan::item(&plan.target_repository, (&item.source_tag, source), (&item.target_tag, &item.target_state));
    let manifest = match manifests.get(source) {
        Some(m) => m,
        None => match retry.step(|| retag::read_source(ends.source, &plan.source_repository, source)).await {
            Ok(m) => {
                let m = Rc::new(m);
                manifests.insert(source, m.clone());
                m
            }
            Err(e) => return Finished::refused(e),
        },
    };
    let written = retag::write(ends.target, &retag_plan, &manifest, retry).await;
    let outcome = written.outcome.map(|report| match report.outcomes.into_iter().next() {
        Some((tag, retag::TargetOutcome::Stored { stored, .. })) => {
            match stored.mismatch(format!("{}:{tag}", plan.target_repository), source) {
                Some(mismatch) => ItemState::Failed(mismatch),
                None => ItemState::Done(stored),
            }
        }
        Some((_, retag::TargetOutcome::Failed(e))) => ItemState::Failed(e),
        None => ItemState::NotStarted,
    });
    Finished { outcome, journal: written.journal }
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
}
