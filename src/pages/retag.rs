//! Retag: the source's exact bytes PUT under new tags of the same repository.
//!
//! The source is resolved to a digest when the page opens and the retag GETs it by that digest,
//! so what is tagged is what was shown. Targets that already exist are looked up first; moving one
//! needs an explicit confirmation, and declining sends nothing.

use std::rc::Rc;

use crate::router::link;
use wharf_protocol::address::View;
use wharf_protocol::client::TagListing;
use wharf_protocol::manifest::{FetchedManifest, SCHEMA1_EXPLANATION};
use wharf_protocol::names::{Reference, Repository, Tag};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::retag::{self, parse_targets, RetagPlan, RetagReport, TargetOutcome, TargetState};
use wharf_protocol::Error;
use yew::prelude::*;

use crate::app::{route_for, use_read_only};
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::load::{use_load, Load};
use crate::wire::use_connection;

/// Props of [`RetagPage`].
#[derive(Properties, PartialEq)]
pub struct RetagProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
    /// The source tag or digest.
    pub reference: Reference,
}

/// Where the form stands.
#[derive(Clone, PartialEq)]
enum Phase {
    Editing,
    Checking,
    Confirm { plan: Rc<RetagPlan>, confirmed: Vec<Tag> },
    Cancelled { plan: Rc<RetagPlan> },
    Running,
    Done(Rc<RetagReport>),
    Failed(Error),
}

