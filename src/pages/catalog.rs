//! The repository list: every page of `_catalog`, a filter, and a way in when the catalog is
//! refused (most hosted registries refuse it).

use crate::router::{link, navigate};
use wharf_protocol::address::View;
use wharf_protocol::names::Repository;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::tags::{filter_and_sort, SortOrder};
use yew::prelude::*;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

use wharf_protocol::glance::TagDigest;
use wharf_protocol::units::thousands;

use wharf_protocol::error::{catalog_refused, needs_login};

use crate::browser_store::opened;
use crate::components::error_box::error_box;
use crate::components::facts::{created_html, now_seconds};
use crate::components::load::{use_load, Load};
use crate::connection::{pins, use_connection};
use crate::glance::read_cached;
use crate::lazy::LazyDigestSearch;
use crate::router::{query_param, replace_query, route_for};
use wharf_protocol::namespaces;

/// Repositories (from the top of the list in view) whose tags are counted: each count is a tag
/// list GET, so a catalog of thousands opens at once and costs a bounded number of requests.
const COUNTED: usize = 50;
/// Tag lists read at once.
const COUNTING_IN_FLIGHT: usize = 4;
/// Above this many repositories the catalog opens as a tree of namespaces (below, a flat list
/// shows everything at once).
const TREE_OVER: usize = 50;

