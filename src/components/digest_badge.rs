//! A digest shown short, with a colour derived from it so equal digests look alike.

use wharf_protocol::state::Stored;
use wharf_protocol::tags::digest_hue;
use wharf_protocol::units::first_chars;
use yew::prelude::*;

use crate::components::markup::{code, text};

/// `● sha256:0123456789ab`, full digest in the tooltip and in `data-digest`. A plain function,
/// not a component: it has no state, and every component type adds to the page's weight.
pub fn digest_badge(digest: &str) -> Html {
    let short = match digest.split_once(':') {
        Some((alg, hex)) => format!("{alg}:{}", first_chars(hex, 12)),
        None => digest.to_string(),
    };
    // A class per 15° of hue rather than an inline style: the deployment's CSP forbids inline styles.
    let swatch = format!("swatch hue-{}", digest_hue(digest) / 15);
    html! {
        <span class="digest" title={digest.to_string()} data-digest={digest.to_string()}>
            <span class={swatch}></span>{ code("", short) }
        </span>
    }
}

/// How a stored tag compares with its source (shared by the retag and copy results).
pub fn stored_badge(stored: &Stored) -> Html {
    match stored {
        Stored::Verified => text("span", "ok", "digest-equal", " ✓ equals the source"),
        Stored::Differs { .. } => text("span", "bad", "digest-differs", " ✗ differs from the source"),
        Stored::Unverifiable => text("span", "warn", "", " (not verifiable: header hidden)"),
    }
}
