//! "Remember in this tab": credentials in sessionStorage, only when the user opts in.
//!
//! sessionStorage lives as long as the tab and is never sent anywhere; closing the tab forgets
//! it. Without the opt-in, credentials exist only in memory and a reload asks again.

use wharf_protocol::auth::Credentials;
use wharf_protocol::requests::RegistryUrl;

fn key(registry: &RegistryUrl) -> String {
    format!("wharf.login.{registry}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

/// Credentials remembered for `registry` in this tab.
pub fn remembered(registry: &RegistryUrl) -> Option<Credentials> {
    let text = storage()?.get_item(&key(registry)).ok()??;
    let pair: (String, String) = serde_json::from_slice(text.as_bytes()).ok()?;
    Some(Credentials::new(pair.0, pair.1))
}

/// Remembers credentials for `registry` until the tab closes.
pub fn remember(registry: &RegistryUrl, credentials: &Credentials) {
    if let (Some(storage), Ok(text)) =
        (storage(), serde_json::to_string(&(&credentials.username, credentials.password())))
    {
        let _ = storage.set_item(&key(registry), &text);
    }
}

/// Forgets remembered credentials for `registry`.
pub fn forget(registry: &RegistryUrl) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(registry));
    }
}
