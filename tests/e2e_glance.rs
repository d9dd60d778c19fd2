//! End to end, issue 9: the tag list shows every tag's created time, image size, platforms and
//! kind, resolved in the background and kept in IndexedDB, and sorts by them over every tag.
//!
//! DRAFT, written against the DOM and marks contract before the page exists:
//! - marks `wharf:glance-cached` (a sorted list shown from the cache) and `wharf:glance-complete`
//!   (every tag known or definitively failed, the list sorted);
//! - `[data-testid=glance-progress]` (`data-done`, `data-total`, `data-concurrency`) and
//!   `[data-testid=glance-stop]` while running;
//! - rows `tr[data-testid=tag-row]` with `data-tag`, `data-digest`, `data-created` (the config's
//!   string as stored), `data-size` (bytes), `data-kind` (`image`, `index`, `helm`, `signature`,
//!   `attestation`, `sbom`, `artifact`), `data-platforms` (`os/arch[/variant]`, comma-separated)
//!   and `data-fresh` (`true` once its HEAD answered in this visit);
//! - `[data-testid=tag-sort]` (`newest`, `oldest`, `largest`, `version`, `version-desc`, `name`),
//!   `[data-testid=tag-filter]`, `[data-testid=kind-filter]` (option values as `data-kind`),
//!   `[data-testid=platform-filter]` (option values as in `data-platforms`);
//! - on an index's manifest page, `[data-testid=platform-row]` (already there, attestations
//!   marked `data-attestation=true`) with `data-platform`, `data-size`, `data-created`, and
//!   `[data-testid=index-total]` with `data-size` (the distinct blobs of the platform images).
//!
//! The repository is `demo/glance` from `seed_glance`: 150 tags whose created times are not in
//! name order; the newest (`v1.13.7`) is on the last page of the name order.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{
    all_glance_rows, attr_of, glance_rows, screenshot_both_widths, wait_mark, GlanceRow, Stack, ONE_BROWSER_AT_A_TIME,
};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::RegistryOptions;
use wharf_testkit::seed::{seed_glance, GlanceKind, GlanceSeed, GlanceTag};
use wharf_testkit::skopeo;
use wharf_testkit::throttle::{Throttle, ThrottleOptions};

const REPO: &str = "demo/glance";
const NEWEST: &str = "/demo/glance?sort=newest";
/// A cold glance of 150 tags on this small machine takes a few seconds; leave room.
const COMPLETE_WITHIN: Duration = Duration::from_secs(90);

/// Asserts that a row shows what the seed pushed for its tag.
fn assert_row_is(row: &GlanceRow, tag: &GlanceTag) {
    let what = &row.tag;
    assert_eq!(row.digest, tag.digest, "{what}: data-digest");
    assert_eq!(row.created, tag.created_attr(), "{what}: data-created");
    assert_eq!(row.size, tag.size.to_string(), "{what}: data-size");
    assert_eq!(row.kind, tag.kind.as_str(), "{what}: data-kind");
    assert_eq!(row.platforms, tag.platforms_attr(), "{what}: data-platforms");
}

/// Asserts that `data-created` never increases down the rows, undated rows last.
fn assert_newest_first(rows: &[GlanceRow]) {
    let dated = rows.iter().take_while(|r| !r.created.is_empty()).count();
    assert!(rows[dated..].iter().all(|r| r.created.is_empty()), "undated rows come last: {rows:#?}");
    for pair in rows[..dated].windows(2) {
        assert!(pair[0].created >= pair[1].created, "newest first: {} before {}", pair[0].tag, pair[1].tag);
    }
}

/// Chooses `value` in the select `selector` and waits until the first row changes to `first`.
async fn choose(browser: &Browser, selector: &str, value: &str, first: &str) {
    let select = browser.wait_css(selector).await;
    select.select_by_value(value).await.unwrap_or_else(|e| panic!("{selector}: no option {value:?}: {e}"));
    browser
        .wait_js(&format!("document.querySelector('tr[data-testid=tag-row]')?.getAttribute('data-tag') === {first:?}"))
        .await;
}

/// Opens the glance sorted newest first and waits until every tag is known.
async fn open_newest(stack: &Stack) {
    stack.goto(NEWEST).await;
    wait_mark(&stack.browser, "wharf:glance-complete", COMPLETE_WITHIN).await;
}

