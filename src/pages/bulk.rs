//! Promote the selected tags in bulk: a naming rule, a dry-run plan that lists every operation
//! (and every tag that would move) before anything is sent, then a run a few items at a time with
//! a progress bar, a result per item, stop, and retry of what did not finish.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wharf_protocol::bulk::{self, BulkItem, BulkPlan, ItemState, NamingRule, DEFAULT_CONCURRENCY, MAX_CONCURRENCY};
use wharf_protocol::copy::Endpoints;
use wharf_protocol::names::{Digest, Repository};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::retag::TargetState;
use wharf_protocol::Error;
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::journal_store::{self, Change};
use crate::transport::performance_mark;
use crate::wire::use_connection;

/// Props of [`BulkPanel`].
#[derive(Properties, PartialEq)]
pub struct BulkProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
    /// The selected tags, in list order.
    pub selected: Rc<Vec<String>>,
}

/// A plan, the registry it writes to, and each item's state.
#[derive(Clone)]
struct Run {
    plan: Rc<BulkPlan>,
    target: RegistryUrl,
    states: Rc<RefCell<Vec<ItemState>>>,
    cancel: Rc<Cell<bool>>,
    running: Rc<Cell<bool>>,
    started: bool,
}

impl PartialEq for Run {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.states, &other.states) && self.started == other.started
    }
}

#[derive(Clone, PartialEq)]
enum Phase {
    Editing,
    Planning,
    Planned(Run),
    Failed(Error),
}

fn value_of(e: &Event) -> String {
    let target = e.target().expect("an input event has a target");
    match target.clone().dyn_into::<web_sys::HtmlSelectElement>() {
        Ok(select) => select.value(),
        Err(_) => target.unchecked_into::<web_sys::HtmlInputElement>().value(),
    }
}

fn field(state: &UseStateHandle<String>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| state.set(value_of(&e)))
}

fn typed(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| state.set(value_of(&e)))
}

