//! Repositories a user pinned for a registry, kept in this browser (localStorage), beside those
//! the deployment pins in config.json: the way back to a repository of a registry that does not
//! list its own.

use wharf_protocol::names::Repository;
use wharf_protocol::requests::RegistryUrl;

fn key(registry: &RegistryUrl) -> String {
    format!("wharf.pins.{registry}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The user's pins for `registry`, in the order pinned (names that no longer parse are dropped).
pub fn user_pins(registry: &RegistryUrl) -> Vec<String> {
    let Some(text) = storage().and_then(|s| s.get_item(&key(registry)).ok().flatten()) else { return Vec::new() };
    let names: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
    names.into_iter().filter(|n| Repository::parse(n).is_ok()).collect()
}

fn store(registry: &RegistryUrl, names: &[String]) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(names)) {
        let _ = storage.set_item(&key(registry), &text);
    }
}

/// Pins `repository` for `registry` (once).
pub fn pin(registry: &RegistryUrl, repository: &Repository) {
    let mut names = user_pins(registry);
    let name = repository.to_string();
    if !names.contains(&name) {
        names.push(name);
        store(registry, &names);
    }
}

/// Removes the user's pin of `name`.
pub fn unpin(registry: &RegistryUrl, name: &str) {
    let names: Vec<String> = user_pins(registry).into_iter().filter(|n| n != name).collect();
    store(registry, &names);
}
