//! "Signatures and attached artifacts" of one image: what discovery found (referrers API,
//! fallback index, cosign's tags), each with its kind, date, size and what it states, and a link
//! to its own manifest. Wharf does not verify signatures, and says so.

use wharf_protocol::address::View;
use wharf_protocol::kind::Kind;
use wharf_protocol::names::{Digest, Reference, Repository};
use wharf_protocol::referrers::Attachment;
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::facts::{created_html, kind_html, now_seconds, size_html};
use crate::components::load::{use_load, Load};
use crate::components::markup::{head_row, text};
use crate::connection::use_connection;
use crate::router::{link, route_for};

/// Props of [`AttachmentsSection`].
#[derive(Properties, PartialEq)]
pub struct AttachmentsProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
    /// The image.
    pub digest: Digest,
}

/// The section, loaded on its own so the manifest shows first.
#[component]
pub fn AttachmentsSection(props: &AttachmentsProps) -> Html {
    let connection = use_connection();
    let (found, _) = use_load(
        (props.registry.clone(), props.repository.clone(), props.digest.clone()),
        move |(registry, repository, digest)| async move {
            let client = connection.registry(&registry);
            crate::referrers::describe_all(&connection, &client, &repository, &digest).await
        },
    );
    let body = match &*found {
        Load::Loading => text("p", "muted", "attachments-loading", "Looking for signatures and attachments…"),
        Load::Failed(e) => error_box(e, Some("Looking for signatures and attachments")),
        Load::Ready(list) if list.is_empty() => {
            text("p", "muted", "no-attachments", "None found: no referrers, no fallback tag, no cosign tags.")
        }
        Load::Ready(list) => {
            let now = now_seconds();
            let view_of = |digest: &Digest| {
                route_for(&View::Manifest {
                    registry: props.registry.clone(),
                    repository: props.repository.clone(),
                    reference: Reference::Digest(digest.clone()),
                })
            };
            html! {
                <>
                    <p class="notice small" data-testid="not-verified">{ "Present, not verified: Wharf lists what is attached to this digest; it does not check any signature. Use cosign verify or notation verify for that." }</p>
                    <table class="attachments" data-testid="attachments">
                        { head_row(&["Kind", "Created", "Size", "States", "Found", "Digest"], "") }
                        <tbody>{ for list.iter().map(|a| row(a, now, view_of(&a.digest))) }</tbody>
                    </table>
                </>
            }
        }
    };
    html! {
        <section data-testid="attachments-section">
            { text("h2", "", "", "Signatures and attached artifacts") }
            { body }
        </section>
    }
}

fn row(a: &Attachment, now: i64, to: String) -> Html {
    html! {
        <tr data-testid="attachment-row" data-digest={a.digest.to_string()} data-kind={a.kind.key()}
            data-found={a.found.label()} data-statement={a.statement.clone().unwrap_or_default()}>
            <td>{ kind_html(Some(&a.kind)) }</td>
            <td>{ match &a.created { Some(c) => created_html(Some(c), now), None => text("span", "muted", "", "—") } }</td>
            <td>{ size_html(Some(a.size), "config and layers") }</td>
            <td class="small">{ match &a.statement { Some(s) => html! { <code>{ s.clone() }</code> }, None => text("span", "muted", "", if a.kind == Kind::Signature { "in its certificate (not read)" } else { "—" }) } }</td>
            <td class="small">{ a.found.label() }</td>
            <td>{ link(to, "", html! { <>{ digest_badge(a.digest.as_str()) }</> }) }</td>
        </tr>
    }
}
