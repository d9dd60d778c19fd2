//! The CORS and auth self-test: probes a registry the way the app uses it and reports, item by
//! item, what works and what is missing, with the setting that fixes it.
//!
//! Every probe is harmless: reads, a PUT of an invalid manifest (refused before anything is
//! stored), a DELETE of a digest that does not exist, and one blob upload session that is opened
//! (to see `Location`) and cancelled at once. Interpretation is
//! pure ([`interpret`] functions per check), so each verdict is unit-tested; [`run`] only sends.

use crate::auth::challenge::parse_challenges;
use crate::error::cors_config_snippet;
use crate::http::{HttpResponse, Method, Transport, TransportError};
use crate::media::{MANIFEST_ACCEPT, OCI_MANIFEST};
use crate::names::{Digest, Reference, Repository, Tag};
use crate::requests::{self, RegistryUrl};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Works.
    Pass,
    /// Works partly, or cannot be used as configured (e.g. catalog refused).
    Warn,
    /// Missing or broken: the fix says what to set.
    Fail,
    /// Could not be checked (e.g. needs a login, nothing to test with, read-only mode).
    Skip,
}

impl Status {
    /// Stable key for the page and tests.
    pub fn key(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable id (`reach`, `preflight`, `method-put`, `expose-digest`, …).
    pub id: &'static str,
    /// What was checked.
    pub title: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was seen.
    pub detail: String,
    /// The configuration that fixes a failure (distribution and/or nginx), if any.
    pub fix: Option<String>,
}

fn finding(id: &'static str, title: &'static str, status: Status, detail: impl Into<String>) -> Finding {
    Finding { id, title, status, detail: detail.into(), fix: None }
}

impl Finding {
    fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// An nginx front for an authenticated registry on another origin: answers preflights itself
/// (distribution would answer them 401) and adds the CORS headers to every answer.
pub const NGINX_CORS_PROXY: &str = r#"location /v2/ {
    if ($request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin $http_origin always;
        add_header Access-Control-Allow-Methods "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" always;
        add_header Access-Control-Allow-Headers "Authorization, Accept, Content-Type, Content-Range, Range" always;
        add_header Access-Control-Max-Age 600 always;
        return 204;
    }
    proxy_hide_header Access-Control-Allow-Origin;
    add_header Access-Control-Allow-Origin $http_origin always;
    add_header Access-Control-Expose-Headers "Docker-Content-Digest, Link, Location, WWW-Authenticate, Range, Docker-Upload-UUID, OCI-Chunk-Min-Length, Retry-After, Warning" always;
    proxy_pass http://127.0.0.1:5000;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-Proto $scheme;
    client_max_body_size 0;
}"#;

/// What to do about a registry one does not run (Docker Hub, GHCR, Quay, a cloud registry): it
/// sends no CORS headers and its token service is on another host, so only a gateway helps.
pub const GATEWAY_FIX: &str = "A registry you do not run (Docker Hub, GHCR, Quay, GitLab, a cloud registry) cannot be given CORS headers, and its token service is on another host. Serve Wharf through the shipped gateway, deploy/nginx-gateway.conf: one origin that serves Wharf and proxies each registry under a path (/hub/v2/…), its token realm rewritten to a path of the same origin and its blob redirects followed by nginx. Then open the registry as /hub (config.json: \"url\": \"/hub\").";

/// The CORS fixes, for distribution and for nginx, plus the same-origin alternative and the
/// gateway for registries one does not run.
fn cors_fixes(origin: &str) -> String {
    format!(
        "{GATEWAY_FIX}\n\nA registry you run: distribution config.yml:\n{}\n\nOr nginx in front of the registry (deploy/nginx-cors-proxy.conf):\n{NGINX_CORS_PROXY}\n\nOr serve Wharf on the registry's own origin (deploy/nginx-same-origin.conf): no CORS at all.",
        cors_config_snippet(origin)
    )
}

const DELETE_FIX: &str = "storage:\n  delete:\n    enabled: true";

/// The repository the probes name; nothing is ever stored in it. Two components, because some
/// registries route only `<namespace>/<name>` (a one-component name gets a bare 404 there).
pub const PROBE_REPOSITORY: &str = "wharf-selftest/probe";
/// The tag the manifest probes name.
const PROBE_TAG: &str = "wharf-selftest";

/// Whether an answer is a 404 without the spec's error envelope: the route is not served here
/// (distribution's own 404s name what is unknown, `MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, …).
pub fn bare_404(response: &HttpResponse) -> bool {
    response.status == 404
        && !matches!(crate::error::classify_body(&response.body), crate::error::ErrorBody::Envelope(_))
}

/// The codes of an answer's error envelope, joined ("MANIFEST_UNKNOWN"), or "".
fn codes(response: &HttpResponse) -> String {
    match crate::error::classify_body(&response.body) {
        crate::error::ErrorBody::Envelope(errors) => {
            errors.iter().map(|e| e.code.clone()).collect::<Vec<_>>().join(", ")
        }
        _ => String::new(),
    }
}
/// A digest no registry holds: the DELETE probe names it.
const ZERO_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn expose_fix(header: &str) -> String {
    format!(
        "Add {header} to Access-Control-Expose-Headers.\ndistribution config.yml, http.headers:\n    Access-Control-Expose-Headers: ['Docker-Content-Digest', 'Link', 'Location', 'WWW-Authenticate', 'Range', 'Docker-Upload-UUID', 'OCI-Chunk-Min-Length', 'Retry-After', 'Warning']\nnginx in front of the registry:\n    proxy_hide_header Access-Control-Expose-Headers;\n    add_header Access-Control-Expose-Headers \"Docker-Content-Digest, Link, Location, WWW-Authenticate, Range, Docker-Upload-UUID, OCI-Chunk-Min-Length, Retry-After, Warning\" always;"
    )
}

/// What the first probe learned, which later verdicts depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The page is served on the registry's origin (no CORS at all).
    pub same_origin: bool,
    /// `/v2/` answered at all.
    pub reachable: bool,
    /// `/v2/` answered 401.
    pub login_required: bool,
    /// The preflighted probe went through.
    pub preflight_ok: bool,
}

