//! Scripted deletes: one tag without its siblings (OCI delete-by-tag, or the throwaway manifest
//! where that is missing), the tag put back when the registry refuses, a failed probe stopping
//! the delete before the tag is touched, and the full list of tags a delete by digest takes with
//! it.

mod common;

use common::{registry, row, Script};
use wharf_protocol::delete::{self, tags_pointing_at, DeletePlan, DeleteReport};
use wharf_protocol::digest::sha256_of;
use wharf_protocol::http::{HttpResponse, Method};
use wharf_protocol::journal::Action;
use wharf_protocol::names::{Repository, Tag};
use wharf_protocol::pace::Retry;
use wharf_protocol::referrers::{ApiSupport, Discovered};
use wharf_protocol::refusal::{Refusal, Stage};
use wharf_protocol::tag_delete::{throwaway_manifest, TagDeleteMethod, TagDeleteReport};

const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

fn manifest() -> HttpResponse {
    HttpResponse::status(200)
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .header("Docker-Content-Digest", sha256_of(MANIFEST.as_bytes()).to_string())
        .body(MANIFEST)
}

/// Deletes `app:old` (throwaway made unique by "u1").
fn delete_old(script: &Script) -> Result<TagDeleteReport, wharf_protocol::Error> {
    pollster::block_on(registry(script).tag_delete(
        &Repository::parse("app").unwrap(),
        &Tag::parse("old").unwrap(),
        "u1",
    ))
}

fn envelope(status: u16, code: &str) -> HttpResponse {
    HttpResponse::status(status).body(format!(r#"{{"errors":[{{"code":"{code}","message":"m"}}]}}"#))
}

#[test]
fn delete_by_tag_when_the_registry_has_it() {
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", HttpResponse::status(202)),
        row(Method::Head, "http://r:5000/v2/app/manifests/old", HttpResponse::status(404)),
    ]);
    let report = delete_old(&script).unwrap();
    script.assert_done();
    assert_eq!(report.method, TagDeleteMethod::DeleteByTag);
    assert_eq!(report.previous, sha256_of(MANIFEST.as_bytes()));
}

#[test]
fn throwaway_manifest_where_delete_by_tag_is_missing() {
    let throwaway = throwaway_manifest("u1");
    let throwaway_digest = sha256_of(&throwaway);
    let empty = sha256_of(b"{}");
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        // distribution 2.8: a tag is not a digest.
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", envelope(400, "DIGEST_INVALID")),
        // Deletes are on: the throwaway, not pushed yet, is unknown.
        row(
            Method::Delete,
            format!("http://r:5000/v2/app/manifests/{throwaway_digest}"),
            envelope(404, "MANIFEST_UNKNOWN"),
        ),
        row(Method::Head, format!("http://r:5000/v2/app/blobs/{empty}"), HttpResponse::status(200)),
        row(Method::Put, "http://r:5000/v2/app/manifests/old", HttpResponse::status(201))
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .body(&throwaway),
        row(Method::Delete, format!("http://r:5000/v2/app/manifests/{throwaway_digest}"), HttpResponse::status(202)),
    ]);
    let report = delete_old(&script).unwrap();
    script.assert_done();
    assert_eq!(report.method, TagDeleteMethod::Throwaway { digest: throwaway_digest });
    assert_eq!(script.sent.borrow()[4].body, throwaway, "the throwaway's exact bytes went to the tag");
    assert_ne!(throwaway_manifest("u1"), throwaway_manifest("u2"), "each delete has its own throwaway");
}

