//! Copy an image to another repository, of this registry (blobs mounted, or streamed where the
//! registry declines) or of another one (promotion: blobs streamed in chunks); children of an
//! index by digest, the top manifest by tag; the target's digest checked against the source's.
//! Moving an existing target tag needs a confirmation.

use std::rc::Rc;

use wharf_protocol::address::View;
use wharf_protocol::copy::{self, BlobOutcome, CopyPlan, CopyProgress, CopyReport, Endpoints};
use wharf_protocol::names::{Digest, Reference, Repository, Tag};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::retag::TargetState;
use wharf_protocol::units::human_size;
use wharf_protocol::Error;
use yew::prelude::*;

use crate::app::{route_for, use_read_only};
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::load::Load;
use crate::components::source::{source_view, use_source, SourceProps};
use crate::journal_store::{self, Change};
use crate::router::link;
use crate::wire::use_connection;

/// A plan and the registry it writes to.
type Target = (Rc<CopyPlan>, RegistryUrl);

#[derive(Clone, PartialEq)]
enum Phase {
    Editing,
    Checking,
    Confirm(Target),
    Cancelled(Target),
    Running(CopyProgress),
    Done(Rc<CopyReport>, Target),
    Failed(Error),
}

fn input_handler(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
}

/// The copy form.
#[component]
pub fn CopyPage(props: &SourceProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let source = use_source(&props.registry, &props.repository, &props.reference);
    let target_repository = use_state(String::new);
    let default_tag = match &props.reference {
        Reference::Tag(t) => t.to_string(),
        Reference::Digest(_) => String::new(),
    };
    let target_tag = use_state(move || default_tag);
    let target_registry = use_state(String::new);
    let phase = use_state(|| Phase::Editing);
    let problem = use_state(|| None::<String>);

    let run = {
        let (connection, phase, registry) = (connection.clone(), phase.clone(), props.registry.clone());
        // `confirmed` is true only after the user clicked "Move and copy".
        Callback::from(move |((plan, to), confirmed): (Target, bool)| {
            let (phase, source, target) = (phase.clone(), connection.registry(&registry), connection.registry(&to));
            phase.set(Phase::Running(CopyProgress::default()));
            wasm_bindgen_futures::spawn_local(async move {
                let progress = {
                    let phase = phase.clone();
                    move |p: &CopyProgress| phase.set(Phase::Running(p.clone()))
                };
                let result = copy::execute(&Endpoints::new(&source, &target), &plan, confirmed, &progress).await;
                let state = &plan.target_state;
                let verified = matches!(&result, Ok(r) if r.matches_source != Some(false));
                journal_store::record(Change {
                    action: "copy",
                    registry: &to,
                    repository: &plan.target_repository,
                    tag: Some(&plan.target_tag),
                    before: state.current(&plan.source),
                    after: if verified { Some(&plan.source) } else { state.current(&plan.source) },
                    outcome: match &result {
                        Ok(_) if verified => {
                            Ok(format!("copied from {}@{}", plan.source_repository, plan.source.short()))
                        }
                        Ok(_) => Err("the registry stored another digest".into()),
                        Err(e) => Err(e.headline()),
                    },
                });
                phase.set(match result {
                    Ok(report) => Phase::Done(Rc::new(report), (plan, to)),
                    Err(e) => Phase::Failed(e),
                });
            });
        })
    };
    let onsubmit = {
        let (target_repository, target_tag, target_registry, phase, problem) =
            (target_repository.clone(), target_tag.clone(), target_registry.clone(), phase.clone(), problem.clone());
        let (connection, registry, repository, source, run) =
            (connection.clone(), props.registry.clone(), props.repository.clone(), source.clone(), run.clone());
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
            phase.set(Phase::Checking);
            let (client, phase, run) = (connection.registry(&to), phase.clone(), run.clone());
            let (repository, source_digest): (Repository, Digest) = (repository.clone(), manifest.digest.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match client.manifest_digest(&target_repo, &Reference::Tag(tag.clone())).await {
                    Ok(current) => {
                        let plan = Rc::new(CopyPlan::new(repository, source_digest, target_repo, tag, current));
                        if plan.needs_confirmation() {
                            phase.set(Phase::Confirm((plan, to)));
                        } else {
                            run.emit(((plan, to), false));
                        }
                    }
                    Err(e) => phase.set(Phase::Failed(e)),
                }
            });
        })
    };

    let source_html = source_view(&source, &props.repository, &props.reference);
    let busy = matches!(*phase, Phase::Checking | Phase::Running(_));
    let outcome = match &*phase {
        Phase::Editing => html! {},
        Phase::Checking => html! { <p class="muted">{ "Checking the target tag…" }</p> },
        Phase::Running(p) => html! {
            <p class="muted" data-testid="copy-progress">{ format!(
                "Copying: {} of {} blobs ({} of {}), {} of {} manifests…",
                p.blobs_done, p.blobs_total, human_size(p.bytes_done), human_size(p.bytes_total), p.manifests_done, p.manifests_total
            ) }</p>
        },
        Phase::Failed(e) => error_box(e, Some("Copy")),
        Phase::Cancelled((plan, _)) => html! {
            <div class="notice" data-testid="copy-cancelled"><strong>{ "Cancelled: nothing was sent. " }</strong>
                { format!("{}:{} is unchanged.", plan.target_repository, plan.target_tag) }</div>
        },
        Phase::Confirm(target) => {
            let plan = &target.0;
            let TargetState::Moves { from } = &plan.target_state else { return html! {} };
            let proceed = {
                let (run, target) = (run.clone(), target.clone());
                Callback::from(move |_| run.emit((target.clone(), true)))
            };
            let cancel = {
                let (phase, target) = (phase.clone(), target.clone());
                Callback::from(move |_| phase.set(Phase::Cancelled(target.clone())))
            };
            html! {
                <div class="confirm" data-testid="copy-confirm">
                    <p>{ format!("{}:{} already points at ", plan.target_repository, plan.target_tag) }{ digest_badge(from.as_str()) }
                        { ". Copying moves it to " }{ digest_badge(plan.source.as_str()) }{ "." }</p>
                    <button onclick={proceed} data-testid="confirm-copy">{ "Move and copy" }</button>
                    <button class="secondary" onclick={cancel} data-testid="cancel-copy">{ "Cancel" }</button>
                </div>
            }
        }
        Phase::Done(report, (plan, to)) => {
            let count = |f: fn(&BlobOutcome) -> bool| report.blobs.iter().filter(|(_, _, o)| f(o)).count();
            let (mounted, present) = (count(|o| *o == BlobOutcome::Mounted), count(|o| *o == BlobOutcome::Present));
            let target_view = View::Manifest {
                registry: to.clone(),
                repository: plan.target_repository.clone(),
                reference: Reference::Tag(plan.target_tag.clone()),
            };
            html! {
                <div class={classes!("result", if report.matches_source == Some(false) { "result-failed" } else { "result-ok" })} data-testid="copy-result"
                    data-registry-digest={report.registry_digest.clone().unwrap_or_default()}>
                    <p>{ format!("Copied to {}{}:{}. ", if *to == props.registry { String::new() } else { format!("{} ", to.display_name()) }, plan.target_repository, plan.target_tag) }
                        { format!("{} blob(s): {mounted} mounted, {present} already there, {} streamed; {} child manifest(s).", report.blobs.len(), report.blobs.len() - mounted - present, report.children.len()) }</p>
                    <p>{ "Registry answered " }<code>{ report.registry_digest.clone().unwrap_or_else(|| "no digest (header hidden)".into()) }</code>
                        { match report.matches_source {
                            Some(true) => html! { <span class="ok" data-testid="digest-equal">{ " ✓ equals the source" }</span> },
                            Some(false) => html! { <span class="bad">{ " ✗ differs from the source" }</span> },
                            None => html! { <span class="warn">{ " (not verifiable: header hidden)" }</span> },
                        } }</p>
                    { link(route_for(&target_view), "button", html! { "Open the copy" }) }
                </div>
            }
        }
    };
    html! {
        <section>
            <h1>{ "Copy to another repository or registry" }</h1>
            <p class="muted">{ "Within a registry, blobs are mounted from the source repository (no bytes move); to another registry, blobs it lacks are streamed in chunks. Index children go in by digest, then the manifest by tag, as the exact source bytes." }</p>
            { source_html }
            if read_only {
                <div class="notice" data-testid="read-only">{ "This deployment of Wharf is read-only: copying is switched off." }</div>
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
                    if let Some(p) = &*problem {
                        <div class="field-error" data-testid="copy-name-error">{ p.clone() }</div>
                    }
                </form>
            }
            { outcome }
        </section>
    }
}
