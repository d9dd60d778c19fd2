//! Bearer tokens: the request to the realm, the answer, and a cache keyed by realm, service and
//! scope set, with expiry. Time is passed in (seconds), so expiry and renewal are tested without a
//! clock.

use super::scope::{all_covered, Scope};
use super::Credentials;
use crate::http::{HttpRequest, Method};
use crate::requests::encode_query_value;

/// Tokens are renewed this long before they expire, or at a quarter of their life for short ones,
/// so a request never goes out with a token about to lapse.
pub const RENEW_MARGIN_SECONDS: f64 = 10.0;
/// `expires_in` when the token server does not say (the spec's default).
pub const DEFAULT_EXPIRES_IN: f64 = 60.0;

/// Where tokens come from, from a Bearer challenge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Realm {
    /// The realm URL (may carry its own query).
    pub url: String,
    /// `service`, when given.
    pub service: Option<String>,
}

impl Realm {
    /// The realm a Bearer challenge names (`None` for another scheme, or one without a realm).
    pub fn of(challenge: &super::challenge::Challenge) -> Option<Realm> {
        if challenge.scheme != "bearer" {
            return None;
        }
        Some(Realm {
            url: challenge.param("realm")?.to_string(),
            service: challenge.param("service").map(str::to_string),
        })
    }
}

/// `GET <realm>?service=…&scope=…&scope=…`, keeping the realm's own query, with Basic credentials
/// when there are any (anonymous otherwise).
pub fn token_request(realm: &Realm, scopes: &[Scope], credentials: Option<&Credentials>) -> HttpRequest {
    let mut url = realm.url.clone();
    let mut separator = if url.contains('?') { '&' } else { '?' };
    if let Some(service) = &realm.service {
        url.push(separator);
        url.push_str(&format!("service={}", encode_query_value(service)));
        separator = '&';
    }
    for scope in scopes {
        url.push(separator);
        url.push_str(&format!("scope={}", encode_query_value(&scope.to_string())));
        separator = '&';
    }
    let request = HttpRequest::new(Method::Get, url);
    match credentials {
        Some(c) => request.header("Authorization", c.basic_header()),
        None => request,
    }
}

/// A token and when it stops being usable.
#[derive(Clone, PartialEq)]
pub struct Token {
    /// The bearer value.
    pub value: String,
    /// When it was obtained (seconds, the caller's clock).
    pub obtained_at: f64,
    /// When it expires (seconds, the caller's clock).
    pub expires_at: f64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("value", &"‹redacted›").field("expires_at", &self.expires_at).finish()
    }
}

impl Token {
    /// Usable now: not within the renewal margin of its expiry.
    pub fn fresh(&self, now: f64) -> bool {
        let lifetime = self.expires_at - self.obtained_at;
        let margin = RENEW_MARGIN_SECONDS.min(lifetime / 4.0);
        now < self.expires_at - margin
    }
}

/// Parses the token server's answer (`token` or `access_token`; `expires_in` defaulting to 60 s).
/// `issued_at` is ignored on purpose: the server's clock may differ from the browser's.
pub fn parse_token_response(body: &[u8], now: f64) -> Result<Token, String> {
    let parsed = crate::json::parse(body).map_err(|_| "the token service did not answer with JSON".to_string())?;
    let token = |key| crate::json::text(&parsed, key).filter(|t| !t.is_empty());
    let value = token("token").or_else(|| token("access_token")).ok_or("the token service's answer holds no token")?;
    let expires_in = parsed
        .get("expires_in")
        .and_then(crate::json::Value::as_f64)
        .filter(|e| *e > 0.0)
        .unwrap_or(DEFAULT_EXPIRES_IN);
    Ok(Token { value, obtained_at: now, expires_at: now + expires_in })
}

/// Tokens per realm and scope set.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Vec<(Realm, Vec<Scope>, Token)>,
}

impl TokenCache {
    /// A fresh token of `realm` whose scopes cover `wanted`, with the scopes it was issued for.
    pub fn find(&self, realm: &Realm, wanted: &[Scope], now: f64) -> Option<(&[Scope], &Token)> {
        self.entries
            .iter()
            .find(|(r, granted, token)| r == realm && all_covered(granted, wanted) && token.fresh(now))
            .map(|(_, s, t)| (s.as_slice(), t))
    }

    /// Any token (fresh or not) covering `wanted`, with its realm and scopes: what to renew.
    pub fn covering(&self, wanted: &[Scope]) -> Option<(&Realm, &[Scope], &Token)> {
        self.entries.iter().find(|(_, granted, _)| all_covered(granted, wanted)).map(|(r, s, t)| (r, s.as_slice(), t))
    }

