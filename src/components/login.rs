//! The login form: asked for in the page (never the browser's own prompt), kept in memory, and
//! remembered in this tab only when the user ticks the box.

use wharf_protocol::auth::Credentials;
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

use crate::components::markup::{el, owned};
use crate::connection::Connection;

/// The form's fields, held by the component that shows it.
#[derive(Clone)]
pub struct LoginFields {
    username: UseStateHandle<String>,
    password: UseStateHandle<String>,
    remember: UseStateHandle<bool>,
}

/// State for a login form.
#[hook]
pub fn use_login_fields() -> LoginFields {
    LoginFields { username: use_state(String::new), password: use_state(String::new), remember: use_state(|| false) }
}

/// User name, password, "remember in this tab". `message` says why it is shown (the last
/// refusal); `on_done` runs after submitting.
pub fn login_form(
    connection: &Connection,
    registry: &RegistryUrl,
    fields: &LoginFields,
    message: Option<String>,
    on_done: Callback<()>,
) -> Html {
    let LoginFields { username, password, remember } = fields;
    let text_input = |handle: &UseStateHandle<String>| {
        let handle = handle.clone();
        Callback::from(move |e: InputEvent| handle.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let toggle_remember = {
        let remember = remember.clone();
        Callback::from(move |_| remember.set(!*remember))
    };
    let onsubmit = {
        let (username, password, remember) = (username.clone(), password.clone(), remember.clone());
        let registry = registry.clone();
        let connection = connection.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            connection.log_in(&registry, Credentials::new((*username).clone(), (*password).clone()), *remember);
            password.set(String::new());
            on_done.emit(());
        })
    };
    html! {
        <form class="login" {onsubmit} data-testid="login-form" autocomplete="on">
            if let Some(message) = message {
                { el("div", "field-error", "login-message", owned(message)) }
            }
            <label>{ "User name " }
                <input type="text" autocomplete="username" value={(**username).clone()} oninput={text_input(username)} data-testid="login-user" />
            </label>
            <label>{ "Password " }
                <input type="password" autocomplete="current-password" value={(**password).clone()} oninput={text_input(password)} data-testid="login-password" />
            </label>
            <label class="remember" title="Kept in this tab's sessionStorage until the tab is closed">
                <input type="checkbox" checked={**remember} onclick={toggle_remember} data-testid="login-remember" />
                { " Remember in this tab" }
            </label>
            <button type="submit" data-testid="login-submit">{ "Log in" }</button>
        </form>
    }
}
