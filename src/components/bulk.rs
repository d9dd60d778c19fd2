//! Promote the selected tags in bulk: a naming rule, a dry-run plan that lists every operation
//! (and every tag that would move) before anything is sent, then a run a few items at a time with
//! a progress bar, a result per item, stop, and retry of what did not finish.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wharf_protocol::bulk::{self, BulkPlan, Known};
use wharf_protocol::glance::TagDigest;
use wharf_protocol::names::Repository;
use wharf_protocol::names::{Digest, Tag};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::runner::{ItemState, DEFAULT_CONCURRENCY, MAX_CONCURRENCY};
use wharf_protocol::state::{Stored, TargetState};
use wharf_protocol::transfer::Endpoints;
use yew::prelude::*;

use crate::components::bulk_form::{BulkForm, FormAction, Operation, PlanRequest, RuleKind};
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::export::{registry_for_script, ExportScript};
use crate::components::markup::{button, code, el, fixed, head_row, owned, text};
use crate::components::paging::{page_within, ROWS_PER_PAGE};
use crate::connection::transport::connection_is_multiplexed;
use crate::connection::{use_connection, Connection};
use crate::flow::{use_flow, FlowState};
use crate::glance::GlanceRun;
use crate::items::{run_items, ItemsFlow};

/// Props of [`BulkPanel`].
#[derive(Properties, PartialEq, Clone)]
pub struct BulkProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
    /// The selected tags, in list order.
    pub selected: Rc<Vec<String>>,
    /// What the tag list already knows of the repository's tags.
    pub known: KnownTags,
}

/// The tag list as read in this visit and its glance: which tags exist and which digests a HEAD
/// answered. Compared by identity (the page passes the same list and run each render).
#[derive(Clone)]
pub struct KnownTags {
    /// Every tag listed.
    pub listed: Rc<Vec<String>>,
    /// The glance over them.
    pub glance: Rc<GlanceRun>,
}

impl PartialEq for KnownTags {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.listed, &other.listed) && Rc::ptr_eq(&self.glance, &other.glance)
    }
}

impl KnownTags {
    /// What is known of each of `tags` now: a digest a HEAD answered in this visit, absent (not
    /// listed, or a HEAD said 404), or unknown (not read yet, or only cached from an earlier
    /// visit).
    fn snapshot<'a>(&self, tags: impl Iterator<Item = &'a Tag>) -> HashMap<String, Known> {
        let listed: HashSet<&str> = self.listed.iter().map(String::as_str).collect();
        let state = self.glance.state();
        tags.map(|tag| {
            let known = match state.digests.get(tag.as_str()) {
                Some(TagDigest::Fresh(d)) => Digest::parse(d).map_or(Known::Unknown, Known::Digest),
                Some(TagDigest::Missing) => Known::Absent,
                None if !listed.contains(tag.as_str()) => Known::Absent,
                _ => Known::Unknown,
            };
            (tag.to_string(), known)
        })
        .collect()
    }
}

/// A plan and the registry it writes to.
#[derive(Debug)]
pub struct BulkTarget {
    plan: BulkPlan,
    to: RegistryUrl,
}

type BulkFlow = ItemsFlow<BulkTarget>;

/// What a run is given: the plan, every item's state to start from, the items to run.
type Job = (Rc<BulkTarget>, Vec<ItemState>, Vec<usize>);

/// Runs the items at `indices` of `target`'s plan, starting from `states`; the flow's stop is
/// read before each item starts. Each item's journal entry is recorded as the item ends.
fn start(flow: &BulkFlow, connection: &Connection, from: &RegistryUrl, job: Job, limit: usize) {
    let (target, states, indices) = job;
    let (source, destination) = (connection.registry(from), connection.registry(&target.to));
    run_items(flow, target, states, indices, "bulk", move |target, indices, items| async move {
        let ends = Endpoints::new(&source, &destination);
        let throttle = crate::pause::BrowserThrottle::default();
        let report = |i, state, entries| items.report(i, state, entries);
        bulk::run(&ends, &target.plan, &indices, limit, &|| items.stopped(), &throttle, &report).await;
    });
}

fn value_of(e: &Event) -> String {
    let target = e.target().expect("an input event has a target");
    match target.clone().dyn_into::<web_sys::HtmlSelectElement>() {
        Ok(select) => select.value(),
        Err(_) => target.unchecked_into::<web_sys::HtmlInputElement>().value(),
    }
}

/// Dispatches the field's value, as `action` makes it, whenever the field changes.
fn on_change(form: &UseReducerHandle<BulkForm>, action: fn(String) -> FormAction) -> Callback<Event> {
    let form = form.clone();
    Callback::from(move |e: Event| form.dispatch(action(value_of(&e))))
}

