//! One manifest: its exact bytes, their sha256 against the registry's digest header, and a
//! readable view: image config and layers, or an index's platforms with attestations marked.

use wharf_protocol::address::View;
use wharf_protocol::digest::HeaderCheck;
use wharf_protocol::manifest::{
    Descriptor, FetchedManifest, ImageConfig, ImageManifest, ParsedManifest, REFERENCE_DIGEST_ANNOTATION,
    SCHEMA1_EXPLANATION,
};
use wharf_protocol::names::{Digest, Reference, Repository};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::units::human_size;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{route_for, Route};
use crate::components::digest_badge::DigestBadge;
use crate::components::error_box::ErrorBox;
use crate::components::load::{use_load, Load};
use crate::components::text::value_or_link;
use crate::wire::use_connection;

/// Props of [`ManifestPage`].
#[derive(Properties, PartialEq)]
pub struct ManifestProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
    /// Tag or digest.
    pub reference: Reference,
}

/// The manifest view.
#[component]
pub fn ManifestPage(props: &ManifestProps) -> Html {
    let connection = use_connection();
    let (manifest, reload) = use_load(
        (props.registry.clone(), props.repository.clone(), props.reference.clone()),
        move |(registry, repository, reference)| async move {
            connection.registry(&registry).manifest_get(&repository, &reference).await
        },
    );
    let view_of = |reference: Reference| View::Manifest {
        registry: props.registry.clone(),
        repository: props.repository.clone(),
        reference,
    };
    let body = match &*manifest {
        Load::Loading => {
            html! { <p class="muted" data-testid="loading">{ "Loading the manifest…" }</p> }
        }
        Load::Failed(error) => {
            html! { <><ErrorBox error={error.clone()} context="Loading the manifest" /><button onclick={reload.reform(|_| ())}>{ "Try again" }</button></> }
        }
        Load::Ready(m) => {
            let retag_to = route_for(&View::Retag {
                registry: props.registry.clone(),
                repository: props.repository.clone(),
                reference: props.reference.clone(),
            });
            html! {
                <>
                    <Summary manifest={std::rc::Rc::new(m.clone())} />
                    if !m.media_type.is_schema1() {
                        <p><Link<Route> to={retag_to} classes="button" >{ "Retag this image…" }</Link<Route>></p>
                    }
                    { match &m.parsed {
                        ParsedManifest::Index(index) => html! {
                            <section>
                                <h2>{ "Platforms" }</h2>
                                <table class="platforms" data-testid="platforms">
                                    <thead><tr><th>{ "Platform" }</th><th>{ "Digest" }</th><th>{ "Size" }</th><th>{ "Media type" }</th></tr></thead>
                                    <tbody>{ for index.manifests.iter().map(|d| platform_row(d, |digest| view_of(Reference::Digest(digest)))) }</tbody>
                                </table>
                            </section>
                        },
                        ParsedManifest::Image(image) => html! {
                            <ImageDetails registry={props.registry.clone()} repository={props.repository.clone()} image={std::rc::Rc::new((**image).clone())} />
                        },
                        ParsedManifest::Schema1(s) => html! {
                            <div class="notice" data-testid="schema1">
                                <strong>{ "Read-only: schema 1 manifest. " }</strong>{ SCHEMA1_EXPLANATION }
                                <p>{ format!("Bound to {}:{} ({}).", s.name, s.tag, s.architecture) }</p>
                            </div>
                        },
                        ParsedManifest::Unknown => html! { <p class="muted">{ "Not an image or index Wharf knows how to show; the raw bytes are below." }</p> },
                    } }
                    <RawView manifest={std::rc::Rc::new(m.clone())} />
                </>
            }
        }
    };
    html! {
        <section>
            <nav class="crumbs">
                <Link<Route> to={route_for(&View::Catalog { registry: props.registry.clone() })}>{ "Repositories" }</Link<Route>>{ " / " }
                <Link<Route> to={route_for(&View::Tags { registry: props.registry.clone(), repository: props.repository.clone() })}>{ props.repository.to_string() }</Link<Route>>
                { " / " }<strong>{ props.reference.to_string() }</strong>
            </nav>
            <h1 class="reference">{ format!("{}:{}", props.repository, props.reference).replace(":sha256:", "@sha256:") }</h1>
            { body }
        </section>
    }
}