/// The bulk form, plan and run, shown under the tag list while tags are selected.
#[component]
pub fn BulkPanel(props: &BulkProps) -> Html {
    let connection = use_connection();
    let operation = use_state(|| "retag".to_string());
    let rule_kind = use_state(|| "prefix".to_string());
    let rule_text = use_state(String::new);
    let target_repository = use_state(|| props.repository.to_string());
    let target_registry = use_state(String::new);
    let concurrency = use_state(|| DEFAULT_CONCURRENCY.to_string());
    let phase = use_state(|| Phase::Editing);
    let problems = use_state(Vec::<String>::new);
    let redraw = use_force_update();
    let redraw_pending = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);

    let limit = concurrency.trim().parse::<usize>().unwrap_or(DEFAULT_CONCURRENCY).clamp(1, MAX_CONCURRENCY);
    let on_plan = {
        let (phase, problems, connection) = (phase.clone(), problems.clone(), connection.clone());
        let (operation, rule_kind, rule_text) = (operation.clone(), rule_kind.clone(), rule_text.clone());
        let (target_repository, target_registry) = (target_repository.clone(), target_registry.clone());
        let (registry, repository, selected) =
            (props.registry.clone(), props.repository.clone(), props.selected.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = rule_text.trim().to_string();
            let rule = match rule_kind.as_str() {
                "keep" => NamingRule::Keep,
                "suffix" => NamingRule::Suffix(text),
                "fixed" => NamingRule::Fixed(text),
                _ => NamingRule::Prefix(text),
            };
            let copying = *operation == "copy";
            let to = match target_registry.trim() {
                "" => Ok(registry.clone()),
                other if copying => RegistryUrl::parse(other).map_err(|e| e.0),
                _ => Ok(registry.clone()),
            };
            let target_repo = if copying {
                Repository::parse(target_repository.trim()).map_err(|e| e.to_string())
            } else {
                Ok(repository.clone())
            };
            let (to, target_repo) = match (to, target_repo) {
                (Ok(to), Ok(repo)) => (to, repo),
                (to, repo) => {
                    problems.set([to.err(), repo.err()].into_iter().flatten().collect());
                    return;
                }
            };
            let same_place = to == registry && target_repo == repository;
            let pairs = match bulk::name_targets(&selected, &rule, same_place) {
                Ok(pairs) => pairs,
                Err(found) => {
                    problems.set(found);
                    return;
                }
            };
            problems.set(Vec::new());
            phase.set(Phase::Planning);
            let (phase, connection, repository) = (phase.clone(), connection.clone(), repository.clone());
            let source_registry = registry.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let (source, target) = (connection.registry(&source_registry), connection.registry(&to));
                let ends = Endpoints::new(&source, &target);
                phase.set(match bulk::plan(&ends, &repository, &target_repo, pairs, limit).await {
                    Ok(plan) => Phase::Planned(Run {
                        states: Rc::new(RefCell::new(plan.items.iter().map(initial_state).collect())),
                        plan: Rc::new(plan),
                        target: to,
                        cancel: Rc::new(Cell::new(false)),
                        running: Rc::new(Cell::new(false)),
                        started: false,
                    }),
                    Err(e) => Phase::Failed(e),
                });
            });
        })
    };

    // Starts (or retries) the items at `indices`.
    let start = {
        let (phase, connection, registry) = (phase.clone(), connection.clone(), props.registry.clone());
        let (redraw, redraw_pending) = (redraw.clone(), redraw_pending.clone());
        Callback::from(move |(run, indices): (Run, Vec<usize>)| {
            run.cancel.set(false);
            run.running.set(true);
            for &i in &indices {
                run.states.borrow_mut()[i] = ItemState::Waiting;
            }
            phase.set(Phase::Planned(Run { started: true, ..run.clone() }));
            let (connection, registry, redraw, redraw_pending) =
                (connection.clone(), registry.clone(), redraw.clone(), redraw_pending.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let (source, target) = (connection.registry(&registry), connection.registry(&run.target));
                let ends = Endpoints::new(&source, &target);
                let plan = &run.plan;
                let action = if plan.copy { "bulk copy" } else { "bulk retag" };
                // Redraw at most every 250 ms: a thousand rows re-rendered per item would be the slow part.
                let soon = || {
                    if redraw_pending.borrow().is_none() {
                        let (redraw, pending) = (redraw.clone(), redraw_pending.clone());
                        *redraw_pending.borrow_mut() = Some(gloo_timers::callback::Timeout::new(250, move || {
                            pending.borrow_mut().take();
                            redraw.force_update();
                        }));
                    }
                };
                performance_mark("wharf:bulk-start");
                let cancelled = || run.cancel.get();
                bulk::run(&ends, plan, &indices, limit, &cancelled, &|i, state| {
                    let item = &plan.items[i];
                    if let (ItemState::Done { .. } | ItemState::Failed(_), Some(source)) = (&state, &item.source) {
                        let held = item.target_state.current(source);
                        // Where the tag is now: the source, or (a registry that stored other
                        // bytes) the digest it answered, or where it was.
                        let moved_to = match &state {
                            ItemState::Failed(Error::DigestMismatch { actual, .. }) => Digest::parse(actual).ok(),
                            _ => None,
                        };
                        journal_store::record(Change {
                            action,
                            registry: &run.target,
                            repository: &plan.target_repository,
                            tag: Some(&item.target_tag),
                            before: held,
                            after: match &state {
                                ItemState::Done { .. } => Some(source),
                                _ => moved_to.as_ref().or(held),
                            },
                            outcome: match &state {
                                ItemState::Failed(e) => Err(e.headline()),
                                _ => {
                                    Ok(format!("{}:{} → {}", plan.source_repository, item.source_tag, item.target_tag))
                                }
                            },
                        });
                    }
                    run.states.borrow_mut()[i] = state;
                    soon();
                })
                .await;
                run.running.set(false);
                performance_mark("wharf:bulk-done");
                redraw.force_update();
            });
        })
    };

    let form_disabled = !matches!(*phase, Phase::Editing | Phase::Failed(_));
    let copying = *operation == "copy";
    let body = match &*phase {
        Phase::Editing => html! {},
        Phase::Planning => {
            html! { <p class="muted" data-testid="bulk-planning">{ format!("Looking up {} source and target tags…", props.selected.len()) }</p> }
        }
        Phase::Failed(e) => error_box(e, Some("Planning")),
        Phase::Planned(run) => plan_view(run, limit, &phase, &start),
    };
    html! {
        <section class="bulk" data-testid="bulk-panel">
            <h2>{ format!("Promote {} selected tag(s)", props.selected.len()) }</h2>
            <form class="bulk-form" onsubmit={on_plan} data-testid="bulk-form">
                <div class="row">
                    <select onchange={field(&operation)} disabled={form_disabled} data-testid="bulk-operation" aria-label="Operation">
                        <option value="retag" selected={!copying}>{ "Retag in this repository" }</option>
                        <option value="copy" selected={copying}>{ "Copy to a repository / registry" }</option>
                    </select>
                    if copying {
                        <label>{ "to registry " }
                            <input type="text" placeholder="this registry" value={(*target_registry).clone()}
                                oninput={typed(&target_registry)} disabled={form_disabled} data-testid="bulk-registry" /></label>
                        <label>{ "repository " }
                            <input type="text" value={(*target_repository).clone()}
                                oninput={typed(&target_repository)} disabled={form_disabled} data-testid="bulk-repository" /></label>
                    }
                </div>
                <div class="row">
                    <label>{ "Target tag " }
                        <select onchange={field(&rule_kind)} disabled={form_disabled} data-testid="bulk-rule">
                            <option value="prefix" selected={*rule_kind == "prefix"}>{ "prefix + tag" }</option>
                            <option value="suffix" selected={*rule_kind == "suffix"}>{ "tag + suffix" }</option>
                            <option value="keep" selected={*rule_kind == "keep"}>{ "same name" }</option>
                            <option value="fixed" selected={*rule_kind == "fixed"}>{ "one fixed tag" }</option>
                        </select>
                    </label>
                    if *rule_kind != "keep" {
                        <input type="text" placeholder={if *rule_kind == "fixed" { "stable" } else { "prod-" }} aria-label="Prefix, suffix or tag"
                            value={(*rule_text).clone()} oninput={typed(&rule_text)} disabled={form_disabled} data-testid="bulk-rule-text" />
                    }
                    <label>{ "At once " }
                        <input type="number" min="1" max={MAX_CONCURRENCY.to_string()} value={(*concurrency).clone()} class="narrow"
                            oninput={typed(&concurrency)} disabled={form_disabled} data-testid="bulk-concurrency" />
                    </label>
                    <button type="submit" disabled={form_disabled} data-testid="bulk-plan">{ "Plan (dry run)" }</button>
                </div>
                if !problems.is_empty() {
                    <ul class="field-error" data-testid="bulk-problems">{ for problems.iter().map(|p| html! { <li>{ p.clone() }</li> }) }</ul>
                }
            </form>
            { body }
        </section>
    }
}

