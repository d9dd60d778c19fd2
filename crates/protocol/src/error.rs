//! One error type for the whole core, and what to tell the user about each case.
//!
//! Registries answer errors in three shapes: the JSON envelope `{"errors":[{code,message,detail}]}`,
//! an HTML page from a proxy, or nothing (HEAD, some 404s). All three become [`Error::Registry`]
//! with the body classified, and [`Error::advice`] turns every case into "what happened, what to do".
//!
//! The advice names the step, never the app's screen (no panels, forms or buttons): the app
//! words where that step is from [`Error::next_step`].

use std::fmt;

use crate::auth_failure::AuthFailure;
use crate::http::{HttpResponse, Method, TransportError};
use crate::names::NameError;
use crate::refusal::Refusal;

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Error codes of the distribution spec; unknown codes are kept, never a parse failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// BLOB_UNKNOWN
    BlobUnknown,
    /// BLOB_UPLOAD_INVALID
    BlobUploadInvalid,
    /// BLOB_UPLOAD_UNKNOWN
    BlobUploadUnknown,
    /// DIGEST_INVALID
    DigestInvalid,
    /// MANIFEST_BLOB_UNKNOWN
    ManifestBlobUnknown,
    /// MANIFEST_INVALID
    ManifestInvalid,
    /// MANIFEST_UNKNOWN
    ManifestUnknown,
    /// NAME_INVALID
    NameInvalid,
    /// NAME_UNKNOWN
    NameUnknown,
    /// SIZE_INVALID
    SizeInvalid,
    /// TAG_INVALID
    TagInvalid,
    /// UNAUTHORIZED
    Unauthorized,
    /// DENIED
    Denied,
    /// UNSUPPORTED
    Unsupported,
    /// TOOMANYREQUESTS
    TooManyRequests,
    /// PAGINATION_NUMBER_INVALID
    PaginationNumberInvalid,
    /// Any other code, as sent.
    Other(String),
}

impl ErrorCode {
    /// Maps the wire string to a code.
    pub fn parse(code: &str) -> Self {
        match code {
            "BLOB_UNKNOWN" => ErrorCode::BlobUnknown,
            "BLOB_UPLOAD_INVALID" => ErrorCode::BlobUploadInvalid,
            "BLOB_UPLOAD_UNKNOWN" => ErrorCode::BlobUploadUnknown,
            "DIGEST_INVALID" => ErrorCode::DigestInvalid,
            "MANIFEST_BLOB_UNKNOWN" => ErrorCode::ManifestBlobUnknown,
            "MANIFEST_INVALID" => ErrorCode::ManifestInvalid,
            "MANIFEST_UNKNOWN" => ErrorCode::ManifestUnknown,
            "NAME_INVALID" => ErrorCode::NameInvalid,
            "NAME_UNKNOWN" => ErrorCode::NameUnknown,
            "SIZE_INVALID" => ErrorCode::SizeInvalid,
            "TAG_INVALID" => ErrorCode::TagInvalid,
            "UNAUTHORIZED" => ErrorCode::Unauthorized,
            "DENIED" => ErrorCode::Denied,
            "UNSUPPORTED" => ErrorCode::Unsupported,
            "TOOMANYREQUESTS" => ErrorCode::TooManyRequests,
            "PAGINATION_NUMBER_INVALID" => ErrorCode::PaginationNumberInvalid,
            other => ErrorCode::Other(other.to_string()),
        }
    }
}

/// One entry of the error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The code as sent (e.g. `MANIFEST_UNKNOWN`).
    pub code: String,
    /// The registry's message.
    pub message: String,
    /// The `detail` field rendered as compact JSON text, when present.
    pub detail: Option<String>,
}

impl RegistryError {
    /// The code as an enum.
    pub fn kind(&self) -> ErrorCode {
        ErrorCode::parse(&self.code)
    }
}

/// What the body of an error response was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorBody {
    /// The spec's JSON envelope.
    Envelope(Vec<RegistryError>),
    /// An HTML page, typically from a proxy; its `<title>` when it has one.
    Html {
        /// The page title.
        title: Option<String>,
    },
    /// Some other text, cut short.
    Text(String),
    /// No body (HEAD, or an empty answer).
    Empty,
}

