//! Clean up a repository with retention rules (see `wharf_protocol::cleanup` for the semantics):
//! the rules form, the plan (the dry run: every tag with its verdict and reason, and the bytes the
//! run frees), then the run on the one runner with progress, stop and retry, and an undo of the
//! whole run. The tags' dates come from the tag list's glance, run here too (the cache makes a
//! second visit quick); the plan is offered only once every tag is confirmed by the registry.

use std::collections::HashSet;
use std::rc::Rc;

use wharf_protocol::cleanup::{self, CleanupPlan, CleanupRow, Rules, DEFAULT_PROTECT};
use wharf_protocol::delete::{refusal_advice, GC_AFTER_TAG_DELETE};
use wharf_protocol::journal::Entry;
use wharf_protocol::names::Repository;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::runner::{ItemState, DEFAULT_CONCURRENCY};
use wharf_protocol::units::{human_size, thousands};
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::export::{registry_for_script, ExportScript};
use crate::components::facts::{created_html, now_seconds, size_html};
use crate::components::load::{use_load, Load};
use crate::components::markup::{button, code, crumbs, el, fixed, owned, text};
use crate::connection::{unique_value, use_connection, use_read_only, Connection};
use crate::flow::{use_flow, FlowState};
use crate::glance::use_glance;
use crate::items::{run_items, ItemsFlow};
use crate::journal_store::{use_journal, JournalStore};

/// Props of [`CleanupPage`].
#[derive(Properties, PartialEq)]
pub struct CleanupProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
}

/// A plan, and when its run began (the journal entries of the run are those recorded since).
pub struct CleanupJob {
    plan: CleanupPlan,
    since: std::cell::RefCell<String>,
}

/// The undo of a run: the entries it puts back.
pub struct UndoJob {
    entries: Vec<Entry>,
}

/// What the form holds. The fields are controlled: the page redraws often while the tag list's
/// metadata loads, and yew puts a field's rendered value back into it on every redraw.
#[derive(Clone, PartialEq)]
struct Fields {
    keep_newest: String,
    older_than: String,
    protect: String,
}