/// Items with nothing to do say so from the start.
fn initial_state(item: &BulkItem) -> ItemState {
    match (&item.source, &item.target_state) {
        (None, _) => ItemState::Skipped(format!("{} no longer exists", item.source_tag)),
        (_, TargetState::AlreadySource) => ItemState::Skipped("already in place".into()),
        _ => ItemState::Waiting,
    }
}

fn state_cell(state: &ItemState) -> Html {
    let (class, text) = match state {
        ItemState::Waiting => ("muted", "waiting".to_string()),
        ItemState::Running => ("muted", "running…".to_string()),
        ItemState::Done { registry_digest: Some(_) } => ("ok", "✓ done, digest verified".to_string()),
        ItemState::Done { registry_digest: None } => ("warn", "done (digest header hidden)".to_string()),
        ItemState::Skipped(why) => ("muted", format!("skipped: {why}")),
        ItemState::Failed(e) => ("bad", format!("✗ {}", e.headline())),
        ItemState::NotStarted => ("warn", "not started".to_string()),
    };
    html! { <span class={class}>{ text }</span> }
}

fn state_key(state: &ItemState) -> &'static str {
    match state {
        ItemState::Waiting => "waiting",
        ItemState::Running => "running",
        ItemState::Done { .. } => "done",
        ItemState::Skipped(_) => "skipped",
        ItemState::Failed(_) => "failed",
        ItemState::NotStarted => "not-started",
    }
}

