//! The repository list: every page of `_catalog`, a filter, and a way in when the catalog is
//! refused (most hosted registries refuse it).

use wharf_protocol::address::View;
use wharf_protocol::names::Repository;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::tags::{filter_and_sort, SortOrder};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{route_for, Route};
use crate::components::error_box::ErrorBox;
use crate::components::load::{use_load, Load};
use crate::wire::use_connection;

/// Props of [`CatalogPage`].
#[derive(Properties, PartialEq)]
pub struct CatalogProps {
    /// Which registry.
    pub registry: RegistryUrl,
}

/// Repositories of a registry.
#[component]
pub fn CatalogPage(props: &CatalogProps) -> Html {
    let connection = use_connection();
    let (catalog, reload) =
        use_load(props.registry.clone(), move |registry| async move { connection.registry(&registry).catalog().await });
    let filter = use_state(String::new);
    let oninput = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| filter.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let body = match &*catalog {
        Load::Loading => {
            html! { <p class="muted" data-testid="loading">{ "Loading the catalog…" }</p> }
        }
        Load::Failed(error) => html! {
            <>
                <ErrorBox error={error.clone()} context="Loading the catalog" />
                <button onclick={reload.reform(|_| ())}>{ "Try again" }</button>
            </>
        },
        Load::Ready(listing) => {
            let shown = filter_and_sort(&listing.items, &filter, SortOrder::Registry);
            html! {
                <>
                    <div class="toolbar">
                        <input type="search" placeholder="Filter repositories" aria-label="Filter repositories" value={(*filter).clone()} {oninput} data-testid="repo-filter" />
                        <span class="muted" data-testid="repo-count">{ format!("{} of {} repositories ({} page{})", shown.len(), listing.items.len(), listing.pages, if listing.pages == 1 { "" } else { "s" }) }</span>
                    </div>
                    if listing.items.is_empty() {
                        <p class="muted">{ "The registry lists no repositories." }</p>
                    }
                    <ul class="repo-list" data-testid="repo-list">
                        { for shown.iter().map(|name| match Repository::parse(name) {
                            Ok(repository) => {
                                let to = route_for(&View::Tags { registry: props.registry.clone(), repository });
                                html! { <li key={name.clone()}><Link<Route> {to}>{ name.clone() }</Link<Route>></li> }
                            }
                            // A name the registry lists but the grammar refuses: show, don't link.
                            Err(_) => html! { <li key={name.clone()} class="muted">{ name.clone() }{ " (invalid name)" }</li> },
                        }) }
                    </ul>
                </>
            }
        }
    };
    html! {
        <section>
            <h1>{ "Repositories" }</h1>
            <OpenByName registry={props.registry.clone()} />
            { body }
        </section>
    }
}

/// Props of [`OpenByName`].
#[derive(Properties, PartialEq)]
pub struct OpenByNameProps {
    /// Which registry.
    pub registry: RegistryUrl,
}

/// Type a repository name and go: the way in when the catalog is refused.
#[component]
pub fn OpenByName(props: &OpenByNameProps) -> Html {
    let navigator = use_navigator();
    let value = use_state(String::new);
    let problem = use_state(|| None::<String>);
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| value.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let onsubmit = {
        let value = value.clone();
        let problem = problem.clone();
        let registry = props.registry.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match Repository::parse(value.trim()) {
                Ok(repository) => {
                    problem.set(None);
                    if let Some(nav) = &navigator {
                        nav.push(&route_for(&View::Tags { registry: registry.clone(), repository }));
                    }
                }
                Err(e) => problem.set(Some(format!("{e}. Nothing was sent."))),
            }
        })
    };
    html! {
        <form class="open-by-name" {onsubmit} data-testid="open-repo-form">
            <input type="text" placeholder="team/app/api" aria-label="Repository name" value={(*value).clone()} {oninput} data-testid="open-repo-input" />
            <button type="submit">{ "Open repository" }</button>
            if let Some(p) = &*problem {
                <span class="field-error" data-testid="open-repo-error">{ p.clone() }</span>
            }
        </form>
    }
}
