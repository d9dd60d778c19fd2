//! The signed seeders against a real registry (distribution 2.8, no referrers API): every
//! manifest `seed_signed` says it pushed is there under the digest it returned (skopeo's bytes
//! hash to it), the cosign tags and the referrers fallback tag exist, each attachment has the
//! shape of its published format and names the image, and the fallback index lists the two OCI
//! 1.1 referrers as the referrers tag schema says. `seed_foreign_referrer` adds a referrer at a
//! repository that does not hold its subject, and merges into a fallback index that exists.

use std::collections::BTreeSet;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use wharf_protocol::digest::sha256_of;
use wharf_protocol::media::{OCI_CONFIG, OCI_INDEX, OCI_MANIFEST};
use wharf_protocol::time::parse_rfc3339;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed_signed::{
    seed_foreign_referrer, seed_signed, SignedSeed, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLESIGNING,
    CREATED_ANNOTATION, DSSE_ENVELOPE, EMPTY_DIGEST, FOREIGN_REPORT, JOSE_JSON, NOTARY_SIGNATURE, NOTARY_THUMBPRINT,
    SIGNED_IMAGE_CREATED, SLSA_PROVENANCE_V1, SPDX_JSON,
};
use wharf_testkit::skopeo;

const REPO: &str = "demo/signed";

/// The manifest skopeo reads for `reference`, as bytes and as JSON.
fn raw(host: &str, reference: &str) -> (Vec<u8>, Value) {
    let bytes = skopeo::inspect_raw(host, reference).unwrap_or_else(|e| panic!("{e}"));
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{reference}: not JSON: {e}"));
    (bytes, value)
}

/// A blob's bytes from the registry, checked against its digest.
fn blob(registry: &Registry, repo: &str, digest: &str) -> Vec<u8> {
    let url = format!("{}/v2/{repo}/blobs/{digest}", registry.url());
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut ureq::get(&url).call().unwrap_or_else(|e| panic!("GET {url}: {e}")).into_reader(),
        &mut bytes,
    )
    .expect("blob bytes");
    assert_eq!(sha256_of(&bytes).to_string(), digest, "{url}");
    bytes
}

fn blob_json(registry: &Registry, repo: &str, digest: &str) -> Value {
    serde_json::from_slice(&blob(registry, repo, digest)).unwrap_or_else(|e| panic!("blob {digest}: not JSON: {e}"))
}

fn image_descriptor(seed: &SignedSeed) -> Value {
    json!({ "mediaType": OCI_MANIFEST, "digest": seed.image, "size": seed.image_size })
}

/// A fallback index entry is the manifest's descriptor with its `artifactType` and annotations.
fn assert_lists(host: &str, repo: &str, entry: &Value, digest: &str) {
    assert_eq!(entry["digest"], json!(digest));
    let (bytes, manifest) = raw(host, &format!("{repo}@{digest}"));
    assert_eq!(entry["mediaType"], json!(OCI_MANIFEST), "{digest}");
    assert_eq!(entry["size"], json!(bytes.len()), "{digest}");
    assert_eq!(entry["artifactType"], manifest["artifactType"], "{digest}");
    assert!(entry["artifactType"].is_string(), "{digest}");
    assert_eq!(entry["annotations"], manifest["annotations"], "{digest}");
    assert!(entry["annotations"].is_object(), "{digest}");
}

