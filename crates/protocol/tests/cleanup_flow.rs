//! A scripted clean-up run, request by request: the first delete learns what the registry can do
//! (no delete-by-tag, deletes on, the empty config present), every later one costs three
//! requests; a tag moved since the plan is skipped, and reported, with nothing written; every
//! deletion is journaled as a clean-up delete; the undo puts each tag back on its digest and
//! leaves a tag written since alone.

mod common;

use std::cell::RefCell;

use common::{registry, row, Script};
use wharf_protocol::cleanup::{self, Rules, TagImage};
use wharf_protocol::digest::sha256_of;
use wharf_protocol::http::{HttpResponse, Method};
use wharf_protocol::journal::{Action, Entry};
use wharf_protocol::names::{Repository, Tag};
use wharf_protocol::pace::NoWait;
use wharf_protocol::runner::ItemState;
use wharf_protocol::tag_delete::throwaway_manifest;

const NOW: i64 = 1_800_000_000;

fn manifest_text(n: u32) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}},"layers":[],"annotations":{{"n":"{n}"}}}}"#
    )
}

fn manifest(n: u32) -> HttpResponse {
    let text = manifest_text(n);
    HttpResponse::status(200)
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .header("Docker-Content-Digest", sha256_of(text.as_bytes()).to_string())
        .body(text)
}

fn tag_image(tag: &str, n: u32, days_old: i64) -> TagImage {
    TagImage {
        tag: Tag::parse(tag).unwrap(),
        digest: sha256_of(manifest_text(n).as_bytes()),
        created: None,
        created_at: Some(NOW - days_old * 86_400),
        size: Some(2),
        blobs: Default::default(),
    }
}

fn envelope(status: u16, code: &str) -> HttpResponse {
    HttpResponse::status(status).body(format!(r#"{{"errors":[{{"code":"{code}","message":"m"}}]}}"#))
}

fn url(path: &str) -> String {
    format!("http://r:5000/v2/app/manifests/{path}")
}

#[test]
fn a_run_learns_once_skips_a_moved_tag_and_undo_puts_every_tag_back() {
    let repository = Repository::parse("app").unwrap();
    // Keep the newest image: old1, old2 and old3 go.
    let tags =
        vec![tag_image("new", 0, 1), tag_image("old1", 1, 10), tag_image("old2", 2, 20), tag_image("old3", 3, 30)];
    let plan = cleanup::plan(&repository, tags, &Rules::parse("1", "", "").unwrap(), NOW);
    let to_delete = plan.to_delete();
    assert_eq!(to_delete.len(), 3);
    let (t1, t2) = (throwaway_manifest("u1"), throwaway_manifest("u2"));
    let (d1, d2) = (sha256_of(&t1), sha256_of(&t2));
    let empty = sha256_of(b"{}");
    let script = Script::new(vec![
        // old1: the full recipe, learning as it goes.
        row(Method::Get, url("old1"), manifest(1)),
        row(Method::Delete, url("old1"), envelope(400, "DIGEST_INVALID")),
        row(Method::Delete, url(d1.as_str()), envelope(404, "MANIFEST_UNKNOWN")),
        row(Method::Head, format!("http://r:5000/v2/app/blobs/{empty}"), HttpResponse::status(200)),
        row(Method::Put, url("old1"), HttpResponse::status(201)).body(&t1),
        row(Method::Delete, url(d1.as_str()), HttpResponse::status(202)),
        // old2: three requests.
        row(Method::Get, url("old2"), manifest(2)),
        row(Method::Put, url("old2"), HttpResponse::status(201)).body(&t2),
        row(Method::Delete, url(d2.as_str()), HttpResponse::status(202)),
        // old3 was moved to image 9 since the plan: read, and left alone.
        row(Method::Get, url("old3"), manifest(9)),
    ]);
    let client = registry(&script);
    let counter = RefCell::new(0);
    let unique = || {
        *counter.borrow_mut() += 1;
        format!("u{}", counter.borrow())
    };
    let ended: RefCell<Vec<(String, ItemState)>> = RefCell::default();
    let journal: RefCell<Vec<Entry>> = RefCell::default();
    let report = |i: usize, state: ItemState, entries: Vec<Entry>| {
        journal.borrow_mut().extend(entries);
        if !matches!(state, ItemState::Running | ItemState::Waiting) {
            ended.borrow_mut().push((plan.rows[i].image.tag.to_string(), state));
        }
    };
    pollster::block_on(cleanup::run(&client, &plan, &to_delete, 1, &|| false, &NoWait, &unique, &report));
    script.assert_done();
    let ended = ended.into_inner();
    assert!(matches!(ended[0], (ref t, ItemState::Done(_)) if t == "old1"), "{ended:?}");
    assert!(matches!(ended[1], (ref t, ItemState::Done(_)) if t == "old2"), "{ended:?}");
    match &ended[2] {
        (t, ItemState::Skipped(why)) if t == "old3" => assert!(why.contains("moved since the plan"), "{why}"),
        other => panic!("old3 should be skipped: {other:?}"),
    }
    let mut journal = journal.into_inner();
    assert_eq!(journal.len(), 2, "the skipped tag wrote nothing, so nothing is journaled");
    assert!(journal.iter().all(|e| e.action == Action::CleanupDelete && e.ok && e.after.is_none()));

    // The undo: the entries as the journal store keeps them (numbered, dated).
    for (id, entry) in journal.iter_mut().enumerate() {
        entry.id = id as u64 + 1;
        entry.time = "2026-12-05T10:00:00Z".into();
    }
    let tags = ["old1", "old2"].into_iter().collect();
    let of_run = cleanup::entries_of_run(&journal, "http://r:5000", "app", &tags, "2026-12-05T09:59:00Z");
    assert_eq!(of_run.len(), 2);
    assert!(cleanup::entries_of_run(&journal, "http://r:5000", "app", &tags, "2026-12-05T10:01:00Z").is_empty());
    let entries: Vec<Entry> = of_run.into_iter().cloned().collect();
    let script = Script::new(vec![
        // old1: still gone, its image still held by digest: put back.
        row(Method::Head, url("old1"), HttpResponse::status(404)),
        row(Method::Get, url(sha256_of(manifest_text(1).as_bytes()).as_str()), manifest(1)),
        row(Method::Put, url("old1"), HttpResponse::status(201)).body(manifest_text(1).as_bytes()),
        // old2: someone pushed it again since: left alone.
        row(Method::Head, url("old2"), manifest(7)),
    ]);
    let client = registry(&script);
    let undone: RefCell<Vec<ItemState>> = RefCell::default();
    let undo_journal: RefCell<Vec<Entry>> = RefCell::default();
    let report = |_: usize, state: ItemState, entries: Vec<Entry>| {
        undo_journal.borrow_mut().extend(entries);
        if !matches!(state, ItemState::Running | ItemState::Waiting) {
            undone.borrow_mut().push(state);
        }
    };
    pollster::block_on(cleanup::undo_run(&client, &entries, 1, &|| false, &NoWait, &unique, &report));
    script.assert_done();
    let undone = undone.into_inner();
    assert!(matches!(undone[0], ItemState::Done(_)), "{undone:?}");
    assert!(matches!(&undone[1], ItemState::Skipped(why) if why.contains("left alone")), "{undone:?}");
    let undo_journal = undo_journal.into_inner();
    assert_eq!(undo_journal.len(), 1);
    assert_eq!((undo_journal[0].action.clone(), undo_journal[0].undoes), (Action::Undo, Some(1)));
}
