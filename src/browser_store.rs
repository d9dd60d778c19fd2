//! The browser's own store for Wharf: one IndexedDB database, "wharf", shared by every tab of
//! this origin.
//!
//! Three object stores, all with out-of-line keys:
//! - `content`: manifests and image configs as fetched, keyed by digest. Content addressed by
//!   digest never changes, so an entry never goes stale; it only goes when the store is over
//!   [`CONTENT_CAP_BYTES`], oldest first. A record is `{t, n, v}`: when it was stored (ms since
//!   the epoch), its length in bytes, and the text.
//! - `snapshots`: `{t, v}` under any string key (what a tag list looked like, for instance).
//! - `journal`: one record per journal entry, the entry's JSON under its id (see
//!   `journal_store`, which numbers them inside its write transaction).
//!
//! IndexedDB is used through web-sys directly, with a small future per request and per
//! transaction ([`request`], [`Txn::commit`]): a crate around it would add its own bindings and
//! futures to the one bundle. Every call degrades to `Err` or `None` when the browser refuses
//! IndexedDB (a blocked or private profile), and the app goes on without a cache.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbCursor, IdbCursorDirection, IdbDatabase, IdbObjectStore, IdbRequest, IdbTransactionMode};
use wharf_protocol::journal::Journal;
use yew::prelude::*;

const NAME: &str = "wharf";
/// The one version: the stores are made when the database is created, and never changed since.
const VERSION: u32 = 1;
const CONTENT: &str = "content";
const SNAPSHOTS: &str = "snapshots";
pub(crate) const JOURNAL: &str = "journal";
/// Where the journal lived before it moved here, in localStorage.
pub(crate) const OLD_JOURNAL: &str = "wharf.journal";
/// Where an old journal goes once carried over: kept (nothing is deleted), but under a name no
/// version of Wharf reads as its journal, so an older version still open in another tab cannot
/// pass it off as the journal, and nobody reading the storage mistakes it for the live one.
const MIGRATED: &str = "wharf.journal.migrated";

/// What the content store may hold. Manifests and configs are a few KB each, so this is thousands
/// of images; browsers grant an origin far more than this.
pub const CONTENT_CAP_BYTES: f64 = 64.0 * 1024.0 * 1024.0;
/// Content is evicted after the first write of a page's life, then after every this many
/// records written. The first catches up with what earlier pages left; the count bounds how far
/// one long page life (a bulk promotion, tag lists of thousands) can go past the cap, while an
/// eviction walk (one key cursor over the index, no texts read) stays rare.
const EVICT_EVERY: usize = 1000;

struct Inner {
    db: IdbDatabase,
    /// Content records written in this page's life.
    written: Cell<usize>,
}

/// The open database. Cheap to clone; equal only to its clones.
#[derive(Clone)]
pub struct BrowserStore(Rc<Inner>);

impl PartialEq for BrowserStore {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The message of an exception or of a DOMException.
fn describe(e: &JsValue) -> String {
    get(e, "message").as_string().unwrap_or_else(|| "IndexedDB failed".into())
}

/// Why a request or a transaction failed (its `error`).
fn failure(target: &JsValue) -> String {
    describe(&get(target, "error"))
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or_default()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &key.into(), value);
}

/// Settles when `target` fires `ok` (resolved) or `fail` (rejected). The handlers are set now,
/// before the event can fire; setting them replaces those of an earlier step (a cursor's request
/// fires `success` once per step).
fn settled(target: &JsValue, ok: &str, fail: &str) -> JsFuture {
    JsFuture::from(Promise::new(&mut |resolve, reject| {
        set(target, ok, &resolve);
        set(target, fail, &reject);
    }))
}

/// The result of `request` once it succeeds. Not an `async fn`: the handlers must be in place
/// when the request is made, not when the future is first polled.
pub(crate) fn request(request: &IdbRequest) -> impl Future<Output = Result<JsValue, String>> {
    let done = settled(request, "onsuccess", "onerror");
    let request = request.clone();
    async move {
        done.await.map_err(|_| failure(&request))?;
        request.result().map_err(|e| describe(&e))
    }
}

/// A transaction on one object store.
pub(crate) struct Txn {
    pub(crate) store: IdbObjectStore,
    tx: JsValue,
    done: JsFuture,
}

impl Txn {
    /// Waits until the transaction has committed (a readwrite one: its changes are stored).
    pub(crate) async fn commit(self) -> Result<(), String> {
        self.done.await.map(drop).map_err(|_| failure(&self.tx))
    }
}

