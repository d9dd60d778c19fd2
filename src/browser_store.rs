//! PLACEHOLDER until the IndexedDB store lands (branch `store`): the same API, no storage.

use yew::prelude::*;

/// The browser's store (placeholder: holds nothing).
#[derive(Clone, PartialEq)]
pub struct BrowserStore;

impl BrowserStore {
    /// Content by digest.
    pub async fn content_get_many(&self, digests: &[String]) -> Vec<Option<String>> {
        vec![None; digests.len()]
    }
    /// Keeps content by digest.
    pub async fn content_put_many(&self, _items: Vec<(String, String)>) -> Result<(), String> {
        Ok(())
    }
    /// Evicts beyond the cap.
    pub async fn content_evict(&self, _cap_bytes: f64) -> Result<usize, String> {
        Ok(0)
    }
    /// A snapshot.
    pub async fn snapshot_get(&self, _key: &str) -> Option<(f64, String)> {
        None
    }
    /// Keeps a snapshot.
    pub async fn snapshot_put(&self, _key: &str, _text: String) -> Result<(), String> {
        Ok(())
    }
}

/// The store, when open.
#[hook]
pub fn use_browser_store() -> Option<BrowserStore> {
    None
}

/// The page's one store, once open; `None` when the browser has none to give.
pub async fn opened() -> Option<BrowserStore> {
    None
}