/// The clean-up page.
#[component]
pub fn CleanupPage(props: &CleanupProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let journal = use_journal();
    let (registry, repository) = (props.registry.clone(), props.repository.clone());
    let (listing, _) = {
        let connection = connection.clone();
        use_load((registry.clone(), repository.clone()), move |(registry, repository)| async move {
            connection.registry(&registry).tag_list(&repository).await
        })
    };
    // Whether the registry deletes at all, asked before any plan (one DELETE of a manifest that
    // does not exist).
    let (deletes, _) = {
        let connection = connection.clone();
        use_load(
            (registry.clone(), repository.clone(), read_only),
            move |(registry, repository, read_only)| async move {
                if read_only {
                    return Ok(());
                }
                connection.registry(&registry).deletes_allowed(&repository).await
            },
        )
    };
    let tags = match &*listing {
        Load::Ready(l) => Some(Rc::new(l.tags.clone())),
        _ => None,
    };
    let glance = use_glance(&registry, &repository, tags.clone());
    let fields =
        use_state(|| Fields { keep_newest: "10".into(), older_than: String::new(), protect: DEFAULT_PROTECT.into() });
    let problems = use_state(Vec::<String>::new);
    let flow: ItemsFlow<CleanupJob> = use_flow();
    let undo: ItemsFlow<UndoJob> = use_flow();

    let state = glance.state();
    let listed = tags.clone().unwrap_or_default();
    let known = cleanup::tag_images(&listed, &state.digests, &state.facts, &state.failed);
    let now = now_seconds();

    let head = crumbs(&registry, &repository, fixed(" / clean-up"));
    let title = el("h1", "", "", owned(format!("Clean up {repository}")));
    let stop_here = |body: Html| html! { <section>{ head.clone() }{ title.clone() }{ body }</section> };
    if read_only {
        return stop_here(text(
            "div",
            "notice",
            "read-only",
            "This deployment of Wharf is read-only: clean-up deletes tags, so it is switched off.",
        ));
    }
    match &*deletes {
        Load::Failed(e) => {
            return stop_here(html! {
                <div data-testid="cleanup-deletes-off">
                    { error_box(e, Some("Checking that this registry deletes")) }
                    if let Some(advice) = refusal_advice(e) { { el("div", "notice", "", owned(advice)) } }
                </div>
            })
        }
        Load::Loading => {
            return stop_here(text("p", "muted", "cleanup-checking", "Checking that this registry allows deletes…"))
        }
        Load::Ready(()) => {}
    }
    let listing_html = match &*listing {
        Load::Failed(e) => Some(error_box(e, Some("Loading the tags"))),
        Load::Loading => Some(text("p", "muted", "loading", "Loading tags…")),
        Load::Ready(_) => None,
    };
    if let Some(body) = listing_html {
        return stop_here(body);
    }

    let on_field = |set: fn(&mut Fields, String)| {
        let fields = fields.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*fields).clone();
            set(&mut next, e.target_unchecked_into::<web_sys::HtmlInputElement>().value());
            fields.set(next);
        })
    };
    let busy = !matches!(flow.state(), FlowState::Idle | FlowState::Cancelled(_) | FlowState::Failed(_));
    let on_plan = {
        let (fields, problems, flow, repository) = (fields.clone(), problems.clone(), flow.clone(), repository.clone());
        let images = known.clone().ok();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let rules = match Rules::parse(&fields.keep_newest, &fields.older_than, &fields.protect) {
                Ok(rules) => rules,
                Err(found) => return problems.set(found),
            };
            problems.set(Vec::new());
            if let Some(images) = images.clone() {
                let plan = cleanup::plan(&repository, images, &rules, now_seconds());
                flow.show(CleanupJob { plan, since: Default::default() });
            }
        })
    };
    let progress = match &known {
        Ok(_) => html! {},
        Err(not_known) => html! {
            <div class="glance-progress" data-testid="cleanup-waiting" data-pending={not_known.pending.to_string()}>
                { el("p", "muted", "", owned(format!(
                    "Reading every tag's image and date before a plan can be made: {} of {} tags known{}.",
                    thousands(listed.len().saturating_sub(not_known.pending + not_known.failed.len())), thousands(listed.len()),
                    if state.stopped { " (stopped on the tag list: resume it there)" } else { "" }))) }
                if !not_known.failed.is_empty() {
                    { el("p", "field-error", "cleanup-unreadable", owned(format!(
                        "{} tag(s) could not be read, so no plan is made (it would guess about them): {}. Reload to try again.",
                        not_known.failed.len(),
                        not_known.failed.iter().take(3).map(|(t, why)| format!("{t} ({why})")).collect::<Vec<_>>().join("; ")))) }
                }
            </div>
        },
    };
    let form = html! {
        <form class="bulk-form" onsubmit={on_plan} data-testid="cleanup-form">
            <div class="row">
                <label>{ "Keep the newest " }
                    <input type="number" min="0" class="narrow" value={fields.keep_newest.clone()} disabled={busy}
                        oninput={on_field(|f, v| f.keep_newest = v)} data-testid="cleanup-keep-newest" />{ " images" }</label>
                <label>{ "Delete only what is older than " }
                    <input type="number" min="0" class="narrow" value={fields.older_than.clone()} disabled={busy}
                        oninput={on_field(|f, v| f.older_than = v)} data-testid="cleanup-older-than" />{ " days" }</label>
            </div>
            <div class="row">
                <label>{ "Protected tags " }
                    <input type="text" value={fields.protect.clone()} disabled={busy}
                        oninput={on_field(|f, v| f.protect = v)} data-testid="cleanup-protect" /></label>
                <button type="submit" disabled={busy || known.is_err()} data-testid="cleanup-plan">{ "Plan (dry run)" }</button>
            </div>
            { el("p", "muted small", "", with_code("Protection is by exact glob match on the whole tag: `*` stands for any characters, `?` for one; patterns are separated by spaces or commas. `v*` protects `v1.2` and `vnext`, not `dev-v1`.")) }
            if !problems.is_empty() {
                <ul class="field-error" data-testid="cleanup-problems">{ for problems.iter().map(|p| el("li", "", "", owned(p.clone()))) }</ul>
            }
        </form>
    };
    let client_url = connection.registry(&registry).url().to_string();
    let body = match flow.state() {
        FlowState::Idle | FlowState::Cancelled(_) | FlowState::Planning => html! {},
        FlowState::Failed(e) => error_box(e, Some("Clean-up")),
        FlowState::Planned(job) => plan_view(job, &flow, &connection, &registry, now),
        FlowState::Running(job, states) => {
            run_view(job, states, true, &flow, &undo, &connection, &registry, &journal, &client_url, now)
        }
        FlowState::Done(job, states) => {
            run_view(job, states, false, &flow, &undo, &connection, &registry, &journal, &client_url, now)
        }
    };
    html! {
        <section class="cleanup">
            { head }
            { title }
            <ul class="rules-list" data-testid="cleanup-semantics">
                { for SEMANTICS.iter().map(|line| el("li", "", "", with_code(line))) }
            </ul>
            { progress }
            { form }
            { body }
        </section>
    }
}

