//! Scripted copies between two registries (chunked streaming, blobs already present, a blob HEAD
//! refused or failed, a corrupted stream), the bulk runner's requests and its cancel, and undo
//! from the journal.

mod common;

use std::cell::RefCell;

use common::{registry_at as at, row, row_failing, Script};
use wharf_protocol::bulk::{self, BulkItem, BulkPlan};
use wharf_protocol::copy::{self, CopyPlan};
use wharf_protocol::digest::sha256_of;
use wharf_protocol::flow::Confirmed;
use wharf_protocol::http::{HttpResponse, Method, TransportError};
use wharf_protocol::journal::{Action, Entry, Journal};
use wharf_protocol::names::{Repository, Tag};
use wharf_protocol::pace::{self, NoWait, Retry, Throttle, Wait};
use wharf_protocol::refusal::{Refusal, Stage, UndoRefusal};
use wharf_protocol::runner::ItemState;
use wharf_protocol::state::{Stored, TargetState};
use wharf_protocol::transfer::{BlobOutcome, Endpoints};
use wharf_protocol::undo::{self, undo_step};
use wharf_protocol::upload::UploadMode;

const CONFIG: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn image_manifest(layer: &str, layer_size: usize) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{CONFIG}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":{layer_size}}}]}}"#
    )
}

fn served(body: &str) -> HttpResponse {
    HttpResponse::status(200).header("Content-Type", OCI_MANIFEST).body(body.to_string())
}

fn plan(digest: wharf_protocol::names::Digest) -> CopyPlan {
    CopyPlan::new(
        Repository::parse("app").unwrap(),
        digest,
        Repository::parse("prod/app").unwrap(),
        Tag::parse("v1").unwrap(),
        None,
    )
}

#[test]
fn between_registries_present_blobs_are_skipped_and_large_ones_stream_in_chunks() {
    let layer = sha256_of(b"abcde");
    let manifest = image_manifest(layer.as_str(), 5);
    let digest = sha256_of(manifest.as_bytes());
    let source = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{layer}"), HttpResponse::status(206).body("ab")),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{layer}"), HttpResponse::status(206).body("cd")),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{layer}"), HttpResponse::status(206).body("e")),
    ]);
    let session = |n: u8| format!("/v2/prod/app/blobs/uploads/u?_state={n}");
    // Each chunk goes to the Location the previous answer gave.
    let chunks = (0..3).map(|n| {
        row(
            Method::Patch,
            format!("http://t:5000{}", session(n)),
            HttpResponse::status(202).header("Location", session(n + 1)),
        )
    });
    let start = [
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{CONFIG}"), HttpResponse::status(200)),
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{layer}"), HttpResponse::status(404)),
        row(
            Method::Post,
            "http://t:5000/v2/prod/app/blobs/uploads/",
            HttpResponse::status(202).header("Location", session(0)),
        ),
    ];
    let target = Script::new(
        start
            .into_iter()
            .chain(chunks)
            .chain([
                row(
                    Method::Put,
                    format!("http://t:5000{}&digest={}", session(3), layer.as_str().replace(':', "%3A")),
                    HttpResponse::status(201),
                ),
                row(Method::Head, "http://t:5000/v2/prod/app/manifests/v1", HttpResponse::status(404)),
                row(
                    Method::Put,
                    "http://t:5000/v2/prod/app/manifests/v1",
                    HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()),
                ),
            ])
            .collect(),
    );
    let (s, t) = (at("http://s:5000", &source), at("http://t:5000", &target));
    let ends = Endpoints::with_chunk_size(&s, &t, 2);
    let bytes_seen = RefCell::new(Vec::new());
    let finished = pollster::block_on(copy::execute(
        &ends,
        &plan(digest.clone()),
        &Confirmed::nothing(),
        &|p| bytes_seen.borrow_mut().push(p.bytes_done),
        &Retry::never(),
    ));
    let report = finished.outcome.unwrap();
    source.assert_done();
    target.assert_done();
    assert_eq!(report.stored, Stored::Verified);
    // The journal entry is the report's: the target tag went from nothing to the source digest.
    let [change] = &finished.journal[..] else { panic!("one entry: {:?}", finished.journal) };
    assert_eq!(
        (change.action.as_str(), change.registry.as_str(), change.repository.as_str()),
        ("copy", "http://t:5000", "prod/app")
    );
    assert_eq!(
        (change.tag.as_deref(), change.before.as_deref(), change.after.as_deref()),
        (Some("v1"), None, Some(digest.as_str()))
    );
    assert!(change.ok, "{change:?}");
    assert_eq!(
        report.blobs.iter().map(|(_, _, o)| o.clone()).collect::<Vec<_>>(),
        [BlobOutcome::Present, BlobOutcome::Uploaded(UploadMode::Chunked { chunks: 3 })]
    );
    let sent = source.sent.borrow();
    let ranges: Vec<&str> = sent[1..].iter().map(|r| r.headers.get("Range").unwrap()).collect();
    assert_eq!(ranges, ["bytes=0-1", "bytes=2-3", "bytes=4-4"]);
    let patches = target.sent.borrow();
    let content_ranges: Vec<&str> = patches[3..6].iter().map(|r| r.headers.get("Content-Range").unwrap()).collect();
    assert_eq!(content_ranges, ["0-1", "2-3", "4-4"]);
    assert_eq!(patches[3].body, b"ab");
    assert!(patches[6].body.is_empty(), "the closing PUT carries no bytes");
    assert!(bytes_seen.borrow().windows(2).all(|w| w[0] <= w[1]), "byte progress only grows");
    assert_eq!(*bytes_seen.borrow().last().unwrap(), 7, "2 config bytes + 5 layer bytes");
}

