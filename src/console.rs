//! Wharf ships as two bundles of the same app, so the first load stays small.
//!
//! The first load (built without features) browses, retags, logs in and self-tests. The pages
//! that copy, promote in bulk, delete and keep the journal are only in the "console" bundle (the
//! `console` feature, built into `dist/console/`), which holds the whole app. The first time one
//! of those pages opens, the running app hands its logins (and a tag selection) over in memory,
//! removes itself, and starts the console in the same page at the same URL: no reload, nothing
//! written to storage. From then on the console is the app.

use std::cell::RefCell;
use std::collections::BTreeSet;

use wasm_bindgen::prelude::*;
use wharf_protocol::address::View;
use wharf_protocol::auth::Credentials;
use wharf_protocol::requests::RegistryUrl;

use crate::app::App;
use crate::wire::Connection;

/// Where the console bundle's module is (Trunk builds it with `--public-url /console/`).
pub const BUNDLE: &str = "/console/wharf.js";
/// The window property that carries the handover for the moment between the two bundles.
const HANDOFF: &str = "__wharfHandoff";

#[wasm_bindgen(inline_js = "export function start_bundle(url) { return import(url).then((m) => m.default()); }")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn start_bundle(url: &str) -> Result<js_sys::Promise, JsValue>;
}

/// What one bundle hands to the next.
#[derive(serde::Serialize, Default)]
#[cfg_attr(feature = "console", derive(serde::Deserialize))]
struct Handoff {
    /// (registry, user, password) of every login.
    logins: Vec<(String, String, String)>,
    /// Tags selected on the tag list, for the bulk panel.
    selection: Vec<String>,
}

thread_local! {
    static RUNNING: RefCell<Option<yew::AppHandle<App>>> = const { RefCell::new(None) };
    #[cfg(feature = "console")]
    static RECEIVED: RefCell<Option<Handoff>> = const { RefCell::new(None) };
}

/// Renders the app into the page (the entry point of both bundles).
pub fn start() {
    let handle = yew::Renderer::<App>::new().render();
    RUNNING.with(|running| *running.borrow_mut() = Some(handle));
}

/// Whether this bundle has the console's pages.
pub const IS_CONSOLE: bool = cfg!(feature = "console");

/// Whether a view needs the console bundle.
pub fn needs_console(view: &View) -> bool {
    matches!(view, View::Copy { .. } | View::Delete { .. } | View::Journal { .. })
}

/// Replaces this app with the console, at the current URL, keeping the logins and `selection`.
pub fn open(connection: &Connection, selection: Vec<String>) {
    let Some(window) = web_sys::window() else { return };
    let handoff = Handoff {
        logins: connection
            .logins()
            .into_iter()
            .map(|(registry, c)| (registry.to_string(), c.username.clone(), c.password().to_string()))
            .collect(),
        selection,
    };
    let text = serde_json::to_string(&handoff).unwrap_or_default();
    let _ = js_sys::Reflect::set(&window, &HANDOFF.into(), &text.into());
    wasm_bindgen_futures::spawn_local(async move {
        // After the current render: an app cannot remove itself while it renders.
        if let Some(app) = RUNNING.with(|running| running.borrow_mut().take()) {
            app.destroy();
        }
        let started = match start_bundle(BUNDLE) {
            Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = started {
            let detail =
                e.as_string().or_else(|| js_sys::JSON::stringify(&e).ok().map(String::from)).unwrap_or_default();
            if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
                body.set_text_content(Some(&format!(
                    "Wharf could not load its console ({BUNDLE}): {detail}. The deployment must serve the \
                     console/ folder of the build beside index.html. Reload to go back."
                )));
            }
        }
    });
}

#[cfg(feature = "console")]
fn received<R>(f: impl FnOnce(&mut Handoff) -> R) -> R {
    RECEIVED.with(|cell| {
        let mut slot = cell.borrow_mut();
        let handoff = slot.get_or_insert_with(|| {
            let Some(window) = web_sys::window() else { return Handoff::default() };
            let text = js_sys::Reflect::get(&window, &HANDOFF.into()).ok().and_then(|v| v.as_string());
            let _ = js_sys::Reflect::delete_property(&window, &HANDOFF.into());
            text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
        });
        f(handoff)
    })
}

/// The login handed over for `registry`, if any (taken once). The first-load bundle receives
/// nothing: it is always the one that hands over.
pub fn handed_over_login(registry: &RegistryUrl) -> Option<Credentials> {
    #[cfg(feature = "console")]
    {
        let name = registry.to_string();
        received(|h| {
            let at = h.logins.iter().position(|(r, _, _)| *r == name)?;
            let (_, user, password) = h.logins.remove(at);
            Some(Credentials::new(user, password))
        })
    }
    #[cfg(not(feature = "console"))]
    {
        let _ = registry;
        None
    }
}

/// The tag selection handed over (taken once; empty in the first-load bundle).
pub fn handed_over_selection() -> BTreeSet<String> {
    #[cfg(feature = "console")]
    {
        received(|h| std::mem::take(&mut h.selection).into_iter().collect())
    }
    #[cfg(not(feature = "console"))]
    {
        BTreeSet::new()
    }
}