/// How the rules work, as the page states them (and the README).
const SEMANTICS: [&str; 5] = [
    "Images are distinct digests. An image's date is its config's `created`; an index's is its newest platform's, as the tag list shows it.",
    "With a count, every tag outside the newest N images is a candidate (images of the same date at the limit are all kept); with an age, every tag whose image is older than D days; with both, only tags both select.",
    "A candidate is kept when it matches a protected pattern, or when it shares its digest with a kept tag: deleting it would free nothing.",
    "Only tags are deleted, each on its own: the other tags of its image stay. Untagged manifests, the platforms of an index and the signatures of a kept image are never touched.",
    "Nothing is sent until you run the plan; every deletion is journaled, and the run can be undone.",
];

/// Text with `code` spans, as written in the core's messages.
fn with_code(line: &str) -> Html {
    let parts = line.split('`').enumerate();
    parts.map(|(i, part)| if i % 2 == 1 { code("", part.to_string()) } else { owned(part.to_string()) }).collect()
}

/// Starts (or retries) the run of `job` over the items at `indices` (rows of its plan).
fn start(
    flow: &ItemsFlow<CleanupJob>,
    connection: &Connection,
    registry: &RegistryUrl,
    job: Rc<CleanupJob>,
    states: Vec<ItemState>,
    indices: Vec<usize>,
) {
    if job.since.borrow().is_empty() {
        *job.since.borrow_mut() = js_sys::Date::new_0().to_iso_string().into();
    }
    let client = connection.registry(registry);
    run_items(flow, job, states, indices, "cleanup", move |job, indices, items| async move {
        let throttle = crate::pause::BrowserThrottle::default();
        let report = |i, state, entries| items.report(i, state, entries);
        cleanup::run(
            &client,
            &job.plan,
            &indices,
            DEFAULT_CONCURRENCY,
            &|| items.stopped(),
            &throttle,
            &unique_value,
            &report,
        )
        .await;
    });
}

/// The plan, for the user to read before anything is sent.
fn plan_view(
    job: &Rc<CleanupJob>,
    flow: &ItemsFlow<CleanupJob>,
    connection: &Connection,
    registry: &RegistryUrl,
    now: i64,
) -> Html {
    let plan = &job.plan;
    let to_delete = plan.to_delete();
    let go = {
        let (flow, connection, registry, job, indices) =
            (flow.clone(), connection.clone(), registry.clone(), job.clone(), to_delete.clone());
        let states = vec![ItemState::NotStarted; plan.rows.len()];
        Callback::from(move |_| start(&flow, &connection, &registry, job.clone(), states.clone(), indices.clone()))
    };
    let back = {
        let flow = flow.clone();
        Callback::from(move |_| flow.reset())
    };
    let kept = plan.rows.len() - to_delete.len();
    html! {
        <>
            <div class="confirm" data-testid="cleanup-summary" data-delete={to_delete.len().to_string()} data-keep={kept.to_string()}>
                <p>{ format!("Dry run: {} of {} tags ({} images) are to be deleted, {kept} kept. Nothing has been sent.", to_delete.len(), plan.rows.len(), plan.images) }</p>
                { el("p", "muted", "cleanup-rules", owned(rules_text(&plan.rules))) }
                <p data-testid="cleanup-freed" data-bytes={plan.freed.to_string()} data-blobs={plan.freed_blobs.to_string()}>
                    { format!("Frees {} ({} blobs) of the repository's {}, once the registry's garbage collection runs: the blobs the deleted tags reach and no kept tag does.",
                        human_size(plan.freed), thousands(plan.freed_blobs), human_size(plan.storage)) }
                </p>
                { el("p", "muted small", "cleanup-gc", with_code(GC_AFTER_TAG_DELETE)) }
                { button("danger", "cleanup-run", owned(format!("Delete {} tag(s)", to_delete.len())), to_delete.is_empty(), go) }
                { button("secondary", "cleanup-cancel", fixed("Change the rules"), false, back) }
            </div>
            <table class="cleanup-table" data-testid="cleanup-rows">
                <thead><tr><th>{ "Tag" }</th><th>{ "Verdict" }</th><th class="wide">{ "Digest" }</th><th>{ "Created" }</th><th class="wide">{ "Size" }</th></tr></thead>
                <tbody>{ for plan.rows.iter().map(|row| plan_row(row, now)) }</tbody>
            </table>
        </>
    }
}

