//! The registry in use, whether `/v2/` answers, and a field to switch to another one.

use wharf_protocol::address::View;
use wharf_protocol::error::needs_login;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::responses::Ping;
use yew::prelude::*;

use crate::components::load::{use_load, Load};
use crate::components::login::{login_form, use_login_fields};
use crate::components::markup::{button, code, el, fixed, owned, text};
use crate::connection::use_connection;
use crate::router::{catalog_route, route_for};
use crate::router::{link, navigate};

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
    let (ping, _) = {
        let connection = connection.clone();
        use_load(props.registry.clone(), move |registry| async move { connection.registry(&registry).ping().await })
    };
    let form_open = use_state(|| false);
    let login_fields = use_login_fields();
    let switch_fields = use_switch_fields(props.registry.to_string());
    let user = connection.user(&props.registry);
    let login_needed = match &*ping {
        Load::Ready(Ping::NeedsLogin { .. }) => true,
        Load::Failed(e) => needs_login(e),
        _ => false,
    };
    let refusal = match &*ping {
        Load::Failed(e) if user.is_some() && needs_login(e) => Some(e.headline()),
        _ => None,
    };
    let toggle_form = {
        let form_open = form_open.clone();
        Callback::from(move |_| form_open.set(!*form_open))
    };
    let log_out = {
        let (registry, connection) = (props.registry.clone(), connection.clone());
        Callback::from(move |_| connection.log_out(&registry))
    };
    let close_form = {
        let form_open = form_open.clone();
        Callback::from(move |_| form_open.set(false))
    };
    let account = match &user {
        Some(name) => html! {
            <span class="account" data-testid="account">{ format!("logged in as {name} ") }
                { button("link", "logout", fixed("Log out"), false, log_out) }
            </span>
        },
        None => html! {},
    };
    let show_form = *form_open || (login_needed && user.is_none()) || refusal.is_some();
    // Until the ping answers, "Log in" waits: a registry that asks at once replaces it with the
    // form, and a button that flashes and goes can take a click meant for something else.
    let offer_login = user.is_none() && !show_form && !matches!(&*ping, Load::Loading);
    let status = match &*ping {
        Load::Loading => text("span", "ping pending", "ping", "connecting…"),
        Load::Ready(Ping::Open { api_version }) => html! {
            <span class="ping ok" data-testid="ping" title={api_version.clone().unwrap_or_default()}>{ "● connected" }</span>
        },
        Load::Ready(Ping::NeedsLogin { .. }) => text("span", "ping warn", "ping", "● login required"),
        Load::Failed(e) if needs_login(e) => html! {
            <span class="ping warn" data-testid="ping" title={e.headline()}>{ "● login required" }</span>
        },
        Load::Failed(e) => {
            html! { <span class="ping bad" data-testid="ping" title={e.headline()}>{ "● not connected" }</span> }
        }
    };
    html! {
        <div class="registry-bar">
            { el("span", "registry-name", "registry-name", owned(connection.label(&props.registry))) }
            { status }
            { link(route_for(&View::SelfTest { registry: props.registry.clone() }), "selftest-link", fixed("Self-test")) }
            { link(route_for(&View::Journal { registry: props.registry.clone() }), "journal-link", fixed("Journal")) }
            { account }
            if offer_login {
                { button("link", "login-open", fixed("Log in"), false, toggle_form) }
            }
            { registry_switch(&switch_fields, false) }
            if show_form {
                { login_form(&connection, &props.registry, &login_fields, refusal, close_form) }
            }
        </div>
    }
}

/// The state of a registry switcher, held by the component that shows it.
#[derive(Clone)]
pub struct SwitchFields {
    config: std::rc::Rc<crate::connection::config::RuntimeConfig>,
    value: UseStateHandle<String>,
    problem: UseStateHandle<Option<String>>,
}

/// State for [`registry_switch`], starting with `current` in the field.
#[hook]
pub fn use_switch_fields(current: String) -> SwitchFields {
    SwitchFields {
        config: use_connection().config.config(),
        value: use_state(move || current),
        problem: use_state(|| None::<String>),
    }
}

/// A registry address field (with the configured registries as suggestions) and "same origin".
pub fn registry_switch(fields: &SwitchFields, large: bool) -> Html {
    let SwitchFields { config, value, problem } = fields;
    let go = {
        let problem = problem.clone();
        move |input: String| match RegistryUrl::parse(&input) {
            Ok(registry) => {
                problem.set(None);
                navigate(&catalog_route(&registry), false);
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    let onsubmit = {
        let value = value.clone();
        let go = go.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            go((*value).to_string());
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
    let class = if large { "registry-switch large" } else { "registry-switch" };
    html! {
        <form {class} {onsubmit} data-testid="registry-form">
            <input type="text" list="configured-registries" placeholder="http://127.0.0.1:5000" aria-label="Registry address"
                value={(**value).clone()} {oninput} data-testid="registry-input" />
            <datalist id="configured-registries">
                { for config.registries.iter().map(|r| html! { <option value={r.url.clone()}>{ r.name.clone().unwrap_or_default() }</option> }) }
            </datalist>
            <button type="submit" data-testid="registry-go">{ "Open" }</button>
            <button type="button" class="secondary" onclick={same_origin} title="The registry is served on this page's own origin, behind the same proxy">{ "Same origin" }</button>
            if let Some(p) = &**problem {
                { el("span", "field-error", "registry-error", owned(p.clone())) }
            }
        </form>
    }
}

/// Links to each configured registry.
pub fn configured_links(config: &crate::connection::config::RuntimeConfig) -> Html {
    html! {
        <ul class="configured">
            { for config.registries.iter().filter_map(|r| {
                let registry = RegistryUrl::parse(&r.url).ok()?;
                let label = r.name.clone().unwrap_or_else(|| registry.display_name());
                Some(html! { <li>{ link(catalog_route(&registry), "", owned(label)) }{ " " }{ code("", registry.to_string()) }</li> })
            }) }
        </ul>
    }
}