#[test]
fn blob_exists_is_false_only_on_404() {
    let url = format!("http://t:5000/v2/prod/app/blobs/{CONFIG}");
    let script = Script::new(vec![
        row(Method::Head, url.clone(), HttpResponse::status(200)),
        row(Method::Head, url.clone(), HttpResponse::status(404)),
        row(Method::Head, url.clone(), HttpResponse::status(401)),
        row(Method::Head, url.clone(), HttpResponse::status(403)),
        row(Method::Head, url.clone(), HttpResponse::status(500)),
        row_failing(Method::Head, url, TransportError::CorsBlocked { origin: "http://ui".into() }),
    ]);
    let registry = at("http://t:5000", &script);
    let (repo, digest) =
        (Repository::parse("prod/app").unwrap(), wharf_protocol::names::Digest::parse(CONFIG).unwrap());
    let exists = || pollster::block_on(registry.blob_exists(&repo, &digest));
    assert!(exists().unwrap());
    assert!(!exists().unwrap());
    assert_eq!(exists().unwrap_err().status(), Some(401));
    assert_eq!(exists().unwrap_err().status(), Some(403));
    assert_eq!(exists().unwrap_err().status(), Some(500));
    assert!(matches!(
        exists().unwrap_err(),
        wharf_protocol::Error::Transport { error: TransportError::CorsBlocked { .. }, .. }
    ));
    script.assert_done();
}

/// A copy between registries whose first blob HEAD at the target answers `head`.
fn copy_with_blob_head(head: Result<HttpResponse, TransportError>) -> (Script, Script, wharf_protocol::Error) {
    let layer = sha256_of(b"ab");
    let manifest = image_manifest(layer.as_str(), 2);
    let digest = sha256_of(manifest.as_bytes());
    let source =
        Script::new(vec![row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest))]);
    let url = format!("http://t:5000/v2/prod/app/blobs/{CONFIG}");
    let target = Script::new(vec![match head {
        Ok(answer) => row(Method::Head, url, answer),
        Err(error) => row_failing(Method::Head, url, error),
    }]);
    let (s, t) = (at("http://s:5000", &source), at("http://t:5000", &target));
    let error = pollster::block_on(copy::execute(
        &Endpoints::new(&s, &t),
        &plan(digest),
        &Confirmed::nothing(),
        &|_| {},
        &Retry::never(),
    ))
    .outcome
    .unwrap_err();
    (source, target, error)
}

#[test]
fn a_refused_or_failed_blob_head_stops_the_copy_with_its_error_instead_of_uploading() {
    for status in [401, 403, 500] {
        let (source, target, error) = copy_with_blob_head(Ok(HttpResponse::status(status)));
        assert_eq!(error.status(), Some(status), "{error}");
        assert!(error.headline().starts_with(&format!("HEAD http://t:5000/v2/prod/app/blobs/{CONFIG}")), "{error}");
        // Nothing else was asked of either registry: no blob read, no upload opened, no manifest.
        source.assert_done();
        target.assert_done();
        assert_eq!(target.sent.borrow().len(), 1);
        assert_eq!(source.sent.borrow().len(), 1);
    }
    let (_, target, error) = copy_with_blob_head(Err(TransportError::CorsBlocked { origin: "http://ui".into() }));
    assert!(matches!(error, wharf_protocol::Error::Transport { error: TransportError::CorsBlocked { .. }, .. }));
    assert_eq!(target.sent.borrow().len(), 1, "no upload after a blocked HEAD");
}

