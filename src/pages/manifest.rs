//! One manifest: its exact bytes, their sha256 against the registry's digest header, and a
//! readable view: image config and layers, or an index's platforms with attestations marked.

use crate::router::link;
use wharf_protocol::about::{self, HelmChart};
use wharf_protocol::address::View;
use wharf_protocol::digest::HeaderCheck;
use wharf_protocol::glance::{read_all, ManifestFacts, PlatformRow, Summary};
use wharf_protocol::kind::Kind;
use wharf_protocol::manifest::{
    Descriptor, FetchedManifest, ImageConfig, ImageManifest, ParsedManifest, REFERENCE_DIGEST_ANNOTATION,
};
use wharf_protocol::names::{Digest, Reference, Repository};
use wharf_protocol::refusal::SCHEMA1_EXPLANATION;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::units::{first_chars, human_size};
use yew::prelude::*;

use crate::components::about::about_section;
use crate::components::attachments::AttachmentsSection;
use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::facts::{created_html, now_seconds, size_html};
use crate::components::load::{use_load, Load};
use crate::components::markup::{button, code, crumbs, el, fixed, head_row, owned, row, term, text};
use crate::components::pull::PullBox;
use crate::components::text::value_or_link;
use crate::connection::use_connection;
use crate::connection::use_read_only;
use crate::lazy::LazyArtifact;
use crate::router::route_for;

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
    let public = connection.public_name(&props.registry);
    let raw = use_state(|| false);
    let read_only = use_read_only();
    // One load: the manifest, then for an image its config blob. A config that cannot be read
    // does not hide the manifest; it is shown as its own error.
    let (manifest, reload) = use_load(
        (props.registry.clone(), props.repository.clone(), props.reference.clone()),
        move |(registry, repository, reference)| async move {
            let client = connection.registry(&registry);
            let manifest = client.manifest_get(&repository, &reference).await?;
            // An index: every platform's image (manifest and config), for its size and date.
            let platforms = match &manifest.parsed {
                ParsedManifest::Index(_) => Some(read_all(&client, &repository, &manifest).await),
                _ => None,
            };
            // The config blob as its bytes: an image's config, a chart's Chart.yaml as JSON, an
            // artifact's own; the empty config `{}` and an oversized one are not read.
            let config = match &manifest.parsed {
                ParsedManifest::Image(image)
                    if image.config.media_type != about::EMPTY_CONFIG && image.config.size <= MAX_CONFIG =>
                {
                    Some(match Digest::parse(&image.config.digest) {
                        Ok(digest) => client.blob_get(&repository, &digest).await,
                        Err(e) => Err(wharf_protocol::Error::InvalidName(e)),
                    })
                }
                _ => None,
            };
            Ok((manifest, config, platforms))
        },
    );
    let view_of = |reference: Reference| View::Manifest {
        registry: props.registry.clone(),
        repository: props.repository.clone(),
        reference,
    };
    let body = match &*manifest {
        Load::Loading => text("p", "muted", "loading", "Loading the manifest…"),
        Load::Failed(error) => {
            html! { <>{ error_box(error, Some("Loading the manifest")) }{ button("", "", fixed("Try again"), false, reload.reform(|_| ())) }</> }
        }
        Load::Ready((m, config, platforms)) => {
            let action = |make: fn(RegistryUrl, Repository, Reference) -> View| {
                route_for(&make(props.registry.clone(), props.repository.clone(), props.reference.clone()))
            };
            let copy_to = action(|registry, repository, reference| View::Copy { registry, repository, reference });
            let retag_to = action(|registry, repository, reference| View::Retag { registry, repository, reference });
            let delete_to = action(|registry, repository, reference| View::Delete { registry, repository, reference });
            let kind = ManifestFacts::read(m).kind;
            html! {
                <>
                    { summary(m, props.registry.is_same_origin()) }
                    if !m.media_type.is_schema1() && !read_only {
                        <p class="actions">
                            { link(retag_to, "button", html! { "Retag this image…" }) }
                            { " " }
                            { link(copy_to, "button", html! { "Copy to another repository or registry…" }) }
                            { " " }
                            { link(delete_to, "button danger", html! { "Delete…" }) }
                        </p>
                    }
                    <PullBox public={public.clone()} repository={props.repository.to_string()}
                        tag={match &props.reference { Reference::Tag(t) => Some(t.to_string()), _ => None }}
                        digest={Some(m.digest.to_string())} kind={Some(kind.clone())} />
                    { match &m.parsed {
                        ParsedManifest::Index(index) => {
                            let (summary, failed) = match platforms {
                                Some((facts, failed)) => (facts.summary(m.digest.as_str()), failed.as_slice()),
                                None => (Summary::default(), &[][..]),
                            };
                            let now = now_seconds();
                            let about = platforms.as_ref().and_then(|(facts, _)| facts.summary(m.digest.as_str()).description);
                            html! {
                            <>
                            { about_section(about.as_ref(), &about::standard_facts(&[Some(&index.annotations)])) }
                            <section>
                                { text("h2", "", "", "Platforms") }
                                <table class="platforms" data-testid="platforms">
                                    { head_row(&["Platform", "Digest", "Image size", "Created", "Manifest bytes", "Media type"], "wide") }
                                    <tbody>{ for index.manifests.iter().map(|d| platform_row(d, summary.platforms.iter().find(|p| p.digest == d.digest), now, |digest| view_of(Reference::Digest(digest)))) }</tbody>
                                </table>
                                <p data-testid="index-total" data-size={summary.size.map(|s| s.to_string()).unwrap_or_default()}>
                                    { match summary.size {
                                        Some(total) => format!("All platforms together: {} to pull, each shared layer counted once.", human_size(total)),
                                        None => "All platforms together: not known (a platform could not be read).".to_string(),
                                    } }
                                </p>
                                { for failed.iter().map(|(digest, e)| error_box(e, Some(&format!("Reading {}", first_chars(digest, 19))))) }
                            </section>
                            </>
                        }},
                        ParsedManifest::Image(image) => match kind {
                            Kind::Image => {
                                let parsed = config.as_ref().map(|c| c.as_ref().map_err(Clone::clone).and_then(|bytes| ImageConfig::parse("the image config", bytes)));
                                html! { <>{ about_of_image(image, parsed.as_ref().and_then(|c| c.as_ref().ok())) }{ image_details(image, parsed.as_ref()) }</> }
                            }
                            Kind::Helm => html! {
                                <>
                                    { about_of_image(image, None) }
                                    { match config {
                                        Some(Ok(bytes)) => artifact_html(&props.registry, &props.repository, image, Some(HelmChart::parse(bytes))),
                                        Some(Err(e)) => html! { <>{ error_box(e, Some("Reading the chart's config")) }{ artifact_html(&props.registry, &props.repository, image, None) }</> },
                                        None => artifact_html(&props.registry, &props.repository, image, Some(Err("The chart's config was not read.".into()))),
                                    } }
                                </>
                            },
                            _ => html! { <>{ about_of_image(image, None) }{ artifact_html(&props.registry, &props.repository, image, None) }</> },
                        },
                        ParsedManifest::Schema1(s) => html! {
                            <div class="notice" data-testid="schema1">
                                { text("strong", "", "", "Read-only: schema 1 manifest. ") }{ SCHEMA1_EXPLANATION }
                                { el("p", "", "", owned(format!("Bound to {}:{} ({}).", s.name, s.tag, s.architecture))) }
                            </div>
                        },
                        ParsedManifest::Unknown => text("p", "muted", "", "Not an image or index Wharf knows how to show; the raw bytes are below."),
                    } }
                    if !m.media_type.is_schema1() {
                        <AttachmentsSection registry={props.registry.clone()} repository={props.repository.clone()} digest={m.digest.clone()} />
                    }
                    { raw_view(m, &raw) }
                </>
            }
        }
    };
    html! {
        <section>
            { crumbs(&props.registry, &props.repository, html! { <>{ " / " }{ el("strong", "", "", owned(props.reference.to_string())) }</> }) }
            <h1 class="reference">{ format!("{}:{}", props.repository, props.reference).replace(":sha256:", "@sha256:") }</h1>
            { body }
        </section>
    }
}

