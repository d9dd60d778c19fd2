//! End to end, issue 23: "where is this digest?" over a real registry's catalog (33 seeded
//! repositories besides the demo's, the digest tagged in three and held by an index in a fourth),
//! by digest and by `repository:tag`, with Stop; and a 200-repository catalog as a tree of
//! namespaces, opened on demand, by a deep link, and filtered across groups. Hits are checked
//! against the registry's own digests.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{
    assert_accessible, attr_of, attrs, screenshot_both_widths, screenshot_both_widths_at, Stack, ONE_BROWSER_AT_A_TIME,
};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::RegistryOptions;
use wharf_testkit::seed_search::{seed_namespaces, seed_search};

const WITHIN: Duration = Duration::from_secs(60);

async fn search(b: &Browser, query: &str) {
    b.wait_css("[data-testid=registry-search]").await;
    b.fill("registry-search", query).await;
    b.mark_seen("[data-testid=search-done]").await;
    b.click("[data-testid=registry-search-go]").await;
}

async fn wait_done(b: &Browser) {
    b.wait_js_within("!!document.querySelector('[data-testid=search-done]')", WITHIN).await;
}

async fn hits(b: &Browser) -> BTreeSet<(String, String, String)> {
    let repos = attrs(b, "[data-testid=search-hit]", "data-repo").await;
    let tags = attrs(b, "[data-testid=search-hit]", "data-tag").await;
    let indexes = attrs(b, "[data-testid=search-hit]", "data-index").await;
    repos.into_iter().zip(tags).zip(indexes).map(|((r, t), i)| (r, t, i)).collect()
}

#[tokio::test]
async fn the_digest_search_finds_every_tag_and_index_that_holds_it() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_search(&stack.registry.url());
    let b = &stack.browser;
    // The registry's own word for every place, the independent check of the page's hits.
    for (repo, tag) in &seed.holders {
        assert_eq!(stack.registry.digest_of(repo, tag), Ok(Some(seed.target.clone())), "{repo}:{tag}");
    }
    assert_eq!(stack.registry.digest_of("search/multi", "latest"), Ok(Some(seed.index.clone())));
    let mut expected: BTreeSet<(String, String, String)> =
        seed.holders.iter().map(|(r, t)| (r.clone(), t.clone(), String::new())).collect();
    expected.insert(("search/multi".into(), "latest".into(), seed.index.clone()));
    // The demo's 4 repositories and 8 tags are searched too.
    let (repositories, tags) = (seed.repositories + 4, seed.tags + 8);

    stack.goto("").await;
    search(b, &seed.target).await;
    wait_done(b).await;
    assert_eq!(hits(b).await, expected);
    assert_eq!(attr_of(b, "[data-testid=search-done]", "data-repositories").await, Some(repositories.to_string()));
    assert_eq!(attr_of(b, "[data-testid=search-done]", "data-tags").await, Some(tags.to_string()));
    assert_eq!(attr_of(b, "[data-testid=search-done]", "data-stopped").await.as_deref(), Some("false"));
    let index_hit = b.text("[data-testid=search-hit][data-repo='search/multi']").await;
    assert!(index_hit.contains("linux/amd64"), "{index_hit}");
    screenshot_both_widths_at(b, "search-done", "[data-testid=registry-search]").await;
    assert_accessible(b, "catalog with search hits").await;

    // By repository:tag, resolved to the same digest; the index, read once already, is not read
    // again.
    let mark = stack.registry.log_mark();
    search(b, "search/r17:live").await;
    wait_done(b).await;
    assert_eq!(hits(b).await, expected);
    let index_reads = stack
        .registry
        .requests_since_settled(mark)
        .into_iter()
        .filter(|(m, u)| m == "GET" && u.contains(&format!("/manifests/{}", seed.index)))
        .count();
    assert_eq!(index_reads, 0, "each index is read once per page");

    // A name that does not exist: said so, nothing searched.
    search(b, "search/r17:nope").await;
    let problem = b.text("[data-testid=search-problem]").await;
    assert!(problem.contains("does not exist"), "{problem}");
    stack.close().await;
}

