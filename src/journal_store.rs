//! The journal kept in the browser's store, so it survives a reload and is shared by every tab
//! (see `wharf_protocol::journal` for what an entry says, and `browser_store` for the database).
//!
//! The app shell holds one [`JournalStore`] and provides it as a context; flows hand it the
//! entries their reports carry. Entries are written at once, in one readwrite transaction for
//! all the entries recorded while the previous write was under way, and for a short moment after
//! it (`GATHER_MS`): a bulk run of a thousand items makes a few dozen transactions, and a lone
//! entry waits for no timer (a transaction begun when the page goes away might not finish).
//! Each transaction numbers its entries after the highest
//! id stored and drops the oldest beyond `MAX_ENTRIES`. IndexedDB runs readwrite transactions on
//! the journal one at a time, across tabs, so two tabs recording at the same moment both keep
//! their entries. Once written, the entries join the in-memory copy with the ids the store gave
//! them.
//!
//! Records are written once and never rewritten. An undo's entry names the entry it reverted
//! (`undoes`), and whoever reads the journal marks that entry (`undone_by`) from it: the undo and
//! its mark are one record, stored at once, so no tab can keep one without the other.
//!
//! The journal page reads the whole journal from the store when it opens, so other tabs' entries
//! show. A record that cannot be read is reported and left as it is. When the browser refuses
//! IndexedDB, entries are numbered and kept in memory only, and the page says so.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbCursor, IdbCursorDirection};
use wharf_protocol::journal::{Entry, Journal};
use yew::prelude::*;

use crate::browser_store::{describe, put_entries, request, settle, BrowserStore, Js, JOURNAL, OLD_JOURNAL};

/// While entries keep coming (a bulk run ends an item every few milliseconds), transactions start
/// at most this often after one another; a lone entry (a retag) is written at once.
const GATHER_MS: u32 = 200;

const IN_MEMORY: &str = "entries are kept in this page only, until it closes. Export the journal to keep them.";

/// Where the entries go.
#[derive(Default)]
enum Keeping {
    /// The store is being opened: entries wait.
    #[default]
    Opening,
    Store(BrowserStore),
    /// No store: entries are kept in this page's memory.
    Memory,
}

#[derive(Default)]
struct Inner {
    /// What this page knows of the journal: what the journal page last read, and what was
    /// written since.
    journal: RefCell<Journal>,
    /// What went wrong keeping the journal, in sentences.
    problem: RefCell<String>,
    /// Stored records the last read could not use.
    unreadable: Cell<usize>,
    keeping: RefCell<Keeping>,
    /// Recorded (and dated), not yet written.
    pending: RefCell<Vec<Entry>>,
    writing: Cell<bool>,
    /// The journal page asked for the whole journal, and it has not come yet.
    reading: Cell<bool>,
    /// Told when the journal changes (the journal page).
    watcher: RefCell<Option<Callback<()>>>,
}

/// The journal of this browser, shared by every page, and the browser store once it is open
/// (see [`use_browser_store`]). Equal to its clones while the store stays as it was: recording
/// does not re-render the pages that record (a bulk run records a thousand entries), and the
/// store's opening renders its users again.
#[derive(Clone, Default)]
pub struct JournalStore(Rc<Inner>, Option<BrowserStore>);

impl PartialEq for JournalStore {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) && self.1 == other.1
    }
}

/// Writes `batch` in one transaction, numbered after the highest stored id, and drops the
/// oldest beyond `MAX_ENTRIES` in the same transaction; returns the ids dropped, once committed.
/// It reads what numbering needs and no more: the highest key (one step of a cursor from the
/// end) and how many there are, and the oldest keys only when some must go. A bulk run writes a
/// few dozen batches into a journal of thousands.
async fn write(store: &BrowserStore, batch: &mut Vec<Entry>) -> Js<Vec<u64>> {
    let (journal, done) = store.txn(JOURNAL, true)?;
    let last = journal.open_key_cursor_with_range_and_direction(&JsValue::NULL, IdbCursorDirection::Prev)?;
    let highest =
        settle(request(&last)).await?.dyn_into::<IdbCursor>().ok().and_then(|c| c.key().ok()).and_then(|k| k.as_f64());
    let stored = settle(request(&journal.count()?)).await?.as_f64().unwrap_or(0.0) as usize;
    let drop = Journal::number_after(highest.map(|k| k as u64), stored, batch);
    let trim: Vec<u64> = if drop == 0 {
        Vec::new()
    } else {
        let oldest = settle(request(&journal.get_all_keys_with_key_and_limit(&JsValue::NULL, drop as u32)?)).await?;
        oldest.unchecked_into::<Array>().iter().filter_map(|k| k.as_f64()).map(|k| k as u64).collect()
    };
    put_entries(&journal, batch)?;
    for id in &trim {
        journal.delete(&(*id as f64).into())?;
    }
    settle(done).await?;
    Ok(trim)
}