/// Dispatches the field's value as it is typed.
fn on_input(form: &UseReducerHandle<BulkForm>, action: fn(String) -> FormAction) -> Callback<InputEvent> {
    let form = form.clone();
    Callback::from(move |e: InputEvent| form.dispatch(action(value_of(&e))))
}

/// The bulk form, plan and run, shown under the tag list while tags are selected. The form is
/// one reducer ([`BulkForm`]); the plan and the run are one flow.
#[component]
pub fn BulkPanel(props: &BulkProps) -> Html {
    let connection = use_connection();
    let form = use_reducer({
        let repository = props.repository.clone();
        // As many at once as the connection carries well: 6 over HTTP/1.1, more multiplexed.
        let concurrency = if connection_is_multiplexed() { MAX_CONCURRENCY } else { DEFAULT_CONCURRENCY };
        move || BulkForm::new(&repository, concurrency)
    });
    let flow: BulkFlow = use_flow();
    let rows_page = use_state(|| 0usize);
    let limit = form.limit();
    let on_plan = {
        let (flow, form, connection, rows_page) = (flow.clone(), form.clone(), connection.clone(), rows_page.clone());
        let (registry, repository, selected, known) =
            (props.registry.clone(), props.repository.clone(), props.selected.clone(), props.known.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = match form.request(&registry, &repository, &selected) {
                Ok(request) => request,
                Err(problems) => return form.dispatch(FormAction::Problems(problems)),
            };
            form.dispatch(FormAction::Problems(Vec::new()));
            rows_page.set(0);
            let PlanRequest { to, target_repository, pairs, limit, with_attachments } = request;
            // The dry run asks the registry only about what the tag list does not know yet.
            let listed = known.snapshot(pairs.iter().flat_map(|(source, target)| [source, target]));
            let (source, target) = (connection.registry(&registry), connection.registry(&to));
            let (repository, learning) = (repository.clone(), connection.clone());
            flow.plan(async move {
                let known = learning.referrers_api(source.url());
                let ends = Endpoints::new(&source, &target).knowing(known, learning.referrers_api(target.url()));
                let throttle = crate::pause::BrowserThrottle::default();
                let lookup = |tag: &Tag| listed.get(tag.as_str()).cloned().unwrap_or(Known::Unknown);
                let repositories = (&repository, &target_repository);
                let mut plan = bulk::plan(&ends, repositories, pairs, limit, &throttle, &lookup).await?;
                plan.with_attachments &= with_attachments;
                if plan.with_attachments {
                    bulk::find_attachments(&ends, &mut plan, limit).await?;
                    learning.learned_referrers_api(source.url(), ends.referrers_api.get().0);
                }
                Ok(BulkTarget { plan, to })
            });
        })
    };
    let begin = {
        let (flow, connection, registry) = (flow.clone(), connection.clone(), props.registry.clone());
        Callback::from(move |job: Job| start(&flow, &connection, &registry, job, limit))
    };
    let on_stop = {
        let flow = flow.clone();
        Callback::from(move |_| flow.stop())
    };

    let form_disabled = !matches!(flow.state(), FlowState::Idle | FlowState::Failed(_) | FlowState::Cancelled(_));
    let copying = form.operation == Operation::Copy;
    let view = |target: &Rc<BulkTarget>, states: &[ItemState], run: Option<bool>| {
        let controls = Controls {
            begin: begin.clone(),
            stop: on_stop.clone(),
            stopping: flow.stopping(),
            flow: flow.clone(),
            from: props.registry.clone(),
            rows_page: rows_page.clone(),
        };
        plan_view(target, states, run, limit, &controls)
    };
    let body = match flow.state() {
        FlowState::Idle | FlowState::Cancelled(_) => html! {},
        FlowState::Planning => el(
            "p",
            "muted",
            "bulk-planning",
            owned(format!("Looking up {} source and target tags…", props.selected.len())),
        ),
        FlowState::Failed(e) => error_box(e, Some("Planning")),
        FlowState::Planned(target) => view(target, &target.plan.initial_states(), None),
        FlowState::Running(target, states) => view(target, states, Some(true)),
        FlowState::Done(target, states) => view(target, states, Some(false)),
    };
    html! {
        <section class="bulk" data-testid="bulk-panel">
            { el("h2", "", "", owned(format!("Promote {} selected tag(s)", props.selected.len()))) }
            <form class="bulk-form" onsubmit={on_plan} data-testid="bulk-form">
                <div class="row">
                    <select onchange={on_change(&form, |v| FormAction::Operation(if v == "copy" { Operation::Copy } else { Operation::Retag }))} disabled={form_disabled} data-testid="bulk-operation" aria-label="Operation">
                        <option value="retag" selected={!copying}>{ "Retag in this repository" }</option>
                        <option value="copy" selected={copying}>{ "Copy to a repository / registry" }</option>
                    </select>
                    if copying {
                        <label>{ "to registry " }
                            <input type="text" placeholder="this registry" value={form.target_registry.clone()}
                                oninput={on_input(&form, FormAction::TargetRegistry)} disabled={form_disabled} data-testid="bulk-registry" /></label>
                        <label>{ "repository " }
                            <input type="text" value={form.target_repository.clone()}
                                oninput={on_input(&form, FormAction::TargetRepository)} disabled={form_disabled} data-testid="bulk-repository" /></label>
                        <label><input type="checkbox" checked={form.with_attachments} disabled={form_disabled} data-testid="bulk-with-attachments"
                            onclick={{ let form = form.clone(); Callback::from(move |_: MouseEvent| form.dispatch(FormAction::ToggleAttachments)) }} />
                            { " with signatures and attachments" }</label>
                    }
                </div>
                <div class="row">
                    <label>{ "Target tag " }
                        <select onchange={on_change(&form, |v| FormAction::Rule(RuleKind::from_key(&v)))} disabled={form_disabled} data-testid="bulk-rule">
                            { for RuleKind::ALL.iter().map(|(rule, key, label)| html! { <option value={*key} selected={form.rule == *rule}>{ *label }</option> }) }
                        </select>
                    </label>
                    if form.rule != RuleKind::Keep {
                        <input type="text" placeholder={if form.rule == RuleKind::Fixed { "stable" } else { "prod-" }} aria-label="Prefix, suffix or tag"
                            value={form.rule_text.clone()} oninput={on_input(&form, FormAction::RuleText)} disabled={form_disabled} data-testid="bulk-rule-text" />
                    }
                    <label>{ "At once " }
                        <input type="number" min="1" max={MAX_CONCURRENCY.to_string()} value={form.concurrency.clone()} class="narrow"
                            oninput={on_input(&form, FormAction::Concurrency)} disabled={form_disabled} data-testid="bulk-concurrency" />
                    </label>
                    <button type="submit" disabled={form_disabled} data-testid="bulk-plan">{ "Plan (dry run)" }</button>
                </div>
                if !form.problems.is_empty() {
                    <ul class="field-error" data-testid="bulk-problems">{ for form.problems.iter().map(|p| el("li", "", "", owned(p.clone()))) }</ul>
                }
            </form>
            { body }
        </section>
    }
}

