//! Text from the registry, shown inert. Labels, annotations and history are attacker-controlled:
//! they are rendered as text nodes, and only `http:`/`https:` values become links.

use yew::prelude::*;

/// Whether a value may become a link.
pub fn is_web_url(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !value.contains(char::is_whitespace)
}

/// A value as a link when it is an http(s) URL, as text otherwise.
pub fn value_or_link(value: &str) -> Html {
    if is_web_url(value) {
        html! { <a href={value.to_string()} target="_blank" rel="noopener noreferrer">{ value.to_string() }</a> }
    } else {
        html! { { value.to_string() } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_link() {
        assert!(is_web_url("https://github.com/x"));
        assert!(is_web_url("HTTP://x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url(" javascript:alert(1)//https://"));
        assert!(!is_web_url("data:text/html,<script>"));
        assert!(!is_web_url("https://x y"));
    }
}
