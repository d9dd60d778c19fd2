//! What each answer means: pure functions of a response, one per request builder of
//! [`crate::requests`] (`manifest_get` there, [`manifest_get_response`] here). The operations in
//! [`crate::client`] send a built request and hand the answer to one of these, so every reading
//! of an answer can be tested with a table of responses, no transport at all.
//!
//! Each takes the answer as it came, success or not; a status that is not success becomes the
//! [`Error`] carrying the request's method and URL.

use crate::digest::sha256_of;
use crate::error::{Error, Result};
use crate::http::{HttpResponse, Method};
use crate::manifest::FetchedManifest;
use crate::media::MediaType;
use crate::names::{Digest, Reference};
use crate::paging::next_link;

/// What `GET /v2/` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ping {
    /// 200: the API is there and open.
    Open {
        /// `Docker-Distribution-Api-Version`, when visible.
        api_version: Option<String>,
    },
    /// 401: the API is there and wants a login.
    NeedsLogin {
        /// The `WWW-Authenticate` challenge, when visible.
        challenge: Option<String>,
    },
}

/// A list gathered over one or more pages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The entries, in the registry's order.
    pub items: Vec<String>,
    /// How many pages were fetched.
    pub pages: usize,
}

/// The tags of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagListing {
    /// The tags, in the registry's order.
    pub tags: Vec<String>,
    /// How many pages were fetched.
    pub pages: usize,
    /// The registry answered 404 (distribution 3 does so for a repository whose last tag was
    /// deleted) rather than a list.
    pub not_found: bool,
    /// The 404 carried no error envelope: the registry does not serve tag lists at all (the
    /// container-registry crate), so the repository's manifests may well be there.
    pub not_served: bool,
}

/// What a HEAD of a manifest told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    /// `Docker-Content-Digest`, when sent and visible.
    pub digest: Option<Digest>,
    /// Content-Type.
    pub media_type: Option<MediaType>,
    /// Content-Length.
    pub size: Option<u64>,
}

/// What a manifest PUT answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// `Docker-Content-Digest` of the stored manifest, when visible.
    pub digest: Option<String>,
    /// `Location`, when visible.
    pub location: Option<String>,
    /// HTTP status (201).
    pub status: u16,
    /// `OCI-Subject`: a registry that indexes referrers itself names the subject it recorded.
    pub subject: Option<String>,
}

/// The answer, when it is a success; otherwise the error it is.
pub fn success(method: Method, url: &str, response: HttpResponse) -> Result<HttpResponse> {
    if response.is_success() {
        Ok(response)
    } else {
        Err(Error::from_response(method, url, &response))
    }
}

/// `GET /v2/`: open (2xx), or wanting a login (401, with its challenge).
pub fn ping_response(url: &str, response: HttpResponse) -> Result<Ping> {
    match response.status {
        200..=299 => {
            Ok(Ping::Open { api_version: response.headers.get("Docker-Distribution-Api-Version").map(str::to_string) })
        }
        401 => Ok(Ping::NeedsLogin { challenge: response.headers.get_joined("WWW-Authenticate") }),
        _ => Err(Error::from_response(Method::Get, url, &response)),
    }
}

/// One page of a catalog or tag list: the names under `key` (`null` or absent: none), and the
/// `rel="next"` target of its `Link`, as sent (resolve it against `url`).
pub fn list_page_response(url: &str, response: HttpResponse, key: &str) -> Result<(Vec<String>, Option<String>)> {
    let response = success(Method::Get, url, response)?;
    let what = if key == "tags" { "a tag list" } else { "a catalog page" };
    let body = &response.body;
    let problem = |why: String| {
        let snippet = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        Error::Parse { url: url.to_string(), detail: format!("expected {what} in JSON, got “{snippet}” ({why})") }
    };
    let page = crate::json::parse(body).map_err(|e| problem(e.to_string()))?;
    if !page.is_object() {
        return Err(problem("not an object".into()));
    }
    let names = crate::json::string_list(&page, key).map_err(problem)?;
    Ok((names, response.headers.get_joined("Link").as_deref().and_then(next_link)))
}

/// A tag list that failed on its first page: a 404 means no tags (with an envelope: the
/// repository is unknown; bare: tag lists are not served here). Anything else stays an error.
pub fn tag_list_missing(error: Error) -> Result<TagListing> {
    if error.status() == Some(404) {
        let not_served = error.registry_errors().is_empty();
        return Ok(TagListing { tags: Vec::new(), pages: 1, not_found: !not_served, not_served });
    }
    Err(error)
}