/// The rules a plan applied, in words.
fn rules_text(rules: &Rules) -> String {
    let count = rules.keep_newest.map(|n| format!("outside the newest {n} images"));
    let age = rules.older_than_days.map(|d| format!("older than {d} days"));
    let selects = match (count, age) {
        (Some(c), Some(a)) => format!("{c} and {a}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "nothing".into(),
    };
    let protect = match rules.protect.len() {
        0 => "no tag is protected".to_string(),
        _ => format!("protected: {}", rules.protect.join(" ")),
    };
    format!("Rules: delete tags whose image is {selects}; {protect}.")
}

fn plan_row(row: &CleanupRow, now: i64) -> Html {
    let image = &row.image;
    let class = if row.verdict.deletes() { "bad" } else { "ok" };
    html! {
        <tr key={image.tag.to_string()} data-testid="cleanup-row" data-tag={image.tag.to_string()} data-verdict={row.verdict.key()} data-digest={image.digest.to_string()}>
            { el("td", "", "", code("", image.tag.to_string())) }
            <td><strong class={class}>{ row.verdict.key() }</strong>{ ": " }<span data-testid="cleanup-reason">{ row.verdict.to_string() }</span></td>
            { el("td", "wide", "", digest_badge(image.digest.as_str())) }
            { el("td", "", "", created_html(image.created.as_deref(), now)) }
            { el("td", "wide", "", size_html(image.size, "config and layers, compressed")) }
        </tr>
    }
}

fn state_key(state: &ItemState) -> &'static str {
    match state {
        ItemState::Waiting => "waiting",
        ItemState::Running => "running",
        ItemState::Done(_) => "deleted",
        ItemState::Skipped(_) => "skipped",
        ItemState::Failed(_) => "failed",
        ItemState::NotStarted => "not-started",
        ItemState::Paused(_) => "paused",
    }
}

fn state_text(state: &ItemState, done: &'static str) -> (&'static str, String) {
    match state {
        ItemState::Waiting => ("muted", "waiting".into()),
        ItemState::Running => ("muted", "running…".into()),
        ItemState::Done(_) => ("ok", done.into()),
        ItemState::Skipped(why) => ("warn", format!("skipped: {why}")),
        ItemState::Failed(e) => ("bad", format!("✗ {}", e.headline())),
        ItemState::NotStarted => ("warn", "not started".into()),
        ItemState::Paused(why) => ("warn", format!("paused: {why}")),
    }
}

