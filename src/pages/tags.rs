//! A repository's tags at a glance: the whole list (following Link), each tag's created date,
//! size, platforms and kind read in the background (`crate::glance`), sorted and filtered over
//! every tag, paged on the client.

use std::collections::HashMap;
use std::rc::Rc;

use wharf_protocol::address::View;
use wharf_protocol::glance::{arrange, attached, natural_ranks, platforms_seen, Order, TagDigest, ORDERS};
use wharf_protocol::kind::{Kind, KIND_KEYS};
use wharf_protocol::names::{Reference, Repository};
use wharf_protocol::pull::{pull_command, tools_for};
use wharf_protocol::referrers::attachment_subject;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::storage::{repository_storage, Storage};
use wharf_protocol::time::age;
use wharf_protocol::units::{human_size, thousands};
use yew::prelude::*;

use crate::components::about::description_line;
use crate::components::bulk::KnownTags;
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::facts::{created_html, kind_html, now_seconds, platforms_text, size_html};
use crate::components::load::{use_load, Load};
use crate::components::open_reference::OpenReference;
use crate::components::paging::ROWS_PER_PAGE;
use crate::components::pull::{copy_to_clipboard, tool_select};
use crate::connection::transport::performance_mark;
use crate::connection::use_connection;
use crate::connection::use_read_only;
use crate::glance::{use_glance, use_other_repositories, OtherRepositories};
use crate::lazy::LazyBulkPanel;
use crate::pages::tag_view::{TagAction, TagView};
use crate::router::{link, query_param, replace_query, route_for};

/// Props of [`TagsPage`].
#[derive(Properties, PartialEq)]
pub struct TagsProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
}