fn platform_row(d: &Descriptor, view_of: impl Fn(Digest) -> View) -> Html {
    let platform = d.platform.as_ref().map(|p| p.label()).unwrap_or_else(|| "—".into());
    let link = match Digest::parse(&d.digest) {
        Ok(digest) => {
            html! { <Link<Route> to={route_for(&view_of(digest))}><DigestBadge digest={d.digest.clone()} /></Link<Route>> }
        }
        Err(_) => html! { <code>{ d.digest.clone() }</code> },
    };
    let attestation = d.is_attestation();
    html! {
        <tr class={classes!(attestation.then_some("attestation"))} data-testid="platform-row" data-attestation={attestation.to_string()}>
            <td>
                if attestation {
                    <span class="badge" title="A buildx attestation manifest (provenance / SBOM), not a runnable image">{ "attestation" }</span>
                    { d.annotations.get(REFERENCE_DIGEST_ANNOTATION).map(|r| html! { <span class="muted">{ format!(" for {}", &r[..r.len().min(19)]) }</span> }) }
                } else {
                    { platform }
                }
            </td>
            <td>{ link }</td>
            <td>{ human_size(d.size) }</td>
            <td><code class="small">{ d.media_type.clone() }</code></td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct SummaryProps {
    manifest: std::rc::Rc<FetchedManifest>,
}

#[component]
fn Summary(props: &SummaryProps) -> Html {
    let m = &props.manifest;
    let check = match &m.header_check {
        HeaderCheck::Matches => {
            html! { <span class="ok" data-testid="digest-check" data-check="matches">{ "✓ equals the registry's Docker-Content-Digest" }</span> }
        }
        HeaderCheck::Absent => {
            html! { <span class="warn" data-testid="digest-check" data-check="absent">{ "Docker-Content-Digest was absent, or hidden by CORS (add it to Access-Control-Expose-Headers); the digest above is computed from the bytes." }</span> }
        }
        HeaderCheck::Unverifiable { header } => {
            html! { <span class="warn" data-testid="digest-check" data-check="unverifiable">{ format!("The registry says {header}; it cannot be checked from these bytes.") }</span> }
        }
        HeaderCheck::Differs { header } => {
            html! { <span class="bad" data-testid="digest-check" data-check="differs">{ format!("✗ the registry says {header}") }</span> }
        }
    };
    html! {
        <dl class="summary" data-testid="manifest-summary">
            <dt>{ "Media type" }</dt><dd><span data-testid="media-type">{ m.media_type.describe() }</span>{ " " }<code class="small">{ m.media_type.as_str().to_string() }</code></dd>
            <dt>{ "Size" }</dt><dd>{ format!("{} bytes", m.bytes.len()) }</dd>
            <dt>{ "Digest (sha256 of the bytes)" }</dt><dd><code data-testid="manifest-digest">{ m.digest.to_string() }</code><br />{ check }</dd>
        </dl>
    }
}

#[derive(Properties, PartialEq)]
struct RawViewProps {
    manifest: std::rc::Rc<FetchedManifest>,
}

#[component]
fn RawView(props: &RawViewProps) -> Html {
    let raw = use_state(|| false);
    let set = |value: bool| {
        let raw = raw.clone();
        Callback::from(move |_| raw.set(value))
    };
    html! {
        <section>
            <h2>{ "Manifest" }</h2>
            <div class="tabs">
                <button class={classes!((!*raw).then_some("active"))} onclick={set(false)} data-testid="show-pretty">{ "Pretty" }</button>
                <button class={classes!(raw.then_some("active"))} onclick={set(true)} data-testid="show-raw">{ "Raw bytes" }</button>
            </div>
            <pre class="json" data-testid={if *raw { "raw" } else { "pretty" }}>{ if *raw { props.manifest.text() } else { props.manifest.pretty() } }</pre>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ImageDetailsProps {
    registry: RegistryUrl,
    repository: Repository,
    image: std::rc::Rc<ImageManifest>,
}

#[component]
fn ImageDetails(props: &ImageDetailsProps) -> Html {
    let connection = use_connection();
    let config_digest = Digest::parse(&props.image.config.digest).ok();
    let (config, _) = use_load(
        (props.registry.clone(), props.repository.clone(), config_digest.clone()),
        move |(registry, repository, digest)| async move {
            let Some(digest) = digest else {
                return Err(wharf_protocol::Error::Unsupported("The config digest is not valid.".into()));
            };
            let bytes = connection.registry(&registry).blob_get(&repository, &digest).await?;
            ImageConfig::parse(&format!("config {digest}"), &bytes)
        },
    );
    let image = &props.image;
    let config_html = match &*config {
        Load::Loading => html! { <p class="muted">{ "Loading the image config…" }</p> },
        Load::Failed(e) => {
            html! { <ErrorBox error={e.clone()} context="Loading the image config" /> }
        }
        Load::Ready(c) => config_view(c),
    };
    html! {
        <>
            <section>
                <h2>{ "Image" }</h2>
                { config_html }
            </section>
            <section>
                <h2>{ format!("Layers ({}, {} compressed)", image.layers.len(), human_size(image.total_layer_size())) }</h2>
                <table class="layers" data-testid="layers">
                    <thead><tr><th>{ "#" }</th><th>{ "Digest" }</th><th>{ "Size" }</th><th>{ "Media type" }</th></tr></thead>
                    <tbody>
                        { for image.layers.iter().enumerate().map(|(i, l)| html! {
                            <tr data-testid="layer-row"><td>{ i + 1 }</td><td><DigestBadge digest={l.digest.clone()} /></td><td>{ human_size(l.size) }</td><td><code class="small">{ l.media_type.clone() }</code></td></tr>
                        }) }
                    </tbody>
                    <tfoot><tr><td></td><td>{ "Total" }</td><td data-testid="layers-total">{ human_size(image.total_layer_size()) }</td><td></td></tr></tfoot>
                </table>
            </section>
        </>
    }
}

fn config_view(c: &ImageConfig) -> Html {
    let rc = c.config.clone().unwrap_or_default();
    let joined = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(" ")).unwrap_or_else(|| "—".into());
    let platform = match &c.variant {
        Some(v) => format!("{}/{}/{v}", c.os, c.architecture),
        None => format!("{}/{}", c.os, c.architecture),
    };
    html! {
        <>
            <dl class="summary" data-testid="image-config">
                <dt>{ "Created" }</dt><dd data-testid="created">{ c.created.clone().unwrap_or_else(|| "—".into()) }</dd>
                <dt>{ "Platform" }</dt><dd data-testid="platform">{ platform }</dd>
                <dt>{ "Entrypoint" }</dt><dd><code>{ joined(&rc.entrypoint) }</code></dd>
                <dt>{ "Cmd" }</dt><dd><code>{ joined(&rc.cmd) }</code></dd>
                if let Some(dir) = rc.working_dir.filter(|d| !d.is_empty()) { <dt>{ "Working dir" }</dt><dd><code>{ dir }</code></dd> }
                if let Some(user) = rc.user.filter(|u| !u.is_empty()) { <dt>{ "User" }</dt><dd><code>{ user }</code></dd> }
                if let Some(ports) = rc.exposed_ports.filter(|p| !p.is_empty()) { <dt>{ "Ports" }</dt><dd>{ ports.keys().cloned().collect::<Vec<_>>().join(", ") }</dd> }
            </dl>
            <h3>{ "Environment" }</h3>
            <ul class="env" data-testid="env">{ for rc.env.unwrap_or_default().into_iter().map(|e| html! { <li><code>{ e }</code></li> }) }</ul>
            <h3>{ "Labels" }</h3>
            <table class="labels" data-testid="labels">
                <tbody>{ for rc.labels.unwrap_or_default().into_iter().map(|(k, v)| html! { <tr><td><code>{ k }</code></td><td>{ value_or_link(&v) }</td></tr> }) }</tbody>
            </table>
            <h3>{ "History" }</h3>
            <table class="history" data-testid="history">
                <thead><tr><th>{ "Created" }</th><th>{ "Step" }</th><th>{ "Layer" }</th></tr></thead>
                <tbody>{ for c.history.iter().map(|h| html! {
                    <tr><td class="nowrap">{ h.created.clone().unwrap_or_default() }</td><td><code class="step">{ h.created_by.clone().unwrap_or_default() }</code></td><td>{ if h.empty_layer { "—" } else { "layer" } }</td></tr>
                }) }</tbody>
            </table>
        </>
    }
}
