//! The independent checks themselves, against a real registry (Debian's distribution 2.8), no
//! browser: each gives the digest of a present reference, `Ok(None)` only when the registry said
//! the reference does not exist, and `Err` when it could not tell: registry stopped, login
//! refused, a name that is rejected. A test that asserts "gone" with these checks cannot pass
//! because nothing answered.

use wharf_testkit::oci::Format;
use wharf_testkit::registry::{Registry, RegistryAuth, RegistryOptions};
use wharf_testkit::seed::{app_image, Pusher};
use wharf_testkit::skopeo;

const ZERO_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// A registry holding one image as `checks/app:1.0`; returns it with the image's digest.
fn registry_with_one_image() -> (Registry, String) {
    let registry = Registry::start(RegistryOptions::default());
    let image = app_image(Format::Oci, "amd64", None, "1.0");
    Pusher::new(&registry.url()).tagged("checks/app", &image, &["1.0"]);
    let digest = image.manifest.digest.clone();
    (registry, digest)
}

fn assert_err<T: std::fmt::Debug>(result: Result<T, String>, expected: &[&str], what: &str) {
    match result {
        Err(message) => assert!(
            expected.iter().any(|e| message.contains(e)),
            "{what}: the error should say one of {expected:?}: {message}"
        ),
        Ok(value) => panic!("{what}: expected an error, got Ok({value:?})"),
    }
}

#[test]
fn present_and_absent_are_what_the_registry_answered() {
    let (registry, digest) = registry_with_one_image();
    let host = registry.host.as_str();

    // Present.
    assert_eq!(skopeo::manifest_digest(host, "checks/app:1.0"), Ok(Some(digest.clone())));
    assert_eq!(skopeo::manifest_digest(host, &format!("checks/app@{digest}")), Ok(Some(digest.clone())));
    assert_eq!(registry.digest_of("checks/app", "1.0"), Ok(Some(digest.clone())));
    assert_eq!(registry.digest_of("checks/app", &digest), Ok(Some(digest.clone())));
    assert_eq!(skopeo::list_tags(host, "checks/app"), Ok(vec!["1.0".to_string()]));
    assert_eq!(skopeo::list_tags_if_known(host, "checks/app"), Ok(Some(vec!["1.0".to_string()])));

    // A missing tag or digest: the registry's 404 (MANIFEST_UNKNOWN).
    assert_eq!(skopeo::manifest_digest(host, "checks/app:2.0"), Ok(None));
    assert_eq!(skopeo::manifest_digest(host, &format!("checks/app@{ZERO_DIGEST}")), Ok(None));
    assert_eq!(registry.digest_of("checks/app", "2.0"), Ok(None));
    assert_eq!(registry.digest_of("checks/app", ZERO_DIGEST), Ok(None));

    // A missing repository: distribution answers MANIFEST_UNKNOWN for its manifests too, and a
    // 404 for its tag list, which `list_tags` reports as an error unless asked to allow it.
    assert_eq!(skopeo::manifest_digest(host, "checks/none:1.0"), Ok(None));
    assert_eq!(registry.digest_of("checks/none", "1.0"), Ok(None));
    assert_eq!(skopeo::list_tags_if_known(host, "checks/none"), Ok(None));
    assert_err(skopeo::list_tags(host, "checks/none"), &["does not know this repository"], "list_tags of checks/none");

    // The harness's own log barrier is neither listed nor counted.
    let mark = registry.log_mark();
    assert_eq!(registry.requests_since_settled(mark), Vec::<(String, String)>::new());
    assert_eq!(registry.log_mark(), mark);
}

#[test]
fn a_rejected_name_is_an_error_not_absent() {
    let (registry, _) = registry_with_one_image();
    let host = registry.host.as_str();

    // Names the registry's router does not take: it answers a plain-text "404 page not found",
    // not its JSON MANIFEST_UNKNOWN, so this is not "the tag does not exist".
    assert_err(registry.digest_of("checks/-app", "1.0"), &["404", "text/plain"], "digest_of checks/-app:1.0");
    assert_err(registry.digest_of("checks/app", "-1.0"), &["text/plain"], "digest_of checks/app:-1.0");

    // skopeo refuses these names before asking the registry: an error as well.
    assert_err(skopeo::manifest_digest(host, "Checks/App:1.0"), &["invalid reference format"], "Checks/App:1.0");
    assert_err(skopeo::manifest_digest(host, "checks/app:-1.0"), &["invalid reference format"], "checks/app:-1.0");
    assert_err(skopeo::list_tags(host, "Checks/App"), &["invalid reference format"], "list_tags Checks/App");
    assert_err(skopeo::list_tags_if_known(host, "Checks/App"), &["invalid reference format"], "Checks/App");
}

#[test]
fn a_refused_login_and_a_stopped_registry_are_errors() {
    let (mut registry, digest) = registry_with_one_image();
    let users = vec![("alice".to_string(), "alice-pw".to_string())];
    registry.restart_with(RegistryOptions { auth: RegistryAuth::Htpasswd(users), ..RegistryOptions::default() });
    let host = registry.host.clone();

    // Anonymous, or with a wrong password: the registry answers 401, which says nothing about
    // whether the tag exists.
    assert_err(skopeo::manifest_digest(&host, "checks/app:1.0"), &["unauthorized"], "anonymous skopeo");
    assert_err(skopeo::manifest_digest(&host, "checks/app:2.0"), &["unauthorized"], "anonymous skopeo, missing tag");
    assert_err(
        skopeo::manifest_digest_as(&host, "checks/app:1.0", Some(("alice", "wrong"))),
        &["unauthorized"],
        "skopeo with a wrong password",
    );
    assert_err(registry.digest_of("checks/app", "1.0"), &["401"], "digest_of without a login");
    assert_err(registry.digest_of("checks/app", "2.0"), &["401"], "digest_of without a login, missing tag");
    assert_err(skopeo::list_tags(&host, "checks/app"), &["unauthorized", "401"], "list_tags without a login");
    // Logged in, the same checks answer again.
    assert_eq!(skopeo::manifest_digest_as(&host, "checks/app:1.0", Some(("alice", "alice-pw"))), Ok(Some(digest)));
    assert_eq!(skopeo::manifest_digest_as(&host, "checks/app:2.0", Some(("alice", "alice-pw"))), Ok(None));

    // Stopped: nothing answers, and nothing is taken for "absent".
    registry.stop();
    let refused = ["connection refused", "Connection refused"];
    assert_err(skopeo::manifest_digest(&host, "checks/app:1.0"), &refused, "skopeo, registry stopped");
    assert_err(skopeo::manifest_digest(&host, "checks/app:2.0"), &refused, "skopeo, registry stopped, missing tag");
    assert_err(registry.digest_of("checks/app", "2.0"), &refused, "digest_of, registry stopped");
    assert_err(skopeo::list_tags(&host, "checks/app"), &refused, "list_tags, registry stopped");
    assert_err(skopeo::list_tags_if_known(&host, "checks/none"), &refused, "list_tags_if_known, registry stopped");
}
