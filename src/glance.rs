//! Runs a repository's glance in the page (see `wharf_protocol::glance` for what is fetched and
//! why): one HEAD per tag, one GET per distinct manifest and config, tags in view first, at the
//! pace the registry allows, with what an earlier visit learned shown at once and re-checked.
//!
//! The run holds its state in one `Rc` the tag page reads when it renders; answers arrive much
//! faster than a person reads, so it asks for a redraw at most every [`REDRAW_MS`] (longer for
//! long lists, see [`REDRAW_TAGS_PER_MS`]).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use wharf_protocol::digest::sha256_of;
use wharf_protocol::glance::{ConfigFacts, Facts, ManifestFacts, Need, TagDigest};
use wharf_protocol::manifest::FetchedManifest;
use wharf_protocol::names::{Digest, Reference, Repository};
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

use crate::browser_store::{opened, BrowserStore};
use crate::connection::transport::{connection_is_multiplexed, performance_mark};
use crate::connection::{use_connection, Client};
use crate::pause::BrowserThrottle;

/// The fastest the tag list re-renders while answers arrive; a long list waits a little longer
/// between renders (a render re-sorts every tag, and time spent rendering is time the answers
/// that arrived meanwhile wait to be read and the next requests wait to be sent).
const REDRAW_MS: u32 = 250;
/// Tags per extra millisecond between renders: 10,000 tags re-render every 750 ms. Each render
/// of 10,000 tags re-sorts and re-counts them all on the main thread; fewer of them leave more of
/// it to the answers (a cold glance of 10,000 tags, medians of 3: 41.8 s redrawn every 500 ms,
/// 40.6 s never redrawn, a gap within the spread of single runs).
const REDRAW_TAGS_PER_MS: usize = 20;
/// Content written to the cache in one transaction, at most.
const WRITE_BATCH: usize = 200;

/// What the glance knows, as the page renders it.
#[derive(Default)]
pub struct GlanceState {
    /// Every tag's digest, as far as known.
    pub digests: HashMap<String, TagDigest>,
    /// Everything read by digest.
    pub facts: Facts,
    /// Digests (manifests or configs) that could not be read, and why.
    pub failed: HashMap<String, String>,
    /// When the earlier visit's tag → digest map was stored (ms since the epoch), if one was.
    pub cached_at: Option<f64>,
    /// The cache was read (or there is none): what it knew is on the page.
    pub cache_read: bool,
    /// Every tag's HEAD answered and every fetch it led to ended.
    pub complete: bool,
    /// Stopped by the user.
    pub stopped: bool,
    /// Why the run is waiting, when the registry asked it to.
    pub waiting: Option<String>,
}

impl GlanceState {
    /// Whether a tag's row shows everything it will: its HEAD answered, and its summary is
    /// complete or one of its fetches failed.
    pub fn is_done(&self, tag: &str) -> bool {
        match self.digests.get(tag) {
            Some(TagDigest::Fresh(d)) => {
                self.facts.needs(d).iter().all(|n| self.failed.contains_key(n.digest())) || self.failed.contains_key(d)
            }
            Some(state) => state.is_settled(),
            None => false,
        }
    }
}

enum Job {
    Head(String),
    Fetch(Need),
}

/// One repository's run.
pub struct GlanceRun {
    state: RefCell<GlanceState>,
    tags: RefCell<Rc<Vec<String>>>,
    heads: RefCell<VecDeque<String>>,
    needs: RefCell<VecDeque<Need>>,
    /// Needs queued or in flight (each fetched once).
    wanted: RefCell<HashSet<Need>>,
    heads_in_flight: RefCell<HashSet<String>>,
    in_flight: Cell<usize>,
    /// How many requests may be in flight, and when to hold off: the pacing bulk runs use too.
    throttle: BrowserThrottle,
    wake_pending: Cell<bool>,
    /// Whether the first answer's protocol was looked at (HTTP/2 allows more in flight).
    protocol_checked: Cell<bool>,
    redraw_pending: Cell<bool>,
    alive: Cell<bool>,
    client: Client,
    repository: Repository,
    snapshot_key: String,
    store: RefCell<Option<BrowserStore>>,
    /// The digests the cache held when the run began.
    in_cache: RefCell<HashSet<String>>,
    unwritten: RefCell<Vec<(String, String)>>,
    redraw: Callback<()>,
}

