//! End to end with logins: the app served by the project's own nginx deployment file
//! (deploy/nginx-same-origin.conf) in front of a real registry using htpasswd or token auth,
//! driven in headless Chromium, results checked with skopeo.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{export_script, result_row, run_exported, screenshot, submit_copy, submit_retag, ONE_BROWSER_AT_A_TIME};
use serde_json::Value;
use wharf_testkit::browser::Browser;
use wharf_testkit::nginx::Nginx;
use wharf_testkit::registry::{Registry, RegistryAuth, RegistryOptions};
use wharf_testkit::seed::{seed_demo, Seeded};
use wharf_testkit::skopeo::{self, Lookup};
use wharf_testkit::token_server::{Grant, TokenPolicy, TokenRequestLog, TokenServer, ISSUER, SERVICE};
use wharf_testkit::workspace_root;

const ALICE: (&str, &str) = ("alice", "alice-secret-pw");
const BOB: (&str, &str) = ("bob", "bob-secret-pw");

struct AuthStack {
    registry: Registry,
    token: Option<TokenServer>,
    nginx: Nginx,
    seeded: Seeded,
    browser: Browser,
}

impl AuthStack {
    /// A registry seeded while open, then restarted with `auth`, behind nginx on one origin.
    async fn start(auth: impl FnOnce(u16) -> (RegistryAuth, Option<TokenServer>)) -> AuthStack {
        let dist = workspace_root().join("dist");
        assert!(dist.join("index.html").is_file(), "dist/ is missing: run scripts/test");
        let mut registry = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
        let seeded = seed_demo(&registry.url());
        let nginx_port = Nginx::reserve_port();
        let (auth, token) = auth(nginx_port);
        registry.restart_with(RegistryOptions { cors: false, auth, ..RegistryOptions::default() });
        let nginx = Nginx::start(nginx_port, &dist, &registry.host, token.as_ref().map(|t| t.host.as_str()));
        let browser = Browser::start().await;
        AuthStack { registry, token, nginx, seeded, browser }
    }

    async fn goto(&self, rest: &str) {
        self.browser.client.goto(&format!("{}/r/same-origin{rest}", self.nginx.url)).await.expect("navigate");
    }

    /// The digest skopeo reads for `reference`, logged in as `user` (see [`Lookup`]).
    fn skopeo_digest(&self, reference: &str, user: (&str, &str)) -> Lookup {
        skopeo::manifest_digest_as(&self.registry.host, reference, Some(user))
    }
}

fn htpasswd(_: u16) -> (RegistryAuth, Option<TokenServer>) {
    let users = [ALICE, BOB].iter().map(|(u, p)| (u.to_string(), p.to_string())).collect();
    (RegistryAuth::Htpasswd(users), None)
}

fn token_auth(expires_in: u64) -> impl FnOnce(u16) -> (RegistryAuth, Option<TokenServer>) {
    move |nginx_port| {
        let policy = TokenPolicy {
            users: [ALICE, BOB].iter().map(|(u, p)| (u.to_string(), p.to_string())).collect(),
            grants: vec![
                Grant::new(None, "demo/*", &["pull"]),
                Grant::new(Some("alice"), "demo/*", &["pull", "push"]),
                Grant::new(Some("alice"), "team/*", &["pull", "push"]),
                Grant::new(Some("alice"), "catalog", &["*"]),
                Grant::new(Some("bob"), "catalog", &["*"]),
            ],
            expires_in,
        };
        let server = TokenServer::start(policy);
        let auth = RegistryAuth::Token {
            realm: format!("http://127.0.0.1:{nginx_port}/token"),
            service: SERVICE.into(),
            issuer: ISSUER.into(),
            certificate_pem: server.certificate_pem.clone(),
        };
        (auth, Some(server))
    }
}

async fn log_in(browser: &Browser, user: (&str, &str), remember: bool) {
    browser.type_into("[data-testid=login-user]", user.0).await;
    browser.type_into("[data-testid=login-password]", user.1).await;
    if remember {
        browser.click("[data-testid=login-remember]").await;
    }
    browser.click("[data-testid=login-submit]").await;
}

