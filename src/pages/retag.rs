//! Retag: the source's exact bytes PUT under new tags of the same repository.
//!
//! The source is resolved to a digest when the page opens and the retag GETs it by that digest,
//! so what is tagged is what was shown. Targets that already exist are looked up first; moving one
//! needs an explicit confirmation, and declining sends nothing.

use std::cell::Cell;
use std::rc::Rc;

use crate::router::link;
use wharf_protocol::address::View;
use wharf_protocol::flow::Confirmed;
use wharf_protocol::names::{Digest, Reference, Repository, Tag};
use wharf_protocol::pace::Retry;
use wharf_protocol::refusal::SCHEMA1_EXPLANATION;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::retag::{self, lookup_targets, parse_targets, RetagPlan, RetagReport, TargetOutcome};
use wharf_protocol::state::{target_state, TargetState};
use yew::prelude::*;

use crate::components::digest_badge::{digest_badge, stored_badge};
use crate::components::error_box::error_box;
use crate::components::export::{registry_for_script, ExportScript};
use crate::components::load::Load;
use crate::components::markup::{button, code, crumbs, el, fixed, owned, text};
use crate::components::source::{source_view, use_source, SourceProps};
use crate::connection::transport::performance_mark;
use crate::connection::use_read_only;
use crate::connection::{use_connection, Connection};
use crate::flow::{use_flow, FlowHandle, FlowState};
use crate::router::route_for;

type RetagFlow = FlowHandle<RetagPlan, (), RetagReport>;

/// Sends a confirmed plan; the flow records the report's journal entries.
fn start(flow: &RetagFlow, connection: &Connection, registry: &RegistryUrl, plan: Rc<RetagPlan>, confirmed: Vec<Tag>) {
    let client = connection.registry(registry);
    let confirmed = Confirmed::tags(&confirmed);
    flow.run(plan, (), move |plan, _| async move { retag::execute(&client, &plan, &confirmed, &Retry::never()).await });
}