#[test]
fn a_blob_head_404_means_absent_and_the_blob_is_uploaded() {
    let layer = sha256_of(b"ab");
    let manifest = image_manifest(layer.as_str(), 2);
    let digest = sha256_of(manifest.as_bytes());
    let source = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{CONFIG}"), HttpResponse::status(200).body("{}")),
    ]);
    let target = Script::new(vec![
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{CONFIG}"), HttpResponse::status(404)),
        row(
            Method::Post,
            "http://t:5000/v2/prod/app/blobs/uploads/",
            HttpResponse::status(202).header("Location", "/v2/prod/app/blobs/uploads/u"),
        ),
        row(
            Method::Put,
            format!("http://t:5000/v2/prod/app/blobs/uploads/u?digest={}", CONFIG.replace(':', "%3A")),
            HttpResponse::status(201),
        ),
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{layer}"), HttpResponse::status(200)),
        row(Method::Head, "http://t:5000/v2/prod/app/manifests/v1", HttpResponse::status(404)),
        row(
            Method::Put,
            "http://t:5000/v2/prod/app/manifests/v1",
            HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()),
        ),
    ]);
    let (s, t) = (at("http://s:5000", &source), at("http://t:5000", &target));
    let report = pollster::block_on(copy::execute(
        &Endpoints::new(&s, &t),
        &plan(digest),
        &Confirmed::nothing(),
        &|_| {},
        &Retry::never(),
    ))
    .outcome
    .unwrap();
    source.assert_done();
    target.assert_done();
    assert_eq!(report.blobs[0].2, BlobOutcome::Uploaded(UploadMode::Monolithic));
    assert_eq!(report.blobs[1].2, BlobOutcome::Present);
    let put = &target.sent.borrow()[2];
    assert_eq!((put.body.as_slice(), put.headers.get("Content-Type")), (&b"{}"[..], Some("application/octet-stream")));
}

#[test]
fn a_target_tag_moved_during_the_copy_is_not_overwritten() {
    let layer = sha256_of(b"ab");
    let manifest = image_manifest(layer.as_str(), 2);
    let digest = sha256_of(manifest.as_bytes());
    let source =
        Script::new(vec![row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest))]);
    let someone_elses = sha256_of(b"pushed meanwhile");
    let target = Script::new(vec![
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{CONFIG}"), HttpResponse::status(200)),
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{layer}"), HttpResponse::status(200)),
        // The plan saw no tag; now there is one.
        row(
            Method::Head,
            "http://t:5000/v2/prod/app/manifests/v1",
            HttpResponse::status(200).header("Docker-Content-Digest", someone_elses.to_string()),
        ),
    ]);
    let (s, t) = (at("http://s:5000", &source), at("http://t:5000", &target));
    let finished = pollster::block_on(copy::execute(
        &Endpoints::new(&s, &t),
        &plan(digest),
        &Confirmed::nothing(),
        &|_| {},
        &Retry::never(),
    ));
    let error = finished.outcome.unwrap_err();
    assert_eq!(
        error.refusal(),
        Some(&Refusal::MovedSincePlan { place: "prod/app:v1".into(), now: Some(someone_elses), stage: Stage::Copying })
    );
    // Journaled as a failure that left the tag where the plan saw it (nowhere).
    assert_eq!(finished.journal.len(), 1);
    assert!(!finished.journal[0].ok && finished.journal[0].after.is_none(), "{:?}", finished.journal);
    target.assert_done();
    assert!(target.sent.borrow().iter().all(|r| r.method != Method::Put), "nothing overwritten");
}

#[test]
fn a_stream_that_does_not_hash_to_its_digest_is_cancelled_and_no_manifest_is_sent() {
    let layer = sha256_of(b"abcd");
    let manifest = image_manifest(layer.as_str(), 4);
    let digest = sha256_of(manifest.as_bytes());
    let source = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        // A registry that ignores Range sends everything: the copy cuts it up itself.
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{layer}"), HttpResponse::status(200).body("abXd")),
    ]);
    let target = Script::new(vec![
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{CONFIG}"), HttpResponse::status(200)),
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{layer}"), HttpResponse::status(404)),
        row(
            Method::Post,
            "http://t:5000/v2/prod/app/blobs/uploads/",
            HttpResponse::status(202).header("Location", "/v2/prod/app/blobs/uploads/u"),
        ),
        row(
            Method::Patch,
            "http://t:5000/v2/prod/app/blobs/uploads/u",
            HttpResponse::status(202).header("Location", "/v2/prod/app/blobs/uploads/u2"),
        ),
        row(
            Method::Patch,
            "http://t:5000/v2/prod/app/blobs/uploads/u2",
            HttpResponse::status(202).header("Location", "/v2/prod/app/blobs/uploads/u3"),
        ),
        row(Method::Delete, "http://t:5000/v2/prod/app/blobs/uploads/u3", HttpResponse::status(204)),
    ]);
    let (s, t) = (at("http://s:5000", &source), at("http://t:5000", &target));
    let ends = Endpoints::with_chunk_size(&s, &t, 2);
    let error =
        pollster::block_on(copy::execute(&ends, &plan(digest), &Confirmed::nothing(), &|_| {}, &Retry::never()))
            .outcome
            .unwrap_err();
    assert!(error.headline().contains("hashes to"), "{error}");
    source.assert_done();
    target.assert_done();
}

fn bulk_retag_plan(digest: &wharf_protocol::names::Digest, targets: &[&str]) -> BulkPlan {
    BulkPlan {
        with_attachments: false,
        attachments: Vec::new(),
        looked_up: 0,
        source_repository: Repository::parse("app").unwrap(),
        target_repository: Repository::parse("app").unwrap(),
        copy: false,
        items: targets
            .iter()
            .map(|t| BulkItem {
                source_tag: Tag::parse("1.0").unwrap(),
                source: Some(digest.clone()),
                target_tag: Tag::parse(t).unwrap(),
                target_state: TargetState::New,
            })
            .collect(),
    }
}

