//! The clean-up benchmark (issue 21): a repository of 1,010 tags, one image each, where keeping
//! the newest 10 deletes 1,000. In the page: navigation → plan offered (the tag list's metadata),
//! plan click → plan shown, and the run (click → done), with the registry's requests per deleted
//! tag; beside it, in the same run, a shell loop of `skopeo delete` over the same tags of a twin
//! repository. Both results are checked with skopeo's tag list.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wharf_testkit::browser::Browser;
use wharf_testkit::registry::Registry;
use wharf_testkit::seed_cleanup::seed_cleanup_bench;
use wharf_testkit::skopeo;
use wharf_testkit::static_server::StaticServer;

/// Tags kept.
const KEEP: usize = 10;

async fn now_ms(browser: &Browser) -> f64 {
    browser.client.execute("return performance.now()", vec![]).await.expect("now").as_f64().expect("ms")
}

/// Requests by method, CORS preflights left out.
fn by_method(requests: &[(String, String)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (method, _) in requests.iter().filter(|(m, _)| m != "OPTIONS") {
        *counts.entry(method.clone()).or_insert(0) += 1;
    }
    counts
}

/// The section's rows.
pub async fn section(registry: &Registry, app: &StaticServer, count: usize) -> Vec<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64;
    let (repo, twin) = ("bench/cleanup", "bench/cleanup-skopeo");
    eprintln!("clean-up of {count} tags ({} to delete): seeding two repositories…", count - KEEP);
    let tags = seed_cleanup_bench(&registry.url(), repo, count, now);
    seed_cleanup_bench(&registry.url(), twin, count, now);
    let doomed = &tags[KEEP..];

    eprintln!("… in the page…");
    let browser = Browser::start().await;
    browser.client.goto(&format!("{}/r/http:{}/{repo}/-/cleanup", app.url, registry.host)).await.expect("goto");
    browser.wait_css("[data-testid=cleanup-form]").await;
    browser
        .wait_js_within("!document.querySelector('[data-testid=cleanup-plan]').disabled", Duration::from_secs(300))
        .await;
    let offered_ms = now_ms(&browser).await;
    browser.fill("cleanup-keep-newest", &KEEP.to_string()).await;
    browser.fill("cleanup-older-than", "").await;
    browser.fill("cleanup-protect", "").await;
    let clicked = now_ms(&browser).await;
    browser.click("[data-testid=cleanup-plan]").await;
    browser.wait_js_within("!!document.querySelector('[data-testid=cleanup-summary]')", Duration::from_secs(60)).await;
    let plan_ms = now_ms(&browser).await - clicked;
    let planned = browser
        .client
        .execute("return document.querySelector('[data-testid=cleanup-summary]').dataset.delete", vec![])
        .await;
    assert_eq!(
        planned.expect("planned").as_str(),
        Some(doomed.len().to_string().as_str()),
        "the plan deletes every old tag"
    );
    let mark = registry.log_mark();
    browser.click("[data-testid=cleanup-run]").await;
    browser.wait_js_within("!!document.querySelector('[data-testid=cleanup-done]')", Duration::from_secs(900)).await;
    let deleted = browser
        .client
        .execute("return document.querySelector('[data-testid=cleanup-done]').dataset.deleted", vec![])
        .await;
    let not_deleted = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=cleanup-item]:not([data-state=deleted])')].slice(0, 5).map(e => e.textContent)",
            vec![],
        )
        .await
        .expect("items");
    assert_eq!(
        deleted.expect("deleted").as_str(),
        Some(doomed.len().to_string().as_str()),
        "every planned tag deleted: {not_deleted}"
    );
    let run_s = (super::mark_time(&browser, "wharf:cleanup-done").await
        - super::mark_time(&browser, "wharf:cleanup-start").await)
        / 1000.0;
    browser.close().await;
    let requests = registry.requests_since_settled(mark);
    let methods = by_method(&requests);
    let total: usize = methods.values().sum();
    let left = skopeo::list_tags(&registry.host, repo).expect("skopeo list-tags");
    assert_eq!(left.len(), KEEP, "skopeo lists the kept tags only: {left:?}");

    eprintln!("… with skopeo delete in a loop (slow)…");
    let skopeo_s = super::shell_loop_seconds(
        registry,
        doomed,
        r#"skopeo delete --tls-verify=false "docker://$R/bench/cleanup-skopeo:$t""#,
    );
    let twin_left = skopeo::list_tags(&registry.host, twin).expect("skopeo list-tags");
    assert_eq!(twin_left.len(), KEEP, "skopeo's loop left the kept tags: {twin_left:?}");

    let per_tag = total as f64 / doomed.len() as f64;
    let methods_text: Vec<String> = methods.iter().map(|(m, n)| format!("{m} {n}")).collect();
    vec![
        format!(
            "| Clean-up plan of {count} tags ({} to delete, keep the newest {KEEP}): plan click → plan shown | {plan_ms:.0} ms | before it, navigation → plan offered (every tag's date read, fresh browser): {:.1} s | |",
            doomed.len(),
            offered_ms / 1000.0
        ),
        format!(
            "| Clean-up run deleting {} tags in the page (one-tag deletes, {} at a time; click → done) | {run_s:.1} s | skopeo delete loop over the same tags: {skopeo_s:.1} s (**{:.1}×** slower; skopeo deletes by digest, and the manifest takes every tag on it with it) | |",
            doomed.len(),
            wharf_protocol::runner::DEFAULT_CONCURRENCY,
            skopeo_s / run_s
        ),
        format!(
            "| Registry requests per deleted tag, clean-up run (CORS preflights left out) | {per_tag:.3} ({total}: {}) | floor, the one-tag delete on distribution 2.8 once the run has learned the registry: 3 (the read that re-checks the tag, the throwaway's PUT and its DELETE) | 3 |",
            methods_text.join(" · ")
        ),
    ]
}