async fn js(browser: &Browser, expression: &str) -> Value {
    browser.client.execute(&format!("return ({expression});"), vec![]).await.expect("script")
}

/// Navigates inside the page, as a link would: a reload would forget an in-memory login.
async fn open_in_app(browser: &Browser, path: &str) {
    let script = format!("history.pushState(null, '', '{path}'); dispatchEvent(new Event('popstate'));");
    browser.client.execute(&script, vec![]).await.expect("navigate in the page");
}

/// Opens a page (a path after the origin) inside the app and waits for its source image.
async fn open_source_in_app(browser: &Browser, path: &str) {
    open_in_app(browser, path).await;
    browser.wait_css("[data-testid=source-digest]").await;
}

#[tokio::test]
async fn htpasswd_behind_nginx_login_browse_retag_and_nothing_kept() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = AuthStack::start(htpasswd).await;
    let b = &stack.browser;

    // The shipped nginx file serves the security headers, and the app runs under them.
    let headers = Command::new("curl")
        .args(["-sS", "-D", "-", "-o", "/dev/null", &format!("{}/r/same-origin", stack.nginx.url)])
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&headers.stdout).to_lowercase();
    assert!(headers.contains("content-security-policy:") && headers.contains("'wasm-unsafe-eval'"), "{headers}");
    assert!(!headers.contains("unsafe-inline"), "{headers}");
    assert!(headers.contains("x-content-type-options: nosniff") && headers.contains("referrer-policy: no-referrer"));

    stack.goto("").await;
    b.wait_js("document.querySelector('[data-testid=ping]')?.textContent.includes('login required')").await;
    b.wait_css("[data-testid=login-form]").await;
    screenshot(&stack.browser, "login-required").await;

    log_in(b, (ALICE.0, "wrong-password"), false).await;
    let message = b.text("[data-testid=login-message]").await;
    assert!(message.contains("refused by the registry"), "{message}");

    log_in(b, ALICE, false).await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    assert!(b.text("[data-testid=account]").await.contains("logged in as alice"));
    assert_eq!(js(b, "sessionStorage.length + localStorage.length").await, 0, "nothing stored without the opt-in");

    open_source_in_app(b, "/r/same-origin/demo/hello/-/retag/1.0").await;
    submit_retag(b, "via-nginx").await;
    let (outcome, text) = result_row(b, "via-nginx").await;
    assert_eq!(outcome, "stored", "{text}");
    assert_eq!(stack.skopeo_digest("demo/hello:via-nginx", ALICE), Ok(Some(stack.seeded.hello.clone())));

    // Credentials never reach the page's text: not in the wire panel, not in its curl commands.
    b.click("[data-testid=wire-toggle]").await;
    let panel = js(b, "document.querySelector('[data-testid=wire-panel]').textContent").await;
    let panel = panel.as_str().unwrap_or_default();
    let encoded = wharf_protocol::auth::Credentials::new(ALICE.0, ALICE.1).basic_header();
    assert!(panel.contains("Authorization: ‹redacted›"), "the header is shown redacted");
    assert!(
        !panel.contains(ALICE.1) && !panel.contains(encoded.trim_start_matches("Basic ")),
        "no secret in the wire panel"
    );
    let page = js(b, "document.documentElement.outerHTML").await;
    assert!(!page.as_str().unwrap_or_default().contains(ALICE.1));

    // A reload forgets the login (it was in memory only)...
    stack.goto("").await;
    b.wait_css("[data-testid=login-form]").await;
    // ...unless "remember in this tab" was ticked: then this tab keeps it, a new tab does not.
    log_in(b, ALICE, true).await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    assert_eq!(js(b, "sessionStorage.length").await, 1);
    b.client.refresh().await.unwrap();
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    let tab = b.client.new_window(true).await.unwrap();
    b.client.switch_to_window(tab.handle).await.unwrap();
    stack.goto("").await;
    b.wait_css("[data-testid=login-form]").await;
    assert_eq!(js(b, "sessionStorage.length").await, 0);
    // Logging out forgets it in the first tab too.
    let first = b.client.windows().await.unwrap()[0].clone();
    b.client.switch_to_window(first).await.unwrap();
    b.click("[data-testid=logout]").await;
    b.wait_css("[data-testid=login-form]").await;
    assert_eq!(js(b, "sessionStorage.length").await, 0);
    stack.browser.client.close_window().await.ok();
    drop(stack);
}

