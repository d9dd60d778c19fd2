//! End to end, issue 10: signatures, SBOMs and attestations shown with their image, kept with it
//! on a copy (to another repository and to another registry), and offered for deletion with it.
//!
//! The registry is distribution 2.8, which has no referrers API: its 404 for the route carries no
//! CORS headers, so the page (on another origin) sees a blocked request and falls back to the
//! `sha256-<hex>` tag. `seed_signed` pushes, built by hand to their published formats, a
//! cosign-style signature (`.sig`) and attestation (`.att`), an SPDX SBOM and a notation-style
//! signature as OCI 1.1 artifacts with `subject`, and the fallback index listing those two.
//! Results are checked with skopeo and with the registry's own digests.

mod common;

use std::time::Duration;

use common::{
    assert_accessible, attr_of, attrs, screenshot_both_widths, submit_and_wait, Stack, ONE_BROWSER_AT_A_TIME,
};
use wharf_testkit::browser::Browser;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed_signed::{seed_foreign_referrer, seed_signed, seed_signed_as_on, SignedSeed};
use wharf_testkit::skopeo;

const REPO: &str = "demo/signed";

/// The four attachments: digest and the kind the page must call it.
fn attachments(seed: &SignedSeed) -> Vec<(String, &'static str)> {
    vec![
        (seed.sbom.clone(), "sbom"),
        (seed.notation.clone(), "signature"),
        (seed.signature.clone(), "signature"),
        (seed.attestation.clone(), "attestation"),
    ]
}

/// Asserts, with skopeo, that `host` holds every attachment of `seed` in `repo` with the
/// source's digest: the OCI 1.1 ones by digest, cosign's under their tags too.
fn assert_all_there(host: &str, repo: &str, seed: &SignedSeed) {
    for (digest, kind) in attachments(seed) {
        assert_eq!(
            skopeo::manifest_digest(host, &format!("{repo}@{digest}")),
            Ok(Some(digest.clone())),
            "{kind} {digest}"
        );
    }
    assert_eq!(
        skopeo::manifest_digest(host, &format!("{repo}:{}", seed.signature_tag)),
        Ok(Some(seed.signature.clone()))
    );
    assert_eq!(
        skopeo::manifest_digest(host, &format!("{repo}:{}", seed.attestation_tag)),
        Ok(Some(seed.attestation.clone()))
    );
}

/// The digests a fallback index at `host` lists, read with skopeo.
fn fallback_entries(host: &str, repo: &str, seed: &SignedSeed) -> Vec<String> {
    let raw = skopeo::inspect_raw(host, &format!("{repo}:{}", seed.fallback_tag)).expect("the fallback index");
    let index: serde_json::Value = serde_json::from_slice(&raw).expect("index JSON");
    index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|d| d["digest"].as_str().unwrap().to_string())
        .collect()
}

async fn open_copy(stack: &Stack, registry: &str, repository: &str) {
    let b = &stack.browser;
    stack.goto(&format!("/{REPO}/-/copy/v1")).await;
    b.wait_css("[data-testid=source-digest]").await;
    b.type_into("[data-testid=copy-registry]", registry).await;
    b.type_into("[data-testid=copy-repository]", repository).await;
}

/// Submits the copy form, expects the dry run listing the attachments, confirms it, and returns
/// the result's text.
async fn copy_with_attachments(b: &Browser, expected: usize) -> String {
    let outcomes = ["[data-testid=copy-confirm]", "[data-testid=error]", "[data-testid=copy-result]"];
    let (which, element) = submit_and_wait(b, "[data-testid=copy-submit]", &outcomes, Duration::from_secs(60)).await;
    assert_eq!(which, 0, "a copy with attachments shows its plan first: {}", element.text().await.unwrap_or_default());
    let listed = attrs(b, "[data-testid=copy-attachments] li", "data-digest").await;
    assert_eq!(listed.len(), expected, "the dry run lists every attachment: {listed:?}");
    screenshot_both_widths(b, "attachments-copy-plan").await;
    assert_accessible(b, "copy dry run with attachments").await;
    b.click("[data-testid=confirm-copy]").await;
    let (which, element) =
        b.wait_first(&["[data-testid=copy-attachments-result]", "[data-testid=error]"], Duration::from_secs(90)).await;
    let text = element.text().await.unwrap_or_default();
    assert_eq!(which, 0, "the copy failed: {text}");
    assert_eq!(element.attr("data-complete").await.unwrap().as_deref(), Some("true"), "{text}");
    b.text("[data-testid=copy-result]").await
}