/// The records an old localStorage journal becomes: each entry's JSON under its id. `Err` when
/// the old journal cannot be read (it is then left where it is).
fn carried_over(old: &str) -> Result<Vec<(f64, String)>, String> {
    let journal = Journal::parse(old)?;
    Ok(journal.entries.iter().map(|e| (e.id as f64, serde_json::to_string(e).unwrap_or_default())).collect())
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Makes the stores of a new database, and carries over the journal localStorage held, in the
/// same (upgrade) transaction: it runs once per browser profile, and two tabs opening the new
/// database at once wait for each other, so the journal is carried over exactly once. The names
/// are fixed and the database new, so these calls do not fail.
fn create(db: &IdbDatabase) {
    if let Ok(content) = db.create_object_store(CONTENT) {
        // Ordered by time stored, and holding each record's size, so eviction walks the index's
        // keys alone and never reads the texts.
        let _ = content.create_index_with_str_sequence("t", &Array::of2(&"t".into(), &"n".into()));
    }
    let _ = db.create_object_store(SNAPSHOTS);
    let (Ok(journal), Some(storage)) = (db.create_object_store(JOURNAL), local_storage()) else { return };
    let Some(old) = storage.get_item(OLD_JOURNAL).ok().flatten() else { return };
    // An old journal that cannot be read stays where it is; the journal store reports it.
    if let Ok(records) = carried_over(&old) {
        for (id, json) in records {
            let _ = journal.put_with_key(&json.into(), &id.into());
        }
        if storage.set_item(MIGRATED, &old).is_ok() {
            let _ = storage.remove_item(OLD_JOURNAL);
        }
    }
}

impl BrowserStore {
    /// Opens (or creates) the database.
    pub async fn open() -> Result<BrowserStore, String> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or("this browser does not let the page use IndexedDB")?;
        let opening = factory.open_with_u32(NAME, VERSION).map_err(|e| describe(&e))?;
        let done = request(&opening);
        let upgrading = opening.clone();
        let _upgrade = gloo_events::EventListener::new(&opening, "upgradeneeded", move |_| {
            if let Ok(db) = upgrading.result() {
                create(db.unchecked_ref());
            }
        });
        let db = done.await?.unchecked_into();
        Ok(BrowserStore(Rc::new(Inner { db, written: Cell::new(0) })))
    }

    /// A transaction on the object store `name`, read-only unless `write`.
    pub(crate) fn txn(&self, name: &str, write: bool) -> Result<Txn, String> {
        let mode = if write { IdbTransactionMode::Readwrite } else { IdbTransactionMode::Readonly };
        let tx = self.0.db.transaction_with_str_and_mode(name, mode).map_err(|e| describe(&e))?;
        let done = settled(&tx, "oncomplete", "onabort");
        let store = tx.object_store(name).map_err(|e| describe(&e))?;
        Ok(Txn { store, tx: tx.into(), done })
    }

    /// The texts stored under `digests`, in their order (`None`: not stored, or unreadable).
    /// One read-only transaction; the gets all go out at once.
    pub async fn content_get_many(&self, digests: &[String]) -> Vec<Option<String>> {
        let Ok(txn) = self.txn(CONTENT, false) else { return vec![None; digests.len()] };
        let asked: Vec<_> = digests.iter().map(|d| txn.store.get(&d.into()).ok().map(|r| request(&r))).collect();
        let mut found = Vec::with_capacity(asked.len());
        for ask in asked {
            found.push(match ask {
                Some(ask) => ask.await.ok().and_then(|record| get(&record, "v").as_string()),
                None => None,
            });
        }
        found
    }

    /// Stores `(digest, text)` pairs (the caller has checked that each text hashes to its
    /// digest), in one transaction; evicts the oldest content now and then (see [`EVICT_EVERY`]).
    pub async fn content_put_many(&self, items: Vec<(String, String)>) -> Result<(), String> {
        if items.is_empty() {
            return Ok(());
        }
        let txn = self.txn(CONTENT, true)?;
        let now = JsValue::from(js_sys::Date::now());
        for (digest, text) in &items {
            let record: JsValue = Object::new().into();
            set(&record, "t", &now);
            set(&record, "n", &(text.len() as f64).into());
            set(&record, "v", &text.into());
            txn.store.put_with_key(&record, &digest.into()).map_err(|e| describe(&e))?;
        }
        txn.commit().await?;
        let before = self.0.written.replace(self.0.written.get() + items.len());
        if before == 0 || before / EVICT_EVERY != (before + items.len()) / EVICT_EVERY {
            let store = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = store.content_evict(CONTENT_CAP_BYTES).await;
            });
        }
        Ok(())
    }

    /// Deletes the oldest content beyond `cap_bytes`: walks the records newest to oldest summing
    /// their sizes, and deletes every record from the one that passes the cap on. Returns how
    /// many it deleted.
    pub async fn content_evict(&self, cap_bytes: f64) -> Result<usize, String> {
        let txn = self.txn(CONTENT, true)?;
        let walk = txn
            .store
            .index("t")
            .and_then(|index| index.open_key_cursor_with_range_and_direction(&JsValue::NULL, IdbCursorDirection::Prev))
            .map_err(|e| describe(&e))?;
        let (mut kept, mut deleted) = (0.0, 0);
        loop {
            let step = request(&walk).await?;
            if step.is_null() {
                break;
            }
            let cursor: IdbCursor = step.unchecked_into();
            // The index key is [t, n].
            kept += cursor.key().ok().and_then(|key| key.unchecked_into::<Array>().get(1).as_f64()).unwrap_or(0.0);
            if kept > cap_bytes {
                let key = cursor.primary_key().map_err(|e| describe(&e))?;
                txn.store.delete(&key).map_err(|e| describe(&e))?;
                deleted += 1;
            }
            cursor.continue_().map_err(|e| describe(&e))?;
        }
        txn.commit().await?;
        Ok(deleted)
    }

    /// The snapshot under `key`: when it was stored (ms since the epoch) and its text.
    pub async fn snapshot_get(&self, key: &str) -> Option<(f64, String)> {
        let txn = self.txn(SNAPSHOTS, false).ok()?;
        let record = request(&txn.store.get(&key.into()).ok()?).await.ok()?;
        Some((get(&record, "t").as_f64()?, get(&record, "v").as_string()?))
    }

    /// Stores `text` under `key`, dated now, replacing what was there.
    pub async fn snapshot_put(&self, key: &str, text: String) -> Result<(), String> {
        let txn = self.txn(SNAPSHOTS, true)?;
        let record: JsValue = Object::new().into();
        set(&record, "t", &js_sys::Date::now().into());
        set(&record, "v", &text.into());
        txn.store.put_with_key(&record, &key.into()).map_err(|e| describe(&e))?;
        txn.commit().await
    }
}