#[test]
fn the_empty_config_is_uploaded_when_its_head_answers_404() {
    let throwaway = throwaway_manifest("u1");
    let throwaway_digest = sha256_of(&throwaway);
    let empty = sha256_of(b"{}");
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", envelope(400, "DIGEST_INVALID")),
        row(
            Method::Delete,
            format!("http://r:5000/v2/app/manifests/{throwaway_digest}"),
            envelope(404, "MANIFEST_UNKNOWN"),
        ),
        row(Method::Head, format!("http://r:5000/v2/app/blobs/{empty}"), HttpResponse::status(404)),
        row(
            Method::Post,
            "http://r:5000/v2/app/blobs/uploads/",
            HttpResponse::status(202).header("Location", "/v2/app/blobs/uploads/u?_state=s"),
        ),
        row(
            Method::Put,
            format!("http://r:5000/v2/app/blobs/uploads/u?_state=s&digest={}", empty.as_str().replace(':', "%3A")),
            HttpResponse::status(201),
        ),
        row(Method::Put, "http://r:5000/v2/app/manifests/old", HttpResponse::status(201)),
        row(Method::Delete, format!("http://r:5000/v2/app/manifests/{throwaway_digest}"), HttpResponse::status(202)),
    ]);
    delete_old(&script).unwrap();
    script.assert_done();
    assert_eq!(script.sent.borrow()[5].body, b"{}");
}

#[test]
fn a_failed_probe_stops_the_delete_before_the_tag_is_touched() {
    let throwaway_digest = sha256_of(&throwaway_manifest("u1"));
    let empty = sha256_of(b"{}");
    // The HEAD of the empty config fails: that is not "absent", so nothing is uploaded or moved.
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", envelope(400, "DIGEST_INVALID")),
        row(
            Method::Delete,
            format!("http://r:5000/v2/app/manifests/{throwaway_digest}"),
            envelope(404, "MANIFEST_UNKNOWN"),
        ),
        row(Method::Head, format!("http://r:5000/v2/app/blobs/{empty}"), HttpResponse::status(500)),
    ]);
    let err = delete_old(&script).unwrap_err();
    script.assert_done();
    assert_eq!(err.status(), Some(500));
    assert!(script.sent.borrow().iter().all(|r| r.method != Method::Put && r.method != Method::Post));

    // A failed delete-by-tag is not "unsupported": no fallback to the throwaway.
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", HttpResponse::status(503)),
    ]);
    let err = delete_old(&script).unwrap_err();
    script.assert_done();
    assert_eq!(err.status(), Some(503));
}

#[test]
fn deletes_switched_off_leave_the_tag_untouched() {
    let throwaway_digest = sha256_of(&throwaway_manifest("u1"));
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", envelope(405, "UNSUPPORTED")),
        row(Method::Delete, format!("http://r:5000/v2/app/manifests/{throwaway_digest}"), envelope(405, "UNSUPPORTED")),
    ]);
    let err = delete_old(&script).unwrap_err();
    script.assert_done();
    assert_eq!(err.status(), Some(405));
    assert!(wharf_protocol::delete::refusal_advice(&err).unwrap().contains("storage: delete: enabled"));
    assert!(script.sent.borrow().iter().all(|r| r.method != Method::Put), "the tag was never moved");
}

fn moved_then_refused(restore: HttpResponse) -> (Script, wharf_protocol::Error) {
    let throwaway_digest = sha256_of(&throwaway_manifest("u1"));
    let empty = sha256_of(b"{}");
    let by_digest = format!("http://r:5000/v2/app/manifests/{throwaway_digest}");
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", envelope(400, "DIGEST_INVALID")),
        row(Method::Delete, by_digest.clone(), envelope(404, "MANIFEST_UNKNOWN")),
        row(Method::Head, format!("http://r:5000/v2/app/blobs/{empty}"), HttpResponse::status(200)),
        row(Method::Put, "http://r:5000/v2/app/manifests/old", HttpResponse::status(201)),
        row(Method::Delete, by_digest, envelope(403, "DENIED")),
        row(Method::Put, "http://r:5000/v2/app/manifests/old", restore).body(MANIFEST.as_bytes()),
    ]);
    let err = delete_old(&script).unwrap_err();
    script.assert_done();
    (script, err)
}

#[test]
fn a_refusal_after_the_move_puts_the_tag_back() {
    let (script, err) = moved_then_refused(HttpResponse::status(201));
    assert_eq!(err.status(), Some(403));
    assert_eq!(script.sent.borrow()[6].body, MANIFEST.as_bytes(), "the tag is back on its original bytes");
}