/// The dry-run plan, then the run's progress and results.
fn plan_view(run: &Run, limit: usize, phase: &UseStateHandle<Phase>, start: &Callback<(Run, Vec<usize>)>) -> Html {
    let plan = &run.plan;
    let states = run.states.borrow();
    let needed = plan.needed();
    let count = |key: &str| states.iter().filter(|s| state_key(s) == key).count();
    let running = run.running.get();
    let summary = if run.started {
        // Items that ran to an end; "not started" ones did not run.
        let ran = needed
            .iter()
            .filter(|&&i| matches!(states[i], ItemState::Done { .. } | ItemState::Failed(_) | ItemState::Skipped(_)))
            .count();
        let retry: Vec<usize> = needed.iter().copied().filter(|&i| states[i].is_retryable()).collect();
        let stop = {
            let cancel = run.cancel.clone();
            Callback::from(move |_| cancel.set(true))
        };
        let retry_button = (!running && !retry.is_empty()).then(|| {
            let (start, run, retry) = (start.clone(), run.clone(), retry.clone());
            let label = format!("Retry the {} failed or not started", retry.len());
            html! { <button onclick={Callback::from(move |_| start.emit((run.clone(), retry.clone())))} data-testid="bulk-retry">{ label }</button> }
        });
        html! {
            <div class={classes!("result", if running { "" } else if retry.is_empty() { "result-ok" } else { "result-failed" })} data-testid="bulk-summary"
                data-finished={(!running).to_string()} data-done={count("done").to_string()} data-failed={count("failed").to_string()}
                data-not-started={count("not-started").to_string()} data-skipped={count("skipped").to_string()}>
                <progress max={needed.len().max(1).to_string()} value={ran.to_string()}></progress>
                <p>{ format!("{ran} of {} operations run: {} done, {} failed, {} not started{}.", needed.len(), count("done"), count("failed"), count("not-started"),
                    if running { format!(" ({limit} at a time)") } else { String::new() }) }</p>
                if running {
                    <button class="secondary" onclick={stop} disabled={run.cancel.get()} data-testid="bulk-stop">{
                        if run.cancel.get() { "Stopping: no new items start…" } else { "Stop" } }</button>
                }
                { retry_button.unwrap_or_default() }
            </div>
        }
    } else {
        let go = {
            let (start, run, needed) = (start.clone(), run.clone(), needed.clone());
            Callback::from(move |_| start.emit((run.clone(), needed.clone())))
        };
        let back = {
            let phase = phase.clone();
            Callback::from(move |_| phase.set(Phase::Editing))
        };
        let moves = plan.moves();
        html! {
            <div class="confirm" data-testid="bulk-dry-run" data-operations={needed.len().to_string()} data-moves={moves.to_string()}>
                <p>{ format!("Dry run: {} operation(s) to send, {} of them moving an existing tag; {} already in place. Nothing has been sent.",
                    needed.len(), moves, plan.items.len() - needed.len()) }</p>
                <button onclick={go} disabled={needed.is_empty()} data-testid="bulk-run">{
                    if moves > 0 { format!("Run {} operations, moving {moves} tag(s)", needed.len()) } else { format!("Run {} operations", needed.len()) } }</button>
                <button class="secondary" onclick={back} data-testid="bulk-cancel">{ "Change the plan" }</button>
            </div>
        }
    };
    html! {
        <>
            { summary }
            <table class="bulk-plan" data-testid="bulk-items">
                <thead><tr><th>{ "Source" }</th><th>{ "Digest" }</th><th>{ "Target" }</th><th>{ "Target now" }</th><th>{ "Result" }</th></tr></thead>
                <tbody>{ for states.iter().enumerate().map(|(index, state)| html! {
                    <BulkRow key={index} plan={PlanRef(plan.clone())} {index} state={state.clone()} />
                }) }</tbody>
            </table>
        </>
    }
}

/// The plan, compared by identity: rows re-render only when their own state changes.
#[derive(Clone)]
pub struct PlanRef(Rc<BulkPlan>);

impl PartialEq for PlanRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Props of [`BulkRow`].
#[derive(Properties, PartialEq)]
pub struct BulkRowProps {
    plan: PlanRef,
    index: usize,
    state: ItemState,
}

/// One operation of the plan and its state. A component of its own so that, in a run of a
/// thousand items, a redraw only touches the rows whose state changed.
#[component]
fn BulkRow(props: &BulkRowProps) -> Html {
    let (plan, state) = (&props.plan.0, &props.state);
    let item = &plan.items[props.index];
    html! {
        <tr data-testid="bulk-item" data-source={item.source_tag.to_string()} data-target={item.target_tag.to_string()} data-state={state_key(state)}>
            <td><code>{ item.source_tag.to_string() }</code></td>
            <td>{ match &item.source { Some(d) => digest_badge(d.as_str()), None => html! { <span class="bad">{ "gone" }</span> } } }</td>
            <td><code>{ format!("{}:{}", plan.target_repository, item.target_tag) }</code></td>
            <td>{ match &item.target_state {
                TargetState::New => html! { <span class="muted">{ "new" }</span> },
                TargetState::AlreadySource => html! { <span class="muted">{ "already this image" }</span> },
                TargetState::Moves { from } => html! { <span class="warn" data-testid="bulk-moves">{ "moves from " }{ digest_badge(from.as_str()) }</span> },
            } }</td>
            <td>{ state_cell(state) }</td>
        </tr>
    }
}
