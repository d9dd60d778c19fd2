//! End to end, issue 23 (first part): what an image or artifact says about itself, read in the
//! page from a real registry. Descriptions from each of the three places (the manifest's
//! annotation, the index's, the config's label), markup in one staying text; the standard
//! annotations as links only when they are web URLs; a Helm chart pushed as Helm stores it; a
//! generic artifact's layers, with its small text layers shown as text.

mod common;

use common::{assert_accessible, attr_of, screenshot_both_widths_at, Stack, ONE_BROWSER_AT_A_TIME};
use serde_json::Value;
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::RegistryOptions;
use wharf_testkit::seed_about::{
    seed_about, ANNOTATED_DESCRIPTION, CHART, INDEX_DESCRIPTION, LABEL_DESCRIPTION, NOTES_README, NOTES_TYPE,
};

async fn js(b: &Browser, expression: &str) -> Value {
    b.client.execute(&format!("return ({expression});"), vec![]).await.expect("script")
}

/// The text content of the first element matching `selector` (hidden parts included).
async fn text_content(b: &Browser, selector: &str) -> String {
    b.wait_css(selector).await;
    let found = b
        .client
        .execute("return document.querySelector(arguments[0]).textContent;", vec![Value::from(selector)])
        .await
        .expect("text content");
    found.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn descriptions_from_each_place_stay_text_and_charts_and_artifacts_show_what_they_hold() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_about(&stack.registry.url());
    let b = &stack.browser;

    // 1. The manifest's annotation, with markup: shown as the text it is, whole, on the manifest
    //    page; the standard facts beside it, a link only for a web URL.
    stack.goto("/about/annotated/-/manifest/1.0").await;
    assert_eq!(text_content(b, "[data-testid=manifest-digest]").await, seed.annotated);
    assert_eq!(text_content(b, "[data-testid=description]").await, ANNOTATED_DESCRIPTION);
    assert_eq!(attr_of(b, "[data-testid=description]", "data-from").await.as_deref(), Some("manifest"));
    assert_eq!(
        js(b, "document.querySelectorAll('[data-testid=description] *').length").await,
        0,
        "no element made of it"
    );
    assert_eq!(js(b, "typeof window.__pwned").await, "undefined");
    let fact = |name: &str| format!("[data-testid=standard-fact][data-name={name}]");
    assert_eq!(text_content(b, &fact("Revision")).await, "4f2a9c1");
    assert_eq!(text_content(b, &fact("Licenses")).await, "Apache-2.0");
    let source_link = js(b, "document.querySelector('[data-testid=standard-fact][data-name=Source] a')?.href").await;
    assert_eq!(source_link, "https://example.com/wharf/demo");
    let documentation_link =
        js(b, "document.querySelectorAll('[data-testid=standard-fact][data-name=Documentation] a').length").await;
    assert_eq!(documentation_link, 0, "a javascript: URL stays text");
    screenshot_both_widths_at(b, "about-manifest", "[data-testid=about]").await;
    assert_accessible(b, "manifest page with a description").await;

    // On the tag list: its first line under the tag, the rest on demand.
    stack.goto("/about/annotated").await;
    let row = "[data-testid=tag-row][data-tag='1.0'] [data-testid=tag-description]";
    b.wait_css(row).await;
    let first_line = ANNOTATED_DESCRIPTION.lines().next().unwrap();
    assert_eq!(text_content(b, &format!("{row} summary")).await, first_line);
    let second = ANNOTATED_DESCRIPTION.lines().nth(1).unwrap();
    assert!(!b.text(row).await.contains(second), "the rest is hidden until asked for");
    b.click(&format!("{row} summary")).await;
    b.wait_js(&format!("document.querySelector(\"{row}\").open === true")).await;
    assert!(b.text(row).await.contains(second), "the rest on demand");
    assert_eq!(js(b, "typeof window.__pwned").await, "undefined");
    screenshot_both_widths_at(b, "about-tag-list", "[data-testid=tag-description]").await;
    assert_accessible(b, "tag list with a description").await;

    // 2. The index's annotation, on the index's page and its tag row.
    stack.goto("/about/multi/-/manifest/1.0").await;
    assert_eq!(text_content(b, "[data-testid=manifest-digest]").await, seed.index);
    assert_eq!(text_content(b, "[data-testid=description]").await, INDEX_DESCRIPTION);
    assert_eq!(attr_of(b, "[data-testid=description]", "data-from").await.as_deref(), Some("index"));
    stack.goto("/about/multi").await;
    assert_eq!(
        text_content(b, "[data-testid=tag-row][data-tag='1.0'] [data-testid=tag-description]").await,
        INDEX_DESCRIPTION
    );

    // 3. The config's label only.
    stack.goto("/about/labelled/-/manifest/1.0").await;
    assert_eq!(text_content(b, "[data-testid=manifest-digest]").await, seed.labelled);
    assert_eq!(text_content(b, "[data-testid=description]").await, LABEL_DESCRIPTION);
    assert_eq!(attr_of(b, "[data-testid=description]", "data-from").await.as_deref(), Some("configlabel"));
    stack.goto("/about/labelled").await;
    assert_eq!(
        text_content(b, "[data-testid=tag-row][data-tag='1.0'] [data-testid=tag-description]").await,
        LABEL_DESCRIPTION
    );

    // 4. A Helm chart: its Chart.yaml facts and dependencies, and helm pull first.
    let (name, version, app_version, description) = CHART;
    stack.goto(&format!("/charts/{name}/-/manifest/{version}")).await;
    let chart = "[data-testid=helm-chart]";
    b.wait_css(chart).await;
    assert_eq!(text_content(b, "[data-testid=manifest-digest]").await, seed.chart);
    assert_eq!(attr_of(b, chart, "data-name").await.as_deref(), Some(name));
    assert_eq!(attr_of(b, chart, "data-version").await.as_deref(), Some(version));
    assert_eq!(text_content(b, "[data-testid=helm-app-version]").await, app_version);
    assert_eq!(text_content(b, "[data-testid=helm-type]").await, "application");
    assert_eq!(text_content(b, "[data-testid=helm-description]").await, description);
    assert_eq!(attr_of(b, "[data-testid=helm-dependencies]", "data-count").await.as_deref(), Some("2"));
    assert_eq!(text_content(b, "[data-testid=helm-dependency][data-name=redis] td:nth-child(2)").await, "17.x.x");
    let pull = text_content(b, "[data-testid=pull-command]").await;
    let expected = format!("helm pull oci://{}/charts/{name} --version {version}", stack.registry.host);
    assert!(pull.starts_with(&expected), "{pull}");
    assert_eq!(text_content(b, "[data-testid=description]").await, description, "Helm's own annotation");
    screenshot_both_widths_at(b, "about-helm", "[data-testid=helm-chart]").await;
    assert_accessible(b, "Helm chart page").await;
    stack.goto(&format!("/charts/{name}")).await;
    b.wait_js("document.querySelector('[data-testid=tag-row]')?.dataset.kind === 'helm'").await;

    // 5. A generic artifact: its type, its layers by media type and title, text shown as text.
    stack.goto("/artifacts/notes/-/manifest/v1").await;
    let artifact = "[data-testid=artifact]";
    b.wait_css(artifact).await;
    assert_eq!(text_content(b, "[data-testid=manifest-digest]").await, seed.notes);
    assert_eq!(attr_of(b, artifact, "data-artifact-type").await.as_deref(), Some(NOTES_TYPE));
    let titles = common::attrs(b, "[data-testid=artifact-layer]", "data-title").await;
    assert_eq!(titles, ["README.md", "summary.json", "module.wasm"]);
    let showable = js(
        b,
        "[...document.querySelectorAll('[data-testid=artifact-layer]')].map(r => !!r.querySelector('[data-testid=artifact-layer-show]'))",
    )
    .await;
    assert_eq!(showable, serde_json::json!([true, true, false]), "text and JSON, not the wasm module");
    let mark = stack.registry.log_mark();
    b.click("[data-testid=artifact-layer][data-title='README.md'] [data-testid=artifact-layer-show]").await;
    assert_eq!(text_content(b, "[data-testid=artifact-layer-text]").await, NOTES_README);
    assert_eq!(js(b, "document.querySelectorAll('[data-testid=artifact-layer-text] *').length").await, 0);
    let reads = stack.registry.requests_since_settled(mark);
    assert!(reads.iter().any(|(m, u)| m == "GET" && u.contains("/blobs/sha256:")), "read when asked: {reads:?}");
    screenshot_both_widths_at(b, "about-artifact", "[data-testid=artifact]").await;
    assert_accessible(b, "artifact page").await;
    stack.close().await;
}
