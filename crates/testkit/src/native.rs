//! A native transport (ureq) for driving the protocol core against a real registry from Rust
//! tests, without a browser.

use wharf_protocol::http::{Headers, HttpRequest, HttpResponse, Transport, TransportError};

/// Blocking HTTP through ureq; the future completes on first poll.
pub struct NativeTransport {
    agent: ureq::Agent,
}

impl Default for NativeTransport {
    fn default() -> Self {
        NativeTransport { agent: ureq::AgentBuilder::new().redirects(0).build() }
    }
}

impl Transport for NativeTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut call = self.agent.request(request.method.as_str(), &request.url);
        for (name, value) in request.headers.iter() {
            call = call.set(name, value);
        }
        let result = if request.body.is_empty() { call.call() } else { call.send_bytes(&request.body) };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(TransportError::Unreachable { detail: e.to_string() }),
        };
        let status = response.status();
        let headers: Headers = response
            .headers_names()
            .iter()
            .flat_map(|name| response.all(name).into_iter().map(move |v| (name.clone(), v.to_string())))
            .collect();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut body)
            .map_err(|e| TransportError::Other(e.to_string()))?;
        Ok(HttpResponse { status, headers, body })
    }
}