#[tokio::test]
async fn token_auth_anonymous_pull_login_retag_renewal_and_denied_push() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    // Tokens live 4 seconds, so this run outlasts several of them.
    let stack = AuthStack::start(token_auth(4)).await;
    let b = &stack.browser;
    let token = stack.token.as_ref().unwrap();

    // Anonymous pull of a public repository.
    stack.goto("/demo/hello").await;
    b.wait_js("document.querySelectorAll('[data-testid=tag-row] [data-digest]').length == 3").await;
    assert!(token.log.lock().unwrap().iter().all(|r| r.account.is_none()), "anonymous tokens only");

    // The catalog needs a login: the page says so, and alice's token covers it.
    stack.goto("").await;
    let advice = b.text("[data-testid=error-advice]").await;
    assert!(advice.contains("Log in"), "{advice}");
    b.click("[data-testid=login-open]").await;
    log_in(b, ALICE, false).await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;

    // Retag as alice, then again after the first tokens expired: renewal keeps the run going.
    b.client.execute("document.querySelector('a[href$=\"/demo/hello\"]').click()", vec![]).await.unwrap();
    b.wait_js("document.querySelectorAll('[data-testid=tag-row]').length == 3").await;
    let issued_before = token.issued();
    let mut stored = Vec::new();
    for round in 0..3 {
        let target = format!("alice-{round}");
        // Navigate inside the page (a full reload would forget the in-memory login).
        open_source_in_app(b, "/r/same-origin/demo/hello/-/retag/1.0").await;
        submit_retag(b, &target).await;
        let (outcome, text) = result_row(b, &target).await;
        assert_eq!(outcome, "stored", "{text}");
        stored.push(target);
        // The one wait on the clock: tokens live 4 s, so after 3 s the next round's token is
        // close to or past expiry, and the rounds show the page renewing it. No page event can
        // stand in for time passing.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    assert!(
        token.issued() >= issued_before + 3,
        "tokens were renewed during the run ({} issued)",
        token.issued() - issued_before
    );
    for target in &stored {
        assert_eq!(
            stack.skopeo_digest(&format!("demo/hello:{target}"), ALICE),
            Ok(Some(stack.seeded.hello.clone())),
            "{target}"
        );
    }
    assert!(token
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.account.as_deref() == Some("alice") && r.granted.iter().any(|g| g.contains("push"))));

    // A copy across repositories mounts blobs from demo/hello into team/app: the token must carry
    // pull on the source as well as push on the target.
    open_source_in_app(b, "/r/same-origin/demo/hello/-/copy/1.0").await;
    b.type_into("[data-testid=copy-repository]", "team/app").await;
    b.type_into("[data-testid=copy-tag]", "copied").await;
    let result = submit_copy(b, Duration::from_secs(20)).await;
    b.wait_css("[data-testid=digest-equal]").await;
    assert!(result.text().await.unwrap().contains("mounted, 0 already there, 0 streamed"));
    assert_eq!(stack.skopeo_digest("team/app:copied", ALICE), Ok(Some(stack.seeded.hello.clone())));
    assert!(
        token.log.lock().unwrap().iter().any(|r| r.granted.iter().any(|s| s.starts_with("repository:demo/hello:pull"))
            && r.granted.iter().any(|s| s == "repository:team/app:pull,push")),
        "one token for both repositories"
    );

    // bob may pull but not push: the denial is shown as such, and nothing moved.
    b.click("[data-testid=logout]").await;
    b.click("[data-testid=login-open]").await;
    log_in(b, BOB, false).await;
    b.wait_js("document.querySelector('[data-testid=account]')?.textContent.includes('bob')").await;
    open_source_in_app(b, "/r/same-origin/demo/hello/-/retag/1.0").await;
    submit_retag(b, "bob-was-here").await;
    let (outcome, text) = result_row(b, "bob-was-here").await;
    assert_eq!(outcome, "failed", "{text}");
    let headline = b.text("[data-testid=result-row] [data-testid=error-headline]").await;
    assert!(
        headline.contains("insufficient scope") && headline.contains("repository:demo/hello:pull,push"),
        "{headline}"
    );
    screenshot(&stack.browser, "token-denied").await;
    assert_eq!(stack.skopeo_digest("demo/hello:bob-was-here", ALICE), Ok(None), "the registry has no such tag");
    drop(stack);
}

