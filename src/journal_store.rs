//! The journal kept in localStorage, so it survives a reload (see `wharf_protocol::journal`).
//!
//! The first-load bundle only appends its changes (retags) to a pending list, one JSON entry per
//! line, without reading the journal; the console bundle, which shows the journal, takes them in
//! when it first reads it. That keeps the journal reader out of the first load.
//!
//! The journal is read once into memory. A change is written back at once; during a burst (a
//! bulk run of a thousand items) writes are gathered half a second at a time, so the
//! journal is not serialised a thousand times. A stored journal
//! that cannot be read is moved aside (not overwritten) and reported.

use std::cell::RefCell;

use wharf_protocol::journal::{Entry, Journal, SavedManifest};
use wharf_protocol::names::{Digest, Repository, Tag};
use wharf_protocol::requests::RegistryUrl;

const KEY: &str = "wharf.journal";
const UNREADABLE_KEY: &str = "wharf.journal.unreadable";
/// Entries recorded by the first-load bundle, one JSON object per line, not yet in the journal.
const PENDING_KEY: &str = "wharf.journal.pending";
/// After a write, further changes are gathered for this long and written together.
const SAVE_DELAY_MS: u32 = 500;

thread_local! {
    static JOURNAL: RefCell<Option<Journal>> = const { RefCell::new(None) };
    static SAVE_PENDING: RefCell<Option<(gloo_timers::callback::Timeout, bool)>> = const { RefCell::new(None) };
    static PROBLEM: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn with_journal<R>(f: impl FnOnce(&mut Journal) -> R) -> R {
    JOURNAL.with(|cell| {
        let mut slot = cell.borrow_mut();
        let journal = slot.get_or_insert_with(|| {
            let stored = storage().and_then(|s| s.get_item(KEY).ok().flatten());
            let mut journal = match stored.as_deref().map(Journal::parse) {
                None => Journal::default(),
                Some(Ok(journal)) => journal,
                Some(Err(problem)) => {
                    if let (Some(s), Some(text)) = (storage(), stored) {
                        let _ = s.set_item(UNREADABLE_KEY, &text);
                    }
                    PROBLEM.with(|p| *p.borrow_mut() = Some(format!("{problem}; it was kept as {UNREADABLE_KEY}")));
                    Journal::default()
                }
            };
            flush_when_leaving();
            let pending = storage().and_then(|s| s.get_item(PENDING_KEY).ok().flatten()).unwrap_or_default();
            for line in pending.lines().filter(|l| !l.trim().is_empty()) {
                if let Ok(entry) = serde_json::from_str::<Entry>(line) {
                    journal.record(entry);
                }
            }
            if !pending.is_empty() {
                if let Some(s) = storage() {
                    let _ = s.set_item(KEY, &journal.to_json());
                    let _ = s.remove_item(PENDING_KEY);
                }
            }
            journal
        });
        f(journal)
    })
}

/// Writes what is still gathered when the page goes away (reload, navigation, tab closed), so no
/// change recorded in the last half second is lost.
#[cfg(feature = "console")]
fn flush_when_leaving() {
    use wasm_bindgen::JsCast;
    let flush = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| {
        let dirty = SAVE_PENDING.with(|p| p.borrow_mut().take().is_some_and(|(_, dirty)| dirty));
        if dirty {
            save_now();
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.add_event_listener_with_callback("pagehide", flush.as_ref().unchecked_ref());
    }
    // Lives as long as the page.
    flush.forget();
}

#[cfg(not(feature = "console"))]
fn flush_when_leaving() {}

/// Writes now unless a write happened within the last [`SAVE_DELAY_MS`]; then once more when
/// that window ends. A single change is stored at once; a burst is stored a few times a second.
fn save_soon() {
    SAVE_PENDING.with(|pending| {
        let mut pending = pending.borrow_mut();
        match pending.as_mut() {
            Some((_, dirty)) => *dirty = true,
            None => {
                save_now();
                let window_ends = gloo_timers::callback::Timeout::new(SAVE_DELAY_MS, || {
                    let dirty = SAVE_PENDING.with(|p| p.borrow_mut().take().is_some_and(|(_, dirty)| dirty));
                    if dirty {
                        save_now();
                    }
                });
                *pending = Some((window_ends, false));
            }
        }
    });
}

fn save_now() {
    let text = with_journal(|j| j.to_json());
    if let Some(storage) = storage() {
        if storage.set_item(KEY, &text).is_err() {
            PROBLEM.with(|p| *p.borrow_mut() = Some("the browser refused to store the journal (storage full?)".into()));
        }
    }
}

/// A copy of the journal.
pub fn snapshot() -> Journal {
    with_journal(|j| j.clone())
}

/// Why the stored journal could not be used or written, if it could not.
pub fn problem() -> Option<String> {
    with_journal(|_| ());
    PROBLEM.with(|p| p.borrow().clone())
}

/// One change to record.
pub struct Change<'a> {
    /// "retag", "copy", "delete tag", …
    pub action: &'a str,
    /// Where.
    pub registry: &'a RegistryUrl,
    /// Which repository.
    pub repository: &'a Repository,
    /// Which tag.
    pub tag: Option<&'a Tag>,
    /// What it held before.
    pub before: Option<&'a Digest>,
    /// What it holds after.
    pub after: Option<&'a Digest>,
    /// What happened: `Ok(summary)` or `Err(why it failed)`.
    pub outcome: Result<String, String>,
}

/// Records a change; returns its entry id.
pub fn record(change: Change<'_>) -> u64 {
    record_saving(change, None)
}

/// Records a change that deleted a manifest, with its bytes for undo.
pub fn record_saving(change: Change<'_>, saved: Option<SavedManifest>) -> u64 {
    let (ok, result) = match change.outcome {
        Ok(summary) => (true, summary),
        Err(why) => (false, why),
    };
    let entry = Entry {
        id: 0,
        time: js_sys::Date::new_0().to_iso_string().into(),
        action: change.action.to_string(),
        registry: change.registry.to_string(),
        repository: change.repository.to_string(),
        tag: change.tag.map(|t| t.to_string()),
        before: change.before.map(|d| d.to_string()),
        after: change.after.map(|d| d.to_string()),
        ok,
        result,
        saved,
        undone_by: None,
    };
    store(entry)
}

/// The console keeps the journal in memory and writes it back.
#[cfg(feature = "console")]
fn store(entry: Entry) -> u64 {
    let id = with_journal(|j| j.record(entry));
    save_soon();
    id
}

/// The first-load bundle appends to the pending list (the console numbers the entries later).
#[cfg(not(feature = "console"))]
fn store(entry: Entry) -> u64 {
    if let (Some(storage), Ok(line)) = (storage(), serde_json::to_string(&entry)) {
        let pending = storage.get_item(PENDING_KEY).ok().flatten().unwrap_or_default();
        let _ = storage.set_item(PENDING_KEY, &format!("{pending}{line}\n"));
    }
    0
}

/// Marks entry `id` as undone by entry `by`.
pub fn mark_undone(id: u64, by: u64) {
    with_journal(|j| j.mark_undone(id, by));
    save_soon();
}
