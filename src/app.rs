//! Pages and the application shell.
//!
//! Every view lives under `/r/<registry>/…` (see `wharf_protocol::address`), so a deep link,
//! a reload, back and forward all land on the same view. `/` chooses a registry: from
//! `?registry=`, then from the runtime config, then from the field on the page.

use std::rc::Rc;

use wharf_protocol::address::{registry_segment, View};
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

use crate::components::registry_bar::RegistryBar;
use crate::components::wire_panel::WirePanel;
use crate::config::{self, RuntimeConfig};
use crate::pages::{
    catalog::CatalogPage, home::HomePage, manifest::ManifestPage, retag::RetagPage, selftest::SelfTestPage,
    tags::TagsPage,
};
#[cfg(feature = "console")]
use crate::pages::{copy::CopyPage, delete::DeletePage, journal::JournalPage};
use crate::router::{link, use_current_path};
use crate::wire::{use_wire, Connection};

/// The path of a view (`/r/...`).
pub fn route_for(view: &View) -> String {
    view.to_path()
}

/// The catalog path of a registry.
pub fn catalog_route(registry: &RegistryUrl) -> String {
    format!("/r/{}", registry_segment(registry))
}

impl ConfigState {
    /// Read-only unless a valid config says otherwise: while config.json loads, and when it is
    /// broken, nothing that changes a registry is shown or sent (a typo must not open up a
    /// deployment meant to be read-only).
    pub fn read_only(&self) -> bool {
        match self {
            ConfigState::Ready(c) => c.read_only,
            ConfigState::Loading | ConfigState::Invalid(_) => true,
        }
    }
}

/// Whether changes are off (see [`ConfigState::read_only`]). Pages re-render when the config
/// arrives.
#[hook]
pub fn use_read_only() -> bool {
    crate::wire::use_connection().config.read_only()
}

/// The landing page's path.
pub const HOME: &str = "/";

/// What a path shows: the home page, a view, or an address that names no view.
enum Page {
    Home,
    View(View),
    Invalid(String),
}

fn page_of(path: &str) -> Page {
    let path = path.split('?').next().unwrap_or("/");
    match path.strip_prefix("/r/") {
        _ if path == "/" || path.is_empty() => Page::Home,
        Some(rest) => match View::parse(rest) {
            Ok(view) => Page::View(view),
            Err(e) => Page::Invalid(e.to_string()),
        },
        None => Page::Invalid(format!("“{path}” is not a page of Wharf")),
    }
}

/// The runtime configuration as loaded at start.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigState {
    /// Still fetching `config.json`.
    Loading,
    /// Loaded (or absent: the default config).
    Ready(Rc<RuntimeConfig>),
    /// Present but broken: shown on every page.
    Invalid(String),
}

impl ConfigState {
    /// The config to use (the default while loading or broken).
    pub fn config(&self) -> Rc<RuntimeConfig> {
        match self {
            ConfigState::Ready(c) => c.clone(),
            _ => Rc::new(RuntimeConfig::default()),
        }
    }
}

/// The application.
#[component]
pub fn App() -> Html {
    let config = use_state(|| ConfigState::Loading);
    {
        let config = config.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                config.set(match config::load().await {
                    Ok(loaded) => ConfigState::Ready(Rc::new(loaded.unwrap_or_default())),
                    Err(message) => ConfigState::Invalid(message),
                });
            });
        });
    }
    {
        let title = config.config().title().to_string();
        use_effect_with(title, |title: &String| {
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                doc.set_title(title);
            }
        });
    }
    let title = config.config().title().to_string();
    let (connection, wire_log) = use_wire((*config).clone());
    connection.set_read_only(config.read_only());
    let page = page_of(&use_current_path());
    {
        // A console page in the first-load bundle: hand over to the console bundle.
        let needs = !crate::console::IS_CONSOLE && matches!(&page, Page::View(v) if crate::console::needs_console(v));
        let connection = connection.clone();
        use_effect_with(needs, move |needs| {
            if *needs {
                crate::console::open(&connection, Vec::new());
            }
        });
    }
    let registry_bar = match &page {
        Page::View(view) => html! { <RegistryBar registry={view.registry().clone()} /> },
        _ => html! {},
    };
    html! {
        <ContextProvider<Connection> context={connection}>
                <header class="top">
                    { link(HOME.to_string(), "brand", html! { <>{ "⚓ " }{ title }</> }) }
                    { registry_bar }
                </header>
                if let ConfigState::Invalid(message) = &*config {
                    <div class="error-box" data-testid="config-error">
                        <strong>{ "The runtime configuration could not be used. " }</strong>
                        { message.clone() }
                        <p>{ "Fix config.json beside index.html; until then, enter a registry address below." }</p>
                    </div>
                }
                <main>{ switch(page) }</main>
                <WirePanel log={wire_log} />
        </ContextProvider<Connection>>
    }
}

fn switch(page: Page) -> Html {
    match page {
        Page::Home => html! { <HomePage /> },
        Page::View(View::Catalog { registry }) => html! { <CatalogPage {registry} /> },
        Page::View(View::Tags { registry, repository }) => html! { <TagsPage {registry} {repository} /> },
        Page::View(View::Manifest { registry, repository, reference }) => {
            html! { <ManifestPage {registry} {repository} {reference} /> }
        }
        Page::View(View::SelfTest { registry }) => html! { <SelfTestPage {registry} /> },
        #[cfg(feature = "console")]
        Page::View(View::Journal { registry }) => html! { <JournalPage {registry} /> },
        #[cfg(feature = "console")]
        Page::View(View::Delete { registry, repository, reference }) => {
            html! { <DeletePage {registry} {repository} {reference} /> }
        }
        #[cfg(feature = "console")]
        Page::View(View::Copy { registry, repository, reference }) => {
            html! { <CopyPage {registry} {repository} {reference} /> }
        }
        Page::View(View::Retag { registry, repository, reference }) => {
            html! { <RetagPage {registry} {repository} {reference} /> }
        }
        #[cfg(not(feature = "console"))]
        Page::View(View::Journal { .. } | View::Delete { .. } | View::Copy { .. }) => {
            html! { <p class="muted" data-testid="console-loading">{ "Opening the console…" }</p> }
        }
        Page::Invalid(message) => html! {
            <div class="error-box" data-testid="address-error">
                <strong>{ "This address names no view of Wharf. " }</strong>{ message }
                <p>{ link(HOME.to_string(), "", html! { "Choose a registry" }) }</p>
            </div>
        },
    }
}
