//! The journal kept in the browser's store, so it survives a reload and is shared by every tab
//! (see `wharf_protocol::journal` for what an entry says, and `browser_store` for the database).
//!
//! The app shell holds one [`JournalStore`] and provides it as a context; flows hand it the
//! entries their reports carry. Entries are written at once, in one readwrite transaction for
//! all the entries recorded while the previous write was under way: a bulk run of a thousand
//! items makes a few dozen transactions, and nothing waits for a timer (a transaction begun when
//! the page goes away might not finish). Each transaction numbers its entries after the highest
//! id stored, marks the entry an undo reverted, and drops the oldest beyond `MAX_ENTRIES`.
//! IndexedDB runs readwrite transactions on the journal one at a time, across tabs, so two tabs
//! recording at the same moment both keep their entries. Once written, the entries join the
//! in-memory copy with the ids the store gave them.
//!
//! The journal page reads the whole journal from the store when it opens, so other tabs' entries
//! show. A record that cannot be read is reported and left as it is. When the browser refuses
//! IndexedDB, entries are numbered and kept in memory only, and the page says so.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use wharf_protocol::journal::{Entry, Journal, MAX_ENTRIES};
use yew::prelude::*;

use crate::browser_store::{request, BrowserStore, JOURNAL, OLD_JOURNAL};

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
    /// recorded since.
    journal: RefCell<Journal>,
    problems: RefCell<Vec<String>>,
    keeping: RefCell<Keeping>,
    /// Recorded (and dated), not yet written.
    pending: RefCell<Vec<Entry>>,
    writing: Cell<bool>,
    /// The journal page asked for the whole journal, and it has not come yet.
    reading: Cell<bool>,
    /// Told when the journal changes (the journal page, while it is open).
    watcher: RefCell<Option<Callback<()>>>,
}

/// The journal of this browser, shared by every page. Equal to itself only: recording does not
/// re-render the pages that record (a bulk run records a thousand entries).
#[derive(Clone, Default)]
pub struct JournalStore(Rc<Inner>);