fn platform_row(d: &Descriptor, image: Option<&PlatformRow>, now: i64, view_of: impl Fn(Digest) -> View) -> Html {
    let platform = d.platform.as_ref().map(|p| p.label()).unwrap_or_else(|| "—".into());
    let link = match Digest::parse(&d.digest) {
        Ok(digest) => {
            html! { { link(route_for(&view_of(digest)), "", html! { <>{ digest_badge(&d.digest) }</> }) } }
        }
        Err(_) => code("", d.digest.clone()),
    };
    let attestation = d.is_attestation();
    html! {
        <tr class={attestation.then_some("attestation")} data-testid="platform-row" data-attestation={attestation.to_string()}
            data-platform={platform.clone()} data-size={image.and_then(|i| i.size).map(|s| s.to_string()).unwrap_or_default()}
            data-created={image.and_then(|i| i.created.clone()).unwrap_or_default()}>
            <td>
                if attestation {
                    <span class="badge" title="A buildx attestation manifest (provenance / SBOM), not a runnable image">{ "attestation" }</span>
                    { d.annotations.get(REFERENCE_DIGEST_ANNOTATION).map(|r| html! { <span class="muted">{ format!(" for {}", first_chars(r, 19)) }</span> }) }
                } else {
                    { platform }
                }
            </td>
            { el("td", "", "", link) }
            { el("td", "", "", if attestation { text("span", "muted", "", "—") } else { size_html(image.and_then(|i| i.size), "config and layers, compressed") }) }
            { el("td", "", "", if attestation { html! {} } else { created_html(image.and_then(|i| i.created.as_deref()), now) }) }
            <td title="the size of the platform's manifest document itself">{ human_size(d.size) }</td>
            { el("td", "wide", "", code("small", d.media_type.clone())) }
        </tr>
    }
}

