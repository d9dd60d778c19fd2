//! Scripted request → response sequences: each test lists the exchanges a registry would have,
//! in order, and fails if the client sends anything else. For paging, error envelopes and the
//! exact requests of a retag; the real registry is exercised by the end-to-end tests.

mod common;

use common::{by_digest_url, registry, row, row_failing, Script};
use wharf_protocol::digest::sha256_of;
use wharf_protocol::flow::Confirmed;
use wharf_protocol::http::{HttpResponse, Method, TransportError};
use wharf_protocol::media::MANIFEST_ACCEPT;
use wharf_protocol::names::{Reference, Repository, Tag};
use wharf_protocol::pace::Retry;
use wharf_protocol::refusal::Refusal;
use wharf_protocol::retag::{self, RetagPlan, TargetOutcome};
use wharf_protocol::state::Stored;
use wharf_protocol::Error;

fn json(status: u16, body: &str) -> HttpResponse {
    HttpResponse::status(status).header("Content-Type", "application/json").body(body)
}

#[test]
fn catalog_follows_relative_links_until_none() {
    let script = Script::new(vec![
        row(
            Method::Get,
            "http://r:5000/v2/_catalog?n=1000",
            json(200, r#"{"repositories":["a","b"]}"#).header("Link", r#"</v2/_catalog?last=b&n=1000>; rel="next""#),
        ),
        row(
            Method::Get,
            "http://r:5000/v2/_catalog?last=b&n=1000",
            json(200, r#"{"repositories":["c"]}"#).header("Link", r#"</v2/_catalog?last=c&n=1000>; rel="next""#),
        ),
        // distribution sends a Link whenever a page is full, so the last page may be empty.
        row(Method::Get, "http://r:5000/v2/_catalog?last=c&n=1000", json(200, r#"{"repositories":[]}"#)),
    ]);
    let listing = pollster::block_on(registry(&script).catalog()).unwrap();
    assert_eq!(listing.items, ["a", "b", "c"]);
    assert_eq!(listing.pages, 3);
    script.assert_done();
}

#[test]
fn catalog_link_loop_is_an_error_not_a_hang() {
    let looping = || json(200, r#"{"repositories":["a"]}"#).header("Link", r#"</v2/_catalog?n=1000>; rel="next""#);
    let script = Script::new(vec![row(Method::Get, "http://r:5000/v2/_catalog?n=1000", looping())]);
    let err = pollster::block_on(registry(&script).catalog()).unwrap_err();
    assert!(err.headline().contains("leads back"), "{err}");
}

#[test]
fn catalog_refused_gives_envelope_and_html_errors() {
    let script = Script::new(vec![row(
        Method::Get,
        "http://r:5000/v2/_catalog?n=1000",
        json(
            401,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"registry","Name":"catalog","Action":"*"}]}]}"#,
        ),
    )]);
    let err = pollster::block_on(registry(&script).catalog()).unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.registry_errors()[0].code, "UNAUTHORIZED");
    assert!(err.registry_errors()[0].detail.as_deref().unwrap().contains("catalog"));

    let script = Script::new(vec![row(
        Method::Get,
        "http://r:5000/v2/_catalog?n=1000",
        HttpResponse::status(404).header("Content-Type", "text/html").body("<html><title>Not Found</title></html>"),
    )]);
    let err = pollster::block_on(registry(&script).catalog()).unwrap_err();
    assert!(err.headline().contains("HTML page titled “Not Found”"), "{err}");
    assert!(err.is_not_found());
}

#[test]
fn catalog_that_is_not_json_is_a_parse_error() {
    let script = Script::new(vec![row(
        Method::Get,
        "http://r:5000/v2/_catalog?n=1000",
        HttpResponse::status(200).body("<!doctype html><p>hello"),
    )]);
    let err = pollster::block_on(registry(&script).catalog()).unwrap_err();
    assert!(matches!(err, Error::Parse { .. }), "{err:?}");
    assert!(err.advice().contains("not be a registry"));
}