impl PartialEq for GlanceRun {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl GlanceRun {
    /// The state as it is now.
    pub fn state(&self) -> std::cell::Ref<'_, GlanceState> {
        self.state.borrow()
    }

    /// Requests in flight now (the bench's floor uses the same number).
    pub fn concurrency(&self) -> usize {
        self.throttle.limit()
    }

    /// Stops sending (what is in flight still lands).
    pub fn stop(self: &Rc<Self>) {
        self.state.borrow_mut().stopped = true;
        self.redraw.emit(());
    }

    /// Goes on after a stop.
    pub fn resume(self: &Rc<Self>) {
        self.state.borrow_mut().stopped = false;
        self.pump();
        self.redraw.emit(());
    }

    /// Puts these tags (the ones in view, in view order) and what they need first in line.
    pub fn prioritize(self: &Rc<Self>, visible: &[String]) {
        {
            let state = self.state.borrow();
            let mut heads = self.heads.borrow_mut();
            let mut needs = Vec::new();
            for tag in visible.iter().rev() {
                match state.digests.get(tag) {
                    Some(TagDigest::Fresh(d)) => needs.extend(state.facts.needs(d)),
                    Some(s) if s.is_settled() => {}
                    _ => heads.push_front(tag.clone()),
                }
            }
            drop(state);
            drop(heads);
            self.want(needs, true);
        }
        self.pump();
    }

    /// The tag list arrived: every tag gets a HEAD (the ones in view first, see
    /// [`GlanceRun::prioritize`]); tags no longer listed are forgotten.
    fn list(self: &Rc<Self>, tags: Rc<Vec<String>>) {
        {
            let listed: HashSet<&String> = tags.iter().collect();
            let mut state = self.state.borrow_mut();
            state.digests.retain(|tag, _| listed.contains(tag));
            state.complete = false;
            let mut heads = self.heads.borrow_mut();
            heads.clear();
            heads.extend(tags.iter().cloned());
        }
        *self.tags.borrow_mut() = tags;
        // In the next task: the page's effect that puts the tags in view first runs after this
        // one, in the same render.
        let run = self.clone();
        gloo_timers::callback::Timeout::new(0, move || run.pump()).forget();
    }

    /// Queues fetches not queued, done or failed yet.
    fn want(&self, needs: Vec<Need>, first: bool) {
        let state = self.state.borrow();
        let mut wanted = self.wanted.borrow_mut();
        let mut queue = self.needs.borrow_mut();
        for need in needs {
            if state.failed.contains_key(need.digest()) || !wanted.insert(need.clone()) {
                continue;
            }
            if first {
                queue.push_front(need);
            } else {
                queue.push_back(need);
            }
        }
    }

    fn next_job(&self) -> Option<Job> {
        // Fetches first: there are few of them, and each one completes rows already HEADed.
        if let Some(need) = self.needs.borrow_mut().pop_front() {
            return Some(Job::Fetch(need));
        }
        let state = self.state.borrow();
        let mut heads = self.heads.borrow_mut();
        let in_flight = self.heads_in_flight.borrow();
        while let Some(tag) = heads.pop_front() {
            if !state.digests.get(&tag).is_some_and(TagDigest::is_settled) && !in_flight.contains(&tag) {
                return Some(Job::Head(tag));
            }
        }
        None
    }

