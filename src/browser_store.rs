//! The browser's own store for Wharf: one IndexedDB database, "wharf", shared by every tab of
//! this origin.
//!
//! Three object stores, all with out-of-line keys:
//! - `content`: manifests and image configs as fetched, keyed by digest. Content addressed by
//!   digest never changes, so an entry never goes stale; it only goes when the store is over
//!   [`CONTENT_CAP_BYTES`], oldest first. A record is `{t, n, v}`: when it was stored (ms since
//!   the epoch), its length in bytes, and the text.
//! - `snapshots`: the same records under any string key (what a tag list looked like, for
//!   instance).
//! - `journal`: one record per journal entry, the entry's JSON under its id (see
//!   `journal_store`, which numbers them inside its write transaction).
//!
//! The app opens it once, when it starts (`journal_store::use_journal_root`), and pages get it
//! with `journal_store::use_browser_store`.
//!
//! IndexedDB is used through web-sys directly, with a small future per request and per
//! transaction ([`request`], [`settle`]): a crate around it would add its own bindings and
//! futures to the one bundle. Every call degrades to `Err` or `None` when the browser refuses
//! IndexedDB (a blocked or private profile), and the app goes on without a cache.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbCursor, IdbCursorDirection, IdbDatabase, IdbObjectStore, IdbRequest, IdbTransactionMode};
use wharf_protocol::journal::{Entry, Journal};

const NAME: &str = "wharf";
/// The one version: the stores are made when the database is created, and never changed since.
const VERSION: u32 = 1;
const CONTENT: &str = "content";
const SNAPSHOTS: &str = "snapshots";
pub(crate) const JOURNAL: &str = "journal";
/// Where the journal lived before it moved here, in localStorage.
pub(crate) const OLD_JOURNAL: &str = "wharf.journal";
/// Where an old journal goes once carried over: kept (nothing is deleted), under a name no
/// version of Wharf reads, so nobody takes it for the live journal and nothing reads it twice.
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

/// What the calls below fail with: an exception or the DOMException of a request.
pub(crate) type Js<T> = Result<T, JsValue>;

/// Words for a failure: its message, or the text itself.
pub(crate) fn describe(e: JsValue) -> String {
    e.as_string().or_else(|| get(&e, "message").as_string()).unwrap_or_else(|| "IndexedDB failed".into())
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or_default()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &key.into(), value);
}

/// Resolves with the event when `target` fires `ok`, rejects with the event when it fires
/// `fail`. The handlers are set now, before the event can fire; setting them replaces those of
/// an earlier step (a cursor's request fires `success` once per step).
fn fired(target: &JsValue, ok: &str, fail: &str) -> JsFuture {
    JsFuture::from(Promise::new(&mut |resolve, reject| {
        set(target, ok, &resolve);
        set(target, fail, &reject);
    }))
}

/// The `success` or `error` of a request (made just now).
pub(crate) fn request(request: &IdbRequest) -> JsFuture {
    fired(request, "onsuccess", "onerror")
}

/// What a request or a transaction ended with: its `result`, or its `error`.
pub(crate) async fn settle(fired: JsFuture) -> Js<JsValue> {
    match fired.await {
        Ok(event) => Ok(get(&get(&event, "target"), "result")),
        Err(event) => Err(get(&get(&event, "target"), "error")),
    }
}

/// A transaction on one object store, and its end: `complete`, or `abort` (a failed request
/// aborts it, so nothing of it is stored).
pub(crate) type Txn = (IdbObjectStore, JsFuture);

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Stores `entries`, each as its JSON under its id.
pub(crate) fn put_entries(journal: &IdbObjectStore, entries: &[Entry]) -> Js<()> {
    for entry in entries {
        let json = entry.to_json();
        journal.put_with_key(&json.into(), &(entry.id as f64).into())?;
    }
    Ok(())
}

/// Makes the stores of a new database, and carries over the journal localStorage held, in the
/// same (upgrade) transaction: it runs once per browser profile, and two tabs opening the new
/// database at once wait for each other, so the journal is carried over exactly once, ids kept.
/// An old journal that cannot be read stays where it is (the journal store reports it). The
/// names are fixed and the database new, so the stores cannot fail to be made.
fn create(db: &IdbDatabase) -> Js<()> {
    // Ordered by time stored, and holding each record's size, so eviction walks the index's keys
    // alone and never reads the texts.
    db.create_object_store(CONTENT)?.create_index_with_str_sequence("t", &Array::of2(&"t".into(), &"n".into()))?;
    db.create_object_store(SNAPSHOTS)?;
    let journal = db.create_object_store(JOURNAL)?;
    let storage = local_storage().ok_or(JsValue::NULL)?;
    let old = storage.get_item(OLD_JOURNAL)?.ok_or(JsValue::NULL)?;
    put_entries(&journal, &Journal::parse(&old)?.entries)?;
    storage.set_item(MIGRATED, &old)?;
    storage.remove_item(OLD_JOURNAL)
}

impl BrowserStore {
    /// Opens (or creates) the database.
    pub async fn open() -> Result<BrowserStore, String> {
        let open = async {
            let factory = web_sys::window().ok_or(JsValue::NULL)?.indexed_db()?.ok_or(JsValue::NULL)?;
            let opening = factory.open_with_u32(NAME, VERSION)?;
            let done = request(&opening);
            let upgrading = opening.clone();
            let _upgrade = gloo_events::EventListener::new(&opening, "upgradeneeded", move |_| {
                let _ = create(get(&upgrading, "result").unchecked_ref());
            });
            settle(done).await
        };
        match open.await {
            Ok(db) => Ok(BrowserStore(Rc::new(Inner { db: db.unchecked_into(), written: Cell::new(0) }))),
            Err(e) if e.is_null() => Err("this browser does not let the page use IndexedDB".into()),
            Err(e) => Err(describe(e)),
        }
    }

