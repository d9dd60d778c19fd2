//! API operations: request builders from [`crate::requests`], sent through a [`Transport`],
//! answers checked and parsed.
//!
//! Method names are noun-verb so they sort together (`manifest_get`, `manifest_head`,
//! `manifest_put`). Every failure comes back as an [`Error`] carrying the method and URL.

use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, Transport};
use crate::manifest::FetchedManifest;
use crate::media::MediaType;
use crate::names::{Digest, Reference, Repository};
use crate::paging::{next_link, PageWalk};
use crate::requests::{self, RegistryUrl, CATALOG_PAGE_SIZE};

/// A registry at an address, reached through a transport.
#[derive(Debug, Clone)]
pub struct Registry<T> {
    url: RegistryUrl,
    transport: T,
}

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

impl<T: Transport> Registry<T> {
    /// A registry at `url`, reached through `transport`.
    pub fn new(url: RegistryUrl, transport: T) -> Self {
        Registry { url, transport }
    }

    /// Where it is.
    pub fn url(&self) -> &RegistryUrl {
        &self.url
    }

    /// The transport, for callers that need its records.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let (method, url) = (request.method, request.url.clone());
        // Boxed: every operation awaits the transport, and a boxed future is one pointer in each
        // operation's state instead of a copy of the whole transport (login, fetch) in every one
        // of them — in the browser bundle, that is code as well as memory.
        let sending: std::pin::Pin<Box<dyn std::future::Future<Output = _> + '_>> =
            Box::pin(self.transport.send(request));
        sending.await.map_err(|error| Error::Transport { method, url, error })
    }

    /// Sends any request built by [`crate::requests`] (for operations composed elsewhere, such as
    /// blob mounts and uploads) and turns a non-2xx answer into an error.
    pub async fn send_checked(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.send_ok(request).await
    }

    /// Sends and turns any non-2xx answer into an error.
    async fn send_ok(&self, request: HttpRequest) -> Result<HttpResponse> {
        let (method, url) = (request.method, request.url.clone());
        let response = self.send(request).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(Error::from_response(method, &url, &response))
        }
    }

    /// `GET /v2/`: is there a registry, and does it want a login?
    pub async fn ping(&self) -> Result<Ping> {
        let request = requests::ping(&self.url);
        let url = request.url.clone();
        let response = self.send(request).await?;
        match response.status {
            200..=299 => Ok(Ping::Open {
                api_version: response.headers.get("Docker-Distribution-Api-Version").map(str::to_string),
            }),
            401 => Ok(Ping::NeedsLogin { challenge: response.headers.get_joined("WWW-Authenticate") }),
            _ => Err(Error::from_response(crate::http::Method::Get, &url, &response)),
        }
    }

    /// Every repository, following `Link` from page to page.
    pub async fn catalog(&self) -> Result<Listing> {
        let first = requests::catalog(&self.url, CATALOG_PAGE_SIZE);
        let mut listing = Listing::default();
        self.walk_pages(first, |url, body| {
            listing.items.extend(list_page(url, body, "a catalog page", "repositories")?);
            Ok(())
        })
        .await
        .map(|pages| {
            listing.pages = pages;
            listing
        })
    }

    /// Every tag of a repository, following `Link` when present. `"tags": null` and a 404 both
    /// mean "no tags".
    pub async fn tag_list(&self, repository: &Repository) -> Result<TagListing> {
        let first = requests::tag_list(&self.url, repository);
        let mut tags = Vec::new();
        match self
            .walk_pages(first, |url, body| {
                tags.extend(list_page(url, body, "a tag list", "tags")?);
                Ok(())
            })
            .await
        {
            Ok(pages) => Ok(TagListing { tags, pages, not_found: false, not_served: false }),
            Err(e) if e.status() == Some(404) && tags.is_empty() => {
                let not_served = e.registry_errors().is_empty();
                Ok(TagListing { tags, pages: 1, not_found: !not_served, not_served })
            }
            Err(e) => Err(e),
        }
    }

    /// GETs `first`, hands each body to `on_page`, follows `rel="next"` until there is none.
    async fn walk_pages(
        &self,
        first: HttpRequest,
        mut on_page: impl FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<usize> {
        let mut walk = PageWalk::default();
        let mut request = first;
        loop {
            let url = request.url.clone();
            if !walk.visit(&url) {
                return Err(Error::Parse {
                    url,
                    detail: "the registry's Link header leads back to a page already read, or past 1,000 pages".into(),
                });
            }
            let response = self.send_ok(request).await?;
            on_page(&url, &response.body)?;
            match response.headers.get_joined("Link").as_deref().and_then(next_link) {
                Some(target) => request = requests::next_page(&self.url().resolve(&url, &target)),
                None => return Ok(walk.pages),
            }
        }
    }

    /// GET a manifest with the full Accept list; the bytes are kept exactly and verified against
    /// the digest it was fetched by and the registry's digest header.
    pub async fn manifest_get(&self, repository: &Repository, reference: &Reference) -> Result<FetchedManifest> {
        let request = requests::manifest_get(&self.url, repository, reference);
        let url = request.url.clone();
        let response = self.send_ok(request).await?;
        let by_digest = match reference {
            Reference::Digest(d) => Some(d),
            Reference::Tag(_) => None,
        };
        FetchedManifest::from_bytes(
            &url,
            response.body,
            response.headers.get("Content-Type"),
            response.headers.get("Docker-Content-Digest"),
            by_digest,
        )
    }

    /// HEAD a manifest: its digest without its body, when the registry exposes the header.
    pub async fn manifest_head(&self, repository: &Repository, reference: &Reference) -> Result<ManifestHead> {
        let response = self.send_ok(requests::manifest_head(&self.url, repository, reference)).await?;
        Ok(ManifestHead {
            digest: response.headers.get("Docker-Content-Digest").and_then(|d| Digest::parse(d.trim()).ok()),
            media_type: response.headers.get("Content-Type").map(MediaType::parse),
            size: response.headers.get("Content-Length").and_then(|s| s.trim().parse().ok()),
        })
    }

    /// The digest a tag points at now: HEAD, or a GET when the header is hidden (then the digest
    /// is computed from the bytes). `None` when the tag does not exist.
    pub async fn manifest_digest(&self, repository: &Repository, reference: &Reference) -> Result<Option<Digest>> {
        match self.manifest_head(repository, reference).await {
            Ok(ManifestHead { digest: Some(d), .. }) => Ok(Some(d)),
            Ok(_) => self.manifest_get(repository, reference).await.map(|m| Some(m.digest)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// PUT these exact bytes under `reference`, with the manifest's own media type.
    pub async fn manifest_put(
        &self,
        repository: &Repository,
        reference: &Reference,
        manifest: &FetchedManifest,
    ) -> Result<PutOutcome> {
        let request = requests::manifest_put(
            &self.url,
            repository,
            reference,
            manifest.put_content_type(),
            manifest.bytes.clone(),
        );
        let response = self.send_ok(request).await?;
        Ok(PutOutcome {
            digest: response.headers.get("Docker-Content-Digest").map(str::to_string),
            location: response.headers.get("Location").map(str::to_string),
            status: response.status,
            subject: response.headers.get("OCI-Subject").map(str::to_string),
        })
    }

    /// DELETE a manifest by digest. This deletes every tag that points at it (see
    /// [`crate::delete::tags_pointing_at`]); distribution needs `storage.delete.enabled`.
    pub async fn manifest_delete(&self, repository: &Repository, digest: &Digest) -> Result<()> {
        self.send_ok(requests::manifest_delete(&self.url, repository, digest)).await.map(|_| ())
    }

    /// Whether the repository holds a blob: `Ok(true)` on 2xx, `Ok(false)` only when the registry
    /// answered 404. Anything else (401, 403, 5xx, a blocked or failed request) is an error, not
    /// "absent": a caller that took it for absent would upload what may already be there, or
    /// hide a login problem behind a later, stranger failure.
    pub async fn blob_exists(&self, repository: &Repository, digest: &Digest) -> Result<bool> {
        match self.send_ok(requests::blob_head(&self.url, repository, digest)).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// GET a blob, verified against its digest.
    pub async fn blob_get(&self, repository: &Repository, digest: &Digest) -> Result<Vec<u8>> {
        let request = requests::blob_get(&self.url, repository, digest);
        let url = request.url.clone();
        let response = self.send_ok(request).await?;
        let actual = crate::digest::sha256_of(&response.body);
        if digest.algorithm() == "sha256" && &actual != digest {
            return Err(Error::DigestMismatch { url, expected: digest.to_string(), actual: actual.to_string() });
        }
        Ok(response.body)
    }
}

/// The list under `key` of a JSON page (`null` or absent: empty), or what was wrong with it.
fn list_page(url: &str, body: &[u8], what: &str, key: &str) -> Result<Vec<String>> {
    let problem = |why: String| {
        let snippet = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        Error::Parse { url: url.to_string(), detail: format!("expected {what} in JSON, got “{snippet}” ({why})") }
    };
    let page = crate::json::parse(body).map_err(|e| problem(e.to_string()))?;
    if !page.is_object() {
        return Err(problem("not an object".into()));
    }
    crate::json::string_list(&page, key).map_err(problem)
}