#[test]
fn a_failed_restore_says_where_the_tag_is_and_how_to_fix_it() {
    let (_, err) = moved_then_refused(envelope(500, "UNKNOWN"));
    let Some(Refusal::PlaceholderStuck { place, previous, placeholder, .. }) = err.refusal() else { panic!("{err:?}") };
    assert_eq!((place.as_str(), previous), ("app:old", &sha256_of(MANIFEST.as_bytes())));
    assert_eq!(placeholder, &sha256_of(&throwaway_manifest("u1")));
    let text = err.headline();
    assert!(text.contains("now points at the placeholder") && text.contains("retag"), "{text}");
}

#[test]
fn every_tag_sharing_a_digest_is_listed() {
    let digest = sha256_of(MANIFEST.as_bytes());
    let other = sha256_of(b"other");
    let head = |d: &str| HttpResponse::status(200).header("Docker-Content-Digest", d.to_string());
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/tags/list", HttpResponse::status(200).body(r#"{"tags":["a","b","c"]}"#)),
        row(Method::Head, "http://r:5000/v2/app/manifests/a", head(digest.as_str())),
        row(Method::Head, "http://r:5000/v2/app/manifests/b", head(other.as_str())),
        row(Method::Head, "http://r:5000/v2/app/manifests/c", head(digest.as_str())),
    ]);
    let tags =
        pollster::block_on(tags_pointing_at(&registry(&script), &Repository::parse("app").unwrap(), &digest)).unwrap();
    script.assert_done();
    assert_eq!(tags, ["a", "c"]);
}

#[test]
fn manifest_delete_is_by_digest_and_reports_a_refusal() {
    let digest = sha256_of(MANIFEST.as_bytes());
    let url = format!("http://r:5000/v2/app/manifests/{digest}");
    let script = Script::new(vec![
        row(Method::Delete, url.clone(), HttpResponse::status(202)),
        row(Method::Delete, url, envelope(405, "UNSUPPORTED")),
    ]);
    let reg = registry(&script);
    let repo = Repository::parse("app").unwrap();
    pollster::block_on(reg.manifest_delete(&repo, &digest)).unwrap();
    let err = pollster::block_on(reg.manifest_delete(&repo, &digest)).unwrap_err();
    assert!(err.advice().contains("storage.delete.enabled"), "{}", err.advice());
    script.assert_done();
}

