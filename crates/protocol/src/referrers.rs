//! Signatures, SBOMs and attestations attached to an image: finding them and telling what they
//! are.
//!
//! Two schemes live side by side, and a registry may hold both:
//! - OCI 1.1 *referrers*: a manifest whose `subject` names the image by digest. A registry that
//!   serves `GET /v2/<name>/referrers/<digest>` lists them; on one that does not (distribution,
//!   Docker Hub, GHCR), whoever pushes a referrer keeps an OCI index of them under the *fallback
//!   tag* `sha256-<hex>`.
//! - cosign's own tags, `sha256-<hex>.sig`, `.att` and `.sbom`: ordinary manifests found by
//!   their names alone.
//!
//! Every one of them names the image by digest, so a copy that keeps the image's exact bytes
//! keeps all of them valid, and one that re-serialises it breaks them all.

use crate::client::Registry;
use crate::error::Error;
use crate::http::{HttpRequest, Method, Transport};
use crate::json::{text, Value};
use crate::kind::Kind;
use crate::manifest::{FetchedManifest, ParsedManifest};
use crate::media::OCI_INDEX;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::paging::{next_link, PageWalk};

/// cosign's tag suffixes: signature, attestation, SBOM.
pub const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// Whether a registry serves the referrers API, as far as Wharf has learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiSupport {
    /// Not asked yet.
    Unknown,
    /// It answered the route.
    Served,
    /// 404, 405, 501, a blocked request or a page that is no index: use the fallback tag.
    NotServed,
}

/// Where a referrer was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Listed by the referrers API.
    Api,
    /// Listed in the fallback tag's index.
    FallbackIndex,
    /// Under one of cosign's tags.
    Tag(Tag),
}

/// One manifest attached to an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    /// Its digest.
    pub digest: Digest,
    /// Where it was found.
    pub found: Found,
    /// The descriptor a list gave for it, exactly as listed (merged into another fallback index
    /// as it is); `None` for a cosign tag.
    pub descriptor: Option<Value>,
    /// Its manifest, once read.
    pub manifest: Option<FetchedManifest>,
}

impl Found {
    /// In words, for a table.
    pub fn label(&self) -> String {
        match self {
            Found::Api => "referrers API".into(),
            Found::FallbackIndex => "fallback index".into(),
            // The tag itself is long and the same but for its suffix: name the suffix.
            Found::Tag(tag) => match tag.as_str().rsplit_once('.') {
                Some((_, suffix)) => format!("cosign tag .{suffix}"),
                None => format!("tag {tag}"),
            },
        }
    }
}

impl Referrer {
    /// The tag it lives under (cosign's), if any.
    pub fn tag(&self) -> Option<&Tag> {
        match &self.found {
            Found::Tag(tag) => Some(tag),
            _ => None,
        }
    }

    /// Its kind for people, once its manifest is read ("attachment" before).
    pub fn kind_label(&self) -> &'static str {
        self.manifest.as_ref().map_or("attachment", |m| Kind::key_label(Kind::of(&m.parsed).key()))
    }

    /// The `artifactType` its list gave, if any.
    pub fn listed_type(&self) -> Option<&str> {
        self.descriptor.as_ref()?.get("artifactType")?.as_str()
    }
}

/// What discovery found for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The image.
    pub subject: Digest,
    /// Its referrers: listed ones first, then cosign's tags; each digest once.
    pub referrers: Vec<Referrer>,
    /// What was learned about the referrers API (keep it for the registry's next discovery).
    pub api: ApiSupport,
    /// The fallback tag's index as the registry holds it (`None`: no such tag, or not read
    /// because the API answered).
    pub fallback: Option<FetchedManifest>,
}

/// The fallback tag of `subject`: `<algorithm>-<encoded>`, the encoded part cut to 64 characters
/// (as the OCI spec says, so a sha512 digest still makes a valid tag).
pub fn fallback_tag(subject: &Digest) -> Tag {
    let encoded = subject.encoded();
    let cut = &encoded[..encoded.len().min(64)];
    Tag::parse(&format!("{}-{cut}", subject.algorithm())).expect("an algorithm and hex digits make a valid tag")
}

/// cosign's tag of `subject` with this suffix (`sig`, `att`, `sbom`).
pub fn cosign_tag(subject: &Digest, suffix: &str) -> Tag {
    Tag::parse(&format!("{}.{suffix}", fallback_tag(subject))).expect("a fallback tag with a suffix is a valid tag")
}

