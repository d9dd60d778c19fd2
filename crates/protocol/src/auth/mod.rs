//! Logins: Basic, and the Bearer token flow of the distribution spec.
//!
//! [`AuthTransport`] wraps any [`Transport`]. It attaches what the registry asked for before
//! (Basic credentials, or a cached token covering the request's scopes), renews tokens before they
//! expire, and on a 401 reads the challenge, fetches a token for the union of the scopes it already
//! holds and the new ones, and retries once. A second refusal is reported, never retried: the token
//! server grants scopes silently, so a repeated 401 means "denied", not "try again".
//!
//! Credentials are sent only to the registry and to the realm its challenge names. They have a
//! redacted `Debug`, and the wire records replace `Authorization` (see [`crate::curl`]).

pub mod challenge;
pub mod scope;
pub mod token;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

pub use crate::auth_failure::AuthFailure;
use crate::http::{HttpRequest, HttpResponse, Transport, TransportError};
use challenge::{parse_challenges, Challenge};
use scope::{needed_for, parse_scopes, union, Scope};
use token::{parse_token_response, token_request, Realm, TokenCache};

/// Standard base64 with padding (RFC 4648), for `Authorization: Basic`: a dozen lines here, where
/// the base64 crate's general engine was about 2 KB of the bundle for this one header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let bits = chunk.iter().enumerate().fold(0u32, |bits, (i, &b)| bits | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            // A chunk of n bytes fills n + 1 characters; the rest of the four are padding.
            out.push(if i <= chunk.len() { char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    out
}

/// A user name and password. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    password: String,
}

impl Credentials {
    /// Credentials from a login form.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials { username: username.into(), password: password.into() }
    }

    /// `Basic base64(user:password)`.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!("Basic {}", base64(raw.as_bytes()))
    }

    /// The password, for the one place that must store it (the opt-in session storage).
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"‹redacted›").finish()
    }
}

/// What an [`AuthTransport`] knows about one registry's login, shared by every client of it.
#[derive(Debug, Default)]
pub struct AuthState {
    credentials: Option<Credentials>,
    uses_basic: bool,
    realm: Option<Realm>,
    tokens: TokenCache,
}

impl AuthState {
    /// Sets (or clears) the credentials; cached tokens are dropped with the old ones.
    pub fn set_credentials(&mut self, credentials: Option<Credentials>) {
        self.credentials = credentials;
        self.tokens.clear();
    }

    /// The credentials in use.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }
}

/// Shared login state.
pub type SharedAuth = Rc<RefCell<AuthState>>;

/// A transport that logs in. `now` returns seconds on any steady clock.
pub struct AuthTransport<T, C> {
    inner: T,
    state: SharedAuth,
    now: C,
    /// URL prefix of the registry: credentials and tokens go only to URLs under it (a Link or
    /// Location naming another host gets none).
    home: String,
}

impl<T: Transport, C: Fn() -> f64> AuthTransport<T, C> {
    /// Wraps `inner` for the registry at `registry`, sharing login state `state`.
    pub fn new(inner: T, state: SharedAuth, now: C, registry: &crate::requests::RegistryUrl) -> Self {
        AuthTransport { inner, state, now, home: registry.prefix().to_string() }
    }

    /// Whether `url` is the registry's own (same-origin registries are addressed by path).
    fn is_home(&self, url: &str) -> bool {
        if self.home.is_empty() {
            url.starts_with('/') && !url.starts_with("//")
        } else {
            url.strip_prefix(self.home.as_str()).is_some_and(|rest| rest.starts_with('/'))
        }
    }

    /// Fetches a token for `scopes` from `realm` and caches it.
    async fn fetch_token(&self, realm: &Realm, scopes: Vec<Scope>) -> Result<String, TransportError> {
        let credentials = self.state.borrow().credentials.clone();
        let request = token_request(realm, &scopes, credentials.as_ref());
        let response = self.inner.send(request).await.map_err(|e| {
            TransportError::Auth(AuthFailure::TokenService { realm: realm.url.clone(), detail: e.to_string() })
        })?;
        match response.status {
            200..=299 => {}
            401 | 403 if credentials.is_some() => {
                return Err(TransportError::Auth(AuthFailure::WrongCredentials { by: realm.url.clone() }))
            }
            401 | 403 => return Err(TransportError::Auth(AuthFailure::LoginRequired { scheme: "bearer".into() })),
            status => {
                return Err(TransportError::Auth(AuthFailure::TokenService {
                    realm: realm.url.clone(),
                    detail: format!("it answered HTTP {status}"),
                }))
            }
        }
        let token = parse_token_response(&response.body, (self.now)())
            .map_err(|detail| TransportError::Auth(AuthFailure::TokenService { realm: realm.url.clone(), detail }))?;
        let value = token.value.clone();
        self.state.borrow_mut().tokens.insert(realm.clone(), scopes, token);
        Ok(value)
    }

