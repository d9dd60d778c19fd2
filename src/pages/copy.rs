//! Copy an image to another repository, of this registry (blobs mounted, or streamed where the
//! registry declines) or of another one (promotion: blobs streamed in chunks); children of an
//! index by digest, the top manifest by tag; the target's digest checked against the source's.
//! Moving an existing target tag needs a confirmation.

use std::rc::Rc;

use wharf_protocol::address::View;
use wharf_protocol::attachments::{CarryPlan, CarryReport};
use wharf_protocol::copy::{self, CopyPlan, CopyReport};
use wharf_protocol::flow::Confirmed;
use wharf_protocol::names::{Reference, Repository, Tag};
use wharf_protocol::pace::Retry;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::state::TargetState;
use wharf_protocol::transfer::{BlobOutcome, CopyProgress, Endpoints};
use wharf_protocol::units::human_size;
use yew::prelude::*;

use crate::components::digest_badge::{digest_badge, stored_badge};
use crate::components::error_box::error_box;
use crate::components::export::{registry_for_script, ExportScript};
use crate::components::load::Load;
use crate::components::markup::{button, code, el, fixed, owned, text};
use crate::components::source::{source_view, use_source, SourceProps};
use crate::connection::{use_connection, use_read_only, Connection};
use crate::flow::{use_flow, FlowHandle, FlowState};
use crate::router::{link, route_for};

/// A copy plan (with the attachments it carries) and the registry it writes to.
#[derive(Debug)]
pub struct Target {
    plan: CopyPlan,
    to: RegistryUrl,
}

type CopyFlow = FlowHandle<Target, CopyProgress, CopyReport>;

fn input_handler(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
}

/// Sends a plan (`confirmed`: the user agreed to move the tags it shows moving); progress is
/// shown as it comes, and the flow records the report's journal entries.
fn start(flow: &CopyFlow, connection: &Connection, from: &RegistryUrl, target: Rc<Target>, confirmed: bool) {
    let (source, destination) = (connection.registry(from), connection.registry(&target.to));
    flow.run(target, CopyProgress::default(), move |target, reporter| async move {
        let progress = |p: &CopyProgress| reporter.progress(p.clone());
        let confirmed = if confirmed { Confirmed::tags(target.plan.moves()) } else { Confirmed::nothing() };
        let ends = Endpoints::new(&source, &destination);
        copy::execute(&ends, &target.plan, &confirmed, &progress, &Retry::never()).await
    });
}

