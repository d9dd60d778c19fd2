//! What an image or artifact says about itself (`wharf_protocol::about`), as text: its
//! description (one line on the tag list with the rest on demand, in full on the manifest page),
//! the other standard annotations, a Helm chart's metadata, and an artifact's layers with small
//! text layers readable in the page. Nothing from a registry is ever rendered as markup.

use wharf_protocol::about::{self, ArtifactLayer, Description, HelmChart};
use wharf_protocol::names::{Digest, Repository};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::units::human_size;
use yew::prelude::*;

use crate::components::digest_badge::digest_badge;
use crate::components::error_box::error_box;
use crate::components::load::{use_load, Load};
use crate::components::markup::{code, head_row, owned, term, text};
use crate::components::text::value_or_link;
use crate::connection::use_connection;

/// Longer than this, a one-line description is cut and the rest is behind "more".
const ONE_LINE: usize = 90;

/// A description under a tag: its first line, the rest in a `<details>` (opens with a click or
/// the keyboard, no script).
pub fn description_line(description: &Description) -> Html {
    let first = description.first_line().to_string();
    if !description.has_more() && first.chars().count() <= ONE_LINE {
        return html! { <p class="description" data-testid="tag-description">{ first }</p> };
    }
    html! {
        <details class="description" data-testid="tag-description">
            <summary>{ first }</summary>
            <p class="description-full">{ description.text.clone() }</p>
        </details>
    }
}

