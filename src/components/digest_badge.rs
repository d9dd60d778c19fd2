//! A digest shown short, with a colour derived from it so equal digests look alike.

use wharf_protocol::tags::digest_hue;
use yew::prelude::*;

/// Props of [`DigestBadge`].
#[derive(Properties, PartialEq)]
pub struct DigestBadgeProps {
    /// Full digest.
    pub digest: AttrValue,
}

/// `● sha256:0123456789ab`, full digest in the tooltip and in `data-digest`.
#[component]
pub fn DigestBadge(props: &DigestBadgeProps) -> Html {
    let digest = props.digest.as_str();
    let short = match digest.split_once(':') {
        Some((alg, hex)) => format!("{alg}:{}", &hex[..hex.len().min(12)]),
        None => digest.to_string(),
    };
    let style = format!("background: hsl({}, 65%, 45%)", digest_hue(digest));
    html! {
        <span class="digest" title={props.digest.clone()} data-digest={props.digest.clone()}>
            <span class="swatch" {style}></span><code>{ short }</code>
        </span>
    }
}
