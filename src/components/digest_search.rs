//! "Where is this digest?" on the catalog page: a digest (or `repository:tag`, resolved to its
//! digest first) looked for in every repository given (the catalog's, or the pinned ones), six
//! repositories at a time (the browser's connections per origin), with progress and a Stop
//! button. The walk itself is the core's (`wharf_protocol::search`); this holds its progress.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use wharf_protocol::address::View;
use wharf_protocol::names::{Reference, Repository};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::search::{search_repository, Hit, Indexes, Query};
use wharf_protocol::units::thousands;
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::connection::transport::performance_mark;
use crate::connection::use_connection;
use crate::router::{link, route_for};

/// Repositories searched at once.
const IN_FLIGHT: usize = 6;

/// Where a search is.
#[derive(Default)]
struct Progress {
    /// The digest looked for.
    target: Option<String>,
    /// Repositories done, of how many.
    repositories_done: usize,
    repositories: usize,
    /// Tags read.
    tags: usize,
    /// Places found.
    hits: Vec<Hit>,
    /// Repositories that could not be read, with why.
    failed: Vec<(String, String)>,
    /// Finished (every repository read, or stopped).
    finished: bool,
    /// Stopped by the user.
    stopped: bool,
    /// Why it could not start.
    problem: Option<String>,
}

/// Props of [`DigestSearch`].
#[derive(Properties, PartialEq, Clone)]
pub struct SearchProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// The repositories to search.
    pub repositories: Rc<Vec<String>>,
    /// What they are, for the form's note ("the catalog's 200", "the 3 pinned").
    pub scope: AttrValue,
}