#[test]
fn seed_signed_holds_what_it_says() {
    let registry = Registry::start(RegistryOptions::default());
    let host = registry.host.as_str();
    let seed = seed_signed(&registry.url(), REPO, "v1");
    let hex = seed.image.strip_prefix("sha256:").expect("a sha256 digest").to_string();
    assert_eq!(hex.len(), 64);
    assert_eq!(seed.signature_tag, format!("sha256-{hex}.sig"));
    assert_eq!(seed.attestation_tag, format!("sha256-{hex}.att"));
    assert_eq!(seed.fallback_tag, format!("sha256-{hex}"));

    // The tags: the image, cosign's two, the fallback; the OCI 1.1 referrers are untagged.
    let mut tags = skopeo::list_tags(host, REPO).expect("list-tags");
    tags.sort();
    let mut expected =
        vec!["v1".to_string(), seed.signature_tag.clone(), seed.attestation_tag.clone(), seed.fallback_tag.clone()];
    expected.sort();
    assert_eq!(tags, expected);
    for (tag, digest) in [
        ("v1", &seed.image),
        (seed.signature_tag.as_str(), &seed.signature),
        (seed.attestation_tag.as_str(), &seed.attestation),
        (seed.fallback_tag.as_str(), &seed.fallback_index),
    ] {
        assert_eq!(skopeo::manifest_digest(host, &format!("{REPO}:{tag}")), Ok(Some(digest.clone())), "{tag}");
        assert_eq!(registry.digest_of(REPO, tag), Ok(Some(digest.clone())), "{tag}");
    }
    let all = [&seed.image, &seed.signature, &seed.attestation, &seed.sbom, &seed.notation, &seed.fallback_index];
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 6, "six distinct manifests");
    for digest in all {
        assert_eq!(skopeo::manifest_digest(host, &format!("{REPO}@{digest}")), Ok(Some(digest.clone())), "{digest}");
    }

    // The image: an OCI image manifest, one layer, a dated config.
    let (image_bytes, image) = raw(host, &format!("{REPO}:v1"));
    assert_eq!(image_bytes.len() as u64, seed.image_size);
    assert_eq!(image["mediaType"], OCI_MANIFEST);
    assert_eq!(image["layers"].as_array().map(Vec::len), Some(1));
    let config = skopeo::inspect_config(host, &format!("{REPO}:v1")).expect("config");
    assert_eq!(config["created"].as_str(), Some(SIGNED_IMAGE_CREATED));

    // 1. cosign signature: the simple-signing payload names this image at this registry.
    let (_, signature) = raw(host, &format!("{REPO}:{}", seed.signature_tag));
    assert_eq!(signature["mediaType"], OCI_MANIFEST);
    assert_eq!(signature["config"]["mediaType"], OCI_CONFIG);
    let layers = signature["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], COSIGN_SIMPLESIGNING);
    let sig = layers[0]["annotations"][COSIGN_SIGNATURE_ANNOTATION].as_str().expect("signature annotation");
    assert!(!STANDARD.decode(sig).expect("base64 signature").is_empty());
    let payload = blob_json(&registry, REPO, layers[0]["digest"].as_str().expect("digest"));
    assert_eq!(
        payload,
        json!({
            "critical": {
                "identity": { "docker-reference": format!("{host}/{REPO}") },
                "image": { "docker-manifest-digest": seed.image },
                "type": "cosign container image signature",
            },
            "optional": null,
        })
    );
    blob_json(&registry, REPO, signature["config"]["digest"].as_str().expect("config digest"));

    // 2. cosign attestation: a DSSE envelope of an in-toto statement about this image.
    let (_, attestation) = raw(host, &format!("{REPO}:{}", seed.attestation_tag));
    assert_eq!(attestation["config"]["mediaType"], OCI_CONFIG);
    let layer = &attestation["layers"][0];
    assert_eq!(attestation["layers"].as_array().map(Vec::len), Some(1));
    assert_eq!(layer["mediaType"], DSSE_ENVELOPE);
    assert_eq!(layer["annotations"]["predicateType"], SLSA_PROVENANCE_V1);
    let envelope = blob_json(&registry, REPO, layer["digest"].as_str().expect("digest"));
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(envelope["signatures"][0]["keyid"], "");
    assert!(envelope["signatures"][0]["sig"].as_str().is_some_and(|s| STANDARD.decode(s).is_ok()));
    let statement: Value = serde_json::from_slice(
        &STANDARD.decode(envelope["payload"].as_str().expect("payload")).expect("base64 payload"),
    )
    .expect("statement json");
    assert_eq!(statement["predicateType"], SLSA_PROVENANCE_V1);
    assert_eq!(statement["subject"][0]["digest"]["sha256"], json!(hex));
    assert_eq!(statement["subject"].as_array().map(Vec::len), Some(1));

    // 3. SPDX SBOM: OCI 1.1 artifact, empty config, subject = the image.
    let (_, sbom) = raw(host, &format!("{REPO}@{}", seed.sbom));
    assert_eq!(sbom["mediaType"], OCI_MANIFEST);
    assert_eq!(sbom["artifactType"], SPDX_JSON);
    assert_eq!(sbom["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    assert_eq!(sbom["config"]["digest"], EMPTY_DIGEST);
    assert_eq!(sbom["config"]["size"], 2);
    assert_eq!(blob(&registry, REPO, EMPTY_DIGEST), b"{}");
    assert_eq!(sbom["subject"], image_descriptor(&seed));
    assert_eq!(sbom["layers"].as_array().map(Vec::len), Some(1));
    assert_eq!(sbom["layers"][0]["mediaType"], SPDX_JSON);
    let spdx = blob_json(&registry, REPO, sbom["layers"][0]["digest"].as_str().expect("digest"));
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["SPDXID"], "SPDXRef-DOCUMENT");
    let created = sbom["annotations"][CREATED_ANNOTATION].as_str().expect("created annotation");
    assert!(parse_rfc3339(created).is_some(), "{created}");

    // 4. notation signature: a JWS whose payload names the image; the thumbprint is the sha256
    // of the certificate it carries.
    let (_, notation) = raw(host, &format!("{REPO}@{}", seed.notation));
    assert_eq!(notation["artifactType"], NOTARY_SIGNATURE);
    assert_eq!(notation["config"]["digest"], EMPTY_DIGEST);
    assert_eq!(notation["subject"], image_descriptor(&seed));
    assert_eq!(notation["layers"][0]["mediaType"], JOSE_JSON);
    let jws = blob_json(&registry, REPO, notation["layers"][0]["digest"].as_str().expect("digest"));
    let jws_payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jws["payload"].as_str().expect("payload")).expect("base64url"))
            .expect("payload json");
    assert_eq!(jws_payload["targetArtifact"], image_descriptor(&seed));
    let protected: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(jws["protected"].as_str().expect("protected")).expect("base64url"),
    )
    .expect("protected json");
    assert_eq!(protected["cty"], "application/vnd.cncf.notary.payload.v1+json");
    let certificate = STANDARD.decode(jws["header"]["x5c"][0].as_str().expect("x5c")).expect("base64 certificate");
    let thumbprints: Vec<String> =
        serde_json::from_str(notation["annotations"][NOTARY_THUMBPRINT].as_str().expect("thumbprint annotation"))
            .expect("a JSON list");
    assert_eq!(thumbprints, [sha256_of(&certificate).as_str().trim_start_matches("sha256:")]);
    assert!(thumbprints[0].len() == 64 && thumbprints[0].bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(parse_rfc3339(notation["annotations"][CREATED_ANNOTATION].as_str().expect("created")).is_some());

    // The fallback index lists the two OCI 1.1 referrers (not cosign's tag-scheme manifests).
    let (_, index) = raw(host, &format!("{REPO}:{}", seed.fallback_tag));
    assert_eq!(index["mediaType"], OCI_INDEX);
    let entries = index["manifests"].as_array().expect("manifests");
    assert_eq!(entries.len(), 2);
    assert_lists(host, REPO, &entries[0], &seed.sbom);
    assert_lists(host, REPO, &entries[1], &seed.notation);
    assert_eq!(entries[0]["artifactType"], SPDX_JSON);
    assert_eq!(entries[1]["artifactType"], NOTARY_SIGNATURE);

    // distribution 2.8 has no referrers API (the route is unknown: a plain-text 404), so the
    // fallback tag is the only way to find them.
    match ureq::get(&format!("{}/v2/{REPO}/referrers/{}", registry.url(), seed.image)).call() {
        Err(ureq::Error::Status(404, response)) => {
            assert!(response.content_type().starts_with("text/plain"), "{}", response.content_type())
        }
        other => panic!("referrers API: {other:?}"),
    }
    // And it refuses an index naming a manifest it does not hold: why the fallback index goes
    // after its referrers.
    let missing = format!("sha256:{}", "0".repeat(63) + "1");
    let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{ "mediaType": OCI_MANIFEST, "digest": missing, "size": 10 }] });
    let put = ureq::put(&format!("{}/v2/{REPO}/manifests/refused", registry.url()))
        .set("Content-Type", OCI_INDEX)
        .send_bytes(&serde_json::to_vec(&index).expect("json"));
    match put {
        Err(ureq::Error::Status(400, response)) => {
            let body = response.into_string().expect("error body");
            assert!(body.contains("MANIFEST_BLOB_UNKNOWN") && body.contains(&missing), "{body}");
        }
        other => panic!("an index naming a missing manifest: {other:?}"),
    }

    // Every blob of every manifest is there and matches its digest.
    for reference in [
        format!("{REPO}:v1"),
        format!("{REPO}:{}", seed.signature_tag),
        format!("{REPO}:{}", seed.attestation_tag),
        format!("{REPO}@{}", seed.sbom),
        format!("{REPO}@{}", seed.notation),
    ] {
        skopeo::assert_reads_whole_image(host, &reference);
    }

    // Seeding again changes nothing: the same bytes, the same digests.
    let again = seed_signed(&registry.url(), REPO, "v1");
    assert_eq!((again.image, again.sbom, again.fallback_index), (seed.image, seed.sbom, seed.fallback_index));
}

