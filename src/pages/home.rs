//! Choosing a registry: `?registry=` in the URL wins, then the runtime config's first registry,
//! then what the user types.

use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{catalog_route, ConfigState};
use crate::components::registry_bar::{configured_links, RegistrySwitch};

/// The landing page.
#[component]
pub fn HomePage() -> Html {
    // Re-render when the query changes; read it with the browser's own parser.
    let _location = use_location();
    let config = use_context::<ConfigState>().unwrap_or(ConfigState::Loading);
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok());
    let from_url = query.as_ref().and_then(|q| q.get("registry")).map(|r| RegistryUrl::parse(&r));
    let choosing = query.as_ref().is_some_and(|q| q.has("choose"));
    match (&from_url, &config) {
        (Some(Ok(registry)), _) => return html! { <Redirect<crate::app::Route> to={catalog_route(registry)} /> },
        (None, ConfigState::Loading) => return html! { <p class="muted">{ "Loading configuration…" }</p> },
        (None, ConfigState::Ready(c)) if !choosing => {
            if let Some(registry) = c.default_registry() {
                return html! { <Redirect<crate::app::Route> to={catalog_route(&registry)} /> };
            }
        }
        _ => {}
    }
    let cfg = config.config();
    html! {
        <section class="home">
            <h1>{ "Open a registry" }</h1>
            <p>{ "Wharf talks to any registry that speaks the Docker Registry HTTP API v2 / OCI Distribution API, straight from this browser. Browse repositories, tags and manifests, and retag images without pulling them." }</p>
            if let Some(Err(e)) = &from_url {
                <div class="error-box" data-testid="registry-error">{ format!("The registry in the address is not usable: {e}") }</div>
            }
            <RegistrySwitch large=true />
            <p class="muted">{ "“Same origin” means this page is served beside the registry's /v2/ by one reverse proxy: no CORS configuration is needed." }</p>
            if !cfg.registries.is_empty() {
                <h2>{ "Configured registries" }</h2>
                { configured_links(&cfg) }
            }
        </section>
    }
}
