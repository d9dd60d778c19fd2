//! A repository's tags: the whole list (following Link), filtered, naturally sorted, paged on the
//! client, with each visible tag's digest fetched lazily by HEAD with bounded concurrency.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

use crate::router::link;
use wharf_protocol::address::View;
use wharf_protocol::names::{Reference, Repository};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::tags::{filter_and_sort, SortOrder};
use yew::prelude::*;

use crate::components::bulk::BulkPanel;
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::load::{use_load, Load};
use crate::connection::transport::performance_mark;
use crate::connection::use_read_only;
use crate::connection::{use_connection, Connection};
use crate::router::route_for;

/// Tags shown per page: enough to scan, few enough that their HEADs finish quickly.
const PAGE_SIZE: usize = 100;
/// HEAD requests in flight at once (browsers allow 6 per HTTP/1.1 host).
const DIGEST_CONCURRENCY: usize = 6;

/// What is known about a tag's digest.
#[derive(Debug, Clone, PartialEq)]
enum DigestCell {
    Known(String),
    Missing,
    Failed(String),
}

/// Props of [`TagsPage`].
#[derive(Properties, PartialEq)]
pub struct TagsProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
}

/// The tag list.
#[component]
pub fn TagsPage(props: &TagsProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let (listing, reload) = {
        let connection = connection.clone();
        use_load((props.registry.clone(), props.repository.clone()), move |(registry, repository)| async move {
            connection.registry(&registry).tag_list(&repository).await
        })
    };
    let filter = use_state(String::new);
    let order = use_state(SortOrder::default);
    let page = use_state(|| 0usize);
    let digests: Rc<RefCell<HashMap<String, DigestCell>>> = use_mut_ref(HashMap::new);
    // The tags chosen for a bulk promotion, and the last one clicked (for shift-click ranges).
    let selected = use_state(|| Rc::new(BTreeSet::new()));
    let last_clicked = use_mut_ref(|| None::<String>);
    let redraw = use_force_update();

    let all_tags: Rc<Vec<String>> = match &*listing {
        Load::Ready(l) => Rc::new(l.tags.clone()),
        _ => Rc::new(Vec::new()),
    };
    let shown = use_memo((all_tags.clone(), (*filter).clone(), *order), |(tags, filter, order)| {
        filter_and_sort(tags, filter, *order)
    });
    let pages = shown.len().div_ceil(PAGE_SIZE).max(1);
    let current_page = (*page).min(pages - 1);
    let visible: Vec<String> = shown.iter().skip(current_page * PAGE_SIZE).take(PAGE_SIZE).cloned().collect();

    {
        // A fresh listing invalidates every digest seen before.
        let digests = digests.clone();
        use_effect_with(all_tags.clone(), move |_| digests.borrow_mut().clear());
    }
    {
        let (digests, redraw, connection) = (digests.clone(), redraw.clone(), connection.clone());
        let (registry, repository) = (props.registry.clone(), props.repository.clone());
        let generation = use_mut_ref(|| 0u64);
        use_effect_with(visible.clone(), move |visible| {
            *generation.borrow_mut() += 1;
            let missing: VecDeque<String> =
                visible.iter().filter(|t| !digests.borrow().contains_key(*t)).cloned().collect();
            let queue = Rc::new(RefCell::new(missing));
            for _ in 0..DIGEST_CONCURRENCY {
                spawn_digest_worker(
                    connection.clone(),
                    registry.clone(),
                    repository.clone(),
                    queue.clone(),
                    digests.clone(),
                    redraw.clone(),
                    generation.clone(),
                );
            }
        });
    }

    {
        // User Timing marks for the benchmark: list rendered, and every digest in view known.
        let listed = matches!(&*listing, Load::Ready(_));
        let digests_known = listed && visible.iter().all(|t| digests.borrow().contains_key(t));
        use_effect_with((listed, digests_known), |(listed, digests_known)| {
            if *listed {
                performance_mark("wharf:tags-rendered");
            }
            if *digests_known {
                performance_mark("wharf:tag-digests-in-view");
            }
        });
    }

    let oninput = {
        let filter = filter.clone();
        let page = page.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value());
            page.set(0);
        })
    };
    let onchange = {
        let order = order.clone();
        Callback::from(move |e: Event| {
            order.set(SortOrder::from_key(&e.target_unchecked_into::<web_sys::HtmlSelectElement>().value()))
        })
    };
    let go_page = |delta: isize| {
        let page = page.clone();
        Callback::from(move |_| page.set(current_page.saturating_add_signed(delta).min(pages - 1)))
    };

    let digest_counts: HashMap<String, usize> = digests.borrow().values().fold(HashMap::new(), |mut acc, cell| {
        if let DigestCell::Known(d) = cell {
            *acc.entry(d.clone()).or_default() += 1;
        }
        acc
    });
    let repo_view = |reference: &str, retag: bool| {
        let reference = Reference::parse(reference).ok()?;
        let (registry, repository) = (props.registry.clone(), props.repository.clone());
        Some(route_for(&if retag {
            View::Retag { registry, repository, reference }
        } else {
            View::Manifest { registry, repository, reference }
        }))
    };

    let toggle = |tag: &String| {
        let (selected, last_clicked, visible, tag) =
            (selected.clone(), last_clicked.clone(), visible.clone(), tag.clone());
        Callback::from(move |e: MouseEvent| {
            let mut next = (**selected).clone();
            let on = !next.contains(&tag);
            let anchor = last_clicked.borrow().clone().and_then(|a| visible.iter().position(|t| *t == a));
            let here = visible.iter().position(|t| *t == tag);
            let range = match (e.shift_key(), anchor, here) {
                (true, Some(a), Some(h)) => &visible[a.min(h)..=a.max(h)],
                _ => std::slice::from_ref(&tag),
            };
            for t in range {
                if on {
                    next.insert(t.clone());
                } else {
                    next.remove(t);
                }
            }
            *last_clicked.borrow_mut() = Some(tag.clone());
            selected.set(Rc::new(next));
        })
    };
    let select_all = {
        let (selected, shown) = (selected.clone(), shown.clone());
        Callback::from(move |_| selected.set(Rc::new(shown.iter().cloned().collect())))
    };
    let clear = {
        let selected = selected.clone();
        Callback::from(move |_| selected.set(Rc::new(BTreeSet::new())))
    };
    // In the order shown (the registry's own order is not sorted), and only tags still listed.
    let chosen: Rc<Vec<String>> = Rc::new(if selected.is_empty() {
        Vec::new()
    } else {
        filter_and_sort(&all_tags, "", *order).into_iter().filter(|t| selected.contains(t)).collect()
    });

    let body = match &*listing {
        Load::Loading => html! { <p class="muted" data-testid="loading">{ "Loading tags…" }</p> },
        Load::Failed(error) => {
            html! { <>{ error_box(error, Some("Loading the tags")) }<button onclick={reload.reform(|_| ())}>{ "Try again" }</button></> }
        }
        Load::Ready(l) if l.tags.is_empty() => html! {
            <p class="empty" data-testid="no-tags">{
                if l.not_found { "No tags: the registry does not know this repository (it never existed, or its last tag was deleted)." }
                else { "No tags: the repository exists but has no tags left." }
            }</p>
        },
        Load::Ready(l) => html! {
            <>
                <div class="toolbar">
                    <input type="search" placeholder="Filter tags" aria-label="Filter tags" value={(*filter).clone()} {oninput} data-testid="tag-filter" />
                    <label>{ "Sort " }
                        <select {onchange} data-testid="tag-sort">
                            <option value="asc" selected={*order == SortOrder::NaturalAscending}>{ "Version ascending (v1.9 before v1.10)" }</option>
                            <option value="desc" selected={*order == SortOrder::NaturalDescending}>{ "Version descending" }</option>
                            <option value="registry" selected={*order == SortOrder::Registry}>{ "As the registry lists them" }</option>
                        </select>
                    </label>
                    <span class="muted" data-testid="tag-count">{ format!("{} of {} tags", shown.len(), l.tags.len()) }</span>
                    <button class="secondary" onclick={reload.reform(|_| ())} data-testid="tags-refresh">{ "Refresh" }</button>
                    if !read_only {
                        <button class="secondary" onclick={select_all} data-testid="select-all">{ format!("Select all {} matching", shown.len()) }</button>
                        if !chosen.is_empty() {
                            <button class="secondary" onclick={clear} data-testid="select-none">{ format!("Clear selection ({})", chosen.len()) }</button>
                        }
                    }
                </div>
                if !read_only && !chosen.is_empty() {
                    <BulkPanel registry={props.registry.clone()} repository={props.repository.clone()} selected={chosen.clone()} />
                }
                <table class="tags" data-testid="tag-table" data-total={l.tags.len().to_string()} data-shown={shown.len().to_string()}>
                    <thead><tr><th></th><th>{ "Tag" }</th><th>{ "Digest" }</th><th>{ "Shared by" }</th><th></th></tr></thead>
                    <tbody>
                        { for visible.iter().map(|tag| {
                            let cell = digests.borrow().get(tag).cloned();
                            let digest_html = match &cell {
                                None => html! { <span class="muted">{ "…" }</span> },
                                Some(DigestCell::Known(d)) => digest_badge(d),
                                Some(DigestCell::Missing) => html! { <span class="muted">{ "gone (deleted since the list was read)" }</span> },
                                Some(DigestCell::Failed(e)) => html! { <span class="field-error" title={e.clone()}>{ "could not read" }</span> },
                            };
                            let shared = match &cell {
                                Some(DigestCell::Known(d)) => digest_counts.get(d).copied().unwrap_or(1),
                                _ => 0,
                            };
                            html! {
                                <tr key={tag.clone()} data-testid="tag-row" data-tag={tag.clone()}>
                                    <td>if !read_only { <input type="checkbox" checked={selected.contains(tag)} onclick={toggle(tag)} aria-label={format!("Select {tag}")} data-testid="tag-select" /> }</td>
                                    <td>{ match repo_view(tag, false) { Some(to) => html! { { link(to, "", html! { <>{ tag.clone() }</> }) } }, None => html! { tag.clone() } } }</td>
                                    <td>{ digest_html }</td>
                                    <td class="muted">{ if shared > 1 { format!("{shared} tags") } else { String::new() } }</td>
                                    <td>{ match repo_view(tag, true) { Some(to) if !read_only => link(to, "action", html! { "Retag…" }), _ => html! {} } }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                <div class="pager">
                    <button onclick={go_page(-1)} disabled={current_page == 0} data-testid="page-prev">{ "← Previous" }</button>
                    <span data-testid="page-label">{ format!("Page {} of {pages}", current_page + 1) }</span>
                    <button onclick={go_page(1)} disabled={current_page + 1 >= pages} data-testid="page-next">{ "Next →" }</button>
                </div>
                <p class="muted">{ "“Shared by” counts the tags read so far that point at the same digest: they are one image." }</p>
            </>
        },
    };
    html! {
        <section>
            <nav class="crumbs">
                { link(route_for(&View::Catalog { registry: props.registry.clone() }), "", html! { <>{ "Repositories" }</> }) }
                { " / " }<strong data-testid="repo-name">{ props.repository.to_string() }</strong>
            </nav>
            <h1>{ props.repository.to_string() }</h1>
            { body }
        </section>
    }
}

/// One of the workers that HEAD the visible tags; stops when the view moved on.
fn spawn_digest_worker(
    connection: Connection,
    registry: RegistryUrl,
    repository: Repository,
    queue: Rc<RefCell<VecDeque<String>>>,
    digests: Rc<RefCell<HashMap<String, DigestCell>>>,
    redraw: UseForceUpdateHandle,
    generation: Rc<RefCell<u64>>,
) {
    let mine = *generation.borrow();
    wasm_bindgen_futures::spawn_local(async move {
        let client = connection.registry(&registry);
        loop {
            if *generation.borrow() != mine {
                return;
            }
            let Some(tag) = queue.borrow_mut().pop_front() else {
                return;
            };
            let Ok(reference) = Reference::parse(&tag) else {
                continue;
            };
            let cell = match client.manifest_digest(&repository, &reference).await {
                Ok(Some(d)) => DigestCell::Known(d.to_string()),
                Ok(None) => DigestCell::Missing,
                Err(e) => DigestCell::Failed(e.headline()),
            };
            digests.borrow_mut().insert(tag, cell);
            redraw.force_update();
        }
    });
}