/// The copy form.
#[component]
pub fn CopyPage(props: &SourceProps) -> Html {
    let connection = use_connection();
    // The result names the destination as the deployment does.
    let label_of = {
        let connection = connection.clone();
        move |registry: &RegistryUrl| connection.label(registry)
    };
    let read_only = use_read_only();
    let source = use_source(&props.registry, &props.repository, &props.reference);
    let target_repository = use_state(String::new);
    let default_tag = match &props.reference {
        Reference::Tag(t) => t.to_string(),
        Reference::Digest(_) => String::new(),
    };
    let target_tag = use_state(move || default_tag);
    let target_registry = use_state(String::new);
    let flow: CopyFlow = use_flow();
    let problem = use_state(|| None::<String>);
    // Signatures and attachments go with the image unless the user says otherwise.
    let with_attachments = use_state(|| true);

    let onsubmit = {
        let (target_repository, target_tag, target_registry, flow, problem, with_attachments) = (
            target_repository.clone(),
            target_tag.clone(),
            target_registry.clone(),
            flow.clone(),
            problem.clone(),
            with_attachments.clone(),
        );
        let (connection, registry, repository, source) =
            (connection.clone(), props.registry.clone(), props.repository.clone(), source.clone());
        let reference = props.reference.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Load::Ready(manifest) = &*source else { return };
            let parsed = Repository::parse(target_repository.trim())
                .and_then(|r| Tag::parse(target_tag.trim()).map(|t| (r, t)))
                .map_err(|e| e.to_string())
                .and_then(|(r, t)| match target_registry.trim() {
                    "" => Ok((r, t, registry.clone())),
                    other => RegistryUrl::parse(other).map(|u| (r, t, u)).map_err(|e| e.0),
                });
            let (target_repo, tag, to) = match parsed {
                Ok(triple) => triple,
                Err(e) => {
                    problem.set(Some(format!("{e}. Nothing was sent.")));
                    return;
                }
            };
            problem.set(None);
            let (source_client, client, repository, held) =
                (connection.registry(&registry), connection.registry(&to), repository.clone(), manifest.clone());
            let (connection, registry) = (connection.clone(), registry.clone());
            let with = *with_attachments;
            let (learning, reference) = (connection.clone(), reference.clone());
            // A copy that moves no tag and carries nothing goes straight on; otherwise the plan
            // is shown first: what moves, and every attachment that goes with the image.
            flow.plan_or_send(
                async move {
                    let (source_url, target_url) = (source_client.url(), client.url());
                    let ends = Endpoints::new(&source_client, &client)
                        .knowing(learning.referrers_api(source_url), learning.referrers_api(target_url));
                    let plan = copy::plan(&ends, (repository, held), (target_repo, tag), with).await;
                    let (source_api, target_api) = ends.referrers_api.get();
                    learning.learned_referrers_api(source_url, source_api);
                    learning.learned_referrers_api(target_url, target_api);
                    Ok(Target { plan: plan?.chosen_by(&reference), to })
                },
                |target| {
                    target.plan.needs_confirmation()
                        || target.plan.planned_attachments().is_some_and(|a| !a.items.is_empty())
                },
                move |flow, target| start(flow, &connection, &registry, target, false),
            );
        })
    };
    let toggle_attachments = {
        let with_attachments = with_attachments.clone();
        Callback::from(move |_: MouseEvent| with_attachments.set(!*with_attachments))
    };

    let source_html = source_view(&source, &props.repository, &props.reference);
    let busy = flow.busy();
    let outcome = match flow.state() {
        FlowState::Idle => html! {},
        FlowState::Planning => text("p", "muted", "", "Checking the target tag…"),
        FlowState::Running(_, p) => html! {
            { el("p", "muted", "copy-progress", owned(format!(
                "Copying: {} of {} blobs ({} of {}), {} of {} manifests{}…",
                p.blobs_done, p.blobs_total, human_size(p.bytes_done), human_size(p.bytes_total), p.manifests_done, p.manifests_total,
                if p.attachments_total > 0 { format!(", {} of {} attachments", p.attachments_done, p.attachments_total) } else { String::new() }
            ))) }
        },
        FlowState::Failed(e) => error_box(e, Some("Copy")),
        FlowState::Cancelled(target) => html! {
            <div class="notice" data-testid="copy-cancelled">{ text("strong", "", "", "Cancelled: nothing was sent. ") }
                { format!("{}:{} is unchanged.", target.plan.target_repository, target.plan.target_tag) }</div>
        },
        FlowState::Planned(target) => {
            let plan = &target.plan;
            let proceed = {
                let (flow, connection, registry, target) =
                    (flow.clone(), connection.clone(), props.registry.clone(), target.clone());
                Callback::from(move |_| start(&flow, &connection, &registry, target.clone(), true))
            };
            let cancel = {
                let flow = flow.clone();
                Callback::from(move |_| flow.cancel())
            };
            let moves = matches!(plan.target_state, TargetState::Moves { .. });
            html! {
                <div class="confirm" data-testid="copy-confirm">
                    if let TargetState::Moves { from } = &plan.target_state {
                        <p>{ format!("{}:{} already points at ", plan.target_repository, plan.target_tag) }{ digest_badge(from.as_str()) }
                            { ". Copying moves it to " }{ digest_badge(plan.source.as_str()) }{ "." }</p>
                    } else {
                        <p>{ format!("Copy to {}:{}, then its attachments:", plan.target_repository, plan.target_tag) }</p>
                    }
                    if let Some(carry) = target.plan.planned_attachments() { { carry_plan_view(carry) } }
                    { button("", "confirm-copy", fixed(if moves { "Move and copy" } else { "Copy" }), false, proceed) }
                    { button("secondary", "cancel-copy", fixed("Cancel"), false, cancel) }
                </div>
            }
        }
        FlowState::Done(target, report) => {
            let (plan, to) = (&target.plan, &target.to);
            let build = {
                let (target, report) = (target.clone(), report.clone());
                let (from, to) = (registry_for_script(&props.registry), registry_for_script(to));
                Callback::from(move |_| Some(wharf_protocol::export::copy(&from, &to, &target.plan, &report)))
            };
            let count = |f: fn(&BlobOutcome) -> bool| report.blobs.iter().filter(|(_, _, o)| f(o)).count();
            let (mounted, present) = (count(|o| *o == BlobOutcome::Mounted), count(|o| *o == BlobOutcome::Present));
            let target_view = View::Manifest {
                registry: to.clone(),
                repository: plan.target_repository.clone(),
                reference: Reference::Tag(plan.target_tag.clone()),
            };
            html! {
                <div key={flow.run_id()} class={if report.stored.holds_source() { "result result-ok" } else { "result result-failed" }} data-testid="copy-result"
                    data-registry-digest={report.registry_digest.clone().unwrap_or_default()}>
                    <p>{ format!("Copied to {}{}:{}. ", if *to == props.registry { String::new() } else { format!("{} ", label_of(to)) }, plan.target_repository, plan.target_tag) }
                        { format!("{} blob(s): {mounted} mounted, {present} already there, {} streamed; {} child manifest(s).", report.blobs.len(), report.blobs.len() - mounted - present, report.children.len()) }</p>
                    { upload_flows(&report.blobs) }
                    <p>{ "Registry answered " }{ code("", report.registry_digest.clone().unwrap_or_else(|| "no digest (header hidden)".into())) }
                        { stored_badge(&report.stored) }</p>
                    if let (Some(carried), Some(planned)) = (&report.attachments, plan.planned_attachments()) { { carried_view(carried, planned) } }
                    { link(route_for(&target_view), "button", fixed("Open the copy")) }
                    { " " }
                    <ExportScript {build} name="wharf-copy" />
                </div>
            }
        }
    };
    html! {
        <section>
            { text("h1", "", "", "Copy to another repository or registry") }
            { text("p", "muted", "", "Within a registry, blobs are mounted from the source repository (no bytes move); to another registry, blobs it lacks are streamed in chunks. Index children go in by digest, then the manifest by tag, as the exact source bytes.") }
            { source_html }
            if read_only {
                { text("div", "notice", "read-only", "This deployment of Wharf is read-only: copying is switched off.") }
            } else {
                <form class="retag-form" {onsubmit} data-testid="copy-form">
                    <div class="row">
                        <label class="field">{ "Destination registry" }
                        <input type="text" placeholder="this registry" value={(*target_registry).clone()} list="known-registries"
                            oninput={input_handler(&target_registry)} disabled={busy} data-testid="copy-registry" /></label>
                        <datalist id="known-registries">{ for connection.config.config().registries.iter().map(|r| html! { <option value={r.url.clone()}>{ r.name.clone().unwrap_or_default() }</option> }) }</datalist>
                        <label class="field">{ "Repository" }
                        <input type="text" placeholder="team/app" value={(*target_repository).clone()}
                            oninput={input_handler(&target_repository)} disabled={busy} data-testid="copy-repository" /></label>
                        <label class="field">{ "Tag" }
                        <input type="text" placeholder="tag" value={(*target_tag).clone()}
                            oninput={input_handler(&target_tag)} disabled={busy} data-testid="copy-tag" /></label>
                        <button type="submit" disabled={busy || !matches!(&*source, Load::Ready(_))} data-testid="copy-submit">{ "Copy" }</button>
                    </div>
                    <label class="check"><input type="checkbox" checked={*with_attachments} onclick={toggle_attachments} disabled={busy} data-testid="copy-with-attachments" />
                        { " with signatures and attachments (each copied with its exact bytes, so signatures stay valid)" }</label>
                    if let Some(p) = &*problem {
                        { el("div", "field-error", "copy-name-error", owned(p.clone())) }
                    }
                </form>
            }
            { outcome }
        </section>
    }
}