#[tokio::test]
async fn the_manifest_page_lists_every_attachment_and_the_tag_list_hides_their_tags() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_signed(&stack.registry.url(), REPO, "v1");
    let b = &stack.browser;

    stack.goto(&format!("/{REPO}/-/manifest/v1")).await;
    let (which, section) = b
        .wait_first(
            &["[data-testid=attachments]", "[data-testid=attachments-section] [data-testid=error]"],
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(which, 0, "looking for attachments failed: {}", section.text().await.unwrap_or_default());
    let rows = attrs(b, "[data-testid=attachment-row]", "data-digest").await;
    let kinds = attrs(b, "[data-testid=attachment-row]", "data-kind").await;
    let shown: Vec<(String, String)> = rows.into_iter().zip(kinds).collect();
    let expected: Vec<(String, String)> = attachments(&seed).into_iter().map(|(d, k)| (d, k.to_string())).collect();
    assert_eq!(shown, expected, "all four, listed ones first, with their kinds");
    let statements = attrs(b, "[data-testid=attachment-row]", "data-statement").await;
    assert_eq!(statements[0], "format SPDX");
    assert!(statements[1].starts_with("signer certificate sha256 "), "{statements:?}");
    assert_eq!(statements[2], format!("signs {}/{REPO}", stack.registry.host), "the signed identity, from the payload");
    assert_eq!(statements[3], "predicate https://slsa.dev/provenance/v1");
    let found = attrs(b, "[data-testid=attachment-row]", "data-found").await;
    assert_eq!(found[..2], ["fallback index", "fallback index"], "distribution has no referrers API: the fallback tag");
    assert!(b.text("[data-testid=not-verified]").await.contains("not verified"));
    b.client
        .execute("document.querySelector('[data-testid=attachments-section]').scrollIntoView()", vec![])
        .await
        .expect("scroll to the section");
    screenshot_both_widths(b, "attachments-manifest").await;
    assert_accessible(b, "manifest page with attachments").await;
    // Each links to its own manifest view.
    b.click(&format!("[data-testid=attachment-row][data-digest='{}'] a", seed.sbom)).await;
    b.wait_js(&format!("document.querySelector('[data-testid=manifest-digest]')?.textContent === {:?}", seed.sbom))
        .await;

    // The tag list: the sha256-* tags are hidden until asked for; v1 carries badges.
    stack.goto(&format!("/{REPO}")).await;
    b.wait_js("document.querySelectorAll('tr[data-testid=tag-row][data-fresh=true]').length === 1").await;
    let tags = attrs(b, "tr[data-testid=tag-row]", "data-tag").await;
    assert_eq!(tags, ["v1"], "only the image by default");
    b.wait_js("document.querySelector('tr[data-tag=v1]')?.getAttribute('data-attached')?.split(',').length === 3")
        .await;
    let mut badges = attr_of(b, "tr[data-tag=v1]", "data-attached").await.unwrap_or_default();
    badges = {
        let mut v: Vec<&str> = badges.split(',').collect();
        v.sort();
        v.join(",")
    };
    assert_eq!(badges, "attestation,sbom,signature", "cosign tags and the fallback index's entries");
    screenshot_both_widths(b, "attachments-tag-list").await;
    assert_accessible(b, "tag list with attachment badges").await;
    b.click("[data-testid=show-attachments]").await;
    b.wait_js("document.querySelectorAll('tr[data-testid=tag-row]').length === 4").await;
    let mut tags = attrs(b, "tr[data-testid=tag-row]", "data-tag").await;
    tags.sort();
    let mut expected =
        vec![seed.fallback_tag.clone(), seed.signature_tag.clone(), seed.attestation_tag.clone(), "v1".into()];
    expected.sort();
    assert_eq!(tags, expected);
    // "signed images" shows the image, not its signature tags.
    b.wait_css("[data-testid=kind-filter]").await.select_by_value("signed").await.expect("signed option");
    b.wait_js("document.querySelectorAll('tr[data-testid=tag-row]').length === 1").await;
    assert_eq!(attrs(b, "tr[data-testid=tag-row]", "data-tag").await, ["v1"]);
    stack.close().await;
}

