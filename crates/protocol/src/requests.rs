//! Where the registry is, and the requests of the API, built as plain data.
//!
//! Each builder is a pure function, so the exact URL, headers and body of every request can be
//! checked in a table test. Repository names keep their `/` unencoded (the API requires that);
//! query values are percent-encoded.

use std::fmt;

use crate::http::{HttpRequest, Method};
use crate::media::MANIFEST_ACCEPT;
use crate::names::{Digest, Reference, Repository, Tag};

/// Where the registry's `/v2/` lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegistryUrl {
    /// The page's own origin: Wharf is served beside `/v2/` by a reverse proxy. No CORS needed.
    SameOrigin,
    /// A path on the page's own origin, such as `/hub`: a gateway that proxies registries under
    /// path prefixes (`/hub/v2/…`). No leading origin, no trailing slash.
    Path(String),
    /// Another origin, such as `http://127.0.0.1:5000`: scheme, host and optional port, and an
    /// optional path prefix (`https://gw.example.com/hub`), without a trailing slash.
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

/// Checks a path prefix (`/hub`, `/artifactory/api/docker/main`): segments of URL-safe
/// characters, none empty or a dot segment. Returns it without a trailing `/v2`.
fn path_prefix(input: &str, path: &str) -> Result<String, RegistryUrlError> {
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix("/v2").unwrap_or(path).trim_end_matches('/');
    let bad = |why: &str| RegistryUrlError(format!("“{input}” is not a registry address: {why}."));
    for segment in path.split('/').skip(1) {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(bad("its path has an empty or dot segment"));
        }
        if !segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+".contains(&b)) {
            return Err(bad("its path may hold letters, digits and - . _ ~ + only"));
        }
        // The API's own root: a prefix holding it would be cut at the wrong `/v2/`.
        if segment == "v2" {
            return Err(bad("its path may not hold a v2 segment before the API's own /v2/"));
        }
    }
    Ok(path.to_string())
}

impl RegistryUrl {
    /// The keyword that stands for [`RegistryUrl::SameOrigin`] in config files and links.
    pub const SAME_ORIGIN: &'static str = "same-origin";