/// Asserts the progress element (when the page still shows it) counts every tag as done.
async fn assert_progress_done(browser: &Browser, seed: &GlanceSeed) {
    let total = seed.tags.len().to_string();
    let state = browser
        .client
        .execute(
            "const p = document.querySelector('[data-testid=glance-progress]');
             return p ? [p.getAttribute('data-done'), p.getAttribute('data-total')] : null;",
            vec![],
        )
        .await
        .expect("progress");
    if !state.is_null() {
        assert_eq!(state, serde_json::json!([total, total]), "glance-progress done/total");
    }
}

#[tokio::test]
async fn newest_first_puts_the_newest_tag_first_though_it_is_last_in_name_order() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_glance(&stack.registry.url(), REPO);
    let b = &stack.browser;

    open_newest(&stack).await;
    assert_progress_done(b, &seed).await;
    assert_eq!(
        b.wait_css("[data-testid=tag-sort]").await.prop("value").await.expect("sort value").as_deref(),
        Some("newest"),
        "?sort=newest chose the sort"
    );
    let rows = glance_rows(b).await;
    assert_eq!(rows.len(), 100, "one page of 100 rows");
    assert_eq!(rows[0].tag, seed.newest, "the newest image first, though it is on the last page by name");
    assert_newest_first(&rows);
    let expected = seed.newest_first();
    let created: Vec<&str> = rows.iter().map(|r| r.created.as_str()).collect();
    let expected_created: Vec<&str> = expected.iter().take(100).map(|t| t.created_attr()).collect();
    assert_eq!(created, expected_created, "page 1 holds the 100 newest, in order");
    for row in &rows {
        assert_row_is(row, seed.tag(&row.tag));
        assert_eq!(row.fresh, "true", "{}: every HEAD answered in this visit", row.tag);
    }
    screenshot_both_widths(b, "glance-newest").await;

    // Every tag, over both pages: each row as pushed, undated (the chart, the artifact) last.
    let every = all_glance_rows(b).await;
    assert_eq!(every.len(), seed.tags.len());
    assert_newest_first(&every);
    for row in &every {
        assert_row_is(row, seed.tag(&row.tag));
    }

    // The other sorts, over every tag (not only the page in view), from page 1 again.
    open_newest(&stack).await;
    choose(b, "[data-testid=tag-sort]", "oldest", &seed.oldest).await;
    let largest = seed.largest_first()[0].tag.clone();
    choose(b, "[data-testid=tag-sort]", "largest", &largest).await;
    let sizes: Vec<u64> = glance_rows(b).await.iter().map(|r| r.size.parse().expect("data-size")).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "largest first: {sizes:?}");
    let select = b.wait_css("[data-testid=tag-sort]").await;
    select.select_by_value("version").await.expect("version sort");
    // By version the newest (v1.13.7) is on the last page: page 1 no longer shows it. (The
    // largest, the index `multi-arch`, is first by neither version order.)
    b.wait_js(&format!(
        "(() => {{ const tags = Array.from(document.querySelectorAll('tr[data-testid=tag-row]')).map((r) => r.getAttribute('data-tag'));
                   return tags.length === 100 && tags[0] !== {largest:?} && !tags.includes({:?}); }})()",
        seed.newest
    ))
    .await;
    let by_version = glance_rows(b).await;
    assert!(!by_version.iter().any(|r| r.tag == seed.newest), "by version, the newest is not on page 1");

    // The kind column names the chart and the artifact (with its artifactType).
    for (filter, tag, kind) in [
        ("chart", &seed.helm, GlanceKind::Helm),
        ("report", &seed.artifact, GlanceKind::Artifact),
        ("multi", &seed.index, GlanceKind::Index),
    ] {
        b.type_into("[data-testid=tag-filter]", filter).await;
        b.wait_js(&format!(
            "(() => {{ const r = document.querySelectorAll('tr[data-testid=tag-row]'); return r.length === 1 && r[0].getAttribute('data-tag') === {tag:?}; }})()"
        ))
        .await;
        let row = &glance_rows(b).await[0];
        assert_eq!(row.kind, kind.as_str(), "{tag}");
        assert_row_is(row, seed.tag(tag));
        if kind == GlanceKind::Artifact {
            let artifact_type = seed.tag(tag).artifact_type.clone().expect("artifactType");
            assert!(row.text.contains(&artifact_type), "the artifact's row names {artifact_type}: {:?}", row.text);
        }
        if kind == GlanceKind::Helm {
            screenshot_both_widths(b, "glance-helm").await;
        }
    }
    b.type_into("[data-testid=tag-filter]", "").await;

    // The kind and platform filters.
    choose(b, "[data-testid=tag-sort]", "newest", &seed.newest).await;
    let kind = b.wait_css("[data-testid=kind-filter]").await;
    kind.select_by_value("helm").await.expect("kind filter: helm");
    b.wait_js("document.querySelectorAll('tr[data-testid=tag-row]').length === 1").await;
    assert_eq!(glance_rows(b).await[0].tag, seed.helm);

    stack.goto(NEWEST).await;
    wait_mark(b, "wharf:glance-complete", COMPLETE_WITHIN).await;
    let arm: Vec<&str> = seed
        .newest_first()
        .into_iter()
        .filter(|t| t.platforms.iter().any(|p| p.platform == "linux/arm64/v8"))
        .map(|t| t.tag.as_str())
        .collect();
    assert!(arm.contains(&seed.index.as_str()) && arm.len() > 2, "{arm:?}");
    let platform = b.wait_css("[data-testid=platform-filter]").await;
    platform.select_by_value("linux/arm64/v8").await.expect("platform filter: linux/arm64/v8");
    b.wait_js(&format!("document.querySelectorAll('tr[data-testid=tag-row]').length === {}", arm.len())).await;
    let shown: Vec<String> = glance_rows(b).await.into_iter().map(|r| r.tag).collect();
    assert_eq!(shown, arm, "the arm64 images and the index, newest first");
    screenshot_both_widths(b, "glance-platform-filter").await;
    stack.close().await;
}

