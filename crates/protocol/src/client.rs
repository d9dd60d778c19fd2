//! API operations: a request built by [`crate::requests`], sent through a [`Transport`], its
//! answer read by the matching pure function of [`crate::responses`].
//!
//! Method names are noun-verb so they sort together (`manifest_get`, `manifest_head`,
//! `manifest_put`). Every failure comes back as an [`Error`] carrying the method and URL.
//! Deleting one tag without its siblings is an operation too ([`crate::tag_delete`]).

use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, Transport};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, Reference, Repository};
use crate::paging::PageWalk;
use crate::requests::{self, RegistryUrl, CATALOG_PAGE_SIZE};
use crate::responses::{self, Listing, ManifestHead, Ping, PutOutcome, TagListing};

/// A registry at an address, reached through a transport.
#[derive(Debug, Clone)]
pub struct Registry<T> {
    url: RegistryUrl,
    transport: T,
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

    /// Sends `request` and returns its URL with the answer, whatever its status.
    async fn send(&self, request: HttpRequest) -> Result<(String, HttpResponse)> {
        let (method, url) = (request.method, request.url.clone());
        // Boxed: every operation awaits the transport, and a boxed future is one pointer in each
        // operation's state instead of a copy of the whole transport (login, fetch) in every one
        // of them — in the browser bundle, that is code as well as memory.
        let sending: std::pin::Pin<Box<dyn std::future::Future<Output = _> + '_>> =
            Box::pin(self.transport.send(request));
        match sending.await {
            Ok(response) => Ok((url, response)),
            Err(error) => Err(Error::Transport { method, url, error }),
        }
    }

    /// Sends any request built by [`crate::requests`] (for operations composed elsewhere, such as
    /// blob mounts and uploads) and turns a non-2xx answer into an error.
    pub async fn send_checked(&self, request: HttpRequest) -> Result<HttpResponse> {
        let method = request.method;
        let (url, response) = self.send(request).await?;
        responses::success(method, &url, response)
    }

    /// `GET /v2/`: is there a registry, and does it want a login?
    pub async fn ping(&self) -> Result<Ping> {
        let (url, response) = self.send(requests::ping(&self.url)).await?;
        responses::ping_response(&url, response)
    }

    /// Every repository, following `Link` from page to page.
    pub async fn catalog(&self) -> Result<Listing> {
        let mut items = Vec::new();
        let pages =
            self.walk_pages(requests::catalog(&self.url, CATALOG_PAGE_SIZE), "repositories", &mut items).await?;
        Ok(Listing { items, pages })
    }

    /// Every tag of a repository, following `Link` when present. `"tags": null` and a 404 both
    /// mean "no tags" ([`responses::tag_list_missing`] tells an unknown repository from a
    /// registry that serves no tag lists).
    pub async fn tag_list(&self, repository: &Repository) -> Result<TagListing> {
        let mut tags = Vec::new();
        match self.walk_pages(requests::tag_list(&self.url, repository), "tags", &mut tags).await {
            Ok(pages) => Ok(TagListing { tags, pages, not_found: false, not_served: false }),
            Err(e) if tags.is_empty() => responses::tag_list_missing(e),
            Err(e) => Err(e),
        }
    }

    /// GETs `first`, adds each page's names under `key` to `names`, follows `rel="next"` until
    /// there is none. Returns how many pages were read.
    async fn walk_pages(&self, first: HttpRequest, key: &str, names: &mut Vec<String>) -> Result<usize> {
        let mut walk = PageWalk::default();
        let mut request = first;
        loop {
            if !walk.visit(&request.url) {
                return Err(Error::Parse {
                    url: request.url,
                    detail: "the registry's Link header leads back to a page already read, or past 1,000 pages".into(),
                });
            }
            let (url, response) = self.send(request).await?;
            let (page, next) = responses::list_page_response(&url, response, key)?;
            names.extend(page);
            match next {
                Some(target) => request = requests::next_page(&self.url.resolve(&url, &target)),
                None => return Ok(walk.pages),
            }
        }
    }

    /// The tags of `repository` that start with `prefix`, from one page of at most `n` tags after
    /// `last` (a string just before the prefix); `None` when that page cannot say for sure
    /// ([`responses::tags_after_response`]).
    pub async fn tags_after(
        &self,
        repository: &Repository,
        (last, n): (&str, usize),
        prefix: &str,
    ) -> Result<Option<Vec<String>>> {
        let (url, response) = self.send(requests::tag_list_after(&self.url, repository, last, n)).await?;
        responses::tags_after_response(&url, response, (last, n), prefix)
    }

    /// GET a manifest with the full Accept list; the bytes are kept exactly and verified against
    /// the digest it was fetched by and the registry's digest header.
    pub async fn manifest_get(&self, repository: &Repository, reference: &Reference) -> Result<FetchedManifest> {
        let (url, response) = self.send(requests::manifest_get(&self.url, repository, reference)).await?;
        responses::manifest_get_response(&url, reference, response)
    }

    /// HEAD a manifest: its digest without its body, when the registry exposes the header.
    pub async fn manifest_head(&self, repository: &Repository, reference: &Reference) -> Result<ManifestHead> {
        let (url, response) = self.send(requests::manifest_head(&self.url, repository, reference)).await?;
        responses::manifest_head_response(&url, response)
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
        let (url, response) = self.send(request).await?;
        responses::manifest_put_response(&url, response)
    }

    /// DELETE a manifest by digest. This deletes every tag that points at it (see
    /// [`crate::delete::tags_pointing_at`]); distribution needs `storage.delete.enabled`.
    pub async fn manifest_delete(&self, repository: &Repository, digest: &Digest) -> Result<()> {
        self.send_checked(requests::manifest_delete(&self.url, repository, digest)).await.map(|_| ())
    }

    /// Whether the repository holds a blob: `Ok(false)` only when the registry answered 404
    /// ([`responses::blob_exists_response`]).
    pub async fn blob_exists(&self, repository: &Repository, digest: &Digest) -> Result<bool> {
        let (url, response) = self.send(requests::blob_head(&self.url, repository, digest)).await?;
        responses::blob_exists_response(&url, response)
    }

    /// GET a blob, verified against its digest.
    pub async fn blob_get(&self, repository: &Repository, digest: &Digest) -> Result<Vec<u8>> {
        let (url, response) = self.send(requests::blob_get(&self.url, repository, digest)).await?;
        responses::blob_get_response(&url, digest, response)
    }
}