/// Everything that can go wrong talking to a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Input refused before anything was sent.
    InvalidName(NameError),
    /// No HTTP response at all.
    Transport {
        /// Method of the failed request.
        method: Method,
        /// URL of the failed request.
        url: String,
        /// Why.
        error: TransportError,
    },
    /// The registry answered with a status that is not success.
    Registry {
        /// Method.
        method: Method,
        /// URL.
        url: String,
        /// Status code.
        status: u16,
        /// The body, classified.
        body: ErrorBody,
        /// `Retry-After`, when visible.
        retry_after: Option<String>,
    },
    /// Bytes did not hash to the digest they were fetched by or announced with.
    DigestMismatch {
        /// URL of the content.
        url: String,
        /// The digest it should have.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// A response could not be understood.
    Parse {
        /// URL of the response.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// Wharf refused to go on: not confirmed, moved since the plan, schema 1, an undo that must not
    /// happen, a partial failure. Nothing was sent, or the variant says what was.
    Refused(Refusal),
}

impl Error {
    /// Builds a registry error from a non-success response.
    pub fn from_response(method: Method, url: &str, response: &HttpResponse) -> Self {
        Error::Registry {
            method,
            url: url.to_string(),
            status: response.status,
            body: classify_body(&response.body),
            retry_after: response.headers.get("Retry-After").map(str::to_string),
        }
    }

    /// The HTTP status, for registry errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Registry { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The envelope's entries, if any.
    pub fn registry_errors(&self) -> &[RegistryError] {
        match self {
            Error::Registry { body: ErrorBody::Envelope(errors), .. } => errors,
            _ => &[],
        }
    }

    /// Whether the registry said the thing does not exist (404, or a *_UNKNOWN code).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
            || self.registry_errors().iter().any(|e| {
                matches!(e.kind(), ErrorCode::ManifestUnknown | ErrorCode::NameUnknown | ErrorCode::BlobUnknown)
            })
    }

    /// The refusal of Wharf's own, if this is one.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(refusal) => Some(refusal),
            _ => None,
        }
    }

    /// Whether the registry asked to slow down (429 Too Many Requests): wait for its
    /// `Retry-After` and send again.
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(429)
    }

    /// 401: a login is needed.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// The `Retry-After` a registry error carried.
    pub fn retry_after(&self) -> Option<&str> {
        match self {
            Error::Registry { retry_after, .. } => retry_after.as_deref(),
            _ => None,
        }
    }

    /// Worth trying again later: 429, 5xx, or a network failure.
    pub fn is_retryable(&self) -> bool {
        matches!(self.status(), Some(429) | Some(500..=599))
            || matches!(self, Error::Transport { error: TransportError::Unreachable { .. }, .. })
    }

    /// One line: what happened.
    pub fn headline(&self) -> String {
        match self {
            Error::InvalidName(e) => format!("{e}. Nothing was sent."),
            Error::Transport { method, url, error } => {
                match error {
                    TransportError::Unreachable { .. } => {
                        format!("Could not reach the registry: {method} {url} got no answer.")
                    }
                    TransportError::CorsBlocked { .. } => {
                        format!("The browser blocked the registry's answer to {method} {url} (CORS).")
                    }
                    TransportError::MixedContent => {
                        format!("The browser refused {method} {url}: an http: registry from an https: page (mixed content).")
                    }
                    TransportError::Auth(failure) => format!("{method} {url}: {failure}."),
                    TransportError::ReadOnly => {
                        format!("{method} {url} was not sent: this deployment of Wharf is read-only.")
                    }
                    TransportError::Other(detail) => format!("{method} {url} failed: {detail}"),
                }
            }
            Error::Registry { method, url, status, body, .. } => {
                let what = match body {
                    ErrorBody::Envelope(errors) if !errors.is_empty() => errors
                        .iter()
                        .map(|e| {
                            let mut s = format!("{}: {}", e.code, e.message);
                            if let Some(d) = &e.detail {
                                s.push_str(&format!(" (detail: {d})"));
                            }
                            s
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    ErrorBody::Html { title: Some(t) } => {
                        format!("an HTML page titled “{t}” instead of a registry answer")
                    }
                    ErrorBody::Html { title: None } => "an HTML page instead of a registry answer".to_string(),
                    ErrorBody::Text(t) => format!("“{t}”"),
                    _ => "no error details".to_string(),
                };
                format!("{method} {url} → {status} {}: {what}", status_text(*status))
            }
            Error::DigestMismatch { url, expected, actual } => {
                format!("The content of {url} hashes to {actual}, not {expected}.")
            }
            Error::Parse { url, detail } => format!("Could not read the answer of {url}: {detail}"),
            Error::Refused(refusal) => refusal.sentence(),
        }
    }

    /// What the user can do about it. Neutral about the app (no panels, forms or pages):
    /// [`Error::next_step`] says which step an app can offer in its own words.
    pub fn advice(&self) -> String {
        self.guidance().0
    }

    /// The step the advice points to that an app can offer directly (a login form, a log of
    /// exchanges, a self-test page), if any. It always agrees with [`Error::advice`]: both come
    /// from one table.
    pub fn next_step(&self) -> Option<NextStep> {
        self.guidance().1
    }

    /// Advice and next step, decided together so they cannot drift apart.
    fn guidance(&self) -> (String, Option<NextStep>) {
        use NextStep::{InspectExchange, LogIn, RunSelfTest};
        let text = |s: &str| (s.to_string(), None);
        match self {
            Error::InvalidName(_) => text("Correct the name and try again."),
            Error::Transport { error, .. } => match error {
                TransportError::Unreachable { .. } => text("Check the registry address (scheme, host and port) and that the registry is running and reachable from this browser."),
                TransportError::CorsBlocked { origin } => (cors_advice(origin), Some(RunSelfTest)),
                TransportError::MixedContent => text("Serve the registry over https, or open Wharf over http, or serve Wharf beside the registry on the same origin."),
                TransportError::Auth(failure) => auth_guidance(failure),
                TransportError::ReadOnly => text("Changes are switched off in config.json (\"read_only\": true)."),
                TransportError::Other(_) => ("Try again; if it persists, inspect the exchange (request and answer).".into(), Some(InspectExchange)),
            },
            Error::Registry { status, retry_after, .. } => {
                let codes: Vec<ErrorCode> = self.registry_errors().iter().map(RegistryError::kind).collect();
                if codes.contains(&ErrorCode::ManifestBlobUnknown) {
                    return text("This repository lacks a blob the manifest refers to (the detail names it): it was deleted or garbage-collected, or, for a copy, not copied first. Push the image again, or copy its blobs into this repository first.");
                }
                if codes.contains(&ErrorCode::PaginationNumberInvalid) {
                    return text("The registry refused the page size; it accepts at most its catalog.maxentries.");
                }
                match status {
                    400 => text("The registry rejected the request as invalid; its error codes say what it objected to."),
                    401 => ("The registry requires a login for this request.".into(), Some(LogIn)),
                    403 => text("Your account is not allowed to do this here (denied). Ask the registry administrator for the permission."),
                    404 => text("It does not exist at this registry: check the repository name and tag or digest."),
                    405 => text("The registry does not allow this method here: it may be read-only, or deletes may be disabled (storage.delete.enabled)."),
                    413 => text("The registry refused the size of the body (manifests are limited to 4 MiB)."),
                    429 => match retry_after {
                        Some(s) => (format!("The registry is rate limiting requests: wait {s} seconds and try again."), None),
                        None => text("The registry is rate limiting requests: wait a minute and try again."),
                    },
                    500..=599 => text("The registry failed internally; try again later or check its logs."),
                    _ => ("Read the registry's answer; inspect the exchange (request and answer) for the whole of it.".into(), Some(InspectExchange)),
                }
            }
            Error::DigestMismatch { .. } => text("The content was changed in transit or by a proxy; do not use it. Try again, without any proxy that rewrites bodies."),
            Error::Parse { .. } => text("The address may not be a registry (for instance a web page), or a proxy changed the answer."),
            Error::Refused(_) => text(""),
        }
    }
}

/// A step the user can take that an app offers in its own way ([`Error::next_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Log in to this registry (a login is missing or was refused).
    LogIn,
    /// Look at the whole exchange, request and answer.
    InspectExchange,
    /// Run the connection self-test, which tells CORS and login problems apart.
    RunSelfTest,
}

