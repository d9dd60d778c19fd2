//! Choosing a registry: `?registry=` in the URL wins, then the runtime config's first registry,
//! then what the user types.

use crate::router::navigate;
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

use crate::components::markup::{el, owned, text};
use crate::components::registry_bar::{configured_links, registry_switch, use_switch_fields};
use crate::connection::ConfigState;
use crate::router::catalog_route;

/// The landing page.
#[component]
pub fn HomePage() -> Html {
    // The app re-renders this page when the location changes; read the query with the browser's
    // own parser.
    let config = crate::connection::use_connection().config;
    let switch_fields = use_switch_fields(String::new());
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok());
    let from_url = query.as_ref().and_then(|q| q.get("registry")).map(|r| RegistryUrl::parse(&r));
    let choosing = query.as_ref().is_some_and(|q| q.has("choose"));
    let go_to = match (&from_url, &config) {
        (Some(Ok(registry)), _) => Some(registry.clone()),
        (None, ConfigState::Ready(c)) if !choosing => c.default_registry(),
        _ => None,
    };
    {
        // Replace (not push) the entry, so Back does not return to a page that redirects again.
        use_effect_with(go_to.clone(), move |go_to| {
            if let Some(registry) = go_to {
                navigate(&catalog_route(registry), true);
            }
        });
    }
    if go_to.is_some() || (from_url.is_none() && config == ConfigState::Loading) {
        return text("p", "muted", "", "Opening the registry…");
    }
    let cfg = config.config();
    html! {
        <section class="home">
            { text("h1", "", "", "Open a registry") }
            { text("p", "", "", "Wharf talks to any registry that speaks the Docker Registry HTTP API v2 / OCI Distribution API, straight from this browser. Browse repositories, tags and manifests, and retag images without pulling them.") }
            if let Some(Err(e)) = &from_url {
                { el("div", "error-box", "registry-error", owned(format!("The registry in the address is not usable: {e}"))) }
            }
            { registry_switch(&switch_fields, true) }
            { text("p", "muted", "", "“Same origin” means this page is served beside the registry's /v2/ by one reverse proxy: no CORS configuration is needed.") }
            if !cfg.registries.is_empty() {
                { text("h2", "", "", "Configured registries") }
                { configured_links(&cfg) }
            }
        </section>
    }
}