/// The run's progress and, once it ended, its result with the undo.
#[allow(clippy::too_many_arguments)]
fn run_view(
    job: &Rc<CleanupJob>,
    states: &[ItemState],
    running: bool,
    flow: &ItemsFlow<CleanupJob>,
    undo: &ItemsFlow<UndoJob>,
    connection: &Connection,
    registry: &RegistryUrl,
    journal: &JournalStore,
    client_url: &str,
    now: i64,
) -> Html {
    let plan = &job.plan;
    let indices = plan.to_delete();
    let count = |key: &str| indices.iter().filter(|&&i| state_key(&states[i]) == key).count();
    let deleted: Vec<usize> = indices.iter().copied().filter(|&i| matches!(states[i], ItemState::Done(_))).collect();
    let ran = indices
        .iter()
        .filter(|&&i| matches!(states[i], ItemState::Done(_) | ItemState::Failed(_) | ItemState::Skipped(_)))
        .count();
    let retry: Vec<usize> = indices.iter().copied().filter(|&i| states[i].is_retryable()).collect();
    let (freed, freed_blobs) = plan.freed_by(&deleted);
    let stop = {
        let flow = flow.clone();
        Callback::from(move |_| flow.stop())
    };
    let retry_button = (!running && !retry.is_empty()).then(|| {
        let (flow, connection, registry, job, states, retry) =
            (flow.clone(), connection.clone(), registry.clone(), job.clone(), states.to_vec(), retry.clone());
        let label = format!("Retry the {} failed or not started", retry.len());
        button(
            "",
            "cleanup-retry",
            owned(label),
            false,
            Callback::from(move |_| start(&flow, &connection, &registry, job.clone(), states.clone(), retry.clone())),
        )
    });
    let summary = if running {
        html! {
            <div class="result" data-testid="cleanup-progress">
                <progress max={indices.len().max(1).to_string()} value={ran.to_string()} aria-label="Tags deleted"></progress>
                <p>{ format!("{ran} of {} tags: {} deleted, {} skipped, {} failed ({DEFAULT_CONCURRENCY} at a time).", indices.len(), count("deleted"), count("skipped"), count("failed")) }</p>
                if let Some(why) = states.iter().find_map(|s| match s { ItemState::Paused(why) => Some(why), _ => None }) {
                    <p class="notice" role="status" data-testid="cleanup-paused">{ format!("Paused: {why}.") }</p>
                }
                { button("secondary", "cleanup-stop", fixed(if flow.stopping() { "Stopping: no new tags start…" } else { "Stop" }), flow.stopping(), stop) }
            </div>
        }
    } else {
        html! {
            <div class={if retry.is_empty() && count("skipped") == 0 { "result result-ok" } else { "result result-failed" }} data-testid="cleanup-done"
                data-deleted={count("deleted").to_string()} data-skipped={count("skipped").to_string()} data-failed={count("failed").to_string()}
                data-not-started={count("not-started").to_string()}>
                <p>{ format!("Clean-up ended: {} deleted, {} skipped, {} failed, {} not started, of {} planned.", count("deleted"), count("skipped"), count("failed"), count("not-started"), indices.len()) }</p>
                <p data-testid="cleanup-done-freed" data-bytes={freed.to_string()}>{ format!("Frees {} ({} blobs) once garbage collection runs.", human_size(freed), thousands(freed_blobs)) }</p>
                { el("p", "muted small", "cleanup-gc", with_code(GC_AFTER_TAG_DELETE)) }
                { retry_button.unwrap_or_default() }
                { " " }
                <ExportScript build={{
                    let (job, states, registry) = (job.clone(), states.to_vec(), registry_for_script(registry));
                    Callback::from(move |_| Some(wharf_protocol::export::cleanup(&registry, &job.plan, &states)))
                }} name="wharf-cleanup" />
                { undo_view(job, &deleted, undo, connection, registry, journal, client_url) }
            </div>
        }
    };
    html! {
        <>
            { summary }
            <table class="cleanup-table" data-testid="cleanup-items">
                <thead><tr><th>{ "Tag" }</th><th class="wide">{ "Digest" }</th><th class="wide">{ "Created" }</th><th>{ "Result" }</th></tr></thead>
                <tbody>{ for indices.iter().map(|&i| html! { <CleanupItem key={i} row={RowRef(job.clone(), i)} state={states[i].clone()} {now} /> }) }</tbody>
            </table>
        </>
    }
}

/// One row of a plan, compared by identity.
#[derive(Clone)]
pub struct RowRef(Rc<CleanupJob>, usize);

impl PartialEq for RowRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) && self.1 == other.1
    }
}

/// Props of [`CleanupItem`].
#[derive(Properties, PartialEq)]
pub struct CleanupItemProps {
    row: RowRef,
    state: ItemState,
    now: i64,
}

/// One tag of the run: a component so a redraw touches only the rows whose state changed.
#[component]
fn CleanupItem(props: &CleanupItemProps) -> Html {
    let row = &props.row.0.plan.rows[props.row.1];
    let (class, said) = state_text(&props.state, "✓ deleted (its other tags kept)");
    html! {
        <tr data-testid="cleanup-item" data-tag={row.image.tag.to_string()} data-state={state_key(&props.state)}>
            { el("td", "", "", code("", row.image.tag.to_string())) }
            { el("td", "wide", "", digest_badge(row.image.digest.as_str())) }
            { el("td", "wide", "", created_html(row.image.created.as_deref(), props.now)) }
            { el("td", class, "", owned(said)) }
        </tr>
    }
}