/// The dry run of the attachments: each one, and what the target holds in its place.
fn carry_plan_view(carry: &CarryPlan) -> Html {
    if carry.items.is_empty() {
        return text("p", "muted", "copy-no-attachments", "No signatures or attachments found for this image.");
    }
    let index_note = match (&carry.target_index, carry.target_api) {
        (_, wharf_protocol::referrers::ApiSupport::Served) => "The target indexes referrers itself.".to_string(),
        (Some(index), _) => {
            format!("The target's fallback index {} is merged: what it lists stays.", index.digest.short())
        }
        (None, _) => "The target has no fallback index yet: it gets one.".to_string(),
    };
    html! {
        <>
            <ul class="tag-list" data-testid="copy-attachments" data-count={carry.items.len().to_string()}>
                { for carry.items.iter().map(|item| {
                    let r = &item.referrer;
                    let kind = r.kind_label();
                    let state = match &item.state {
                        TargetState::New => "new at the target".to_string(),
                        TargetState::AlreadySource => "already there".to_string(),
                        TargetState::Moves { from } => format!("replaces {} there", from.short()),
                    };
                    html! { <li data-digest={r.digest.to_string()}>{ kind }{ " " }{ digest_badge(r.digest.as_str()) }{ " " }
                        { el("span", "muted small", "", owned(format!("{} · {state}", r.found.label()))) }</li> }
                }) }
            </ul>
            { el("p", "muted small", "", owned(index_note)) }
        </>
    }
}