#[test]
fn bulk_retag_fetches_each_image_once_and_cancel_leaves_the_rest_not_started() {
    let manifest = image_manifest(sha256_of(b"x").as_str(), 1);
    let digest = sha256_of(manifest.as_bytes());
    let put = |tag: &str| {
        row(
            Method::Put,
            format!("http://s:5000/v2/app/manifests/{tag}"),
            HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()),
        )
    };
    let script = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        put("a"),
        put("b"),
    ]);
    let registry = at("http://s:5000", &script);
    let ends = Endpoints::new(&registry, &registry);
    let plan = bulk_retag_plan(&digest, &["a", "b", "c", "d"]);
    let states = RefCell::new(vec![ItemState::Waiting; 4]);
    let changes = RefCell::new(Vec::new());
    let done = || states.borrow().iter().filter(|s| matches!(s, ItemState::Done(_))).count();
    // The user cancels once two items are done.
    pollster::block_on(bulk::run(&ends, &plan, &[0, 1, 2, 3], 1, &|| done() >= 2, &NoWait, &|i, s, change| {
        states.borrow_mut()[i] = s;
        changes.borrow_mut().extend(change);
    }));
    script.assert_done();
    let states = states.into_inner();
    assert_eq!(states[0], ItemState::Done(Stored::Verified));
    assert!(matches!(states[1], ItemState::Done(_)));
    assert_eq!(states[2..], [ItemState::NotStarted, ItemState::NotStarted]);
    // Only the items that ran are journaled, each as the tag it created.
    let changes = changes.into_inner();
    let tags: Vec<_> =
        changes.iter().map(|c| (c.action.as_str(), c.tag.as_deref(), c.after.as_deref(), c.ok)).collect();
    assert_eq!(
        tags,
        [
            ("bulk retag", Some("a"), Some(digest.as_str()), true),
            ("bulk retag", Some("b"), Some(digest.as_str()), true)
        ]
    );
    assert_eq!(plan.retryable(&states), [2, 3], "a retry runs exactly the items not started");
}

#[test]
fn a_bulk_item_whose_registry_answers_another_digest_fails() {
    let manifest = image_manifest(sha256_of(b"x").as_str(), 1);
    let digest = sha256_of(manifest.as_bytes());
    let script = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        row(
            Method::Put,
            "http://s:5000/v2/app/manifests/a",
            HttpResponse::status(201).header("Docker-Content-Digest", sha256_of(b"other").to_string()),
        ),
    ]);
    let registry = at("http://s:5000", &script);
    let states = RefCell::new(vec![ItemState::Waiting]);
    let changes = RefCell::new(Vec::new());
    let plan = bulk_retag_plan(&digest, &["a"]);
    pollster::block_on(bulk::run(
        &Endpoints::new(&registry, &registry),
        &plan,
        &[0],
        4,
        &|| false,
        &NoWait,
        &|i, s, change| {
            states.borrow_mut()[i] = s;
            changes.borrow_mut().extend(change);
        },
    ));
    assert!(matches!(&states.borrow()[0], ItemState::Failed(e) if e.headline().contains("hashes to")));
    // The journal says where the tag really is: on the digest the registry answered.
    let changes = changes.into_inner();
    assert_eq!(changes.len(), 1);
    assert!(!changes[0].ok);
    assert_eq!(changes[0].after.as_deref(), Some(sha256_of(b"other").as_str()));
    assert_eq!(plan.retryable(&states.borrow()), [0]);
}

fn journal_entry(before: &str, after: &str) -> Entry {
    Entry {
        id: 4,
        time: "2026-11-23T10:00:00Z".into(),
        action: Action::Retag,
        registry: "http://s:5000".into(),
        repository: "app".into(),
        tag: Some("latest".into()),
        before: Some(before.into()),
        after: Some(after.into()),
        ok: true,
        result: "stored".into(),
        saved: None,
        undone_by: None,
        undoes: None,
    }
}