/// How the dry run learned what each tag holds: asked, or known from this visit's tag list.
fn looked_up_note(plan: &BulkPlan) -> String {
    // Two tags an item: its source and its target.
    let known = (plan.items.len() * 2).saturating_sub(plan.looked_up);
    match known {
        0 => format!("Every tag was looked up at the registry ({}).", plan.looked_up),
        _ => format!(
            "{known} tag(s) were known from the tag list read in this visit (digests a HEAD answered, or not listed); {} were looked up at the registry.",
            plan.looked_up
        ),
    }
}

/// The dry run's word on attachments: how many go with how many images.
fn attachments_note(plan: &BulkPlan) -> String {
    let with: Vec<usize> = plan.attachments.iter().map(|d| d.referrers.len()).filter(|n| *n > 0).collect();
    match with.len() {
        0 => "No signatures or attachments found for these images.".to_string(),
        images => format!(
            "With signatures and attachments: {} found for {images} of the {} image(s), each copied after its image with its exact bytes; the result and the journal list them.",
            with.iter().sum::<usize>(),
            plan.attachments.len()
        ),
    }
}

/// "+ N attachments" under an item whose image has some.
fn attached_cell(plan: &BulkPlan, item: &wharf_protocol::bulk::BulkItem) -> Html {
    match item.source.as_ref().and_then(|d| plan.attachments_of(d)).map(|d| d.referrers.len()) {
        Some(n) if n > 0 && plan.with_attachments => {
            html! { <div class="muted small" data-testid="bulk-item-attachments" data-count={n.to_string()}>{ format!("+ {n} attachment(s)") }</div> }
        }
        _ => html! {},
    }
}