/// The store for the shell to provide: opened once for the page's life, in an effect. `None`
/// while it opens, then the outcome (`Err`: why the browser refused).
#[hook]
pub fn use_browser_store_root() -> Option<Result<BrowserStore, String>> {
    let opened = use_state(|| None);
    {
        let opened = opened.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { opened.set(Some(BrowserStore::open().await)) });
        });
    }
    (*opened).clone()
}

/// The app's browser store: `None` while it opens, or when the browser refuses IndexedDB (then
/// go on without a cache).
#[hook]
pub fn use_browser_store() -> Option<BrowserStore> {
    use_context::<Option<BrowserStore>>().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_journal_is_carried_over_entry_by_entry_with_its_ids() {
        let old = r#"{"entries":[
            {"id":4,"time":"2026-11-23T10:00:00.000Z","action":"retag","registry":"http://r:5000",
             "repository":"app","tag":"v2","before":null,"after":"sha256:aa","ok":true,"result":"stored",
             "undone_by":5},
            {"id":5,"time":"2026-11-23T10:01:00.000Z","action":"undo","registry":"http://r:5000",
             "repository":"app","tag":"v2","before":"sha256:aa","after":null,"ok":true,"result":"undid entry 4",
             "undoes":4}]}"#;
        let records = carried_over(old).unwrap();
        assert_eq!(records.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [4.0, 5.0]);
        let back = Journal::parse(&format!("{{\"entries\":[{}]}}", records[0].1)).unwrap();
        assert_eq!(back.entries[0].undone_by, Some(5), "each record is the entry's own JSON");
        assert_eq!(back, Journal { entries: Journal::parse(old).unwrap().entries[..1].to_vec() });
        assert!(carried_over("{\"entries\":[{\"id\":1}]}").unwrap_err().contains("entry 1 is incomplete"));
        assert!(carried_over("not json").is_err());
    }
}