fn auth_guidance(failure: &AuthFailure) -> (String, Option<NextStep>) {
    let (text, step) = match failure {
        AuthFailure::LoginRequired { .. } => ("Log in to this registry with a user name and password.", Some(NextStep::LogIn)),
        AuthFailure::WrongCredentials { .. } => ("Check the user name and password and log in again.", Some(NextStep::LogIn)),
        AuthFailure::InsufficientScope { .. } => ("Your account is not allowed to do this here. Ask the registry administrator for the permission, or log in as another user.", None),
        AuthFailure::Refused { .. } => ("Your credentials were sent and the registry still refused: your account may not do this here, or the registry does not serve it for logged-in users. Ask the registry administrator, or log in as another user.", None),
        AuthFailure::TokenService { .. } => ("The registry's token service must be reachable from this browser (and send CORS headers when it is on another origin). Check the realm URL in the registry's auth configuration.", None),
    };
    (text.to_string(), step)
}

/// Whether the error is a login problem the login form can fix.
pub fn needs_login(error: &Error) -> bool {
    matches!(
        error,
        Error::Transport {
            error: TransportError::Auth(AuthFailure::LoginRequired { .. } | AuthFailure::WrongCredentials { .. }),
            ..
        }
    ) || error.is_unauthorized()
}

