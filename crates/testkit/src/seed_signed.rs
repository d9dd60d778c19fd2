//! A signed image and its attachments, built by hand to the published formats (there is no
//! cosign or notation binary here) and pushed to a registry without the OCI 1.1 referrers API
//! (CNCF distribution 2.8, Debian's `docker-registry`):
//!
//! - cosign's tag scheme: a signature under `sha256-<hex>.sig`, an attestation under
//!   `sha256-<hex>.att`;
//! - OCI 1.1 referrers (manifests with `subject`), pushed by digest: an SPDX SBOM and a notation
//!   signature, listed in the referrers tag schema's fallback index under `sha256-<hex>`.
//!
//! The signatures are not valid signatures: their bytes are base64 of hashes of what they would
//! sign (deterministic, so the digests are the same on every run). Nothing here verifies them.
//!
//! What distribution 2.8.2 does with this content (checked by `tests/signed_seed.rs`):
//!
//! - it accepts OCI image manifests carrying `artifactType` and `subject`, stores their bytes as
//!   sent (the digest it answers is their sha256) and serves the fields back; it does not look at
//!   `subject` at all: the subject need not exist in the repository;
//! - it accepts any layer media type (`application/spdx+json`, `application/jose+json`, cosign's
//!   and DSSE's) and the empty config `application/vnd.oci.empty.v1+json`, as long as the blob
//!   was uploaded first (it checks that every config and layer blob exists in the repository);
//! - an index is refused (`MANIFEST_BLOB_UNKNOWN`) unless every manifest it lists is in the
//!   repository, so the fallback index goes after its referrers;
//! - `GET /v2/<repo>/referrers/<digest>` is 404 `text/plain` "404 page not found" (a route it
//!   does not know): no referrers API, so a client has to read the fallback tag.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::oci::{self, Blob, Format, Image, ImageSpec};
use crate::seed::Pusher;
use wharf_protocol::media::{OCI_CONFIG, OCI_INDEX, OCI_MANIFEST};

/// cosign's simple-signing payload layer.
pub const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The annotation of a cosign signature layer that carries the signature (base64).
pub const COSIGN_SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// A DSSE envelope (cosign's attestation layer).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// SLSA provenance v1, the attestation's predicate type.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// An SPDX JSON document (the SBOM's `artifactType` and layer type).
pub const SPDX_JSON: &str = "application/spdx+json";
/// A notation signature's `artifactType`.
pub const NOTARY_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
/// A JWS in its JSON serialization (notation's signature envelope).
pub const JOSE_JSON: &str = "application/jose+json";
/// notation's annotation of the signing certificate chain's SHA-256 thumbprints.
pub const NOTARY_THUMBPRINT: &str = "io.cncf.notary.x509chain.thumbprint#S256";
/// The annotation OCI 1.1 referrers carry their creation time in.
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
/// The digest of the OCI empty descriptor's blob `{}`.
pub const EMPTY_DIGEST: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
/// The `artifactType` of [`seed_foreign_referrer`]'s report.
pub const FOREIGN_REPORT: &str = "application/vnd.example.report+json";

/// The image's config `created`.
pub const SIGNED_IMAGE_CREATED: &str = "2026-11-01T10:00:00Z";
/// When the attachments say they were made.
pub const SIGNED_AT: &str = "2026-11-01T10:05:00Z";

/// What [`seed_signed`] pushed: every digest is the sha256 of the manifest bytes pushed (and the
/// registry answered that digest to each PUT).
#[derive(Debug, Clone)]
pub struct SignedSeed {
    /// The repository.
    pub repo: String,
    /// The image's tag.
    pub tag: String,
    /// The image manifest's digest (an OCI image manifest).
    pub image: String,
    /// The image manifest's size in bytes (the `size` of the referrers' `subject`).
    pub image_size: u64,
    /// cosign's signature tag, `sha256-<hex>.sig`.
    pub signature_tag: String,
    /// The cosign signature manifest's digest.
    pub signature: String,
    /// cosign's attestation tag, `sha256-<hex>.att`.
    pub attestation_tag: String,
    /// The cosign attestation manifest's digest.
    pub attestation: String,
    /// The SPDX SBOM's digest (an OCI 1.1 referrer, untagged).
    pub sbom: String,
    /// The notation signature's digest (an OCI 1.1 referrer, untagged).
    pub notation: String,
    /// The referrers fallback tag, `sha256-<hex>`.
    pub fallback_tag: String,
    /// The fallback index's digest (it lists [`SignedSeed::sbom`] then [`SignedSeed::notation`]).
    pub fallback_index: String,
}