/// The retag form.
#[component]
pub fn RetagPage(props: &SourceProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let source = use_source(&props.registry, &props.repository, &props.reference);
    let targets_text = use_state(String::new);
    let flow: RetagFlow = use_flow();
    let confirmed = use_state(Vec::<Tag>::new);
    let name_errors = use_state(Vec::<String>::new);
    // What each target holds, looked up (HEAD) while the user types, so the Retag click itself
    // sends only the GET and the PUTs. Keyed by the text it was checked for.
    let checked = use_state(|| None::<Rc<Checked>>);
    let typing = use_mut_ref(|| 0u64);
    {
        let typing = typing.clone();
        let (checked, connection, registry, repository) =
            (checked.clone(), connection.clone(), props.registry.clone(), props.repository.clone());
        let active = matches!(&*source, Load::Ready(_)) && !read_only;
        use_effect_with(((*targets_text).clone(), active), move |(text, active)| {
            *typing.borrow_mut() += 1;
            let mine = *typing.borrow();
            checked.set(None);
            if let (true, Ok(targets)) = (*active, parse_targets(text)) {
                let text = text.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    gloo_timers::future::TimeoutFuture::new(250).await;
                    if *typing.borrow() != mine {
                        return;
                    }
                    let client = connection.registry(&registry);
                    if let Ok(current) = lookup_targets(&client, &repository, targets).await {
                        if *typing.borrow() == mine {
                            checked.set(Some(Rc::new(Checked { text, current, spent: Cell::new(false) })));
                        }
                    }
                });
            }
        });
    }

    let oninput = {
        let (targets_text, flow) = (targets_text.clone(), flow.clone());
        Callback::from(move |e: InputEvent| {
            targets_text.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value());
            if matches!(flow.state(), FlowState::Planned(_) | FlowState::Cancelled(_) | FlowState::Failed(_)) {
                flow.reset();
            }
        })
    };

    let onsubmit = {
        let (targets_text, name_errors, source, checked) =
            (targets_text.clone(), name_errors.clone(), source.clone(), checked.clone());
        let (connection, registry, repository, flow, confirmed) =
            (connection.clone(), props.registry.clone(), props.repository.clone(), flow.clone(), confirmed.clone());
        let reference = props.reference.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // A second click while the first retag runs: the button is disabled only once the
            // page shows the run (after a moment, or with its result), and a new lookup now
            // would leave the first run's result unshown.
            if flow.busy() {
                return;
            }
            performance_mark("wharf:retag-click");
            // A lookup still waiting for typing to pause is not needed any more.
            *typing.borrow_mut() += 1;
            let Load::Ready(manifest) = &*source else {
                return;
            };
            let targets = match parse_targets(&targets_text) {
                Ok(t) => t,
                Err(errors) => {
                    name_errors.set(errors.iter().map(ToString::to_string).collect());
                    flow.reset();
                    return;
                }
            };
            let source_digest = manifest.digest.clone();
            // Looked up while typing: decide at once. Otherwise look now. Either way the lookup is
            // spent: the retag changes what the targets hold, so the next one looks again. It is
            // marked, not cleared: clearing would render the page while the GET is out, and the
            // next render (the result) hides it anyway.
            let looked_up = checked.as_ref().filter(|c| c.text == *targets_text && !c.spent.get()).cloned();
            if let Some(c) = &*checked {
                c.spent.set(true);
            }
            let send = {
                let (connection, registry) = (connection.clone(), registry.clone());
                move |flow: &RetagFlow, plan| start(flow, &connection, &registry, plan, Vec::new())
            };
            // The flow starts first: anything left to clear renders after the request is out.
            let forget = || {
                if !name_errors.is_empty() {
                    name_errors.set(Vec::new());
                }
                if !confirmed.is_empty() {
                    confirmed.set(Vec::new());
                }
            };
            if let Some(c) = looked_up {
                let plan = RetagPlan::new(repository.clone(), source_digest, c.current.clone()).chosen_by(&reference);
                flow.show_or_send(plan, RetagPlan::needs_confirmation, send);
                forget();
                return;
            }
            forget();
            let (client, repository, reference) =
                (connection.registry(&registry), repository.clone(), reference.clone());
            flow.plan_or_send(
                async move {
                    let current = lookup_targets(&client, &repository, targets).await?;
                    Ok(RetagPlan::new(repository, source_digest, current).chosen_by(&reference))
                },
                RetagPlan::needs_confirmation,
                send,
            );
        })
    };

    let source_html = source_view(&source, &props.repository, &props.reference);
    let schema1 = matches!(&*source, Load::Ready(m) if m.media_type.is_schema1());
    let busy = flow.busy();
    let ready = matches!(&*source, Load::Ready(_)) && !schema1 && !read_only;

    let outcome = match flow.state() {
        FlowState::Idle => html! {},
        FlowState::Planning => text("p", "muted", "retag-checking", "Checking which targets exist…"),
        FlowState::Running(..) => text("p", "muted", "retag-running", "Retagging…"),
        FlowState::Failed(e) => error_box(e, Some("Retag")),
        FlowState::Cancelled(plan) => html! {
            <div class="notice" data-testid="retag-cancelled">
                { text("strong", "", "", "Cancelled: nothing was sent.") }
                <ul>{ for plan.targets.iter().filter_map(|t| match &t.state {
                    TargetState::Moves { from } => Some(html! { <li>{ format!("{} still points at ", t.tag) }{ digest_badge(&from.to_string()) }</li> }),
                    _ => None,
                }) }</ul>
            </div>
        },
        FlowState::Planned(plan) if plan.needs_confirmation() => {
            let proceed = {
                let (flow, connection, registry, plan, confirmed) =
                    (flow.clone(), connection.clone(), props.registry.clone(), plan.clone(), confirmed.clone());
                Callback::from(move |_| start(&flow, &connection, &registry, plan.clone(), (*confirmed).clone()))
            };
            confirm_view(plan, &confirmed, proceed, flow.clone())
        }
        FlowState::Planned(_) => html! {},
        FlowState::Done(plan, report) => report_view(plan, report, &props.registry, &props.repository, flow.run_id()),
    };

    html! {
        <section>
            { crumbs(&props.registry, &props.repository, fixed(" / retag")) }
            { text("h1", "", "", "Retag without pulling") }
            { text("p", "muted", "", "The manifest's exact bytes are read once by digest and stored under each new tag: no layer moves, and every new tag has the source's digest.") }
            { source_html }
            if schema1 {
                { text("div", "notice", "schema1", SCHEMA1_EXPLANATION) }
            }
            if read_only {
                { text("div", "notice", "read-only", "This deployment of Wharf is read-only: it shows registries but changes nothing. Retag is switched off (\"read_only\": true in config.json).") }
            }
            if !read_only {
                <form class="retag-form" onsubmit={onsubmit} data-testid="retag-form">
                    <label for="targets">{ "New tags (separate several with spaces or commas)" }</label>
                    <div class="row">
                        <input id="targets" type="text" placeholder="v1.2.3 stable" value={(*targets_text).clone()} {oninput}
                            disabled={!ready || busy} data-testid="retag-targets" />
                        <button type="submit" disabled={!ready || busy} data-testid="retag-submit">{ "Retag" }</button>
                    </div>
                    if !name_errors.is_empty() {
                        <div class="field-error" data-testid="retag-name-error">
                            { for name_errors.iter().map(|e| el("div", "", "", owned(e.clone()))) }
                            { text("div", "", "", "Nothing was sent.") }
                        </div>
                    }
                    { match (&*checked, &*source) {
                        (Some(c), Load::Ready(m)) if c.text == *targets_text && !c.spent.get() => checked_view(c, &m.digest),
                        _ => html! {},
                    } }
                </form>
            }
            { outcome }
        </section>
    }
}