/// Whether a catalog request was refused or is not served, rather than failed: 401, 403, 404 or
/// 405, or a login the registry (or its token service) did not grant. Most hosted registries
/// answer so (Docker Hub, GHCR): the way in is a repository's name.
pub fn catalog_refused(error: &Error) -> bool {
    matches!(error.status(), Some(401 | 403 | 404 | 405))
        || matches!(
            error,
            Error::Transport {
                error: TransportError::Auth(
                    AuthFailure::LoginRequired { .. }
                        | AuthFailure::InsufficientScope { .. }
                        | AuthFailure::Refused { .. }
                ),
                ..
            }
        )
}

/// The headers a registry must send for Wharf on another origin, in distribution's config form.
pub fn cors_config_snippet(origin: &str) -> String {
    format!(
        "http:\n  headers:\n    Access-Control-Allow-Origin: ['{origin}']\n    Access-Control-Allow-Methods: ['HEAD', 'GET', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']\n    Access-Control-Allow-Headers: ['Authorization', 'Accept', 'Content-Type', 'Content-Range', 'Cache-Control']\n    Access-Control-Expose-Headers: ['Docker-Content-Digest', 'Link', 'Location', 'WWW-Authenticate', 'Range', 'Docker-Upload-UUID', 'OCI-Chunk-Min-Length', 'Retry-After', 'Warning', 'Content-Length', 'Content-Type']\n    Access-Control-Max-Age: ['600']"
    )
}

fn cors_advice(origin: &str) -> String {
    format!(
        "The registry answered, but without CORS headers that allow this page ({origin}). Either serve Wharf on the same origin as the registry, behind one reverse proxy (no CORS needed), or add to the registry's config.yml the lines below. If the registry requires a login, no header helps (distribution answers the preflight with 401): use the same origin or a proxy that answers OPTIONS (deploy/nginx-cors-proxy.conf). A connection self-test tells which case this is.\n{}",
        cors_config_snippet(origin)
    )
}