#[tokio::test]
async fn cors_proxy_lets_another_origin_log_in_to_an_authenticated_registry() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let dist = workspace_root().join("dist");
    let mut registry = Registry::start(RegistryOptions { cors: false, ..RegistryOptions::default() });
    let seeded = seed_demo(&registry.url());
    let (auth, _) = htpasswd(0);
    registry.restart_with(RegistryOptions { cors: false, auth, ..RegistryOptions::default() });
    let app = wharf_testkit::static_server::StaticServer::start(dist, 0);
    let proxy_port = Nginx::reserve_port();
    let _proxy = Nginx::start_cors_proxy(proxy_port, &registry.host, &app.url);
    let b = Browser::start().await;
    let view = |rest: &str| format!("{}/r/http:127.0.0.1:{proxy_port}{rest}", app.url);

    // The preflight that distribution would refuse with 401 is answered by the proxy.
    b.client.goto(&view("/-/selftest")).await.unwrap();
    b.wait_css("[data-testid=selftest-summary]").await;
    let preflight = b.wait_css("[data-testid=finding][data-id=preflight]").await.attr("data-status").await.unwrap();
    assert_eq!(preflight.as_deref(), Some("pass"));

    b.client.goto(&view("")).await.unwrap();
    b.wait_css("[data-testid=login-form]").await;
    log_in(&b, ALICE, false).await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    open_source_in_app(&b, &format!("/r/http:127.0.0.1:{proxy_port}/demo/hello/-/retag/1.0")).await;
    submit_retag(&b, "cross-origin").await;
    b.wait_css("[data-testid=digest-equal]").await;
    let copied = skopeo::manifest_digest_as(&registry.host, "demo/hello:cross-origin", Some(ALICE));
    assert_eq!(copied, Ok(Some(seeded.hello.clone())));
    b.close().await;
}

// ---------------------------------------------------------------------------------------------
// Issue 22: an exported script logs in from the environment and names no secret.
// ---------------------------------------------------------------------------------------------