    /// Starts as many jobs as the pace allows.
    fn pump(self: &Rc<Self>) {
        loop {
            // Nothing goes out before the cache is read: what it holds is not fetched again.
            if !self.alive.get() || self.state.borrow().stopped || !self.state.borrow().cache_read {
                return;
            }
            let resume_at = self.throttle.paused_until_ms();
            let now = js_sys::Date::now();
            if resume_at > now {
                if !self.wake_pending.replace(true) {
                    let run = self.clone();
                    gloo_timers::callback::Timeout::new((resume_at - now) as u32 + 1, move || {
                        run.wake_pending.set(false);
                        run.state.borrow_mut().waiting = None;
                        run.pump();
                    })
                    .forget();
                }
                return;
            }
            if self.in_flight.get() >= self.throttle.limit() {
                return;
            }
            let Some(job) = self.next_job() else {
                self.check_complete();
                return;
            };
            self.in_flight.set(self.in_flight.get() + 1);
            let run = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match job {
                    Job::Head(tag) => run.head(tag).await,
                    Job::Fetch(need) => run.fetch(need).await,
                }
                run.in_flight.set(run.in_flight.get() - 1);
                run.schedule_redraw();
                run.pump();
            });
        }
    }

    /// A 429: wait as long as the registry asks, with fewer requests in flight after.
    fn throttled(&self, retry_after: Option<&str>) {
        let until = self.throttle.throttled_now(retry_after);
        let mut state = self.state.borrow_mut();
        let seconds = ((until - js_sys::Date::now()) / 1000.0).ceil().max(1.0) as u32;
        state.waiting = Some(format!(
            "The registry asked Wharf to slow down (429 Too Many Requests): waiting {seconds} s, then going on with {} requests at a time.",
            self.throttle.limit()
        ));
    }

    async fn head(self: &Rc<Self>, tag: String) {
        let Ok(reference) = Reference::parse(&tag) else {
            self.state.borrow_mut().digests.insert(tag, TagDigest::Failed("not a valid tag name".into()));
            return;
        };
        self.heads_in_flight.borrow_mut().insert(tag.clone());
        let answer = self.client.manifest_head(&self.repository, &reference).await;
        self.heads_in_flight.borrow_mut().remove(&tag);
        let settled = match answer {
            Err(e) if e.is_throttled() => {
                self.throttled(e.retry_after());
                self.heads.borrow_mut().push_front(tag);
                return;
            }
            Ok(head) => match head.digest {
                Some(digest) => TagDigest::Fresh(digest.to_string()),
                // The digest header is hidden: the GET computes it (and its facts come with it).
                None => match self.client.manifest_get(&self.repository, &reference).await {
                    Ok(manifest) => {
                        let digest = manifest.digest.to_string();
                        self.keep_manifest(&digest, &manifest);
                        TagDigest::Fresh(digest)
                    }
                    Err(e) => TagDigest::Failed(e.headline()),
                },
            },
            Err(e) if e.is_not_found() => TagDigest::Missing,
            Err(e) => TagDigest::Failed(e.headline()),
        };
        if !self.protocol_checked.replace(true) && connection_is_multiplexed() {
            self.throttle.multiplexed();
        }
        self.throttle.passed();
        let needs = match &settled {
            TagDigest::Fresh(d) => self.state.borrow().facts.needs(d),
            _ => Vec::new(),
        };
        self.state.borrow_mut().digests.insert(tag, settled);
        self.want(needs, false);
    }

    async fn fetch(self: &Rc<Self>, need: Need) {
        let digest_text = need.digest().to_string();
        let outcome = match Digest::parse(&digest_text) {
            Err(e) => Err(Some(format!("not a digest ({})", e.reason))),
            Ok(digest) => self.read(&need, &digest).await,
        };
        self.wanted.borrow_mut().remove(&need);
        match outcome {
            // A manifest can lead to more (an index's platforms, an image's config); a config
            // is the end of its line.
            Ok(()) if matches!(need, Need::Manifest(_)) => {
                let needs = self.state.borrow().facts.needs(&digest_text);
                self.want(needs, true);
            }
            Ok(()) => {}
            Err(None) => {
                // Throttled: the same fetch again after the wait.
                self.want(vec![need], true);
            }
            Err(Some(why)) => {
                self.state.borrow_mut().failed.insert(digest_text, why);
            }
        }
    }

    /// Reads one manifest or config, from this browser's cache or the registry. `Err(None)`:
    /// throttled, try again; `Err(Some(why))`: it cannot be read.
    async fn read(self: &Rc<Self>, need: &Need, digest: &Digest) -> Result<(), Option<String>> {
        let store = self.store.borrow().clone().filter(|_| self.in_cache.borrow().contains(digest.as_str()));
        if let Some(store) = store {
            if let Some(Some(text)) = store.content_get_many(&[digest.to_string()]).await.pop() {
                if self.take_cached(need, digest, text.as_bytes()) {
                    return Ok(());
                }
            }
        }
        match need {
            Need::Manifest(_) => {
                match self.client.manifest_get(&self.repository, &Reference::Digest(digest.clone())).await {
                    Ok(manifest) => {
                        self.keep_manifest(digest.as_str(), &manifest);
                        self.remember(digest.as_str(), &manifest.bytes);
                        Ok(())
                    }
                    Err(e) if e.is_throttled() => {
                        self.throttled(e.retry_after());
                        Err(None)
                    }
                    Err(e) => Err(Some(e.headline())),
                }
            }
            Need::Config(_) => match self.client.blob_get(&self.repository, digest).await {
                Ok(bytes) => {
                    let facts = ConfigFacts::read(&bytes).ok_or_else(|| Some("the image config is not JSON".into()))?;
                    self.state.borrow_mut().facts.add_config(digest.to_string(), facts);
                    self.remember(digest.as_str(), &bytes);
                    Ok(())
                }
                Err(e) if e.is_throttled() => {
                    self.throttled(e.retry_after());
                    Err(None)
                }
                Err(e) => Err(Some(e.headline())),
            },
        }
    }

    fn take_cached(&self, need: &Need, digest: &Digest, bytes: &[u8]) -> bool {
        take_cached(&mut self.state.borrow_mut().facts, need, digest, bytes)
    }

    fn keep_manifest(&self, digest: &str, manifest: &FetchedManifest) {
        self.state.borrow_mut().facts.add_manifest(digest.to_string(), ManifestFacts::read(manifest));
    }

    /// Queues content for the cache, written in batches.
    fn remember(self: &Rc<Self>, digest: &str, bytes: &[u8]) {
        let Ok(text) = std::str::from_utf8(bytes) else { return };
        let full = {
            let mut unwritten = self.unwritten.borrow_mut();
            unwritten.push((digest.to_string(), text.to_string()));
            unwritten.len() >= WRITE_BATCH
        };
        if full {
            self.write_content();
        }
    }

    fn write_content(self: &Rc<Self>) {
        let items = std::mem::take(&mut *self.unwritten.borrow_mut());
        let store = self.store.borrow().clone();
        if let (false, Some(store)) = (items.is_empty(), store) {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = store.content_put_many(items).await;
            });
        }
    }

    /// At the end: the tag → digest map and the last content go to the cache.
    fn check_complete(self: &Rc<Self>) {
        if self.in_flight.get() > 0 || !self.needs.borrow().is_empty() || self.state.borrow().complete {
            return;
        }
        let tags = self.tags.borrow().clone();
        {
            let state = self.state.borrow();
            if tags.is_empty() || !tags.iter().all(|t| state.is_done(t)) {
                return;
            }
        }
        self.state.borrow_mut().complete = true;
        let snapshot = wharf_protocol::glance::snapshot_to_json(&self.state.borrow().digests);
        let (store, key) = (self.store.borrow().clone(), self.snapshot_key.clone());
        let content = std::mem::take(&mut *self.unwritten.borrow_mut());
        if let Some(store) = store {
            // The content first, then the map that names it: a later visit (or another page's
            // look at what repositories share) finds both. The store evicts old content itself.
            wasm_bindgen_futures::spawn_local(async move {
                if !content.is_empty() {
                    let _ = store.content_put_many(content).await;
                }
                let _ = store.snapshot_put(&key, snapshot).await;
                performance_mark("wharf:glance-stored");
            });
        }
        self.redraw.emit(());
    }

    fn schedule_redraw(self: &Rc<Self>) {
        if !self.redraw_pending.replace(true) {
            let run = self.clone();
            let wait = REDRAW_MS + (self.tags.borrow().len() / REDRAW_TAGS_PER_MS) as u32;
            gloo_timers::callback::Timeout::new(wait, move || {
                run.redraw_pending.set(false);
                if run.alive.get() {
                    run.redraw.emit(());
                }
            })
            .forget();
        }
    }

    /// What an earlier visit knew: its tag → digest map (marked as cached) and the facts of
    /// those digests.
    async fn read_cache(self: &Rc<Self>) {
        let Some(store) = opened().await else {
            self.cache_done();
            return;
        };
        *self.store.borrow_mut() = Some(store.clone());
        // What the cache holds at all: a digest it does not hold is fetched without asking it (a
        // cold visit would otherwise spend one IndexedDB read per manifest and config, each
        // holding a request slot).
        *self.in_cache.borrow_mut() = store.content_digests().await.into_iter().collect();
        if let Some(cached) = read_cached(&store, &self.snapshot_key).await {
            let mut state = self.state.borrow_mut();
            state.cached_at = Some(cached.stored_at);
            let tags = self.tags.borrow();
            for (tag, digest) in cached.digests {
                // Only tags still listed (when the list came first); a HEAD of this visit that
                // answered already wins.
                if tags.is_empty() || tags.contains(&tag) {
                    state.digests.entry(tag).or_insert(digest);
                }
            }
            state.facts.merge(cached.facts);
        }
        self.cache_done();
    }

    fn cache_done(self: &Rc<Self>) {
        self.state.borrow_mut().cache_read = true;
        self.redraw.emit(());
        self.pump();
    }
}

