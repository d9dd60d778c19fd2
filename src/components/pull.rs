//! Pull commands: a chooser of tool and pinning, and one-click copy to the clipboard.

use wharf_protocol::kind::Kind;
use wharf_protocol::pull::{pull_command, tools_for, PublicName, Tool};
use yew::prelude::*;

/// Copies `text` to the clipboard (the browser may refuse outside a click; nothing else happens).
pub fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// A `<select>` of the tools that make sense for `kind`; emits the chosen one.
pub fn tool_select(kind: Option<&Kind>, chosen: Tool, onchoose: Callback<Tool>, testid: &'static str) -> Html {
    let tools = tools_for(kind);
    let chosen = if tools.contains(&chosen) { chosen } else { tools[0] };
    let onchange = Callback::from(move |e: Event| {
        let name = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
        if let Some(tool) = tools.iter().find(|t| t.name() == name) {
            onchoose.emit(*tool);
        }
    });
    html! {
        <select {onchange} aria-label="Pull with" data-testid={testid}>
            { for tools.iter().map(|t| html! { <option value={t.name()} selected={*t == chosen}>{ t.name() }</option> }) }
        </select>
    }
}

/// Props of [`PullBox`].
#[derive(Properties, PartialEq)]
pub struct PullProps {
    /// The registry's public name.
    pub public: PublicName,
    /// The repository.
    pub repository: String,
    /// The tag, when the content was opened by one.
    pub tag: Option<String>,
    /// The digest, once known.
    pub digest: Option<String>,
    /// The kind of content, once known.
    pub kind: Option<Kind>,
}

/// The pull command of one manifest, by tag or pinned by digest, for the tool chosen.
#[component]
pub fn PullBox(props: &PullProps) -> Html {
    let tool = use_state(|| Tool::Docker);
    let pinned = use_state(|| props.tag.is_none());
    let copied = use_state(|| false);
    let tools = tools_for(props.kind.as_ref());
    let chosen = if tools.contains(&*tool) { *tool } else { tools[0] };
    let reference = match (&props.tag, &props.digest) {
        (Some(tag), _) if !*pinned => Some(tag.clone()),
        (_, Some(digest)) => Some(digest.clone()),
        (Some(tag), None) => Some(tag.clone()),
        (None, None) => None,
    };
    let Some(reference) = reference else { return html! {} };
    let command = pull_command(chosen, &props.public, &props.repository, &reference);
    let onchoose = {
        let (tool, copied) = (tool.clone(), copied.clone());
        Callback::from(move |t| {
            tool.set(t);
            copied.set(false);
        })
    };
    let onpin = {
        let (pinned, copied) = (pinned.clone(), copied.clone());
        Callback::from(move |_| {
            pinned.set(!*pinned);
            copied.set(false);
        })
    };
    let oncopy = {
        let (command, copied) = (command.clone(), copied.clone());
        Callback::from(move |_| {
            copy_to_clipboard(&command);
            copied.set(true);
        })
    };
    html! {
        <div class="pull" data-testid="pull-box">
            <span class="muted">{ "Pull with " }</span>
            { tool_select(props.kind.as_ref(), chosen, onchoose, "pull-tool") }
            if props.tag.is_some() && props.digest.is_some() {
                <label class="small"><input type="checkbox" checked={*pinned} onclick={onpin} data-testid="pull-pinned" />{ " pinned by digest" }</label>
            }
            <code data-testid="pull-command">{ command }</code>
            <button class="secondary" onclick={oncopy} data-testid="pull-copy">{ if *copied { "Copied" } else { "Copy" } }</button>
            if props.public.guessed { <p class="muted small" data-testid="pull-guessed">{ wharf_protocol::pull::GUESSED_NOTE }</p> }
        </div>
    }
}