/// What the catalog shows beside a repository's name.
#[derive(Clone, Default)]
struct RepoLine {
    /// Its tag count, or why it could not be read.
    tags: Option<Result<usize, String>>,
    /// The newest `created` among its tags, as this browser's cache knows them.
    newest: Option<String>,
}

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
    let lines: Rc<RefCell<HashMap<String, RepoLine>>> = use_mut_ref(HashMap::new);
    // Bumped by a pin or unpin: the pins live in localStorage, not in a state.
    let pins_changed = use_state(|| 0u32);
    let pinned = use_connection().pinned(&props.registry);
    let logged_in_as = use_connection().user(&props.registry);
    let redraw = use_force_update();
    let oninput = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| filter.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    // A deep link names a namespace (`?ns=team/app`): it opens with its ancestors.
    let open =
        use_state(|| query_param("ns").map(|ns| namespaces::ancestors(&ns).into_iter().collect::<BTreeSet<_>>()));
    let flat = use_state(|| false);
    let shown = match &*catalog {
        Load::Ready(listing) => filter_and_sort(&listing.items, &filter, SortOrder::Registry),
        _ => Vec::new(),
    };
    // The tree: a large catalog, or a deep link to a namespace; a filter lists matches across
    // every namespace.
    let tree = matches!(&*catalog, Load::Ready(l) if l.items.len() > TREE_OVER || open.is_some())
        && filter.is_empty()
        && !*flat;
    let open_set = (*open).clone().unwrap_or_default();
    {
        let in_view = if tree { namespaces::shown(&shown, &open_set) } else { shown.clone() };
        let counted: Vec<String> = in_view.into_iter().take(COUNTED).collect();
        let (lines, registry) = (lines.clone(), props.registry.clone());
        let client = Rc::new(use_connection().registry(&registry));
        let generation = use_mut_ref(|| 0u64);
        use_effect_with(counted, move |counted| {
            *generation.borrow_mut() += 1;
            let mine = *generation.borrow();
            let queue: Rc<RefCell<VecDeque<String>>> =
                Rc::new(RefCell::new(counted.iter().filter(|n| !lines.borrow().contains_key(*n)).cloned().collect()));
            for _ in 0..COUNTING_IN_FLIGHT {
                let (queue, lines, client, redraw, generation, registry) = (
                    queue.clone(),
                    lines.clone(),
                    client.clone(),
                    redraw.clone(),
                    generation.clone(),
                    registry.clone(),
                );
                wasm_bindgen_futures::spawn_local(async move {
                    let store = opened().await;
                    loop {
                        let Some(name) = queue.borrow_mut().pop_front() else { return };
                        if *generation.borrow() != mine {
                            return;
                        }
                        let Ok(repository) = Repository::parse(&name) else { continue };
                        let tags =
                            Some(client.tag_list(&repository).await.map(|l| l.tags.len()).map_err(|e| e.headline()));
                        let newest = match &store {
                            Some(store) => {
                                read_cached(store, &format!("{registry} {repository}")).await.and_then(|c| {
                                    c.digests
                                        .values()
                                        .filter_map(TagDigest::digest)
                                        .map(|d| c.facts.summary(d))
                                        .filter(|s| s.created_at.is_some())
                                        .max_by_key(|s| s.created_at)
                                        .and_then(|s| s.created)
                                })
                            }
                            None => None,
                        };
                        lines.borrow_mut().insert(name, RepoLine { tags, newest });
                        redraw.force_update();
                    }
                });
            }
        });
    }
    let now = now_seconds();
    let body = match &*catalog {
        Load::Loading => {
            html! { <p class="muted" data-testid="loading">{ "Loading the catalog…" }</p> }
        }
        // Hosted registries often do not list repositories: not an error, the name is the way in.
        Load::Failed(error) if catalog_refused(error) => html! {
            <div class="notice" data-testid="catalog-refused">
                <p>{ if error.status() == Some(404) && error.registry_errors().is_empty() {
                    "This registry does not list its repositories: its catalog answered a bare 404 (no error envelope), so the route is not served here.".to_string()
                } else {
                    format!("This registry does not list its repositories: {}", error.headline())
                } }</p>
                // Anonymous and asked to log in: the catalog may open with an account.
                if needs_login(error) && logged_in_as.is_none() {
                    <p data-testid="error-advice">{ "Log in (the form at the top of the page) if your account may list them." }</p>
                }
                <p class="muted">{ if pinned.is_empty() {
                    "Type a repository's name above to open it, and pin the ones you use."
                } else {
                    "Open a pinned repository, or type a name above."
                } }</p>
                <button onclick={reload.reform(|_| ())}>{ "Ask again" }</button>
            </div>
        },
        Load::Failed(error) => html! {
            <>
                { error_box(error, Some("Loading the catalog")) }
                <button onclick={reload.reform(|_| ())}>{ "Try again" }</button>
            </>
        },
        Load::Ready(listing) => {
            let lines = lines.borrow();
            let item =
                |name: &String| repo_item(&props.registry, name, lines.get(name).cloned().unwrap_or_default(), now);
            let toggle = {
                let open = open.clone();
                Callback::from(move |path: String| {
                    let mut now_open = (*open).clone().unwrap_or_default();
                    // Closing a namespace closes what is open inside it; the address names the
                    // namespace last opened (or the closed one's parent).
                    let shown_now = if now_open.remove(&path) {
                        now_open.retain(|p| !p.starts_with(&format!("{path}/")));
                        path.rsplit_once('/').map(|(parent, _)| parent.to_string())
                    } else {
                        now_open.insert(path.clone());
                        Some(path)
                    };
                    replace_query(shown_now.map(|ns| format!("ns={}", js_sys::encode_uri_component(&ns))).as_deref());
                    open.set(Some(now_open));
                })
            };
            let switch_layout = {
                let flat = flat.clone();
                Callback::from(move |_: MouseEvent| flat.set(!*flat))
            };
            html! {
                <>
                    <div class="toolbar">
                        <input type="search" placeholder="Filter repositories" aria-label="Filter repositories" value={(*filter).clone()} {oninput} data-testid="repo-filter" />
                        <span class="muted" data-testid="repo-count">{ format!("{} of {} repositories ({} page{})", shown.len(), listing.items.len(), listing.pages, if listing.pages == 1 { "" } else { "s" }) }</span>
                        if listing.items.len() > TREE_OVER && filter.is_empty() {
                            <button class="secondary small" onclick={switch_layout} data-testid="catalog-layout">{ if *flat { "Group by namespace" } else { "Show as one list" } }</button>
                        }
                    </div>
                    if listing.items.is_empty() {
                        <p class="muted">{ "The registry lists no repositories." }</p>
                    }
                    <ul class="repo-list" data-testid="repo-list" data-layout={if tree { "tree" } else { "flat" }}>
                        if tree {
                            { tree_level(&shown, "", &open_set, &toggle, &item) }
                        } else {
                            { for shown.iter().map(item) }
                        }
                    </ul>
                </>
            }
        }
    };
    // The search looks in the catalog's repositories, or in the pinned ones where it is refused.
    let (searched, scope) = match &*catalog {
        Load::Ready(listing) => {
            (listing.items.clone(), format!("the catalog's {} repositories", thousands(listing.items.len())))
        }
        _ => {
            (pinned.iter().map(|(name, _)| name.clone()).collect(), format!("the {} pinned repositories", pinned.len()))
        }
    };
    let searched = use_memo(searched, |s| s.clone());
    html! {
        <section>
            <h1>{ "Repositories" }</h1>
            { open_by_name(&props.registry, &typed_name, &name_problem, &pins_changed) }
            { pinned_list(&props.registry, &pinned, &pins_changed) }
            if !matches!(&*catalog, Load::Loading) {
                <LazyDigestSearch registry={props.registry.clone()} repositories={searched} scope={scope} />
            }
            { body }
        </section>
    }
}