impl PartialEq for JournalStore {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// What one write transaction does, decided from the ids stored when it begins.
#[derive(Debug, PartialEq)]
struct Numbered {
    /// The new entries, numbered after the highest stored id.
    entries: Vec<Entry>,
    /// Stored entries an undo among them reverted: (entry, the undo's id).
    marks: Vec<(u64, u64)>,
    /// The oldest stored ids beyond `MAX_ENTRIES`, to delete.
    trim: Vec<u64>,
}

/// Numbers `batch` after the highest of `stored` (the ids in the store, ascending), marks what
/// its undos reverted, and lists the oldest ids to drop so that at most `MAX_ENTRIES` remain.
fn number(stored: &[u64], mut batch: Vec<Entry>) -> Numbered {
    let excess = (stored.len() + batch.len()).saturating_sub(MAX_ENTRIES);
    // More new entries than the journal holds: the oldest of them are dropped at once.
    batch.drain(..excess.saturating_sub(stored.len()));
    let first = stored.iter().max().map_or(1, |id| id + 1);
    let mut marks = Vec::new();
    for i in 0..batch.len() {
        let id = first + i as u64;
        batch[i].id = id;
        if let Some(undone) = batch[i].undoes {
            match batch[..i].iter_mut().find(|e| e.id == undone) {
                Some(entry) => entry.undone_by = Some(id),
                None => marks.push((undone, id)),
            }
        }
    }
    Numbered { entries: batch, marks, trim: stored[..excess.min(stored.len())].to_vec() }
}

/// Adds what a write stored to the in-memory copy (which holds ids in ascending order).
fn merge(journal: &mut Journal, written: Numbered) {
    let entries = &mut journal.entries;
    entries.retain(|e| !written.trim.contains(&e.id));
    for entry in written.entries {
        match entries.binary_search_by_key(&entry.id, |e| e.id) {
            Ok(i) => entries[i] = entry,
            Err(i) => entries.insert(i, entry),
        }
    }
    for (id, by) in written.marks {
        journal.mark_undone(id, by);
    }
    let excess = journal.entries.len().saturating_sub(MAX_ENTRIES);
    journal.entries.drain(..excess);
}

/// A stored record as an entry with `id`; `None` when it is not an entry's JSON.
fn entry_of(id: u64, record: &JsValue) -> Option<Entry> {
    let json = wharf_protocol::json::parse(record.as_string()?.as_bytes()).ok()?;
    Entry::from_json(&json).map(|entry| Entry { id, ..entry })
}

/// The ids of stored records (keys are whole numbers).
fn ids(keys: &JsValue) -> Vec<u64> {
    keys.unchecked_ref::<Array>().iter().filter_map(|k| k.as_f64()).map(|k| k as u64).collect()
}

fn write_record(txn: &crate::browser_store::Txn, entry: &Entry) -> Result<(), String> {
    let json = serde_json::to_string(entry).map_err(|e| e.to_string())?;
    txn.store.put_with_key(&json.into(), &(entry.id as f64).into()).map(drop).map_err(|_| "refused".into())
}

/// Writes `batch` in one transaction (see the module's doc); what was written, once committed.
async fn write(store: &BrowserStore, batch: Vec<Entry>) -> Result<Numbered, String> {
    let txn = store.txn(JOURNAL, true)?;
    let stored = ids(&request(&txn.store.get_all_keys().map_err(|_| "refused")?).await?);
    let written = number(&stored, batch);
    for entry in &written.entries {
        write_record(&txn, entry)?;
    }
    let asked: Vec<_> = written
        .marks
        .iter()
        .map(|&(id, by)| (id, by, txn.store.get(&(id as f64).into()).map(|r| request(&r))))
        .collect();
    for (id, by, ask) in asked {
        // An undone entry that cannot be read is left as it is (the journal page reports it).
        if let Some(entry) = entry_of(id, &ask.map_err(|_| "refused")?.await?) {
            write_record(&txn, &Entry { undone_by: Some(by), ..entry })?;
        }
    }
    for id in &written.trim {
        txn.store.delete(&(*id as f64).into()).map_err(|_| "refused")?;
    }
    txn.commit().await?;
    Ok(written)
}

/// The whole stored journal, and the ids of the records that could not be read.
async fn read(store: &BrowserStore) -> Result<(Journal, Vec<u64>), String> {
    let txn = store.txn(JOURNAL, false)?;
    let records = request(&txn.store.get_all().map_err(|_| "refused")?);
    let keys = request(&txn.store.get_all_keys().map_err(|_| "refused")?);
    let (records, keys) = (records.await?.unchecked_into::<Array>(), ids(&keys.await?));
    let (mut journal, mut unreadable) = (Journal::default(), Vec::new());
    for (i, id) in keys.into_iter().enumerate() {
        match entry_of(id, &records.get(i as u32)) {
            Some(entry) => journal.entries.push(entry),
            None => unreadable.push(id),
        }
    }
    Ok((journal, unreadable))
}

impl JournalStore {
    /// The journal as this page knows it (see [`use_journal_page`]).
    pub fn journal(&self) -> Ref<'_, Journal> {
        self.0.journal.borrow()
    }

    /// What went wrong with keeping the journal, if anything did.
    pub fn problems(&self) -> Vec<String> {
        self.0.problems.borrow().clone()
    }

    /// Whether the journal page's read of the whole journal is still under way.
    pub fn reading(&self) -> bool {
        self.0.reading.get()
    }

    fn report(&self, problem: String) {
        self.0.problems.borrow_mut().push(problem);
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
        match &*self.0.keeping.borrow() {
            Keeping::Opening => {}
            Keeping::Store(_) => self.write_soon(),
            Keeping::Memory => self.keep_in_memory(),
        }
    }

    /// Numbers what waits and keeps it in memory.
    fn keep_in_memory(&self) {
        {
            let mut journal = self.0.journal.borrow_mut();
            for entry in self.0.pending.borrow_mut().drain(..) {
                let time = entry.time.clone();
                journal.record(entry, time);
            }
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
                let batch = std::mem::take(&mut *this.0.pending.borrow_mut());
                if batch.is_empty() {
                    break;
                }
                match write(&store, batch.clone()).await {
                    Ok(written) => merge(&mut this.0.journal.borrow_mut(), written),
                    Err(why) => {
                        this.report(format!(
                            "The browser refused to store journal entries ({why}): they are kept in this page \
                             only. Export the journal to keep them."
                        ));
                        this.0.pending.borrow_mut().splice(0..0, batch);
                        this.keep_in_memory();
                    }
                }
                this.changed();
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
                if let Some(Err(why)) = old.and_then(|s| s.get_item(OLD_JOURNAL).ok().flatten()).map(|t| Journal::parse(&t))
                {
                    self.report(format!("{why}, so it was not carried over; it is left in localStorage as {OLD_JOURNAL}."));
                }
                self.write_soon();
                if self.0.reading.get() {
                    self.read_all();
                }
            }
            Err(why) => {
                *self.0.keeping.borrow_mut() = Keeping::Memory;
                self.report(format!(
                    "This browser does not let Wharf keep a journal ({why}): entries are kept in this page only, \
                     until it closes. Export the journal to keep them."
                ));
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
                    if !unreadable.is_empty() {
                        let ids: Vec<String> = unreadable.iter().map(u64::to_string).collect();
                        this.report(format!(
                            "Stored journal records {} are not entries Wharf can read; they were left as they are.",
                            ids.join(", ")
                        ));
                    }
                }
                Err(why) => this.report(format!("The stored journal could not be read ({why}).")),
            }
            this.0.reading.set(false);
            this.changed();
        });
    }
}

