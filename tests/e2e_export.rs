//! End to end, issue 22: a retag and two copies made in the page, exported as scripts, and the
//! scripts run with bash against other real registries. A registry seeded with the same images
//! ends with the same digests (read raw and by skopeo, every blob readable); one where the source
//! tag was moved to another image makes the script exit non-zero with the target absent (the
//! registry answers 404 for it). Every script passes shellcheck. Logins: tests/e2e_auth.rs.

mod common;

use std::time::Duration;

use common::{
    assert_accessible, export_script, result_row, run_exported, screenshot, submit_copy, submit_retag, Stack,
    ONE_BROWSER_AT_A_TIME,
};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::seed_demo;
use wharf_testkit::skopeo;

/// A registry seeded with the demo images (the same digests as every other seeded registry).
fn seeded_registry() -> Registry {
    let registry = Registry::start(RegistryOptions::default());
    seed_demo(&registry.url());
    registry
}

/// The manifest writes (PUTs) a registry logged since `mark`.
fn manifest_puts(registry: &Registry, mark: usize) -> Vec<String> {
    registry
        .requests_since(mark)
        .into_iter()
        .filter(|(method, url)| method == "PUT" && url.contains("/manifests/"))
        .map(|(_, url)| url)
        .collect()
}

/// Screenshots of the shown script at 1280 and 390 px, scrolled to it at each width.
async fn screenshot_script(b: &Browser, name: &str) {
    let scroll = "document.querySelector('[data-testid=export-script]').scrollIntoView({block: 'start'});";
    for (width, height, file) in [(1280, 900, name.to_string()), (390, 844, format!("{name}-390"))] {
        b.client.set_window_size(width, height).await.expect("window size");
        b.client.execute(scroll, vec![]).await.expect("scroll to the script");
        tokio::time::sleep(Duration::from_millis(200)).await;
        screenshot(b, &file).await;
    }
    b.client.set_window_size(1280, 900).await.expect("desktop width");
}

