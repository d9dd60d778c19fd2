//! The digest search benchmark (issue 23): a registry of its own holding 1,000 repositories × 5
//! tags. In the page: the catalog opened, then a search by digest, click → `wharf:search-done`,
//! cold (a fresh browser) and warm (the same page searching again); beside it, in the same
//! browser, the floor: the catalog's repositories' tag lists and a bare `fetch` HEAD of every
//! tag, six repositories at a time, from a page of the app's origin. The page's hits are checked
//! against the seeder's.

use std::time::Duration;

use serde_json::json;
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed_search::seed_search_bench;
use wharf_testkit::static_server::StaticServer;

const REPOSITORIES: usize = 1000;
const TAGS: usize = 5;
const WITHIN: Duration = Duration::from_secs(900);

/// One search in the open catalog page: ms from the click to `wharf:search-done`.
async fn search(browser: &Browser, digest: &str, expected_hits: usize) -> f64 {
    browser.fill("registry-search", digest).await;
    browser
        .client
        .execute("performance.clearMarks('wharf:search-done'); window.__searchClick = performance.now();", vec![])
        .await
        .expect("mark");
    browser.click("[data-testid=registry-search-go]").await;
    let done = browser
        .wait_js_within(
            "(() => { const m = performance.getEntriesByName('wharf:search-done').at(-1); return m && m.startTime - window.__searchClick; })()",
            WITHIN,
        )
        .await;
    let hits =
        browser.wait_css("[data-testid=search-done]").await.attr("data-hits").await.expect("hits").unwrap_or_default();
    assert_eq!(hits, expected_hits.to_string(), "the page found every tag that holds the digest");
    let tags =
        browser.wait_css("[data-testid=search-done]").await.attr("data-tags").await.expect("tags").unwrap_or_default();
    assert_eq!(tags, (REPOSITORIES * TAGS).to_string(), "every tag read");
    done.as_f64().expect("ms")
}

/// The floor: every repository's tag list and a bare HEAD per tag, six repositories at a time.
async fn floor(browser: &Browser, base: &str, repositories: &[String]) -> f64 {
    let start = r#"
        const [base, repos, accept] = arguments;
        window.__searchFloor = null;
        (async () => {
          const t0 = performance.now();
          let next = 0, heads = 0, failed = 0;
          const worker = async () => {
            while (next < repos.length) {
              const repo = repos[next++];
              const r = await fetch(`${base}/v2/${repo}/tags/list`, { cache: 'no-store' });
              const tags = (await r.json()).tags || [];
              for (const tag of tags) {
                const h = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: accept }, cache: 'no-store' });
                if (h.status !== 200) failed++;
                heads++;
              }
            }
          };
          await Promise.all(Array.from({ length: 6 }, worker));
          window.__searchFloor = { ms: performance.now() - t0, heads, failed };
        })().catch((e) => { window.__searchFloor = { error: String(e) }; });
    "#;
    browser
        .client
        .execute(start, vec![json!(base), json!(repositories), json!(wharf_protocol::media::MANIFEST_ACCEPT)])
        .await
        .expect("start the floor");
    let result = browser.wait_js_within("window.__searchFloor", WITHIN).await;
    assert!(result["error"].is_null(), "the floor failed: {result}");
    assert_eq!(result["heads"].as_u64(), Some((REPOSITORIES * TAGS) as u64), "{result}");
    assert_eq!(result["failed"].as_u64(), Some(0), "{result}");
    result["ms"].as_f64().expect("ms")
}

/// The section's rows.
pub async fn section(app: &StaticServer) -> Vec<String> {
    eprintln!("digest search: seeding {REPOSITORIES} repositories × {TAGS} tags…");
    let registry = Registry::start(RegistryOptions::default());
    let (target, hits) = seed_search_bench(&registry.url(), REPOSITORIES, TAGS);
    let repositories: Vec<String> = (0..REPOSITORIES).map(|i| format!("bench/search-{i:04}")).collect();
    let browser = Browser::start().await;
    browser.client.goto(&format!("{}/r/http:{}", app.url, registry.host)).await.expect("goto");
    browser
        .wait_js_within("document.querySelector('[data-testid=repo-list]')?.dataset.layout === 'tree'", WITHIN)
        .await;
    eprintln!("… cold search…");
    let mark = registry.log_mark();
    let cold = search(&browser, &target, hits).await;
    let requests = registry.requests_since_settled(mark);
    let count = |method: &str, part: &str| requests.iter().filter(|(m, u)| m == method && u.contains(part)).count();
    let (lists, heads, gets) = (count("GET", "/tags/list"), count("HEAD", "/manifests/"), count("GET", "/manifests/"));
    eprintln!("… warm search…");
    let warm = search(&browser, &target, hits).await;
    eprintln!("… floor…");
    let floor_ms = floor(&browser, &registry.url(), &repositories).await;
    browser.close().await;
    vec![
        format!(
            "| Digest search over {REPOSITORIES} repositories × {TAGS} tags, cold (fresh browser, catalog open): click → search-done ({hits} hits) | {:.1} s | floor, the same tag lists and a bare fetch HEAD per tag, 6 repositories at a time: {:.1} s ({:.2}×) | |",
            cold / 1000.0,
            floor_ms / 1000.0,
            cold / floor_ms
        ),
        format!("| Digest search, warm (the same page searching again) | {:.1} s | floor: {:.1} s ({:.2}×) | |", warm / 1000.0, floor_ms / 1000.0, warm / floor_ms),
        format!("| Registry requests, cold digest search (CORS preflights left out) | {} (tag lists {lists} · HEAD manifests {heads} · GET manifests {gets}) | floor: {} | |", requests.iter().filter(|(m, _)| m != "OPTIONS").count(), REPOSITORIES + REPOSITORIES * TAGS),
    ]
}