/// One page of a tag list asked for tags after `last` ([`crate::requests::tag_list_after`]):
/// every tag starting with `prefix` that the repository has, or `None` when the answer cannot
/// say so for sure (a next page, or a full page that may stop short of the prefix's last tag).
/// A registry that ignored `last` and answered its whole list without a next page said it all.
/// A 404 with an envelope (the repository is unknown) means none; a bare 404 (tag lists not
/// served) cannot say.
pub fn tags_after_response(
    url: &str,
    response: HttpResponse,
    (last, n): (&str, usize),
    prefix: &str,
) -> Result<Option<Vec<String>>> {
    let (names, next) = match list_page_response(url, response, "tags") {
        Ok(page) => page,
        Err(e) => {
            return match tag_list_missing(e) {
                Ok(listing) if listing.not_found => Ok(Some(Vec::new())),
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            }
        }
    };
    if next.is_some() {
        return Ok(None);
    }
    let ignored_last = names.iter().any(|name| name.as_str() <= last);
    let may_go_on = names.len() >= n && names.iter().max().is_some_and(|name| name.starts_with(prefix));
    if !ignored_last && may_go_on {
        return Ok(None);
    }
    Ok(Some(names.into_iter().filter(|name| name.starts_with(prefix)).collect()))
}

/// A manifest GET: the exact bytes, verified against the digest it was fetched by (`reference`)
/// and against the registry's `Docker-Content-Digest`.
pub fn manifest_get_response(url: &str, reference: &Reference, response: HttpResponse) -> Result<FetchedManifest> {
    let response = success(Method::Get, url, response)?;
    let by_digest = match reference {
        Reference::Digest(d) => Some(d),
        Reference::Tag(_) => None,
    };
    FetchedManifest::from_bytes(
        url,
        response.body,
        response.headers.get("Content-Type"),
        response.headers.get("Docker-Content-Digest"),
        by_digest,
    )
}

/// A manifest HEAD: the digest (when the header is visible), media type and size.
pub fn manifest_head_response(url: &str, response: HttpResponse) -> Result<ManifestHead> {
    let response = success(Method::Head, url, response)?;
    Ok(ManifestHead {
        digest: response.headers.get("Docker-Content-Digest").and_then(|d| Digest::parse(d.trim()).ok()),
        media_type: response.headers.get("Content-Type").map(MediaType::parse),
        size: response.headers.get("Content-Length").and_then(|s| s.trim().parse().ok()),
    })
}

/// A manifest PUT: what the registry says it stored.
pub fn manifest_put_response(url: &str, response: HttpResponse) -> Result<PutOutcome> {
    let response = success(Method::Put, url, response)?;
    Ok(PutOutcome {
        digest: response.headers.get("Docker-Content-Digest").map(str::to_string),
        location: response.headers.get("Location").map(str::to_string),
        status: response.status,
        subject: response.headers.get("OCI-Subject").map(str::to_string),
    })
}