#[test]
fn foreign_referrer_at_a_target_without_its_subject_and_merged_into_an_index() {
    let registry = Registry::start(RegistryOptions::default());
    let host = registry.host.as_str();
    let seed = seed_signed(&registry.url(), REPO, "v1");

    // At a repository that does not hold the subject (distribution 2.8 does not check it).
    let target = "copy/target";
    let foreign = seed_foreign_referrer(&registry.url(), target, &seed.image);
    assert_eq!(registry.digest_of(target, &seed.image), Ok(None), "the subject is not in the target");
    assert_eq!(skopeo::manifest_digest(host, &format!("{target}@{foreign}")), Ok(Some(foreign.clone())));
    let (_, referrer) = raw(host, &format!("{target}@{foreign}"));
    assert_eq!(referrer["artifactType"], FOREIGN_REPORT);
    assert_eq!(referrer["subject"], image_descriptor(&seed), "media type and size read from demo/signed");
    assert_eq!(skopeo::list_tags(host, target).expect("list-tags"), [seed.fallback_tag.as_str()]);
    let (_, index) = raw(host, &format!("{target}:{}", seed.fallback_tag));
    assert_eq!(index["mediaType"], OCI_INDEX);
    let entries = index["manifests"].as_array().expect("manifests").clone();
    assert_eq!(entries.len(), 1);
    assert_lists(host, target, &entries[0], &foreign);
    assert_eq!(entries[0]["artifactType"], FOREIGN_REPORT);

    // Again: the same referrer, listed once.
    assert_eq!(seed_foreign_referrer(&registry.url(), target, &seed.image), foreign);
    let (_, index) = raw(host, &format!("{target}:{}", seed.fallback_tag));
    assert_eq!(index["manifests"].as_array().map(Vec::len), Some(1));

    // Merged into the index that lists the SBOM and the notation signature: all three, in order.
    assert_eq!(seed_foreign_referrer(&registry.url(), REPO, &seed.image), foreign);
    let merged = skopeo::manifest_digest(host, &format!("{REPO}:{}", seed.fallback_tag)).expect("fallback");
    assert!(merged.is_some() && merged != Some(seed.fallback_index.clone()), "the fallback tag moved");
    let (_, index) = raw(host, &format!("{REPO}:{}", seed.fallback_tag));
    let entries = index["manifests"].as_array().expect("manifests");
    let digests: Vec<&str> = entries.iter().filter_map(|e| e["digest"].as_str()).collect();
    assert_eq!(digests, [seed.sbom.as_str(), seed.notation.as_str(), foreign.as_str()]);
    for (entry, digest) in entries.iter().zip([&seed.sbom, &seed.notation, &foreign]) {
        assert_lists(host, REPO, entry, digest);
    }
    // The old index is still there by digest (distribution keeps untagged manifests).
    assert_eq!(
        skopeo::manifest_digest(host, &format!("{REPO}@{}", seed.fallback_index)),
        Ok(Some(seed.fallback_index.clone()))
    );
}