/// The tag list: every tag with its kind, created date, size and platforms, sorted and filtered
/// over all of them while the rest of the metadata loads.
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
    // Filter, order, page, selection and pull choices: one reducer (see `tag_view`).
    let view = use_reducer(|| TagView::new(query_param("sort").map_or(Order::Version, |key| Order::from_key(&key))));
    let filter = &view.filter;

    // The tag list, copied once per load (not per render: 10,000 tags re-render twice a second
    // while the glance runs).
    let all_tags = use_memo(SameLoad(listing.clone()), |load| match &*load.0 {
        Load::Ready(l) => Some(Rc::new(l.tags.clone())),
        _ => None,
    });
    let glance = use_glance(&props.registry, &props.repository, (*all_tags).clone());
    let state = glance.state();
    let listed: Rc<Vec<String>> = (*all_tags).clone().unwrap_or_default();
    // Natural version order, worked out once per tag list (every re-sort then compares numbers).
    let ranks = use_memo((*all_tags).clone(), |tags| tags.as_deref().map(|t| natural_ranks(t)).unwrap_or_default());
    // Arranged once per render: the page, the count and the selection's order all come from it.
    let shown = Rc::new(arrange(&listed, &ranks, &state.digests, &state.facts, filter, view.order));
    let attachment_tags = listed.iter().filter(|t| attachment_subject(t).is_some()).count();
    let attached = attached(&listed, &state.digests, &state.facts);
    let (current_page, pages) = view.page_of(shown.len());
    let visible: Rc<Vec<String>> =
        Rc::new(shown.iter().skip(current_page * ROWS_PER_PAGE).take(ROWS_PER_PAGE).cloned().collect());
    let done = listed.iter().filter(|t| state.is_done(t)).count();
    let now = now_seconds();
    // Worked out once the glance is complete (not on every redraw while it runs).
    let storage = use_memo((state.complete, done, listed.clone()), |(complete, _, listed)| {
        complete.then(|| repository_storage(listed, &state.digests, &state.facts))
    });
    let others = use_other_repositories(&props.registry, &props.repository);

    {
        // Tags in view go first; once they are HEADed, what they need is fetched first too.
        let glance = glance.clone();
        use_effect_with(visible.clone(), move |visible| glance.prioritize(visible));
    }
    {
        // User Timing marks for the benchmark: list rendered, and every digest in view known.
        let listed_ready = matches!(&*listing, Load::Ready(_));
        let digests_known =
            listed_ready && visible.iter().all(|t| state.digests.get(t).is_some_and(TagDigest::is_settled));
        use_effect_with((listed_ready, digests_known), |(listed, digests_known)| {
            if *listed {
                performance_mark("wharf:tags-rendered");
            }
            if *digests_known {
                performance_mark("wharf:tag-digests-in-view");
            }
        });
    }

    let on_change = |action: fn(String) -> TagAction| {
        let view = view.clone();
        Callback::from(move |e: Event| {
            view.dispatch(action(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
        })
    };
    let oninput = {
        let view = view.clone();
        Callback::from(move |e: InputEvent| {
            view.dispatch(TagAction::FilterText(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
        })
    };
    let onsort = {
        let view = view.clone();
        Callback::from(move |e: Event| {
            let next = Order::from_key(&e.target_unchecked_into::<web_sys::HtmlSelectElement>().value());
            view.dispatch(TagAction::Sort(next));
            // The order is part of the address, so a link or a reload keeps it.
            replace_query(Some(&format!("sort={}", next.key())));
        })
    };
    let dispatch = |action: TagAction| {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| view.dispatch(action.clone()))
    };
    let go_page = |delta: isize| dispatch(TagAction::Page { delta, pages });

    let digest_counts: HashMap<&str, usize> =
        state.digests.values().filter_map(TagDigest::digest).fold(HashMap::new(), |mut acc, d| {
            *acc.entry(d).or_default() += 1;
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
        let (view, visible, tag) = (view.clone(), visible.clone(), tag.clone());
        Callback::from(move |e: MouseEvent| {
            view.dispatch(TagAction::Toggle { tag: tag.clone(), shift: e.shift_key(), visible: visible.clone() })
        })
    };
    let select_all = dispatch(TagAction::SelectAll(shown.clone()));
    let clear = dispatch(TagAction::ClearSelection);
    // In the order shown, and only tags still listed.
    let chosen: Rc<Vec<String>> = Rc::new(view.chosen(&shown, &listed));
    let public = connection.public_name(&props.registry);
    let repository_text = props.repository.to_string();

    let progress = {
        let total = listed.len();
        let stop = {
            let glance = glance.clone();
            Callback::from(move |_| glance.stop())
        };
        let resume = {
            let glance = glance.clone();
            Callback::from(move |_| glance.resume())
        };
        let cached_note = match (state.cached_at, state.complete) {
            (Some(at), false) => Some(format!(
                "Shown from what this browser read {}; every tag is being checked with the registry (rows in grey are not confirmed yet).",
                age(now, (at / 1000.0) as i64)
            )),
            _ => None,
        };
        html! {
            <div class="glance-progress" data-testid="glance-progress" data-done={done.to_string()} data-total={total.to_string()}
                data-concurrency={glance.concurrency().to_string()} data-complete={state.complete.to_string()}>
                <label>
                    <span>{ if state.complete { format!("metadata: all {} tags", thousands(total)) } else { format!("metadata: {} of {}", thousands(done), thousands(total)) } }</span>
                    <progress max={total.max(1).to_string()} value={done.to_string()}></progress>
                </label>
                if !state.complete {
                    if state.stopped {
                        <button class="secondary" onclick={resume} data-testid="glance-resume">{ "Resume" }</button>
                    } else {
                        <button class="secondary" onclick={stop} data-testid="glance-stop">{ "Stop" }</button>
                    }
                }
                if let Some(note) = cached_note { <p class="muted small" data-testid="glance-cached">{ note }</p> }
                if let Some(waiting) = state.waiting.clone() { <p class="notice small" data-testid="glance-waiting">{ waiting }</p> }
            </div>
        }
    };

    let body = match &*listing {
        Load::Loading => html! { <p class="muted" data-testid="loading">{ "Loading tags…" }</p> },
        Load::Failed(error) => html! {
            <>
                { error_box(error, Some("Loading the tags")) }
                <button onclick={reload.reform(|_| ())}>{ "Try again" }</button>
                <OpenReference registry={props.registry.clone()} repository={props.repository.clone()} />
            </>
        },
        Load::Ready(l) if l.tags.is_empty() => html! {
            <>
                <p class="empty" data-testid="no-tags" data-not-served={l.not_served.to_string()}>{
                    if l.not_served { "This registry does not list tags (its tag list answered a bare 404, with no error envelope): the repository's images may well be there. Open one by tag or digest." }
                    else if l.not_found { "No tags: the registry does not know this repository (it never existed, or its last tag was deleted). Images may still be there by digest." }
                    else { "No tags: the repository exists but has no tags left." }
                }</p>
                <OpenReference registry={props.registry.clone()} repository={props.repository.clone()} />
            </>
        },
        Load::Ready(l) => {
            let platforms = platforms_seen(&state.digests, &state.facts);
            let onpin = dispatch(TagAction::TogglePinned);
            let choose_tool = {
                let view = view.clone();
                Callback::from(move |t| view.dispatch(TagAction::PullTool(t)))
            };
            let show_attachments = dispatch(TagAction::ToggleAttachmentTags);
            let cleanup =
                route_for(&View::Cleanup { registry: props.registry.clone(), repository: props.repository.clone() });
            html! {
                <>
                    { progress }
                    <p class="storage">
                        { storage_html(storage.as_ref().as_ref(), others.as_ref().as_ref(), done, l.tags.len()) }
                        if !read_only { { " · " }{ link(cleanup, "action", html! { "Clean up with retention rules…" }) } }
                    </p>
                    <div class="toolbar">
                        <input type="search" placeholder="Filter tags" aria-label="Filter tags" value={filter.text.clone()} {oninput} onchange={on_change(TagAction::FilterText)} data-testid="tag-filter" />
                        <label>{ "Sort " }
                            <select onchange={onsort} data-testid="tag-sort">
                                { for ORDERS.iter().map(|(o, key, label)| html! { <option value={*key} selected={view.order == *o}>{ *label }</option> }) }
                            </select>
                        </label>
                        <label>{ "Kind " }
                            <select onchange={on_change(TagAction::FilterKind)} data-testid="kind-filter">
                                <option value="" selected={filter.kind.is_empty()}>{ "all" }</option>
                                { for KIND_KEYS.iter().map(|k| html! { <option value={*k} selected={filter.kind == *k}>{ Kind::key_label(k) }</option> }) }
                            </select>
                        </label>
                        <label>{ "Platform " }
                            <select onchange={on_change(TagAction::FilterPlatform)} data-testid="platform-filter">
                                <option value="" selected={filter.platform.is_empty()}>{ "all" }</option>
                                { for platforms.iter().map(|p| html! { <option value={p.clone()} selected={filter.platform == *p}>{ p.clone() }</option> }) }
                            </select>
                        </label>
                        if attachment_tags > 0 {
                            <label class="small"><input type="checkbox" checked={filter.show_attachments} onclick={show_attachments} data-testid="show-attachments" />
                                { format!(" show signature and attachment tags ({})", thousands(attachment_tags)) }</label>
                        }
                        <span class="muted" data-testid="tag-count">{ format!("{} of {} tags", thousands(shown.len()), thousands(l.tags.len())) }</span>
                        <button class="secondary" onclick={reload.reform(|_| ())} data-testid="tags-refresh">{ "Refresh" }</button>
                        if !read_only {
                            <button class="secondary" onclick={select_all} data-testid="select-all">{ format!("Select all {} matching", shown.len()) }</button>
                            if !chosen.is_empty() {
                                <button class="secondary" onclick={clear} data-testid="select-none">{ format!("Clear selection ({})", chosen.len()) }</button>
                            }
                        }
                    </div>
                    <div class="toolbar pull-choice">
                        <span class="muted">{ "Pull commands for " }</span>
                        { tool_select(None, view.pull_tool, choose_tool, "pull-tool") }
                        <label class="small"><input type="checkbox" checked={view.pull_pinned} onclick={onpin} data-testid="pull-pinned" />{ " pinned by digest" }</label>
                        <span class="muted small" aria-live="polite" data-testid="pull-copied">{ view.copied.as_ref().map(|c| format!("Copied: {c}")).unwrap_or_default() }</span>
                        if public.guessed { <span class="muted small" data-testid="pull-guessed">{ wharf_protocol::pull::GUESSED_NOTE }</span> }
                    </div>
                    if !read_only && !chosen.is_empty() {
                        <LazyBulkPanel registry={props.registry.clone()} repository={props.repository.clone()} selected={chosen.clone()}
                            known={KnownTags { listed: listed.clone(), glance: glance.clone() }} />
                    }
                    <table class="tags" data-testid="tag-table" data-total={l.tags.len().to_string()} data-shown={shown.len().to_string()}>
                        <thead><tr><th></th><th>{ "Tag" }</th><th>{ "Created" }</th><th>{ "Size" }</th><th>{ "Kind" }</th><th class="wide">{ "Platforms" }</th><th class="wide">{ "Digest" }</th><th></th></tr></thead>
                        <tbody>
                            { for visible.iter().map(|tag| {
                                let cell = state.digests.get(tag);
                                let digest = cell.and_then(TagDigest::digest);
                                let summary = digest.map(|d| state.facts.summary(d)).unwrap_or_default();
                                let fetch_failed = digest.and_then(|d| {
                                    state.failed.get(d).cloned().or_else(|| state.facts.needs(d).iter().find_map(|n| state.failed.get(n.digest()).cloned()))
                                });
                                let fresh = cell.is_some_and(TagDigest::is_settled);
                                let digest_html = match cell {
                                    None => html! { <span class="muted">{ "…" }</span> },
                                    Some(TagDigest::Fresh(d) | TagDigest::Cached(d)) => {
                                        let shared = digest_counts.get(d.as_str()).copied().unwrap_or(1);
                                        html! { <>{ digest_badge(d) }if shared > 1 { <div class="muted small">{ format!("shared by {shared} tags") }</div> }</> }
                                    }
                                    Some(TagDigest::Missing) => html! { <span class="muted">{ "gone (deleted since the list was read)" }</span> },
                                    Some(TagDigest::Failed(e)) => html! { <span class="field-error" title={e.clone()}>{ "could not read" }</span> },
                                };
                                let reference = if view.pull_pinned { digest.map(str::to_string) } else { Some(tag.clone()) };
                                // The tool chosen, unless it cannot pull this kind (a chart goes to helm).
                                let tools = tools_for(summary.kind.as_ref());
                                let tool = if tools.contains(&view.pull_tool) { view.pull_tool } else { tools[0] };
                                let pull = reference.map(|r| pull_command(tool, &public, &repository_text, &r));
                                let copy = pull.clone().map(|command| {
                                    let view = view.clone();
                                    Callback::from(move |_| { copy_to_clipboard(&command); view.dispatch(TagAction::Copied(command.clone())); })
                                });
                                let kind = summary.kind.as_ref();
                                let badges = digest.and_then(|d| attached.get(d)).cloned().unwrap_or_default();
                                html! {
                                    <tr key={tag.clone()} data-testid="tag-row" data-tag={tag.clone()} data-digest={digest.unwrap_or_default().to_string()}
                                        data-created={summary.created.clone().unwrap_or_default()} data-size={summary.size.map(|s| s.to_string()).unwrap_or_default()}
                                        data-kind={kind.map(Kind::key).unwrap_or_default()} data-platforms={platforms_text(&summary, ",")}
                                        data-fresh={fresh.to_string()} class={(!fresh).then_some("cached")} data-attached={badges.join(",")}>
                                        <td>if !read_only { <input type="checkbox" checked={view.selected.contains(tag)} onclick={toggle(tag)} aria-label={format!("Select {tag}")} data-testid="tag-select" /> }</td>
                                        <td>{ match repo_view(tag, false) { Some(to) => link(to, "", html! { <>{ tag.clone() }</> }), None => html! { tag.clone() } } }{ summary.description.as_ref().map(description_line) }</td>
                                        <td>{ match &fetch_failed { Some(why) => html! { <span class="field-error" title={why.clone()}>{ "could not read" }</span> }, None if summary.complete && summary.created.is_none() => html! { <span class="muted" title="it states no creation date">{ "—" }</span> }, None => created_html(summary.created.as_deref(), now) } }</td>
                                        <td>{ size_html(summary.size, if kind == Some(&Kind::Index) { "distinct blobs of every platform" } else { "config and layers, compressed" }) }</td>
                                        <td>{ kind_html(kind) }{ for badges.iter().map(|k| attached_badge(k)) }</td>
                                        <td class="wide small">{ platforms_text(&summary, ", ") }</td>
                                        <td class="wide">{ digest_html }</td>
                                        <td class="actions">
                                            if let Some(copy) = copy { <button class="secondary small" onclick={copy} title={pull.clone().unwrap_or_default()} aria-label={format!("Copy the pull command of {tag}")} data-testid="tag-pull">{ "Pull" }</button> }
                                            { match repo_view(tag, true) { Some(to) if !read_only => link(to, "action", html! { "Retag…" }), _ => html! {} } }
                                        </td>
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
                    <p class="muted small">{ "Sizes are what a pull downloads: config and layers, compressed; an index counts the blobs of its platforms once each. Created is the image config's own date (for an index, its newest platform's). Sorting and filters cover every tag, not just this page; tags whose metadata is not read yet come last." }</p>
                </>
            }
        }
    };
    // Pinned here, the repository is one click away on the catalog page, even where the
    // registry lists none.
    // Read from localStorage once per repository and pin, not on every redraw of a long list.
    let pins_changed = use_state(|| 0u32);
    // The config's pins arrive with config.json, so its state is part of the key.
    let key = (props.registry.clone(), props.repository.clone(), *pins_changed, connection.config.clone());
    let is_pinned = *use_memo(key, {
        let connection = connection.clone();
        move |(registry, repository, _, _)| {
            connection.pinned(registry).iter().any(|(n, _)| *n == repository.to_string())
        }
    });
    let pin = {
        let (registry, repository, pins_changed) =
            (props.registry.clone(), props.repository.clone(), pins_changed.clone());
        Callback::from(move |_: MouseEvent| {
            crate::connection::pins::pin(&registry, &repository);
            pins_changed.set(*pins_changed + 1);
        })
    };
    html! {
        <section>
            <nav class="crumbs">
                { link(route_for(&View::Catalog { registry: props.registry.clone() }), "", html! { <>{ "Repositories" }</> }) }
                { " / " }<strong data-testid="repo-name">{ props.repository.to_string() }</strong>
                if is_pinned {
                    <span class="muted small" data-testid="repo-pinned">{ " · pinned" }</span>
                } else {
                    { " · " }<button class="link" onclick={pin} data-testid="pin-this-repo">{ "Pin this repository" }</button>
                }
            </nav>
            <h1>{ props.repository.to_string() }</h1>
            { body }
        </section>
    }
}

/// The repository's storage: its distinct blobs, counted once every tag is known, and how much
/// of it no other repository this browser has read shares.
fn storage_html(storage: Option<&Storage>, others: Option<&OtherRepositories>, done: usize, total: usize) -> Html {
    let Some(storage) = storage.filter(|s| s.complete()) else {
        return html! {
            <span data-testid="repo-storage" data-complete="false">{ format!("Storage: counting (metadata of {} of {} tags read)…", thousands(done), thousands(total)) }</span>
        };
    };
    let alone =
        others.filter(|o| o.count > 0).map(|o| storage.bytes_not_in(&o.blobs.iter().map(String::as_str).collect()));
    let shared = match (others, alone) {
        (Some(o), Some(alone)) => format!(
            "; {} of it is in none of the {} other {} of this registry this browser has read",
            human_size(alone),
            o.count,
            if o.count == 1 { "repository" } else { "repositories" }
        ),
        (Some(_), None) => {
            "; no other repository of this registry has been read in this browser, so what it shares is not known"
                .to_string()
        }
        (None, _) => String::new(),
    };
    html! {
        <span data-testid="repo-storage" data-complete="true" data-bytes={storage.bytes().to_string()} data-blobs={storage.blobs.len().to_string()}
            data-unshared-bytes={alone.map(|b| b.to_string())} data-others={others.map(|o| o.count.to_string())}
            title="the distinct config and layer blobs of every tag (index platforms included), each counted once however many tags share it">
            { format!("Storage: {} in {} distinct blobs{shared}.", human_size(storage.bytes()), thousands(storage.blobs.len())) }
        </span>
    }
}

/// A badge for what is attached to an image (signature, attestation, SBOM).
fn attached_badge(kind: &str) -> Html {
    let label = match kind {
        "signature" => "signed",
        "attestation" => "attested",
        "sbom" => "SBOM",
        _ => "attachment",
    };
    html! { <span class="badge attached" data-testid="attached-badge" data-kind={kind.to_string()} title="attached to this digest (present, not verified)">{ label }</span> }
}

/// A load compared by identity: the same answer, not an equal one (comparing 10,000 tags on
/// every render would cost what the memo saves).
struct SameLoad<T>(Rc<Load<T>>);

impl<T> PartialEq for SameLoad<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
