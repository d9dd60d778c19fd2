//! "Open a tag or digest": the way to an image where the registry does not list tags (the
//! container-registry crate serves no tag list; a repository whose tags were all deleted still
//! holds manifests by digest). It opens the manifest view, from which retag, copy and delete go
//! on as usual.

use wharf_protocol::address::View;
use wharf_protocol::names::{Reference, Repository};
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;

use crate::router::{navigate, route_for};

/// Props of [`OpenReference`].
#[derive(Properties, PartialEq)]
pub struct OpenReferenceProps {
    /// Which registry.
    pub registry: RegistryUrl,
    /// Which repository.
    pub repository: Repository,
}

/// A field for a tag or a digest, and a button that opens its manifest.
#[component]
pub fn OpenReference(props: &OpenReferenceProps) -> Html {
    let value = use_state(String::new);
    let problem = use_state(|| None::<String>);
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| value.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let onsubmit = {
        let (value, problem, registry, repository) =
            (value.clone(), problem.clone(), props.registry.clone(), props.repository.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match Reference::parse(value.trim()) {
                Ok(reference) => {
                    problem.set(None);
                    let view = View::Manifest { registry: registry.clone(), repository: repository.clone(), reference };
                    navigate(&route_for(&view), false);
                }
                Err(e) => problem.set(Some(format!("{e}. Nothing was sent."))),
            }
        })
    };
    html! {
        <form class="open-by-name" {onsubmit} data-testid="open-ref-form">
            <label for="open-ref">{ "Open a tag or digest" }</label>
            <input id="open-ref" type="text" placeholder="latest or sha256:…" value={(*value).clone()} {oninput} data-testid="open-ref-input" />
            <button type="submit">{ "Open" }</button>
            if let Some(p) = &*problem {
                <span class="field-error" data-testid="open-ref-error">{ p.clone() }</span>
            }
        </form>
    }
}