#[tokio::test]
async fn a_copy_brings_every_attachment_with_its_digest_and_merges_the_target_index() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_signed(&stack.registry.url(), REPO, "v1");
    let host = stack.registry.host.clone();
    // prod/signed already has a referrer of this image, from another tool.
    let theirs = seed_foreign_referrer(&stack.registry.url(), "prod/signed", &seed.image);
    let b = &stack.browser;

    open_copy(&stack, "", "prod/signed").await;
    screenshot_both_widths(b, "attachments-copy-form").await;
    let mark = stack.registry.log_mark();
    let text = copy_with_attachments(b, 4).await;
    assert!(text.contains("Attachments: 4 in place of 4"), "{text}");
    screenshot_both_widths(b, "attachments-copy-result").await;
    assert_accessible(b, "copy result with attachments").await;
    assert_eq!(skopeo::manifest_digest(&host, "prod/signed:v1"), Ok(Some(seed.image.clone())));
    assert_all_there(&host, "prod/signed", &seed);
    let entries = fallback_entries(&host, "prod/signed", &seed);
    assert_eq!(entries, [theirs.clone(), seed.sbom.clone(), seed.notation.clone()], "theirs kept first, ours added");
    // Within a registry every blob is mounted: nothing is uploaded.
    let uploads = stack
        .registry
        .requests_since(mark)
        .iter()
        .filter(|(m, u)| m == "PATCH" || (m == "PUT" && u.contains("/blobs/")))
        .count();
    assert_eq!(uploads, 0, "{:?}", stack.registry.requests_since(mark));

    // Issue 22: the copy as a script, attachments and merged index included. On a registry
    // seeded the same way (their referrer included) it leaves the same index, by digest; where
    // the target's index is not the one the page merged with, it stops before writing it.
    let script = common::export_script(b).await;
    let merged = stack.registry.digest_of("prod/signed", &seed.fallback_tag).unwrap().expect("the merged index");
    let replica = Registry::start(RegistryOptions::default());
    let replica_seed = seed_signed_as_on(&replica.url(), REPO, "v1", &host);
    assert_eq!(replica_seed.signature, seed.signature, "signed as on the page's registry: the same digests");
    assert_eq!(seed_foreign_referrer(&replica.url(), "prod/signed", &seed.image), theirs);
    let run = common::run_exported(&script, &[("REGISTRY", &replica.url())]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(skopeo::manifest_digest(&replica.host, "prod/signed:v1"), Ok(Some(seed.image.clone())));
    assert_all_there(&replica.host, "prod/signed", &seed);
    assert_eq!(replica.digest_of("prod/signed", &seed.fallback_tag), Ok(Some(merged.clone())), "the same index");
    let without_theirs = Registry::start(RegistryOptions::default());
    seed_signed_as_on(&without_theirs.url(), REPO, "v1", &host);
    let refused = common::run_exported(&script, &[("REGISTRY", &without_theirs.url())]);
    assert!(!refused.success, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("{}:{} holds nothing now", "prod/signed", seed.fallback_tag)),
        "{}",
        refused.stderr
    );
    assert_eq!(without_theirs.digest_of("prod/signed", &seed.fallback_tag), Ok(None), "no index written over");

    // To a second registry: every attachment streamed, and the fallback index, which the target
    // did not have, is the source's own bytes.
    let dest = Registry::start(RegistryOptions::default());
    open_copy(&stack, &dest.url(), "prod/signed").await;
    let text = copy_with_attachments(b, 4).await;
    assert!(text.contains("Attachments: 4 in place of 4"), "{text}");
    assert_eq!(skopeo::manifest_digest(&dest.host, "prod/signed:v1"), Ok(Some(seed.image.clone())));
    assert_all_there(&dest.host, "prod/signed", &seed);
    assert_eq!(
        dest.digest_of("prod/signed", &seed.fallback_tag),
        Ok(Some(seed.fallback_index.clone())),
        "same index, same digest"
    );
    for (digest, _) in attachments(&seed) {
        skopeo::assert_reads_whole_image(&dest.host, &format!("prod/signed@{digest}"));
    }
    // Its script, from the replica into an empty registry: every blob uploaded, the same index.
    let script = common::export_script(b).await;
    let empty = Registry::start(RegistryOptions::default());
    let run = common::run_exported(&script, &[("REGISTRY", &replica.url()), ("TARGET_REGISTRY", &empty.url())]);
    assert!(run.success, "{}", run.stderr);
    assert_all_there(&empty.host, "prod/signed", &seed);
    assert_eq!(empty.digest_of("prod/signed", &seed.fallback_tag), Ok(Some(seed.fallback_index.clone())));
    for (digest, _) in attachments(&seed) {
        skopeo::assert_reads_whole_image(&empty.host, &format!("prod/signed@{digest}"));
    }

    // The journal recorded every attachment; undo of the SBOM copy removes it again.
    stack.goto("/-/journal").await;
    b.wait_css("[data-testid=journal-entry]").await;
    let actions = attrs(b, "[data-testid=journal-entry]", "data-action").await;
    let carried = actions.iter().filter(|a| *a == "copy attachment").count();
    assert_eq!(carried, 10, "per copy: SBOM, notation, .sig, .att and the index: {actions:?}");
    stack.close().await;
}

