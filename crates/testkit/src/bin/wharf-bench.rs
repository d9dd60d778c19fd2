//! `wharf-bench`: the figures the README quotes, measured on this machine in one run.
//!
//! - registry requests per retag, counted in the registry's access log (CORS preflights left
//!   out), for Wharf in the browser and for skopeo on the same images;
//! - retag latency in the page (click → verified result) against the floor: a bare `fetch` GET +
//!   PUT of the same manifest from the same page;
//! - first-load transfer of the release build, the whole app in one bundle (wasm + JS + CSS,
//!   gzip -9);
//! - time from navigation to a rendered 2,000-tag list (and to every digest of its first page);
//! - registry requests for a copy of a 2-platform index to another repository (Wharf, skopeo);
//! - a bulk retag of 1,000 tags in the page against the same retags done with skopeo and with
//!   curl GET + PUT in shell loops (`WHARF_BENCH_BULK` sets another count).
//!
//! Needs `dist/` (scripts/bench builds it). Prints a Markdown table.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use fantoccini::Locator;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{many_tag_names, seed_demo, seed_many_tags, seed_two_platform_index};
use wharf_testkit::static_server::StaticServer;
use wharf_testkit::workspace_root;

const LATENCY_ROUNDS: usize = 15;
const LOAD_ROUNDS: usize = 5;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn count_skopeo_copy(registry: &Registry, source: &str, target: &str, all: bool) -> usize {
    let mark = registry.log_mark();
    let mut args = vec!["copy", "--src-tls-verify=false", "--dest-tls-verify=false"];
    if all {
        args.push("--all");
    }
    let (src, dst) = (format!("docker://{}/{source}", registry.host), format!("docker://{}/{target}", registry.host));
    args.push(&src);
    args.push(&dst);
    let status = Command::new("skopeo").args(&args).stdout(std::process::Stdio::null()).status().expect("skopeo");
    assert!(status.success(), "skopeo copy {source} {target}");
    registry.requests_since_settled(mark).len()
}

/// Retags the open page's image to `target` through the UI; returns (requests at the registry
/// between the click and the verified result, ms). The target is typed and looked up first, as a
/// user's typing does.
async fn wharf_retag(browser: &Browser, registry: &Registry, target: &str) -> (usize, f64) {
    let script = format!(
        "const i = document.querySelector('[data-testid=retag-targets]'); i.value = {target:?}; i.dispatchEvent(new InputEvent('input', {{ bubbles: true }}));"
    );
    browser.client.execute(&script, vec![]).await.expect("type target");
    browser
        .wait_js(&format!("document.querySelector('[data-testid=targets-checked]')?.dataset.for === {target:?}"))
        .await;
    let mark = registry.log_mark();
    let elapsed = browser
        .client
        .execute_async(
            r#"
            const [target, done] = arguments;
            const checked = () => document.querySelector('[data-testid=targets-checked]')?.dataset.for === target;
            const verified = () => document.querySelector(`[data-testid=result-row][data-tag="${target}"]`)
              && document.querySelector('[data-testid=digest-equal]');
            // A MutationObserver fires right after the DOM changes, so the figure is not rounded
            // up to the next animation frame.
            const observer = new MutationObserver(() => {
              if (verified()) { observer.disconnect(); done(performance.now() - started); }
            });
            let started = null;
            const go = () => {
              started = performance.now();
              observer.observe(document.body, { childList: true, subtree: true, attributes: true });
              document.querySelector('[data-testid=retag-submit]').click();
            };
            // The targets are looked up while typing; the action is the click.
            const wait = () => checked() ? go() : setTimeout(wait, 10);
            wait();
            "#,
            vec![json!(target)],
        )
        .await
        .expect("retag in page");
    (registry.requests_since_settled(mark).len(), elapsed.as_f64().expect("ms"))
}

