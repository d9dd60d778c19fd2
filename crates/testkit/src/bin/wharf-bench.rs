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
//!   curl GET + PUT in shell loops (`WHARF_BENCH_BULK` sets another count): cross-origin, and
//!   behind the shipped same-origin nginx file over HTTP/1.1 and over TLS with HTTP/2, each beside
//!   a bare `fetch` of the same requests and a native client at the same concurrency
//!   (`WHARF_BENCH_PROFILE=1` adds the page's and the bare fetch's CPU profiles, self time by
//!   function, on stderr);
//! - the glance (issue 9): seeding a 10,000-tag repository over 500 images, the floor (its tag
//!   list and a bare `fetch` HEAD of every tag, as many at a time as the page says it uses), the
//!   page's cold visit (fresh browser) to `wharf:glance-complete` against that floor, the warm
//!   visit to `wharf:glance-cached` and `wharf:glance-complete`, and the registry's requests of
//!   each, against a manifest GET and a config GET per tag; the same for the 2,000-tag
//!   `demo/many`. A visit that shows no glance is reported "not measured" with the reason.
//!
//! - the clean-up: a plan and run deleting 1,000 of 1,010 tags in the page, requests per deleted
//!   tag, against a `skopeo delete` loop over the same tags.
//!
//! - the digest search over 1,000 repositories × 5 tags, cold and warm, beside its HEAD floor.
//!
//! `WHARF_BENCH_ONLY=glance` (or `classic`, the sections before the glance; `cleanup`, `bulk`,
//! `retag`, `attachments`, `search`) runs one part.
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
use wharf_testkit::seed::{many_tag_names, seed_demo, seed_many_tags, seed_two_platform_index, Seeded};
use wharf_testkit::static_server::StaticServer;
use wharf_testkit::workspace_root;

#[path = "wharf_bench_parts/cleanup.rs"]
mod cleanup;
#[path = "wharf_bench_parts/cpu.rs"]
mod cpu;
#[path = "wharf_bench_parts/search.rs"]
mod search;

const LATENCY_ROUNDS: usize = 25;
/// Runs of the bulk retag over HTTP/2 (and of its bare fetch floor): see `bulk_section`.
const H2_ROUNDS: usize = 3;
const LOAD_ROUNDS: usize = 5;
/// The distinct images a bulk benchmark repository's tags point at.
const BULK_IMAGES: usize = 10;
/// The skopeo loop's rounds (as many as `H2_ROUNDS`), each into tags of its own prefix.
const SKOPEO_PREFIXES: [&str; H2_ROUNDS] = ["s0-", "s1-", "s2-"];

/// The middle item by `key` (the upper middle of an even count).
fn median_by<T>(mut items: Vec<T>, key: impl Fn(&T) -> f64) -> T {
    items.sort_by(|a, b| key(a).total_cmp(&key(b)));
    items.swap_remove(items.len() / 2)
}

fn median(values: Vec<f64>) -> f64 {
    median_by(values, |v| *v)
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

/// Where the time of the last retag went, in ms, read from the page: its User Timing marks (the
/// click, the flow's start and end) and Resource Timing's entries for the GET of the source by
/// digest and the PUT of `target` (each includes its CORS preflight, when one was sent).
const RETAG_STEPS: [&str; 9] = [
    "click → flow started (the page's own work)",
    "flow started → GET sent",
    "GET (request and answer)",
    "GET answered → its bytes in the app (fetch's body, the microtask hop)",
    "bytes in the app → PUT handed to fetch (hash, parse, check, build)",
    "PUT handed to fetch → PUT sent",
    "PUT (request and answer)",
    "PUT answered → its answer in the app",
    "answer in the app → flow finished (report, journal entries)",
];

async fn retag_breakdown(browser: &Browser, target: &str) -> Vec<f64> {
    let value = browser
        .client
        .execute(
            r#"
            const target = arguments[0];
            const mark = (n) => performance.getEntriesByName(n).at(-1).startTime;
            const resources = performance.getEntriesByType('resource');
            const get = resources.filter((r) => r.name.includes('/manifests/sha256:')).at(-1);
            const put = resources.filter((r) => r.name.endsWith('/manifests/' + target)).at(-1);
            const click = mark('wharf:retag-click'), run = mark('wharf:flow-run'), done = mark('wharf:flow-finished');
            // The transport's marks, last three: the GET's answer read, the PUT sent, its answer read.
            const [got, sent, answered] = performance.getEntriesByName('wharf:request-sent').concat(
                performance.getEntriesByName('wharf:answer-read')).map((e) => e.startTime).sort((a, b) => a - b).slice(-3);
            return [run - click, get.startTime - run, get.responseEnd - get.startTime, got - get.responseEnd,
                    sent - got, put.startTime - sent, put.responseEnd - put.startTime, answered - put.responseEnd,
                    done - answered];
            "#,
            vec![json!(target)],
        )
        .await
        .expect("breakdown");
    value.as_array().expect("steps").iter().map(|v| v.as_f64().expect("ms")).collect()
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
    // The first load: the CSS, and in dist/wharf-<hash>/ the first module and its JS (main.js
    // imports the chunks' loader at once). The chunks come later, with their pages.
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dist/ (build the app first)") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if path.is_dir() && name.starts_with("wharf-") {
            files.extend(["main_bg.wasm", "main.js", "__wasm_split.js"].map(|f| path.join(f)));
        } else if name.ends_with(".css") {
            files.push(path);
        }
    }
    let mut rows: Vec<(String, usize, usize)> = Vec::new();
    for path in files {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_string();
        let bytes = std::fs::read(&path).expect("a first-load file of dist/");
        match rows.iter_mut().find(|(e, _, _)| *e == ext) {
            Some(row) => {
                row.1 += bytes.len();
                row.2 += gzip_size(&bytes);
            }
            None => rows.push((ext, bytes.len(), gzip_size(&bytes))),
        }
    }
    rows.sort();
    rows
}

/// What the pages fetched on demand weigh (gzip -9): each page's own chunk, and the chunks they
/// share.
fn later_sizes(dir: &std::path::Path) -> (Vec<(String, usize)>, usize) {
    let mut pages = Vec::new();
    let mut shared = 0;
    for entry in std::fs::read_dir(dir).expect("dist/") {
        let path = entry.expect("entry").path();
        if !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("wharf-")) {
            continue;
        }
        for chunk in std::fs::read_dir(&path).expect("the module's folder") {
            let chunk = chunk.expect("entry").path();
            let name = chunk.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let size = || gzip_size(&std::fs::read(&chunk).expect("chunk"));
            if let Some(page) = name.strip_prefix("split_").and_then(|n| n.strip_suffix(".wasm")) {
                pages.push((page.to_string(), size()));
            } else if name.starts_with("chunk_") {
                shared += size();
            }
        }
    }
    pages.sort();
    (pages, shared)
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
    // The image alone, as this row has measured since issue 4 (the attachments section measures
    // a copy with them).
    browser.click("[data-testid=copy-with-attachments]").await;
    let mark = registry.log_mark();
    browser.click("[data-testid=copy-submit]").await;
    browser.wait_css("[data-testid=digest-equal]").await;
    registry.requests_since_settled(mark).len()
}