fn state_cell(state: &ItemState) -> Html {
    let (class, text) = match state {
        ItemState::Waiting => ("muted", "waiting".to_string()),
        ItemState::Running => ("muted", "running…".to_string()),
        ItemState::Done(Stored::Verified) => ("ok", "✓ done, digest verified".to_string()),
        ItemState::Done(_) => ("warn", "done (digest header hidden)".to_string()),
        ItemState::Skipped(why) => ("muted", format!("skipped: {why}")),
        ItemState::Failed(e) => ("bad", format!("✗ {}", e.headline())),
        ItemState::NotStarted => ("warn", "not started".to_string()),
        ItemState::Paused(why) => ("warn", format!("paused: {why}")),
    };
    el("span", class, "", owned(text))
}

fn state_key(state: &ItemState) -> &'static str {
    match state {
        ItemState::Waiting => "waiting",
        ItemState::Running => "running",
        ItemState::Done { .. } => "done",
        ItemState::Skipped(_) => "skipped",
        ItemState::Failed(_) => "failed",
        ItemState::NotStarted => "not-started",
        ItemState::Paused(_) => "paused",
    }
}

/// What the plan view's buttons do.
struct Controls {
    /// Runs (target, states to start from, items to run).
    begin: Callback<Job>,
    stop: Callback<MouseEvent>,
    stopping: bool,
    flow: BulkFlow,
    /// The registry the selected tags are in.
    from: RegistryUrl,
    /// Which page of the operations the table shows.
    rows_page: UseStateHandle<usize>,
}

/// The dry-run plan (`run`: `None`), then the run's progress (`Some(true)`) and results
/// (`Some(false)`).
fn plan_view(
    target: &Rc<BulkTarget>,
    states: &[ItemState],
    run: Option<bool>,
    limit: usize,
    controls: &Controls,
) -> Html {
    let plan = &target.plan;
    let needed = plan.needed();
    let count = |key: &str| states.iter().filter(|s| state_key(s) == key).count();
    let summary = if let Some(running) = run {
        // Items that ran to an end; "not started" ones did not run.
        let ran = needed
            .iter()
            .filter(|&&i| matches!(states[i], ItemState::Done(_) | ItemState::Failed(_) | ItemState::Skipped(_)))
            .count();
        let retry = plan.retryable(states);
        let retry_button = (!running && !retry.is_empty()).then(|| {
            let (begin, target, states, retry) =
                (controls.begin.clone(), target.clone(), states.to_vec(), retry.clone());
            let label = format!("Retry the {} failed or not started", retry.len());
            let retry = Callback::from(move |_| begin.emit((target.clone(), states.clone(), retry.clone())));
            button("", "bulk-retry", owned(label), false, retry)
        });
        html! {
            <div class={if running { "result" } else if retry.is_empty() { "result result-ok" } else { "result result-failed" }} data-testid="bulk-summary"
                data-finished={(!running).to_string()} data-done={count("done").to_string()} data-failed={count("failed").to_string()}
                data-not-started={count("not-started").to_string()} data-skipped={count("skipped").to_string()}>
                <progress max={needed.len().max(1).to_string()} value={ran.to_string()} aria-label="Operations run"></progress>
                <p>{ format!("{ran} of {} operations run: {} done, {} failed, {} not started{}.", needed.len(), count("done"), count("failed"), count("not-started"),
                    if running { format!(" ({limit} at a time)") } else { String::new() }) }</p>
                if let Some(why) = states.iter().find_map(|s| match s { ItemState::Paused(why) if running => Some(why), _ => None }) {
                    <p class="notice" role="status" data-testid="bulk-paused">{ format!("Paused: {why}.") }</p>
                }
                if running {
                    { button("secondary", "bulk-stop", fixed(if controls.stopping { "Stopping: no new items start…" } else { "Stop" }), controls.stopping, controls.stop.clone()) }
                }
                { retry_button.unwrap_or_default() }
                { " " }
                if !running {
                    <ExportScript build={{
                        let (target, states) = (target.clone(), states.to_vec());
                        let (from, to) = (registry_for_script(&controls.from), registry_for_script(&target.to));
                        Callback::from(move |_| Some(wharf_protocol::export::bulk(&from, &to, &target.plan, &states)))
                    }} name="wharf-bulk" />
                }
            </div>
        }
    } else {
        let go = {
            let (begin, target, states, needed) =
                (controls.begin.clone(), target.clone(), states.to_vec(), needed.clone());
            Callback::from(move |_| begin.emit((target.clone(), states.clone(), needed.clone())))
        };
        let back = {
            let flow = controls.flow.clone();
            Callback::from(move |_| flow.reset())
        };
        let moves = plan.moves();
        html! {
            <div class="confirm" data-testid="bulk-dry-run" data-operations={needed.len().to_string()} data-moves={moves.to_string()}>
                <p>{ format!("Dry run: {} operation(s) to send, {} of them moving an existing tag; {} already in place. Nothing has been sent.",
                    needed.len(), moves, plan.items.len() - needed.len()) }</p>
                { el("p", "muted small", "bulk-looked-up", owned(looked_up_note(plan))) }
                if plan.with_attachments {
                    { el("p", "muted small", "bulk-attachments-note", owned(attachments_note(plan))) }
                }
                { button("", "bulk-run", owned(if moves > 0 { format!("Run {} operations, moving {moves} tag(s)", needed.len()) } else { format!("Run {} operations", needed.len()) }), needed.is_empty(), go) }
                { button("secondary", "bulk-cancel", fixed("Change the plan"), false, back) }
            </div>
        }
    };
    let (page, pages) = page_within(states.len(), *controls.rows_page);
    let first = page * ROWS_PER_PAGE;
    html! {
        <>
            { summary }
            { rows_pager(&controls.rows_page, page, pages, (first, states)) }
            <table class="bulk-plan" data-testid="bulk-items">
                { head_row(&["Source", "Digest", "Target", "Target now", "Result"], "") }
                <tbody>{ for states.iter().enumerate().skip(first).take(ROWS_PER_PAGE).map(|(index, state)| html! {
                    <BulkRow key={index} target={PlanRef(target.clone())} {index} state={state.clone()} />
                }) }</tbody>
            </table>
        </>
    }
}

