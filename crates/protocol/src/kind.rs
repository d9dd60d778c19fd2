//! What a manifest is, for people: image, index, Helm chart, signature, attestation, SBOM or
//! another artifact. A leaf: the tag list (glance), the attachments (referrers) and the pull
//! commands all tell kinds apart the same way, from the manifest alone.

use crate::manifest::ParsedManifest;

/// What a manifest is, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A container image.
    Image,
    /// An index of platform images.
    Index,
    /// A Helm chart.
    Helm,
    /// A signature (cosign, notation, sigstore bundle).
    Signature,
    /// An attestation (in-toto / DSSE).
    Attestation,
    /// A software bill of materials (SPDX, CycloneDX).
    Sbom,
    /// Any other artifact, by its `artifactType` or config media type.
    Artifact(String),
}

/// Every kind's [`Kind::key`], in the order a filter lists them, then [`SIGNED`].
pub const KIND_KEYS: [&str; 8] = ["image", "index", "helm", "signature", "attestation", "sbom", "artifact", SIGNED];

/// The filter key for images that have a signature attached.
pub const SIGNED: &str = "signed";

impl Kind {
    /// A stable short name (filters, `data-kind`).
    pub fn key(&self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Index => "index",
            Kind::Helm => "helm",
            Kind::Signature => "signature",
            Kind::Attestation => "attestation",
            Kind::Sbom => "sbom",
            Kind::Artifact(_) => "artifact",
        }
    }

    /// The name of a [`Kind::key`] for people.
    pub fn key_label(key: &str) -> &'static str {
        match key {
            "image" => "image",
            "index" => "multi-platform index",
            "helm" => "Helm chart",
            "signature" => "signature",
            "attestation" => "attestation",
            "sbom" => "SBOM",
            SIGNED => "signed image",
            _ => "other artifact",
        }
    }

    /// The artifact type an [`Kind::Artifact`] was recognised by.
    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Kind::Artifact(t) => Some(t),
            _ => None,
        }
    }

    /// Tells a manifest's kind from its published format: media types, `artifactType`, the
    /// layer types cosign and in-toto use. An index whose every entry is an artifact without a
    /// platform is the OCI 1.1 fallback index of an image's referrers.
    pub fn of(parsed: &ParsedManifest) -> Kind {
        let image = match parsed {
            ParsedManifest::Image(image) => image,
            ParsedManifest::Index(index)
                if !index.manifests.is_empty()
                    && index.manifests.iter().all(|d| d.artifact_type.is_some() && d.platform.is_none()) =>
            {
                return Kind::Artifact(REFERRERS_INDEX.into())
            }
            ParsedManifest::Index(_) => return Kind::Index,
            _ => return Kind::Artifact("unknown manifest format".into()),
        };
        let config_type = image.config.media_type.as_str();
        let declared = image.artifact_type.as_deref().unwrap_or(config_type);
        let layer_has = |needle: &str| image.layers.iter().any(|l| l.media_type.contains(needle));
        // A DSSE envelope first: cosign's attestation layers carry its signature annotation too.
        if layer_has("dsse.envelope") {
            Kind::Attestation
        } else if layer_has("cosign.simplesigning")
            || image.layers.iter().any(|l| l.annotations.contains_key("dev.cosignproject.cosign/signature"))
        {
            Kind::Signature
        } else if let Some(kind) = Kind::of_type(declared) {
            kind
        } else if image.artifact_type.is_none() && is_image_config(config_type) {
            Kind::Image
        } else {
            Kind::Artifact(declared.to_string())
        }
    }

    /// The kind an `artifactType` (or config media type) names, when it is one Wharf knows.
    pub fn of_type(declared: &str) -> Option<Kind> {
        let has = |needles: &[&str]| needles.iter().any(|n| declared.contains(n));
        if has(&["helm.config"]) {
            Some(Kind::Helm)
        } else if has(&["notary.signature", "sigstore.bundle", "cosign.signature"]) {
            Some(Kind::Signature)
        } else if has(&["in-toto", "dsse", "attestation"]) {
            Some(Kind::Attestation)
        } else if has(&["spdx", "cyclonedx", "syft"]) {
            Some(Kind::Sbom)
        } else {
            None
        }
    }
}

/// What [`Kind::of`] calls an image's fallback referrers index.
pub const REFERRERS_INDEX: &str = "OCI 1.1 referrers index";

fn is_image_config(media_type: &str) -> bool {
    matches!(media_type, "application/vnd.oci.image.config.v1+json" | "application/vnd.docker.container.image.v1+json")
}