#[test]
fn undo_puts_the_previous_image_back_but_not_over_a_later_change() {
    let old = image_manifest(sha256_of(b"old").as_str(), 3);
    let old_digest = sha256_of(old.as_bytes());
    let new_digest = sha256_of(b"new");
    let head = |d: &wharf_protocol::names::Digest| {
        HttpResponse::status(200).header("Docker-Content-Digest", d.to_string()).header("Content-Type", OCI_MANIFEST)
    };
    let script = Script::new(vec![
        row(Method::Head, "http://s:5000/v2/app/manifests/latest", head(&new_digest)),
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{old_digest}"), served(&old)),
        row(
            Method::Put,
            "http://s:5000/v2/app/manifests/latest",
            HttpResponse::status(201).header("Docker-Content-Digest", old_digest.to_string()),
        ),
        // Second attempt: someone moved the tag to a third image since.
        row(Method::Head, "http://s:5000/v2/app/manifests/latest", head(&sha256_of(b"third"))),
    ]);
    let registry = at("http://s:5000", &script);
    let mut kept = Journal::default();
    let mut entry = journal_entry(old_digest.as_str(), new_digest.as_str());
    entry.id = kept.record(vec![entry.clone()], "2026-11-30T00:00:00Z")[0];
    let finished = pollster::block_on(undo::undo(&registry, &entry, "u"));
    let report = finished.outcome.unwrap();
    assert_eq!(report.now, Some(old_digest.clone()));
    assert_eq!(script.sent.borrow()[2].body, old.as_bytes(), "the old manifest's exact bytes");
    // Recording the undo's entry marks the entry it undid, so it cannot be undone twice.
    let [change] = &finished.journal[..] else { panic!("one entry: {:?}", finished.journal) };
    assert_eq!(
        (change.before.as_deref(), change.after.as_deref()),
        (Some(new_digest.as_str()), Some(old_digest.as_str()))
    );
    assert_eq!(change.undoes, Some(entry.id));
    let undo_id = kept.record(vec![change.clone()], "2026-12-01T00:00:00Z")[0];
    assert_eq!(kept.get(undo_id).unwrap().time, "2026-12-01T00:00:00Z", "recorded entries are dated");
    assert_eq!(kept.get(entry.id).unwrap().undone_by, Some(undo_id));
    assert_eq!(undo_step(kept.get(entry.id).unwrap()), Err(UndoRefusal::AlreadyUndone { by: undo_id }));
    let refused = pollster::block_on(undo::undo(&registry, &entry, "u"));
    assert!(refused.journal.is_empty(), "a refused undo changes nothing, so it records nothing");
    let refused = refused.outcome.unwrap_err();
    assert_eq!(
        refused.refusal(),
        Some(&Refusal::MovedSincePlan {
            place: "app:latest".into(),
            now: Some(sha256_of(b"third")),
            stage: Stage::Undoing
        })
    );
    assert!(refused.headline().contains("has changed since"), "{refused}");
    script.assert_done();
}

#[test]
fn undo_says_so_when_the_registry_no_longer_holds_the_image() {
    let gone = sha256_of(b"gone");
    let script = Script::new(vec![
        row(Method::Head, "http://s:5000/v2/app/manifests/latest", HttpResponse::status(404)),
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{gone}"), HttpResponse::status(404)),
    ]);
    let mut entry = journal_entry(gone.as_str(), "x");
    entry.after = None;
    entry.action = Action::DeleteTag;
    let error = pollster::block_on(undo::undo(&at("http://s:5000", &script), &entry, "u")).outcome.unwrap_err();
    assert_eq!(
        error.refusal(),
        Some(&Refusal::Undo(UndoRefusal::ImageGone { place: "app:latest".into(), digest: gone }))
    );
    script.assert_done();
}

#[test]
fn an_undo_that_fails_after_writing_journals_where_the_tag_went() {
    let old = image_manifest(sha256_of(b"old").as_str(), 3);
    let old_digest = sha256_of(old.as_bytes());
    let (new_digest, other) = (sha256_of(b"new"), sha256_of(b"stored instead"));
    let head = |d: &wharf_protocol::names::Digest| {
        HttpResponse::status(200).header("Docker-Content-Digest", d.to_string()).header("Content-Type", OCI_MANIFEST)
    };
    let script = Script::new(vec![
        row(Method::Head, "http://s:5000/v2/app/manifests/latest", head(&new_digest)),
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{old_digest}"), served(&old)),
        // The registry stores other bytes than the ones sent.
        row(
            Method::Put,
            "http://s:5000/v2/app/manifests/latest",
            HttpResponse::status(201).header("Docker-Content-Digest", other.to_string()),
        ),
        row(Method::Head, "http://s:5000/v2/app/manifests/latest", head(&other)),
    ]);
    let entry = journal_entry(old_digest.as_str(), new_digest.as_str());
    let finished = pollster::block_on(undo::undo(&at("http://s:5000", &script), &entry, "u"));
    script.assert_done();
    assert!(matches!(finished.outcome, Err(wharf_protocol::Error::DigestMismatch { .. })));
    let [change] = &finished.journal[..] else { panic!("one entry: {:?}", finished.journal) };
    assert!(!change.ok, "{change:?}");
    assert_eq!((change.before.as_deref(), change.after.as_deref()), (Some(new_digest.as_str()), Some(other.as_str())));
    assert_eq!(change.undoes, None, "a failed undo does not mark the entry undone");
}

/// Records every wait the runner asks for.
#[derive(Default)]
struct CountingThrottle {
    waits: RefCell<Vec<Option<String>>>,
}

