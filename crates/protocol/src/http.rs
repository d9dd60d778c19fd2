//! The one seam between the protocol and the outside world.
//!
//! A request is plain data; a [`Transport`] sends it and returns status, headers and the exact
//! body bytes. The trait has no `Send` bound on purpose: browser fetch futures are `!Send`. Any
//! closure `Fn(HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>>` is a
//! transport, which is how tests script a registry.
//!
//! This is the ground floor: it names no module above it. The one crate type it carries,
//! [`AuthFailure`], lives in the leaf [`crate::auth_failure`], which imports nothing.

use std::fmt;
use std::future::Future;

use crate::auth_failure::AuthFailure;

/// HTTP methods the registry API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// PUT
    Put,
    /// POST
    Post,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the method changes state at the registry.
    pub fn is_mutating(self) -> bool {
        !matches!(self, Method::Get | Method::Head)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header list with case-insensitive lookup; order and repeats are kept as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// An empty list.
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    /// Appends a header.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Builder form of [`Headers::push`].
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(name, value);
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of a header, joined by ", " as browsers and proxies do.
    pub fn get_joined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> =
            self.0.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// All headers in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Headers(iter.into_iter().map(|(n, v)| (n.into(), v.into())).collect())
    }
}

/// A request, fully built: absolute URL, headers, body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL, or a path starting with `/` when the registry is the page's own origin.
    pub url: String,
    /// Request headers.
    pub headers: Headers,
    /// Body bytes, sent exactly as given.
    pub body: Vec<u8>,
    /// A failure to get any answer is itself the answer (a probe of a route the registry may not
    /// serve): the transport need not find out why with a second request.
    pub failure_answers: bool,
}

impl HttpRequest {
    /// A request without headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        HttpRequest { method, url: url.into(), headers: Headers::new(), body: Vec::new(), failure_answers: false }
    }

    /// Marks a probe whose failure needs no diagnosis ([`HttpRequest::failure_answers`]).
    pub fn probe(mut self) -> Self {
        self.failure_answers = true;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
}

/// A response: status, headers the transport could see, and the exact body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Response headers. In a browser, only the CORS-exposed ones are here.
    pub headers: Headers,
    /// Body bytes, untouched.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a status and nothing else.
    pub fn status(status: u16) -> Self {
        HttpResponse { status, headers: Headers::new(), body: Vec::new() }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no response arrived at all. The browser cannot see the reason of a failed fetch, so the
/// transport classifies it by probing (see the app's fetch adapter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// Nothing answered: wrong address, registry down, or DNS failure.
    Unreachable {
        /// What the transport saw.
        detail: String,
    },
    /// The registry answered but the browser withheld the response: CORS headers missing.
    CorsBlocked {
        /// The page's origin, which the registry must allow.
        origin: String,
    },
    /// An `http:` registry from an `https:` page: the browser refuses mixed content.
    MixedContent,
    /// Not sent: this deployment is read-only and the request would change the registry.
    ReadOnly,
    /// The request needed a login that failed or was refused (produced by the login transport).
    Auth(AuthFailure),
    /// Anything else (aborted, invalid URL).
    Other(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Unreachable { detail } => write!(f, "unreachable ({detail})"),
            TransportError::CorsBlocked { origin } => {
                write!(f, "blocked by CORS for origin {origin}")
            }
            TransportError::MixedContent => f.write_str("blocked as mixed content"),
            TransportError::Auth(failure) => write!(f, "{failure}"),
            TransportError::ReadOnly => f.write_str("not sent: read-only mode"),
            TransportError::Other(s) => f.write_str(s),
        }
    }
}

/// Sends requests. Implemented by the browser's fetch adapter, a native client, and closures.
#[allow(async_fn_in_trait)] // No Send bound on purpose: browser futures are !Send.
pub trait Transport {
    /// Sends one request and returns whatever the server answered, errors included.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<F, Fut> Transport for F
where
    F: Fn(HttpRequest) -> Fut,
    Fut: Future<Output = Result<HttpResponse, TransportError>>,
{
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_join_repeats() {
        let h = Headers::new()
            .with("WWW-Authenticate", "Bearer realm=\"a\"")
            .with("www-authenticate", "Basic realm=\"b\"")
            .with("Content-Type", "x");
        assert_eq!(h.get("content-type"), Some("x"));
        assert_eq!(h.get_joined("Www-Authenticate").unwrap(), "Bearer realm=\"a\", Basic realm=\"b\"");
        assert_eq!(h.get("missing"), None);
    }

    #[test]
    fn closures_are_transports() {
        let transport = |req: HttpRequest| async move { Ok(HttpResponse::status(200).body(req.url.into_bytes())) };
        let response = pollster::block_on(transport.send(HttpRequest::new(Method::Get, "/v2/"))).unwrap();
        assert_eq!(response.body, b"/v2/");
    }
}