/// The glance of `repository`, started when its tag list is known. The run ends when the page
/// leaves or shows another repository.
#[hook]
pub fn use_glance(registry: &RegistryUrl, repository: &Repository, tags: Option<Rc<Vec<String>>>) -> Rc<GlanceRun> {
    let connection = use_connection();
    let redraw = use_force_update();
    let run = {
        let (registry, repository) = (registry.clone(), repository.clone());
        use_memo((registry.clone(), repository.clone(), connection.epoch), move |_| {
            Rc::new(GlanceRun {
                state: RefCell::default(),
                tags: RefCell::default(),
                heads: RefCell::default(),
                in_cache: RefCell::default(),
                needs: RefCell::default(),
                wanted: RefCell::default(),
                heads_in_flight: RefCell::default(),
                in_flight: Cell::new(0),
                throttle: BrowserThrottle::default(),
                wake_pending: Cell::new(false),
                protocol_checked: Cell::new(false),
                redraw_pending: Cell::new(false),
                alive: Cell::new(true),
                client: connection.registry(&registry),
                snapshot_key: format!("{registry} {repository}"),
                repository,
                store: RefCell::default(),
                unwritten: RefCell::default(),
                redraw: Callback::from(move |_| redraw.force_update()),
            })
        })
    };
    let run: Rc<GlanceRun> = (*run).clone();
    {
        let run = run.clone();
        use_effect_with(run.clone(), move |_| {
            let reading = run.clone();
            wasm_bindgen_futures::spawn_local(async move { reading.read_cache().await });
            move || {
                run.alive.set(false);
                run.write_content();
            }
        });
    }
    {
        let run = run.clone();
        use_effect_with((run.clone(), tags.clone()), move |(_, tags)| {
            if let Some(tags) = tags {
                run.list(tags.clone());
            }
        });
    }
    {
        let listed = tags.is_some();
        let complete = run.state().complete;
        let cached = listed && run.state().cache_read && run.state().cached_at.is_some();
        use_effect_with((run.clone(), complete, cached), |(_, complete, cached)| {
            if *cached {
                performance_mark("wharf:glance-cached");
            }
            if *complete {
                performance_mark("wharf:glance-complete");
            }
        });
    }
    run
}