/// The largest config blob the page reads (a chart's or artifact's config is small; this bounds a
/// hostile one).
const MAX_CONFIG: u64 = 4 * 1024 * 1024;

/// What an image manifest says about itself: its description (the manifest's annotation, else the
/// config's label) and the standard facts.
fn about_of_image(image: &ImageManifest, config: Option<&ImageConfig>) -> Html {
    let labels = config.and_then(|c| c.config.as_ref()).and_then(|c| c.labels.as_ref());
    let description =
        about::description(about::described_in(Some(&image.annotations)), None, about::described_in(labels));
    about_section(description.as_ref(), &about::standard_facts(&[Some(&image.annotations), labels]))
}

/// An artifact's type and layers, and a chart's metadata (in a chunk of their own).
fn artifact_html(
    registry: &RegistryUrl,
    repository: &Repository,
    image: &ImageManifest,
    helm: Option<Result<HelmChart, String>>,
) -> Html {
    let (artifact_type, layers) = about::artifact_layers(image);
    html! { <LazyArtifact registry={registry.clone()} repository={repository.clone()} {artifact_type} {layers} {helm} /> }
}

/// Media type, size, digest and how it compares with the registry's header.
fn summary(m: &FetchedManifest, same_origin: bool) -> Html {
    let check = match &m.header_check {
        HeaderCheck::Matches => {
            html! { <span class="ok" data-testid="digest-check" data-check="matches">{ "✓ equals the registry's Docker-Content-Digest" }</span> }
        }
        HeaderCheck::Absent => {
            // On this site's origin nothing is hidden: the registry did not send it.
            let why = if same_origin {
                "The registry sent no Docker-Content-Digest; the digest above is computed from the bytes."
            } else {
                "Docker-Content-Digest was absent, or hidden by CORS (add it to Access-Control-Expose-Headers); the digest above is computed from the bytes."
            };
            html! { <span class="warn" data-testid="digest-check" data-check="absent">{ why }</span> }
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
            { term("Media type", "", html! { <>{ text("span", "", "media-type", m.media_type.describe()) }{ " " }{ code("small", m.media_type.as_str().to_string()) }</> }) }
            { term("Size", "", owned(format!("{} bytes", m.bytes.len()))) }
            { term("Digest (sha256 of the bytes)", "", html! { <>{ el("code", "", "manifest-digest", owned(m.digest.to_string())) }<br />{ check }</> }) }
        </dl>
    }
}

/// The manifest as re-indented text or as the exact bytes.
fn raw_view(m: &FetchedManifest, raw: &UseStateHandle<bool>) -> Html {
    let set = |value: bool| {
        let raw = raw.clone();
        Callback::from(move |_| raw.set(value))
    };
    let shown = **raw;
    html! {
        <section>
            { text("h2", "", "", "Manifest") }
            <div class="tabs">
                <button class={(!shown).then_some("active")} onclick={set(false)} data-testid="show-pretty">{ "Pretty" }</button>
                <button class={shown.then_some("active")} onclick={set(true)} data-testid="show-raw">{ "Raw bytes" }</button>
            </div>
            <pre class="json" tabindex="0" aria-label="Manifest JSON" data-testid={if shown { "raw" } else { "pretty" }}>{ if shown { m.text() } else { m.pretty() } }</pre>
        </section>
    }
}

/// Image config and layers.
fn image_details(image: &ImageManifest, config: Option<&Result<ImageConfig, wharf_protocol::Error>>) -> Html {
    let config_html = match config {
        Some(Ok(c)) => config_view(c),
        Some(Err(e)) => error_box(e, Some("Loading the image config")),
        None => html! {},
    };
    html! {
        <>
            <section>
                { text("h2", "", "", "Image") }
                { config_html }
            </section>
            <section>
                { el("h2", "", "", owned(format!("Layers ({}, {} compressed)", image.layers.len(), human_size(image.total_layer_size())))) }
                <table class="layers" data-testid="layers">
                    { head_row(&["#", "Digest", "Size", "Media type"], "") }
                    <tbody>
                        { for image.layers.iter().enumerate().map(|(i, l)| {
                            row("layer-row", vec![owned((i + 1).to_string()), digest_badge(&l.digest), owned(human_size(l.size)), code("small", l.media_type.clone())])
                        }) }
                    </tbody>
                    <tfoot><tr><td></td>{ text("td", "", "", "Total") }{ el("td", "", "layers-total", owned(human_size(image.total_layer_size()))) }<td></td></tr></tfoot>
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
                { term("Created", "created", owned(c.created.clone().unwrap_or_else(|| "—".into()))) }
                { term("Platform", "platform", owned(platform)) }
                { term("Entrypoint", "", code("", joined(&rc.entrypoint))) }
                { term("Cmd", "", code("", joined(&rc.cmd))) }
                if let Some(dir) = rc.working_dir.filter(|d| !d.is_empty()) { { term("Working dir", "", code("", dir)) } }
                if let Some(user) = rc.user.filter(|u| !u.is_empty()) { { term("User", "", code("", user)) } }
                if let Some(ports) = rc.exposed_ports.filter(|p| !p.is_empty()) { { term("Ports", "", owned(ports.join(", "))) } }
            </dl>
            { text("h3", "", "", "Environment") }
            <ul class="env" data-testid="env">{ for rc.env.unwrap_or_default().into_iter().map(|e| el("li", "", "", code("", e))) }</ul>
            { text("h3", "", "", "Labels") }
            <table class="labels" data-testid="labels">
                <tbody>{ for rc.labels.unwrap_or_default().into_iter().map(|(k, v)| row("", vec![code("", k), value_or_link(&v)])) }</tbody>
            </table>
            { text("h3", "", "", "History") }
            <table class="history" data-testid="history">
                { head_row(&["Created", "Step", "Layer"], "") }
                <tbody>{ for c.history.iter().map(|h| html! {
                    <tr>{ el("td", "nowrap", "", owned(h.created.clone().unwrap_or_default())) }{ el("td", "", "", code("step", h.created_by.clone().unwrap_or_default())) }{ text("td", "", "", if h.empty_layer { "—" } else { "layer" }) }</tr>
                }) }</tbody>
            </table>
        </>
    }
}