/// The manifest page's "About" section: the description in full and the standard facts.
pub fn about_section(description: Option<&Description>, facts: &[(&'static str, String)]) -> Html {
    if description.is_none() && facts.is_empty() {
        return html! {};
    }
    html! {
        <section class="about" data-testid="about">
            { text("h2", "", "", "About") }
            { match description {
                Some(d) => html! {
                    <>
                        <p class="description-full" data-testid="description" data-from={d.from.key()}>{ d.text.clone() }</p>
                        <p class="muted small">{ format!("From {}.", d.from.label()) }</p>
                    </>
                },
                None => html! {},
            } }
            if !facts.is_empty() {
                <dl class="summary" data-testid="standard-facts">
                    { for facts.iter().map(|(name, value)| html! {
                        <><dt>{ *name }</dt><dd data-testid="standard-fact" data-name={*name}>{ value_or_link(value) }</dd></>
                    }) }
                </dl>
            }
        </section>
    }
}

/// A Helm chart, from its config.
fn helm_section(chart: &Result<HelmChart, String>) -> Html {
    let chart = match chart {
        Ok(chart) => chart,
        Err(why) => {
            return html! { <section data-testid="helm-chart"><h2>{ "Helm chart" }</h2><p class="field-error">{ why.clone() }</p></section> }
        }
    };
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    html! {
        <section data-testid="helm-chart" data-name={chart.name.clone()} data-version={chart.version.clone()}>
            { text("h2", "", "", "Helm chart") }
            <dl class="summary">
                { term("Name", "helm-name", owned(chart.name.clone())) }
                { term("Version", "helm-version", owned(chart.version.clone())) }
                { term("App version", "helm-app-version", owned(or_dash(&chart.app_version))) }
                { term("Type", "helm-type", owned(chart.chart_type.clone())) }
                { term("Description", "helm-description", owned(or_dash(&chart.description))) }
                { term("API version", "", owned(or_dash(&chart.api_version))) }
                if let Some(home) = &chart.home { { term("Home", "", value_or_link(home)) } }
                if !chart.keywords.is_empty() { { term("Keywords", "", owned(chart.keywords.join(", "))) } }
            </dl>
            if chart.dependencies.is_empty() {
                <p class="muted" data-testid="helm-dependencies" data-count="0">{ "No dependencies." }</p>
            } else {
                <table data-testid="helm-dependencies" data-count={chart.dependencies.len().to_string()}>
                    <caption>{ "Dependencies" }</caption>
                    { head_row(&["Chart", "Version", "Repository"], "") }
                    <tbody>{ for chart.dependencies.iter().map(|d| html! {
                        <tr data-testid="helm-dependency" data-name={d.name.clone()}>
                            <td>{ d.name.clone() }</td><td>{ or_dash(&d.version) }</td>
                            <td>{ d.repository.as_deref().map(value_or_link).unwrap_or_else(|| owned("—".into())) }</td>
                        </tr>
                    }) }</tbody>
                </table>
            }
        </section>
    }
}

/// Props of [`ArtifactSection`].
#[derive(Properties, PartialEq, Clone)]
pub struct ArtifactProps {
    /// A Helm chart's metadata, read from its config (`None`: not a chart).
    #[prop_or_default]
    pub helm: Option<Result<HelmChart, String>>,
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
    /// `artifactType`, or the config's media type.
    pub artifact_type: Option<String>,
    /// Its layers.
    pub layers: Vec<ArtifactLayer>,
}

/// An artifact: its type, its layers by media type and file name, and small text layers shown on
/// demand.
#[component]
pub fn ArtifactSection(props: &ArtifactProps) -> Html {
    let shown = use_state(|| None::<String>);
    html! {
        <>
        if let Some(chart) = &props.helm { { helm_section(chart) } }
        <section data-testid="artifact" data-artifact-type={props.artifact_type.clone().unwrap_or_default()}>
            { text("h2", "", "", "Artifact") }
            <dl class="summary">
                { term("Artifact type", "artifact-type", code("", props.artifact_type.clone().unwrap_or_else(|| "— (none declared)".into()))) }
            </dl>
            <table data-testid="artifact-layers">
                <caption>{ format!("Layers ({})", props.layers.len()) }</caption>
                { head_row(&["File", "Media type", "Size", "Digest", ""], "") }
                <tbody>{ for props.layers.iter().map(|layer| {
                    let open = shown.as_deref() == Some(layer.digest.as_str());
                    let toggle = {
                        let (shown, digest) = (shown.clone(), layer.digest.clone());
                        Callback::from(move |_: MouseEvent| shown.set(if open { None } else { Some(digest.clone()) }))
                    };
                    let name = layer.title.clone().unwrap_or_else(|| "—".into());
                    html! {
                        <tr data-testid="artifact-layer" data-media-type={layer.media_type.clone()} data-title={layer.title.clone().unwrap_or_default()}>
                            <td>{ name.clone() }</td>
                            <td>{ code("small", layer.media_type.clone()) }</td>
                            <td>{ human_size(layer.size) }</td>
                            <td>{ digest_badge(&layer.digest) }</td>
                            <td>
                                if layer.shown_as_text {
                                    <button class="secondary small" onclick={toggle} aria-expanded={open.to_string()} data-testid="artifact-layer-show"
                                        aria-label={format!("{} {name}", if open { "Hide" } else { "Show" })}>
                                        { if open { "Hide" } else { "Show" } }
                                    </button>
                                } else if layer.size > about::MAX_SHOWN_LAYER {
                                    <span class="muted small">{ "too large to show" }</span>
                                }
                            </td>
                        </tr>
                    }
                }) }</tbody>
            </table>
            if let Some(digest) = (*shown).clone() {
                <h3>{ props.layers.iter().find(|l| l.digest == digest).and_then(|l| l.title.clone()).unwrap_or_else(|| "The layer".into()) }</h3>
                <LayerText registry={props.registry.clone()} repository={props.repository.clone()} {digest} />
            }
        </section>
        </>
    }
}

/// Props of [`LayerText`].
#[derive(Properties, PartialEq)]
struct LayerTextProps {
    registry: RegistryUrl,
    repository: Repository,
    digest: String,
}

/// One small layer's bytes as text (read when asked; its digest is checked by the blob read).
#[component]
fn LayerText(props: &LayerTextProps) -> Html {
    let connection = use_connection();
    let (loaded, _) = use_load(
        (props.registry.clone(), props.repository.clone(), props.digest.clone()),
        move |(registry, repository, digest)| async move {
            let digest = Digest::parse(&digest).map_err(wharf_protocol::Error::InvalidName)?;
            connection.registry(&registry).blob_get(&repository, &digest).await
        },
    );
    match &*loaded {
        Load::Loading => text("p", "muted", "", "Reading the layer…"),
        Load::Failed(e) => error_box(e, Some("Reading the layer")),
        Load::Ready(bytes) => match about::layer_text(bytes) {
            Some(text) => {
                html! { <pre class="layer-text" data-testid="artifact-layer-text" tabindex="0" aria-label="The layer's text">{ text }</pre> }
            }
            None => text("p", "muted", "artifact-layer-text", "This layer is not UTF-8 text."),
        },
    }
}