/// The image an attachment tag is about, and the tag's suffix: `sha256-<64 hex>` gives
/// (`sha256:<hex>`, `None`), `sha256-<64 hex>.sig` gives (`sha256:<hex>`, `Some("sig")`).
/// `None` for every other tag.
pub fn attachment_subject(tag: &str) -> Option<(String, Option<&str>)> {
    let hex = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = match hex.split_once('.') {
        Some((hex, suffix)) if !suffix.is_empty() => (hex, Some(suffix)),
        Some(_) => return None,
        None => (hex, None),
    };
    let is_hex = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    is_hex.then(|| (format!("sha256:{hex}"), suffix))
}

/// `GET /v2/<name>/referrers/<digest>[?artifactType=]`.
pub fn api_request(
    registry: &crate::requests::RegistryUrl,
    repository: &Repository,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> HttpRequest {
    let mut url = registry.api_url(&format!("{repository}/referrers/{subject}"));
    if let Some(filter) = artifact_type {
        url.push_str("?artifactType=");
        url.push_str(&crate::requests::encode_query_value(filter));
    }
    // Distribution answers the unknown route with a 404 without CORS headers: blocked, that is
    // the answer ("not served"), and no second request is needed to tell why.
    HttpRequest::new(Method::Get, url).header("Accept", OCI_INDEX).probe()
}

/// Whether a failed referrers request means "this registry does not serve the route": 404, 405
/// or 501, or no answer at all (distribution's 404 carries no CORS headers, so cross-origin it
/// arrives as a blocked request). A 401, 403, 429 or 5xx is a real failure.
fn route_missing(error: &Error) -> bool {
    use crate::http::TransportError::{CorsBlocked, Other, Unreachable};
    matches!(error, Error::Transport { error: CorsBlocked { .. } | Unreachable { .. } | Other(_), .. })
        || matches!(error.status(), Some(404 | 405 | 501))
}

/// The descriptors of an index body (a referrers page or a fallback index), each as listed.
/// `None` when it is not an object with a `manifests` list.
pub fn index_entries(body: &[u8]) -> Option<Vec<Value>> {
    let json = crate::json::parse(body).ok()?;
    match json.get("manifests") {
        Some(Value::Array(list)) => Some(list.iter().filter(|d| text(d, "digest").is_some()).cloned().collect()),
        Some(Value::Null) => Some(Vec::new()),
        _ => None,
    }
}

/// Every page of the referrers API (`Ok(None)`: the route is not served). With a filter the
/// registry did not apply (no `OCI-Filters-Applied: artifactType`), the filter is applied here.
pub async fn api_list<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Option<Vec<Value>>, Error> {
    let mut request = api_request(registry.url(), repository, subject, artifact_type);
    let mut walk = PageWalk::default();
    let mut listed = Vec::new();
    loop {
        let url = request.url.clone();
        if !walk.visit(&url) {
            return Err(Error::Parse { url, detail: "the referrers pages' Link header leads in a circle".into() });
        }
        let response = match registry.send_checked(request).await {
            Ok(response) => response,
            Err(e) if walk.pages == 1 && route_missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        // A gateway that answers every unknown path with its own page does not serve the route.
        let Some(mut page) = index_entries(&response.body) else {
            return if walk.pages == 1 {
                Ok(None)
            } else {
                Err(Error::Parse { url, detail: "a referrers page that is not an OCI index".into() })
            };
        };
        let applied = response.headers.get_joined("OCI-Filters-Applied").unwrap_or_default();
        if let Some(filter) = artifact_type.filter(|_| !applied.contains("artifactType")) {
            page.retain(|d| text(d, "artifactType").as_deref() == Some(filter));
        }
        listed.extend(page);
        match response.headers.get_joined("Link").as_deref().and_then(next_link) {
            Some(next) => {
                request = HttpRequest::new(Method::Get, registry.url().resolve(&url, &next)).header("Accept", OCI_INDEX)
            }
            None => return Ok(Some(listed)),
        }
    }
}

/// Tags asked for at once when looking for an image's attachment tags: its fallback tag and
/// cosign's three, with room to spare.
const ATTACHMENT_TAGS_PAGE: usize = 8;

/// Which of `subject`'s attachment tags (its fallback tag, cosign's `.sig`, `.att`, `.sbom`)
/// `repository` has, from one short page of its tag list: one request instead of one per tag.
/// `None` when the registry's answer cannot say (tag lists not served, a page that may stop
/// short, any failure): then each tag is asked about itself.
pub async fn attachment_tags<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    subject: &Digest,
) -> Option<Vec<Tag>> {
    let fallback = fallback_tag(subject);
    let prefix = fallback.as_str();
    // Just before the fallback tag: it and cosign's tags (`<fallback>.sig`) sort right after.
    let last = &prefix[..prefix.len() - 1];
    let names = registry.tags_after(repository, (last, ATTACHMENT_TAGS_PAGE), prefix).await.ok()??;
    let ours = |name: &String| {
        name == prefix || COSIGN_SUFFIXES.iter().any(|s| name.strip_prefix(prefix) == Some(&format!(".{s}")))
    };
    Some(names.iter().filter(|name| ours(name)).filter_map(|name| Tag::parse(name).ok()).collect())
}

/// Whether `tag` is there, as far as `tags` (from [`attachment_tags`]) says: `Some(false)` only
/// when the window is known and lacks it.
fn listed_there(tags: Option<&[Tag]>, tag: &Tag) -> Option<bool> {
    tags.map(|tags| tags.contains(tag))
}

/// A manifest by reference, `None` when the registry says 404.
async fn get_if_there<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    reference: Reference,
) -> Result<Option<FetchedManifest>, Error> {
    match registry.manifest_get(repository, &reference).await {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Finds everything attached to `subject` in `repository`: the referrers API where the registry
/// serves it (`api` says what is known already; a registry found not to serve it is not asked
/// again), otherwise the fallback tag's index; and cosign's three tags. Which tags exist is read
/// from one short page of the tag list ([`attachment_tags`]), and only those are read (their
/// manifests are kept); where the tag list cannot say, each is asked with a GET.
pub async fn discover<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    subject: &Digest,
    api: ApiSupport,
) -> Result<Discovered, Error> {
    let mut found = Discovered { subject: subject.clone(), referrers: Vec::new(), api, fallback: None };
    let listed = match api {
        ApiSupport::NotServed => None,
        _ => api_list(registry, repository, subject, None).await?,
    };
    let tags = attachment_tags(registry, repository, subject).await;
    let (entries, how) = match listed {
        Some(entries) => {
            found.api = ApiSupport::Served;
            (entries, Found::Api)
        }
        None => {
            found.api = ApiSupport::NotServed;
            let tag = fallback_tag(subject);
            found.fallback = match listed_there(tags.as_deref(), &tag) {
                Some(false) => None,
                _ => get_if_there(registry, repository, Reference::Tag(tag)).await?,
            };
            let entries = found.fallback.as_ref().and_then(|index| index_entries(&index.bytes)).unwrap_or_default();
            (entries, Found::FallbackIndex)
        }
    };
    for descriptor in entries {
        let Some(digest) = text(&descriptor, "digest").and_then(|d| Digest::parse(&d).ok()) else { continue };
        found.add(Referrer { digest, found: how.clone(), descriptor: Some(descriptor), manifest: None });
    }
    for suffix in COSIGN_SUFFIXES {
        let tag = cosign_tag(subject, suffix);
        if listed_there(tags.as_deref(), &tag) == Some(false) {
            continue;
        }
        if let Some(manifest) = get_if_there(registry, repository, Reference::Tag(tag.clone())).await? {
            let digest = manifest.digest.clone();
            found.add(Referrer { digest, found: Found::Tag(tag), descriptor: None, manifest: Some(manifest) });
        }
    }
    Ok(found)
}

/// [`discover`], then every referrer's manifest read ([`Discovered::read_all`]): what the
/// manifest page shows, and what a delete by digest saves in the journal so undo can put it back.
pub async fn discover_read<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    subject: &Digest,
    api: ApiSupport,
) -> Result<Discovered, Error> {
    let mut found = discover(registry, repository, subject, api).await?;
    found.read_all(registry, repository).await?;
    Ok(found)
}