/// Verdict on `GET /v2/` sent as a simple request (no preflight).
pub fn interpret_reach(outcome: &Result<HttpResponse, TransportError>, origin: &str) -> Finding {
    const TITLE: &str = "The registry answers, and allows this page (Access-Control-Allow-Origin)";
    match outcome {
        Ok(r) if r.status == 200 || r.status == 401 => finding("reach", TITLE, Status::Pass, format!("GET /v2/ answered {}.", r.status)),
        Ok(r) => finding("reach", TITLE, Status::Warn, format!("GET /v2/ answered {}: this may not be a registry's API root.", r.status)),
        Err(TransportError::CorsBlocked { .. }) => finding(
            "reach",
            TITLE,
            Status::Fail,
            "The registry answered, but without an Access-Control-Allow-Origin header for this page: the browser hides every answer.",
        )
        .with_fix(cors_fixes(origin)),
        Err(TransportError::MixedContent) => finding("reach", TITLE, Status::Fail, "An http: registry cannot be reached from an https: page.").with_fix("Serve the registry over https, or serve Wharf on the same origin."),
        Err(e) => finding("reach", TITLE, Status::Fail, format!("No answer: {e}. Check the address and that the registry runs.")),
    }
}

/// Verdict on a request that needs a preflight (`Accept` longer than the CORS-safe limit).
pub fn interpret_preflight(outcome: &Result<HttpResponse, TransportError>, context: &Context, origin: &str) -> Finding {
    const TITLE: &str = "Preflight (OPTIONS) allowed";
    if context.same_origin {
        return finding("preflight", TITLE, Status::Pass, "Same origin: the browser sends no preflights.");
    }
    match outcome {
        Ok(_) => finding("preflight", TITLE, Status::Pass, "A request with the manifest Accept list went through its preflight."),
        Err(TransportError::CorsBlocked { .. }) if context.login_required => finding(
            "preflight",
            TITLE,
            Status::Fail,
            "The preflight was refused. This registry requires a login, and distribution answers the browser's credential-less OPTIONS with 401 (distribution#4458), which no header setting fixes.",
        )
        .with_fix(format!("Serve Wharf on the registry's origin (deploy/nginx-same-origin.conf), or put a proxy in front that answers OPTIONS itself (nginx):\n{NGINX_CORS_PROXY}")),
        Err(TransportError::CorsBlocked { .. }) => finding(
            "preflight",
            TITLE,
            Status::Fail,
            "The preflight was refused: Access-Control-Allow-Headers must list Accept, Authorization and Content-Type, and OPTIONS must be answered with 200/204.",
        )
        .with_fix(cors_fixes(origin)),
        Err(e) => finding("preflight", TITLE, Status::Fail, format!("The preflighted request failed: {e}.")),
    }
}