/// `sha256:<hex>` → `sha256-<hex>`: the tag cosign and the referrers tag schema derive from a
/// digest.
pub fn digest_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// The hex of a `sha256:<hex>` digest.
fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

/// `len` deterministic bytes standing for a signature over `what` (sha256 chained): looks like
/// one, verifies as nothing.
fn fake_signature(what: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(what).to_vec();
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(&block).to_vec();
    }
    out.truncate(len);
    out
}

/// `host:port` of `http://host:port`.
fn host_of(base: &str) -> &str {
    base.trim_end_matches('/').split("://").nth(1).unwrap_or(base)
}

/// A descriptor with annotations.
fn annotated(blob: &Blob, annotations: Value) -> Value {
    let mut descriptor = blob.descriptor();
    descriptor["annotations"] = annotations;
    descriptor
}

/// A cosign-style manifest: an OCI image manifest whose config is a small image config naming
/// the layer and whose one layer carries `annotations` (cosign writes exactly this shape).
fn cosign_manifest(layer: Blob, annotations: Value) -> Image {
    let config = oci::json_blob(
        &json!({
            "architecture": "",
            "os": "",
            "created": "0001-01-01T00:00:00Z",
            "config": {},
            "history": [{ "created": "0001-01-01T00:00:00Z" }],
            "rootfs": { "type": "layers", "diff_ids": [layer.digest.clone()] },
        }),
        OCI_CONFIG,
    );
    let manifest = oci::json_blob(
        &json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config.descriptor(),
            "layers": [annotated(&layer, annotations)],
        }),
        OCI_MANIFEST,
    );
    Image { config, layers: vec![layer], manifest }
}

/// A descriptor of `manifest` for the fallback index: media type, digest, size, `artifactType`
/// (the manifest's own, else its config's media type) and the manifest's annotations, as the
/// referrers API answers them.
fn referrer_descriptor(manifest: &Blob) -> Value {
    let value: Value = serde_json::from_slice(&manifest.bytes).expect("manifest json");
    let mut descriptor = manifest.descriptor();
    let artifact_type = value.get("artifactType").or_else(|| value["config"].get("mediaType")).cloned();
    if let Some(artifact_type) = artifact_type {
        descriptor["artifactType"] = artifact_type;
    }
    if let Some(annotations) = value.get("annotations") {
        descriptor["annotations"] = annotations.clone();
    }
    descriptor
}

/// The referrers tag schema's index over `descriptors`.
fn fallback_index(descriptors: Vec<Value>) -> Blob {
    oci::json_blob(&json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors }), OCI_INDEX)
}

/// Pushes an image's config and layers, then its manifest under `reference`; returns the digest.
fn push(p: &Pusher, repo: &str, image: &Image, reference: &str) -> String {
    p.blob(repo, &image.config);
    for layer in &image.layers {
        p.blob(repo, layer);
    }
    p.manifest_put(repo, reference, &image.manifest)
}

/// Pushes a small OCI image to `repo:tag` (config `created` [`SIGNED_IMAGE_CREATED`], one layer)
/// and four attachments of it:
///
/// 1. a cosign signature under `sha256-<hex>.sig` (simple-signing payload layer, signature in
///    the layer's `dev.cosignproject.cosign/signature` annotation);
/// 2. a cosign attestation under `sha256-<hex>.att` (a DSSE envelope of an in-toto statement,
///    predicate type SLSA provenance v1);
/// 3. an SPDX 2.3 SBOM as an OCI 1.1 artifact with `subject`, by digest;
/// 4. a notation signature (JWS) as an OCI 1.1 artifact with `subject`, by digest;
///
/// then the referrers fallback index under `sha256-<hex>` listing 3 and 4.
pub fn seed_signed(base: &str, repo: &str, tag: &str) -> SignedSeed {
    seed_signed_as_on(base, repo, tag, host_of(base))
}

