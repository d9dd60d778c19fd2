//! End to end, issue 21: a repository's storage on the tag list, and clean-up with retention
//! rules against the real registry: the plan is the dry run (nothing sent), it equals the sets
//! the seeder works out from the dates it wrote, the run deletes exactly them and keeps every
//! other tag on its digest, a tag moved between the plan and the run is skipped, and the undo
//! puts every deleted tag back on its digest. Checked with skopeo and the registry's own digests.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{assert_accessible, attr_of, attrs, screenshot_both_widths, Stack, ONE_BROWSER_AT_A_TIME};
use wharf_testkit::browser::Browser;
use wharf_testkit::oci::Blob;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::Pusher;
use wharf_testkit::seed_cleanup::{seed_cleanup, CleanupSeed};
use wharf_testkit::skopeo;

const REPO: &str = "ci/app";
const WITHIN: Duration = Duration::from_secs(120);

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Every tag's digest as skopeo reads it (present tags only; an absent tag is an error here).
fn digests_by_skopeo(host: &str, tags: &[String]) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for tag in tags {
        let digest = skopeo::manifest_digest(host, &format!("{REPO}:{tag}")).expect("skopeo inspect");
        found.insert(tag.clone(), digest.unwrap_or_else(|| panic!("{REPO}:{tag} should exist")));
    }
    found
}

fn tag_set(tags: Vec<String>) -> BTreeSet<String> {
    tags.into_iter().collect()
}

async fn plan(b: &Browser, keep: &str, days: &str, protect: &str) {
    b.fill("cleanup-keep-newest", keep).await;
    b.fill("cleanup-older-than", days).await;
    b.fill("cleanup-protect", protect).await;
    // Offered only once every tag's date is known.
    b.wait_js_within("!document.querySelector('[data-testid=cleanup-plan]')?.disabled", WITHIN).await;
    b.click("[data-testid=cleanup-plan]").await;
    b.wait_css("[data-testid=cleanup-summary]").await;
}

async fn verdicts(b: &Browser) -> BTreeMap<String, String> {
    let tags = attrs(b, "[data-testid=cleanup-row]", "data-tag").await;
    let verdicts = attrs(b, "[data-testid=cleanup-row]", "data-verdict").await;
    tags.into_iter().zip(verdicts).collect()
}