/// The whole stored journal, and how many records could not be read (each record is an entry's
/// JSON, read strictly, as a whole stored journal is).
async fn read(store: &BrowserStore) -> Js<(Journal, usize)> {
    let (journal, _) = store.txn(JOURNAL, false)?;
    let records = settle(request(&journal.get_all()?)).await?;
    let (mut journal, mut unreadable) = (Journal::default(), 0);
    for record in records.unchecked_into::<Array>().iter() {
        let json = record.as_string().and_then(|text| wharf_protocol::json::parse(text.as_bytes()).ok());
        match json.as_ref().and_then(Entry::from_json) {
            Some(entry) => journal.entries.push(entry),
            None => unreadable += 1,
        }
    }
    journal.join(Vec::new(), &[]);
    Ok((journal, unreadable))
}

impl JournalStore {
    /// The journal as this page knows it (see [`use_journal_page`]).
    pub fn journal(&self) -> Ref<'_, Journal> {
        self.0.journal.borrow()
    }

    /// What went wrong with keeping the journal, if anything did.
    pub fn problem(&self) -> Option<String> {
        let mut problem = self.0.problem.borrow().clone();
        let unreadable = self.0.unreadable.get();
        if unreadable > 0 {
            problem += &format!(
                "{unreadable} stored records are not journal entries Wharf can read; they are left as they are."
            );
        }
        Some(problem).filter(|p| !p.is_empty())
    }

    /// Whether every entry recorded so far is written and in [`JournalStore::journal`] (in the
    /// browser's store, or in memory where there is none): nothing waits, no write is under way.
    pub fn all_written(&self) -> bool {
        self.0.pending.borrow().is_empty() && !self.0.writing.get()
    }

    /// Whether the journal page's read of the whole journal is still under way.
    pub fn reading(&self) -> bool {
        self.0.reading.get()
    }

    fn report(&self, problem: String) {
        *self.0.problem.borrow_mut() += &(problem + " ");
    }

    fn changed(&self) {
        let watcher = self.0.watcher.borrow().clone();
        if let Some(watcher) = watcher {
            watcher.emit(());
        }
    }

    fn store(&self) -> Option<BrowserStore> {
        match &*self.0.keeping.borrow() {
            Keeping::Store(store) => Some(store.clone()),
            _ => None,
        }
    }

    /// Records the entries a flow's report carries, dated now.
    pub fn record(&self, changes: Vec<Entry>) {
        if changes.is_empty() {
            return;
        }
        let time: String = js_sys::Date::new_0().to_iso_string().into();
        let dated = changes.into_iter().map(|change| Entry { time: time.clone(), ..change });
        self.0.pending.borrow_mut().extend(dated);
        let in_memory = matches!(*self.0.keeping.borrow(), Keeping::Memory);
        if in_memory {
            self.keep_in_memory();
        } else {
            // While the store opens, this writes nothing: `attach` starts the writes.
            self.write_soon();
        }
    }

    /// Numbers what waits and keeps it in memory only: the store is not there, or refused.
    fn keep_in_memory(&self) {
        *self.0.keeping.borrow_mut() = Keeping::Memory;
        let mut batch = std::mem::take(&mut *self.0.pending.borrow_mut());
        {
            let mut journal = self.0.journal.borrow_mut();
            let stored: Vec<u64> = journal.entries.iter().map(|e| e.id).collect();
            let trim = Journal::number_batch(&stored, &mut batch);
            journal.join(batch, &trim);
        }
        self.changed();
    }

    /// Starts writing what waits, unless a write is under way (it writes what waits next).
    fn write_soon(&self) {
        if self.0.writing.replace(true) {
            return;
        }
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(store) = this.store() {
                let mut batch = std::mem::take(&mut *this.0.pending.borrow_mut());
                if batch.is_empty() {
                    break;
                }
                match write(&store, &mut batch).await {
                    Ok(trim) => {
                        this.0.journal.borrow_mut().join(batch, &trim);
                        this.changed();
                        // Entries that came while this write ran are from a many-item run: gather
                        // a moment's worth into the next transaction rather than one each.
                        if !this.0.pending.borrow().is_empty() {
                            gloo_timers::future::TimeoutFuture::new(GATHER_MS).await;
                        }
                    }
                    Err(why) => {
                        this.report(format!(
                            "The browser refused to store the journal ({}): {IN_MEMORY}",
                            describe(why)
                        ));
                        this.0.pending.borrow_mut().splice(0..0, batch);
                        this.keep_in_memory();
                    }
                }
            }
            this.0.writing.set(false);
        });
    }

    /// The browser store opened (or not): writes what waits there, or keeps it in memory.
    fn attach(&self, opened: Result<BrowserStore, String>) {
        match opened {
            Ok(store) => {
                *self.0.keeping.borrow_mut() = Keeping::Store(store);
                // The journal was carried over when the database was created; an old one that is
                // still in localStorage could not be read.
                let old = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
                if let Some(Err(why)) =
                    old.and_then(|s| s.get_item(OLD_JOURNAL).ok().flatten()).map(|t| Journal::parse(&t))
                {
                    self.report(format!(
                        "The journal kept in localStorage before was not carried over: {why}. It is left there, as \
                         {OLD_JOURNAL}."
                    ));
                }
                self.write_soon();
                if self.0.reading.get() {
                    self.read_all();
                }
            }
            Err(why) => {
                self.report(format!("This browser does not let Wharf keep a journal ({why}): {IN_MEMORY}"));
                self.0.reading.set(false);
                self.keep_in_memory();
            }
        }
    }

    /// Reads the whole journal from the store into memory (when the journal page opens).
    fn read_all(&self) {
        self.0.reading.set(true);
        let Some(store) = self.store() else {
            // Still opening: `attach` reads it. In memory: it is all here.
            self.0.reading.set(matches!(*self.0.keeping.borrow(), Keeping::Opening));
            return;
        };
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match read(&store).await {
                Ok((journal, unreadable)) => {
                    *this.0.journal.borrow_mut() = journal;
                    this.0.unreadable.set(unreadable);
                }
                Err(why) => this.report(format!("The stored journal could not be read ({}).", describe(why))),
            }
            this.0.reading.set(false);
            this.changed();
        });
    }
}