/// A blob HEAD: `true` on 2xx, `false` only when the registry answered 404. Anything else (401,
/// 403, 5xx) is an error, not "absent": a caller that took it for absent would upload what may
/// already be there, or hide a login problem behind a later, stranger failure.
pub fn blob_exists_response(url: &str, response: HttpResponse) -> Result<bool> {
    match success(Method::Head, url, response) {
        Ok(_) => Ok(true),
        Err(e) if e.status() == Some(404) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A blob GET: its bytes, verified against the digest they were fetched by.
pub fn blob_get_response(url: &str, digest: &Digest, response: HttpResponse) -> Result<Vec<u8>> {
    let response = success(Method::Get, url, response)?;
    let actual = sha256_of(&response.body);
    if digest.algorithm() == "sha256" && &actual != digest {
        return Err(Error::DigestMismatch {
            url: url.to_string(),
            expected: digest.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(response.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://r:5000/v2/app/manifests/v1";

    #[test]
    fn answers_read_as_a_table() {
        let digest = sha256_of(b"x");
        let head = manifest_head_response(
            URL,
            HttpResponse::status(200)
                .header("Docker-Content-Digest", format!(" {digest} "))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .header("Content-Length", "42"),
        )
        .unwrap();
        assert_eq!((head.digest, head.size), (Some(digest.clone()), Some(42)));
        assert_eq!(manifest_head_response(URL, HttpResponse::status(200)).unwrap().digest, None, "header hidden");
        assert_eq!(manifest_head_response(URL, HttpResponse::status(404)).unwrap_err().status(), Some(404));

        for (status, exists) in [(200, Some(true)), (404, Some(false)), (401, None), (500, None)] {
            let answer = blob_exists_response(URL, HttpResponse::status(status));
            assert_eq!(answer.as_ref().ok().copied(), exists, "{status}");
        }
        assert!(blob_get_response(URL, &digest, HttpResponse::status(200).body("x")).is_ok());
        assert!(matches!(
            blob_get_response(URL, &digest, HttpResponse::status(200).body("y")),
            Err(Error::DigestMismatch { .. })
        ));

        let put = manifest_put_response(
            URL,
            HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()).header("OCI-Subject", "s"),
        )
        .unwrap();
        assert_eq!((put.digest.as_deref(), put.subject.as_deref()), (Some(digest.as_str()), Some("s")));

        assert_eq!(
            ping_response(URL, HttpResponse::status(401).header("WWW-Authenticate", "Basic realm=r")).unwrap(),
            Ping::NeedsLogin { challenge: Some("Basic realm=r".into()) }
        );
        assert_eq!(ping_response(URL, HttpResponse::status(503)).unwrap_err().status(), Some(503));
    }

    #[test]
    fn a_window_of_the_tag_list_says_what_it_can() {
        let page = |tags: &str| HttpResponse::status(200).body(format!(r#"{{"tags":[{tags}]}}"#));
        let window = ("sha256-abc", 8);
        let read = |response| tags_after_response(URL, response, window, "sha256-abcd").unwrap();
        // A window that honours last: what starts with the prefix, the rest left out.
        assert_eq!(read(page(r#""sha256-abcd","sha256-abcd.sig","v1""#)).unwrap(), ["sha256-abcd", "sha256-abcd.sig"]);
        // distribution 2.8 answers every tag, in its own order: the whole list says it all.
        assert_eq!(read(page(r#""latest","1.0","sha256-abcd.sig""#)).unwrap(), ["sha256-abcd.sig"]);
        // A full page that may stop short of the prefix's tags, or a next page: cannot say.
        let full = (0..8).map(|i| format!(r#""sha256-abcd.x{i}""#)).collect::<Vec<_>>().join(",");
        assert_eq!(read(page(&full)), None);
        assert_eq!(read(page(r#""sha256-abcd""#).header("Link", r#"</v2/x/tags/list?last=a>; rel="next""#)), None);
        // Unknown repository: nothing there. Tag lists not served: cannot say. Refused: an error.
        let unknown = HttpResponse::status(404).body(r#"{"errors":[{"code":"NAME_UNKNOWN","message":"m"}]}"#);
        assert_eq!(read(unknown), Some(Vec::<String>::new()));
        assert_eq!(read(HttpResponse::status(404)), None);
        assert_eq!(tags_after_response(URL, HttpResponse::status(401), window, "s").unwrap_err().status(), Some(401));
    }

    #[test]
    fn list_pages_and_missing_tag_lists() {
        let page = HttpResponse::status(200)
            .body(r#"{"name":"app","tags":["a","b"]}"#)
            .header("Link", r#"</v2/app/tags/list?last=b&n=2>; rel="next""#);
        let (names, next) = list_page_response(URL, page, "tags").unwrap();
        assert_eq!((names, next.as_deref()), (vec!["a".to_string(), "b".into()], Some("/v2/app/tags/list?last=b&n=2")));
        let (names, next) =
            list_page_response(URL, HttpResponse::status(200).body(r#"{"tags":null}"#), "tags").unwrap();
        assert!(names.is_empty() && next.is_none());
        let html = list_page_response(URL, HttpResponse::status(200).body("<html>"), "repositories").unwrap_err();
        assert!(html.headline().contains("expected a catalog page in JSON"), "{html}");

        let bare = success(Method::Get, URL, HttpResponse::status(404)).unwrap_err();
        assert!(tag_list_missing(bare).unwrap().not_served);
        let unknown = success(
            Method::Get,
            URL,
            HttpResponse::status(404).body(r#"{"errors":[{"code":"NAME_UNKNOWN","message":"m"}]}"#),
        )
        .unwrap_err();
        let listing = tag_list_missing(unknown).unwrap();
        assert!(listing.not_found && !listing.not_served);
        let refused = success(Method::Get, URL, HttpResponse::status(401)).unwrap_err();
        assert_eq!(tag_list_missing(refused).unwrap_err().status(), Some(401));
    }
}
