//! Where the registry is, and the requests of the API, built as plain data.
//!
//! Each builder is a pure function, so the exact URL, headers and body of every request can be
//! checked in a table test. Repository names keep their `/` unencoded (the API requires that);
//! query values are percent-encoded.

use std::fmt;

use crate::http::{HttpRequest, Method};
use crate::media::MANIFEST_ACCEPT;
use crate::names::{Digest, Reference, Repository};

/// Where the registry's `/v2/` lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegistryUrl {
    /// The page's own origin: Wharf is served beside `/v2/` by a reverse proxy. No CORS needed.
    SameOrigin,
    /// Another origin, such as `http://127.0.0.1:5000`: scheme, host and optional port, no path.
    Origin(String),
}

/// Why a registry address was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryUrlError(pub String);

impl fmt::Display for RegistryUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl RegistryUrl {
    /// The keyword that stands for [`RegistryUrl::SameOrigin`] in config files and links.
    pub const SAME_ORIGIN: &'static str = "same-origin";

    /// Accepts what a user types: `same-origin`, `https://host`, `http://host:5000/`, `host:5000`,
    /// or a URL ending in `/v2/`. Without a scheme, loopback hosts get `http`, others `https`.
    pub fn parse(input: &str) -> Result<Self, RegistryUrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(RegistryUrlError(
                "Enter a registry address, such as http://127.0.0.1:5000, or choose “same origin”.".into(),
            ));
        }
        if input.eq_ignore_ascii_case(Self::SAME_ORIGIN) || input == "/" {
            return Ok(RegistryUrl::SameOrigin);
        }
        let (scheme, rest) = match input.split_once("://") {
            Some((s, rest)) => (s.to_ascii_lowercase(), rest),
            None => {
                let host = input.split(['/', ':']).next().unwrap_or("");
                let local = host == "localhost" || host.starts_with("127.") || host == "[::1]";
                (if local { "http" } else { "https" }.to_string(), input)
            }
        };
        if scheme != "http" && scheme != "https" {
            return Err(RegistryUrlError(format!("“{scheme}:” is not supported: use http:// or https://.")));
        }
        let rest = rest.trim_end_matches('/');
        let rest = rest.strip_suffix("/v2").unwrap_or(rest);
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() {
            return Err(RegistryUrlError("The address has no host.".into()));
        }
        if authority.contains(['/', '?', '#', '@', ' ']) {
            return Err(RegistryUrlError(format!(
                "“{input}” is not a registry address: give the scheme, host and port only (registries serve the API at /v2/ of their root)."
            )));
        }
        // An IPv6 literal without a port ends in `]`; its colons are not a port separator.
        if !authority.ends_with(']') {
            if let Some((_, port)) = authority.rsplit_once(':') {
                if !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err() {
                    return Err(RegistryUrlError(format!("“{port}” is not a port number.")));
                }
            }
        }
        Ok(RegistryUrl::Origin(format!("{scheme}://{}", authority.to_ascii_lowercase())))
    }

    /// The prefix every API path is appended to ("" for the same origin).
    pub fn prefix(&self) -> &str {
        match self {
            RegistryUrl::SameOrigin => "",
            RegistryUrl::Origin(o) => o,
        }
    }

    /// A name for headings: the host, or "this site's registry".
    pub fn display_name(&self) -> String {
        match self {
            RegistryUrl::SameOrigin => "same-origin registry".to_string(),
            RegistryUrl::Origin(o) => o.split_once("://").map(|(_, h)| h).unwrap_or(o).to_string(),
        }
    }

    /// `http://host:port/v2/` + path.
    pub fn api_url(&self, path: &str) -> String {
        format!("{}/v2/{}", self.prefix(), path)
    }
}

impl fmt::Display for RegistryUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryUrl::SameOrigin => f.write_str(Self::SAME_ORIGIN),
            RegistryUrl::Origin(o) => f.write_str(o),
        }
    }
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Page size asked of the catalog: distribution refuses more than its `catalog.maxentries`
/// (default 1000) with 400 instead of clamping.
pub const CATALOG_PAGE_SIZE: usize = 1000;

/// `GET /v2/` (with the trailing slash: distribution redirects `/v2`).
pub fn ping(registry: &RegistryUrl) -> HttpRequest {
    HttpRequest::new(Method::Get, registry.api_url(""))
}

/// `GET /v2/_catalog?n=`: the first catalog page.
pub fn catalog(registry: &RegistryUrl, page_size: usize) -> HttpRequest {
    HttpRequest::new(Method::Get, registry.api_url(&format!("_catalog?n={page_size}")))
}

/// `GET /v2/<name>/tags/list`: no Accept list here (Artifactory answered 406 to it) and no `n`
/// (distribution 2.8 ignores it; newer ones page with Link, which is followed).
pub fn tag_list(registry: &RegistryUrl, repository: &Repository) -> HttpRequest {
    HttpRequest::new(Method::Get, registry.api_url(&format!("{repository}/tags/list")))
}