/// The app's one journal store, for the shell to provide. It opens the browser store when the
/// app starts, and renders the app again once that is done (so [`use_browser_store`] sees it);
/// until then, entries wait.
#[hook]
pub fn use_journal_root() -> JournalStore {
    let update = use_force_update();
    let journal = use_memo((), |_| {
        let journal = JournalStore::default();
        let opening = journal.clone();
        wasm_bindgen_futures::spawn_local(async move {
            opening.attach(BrowserStore::open().await);
            update.force_update();
        });
        journal
    });
    JournalStore(journal.0.clone(), journal.store())
}

/// The journal store the app provides.
#[hook]
pub fn use_journal() -> JournalStore {
    use_context::<JournalStore>().expect("pages are rendered inside the app's JournalStore context")
}

/// The app's browser store: `None` while it opens, or when the browser refuses IndexedDB (then
/// go on without a cache). It comes with the journal's context: a context of its own would cost
/// the bundle about 1 KB gzip, and a page using it renders again once when the store opens.
#[hook]
pub fn use_browser_store() -> Option<BrowserStore> {
    use_journal().1
}

/// The journal store for the journal page: the whole journal is read again when the page opens,
/// and the page renders again whenever the journal changes. (Set while the first render runs, so
/// that it already says it is reading; a render asked of a page that has closed does nothing.)
#[hook]
pub fn use_journal_page() -> JournalStore {
    let store = use_journal();
    let update = use_force_update();
    use_memo((), |_| {
        *store.0.watcher.borrow_mut() = Some(Callback::from(move |_| update.force_update()));
        store.read_all();
    });
    store
}
