//! Pages and the application shell.
//!
//! Every view lives under `/r/<registry>/…` (see `wharf_protocol::address`), so a deep link,
//! a reload, back and forward all land on the same view. `/` chooses a registry: from
//! `?registry=`, then from the runtime config, then from the field on the page.

use std::rc::Rc;

use wharf_protocol::address::View;
use yew::prelude::*;

use crate::components::markup::{el, fixed, owned, text};
use crate::components::registry_bar::RegistryBar;
use crate::components::wire_panel::WirePanel;
use crate::connection::{config, use_connection_root, ConfigState, Connection};
use crate::journal_store::{use_journal_root, JournalStore};
use crate::lazy::{is_lazy, LazyPage};
use crate::pages::{catalog::CatalogPage, home::HomePage, manifest::ManifestPage, tags::TagsPage};
use crate::router::{link, use_current_path, HOME};
use crate::wire::use_wire_log;

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
    let (record, wire_log) = use_wire_log();
    let connection = use_connection_root(record, (*config).clone());
    let journal = use_journal_root();
    let page = page_of(&use_current_path());
    let registry_bar = match &page {
        Page::View(view) => html! { <RegistryBar registry={view.registry().clone()} /> },
        _ => html! {},
    };
    html! {
        <ContextProvider<Connection> context={connection}>
        <ContextProvider<JournalStore> context={journal}>
                <header class="top">
                    { link(HOME.to_string(), "brand", owned(format!("⚓ {title}"))) }
                    { registry_bar }
                </header>
                if let ConfigState::Invalid(message) = &*config {
                    <div class="error-box" data-testid="config-error">
                        { text("strong", "", "", "The runtime configuration could not be used. ") }
                        { message.clone() }
                        { text("p", "", "", "Fix config.json beside index.html; until then, enter a registry address below.") }
                    </div>
                }
                { el("main", "", "", switch(page)) }
                <WirePanel log={wire_log} />
        </ContextProvider<JournalStore>>
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
        // Self-test, journal, copy, delete and retag: fetched when they open (src/lazy.rs).
        Page::View(view) if is_lazy(&view) => html! { <LazyPage {view} /> },
        // Every view is one of the above.
        Page::View(_) => Html::default(),
        Page::Invalid(message) => html! {
            <div class="error-box" data-testid="address-error">
                { text("strong", "", "", "This address names no view of Wharf. ") }{ message }
                { el("p", "", "", link(HOME.to_string(), "", fixed("Choose a registry"))) }
            </div>
        },
    }
}