impl Throttle for CountingThrottle {
    fn throttled<'a>(&'a self, retry_after: Option<&'a str>) -> Wait<'a> {
        self.waits.borrow_mut().push(retry_after.map(str::to_string));
        Box::pin(std::future::ready(()))
    }
    fn ready(&self) -> Wait<'_> {
        Box::pin(std::future::ready(()))
    }
}

#[test]
fn a_bulk_item_answered_429_pauses_and_goes_on_with_one_journal_entry() {
    let manifest = image_manifest(sha256_of(b"x").as_str(), 1);
    let digest = sha256_of(manifest.as_bytes());
    let script = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        row(Method::Put, "http://s:5000/v2/app/manifests/a", HttpResponse::status(429).header("Retry-After", "2")),
        row(
            Method::Put,
            "http://s:5000/v2/app/manifests/a",
            HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()),
        ),
    ]);
    let registry = at("http://s:5000", &script);
    let seen = RefCell::new(Vec::new());
    let changes = RefCell::new(Vec::new());
    let throttle = CountingThrottle::default();
    let plan = bulk_retag_plan(&digest, &["a"]);
    pollster::block_on(bulk::run(
        &Endpoints::new(&registry, &registry),
        &plan,
        &[0],
        4,
        &|| false,
        &throttle,
        &|_, s, change| {
            seen.borrow_mut().push(s);
            changes.borrow_mut().extend(change);
        },
    ));
    script.assert_done();
    assert_eq!(*throttle.waits.borrow(), [Some("2".to_string())], "one wait, on the registry's Retry-After");
    let seen = seen.into_inner();
    assert!(
        matches!(&seen[1], ItemState::Paused(why) if why.contains("429") && why.contains("Retry-After: 2")),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&ItemState::Done(Stored::Verified)));
    // The refused attempt changed nothing: only the write that landed is journaled.
    let changes = changes.into_inner();
    assert_eq!(changes.len(), 1);
    assert!(changes[0].ok);
}

#[test]
fn a_bulk_item_throttled_past_its_attempts_fails_with_the_429() {
    let manifest = image_manifest(sha256_of(b"x").as_str(), 1);
    let digest = sha256_of(manifest.as_bytes());
    let mut rows = vec![row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest))];
    for _ in 0..=pace::MAX_THROTTLED_ATTEMPTS {
        rows.push(row(Method::Put, "http://s:5000/v2/app/manifests/a", HttpResponse::status(429)));
    }
    let script = Script::new(rows);
    let registry = at("http://s:5000", &script);
    let last = RefCell::new(None);
    let throttle = CountingThrottle::default();
    let plan = bulk_retag_plan(&digest, &["a"]);
    pollster::block_on(bulk::run(
        &Endpoints::new(&registry, &registry),
        &plan,
        &[0],
        4,
        &|| false,
        &throttle,
        &|_, s, _| {
            *last.borrow_mut() = Some(s);
        },
    ));
    script.assert_done();
    assert_eq!(throttle.waits.borrow().len(), pace::MAX_THROTTLED_ATTEMPTS);
    assert!(matches!(last.into_inner(), Some(ItemState::Failed(e)) if e.status() == Some(429)));
}

#[test]
fn a_registry_under_a_path_gets_its_upload_under_that_path() {
    let manifest = image_manifest(CONFIG, 2);
    let digest = sha256_of(manifest.as_bytes());
    let source = Script::new(vec![
        row(Method::Get, format!("http://gw/hub/v2/app/manifests/{digest}"), served(&manifest)),
        row(Method::Get, format!("http://gw/hub/v2/app/blobs/{CONFIG}"), HttpResponse::status(200).body("{}")),
    ]);
    // The registry behind the gateway does not know its prefix: its Location starts at /v2/.
    let target = Script::new(vec![
        row(Method::Head, format!("http://gw/local/v2/prod/app/blobs/{CONFIG}"), HttpResponse::status(404)),
        row(
            Method::Post,
            "http://gw/local/v2/prod/app/blobs/uploads/",
            HttpResponse::status(202).header("Location", "http://gw/v2/prod/app/blobs/uploads/u"),
        ),
        row(
            Method::Put,
            format!("http://gw/local/v2/prod/app/blobs/uploads/u?digest={}", CONFIG.replace(':', "%3A")),
            HttpResponse::status(201),
        ),
        row(Method::Head, "http://gw/local/v2/prod/app/manifests/v1", HttpResponse::status(404)),
        row(
            Method::Put,
            "http://gw/local/v2/prod/app/manifests/v1",
            HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()),
        ),
    ]);
    let (s, t) = (at("http://gw/hub", &source), at("http://gw/local", &target));
    let copied = pollster::block_on(copy::execute(
        &Endpoints::new(&s, &t),
        &plan(digest),
        &Confirmed::nothing(),
        &|_| {},
        &Retry::never(),
    ));
    copied.outcome.unwrap();
    source.assert_done();
    target.assert_done();
}