    /// Every scope held for a realm (for requesting the union when a new one is challenged).
    pub fn scopes_of(&self, realm: &Realm) -> Vec<Scope> {
        let lists: Vec<&[Scope]> =
            self.entries.iter().filter(|(r, _, _)| r == realm).map(|(_, s, _)| s.as_slice()).collect();
        super::scope::union(&lists)
    }

    /// Stores a token, replacing any for the same realm whose scopes it covers.
    pub fn insert(&mut self, realm: Realm, scopes: Vec<Scope>, token: Token) {
        self.entries.retain(|(r, s, _)| !(r == &realm && all_covered(&scopes, s)));
        self.entries.push((realm, scopes, token));
    }

    /// Forgets the token with this value (the registry rejected it as invalid or expired).
    pub fn forget(&mut self, value: &str) {
        self.entries.retain(|(_, _, t)| t.value != value);
    }

    /// Forgets everything (after a logout or a change of credentials).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::scope::parse_scopes;
    use super::*;

    fn realm() -> Realm {
        Realm { url: "http://auth/token?account=x".into(), service: Some("my registry".into()) }
    }

    #[test]
    fn request_keeps_realm_query_and_repeats_scope() {
        let scopes = parse_scopes("repository:a/b:pull,push registry:catalog:*");
        let creds = Credentials::new("user", "p:ss");
        let req = token_request(&realm(), &scopes, Some(&creds));
        assert_eq!(
            req.url,
            "http://auth/token?account=x&service=my%20registry&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=registry%3Acatalog%3A%2A"
        );
        assert_eq!(req.headers.get("Authorization"), Some("Basic dXNlcjpwOnNz"));
        let anonymous = token_request(&Realm { url: "http://auth/token".into(), service: None }, &[], None);
        assert_eq!(anonymous.url, "http://auth/token");
        assert_eq!(anonymous.headers.get("Authorization"), None);
    }

    #[test]
    fn responses() {
        let t = parse_token_response(br#"{"token":"abc","expires_in":300,"issued_at":"2020-01-01T00:00:00Z"}"#, 1000.0)
            .unwrap();
        assert_eq!((t.value.as_str(), t.expires_at), ("abc", 1300.0));
        let t = parse_token_response(br#"{"access_token":"xyz"}"#, 0.0).unwrap();
        assert_eq!((t.value.as_str(), t.expires_at), ("xyz", 60.0));
        assert!(parse_token_response(br#"{"expires_in":5}"#, 0.0).is_err());
        assert_eq!(parse_token_response(br#"{"token":"","access_token":"a"}"#, 0.0).unwrap().value, "a");
        assert!(parse_token_response(b"<html>", 0.0).is_err());
        assert!(!format!("{t:?}").contains("xyz"), "tokens are redacted in Debug");
    }

    #[test]
    fn freshness_renews_before_expiry() {
        let long = Token { value: "t".into(), obtained_at: 0.0, expires_at: 300.0 };
        assert!(long.fresh(289.0) && !long.fresh(291.0));
        let short = Token { value: "t".into(), obtained_at: 0.0, expires_at: 4.0 };
        assert!(short.fresh(2.9) && !short.fresh(3.1), "a quarter of a short life");
    }

    #[test]
    fn cache_finds_covering_fresh_tokens_and_unions() {
        let mut cache = TokenCache::default();
        let pull = parse_scopes("repository:a:pull");
        cache.insert(realm(), pull.clone(), Token { value: "1".into(), obtained_at: 0.0, expires_at: 100.0 });
        assert_eq!(cache.find(&realm(), &pull, 10.0).map(|(_, t)| t.value.as_str()), Some("1"));
        assert!(cache.find(&realm(), &pull, 95.0).is_none(), "stale near expiry");
        assert!(cache.covering(&pull).is_some(), "still known for renewal");
        assert!(cache.find(&realm(), &parse_scopes("repository:a:push"), 10.0).is_none());
        let both = parse_scopes("repository:a:pull,push repository:b:pull");
        cache.insert(realm(), both.clone(), Token { value: "2".into(), obtained_at: 0.0, expires_at: 100.0 });
        assert_eq!(
            cache.find(&realm(), &pull, 10.0).map(|(_, t)| t.value.as_str()),
            Some("2"),
            "the union replaced the narrower token"
        );
        assert_eq!(cache.scopes_of(&realm()), both);
        cache.clear();
        assert!(cache.find(&realm(), &pull, 10.0).is_none());
    }
}
