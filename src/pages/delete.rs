//! Delete safely: one tag without its siblings, or a manifest by digest after listing every tag
//! of the repository that goes with it. A registry with deletes off gets an explanation; every
//! delete ends with the garbage-collection reminder and a journal entry (with the manifest's
//! bytes, so an undo can bring it back).

use std::rc::Rc;

use wharf_protocol::delete::{self, refusal_advice, TagDeleteMethod, GC_REMINDER};
use wharf_protocol::journal::SavedManifest;
use wharf_protocol::manifest::FetchedManifest;
use wharf_protocol::names::{Reference, Tag};
use wharf_protocol::Error;
use yew::prelude::*;

use crate::app::use_read_only;
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::load::Load;
use crate::components::source::{source_view, use_source, SourceProps};
use crate::journal_store::{self, Change};
use crate::wire::use_connection;

#[derive(Clone, PartialEq)]
enum Phase {
    Choosing,
    Working(&'static str),
    ConfirmTag(Tag),
    /// Every tag that points at the manifest.
    ConfirmDigest(Rc<Vec<String>>),
    Done(String),
    Failed(Error),
}

/// A value that makes a throwaway manifest unique.
pub fn unique_value() -> String {
    format!("{}-{}", js_sys::Date::now(), js_sys::Math::random())
}

/// The delete page.
#[component]
pub fn DeletePage(props: &SourceProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let source = use_source(&props.registry, &props.repository, &props.reference);
    let phase = use_state(|| Phase::Choosing);
    let Load::Ready(manifest) = &*source else {
        return html! { <section><h1>{ "Delete" }</h1>{ source_view(&source, &props.repository, &props.reference) }</section> };
    };
    let manifest: Rc<FetchedManifest> = manifest.clone();
    let set = |to: Phase| {
        let phase = phase.clone();
        Callback::from(move |_: MouseEvent| phase.set(to.clone()))
    };
    let (registry, repository) = (props.registry.clone(), props.repository.clone());

    let delete_tag = |tag: Tag| {
        let (phase, connection, manifest) = (phase.clone(), connection.clone(), manifest.clone());
        let (registry, repository) = (registry.clone(), repository.clone());
        Callback::from(move |_: MouseEvent| {
            let (phase, client, manifest, tag) =
                (phase.clone(), connection.registry(&registry), manifest.clone(), tag.clone());
            let (registry, repository) = (registry.clone(), repository.clone());
            phase.set(Phase::Working("Deleting the tag…"));
            wasm_bindgen_futures::spawn_local(async move {
                let result = delete::tag_delete(&client, &repository, &tag, &unique_value()).await;
                let before = result.as_ref().map(|r| &r.previous).unwrap_or(&manifest.digest);
                journal_store::record(Change {
                    action: "delete tag",
                    registry: &registry,
                    repository: &repository,
                    tag: Some(&tag),
                    before: Some(before),
                    after: if result.is_ok() { None } else { Some(before) },
                    outcome: result.as_ref().map(|_| format!("deleted {tag}")).map_err(|e| e.headline()),
                });
                phase.set(match result {
                    Ok(report) => Phase::Done(match report.method {
                        TagDeleteMethod::DeleteByTag => {
                            format!("Deleted {repository}:{tag} with the registry's delete-by-tag. Its sibling tags are untouched.")
                        }
                        TagDeleteMethod::Throwaway { digest } => format!(
                            "Deleted {repository}:{tag}. This registry has no delete-by-tag, so the tag was first moved to a throwaway manifest ({digest}) and that was deleted by digest. Its sibling tags are untouched."
                        ),
                    }),
                    Err(e) => Phase::Failed(e),
                });
            });
        })
    };
    let find_tags = {
        let (phase, connection, registry) = (phase.clone(), connection.clone(), registry.clone());
        let (digest, repository) = (manifest.digest.clone(), repository.clone());
        Callback::from(move |_: MouseEvent| {
            let (phase, client, digest, repository) =
                (phase.clone(), connection.registry(&registry), digest.clone(), repository.clone());
            phase.set(Phase::Working("Reading every tag of the repository to find those that point at this manifest…"));
            wasm_bindgen_futures::spawn_local(async move {
                phase.set(match delete::tags_pointing_at(&client, &repository, &digest).await {
                    Ok(tags) => Phase::ConfirmDigest(Rc::new(tags)),
                    Err(e) => Phase::Failed(e),
                });
            });
        })
    };
    let delete_digest = |tags: Rc<Vec<String>>| {
        let (phase, connection, manifest) = (phase.clone(), connection.clone(), manifest.clone());
        let (registry, repository) = (registry.clone(), repository.clone());
        Callback::from(move |_: MouseEvent| {
            let (phase, client, manifest, tags) =
                (phase.clone(), connection.registry(&registry), manifest.clone(), tags.clone());
            let (registry, repository) = (registry.clone(), repository.clone());
            phase.set(Phase::Working("Deleting the manifest…"));
            wasm_bindgen_futures::spawn_local(async move {
                let result = client.manifest_delete(&repository, &manifest.digest).await;
                let saved =
                    SavedManifest { media_type: manifest.media_type.as_str().to_string(), body: manifest.text() };
                let parsed: Vec<Tag> = tags.iter().filter_map(|t| Tag::parse(t).ok()).collect();
                let entry_tags: Vec<Option<&Tag>> =
                    if parsed.is_empty() { vec![None] } else { parsed.iter().map(Some).collect() };
                for tag in entry_tags {
                    journal_store::record_saving(
                        Change {
                            action: "delete manifest",
                            registry: &registry,
                            repository: &repository,
                            tag,
                            before: Some(&manifest.digest),
                            after: if result.is_ok() { None } else { Some(&manifest.digest) },
                            outcome: result
                                .as_ref()
                                .map(|_| format!("deleted {}", manifest.digest.short()))
                                .map_err(|e| e.headline()),
                        },
                        result.is_ok().then(|| saved.clone()),
                    );
                }
                phase.set(match result {
                    Ok(()) => Phase::Done(format!(
                        "Deleted {repository}@{} and with it {} tag(s).",
                        manifest.digest,
                        tags.len()
                    )),
                    Err(e) => Phase::Failed(e),
                });
            });
        })
    };

    let tag = match &props.reference {
        Reference::Tag(t) => Some(t.clone()),
        Reference::Digest(_) => None,
    };
    let body = match &*phase {
        _ if read_only => {
            html! { <div class="notice" data-testid="read-only">{ "This deployment of Wharf is read-only: deleting is switched off." }</div> }
        }
        Phase::Choosing => html! {
            <div class="choices">
                if let Some(tag) = &tag {
                    <button onclick={set(Phase::ConfirmTag(tag.clone()))} data-testid="delete-tag">{ format!("Delete tag {tag} only…") }</button>
                    <p class="muted">{ "The other tags of this image stay." }</p>
                }
                <button class="danger" onclick={find_tags} data-testid="delete-digest">{ "Delete the manifest by digest…" }</button>
                <p class="muted">{ "Removes the manifest and every tag of the repository that points at it; you see them all before anything is sent." }</p>
            </div>
        },
        Phase::Working(what) => html! { <p class="muted" data-testid="delete-working">{ *what }</p> },
        Phase::ConfirmTag(tag) => html! {
            <div class="confirm" data-testid="delete-tag-confirm">
                <p>{ format!("Delete {}:{tag}? It points at ", props.repository) }{ digest_badge(manifest.digest.as_str()) }{ "; the image and its other tags stay." }</p>
                <button class="danger" onclick={delete_tag(tag.clone())} data-testid="confirm-delete">{ "Delete the tag" }</button>
                <button class="secondary" onclick={set(Phase::Choosing)} data-testid="cancel-delete">{ "Cancel" }</button>
            </div>
        },
        Phase::ConfirmDigest(tags) => html! {
            <div class="confirm" data-testid="delete-digest-confirm" data-tags={tags.join(" ")}>
                <p>{ "Deleting " }{ digest_badge(manifest.digest.as_str()) }{ match tags.len() {
                    0 => " removes no tag: no tag of the repository points at it.".to_string(),
                    n => format!(" removes these {n} tag(s) of {} with it:", props.repository),
                } }</p>
                <ul class="tag-list" data-testid="delete-digest-tags">{ for tags.iter().map(|t| html! { <li><code>{ t.clone() }</code></li> }) }</ul>
                <button class="danger" onclick={delete_digest(tags.clone())} data-testid="confirm-delete">{ format!("Delete the manifest and {} tag(s)", tags.len()) }</button>
                <button class="secondary" onclick={set(Phase::Choosing)} data-testid="cancel-delete">{ "Cancel" }</button>
            </div>
        },
        Phase::Done(summary) => html! {
            <div class="result result-ok" data-testid="delete-result">
                <p>{ summary.clone() }</p>
                <p class="muted" data-testid="gc-reminder">{ GC_REMINDER }</p>
                <p class="muted">{ "The journal can undo this while the registry still holds the image." }</p>
            </div>
        },
        Phase::Failed(e) => html! {
            <>
                { error_box(e, Some("Delete")) }
                if let Some(advice) = refusal_advice(e) {
                    <div class="notice" data-testid="delete-disabled">{ advice }</div>
                }
                <button class="secondary" onclick={set(Phase::Choosing)}>{ "Back" }</button>
            </>
        },
    };
    html! {
        <section>
            <h1>{ "Delete" }</h1>
            { source_view(&source, &props.repository, &props.reference) }
            { body }
        </section>
    }
}