/// The search form, its progress and its hits.
#[component]
pub fn DigestSearch(props: &SearchProps) -> Html {
    let connection = use_connection();
    let text = use_state(String::new);
    let progress: Rc<RefCell<Progress>> = use_mut_ref(Progress::default);
    // Each search's number: a stop or a new search ends the workers of the one before.
    let generation: Rc<Cell<u64>> = use_memo((), |_| Cell::new(0));
    // Index platforms read once per page: a second search does not read them again.
    let indexes: Rc<Indexes> = use_memo(props.registry.clone(), |_| Indexes::default());
    let redraw = use_force_update();
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let onsubmit = {
        let (text, progress, generation, redraw) = (text.clone(), progress.clone(), generation.clone(), redraw.clone());
        let (registry, repositories) = (props.registry.clone(), props.repositories.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            generation.set(generation.get() + 1);
            let mine = generation.get();
            *progress.borrow_mut() = Progress { repositories: repositories.len(), ..Progress::default() };
            let query = match Query::parse(&text) {
                Ok(query) => query,
                Err(why) => {
                    progress.borrow_mut().problem = Some(why);
                    redraw.force_update();
                    return;
                }
            };
            redraw.force_update();
            let client = Rc::new(connection.registry(&registry));
            let (progress, generation, redraw, indexes, repositories) =
                (progress.clone(), generation.clone(), redraw.clone(), indexes.clone(), repositories.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let target = match query.resolve(&client).await {
                    Ok(digest) => digest,
                    Err(why) => {
                        progress.borrow_mut().problem = Some(why);
                        redraw.force_update();
                        return;
                    }
                };
                progress.borrow_mut().target = Some(target.to_string());
                redraw.force_update();
                let queue: Rc<RefCell<VecDeque<String>>> =
                    Rc::new(RefCell::new(repositories.iter().cloned().collect()));
                let running = Rc::new(Cell::new(IN_FLIGHT));
                for _ in 0..IN_FLIGHT {
                    let (queue, client, progress, generation, redraw, indexes, target, running) = (
                        queue.clone(),
                        client.clone(),
                        progress.clone(),
                        generation.clone(),
                        redraw.clone(),
                        indexes.clone(),
                        target.clone(),
                        running.clone(),
                    );
                    wasm_bindgen_futures::spawn_local(async move {
                        let stopped = || generation.get() != mine;
                        while let Some(name) = (!stopped()).then(|| queue.borrow_mut().pop_front()).flatten() {
                            let outcome = match Repository::parse(&name) {
                                Ok(repository) => search_repository(&client, &repository, &target, &indexes, &stopped)
                                    .await
                                    .map_err(|e| e.headline()),
                                Err(e) => Err(e.to_string()),
                            };
                            if stopped() {
                                break;
                            }
                            let mut p = progress.borrow_mut();
                            p.repositories_done += 1;
                            match outcome {
                                Ok(found) => {
                                    p.tags += found.tags_read;
                                    p.hits.extend(found.hits);
                                }
                                Err(why) => p.failed.push((name, why)),
                            }
                            drop(p);
                            redraw.force_update();
                        }
                        running.set(running.get() - 1);
                        // The last worker of this search ends it (a stopped one was ended by Stop).
                        if running.get() == 0 && !stopped() {
                            progress.borrow_mut().finished = true;
                            performance_mark("wharf:search-done");
                            redraw.force_update();
                        }
                    });
                }
            });
        })
    };
    let stop = {
        let (progress, generation, redraw) = (progress.clone(), generation.clone(), redraw.clone());
        Callback::from(move |_: MouseEvent| {
            generation.set(generation.get() + 1);
            let mut p = progress.borrow_mut();
            p.finished = true;
            p.stopped = true;
            drop(p);
            performance_mark("wharf:search-done");
            redraw.force_update();
        })
    };
    let p = progress.borrow();
    let searching = p.target.is_some() && !p.finished;
    let started = p.target.is_some() || p.problem.is_some();
    let hit_html = |hit: &Hit| {
        let to = Repository::parse(&hit.repository)
            .ok()
            .and_then(|repository| Some((repository, wharf_protocol::names::Tag::parse(&hit.tag).ok()?)))
            .map(|(repository, tag)| {
                route_for(&View::Manifest {
                    registry: props.registry.clone(),
                    repository,
                    reference: Reference::Tag(tag),
                })
            });
        let place = format!("{}:{}", hit.repository, hit.tag);
        html! {
            <li data-testid="search-hit" data-repo={hit.repository.clone()} data-tag={hit.tag.clone()}
                data-index={hit.index.as_ref().map(ToString::to_string).unwrap_or_default()}>
                { match to { Some(to) => link(to, "", html! { <>{ place }</> }), None => html! { place } } }
                if let Some(index) = &hit.index {
                    <span class="muted small">{ format!(" · as the {} platform of the index ", hit.platform.clone().unwrap_or_else(|| "unnamed".into())) }{ digest_badge(index.as_str()) }</span>
                }
            </li>
        }
    };
    html! {
        <section class="search" aria-labelledby="search-heading">
            <h2 id="search-heading">{ "Where is this digest?" }</h2>
            <form class="toolbar" {onsubmit} data-testid="registry-search-form">
                <input type="search" placeholder="sha256:… or repository:tag" aria-label="Digest or repository:tag to look for"
                    value={(*text).clone()} {oninput} data-testid="registry-search" />
                <button type="submit" data-testid="registry-search-go" disabled={searching}>{ "Search" }</button>
                if searching { <button type="button" class="secondary" onclick={stop} data-testid="search-stop">{ "Stop" }</button> }
                <span class="muted small">{ format!("Looks in {}: every tag (one HEAD each), and each index once.", props.scope) }</span>
            </form>
            if let Some(problem) = &p.problem { <p class="field-error" data-testid="search-problem">{ problem.clone() }</p> }
            if started && p.problem.is_none() {
                <p class="muted" data-testid="search-progress" aria-live="polite">
                    { format!("{} of {} repositories, {} tags read", thousands(p.repositories_done), thousands(p.repositories), thousands(p.tags)) }
                    if let Some(target) = &p.target { { " · looking for " }{ digest_badge(target) } }
                </p>
                if !p.hits.is_empty() {
                    <ul class="repo-list" data-testid="search-hits">{ for p.hits.iter().map(hit_html) }</ul>
                }
                if p.finished {
                    <p data-testid="search-done" data-repositories={p.repositories_done.to_string()} data-tags={p.tags.to_string()}
                        data-hits={p.hits.len().to_string()} data-stopped={p.stopped.to_string()}>
                        { format!("{}: {} place{} in {} repositories and {} tags read.",
                            if p.stopped { "Stopped" } else { "Done" }, p.hits.len(), if p.hits.len() == 1 { "" } else { "s" },
                            thousands(p.repositories_done), thousands(p.tags)) }
                    </p>
                }
                { for p.failed.iter().map(|(name, why)| html! { <p class="field-error" data-testid="search-failed" data-repo={name.clone()}>{ format!("{name}: {why}") }</p> }) }
            }
        </section>
    }
}