/// Bulk-retags every tag of the tag list at `url` to `<prefix><tag>` in the page, once the tag
/// list's glance knows every digest (as a user's list does by the time they have selected a
/// thousand tags); returns (dry-run ms, run ms, tags the dry run looked up) from the page's own
/// marks and plan.
async fn wharf_bulk_retag(
    browser: &Browser,
    registry: &Registry,
    url: &str,
    count: usize,
    prefix: &str,
) -> (f64, f64, String, usize, cpu::Spent) {
    browser.client.goto(url).await.expect("goto");
    browser.wait_js(&format!("document.querySelector('[data-testid=tag-table]')?.dataset.shown == '{count}'")).await;
    browser
        .wait_js_within(
            "document.querySelector('[data-testid=glance-progress]')?.dataset.complete == 'true'",
            std::time::Duration::from_secs(300),
        )
        .await;
    browser.click("[data-testid=select-all]").await;
    browser.type_into("[data-testid=bulk-rule-text]", prefix).await;
    // What the page chose to run at once (6 over HTTP/1.1, more over a multiplexed connection).
    let at_once = browser
        .client
        .execute("return document.querySelector('[data-testid=bulk-concurrency]').value", vec![])
        .await
        .expect("concurrency");
    let at_once: usize = at_once.as_str().and_then(|v| v.parse().ok()).expect("a number at once");
    browser.client.execute("performance.mark('bench:plan-click')", vec![]).await.expect("mark");
    browser.click("[data-testid=bulk-plan]").await;
    browser
        .wait_js_within("document.querySelector('[data-testid=bulk-dry-run]')", std::time::Duration::from_secs(300))
        .await;
    let planned = browser.client.execute("return performance.now()", vec![]).await.expect("now").as_f64().expect("ms");
    let plan_ms = planned - mark_time(browser, "bench:plan-click").await;
    let looked_up = browser
        .client
        .execute("return document.querySelector('[data-testid=bulk-looked-up]')?.textContent ?? ''", vec![])
        .await
        .expect("looked up")
        .as_str()
        .unwrap_or_default()
        .to_string();
    let profiling = start_profile(browser).await;
    let cpu_before = cpu::snapshot();
    let log_mark = registry.log_mark();
    browser.click("[data-testid=bulk-run]").await;
    browser
        .wait_js_within(
            "document.querySelector('[data-testid=bulk-summary]')?.dataset.finished == 'true'",
            std::time::Duration::from_secs(600),
        )
        .await;
    if profiling {
        stop_profile(browser, &format!("the bulk run ({url})")).await;
    }
    let done = browser
        .client
        .execute("return document.querySelector('[data-testid=bulk-summary]').dataset.done", vec![])
        .await;
    assert_eq!(done.expect("done").as_str(), Some(count.to_string().as_str()), "every bulk item done");
    let run_ms = mark_time(browser, "wharf:bulk-done").await - mark_time(browser, "wharf:bulk-start").await;
    let spent = cpu_before.spent(&format!("the bulk run ({url})"), run_ms / 1000.0);
    // The run's requests, from the registry's log: one PUT per tag and one GET per distinct
    // image (each read once), nothing else. A CPU figure means little if the run sent more.
    let requests = registry.requests_since_settled(log_mark);
    let puts = requests.iter().filter(|(m, u)| m == "PUT" && u.contains(&format!("/manifests/{prefix}"))).count();
    let reads = requests.iter().filter(|(m, u)| m == "GET" && u.contains("/manifests/sha256:")).count();
    assert_eq!((puts, reads, requests.len()), (count, BULK_IMAGES, count + BULK_IMAGES), "the run's requests ({url})");
    (plan_ms, run_ms, looked_up, at_once, spent)
}

/// Starts the page's CPU profiler when `WHARF_BENCH_PROFILE` is set; returns whether it did.
async fn start_profile(browser: &Browser) -> bool {
    if std::env::var_os("WHARF_BENCH_PROFILE").is_none() {
        return false;
    }
    browser.cdp("Performance.enable", json!({ "timeDomain": "threadTicks" })).await;
    let before = page_metrics(browser).await;
    *PAGE_METRICS.lock().expect("metrics") = before;
    browser.cdp("Profiler.enable", json!({})).await;
    browser.cdp("Profiler.setSamplingInterval", json!({ "interval": 100 })).await;
    browser.cdp("Profiler.start", json!({})).await;
    true
}

/// Stops the profiler [`start_profile`] started and prints where `what`'s main thread went.
async fn stop_profile(browser: &Browser, what: &str) {
    let profile = browser.cdp("Profiler.stop", json!({})).await;
    let after = page_metrics(browser).await;
    let before = std::mem::take(&mut *PAGE_METRICS.lock().expect("metrics"));
    let deltas: Vec<String> = after
        .iter()
        .filter_map(|(name, value)| {
            let was = before.iter().find(|(n, _)| n == name).map_or(0.0, |(_, v)| *v);
            let delta = value - was;
            (delta != 0.0).then(|| {
                if name.ends_with("Duration") {
                    format!("{name} {:.0} ms", delta * 1000.0)
                } else {
                    format!("{name} {delta:.0}")
                }
            })
        })
        .collect();
    eprintln!("where {what}'s main thread went:\n{}", profile_summary(&profile["profile"], 60));
    eprintln!("its renderer's counters over the run: {}", deltas.join(", "));
}

/// The renderer's counters when the profile started.
static PAGE_METRICS: std::sync::Mutex<Vec<(String, f64)>> = std::sync::Mutex::new(Vec::new());

