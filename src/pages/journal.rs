//! The journal: every change made from this browser, newest first, with undo and a JSON export.

use std::rc::Rc;

use wasm_bindgen::JsValue;
use wharf_protocol::journal::Entry;
use wharf_protocol::refusal::{Refusal, UndoRefusal};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::undo::{self, undo_step, UndoReport};
use wharf_protocol::units::first_chars;
use wharf_protocol::Error;
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::export::{registry_for_script, ExportScript};
use crate::components::RegistryProps;
use crate::connection::{unique_value, use_connection, use_read_only};
use crate::flow::{use_flow, FlowHandle, FlowState};
use crate::journal_store::{use_journal_page, JournalStore};

/// Entries shown; the export has them all.
const SHOWN: usize = 300;

/// Sets the clicked link's address to a file of the journal, just before the browser follows it.
fn export(store: &JournalStore, e: MouseEvent) {
    let json = store.journal().to_json_pretty();
    let parts = js_sys::Array::of1(&JsValue::from_str(&json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let url = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob));
    if let Ok(url) = url {
        e.target_unchecked_into::<web_sys::HtmlAnchorElement>().set_href(&url);
    }
}

/// An entry's undo cell: its undo's state when it is the entry being undone, else the button
/// (or why it cannot be undone). One undo runs at a time; the other buttons wait for it.
fn undo_cell(
    entry: &Entry,
    undoing: Option<u64>,
    flow: &FlowHandle<Entry, (), UndoReport>,
    start: &Callback<Entry>,
    read_only: bool,
) -> Html {
    if undoing == Some(entry.id) {
        match flow.state() {
            FlowState::Running(..) => return html! { <span class="muted">{ "Undoing…" }</span> },
            FlowState::Done(_, report) => {
                return html! { <span class="ok" data-testid="undo-done">{ report.summary.clone() }</span> }
            }
            FlowState::Failed(e) => {
                return html! { <div data-testid="undo-failed">{ error_box(e, Some("Undo")) }</div> }
            }
            _ => {}
        }
    }
    match undo_step(entry) {
        Ok(_) if !read_only => {
            let (entry, start) = (entry.clone(), start.clone());
            let onclick = Callback::from(move |_| start.emit(entry.clone()));
            html! { <button class="secondary" {onclick} disabled={flow.busy()} data-testid="undo">{ "Undo" }</button> }
        }
        Ok(_) => html! {},
        Err(why) => html! { <span class="muted small">{ why.to_string() }</span> },
    }
}

/// The script that replays an entry, against the registry it names.
fn export_of(entry: &Entry) -> Callback<(), Option<wharf_protocol::script::Script>> {
    let entry = entry.clone();
    Callback::from(move |_| {
        let title = format!("{} in {}", entry.action, entry.repository);
        let mut script = wharf_protocol::export::entries(&title, &[&entry])?;
        if let Ok(registry) = RegistryUrl::parse(&entry.registry) {
            script.registry = registry_for_script(&registry);
        }
        Some(script)
    })
}

fn digest_or(d: &Option<String>, none: &'static str) -> Html {
    match d {
        Some(d) => digest_badge(d),
        None => html! { <span class="muted">{ none }</span> },
    }
}

/// The journal page.
#[component]
pub fn JournalPage(_props: &RegistryProps) -> Html {
    let store = use_journal_page();
    let connection = use_connection();
    let read_only = use_read_only();
    let flow: FlowHandle<Entry, (), UndoReport> = use_flow();
    let undoing = use_state(|| None::<u64>);
    let start = {
        let (flow, undoing) = (flow.clone(), undoing.clone());
        Callback::from(move |entry: Entry| {
            undoing.set(Some(entry.id));
            match RegistryUrl::parse(&entry.registry) {
                Ok(registry) => {
                    let client = connection.registry(&registry);
                    flow.run(Rc::new(entry), (), move |entry, _| async move {
                        undo::undo(&client, &entry, &unique_value()).await
                    });
                }
                Err(e) => {
                    let why = format!("the entry's registry “{}” is not an address ({})", entry.registry, e.0);
                    flow.plan(async move { Err(Error::Refused(Refusal::Undo(UndoRefusal::Unreadable(why)))) });
                }
            }
        })
    };
    // The journal as read when the page opened, and what was written since: the undo's own
    // entry shows once it is stored.
    let journal = store.journal();
    let rows = journal.entries.iter().rev().take(SHOWN).map(|entry| {
        let undo_html = undo_cell(entry, *undoing, &flow, &start, read_only);
        // A manifest kept by digest alone (an attachment) is named by its digest.
        let place = match (&entry.tag, entry.before.as_ref().or(entry.after.as_ref())) {
            (Some(tag), _) => format!("{}:{tag}", entry.repository),
            (None, Some(digest)) => format!("{}@{}", entry.repository, first_chars(digest, 19)),
            (None, None) => format!("{}:(no tag)", entry.repository),
        };
        html! {
            <tr key={entry.id} data-testid="journal-entry" data-id={entry.id.to_string()} data-action={entry.action.to_string()}
                data-place={place.clone()} data-ok={entry.ok.to_string()} data-before={entry.before.clone().unwrap_or_default()}>
                <td class="nowrap small">{ entry.time.clone() }</td>
                <td>{ entry.action.to_string() }</td>
                <td><code class={(place.len() > 40).then_some("long")}>{ place }</code><div class="muted small">{ entry.registry.clone() }</div></td>
                <td>{ digest_or(&entry.before, "none") }{ " → " }{ digest_or(&entry.after, "deleted") }</td>
                <td class={if entry.ok { "ok" } else { "bad" }}>{ entry.result.clone() }</td>
                <td>{ undo_html }<ExportScript build={export_of(entry)} name={format!("wharf-journal-{}", entry.id)} /></td>
            </tr>
        }
    });
    let reading = store.reading();
    html! {
        <section>
            <h1>{ "Journal" }</h1>
            <p class="muted">{ "Every change made from this browser, in any of its tabs, kept in the browser's IndexedDB. Undo puts a moved or deleted tag back on its previous image while the registry still holds it; it refuses when the tag has changed since." }</p>
            if let Some(problem) = store.problem() {
                <div class="notice" data-testid="journal-problem">{ problem }</div>
            }
            <div class="toolbar">
                <span class="muted" data-testid="journal-count">{ if reading { "Loading…".to_string() } else { format!("{} entries", journal.entries.len()) } }</span>
                <a href="#" download="wharf-journal.json" onclick={{ let store = store.clone(); Callback::from(move |e| export(&store, e)) }} class="button" data-testid="journal-export">{ "Export as JSON" }</a>
            </div>
            if reading {
            } else if journal.entries.is_empty() {
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