#[test]
fn tag_lists_null_404_and_paged() {
    let repo = Repository::parse("team/app").unwrap();
    let script = Script::new(vec![row(
        Method::Get,
        "http://r:5000/v2/team/app/tags/list",
        json(200, r#"{"name":"team/app","tags":null}"#),
    )]);
    let listing = pollster::block_on(registry(&script).tag_list(&repo)).unwrap();
    assert!(listing.tags.is_empty() && !listing.not_found);

    let script = Script::new(vec![row(
        Method::Get,
        "http://r:5000/v2/team/app/tags/list",
        json(
            404,
            r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"team/app"}}]}"#,
        ),
    )]);
    let listing = pollster::block_on(registry(&script).tag_list(&repo)).unwrap();
    assert!(listing.tags.is_empty() && listing.not_found && !listing.not_served);

    // A bare 404 (no envelope): the route is not served, which says nothing of the repository.
    let script = Script::new(vec![row(Method::Get, "http://r:5000/v2/team/app/tags/list", HttpResponse::status(404))]);
    let listing = pollster::block_on(registry(&script).tag_list(&repo)).unwrap();
    assert!(listing.tags.is_empty() && !listing.not_found && listing.not_served);

    let script = Script::new(vec![
        row(
            Method::Get,
            "http://r:5000/v2/team/app/tags/list",
            json(200, r#"{"name":"team/app","tags":["v1","v2"]}"#).header("Link", r#"<list?last=v2&n=2>; rel="next""#),
        ),
        row(
            Method::Get,
            "http://r:5000/v2/team/app/tags/list?last=v2&n=2",
            json(200, r#"{"name":"team/app","tags":["v3"]}"#),
        ),
    ]);
    let listing = pollster::block_on(registry(&script).tag_list(&repo)).unwrap();
    assert_eq!(listing.tags, ["v1", "v2", "v3"]);
    assert_eq!(listing.pages, 2);
    script.assert_done();
}

const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

fn manifest_response() -> HttpResponse {
    HttpResponse::status(200)
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .header("Docker-Content-Digest", sha256_of(MANIFEST.as_bytes()).to_string())
        .body(MANIFEST)
}

#[test]
fn retag_is_one_get_by_digest_and_one_put_per_target_with_exact_bytes() {
    let digest = sha256_of(MANIFEST.as_bytes());
    let get_url = by_digest_url(&digest);
    let script = Script::new(vec![
        row(Method::Get, get_url, manifest_response()).header("Accept", MANIFEST_ACCEPT),
        row(
            Method::Put,
            "http://r:5000/v2/app/manifests/v2",
            HttpResponse::status(201)
                .header("Docker-Content-Digest", digest.to_string())
                .header("Location", "/v2/app/manifests/x"),
        )
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(MANIFEST.as_bytes()),
    ]);
    let repo = Repository::parse("app").unwrap();
    let plan = RetagPlan::new(repo, digest.clone(), vec![(Tag::parse("v2").unwrap(), None)]);
    let finished =
        pollster::block_on(retag::execute(&registry(&script), &plan, &Confirmed::nothing(), &Retry::never()));
    let report = finished.outcome.unwrap();
    script.assert_done();
    let sent = script.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].body, MANIFEST.as_bytes(), "the exact bytes are PUT");
    assert_eq!(sent[1].headers.get("Content-Type"), Some("application/vnd.oci.image.manifest.v1+json"));
    assert!(sent[0].headers.get("Accept").unwrap().contains("application/vnd.oci.image.index.v1+json"));
    assert_eq!(report.source, digest);
    assert!(report.all_stored());
    assert!(matches!(&report.outcomes[0].1, TargetOutcome::Stored { stored: Stored::Verified, .. }));
    // One journal entry per target: created (no "before"), now on the source.
    let [change] = &finished.journal[..] else { panic!("{:?}", finished.journal) };
    assert_eq!((change.action.as_str(), change.tag.as_deref()), ("retag", Some("v2")));
    assert_eq!((change.before.as_deref(), change.after.as_deref(), change.ok), (None, Some(digest.as_str()), true));
}

