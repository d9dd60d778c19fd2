//! Scripted logins: Basic, the Bearer token flow, scope unions, renewal before expiry, and the
//! refusals that must end the flow instead of looping.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use common::{row, Script};
use wharf_protocol::auth::{AuthFailure, AuthState, AuthTransport, Credentials};
use wharf_protocol::http::{HttpResponse, Method, Transport, TransportError};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::{Error, Registry};

const CHALLENGE: &str = r#"Bearer realm="http://auth:9000/token?account=ci",service="reg",scope="repository:app:pull""#;

struct Harness {
    script: Script,
    state: Rc<RefCell<AuthState>>,
    clock: Rc<Cell<f64>>,
}

impl Harness {
    fn new(rows: Vec<common::Row>, credentials: Option<Credentials>) -> Harness {
        let state = Rc::new(RefCell::new(AuthState::default()));
        state.borrow_mut().set_credentials(credentials);
        Harness { script: Script::new(rows), state, clock: Rc::new(Cell::new(1000.0)) }
    }

    fn registry(&self) -> Registry<AuthTransport<&Script, impl Fn() -> f64 + '_>> {
        let clock = self.clock.clone();
        Registry::new(
            RegistryUrl::Origin("http://r:5000".into()),
            AuthTransport::new(
                &self.script,
                self.state.clone(),
                move || clock.get(),
                &RegistryUrl::Origin("http://r:5000".into()),
            ),
        )
    }

    fn authorization_of(&self, index: usize) -> Option<String> {
        self.script.sent.borrow()[index].headers.get("Authorization").map(str::to_string)
    }
}

fn unauthorized(challenge: &str) -> HttpResponse {
    HttpResponse::status(401)
        .header("WWW-Authenticate", challenge)
        .body(r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
}

fn token(value: &str, expires_in: u32) -> HttpResponse {
    HttpResponse::status(200).body(format!(r#"{{"token":"{value}","expires_in":{expires_in}}}"#))
}

fn tags() -> HttpResponse {
    HttpResponse::status(200).body(r#"{"name":"app","tags":["v1"]}"#)
}

const TOKEN_PULL: &str = "http://auth:9000/token?account=ci&service=reg&scope=repository%3Aapp%3Apull";

#[test]
fn anonymous_bearer_flow_then_cached_token() {
    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/app/tags/list", unauthorized(CHALLENGE)),
            row(Method::Get, TOKEN_PULL, token("T1", 300)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
        ],
        None,
    );
    let registry = h.registry();
    let repo = wharf_protocol::names::Repository::parse("app").unwrap();
    assert_eq!(pollster::block_on(registry.tag_list(&repo)).unwrap().tags, ["v1"]);
    assert_eq!(pollster::block_on(registry.tag_list(&repo)).unwrap().tags, ["v1"], "second request reuses the token");
    h.script.assert_done();
    assert_eq!(h.authorization_of(1), None, "anonymous token request");
    assert_eq!(h.authorization_of(2).as_deref(), Some("Bearer T1"));
    assert_eq!(h.authorization_of(3).as_deref(), Some("Bearer T1"));
}

#[test]
fn credentials_go_to_the_realm_only_and_new_scopes_are_requested_as_a_union() {
    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/app/tags/list", unauthorized(CHALLENGE)),
            row(Method::Get, TOKEN_PULL, token("T1", 300)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
            // A PUT needs push too: the realm is known, so the union is requested up front.
            row(
                Method::Get,
                "http://auth:9000/token?account=ci&service=reg&scope=repository%3Aapp%3Apull%2Cpush",
                token("T2", 300),
            ),
            row(Method::Put, "http://r:5000/v2/app/manifests/v2", HttpResponse::status(201)),
        ],
        Some(Credentials::new("alice", "pw")),
    );
    let registry = h.registry();
    let repo = wharf_protocol::names::Repository::parse("app").unwrap();
    pollster::block_on(registry.tag_list(&repo)).unwrap();
    let put = wharf_protocol::http::HttpRequest::new(Method::Put, "http://r:5000/v2/app/manifests/v2");
    assert_eq!(pollster::block_on(registry.transport().send(put)).unwrap().status, 201);
    h.script.assert_done();
    let basic = Credentials::new("alice", "pw").basic_header();
    assert_eq!(h.authorization_of(0), None, "the registry never sees the password");
    assert_eq!(h.authorization_of(1).as_deref(), Some(basic.as_str()), "the realm gets Basic");
    assert_eq!(h.authorization_of(2).as_deref(), Some("Bearer T1"));
    assert_eq!(h.authorization_of(4).as_deref(), Some("Bearer T2"));
}

#[test]
fn tokens_are_renewed_before_they_expire() {
    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/app/tags/list", unauthorized(CHALLENGE)),
            row(Method::Get, TOKEN_PULL, token("T1", 60)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
            row(Method::Get, TOKEN_PULL, token("T2", 60)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
        ],
        None,
    );
    let registry = h.registry();
    let repo = wharf_protocol::names::Repository::parse("app").unwrap();
    pollster::block_on(registry.tag_list(&repo)).unwrap();
    h.clock.set(1000.0 + 55.0); // inside the renewal margin of a 60 s token
    pollster::block_on(registry.tag_list(&repo)).unwrap();
    h.script.assert_done();
    assert_eq!(h.authorization_of(4).as_deref(), Some("Bearer T2"), "renewed without a 401 first");
}

#[test]
fn a_refused_token_is_reported_as_insufficient_scope_without_looping() {
    let denied = r#"Bearer realm="http://auth:9000/token?account=ci",service="reg",scope="repository:app:pull,push",error="insufficient_scope""#;
    let h = Harness::new(
        vec![
            row(Method::Put, "http://r:5000/v2/app/manifests/v2", unauthorized(CHALLENGE)),
            row(
                Method::Get,
                "http://auth:9000/token?account=ci&service=reg&scope=repository%3Aapp%3Apull%2Cpush",
                token("PULL-ONLY", 300),
            ),
            row(Method::Put, "http://r:5000/v2/app/manifests/v2", unauthorized(denied)),
        ],
        Some(Credentials::new("reader", "pw")),
    );
    let put = wharf_protocol::http::HttpRequest::new(Method::Put, "http://r:5000/v2/app/manifests/v2");
    let err = pollster::block_on(h.registry().transport().send(put)).unwrap_err();
    assert_eq!(
        err,
        TransportError::Auth(AuthFailure::InsufficientScope { scopes: vec!["repository:app:pull,push".into()] })
    );
    h.script.assert_done();
    let shown = Error::Transport { method: Method::Put, url: "u".into(), error: err };
    assert!(shown.headline().contains("insufficient scope"), "{}", shown.headline());
    assert!(shown.advice().contains("not allowed"));
}

#[test]
fn wrong_password_at_the_token_service() {
    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/app/tags/list", unauthorized(CHALLENGE)),
            row(Method::Get, TOKEN_PULL, HttpResponse::status(401)),
        ],
        Some(Credentials::new("alice", "wrong")),
    );
    let repo = wharf_protocol::names::Repository::parse("app").unwrap();
    let err = pollster::block_on(h.registry().tag_list(&repo)).unwrap_err();
    assert!(err.headline().contains("user name or password was refused by http://auth:9000/token"), "{err}");
    assert!(wharf_protocol::error::needs_login(&err));
}