/// One repository of the list: its link, its tag count and its newest date when known.
fn repo_item(registry: &RegistryUrl, name: &str, line: RepoLine, now: i64) -> Html {
    let Ok(repository) = Repository::parse(name) else {
        // A name the registry lists but the grammar refuses: show, don't link.
        return html! { <li key={name.to_owned()} class="muted">{ name.to_owned() }{ " (invalid name)" }</li> };
    };
    let to = route_for(&View::Tags { registry: registry.clone(), repository });
    html! {
        <li key={name.to_owned()} data-testid="repo-item" data-repo={name.to_owned()}
            data-tags={line.tags.as_ref().and_then(|t| t.as_ref().ok()).map(|n| n.to_string()).unwrap_or_default()}>
            { link(to, "", html! { <>{ name.to_owned() }</> }) }
            <span class="muted small">
                { match &line.tags {
                    Some(Ok(n)) => format!(" · {} tag{}", thousands(*n), if *n == 1 { "" } else { "s" }),
                    Some(Err(_)) => " · tags not readable".to_string(),
                    None => String::new(),
                } }
                if let Some(newest) = line.newest.as_deref() { { " · newest " }{ created_html(Some(newest), now) }{ " (cached)" } }
            </span>
        </li>
    }
}

/// One level of the namespace tree: its namespaces (each opened on demand, with its count), then
/// its repositories.
fn tree_level(
    names: &[String],
    under: &str,
    open: &BTreeSet<String>,
    toggle: &Callback<String>,
    item: &dyn Fn(&String) -> Html,
) -> Html {
    let level = namespaces::level(names, under);
    html! {
        <>
            { for level.namespaces.iter().map(|(path, count)| {
                let is_open = open.contains(path);
                let path_owned = path.clone();
                html! {
                    <li key={format!("ns {path}")} class="namespace" data-testid="namespace" data-path={path.clone()}
                        data-count={count.to_string()} data-open={is_open.to_string()}>
                        <button class="link" aria-expanded={is_open.to_string()} onclick={toggle.reform(move |_: MouseEvent| path_owned.clone())} data-testid="namespace-toggle">
                            { if is_open { "▾ " } else { "▸ " } }{ format!("{}/", namespaces::leaf(path)) }
                        </button>
                        <span class="muted small">{ format!(" {} repositor{}", thousands(*count), if *count == 1 { "y" } else { "ies" }) }</span>
                        if is_open {
                            <ul class="repo-list nested">{ tree_level(names, path, open, toggle, item) }</ul>
                        }
                    </li>
                }
            }) }
            { for level.repositories.iter().map(item) }
        </>
    }
}

/// Type a repository name and go: the way in when the catalog is refused. Its state lives in
/// the catalog page (a function, not a component of its own, to keep the page weight down).
fn open_by_name(
    registry: &RegistryUrl,
    value: &UseStateHandle<String>,
    problem: &UseStateHandle<Option<String>>,
    pins_changed: &UseStateHandle<u32>,
) -> Html {
    let pin = {
        let (value, problem, registry, pins_changed) =
            (value.clone(), problem.clone(), registry.clone(), pins_changed.clone());
        Callback::from(move |_: MouseEvent| match Repository::parse(value.trim()) {
            Ok(repository) => {
                problem.set(None);
                pins::pin(&registry, &repository);
                value.set(String::new());
                pins_changed.set(*pins_changed + 1);
            }
            Err(e) => problem.set(Some(format!("{e}. Nothing was pinned."))),
        })
    };
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
            <button type="button" onclick={pin} data-testid="pin-repo">{ "Pin" }</button>
            if let Some(p) = &**problem {
                <span class="field-error" data-testid="open-repo-error">{ p.clone() }</span>
            }
        </form>
    }
}

/// The pinned repositories: the deployment's (config.json) and this browser's, which can be
/// unpinned.
fn pinned_list(registry: &RegistryUrl, pinned: &[(String, bool)], pins_changed: &UseStateHandle<u32>) -> Html {
    if pinned.is_empty() {
        return Html::default();
    }
    html! {
        <section class="pinned" aria-labelledby="pinned-heading">
            <h2 id="pinned-heading">{ "Pinned repositories" }</h2>
            <ul class="repo-list" data-testid="pinned-list">
                { for pinned.iter().filter_map(|(name, by_deployment)| {
                    let repository = Repository::parse(name).ok()?;
                    let to = route_for(&View::Tags { registry: registry.clone(), repository });
                    let unpin = {
                        let (registry, name, pins_changed) = (registry.clone(), name.clone(), pins_changed.clone());
                        Callback::from(move |_: MouseEvent| {
                            pins::unpin(&registry, &name);
                            pins_changed.set(*pins_changed + 1);
                        })
                    };
                    Some(html! {
                        <li key={name.clone()} data-testid="pinned-item" data-repo={name.clone()}>
                            { link(to, "", html! { <>{ name.clone() }</> }) }
                            if *by_deployment {
                                <span class="muted small">{ " · pinned by this deployment" }</span>
                            } else {
                                { " " }<button class="link" onclick={unpin} aria-label={format!("Unpin {name}")} data-testid="unpin">{ "Unpin" }</button>
                            }
                        </li>
                    })
                }) }
            </ul>
        </section>
    }
}