/// [`seed_signed`] into `base`, with the signatures naming the image as it is on `host` (they name
/// the registry they sign for): the same bytes, so the same digests, as `seed_signed` there.
pub fn seed_signed_as_on(base: &str, repo: &str, tag: &str, host: &str) -> SignedSeed {
    let p = Pusher::new(base);
    let reference = format!("{host}/{repo}");
    let image = oci::image(&ImageSpec {
        format: Format::Oci,
        architecture: "amd64",
        variant: None,
        labels: vec![
            ("org.opencontainers.image.title".into(), "signed".into()),
            ("org.opencontainers.image.version".into(), tag.into()),
        ],
        env: vec![],
        entrypoint: vec!["/app/signed"],
        cmd: vec![],
        layer_files: vec![("app/signed", format!("#!/bin/sh\necho signed {tag}\n").into_bytes())],
        created: SIGNED_IMAGE_CREATED,
    });
    let digest = image.manifest.digest.clone();
    let hex = hex_of(&digest).to_string();
    let subject = image.manifest.descriptor();
    let image_digest = push(&p, repo, &image, tag);

    // 1. cosign signature.
    let payload = json!({
        "critical": {
            "identity": { "docker-reference": reference },
            "image": { "docker-manifest-digest": digest },
            "type": "cosign container image signature",
        },
        "optional": null,
    });
    let payload = Blob::new(serde_json::to_vec(&payload).expect("json"), COSIGN_SIMPLESIGNING);
    let signature = STANDARD.encode(fake_signature(&payload.bytes, 71));
    let cosign_signature = cosign_manifest(payload, json!({ COSIGN_SIGNATURE_ANNOTATION: signature }));
    let signature_tag = format!("sha256-{hex}.sig");
    let signature = push(&p, repo, &cosign_signature, &signature_tag);

    // 2. cosign attestation: a DSSE envelope of an in-toto statement.
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": reference, "digest": { "sha256": hex } }],
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": "https://example.com/wharf/seeder@v1",
                "externalParameters": { "repository": reference, "tag": tag },
            },
            "runDetails": {
                "builder": { "id": "https://example.com/wharf/seeder" },
                "metadata": { "invocationId": "wharf-seed", "startedOn": SIGNED_IMAGE_CREATED, "finishedOn": SIGNED_AT },
            },
        },
    });
    let statement = serde_json::to_vec(&statement).expect("json");
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": STANDARD.encode(&statement),
        "signatures": [{ "keyid": "", "sig": STANDARD.encode(fake_signature(&statement, 71)) }],
    });
    let envelope = Blob::new(serde_json::to_vec(&envelope).expect("json"), DSSE_ENVELOPE);
    let cosign_attestation =
        cosign_manifest(envelope, json!({ COSIGN_SIGNATURE_ANNOTATION: "", "predicateType": SLSA_PROVENANCE_V1 }));
    let attestation_tag = format!("sha256-{hex}.att");
    let attestation = push(&p, repo, &cosign_attestation, &attestation_tag);

    // 3. SPDX SBOM, an OCI 1.1 referrer.
    let spdx = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{reference}@{digest}"),
        "documentNamespace": format!("https://example.com/wharf/spdx/{hex}"),
        "creationInfo": { "created": SIGNED_AT, "creators": ["Tool: wharf-seeder"] },
        "packages": [{
            "name": "signed",
            "SPDXID": "SPDXRef-Package-signed",
            "versionInfo": tag,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
        }],
        "relationships": [{
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Package-signed",
        }],
    });
    let sbom = oci::referrer(
        oci::empty_config(),
        vec![oci::json_blob(&spdx, SPDX_JSON)],
        SPDX_JSON,
        &subject,
        &[(CREATED_ANNOTATION, SIGNED_AT)],
    );
    let sbom_digest = push(&p, repo, &sbom, &sbom.manifest.digest);

    // 4. notation signature: a JWS (JSON serialization) over the target's descriptor.
    let certificate = fake_signature(format!("wharf-seeder certificate for {reference}").as_bytes(), 420);
    let thumbprint = format!("{:x}", Sha256::digest(&certificate));
    let protected = json!({
        "alg": "PS256",
        "crit": ["io.cncf.notary.signingScheme"],
        "cty": "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": SIGNED_AT,
    });
    let jws_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json!({ "targetArtifact": subject })).expect("json"));
    let jws_protected = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&protected).expect("json"));
    let signing_input = format!("{jws_protected}.{jws_payload}");
    let jws = json!({
        "payload": jws_payload,
        "protected": jws_protected,
        "header": { "x5c": [STANDARD.encode(&certificate)], "io.cncf.notary.signingAgent": "wharf-seeder (not notation)" },
        "signature": URL_SAFE_NO_PAD.encode(fake_signature(signing_input.as_bytes(), 256)),
    });
    let thumbprints = serde_json::to_string(&json!([thumbprint])).expect("json");
    let notation = oci::referrer(
        oci::empty_config(),
        vec![Blob::new(serde_json::to_vec(&jws).expect("json"), JOSE_JSON)],
        NOTARY_SIGNATURE,
        &subject,
        &[(NOTARY_THUMBPRINT, &thumbprints), (CREATED_ANNOTATION, SIGNED_AT)],
    );
    let notation_digest = push(&p, repo, &notation, &notation.manifest.digest);

    // The referrers tag schema's fallback: distribution 2.8 has no referrers API. It refuses an
    // index naming manifests it does not hold, so this goes after the referrers.
    let index = fallback_index(vec![referrer_descriptor(&sbom.manifest), referrer_descriptor(&notation.manifest)]);
    let fallback_tag = digest_tag(&digest);
    let fallback_index = p.manifest_put(repo, &fallback_tag, &index);

    SignedSeed {
        repo: repo.to_string(),
        tag: tag.to_string(),
        image: image_digest,
        image_size: image.manifest.bytes.len() as u64,
        signature_tag,
        signature,
        attestation_tag,
        attestation,
        sbom: sbom_digest,
        notation: notation_digest,
        fallback_tag,
        fallback_index,
    }
}