/// The retag form.
#[component]
pub fn RetagPage(props: &RetagProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let (source, _) = {
        let connection = connection.clone();
        use_load(
            (props.registry.clone(), props.repository.clone(), props.reference.clone()),
            move |(registry, repository, reference)| async move {
                let client = connection.registry(&registry);
                let manifest = client.manifest_get(&repository, &reference).await?;
                let tags = client.tag_list(&repository).await?;
                Ok((Rc::new(manifest), Rc::new(tags)))
            },
        )
    };
    let targets_text = use_state(String::new);
    let phase = use_state(|| Phase::Editing);
    // Tags this page stored since the list was read: a later retag must treat them as existing.
    let stored_here: Rc<std::cell::RefCell<Vec<String>>> = use_mut_ref(Vec::new);
    let name_errors = use_state(Vec::<String>::new);

    let oninput = {
        let targets_text = targets_text.clone();
        let phase = phase.clone();
        Callback::from(move |e: InputEvent| {
            targets_text.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value());
            if matches!(*phase, Phase::Confirm { .. } | Phase::Cancelled { .. } | Phase::Failed(_)) {
                phase.set(Phase::Editing);
            }
        })
    };

    let run = {
        let connection = connection.clone();
        let phase = phase.clone();
        let registry = props.registry.clone();
        let stored_here = stored_here.clone();
        Callback::from(move |(plan, confirmed): (Rc<RetagPlan>, Vec<Tag>)| {
            let phase = phase.clone();
            let stored_here = stored_here.clone();
            let client = connection.registry(&registry);
            phase.set(Phase::Running);
            wasm_bindgen_futures::spawn_local(async move {
                phase.set(match retag::execute(&client, &plan, &confirmed).await {
                    Ok(report) => {
                        stored_here.borrow_mut().extend(
                            report
                                .outcomes
                                .iter()
                                .filter(|(_, o)| matches!(o, TargetOutcome::Stored { .. }))
                                .map(|(t, _)| t.to_string()),
                        );
                        Phase::Done(Rc::new(report))
                    }
                    Err(e) => Phase::Failed(e),
                });
            });
        })
    };

    let onsubmit = {
        let targets_text = targets_text.clone();
        let phase = phase.clone();
        let name_errors = name_errors.clone();
        let source = source.clone();
        let connection = connection.clone();
        let registry = props.registry.clone();
        let repository = props.repository.clone();
        let run = run.clone();
        let stored_here = stored_here.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Load::Ready((manifest, listing)) = &*source else {
                return;
            };
            let targets = match parse_targets(&targets_text) {
                Ok(t) => t,
                Err(errors) => {
                    name_errors.set(errors.iter().map(ToString::to_string).collect());
                    phase.set(Phase::Editing);
                    return;
                }
            };
            name_errors.set(Vec::new());
            phase.set(Phase::Checking);
            let (manifest, listing) = (manifest.clone(), listing.clone());
            let stored_here = stored_here.borrow().clone();
            let client = connection.registry(&registry);
            let (repository, phase, run) = (repository.clone(), phase.clone(), run.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match check_targets(&client, &repository, &manifest, &listing, &stored_here, targets).await {
                    Ok(plan) if plan.moves().next().is_some() => {
                        phase.set(Phase::Confirm { plan: Rc::new(plan), confirmed: Vec::new() })
                    }
                    Ok(plan) => run.emit((Rc::new(plan), Vec::new())),
                    Err(e) => phase.set(Phase::Failed(e)),
                }
            });
        })
    };

    let source_html = match &*source {
        Load::Loading => {
            html! { <p class="muted" data-testid="loading">{ "Reading the source manifest…" }</p> }
        }
        Load::Failed(e) => html! { { error_box(e, Some("Reading the source")) } },
        Load::Ready((m, _)) => html! {
            <dl class="summary" data-testid="retag-source">
                <dt>{ "Source" }</dt><dd><code>{ format!("{}:{}", props.repository, props.reference).replace(":sha256:", "@sha256:") }</code></dd>
                <dt>{ "Digest" }</dt><dd>{ digest_badge(&m.digest.to_string()) }{ " " }<code class="small" data-testid="source-digest">{ m.digest.to_string() }</code></dd>
                <dt>{ "Type" }</dt><dd>{ m.media_type.describe() }</dd>
            </dl>
        },
    };
    let schema1 = matches!(&*source, Load::Ready((m, _)) if m.media_type.is_schema1());
    let busy = matches!(*phase, Phase::Checking | Phase::Running);
    let ready = matches!(&*source, Load::Ready(_)) && !schema1 && !read_only;

    let outcome = match &*phase {
        Phase::Editing => html! {},
        Phase::Checking => {
            html! { <p class="muted" data-testid="retag-checking">{ "Checking which targets exist…" }</p> }
        }
        Phase::Running => {
            html! { <p class="muted" data-testid="retag-running">{ "Retagging…" }</p> }
        }
        Phase::Failed(e) => html! { { error_box(e, Some("Retag")) } },
        Phase::Cancelled { plan } => html! {
            <div class="notice" data-testid="retag-cancelled">
                <strong>{ "Cancelled: nothing was sent." }</strong>
                <ul>{ for plan.targets.iter().filter_map(|t| match &t.state {
                    TargetState::Moves { from } => Some(html! { <li>{ format!("{} still points at ", t.tag) }{ digest_badge(&from.to_string()) }</li> }),
                    _ => None,
                }) }</ul>
            </div>
        },
        Phase::Confirm { plan, confirmed } => confirm_view(plan, confirmed, &phase, &run),
        Phase::Done(report) => report_view(report, &props.registry, &props.repository),
    };

    html! {
        <section>
            <nav class="crumbs">
                { link(route_for(&View::Catalog { registry: props.registry.clone() }), "", html! { <>{ "Repositories" }</> }) }{ " / " }
                { link(route_for(&View::Tags { registry: props.registry.clone(), repository: props.repository.clone() }), "", html! { <>{ props.repository.to_string() }</> }) }
                { " / retag" }
            </nav>
            <h1>{ "Retag without pulling" }</h1>
            <p class="muted">{ "The manifest's exact bytes are read once by digest and stored under each new tag: no layer moves, and every new tag has the source's digest." }</p>
            { source_html }
            if schema1 {
                <div class="notice" data-testid="schema1">{ SCHEMA1_EXPLANATION }</div>
            }
            if read_only {
                <div class="notice" data-testid="read-only">{ "This deployment of Wharf is read-only: it shows registries but changes nothing. Retag is switched off (\"read_only\": true in config.json)." }</div>
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
                            { for name_errors.iter().map(|e| html! { <div>{ e.clone() }</div> }) }
                            <div>{ "Nothing was sent." }</div>
                        </div>
                    }
                </form>
            }
            { outcome }
        </section>
    }
}

/// Looks up the targets that exist (in the tag list read with the page, or stored by this page
/// since), and builds the plan. Any other target is new; an existing one is HEADed for the digest
/// it holds now.
async fn check_targets<T: wharf_protocol::http::Transport>(
    client: &wharf_protocol::Registry<T>,
    repository: &Repository,
    manifest: &FetchedManifest,
    listing: &TagListing,
    stored_here: &[String],
    targets: Vec<Tag>,
) -> Result<RetagPlan, Error> {
    let mut current = Vec::with_capacity(targets.len());
    for tag in targets {
        let exists = listing.tags.iter().chain(stored_here).any(|t| t == tag.as_str());
        let digest =
            if exists { client.manifest_digest(repository, &Reference::Tag(tag.clone())).await? } else { None };
        current.push((tag, digest));
    }
    Ok(RetagPlan::new(repository.clone(), manifest.digest.clone(), current))
}