#[test]
fn basic_login_retries_once_and_then_sends_basic_up_front() {
    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/", unauthorized(r#"Basic realm="Registry""#)),
            row(Method::Get, "http://r:5000/v2/", HttpResponse::status(200)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
        ],
        Some(Credentials::new("alice", "pw")),
    );
    let registry = h.registry();
    pollster::block_on(registry.ping()).unwrap();
    pollster::block_on(registry.tag_list(&wharf_protocol::names::Repository::parse("app").unwrap())).unwrap();
    h.script.assert_done();
    let basic = Credentials::new("alice", "pw").basic_header();
    assert_eq!(h.authorization_of(0), None);
    assert_eq!(h.authorization_of(1).as_deref(), Some(basic.as_str()));
    assert_eq!(h.authorization_of(2).as_deref(), Some(basic.as_str()));
}

#[test]
fn basic_without_credentials_or_with_wrong_ones() {
    let h = Harness::new(vec![row(Method::Get, "http://r:5000/v2/", unauthorized(r#"Basic realm="R""#))], None);
    let err = pollster::block_on(h.registry().ping()).unwrap_err();
    assert!(matches!(err, Error::Transport { error: TransportError::Auth(AuthFailure::LoginRequired { .. }), .. }));

    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/", unauthorized(r#"Basic realm="R""#)),
            row(Method::Get, "http://r:5000/v2/", unauthorized(r#"Basic realm="R""#)),
        ],
        Some(Credentials::new("alice", "wrong")),
    );
    let err = pollster::block_on(h.registry().ping()).unwrap_err();
    assert!(err.headline().contains("refused by the registry"), "{err}");
    h.script.assert_done();
}

#[test]
fn an_invalid_token_is_replaced_once() {
    let invalid = r#"Bearer realm="http://auth:9000/token?account=ci",service="reg",scope="repository:app:pull",error="invalid_token""#;
    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/app/tags/list", unauthorized(CHALLENGE)),
            row(Method::Get, TOKEN_PULL, token("T1", 300)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
            // The registry restarted with a new key: T1 is refused as invalid.
            row(Method::Get, "http://r:5000/v2/app/tags/list", unauthorized(invalid)),
            row(Method::Get, TOKEN_PULL, token("T2", 300)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
        ],
        None,
    );
    let registry = h.registry();
    let repo = wharf_protocol::names::Repository::parse("app").unwrap();
    pollster::block_on(registry.tag_list(&repo)).unwrap();
    pollster::block_on(registry.tag_list(&repo)).unwrap();
    h.script.assert_done();
    assert_eq!(h.authorization_of(5).as_deref(), Some("Bearer T2"));
}

#[test]
fn other_hosts_never_get_credentials() {
    let h = Harness::new(
        vec![
            row(Method::Get, "http://r:5000/v2/", unauthorized(r#"Basic realm="R""#)),
            row(Method::Get, "http://r:5000/v2/", HttpResponse::status(200)),
            row(Method::Get, "http://elsewhere:5000/v2/x/tags/list", tags()),
            row(Method::Get, "http://r:5000.evil/v2/x/tags/list", tags()),
        ],
        Some(Credentials::new("alice", "pw")),
    );
    let registry = h.registry();
    pollster::block_on(registry.ping()).unwrap();
    for url in ["http://elsewhere:5000/v2/x/tags/list", "http://r:5000.evil/v2/x/tags/list"] {
        let request = wharf_protocol::http::HttpRequest::new(Method::Get, url);
        pollster::block_on(registry.transport().send(request)).unwrap();
    }
    h.script.assert_done();
    assert!(h.authorization_of(1).is_some());
    assert_eq!(h.authorization_of(2), None);
    assert_eq!(h.authorization_of(3), None);
}

#[test]
fn credentials_given_before_any_challenge_are_used_after_learning_the_scheme_from_v2() {
    let bare_401 = || HttpResponse::status(401);
    let basic = r#"Basic realm="ContainerRegistry""#;
    let h = Harness::new(
        vec![
            // The route answers 401 without a challenge (the container-registry crate does so
            // everywhere but /v2/): the scheme is learned from /v2/ and the request sent again.
            row(Method::Get, "http://r:5000/v2/app/tags/list", bare_401()),
            row(Method::Get, "http://r:5000/v2/", unauthorized(basic)),
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
            // From then on the credentials go up front.
            row(Method::Get, "http://r:5000/v2/app/tags/list", tags()),
            // Sent and still refused without a challenge: a refusal, not "log in".
            row(Method::Get, "http://r:5000/v2/app/tags/list", bare_401()),
        ],
        Some(Credentials::new("alice", "pw")),
    );
    let registry = h.registry();
    let repo = wharf_protocol::names::Repository::parse("app").unwrap();
    assert_eq!(pollster::block_on(registry.tag_list(&repo)).unwrap().tags, ["v1"]);
    assert_eq!(h.authorization_of(1), None, "the /v2/ probe carries nothing");
    let basic_header = Credentials::new("alice", "pw").basic_header();
    assert_eq!(h.authorization_of(2).as_deref(), Some(basic_header.as_str()));
    assert_eq!(pollster::block_on(registry.tag_list(&repo)).unwrap().tags, ["v1"]);
    assert_eq!(h.authorization_of(3).as_deref(), Some(basic_header.as_str()), "up front");
    let refused = pollster::block_on(registry.tag_list(&repo)).unwrap_err();
    assert!(
        matches!(&refused, Error::Transport { error: TransportError::Auth(AuthFailure::Refused { request }), .. } if request == "GET /v2/app/tags/list"),
        "{refused:?}"
    );
    assert!(!wharf_protocol::error::needs_login(&refused), "a refusal does not ask to log in again");
    h.script.assert_done();
}

#[test]
fn anonymous_401_without_a_challenge_stays_the_registrys_answer() {
    let h = Harness::new(vec![row(Method::Get, "http://r:5000/v2/app/tags/list", HttpResponse::status(401))], None);
    let repo = wharf_protocol::names::Repository::parse("app").unwrap();
    let error = pollster::block_on(h.registry().tag_list(&repo)).unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert!(wharf_protocol::error::needs_login(&error));
    h.script.assert_done();
}
