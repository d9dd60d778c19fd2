//! What a registry says of its rate limit: Docker Hub's `RateLimit-Limit: 100;w=21600` and
//! `RateLimit-Remaining: 76;w=21600`, the `X-RateLimit-*` forms (GitLab, Harbor behind some
//! proxies), and the IETF draft's single `RateLimit: limit=100, remaining=76, reset=30`.

use crate::http::Headers;

/// A registry's rate limit, as its latest answer stated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests left in the window.
    pub remaining: u64,
    /// Requests allowed per window, when said.
    pub limit: Option<u64>,
    /// The window's length in seconds (`w=`), when said.
    pub window_s: Option<u64>,
    /// Seconds until the window resets, when said.
    pub reset_s: Option<u64>,
}

/// The number at the start of a header value, and its `w=` window (`76;w=21600`).
fn count_and_window(value: &str) -> Option<(u64, Option<u64>)> {
    let mut parts = value.split(';');
    let count = parts.next()?.trim().parse().ok()?;
    let window = parts.find_map(|p| p.trim().strip_prefix("w=")).and_then(|w| w.trim().parse().ok());
    Some((count, window))
}

/// The quota a response's headers state, if any.
pub fn quota(headers: &Headers) -> Option<Quota> {
    for prefix in ["RateLimit-", "X-RateLimit-"] {
        let get = |name: &str| headers.get(&format!("{prefix}{name}"));
        if let Some((remaining, window)) = get("Remaining").and_then(count_and_window) {
            let limit = get("Limit").and_then(count_and_window);
            return Some(Quota {
                remaining,
                limit: limit.map(|(l, _)| l),
                window_s: window.or(limit.and_then(|(_, w)| w)),
                reset_s: get("Reset").and_then(|r| r.trim().parse().ok()),
            });
        }
    }
    let combined = headers.get("RateLimit")?;
    let field = |key: &str| {
        combined.split([',', ';']).find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().parse::<u64>().ok()).flatten()
        })
    };
    Some(Quota {
        remaining: field("remaining").or_else(|| field("r"))?,
        limit: field("limit"),
        window_s: None,
        reset_s: field("reset").or_else(|| field("t")),
    })
}

impl Quota {
    /// One line for people: "76 of 100 requests left per 6 h".
    pub fn describe(&self) -> String {
        let mut line = match self.limit {
            Some(limit) => format!("{} of {limit} requests left", self.remaining),
            None => format!("{} requests left", self.remaining),
        };
        if let Some(window) = self.window_s {
            line.push_str(&format!(" per {}", span(window)));
        }
        if let Some(reset) = self.reset_s {
            line.push_str(&format!(", resets in {}", span(reset)));
        }
        line
    }
}

/// Seconds as the largest whole unit that fits: "6 h", "15 min", "30 s".
fn span(seconds: u64) -> String {
    match seconds {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, v) in pairs {
            h.push(*n, *v);
        }
        h
    }

    #[test]
    fn the_forms_registries_send() {
        let hub =
            quota(&headers(&[("ratelimit-limit", "100;w=21600"), ("ratelimit-remaining", "76;w=21600")])).unwrap();
        assert_eq!(hub, Quota { remaining: 76, limit: Some(100), window_s: Some(21600), reset_s: None });
        assert_eq!(hub.describe(), "76 of 100 requests left per 6 h");
        let x = quota(&headers(&[
            ("X-RateLimit-Remaining", "9"),
            ("X-RateLimit-Limit", "10"),
            ("X-RateLimit-Reset", "90"),
        ]))
        .unwrap();
        assert_eq!(x.describe(), "9 of 10 requests left, resets in 90 s");
        let draft = quota(&headers(&[("RateLimit", "limit=100, remaining=50, reset=30")])).unwrap();
        assert_eq!(draft.describe(), "50 of 100 requests left, resets in 30 s");
        assert_eq!(quota(&headers(&[("Content-Type", "x")])), None);
        assert_eq!(quota(&headers(&[("RateLimit-Remaining", "lots")])), None);
    }
}