impl Discovered {
    /// Adds a referrer unless its digest is listed already.
    fn add(&mut self, referrer: Referrer) {
        if !self.referrers.iter().any(|r| r.digest == referrer.digest) {
            self.referrers.push(referrer);
        }
    }

    /// Reads the manifest of every referrer not read yet (by digest, so each is verified).
    pub async fn read_all<T: Transport>(
        &mut self,
        registry: &Registry<T>,
        repository: &Repository,
    ) -> Result<(), Error> {
        for referrer in self.referrers.iter_mut().filter(|r| r.manifest.is_none()) {
            referrer.manifest =
                Some(registry.manifest_get(repository, &Reference::Digest(referrer.digest.clone())).await?);
        }
        Ok(())
    }
}

/// Layers this small are read to show what a signature states (a simple-signing payload is a few
/// hundred bytes).
pub const PAYLOAD_LIMIT: u64 = 64 * 1024;

/// A referrer, as the manifest page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its digest.
    pub digest: Digest,
    /// Its kind.
    pub kind: Kind,
    /// `org.opencontainers.image.created`, where stated.
    pub created: Option<String>,
    /// Its config and layers, in bytes.
    pub size: u64,
    /// What it states as plain data: the signed image reference, the predicate type, the SBOM's
    /// format, the signer certificate's thumbprint. `None` when it states none.
    pub statement: Option<String>,
    /// Where it was found.
    pub found: Found,
}