#[tokio::test]
async fn exported_scripts_replay_on_another_registry_and_refuse_a_moved_source() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let b = &stack.browser;
    let seeded = &stack.seeded;
    // `replica` holds the same images; on `moved`, the tags the scripts read hold other images.
    let replica = seeded_registry();
    assert_eq!(replica.digest_of("demo/hello", "1.0"), Ok(Some(seeded.hello.clone())), "same seed, same digests");
    let moved = seeded_registry();
    skopeo::copy_all(&moved.host, "demo/hello:0.9", "demo/hello:1.0").expect("move demo/hello:1.0");
    skopeo::copy_all(&moved.host, "demo/oci-app:v1", "demo/multi:latest").expect("move demo/multi:latest");
    assert_eq!(skopeo::manifest_digest(&moved.host, "demo/hello:1.0"), Ok(Some(seeded.hello_old.clone())));
    assert_eq!(skopeo::manifest_digest(&moved.host, "demo/multi:latest"), Ok(Some(seeded.oci_app.clone())));

    // 1. A retag: the script names the page's registry, and runs elsewhere with REGISTRY set.
    stack.goto("/demo/hello/-/retag/1.0").await;
    b.wait_css("[data-testid=source-digest]").await;
    submit_retag(b, "exported").await;
    assert_eq!(result_row(b, "exported").await.0, "stored");
    let retag = export_script(b).await;
    assert!(retag.contains(&format!("REGISTRY=\"${{REGISTRY:-{}}}\"", stack.registry.url())), "{retag}");
    assert!(retag.contains(&seeded.hello), "the digest recorded when the retag ran is in the script");
    screenshot_script(b, "export-retag").await;
    assert_accessible(b, "the retag result with its script").await;

    let mark = moved.log_mark();
    let refused = run_exported(&retag, &[("REGISTRY", &moved.url())]);
    assert!(!refused.success, "a moved source must stop the script: {}", refused.stderr);
    assert!(refused.stderr.contains(&format!("is now {}", seeded.hello_old)), "{}", refused.stderr);
    assert_eq!(moved.digest_of("demo/hello", "exported"), Ok(None), "nothing written where the source moved");
    assert_eq!(manifest_puts(&moved, mark), Vec::<String>::new());

    let run = run_exported(&retag, &[("REGISTRY", &replica.url())]);
    assert!(run.success, "{}", run.stderr);
    assert!(run.stderr.contains("all 1 verified"), "{}", run.stderr);
    assert_eq!(replica.digest_of("demo/hello", "exported"), Ok(Some(seeded.hello.clone())));
    assert_eq!(skopeo::manifest_digest(&replica.host, "demo/hello:exported"), Ok(Some(seeded.hello.clone())));

    // 2. A copy of an index within the registry: children by digest, blobs mounted.
    stack.goto("/demo/multi/-/copy/latest").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-repository]", "copies/multi").await;
    b.type_into("[data-testid=copy-tag]", "latest").await;
    submit_copy(b, Duration::from_secs(60)).await;
    assert_eq!(stack.registry.digest_of("copies/multi", "latest"), Ok(Some(seeded.multi.clone())));
    let copy_within = export_script(b).await;
    assert!(copy_within.contains("TARGET_REGISTRY=\"${TARGET_REGISTRY:-$REGISTRY}\""), "{copy_within}");

    let mark = moved.log_mark();
    let refused = run_exported(&copy_within, &[("REGISTRY", &moved.url())]);
    assert!(!refused.success, "{}", refused.stderr);
    assert_eq!(moved.digest_of("copies/multi", "latest"), Ok(None));
    assert_eq!(manifest_puts(&moved, mark), Vec::<String>::new());

    let mark = replica.log_mark();
    let run = run_exported(&copy_within, &[("REGISTRY", &replica.url())]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(replica.digest_of("copies/multi", "latest"), Ok(Some(seeded.multi.clone())));
    assert_eq!(skopeo::manifest_digest(&replica.host, "copies/multi:latest"), Ok(Some(seeded.multi.clone())));
    for child in &seeded.multi_children {
        assert_eq!(replica.digest_of("copies/multi", child), Ok(Some(child.clone())), "child {child}");
    }
    skopeo::assert_reads_whole_image(&replica.host, "copies/multi:latest");
    let mounts = replica.requests_since(mark).iter().filter(|(m, u)| m == "POST" && u.contains("mount=")).count();
    assert!(mounts > 0, "blobs are mounted within a registry, as the page did");

    // 3. A copy between registries: the script's TARGET_REGISTRY is the page's destination, and
    //    blobs are read, verified and uploaded into another one.
    let destination = Registry::start(RegistryOptions::default());
    stack.goto("/demo/hello/-/copy/1.0").await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-registry]", &destination.url()).await;
    b.type_into("[data-testid=copy-repository]", "prod/hello").await;
    b.type_into("[data-testid=copy-tag]", "1.0").await;
    submit_copy(b, Duration::from_secs(60)).await;
    let copy_between = export_script(b).await;
    assert!(copy_between.contains(&format!("TARGET_REGISTRY=\"${{TARGET_REGISTRY:-{}}}\"", destination.url())));
    screenshot_script(b, "export-copy").await;

    let empty = Registry::start(RegistryOptions::default());
    let refused = run_exported(&copy_between, &[("REGISTRY", &moved.url()), ("TARGET_REGISTRY", &empty.url())]);
    assert!(!refused.success, "{}", refused.stderr);
    assert_eq!(empty.digest_of("prod/hello", "1.0"), Ok(None));
    assert_eq!(manifest_puts(&empty, 0), Vec::<String>::new());

    let run = run_exported(&copy_between, &[("REGISTRY", &replica.url()), ("TARGET_REGISTRY", &empty.url())]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(empty.digest_of("prod/hello", "1.0"), Ok(Some(seeded.hello.clone())));
    assert_eq!(skopeo::manifest_digest(&empty.host, "prod/hello:1.0"), Ok(Some(seeded.hello.clone())));
    skopeo::assert_reads_whole_image(&empty.host, "prod/hello:1.0");

    // 4. The journal's entry for the retag replays it by digest: the digest cannot have moved,
    //    so it runs where the tag did.
    stack.goto("/-/journal").await;
    let entry = "[data-testid=journal-entry][data-action=retag]";
    b.wait_css(entry).await;
    b.click(&format!("{entry} [data-testid=export-script]")).await;
    let replay = b.wait_css(&format!("{entry} [data-testid=export-script-text]")).await;
    let replay = replay.prop("value").await.expect("script").unwrap_or_default();
    let run = run_exported(&replay, &[("REGISTRY", &moved.url())]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(moved.digest_of("demo/hello", "exported"), Ok(Some(seeded.hello.clone())));
    assert_accessible(b, "the journal with a script").await;
    stack.close().await;
}