/// "Items 101–200 of 1000" with Previous and Next, when the plan has more than one page, and the
/// pages that hold failed items (a thousand rows are not read one by one).
fn rows_pager(
    rows_page: &UseStateHandle<usize>,
    page: usize,
    pages: usize,
    (first, states): (usize, &[ItemState]),
) -> Html {
    if pages == 1 {
        return html! {};
    }
    let go = |to: usize| {
        let rows_page = rows_page.clone();
        Callback::from(move |_| rows_page.set(to))
    };
    let last = (first + ROWS_PER_PAGE).min(states.len());
    let mut failed_on: Vec<usize> = Vec::new();
    for (i, state) in states.iter().enumerate() {
        let on = i / ROWS_PER_PAGE + 1;
        if matches!(state, ItemState::Failed(_)) && failed_on.last() != Some(&on) {
            failed_on.push(on);
        }
    }
    let failed_note = match failed_on.as_slice() {
        [] => None,
        [one] => Some(format!("Failed items on page {one}")),
        many => {
            Some(format!("Failed items on pages {}", many.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")))
        }
    };
    html! {
        <div class="pager">
            { button("secondary", "bulk-page-prev", fixed("← Previous"), page == 0, go(page.saturating_sub(1))) }
            { el("span", "", "bulk-page-label", owned(format!("Items {}–{last} of {} (page {} of {pages})", first + 1, states.len(), page + 1))) }
            { button("secondary", "bulk-page-next", fixed("Next →"), page + 1 >= pages, go(page + 1)) }
            if let Some(note) = failed_note {
                { el("span", "bad", "bulk-failed-pages", owned(note)) }
            }
        </div>
    }
}

/// The plan, compared by identity: rows re-render only when their own state changes.
#[derive(Clone)]
pub struct PlanRef(Rc<BulkTarget>);

impl PartialEq for PlanRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Props of [`BulkRow`].
#[derive(Properties, PartialEq)]
pub struct BulkRowProps {
    target: PlanRef,
    index: usize,
    state: ItemState,
}

/// One operation of the plan and its state. A component of its own so that, in a run of a
/// thousand items, a redraw only touches the rows whose state changed.
#[component]
fn BulkRow(props: &BulkRowProps) -> Html {
    let (plan, state) = (&props.target.0.plan, &props.state);
    let item = &plan.items[props.index];
    html! {
        <tr data-testid="bulk-item" data-source={item.source_tag.to_string()} data-target={item.target_tag.to_string()} data-state={state_key(state)}>
            { el("td", "", "", code("", item.source_tag.to_string())) }
            { el("td", "", "", match &item.source { Some(d) => digest_badge(d.as_str()), None => text("span", "bad", "", "gone") }) }
            { el("td", "", "", code("", format!("{}:{}", plan.target_repository, item.target_tag))) }
            { el("td", "", "", match &item.target_state {
                TargetState::New => text("span", "muted", "", "new"),
                TargetState::AlreadySource => text("span", "muted", "", "already this image"),
                TargetState::Moves { from } => html! { <span class="warn" data-testid="bulk-moves">{ "moves from " }{ digest_badge(from.as_str()) }</span> },
            }) }
            { el("td", "", "", html! { <>{ state_cell(state) }{ attached_cell(plan, item) }</> }) }
        </tr>
    }
}