fn confirm_view(
    plan: &Rc<RetagPlan>,
    confirmed: &[Tag],
    phase: &UseStateHandle<Phase>,
    run: &Callback<(Rc<RetagPlan>, Vec<Tag>)>,
) -> Html {
    let blocked = !plan.blocked_by(confirmed).is_empty();
    let toggle = |tag: Tag| {
        let phase = phase.clone();
        let plan = plan.clone();
        let confirmed = confirmed.to_vec();
        Callback::from(move |_| {
            let mut confirmed = confirmed.clone();
            if let Some(i) = confirmed.iter().position(|t| t == &tag) {
                confirmed.remove(i);
            } else {
                confirmed.push(tag.clone());
            }
            phase.set(Phase::Confirm { plan: plan.clone(), confirmed });
        })
    };
    let proceed = {
        let run = run.clone();
        let plan = plan.clone();
        let confirmed = confirmed.to_vec();
        Callback::from(move |_| run.emit((plan.clone(), confirmed.clone())))
    };
    let cancel = {
        let phase = phase.clone();
        let plan = plan.clone();
        Callback::from(move |_| phase.set(Phase::Cancelled { plan: plan.clone() }))
    };
    html! {
        <div class="confirm" data-testid="retag-confirm">
            <strong>{ "Some targets already exist. A registry moves a tag without asking, and the image it pointed at may then be garbage-collected." }</strong>
            <ul>
                { for plan.targets.iter().map(|t| match &t.state {
                    TargetState::New => html! { <li>{ format!("{}: new tag", t.tag) }</li> },
                    TargetState::AlreadySource => html! { <li>{ format!("{}: already points at this image (no change)", t.tag) }</li> },
                    TargetState::Moves { from } => html! {
                        <li data-testid="move-row" data-tag={t.tag.to_string()}>
                            <label>
                                <input type="checkbox" checked={confirmed.contains(&t.tag)} onclick={toggle(t.tag.clone())} data-testid="confirm-move" />
                                { format!(" Move {} from ", t.tag) }{ digest_badge(&from.to_string()) }{ " to " }{ digest_badge(&plan.source.to_string()) }
                            </label>
                        </li>
                    },
                }) }
            </ul>
            <button onclick={proceed} disabled={blocked} data-testid="confirm-retag">{ "Move and retag" }</button>
            <button class="secondary" onclick={cancel} data-testid="cancel-retag">{ "Cancel" }</button>
        </div>
    }
}

fn report_view(report: &RetagReport, registry: &RegistryUrl, repository: &Repository) -> Html {
    let tags_route = route_for(&View::Tags { registry: registry.clone(), repository: repository.clone() });
    html! {
        <div class={classes!("result", if report.all_stored() { "result-ok" } else { "result-failed" })} data-testid="retag-result" data-all-stored={report.all_stored().to_string()}>
            <p>{ "Source digest (sha256 of the bytes sent): " }<code data-testid="result-source-digest">{ report.source.to_string() }</code></p>
            <ul>
                { for report.outcomes.iter().map(|(tag, outcome)| {
                    let manifest_route = route_for(&View::Manifest { registry: registry.clone(), repository: repository.clone(), reference: Reference::Tag(tag.clone()) });
                    match outcome {
                        TargetOutcome::Stored { registry_digest, matches_source } => html! {
                            <li data-testid="result-row" data-tag={tag.to_string()} data-outcome="stored" data-registry-digest={registry_digest.clone().unwrap_or_default()}>
                                { link(manifest_route, "", html! { <>{ tag.to_string() }</> }) }{ ": stored. Registry answered " }
                                <code>{ registry_digest.clone().unwrap_or_else(|| "no digest (Docker-Content-Digest hidden)".into()) }</code>
                                { match matches_source {
                                    Some(true) => html! { <span class="ok" data-testid="digest-equal">{ " ✓ equals the source" }</span> },
                                    Some(false) => html! { <span class="bad" data-testid="digest-differs">{ " ✗ differs from the source" }</span> },
                                    None => html! { <span class="warn">{ " (not verifiable: header hidden)" }</span> },
                                } }
                            </li>
                        },
                        TargetOutcome::Failed(e) => html! {
                            <li data-testid="result-row" data-tag={tag.to_string()} data-outcome="failed">{ format!("{tag}: failed") }{ error_box(e, None) }</li>
                        },
                        TargetOutcome::NotSent => html! { <li data-testid="result-row" data-tag={tag.to_string()} data-outcome="not-sent">{ format!("{tag}: not sent") }</li> },
                    }
                }) }
            </ul>
            { link(tags_route, "button", html! { <>{ "View tags" }</> }) }
        </div>
    }
}
