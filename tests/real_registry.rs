//! The protocol core against a real registry (Debian's distribution 2.8), natively, no browser:
//! deleting one tag leaves its siblings, and a registry that refuses deletes loses nothing.
//! Checked with skopeo.

use wharf_protocol::delete::tags_pointing_at;
use wharf_protocol::names::{Digest, Repository, Tag};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::tag_delete::TagDeleteMethod;
use wharf_protocol::Registry;
use wharf_testkit::native::NativeTransport;
use wharf_testkit::registry::{Registry as RegistryProcess, RegistryOptions};
use wharf_testkit::seed::seed_demo;
use wharf_testkit::skopeo;

fn client(process: &RegistryProcess) -> Registry<NativeTransport> {
    Registry::new(RegistryUrl::parse(&process.url()).unwrap(), NativeTransport::default())
}

#[test]
fn deleting_one_tag_leaves_its_siblings() {
    let process = RegistryProcess::start(RegistryOptions::default());
    let seeded = seed_demo(&process.url());
    let registry = client(&process);
    let repo = Repository::parse("team/app/api").unwrap();
    let digest = Digest::parse(&seeded.nested).unwrap();

    // Three tags share the image; a delete by digest would take all of them.
    let mut sharing = pollster::block_on(tags_pointing_at(&registry, &repo, &digest)).unwrap();
    sharing.sort();
    assert_eq!(sharing, ["v1.10", "v1.2", "v1.9"]);

    let report = pollster::block_on(registry.tag_delete(&repo, &Tag::parse("v1.9").unwrap(), "test-1")).unwrap();
    assert!(
        matches!(report.method, TagDeleteMethod::Throwaway { .. }),
        "distribution 2.8 has no delete-by-tag: {report:?}"
    );
    assert_eq!(report.previous, digest);
    let mut left = skopeo::list_tags(&process.host, "team/app/api").expect("list team/app/api");
    left.sort();
    assert_eq!(left, ["v1.10", "v1.2"], "only v1.9 is gone");
    assert_eq!(skopeo::manifest_digest(&process.host, "team/app/api:v1.9"), Ok(None), "the registry says so");
    for tag in ["v1.10", "v1.2"] {
        assert_eq!(
            skopeo::manifest_digest(&process.host, &format!("team/app/api:{tag}")),
            Ok(Some(seeded.nested.clone()))
        );
    }
}

#[test]
fn a_registry_that_refuses_deletes_keeps_the_tag() {
    let mut process = RegistryProcess::start(RegistryOptions::default());
    let seeded = seed_demo(&process.url());
    process.restart_with(RegistryOptions { delete: false, ..RegistryOptions::default() });
    let registry = client(&process);
    let err = pollster::block_on(registry.tag_delete(
        &Repository::parse("demo/hello").unwrap(),
        &Tag::parse("1.0").unwrap(),
        "t",
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(405), "{err}");
    assert!(err.advice().contains("storage.delete.enabled"));
    assert_eq!(
        skopeo::manifest_digest(&process.host, "demo/hello:1.0"),
        Ok(Some(seeded.hello.clone())),
        "1.0 is back on its image"
    );
    assert_eq!(skopeo::manifest_digest(&process.host, "demo/hello:latest"), Ok(Some(seeded.hello.clone())));
}