#[tokio::test]
async fn a_clean_up_plans_deletes_exactly_the_rule_skips_a_moved_tag_and_undoes() {
    let _one = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let host = stack.registry.host.clone();
    let now = now();
    let seed: CleanupSeed = seed_cleanup(&stack.registry.url(), REPO, now);
    let b = &stack.browser;
    let before = tag_set(skopeo::list_tags(&host, REPO).expect("skopeo list-tags"));
    assert_eq!(before, seed.tags.keys().cloned().collect::<BTreeSet<_>>(), "the seeder's tags are the registry's");
    let digests_before = digests_by_skopeo(&host, &before.iter().cloned().collect::<Vec<_>>());

    // The tag list's storage: every distinct blob once, once every tag is known; and what no
    // other repository this browser has read holds (`ci/other`, read first, holds build 1).
    let unshared = seed.share_one_with(&stack.registry.url(), REPO, "build-001", "ci/other");
    let storage_known = "document.querySelector('[data-testid=repo-storage]')?.dataset.complete === 'true'";
    stack.goto("/ci/other").await;
    b.wait_js_within(storage_known, WITHIN).await;
    common::wait_mark(b, "wharf:glance-stored", WITHIN).await;
    stack.goto(&format!("/{REPO}")).await;
    b.wait_js_within(storage_known, WITHIN).await;
    b.wait_js_within("document.querySelector('[data-testid=repo-storage]')?.dataset.others === '1'", WITHIN).await;
    assert_eq!(attr_of(b, "[data-testid=repo-storage]", "data-bytes").await, Some(seed.storage().to_string()));
    assert_eq!(attr_of(b, "[data-testid=repo-storage]", "data-unshared-bytes").await, Some(unshared.to_string()));
    assert!(unshared > 0 && unshared < seed.storage());
    screenshot_both_widths(b, "cleanup-tag-list-storage").await;

    // The rules: keep the 10 newest images, delete only what is older than 31 days (no build is
    // within a day of that), protect
    // `latest` and `v*`. Nothing is sent by planning: the registry's log says so.
    stack.goto(&format!("/{REPO}/-/cleanup")).await;
    b.wait_css("[data-testid=cleanup-form]").await;
    let protect = b.wait_css("[data-testid=cleanup-protect]").await.prop("value").await.expect("value");
    assert_eq!(protect.as_deref(), Some("latest v*"), "the default protection");
    let mark = stack.registry.log_mark();
    plan(b, "10", "31", "latest v*").await;
    let expected = seed.expected_deletes(10, 31, &["latest", "v*"], now);
    assert!(expected.len() >= 25 && expected.contains("stable") && !expected.contains("build-035"), "{expected:?}");
    let shown = verdicts(b).await;
    assert_eq!(shown.keys().cloned().collect::<BTreeSet<_>>(), before, "the plan lists every tag");
    let planned: BTreeSet<String> = shown.iter().filter(|(_, v)| *v == "delete").map(|(t, _)| t.clone()).collect();
    assert_eq!(
        planned,
        expected,
        "the plan deletes exactly what the rules select: {}",
        b.text("[data-testid=cleanup-summary]").await
    );
    assert_eq!(attr_of(b, "[data-testid=cleanup-freed]", "data-bytes").await, Some(seed.freed(&expected).to_string()));
    let reason = |tag: &str| format!("[data-testid=cleanup-row][data-tag='{tag}'] [data-testid=cleanup-reason]");
    assert!(b.text(&reason("build-035")).await.contains("shares its digest with the kept tag v1.0"));
    assert!(b.text(&reason("v1.0")).await.contains("protected by v*"));
    let writes: Vec<_> =
        stack.registry.requests_since_settled(mark).into_iter().filter(|(m, _)| m != "GET" && m != "HEAD").collect();
    assert!(writes.iter().all(|(m, _)| m == "OPTIONS"), "planning wrote nothing: {writes:?}");
    screenshot_both_widths(b, "cleanup-plan").await;
    assert_accessible(b, "clean-up plan").await;

    // Someone moves a planned tag before the run: it must be skipped, not deleted.
    let moved = "build-020";
    assert!(expected.contains(moved));
    let pusher = Pusher::new(&stack.registry.url());
    let (media_type, latest_bytes) = pusher.manifest_get(REPO, "latest").expect("latest");
    let newer = &digests_before["latest"];
    assert_eq!(&pusher.manifest_put(REPO, moved, &Blob::new(latest_bytes, &media_type)), newer);

    b.click("[data-testid=cleanup-run]").await;
    b.wait_js_within("!!document.querySelector('[data-testid=cleanup-done]')", WITHIN).await;
    let items = attrs(b, "[data-testid=cleanup-item]", "data-tag").await;
    let states = attrs(b, "[data-testid=cleanup-item]", "data-state").await;
    let by_tag: BTreeMap<String, String> = items.into_iter().zip(states).collect();
    assert_eq!(by_tag.get(moved).map(String::as_str), Some("skipped"), "{by_tag:?}");
    let deleted: BTreeSet<String> = expected.iter().filter(|t| *t != moved).cloned().collect();
    assert!(deleted.iter().all(|t| by_tag[t] == "deleted"), "{by_tag:?}");
    assert_eq!(attr_of(b, "[data-testid=cleanup-done]", "data-deleted").await, Some(deleted.len().to_string()));
    assert_eq!(
        attr_of(b, "[data-testid=cleanup-done-freed]", "data-bytes").await,
        Some(seed.freed(&deleted).to_string())
    );

    // The registry's tag list before and after, and every kept tag on its digest.
    let after = tag_set(skopeo::list_tags(&host, REPO).expect("skopeo list-tags"));
    assert_eq!(after, before.difference(&deleted).cloned().collect::<BTreeSet<_>>());
    let kept: Vec<String> = after.iter().filter(|t| *t != moved).cloned().collect();
    let kept_digests = digests_by_skopeo(&host, &kept);
    for (tag, digest) in &kept_digests {
        assert_eq!(digest, &digests_before[tag], "{tag} kept its digest");
    }
    assert_eq!(
        skopeo::manifest_digest(&host, &format!("{REPO}:{moved}")),
        Ok(Some(newer.clone())),
        "the moved tag is left"
    );
    for tag in &deleted {
        assert_eq!(skopeo::manifest_digest(&host, &format!("{REPO}:{tag}")), Ok(None), "{tag} is gone (404)");
    }
    screenshot_both_widths(b, "cleanup-done").await;
    assert_accessible(b, "clean-up done").await;

    // Issue 22: the run as a script, replayed on a registry seeded the same way, where one of
    // the deleted tags has since moved: that one is refused and stays, every other one goes,
    // and every tag the run kept keeps its digest.
    let script = common::export_script(b).await;
    let replica = Registry::start(RegistryOptions::default());
    seed_cleanup(&replica.url(), REPO, now);
    let refused = deleted.iter().next().expect("a deleted tag").clone();
    let replica_pusher = Pusher::new(&replica.url());
    let (media_type, latest_bytes) = replica_pusher.manifest_get(REPO, "latest").expect("latest");
    replica_pusher.manifest_put(REPO, &refused, &Blob::new(latest_bytes, &media_type));
    let run = common::run_exported(&script, &[("REGISTRY", &replica.url())]);
    assert!(!run.success, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("1 of {} failed", deleted.len())), "{}", run.stderr);
    let replayed = tag_set(skopeo::list_tags(&replica.host, REPO).expect("skopeo list-tags"));
    let mut expected_left = after.clone();
    expected_left.insert(refused.clone());
    assert_eq!(replayed, expected_left, "the replay deleted what the run deleted, less the moved tag");
    for (tag, digest) in digests_by_skopeo(&replica.host, &kept) {
        assert_eq!(digest, digests_before[&tag], "{tag} kept its digest on the replica");
    }
    assert_eq!(skopeo::manifest_digest(&replica.host, &format!("{REPO}:{refused}")), Ok(Some(newer.clone())));

    // Undo: every deleted tag back on its digest; the moved tag is not in the run, so untouched.
    b.click("[data-testid=cleanup-undo]").await;
    b.wait_js_within("!!document.querySelector('[data-testid=cleanup-undone]')", WITHIN).await;
    assert_eq!(attr_of(b, "[data-testid=cleanup-undone]", "data-restored").await, Some(deleted.len().to_string()));
    let restored = digests_by_skopeo(&host, &deleted.iter().cloned().collect::<Vec<_>>());
    for (tag, digest) in &restored {
        assert_eq!(digest, &digests_before[tag], "{tag} is back on its digest");
    }
    assert_eq!(tag_set(skopeo::list_tags(&host, REPO).unwrap()), before);
    screenshot_both_widths(b, "cleanup-undone").await;
    stack.close().await;
}

#[tokio::test]
async fn a_registry_with_deletes_off_says_so_before_a_plan() {
    let _one = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions { delete: false, ..RegistryOptions::default() }).await;
    stack.goto("/demo/hello/-/cleanup").await;
    let said = stack.browser.text("[data-testid=cleanup-deletes-off]").await;
    assert!(said.contains("does not allow deletes") && said.contains("delete"), "{said}");
    assert!(stack.browser.client.find(fantoccini::Locator::Css("[data-testid=cleanup-form]")).await.is_err());
    stack.close().await;
}