    /// The Authorization value to send up front (renewing a token close to expiry), and for a
    /// token the scopes it was issued for.
    async fn preemptive_authorization(&self, needed: &[Scope]) -> Result<Sent, TransportError> {
        let now = (self.now)();
        let (basic, realm, fresh, renew) = {
            let state = self.state.borrow();
            let basic = if state.uses_basic { state.credentials.as_ref().map(Credentials::basic_header) } else { None };
            let realm = state.realm.clone();
            let fresh = realm
                .as_ref()
                .and_then(|r| state.tokens.find(r, needed, now))
                .map(|(scopes, t)| (scopes.to_vec(), t.value.clone()));
            let renew = state.tokens.covering(needed).map(|(_, scopes, _)| scopes.to_vec());
            (basic, realm, fresh, renew)
        };
        if let Some(header) = basic {
            return Ok(Sent::Basic(header));
        }
        let Some(realm) = realm else { return Ok(Sent::Nothing) };
        if let Some((scopes, token)) = fresh {
            return Ok(Sent::Bearer { header: format!("Bearer {token}"), scopes });
        }
        if needed.is_empty() {
            return Ok(Sent::Nothing);
        }
        // Known realm: ask for the union of what we hold and what this request needs, before the
        // registry has to refuse it (and before a held token lapses in a long run).
        let held = self.state.borrow().tokens.scopes_of(&realm);
        let scopes = union(&[&held, renew.as_deref().unwrap_or(&[]), needed]);
        let token = self.fetch_token(&realm, scopes.clone()).await?;
        Ok(Sent::Bearer { header: format!("Bearer {token}"), scopes })
    }
}

impl<T: Transport, C: Fn() -> f64> AuthTransport<T, C> {
    /// A 401 without a readable challenge. Anonymous: it goes back as it is (the page asks for a
    /// login). With credentials not sent yet (the scheme was never learned, as after a reload
    /// with remembered credentials): the scheme is learned from `/v2/`, which registries
    /// challenge even where their other routes do not, and the request is sent again with the
    /// credentials. With credentials sent: a refusal, not "log in".
    async fn without_challenge(
        &self,
        request: &HttpRequest,
        response: HttpResponse,
        sent: &Sent,
        needed: &[Scope],
    ) -> Result<HttpResponse, TransportError> {
        let refused = || {
            let path = request.url.strip_prefix(self.home.as_str()).unwrap_or(&request.url);
            TransportError::Auth(AuthFailure::Refused { request: format!("{} {path}", request.method) })
        };
        if self.state.borrow().credentials.is_none() {
            return Ok(response);
        }
        if !matches!(sent, Sent::Nothing) {
            return Err(refused());
        }
        let ping = self.inner.send(HttpRequest::new(crate::http::Method::Get, format!("{}/v2/", self.home))).await?;
        let learned = challenge_of(&ping);
        match (&learned, learned.as_ref().and_then(Realm::of)) {
            (Some(c), _) if c.scheme == "basic" => self.state.borrow_mut().uses_basic = true,
            (_, Some(realm)) => self.state.borrow_mut().realm = Some(realm),
            // Nothing to learn: the 401 stands as the registry sent it.
            _ => return Ok(response),
        }
        let sent = self.preemptive_authorization(needed).await?;
        let retried = self.inner.send(with_authorization(request, sent.header())).await?;
        match retried.status {
            401 if challenge_of(&retried).is_some_and(|c| c.scheme == "basic") => {
                Err(TransportError::Auth(AuthFailure::WrongCredentials { by: "the registry".into() }))
            }
            401 => Err(refused()),
            _ => Ok(retried),
        }
    }
}

/// What went out with a request.
enum Sent {
    Nothing,
    Basic(String),
    Bearer { header: String, scopes: Vec<Scope> },
}

impl Sent {
    fn header(&self) -> Option<&str> {
        match self {
            Sent::Nothing => None,
            Sent::Basic(h) | Sent::Bearer { header: h, .. } => Some(h),
        }
    }
}