/// Verdict on a preflighted request with `method`.
pub fn interpret_method(
    id: &'static str,
    method: Method,
    outcome: &Result<HttpResponse, TransportError>,
    context: &Context,
    origin: &str,
) -> Finding {
    const TITLE: &str = "Method allowed (Access-Control-Allow-Methods)";
    match outcome {
        // A HEAD's 404 has no body to say more; any other bare 404 means the route is missing.
        Ok(r) if method != Method::Head && bare_404(r) => finding(
            id,
            TITLE,
            Status::Warn,
            format!("{method} reached the registry, which answered a bare 404 (no error envelope): it does not serve this route for {PROBE_REPOSITORY}, so what Wharf does with {method} here is not proven."),
        ),
        Ok(r) => finding(id, TITLE, Status::Pass, format!("{method} went through (answered {}).", r.status)),
        Err(TransportError::ReadOnly) => {
            finding(id, TITLE, Status::Skip, format!("{method} not sent: this deployment of Wharf is read-only."))
        }
        Err(TransportError::CorsBlocked { .. }) if !context.preflight_ok => finding(
            id,
            TITLE,
            Status::Fail,
            format!("{method} was blocked, like every preflighted request (see the preflight check)."),
        ),
        Err(TransportError::CorsBlocked { .. }) => {
            finding(id, TITLE, Status::Fail, format!("{method} was blocked: add it to Access-Control-Allow-Methods."))
                .with_fix(cors_fixes(origin))
        }
        // The request reached the registry and was answered: the method is allowed, only this
        // account's permission is not (on the probe repository).
        Err(e @ TransportError::Auth(_)) => finding(
            id,
            TITLE,
            Status::Skip,
            format!("{method} reached the registry, which refused it for this account on the probe repository ({e}): the method is allowed, the permission could not be checked."),
        ),
        Err(e) => finding(id, TITLE, Status::Fail, format!("{method} failed: {e}.")),
    }
}

/// Verdict on deleting a manifest that does not exist.
pub fn interpret_delete(outcome: &Result<HttpResponse, TransportError>) -> Finding {
    const TITLE: &str = "Deletes enabled (storage.delete.enabled)";
    match outcome {
        Ok(r) if r.status == 202 => {
            finding("delete", TITLE, Status::Pass, "DELETE of an unknown digest answered 202 (deletes are on).")
        }
        Ok(r) if bare_404(r) => finding(
            "delete",
            TITLE,
            Status::Warn,
            "DELETE answered a bare 404 (no error envelope): the registry does not serve manifest deletes here, so whether deletes work is not proven.",
        ),
        Ok(r) if r.status == 404 => finding(
            "delete",
            TITLE,
            Status::Pass,
            format!("DELETE of an unknown digest answered 404 {} (deletes are on: the registry looked for it).", codes(r)),
        ),
        // distribution's 405 says UNSUPPORTED: its deletes are switched off, a setting. A 405
        // without the envelope is a registry that has no manifest DELETE at all.
        Ok(r) if r.status == 405 && codes(r).is_empty() => finding(
            "delete",
            TITLE,
            Status::Warn,
            format!(
                "DELETE answered 405 without an error envelope{}: this registry does not implement manifest deletes, so Wharf cannot delete here.",
                r.headers.get("Allow").map(|a| format!(" (Allow: {a})")).unwrap_or_default()
            ),
        ),
        Ok(r) if r.status == 405 => finding(
            "delete",
            TITLE,
            Status::Fail,
            "DELETE answered 405 UNSUPPORTED: deletes are switched off in the registry.",
        )
        .with_fix(DELETE_FIX),
        Ok(r) if r.status == 401 || r.status == 403 => {
            finding("delete", TITLE, Status::Skip, format!("DELETE answered {}: log in to find out.", r.status))
        }
        Ok(r) => finding("delete", TITLE, Status::Warn, format!("DELETE answered {}.", r.status)),
        Err(TransportError::ReadOnly) => {
            finding("delete", TITLE, Status::Skip, "Not sent: this deployment of Wharf is read-only.")
        }
        Err(e) => finding("delete", TITLE, Status::Skip, format!("Could not tell: {e}.")),
    }
}