    /// A transaction on the object store `name`, read-only unless `write`.
    pub(crate) fn txn(&self, name: &str, write: bool) -> Js<Txn> {
        let mode = if write { IdbTransactionMode::Readwrite } else { IdbTransactionMode::Readonly };
        let tx = self.0.db.transaction_with_str_and_mode(name, mode)?;
        Ok((tx.object_store(name)?, fired(&tx, "oncomplete", "onabort")))
    }

    /// The records stored under `keys` in the object store `name`, in their order (`undefined`:
    /// not stored). One read-only transaction; the gets all go out at once.
    async fn records(&self, name: &str, keys: &[&str]) -> Vec<JsValue> {
        let mut found = Vec::new();
        if let Ok((store, _)) = self.txn(name, false) {
            let asked: Vec<_> = keys.iter().map(|key| store.get(&(*key).into()).map(|r| request(&r))).collect();
            for ask in asked {
                found.push(match ask {
                    Ok(ask) => settle(ask).await.unwrap_or_default(),
                    Err(_) => JsValue::UNDEFINED,
                });
            }
        }
        found.resize(keys.len(), JsValue::UNDEFINED);
        found
    }

    /// Stores each `(key, text)` as `{t: now, n: its length in bytes, v: the text}` in the
    /// object store `name`, in one transaction.
    async fn put_records(&self, name: &str, items: &[(String, String)]) -> Result<(), String> {
        let put = async {
            let (store, done) = self.txn(name, true)?;
            let now = JsValue::from(js_sys::Date::now());
            for (key, text) in items {
                let record: JsValue = Object::new().into();
                set(&record, "t", &now);
                set(&record, "n", &(text.len() as f64).into());
                set(&record, "v", &text.into());
                store.put_with_key(&record, &key.into())?;
            }
            settle(done).await
        };
        put.await.map(drop).map_err(describe)
    }

    /// The texts stored under `digests`, in their order (`None`: not stored, or unreadable).
    /// One read-only transaction; the gets all go out at once.
    pub async fn content_get_many(&self, digests: &[String]) -> Vec<Option<String>> {
        let keys: Vec<&str> = digests.iter().map(String::as_str).collect();
        self.records(CONTENT, &keys).await.iter().map(|record| get(record, "v").as_string()).collect()
    }

    /// Every digest the content store holds (its keys only: one request, no texts read).
    pub async fn content_digests(&self) -> Vec<String> {
        let keys = async {
            let (store, _) = self.txn(CONTENT, false)?;
            settle(request(&store.get_all_keys()?)).await
        };
        match keys.await {
            Ok(keys) => keys.unchecked_into::<Array>().iter().filter_map(|k| k.as_string()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Stores `(digest, text)` pairs (the caller has checked that each text hashes to its
    /// digest), in one transaction; evicts the oldest content now and then (see [`EVICT_EVERY`]).
    pub async fn content_put_many(&self, items: Vec<(String, String)>) -> Result<(), String> {
        self.put_records(CONTENT, &items).await?;
        let (before, after) = (self.0.written.get(), self.0.written.get() + items.len());
        self.0.written.set(after);
        if after > before && (before == 0 || before / EVICT_EVERY != after / EVICT_EVERY) {
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
        let evict = async {
            let (store, done) = self.txn(CONTENT, true)?;
            let walk =
                store.index("t")?.open_key_cursor_with_range_and_direction(&JsValue::NULL, IdbCursorDirection::Prev)?;
            let (mut kept, mut deleted) = (0.0, 0);
            loop {
                let step = settle(request(&walk)).await?;
                if step.is_null() {
                    break;
                }
                let cursor: IdbCursor = step.unchecked_into();
                // The index key is [t, n].
                kept += cursor.key()?.unchecked_into::<Array>().get(1).as_f64().unwrap_or(0.0);
                if kept > cap_bytes {
                    store.delete(&cursor.primary_key()?)?;
                    deleted += 1;
                }
                cursor.continue_()?;
            }
            settle(done).await?;
            Ok(deleted)
        };
        evict.await.map_err(describe)
    }

    /// The snapshot under `key`: when it was stored (ms since the epoch) and its text.
    pub async fn snapshot_get(&self, key: &str) -> Option<(f64, String)> {
        let record = self.records(SNAPSHOTS, &[key]).await.pop()?;
        Some((get(&record, "t").as_f64()?, get(&record, "v").as_string()?))
    }

    /// Every key the snapshot store holds (one request, no texts read).
    pub async fn snapshot_keys(&self) -> Vec<String> {
        let keys = async {
            let (store, _) = self.txn(SNAPSHOTS, false)?;
            settle(request(&store.get_all_keys()?)).await
        };
        match keys.await {
            Ok(keys) => keys.unchecked_into::<Array>().iter().filter_map(|k| k.as_string()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Stores `text` under `key`, dated now, replacing what was there.
    pub async fn snapshot_put(&self, key: &str, text: String) -> Result<(), String> {
        self.put_records(SNAPSHOTS, &[(key.to_string(), text)]).await
    }
}

/// A connection to the store for a page's background work (the tag list's glance, the catalog's
/// dates); `None` when the browser has no IndexedDB to give. IndexedDB allows many connections,
/// and one per page visit costs a millisecond.
pub async fn opened() -> Option<BrowserStore> {
    BrowserStore::open().await.ok()
}