/// A GET of a page URL given by a `Link` header.
pub fn next_page(url: &str) -> HttpRequest {
    HttpRequest::new(Method::Get, url)
}

/// `GET /v2/<name>/manifests/<reference>` with the full Accept list.
pub fn manifest_get(registry: &RegistryUrl, repository: &Repository, reference: &Reference) -> HttpRequest {
    HttpRequest::new(Method::Get, manifest_url(registry, repository, reference)).header("Accept", MANIFEST_ACCEPT)
}

/// `HEAD /v2/<name>/manifests/<reference>` with the full Accept list (for the digest header).
pub fn manifest_head(registry: &RegistryUrl, repository: &Repository, reference: &Reference) -> HttpRequest {
    HttpRequest::new(Method::Head, manifest_url(registry, repository, reference)).header("Accept", MANIFEST_ACCEPT)
}

/// `PUT /v2/<name>/manifests/<reference>`: the exact bytes, as bytes, with the manifest's own
/// media type (a string body would go out as text/plain and be parsed as schema 1).
pub fn manifest_put(
    registry: &RegistryUrl,
    repository: &Repository,
    reference: &Reference,
    media_type: &str,
    bytes: Vec<u8>,
) -> HttpRequest {
    HttpRequest::new(Method::Put, manifest_url(registry, repository, reference))
        .header("Content-Type", media_type)
        .body(bytes)
}

/// `GET /v2/<name>/blobs/<digest>`.
pub fn blob_get(registry: &RegistryUrl, repository: &Repository, digest: &Digest) -> HttpRequest {
    HttpRequest::new(Method::Get, registry.api_url(&format!("{repository}/blobs/{digest}")))
}

fn manifest_url(registry: &RegistryUrl, repository: &Repository, reference: &Reference) -> String {
    registry.api_url(&format!("{repository}/manifests/{reference}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_addresses() {
        let ok = [
            ("same-origin", RegistryUrl::SameOrigin),
            ("http://127.0.0.1:5000", RegistryUrl::Origin("http://127.0.0.1:5000".into())),
            ("http://127.0.0.1:5000/", RegistryUrl::Origin("http://127.0.0.1:5000".into())),
            ("http://127.0.0.1:5000/v2/", RegistryUrl::Origin("http://127.0.0.1:5000".into())),
            ("127.0.0.1:5000", RegistryUrl::Origin("http://127.0.0.1:5000".into())),
            ("localhost:5000", RegistryUrl::Origin("http://localhost:5000".into())),
            ("registry.example.com", RegistryUrl::Origin("https://registry.example.com".into())),
            ("HTTPS://Registry.Example.com", RegistryUrl::Origin("https://registry.example.com".into())),
        ];
        for (input, expected) in ok {
            assert_eq!(RegistryUrl::parse(input).unwrap(), expected, "{input}");
        }
        for bad in
            ["", "ftp://x", "http://", "http://host/some/path", "http://user@host", "ftp:x", "host:99999", "host:"]
        {
            assert!(RegistryUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_table() {
        let reg = RegistryUrl::Origin("http://r:5000".into());
        let repo = Repository::parse("team/app/api").unwrap();
        let tag = Reference::parse("v1").unwrap();
        let table = [
            (ping(&reg), Method::Get, "http://r:5000/v2/"),
            (catalog(&reg, 1000), Method::Get, "http://r:5000/v2/_catalog?n=1000"),
            (tag_list(&reg, &repo), Method::Get, "http://r:5000/v2/team/app/api/tags/list"),
            (manifest_get(&reg, &repo, &tag), Method::Get, "http://r:5000/v2/team/app/api/manifests/v1"),
            (manifest_head(&reg, &repo, &tag), Method::Head, "http://r:5000/v2/team/app/api/manifests/v1"),
        ];
        for (request, method, url) in table {
            assert_eq!(request.method, method);
            assert_eq!(request.url, url);
        }
        assert_eq!(manifest_get(&reg, &repo, &tag).headers.get("accept"), Some(MANIFEST_ACCEPT));
        assert_eq!(tag_list(&reg, &repo).headers.get("accept"), None);
        let put = manifest_put(&reg, &repo, &tag, "application/x", b"{}".to_vec());
        assert_eq!(put.headers.get("Content-Type"), Some("application/x"));
        assert_eq!(put.body, b"{}");
        assert_eq!(ping(&RegistryUrl::SameOrigin).url, "/v2/");
    }

    #[test]
    fn query_encoding() {
        assert_eq!(encode_query_value("a/b c&d=é"), "a%2Fb%20c%26d%3D%C3%A9");
        assert_eq!(encode_query_value("Az09-._~"), "Az09-._~");
    }
}