/// The reason phrase for common statuses.
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        413 => "Payload Too Large",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// The entries of an error envelope (`{"errors": [{code, message, detail}]}`), if `body` is one.
fn envelope(body: &[u8]) -> Option<Vec<RegistryError>> {
    use crate::json::{text_or_empty, Value};
    let json = crate::json::parse(body).ok()?;
    let entries = json.get("errors")?.as_array()?;
    entries
        .iter()
        .map(|e| {
            e.is_object().then(|| RegistryError {
                code: text_or_empty(e, "code"),
                message: text_or_empty(e, "message"),
                // A string detail is shown without its quotes; anything else as compact JSON.
                detail: match e.get("detail") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                },
            })
        })
        .collect()
}

/// Classifies an error body: envelope, HTML page, other text, or nothing.
pub fn classify_body(body: &[u8]) -> ErrorBody {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return ErrorBody::Empty;
    }
    if let Some(errors) = envelope(trimmed.as_bytes()) {
        return ErrorBody::Envelope(errors);
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<body") {
        let title = lower.find("<title>").and_then(|start| {
            let after = start + "<title>".len();
            lower[after..].find("</title>").map(|len| trimmed[after..after + len].trim().to_string())
        });
        return ErrorBody::Html { title: title.filter(|t| !t.is_empty()) };
    }
    ErrorBody::Text(truncate(trimmed, 300))
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max_chars).collect();
        format!("{cut}…")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())
    }
}

impl std::error::Error for Error {}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::Refused(refusal)
    }
}