/// Takes content from the cache when it still hashes to its digest (a damaged entry is fetched
/// again, never believed).
fn take_cached(facts: &mut Facts, need: &Need, digest: &Digest, bytes: &[u8]) -> bool {
    if &sha256_of(bytes) != digest {
        return false;
    }
    match need {
        Need::Manifest(_) => match FetchedManifest::from_bytes("cache", bytes.to_vec(), None, None, Some(digest)) {
            Ok(manifest) => {
                facts.add_manifest(digest.to_string(), ManifestFacts::read(&manifest));
                true
            }
            Err(_) => false,
        },
        Need::Config(_) => match ConfigFacts::read(bytes) {
            Some(config) => {
                facts.add_config(digest.to_string(), config);
                true
            }
            None => false,
        },
    }
}

/// What this browser remembers of a repository.
pub struct Cached {
    /// When its tag → digest map was stored (ms since the epoch).
    pub stored_at: f64,
    /// The tags' digests then, every one marked as cached.
    pub digests: HashMap<String, TagDigest>,
    /// What the cache holds of those digests (content addressed: still true).
    pub facts: Facts,
}

/// Reads what an earlier visit stored under `key`: the map, then the content of its digests in
/// rounds (manifests; an index's platforms; then configs).
pub async fn read_cached(store: &BrowserStore, key: &str) -> Option<Cached> {
    let (stored_at, text) = store.snapshot_get(key).await?;
    let digests = wharf_protocol::glance::snapshot_from_json(&text);
    let mut facts = Facts::default();
    let distinct: HashSet<&str> = digests.values().filter_map(TagDigest::digest).collect();
    let mut round: Vec<Need> = distinct.into_iter().map(|d| Need::Manifest(d.to_string())).collect();
    while !round.is_empty() {
        let keys: Vec<String> = round.iter().map(|n| n.digest().to_string()).collect();
        let found = store.content_get_many(&keys).await;
        let mut next = Vec::new();
        for ((need, key), text) in round.iter().zip(&keys).zip(found) {
            let (Some(text), Ok(digest)) = (text, Digest::parse(key)) else { continue };
            if take_cached(&mut facts, need, &digest, text.as_bytes()) && matches!(need, Need::Manifest(_)) {
                next.extend(facts.needs(key));
            }
        }
        let mut seen = HashSet::new();
        next.retain(|n| seen.insert(n.clone()));
        round = next;
    }
    Some(Cached { stored_at, digests, facts })
}

