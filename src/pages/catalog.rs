//! The repository list: every page of `_catalog`, a filter, and a way in when the catalog is
//! refused (most hosted registries refuse it).

use crate::router::{link, navigate};
use wharf_protocol::address::View;
use wharf_protocol::names::Repository;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::tags::{filter_and_sort, SortOrder};
use yew::prelude::*;

use crate::components::error_box::error_box;
use crate::components::load::{use_load, Load};
use crate::connection::use_connection;
use crate::router::route_for;

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
    let typed_name = use_state(String::new);
    let name_problem = use_state(|| None::<String>);
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
                { error_box(error, Some("Loading the catalog")) }
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
                                html! { <li key={name.clone()}>{ link(to, "", html! { <>{ name.clone() }</> }) }</li> }
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
            { open_by_name(&props.registry, &typed_name, &name_problem) }
            { body }
        </section>
    }
}

/// Type a repository name and go: the way in when the catalog is refused. Its state lives in
/// the catalog page (a function, not a component of its own, to keep the page weight down).
fn open_by_name(
    registry: &RegistryUrl,
    value: &UseStateHandle<String>,
    problem: &UseStateHandle<Option<String>>,
) -> Html {
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| value.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let onsubmit = {
        let value = value.clone();
        let problem = problem.clone();
        let registry = registry.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match Repository::parse(value.trim()) {
                Ok(repository) => {
                    problem.set(None);
                    navigate(&route_for(&View::Tags { registry: registry.clone(), repository }), false);
                }
                Err(e) => problem.set(Some(format!("{e}. Nothing was sent."))),
            }
        })
    };
    html! {
        <form class="open-by-name" {onsubmit} data-testid="open-repo-form">
            <input type="text" placeholder="team/app/api" aria-label="Repository name" value={(**value).clone()} {oninput} data-testid="open-repo-input" />
            <button type="submit">{ "Open repository" }</button>
            if let Some(p) = &**problem {
                <span class="field-error" data-testid="open-repo-error">{ p.clone() }</span>
            }
        </form>
    }
}
