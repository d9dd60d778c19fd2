//! Delete safely: one tag without its siblings, or a manifest by digest after listing every tag
//! of the repository that goes with it. A registry with deletes off gets an explanation; every
//! delete ends with the garbage-collection reminder and a journal entry (with the manifest's
//! bytes, so an undo can bring it back).

use std::rc::Rc;

use wharf_protocol::delete::{self, refusal_advice, DeletePlan, DeleteReport, GC_AFTER_TAG_DELETE, GC_REMINDER};
use wharf_protocol::manifest::FetchedManifest;
use wharf_protocol::names::Reference;
use wharf_protocol::pace::Retry;
use wharf_protocol::tag_delete::TagDeleteMethod;
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::export::{registry_for_script, ExportScript};
use crate::components::load::Load;
use crate::components::markup::{button, code, el, fixed, owned, text};
use crate::components::source::{source_view, use_source, SourceProps};
use crate::connection::{unique_value, use_connection, use_read_only};
use crate::flow::{use_flow, FlowHandle, FlowState};

/// The delete page.
#[component]
pub fn DeletePage(props: &SourceProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let source = use_source(&props.registry, &props.repository, &props.reference);
    let flow: FlowHandle<DeletePlan, (), DeleteReport> = use_flow();
    // Attachments of a deleted image point at nothing: offered for deletion in the same step.
    let with_attachments = use_state(|| true);
    let Load::Ready(manifest) = &*source else {
        return html! { <section>{ text("h1", "", "", "Delete") }{ source_view(&source, &props.repository, &props.reference) }</section> };
    };
    let manifest: Rc<FetchedManifest> = manifest.clone();
    let (registry, repository) = (props.registry.clone(), props.repository.clone());
    let back = {
        let flow = flow.clone();
        Callback::from(move |_: MouseEvent| flow.reset())
    };
    let ask_tag = |tag: wharf_protocol::names::Tag| {
        let (flow, repository, digest) = (flow.clone(), repository.clone(), manifest.digest.clone());
        Callback::from(move |_: MouseEvent| {
            flow.show(DeletePlan::Tag { repository: repository.clone(), tag: tag.clone(), digest: digest.clone() })
        })
    };
    let find_tags = {
        let (flow, connection, registry, repository, manifest) =
            (flow.clone(), connection.clone(), registry.clone(), repository.clone(), manifest.clone());
        Callback::from(move |_: MouseEvent| {
            let (client, repository, manifest) =
                (connection.registry(&registry), repository.clone(), manifest.as_ref().clone());
            let learning = connection.clone();
            flow.plan(async move {
                let known = learning.referrers_api(client.url());
                let plan = delete::plan_manifest_delete(&client, &repository, manifest, known).await?;
                if let DeletePlan::Manifest { attachments, .. } = &plan {
                    learning.learned_referrers_api(client.url(), attachments.api);
                }
                Ok(plan)
            });
        })
    };
    let confirm = |plan: &Rc<DeletePlan>| {
        let (flow, connection, registry, plan) = (flow.clone(), connection.clone(), registry.clone(), plan.clone());
        let with_attachments = *with_attachments;
        Callback::from(move |_: MouseEvent| {
            let client = connection.registry(&registry);
            flow.run(plan.clone(), (), move |plan, _| async move {
                delete::execute(&client, &plan, &unique_value(), with_attachments, &Retry::never(), &Default::default())
                    .await
            });
        })
    };
    let toggle_attachments = {
        let with_attachments = with_attachments.clone();
        Callback::from(move |_: MouseEvent| with_attachments.set(!*with_attachments))
    };

    let tag = match &props.reference {
        Reference::Tag(t) => Some(t.clone()),
        Reference::Digest(_) => None,
    };
    let body = match flow.state() {
        _ if read_only => {
            text("div", "notice", "read-only", "This deployment of Wharf is read-only: deleting is switched off.")
        }
        FlowState::Idle | FlowState::Cancelled(_) => html! {
            <div class="choices">
                if let Some(tag) = &tag {
                    { button("", "delete-tag", owned(format!("Delete tag {tag} only…")), false, ask_tag(tag.clone())) }
                    { text("p", "muted", "", "The other tags of this image stay.") }
                }
                { button("danger", "delete-digest", fixed("Delete the manifest by digest…"), false, find_tags) }
                { text("p", "muted", "", "Removes the manifest and every tag of the repository that points at it; you see them all before anything is sent.") }
            </div>
        },
        FlowState::Planning => text(
            "p",
            "muted",
            "delete-working",
            "Reading every tag of the repository to find those that point at this manifest…",
        ),
        FlowState::Running(plan, _) => text(
            "p",
            "muted",
            "delete-working",
            if matches!(**plan, DeletePlan::Tag { .. }) { "Deleting the tag…" } else { "Deleting the manifest…" },
        ),
        FlowState::Planned(plan) => match &**plan {
            DeletePlan::Tag { tag, .. } => html! {
                <div class="confirm" data-testid="delete-tag-confirm">
                    <p>{ format!("Delete {}:{tag}? It points at ", props.repository) }{ digest_badge(manifest.digest.as_str()) }{ "; the image and its other tags stay." }</p>
                    { button("danger", "confirm-delete", fixed("Delete the tag"), false, confirm(plan)) }
                    { button("secondary", "cancel-delete", fixed("Cancel"), false, back.clone()) }
                </div>
            },
            DeletePlan::Manifest { tags, attachments, .. } => {
                let dangling = &attachments.referrers;
                let also = *with_attachments && !dangling.is_empty();
                html! {
                    <div class="confirm" data-testid="delete-digest-confirm" data-tags={tags.join(" ")} data-attachments={dangling.len().to_string()}>
                        <p>{ "Deleting " }{ digest_badge(manifest.digest.as_str()) }{ match tags.len() {
                            0 => " removes no tag: no tag of the repository points at it.".to_string(),
                            n => format!(" removes these {n} tag(s) of {} with it:", props.repository),
                        } }</p>
                        <ul class="tag-list" data-testid="delete-digest-tags">{ for tags.iter().map(|t| el("li", "", "", code("", t.clone()))) }</ul>
                        if !dangling.is_empty() {
                            <p>{ format!("{} signature(s) and attachment(s) point at this digest; without it they point at nothing:", dangling.len()) }</p>
                            <ul class="tag-list" data-testid="delete-attachments">{ for dangling.iter().map(|r| html! {
                                <li data-digest={r.digest.to_string()}>
                                    { r.kind_label() }{ " " }
                                    { digest_badge(r.digest.as_str()) }{ " " }{ el("span", "muted small", "", owned(r.found.label())) }
                                </li>
                            }) }</ul>
                            if attachments.fallback.is_some() {
                            { el("p", "muted small", "", owned(format!("Their fallback index, the tag {}, goes too once everything it lists is deleted.", wharf_protocol::referrers::fallback_tag(&attachments.subject)))) }
                        }
                        <label class="check"><input type="checkbox" checked={*with_attachments} onclick={toggle_attachments} data-testid="delete-with-attachments" />
                                { " delete them too (journaled, undoable while the registry holds their bytes)" }</label>
                        }
                        { button("danger", "confirm-delete", owned(if also {
                            format!("Delete the manifest, {} tag(s) and {} attachment(s)", tags.len(), dangling.len())
                        } else {
                            format!("Delete the manifest and {} tag(s)", tags.len())
                        }), false, confirm(plan)) }
                        { button("secondary", "cancel-delete", fixed("Cancel"), false, back.clone()) }
                    </div>
                }
            }
        },
        FlowState::Done(plan, report) => html! {
            <div class="result result-ok" data-testid="delete-result">
                <ExportScript build={{
                    let (plan, report, registry) = (plan.clone(), report.clone(), registry_for_script(&props.registry));
                    Callback::from(move |_| Some(wharf_protocol::export::delete(&registry, &plan, &report)))
                }} name="wharf-delete" />
                { el("p", "", "", owned(summary(plan, report, &props.repository))) }
                { text("p", "muted", "gc-reminder", if matches!(**plan, DeletePlan::Tag { .. }) { GC_AFTER_TAG_DELETE } else { GC_REMINDER }) }
                { text("p", "muted", "", "The journal can undo this while the registry still holds the image.") }
            </div>
        },
        FlowState::Failed(e) => html! {
            <>
                { error_box(e, Some("Delete")) }
                if let Some(advice) = refusal_advice(e) {
                    { el("div", "notice", "delete-disabled", owned(advice)) }
                }
                { button("secondary", "", fixed("Back"), false, back) }
            </>
        },
    };
    html! {
        <section>
            { text("h1", "", "", "Delete") }
            { source_view(&source, &props.repository, &props.reference) }
            { body }
        </section>
    }
}