/// The descriptor (media type, digest, size) of the manifest `digest`, from `repo` if it holds
/// it, else from the first repository of the catalog that does.
fn find_descriptor(p: &Pusher, repo: &str, digest: &str) -> Value {
    let mut repos = vec![repo.to_string()];
    repos.extend(p.catalog().into_iter().filter(|r| r != repo));
    for candidate in &repos {
        if let Some((media_type, bytes)) = p.manifest_get(candidate, digest) {
            return json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() });
        }
    }
    panic!("seed_foreign_referrer: no repository of {} holds {digest}", p.base())
}

/// Pushes into `repo` a referrer of the manifest `subject_digest` (an OCI 1.1 artifact of type
/// [`FOREIGN_REPORT`] with `subject`, by digest) and adds it to `repo`'s referrers fallback
/// index `sha256-<hex>` (created, or merged with the descriptors it lists already): "a referrer
/// that was there before", at a copy's target. Returns the referrer's digest.
///
/// The subject's media type and size are read from `repo`, or from any repository of the
/// registry's catalog that holds it; distribution 2.8 does not need the subject in `repo` (it
/// does not look at `subject`).
pub fn seed_foreign_referrer(base: &str, repo: &str, subject_digest: &str) -> String {
    let p = Pusher::new(base);
    let subject = find_descriptor(&p, repo, subject_digest);
    let report = oci::json_blob(
        &json!({ "report": "scan made at the target", "subject": subject_digest, "findings": [] }),
        FOREIGN_REPORT,
    );
    let referrer = oci::referrer(
        oci::empty_config(),
        vec![report],
        FOREIGN_REPORT,
        &subject,
        &[(CREATED_ANNOTATION, "2026-10-20T09:00:00Z"), ("org.example.origin", "the target registry")],
    );
    let digest = push(&p, repo, &referrer, &referrer.manifest.digest);

    let tag = digest_tag(subject_digest);
    let mut descriptors: Vec<Value> = match p.manifest_get(repo, &tag) {
        Some((media_type, bytes)) => {
            assert_eq!(media_type, OCI_INDEX, "{repo}:{tag} is not an OCI index");
            let index: Value = serde_json::from_slice(&bytes).expect("fallback index json");
            index["manifests"].as_array().cloned().unwrap_or_default()
        }
        None => Vec::new(),
    };
    if !descriptors.iter().any(|d| d["digest"] == json!(digest)) {
        descriptors.push(referrer_descriptor(&referrer.manifest));
    }
    p.manifest_put(repo, &tag, &fallback_index(descriptors));
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_tags_and_the_empty_blob() {
        assert_eq!(digest_tag("sha256:abc"), "sha256-abc");
        assert_eq!(oci::empty_config().digest, EMPTY_DIGEST);
        assert_eq!(host_of("http://127.0.0.1:5000/"), "127.0.0.1:5000");
        assert_eq!(fake_signature(b"x", 71).len(), 71);
        assert_ne!(fake_signature(b"x", 8), fake_signature(b"y", 8));
    }

    #[test]
    fn fallback_descriptors_carry_artifact_type_and_annotations() {
        let subject = json!({ "mediaType": OCI_MANIFEST, "digest": EMPTY_DIGEST, "size": 2 });
        let sbom = oci::referrer(
            oci::empty_config(),
            vec![Blob::new(b"{}".to_vec(), SPDX_JSON)],
            SPDX_JSON,
            &subject,
            &[(CREATED_ANNOTATION, SIGNED_AT)],
        );
        let d = referrer_descriptor(&sbom.manifest);
        assert_eq!(d["artifactType"], SPDX_JSON);
        assert_eq!(d["annotations"][CREATED_ANNOTATION], SIGNED_AT);
        assert_eq!(d["size"], sbom.manifest.bytes.len());
        let value: Value = serde_json::from_slice(&sbom.manifest.bytes).unwrap();
        assert_eq!(value["subject"], subject);
        assert_eq!(value["config"]["digest"], EMPTY_DIGEST);
    }
}