/// The floor: the same GET + PUT with bare fetch from the same page.
async fn fetch_floor(browser: &Browser, base: &str, repo: &str, digest: &str, target: &str) -> f64 {
    browser
        .client
        .execute_async(
            r#"
            const [base, repo, digest, target, accept, done] = arguments;
            (async () => {
            const started = performance.now();
            const got = await fetch(`${base}/v2/${repo}/manifests/${digest}`, { headers: { Accept: accept }, cache: 'no-store' });
            const bytes = await got.arrayBuffer();
            const put = await fetch(`${base}/v2/${repo}/manifests/${target}`, {
              method: 'PUT', body: bytes, headers: { 'Content-Type': got.headers.get('Content-Type') }, cache: 'no-store' });
            await put.arrayBuffer();
            if (put.status !== 201) throw new Error('PUT ' + put.status);
            done(performance.now() - started);
            })().catch((e) => done('floor failed: ' + e));
            "#,
            vec![json!(base), json!(repo), json!(digest), json!(target), json!(wharf_protocol::media::MANIFEST_ACCEPT)],
        )
        .await
        .expect("floor in page")
        .as_f64()
        .expect("ms")
}

/// Opens a retag view and waits until its source is resolved.
async fn open_retag_page(browser: &Browser, url: &str) {
    browser.client.goto(url).await.expect("goto");
    browser.wait_css("[data-testid=source-digest]").await;
}

fn gzip_size(bytes: &[u8]) -> usize {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip").len()
}

