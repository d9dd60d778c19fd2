//! `Link` header paging (RFC 8288) for catalog and tag lists.
//!
//! distribution sends a relative target (`</v2/_catalog?last=x&n=100>; rel="next"`), which must be
//! resolved against the URL that was requested. A client follows the Link as given and never builds
//! `last=` itself when a Link is present.

/// The `rel="next"` target of a Link header value, if any.
pub fn next_link(header: &str) -> Option<String> {
    split_outside_brackets(header).into_iter().find_map(|link| {
        let link = link.trim();
        let rest = link.strip_prefix('<')?;
        let (target, params) = rest.split_once('>')?;
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value.trim().trim_matches('"').split_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
        });
        is_next.then(|| target.trim().to_string())
    })
}

/// Splits a header value at commas that are not inside `<...>` or quotes.
fn split_outside_brackets(header: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_angle, mut in_quote, mut start) = (false, false, 0);
    for (i, c) in header.char_indices() {
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            ',' if !in_angle && !in_quote => {
                parts.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts
}

/// Resolves `target` against the URL it came from. `base` may be absolute (`http://host/v2/x`) or
/// origin-relative (`/v2/x`, when the registry is the page's own origin).
pub fn resolve(base: &str, target: &str) -> String {
    if target.starts_with("http://") || target.starts_with("https://") {
        return target.to_string();
    }
    let (scheme, after_scheme) = match base.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, base),
    };
    let (authority, path_and_query) = match scheme {
        Some(_) => match after_scheme.find('/') {
            Some(i) => (&after_scheme[..i], &after_scheme[i..]),
            None => (after_scheme, "/"),
        },
        None => ("", after_scheme),
    };
    let origin = scheme.map(|s| format!("{s}://{authority}")).unwrap_or_default();
    if let Some(rest) = target.strip_prefix("//") {
        return match scheme {
            Some(s) => format!("{s}://{rest}"),
            None => format!("//{rest}"),
        };
    }
    if target.starts_with('/') {
        return format!("{origin}{target}");
    }
    let path = path_and_query.split(['?', '#']).next().unwrap_or("/");
    if target.starts_with('?') {
        return format!("{origin}{path}{target}");
    }
    let directory = &path[..path.rfind('/').map(|i| i + 1).unwrap_or(0)];
    format!("{origin}{directory}{target}")
}

/// Guards against registries whose Link points back at a page already fetched.
#[derive(Debug, Default)]
pub struct PageWalk {
    seen: std::collections::HashSet<String>,
    /// Pages fetched so far.
    pub pages: usize,
}

impl PageWalk {
    /// Most pages any listing follows before giving up (1,000 pages of 1,000 entries).
    pub const MAX_PAGES: usize = 1000;

    /// Records a URL about to be fetched; false when it was fetched before or the limit is reached.
    pub fn visit(&mut self, url: &str) -> bool {
        self.pages += 1;
        self.pages <= Self::MAX_PAGES && self.seen.insert(url.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_forms() {
        let table: [(&str, Option<&str>); 7] = [
            (r#"</v2/_catalog?last=b&n=2>; rel="next""#, Some("/v2/_catalog?last=b&n=2")),
            (r#"<https://r/v2/x/tags/list?next_page=abc>;rel=next"#, Some("https://r/v2/x/tags/list?next_page=abc")),
            (r#"</a>; rel="prev", </b>; rel="next""#, Some("/b")),
            (r#"</a,b>; rel="next""#, Some("/a,b")),
            (r#"</a>; rel="first next""#, Some("/a")),
            (r#"</a>; rel="prev""#, None),
            ("garbage", None),
        ];
        for (header, expected) in table {
            assert_eq!(next_link(header).as_deref(), expected, "{header}");
        }
    }

    #[test]
    fn resolution() {
        let table = [
            ("http://r:5000/v2/_catalog?n=2", "/v2/_catalog?last=b&n=2", "http://r:5000/v2/_catalog?last=b&n=2"),
            ("http://r:5000/v2/_catalog", "https://other/v2/_catalog?x", "https://other/v2/_catalog?x"),
            ("http://r:5000/v2/a/tags/list", "list?last=x", "http://r:5000/v2/a/tags/list?last=x"),
            ("http://r:5000/v2/a/tags/list?n=1", "?last=x", "http://r:5000/v2/a/tags/list?last=x"),
            ("https://r/v2/a", "//cdn/x", "https://cdn/x"),
            ("/v2/_catalog?n=1000", "/v2/_catalog?last=z&n=1000", "/v2/_catalog?last=z&n=1000"),
            ("/v2/a/tags/list", "list?last=x", "/v2/a/tags/list?last=x"),
            ("http://r:5000", "/v2/x", "http://r:5000/v2/x"),
        ];
        for (base, target, expected) in table {
            assert_eq!(resolve(base, target), expected, "{base} + {target}");
        }
    }

    #[test]
    fn page_walk_stops_on_repeats() {
        let mut walk = PageWalk::default();
        assert!(walk.visit("/a"));
        assert!(walk.visit("/b"));
        assert!(!walk.visit("/a"));
    }
}