/// How each attachment ended, with the digest the target answered.
fn carried_view(carried: &CarryReport, planned: &CarryPlan) -> Html {
    let ok = carried.complete();
    html! {
        <div data-testid="copy-attachments-result" data-complete={ok.to_string()}>
            <p>{ format!("Attachments: {} in place of {}.", carried.items.iter().filter(|i| i.outcome.is_ok()).count(), carried.items.len()) }</p>
            <ul class="tag-list">{ for carried.items.iter().map(|i| html! {
                <li data-digest={i.digest.to_string()} data-ok={i.outcome.is_ok().to_string()}>
                    { planned.items.iter().find(|p| p.referrer.digest == i.digest).map(|p| p.referrer.kind_label()).unwrap_or("attachment") }{ " " }
                    { digest_badge(i.digest.as_str()) }{ " " }
                    if let Some(tag) = &i.tag { { el("span", "muted small", "", owned(format!("{tag} · "))) } }
                    { match &i.outcome {
                        Ok(None) => text("span", "muted", "", "already there"),
                        Ok(Some(stored)) => stored_badge(stored),
                        Err(e) => el("span", "field-error", "", owned(e.headline())),
                    } }
                </li>
            }) }</ul>
            { match &carried.index {
                Some(Ok(written)) => el("p", "muted small", "copy-index-result", owned(format!("Fallback index written: {}.", written.manifest.digest.short()))),
                Some(Err(e)) => error_box(e, Some("Writing the target's fallback index")),
                None => html! {},
            } }
        </div>
    }
}

/// The upload flows the streamed blobs took, each once ("POST + PUT", or "POST + 1 PATCH + PUT
/// (the registry answered 500 to a single PUT)").
fn upload_flows<D, S>(blobs: &[(D, S, BlobOutcome)]) -> Html {
    let mut flows: Vec<String> = Vec::new();
    for (_, _, outcome) in blobs {
        if let BlobOutcome::Uploaded(mode) = outcome {
            let flow = mode.describe();
            if !flows.contains(&flow) {
                flows.push(flow);
            }
        }
    }
    if flows.is_empty() {
        return Html::default();
    }
    html! { <p class="small" data-testid="copy-upload-flows">{ format!("Uploaded as {}.", flows.join("; ")) }</p> }
}
