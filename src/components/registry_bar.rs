//! The registry in use, whether `/v2/` answers, and a field to switch to another one.

use wharf_protocol::client::Ping;
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{catalog_route, ConfigState, Route};
use crate::components::load::{use_load, Load};
use crate::wire::use_connection;

/// Props of [`RegistryBar`].
#[derive(Properties, PartialEq)]
pub struct RegistryBarProps {
    /// The registry of the current view.
    pub registry: RegistryUrl,
}

/// Pings the registry and shows the outcome next to its name, plus the switcher.
#[component]
pub fn RegistryBar(props: &RegistryBarProps) -> Html {
    let connection = use_connection();
    let (ping, _) =
        use_load(props.registry.clone(), move |registry| async move { connection.registry(&registry).ping().await });
    let status = match &*ping {
        Load::Loading => {
            html! { <span class="ping pending" data-testid="ping">{ "connecting…" }</span> }
        }
        Load::Ready(Ping::Open { api_version }) => html! {
            <span class="ping ok" data-testid="ping" title={api_version.clone().unwrap_or_default()}>{ "● connected" }</span>
        },
        Load::Ready(Ping::NeedsLogin { .. }) => html! {
            <span class="ping warn" data-testid="ping">{ "● login required" }</span>
        },
        Load::Failed(e) => {
            html! { <span class="ping bad" data-testid="ping" title={e.headline()}>{ "● not connected" }</span> }
        }
    };
    html! {
        <div class="registry-bar">
            <span class="registry-name" data-testid="registry-name">{ props.registry.display_name() }</span>
            { status }
            <RegistrySwitch current={props.registry.to_string()} />
        </div>
    }
}

/// Props of [`RegistrySwitch`].
#[derive(Properties, PartialEq)]
pub struct RegistrySwitchProps {
    /// What the field starts with.
    #[prop_or_default]
    pub current: AttrValue,
    /// Larger form for the home page.
    #[prop_or_default]
    pub large: bool,
}

/// A registry address field (with the configured registries as suggestions) and "same origin".
#[component]
pub fn RegistrySwitch(props: &RegistrySwitchProps) -> Html {
    let navigator = use_navigator();
    let config = use_context::<ConfigState>().map(|c| c.config()).unwrap_or_default();
    let value = use_state(|| props.current.to_string());
    let problem = use_state(|| None::<String>);
    let go = {
        let navigator = navigator.clone();
        let problem = problem.clone();
        move |input: String| match RegistryUrl::parse(&input) {
            Ok(registry) => {
                problem.set(None);
                if let Some(nav) = &navigator {
                    nav.push(&catalog_route(&registry));
                }
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    let onsubmit = {
        let value = value.clone();
        let go = go.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            go((*value).clone());
        })
    };
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            value.set(input.value());
        })
    };
    let same_origin = Callback::from(move |_| go(RegistryUrl::SAME_ORIGIN.to_string()));
    let class = if props.large { "registry-switch large" } else { "registry-switch" };
    html! {
        <form {class} {onsubmit} data-testid="registry-form">
            <input type="text" list="configured-registries" placeholder="http://127.0.0.1:5000" aria-label="Registry address"
                value={(*value).clone()} {oninput} data-testid="registry-input" />
            <datalist id="configured-registries">
                { for config.registries.iter().map(|r| html! { <option value={r.url.clone()}>{ r.name.clone().unwrap_or_default() }</option> }) }
            </datalist>
            <button type="submit" data-testid="registry-go">{ "Open" }</button>
            <button type="button" class="secondary" onclick={same_origin} title="The registry is served on this page's own origin, behind the same proxy">{ "Same origin" }</button>
            if let Some(p) = &*problem {
                <span class="field-error" data-testid="registry-error">{ p.clone() }</span>
            }
        </form>
    }
}

/// Links to each configured registry.
pub fn configured_links(config: &crate::config::RuntimeConfig) -> Html {
    html! {
        <ul class="configured">
            { for config.registries.iter().filter_map(|r| {
                let registry = RegistryUrl::parse(&r.url).ok()?;
                let label = r.name.clone().unwrap_or_else(|| registry.display_name());
                Some(html! { <li><Link<Route> to={catalog_route(&registry)}>{ label }</Link<Route>>{ " " }<code>{ registry.to_string() }</code></li> })
            }) }
        </ul>
    }
}
