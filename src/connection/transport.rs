//! The browser's [`Transport`]: `fetch` (see [`super::fetch`]), every exchange recorded for the
//! wire panel.
//!
//! Requests go out with `cache: 'no-store'` (registries send no `Vary: Accept`, so the HTTP cache
//! could hand back another representation of a manifest) and `credentials: 'omit'` (Wharf sets any
//! `Authorization` itself). A failed fetch tells the page nothing about why, so the adapter probes
//! once with `mode: 'no-cors'`: if that resolves, the server is up and CORS is what blocked it.

use std::cell::Cell;
use std::rc::Rc;

use web_sys::{RequestCache, RequestCredentials, RequestMode};
use wharf_protocol::curl::Exchange;
use wharf_protocol::http::{Headers, HttpRequest, HttpResponse, Method, Transport, TransportError};
use yew::Callback;

use super::fetch::{self, Options};

/// Fetch-based transport that reports each exchange to `record`.
#[derive(Clone)]
pub struct BrowserTransport {
    record: Callback<Exchange>,
    next_id: Rc<Cell<u64>>,
    read_only: bool,
    /// Requests sent and not answered yet.
    in_flight: Rc<Cell<usize>>,
}

impl PartialEq for BrowserTransport {
    fn eq(&self, other: &Self) -> bool {
        self.record == other.record && Rc::ptr_eq(&self.next_id, &other.next_id)
    }
}

impl BrowserTransport {
    /// A transport reporting to `record`, numbering exchanges with `ids`.
    /// `read_only` (from the runtime config) stops every mutating request before it is sent.
    pub fn new(record: Callback<Exchange>, ids: Rc<Cell<u64>>, read_only: bool) -> Self {
        BrowserTransport { record, next_id: ids, read_only, in_flight: Rc::default() }
    }
}

/// Milliseconds since the page started, for timings.
pub fn now_ms() -> f64 {
    thread_local! {
        // Looked up once: every request reads the clock twice.
        static PERFORMANCE: Option<web_sys::Performance> = web_sys::window().and_then(|w| w.performance());
    }
    PERFORMANCE.with(|p| p.as_ref().map_or(0.0, |p| p.now()))
}

/// Sets a User Timing mark (read by the benchmark; visible in the browser's performance tools).
pub fn performance_mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Whether the page's latest request went over a multiplexed connection (HTTP/2 or 3), read from
/// Resource Timing's `nextHopProtocol` (empty cross-origin without `Timing-Allow-Origin`: then it
/// counts as HTTP/1.1, the cautious answer).
pub fn connection_is_multiplexed() -> bool {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else { return false };
    let entries = performance.get_entries_by_type("resource");
    let latest = entries.get(entries.length().saturating_sub(1));
    js_sys::Reflect::get(&latest, &"nextHopProtocol".into())
        .ok()
        .and_then(|p| p.as_string())
        .is_some_and(|p| p.starts_with("h2") || p.starts_with("h3"))
}

fn page_origin() -> String {
    thread_local! {
        // Read once: the page's origin does not change, and a bulk run asks for it per request.
        static ORIGIN: String = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    }
    ORIGIN.with(Clone::clone)
}

/// The URL as the browser resolves it (same-origin requests are written as paths).
fn absolute(url: &str) -> String {
    if url.starts_with('/') {
        format!("{}{}", page_origin(), url)
    } else {
        url.to_string()
    }
}

impl BrowserTransport {
    fn take_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    async fn fetch(&self, request: &HttpRequest) -> Result<HttpResponse, String> {
        let options =
            Options { cache: RequestCache::NoStore, credentials: RequestCredentials::Omit, mode: RequestMode::Cors };
        let response =
            fetch::send(request.method.as_str(), &request.url, &request.headers, &request.body, options).await?;
        let headers = fetch::headers_of(&response);
        // No body to wait for: a HEAD, or a success that says it sent none (a PUT's 201). An
        // error's body is always read: its envelope says what went wrong.
        let empty = response.ok() && headers.get("Content-Length").is_some_and(|l| l.trim() == "0");
        let body = if request.method == Method::Head || empty { Vec::new() } else { fetch::bytes(&response).await? };
        Ok(HttpResponse { status: response.status(), headers, body })
    }

    /// After a failed fetch: is the server there at all? An opaque `no-cors` answer says yes.
    async fn diagnose(&self, request: &HttpRequest, detail: String) -> TransportError {
        let target = absolute(&request.url);
        let origin = page_origin();
        if origin.starts_with("https:") && target.starts_with("http:") {
            return TransportError::MixedContent;
        }
        if request.url.starts_with('/') {
            return TransportError::Unreachable { detail };
        }
        let started = now_ms();
        let probe = HttpRequest::new(Method::Get, request.url.clone());
        let options =
            Options { cache: RequestCache::NoStore, credentials: RequestCredentials::Omit, mode: RequestMode::NoCors };
        let answered = fetch::send("GET", &request.url, &Headers::new(), &[], options).await.is_ok();
        let note = if answered {
            "no-cors probe: the server answered (opaque), so CORS blocked the real request"
        } else {
            "no-cors probe: no answer either, so the server is unreachable"
        };
        self.record.emit(Exchange::new(self.take_id(), &probe, target, Err(note.to_string()), now_ms() - started));
        if answered {
            TransportError::CorsBlocked { origin }
        } else {
            TransportError::Unreachable { detail }
        }
    }
}

impl Transport for BrowserTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        // Defence in depth: read-only pages show no mutating action, and none gets through here.
        if self.read_only && request.method.is_mutating() {
            return Err(TransportError::ReadOnly);
        }
        let id = self.take_id();
        // Marks around a change's requests (a PUT, and the GET by digest of what it writes), so
        // the time between answers and requests is seen; not around a glance's thousands of HEADs,
        // nor a bulk run's thousand PUTs (others in flight: the marks would say nothing).
        let alone = self.in_flight.get() == 0;
        let marked = alone && (request.method == Method::Put || request.url.contains("/manifests/sha256:"));
        self.in_flight.set(self.in_flight.get() + 1);
        if marked {
            performance_mark("wharf:request-sent");
        }
        let started = now_ms();
        let outcome = self.fetch(&request).await;
        self.in_flight.set(self.in_flight.get() - 1);
        let elapsed = now_ms() - started;
        if marked {
            performance_mark("wharf:answer-read");
        }
        let shown = outcome.as_ref().map_err(|e| format!("fetch failed: {e}"));
        self.record.emit(Exchange::new(id, &request, absolute(&request.url), shown, elapsed));
        match outcome {
            Ok(response) => Ok(response),
            // A probe's failure is its answer: no second request to tell a block from an outage.
            Err(detail) if request.failure_answers => Err(TransportError::Other(detail)),
            Err(detail) => Err(self.diagnose(&request, detail).await),
        }
    }
}
