//! How a glance's facts read: ages with the exact time on hover, sizes, kinds, platforms.

use wharf_protocol::glance::Summary;
use wharf_protocol::kind::Kind;
use wharf_protocol::time::{age, parse_rfc3339};
use wharf_protocol::units::human_size;
use yew::prelude::*;

/// Seconds since the epoch on the browser's clock.
pub fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// "3 days ago", with the date as the image states it on hover; a `created` that is not a date
/// is shown as written.
pub fn created_html(created: Option<&str>, now: i64) -> Html {
    match created {
        None => html! { <span class="muted">{ "…" }</span> },
        Some(text) => match parse_rfc3339(text) {
            Some(at) => html! { <time datetime={text.to_string()} title={text.to_string()}>{ age(now, at) }</time> },
            None => html! { <span class="muted" title="not an RFC 3339 date">{ text.to_string() }</span> },
        },
    }
}

/// The image size, or a placeholder while not known.
pub fn size_html(size: Option<u64>, title: &'static str) -> Html {
    match size {
        Some(bytes) => html! { <span class="nowrap" {title}>{ human_size(bytes) }</span> },
        None => html! { <span class="muted">{ "…" }</span> },
    }
}

/// The kind, with an artifact's type under it.
pub fn kind_html(kind: Option<&Kind>) -> Html {
    match kind {
        None => html! { <span class="muted">{ "…" }</span> },
        Some(kind) => html! {
            <>
                <span class={format!("kind kind-{}", kind.key())}>{ Kind::key_label(kind.key()) }</span>
                if let Some(t) = kind.artifact_type() { <div class="muted small artifact-type">{ t.to_string() }</div> }
            </>
        },
    }
}

/// The platforms, joined by `separator` (`", "` to read, `","` in `data-platforms`).
pub fn platforms_text(summary: &Summary, separator: &str) -> String {
    summary.platforms.iter().map(|p| p.platform.as_str()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(separator)
}