/// What a delete did, in words.
fn summary(plan: &DeletePlan, report: &DeleteReport, repository: &wharf_protocol::names::Repository) -> String {
    let tag = match plan {
        DeletePlan::Tag { tag, .. } => tag.to_string(),
        DeletePlan::Manifest { .. } => String::new(),
    };
    match report {
        DeleteReport::Tag(deleted) => match &deleted.method {
            TagDeleteMethod::DeleteByTag => {
                format!("Deleted {repository}:{tag} with the registry's delete-by-tag. Its sibling tags are untouched.")
            }
            TagDeleteMethod::Throwaway { digest } => format!(
                "Deleted {repository}:{tag}. This registry has no delete-by-tag, so the tag was first moved to a throwaway manifest ({digest}) and that was deleted by digest. Its sibling tags are untouched."
            ),
        },
        DeleteReport::Manifest { digest, tags, attachments } => {
            let gone = attachments.iter().filter(|(_, r)| r.is_ok()).count();
            let kept = match attachments.len() - gone {
                0 => String::new(),
                n => format!(" {n} could not be deleted: see the journal."),
            };
            let with = if attachments.is_empty() { String::new() } else { format!(" and {gone} attachment(s)") };
            format!("Deleted {repository}@{digest} and with it {} tag(s){with}.{kept}", tags.len())
        }
    }
}