/// Logs in as alice, retags demo/hello:1.0 as `scripted` and exports the script; checks that no
/// secret is in it; moves `scripted` away; runs the script without credentials (refused,
/// nothing moved back) and with alice's from the environment (the tag holds the image again).
/// Returns the script.
async fn exported_script_logs_in_from_the_environment(stack: &AuthStack) -> String {
    let b = &stack.browser;
    stack.goto("").await;
    // htpasswd asks at once; with tokens the anonymous catalog is refused first.
    let (which, _) =
        b.wait_first(&["[data-testid=login-form]", "[data-testid=login-open]"], Duration::from_secs(10)).await;
    if which == 1 {
        b.click("[data-testid=login-open]").await;
    }
    log_in(b, ALICE, false).await;
    b.wait_js("document.querySelectorAll('[data-testid=repo-list] li').length == 4").await;
    open_source_in_app(b, "/r/same-origin/demo/hello/-/retag/1.0").await;
    submit_retag(b, "scripted").await;
    assert_eq!(result_row(b, "scripted").await.0, "stored");
    let script = export_script(b).await;
    assert!(script.contains(&format!("REGISTRY=\"${{REGISTRY:-{}}}\"", stack.nginx.url)), "the page's origin");
    let basic = wharf_protocol::auth::Credentials::new(ALICE.0, ALICE.1).basic_header();
    assert!(!script.contains(ALICE.1), "no password in the script");
    assert!(!script.contains(basic.trim_start_matches("Basic ")), "no Basic encoding in the script");
    if let Some(token) = &stack.token {
        let issued = token.log.lock().unwrap().clone();
        assert!(!issued.is_empty(), "the page was given tokens");
        assert!(issued.iter().all(|r| !script.contains(&r.token)), "no token in the script");
    }

    let (hello, hello_old) = (&stack.seeded.hello, &stack.seeded.hello_old);
    skopeo::copy_all_as(&stack.registry.host, "demo/hello:0.9", "demo/hello:scripted", Some(ALICE)).unwrap();
    assert_eq!(stack.skopeo_digest("demo/hello:scripted", ALICE), Ok(Some(hello_old.clone())));
    let registry = stack.nginx.url.as_str();
    let anonymous = run_exported(&script, &[("REGISTRY", registry)]);
    assert!(!anonymous.success, "a push without credentials must fail: {}", anonymous.stderr);
    assert_eq!(stack.skopeo_digest("demo/hello:scripted", ALICE), Ok(Some(hello_old.clone())), "nothing moved");

    let env = [("REGISTRY", registry), ("REGISTRY_USER", ALICE.0), ("REGISTRY_PASSWORD", ALICE.1)];
    let run = run_exported(&script, &env);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(stack.skopeo_digest("demo/hello:scripted", ALICE), Ok(Some(hello.clone())));
    script
}

#[tokio::test]
async fn exported_script_logs_in_with_basic_credentials_from_the_environment() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = AuthStack::start(htpasswd).await;
    let script = exported_script_logs_in_from_the_environment(&stack).await;
    // Without a user, the script says what to set.
    let anonymous = run_exported(&script, &[("REGISTRY", &stack.nginx.url)]);
    assert!(anonymous.stderr.contains("set REGISTRY_USER and REGISTRY_PASSWORD"), "{}", anonymous.stderr);
    drop(stack);
}

#[tokio::test]
async fn exported_script_asks_the_token_realm_as_the_page_did() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = AuthStack::start(token_auth(60)).await;
    let token = stack.token.as_ref().unwrap();
    let before = token.log.lock().unwrap().len();
    let script = exported_script_logs_in_from_the_environment(&stack).await;
    let asked: Vec<TokenRequestLog> = token.log.lock().unwrap()[before..].to_vec();
    assert!(
        asked.iter().any(|r| r.account.as_deref() == Some("alice")
            && r.granted.iter().any(|g| g == "repository:demo/hello:pull,push")),
        "the script asked the realm for alice's push token: {asked:?}"
    );

    // A token given in REGISTRY_TOKEN is used as it is.
    let given = Command::new("curl")
        .args(["-sS", "-f", "-u", &format!("{}:{}", ALICE.0, ALICE.1)])
        .arg(format!("http://{}/token?service={SERVICE}&scope=repository:demo/hello:pull,push", token.host))
        .output()
        .unwrap();
    assert!(given.status.success(), "{}", String::from_utf8_lossy(&given.stderr));
    let given: Value = serde_json::from_slice(&given.stdout).unwrap();
    let given = given["token"].as_str().unwrap().to_string();
    skopeo::copy_all_as(&stack.registry.host, "demo/hello:0.9", "demo/hello:scripted", Some(ALICE)).unwrap();
    let asked_before = token.issued();
    let run = run_exported(&script, &[("REGISTRY", &stack.nginx.url), ("REGISTRY_TOKEN", &given)]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(token.issued(), asked_before, "the given token was used, no other asked for");
    assert_eq!(stack.skopeo_digest("demo/hello:scripted", ALICE), Ok(Some(stack.seeded.hello.clone())));
    drop(stack);
}