#[tokio::test]
async fn a_large_catalog_opens_as_namespaces_and_the_search_stops_when_asked() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let names = seed_namespaces(&stack.registry.url(), 10, 19, 6);
    assert_eq!(names.len(), 196);
    let b = &stack.browser;

    // 200 repositories (with the demo's): a tree, top level first, each namespace with its count.
    stack.goto("").await;
    b.wait_js("document.querySelector('[data-testid=repo-list]')?.dataset.layout === 'tree'").await;
    let top: Vec<(String, String)> = attrs(b, "[data-testid=repo-list] > [data-testid=namespace]", "data-path")
        .await
        .into_iter()
        .zip(attrs(b, "[data-testid=repo-list] > [data-testid=namespace]", "data-count").await)
        .collect();
    assert_eq!(top, [("demo".into(), "3".into()), ("org".into(), "190".into()), ("team".into(), "1".into())]);
    let tops = attrs(b, "[data-testid=repo-list] > [data-testid=repo-item]", "data-repo").await;
    assert_eq!(tops.len(), 6, "the top-level repositories: {tops:?}");
    screenshot_both_widths(b, "namespaces-top").await;
    assert_accessible(b, "catalog as namespaces").await;

    // Opened on demand: org, then org/team-03 and its 19 repositories.
    b.click("[data-testid=namespace][data-path=org] > [data-testid=namespace-toggle]").await;
    b.wait_css("[data-testid=namespace][data-path='org/team-03']").await;
    assert_eq!(attrs(b, "[data-testid=namespace][data-path=org] [data-testid=namespace]", "data-path").await.len(), 10);
    b.click("[data-testid=namespace][data-path='org/team-03'] > [data-testid=namespace-toggle]").await;
    let inside = "[data-testid=namespace][data-path='org/team-03'] [data-testid=repo-item]";
    b.wait_js(&format!("document.querySelectorAll(\"{inside}\").length === 19")).await;
    let url = b.client.current_url().await.unwrap();
    assert!(url.as_str().ends_with("?ns=org%2Fteam-03"), "the address names the namespace: {url}");

    // A deep link opens it again, with its ancestors.
    b.client.goto(url.as_str()).await.unwrap();
    b.wait_js(&format!("document.querySelectorAll(\"{inside}\").length === 19")).await;
    screenshot_both_widths_at(b, "namespaces-deep-link", "[data-testid=namespace][data-open=true]").await;

    // The filter lists matches across every namespace.
    b.fill("repo-filter", "app-07").await;
    b.wait_js("document.querySelector('[data-testid=repo-list]')?.dataset.layout === 'flat'").await;
    let matched = attrs(b, "[data-testid=repo-item]", "data-repo").await;
    assert_eq!(matched.len(), 10, "{matched:?}");
    assert!(matched.iter().all(|m| m.ends_with("/app-07")));

    // Stop: the repositories in flight finish their current request, no new one starts.
    b.fill("repo-filter", "").await;
    search(b, "demo/hello:1.0").await;
    b.click("[data-testid=search-stop]").await;
    common::wait_mark(b, "wharf:search-done", WITHIN).await;
    let mark = stack.registry.log_mark();
    wait_done(b).await;
    assert_eq!(attr_of(b, "[data-testid=search-done]", "data-stopped").await.as_deref(), Some("true"));
    let read: usize = attr_of(b, "[data-testid=search-done]", "data-repositories").await.unwrap().parse().unwrap();
    assert!(read < 200, "stopped before the end: {read} read");
    let after = stack.registry.requests_since_settled(mark);
    let new_lists = after.iter().filter(|(m, u)| m == "GET" && u.ends_with("/tags/list")).count();
    assert_eq!(new_lists, 0, "no repository started after Stop: {after:?}");
    assert!(after.len() <= 6, "at most the requests in flight: {after:?}");
    stack.close().await;
}