#[tokio::test]
async fn an_index_shows_each_platforms_size_and_the_distinct_blob_total_as_skopeo_sees_them() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_glance(&stack.registry.url(), REPO);
    let host = stack.registry.host.as_str();
    let b = &stack.browser;

    // skopeo's view: the index's platform entries (attestations left out), each child's config
    // and layers summed, and the distinct blobs of all of them.
    let raw = skopeo::inspect_raw(host, &format!("{REPO}:{}", seed.index)).expect("skopeo inspect the index");
    let index: serde_json::Value = serde_json::from_slice(&raw).expect("index JSON");
    let mut expected = Vec::new();
    let mut blobs = BTreeMap::new();
    for entry in index["manifests"].as_array().expect("manifests") {
        let p = &entry["platform"];
        if p["os"] == "unknown" {
            continue;
        }
        let mut platform = format!("{}/{}", p["os"].as_str().unwrap(), p["architecture"].as_str().unwrap());
        if let Some(variant) = p["variant"].as_str() {
            platform = format!("{platform}/{variant}");
        }
        let child = format!("{REPO}@{}", entry["digest"].as_str().expect("digest"));
        let (size, child_blobs) = skopeo::image_size(host, &child).expect("skopeo inspect a child");
        blobs.extend(child_blobs);
        let config = skopeo::inspect_config(host, &child).expect("skopeo inspect --config a child");
        expected.push((platform, size.to_string(), config["created"].as_str().expect("created").to_string()));
    }
    let total: u64 = blobs.values().sum();
    assert_eq!(expected.len(), 2);
    let from_seed: Vec<(String, String, String)> = seed
        .tag(&seed.index)
        .platforms
        .iter()
        .map(|p| (p.platform.clone(), p.size.to_string(), p.created.clone()))
        .collect();
    assert_eq!(expected, from_seed, "skopeo and the seed agree");
    assert_eq!(total, seed.tag(&seed.index).size);

    stack.goto(&format!("/{REPO}/-/manifest/{}", seed.index)).await;
    let platform_rows = "[data-testid=platform-row][data-attestation=false]";
    b.wait_js(&format!(
        "document.querySelectorAll('{platform_rows}[data-size]').length === 2 && document.querySelector('[data-testid=index-total][data-size]')"
    ))
    .await;
    let shown = b
        .client
        .execute(
            &format!(
                "return Array.from(document.querySelectorAll('{platform_rows}')).map((r) => [r.getAttribute('data-platform'), r.getAttribute('data-size'), r.getAttribute('data-created')]);"
            ),
            vec![],
        )
        .await
        .expect("platform rows");
    let shown: Vec<(String, String, String)> = serde_json::from_value(shown).expect("three strings a row");
    assert_eq!(shown, expected, "each platform: os/arch[/variant], config + layers, created");
    assert_eq!(attr_of(b, "[data-testid=index-total]", "data-size").await, Some(total.to_string()));
    screenshot_both_widths(b, "glance-index-sizes").await;
    stack.close().await;
}