#[test]
fn a_dry_run_answered_429_waits_and_reads_the_tag_again() {
    let digest = sha256_of(b"image");
    let script = Script::new(vec![
        row(Method::Head, "http://s:5000/v2/app/manifests/1.0", HttpResponse::status(429).header("Retry-After", "3")),
        row(
            Method::Head,
            "http://s:5000/v2/app/manifests/1.0",
            HttpResponse::status(200).header("Docker-Content-Digest", digest.to_string()),
        ),
        row(Method::Head, "http://s:5000/v2/app/manifests/prod", HttpResponse::status(404)),
    ]);
    let registry = at("http://s:5000", &script);
    let throttle = CountingThrottle::default();
    let app = Repository::parse("app").unwrap();
    let pairs = vec![(Tag::parse("1.0").unwrap(), Tag::parse("prod").unwrap())];
    let plan = pollster::block_on(bulk::plan(
        &Endpoints::new(&registry, &registry),
        (&app, &app),
        pairs,
        4,
        &throttle,
        &bulk::nothing_known,
    ))
    .unwrap();
    script.assert_done();
    assert_eq!(*throttle.waits.borrow(), [Some("3".to_string())]);
    assert_eq!(plan.items[0].source.as_ref(), Some(&digest));
    assert_eq!(plan.items[0].target_state, TargetState::New);
}

#[test]
fn a_dry_run_asks_only_about_what_the_tag_list_does_not_know() {
    let (image, other) = (sha256_of(b"image"), sha256_of(b"other"));
    // Known: 1.0's digest, and that p-1.0 is not listed. Unknown: 2.0 (only cached) and p-2.0.
    // Known too: p-3.0 holds another image (a move), 3.0 is the image.
    let script = Script::new(vec![
        row(
            Method::Head,
            "http://s:5000/v2/app/manifests/2.0",
            HttpResponse::status(200).header("Docker-Content-Digest", image.to_string()),
        ),
        row(Method::Head, "http://s:5000/v2/app/manifests/p-2.0", HttpResponse::status(404)),
    ]);
    let registry = at("http://s:5000", &script);
    let app = Repository::parse("app").unwrap();
    let tag = |t: &str| Tag::parse(t).unwrap();
    let pairs = vec![(tag("1.0"), tag("p-1.0")), (tag("2.0"), tag("p-2.0")), (tag("3.0"), tag("p-3.0"))];
    let known = |t: &Tag| match t.as_str() {
        "1.0" | "3.0" => bulk::Known::Digest(image.clone()),
        "p-1.0" => bulk::Known::Absent,
        "p-3.0" => bulk::Known::Digest(other.clone()),
        _ => bulk::Known::Unknown,
    };
    let ends = Endpoints::new(&registry, &registry);
    let plan = pollster::block_on(bulk::plan(&ends, (&app, &app), pairs.clone(), 4, &NoWait, &known)).unwrap();
    script.assert_done();
    assert_eq!(plan.looked_up, 2, "one HEAD per tag not known");
    let states: Vec<_> = plan.items.iter().map(|i| i.target_state.clone()).collect();
    assert_eq!(states, [TargetState::New, TargetState::New, TargetState::Moves { from: other.clone() }]);
    // Into another repository, the target's tags are always asked: the list is of this one.
    let prod = Repository::parse("prod").unwrap();
    let script =
        Script::new(vec![row(Method::Head, "http://s:5000/v2/prod/manifests/p-1.0", HttpResponse::status(404))]);
    let registry = at("http://s:5000", &script);
    let ends = Endpoints::new(&registry, &registry);
    let plan = pollster::block_on(bulk::plan(&ends, (&app, &prod), pairs[..1].to_vec(), 4, &NoWait, &known)).unwrap();
    script.assert_done();
    assert_eq!((plan.looked_up, plan.copy), (1, true));
}