#[tokio::test]
async fn delete_by_digest_lists_the_attachments_and_removes_them_with_the_image() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_signed(&stack.registry.url(), REPO, "v1");
    let host = stack.registry.host.clone();
    let b = &stack.browser;

    stack.goto(&format!("/{REPO}/-/delete/v1")).await;
    b.wait_css("[data-testid=source-digest]").await;
    b.click("[data-testid=delete-digest]").await;
    b.wait_css("[data-testid=delete-digest-confirm]").await;
    let listed = attrs(b, "[data-testid=delete-attachments] li", "data-digest").await;
    let expected: Vec<String> = attachments(&seed).into_iter().map(|(d, _)| d).collect();
    assert_eq!(listed, expected, "every attachment that would dangle");
    assert_eq!(
        b.wait_css("[data-testid=delete-with-attachments]").await.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    b.client
        .execute("document.querySelector('[data-testid=delete-digest-confirm]').scrollIntoView()", vec![])
        .await
        .expect("scroll to the confirmation");
    screenshot_both_widths(b, "attachments-delete-confirm").await;
    assert_accessible(b, "delete confirmation with attachments").await;
    b.click("[data-testid=confirm-delete]").await;
    let result = b.wait_css("[data-testid=delete-result]").await.text().await.unwrap();
    assert!(result.contains("and 5 attachment(s)"), "four attachments and the fallback index: {result}");
    // Absent means the registry said 404.
    assert_eq!(skopeo::manifest_digest(&host, &format!("{REPO}@{}", seed.image)), Ok(None));
    for (digest, kind) in attachments(&seed) {
        assert_eq!(stack.registry.digest_of(REPO, &digest), Ok(None), "{kind} {digest} deleted");
    }
    assert_eq!(stack.registry.digest_of(REPO, &seed.fallback_tag), Ok(None), "the fallback index went too");
    assert_eq!(stack.registry.digest_of(REPO, &seed.signature_tag), Ok(None));

    // Issue 22: the delete as a script removes the same things from a registry seeded the same way.
    let script = common::export_script(b).await;
    let replica = Registry::start(RegistryOptions::default());
    seed_signed_as_on(&replica.url(), REPO, "v1", &host);
    let run = common::run_exported(&script, &[("REGISTRY", &replica.url())]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(replica.digest_of(REPO, &seed.image), Ok(None));
    for (digest, kind) in attachments(&seed) {
        assert_eq!(replica.digest_of(REPO, &digest), Ok(None), "{kind} {digest} deleted by the script");
    }
    assert_eq!(replica.digest_of(REPO, &seed.fallback_tag), Ok(None));

    // Undo the SBOM's delete from the journal: it is back by digest, with its exact bytes.
    stack.goto("/-/journal").await;
    let sbom_entry =
        format!("[data-testid=journal-entry][data-action='delete attachment'][data-before='{}']", seed.sbom);
    b.wait_css(&sbom_entry).await;
    b.click(&format!("{sbom_entry} [data-testid=undo]")).await;
    b.wait_css(&format!("{sbom_entry} [data-testid=undo-done]")).await;
    screenshot_both_widths(b, "attachments-journal").await;
    assert_eq!(stack.registry.digest_of(REPO, &seed.sbom), Ok(Some(seed.sbom.clone())));
    stack.close().await;
}

#[tokio::test]
async fn a_bulk_copy_to_another_registry_brings_the_attachments_of_every_image() {
    let _serial = ONE_BROWSER_AT_A_TIME.lock().await;
    let stack = Stack::start(RegistryOptions::default()).await;
    let seed = seed_signed(&stack.registry.url(), REPO, "v1");
    let dest = Registry::start(RegistryOptions::default());
    let b = &stack.browser;

    stack.goto(&format!("/{REPO}")).await;
    b.wait_js("document.querySelectorAll('tr[data-testid=tag-row]').length === 1").await;
    b.click("[data-testid=select-all]").await;
    b.wait_css("[data-testid=bulk-operation]").await.select_by_value("copy").await.expect("choose copy");
    b.type_into("[data-testid=bulk-registry]", &dest.url()).await;
    b.type_into("[data-testid=bulk-repository]", "prod/signed").await;
    b.wait_css("[data-testid=bulk-rule]").await.select_by_value("keep").await.expect("keep names");
    assert_eq!(
        b.wait_css("[data-testid=bulk-with-attachments]").await.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    b.click("[data-testid=bulk-plan]").await;
    let note = b.wait_css("[data-testid=bulk-attachments-note]").await.text().await.unwrap();
    assert!(note.contains("4 found for 1 of the 1 image(s)"), "{note}");
    assert_eq!(attr_of(b, "[data-testid=bulk-item-attachments]", "data-count").await.as_deref(), Some("4"));
    screenshot_both_widths(b, "attachments-bulk-dry-run").await;
    assert_accessible(b, "bulk dry run with attachments").await;
    b.click("[data-testid=bulk-run]").await;
    b.wait_js_within(
        "document.querySelector('[data-testid=bulk-summary]')?.getAttribute('data-finished') === 'true'",
        Duration::from_secs(90),
    )
    .await;
    assert_eq!(attr_of(b, "[data-testid=bulk-summary]", "data-done").await.as_deref(), Some("1"));
    assert_eq!(skopeo::manifest_digest(&dest.host, "prod/signed:v1"), Ok(Some(seed.image.clone())));
    assert_all_there(&dest.host, "prod/signed", &seed);
    assert_eq!(dest.digest_of("prod/signed", &seed.fallback_tag), Ok(Some(seed.fallback_index.clone())));

    // Issue 22: the run as a script, into an empty registry: the image, its attachments and the
    // same fallback index. Into one with an index of its own, the script does not write over it.
    let script = common::export_script(b).await;
    let empty = Registry::start(RegistryOptions::default());
    let run = common::run_exported(&script, &[("TARGET_REGISTRY", &empty.url())]);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(skopeo::manifest_digest(&empty.host, "prod/signed:v1"), Ok(Some(seed.image.clone())));
    assert_all_there(&empty.host, "prod/signed", &seed);
    assert_eq!(empty.digest_of("prod/signed", &seed.fallback_tag), Ok(Some(seed.fallback_index.clone())));
    let theirs = Registry::start(RegistryOptions::default());
    seed_signed_as_on(&theirs.url(), REPO, "v1", &stack.registry.host);
    let foreign_index = {
        seed_foreign_referrer(&theirs.url(), "prod/signed", &seed.image);
        theirs.digest_of("prod/signed", &seed.fallback_tag).unwrap().expect("their index")
    };
    let refused = common::run_exported(&script, &[("TARGET_REGISTRY", &theirs.url())]);
    assert!(!refused.success, "{}", refused.stderr);
    assert_eq!(theirs.digest_of("prod/signed", &seed.fallback_tag), Ok(Some(foreign_index)), "their index kept");
    stack.close().await;
}
