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
    // Stored as a JSON pair, ["user", "password"].
    let pair = wharf_protocol::json::parse(text.as_bytes()).ok()?;
    let (user, password) = (pair.get(0)?.as_str()?, pair.get(1)?.as_str()?);
    Some(Credentials::new(user.to_owned(), password.to_owned()))
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
