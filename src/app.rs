//! Routes and the application shell.
//!
//! Every view lives under `/r/<registry>/…` (see `wharf_protocol::address`), so a deep link,
//! a reload, back and forward all land on the same view. `/` chooses a registry: from
//! `?registry=`, then from the runtime config, then from the field on the page.

use std::rc::Rc;

use wharf_protocol::address::{registry_segment, View};
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::registry_bar::RegistryBar;
use crate::components::wire_panel::WirePanel;
use crate::config::{self, RuntimeConfig};
use crate::pages::{catalog::CatalogPage, home::HomePage, manifest::ManifestPage, retag::RetagPage, tags::TagsPage};
use crate::wire::WireProvider;

/// The app's routes. Browse views carry their whole path, parsed by `View::parse`.
#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    /// Choose a registry.
    #[at("/")]
    Home,
    /// Any view of a registry.
    #[at("/r/*path")]
    Browse {
        /// What follows `/r/`.
        path: String,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// The route of a view.
pub fn route_for(view: &View) -> Route {
    let path = view.to_path();
    Route::Browse { path: path.trim_start_matches("/r/").to_string() }
}

/// The catalog route of a registry.
pub fn catalog_route(registry: &RegistryUrl) -> Route {
    Route::Browse { path: registry_segment(registry) }
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
        use_effect_with(title, |title| {
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                doc.set_title(title);
            }
        });
    }
    html! {
        <BrowserRouter>
            <WireProvider>
                <ContextProvider<ConfigState> context={(*config).clone()}>
                    <Shell />
                </ContextProvider<ConfigState>>
            </WireProvider>
        </BrowserRouter>
    }
}

#[component]
fn Shell() -> Html {
    let config = use_context::<ConfigState>().unwrap_or(ConfigState::Loading);
    let title = config.config().title().to_string();
    html! {
        <>
            <header class="top">
                <Link<Route> to={Route::Home} classes="brand">{ "⚓ " }{ title }</Link<Route>>
                <Switch<Route> render={render_registry_bar} />
            </header>
            if let ConfigState::Invalid(message) = &config {
                <div class="error-box" data-testid="config-error">
                    <strong>{ "The runtime configuration could not be used. " }</strong>
                    { message.clone() }
                    <p>{ "Fix config.json beside index.html; until then, enter a registry address below." }</p>
                </div>
            }
            <main>
                <Switch<Route> render={switch} />
            </main>
            <WirePanel />
        </>
    }
}

fn render_registry_bar(route: Route) -> Html {
    match route {
        Route::Browse { path } => match View::parse(&path) {
            Ok(view) => html! { <RegistryBar registry={view.registry().clone()} /> },
            Err(_) => html! {},
        },
        _ => html! {},
    }
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <HomePage /> },
        Route::Browse { path } => match View::parse(&path) {
            Ok(View::Catalog { registry }) => html! { <CatalogPage {registry} /> },
            Ok(View::Tags { registry, repository }) => html! { <TagsPage {registry} {repository} /> },
            Ok(View::Manifest { registry, repository, reference }) => {
                html! { <ManifestPage {registry} {repository} {reference} /> }
            }
            Ok(View::Retag { registry, repository, reference }) => {
                html! { <RetagPage {registry} {repository} {reference} /> }
            }
            Err(e) => html! {
                <div class="error-box" data-testid="address-error">
                    <strong>{ "This address names no view of Wharf. " }</strong>{ e.to_string() }
                    <p><Link<Route> to={Route::Home}>{ "Choose a registry" }</Link<Route>></p>
                </div>
            },
        },
        Route::NotFound => html! {
            <div class="error-box"><strong>{ "Page not found. " }</strong><Link<Route> to={Route::Home}>{ "Choose a registry" }</Link<Route>></div>
        },
    }
}