fn with_authorization(request: &HttpRequest, authorization: Option<&str>) -> HttpRequest {
    let mut request = request.clone();
    if let Some(value) = authorization {
        request.headers = request.headers.iter().filter(|(n, _)| !n.eq_ignore_ascii_case("authorization")).collect();
        request.headers.push("Authorization", value);
    }
    request
}

fn challenge_of(response: &HttpResponse) -> Option<Challenge> {
    let header = response.headers.get_joined("WWW-Authenticate")?;
    let challenges = parse_challenges(&header).ok()?;
    // Prefer Bearer when a registry offers both.
    challenges.iter().find(|c| c.scheme == "bearer").or_else(|| challenges.first()).cloned()
}

/// A refusal after a token: anonymous users are asked to log in, logged-in ones are told they
/// lack the permission.
fn denied(scopes: &[Scope], logged_in: bool) -> TransportError {
    if !logged_in {
        return TransportError::Auth(AuthFailure::LoginRequired { scheme: "bearer".into() });
    }
    TransportError::Auth(AuthFailure::InsufficientScope { scopes: scopes.iter().map(ToString::to_string).collect() })
}

impl<T: Transport, C: Fn() -> f64> Transport for AuthTransport<T, C> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if !self.is_home(&request.url) {
            // Another host (an absolute Link, a redirect target, an upload Location elsewhere):
            // no credentials, no token.
            return self.inner.send(request).await;
        }
        let needed = needed_for(request.method, &request.url);
        let sent = self.preemptive_authorization(&needed).await?;
        let response = self.inner.send(with_authorization(&request, sent.header())).await?;
        if response.status != 401 {
            return Ok(response);
        }
        let Some(challenge) = challenge_of(&response) else {
            return self.without_challenge(&request, response, &sent, &needed).await;
        };
        let has_credentials = self.state.borrow().credentials.is_some();
        match challenge.scheme.as_str() {
            "basic" => {
                if !has_credentials {
                    return Err(TransportError::Auth(AuthFailure::LoginRequired { scheme: "basic".into() }));
                }
                if matches!(sent, Sent::Basic(_)) {
                    return Err(TransportError::Auth(AuthFailure::WrongCredentials { by: "the registry".into() }));
                }
                self.state.borrow_mut().uses_basic = true;
                let basic = self.state.borrow().credentials.as_ref().map(Credentials::basic_header);
                let retried = self.inner.send(with_authorization(&request, basic.as_deref())).await?;
                if retried.status == 401 {
                    return Err(TransportError::Auth(AuthFailure::WrongCredentials { by: "the registry".into() }));
                }
                Ok(retried)
            }
            "bearer" => {
                let Some(realm) = Realm::of(&challenge) else { return Ok(response) };
                let challenged = union(&[&challenge.param("scope").map(parse_scopes).unwrap_or_default(), &needed]);
                if let Sent::Bearer { scopes, header } = &sent {
                    if challenge.param("error") == Some("invalid_token") {
                        // Expired or revoked at the registry (clock skew, key rotation): drop it
                        // and get a fresh one, once.
                        self.state.borrow_mut().tokens.forget(header.trim_start_matches("Bearer "));
                    } else if scope::all_covered(scopes, &challenged) {
                        // This token was issued for exactly what is asked, and still refused.
                        return Err(denied(&challenged, has_credentials));
                    }
                }
                let held = {
                    let mut state = self.state.borrow_mut();
                    state.realm = Some(realm.clone());
                    state.tokens.scopes_of(&realm)
                };
                let token = self.fetch_token(&realm, union(&[&held, &challenged])).await?;
                let retried = self.inner.send(with_authorization(&request, Some(&format!("Bearer {token}")))).await?;
                if retried.status == 401 {
                    // Never loop: the token server grants the intersection silently.
                    return Err(denied(&challenged, has_credentials));
                }
                Ok(retried)
            }
            _ => Ok(response),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_the_password() {
        let c = Credentials::new("alice", "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(c.basic_header(), "Basic YWxpY2U6czNjcmV0");
    }

    #[test]
    fn base64_pads_like_rfc_4648() {
        // The RFC's test vectors, and bytes above 0x7f (a UTF-8 password).
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd, 0x00]), "//79AA==");
        assert_eq!(base64("Aladdin:open sesame".as_bytes()), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }
}
