//! A scripted registry: the exchanges a test expects, in order; anything else fails the test.
#![allow(dead_code)] // Each test binary uses a different part.

use std::cell::RefCell;
use std::collections::VecDeque;

use wharf_protocol::http::{HttpRequest, HttpResponse, Method, Transport, TransportError};

/// One expected exchange.
pub struct Row {
    pub method: Method,
    pub url: String,
    pub response: Result<HttpResponse, TransportError>,
}

pub fn row(method: Method, url: impl Into<String>, response: HttpResponse) -> Row {
    Row { method, url: url.into(), response: Ok(response) }
}

/// Where the client GETs a manifest of repository `app` by digest.
pub fn by_digest_url(digest: &impl std::fmt::Display) -> String {
    format!("http://r:5000/v2/app/manifests/{digest}")
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
        self.sent.borrow_mut().push(request);
        row.response
    }
}
