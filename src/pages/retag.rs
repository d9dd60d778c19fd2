//! Retag: the source's exact bytes PUT under new tags of the same repository.
//!
//! The source is resolved to a digest when the page opens and the retag GETs it by that digest,
//! so what is tagged is what was shown. Targets that already exist are looked up first; moving one
//! needs an explicit confirmation, and declining sends nothing.

use std::rc::Rc;

use crate::router::link;
use wharf_protocol::address::View;
use wharf_protocol::manifest::SCHEMA1_EXPLANATION;
use wharf_protocol::names::{Digest, Reference, Repository, Tag};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::retag::{self, parse_targets, RetagPlan, RetagReport, TargetOutcome, TargetState};
use wharf_protocol::Error;
use yew::prelude::*;

use crate::app::{route_for, use_read_only};
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::load::Load;
use crate::components::source::{source_view, use_source, SourceProps};
use crate::journal_store::{self, Change};
use crate::wire::use_connection;

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
pub fn RetagPage(props: &SourceProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let source = use_source(&props.registry, &props.repository, &props.reference);
    let targets_text = use_state(String::new);
    let phase = use_state(|| Phase::Editing);
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
            if let (true, Ok(targets)) = (*active, parse_targets(text)) {
                let text = text.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    gloo_timers::future::TimeoutFuture::new(250).await;
                    if *typing.borrow() != mine {
                        return;
                    }
                    let client = connection.registry(&registry);
                    if let Ok(current) = current_digests(&client, &repository, targets).await {
                        if *typing.borrow() == mine {
                            checked.set(Some(Rc::new(Checked { text, current })));
                        }
                    }
                });
            }
        });
    }

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
        let checked = checked.clone();
        Callback::from(move |(plan, confirmed): (Rc<RetagPlan>, Vec<Tag>)| {
            let (phase, checked) = (phase.clone(), checked.clone());
            let client = connection.registry(&registry);
            phase.set(Phase::Running);
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = retag::execute(&client, &plan, &confirmed).await;
                if let Ok(report) = &outcome {
                    record_retag(client.url(), &plan, report);
                }
                // What the targets hold has changed: look again before another retag.
                checked.set(None);
                phase.set(match outcome {
                    Ok(report) => Phase::Done(Rc::new(report)),
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
        let checked = checked.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // A lookup still waiting for typing to pause is not needed any more.
            *typing.borrow_mut() += 1;
            let Load::Ready(manifest) = &*source else {
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
            let source_digest = manifest.digest.clone();
            let proceed = {
                let (phase, run, repository) = (phase.clone(), run.clone(), repository.clone());
                move |current: Vec<(Tag, Option<Digest>)>| {
                    let plan = Rc::new(RetagPlan::new(repository, source_digest, current));
                    if plan.moves().next().is_some() {
                        phase.set(Phase::Confirm { plan, confirmed: Vec::new() });
                    } else {
                        run.emit((plan, Vec::new()));
                    }
                }
            };
            // Looked up while typing: go straight on. Otherwise look now.
            if let Some(c) = checked.as_ref().filter(|c| c.text == *targets_text) {
                proceed(c.current.clone());
                return;
            }
            phase.set(Phase::Checking);
            let client = connection.registry(&registry);
            let (repository, phase) = (repository.clone(), phase.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match current_digests(&client, &repository, targets).await {
                    Ok(current) => proceed(current),
                    Err(e) => phase.set(Phase::Failed(e)),
                }
            });
        })
    };

    let source_html = source_view(&source, &props.repository, &props.reference);
    let schema1 = matches!(&*source, Load::Ready(m) if m.media_type.is_schema1());
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
                    { match (&*checked, &*source) {
                        (Some(c), Load::Ready(m)) if c.text == *targets_text => checked_view(c, &m.digest),
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
}

/// The digest each target holds now (HEAD; `None`: the tag does not exist).
async fn current_digests<T: wharf_protocol::http::Transport>(
    client: &wharf_protocol::Registry<T>,
    repository: &Repository,
    targets: Vec<Tag>,
) -> Result<Vec<(Tag, Option<Digest>)>, Error> {
    let mut current = Vec::with_capacity(targets.len());
    for tag in targets {
        let digest = client.manifest_digest(repository, &Reference::Tag(tag.clone())).await?;
        current.push((tag, digest));
    }
    Ok(current)
}

/// One line per target: new, or the digest it holds (moving it will be confirmed).
fn checked_view(checked: &Checked, source: &Digest) -> Html {
    html! {
        <ul class="targets-checked" data-testid="targets-checked" data-for={checked.text.clone()}>
            { for checked.current.iter().map(|(tag, digest)| match digest {
                None => html! { <li>{ format!("{tag}: new tag") }</li> },
                Some(d) if d == source => html! { <li>{ format!("{tag}: already this image") }</li> },
                Some(d) => html! { <li>{ format!("{tag}: holds ") }{ digest_badge(d.as_str()) }{ " now; you will be asked before it moves" }</li> },
            }) }
        </ul>
    }
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

/// One journal entry per target.
fn record_retag(registry: &RegistryUrl, plan: &RetagPlan, report: &RetagReport) {
    for (target, (tag, outcome)) in plan.targets.iter().zip(&report.outcomes) {
        let stored = matches!(outcome, TargetOutcome::Stored { matches_source: Some(true) | None, .. });
        journal_store::record(Change {
            action: "retag",
            registry,
            repository: &plan.repository,
            tag: Some(tag),
            before: target.state.current(&plan.source),
            after: if stored { Some(&report.source) } else { target.state.current(&plan.source) },
            outcome: match outcome {
                TargetOutcome::Failed(e) => Err(e.headline()),
                _ if !stored => Err("the registry stored another digest".into()),
                _ => Ok(format!("{tag} → {}", report.source.short())),
            },
        });
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
                    }
                }) }
            </ul>
            { link(tags_route, "button", html! { <>{ "View tags" }</> }) }
        </div>
    }
}
