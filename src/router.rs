//! Routing on the browser's History API.
//!
//! Wharf's views are all parsed by `wharf_protocol::address`, so the router only has to keep the
//! current path and change it. The browser's location is the single source of truth: a link or
//! [`navigate`] calls `history.pushState` and then fires `popstate`, the same event Back and
//! Forward fire, and the app's one listener ([`use_current_path`]) re-renders from the new path.
//! Route helpers live here too. (This replaced yew-router: the routes were already parsed here,
//! and the router and its history crate cost about 35 KB gzip of the first load.)

use wharf_protocol::address::{registry_segment, View};
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

/// The landing page's path.
pub const HOME: &str = "/";

/// The path of a view (`/r/...`).
pub fn route_for(view: &View) -> String {
    view.to_path()
}

/// The catalog path of a registry.
pub fn catalog_route(registry: &RegistryUrl) -> String {
    format!("/r/{}", registry_segment(registry))
}

/// The page's path and query, as the browser has it.
pub fn current_path() -> String {
    web_sys::window()
        .map(|w| {
            let location = w.location();
            format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default())
        })
        .unwrap_or_else(|| "/".to_string())
}

/// A query parameter of the page's URL (`?sort=newest`, `?ns=team`).
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
}

/// Replaces the page's query (the path stays; no history entry, no navigation): `None` drops it.
pub fn replace_query(query: Option<&str>) {
    let Some(window) = web_sys::window() else { return };
    let path = window.location().pathname().unwrap_or_default();
    let url = match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// Goes to `path` (pushing a history entry, or replacing the current one).
pub fn navigate(path: &str, replace: bool) {
    let Some(window) = web_sys::window() else { return };
    let Ok(history) = window.history() else { return };
    let changed = if replace {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path))
    } else {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path))
    };
    if changed.is_ok() {
        if !replace {
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
        if let Ok(event) = web_sys::Event::new("popstate") {
            let _ = window.dispatch_event(&event);
        }
    }
}

/// An `<a>` to `path` that navigates in the page on a plain left click, and leaves modified
/// clicks (new tab, new window) to the browser.
pub fn link(path: String, class: &'static str, content: Html) -> Html {
    let target = path.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        if e.button() == 0 && !(e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key()) {
            e.prevent_default();
            navigate(&target, false);
        }
    });
    html! { <a href={path} class={(!class.is_empty()).then_some(class)} {onclick}>{ content }</a> }
}

/// The current path, kept up to date by one `popstate` listener for the app's lifetime.
#[hook]
pub fn use_current_path() -> String {
    let path = use_state(current_path);
    {
        let path = path.clone();
        use_effect_with((), move |_| {
            // Removed when the app goes (the listener is dropped with the effect).
            let listener = web_sys::window()
                .map(|w| gloo_events::EventListener::new(&w, "popstate", move |_| path.set(current_path())));
            move || drop(listener)
        });
    }
    (*path).clone()
}