    /// Accepts what a user types: `same-origin`, `/hub` (a path on this site), `https://host`,
    /// `http://host:5000/`, `host:5000`, `https://gw.example.com/hub`, or any of these ending in
    /// `/v2/`. Without a scheme, loopback hosts get `http`, others `https`.
    pub fn parse(input: &str) -> Result<Self, RegistryUrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(RegistryUrlError(
                "Enter a registry address, such as http://127.0.0.1:5000, or choose “same origin”.".into(),
            ));
        }
        if input.eq_ignore_ascii_case(Self::SAME_ORIGIN) || input == "/" || input == "/v2" || input == "/v2/" {
            return Ok(RegistryUrl::SameOrigin);
        }
        if input.starts_with('/') && !input.starts_with("//") {
            let path = path_prefix(input, input)?;
            return Ok(if path.is_empty() { RegistryUrl::SameOrigin } else { RegistryUrl::Path(path) });
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
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], path_prefix(input, &rest[at..])?),
            None => (rest, String::new()),
        };
        if authority.is_empty() {
            return Err(RegistryUrlError("The address has no host.".into()));
        }
        if authority.contains(['?', '#', '@', ' ']) || path.contains(['?', '#', '@', ' ']) {
            return Err(RegistryUrlError(format!(
                "“{input}” is not a registry address: give the scheme, host, port and, for a registry under a path, the path (the API is at <address>/v2/)."
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
        Ok(RegistryUrl::Origin(format!("{scheme}://{}{path}", authority.to_ascii_lowercase())))
    }

    /// The prefix every API path is appended to ("" for the same origin, `/hub` for a path on it).
    pub fn prefix(&self) -> &str {
        match self {
            RegistryUrl::SameOrigin => "",
            RegistryUrl::Path(p) | RegistryUrl::Origin(p) => p,
        }
    }

    /// Whether the browser reaches it on the page's own origin (no CORS involved).
    pub fn is_same_origin(&self) -> bool {
        !matches!(self, RegistryUrl::Origin(_))
    }

    /// The path prefix in front of `/v2/` ("" for a registry at its host's root).
    pub fn path(&self) -> &str {
        match self {
            RegistryUrl::SameOrigin => "",
            RegistryUrl::Path(p) => p,
            RegistryUrl::Origin(o) => {
                let after_scheme = o.split_once("://").map_or(o.as_str(), |(_, rest)| rest);
                after_scheme.find('/').map_or("", |at| &after_scheme[at..])
            }
        }
    }

    /// A name for headings: the host (and path), or "this site's registry".
    pub fn display_name(&self) -> String {
        match self {
            RegistryUrl::SameOrigin => "same-origin registry".to_string(),
            RegistryUrl::Path(p) => format!("this site’s {p}"),
            RegistryUrl::Origin(o) => o.split_once("://").map(|(_, h)| h).unwrap_or(o).to_string(),
        }
    }

    /// `http://host:port/v2/` + path.
    pub fn api_url(&self, path: &str) -> String {
        format!("{}/v2/{}", self.prefix(), path)
    }

    /// Resolves a `Link` or `Location` target answered to `request_url`. A registry under a path
    /// that answers an origin-relative `/v2/…` (it does not know the gateway's prefix) means its
    /// own API: the prefix goes in front, as it does for an absolute URL of the same origin whose
    /// path lacks it. Anything else resolves as a plain relative reference.
    pub fn resolve(&self, request_url: &str, target: &str) -> String {
        let resolved = crate::paging::resolve(request_url, target);
        let prefix = self.path();
        if prefix.is_empty() {
            return resolved;
        }
        let origin = match self {
            RegistryUrl::Origin(o) => &o[..o.len() - prefix.len()],
            _ => "",
        };
        match resolved.strip_prefix(origin) {
            Some(path) if path.starts_with("/v2/") => format!("{origin}{prefix}{path}"),
            _ => resolved,
        }
    }
}

impl fmt::Display for RegistryUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryUrl::SameOrigin => f.write_str(Self::SAME_ORIGIN),
            RegistryUrl::Path(p) | RegistryUrl::Origin(p) => f.write_str(p),
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

/// `GET /v2/<name>/tags/list?n=<n>&last=<last>`: at most `n` tags lexically after `last`, where
/// the registry pages tag lists (distribution 2.8 ignores both and answers every tag).
pub fn tag_list_after(registry: &RegistryUrl, repository: &Repository, last: &str, n: usize) -> HttpRequest {
    let last = encode_query_value(last);
    HttpRequest::new(Method::Get, registry.api_url(&format!("{repository}/tags/list?n={n}&last={last}")))
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

/// `DELETE /v2/<name>/manifests/<digest>`. Deletes the manifest and **every tag that points at
/// it**; takes a [`Digest`] so a tag cannot be passed by mistake.
pub fn manifest_delete(registry: &RegistryUrl, repository: &Repository, digest: &Digest) -> HttpRequest {
    HttpRequest::new(Method::Delete, registry.api_url(&format!("{repository}/manifests/{digest}")))
}

/// `DELETE /v2/<name>/manifests/<tag>`: the OCI 1.1 delete of one tag, leaving its image and
/// siblings. Registries without it answer 400, 404 or 405 (see [`crate::client::Registry::tag_delete`]).
pub fn tag_delete(registry: &RegistryUrl, repository: &Repository, tag: &Tag) -> HttpRequest {
    HttpRequest::new(Method::Delete, registry.api_url(&format!("{repository}/manifests/{tag}")))
}

/// `http://host/v2/<name>/blobs/<digest>`: where a blob is read.
pub fn blob_url(registry: &RegistryUrl, repository: &Repository, digest: &Digest) -> String {
    registry.api_url(&format!("{repository}/blobs/{digest}"))
}

/// `GET /v2/<name>/blobs/<digest>`.
pub fn blob_get(registry: &RegistryUrl, repository: &Repository, digest: &Digest) -> HttpRequest {
    HttpRequest::new(Method::Get, blob_url(registry, repository, digest))
}

/// `GET /v2/<name>/blobs/<digest>` with `Range: bytes=<start>-<end>` (both inclusive). A registry
/// may ignore the range and answer 200 with the whole blob.
pub fn blob_get_range(
    registry: &RegistryUrl,
    repository: &Repository,
    digest: &Digest,
    start: u64,
    end: u64,
) -> HttpRequest {
    blob_get(registry, repository, digest).header("Range", format!("bytes={start}-{end}"))
}

/// `HEAD /v2/<name>/blobs/<digest>`: does the repository hold the blob? 404 means no; any other
/// failure says nothing about it (see [`crate::Registry::blob_exists`]).
pub fn blob_head(registry: &RegistryUrl, repository: &Repository, digest: &Digest) -> HttpRequest {
    HttpRequest::new(Method::Head, blob_url(registry, repository, digest))
}

/// `POST /v2/<target>/blobs/uploads/?mount=<digest>&from=<source>`: link a blob of another
/// repository of the same registry into `target_repository` without moving bytes. 201 means it is
/// there; 202 opens an ordinary upload session instead.
pub fn blob_mount(
    registry: &RegistryUrl,
    target_repository: &Repository,
    digest: &Digest,
    from_repository: &Repository,
) -> HttpRequest {
    let url = registry.api_url(&format!(
        "{target_repository}/blobs/uploads/?mount={}&from={}",
        encode_query_value(digest.as_str()),
        encode_query_value(from_repository.as_str())
    ));
    HttpRequest::new(Method::Post, url)
}

/// `POST /v2/<name>/blobs/uploads/`: open an upload session (202 with its `Location`).
pub fn upload_start(registry: &RegistryUrl, repository: &Repository) -> HttpRequest {
    HttpRequest::new(Method::Post, registry.api_url(&format!("{repository}/blobs/uploads/")))
}

/// `PATCH <session>`: bytes `start..=end` of the blob, with `Content-Range: <start>-<end>` (the
/// distribution spec's form, without `bytes=`). `session` is the absolute `Location` the previous
/// answer gave.
pub fn upload_chunk(session: &str, start: u64, end: u64, bytes: Vec<u8>) -> HttpRequest {
    HttpRequest::new(Method::Patch, session)
        .header("Content-Type", "application/octet-stream")
        .header("Content-Range", format!("{start}-{end}"))
        .body(bytes)
}

/// `<session>?digest=<digest>`, or `&digest=` when the session URL already has a query (as
/// distribution's `?_state=` does).
pub fn upload_close_url(session: &str, digest: &Digest) -> String {
    let separator = if session.contains('?') { '&' } else { '?' };
    format!("{session}{separator}digest={}", encode_query_value(digest.as_str()))
}

/// `PUT <session>?digest=` with the whole blob: a monolithic upload in one request.
pub fn upload_monolithic(session: &str, digest: &Digest, bytes: Vec<u8>) -> HttpRequest {
    HttpRequest::new(Method::Put, upload_close_url(session, digest))
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
}

/// `PUT <session>?digest=` without a body: closes a session whose bytes all came in chunks.
pub fn upload_close(session: &str, digest: &Digest) -> HttpRequest {
    HttpRequest::new(Method::Put, upload_close_url(session, digest))
}

/// `DELETE <session>`: cancel an upload so nothing is left dangling.
pub fn upload_cancel(session: &str) -> HttpRequest {
    HttpRequest::new(Method::Delete, session)
}

fn manifest_url(registry: &RegistryUrl, repository: &Repository, reference: &Reference) -> String {
    registry.api_url(&format!("{repository}/manifests/{reference}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_registries_resolve_answers_under_their_prefix() {
        let gateway = RegistryUrl::parse("https://gw.example.com/hub").unwrap();
        assert_eq!(gateway.path(), "/hub");
        assert_eq!(gateway.api_url("_catalog"), "https://gw.example.com/hub/v2/_catalog");
        let asked = "https://gw.example.com/hub/v2/_catalog?n=2";
        let table = [
            ("/v2/_catalog?last=b&n=2", "https://gw.example.com/hub/v2/_catalog?last=b&n=2"),
            ("/hub/v2/_catalog?last=b", "https://gw.example.com/hub/v2/_catalog?last=b"),
            ("https://gw.example.com/v2/a/blobs/uploads/u", "https://gw.example.com/hub/v2/a/blobs/uploads/u"),
            ("?last=b", "https://gw.example.com/hub/v2/_catalog?last=b"),
            ("https://storage.example.net/v2/x", "https://storage.example.net/v2/x"),
        ];
        for (target, expected) in table {
            assert_eq!(gateway.resolve(asked, target), expected, "{target}");
        }
        let on_this_site = RegistryUrl::parse("/hub").unwrap();
        assert!(on_this_site.is_same_origin());
        assert_eq!(on_this_site.resolve("/hub/v2/a/tags/list", "/v2/a/tags/list?last=x"), "/hub/v2/a/tags/list?last=x");
        assert_eq!(
            on_this_site.resolve("/hub/v2/a/tags/list", "/hub/v2/a/tags/list?last=x"),
            "/hub/v2/a/tags/list?last=x"
        );
        let root = RegistryUrl::Origin("http://r:5000".into());
        assert_eq!(
            root.resolve("http://r:5000/v2/_catalog", "/v2/_catalog?last=x"),
            "http://r:5000/v2/_catalog?last=x"
        );
        assert_eq!(root.path(), "");
    }

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
            ("/hub", RegistryUrl::Path("/hub".into())),
            ("/hub/v2/", RegistryUrl::Path("/hub".into())),
            ("/v2/", RegistryUrl::SameOrigin),
            ("https://GW.example.com/Hub/", RegistryUrl::Origin("https://gw.example.com/Hub".into())),
            (
                "gw.example.com/artifactory/api/docker/main/v2",
                RegistryUrl::Origin("https://gw.example.com/artifactory/api/docker/main".into()),
            ),
        ];
        for (input, expected) in ok {
            assert_eq!(RegistryUrl::parse(input).unwrap(), expected, "{input}");
        }
        for bad in [
            "",
            "ftp://x",
            "http://",
            "http://host/a//b",
            "http://host/../x",
            "/a b",
            "http://host/x?y",
            "/v2/v2",
            "https://gw/v2/mirror",
            "/a%20b",
            "http://user@host",
            "ftp:x",
            "host:99999",
            "host:",
        ] {
            assert!(RegistryUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_table() {
        let reg = RegistryUrl::Origin("http://r:5000".into());
        let repo = Repository::parse("team/app/api").unwrap();
        let from = Repository::parse("lib/base").unwrap();
        let tag = Reference::parse("v1").unwrap();
        let v1 = Tag::parse("v1").unwrap();
        let d = Digest::parse(&format!("sha256:{}", "ab".repeat(32))).unwrap();
        let enc = format!("sha256%3A{}", "ab".repeat(32));
        let blob = format!("http://r:5000/v2/team/app/api/blobs/{d}");
        let octets = [("Content-Type", "application/octet-stream")];
        // A session URL as distribution gives it (already with a query), and one without.
        let state = "http://r:5000/v2/team/app/api/blobs/uploads/u1?_state=x%2Fy";
        let plain = "http://r:5000/v2/team/app/api/blobs/uploads/u2";
        let table = vec![
            (ping(&reg), Method::Get, "http://r:5000/v2/".into(), vec![]),
            (catalog(&reg, 1000), Method::Get, "http://r:5000/v2/_catalog?n=1000".into(), vec![]),
            (tag_list(&reg, &repo), Method::Get, "http://r:5000/v2/team/app/api/tags/list".into(), vec![]),
            (
                manifest_get(&reg, &repo, &tag),
                Method::Get,
                "http://r:5000/v2/team/app/api/manifests/v1".into(),
                vec![("Accept", MANIFEST_ACCEPT)],
            ),
            (
                manifest_head(&reg, &repo, &tag),
                Method::Head,
                "http://r:5000/v2/team/app/api/manifests/v1".into(),
                vec![("Accept", MANIFEST_ACCEPT)],
            ),
            (
                manifest_delete(&reg, &repo, &d),
                Method::Delete,
                format!("http://r:5000/v2/team/app/api/manifests/{d}"),
                vec![],
            ),
            (tag_delete(&reg, &repo, &v1), Method::Delete, "http://r:5000/v2/team/app/api/manifests/v1".into(), vec![]),
            (blob_get(&reg, &repo, &d), Method::Get, blob.clone(), vec![]),
            (blob_head(&reg, &repo, &d), Method::Head, blob.clone(), vec![]),
            (blob_get_range(&reg, &repo, &d, 8, 15), Method::Get, blob.clone(), vec![("Range", "bytes=8-15")]),
            (
                blob_mount(&reg, &repo, &d, &from),
                Method::Post,
                format!("http://r:5000/v2/team/app/api/blobs/uploads/?mount={enc}&from=lib%2Fbase"),
                vec![],
            ),
            (upload_start(&reg, &repo), Method::Post, "http://r:5000/v2/team/app/api/blobs/uploads/".into(), vec![]),
            (
                upload_chunk(state, 0, 4, b"abcde".to_vec()),
                Method::Patch,
                state.into(),
                vec![octets[0], ("Content-Range", "0-4")],
            ),
            (upload_monolithic(plain, &d, b"{}".to_vec()), Method::Put, format!("{plain}?digest={enc}"), octets.into()),
            (upload_monolithic(state, &d, vec![]), Method::Put, format!("{state}&digest={enc}"), octets.into()),
            (upload_close(state, &d), Method::Put, format!("{state}&digest={enc}"), vec![]),
            (upload_close(plain, &d), Method::Put, format!("{plain}?digest={enc}"), vec![]),
            (upload_cancel(state), Method::Delete, state.into(), vec![]),
        ];
        for (request, method, url, headers) in table {
            assert_eq!((request.method, request.url.as_str()), (method, url.as_str()));
            assert_eq!(request.headers.iter().collect::<Vec<_>>(), headers, "{method} {url}");
        }
        let put = manifest_put(&reg, &repo, &tag, "application/x", b"{}".to_vec());
        assert_eq!(put.headers.get("Content-Type"), Some("application/x"));
        assert_eq!(put.body, b"{}");
        assert_eq!(upload_chunk(plain, 0, 4, b"abcde".to_vec()).body, b"abcde");
        assert_eq!(upload_monolithic(plain, &d, b"{}".to_vec()).body, b"{}");
        assert!(upload_close(plain, &d).body.is_empty(), "the closing PUT carries no bytes");
        assert_eq!(ping(&RegistryUrl::SameOrigin).url, "/v2/");
        assert_eq!(blob_head(&RegistryUrl::SameOrigin, &repo, &d).url, format!("/v2/team/app/api/blobs/{d}"));
    }

    #[test]
    fn query_encoding() {
        assert_eq!(encode_query_value("a/b c&d=é"), "a%2Fb%20c%26d%3D%C3%A9");
        assert_eq!(encode_query_value("Az09-._~"), "Az09-._~");
    }
}