/// The renderer's cumulative counters (DevTools' Performance domain): task, script, style and
/// layout time, layout and style recalculation counts, nodes, listeners.
async fn page_metrics(browser: &Browser) -> Vec<(String, f64)> {
    let answer = browser.cdp("Performance.getMetrics", json!({})).await;
    answer["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m["name"].as_str()?.to_string(), m["value"].as_f64()?)))
        .collect()
}

/// A DevTools CPU profile's self time by function, the `top` largest first, one per line.
fn profile_summary(profile: &serde_json::Value, top: usize) -> String {
    let nodes = profile["nodes"].as_array().cloned().unwrap_or_default();
    let name_of: std::collections::HashMap<u64, String> = nodes
        .iter()
        .map(|n| {
            let frame = &n["callFrame"];
            let url = frame["url"].as_str().unwrap_or_default();
            let file = url.rsplit('/').next().unwrap_or_default();
            (
                n["id"].as_u64().unwrap_or_default(),
                format!("{} {file}", frame["functionName"].as_str().unwrap_or_default()),
            )
        })
        .collect();
    let mut self_us: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    let samples = profile["samples"].as_array().cloned().unwrap_or_default();
    let deltas = profile["timeDeltas"].as_array().cloned().unwrap_or_default();
    for (sample, delta) in samples.iter().zip(deltas.iter()) {
        let name = name_of.get(&sample.as_u64().unwrap_or_default()).map(String::as_str).unwrap_or("?");
        *self_us.entry(name).or_default() += delta.as_f64().unwrap_or_default();
    }
    let total: f64 = self_us.values().sum();
    let mut rows: Vec<(&str, f64)> = self_us.into_iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    rows.iter()
        .take(top)
        .map(|(name, us)| format!("  {:8.1} ms {:5.1}%  {name}", us / 1000.0, 100.0 * us / total))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The floor of a bulk retag: a native client sending what the page sends (each distinct image
/// read once by digest, then one PUT per tag), `concurrency` at a time, with no browser (and so
/// no CORS preflights). Returns seconds.
fn native_bulk_floor(registry: &Registry, repo: &str, tags: &[String], prefix: &str, concurrency: usize) -> f64 {
    let digests: Vec<String> = tags
        .iter()
        .map(|t| registry.digest_of(repo, t).expect("digest").unwrap_or_else(|| panic!("{repo}:{t} missing")))
        .collect();
    let base = registry.url();
    let accept = wharf_protocol::media::MANIFEST_ACCEPT;
    let agent = ureq::AgentBuilder::new().build();
    let cpu_before = cpu::snapshot();
    let started = Instant::now();
    let mut distinct: Vec<&String> = digests.iter().collect();
    distinct.sort();
    distinct.dedup();
    let manifests: std::collections::HashMap<&String, (String, Vec<u8>)> = distinct
        .into_iter()
        .map(|digest| {
            let response =
                agent.get(&format!("{base}/v2/{repo}/manifests/{digest}")).set("Accept", accept).call().expect("GET");
            let media_type = response.header("Content-Type").unwrap_or_default().to_string();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut response.into_reader(), &mut body).expect("body");
            (digest, (media_type, body))
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..concurrency {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(tag) = tags.get(i) else { return };
                let (media_type, body) = &manifests[&digests[i]];
                let put = agent
                    .put(&format!("{base}/v2/{repo}/manifests/{prefix}{tag}"))
                    .set("Content-Type", media_type)
                    .send_bytes(body)
                    .expect("PUT");
                assert_eq!(put.header("Docker-Content-Digest"), Some(digests[i].as_str()), "{prefix}{tag}");
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    cpu_before.spent(&format!("the native client, {concurrency} at a time"), seconds);
    seconds
}

/// The floor of a bulk retag inside a page at `origin` (a page of the app) writing to the
/// registry at `base`: bare `fetch`, each distinct image read once by digest, then one PUT per
/// tag, `concurrency` at a time. Cross-origin each PUT's URL is new, so the browser preflights
/// every one (a preflight is cached per URL); same-origin (behind the nginx file) none is.
/// Returns seconds.
async fn page_bulk_floor(
    browser: &Browser,
    (origin, base): (&str, &str),
    registry: &Registry,
    repo: &str,
    tags: &[String],
    prefix: &str,
    concurrency: usize,
) -> (f64, cpu::Spent) {
    let digests: Vec<String> = tags
        .iter()
        .map(|t| registry.digest_of(repo, t).expect("digest").unwrap_or_else(|| panic!("{repo}:{t} missing")))
        .collect();
    browser.client.goto(&format!("{origin}/")).await.expect("goto");
    let script = r#"
const [base, tags, digests, prefix, concurrency, accept, done] = arguments;
const started = performance.now();
const bodies = {};
for (const digest of new Set(digests)) {
  const answer = await fetch(`${base}/manifests/${digest}`, { headers: { Accept: accept } });
  bodies[digest] = [answer.headers.get('Content-Type'), await answer.arrayBuffer()];
}
let next = 0, failed = null;
async function worker() {
  while (next < tags.length && !failed) {
    const i = next++;
    const [type, body] = bodies[digests[i]];
    const answer = await fetch(`${base}/manifests/${prefix}${tags[i]}`, { method: 'PUT', headers: { 'Content-Type': type }, body });
    await answer.arrayBuffer();
    if (answer.headers.get('Docker-Content-Digest') !== digests[i]) failed = `${tags[i]}: ${answer.status}`;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
done(failed ? { failed } : { ms: performance.now() - started });
"#;
    let profiling = start_profile(browser).await;
    let cpu_before = cpu::snapshot();
    let answer = browser
        .client
        .execute_async(
            script,
            vec![
                json!(format!("{base}/v2/{repo}")),
                json!(tags),
                json!(digests),
                json!(prefix),
                json!(concurrency),
                json!(wharf_protocol::media::MANIFEST_ACCEPT),
            ],
        )
        .await
        .expect("page floor");
    if profiling {
        stop_profile(browser, &format!("the bare fetch ({base})")).await;
    }
    let ms = answer["ms"].as_f64().unwrap_or_else(|| panic!("page floor failed: {answer}"));
    (ms / 1000.0, cpu_before.spent(&format!("the bare fetch ({base})"), ms / 1000.0))
}

/// The bulk retag of `count` tags (10 distinct images): in the page cross-origin and behind the
/// shipped same-origin nginx file, against a bare `fetch` from the page, a native client, curl
/// and skopeo loops, all on the same registry in this run. `with_loops` adds the curl and skopeo
/// loops (slow). Returns the table's rows.
async fn bulk_section(registry: &Registry, app: &StaticServer, count: usize, with_loops: bool) -> Vec<String> {
    let concurrency = wharf_protocol::runner::DEFAULT_CONCURRENCY;
    let repo = "bench/bulk";
    let tags = many_tag_names(count);
    // The same-origin run gets a repository of its own: each page run selects every listed tag.
    let same_repo = "bench/bulk-same";
    seed_many_tags(&registry.url(), repo, count, BULK_IMAGES);
    seed_many_tags(&registry.url(), same_repo, count, BULK_IMAGES);
    // The production set-up's row is the table's headline, and one run of it varies by ±15% on
    // this 2-core machine: it is run H2_ROUNDS times (a repository each), page and bare fetch
    // alternated, and the medians are shown.
    let h2_repos: Vec<String> = (0..H2_ROUNDS).map(|i| format!("bench/bulk-h2-{i}")).collect();
    for h2_repo in &h2_repos {
        seed_many_tags(&registry.url(), h2_repo, count, BULK_IMAGES);
    }
    let h2_repo = h2_repos[0].as_str();
    let browser = Browser::start().await;
    eprintln!("bulk retag of {count} tags: in the page, cross-origin…");
    let cross_url = format!("{}/r/http:{}/{repo}", app.url, registry.host);
    let (plan_ms, run_ms, looked_up, _, _) = wharf_bulk_retag(&browser, registry, &cross_url, count, "p-").await;
    browser.close().await;
    eprintln!("… bare fetch from a page of the same origin…");
    let browser = Browser::start().await;
    let (page_floor_s, _) =
        page_bulk_floor(&browser, (&app.url, &registry.url()), registry, repo, &tags, "f-", concurrency).await;
    browser.close().await;
    eprintln!("… in the page behind deploy/nginx-same-origin.conf…");
    let dist = workspace_root().join("dist");
    let nginx =
        wharf_testkit::nginx::Nginx::start(wharf_testkit::nginx::Nginx::reserve_port(), &dist, &registry.host, None);
    let browser = Browser::start().await;
    let same_url = format!("{}/r/same-origin/{same_repo}", nginx.url);
    let (same_plan_ms, same_run_ms, _, _, _) = wharf_bulk_retag(&browser, registry, &same_url, count, "o-").await;
    browser.close().await;
    eprintln!("… bare fetch of the same requests, same-origin behind the same nginx…");
    let browser = Browser::start().await;
    let (same_floor_s, _) =
        page_bulk_floor(&browser, (&nginx.url, &nginx.url), registry, same_repo, &tags, "g-", concurrency).await;
    browser.close().await;
    drop(nginx);
    eprintln!("… in the page behind the same nginx file over TLS with HTTP/2…");
    let tls =
        wharf_testkit::nginx::Nginx::start_tls(wharf_testkit::nginx::Nginx::reserve_port(), &dist, &registry.host);
    let (mut h2_runs, mut h2_floors, mut h2_at_once) = (Vec::new(), Vec::new(), 0);
    for repo in &h2_repos {
        let browser = Browser::start_accepting_any_certificate().await;
        let h2_url = format!("{}/r/same-origin/{repo}", tls.url);
        let (_, run_ms, _, at_once, spent) = wharf_bulk_retag(&browser, registry, &h2_url, count, "h-").await;
        browser.close().await;
        let browser = Browser::start_accepting_any_certificate().await;
        let floor = page_bulk_floor(&browser, (&tls.url, &tls.url), registry, repo, &tags, "k-", at_once).await;
        browser.close().await;
        eprintln!("…… {:.2} s in the page, {:.2} s bare fetch", run_ms / 1000.0, floor.0);
        h2_runs.push((run_ms / 1000.0, spent));
        h2_floors.push(floor);
        h2_at_once = at_once;
    }
    let ((h2_s, h2_spent), (h2_floor_s, h2_floor_spent)) = (median_by(h2_runs, |r| r.0), median_by(h2_floors, |r| r.0));
    drop(tls);
    eprintln!("… natively, the same requests at the page's concurrency…");
    let native_s = native_bulk_floor(registry, repo, &tags, "n-", concurrency);
    let h2_native_s = native_bulk_floor(registry, h2_repo, &tags, "m-", h2_at_once);
    let mut prefixes = vec!["p-", "f-", "n-"];
    let loops = if with_loops {
        eprintln!("… with curl GET + PUT in a loop…");
        let curl_s = shell_loop_seconds(
            registry,
            &tags,
            r#"ct=$(curl -sf -D - -o /tmp/wharf-bench-manifest -H "Accept: $ACCEPT" "http://$R/v2/bench/bulk/manifests/$t" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: //p'); curl -sf -X PUT -H "Content-Type: $ct" --data-binary @/tmp/wharf-bench-manifest "http://$R/v2/bench/bulk/manifests/c-$t""#,
        );
        // The peer's loop is timed as often as the page's headline row, and its median shown: one
        // loop's pace varies by a fifth or more from round to round on this machine (31 to 40 s).
        let mut skopeo_rounds = Vec::new();
        for round in SKOPEO_PREFIXES {
            eprintln!("… with skopeo copy in a loop (slow), into {round}…");
            let seconds = shell_loop_seconds(
                registry,
                &tags,
                &format!(
                    r#"skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$R/bench/bulk:$t" "docker://$R/bench/bulk:{round}$t""#
                ),
            );
            eprintln!("…… {seconds:.1} s");
            skopeo_rounds.push(seconds);
        }
        prefixes.push("c-");
        prefixes.extend(SKOPEO_PREFIXES);
        Some((curl_s, median(skopeo_rounds)))
    } else {
        None
    };
    for tag in [&tags[0], &tags[count - 1]] {
        let source = match registry.digest_of(repo, tag) {
            Ok(Some(digest)) => digest,
            other => panic!("{repo}:{tag}: {other:?}"),
        };
        for prefix in &prefixes {
            assert_eq!(registry.digest_of(repo, &format!("{prefix}{tag}")), Ok(Some(source.clone())), "{prefix}{tag}");
        }
        for prefix in ["o-", "g-"] {
            assert_eq!(
                registry.digest_of(same_repo, &format!("{prefix}{tag}")),
                Ok(Some(source.clone())),
                "{prefix}{tag}"
            );
        }
        for repo in &h2_repos {
            let h2_source = registry.digest_of(repo, tag).expect("digest").expect("seeded");
            assert_eq!(h2_source, source, "the h2 repositories hold the same images");
            let native = (repo.as_str() == h2_repo).then_some("m-");
            for prefix in ["h-", "k-"].into_iter().chain(native) {
                assert_eq!(
                    registry.digest_of(repo, &format!("{prefix}{tag}")),
                    Ok(Some(source.clone())),
                    "{repo}:{prefix}{tag}"
                );
            }
        }
    }
    let (run_s, same_s) = (run_ms / 1000.0, same_run_ms / 1000.0);
    let versus = |seconds: f64| match loops {
        Some((curl_s, skopeo_s)) => format!(
            "skopeo loop (median of {H2_ROUNDS}): {skopeo_s:.1} s (**{:.1}×** slower); \
             curl GET+PUT loop: {curl_s:.1} s ({:.1}× slower); ",
            skopeo_s / seconds,
            curl_s / seconds
        ),
        None => String::new(),
    };
    vec![
        format!(
            "| Bulk retag of {count} tags in the page, served same-origin by deploy/nginx-same-origin.conf over TLS with HTTP/2, as it says to run in production (confirm → all verified, {h2_at_once} at a time over one connection; median of {H2_ROUNDS} runs, and of the bare fetch's) | {h2_s:.2} s | {}native client, the same requests {h2_at_once} at a time: {h2_native_s:.2} s (the page takes {:.2}×); bare fetch of the same requests from a page behind the same nginx: {h2_floor_s:.2} s (the page takes {:.2}×). CPU seconds spent in the median run, page / bare fetch: registry {:.2} / {:.2}, Chromium {:.2} / {:.2} (of which the page's main thread {:.2} / {:.2}), Chromium, registry and nginx together {:.2} / {:.2}, on 2 cores | ≥ 10× faster than skopeo |",
            versus(h2_s),
            h2_s / h2_native_s,
            h2_s / h2_floor_s,
            h2_spent.registry(),
            h2_floor_spent.registry(),
            h2_spent.chromium(),
            h2_floor_spent.chromium(),
            h2_spent.page_main_thread(),
            h2_floor_spent.page_main_thread(),
            h2_spent.total(),
            h2_floor_spent.total(),
        ),
        format!(
            "| Bulk retag of {count} tags in the page, served same-origin by deploy/nginx-same-origin.conf over HTTP/1.1 (confirm → all verified, {concurrency} at a time; no CORS preflights) | {same_s:.2} s | {}native client, the same requests {concurrency} at a time: {native_s:.2} s (the page takes {:.2}×); bare fetch of the same requests from a page behind the same nginx: {same_floor_s:.2} s (the page takes {:.2}×) | ≥ 10× faster than skopeo |",
            versus(same_s),
            same_s / native_s,
            same_s / same_floor_s
        ),
        format!(
            "| Bulk retag of {count} tags in the page, cross-origin (CORS: a preflight before each PUT, {concurrency} at a time) | {run_s:.2} s | {}bare fetch of the same requests from a page of the same origin: {page_floor_s:.2} s (the page takes {:.2}×) | ≥ 10× faster than skopeo |",
            versus(run_s),
            run_s / page_floor_s
        ),
        format!(
            "| Bulk retag dry run of the same {count} tags (plan click → dry run shown; {looked_up}) | {:.2} s cross-origin, {:.2} s same-origin | the run: {run_s:.2} s, {same_s:.2} s | no slower than the run |",
            plan_ms / 1000.0,
            same_plan_ms / 1000.0
        ),
    ]
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

/// The sections `WHARF_BENCH_ONLY` (comma-separated) may name; all run when it is unset.
const SECTIONS: [&str; 7] = ["classic", "glance", "attachments", "retag", "bulk", "cleanup", "search"];

#[tokio::main]
async fn main() {
    let dist = workspace_root().join("dist");
    assert!(dist.join("index.html").is_file(), "dist/ is missing: run scripts/bench (it builds the app first)");
    let only = std::env::var("WHARF_BENCH_ONLY").ok();
    // A section named in WHARF_BENCH_ONLY; with it unset, every section but "bulk" and "retag"
    // (which "classic" holds) is wanted.
    let named = |section: &str| only.as_deref().is_some_and(|o| o.split(',').any(|s| s.trim() == section));
    let wanted = |section: &str| only.is_none() || named(section);
    if let Some(o) = &only {
        assert!(o.split(',').all(|s| SECTIONS.contains(&s.trim())), "WHARF_BENCH_ONLY names one of {SECTIONS:?}");
        // "classic" runs the bulk retag itself (with the skopeo and curl loops); "bulk" beside it
        // would retag the same tags again on the same registry, where its checks cannot hold.
        assert!(
            !(named("classic") && named("bulk")),
            "WHARF_BENCH_ONLY: \"classic\" already runs the bulk retag; name one of the two"
        );
    }
    eprintln!("starting registry and seeding (2,000 tags)…");
    let registry = Registry::start(RegistryOptions::default());
    let seeded = seed_demo(&registry.url());
    seed_many_tags(&registry.url(), "demo/many", 2000, 300);
    let app = StaticServer::start(dist, 0);
    let mut rows = Vec::new();
    if wanted("classic") {
        rows.extend(classic(&registry, &app, &seeded).await);
    }
    if wanted("glance") {
        rows.extend(glance::section(&registry, &app).await);
    }
    if wanted("attachments") {
        rows.extend(attachments::section(&registry, &app).await);
    }
    if wanted("cleanup") {
        rows.extend(cleanup::section(&registry, &app, 1010).await);
    }
    if wanted("search") {
        rows.extend(search::section(&app).await);
    }
    // The bulk runs alone (without the slow skopeo and curl loops; with them in "classic").
    if named("bulk") {
        let bulk: usize = std::env::var("WHARF_BENCH_BULK").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
        rows.extend(bulk_section(&registry, &app, bulk, false).await);
    }
    // The retag's latency alone (it is part of "classic"): for looking at where its time goes.
    if named("retag") {
        let browser = Browser::start().await;
        rows.extend(retag_latency(&browser, &registry, &app, &seeded).await);
        browser.close().await;
    }
    println!("| Measure | Wharf | Peer / floor | Target |");
    println!("|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    drop(app);
    drop(registry);
}

/// The retag's latency in the page against the floor, alternated in one page, and where its time
/// goes. Returns the table rows.
async fn retag_latency(browser: &Browser, registry: &Registry, app: &StaticServer, seeded: &Seeded) -> Vec<String> {
    let view = |rest: &str| format!("{}/r/http:{}{rest}", app.url, registry.host);
    eprintln!("measuring retag latency ({LATENCY_ROUNDS} rounds each)…");
    open_retag_page(browser, &view("/demo/hello/-/retag/1.0")).await;
    let (mut ui, mut floor) = (Vec::new(), Vec::new());
    let mut steps: Vec<Vec<f64>> = vec![Vec::new(); RETAG_STEPS.len()];
    let profiling = start_profile(browser).await;
    for round in 0..LATENCY_ROUNDS {
        let target = format!("lat-ui-{round}");
        ui.push(wharf_retag(browser, registry, &target).await.1);
        for (i, ms) in retag_breakdown(browser, &target).await.into_iter().enumerate() {
            steps[i].push(ms);
        }
        floor.push(
            fetch_floor(browser, &registry.url(), "demo/hello", &seeded.hello, &format!("lat-floor-{round}")).await,
        );
    }
    if profiling {
        stop_profile(browser, "the retags and their floors").await;
    }
    let (ui_ms, floor_ms) = (median(ui), median(floor));
    let step_medians: Vec<f64> = steps.into_iter().map(median).collect();
    let mut rows = Vec::new();
    rows.push(format!(
        "| Retag latency in the page, click → verified result (median of {LATENCY_ROUNDS}) | {ui_ms:.1} ms | bare fetch GET+PUT: {floor_ms:.1} ms ({:.2}×) | ≤ 1.3× floor |",
        ui_ms / floor_ms
    ));
    let accounted: f64 = step_medians.iter().sum();
    for (step, ms) in RETAG_STEPS.iter().zip(&step_medians) {
        rows.push(format!("| Retag latency, where it goes: {step} (median) | {ms:.1} ms | | |"));
    }
    rows.push(format!(
        "| Retag latency, where it goes: flow finished → verified result on screen (the rest of the median) | {:.1} ms | | |",
        (ui_ms - accounted).max(0.0)
    ));
    rows
}

/// The sections before issue 9: requests and latency of a retag, first load, the 2,000-tag list,
/// an index copy and the bulk retag. Returns their table rows.
async fn classic(registry: &Registry, app: &StaticServer, seeded: &Seeded) -> Vec<String> {
    let browser = Browser::start().await;
    let view = |rest: &str| format!("{}/r/http:{}{rest}", app.url, registry.host);

    // Requests per retag.
    eprintln!("counting requests per retag…");
    open_retag_page(&browser, &view("/demo/hello/-/retag/1.0")).await;
    let (wharf_single, _) = wharf_retag(&browser, registry, "count-wharf").await;
    open_retag_page(&browser, &view("/demo/multi/-/retag/latest")).await;
    let (wharf_index, _) = wharf_retag(&browser, registry, "count-wharf").await;
    let skopeo_single = count_skopeo_copy(registry, "demo/hello:1.0", "demo/hello:count-skopeo", false);
    let skopeo_index = count_skopeo_copy(registry, "demo/multi:latest", "demo/multi:count-skopeo", true);

    let latency_rows = retag_latency(&browser, registry, app, seeded).await;

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
    let wharf_copy_requests = wharf_copy(&browser, registry, &view("/bench/index/-/copy/latest"), "bench/copied").await;
    let skopeo_copy_requests = count_skopeo_copy(registry, "bench/index:latest", "bench/skopeo-copied:latest", true);

    browser.close().await;
    let mut rows = Vec::new();
    let sizes = bundle_sizes(&workspace_root().join("dist"));
    let total_gzip: usize = sizes.iter().map(|(_, _, gz)| gz).sum();

    rows.push(format!("| Registry requests, retag of a single-arch image | {wharf_single} | skopeo copy: {skopeo_single} | exactly 2 |"));
    rows.push(format!("| Registry requests, retag of a 2-platform index (+2 attestations) | {wharf_index} | skopeo copy --all: {skopeo_index} | exactly 2 |"));
    rows.extend(latency_rows);
    for (ext, raw, gz) in &sizes {
        rows.push(format!(
            "| First load: {ext} | {:.1} KB gzip ({:.1} KB raw) | | |",
            *gz as f64 / 1000.0,
            *raw as f64 / 1000.0
        ));
    }
    rows.push(format!(
        "| First load total, the whole app (wasm + JS + CSS, gzip -9; every page in the app, the rarely used ones fetched when they open) | {:.1} KB | | ≤ 300 KB |",
        total_gzip as f64 / 1000.0
    ));
    let (pages, shared) = later_sizes(&workspace_root().join("dist"));
    let chunks: Vec<String> = pages.iter().map(|(page, size)| format!("{page} {:.1}", *size as f64 / 1000.0)).collect();
    rows.push(format!(
        "| Fetched when their page opens, KB gzip: {}; chunks they share: {:.1} | | | |",
        chunks.join(", "),
        shared as f64 / 1000.0
    ));
    rows.push(format!(
        "| Navigation → rendered 2,000-tag list (median of {LOAD_ROUNDS}) | {:.0} ms | skopeo list-tags: {skopeo_list_ms:.0} ms | |",
        median(listed)
    ));
    rows.push(format!("| Navigation → digests of the first 100 tags shown | {:.0} ms | | |", median(digested)));
    rows.push(format!(
        "| Registry requests, copy of a 2-platform index to another repository (4 mountable blobs) | {wharf_copy_requests} | skopeo copy --all: {skopeo_copy_requests} | ≤ 12 |"
    ));
    // Bulk retag: the page (cross-origin and same-origin) against skopeo and curl loops.
    let bulk: usize = std::env::var("WHARF_BENCH_BULK").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    rows.extend(bulk_section(registry, app, bulk, true).await);
    rows
}

/// The glance of issue 9: every tag's created time, size, kind and platforms, resolved in the
/// background for a 10,000-tag repository (and the 2,000-tag `demo/many`), against the floor of
/// the same HEADs sent with bare `fetch` from the app's origin.
///
/// Each cold visit gets a fresh browser (a fresh IndexedDB, and no cached CORS preflights: the
/// registry allows them for 600 s, per URL), and so does each floor. The warm visit reuses the
/// cold visit's browser. Times are the page's own User Timing marks (`wharf:glance-cached`,
/// `wharf:glance-complete`), from the navigation's start. `WHARF_BENCH_GLANCE_TAGS`,
/// `WHARF_BENCH_GLANCE_IMAGES`, `WHARF_BENCH_GLANCE_ROUNDS` and `WHARF_BENCH_GLANCE_LIMIT`
/// (seconds a visit may take) change the defaults (10,000, 500, 3, 300).
mod glance {
    use std::time::{Duration, Instant};

    use serde_json::{json, Value};
    use wharf_testkit::browser::Browser;
    use wharf_testkit::registry::Registry;
    use wharf_testkit::seed::seed_glance_bulk;
    use wharf_testkit::static_server::StaticServer;

    use super::median;

    /// The concurrency the floor uses when the page does not say its own.
    const DEFAULT_CONCURRENCY: usize = 6;
    /// A visit that shows no glance at all within this time is given up early.
    const NO_GLANCE_AFTER: Duration = Duration::from_secs(30);

    fn env_usize(name: &str, default: usize) -> usize {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// `12,345`.
    fn thousands(n: usize) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    /// `850 ms` or `12.3 s`.
    fn duration(ms: f64) -> String {
        if ms < 1000.0 {
            format!("{ms:.0} ms")
        } else {
            format!("{:.1} s", ms / 1000.0)
        }
    }

    /// What one navigation to a glance page measured.
    struct Visit {
        /// `wharf:glance-cached`, ms from the navigation's start.
        cached_ms: Option<f64>,
        /// `wharf:glance-complete`, ms from the navigation's start.
        complete_ms: Option<f64>,
        /// `data-concurrency` of `[data-testid=glance-progress]`, as last seen.
        concurrency: Option<usize>,
        /// The registry's requests from before the navigation until the complete mark.
        requests: Vec<(String, String)>,
        /// Why the visit has no complete mark.
        failure: Option<String>,
    }

    /// Navigates to `url` and waits for `wharf:glance-complete` (up to `limit`), noting
    /// `wharf:glance-cached` and the progress element's concurrency on the way.
    async fn visit(browser: &Browser, registry: &Registry, url: &str, limit: Duration) -> Visit {
        let mark = registry.log_mark();
        let started = Instant::now();
        browser.client.goto(url).await.expect("navigate to the glance page");
        let script = "const mark = (n) => { const e = performance.getEntriesByName(n); return e.length ? e[0].startTime : null; };
            const p = document.querySelector('[data-testid=glance-progress]');
            return { cached: mark('wharf:glance-cached'), complete: mark('wharf:glance-complete'),
                     concurrency: p ? p.getAttribute('data-concurrency') : null,
                     done: p ? p.getAttribute('data-done') : null, total: p ? p.getAttribute('data-total') : null };";
        let (mut concurrency, mut cached_ms, mut seen_glance) = (None, None, false);
        let mut last = Value::Null;
        loop {
            let state = browser.client.execute(script, vec![]).await.expect("read the glance's marks");
            if let Some(c) = state["concurrency"].as_str().and_then(|c| c.parse().ok()) {
                concurrency = Some(c);
            }
            cached_ms = cached_ms.or(state["cached"].as_f64());
            seen_glance |= !state["done"].is_null() || !state["cached"].is_null() || !state["complete"].is_null();
            if let Some(complete_ms) = state["complete"].as_f64() {
                let requests = registry.requests_since_settled(mark);
                return Visit { cached_ms, complete_ms: Some(complete_ms), concurrency, requests, failure: None };
            }
            let waited = started.elapsed();
            let failure = if !seen_glance && waited > NO_GLANCE_AFTER {
                Some(format!(
                    "the page showed no glance within {} s (no [data-testid=glance-progress], no wharf:glance-* mark)",
                    NO_GLANCE_AFTER.as_secs()
                ))
            } else if waited > limit {
                Some(format!(
                    "no wharf:glance-complete within {} s (progress {} of {})",
                    limit.as_secs(),
                    last["done"].as_str().unwrap_or("?"),
                    last["total"].as_str().unwrap_or("?")
                ))
            } else {
                None
            };
            if failure.is_some() {
                let requests = registry.requests_since_settled(mark);
                return Visit { cached_ms, complete_ms: None, concurrency, requests, failure };
            }
            last = state;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The floor: the tag list (every page, following `Link`), then a bare `fetch` HEAD of every
    /// tag's manifest, `concurrency` at a time, from a page of the app's origin.
    struct Floor {
        list_ms: f64,
        heads_ms: f64,
    }

    async fn floor(browser: &Browser, base: &str, repo: &str, concurrency: usize, tags: usize) -> Floor {
        let start = r#"
            const [base, repo, accept, concurrency] = arguments;
            window.__wharfFloor = null;
            (async () => {
              const t0 = performance.now();
              const tags = [];
              let url = `${base}/v2/${repo}/tags/list`, pages = 0;
              while (url) {
                const r = await fetch(url, { cache: 'no-store' });
                if (!r.ok) throw new Error(`tag list: ${r.status}`);
                tags.push(...((await r.json()).tags || []));
                pages++;
                const link = r.headers.get('Link');
                const next = link && link.match(/<([^>]+)>\s*;\s*rel="?next"?/);
                url = next ? new URL(next[1], url).href : null;
              }
              const t1 = performance.now();
              let next = 0, failed = 0;
              const worker = async () => {
                while (next < tags.length) {
                  const tag = tags[next++];
                  const r = await fetch(`${base}/v2/${repo}/manifests/${encodeURIComponent(tag)}`,
                                        { method: 'HEAD', headers: { Accept: accept }, cache: 'no-store' });
                  if (r.status !== 200 || !r.headers.get('Docker-Content-Digest')) failed++;
                }
              };
              await Promise.all(Array.from({ length: concurrency }, worker));
              window.__wharfFloor = { list_ms: t1 - t0, heads_ms: performance.now() - t1, tags: tags.length, pages, failed };
            })().catch((e) => { window.__wharfFloor = { error: String(e) }; });
        "#;
        browser
            .client
            .execute(
                start,
                vec![json!(base), json!(repo), json!(wharf_protocol::media::MANIFEST_ACCEPT), json!(concurrency)],
            )
            .await
            .expect("start the floor");
        let result = browser.wait_js_within("window.__wharfFloor", Duration::from_secs(900)).await;
        assert!(result["error"].is_null(), "the floor failed: {result}");
        assert_eq!(result["tags"].as_u64(), Some(tags as u64), "the floor's tag list: {result}");
        assert_eq!(result["failed"].as_u64(), Some(0), "floor HEADs without a digest: {result}");
        Floor {
            list_ms: result["list_ms"].as_f64().expect("list ms"),
            heads_ms: result["heads_ms"].as_f64().expect("heads ms"),
        }
    }

    /// The registry's requests of a visit, by what they ask for (CORS preflights are not in the
    /// access-log reading at all).
    #[derive(Default)]
    struct Counts {
        head_manifests: usize,
        get_manifests: usize,
        get_blobs: usize,
        tag_list: usize,
        ping: usize,
        other: Vec<(String, String)>,
    }

    impl Counts {
        fn of(requests: &[(String, String)], repo: &str) -> Counts {
            let mut counts = Counts::default();
            let prefix = format!("/v2/{repo}/");
            for (method, uri) in requests {
                let path = uri.split('?').next().unwrap_or("");
                let rest = path.strip_prefix(&prefix);
                match (method.as_str(), rest) {
                    ("HEAD", Some(r)) if r.starts_with("manifests/") => counts.head_manifests += 1,
                    ("GET", Some(r)) if r.starts_with("manifests/") => counts.get_manifests += 1,
                    ("GET", Some(r)) if r.starts_with("blobs/") => counts.get_blobs += 1,
                    ("GET", Some("tags/list")) => counts.tag_list += 1,
                    ("GET", None) if path == "/v2/" => counts.ping += 1,
                    _ => counts.other.push((method.clone(), uri.clone())),
                }
            }
            counts
        }

        fn metadata(&self) -> usize {
            self.head_manifests + self.get_manifests + self.get_blobs
        }

        fn describe(&self) -> String {
            format!(
                "{} (HEAD manifests {} · GET manifests {} · GET blobs {}; besides: tag list {}, /v2/ {}, other {})",
                thousands(self.metadata()),
                thousands(self.head_manifests),
                thousands(self.get_manifests),
                thousands(self.get_blobs),
                self.tag_list,
                self.ping,
                self.other.len()
            )
        }
    }

    /// Cold and warm visits and floors of one repository; its table rows.
    async fn measure(registry: &Registry, app: &StaticServer, repo: &str, tags: usize, images: usize) -> Vec<String> {
        let rounds = env_usize("WHARF_BENCH_GLANCE_ROUNDS", 3).max(1);
        let limit = Duration::from_secs(env_usize("WHARF_BENCH_GLANCE_LIMIT", 300) as u64);
        let url = format!("{}/r/http:{}/{repo}?sort=newest", app.url, registry.host);
        let floor_page = format!("{}/config.json", app.url);
        let (mut cold, mut cached, mut warm) = (Vec::new(), Vec::new(), Vec::new());
        let (mut floors, mut floors_warm) = (Vec::new(), Vec::new());
        let (mut concurrency, mut first_cold, mut first_warm, mut failure) = (None, None, None, None);
        let mut split = None;
        for round in 0..rounds {
            if failure.is_none() {
                eprintln!("glance of {repo}, round {}: cold visit…", round + 1);
                let browser = Browser::start().await;
                let visit_cold = visit(&browser, registry, &url, limit).await;
                concurrency = concurrency.or(visit_cold.concurrency);
                match visit_cold.complete_ms {
                    Some(ms) => {
                        cold.push(ms);
                        eprintln!("… warm visit…");
                        let visit_warm = visit(&browser, registry, &url, limit).await;
                        if let Some(ms) = visit_warm.cached_ms {
                            cached.push(ms);
                        }
                        if let Some(ms) = visit_warm.complete_ms {
                            warm.push(ms);
                        }
                        failure = visit_warm.failure.as_ref().map(|f| format!("warm visit: {f}"));
                        first_warm = first_warm.or(Some(visit_warm));
                    }
                    None => failure = visit_cold.failure.clone(),
                }
                first_cold = first_cold.or(Some(visit_cold));
                browser.close().await;
            }
            let c = concurrency.unwrap_or(DEFAULT_CONCURRENCY);
            eprintln!("glance of {repo}, round {}: floor ({} HEADs, {c} at a time)…", round + 1, thousands(tags));
            let browser = Browser::start().await;
            browser.client.goto(&floor_page).await.expect("open a page of the app's origin");
            let fresh = floor(&browser, &registry.url(), repo, c, tags).await;
            floors.push(fresh.list_ms + fresh.heads_ms);
            split = split.or(Some((fresh.list_ms, fresh.heads_ms)));
            eprintln!("… floor: list {} + HEADs {}", duration(fresh.list_ms), duration(fresh.heads_ms));
            if round == 0 {
                // Once: the same again in the same browser, its preflights cached (as a warm
                // visit's are).
                let again = floor(&browser, &registry.url(), repo, c, tags).await;
                floors_warm.push(again.list_ms + again.heads_ms);
                eprintln!("… again, preflights cached: {}", duration(again.list_ms + again.heads_ms));
            }
            browser.close().await;
        }

        let n = thousands(tags);
        let c = concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        let c_note = if concurrency.is_some() { "the page's data-concurrency" } else { "default: the page said none" };
        let floor_ms = median(floors.clone());
        let floor_warm_ms = median(floors_warm.clone());
        let mut rows = vec![format!(
            "| Glance floor, {repo}: tag list + {n} bare fetch HEADs, {c} at a time ({c_note}), fresh browser, tag list counted (median of {}) | | {} (first round: tag list {} + HEADs {}) | |",
            floors.len(),
            duration(floor_ms),
            duration(split.map_or(0.0, |s: (f64, f64)| s.0)),
            duration(split.map_or(0.0, |s: (f64, f64)| s.1))
        )];
        let not_measured = |what: &str| {
            format!("| {what} | not measured: {} | | |", failure.as_deref().unwrap_or("no visit completed"))
        };
        let cold_what = format!(
            "Glance cold, {repo} ({n} tags over {} images): navigation → wharf:glance-complete, fresh browser",
            thousands(images)
        );
        // The issue sets its targets for the 10,000-tag repository; the demo's figures are asked
        // for as they are (its 300 images for 2,000 tags are 1.3× the floor's requests alone).
        let target = |goal: &str| if repo == "demo/many" { "figure only".to_string() } else { goal.to_string() };
        if cold.is_empty() {
            rows.push(not_measured(&cold_what));
        } else {
            let cold_ms = median(cold.clone());
            rows.push(format!(
                "| {cold_what} (median of {}) | {} | floor: {} ({:.2}×) | {} |",
                cold.len(),
                duration(cold_ms),
                duration(floor_ms),
                cold_ms / floor_ms,
                target("≤ 1.3× floor")
            ));
        }
        let cached_what = format!("Glance warm, {repo}: navigation → wharf:glance-cached (sorted list from the cache)");
        if cached.is_empty() {
            rows.push(not_measured(&cached_what));
        } else {
            rows.push(format!(
                "| {cached_what} (median of {}) | {} | | {} |",
                cached.len(),
                duration(median(cached)),
                target("≤ 1 s")
            ));
        }
        let warm_what = format!("Glance warm, {repo}: navigation → wharf:glance-complete (every tag revalidated)");
        if warm.is_empty() {
            rows.push(not_measured(&warm_what));
        } else {
            rows.push(format!(
                "| {warm_what} (median of {}) | {} | floor again in one browser, preflights cached (once): {} | |",
                warm.len(),
                duration(median(warm)),
                duration(floor_warm_ms)
            ));
        }
        if let Some(visit) = first_cold.filter(|v| v.complete_ms.is_some()) {
            let counts = Counts::of(&visit.requests, repo);
            rows.push(format!(
                "| Registry requests, cold glance of {repo} (first round, navigation → complete; CORS preflights left out) | {} | per-tag model of the popular browser UI (a manifest GET and a config GET per tag): {} | ≤ {} (tags + 2 × images) |",
                counts.describe(),
                thousands(2 * tags),
                thousands(tags + 2 * images)
            ));
            for (method, uri) in counts.other.iter().take(5) {
                eprintln!("cold visit, other request: {method} {uri}");
            }
        }
        if let Some(visit) = first_warm.filter(|v| v.complete_ms.is_some()) {
            let counts = Counts::of(&visit.requests, repo);
            let only_heads = counts.get_manifests == 0 && counts.get_blobs == 0 && counts.other.is_empty();
            rows.push(format!(
                "| Registry requests, warm glance of {repo} (first round) | {} | only HEADs, tag list and /v2/: {} | HEADs + tag list + /v2/ only |",
                counts.describe(),
                if only_heads { "yes" } else { "no" }
            ));
            for (method, uri) in counts.other.iter().take(5) {
                eprintln!("warm visit, other request: {method} {uri}");
            }
        }
        rows
    }

    /// A native client's HEAD of every tag, `concurrency` at a time (threads, no browser, no CORS
    /// preflights): the rate the registry itself allows. Returns seconds.
    fn native_heads(registry: &Registry, repo: &str, tags: &[String], concurrency: usize) -> f64 {
        let base = registry.url();
        let agent = ureq::AgentBuilder::new().build();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..concurrency {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(tag) = tags.get(i) else { return };
                    let answer = agent
                        .head(&format!("{base}/v2/{repo}/manifests/{tag}"))
                        .set("Accept", wharf_protocol::media::MANIFEST_ACCEPT)
                        .call()
                        .expect("HEAD");
                    assert!(answer.header("Docker-Content-Digest").is_some(), "{repo}:{tag}");
                });
            }
        });
        started.elapsed().as_secs_f64()
    }

    /// The same cold visit behind the shipped same-origin nginx file (deploy/nginx-same-origin.conf):
    /// no CORS, so no preflights. Returns (ms to wharf:glance-complete, or why not).
    async fn cold_same_origin(registry: &Registry, repo: &str) -> Result<f64, String> {
        let dist = wharf_testkit::workspace_root().join("dist");
        let nginx = wharf_testkit::nginx::Nginx::start(
            wharf_testkit::nginx::Nginx::reserve_port(),
            &dist,
            &registry.host,
            None,
        );
        let limit = Duration::from_secs(env_usize("WHARF_BENCH_GLANCE_LIMIT", 300) as u64);
        let browser = Browser::start().await;
        let url = format!("{}/r/same-origin/{repo}?sort=newest", nginx.url);
        let visited = visit(&browser, registry, &url, limit).await;
        browser.close().await;
        drop(nginx);
        visited.complete_ms.ok_or_else(|| visited.failure.unwrap_or_default())
    }

    /// Seeds `bench/glance` and measures it and `demo/many` (seeded by `main`).
    pub async fn section(registry: &Registry, app: &StaticServer) -> Vec<String> {
        let tags = env_usize("WHARF_BENCH_GLANCE_TAGS", 10_000);
        let images = env_usize("WHARF_BENCH_GLANCE_IMAGES", 500);
        eprintln!("seeding bench/glance: {} tags over {images} images…", thousands(tags));
        let started = Instant::now();
        let bulk = seed_glance_bulk(&registry.url(), "bench/glance", tags, images);
        let seed_s = started.elapsed().as_secs_f64();
        assert_eq!(bulk.tags.len(), tags);
        let mut rows = vec![format!(
            "| Seeding bench/glance: {} tags over {images} images ({} blobs, one manifest PUT per tag; native, 4 threads) | {seed_s:.1} s | | |",
            thousands(tags),
            bulk.blobs
        )];
        rows.extend(measure(registry, app, "bench/glance", tags, images).await);
        eprintln!("bench/glance natively: every tag's HEAD, {DEFAULT_CONCURRENCY} at a time…");
        let names: Vec<String> = bulk.tags.iter().map(|t| t.tag.clone()).collect();
        let native_s = native_heads(registry, "bench/glance", &names, DEFAULT_CONCURRENCY);
        rows.push(format!(
            "| Native HEAD rate, bench/glance: {} HEADs, {DEFAULT_CONCURRENCY} at a time, no browser (the registry's own pace) | | {native_s:.1} s ({:.0} HEADs/s) | |",
            thousands(tags),
            tags as f64 / native_s
        ));
        eprintln!("bench/glance cold, behind the same-origin nginx (no preflights)…");
        rows.push(match cold_same_origin(registry, "bench/glance").await {
            Ok(ms) => format!(
                "| Glance cold, bench/glance, served same-origin by deploy/nginx-same-origin.conf (no CORS preflights): navigation → wharf:glance-complete, fresh browser | {} | | figure only |",
                duration(ms)
            ),
            Err(why) => format!("| Glance cold, bench/glance, behind deploy/nginx-same-origin.conf | not measured: {why} | | |"),
        });
        rows.extend(measure(registry, app, "demo/many", 2000, 300).await);
        rows
    }
}

/// Issue 10: the registry requests of a copy that carries an image's attachments, against the
/// minimum the protocol allows and against skopeo (which copies the image alone).
mod attachments {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use wharf_testkit::browser::Browser;
    use wharf_testkit::registry::Registry;
    use wharf_testkit::seed_signed::seed_signed;
    use wharf_testkit::skopeo;
    use wharf_testkit::static_server::StaticServer;

    /// What a client must send, at least, to copy an image with a cosign signature (by tag) and
    /// two OCI 1.1 referrers (in the fallback index) to an empty repository of a registry
    /// without the referrers API, safely: the target tag's HEAD (1); the image's two blob mounts
    /// and its PUT (3); the tag list to see cosign's tags, the fallback index and the signature's
    /// manifest (3); the two referrers' manifests (2); the attachments' blob mounts, the empty
    /// config shared by two (5); their three PUTs (3); the target's fallback index read and
    /// written (2).
    const MINIMUM: usize = 19;

    fn breakdown(requests: &[(String, String)]) -> String {
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for (method, uri) in requests {
            let what = if uri.contains("/referrers/") {
                "referrers API"
            } else if uri.contains("/blobs/uploads/") {
                "blob mounts"
            } else if uri.contains("/blobs/") {
                "blobs"
            } else if uri.contains("/manifests/") {
                "manifests"
            } else {
                "other"
            };
            *kinds.entry(format!("{method} {what}")).or_default() += 1;
        }
        kinds.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(" · ")
    }

    pub async fn section(registry: &Registry, app: &StaticServer) -> Vec<String> {
        eprintln!("attachments: seeding an image with 3 attachments…");
        let seed = seed_signed(&registry.url(), "bench/signed", "v1");
        // Three attachments, as the issue asks: the attestation goes (by digest, with its tag).
        let url = format!("{}/v2/bench/signed/manifests/{}", registry.url(), seed.attestation);
        ureq::delete(&url).call().expect("delete the attestation");
        assert_eq!(registry.digest_of("bench/signed", &seed.attestation_tag), Ok(None));
        let attached = [(&seed.signature, "signature"), (&seed.sbom, "SBOM"), (&seed.notation, "notation signature")];

        let browser = Browser::start().await;
        let view = format!("{}/r/http:{}/bench/signed/-/copy/v1", app.url, registry.host);
        browser.client.goto(&view).await.expect("goto");
        browser.wait_css("[data-testid=source-digest]").await;
        browser.type_into("[data-testid=copy-repository]", "bench/signed-copy").await;
        let mark = registry.log_mark();
        browser.click("[data-testid=copy-submit]").await;
        browser.wait_css("[data-testid=copy-confirm]").await;
        browser.click("[data-testid=confirm-copy]").await;
        let done = browser
            .wait_first(
                &["[data-testid=copy-attachments-result][data-complete=true]", "[data-testid=error]"],
                Duration::from_secs(60),
            )
            .await;
        assert_eq!(done.0, 0, "the copy failed: {}", done.1.text().await.unwrap_or_default());
        let requests = registry.requests_since_settled(mark);
        for (digest, what) in attached {
            let at_target = skopeo::manifest_digest(&registry.host, &format!("bench/signed-copy@{digest}"));
            assert_eq!(at_target, Ok(Some(digest.clone())), "{what} copied with its digest");
        }
        browser.close().await;

        eprintln!("attachments: skopeo copy of the same image…");
        let skopeo_requests = super::count_skopeo_copy(registry, "bench/signed:v1", "bench/signed-skopeo:v1", false);
        assert_eq!(skopeo::manifest_digest(&registry.host, "bench/signed-skopeo:v1"), Ok(Some(seed.image.clone())));
        let left_behind =
            attached.iter().filter(|(digest, _)| registry.digest_of("bench/signed-skopeo", digest) == Ok(None)).count();
        let signature_tag = registry.digest_of("bench/signed-skopeo", &seed.signature_tag);
        assert_eq!(signature_tag, Ok(None), "skopeo copy leaves the signature's tag behind");
        vec![format!(
            "| Registry requests, copy of an image with 3 attachments (cosign signature by tag, SPDX SBOM and notation signature in the fallback index) to another repository, click → verified result (distribution 2.8: no referrers API) | {} ({}) | minimum the protocol allows: {MINIMUM}; skopeo copy: {skopeo_requests}, and it leaves {left_behind} of the 3 behind (the registry answers 404 for them at the target) | ≤ 22 |",
            requests.len(),
            breakdown(&requests)
        )]
    }
}