impl From<NameError> for Error {
    fn from(e: NameError) -> Self {
        Error::InvalidName(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry_error(status: u16, body: &str) -> Error {
        Error::from_response(Method::Put, "http://r/v2/a/manifests/b", &HttpResponse::status(status).body(body))
    }

    #[test]
    fn envelope_with_unknown_codes_and_object_detail() {
        let e = registry_error(
            400,
            r#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:abc"},{"code":"SOMETHING_NEW","message":"x","detail":{"k":1}}]}"#,
        );
        let errors = e.registry_errors();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].kind(), ErrorCode::ManifestBlobUnknown);
        assert_eq!(errors[0].detail.as_deref(), Some("sha256:abc"));
        assert_eq!(errors[1].kind(), ErrorCode::Other("SOMETHING_NEW".into()));
        assert_eq!(errors[1].detail.as_deref(), Some(r#"{"k":1}"#));
        let headline = e.headline();
        assert!(headline.contains("400 Bad Request"), "{headline}");
        assert!(
            headline.contains("MANIFEST_BLOB_UNKNOWN: blob unknown to registry (detail: sha256:abc)"),
            "{headline}"
        );
        assert!(e.advice().contains("lacks a blob"));
    }

    #[test]
    fn html_and_text_and_empty_bodies() {
        let e = registry_error(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
        assert_eq!(e.headline(), "PUT http://r/v2/a/manifests/b → 502 Bad Gateway: an HTML page titled “502 Bad Gateway” instead of a registry answer");
        assert!(registry_error(404, "").headline().ends_with("no error details"));
        assert!(registry_error(404, "404 page not found\n").headline().contains("“404 page not found”"));
        let long = "x".repeat(1000);
        assert!(registry_error(500, &long).headline().len() < 500);
    }

    #[test]
    fn advice_per_status() {
        let table = [
            (401, "login"),
            (403, "denied"),
            (404, "does not exist"),
            (405, "storage.delete.enabled"),
            (429, "rate limiting"),
            (503, "internally"),
        ];
        for (status, needle) in table {
            let advice = registry_error(status, "").advice();
            assert!(advice.contains(needle), "{status}: {advice}");
        }
        let throttled = Error::from_response(Method::Get, "u", &HttpResponse::status(429).header("Retry-After", "17"));
        assert!(!catalog_refused(&throttled), "a 429 is a pause, not a refusal");
        for status in [401, 403, 404, 405] {
            assert!(catalog_refused(&registry_error(status, "")), "{status}");
        }
        assert!(!catalog_refused(&registry_error(500, "")));
        let denied = Error::Transport {
            method: Method::Get,
            url: "u".into(),
            error: TransportError::Auth(AuthFailure::InsufficientScope { scopes: vec!["registry:catalog:*".into()] }),
        };
        assert!(catalog_refused(&denied));
        let refused = Error::Transport {
            method: Method::Get,
            url: "u".into(),
            error: TransportError::Auth(AuthFailure::Refused { request: "GET /v2/_catalog".into() }),
        };
        assert!(catalog_refused(&refused));
        assert!(throttled.advice().contains("wait 17 seconds"));
        assert!(throttled.is_retryable());
    }

    #[test]
    fn predicates() {
        assert!(registry_error(404, "").is_not_found());
        assert!(registry_error(400, r#"{"errors":[{"code":"NAME_UNKNOWN","message":"m"}]}"#).is_not_found());
        assert!(registry_error(401, "").is_unauthorized());
        assert!(!registry_error(400, "").is_retryable());
    }

    #[test]
    fn transport_advice_names_headers() {
        let e = Error::Transport {
            method: Method::Get,
            url: "http://r:5000/v2/".into(),
            error: TransportError::CorsBlocked { origin: "http://ui:8080".into() },
        };
        assert!(e.headline().contains("CORS"));
        let advice = e.advice();
        for needle in [
            "Access-Control-Allow-Origin: ['http://ui:8080']",
            "Access-Control-Expose-Headers",
            "Docker-Content-Digest",
            "same origin",
        ] {
            assert!(advice.contains(needle), "{needle} in {advice}");
        }
        let unreachable = Error::Transport {
            method: Method::Get,
            url: "u".into(),
            error: TransportError::Unreachable { detail: "x".into() },
        };
        assert!(unreachable.headline().starts_with("Could not reach"));
        assert!(unreachable.advice().contains("running"));
    }

    #[test]
    fn next_step_per_case_and_advice_names_no_screen() {
        let transport = |error: TransportError| Error::Transport { method: Method::Get, url: "u".into(), error };
        let auth = |failure: AuthFailure| transport(TransportError::Auth(failure));
        let table = [
            (registry_error(401, ""), Some(NextStep::LogIn)),
            (auth(AuthFailure::LoginRequired { scheme: "bearer".into() }), Some(NextStep::LogIn)),
            (auth(AuthFailure::WrongCredentials { by: "the registry".into() }), Some(NextStep::LogIn)),
            (auth(AuthFailure::InsufficientScope { scopes: vec!["repository:a:push".into()] }), None),
            (auth(AuthFailure::TokenService { realm: "r".into(), detail: "d".into() }), None),
            (transport(TransportError::CorsBlocked { origin: "http://ui".into() }), Some(NextStep::RunSelfTest)),
            (transport(TransportError::Other("aborted".into())), Some(NextStep::InspectExchange)),
            (transport(TransportError::Unreachable { detail: "x".into() }), None),
            (transport(TransportError::ReadOnly), None),
            (registry_error(418, ""), Some(NextStep::InspectExchange)),
            (registry_error(409, "<html><title>t</title></html>"), Some(NextStep::InspectExchange)),
            (registry_error(400, ""), None),
            (registry_error(403, ""), None),
            (registry_error(404, ""), None),
            (registry_error(503, ""), None),
            (registry_error(418, r#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"m"}]}"#), None),
            (Error::Parse { url: "u".into(), detail: "d".into() }, None),
            (Error::Refused(Refusal::Schema1), None),
        ];
        for (error, step) in table {
            assert_eq!(error.next_step(), step, "{error}");
            assert_eq!(step == Some(NextStep::LogIn), needs_login(&error), "{error}");
            let advice = error.advice();
            for furniture in ["wire panel", "top of the page", "above", "The self-test"] {
                assert!(!advice.contains(furniture), "{furniture} in {advice}");
            }
            let named = match step {
                Some(NextStep::LogIn) => ["log in", "login"].iter().any(|w| advice.to_lowercase().contains(w)),
                Some(NextStep::InspectExchange) => advice.contains("inspect the exchange"),
                Some(NextStep::RunSelfTest) => advice.contains("self-test"),
                None => true,
            };
            assert!(named, "{step:?} is not named in {advice}");
        }
    }
}
