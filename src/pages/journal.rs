//! The journal: every change made from this browser, newest first, with undo and a JSON export.

use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use wharf_protocol::journal::{self, undo_step, Entry};
use wharf_protocol::names::{Digest, Repository, Tag};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::Error;
use yew::prelude::*;

use crate::app::use_read_only;
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::journal_store::{self, Change};
use crate::pages::delete::unique_value;
use crate::pages::selftest::SelfTestProps;
use crate::wire::{use_connection, Connection};

/// Entries shown; the export has them all.
const SHOWN: usize = 300;

#[derive(Clone, PartialEq)]
enum UndoState {
    Running,
    Done(String),
    Failed(Error),
}

/// Sets the clicked link's address to a file of the journal, just before the browser follows it.
fn export(e: MouseEvent) {
    let json = journal_store::snapshot().to_json_pretty();
    let parts = js_sys::Array::of1(&JsValue::from_str(&json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let url = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob));
    if let Ok(url) = url {
        e.target_unchecked_into::<web_sys::HtmlAnchorElement>().set_href(&url);
    }
}

fn undo(connection: Connection, entry: Entry, states: UseStateHandle<Rc<HashMap<u64, UndoState>>>) {
    let set = move |states: &UseStateHandle<Rc<HashMap<u64, UndoState>>>, state: UndoState| {
        let mut next = (**states).as_ref().clone();
        next.insert(entry.id, state);
        states.set(Rc::new(next));
    };
    let registry = match RegistryUrl::parse(&entry.registry) {
        Ok(registry) => registry,
        Err(e) => {
            let why = format!("Cannot undo: the entry's registry “{}” is not an address ({}).", entry.registry, e.0);
            return set(&states, UndoState::Failed(Error::Unsupported(why)));
        }
    };
    set(&states, UndoState::Running);
    wasm_bindgen_futures::spawn_local(async move {
        let client = connection.registry(&registry);
        match journal::undo(&client, &entry, &unique_value()).await {
            Ok(report) => {
                let (repository, tag) = (Repository::parse(&entry.repository), entry.tag.as_deref().map(Tag::parse));
                if let (Ok(repository), Some(Ok(tag))) = (repository, tag) {
                    let before = entry.after.as_deref().and_then(|d| Digest::parse(d).ok());
                    let by = journal_store::record(Change {
                        action: "undo",
                        registry: &registry,
                        repository: &repository,
                        tag: Some(&tag),
                        before: before.as_ref(),
                        after: report.now.as_ref(),
                        outcome: Ok(format!("undid entry {}", entry.id)),
                    });
                    journal_store::mark_undone(entry.id, by);
                }
                set(&states, UndoState::Done(report.summary));
            }
            Err(e) => set(&states, UndoState::Failed(e)),
        }
    });
}

fn digest_or(d: &Option<String>, none: &'static str) -> Html {
    match d {
        Some(d) => digest_badge(d),
        None => html! { <span class="muted">{ none }</span> },
    }
}

/// The journal page.
#[component]
pub fn JournalPage(_props: &SelfTestProps) -> Html {
    let connection = use_connection();
    let read_only = use_read_only();
    let states = use_state(|| Rc::new(HashMap::<u64, UndoState>::new()));
    let journal = journal_store::snapshot();
    let rows = journal.entries.iter().rev().take(SHOWN).map(|entry| {
        let undo_html = match states.get(&entry.id) {
            Some(UndoState::Running) => html! { <span class="muted">{ "Undoing…" }</span> },
            Some(UndoState::Done(summary)) => html! { <span class="ok" data-testid="undo-done">{ summary.clone() }</span> },
            Some(UndoState::Failed(e)) => html! { <div data-testid="undo-failed">{ error_box(e, Some("Undo")) }</div> },
            None => match undo_step(entry) {
                Ok(_) if !read_only => {
                    let (connection, entry, states) = (connection.clone(), entry.clone(), states.clone());
                    let onclick = Callback::from(move |_| undo(connection.clone(), entry.clone(), states.clone()));
                    html! { <button class="secondary" {onclick} data-testid="undo">{ "Undo" }</button> }
                }
                Ok(_) => html! {},
                Err(why) => html! { <span class="muted small">{ why }</span> },
            },
        };
        let place = format!("{}:{}", entry.repository, entry.tag.as_deref().unwrap_or("(no tag)"));
        html! {
            <tr key={entry.id} data-testid="journal-entry" data-id={entry.id.to_string()} data-action={entry.action.clone()}
                data-place={place.clone()} data-ok={entry.ok.to_string()}>
                <td class="nowrap small">{ entry.time.clone() }</td>
                <td>{ entry.action.clone() }</td>
                <td><code>{ place }</code><div class="muted small">{ entry.registry.clone() }</div></td>
                <td>{ digest_or(&entry.before, "none") }{ " → " }{ digest_or(&entry.after, "deleted") }</td>
                <td class={if entry.ok { "ok" } else { "bad" }}>{ entry.result.clone() }</td>
                <td>{ undo_html }</td>
            </tr>
        }
    });
    html! {
        <section>
            <h1>{ "Journal" }</h1>
            <p class="muted">{ "Every change made from this browser, kept in its local storage. Undo puts a moved or deleted tag back on its previous image while the registry still holds it; it refuses when the tag has changed since." }</p>
            if let Some(problem) = journal_store::problem() {
                <div class="notice" data-testid="journal-problem">{ problem }</div>
            }
            <div class="toolbar">
                <span class="muted" data-testid="journal-count">{ format!("{} entries", journal.entries.len()) }</span>
                <a href="#" download="wharf-journal.json" onclick={Callback::from(export)} class="button" data-testid="journal-export">{ "Export as JSON" }</a>
            </div>
            if journal.entries.is_empty() {
                <p class="empty">{ "Nothing yet: retags, copies, promotions and deletes appear here." }</p>
            } else {
                <table class="journal" data-testid="journal">
                    <thead><tr><th>{ "When (UTC)" }</th><th>{ "Action" }</th><th>{ "Where" }</th><th>{ "Before → after" }</th><th>{ "Result" }</th><th></th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            }
        </section>
    }
}
