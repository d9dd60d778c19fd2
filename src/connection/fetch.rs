//! The browser's `fetch`, called through web-sys directly: the page's every request goes through
//! here. A wrapper (gloo-net) built a `Request` object and a `Headers` wrapper per call, on the
//! page's main thread; a bulk run makes a thousand calls, and that work was on its path.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCache, RequestCredentials, RequestInit, RequestMode, Response};
use wharf_protocol::http::Headers;

/// What a request is sent with besides its method, URL, headers and body.
pub struct Options {
    /// The browser's HTTP cache.
    pub cache: RequestCache,
    /// Cookies and HTTP authentication the browser would add.
    pub credentials: RequestCredentials,
    /// `no-cors` for a probe whose only question is whether anything answers.
    pub mode: RequestMode,
}

/// What fetch threw, as text (a `TypeError: Failed to fetch`, usually).
fn describe(thrown: JsValue) -> String {
    match thrown.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.to_string()),
        None => thrown.as_string().unwrap_or_else(|| "fetch failed".into()),
    }
}

/// Sends a request and waits for its answer's status and headers (not its body).
pub async fn send(
    method: &str,
    url: &str,
    headers: &Headers,
    body: &[u8],
    options: Options,
) -> Result<Response, String> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_cache(options.cache);
    init.set_credentials(options.credentials);
    init.set_mode(options.mode);
    if headers.iter().next().is_some() {
        let sent = web_sys::Headers::new().map_err(describe)?;
        for (name, value) in headers.iter() {
            sent.append(name, value).map_err(describe)?;
        }
        init.set_headers(&sent);
    }
    if !body.is_empty() {
        // Bytes, never a string: a string body goes out as text/plain and is re-encoded.
        init.set_body(&Uint8Array::from(body));
    }
    let window = web_sys::window().ok_or("no window")?;
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(describe)?;
    Ok(answer.unchecked_into())
}

/// The answer's headers, in the order the browser gives them. They cross into the app as one
/// JSON text (`[[name, value], …]`, made by the browser's own `Array.from` and `JSON.stringify`):
/// walking the `Headers` iterator took about fifty calls across the JS boundary per answer, and a
/// bulk run reads a thousand answers on the main thread their next requests wait on. Should the
/// text ever not come, the iterator is walked: a header dropped here would be read as hidden (a
/// digest "not exposed", a last page of tags).
pub fn headers_of(response: &Response) -> Headers {
    let pairs = Array::from(&response.headers());
    let text = js_sys::JSON::stringify(&pairs).ok().and_then(|t| t.as_string());
    let parsed = text.and_then(|t| wharf_protocol::json::parse(t.as_bytes()).ok());
    let Some(list) = parsed.as_ref().and_then(|json| json.as_array()) else { return headers_by_entries(&pairs) };
    let mut headers = Headers::new();
    for pair in list {
        if let (Some(name), Some(value)) = (pair.get(0).and_then(|n| n.as_str()), pair.get(1).and_then(|v| v.as_str()))
        {
            headers.push(name, value);
        }
    }
    headers
}

/// The headers read pair by pair, from what `Array.from` made of them.
fn headers_by_entries(pairs: &Array) -> Headers {
    let mut headers = Headers::new();
    for pair in pairs.iter() {
        let pair: Array = pair.unchecked_into();
        if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            headers.push(name, value);
        }
    }
    headers
}

/// The answer's body as bytes.
pub async fn bytes(response: &Response) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(response.array_buffer().map_err(describe)?).await.map_err(describe)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The answer's body as text.
pub async fn text(response: &Response) -> Result<String, String> {
    let text = JsFuture::from(response.text().map_err(describe)?).await.map_err(describe)?;
    Ok(text.as_string().unwrap_or_default())
}