/// The app's one journal store, for the shell to provide. It writes to the browser store once
/// that is open (`opened`, from `browser_store::use_browser_store_root`); until then, entries wait.
#[hook]
pub fn use_journal_root(opened: Option<Result<BrowserStore, String>>) -> JournalStore {
    let store = (*use_memo((), |_| JournalStore::default())).clone();
    {
        let store = store.clone();
        use_effect_with(opened, move |opened| {
            if let Some(opened) = opened {
                store.attach(opened.clone());
            }
        });
    }
    store
}

/// The journal store the app provides.
#[hook]
pub fn use_journal() -> JournalStore {
    use_context::<JournalStore>().expect("pages are rendered inside the app's JournalStore context")
}

/// The journal store for the journal page: the whole journal is read again when the page opens,
/// and the page renders again whenever the journal changes while it is open.
#[hook]
pub fn use_journal_page() -> JournalStore {
    let store = use_journal();
    let update = use_force_update();
    // In a memo, so that the page's first render already says it is reading.
    use_memo((), |_| store.read_all());
    {
        let store = store.clone();
        use_effect_with((), move |_| {
            *store.0.watcher.borrow_mut() = Some(Callback::from(move |_| update.force_update()));
            move || drop(store.0.watcher.borrow_mut().take())
        });
    }
    store
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(undoes: Option<u64>) -> Entry {
        Entry {
            id: 0,
            time: "2026-12-01T10:00:00.000Z".into(),
            action: if undoes.is_some() { "undo" } else { "retag" }.into(),
            registry: "http://r:5000".into(),
            repository: "app".into(),
            tag: Some("v1".into()),
            before: None,
            after: Some("sha256:aa".into()),
            ok: true,
            result: "stored".into(),
            saved: None,
            undone_by: None,
            undoes,
        }
    }

    #[test]
    fn a_batch_is_numbered_after_the_highest_stored_id_and_marks_what_it_undid() {
        let numbered = number(&[3, 4, 9], vec![change(None), change(Some(4)), change(Some(10))]);
        assert_eq!(numbered.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [10, 11, 12]);
        assert_eq!(numbered.marks, [(4, 11)], "a stored entry is marked in the same transaction");
        assert_eq!(numbered.entries[0].undone_by, Some(12), "an entry of the same batch is marked directly");
        assert!(numbered.trim.is_empty());
        assert_eq!(number(&[], vec![change(None)]).entries[0].id, 1);
    }

    #[test]
    fn the_oldest_beyond_the_cap_are_dropped() {
        let stored: Vec<u64> = (1..=MAX_ENTRIES as u64).collect();
        let numbered = number(&stored, vec![change(None), change(None)]);
        assert_eq!(numbered.trim, [1, 2]);
        assert_eq!(numbered.entries[1].id, MAX_ENTRIES as u64 + 2);
        // More new entries than the journal holds: only the newest are written.
        let numbered = number(&[1, 2], vec![change(None); MAX_ENTRIES + 1]);
        assert_eq!((numbered.trim, numbered.entries.len()), (vec![1, 2], MAX_ENTRIES));
        assert_eq!(numbered.entries[0].id, 3);
    }

    #[test]
    fn what_was_written_joins_the_copy_in_memory_in_id_order() {
        let mut journal = Journal { entries: vec![Entry { id: 2, ..change(None) }, Entry { id: 5, ..change(None) }] };
        // Another tab wrote 3 and 4; this one's write got 6 and 7, and undid 2.
        merge(&mut journal, number(&[2, 3, 4, 5], vec![change(None), change(Some(2))]));
        assert_eq!(journal.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [2, 5, 6, 7]);
        assert_eq!(journal.get(2).unwrap().undone_by, Some(7));
        // Written again (a read of the store came first): replaced, not doubled.
        merge(&mut journal, Numbered { entries: vec![Entry { id: 6, ..change(None) }], marks: vec![], trim: vec![2] });
        assert_eq!(journal.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [5, 6, 7]);
    }
}