/// (extension, raw bytes, gzip bytes) of the wasm, JS and CSS files a bundle loads: the files in
/// `dir` and its `snippets/` (wasm-bindgen's inline JS), by extension, summed.
fn bundle_sizes(dir: &std::path::Path) -> Vec<(String, usize, usize)> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("dist/ (build the app first)") {
            let path = entry.expect("entry").path();
            if path.is_dir() && (folder != dir || path.file_name().is_some_and(|n| n == "snippets")) {
                folders.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    let mut rows: Vec<(String, usize, usize)> = Vec::new();
    for path in files {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_string();
        if ["wasm", "js", "css"].contains(&ext.as_str()) {
            let bytes = std::fs::read(&path).expect("read");
            match rows.iter_mut().find(|(e, _, _)| *e == ext) {
                Some(row) => {
                    row.1 += bytes.len();
                    row.2 += gzip_size(&bytes);
                }
                None => rows.push((ext, bytes.len(), gzip_size(&bytes))),
            }
        }
    }
    rows.sort();
    rows
}

async fn mark_time(browser: &Browser, name: &str) -> f64 {
    let script = format!("return performance.getEntriesByName('{name}')[0]?.startTime ?? null;");
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let value: Value = browser.client.execute(&script, vec![]).await.expect("script");
        if let Some(ms) = value.as_f64() {
            return ms;
        }
        assert!(Instant::now() < deadline, "mark {name} never set");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Copies `repo:latest` to `target:latest` through the copy page; returns the registry requests
/// between the click and the verified result.
async fn wharf_copy(browser: &Browser, registry: &Registry, url: &str, target: &str) -> usize {
    browser.client.goto(url).await.expect("goto");
    browser.wait_css("[data-testid=source-digest]").await;
    browser.type_into("[data-testid=copy-repository]", target).await;
    browser.type_into("[data-testid=copy-tag]", "latest").await;
    let mark = registry.log_mark();
    browser.click("[data-testid=copy-submit]").await;
    browser.wait_css("[data-testid=digest-equal]").await;
    registry.requests_since_settled(mark).len()
}

/// Bulk-retags every tag of `repo` to `p-<tag>` in the page; returns (dry-run ms, run ms) from
/// the page's own marks.
async fn wharf_bulk_retag(browser: &Browser, url: &str, count: usize) -> (f64, f64) {
    browser.client.goto(url).await.expect("goto");
    browser
        .wait_js(&format!("document.querySelector('[data-testid=tag-count]')?.textContent.startsWith('{count} of')"))
        .await;
    browser.click("[data-testid=select-all]").await;
    browser.type_into("[data-testid=bulk-rule-text]", "p-").await;
    browser.client.execute("performance.mark('bench:plan-click')", vec![]).await.expect("mark");
    browser.click("[data-testid=bulk-plan]").await;
    browser
        .wait_js_within("document.querySelector('[data-testid=bulk-dry-run]')", std::time::Duration::from_secs(300))
        .await;
    let planned = browser.client.execute("return performance.now()", vec![]).await.expect("now").as_f64().expect("ms");
    let plan_ms = planned - mark_time(browser, "bench:plan-click").await;
    browser.click("[data-testid=bulk-run]").await;
    browser
        .wait_js_within(
            "document.querySelector('[data-testid=bulk-summary]')?.dataset.finished == 'true'",
            std::time::Duration::from_secs(600),
        )
        .await;
    let done = browser
        .client
        .execute("return document.querySelector('[data-testid=bulk-summary]').dataset.done", vec![])
        .await;
    assert_eq!(done.expect("done").as_str(), Some(count.to_string().as_str()), "every bulk item done");
    let run_ms = mark_time(browser, "wharf:bulk-done").await - mark_time(browser, "wharf:bulk-start").await;
    (plan_ms, run_ms)
}

/// Seconds for a shell loop over `tags` (one per line in a file, `$TAGS`).
fn shell_loop_seconds(registry: &Registry, tags: &[String], body: &str) -> f64 {
    let list = workspace_root().join("target").join("bench-tags.txt");
    std::fs::write(&list, tags.join("\n") + "\n").expect("tag list");
    let started = Instant::now();
    let status = Command::new("bash")
        .args(["-c", &format!("set -e; while read -r t; do {body}; done < \"$TAGS\"")])
        .env("TAGS", &list)
        .env("R", &registry.host)
        .env("ACCEPT", wharf_protocol::media::MANIFEST_ACCEPT)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("bash");
    assert!(status.success(), "shell loop failed: {body}");
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dist = workspace_root().join("dist");
    assert!(dist.join("index.html").is_file(), "dist/ is missing: run scripts/bench (it builds the app first)");
    eprintln!("starting registry and seeding (2,000 tags)…");
    let registry = Registry::start(RegistryOptions::default());
    let seeded = seed_demo(&registry.url());
    seed_many_tags(&registry.url(), "demo/many", 2000, 300);
    let app = StaticServer::start(dist, 0);
    let browser = Browser::start().await;
    let view = |rest: &str| format!("{}/r/http:{}{rest}", app.url, registry.host);

    // Requests per retag.
    eprintln!("counting requests per retag…");
    open_retag_page(&browser, &view("/demo/hello/-/retag/1.0")).await;
    let (wharf_single, _) = wharf_retag(&browser, &registry, "count-wharf").await;
    open_retag_page(&browser, &view("/demo/multi/-/retag/latest")).await;
    let (wharf_index, _) = wharf_retag(&browser, &registry, "count-wharf").await;
    let skopeo_single = count_skopeo_copy(&registry, "demo/hello:1.0", "demo/hello:count-skopeo", false);
    let skopeo_index = count_skopeo_copy(&registry, "demo/multi:latest", "demo/multi:count-skopeo", true);

    // Latency: alternate the UI retag and the bare-fetch floor in the same page.
    eprintln!("measuring retag latency ({LATENCY_ROUNDS} rounds each)…");
    open_retag_page(&browser, &view("/demo/hello/-/retag/1.0")).await;
    let (mut ui, mut floor) = (Vec::new(), Vec::new());
    for round in 0..LATENCY_ROUNDS {
        ui.push(wharf_retag(&browser, &registry, &format!("lat-ui-{round}")).await.1);
        floor.push(
            fetch_floor(&browser, &registry.url(), "demo/hello", &seeded.hello, &format!("lat-floor-{round}")).await,
        );
    }
    let (ui_ms, floor_ms) = (median(ui), median(floor));

    // Navigation → rendered 2,000-tag list, fresh page loads.
    eprintln!("measuring the 2,000-tag list ({LOAD_ROUNDS} loads)…");
    let (mut listed, mut digested) = (Vec::new(), Vec::new());
    for _ in 0..LOAD_ROUNDS {
        browser.client.goto(&view("/demo/many")).await.expect("goto");
        listed.push(mark_time(&browser, "wharf:tags-rendered").await);
        digested.push(mark_time(&browser, "wharf:tag-digests-in-view").await);
        let rows = browser.client.find_all(Locator::Css("[data-testid=tag-row]")).await.expect("rows").len();
        assert_eq!(rows, 100, "first page rendered");
    }
    let started = Instant::now();
    let skopeo_tags = wharf_testkit::skopeo::list_tags(&registry.host, "demo/many").expect("skopeo list-tags").len();
    let skopeo_list_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(skopeo_tags, 2000);

    // Copy of a 2-platform index to another repository, every blob mountable.
    eprintln!("counting requests for a cross-repository copy of an index…");
    seed_two_platform_index(&registry.url(), "bench/index", "latest");
    let wharf_copy_requests =
        wharf_copy(&browser, &registry, &view("/bench/index/-/copy/latest"), "bench/copied").await;
    let skopeo_copy_requests = count_skopeo_copy(&registry, "bench/index:latest", "bench/skopeo-copied:latest", true);

    // Bulk retag: the page against skopeo and curl loops over the same tags.
    let bulk: usize = std::env::var("WHARF_BENCH_BULK").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    eprintln!("bulk retag of {bulk} tags: in the page…");
    seed_many_tags(&registry.url(), "bench/bulk", bulk, 10);
    let (plan_ms, run_ms) = wharf_bulk_retag(&browser, &view("/bench/bulk"), bulk).await;
    let tags = many_tag_names(bulk);
    eprintln!("… with curl GET + PUT in a loop…");
    let curl_s = shell_loop_seconds(
        &registry,
        &tags,
        r#"ct=$(curl -sf -D - -o /tmp/wharf-bench-manifest -H "Accept: $ACCEPT" "http://$R/v2/bench/bulk/manifests/$t" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: //p'); curl -sf -X PUT -H "Content-Type: $ct" --data-binary @/tmp/wharf-bench-manifest "http://$R/v2/bench/bulk/manifests/c-$t""#,
    );
    eprintln!("… with skopeo copy in a loop (slow)…");
    let skopeo_s = shell_loop_seconds(
        &registry,
        &tags,
        r#"skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$R/bench/bulk:$t" "docker://$R/bench/bulk:s-$t""#,
    );
    for tag in [&tags[0], &tags[bulk - 1]] {
        let source = match registry.digest_of("bench/bulk", tag) {
            Ok(Some(digest)) => digest,
            other => panic!("bench/bulk:{tag}: {other:?}"),
        };
        for prefix in ["p-", "c-", "s-"] {
            assert_eq!(
                registry.digest_of("bench/bulk", &format!("{prefix}{tag}")),
                Ok(Some(source.clone())),
                "{prefix}{tag}"
            );
        }
    }

    let sizes = bundle_sizes(&workspace_root().join("dist"));
    let total_gzip: usize = sizes.iter().map(|(_, _, gz)| gz).sum();
    browser.close().await;

    println!("| Measure | Wharf | Peer / floor | Target |");
    println!("|---|---|---|---|");
    println!("| Registry requests, retag of a single-arch image | {wharf_single} | skopeo copy: {skopeo_single} | exactly 2 |");
    println!("| Registry requests, retag of a 2-platform index (+2 attestations) | {wharf_index} | skopeo copy --all: {skopeo_index} | exactly 2 |");
    println!(
        "| Retag latency in the page, click → verified result (median of {LATENCY_ROUNDS}) | {ui_ms:.1} ms | bare fetch GET+PUT: {floor_ms:.1} ms ({:.2}×) | ≤ 1.5× floor |",
        ui_ms / floor_ms
    );
    for (ext, raw, gz) in &sizes {
        println!("| First load: {ext} | {:.1} KB gzip ({:.1} KB raw) | | |", *gz as f64 / 1000.0, *raw as f64 / 1000.0);
    }
    println!(
        "| First load total, the whole app: every page (wasm + JS + CSS, gzip -9) | {:.1} KB | | ≤ 300 KB |",
        total_gzip as f64 / 1000.0
    );
    println!(
        "| Navigation → rendered 2,000-tag list (median of {LOAD_ROUNDS}) | {:.0} ms | skopeo list-tags: {skopeo_list_ms:.0} ms | |",
        median(listed)
    );
    println!("| Navigation → digests of the first 100 tags shown | {:.0} ms | | |", median(digested));
    println!(
        "| Registry requests, copy of a 2-platform index to another repository (4 mountable blobs) | {wharf_copy_requests} | skopeo copy --all: {skopeo_copy_requests} | ≤ 12 |"
    );
    let run_s = run_ms / 1000.0;
    println!(
        "| Bulk retag of {bulk} tags in the page (confirm → all verified; dry run before it: {:.1} s) | {run_s:.1} s | skopeo loop: {skopeo_s:.1} s ({:.0}× slower); curl GET+PUT loop: {curl_s:.1} s ({:.1}× slower) | ≥ 5× faster than skopeo |",
        plan_ms / 1000.0,
        skopeo_s / run_s,
        curl_s / run_s
    );
    drop(app);
    drop(registry);
}