#[test]
fn a_refused_single_put_is_sent_again_as_post_patch_put_and_the_rest_go_so_at_once() {
    let layer = sha256_of(b"abc");
    let manifest = image_manifest(layer.as_str(), 3);
    let digest = sha256_of(manifest.as_bytes());
    let source = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{CONFIG}"), HttpResponse::status(200).body("{}")),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{CONFIG}"), HttpResponse::status(206).body("{}")),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{layer}"), HttpResponse::status(206).body("abc")),
    ]);
    let opened = |n: u8| HttpResponse::status(202).header("location", format!("/v2/prod/app/blobs/uploads/u{n}"));
    let at_session = |n: u8| format!("http://t:5000/v2/prod/app/blobs/uploads/u{n}");
    let closing = |n: u8, blob: &str| format!("{}?digest={}", at_session(n), blob.replace(':', "%3A"));
    let target = Script::new(vec![
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{CONFIG}"), HttpResponse::status(404)),
        row(Method::Post, "http://t:5000/v2/prod/app/blobs/uploads/", opened(1)),
        // The container-registry crate's answer to a PUT with a body.
        row(Method::Put, closing(1, CONFIG), HttpResponse::status(500).body("missing content length not implemented")),
        row(Method::Delete, at_session(1), HttpResponse::status(204)),
        row(Method::Post, "http://t:5000/v2/prod/app/blobs/uploads/", opened(2)),
        row(Method::Patch, at_session(2), opened(3)),
        row(Method::Put, closing(3, CONFIG), HttpResponse::status(201)),
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{layer}"), HttpResponse::status(404)),
        row(Method::Post, "http://t:5000/v2/prod/app/blobs/uploads/", opened(4)),
        row(Method::Patch, at_session(4), opened(5)),
        row(Method::Put, closing(5, layer.as_str()), HttpResponse::status(201)),
        row(Method::Head, "http://t:5000/v2/prod/app/manifests/v1", HttpResponse::status(404)),
        row(
            Method::Put,
            "http://t:5000/v2/prod/app/manifests/v1",
            HttpResponse::status(201).header("Docker-Content-Digest", digest.to_string()),
        ),
    ]);
    let (s, t) = (at("http://s:5000", &source), at("http://t:5000", &target));
    let report = pollster::block_on(copy::execute(
        &Endpoints::new(&s, &t),
        &plan(digest),
        &Confirmed::nothing(),
        &|_| {},
        &Retry::never(),
    ))
    .outcome
    .unwrap();
    source.assert_done();
    target.assert_done();
    assert_eq!(report.blobs[0].2, BlobOutcome::Uploaded(UploadMode::ChunkedAfterRefusal { refused: 500, chunks: 1 }));
    assert_eq!(report.blobs[1].2, BlobOutcome::Uploaded(UploadMode::Chunked { chunks: 1 }));
    assert_eq!(
        UploadMode::ChunkedAfterRefusal { refused: 500, chunks: 1 }.describe(),
        "POST + 1 PATCH + PUT (the registry answered 500 to a single PUT)"
    );
    let patch = &target.sent.borrow()[5];
    assert_eq!((patch.body.as_slice(), patch.headers.get("Content-Range")), (&b"{}"[..], Some("0-1")));
}

#[test]
fn a_source_failure_during_a_single_put_upload_is_not_taken_for_the_targets_refusal() {
    let manifest = image_manifest(CONFIG, 2);
    let digest = sha256_of(manifest.as_bytes());
    let source = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        row(Method::Get, format!("http://s:5000/v2/app/blobs/{CONFIG}"), HttpResponse::status(502)),
    ]);
    let target = Script::new(vec![
        row(Method::Head, format!("http://t:5000/v2/prod/app/blobs/{CONFIG}"), HttpResponse::status(404)),
        row(
            Method::Post,
            "http://t:5000/v2/prod/app/blobs/uploads/",
            HttpResponse::status(202).header("Location", "/v2/prod/app/blobs/uploads/u"),
        ),
        // The session is cancelled; no second session, no chunks: the source is what failed.
        row(Method::Delete, "http://t:5000/v2/prod/app/blobs/uploads/u", HttpResponse::status(204)),
    ]);
    let (s, t) = (at("http://s:5000", &source), at("http://t:5000", &target));
    let ends = Endpoints::new(&s, &t);
    let copied =
        pollster::block_on(copy::execute(&ends, &plan(digest), &Confirmed::nothing(), &|_| {}, &Retry::never()));
    assert_eq!(copied.outcome.unwrap_err().status(), Some(502));
    assert!(!ends.monolithic_refused.get());
    source.assert_done();
    target.assert_done();
}

#[test]
fn stop_during_a_pause_ends_the_item_with_its_429_and_sends_nothing_more() {
    let manifest = image_manifest(sha256_of(b"x").as_str(), 1);
    let digest = sha256_of(manifest.as_bytes());
    let script = Script::new(vec![
        row(Method::Get, format!("http://s:5000/v2/app/manifests/{digest}"), served(&manifest)),
        row(Method::Put, "http://s:5000/v2/app/manifests/a", HttpResponse::status(429).header("Retry-After", "5")),
    ]);
    let registry = at("http://s:5000", &script);
    let stopped = std::cell::Cell::new(false);
    // The user presses Stop while the run waits.
    struct StopDuringPause<'a>(&'a std::cell::Cell<bool>);
    impl Throttle for StopDuringPause<'_> {
        fn throttled<'b>(&'b self, _: Option<&'b str>) -> Wait<'b> {
            self.0.set(true);
            Box::pin(std::future::ready(()))
        }
        fn ready(&self) -> Wait<'_> {
            Box::pin(std::future::ready(()))
        }
    }
    let last = RefCell::new(None);
    let plan = bulk_retag_plan(&digest, &["a"]);
    pollster::block_on(bulk::run(
        &Endpoints::new(&registry, &registry),
        &plan,
        &[0],
        4,
        &|| stopped.get(),
        &StopDuringPause(&stopped),
        &|_, s, _| *last.borrow_mut() = Some(s),
    ));
    script.assert_done();
    assert!(matches!(last.into_inner(), Some(ItemState::Failed(e)) if e.status() == Some(429)));
}