/// The other repositories of a registry this browser has read: how many, and the blobs their
/// tags reached when last read (from the cache; nothing is fetched for them).
#[derive(Debug, Default, PartialEq)]
pub struct OtherRepositories {
    /// How many were read.
    pub count: usize,
    /// The distinct blobs their tags reach.
    pub blobs: HashSet<String>,
}

/// At most this many other repositories are read from the cache for the comparison.
const OTHERS_READ: usize = 200;

/// [`OtherRepositories`] of `registry` besides `repository`, read from this browser's cache once
/// per page visit; `None` until read (or when the browser keeps no cache).
#[hook]
pub fn use_other_repositories(registry: &RegistryUrl, repository: &Repository) -> Rc<Option<OtherRepositories>> {
    let others = use_state(|| Rc::new(None));
    {
        let others = others.clone();
        use_effect_with((registry.clone(), repository.clone()), move |(registry, repository)| {
            let (prefix, own) = (format!("{registry} "), format!("{registry} {repository}"));
            wasm_bindgen_futures::spawn_local(async move {
                let Some(store) = opened().await else { return };
                let keys: Vec<String> = store
                    .snapshot_keys()
                    .await
                    .into_iter()
                    .filter(|k| k.starts_with(&prefix) && *k != own)
                    .take(OTHERS_READ)
                    .collect();
                let mut found = OtherRepositories { count: keys.len(), blobs: HashSet::new() };
                for key in keys {
                    let Some(cached) = read_cached(&store, &key).await else { continue };
                    let digests: HashSet<&str> = cached.digests.values().filter_map(TagDigest::digest).collect();
                    for digest in digests {
                        if let Some(blobs) = wharf_protocol::storage::blobs_of(&cached.facts, digest) {
                            found.blobs.extend(blobs.into_keys());
                        }
                    }
                }
                others.set(Rc::new(Some(found)));
            });
        });
    }
    (*others).clone()
}