/// Verdict on whether `header` was visible on a response that must carry it.
pub fn interpret_exposed(
    id: &'static str,
    title: &'static str,
    header: &str,
    response: &HttpResponse,
    context: &Context,
) -> Finding {
    if response.headers.get(header).is_some() {
        return finding(id, title, Status::Pass, format!("{header} is visible to the page."));
    }
    if context.same_origin {
        return finding(id, title, Status::Fail, format!("The registry did not send {header} (a proxy may strip it)."));
    }
    finding(
        id,
        title,
        Status::Fail,
        format!("{header} is hidden from the page: it is not in Access-Control-Expose-Headers."),
    )
    .with_fix(expose_fix(header))
}

/// Verdict on the catalog.
pub fn interpret_catalog(outcome: &Result<HttpResponse, TransportError>) -> Finding {
    const TITLE: &str = "Catalog (_catalog) allowed";
    match outcome {
        Ok(r) if r.is_success() => finding("catalog", TITLE, Status::Pass, "The repository list can be read."),
        Ok(r) if bare_404(r) => finding(
            "catalog",
            TITLE,
            Status::Warn,
            "The catalog is not served (a bare 404, no error envelope): the registry does not list repositories; open them by name.",
        ),
        Ok(r) => finding(
            "catalog",
            TITLE,
            Status::Warn,
            format!("The catalog answered {}: repositories must be opened by name.", r.status),
        ),
        Err(TransportError::Auth(_)) => finding(
            "catalog",
            TITLE,
            Status::Warn,
            "The catalog needs a login (or this account may not list it): open repositories by name.",
        ),
        Err(e) => finding("catalog", TITLE, Status::Skip, format!("Could not tell: {e}.")),
    }
}

/// Verdict on a repository's tag list.
pub fn interpret_tag_list(repository: &str, outcome: &Result<HttpResponse, TransportError>) -> Finding {
    const TITLE: &str = "Tag list (tags/list) served";
    match outcome {
        Ok(r) if r.is_success() => match crate::json::parse(&r.body).ok().and_then(|v| crate::json::strings(&v, "tags")) {
            Some(tags) => finding("tags", TITLE, Status::Pass, format!("The tags of {repository} can be read ({} tag(s)).", tags.len())),
            None => finding("tags", TITLE, Status::Warn, format!("The tag list of {repository} answered {} but is not a tag list.", r.status)),
        },
        Ok(r) if bare_404(r) => finding(
            "tags",
            TITLE,
            Status::Warn,
            format!("The tag list of {repository} is not served (a bare 404, no error envelope): open a tag or digest by name on the repository page."),
        ),
        Ok(r) if r.status == 404 => finding(
            "tags",
            TITLE,
            Status::Warn,
            format!("The registry does not know {repository} ({}): name another repository to check the tag list.", codes(r)),
        ),
        Ok(r) => finding("tags", TITLE, Status::Warn, format!("The tag list of {repository} answered {}.", r.status)),
        Err(TransportError::Auth(e)) => finding("tags", TITLE, Status::Skip, format!("Could not tell: {e}.")),
        Err(e) => finding("tags", TITLE, Status::Fail, format!("The tag list of {repository} failed: {e}.")),
    }
}

/// Verdict on the upload flow's first step: `POST …/blobs/uploads/` must open a session
/// (202 with `Location`). Copies between repositories and registries need it.
pub fn interpret_upload(outcome: &Result<HttpResponse, TransportError>) -> Finding {
    const TITLE: &str = "Blob uploads (POST opens an upload session)";
    match outcome {
        Ok(r) if r.status == 202 && r.headers.get("Location").is_some() => finding(
            "upload",
            TITLE,
            Status::Pass,
            "POST answered 202 with a Location: uploads open (a copy sends blobs in one PUT, or as PATCH chunks where the registry refuses that).",
        ),
        Ok(r) if r.status == 202 => {
            finding("upload", TITLE, Status::Fail, "POST answered 202 without a visible Location: no upload can go on.")
        }
        Ok(r) if bare_404(r) => finding(
            "upload",
            TITLE,
            Status::Warn,
            format!("POST answered a bare 404 (no error envelope): uploads are not served for {PROBE_REPOSITORY}, so copies into this registry are not proven."),
        ),
        Ok(r) => finding("upload", TITLE, Status::Warn, format!("POST answered {} {}: uploads are not proven.", r.status, codes(r))),
        Err(TransportError::ReadOnly) => {
            finding("upload", TITLE, Status::Skip, "Not sent: this deployment of Wharf is read-only.")
        }
        Err(e) => finding("upload", TITLE, Status::Skip, format!("Could not tell: {e}.")),
    }
}

