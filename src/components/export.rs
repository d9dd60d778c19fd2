//! "Export as script" under a change's result and on each journal entry: the bash script that
//! replays the change (`wharf_protocol::script`), shown in a text area with copy and download.
//! The script is made when the button is pressed, not on every render.

use std::rc::Rc;

use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::script::Script;
use yew::prelude::*;

use crate::components::pull::copy_to_clipboard;

/// A registry as a script reaches it: its URL, with the page's origin written out for a
/// same-origin or path registry (a script does not run in the page).
pub fn registry_for_script(registry: &RegistryUrl) -> String {
    let origin = || web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    match registry {
        RegistryUrl::SameOrigin => origin(),
        RegistryUrl::Path(path) => format!("{}{path}", origin()),
        RegistryUrl::Origin(url) => url.clone(),
    }
}

/// Props of [`ExportScript`].
#[derive(Properties, PartialEq)]
pub struct ExportProps {
    /// Makes the script (`None`: nothing to replay).
    pub build: Callback<(), Option<Script>>,
    /// The file name to download it as, without `.sh`.
    pub name: AttrValue,
}

/// The export button and, once pressed, the script.
#[component]
pub fn ExportScript(props: &ExportProps) -> Html {
    let shown = use_state(|| None::<Rc<String>>);
    let copied = use_state(|| false);
    let toggle = {
        let (shown, build) = (shown.clone(), props.build.clone());
        Callback::from(move |_: MouseEvent| match &*shown {
            Some(_) => shown.set(None),
            None => shown.set(Some(Rc::new(build.emit(()).map(|s| s.render()).unwrap_or_default()))),
        })
    };
    let Some(text) = (*shown).clone() else {
        return html! { <button class="secondary small" onclick={toggle} data-testid="export-script">{ "Export as script" }</button> };
    };
    if text.is_empty() {
        return html! {
            <div class="export">
                <button class="secondary small" onclick={toggle} data-testid="export-script">{ "Hide the script" }</button>
                <p class="muted small" data-testid="export-script-empty">{ "Nothing to replay: this change did not write anything." }</p>
            </div>
        };
    }
    let copy = {
        let (text, copied) = (text.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            copy_to_clipboard(&text);
            copied.set(true);
        })
    };
    let href = format!("data:text/x-shellscript;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&text)));
    html! {
        <div class="export">
            <button class="secondary small" onclick={toggle} data-testid="export-script">{ "Hide the script" }</button>
            <p class="muted small">{ "Plain bash with curl and sha256sum. Set REGISTRY (and TARGET_REGISTRY) to run it elsewhere; credentials come from REGISTRY_USER and REGISTRY_PASSWORD, or REGISTRY_TOKEN. It stops an item, writing nothing, when its source is no longer the image used here." }</p>
            <textarea readonly=true rows="14" wrap="off" class="script" aria-label="The exported script" data-testid="export-script-text" value={(*text).clone()} />
            <div class="row">
                <button class="secondary small" onclick={copy} data-testid="export-script-copy">{ if *copied { "Copied" } else { "Copy" } }</button>
                <a class="button small" href={href} download={format!("{}.sh", props.name)} data-testid="export-script-download">{ "Download" }</a>
            </div>
        </div>
    }
}
