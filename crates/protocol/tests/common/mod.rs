//! A scripted registry: the exchanges a test expects, in order; anything else fails the test.
//!
//! A row matches the request's method and URL (path and query) and, where the row says so, the
//! headers that matter (an Accept list, a Content-Type) and the sha256 of the body sent: a PUT
//! with the wrong Content-Type or re-serialised bytes fails the test.
#![allow(dead_code)] // Each test binary uses a different part.

use std::cell::RefCell;
use std::collections::VecDeque;

use wharf_protocol::digest::sha256_of;
use wharf_protocol::http::{HttpRequest, HttpResponse, Method, Transport, TransportError};
use wharf_protocol::names::Digest;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::Registry;

/// The scripted registry's address.
pub const BASE: &str = "http://r:5000";

/// One expected exchange.
pub struct Row {
    pub method: Method,
    pub url: String,
    /// Headers the request must carry, with these exact values.
    pub headers: Vec<(String, String)>,
    /// The sha256 of the body the request must carry.
    pub body: Option<Digest>,
    pub response: Result<HttpResponse, TransportError>,
}

impl Row {
    /// The request must carry this header with this value.
    pub fn header(mut self, name: &str, value: &str) -> Row {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The request's body must be exactly these bytes (compared by digest).
    pub fn body(mut self, bytes: &[u8]) -> Row {
        self.body = Some(sha256_of(bytes));
        self
    }
}

pub fn row(method: Method, url: impl Into<String>, response: HttpResponse) -> Row {
    Row { method, url: url.into(), headers: Vec::new(), body: None, response: Ok(response) }
}

/// A row whose request gets no answer at all.
pub fn row_failing(method: Method, url: impl Into<String>, error: TransportError) -> Row {
    Row { method, url: url.into(), headers: Vec::new(), body: None, response: Err(error) }
}

/// Where the client GETs a manifest of repository `app` by digest.
pub fn by_digest_url(digest: &impl std::fmt::Display) -> String {
    format!("{BASE}/v2/app/manifests/{digest}")
}

/// The one scripted registry at [`BASE`].
pub fn registry(script: &Script) -> Registry<&Script> {
    registry_at(BASE, script)
}

/// A scripted registry at another origin (the other end of a copy).
pub fn registry_at<'a>(origin: &str, script: &'a Script) -> Registry<&'a Script> {
    Registry::new(RegistryUrl::Origin(origin.into()), script)
}

#[derive(Default)]
pub struct Script {
    pub rows: RefCell<VecDeque<Row>>,
    pub sent: RefCell<Vec<HttpRequest>>,
}

impl Script {
    pub fn new(rows: Vec<Row>) -> Self {
        Script { rows: RefCell::new(rows.into()), sent: RefCell::default() }
    }

    pub fn assert_done(&self) {
        assert!(self.rows.borrow().is_empty(), "{} scripted exchanges were never requested", self.rows.borrow().len());
    }
}

impl Transport for &Script {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let row = self
            .rows
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request {} {}", request.method, request.url));
        assert_eq!((request.method, request.url.as_str()), (row.method, row.url.as_str()), "request out of script");
        for (name, value) in &row.headers {
            assert_eq!(
                request.headers.get(name),
                Some(value.as_str()),
                "{} {}: header {name} is not as scripted",
                request.method,
                request.url
            );
        }
        if let Some(expected) = &row.body {
            let sent = sha256_of(&request.body);
            assert_eq!(&sent, expected, "{} {}: the body is not the bytes scripted", request.method, request.url);
        }
        self.sent.borrow_mut().push(request);
        row.response
    }
}