/// The cosign simple-signing layer whose payload names the signed identity, when it is small
/// enough to read.
pub fn payload_to_read(manifest: &FetchedManifest) -> Option<Digest> {
    let ParsedManifest::Image(image) = &manifest.parsed else { return None };
    let layer = image.layers.iter().find(|l| l.media_type.contains("cosign.simplesigning"))?;
    (layer.size <= PAYLOAD_LIMIT).then(|| Digest::parse(&layer.digest).ok()).flatten()
}

/// Describes a referrer from its manifest and, for a cosign signature, its payload
/// ([`payload_to_read`]).
pub fn describe(referrer: &Referrer, payload: Option<&[u8]>) -> Option<Attachment> {
    let manifest = referrer.manifest.as_ref()?;
    let kind = Kind::of(&manifest.parsed);
    let (image, index) = match &manifest.parsed {
        ParsedManifest::Image(image) => (Some(&**image), None),
        ParsedManifest::Index(index) => (None, Some(index)),
        _ => (None, None),
    };
    let size = match (image, index) {
        (Some(image), _) => image.config.size + image.total_layer_size(),
        (_, Some(index)) => index.manifests.iter().map(|d| d.size).sum(),
        _ => 0,
    };
    // The manifest's own annotations first, then those its list gave for it.
    let annotation = |key: &str| {
        image
            .and_then(|i| i.annotations.get(key))
            .or_else(|| index.and_then(|i| i.annotations.get(key)))
            .cloned()
            .or_else(|| text(referrer.descriptor.as_ref()?.get("annotations")?, key))
    };
    let layer_annotation =
        |key: &str| image.and_then(|i| i.layers.iter().find_map(|l| l.annotations.get(key))).cloned();
    let declares = |needle: &str| {
        referrer.listed_type().is_some_and(|t| t.contains(needle))
            || image.is_some_and(|i| {
                i.artifact_type.as_deref().is_some_and(|t| t.contains(needle))
                    || i.layers.iter().any(|l| l.media_type.contains(needle))
            })
    };
    let statement = match kind {
        Kind::Signature => payload
            .and_then(signed_reference)
            .map(|r| format!("signs {r}"))
            .or_else(|| {
                annotation("io.cncf.notary.x509chain.thumbprint#S256")
                    .and_then(|list| first_thumbprint(&list))
                    .map(|t| format!("signer certificate sha256 {t}"))
            })
            .or_else(|| annotation("dev.sigstore.bundle.predicateType").map(|p| format!("predicate {p}"))),
        Kind::Attestation => layer_annotation("predicateType")
            .or_else(|| annotation("dev.sigstore.bundle.predicateType"))
            .or_else(|| annotation("in-toto.io/predicate-type"))
            .map(|p| format!("predicate {p}")),
        Kind::Sbom if declares("spdx") => Some("format SPDX".into()),
        Kind::Sbom if declares("cyclonedx") => Some("format CycloneDX".into()),
        _ => None,
    };
    Some(Attachment {
        digest: referrer.digest.clone(),
        created: annotation("org.opencontainers.image.created"),
        kind,
        size,
        statement,
        found: referrer.found.clone(),
    })
}

/// The image a cosign simple-signing payload names: `critical.identity.docker-reference`.
fn signed_reference(payload: &[u8]) -> Option<String> {
    let json = crate::json::parse(payload).ok()?;
    text(json.get("critical")?.get("identity")?, "docker-reference").filter(|r| !r.is_empty())
}

/// The first thumbprint of notation's JSON list, shortened for a table.
fn first_thumbprint(list: &str) -> Option<String> {
    let json = crate::json::parse(list.as_bytes()).ok()?;
    let first = json.as_array()?.first()?.as_str()?;
    Some(first.chars().take(16).collect())
}

/// A fallback index with nothing in it yet.
const EMPTY_INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;

/// The fallback index after adding `adding` (descriptors as listed at the source) to what the
/// target holds: every entry it had stays, in its place, and the new ones follow. `None` when
/// every one of them is listed already (nothing to write).
pub fn merged_index(existing: Option<&FetchedManifest>, adding: &[Value]) -> Option<Vec<u8>> {
    let mut index = match existing.and_then(|e| crate::json::parse(&e.bytes).ok()).filter(Value::is_object) {
        Some(index) => index,
        None => crate::json::parse(EMPTY_INDEX.as_bytes()).ok()?,
    };
    if !index.get("manifests").is_some_and(Value::is_array) {
        index["manifests"] = Value::Array(Vec::new());
    }
    let list = index["manifests"].as_array_mut()?;
    let before = list.len();
    for descriptor in adding {
        let digest = text(descriptor, "digest");
        if !list.iter().any(|d| text(d, "digest") == digest) {
            list.push(descriptor.clone());
        }
    }
    (list.len() > before).then(|| serde_json::to_vec(&index).unwrap_or_default())
}