/// The undo of the whole run: each deleted tag put back on its digest (a tag written since is
/// left alone and reported).
fn undo_view(
    job: &Rc<CleanupJob>,
    deleted: &[usize],
    undo: &ItemsFlow<UndoJob>,
    connection: &Connection,
    registry: &RegistryUrl,
    journal: &JournalStore,
    client_url: &str,
) -> Html {
    if deleted.is_empty() {
        return html! {};
    }
    match undo.state() {
        FlowState::Idle | FlowState::Cancelled(_) | FlowState::Planning | FlowState::Planned(_) => {
            let tags: HashSet<String> = deleted.iter().map(|&i| job.plan.rows[i].image.tag.to_string()).collect();
            let (undo, connection, registry, journal, url, job) = (
                undo.clone(),
                connection.clone(),
                registry.clone(),
                journal.clone(),
                client_url.to_string(),
                job.clone(),
            );
            let count = deleted.len();
            let onclick = Callback::from(move |_| {
                let (undo, connection, registry, journal, url, job, tags) = (
                    undo.clone(),
                    connection.clone(),
                    registry.clone(),
                    journal.clone(),
                    url.clone(),
                    job.clone(),
                    tags.clone(),
                );
                wasm_bindgen_futures::spawn_local(async move {
                    // The run's entries reach the journal once the browser's store has written
                    // them: wait until it has written all it was given, so the undo covers every
                    // deleted tag. (A fixed 5 s wait once ran out on a loaded machine: 26 of 27
                    // undone.) The 30 s bound is only for a store that never answers.
                    let mut entries = Vec::new();
                    for _ in 0..300 {
                        let names: HashSet<&str> = tags.iter().map(String::as_str).collect();
                        let repository = job.plan.repository.to_string();
                        entries = cleanup::entries_of_run(
                            &journal.journal().entries,
                            &url,
                            &repository,
                            &names,
                            &job.since.borrow(),
                        )
                        .into_iter()
                        .cloned()
                        .collect();
                        if entries.len() >= tags.len() || journal.all_written() {
                            break;
                        }
                        gloo_timers::future::TimeoutFuture::new(100).await;
                    }
                    let indices: Vec<usize> = (0..entries.len()).collect();
                    let states = vec![ItemState::NotStarted; entries.len()];
                    let client = connection.registry(&registry);
                    run_items(
                        &undo,
                        Rc::new(UndoJob { entries }),
                        states,
                        indices,
                        "cleanup-undo",
                        move |job, _, items| async move {
                            let throttle = crate::pause::BrowserThrottle::default();
                            let report = |i, state, entries| items.report(i, state, entries);
                            cleanup::undo_run(
                                &client,
                                &job.entries,
                                DEFAULT_CONCURRENCY,
                                &|| items.stopped(),
                                &throttle,
                                &unique_value,
                                &report,
                            )
                            .await;
                        },
                    );
                });
            });
            button(
                "secondary",
                "cleanup-undo",
                owned(format!("Undo the clean-up: put the {count} deleted tag(s) back")),
                false,
                onclick,
            )
        }
        FlowState::Running(job, states) => undo_result(job, states, true, registry),
        FlowState::Done(job, states) => undo_result(job, states, false, registry),
        FlowState::Failed(e) => error_box(e, Some("Undo")),
    }
}

fn undo_result(job: &Rc<UndoJob>, states: &[ItemState], running: bool, registry: &RegistryUrl) -> Html {
    let count = |key: &str| states.iter().filter(|s| state_key(s) == key).count();
    let said = format!(
        "{}: {} put back, {} left alone (written since the clean-up), {} failed, of {}.",
        if running { "Undoing" } else { "Undo ended" },
        count("deleted"),
        count("skipped"),
        count("failed"),
        job.entries.len()
    );
    let items = html! {
        <ul class="tag-list">{ for job.entries.iter().zip(states).map(|(entry, state)| {
            let (class, said) = state_text(state, "✓ put back on its digest");
            html! {
                <li data-testid="cleanup-undo-item" data-tag={entry.tag.clone().unwrap_or_default()} data-state={state_key(state)}>
                    { code("", entry.tag.clone().unwrap_or_default()) }{ " " }{ el("span", class, "", owned(said)) }
                </li>
            }
        }) }</ul>
    };
    if running {
        html! { <div data-testid="cleanup-undoing">{ el("p", "", "", owned(said)) }{ items }</div> }
    } else {
        html! {
            <div data-testid="cleanup-undone" data-restored={count("deleted").to_string()} data-left={count("skipped").to_string()} data-failed={count("failed").to_string()}>
                { el("p", "", "", owned(said)) }{ items }
                <ExportScript build={{
                    let (job, registry) = (job.clone(), registry_for_script(registry));
                    Callback::from(move |_| Some(wharf_protocol::export::cleanup_undo(&registry, &job.entries.iter().collect::<Vec<_>>())))
                }} name="wharf-cleanup-undo" />
            </div>
        }
    }
}
