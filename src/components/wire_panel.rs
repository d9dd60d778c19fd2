//! "See the wire": every exchange the app made, newest first, each with "copy as curl".

use wharf_protocol::curl::Exchange;
use yew::prelude::*;

use crate::components::markup::{button, el, fixed, owned, text};
use crate::wire::{WireAction, WireLog};

/// How many rows the panel renders (the log keeps more; the count says so).
const ROWS_SHOWN: usize = 300;

/// Props of [`WirePanel`].
#[derive(Properties, PartialEq)]
pub struct WirePanelProps {
    /// The log (re-renders the panel, and only the panel, on every exchange).
    pub log: UseReducerHandle<WireLog>,
}

/// A drawer at the bottom of the page.
#[component]
pub fn WirePanel(props: &WirePanelProps) -> Html {
    let log = &props.log;
    let open = use_state(|| false);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let clear = {
        let log = log.clone();
        Callback::from(move |_| log.dispatch(WireAction::Clear))
    };
    let count = log.len();
    // The newest answer that stated a rate limit (Docker Hub's RateLimit-* headers, and others).
    let quota = log
        .newest(ROWS_SHOWN)
        .iter()
        .find_map(|e| wharf_protocol::rate_limit::quota(&e.response_headers).map(|q| (q, host_of(&e.url))));
    html! {
        <section class={if *open { "wire open" } else { "wire" }} data-testid="wire-panel">
            <div class="wire-bar">
                <button class="wire-toggle" onclick={toggle} data-testid="wire-toggle" aria-expanded={open.to_string()}>
                    { if *open { "▾ Wire" } else { "▸ Wire" } }{ format!(" ({count})") }
                </button>
                if let Some((quota, host)) = &quota {
                    <span class="rate-limit" data-testid="rate-limit" data-remaining={quota.remaining.to_string()}>
                        { format!("Rate limit{host}: {}", quota.describe()) }
                    </span>
                }
                if *open {
                    { text("span", "wire-note", "", "Every HTTP exchange this page made. Credentials are never shown.") }
                    { button("secondary", "", fixed("Clear"), false, clear) }
                }
            </div>
            if *open {
                <ol class="wire-list" reversed=true>
                    { for log.newest(ROWS_SHOWN).iter().map(|e| wire_row(e)) }
                </ol>
                if count > ROWS_SHOWN {
                    { el("p", "muted", "", owned(format!("{} older exchanges not shown.", count - ROWS_SHOWN))) }
                }
            }
        </section>
    }
}

/// " at host/prefix": the registry an exchange went to (what comes before `/v2/`).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.split_once("/v2/") {
        Some((registry, _)) if !registry.is_empty() => format!(" at {registry}"),
        _ => String::new(),
    }
}

/// One exchange: a summary line, and on opening the headers and the curl command.
fn wire_row(e: &Exchange) -> Html {
    let curl = e.to_curl();
    let copy = {
        let curl = curl.clone();
        Callback::from(move |_| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&curl);
            }
        })
    };
    let status_class = match e.status {
        Some(s) if s < 300 => "status ok",
        Some(s) if s < 400 => "status redirect",
        Some(_) => "status bad",
        None => "status failed",
    };
    let status = e.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into());
    html! {
        <li key={e.id} class="wire-row" data-testid="wire-row" data-method={e.method.as_str()} data-status={status.clone()}>
            <details>
                <summary>
                    { text("span", "method", "", e.method.as_str()) }
                    { el("span", "url", "", owned(e.url.clone())) }
                    { el("span", status_class, "", owned(status)) }
                    { el("span", "ms", "", owned(format!("{} ms", e.duration_ms.round() as u64))) }
                </summary>
                <div class="wire-detail">
                    if let Some(failure) = &e.failure {
                        { el("p", "field-error", "", owned(failure.clone())) }
                    }
                    { text("h4", "", "", "Request headers") }
                    <pre>{ for e.request_headers.iter().map(|(n, v)| format!("{n}: {v}\n")) }</pre>
                    if e.request_body_len > 0 {
                        { el("p", "muted", "", owned(format!("Request body: {} bytes", e.request_body_len))) }
                    }
                    { text("h4", "", "", "Response headers (as visible to the page)") }
                    <pre>{ for e.response_headers.iter().map(|(n, v)| format!("{n}: {v}\n")) }</pre>
                    { el("p", "muted", "", owned(format!("Response body: {} bytes", e.response_body_len))) }
                    { text("h4", "", "", "As curl") }
                    { el("pre", "curl", "curl", owned(curl)) }
                    <button onclick={copy} title="Copies the command to the clipboard">{ "Copy as curl" }</button>
                </div>
            </details>
        </li>
    }
}