#[tokio::test]
async fn a_warm_visit_sends_only_heads() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_glance(&stack.registry.url(), REPO);
    let registry = &stack.registry;
    let b = &stack.browser;
    let manifest_path = |tag: &str| format!("/v2/{REPO}/manifests/{tag}");

    // Cold: one HEAD per tag; each manifest and each blob fetched at most once.
    let mark = registry.log_mark();
    open_newest(&stack).await;
    let cold = registry.requests_since_settled(mark);
    let mut heads = BTreeMap::new();
    let mut gets = BTreeMap::new();
    for (method, uri) in &cold {
        match method.as_str() {
            "HEAD" => *heads.entry(uri.clone()).or_insert(0) += 1,
            "GET" => *gets.entry(uri.clone()).or_insert(0) += 1,
            _ => panic!("a cold glance only reads: {method} {uri}"),
        }
    }
    for tag in &seed.tags {
        assert_eq!(heads.get(&manifest_path(&tag.tag)), Some(&1), "one HEAD for {}", tag.tag);
    }
    let repeated: Vec<_> = gets.iter().filter(|(uri, n)| **n > 1 && !uri.contains("/tags/list")).collect();
    assert!(repeated.is_empty(), "each manifest and config is fetched once: {repeated:?}");
    let manifest_gets = gets.keys().filter(|u| u.starts_with(&format!("/v2/{REPO}/manifests/"))).count();
    // The distinct top manifests, and the index's two platform images (for their created times).
    assert!(manifest_gets <= seed.distinct_digests() + 2, "{manifest_gets} manifest GETs");

    // Warm: the list from the cache first, then every tag revalidated with a HEAD, nothing else.
    let mark = registry.log_mark();
    stack.goto(NEWEST).await;
    let cached = wait_mark(b, "wharf:glance-cached", Duration::from_secs(20)).await;
    let complete = wait_mark(b, "wharf:glance-complete", COMPLETE_WITHIN).await;
    assert!(cached <= complete, "cached at {cached} ms, complete at {complete} ms");
    let warm = registry.requests_since_settled(mark);
    let mut per_tag = BTreeMap::new();
    let mut unexpected = Vec::new();
    for (method, uri) in &warm {
        let path = uri.split('?').next().unwrap_or("");
        let tag = path.strip_prefix(&format!("/v2/{REPO}/manifests/"));
        match (method.as_str(), tag) {
            ("HEAD", Some(tag)) if seed.tags.iter().any(|t| t.tag == tag) => {
                *per_tag.entry(tag.to_string()).or_insert(0) += 1
            }
            // The tag list (every page of it) and the ping.
            ("GET", None) if path == format!("/v2/{REPO}/tags/list") || path == "/v2/" => {}
            _ => unexpected.push(format!("{method} {uri}")),
        }
    }
    assert!(unexpected.is_empty(), "a warm visit sends HEADs of the tags, the tag list and /v2/ only: {unexpected:?}");
    for tag in &seed.tags {
        assert_eq!(per_tag.get(&tag.tag), Some(&1), "one HEAD for {} on the warm visit", tag.tag);
    }
    let rows = glance_rows(b).await;
    assert!(rows.iter().all(|r| r.fresh == "true"), "every row revalidated");
    assert_eq!(rows[0].tag, seed.newest);
    for row in &rows {
        assert_row_is(row, seed.tag(&row.tag));
    }
    screenshot_both_widths(b, "glance-warm").await;
    stack.close().await;
}

