//! The journal kept in localStorage, so it survives a reload (see `wharf_protocol::journal`).
//!
//! The app shell holds one [`JournalStore`] (in a hook, so it lives with the app) and provides it
//! as a context. It is read from storage once, when the app starts; flows hand it the entries
//! their reports carry. A change is written back in the next task (after the page has shown it);
//! during a burst (a bulk run of a thousand items) writes are gathered half a second at a time,
//! and whatever is still gathered is written when the page goes away. Reading it never writes. A
//! stored journal that cannot be read is moved aside (not overwritten) when the app starts, and
//! reported.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use wharf_protocol::journal::{Entry, Journal};
use yew::prelude::*;

const KEY: &str = "wharf.journal";
const UNREADABLE_KEY: &str = "wharf.journal.unreadable";
/// After a write, further changes are gathered for this long and written together.
const SAVE_DELAY_MS: u32 = 500;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

#[derive(Default)]
struct Inner {
    journal: RefCell<Journal>,
    problem: RefCell<Option<String>>,
    /// A stored journal that could not be read: moved aside when the app starts.
    unreadable: RefCell<Option<String>>,
    save_window: RefCell<Option<gloo_timers::callback::Timeout>>,
    dirty: Cell<bool>,
}

/// The journal of this browser, shared by every page. Equal to itself only: recording does not
/// re-render the pages that record (a bulk run records a thousand entries).
#[derive(Clone)]
pub struct JournalStore(Rc<Inner>);

impl PartialEq for JournalStore {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl JournalStore {
    /// Reads the stored journal (nothing is written here; see [`use_journal_root`]).
    fn read() -> Self {
        let inner = Inner::default();
        let stored = storage().and_then(|s| s.get_item(KEY).ok().flatten());
        match stored.as_deref().map(Journal::parse) {
            None => {}
            Some(Ok(journal)) => *inner.journal.borrow_mut() = journal,
            Some(Err(problem)) => {
                *inner.problem.borrow_mut() = Some(format!("{problem}; it was kept as {UNREADABLE_KEY}"));
                *inner.unreadable.borrow_mut() = stored;
            }
        }
        JournalStore(Rc::new(inner))
    }

    /// The journal as it is now.
    pub fn journal(&self) -> Ref<'_, Journal> {
        self.0.journal.borrow()
    }

    /// Why the stored journal could not be used or written, if it could not.
    pub fn problem(&self) -> Option<String> {
        self.0.problem.borrow().clone()
    }

    /// Records the entries a flow's report carries, dated now.
    pub fn record(&self, changes: Vec<Entry>) {
        if changes.is_empty() {
            return;
        }
        {
            let time: String = js_sys::Date::new_0().to_iso_string().into();
            let mut journal = self.0.journal.borrow_mut();
            for change in changes {
                journal.record(change, time.clone());
            }
        }
        self.save_soon();
    }

    /// Writes in a task of its own, right after the current one (so the page shows a change
    /// before the journal is serialised); changes within the next [`SAVE_DELAY_MS`] are gathered
    /// and written together when that window ends.
    fn save_soon(&self) {
        self.0.dirty.set(true);
        if self.0.save_window.borrow().is_none() {
            let store = self.clone();
            *self.0.save_window.borrow_mut() =
                Some(gloo_timers::callback::Timeout::new(0, move || store.write_and_wait()));
        }
    }

    /// Writes what is gathered, then gathers for [`SAVE_DELAY_MS`].
    fn write_and_wait(&self) {
        self.flush();
        let store = self.clone();
        let window_ends = gloo_timers::callback::Timeout::new(SAVE_DELAY_MS, move || {
            store.0.save_window.borrow_mut().take();
            store.flush();
        });
        *self.0.save_window.borrow_mut() = Some(window_ends);
    }

    /// Writes what is still gathered.
    fn flush(&self) {
        if self.0.dirty.replace(false) {
            self.save_now();
        }
    }

    fn save_now(&self) {
        let text = self.0.journal.borrow().to_json();
        if let Some(storage) = storage() {
            if storage.set_item(KEY, &text).is_err() {
                *self.0.problem.borrow_mut() = Some("the browser refused to store the journal (storage full?)".into());
            }
        }
    }

    /// What starting the app writes: an unreadable journal moved aside.
    fn settle(&self) {
        if let (Some(storage), Some(text)) = (storage(), self.0.unreadable.borrow_mut().take()) {
            let _ = storage.set_item(UNREADABLE_KEY, &text);
        }
    }
}

/// The app's one journal store, for the shell to provide: read when the app starts, settled and
/// flushed when the page goes away.
#[hook]
pub fn use_journal_root() -> JournalStore {
    let store = (*use_memo((), |_| JournalStore::read())).clone();
    {
        let store = store.clone();
        use_effect_with((), move |_| {
            store.settle();
            let leaving = store.clone();
            let listener =
                web_sys::window().map(|w| gloo_events::EventListener::new(&w, "pagehide", move |_| leaving.flush()));
            move || drop(listener)
        });
    }
    store
}

/// The journal store the app provides.
#[hook]
pub fn use_journal() -> JournalStore {
    use_context::<JournalStore>().expect("pages are rendered inside the app's JournalStore context")
}