/// The summary line: "everything works" only when every row proved it.
pub fn summary(findings: &[Finding]) -> String {
    let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
    if failed > 0 {
        return format!("{failed} check(s) failed: each says what to set.");
    }
    let unproven: Vec<&str> = findings.iter().filter(|f| f.status != Status::Pass).map(|f| f.title).collect();
    if unproven.is_empty() {
        return "Everything Wharf needs works with this registry.".to_string();
    }
    format!(
        "Nothing failed, but {} check(s) did not prove their part (each says what the registry answered): {}.",
        unproven.len(),
        unproven.join("; ")
    )
}

/// The first name of the list under `key` of a list answer (catalog or tag list).
fn first_name(body: &[u8], key: &str) -> Option<String> {
    crate::json::strings(&crate::json::parse(body).ok()?, key)?.into_iter().next()
}

/// Runs every check. `raw` sends without logging in (to see the registry's own answers); `client`
/// logs in as the page does, for checks that need access. `origin` is the page's origin.
pub async fn run<R: Transport, C: Transport>(
    registry: &RegistryUrl,
    raw: &R,
    client: &C,
    origin: &str,
    named: Option<&Repository>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut context = Context { same_origin: registry.is_same_origin(), ..Context::default() };
    let reach = raw.send(requests::ping(registry)).await;
    findings.push(interpret_reach(&reach, origin));
    let Ok(ping) = reach else { return findings };
    context.reachable = true;
    context.login_required = ping.status == 401;

    // The same GET with a header that is not CORS-safelisted: the browser must preflight it.
    let preflighted = raw.send(requests::ping(registry).header("Accept", MANIFEST_ACCEPT)).await;
    context.preflight_ok = preflighted.is_ok();
    findings.push(interpret_preflight(&preflighted, &context, origin));
    findings.push(interpret_method("method-get", Method::Get, &preflighted, &context, origin));

    // Login: scheme, and the token realm reachable from this page.
    let challenge = ping.headers.get_joined("WWW-Authenticate");
    let auth_title = "Login scheme and token service";
    match (context.login_required, &challenge) {
        (false, _) => findings.push(finding("auth", auth_title, Status::Pass, "No login required.")),
        (true, None) => findings.push(
            finding(
                "auth",
                auth_title,
                Status::Fail,
                "401 without a visible WWW-Authenticate: the page cannot tell how to log in.",
            )
            .with_fix(expose_fix("WWW-Authenticate")),
        ),
        (true, Some(header)) => {
            let parsed = parse_challenges(header).unwrap_or_default();
            match parsed.iter().find(|c| c.scheme == "bearer").and_then(crate::auth::token::Realm::of) {
                Some(found) => {
                    // An anonymous token request for no scope, built as the login builds its own.
                    let answer = raw.send(crate::auth::token::token_request(&found, &[], None)).await;
                    let realm = found.url;
                    findings.push(match answer {
                        Ok(r) => finding("auth", auth_title, Status::Pass, format!("Bearer tokens from {realm}: reachable from this page (answered {}).", r.status)),
                        Err(TransportError::CorsBlocked { .. }) => finding("auth", auth_title, Status::Fail, format!("The token service {realm} sends no CORS headers for this page."))
                            .with_fix("Serve the token service on the page's origin too (deploy/nginx-same-origin.conf proxies /token), or add Access-Control-Allow-Origin and Access-Control-Allow-Headers: Authorization to it."),
                        Err(e) => finding("auth", auth_title, Status::Fail, format!("The token service {realm} cannot be reached: {e}.")),
                    });
                }
                None if parsed.iter().any(|c| c.scheme == "basic") => findings.push(finding(
                    "auth",
                    auth_title,
                    Status::Pass,
                    "Basic login (user name and password on each request).",
                )),
                None => findings.push(finding(
                    "auth",
                    auth_title,
                    Status::Warn,
                    format!("Unrecognised challenge: {header}"),
                )),
            }
        }
    }
    let www_title = "WWW-Authenticate visible";
    findings.push(if context.login_required {
        interpret_exposed("expose-www-authenticate", www_title, "WWW-Authenticate", &ping, &context)
    } else {
        // Nothing to prove: without a login there is no challenge the page must read.
        finding(
            "expose-www-authenticate",
            www_title,
            Status::Pass,
            "No login is required, so no challenge needs to be read.",
        )
    });

    // Each method, on harmless requests the registry refuses or that change nothing.
    let probe = Repository::parse(PROBE_REPOSITORY).expect("the probe repository is a valid name");
    let probe_tag = Reference::Tag(Tag::parse(PROBE_TAG).expect("the probe tag is a valid tag"));
    let head = raw.send(requests::manifest_head(registry, &probe, &probe_tag)).await;
    findings.push(interpret_method("method-head", Method::Head, &head, &context, origin));
    let put = raw.send(requests::manifest_put(registry, &probe, &probe_tag, OCI_MANIFEST, b"{}".to_vec())).await;
    findings.push(interpret_method("method-put", Method::Put, &put, &context, origin));
    // POST starts an upload session (distribution 2.8 opens one even when given a digest): the
    // same answer tells whether Location is exposed, and the session is cancelled right away.
    let start_upload = requests::upload_start(registry, &probe);
    let upload_url = start_upload.url.clone();
    let post = client.send(start_upload).await;
    findings.push(interpret_method("method-post", Method::Post, &post, &context, origin));
    findings.push(interpret_upload(&post));
    let zero = Digest::parse(ZERO_DIGEST).expect("the zero digest is a valid digest");
    let delete = raw.send(requests::manifest_delete(registry, &probe, &zero)).await;
    findings.push(interpret_method("method-delete", Method::Delete, &delete, &context, origin));
    // Whether deletes are on needs access: ask again logged in when the registry wants a login.
    let delete = if context.login_required {
        client.send(requests::manifest_delete(registry, &probe, &zero)).await
    } else {
        delete
    };
    findings.push(interpret_delete(&delete));

    // Catalog, and Link exposure on a one-entry page (distribution sends Link whenever a page is full).
    let catalog = client.send(requests::catalog(registry, 1)).await;
    findings.push(interpret_catalog(&catalog));
    let first_repository = match &catalog {
        Ok(r) if r.is_success() => first_name(&r.body, "repositories"),
        _ => None,
    };
    let link_title = "Link visible (paging)";
    findings.push(match (&catalog, &first_repository) {
        (Ok(r), Some(_)) => interpret_exposed("expose-link", link_title, "Link", r, &context),
        _ => finding("expose-link", link_title, Status::Skip, "No catalog page to look at."),
    });

    // The tag list of the repository the user named, else the catalog's first; and
    // Docker-Content-Digest on a HEAD of one of its manifests.
    let digest_title = "Docker-Content-Digest visible";
    let mut tagged = None;
    let checked = named.cloned().or_else(|| first_repository.as_deref().and_then(|r| Repository::parse(r).ok()));
    match &checked {
        Some(repository) => {
            let answer = client.send(requests::tag_list(registry, repository)).await;
            findings.push(interpret_tag_list(&repository.to_string(), &answer));
            if let Some(r) = answer.as_ref().ok().filter(|r| r.is_success()) {
                let tag = first_name(&r.body, "tags").and_then(|t| Reference::parse(&t).ok());
                tagged = tag.map(|t| (repository.clone(), t));
            }
        }
        None => findings.push(finding(
            "tags",
            "Tag list (tags/list) served",
            Status::Skip,
            "No repository to look at: name one above (the catalog lists none).",
        )),
    }
    findings.push(match tagged {
        Some((repository, reference)) => match client
            .send(requests::manifest_head(registry, &repository, &reference))
            .await
        {
            Ok(r) if r.is_success() => {
                interpret_exposed("expose-digest", digest_title, "Docker-Content-Digest", &r, &context)
            }
            Ok(r) => finding(
                "expose-digest",
                digest_title,
                Status::Skip,
                format!("HEAD of a manifest answered {}.", r.status),
            ),
            Err(e) => finding("expose-digest", digest_title, Status::Skip, format!("HEAD of a manifest failed: {e}.")),
        },
        None => finding(
            "expose-digest",
            digest_title,
            Status::Skip,
            "No tagged image to look at (or the catalog is refused).",
        ),
    });

    let location_title = "Location visible (uploads)";
    findings.push(match &post {
        Ok(r) if r.status == 202 => {
            let found = interpret_exposed("expose-location", location_title, "Location", r, &context);
            match r.headers.get("Location") {
                Some(location) => {
                    let _ = client.send(requests::upload_cancel(&registry.resolve(&upload_url, location))).await;
                    found
                }
                None => Finding {
                    detail: format!("{} The probe's upload session could not be cancelled without it; the registry purges stale uploads itself.", found.detail),
                    ..found
                },
            }
        }
        Ok(r) => finding(
            "expose-location",
            location_title,
            Status::Skip,
            format!("Starting an upload answered {} (a login with push may be needed).", r.status),
        ),
        Err(TransportError::ReadOnly) => {
            finding("expose-location", location_title, Status::Skip, "Not sent: this deployment of Wharf is read-only.")
        }
        Err(e) => finding("expose-location", location_title, Status::Skip, format!("Could not start an upload: {e}.")),
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(status: u16) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse::status(status))
    }

    /// distribution's 404: the spec's envelope naming what is unknown.
    fn unknown(code: &str) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse::status(404).body(format!(r#"{{"errors":[{{"code":"{code}","message":"unknown"}}]}}"#)))
    }

    #[test]
    fn a_bare_404_is_not_served_and_proves_nothing() {
        let ctx = Context { reachable: true, same_origin: true, ..Context::default() };
        for method in [Method::Put, Method::Post, Method::Delete] {
            let verdict = interpret_method("m", method, &ok(404), &ctx, "o");
            assert_eq!(verdict.status, Status::Warn, "{method}");
            assert!(verdict.detail.contains("bare 404"), "{}", verdict.detail);
        }
        assert_eq!(interpret_method("m", Method::Head, &ok(404), &ctx, "o").status, Status::Pass, "a HEAD has no body");
        assert_eq!(interpret_method("m", Method::Put, &unknown("MANIFEST_INVALID"), &ctx, "o").status, Status::Pass);
        let catalog = interpret_catalog(&Ok(HttpResponse::status(404).body("404 page not found")));
        assert_eq!(catalog.status, Status::Warn);
        assert!(catalog.detail.contains("not served"), "{}", catalog.detail);
        assert!(!catalog.detail.contains("check the repository name"), "{}", catalog.detail);
        let tags = interpret_tag_list("a/b", &ok(404));
        assert_eq!((tags.id, tags.status), ("tags", Status::Warn));
        assert!(tags.detail.contains("not served") && tags.detail.contains("by name"), "{}", tags.detail);
        let unknown_repo = interpret_tag_list("a/b", &unknown("NAME_UNKNOWN"));
        assert!(unknown_repo.detail.contains("does not know a/b (NAME_UNKNOWN)"), "{}", unknown_repo.detail);
        let listed = interpret_tag_list("a/b", &Ok(HttpResponse::status(200).body(r#"{"name":"a/b","tags":["1"]}"#)));
        assert_eq!(listed.status, Status::Pass);
        assert_eq!(interpret_upload(&ok(404)).status, Status::Warn);
        assert_eq!(interpret_upload(&Ok(HttpResponse::status(202).header("Location", "/u"))).status, Status::Pass);
        assert_eq!(interpret_upload(&ok(202)).status, Status::Fail, "a session without its Location is no use");
    }

    #[test]
    fn the_summary_says_everything_works_only_when_every_row_proved_it() {
        let pass = finding("a", "A", Status::Pass, "");
        assert_eq!(summary(std::slice::from_ref(&pass)), "Everything Wharf needs works with this registry.");
        let unproven = summary(&[
            pass.clone(),
            finding("tags", "Tag list", Status::Warn, ""),
            finding("b", "B", Status::Skip, ""),
        ]);
        assert!(
            unproven.starts_with("Nothing failed, but 2 check(s) did not prove") && unproven.contains("Tag list; B"),
            "{unproven}"
        );
        assert!(summary(&[pass, finding("c", "C", Status::Fail, "")]).starts_with("1 check(s) failed"));
    }

    fn cors() -> Result<HttpResponse, TransportError> {
        Err(TransportError::CorsBlocked { origin: "http://ui".into() })
    }

    #[test]
    fn reach_verdicts() {
        assert_eq!(interpret_reach(&ok(200), "o").status, Status::Pass);
        assert_eq!(interpret_reach(&ok(401), "o").status, Status::Pass);
        let blocked = interpret_reach(&cors(), "http://ui");
        assert_eq!(blocked.status, Status::Fail);
        let fix = blocked.fix.unwrap();
        assert!(
            fix.contains("Access-Control-Allow-Origin: ['http://ui']") && fix.contains("return 204"),
            "both fixes: {fix}"
        );
        assert!(
            fix.starts_with(GATEWAY_FIX) && fix.contains("deploy/nginx-gateway.conf"),
            "the gateway comes first: {fix}"
        );
        let down = interpret_reach(&Err(TransportError::Unreachable { detail: "x".into() }), "o");
        assert!(down.detail.contains("No answer"));
    }

    #[test]
    fn preflight_blame_depends_on_auth() {
        let open = Context { reachable: true, ..Context::default() };
        let with_auth = Context { reachable: true, login_required: true, ..Context::default() };
        assert!(interpret_preflight(&cors(), &open, "o").detail.contains("Access-Control-Allow-Headers"));
        let auth = interpret_preflight(&cors(), &with_auth, "o");
        assert!(auth.detail.contains("401") && auth.fix.unwrap().contains("return 204"));
        let same = Context { same_origin: true, ..Context::default() };
        assert_eq!(interpret_preflight(&cors(), &same, "o").status, Status::Pass);
    }

    #[test]
    fn method_and_delete_verdicts() {
        let ctx = Context { preflight_ok: true, ..Context::default() };
        assert_eq!(interpret_method("m", Method::Put, &ok(400), &ctx, "o").status, Status::Pass);
        assert!(interpret_method("m", Method::Delete, &cors(), &ctx, "o")
            .detail
            .contains("Access-Control-Allow-Methods"));
        assert_eq!(interpret_method("m", Method::Put, &Err(TransportError::ReadOnly), &ctx, "o").status, Status::Skip);
        let denied = Err(TransportError::Auth(crate::auth_failure::AuthFailure::InsufficientScope {
            scopes: vec!["repository:wharf-selftest:pull,push".into()],
        }));
        let verdict = interpret_method("m", Method::Post, &denied, &ctx, "o");
        assert_eq!(verdict.status, Status::Skip, "a refused permission is not a missing method");
        assert!(verdict.detail.contains("permission could not be checked"), "{}", verdict.detail);
        assert_eq!(interpret_delete(&unknown("MANIFEST_UNKNOWN")).status, Status::Pass);
        assert_eq!(interpret_delete(&ok(404)).status, Status::Warn, "a bare 404 proves nothing about deletes");
        let missing = interpret_delete(&Ok(HttpResponse::status(405).header("Allow", "PUT,GET,HEAD")));
        assert_eq!(missing.status, Status::Warn);
        assert!(missing.detail.contains("does not implement") && missing.fix.is_none(), "{}", missing.detail);
        let off = interpret_delete(&Ok(HttpResponse::status(405)
            .body(r#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}"#)));
        assert_eq!(off.status, Status::Fail);
        assert!(off.fix.unwrap().contains("enabled: true"));
        assert_eq!(interpret_delete(&ok(401)).status, Status::Skip);
    }

    #[test]
    fn exposure_verdicts() {
        let ctx = Context::default();
        let visible = HttpResponse::status(200).header("Docker-Content-Digest", "sha256:x");
        assert_eq!(interpret_exposed("d", "t", "Docker-Content-Digest", &visible, &ctx).status, Status::Pass);
        let hidden = interpret_exposed("d", "t", "Docker-Content-Digest", &HttpResponse::status(200), &ctx);
        assert_eq!(hidden.status, Status::Fail);
        assert!(hidden.fix.unwrap().contains("Access-Control-Expose-Headers"));
    }

    #[test]
    fn catalog_verdicts() {
        assert_eq!(interpret_catalog(&ok(200)).status, Status::Pass);
        assert_eq!(interpret_catalog(&ok(404)).status, Status::Warn);
    }
}