#[tokio::test]
async fn a_tag_moved_since_the_last_visit_shows_its_new_image() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_glance(&stack.registry.url(), REPO);
    let registry = &stack.registry;
    let b = &stack.browser;

    open_newest(&stack).await;
    // Move v1.2.3 onto the oldest image (an image the first visit resolved already).
    let (from, moved) = (seed.oldest.clone(), "v1.2.3".to_string());
    assert_ne!(seed.tag(&from).digest, seed.tag(&moved).digest);
    skopeo::copy_all(&registry.host, &format!("{REPO}:{from}"), &format!("{REPO}:{moved}")).expect("skopeo copy");
    let new_digest = registry.digest_of(REPO, &moved).expect("digest").expect("the moved tag");
    assert_eq!(new_digest, seed.tag(&from).digest);

    let mark = registry.log_mark();
    open_newest(&stack).await;
    b.type_into("[data-testid=tag-filter]", &moved).await;
    b.wait_js(&format!(
        "(() => {{ const r = document.querySelectorAll('tr[data-testid=tag-row]'); return r.length === 1 && r[0].getAttribute('data-tag') === {moved:?} && r[0].getAttribute('data-fresh') === 'true'; }})()"
    ))
    .await;
    let row = &glance_rows(b).await[0];
    assert_eq!(row.tag, moved);
    assert_eq!(row.digest, new_digest, "the digest the registry holds now");
    assert_eq!(row.created, seed.tag(&from).created_attr(), "the new image's created");
    assert_eq!(row.size, seed.tag(&from).size.to_string(), "the new image's size");
    // Its new image was known from the first visit: the HEAD said which, and nothing was fetched.
    let fetched: Vec<_> = registry
        .requests_since_settled(mark)
        .into_iter()
        .filter(|(m, u)| m == "GET" && !u.contains("/tags/list") && u != "/v2/")
        .collect();
    assert!(fetched.is_empty(), "the moved tag's image was in the cache already: {fetched:?}");
    screenshot_both_widths(b, "glance-moved").await;

    // Sorted again over every tag: the moved tag sits with the image it now holds, at the end.
    b.type_into("[data-testid=tag-filter]", "").await;
    b.wait_js("document.querySelectorAll('tr[data-testid=tag-row]').length === 100").await;
    let every = all_glance_rows(b).await;
    assert_newest_first(&every);
    let dated: Vec<&str> = every.iter().filter(|r| !r.created.is_empty()).map(|r| r.tag.as_str()).collect();
    let last_two: std::collections::BTreeSet<&str> = dated[dated.len() - 2..].iter().copied().collect();
    assert_eq!(last_two, [from.as_str(), moved.as_str()].into_iter().collect(), "the two oldest now");
    stack.close().await;
}

#[tokio::test]
async fn throttled_heads_are_retried_and_no_row_shows_what_it_did_not_get() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_glance(&stack.registry.url(), REPO);
    // Every 7th distinct manifest HEAD path gets a 429 (Retry-After: 1) on its first attempt.
    let throttle =
        Throttle::start(&stack.registry.url(), ThrottleOptions { every_nth: 7, ..ThrottleOptions::default() });
    let b = &stack.browser;
    b.client.goto(&stack.view_on(&throttle.host, NEWEST)).await.expect("navigate through the proxy");

    // While it runs, every digest and created time a row shows is the one its tag holds.
    let check = |rows: &[GlanceRow]| {
        for row in rows {
            let tag = seed.tag(&row.tag);
            assert!(
                row.digest.is_empty() || row.digest == tag.digest,
                "{}: shows {} it did not get",
                row.tag,
                row.digest
            );
            assert!(row.created.is_empty() || row.created == tag.created_attr(), "{}: shows {}", row.tag, row.created);
        }
    };
    let deadline = std::time::Instant::now() + COMPLETE_WITHIN;
    loop {
        check(&glance_rows(b).await);
        let done = b
            .client
            .execute("return performance.getEntriesByName('wharf:glance-complete').length > 0;", vec![])
            .await
            .expect("mark");
        if done == serde_json::json!(true) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no wharf:glance-complete through the throttle");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_progress_done(b, &seed).await;

    let throttled = throttle.throttled_paths();
    assert!(throttled.len() >= seed.tags.len() / 7, "the proxy throttled {throttled:?}");
    assert_eq!(throttle.throttled(), throttled.len(), "one 429 per throttled path");
    assert_eq!(throttle.unretried(), Vec::<String>::new(), "the page retried every throttled HEAD");
    let log = throttle.log();
    assert!(log.iter().filter(|s| !s.throttled).all(|s| s.status == 200), "every other answer was 200: {log:?}");

    let every = all_glance_rows(b).await;
    assert_eq!(every.len(), seed.tags.len());
    check(&every);
    for row in &every {
        let digest = stack.registry.digest_of(REPO, &row.tag).expect("registry").expect("tag");
        assert_eq!(row.digest, digest, "{}", row.tag);
        assert_row_is(row, seed.tag(&row.tag));
        assert_eq!(row.fresh, "true", "{}", row.tag);
    }
    screenshot_both_widths(b, "glance-throttled").await;
    drop(throttle);
    stack.close().await;
}
