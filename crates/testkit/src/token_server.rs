//! A small token service for distribution's `auth: token` mode, for tests: it checks Basic
//! credentials (or serves anonymous users), grants the intersection of the requested scopes with
//! a per-account policy, and signs ES256 JWTs with a key whose certificate the registry trusts.
//!
//! distribution 2.8 finds the signing key by the JWT's `kid`, which must be the libtrust key ID of
//! a public key in its `rootcertbundle`: base32 of the first 240 bits of the SHA-256 of the key's
//! DER SubjectPublicKeyInfo, in colon-separated groups of four.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rcgen::{CertificateParams, KeyPair, PublicKeyData, PKCS_ECDSA_P256_SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tiny_http::{Header, Response, Server};

/// Who may do what: `account` `None` is everyone, including anonymous users.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The account, or `None` for everyone.
    pub account: Option<String>,
    /// A repository name, or a prefix ending in `*`; `registry:catalog` is named `catalog`.
    pub resource: String,
    /// Actions granted (`pull`, `push`, `delete`, `*`).
    pub actions: Vec<String>,
}

impl Grant {
    /// Shorthand.
    pub fn new(account: Option<&str>, resource: &str, actions: &[&str]) -> Grant {
        Grant {
            account: account.map(str::to_string),
            resource: resource.to_string(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn matches(&self, account: Option<&str>, name: &str) -> bool {
        let who = self.account.is_none() || self.account.as_deref() == account;
        let what = match self.resource.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => self.resource == name,
        };
        who && what
    }
}

/// The service's configuration.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// (user, password) pairs.
    pub users: Vec<(String, String)>,
    /// What each account may do.
    pub grants: Vec<Grant>,
    /// Token lifetime in seconds.
    pub expires_in: u64,
}

/// `service` and `issuer` the registry is configured with.
pub const SERVICE: &str = "wharf-test-registry";
/// `iss` claim.
pub const ISSUER: &str = "wharf-test-issuer";

/// One token request as the service saw it.
#[derive(Debug, Clone)]
pub struct TokenRequestLog {
    /// The account (`None`: anonymous).
    pub account: Option<String>,
    /// Scopes asked for.
    pub scopes: Vec<String>,
    /// Scopes granted.
    pub granted: Vec<String>,
    /// The token issued (a test checks it was never written anywhere it should not be).
    pub token: String,
}

/// A running token service; stopped on drop.
pub struct TokenServer {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
    /// `127.0.0.1:port`.
    pub host: String,
    /// The signing certificate, PEM, for the registry's `rootcertbundle`.
    pub certificate_pem: String,
    /// Every request answered.
    pub log: Arc<Mutex<Vec<TokenRequestLog>>>,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The libtrust key ID distribution uses to look up a token's signing key.
fn libtrust_key_id(spki_der: &[u8]) -> String {
    let hash = Sha256::digest(spki_der);
    let encoded = base32(&hash[..30]);
    encoded.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(":")
}

/// RFC 4648 base32, no padding (30 bytes → 48 characters).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn query_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), percent_decode(v))).collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn cors(response: Response<std::io::Cursor<Vec<u8>>>) -> Response<std::io::Cursor<Vec<u8>>> {
    response
        .with_header(Header::from_bytes("Access-Control-Allow-Origin", "*").expect("header"))
        .with_header(Header::from_bytes("Access-Control-Allow-Headers", "Authorization").expect("header"))
        .with_header(Header::from_bytes("Content-Type", "application/json").expect("header"))
}

impl TokenServer {
    /// Starts the service on a free 127.0.0.1 port.
    pub fn start(policy: TokenPolicy) -> TokenServer {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("signing key");
        let certificate = CertificateParams::new(vec!["wharf-token-signer".to_string()])
            .expect("cert params")
            .self_signed(&key)
            .expect("self-signed certificate");
        let kid = libtrust_key_id(&key.subject_public_key_info());
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.serialize_der(), &SystemRandom::new())
                .expect("ring key");
        let server = Arc::new(Server::http("127.0.0.1:0").expect("bind token server"));
        let host = server.server_addr().to_ip().expect("ip").to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (worker, worker_log) = (server.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            for request in worker.incoming_requests() {
                if request.method() == &tiny_http::Method::Options {
                    let _ = request.respond(cors(Response::from_data(Vec::new()).with_status_code(204)));
                    continue;
                }
                let params = query_params(request.url());
                let basic = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .and_then(|h| h.value.as_str().strip_prefix("Basic ").map(str::to_string))
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .and_then(|raw| String::from_utf8(raw).ok());
                let account = match basic {
                    None => None,
                    Some(pair) => {
                        let valid = policy.users.iter().any(|(u, p)| pair == format!("{u}:{p}"));
                        if !valid {
                            let body = json!({ "details": "invalid username or password" }).to_string();
                            let _ = request.respond(cors(Response::from_data(body.into_bytes()).with_status_code(401)));
                            continue;
                        }
                        pair.split_once(':').map(|(u, _)| u.to_string())
                    }
                };
                let scopes: Vec<String> = params
                    .iter()
                    .filter(|(k, _)| k == "scope")
                    .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
                    .collect();
                let mut access = Vec::new();
                let mut granted_log = Vec::new();
                for scope in &scopes {
                    let Some((kind, rest)) = scope.split_once(':') else { continue };
                    let Some((name, actions)) = rest.rsplit_once(':') else { continue };
                    let resource = if kind == "registry" { "catalog".to_string() } else { name.to_string() };
                    let allowed: Vec<String> = actions
                        .split(',')
                        .filter(|a| {
                            policy.grants.iter().any(|g| {
                                g.matches(account.as_deref(), &resource)
                                    && (g.actions.iter().any(|x| x == a || x == "*"))
                            })
                        })
                        .map(str::to_string)
                        .collect();
                    granted_log.push(format!("{kind}:{name}:{}", allowed.join(",")));
                    access.push(json!({ "type": kind, "name": name, "actions": allowed }));
                }
                let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                let header = json!({ "typ": "JWT", "alg": "ES256", "kid": kid });
                let claims = json!({
                    "iss": ISSUER, "sub": account.clone().unwrap_or_default(), "aud": SERVICE,
                    "exp": now + policy.expires_in, "nbf": now - 1, "iat": now,
                    "jti": format!("{now}-{}", worker_log.lock().map(|l| l.len()).unwrap_or(0)),
                    "access": access,
                });
                let signing_input =
                    format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
                let signature = signer.sign(&SystemRandom::new(), signing_input.as_bytes()).expect("sign");
                let token = format!("{signing_input}.{}", b64url(signature.as_ref()));
                if let Ok(mut l) = worker_log.lock() {
                    l.push(TokenRequestLog {
                        account: account.clone(),
                        scopes: scopes.clone(),
                        granted: granted_log,
                        token: token.clone(),
                    });
                }
                let body =
                    json!({ "token": token, "access_token": token, "expires_in": policy.expires_in }).to_string();
                let _ = request.respond(cors(Response::from_data(body.into_bytes())));
            }
        });
        TokenServer { server, thread: Some(thread), host, certificate_pem: certificate.pem(), log }
    }

    /// How many tokens were issued so far.
    pub fn issued(&self) -> usize {
        self.log.lock().map(|l| l.len()).unwrap_or(0)
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn key_id_shape() {
        let id = libtrust_key_id(b"anything");
        assert_eq!(id.len(), 48 + 11);
        assert_eq!(id.split(':').count(), 12);
    }

    #[test]
    fn grants_match_prefixes_and_accounts() {
        let g = Grant::new(Some("alice"), "team/*", &["pull"]);
        assert!(g.matches(Some("alice"), "team/app"));
        assert!(!g.matches(Some("bob"), "team/app"));
        assert!(!g.matches(Some("alice"), "other"));
        assert!(Grant::new(None, "public/*", &["pull"]).matches(None, "public/x"));
    }
}