#[test]
fn retag_failure_carries_code_message_detail() {
    let digest = sha256_of(MANIFEST.as_bytes());
    let get_url = by_digest_url(&digest);
    let script = Script::new(vec![
        row(Method::Get, get_url, manifest_response()),
        row(
            Method::Put,
            "http://r:5000/v2/app/manifests/v2",
            json(
                400,
                r#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}]}"#,
            ),
        ),
    ]);
    let plan = RetagPlan::new(Repository::parse("app").unwrap(), digest, vec![(Tag::parse("v2").unwrap(), None)]);
    let finished =
        pollster::block_on(retag::execute(&registry(&script), &plan, &Confirmed::nothing(), &Retry::never()));
    let report = finished.outcome.unwrap();
    let TargetOutcome::Failed(err) = &report.outcomes[0].1 else { panic!("{report:?}") };
    // A failed PUT is journaled as a failure that left the tag as it was.
    assert!(!finished.journal[0].ok && finished.journal[0].after.is_none(), "{:?}", finished.journal);
    assert!(finished.journal[0].result.contains("MANIFEST_BLOB_UNKNOWN"));
    assert_eq!(err.status(), Some(400));
    let headline = err.headline();
    assert!(
        headline.contains("MANIFEST_BLOB_UNKNOWN: blob unknown to registry (detail: sha256:44136fa3"),
        "{headline}"
    );
    assert!(!report.all_stored());
}

#[test]
fn unconfirmed_move_sends_nothing() {
    let source = sha256_of(MANIFEST.as_bytes());
    let plan = RetagPlan::new(
        Repository::parse("app").unwrap(),
        source,
        vec![(Tag::parse("latest").unwrap(), Some(sha256_of(b"older")))],
    );
    let script = Script::new(vec![]);
    let finished =
        pollster::block_on(retag::execute(&registry(&script), &plan, &Confirmed::nothing(), &Retry::never()));
    assert!(finished.journal.is_empty(), "nothing sent, nothing journaled");
    let err = finished.outcome.unwrap_err();
    assert_eq!(err, Error::Refused(Refusal::NotConfirmed { places: vec!["app:latest".into()] }));
    assert!(script.sent.borrow().is_empty());
}

#[test]
fn retag_refuses_a_manifest_whose_bytes_do_not_match_the_digest() {
    let claimed = sha256_of(b"something else");
    let get_url = by_digest_url(&claimed);
    let script = Script::new(vec![row(
        Method::Get,
        get_url,
        HttpResponse::status(200).header("Content-Type", "application/vnd.oci.image.manifest.v1+json").body(MANIFEST),
    )]);
    let plan = RetagPlan::new(Repository::parse("app").unwrap(), claimed, vec![(Tag::parse("v2").unwrap(), None)]);
    let err = pollster::block_on(retag::execute(&registry(&script), &plan, &Confirmed::nothing(), &Retry::never()))
        .outcome
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }));
    assert_eq!(script.sent.borrow().len(), 1, "no PUT after a mismatch");
}