#[test]
fn delete_flows_journal_what_they_removed_and_what_a_refusal_left() {
    let digest = sha256_of(MANIFEST.as_bytes());
    let repository = Repository::parse("app").unwrap();
    // A tag delete that the registry does by tag: one entry, the tag gone.
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", HttpResponse::status(202)),
        row(Method::Head, "http://r:5000/v2/app/manifests/old", HttpResponse::status(404)),
    ]);
    let plan =
        DeletePlan::Tag { repository: repository.clone(), tag: Tag::parse("old").unwrap(), digest: digest.clone() };
    let finished = pollster::block_on(delete::execute(
        &registry(&script),
        &plan,
        "u1",
        true,
        &Retry::never(),
        &Default::default(),
    ));
    assert!(matches!(finished.outcome, Ok(DeleteReport::Tag(_))));
    let [change] = &finished.journal[..] else { panic!("{:?}", finished.journal) };
    assert_eq!((&change.action, change.tag.as_deref(), change.ok), (&Action::DeleteTag, Some("old"), true));
    assert_eq!((change.before.as_deref(), change.after.as_deref()), (Some(digest.as_str()), None));

    // The tag moved to another image since the plan: refused after the read, nothing journaled.
    let other = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"x":"y"}}"#;
    let script = Script::new(vec![row(
        Method::Get,
        "http://r:5000/v2/app/manifests/old",
        HttpResponse::status(200).header("Content-Type", "application/vnd.oci.image.manifest.v1+json").body(other),
    )]);
    let moved = pollster::block_on(delete::execute(
        &registry(&script),
        &plan,
        "u1",
        true,
        &Retry::never(),
        &Default::default(),
    ));
    script.assert_done();
    assert!(moved.journal.is_empty());
    assert_eq!(
        moved.outcome.unwrap_err().refusal(),
        Some(&Refusal::MovedSincePlan {
            place: "app:old".into(),
            now: Some(sha256_of(other.as_bytes())),
            stage: Stage::Deleting
        })
    );

    // A delete by digest: one entry per tag that went with it, each with the manifest's bytes.
    let fetched = wharf_protocol::manifest::FetchedManifest::from_bytes(
        "m",
        MANIFEST.as_bytes().to_vec(),
        Some("application/vnd.oci.image.manifest.v1+json"),
        None,
        None,
    )
    .unwrap();
    let url = format!("http://r:5000/v2/app/manifests/{digest}");
    let script = Script::new(vec![
        row(Method::Delete, url.clone(), HttpResponse::status(202)),
        row(Method::Delete, url, envelope(405, "UNSUPPORTED")),
    ]);
    let attachments =
        Discovered { subject: digest.clone(), referrers: Vec::new(), api: ApiSupport::NotServed, fallback: None };
    let plan = DeletePlan::Manifest {
        repository,
        manifest: fetched,
        tags: vec!["a".into(), "b".into()],
        attachments: Box::new(attachments),
    };
    let finished = pollster::block_on(delete::execute(
        &registry(&script),
        &plan,
        "u1",
        true,
        &Retry::never(),
        &Default::default(),
    ));
    let tags: Vec<_> = finished.journal.iter().map(|c| c.tag.as_deref()).collect();
    assert_eq!(tags, [Some("a"), Some("b")]);
    assert!(finished.journal.iter().all(|c| c.ok && c.after.is_none()));
    assert!(
        finished.journal.iter().all(|c| c.saved.as_ref().is_some_and(|s| s.body == MANIFEST)),
        "undo can push the bytes back"
    );

    // Refused (deletes off): journaled as failures that left every tag where it was, no bytes kept.
    let refused = pollster::block_on(delete::execute(
        &registry(&script),
        &plan,
        "u1",
        true,
        &Retry::never(),
        &Default::default(),
    ));
    assert_eq!(refused.outcome.unwrap_err().status(), Some(405));
    assert!(refused.journal.iter().all(|c| !c.ok && c.after.as_deref() == Some(digest.as_str()) && c.saved.is_none()));
    script.assert_done();
}

#[test]
fn a_server_error_from_the_throwaway_delete_puts_it_back_under_the_tag_and_deletes_again() {
    // distribution 2.8 under concurrent deletes: the manifest went, the untagging walk failed.
    let throwaway = throwaway_manifest("u1");
    let throwaway_digest = sha256_of(&throwaway);
    let empty = sha256_of(b"{}");
    let script = Script::new(vec![
        row(Method::Get, "http://r:5000/v2/app/manifests/old", manifest()),
        row(Method::Delete, "http://r:5000/v2/app/manifests/old", envelope(400, "DIGEST_INVALID")),
        row(
            Method::Delete,
            format!("http://r:5000/v2/app/manifests/{throwaway_digest}"),
            envelope(404, "MANIFEST_UNKNOWN"),
        ),
        row(Method::Head, format!("http://r:5000/v2/app/blobs/{empty}"), HttpResponse::status(200)),
        row(Method::Put, "http://r:5000/v2/app/manifests/old", HttpResponse::status(201)).body(&throwaway),
        row(Method::Delete, format!("http://r:5000/v2/app/manifests/{throwaway_digest}"), envelope(500, "UNKNOWN")),
        row(Method::Put, "http://r:5000/v2/app/manifests/old", HttpResponse::status(201)).body(&throwaway),
        row(Method::Delete, format!("http://r:5000/v2/app/manifests/{throwaway_digest}"), HttpResponse::status(202)),
    ]);
    let report = delete_old(&script).unwrap();
    script.assert_done();
    assert_eq!(report.method, TagDeleteMethod::Throwaway { digest: throwaway_digest });
}