/// What the targets held when they were last looked up, for the text typed then.
#[derive(PartialEq)]
struct Checked {
    text: String,
    current: Vec<(Tag, Option<Digest>)>,
    /// A retag click used it: what the targets hold has changed since.
    spent: Cell<bool>,
}

/// One line per target: new, or the digest it holds (moving it will be confirmed).
fn checked_view(checked: &Checked, source: &Digest) -> Html {
    html! {
        <ul class="targets-checked" data-testid="targets-checked" data-for={checked.text.clone()}>
            { for checked.current.iter().map(|(tag, digest)| match target_state(Some(source), digest.clone()) {
                TargetState::New => el("li", "", "", owned(format!("{tag}: new tag"))),
                TargetState::AlreadySource => el("li", "", "", owned(format!("{tag}: already this image"))),
                TargetState::Moves { from } => html! { <li>{ format!("{tag}: holds ") }{ digest_badge(from.as_str()) }{ " now; you will be asked before it moves" }</li> },
            }) }
        </ul>
    }
}

fn confirm_view(
    plan: &Rc<RetagPlan>,
    confirmed: &UseStateHandle<Vec<Tag>>,
    proceed: Callback<MouseEvent>,
    flow: RetagFlow,
) -> Html {
    let blocked = plan.moves().iter().any(|tag| !confirmed.contains(tag));
    let toggle = |tag: Tag| {
        let confirmed = confirmed.clone();
        Callback::from(move |_| {
            let mut next = (*confirmed).clone();
            if let Some(i) = next.iter().position(|t| t == &tag) {
                next.remove(i);
            } else {
                next.push(tag.clone());
            }
            confirmed.set(next);
        })
    };
    let cancel = Callback::from(move |_| flow.cancel());
    html! {
        <div class="confirm" data-testid="retag-confirm">
            { text("strong", "", "", "Some targets already exist. A registry moves a tag without asking, and the image it pointed at may then be garbage-collected.") }
            <ul>
                { for plan.targets.iter().map(|t| match &t.state {
                    TargetState::New => el("li", "", "", owned(format!("{}: new tag", t.tag))),
                    TargetState::AlreadySource => el("li", "", "", owned(format!("{}: already points at this image (no change)", t.tag))),
                    TargetState::Moves { from } => html! {
                        <li data-testid="move-row" data-tag={t.tag.to_string()}>
                            <label>
                                <input type="checkbox" checked={confirmed.contains(&t.tag)} onclick={toggle(t.tag.clone())} data-testid="confirm-move" />
                                { format!(" Move {} from ", t.tag) }{ digest_badge(from.as_str()) }{ " to " }{ digest_badge(plan.source.as_str()) }
                            </label>
                        </li>
                    },
                }) }
            </ul>
            { button("", "confirm-retag", fixed("Move and retag"), blocked, proceed) }
            { button("secondary", "cancel-retag", fixed("Cancel"), false, cancel) }
        </div>
    }
}

fn report_view(
    plan: &Rc<RetagPlan>,
    report: &RetagReport,
    registry: &RegistryUrl,
    repository: &Repository,
    run: u64,
) -> Html {
    let build = {
        let (plan, registry) = (plan.clone(), registry_for_script(registry));
        Callback::from(move |_| Some(wharf_protocol::export::retag(&registry, &plan)))
    };
    let tags_route = route_for(&View::Tags { registry: registry.clone(), repository: repository.clone() });
    html! {
        <div key={run} class={if report.all_stored() { "result result-ok" } else { "result result-failed" }} data-testid="retag-result" data-all-stored={report.all_stored().to_string()}>
            <p>{ "Source digest (sha256 of the bytes sent): " }{ el("code", "", "result-source-digest", owned(report.source.to_string())) }</p>
            <ul>
                { for report.outcomes.iter().map(|(tag, outcome)| {
                    let manifest_route = route_for(&View::Manifest { registry: registry.clone(), repository: repository.clone(), reference: Reference::Tag(tag.clone()) });
                    match outcome {
                        TargetOutcome::Stored { registry_digest, stored } => html! {
                            <li data-testid="result-row" data-tag={tag.to_string()} data-outcome="stored" data-registry-digest={registry_digest.clone().unwrap_or_default()}>
                                { link(manifest_route, "", owned(tag.to_string())) }{ ": stored. Registry answered " }
                                { code("", registry_digest.clone().unwrap_or_else(|| "no digest (Docker-Content-Digest hidden)".into())) }
                                { stored_badge(stored) }
                            </li>
                        },
                        TargetOutcome::Failed(e) => html! {
                            <li data-testid="result-row" data-tag={tag.to_string()} data-outcome="failed">{ format!("{tag}: failed") }{ error_box(e, None) }</li>
                        },
                    }
                }) }
            </ul>
            { text("p", "muted small", "retag-attachments-note", "Signatures and attachments need nothing: they name this digest, which is the same, in the same repository.") }
            { link(tags_route, "button", fixed("View tags")) }
            { " " }
            <ExportScript {build} name="wharf-retag" />
        </div>
    }
}
