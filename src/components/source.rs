//! The source of a retag or copy: its manifest, read once when the page opens, and its summary.

use std::rc::Rc;

use wharf_protocol::manifest::FetchedManifest;
use wharf_protocol::names::{Reference, Repository};
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::load::{use_load, Load};
use crate::components::markup::{code, el, fixed, owned, term, text};
use crate::connection::use_connection;

/// Props of the pages that act on a source image (retag, copy).
#[derive(Properties, PartialEq)]
pub struct SourceProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Source repository.
    pub repository: Repository,
    /// Source tag or digest.
    pub reference: Reference,
}

/// The source manifest (one GET, with the digest it resolves to).
#[hook]
pub fn use_source(
    registry: &RegistryUrl,
    repository: &Repository,
    reference: &Reference,
) -> Rc<Load<Rc<FetchedManifest>>> {
    let connection = use_connection();
    use_load(
        (registry.clone(), repository.clone(), reference.clone()),
        move |(registry, repository, reference)| async move {
            connection.registry(&registry).manifest_get(&repository, &reference).await.map(Rc::new)
        },
    )
    .0
}

/// Source reference, digest and type.
pub fn source_view(source: &Load<Rc<FetchedManifest>>, repository: &Repository, reference: &Reference) -> Html {
    match source {
        Load::Loading => text("p", "muted", "loading", "Reading the source manifest…"),
        Load::Failed(e) => error_box(e, Some("Reading the source")),
        Load::Ready(m) => html! {
            <dl class="summary" data-testid="source">
                { term("Source", "", code("", format!("{repository}:{reference}").replace(":sha256:", "@sha256:"))) }
                { term("Digest", "", html! { <>{ digest_badge(m.digest.as_str()) }{ " " }{ el("code", "small", "source-digest", owned(m.digest.to_string())) }</> }) }
                { term("Type", "", fixed(m.media_type.describe())) }
            </dl>
        },
    }
}