#[test]
fn digest_lookup_falls_back_to_get_when_the_header_is_hidden() {
    let script = Script::new(vec![
        row(
            Method::Head,
            "http://r:5000/v2/app/manifests/v1",
            HttpResponse::status(200).header("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
        ),
        row(
            Method::Get,
            "http://r:5000/v2/app/manifests/v1",
            HttpResponse::status(200)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .body(MANIFEST),
        ),
        row(Method::Head, "http://r:5000/v2/app/manifests/gone", HttpResponse::status(404)),
    ]);
    let reg = registry(&script);
    let repo = Repository::parse("app").unwrap();
    let digest = pollster::block_on(reg.manifest_digest(&repo, &Reference::parse("v1").unwrap())).unwrap();
    assert_eq!(digest, Some(sha256_of(MANIFEST.as_bytes())));
    let missing = pollster::block_on(reg.manifest_digest(&repo, &Reference::parse("gone").unwrap())).unwrap();
    assert_eq!(missing, None);
    script.assert_done();
}

#[test]
fn ping_outcomes() {
    use wharf_protocol::responses::Ping;
    let script = Script::new(vec![
        row(
            Method::Get,
            "http://r:5000/v2/",
            json(200, "{}").header("Docker-Distribution-Api-Version", "registry/2.0"),
        ),
        row(
            Method::Get,
            "http://r:5000/v2/",
            HttpResponse::status(401).header("WWW-Authenticate", r#"Basic realm="r""#),
        ),
        row_failing(Method::Get, "http://r:5000/v2/", TransportError::CorsBlocked { origin: "http://ui".into() }),
    ]);
    let reg = registry(&script);
    assert_eq!(pollster::block_on(reg.ping()).unwrap(), Ping::Open { api_version: Some("registry/2.0".into()) });
    assert!(matches!(pollster::block_on(reg.ping()).unwrap(), Ping::NeedsLogin { challenge: Some(_) }));
    let err = pollster::block_on(reg.ping()).unwrap_err();
    assert!(err.advice().contains("Access-Control-Allow-Origin"), "{}", err.advice());
}

mod copy_flow {
    use super::*;
    use wharf_protocol::copy::{self, CopyPlan};
    use wharf_protocol::transfer::{BlobOutcome, Endpoints};
    use wharf_protocol::upload::UploadMode;

    const CONFIG: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    fn image_manifest(layer: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{CONFIG}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":3}}]}}"#
        )
    }

    fn served(body: &str, media_type: &str) -> HttpResponse {
        HttpResponse::status(200).header("Content-Type", media_type).body(body.to_string())
    }

    #[test]
    fn blobs_mounted_then_manifest_by_tag_and_refused_mounts_uploaded_through_the_same_session() {
        let layer = sha256_of(b"abc");
        let manifest = image_manifest(layer.as_str());
        let digest = sha256_of(manifest.as_bytes());
        let mount = |d: &str| format!("http://r:5000/v2/dst/blobs/uploads/?mount={}&from=src", d.replace(':', "%3A"));
        let script = Script::new(vec![
            row(
                Method::Get,
                format!("http://r:5000/v2/src/manifests/{digest}"),
                served(&manifest, "application/vnd.oci.image.manifest.v1+json"),
            ),
            row(Method::Post, mount(CONFIG), HttpResponse::status(201)),
            // The registry declines to mount the layer: the session it opened receives the bytes.
            row(
                Method::Post,
                mount(layer.as_str()),
                HttpResponse::status(202).header("Location", "/v2/dst/blobs/uploads/u1?_state=s"),
            ),
            row(Method::Get, format!("http://r:5000/v2/src/blobs/{layer}"), HttpResponse::status(200).body("abc")),
            row(
                Method::Put,
                format!("http://r:5000/v2/dst/blobs/uploads/u1?_state=s&digest={}", layer.as_str().replace(':', "%3A")),
                HttpResponse::status(201),
            )
            .header("Content-Type", "application/octet-stream")
            .body(b"abc"),
            row(Method::Head, "http://r:5000/v2/dst/manifests/copied", HttpResponse::status(404)),
            row(
                Method::Put,
                "http://r:5000/v2/dst/manifests/copied",
                HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()),
            )
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .body(manifest.as_bytes()),
        ]);
        let plan = CopyPlan::new(
            Repository::parse("src").unwrap(),
            digest.clone(),
            Repository::parse("dst").unwrap(),
            Tag::parse("copied").unwrap(),
            None,
        );
        let steps = std::cell::RefCell::new(Vec::new());
        let report = pollster::block_on(copy::execute(
            &Endpoints::new(&registry(&script), &registry(&script)),
            &plan,
            &Confirmed::nothing(),
            &|p| steps.borrow_mut().push(p.clone()),
            &Retry::never(),
        ))
        .outcome
        .unwrap();
        script.assert_done();
        assert_eq!(
            report.blobs.iter().map(|(_, _, o)| o.clone()).collect::<Vec<_>>(),
            [BlobOutcome::Mounted, BlobOutcome::Uploaded(UploadMode::Monolithic)]
        );
        assert_eq!(report.stored, Stored::Verified);
        assert_eq!(script.sent.borrow()[4].body, b"abc", "the blob's bytes went to the session");
        assert_eq!(script.sent.borrow()[6].body, manifest.as_bytes(), "exact manifest bytes");
        let last = steps.borrow().last().cloned().unwrap();
        assert_eq!((last.blobs_done, last.blobs_total, last.bytes_done, last.manifests_done), (2, 2, 5, 1));
    }

    #[test]
    fn index_children_go_in_by_digest_before_the_index_by_tag() {
        let child = image_manifest(sha256_of(b"abc").as_str());
        let child_digest = sha256_of(child.as_bytes());
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{child_digest}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            child.len()
        );
        let index_digest = sha256_of(index.as_bytes());
        let script = Script::new(vec![
            row(
                Method::Get,
                format!("http://r:5000/v2/src/manifests/{index_digest}"),
                served(&index, "application/vnd.oci.image.index.v1+json"),
            ),
            row(
                Method::Get,
                format!("http://r:5000/v2/src/manifests/{child_digest}"),
                served(&child, "application/vnd.oci.image.manifest.v1+json"),
            ),
            row(
                Method::Post,
                format!("http://r:5000/v2/dst/blobs/uploads/?mount={}&from=src", CONFIG.replace(':', "%3A")),
                HttpResponse::status(201),
            ),
            row(
                Method::Post,
                format!(
                    "http://r:5000/v2/dst/blobs/uploads/?mount={}&from=src",
                    sha256_of(b"abc").as_str().replace(':', "%3A")
                ),
                HttpResponse::status(201),
            ),
            row(Method::Put, format!("http://r:5000/v2/dst/manifests/{child_digest}"), HttpResponse::status(201)),
            row(Method::Head, "http://r:5000/v2/dst/manifests/v1", HttpResponse::status(404)),
            row(
                Method::Put,
                "http://r:5000/v2/dst/manifests/v1",
                HttpResponse::status(201).header("Docker-Content-Digest", index_digest.to_string()),
            ),
        ]);
        let plan = CopyPlan::new(
            Repository::parse("src").unwrap(),
            index_digest,
            Repository::parse("dst").unwrap(),
            Tag::parse("v1").unwrap(),
            None,
        );
        let report = pollster::block_on(copy::execute(
            &Endpoints::new(&registry(&script), &registry(&script)),
            &plan,
            &Confirmed::nothing(),
            &|_| {},
            &Retry::never(),
        ))
        .outcome
        .unwrap();
        script.assert_done();
        assert_eq!(report.children, [child_digest]);
        assert_eq!(report.stored, Stored::Verified);
    }

    #[test]
    fn moving_a_target_tag_needs_confirmation() {
        let script = Script::new(vec![]);
        let plan = CopyPlan::new(
            Repository::parse("src").unwrap(),
            sha256_of(b"a"),
            Repository::parse("dst").unwrap(),
            Tag::parse("latest").unwrap(),
            Some(sha256_of(b"b")),
        );
        let refused = pollster::block_on(copy::execute(
            &Endpoints::new(&registry(&script), &registry(&script)),
            &plan,
            &Confirmed::nothing(),
            &|_| {},
            &Retry::never(),
        ));
        assert_eq!(
            refused.outcome.unwrap_err().refusal(),
            Some(&Refusal::NotConfirmed { places: vec!["dst:latest".into()] })
        );
        assert!(refused.journal.is_empty() && script.sent.borrow().is_empty());
        // Confirmed, the same plan goes: its first request is the source's read.
        let script = Script::new(vec![row(
            Method::Get,
            format!("http://r:5000/v2/src/manifests/{}", sha256_of(b"a")),
            HttpResponse::status(404),
        )]);
        let failed = pollster::block_on(copy::execute(
            &Endpoints::new(&registry(&script), &registry(&script)),
            &plan,
            &Confirmed::tags([&plan.target_tag]),
            &|_| {},
            &Retry::never(),
        ));
        assert_eq!(failed.outcome.unwrap_err().status(), Some(404));
        script.assert_done();
    }
}

#[test]
fn a_registry_under_a_path_follows_links_under_that_path() {
    let script = Script::new(vec![
        row(
            Method::Get,
            "https://gw.example.com/hub/v2/_catalog?n=1000",
            json(200, r#"{"repositories":["a"]}"#).header("Link", r#"</v2/_catalog?last=a&n=1000>; rel="next""#),
        ),
        // A gateway that rewrites Link itself: the prefix is not doubled.
        row(
            Method::Get,
            "https://gw.example.com/hub/v2/_catalog?last=a&n=1000",
            json(200, r#"{"repositories":["b"]}"#).header("Link", r#"</hub/v2/_catalog?last=b&n=1000>; rel="next""#),
        ),
        row(Method::Get, "https://gw.example.com/hub/v2/_catalog?last=b&n=1000", json(200, r#"{"repositories":[]}"#)),
    ]);
    let gateway = wharf_protocol::requests::RegistryUrl::parse("https://gw.example.com/hub").unwrap();
    let listing = pollster::block_on(wharf_protocol::Registry::new(gateway, &script).catalog()).unwrap();
    assert_eq!(listing.items, ["a", "b"]);
    script.assert_done();
}
