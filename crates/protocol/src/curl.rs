//! The wire record: what one HTTP exchange looked like, and the same request as a curl command.
//!
//! Records are made by the transport for the "see the wire" panel. Credentials never enter a
//! record: `Authorization` (and cookies) are replaced before the record is stored.

use crate::http::{Headers, HttpRequest, HttpResponse, Method};

/// Headers whose values are secrets.
const SECRET_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];
/// What a secret header's value is replaced with.
pub const REDACTED: &str = "‹redacted›";

/// Request headers worth showing in the wire panel; the rest is noise.
const KEY_RESPONSE_HEADERS: [&str; 19] = [
    "content-type",
    "content-length",
    "docker-content-digest",
    "location",
    "link",
    "www-authenticate",
    "docker-distribution-api-version",
    "retry-after",
    "warning",
    "range",
    "docker-upload-uuid",
    // Rate limits (crate::rate_limit), shown in the wire bar.
    "ratelimit",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "oci-subject",
];

/// One exchange as shown in the wire panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Sequence number, from 1.
    pub id: u64,
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Request headers, secrets redacted.
    pub request_headers: Headers,
    /// Request body length.
    pub request_body_len: usize,
    /// Status, when a response arrived.
    pub status: Option<u16>,
    /// The key response headers (those visible to the client).
    pub response_headers: Headers,
    /// Response body length.
    pub response_body_len: usize,
    /// Time from send to the end of the body, in milliseconds.
    pub duration_ms: f64,
    /// Why there was no response.
    pub failure: Option<String>,
}

/// Copies request headers with secrets replaced.
pub fn redact(headers: &Headers) -> Headers {
    headers
        .iter()
        .map(|(n, v)| {
            let secret = SECRET_HEADERS.iter().any(|s| n.eq_ignore_ascii_case(s));
            (n.to_string(), if secret { REDACTED.to_string() } else { v.to_string() })
        })
        .collect()
}

impl Exchange {
    /// A record of a request and its outcome. `absolute_url` is the URL the browser resolved
    /// (same-origin requests are sent as paths).
    pub fn new(
        id: u64,
        request: &HttpRequest,
        absolute_url: String,
        outcome: Result<&HttpResponse, String>,
        duration_ms: f64,
    ) -> Self {
        let (status, response_headers, response_body_len, failure) = match outcome {
            Ok(r) => (
                Some(r.status),
                r.headers
                    .iter()
                    .filter(|(n, _)| KEY_RESPONSE_HEADERS.iter().any(|k| n.eq_ignore_ascii_case(k)))
                    .collect(),
                r.body.len(),
                None,
            ),
            Err(e) => (None, Headers::new(), 0, Some(e)),
        };
        Exchange {
            id,
            method: request.method,
            url: absolute_url,
            request_headers: redact(&request.headers),
            request_body_len: request.body.len(),
            status,
            response_headers,
            response_body_len,
            duration_ms,
            failure,
        }
    }

    /// The same request as a shell command. A body is read from a file the user provides
    /// (`manifest.json`): the panel does not keep bodies. Redacted headers become a `-u` prompt.
    pub fn to_curl(&self) -> String {
        let mut parts = vec!["curl".to_string()];
        match self.method {
            Method::Get => parts.push("-sS -D -".into()),
            Method::Head => parts.push("-sS -I".into()),
            other => parts.push(format!("-sS -D - -X {other}")),
        }
        let mut needs_login = false;
        for (name, value) in self.request_headers.iter() {
            if value == REDACTED {
                needs_login = true;
                continue;
            }
            parts.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
        }
        if needs_login {
            parts.push("-u \"$REGISTRY_USER\"".into());
        }
        if self.request_body_len > 0 {
            parts.push("--data-binary @manifest.json".into());
        }
        parts.push(shell_quote(&self.url));
        parts.join(" ")
    }
}

/// Single-quotes for POSIX shells.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_record_or_the_command() {
        let request = HttpRequest::new(Method::Put, "http://r/v2/a/manifests/b")
            .header("Authorization", "Basic dXNlcjpwYXNz")
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .body(b"{}".to_vec());
        let response =
            HttpResponse::status(201).header("Docker-Content-Digest", "sha256:x").header("Set-Cookie", "s=1");
        let exchange = Exchange::new(1, &request, request.url.clone(), Ok(&response), 3.5);
        assert_eq!(exchange.request_headers.get("authorization"), Some(REDACTED));
        assert_eq!(exchange.response_headers.get("set-cookie"), None, "only key headers kept");
        let curl = exchange.to_curl();
        assert!(!curl.contains("dXNlcjpwYXNz"), "{curl}");
        assert_eq!(
            curl,
            "curl -sS -D - -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' -u \"$REGISTRY_USER\" --data-binary @manifest.json 'http://r/v2/a/manifests/b'"
        );
    }

    #[test]
    fn get_and_failures() {
        let request = HttpRequest::new(Method::Get, "/v2/").header("Accept", "it's");
        let exchange = Exchange::new(2, &request, "http://here/v2/".into(), Err("unreachable".into()), 1.0);
        assert_eq!(exchange.status, None);
        assert_eq!(exchange.failure.as_deref(), Some("unreachable"));
        assert_eq!(exchange.to_curl(), r#"curl -sS -D - -H 'Accept: it'\''s' 'http://here/v2/'"#);
    }
}
