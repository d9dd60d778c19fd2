//! Manifest media types and the one Accept list every manifest request sends.
//!
//! The Accept list lives only here. Sending less makes distribution 2.8 rewrite a Docker v2
//! manifest into a signed schema1 with another digest, hand back the amd64 child instead of an
//! index, or answer 404 for OCI content.

use std::fmt;

/// Docker manifest list (multi-platform).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker image manifest, schema 1, signed.
pub const DOCKER_MANIFEST_V1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// Docker image manifest, schema 1, unsigned.
pub const DOCKER_MANIFEST_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// The Accept header for manifest GET and HEAD: every manifest type, indexes first.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.v1+prettyjws, \
application/vnd.docker.distribution.manifest.v1+json";

/// What kind of document a manifest response is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// [`OCI_INDEX`]
    OciIndex,
    /// [`OCI_MANIFEST`]
    OciManifest,
    /// [`DOCKER_MANIFEST_LIST`]
    DockerManifestList,
    /// [`DOCKER_MANIFEST_V2`]
    DockerManifestV2,
    /// [`DOCKER_MANIFEST_V1_SIGNED`] or [`DOCKER_MANIFEST_V1`]
    DockerSchema1(String),
    /// Anything else, kept as sent.
    Other(String),
}

impl MediaType {
    /// Parses a Content-Type or `mediaType` value, ignoring parameters and case.
    pub fn parse(value: &str) -> Self {
        let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            OCI_INDEX => MediaType::OciIndex,
            OCI_MANIFEST => MediaType::OciManifest,
            DOCKER_MANIFEST_LIST => MediaType::DockerManifestList,
            DOCKER_MANIFEST_V2 => MediaType::DockerManifestV2,
            DOCKER_MANIFEST_V1_SIGNED | DOCKER_MANIFEST_V1 => MediaType::DockerSchema1(essence),
            _ => MediaType::Other(essence),
        }
    }

    /// The media type string, without parameters.
    pub fn as_str(&self) -> &str {
        match self {
            MediaType::OciIndex => OCI_INDEX,
            MediaType::OciManifest => OCI_MANIFEST,
            MediaType::DockerManifestList => DOCKER_MANIFEST_LIST,
            MediaType::DockerManifestV2 => DOCKER_MANIFEST_V2,
            MediaType::DockerSchema1(s) | MediaType::Other(s) => s,
        }
    }

    /// An index of per-platform manifests (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        matches!(self, MediaType::OciIndex | MediaType::DockerManifestList)
    }

    /// A single image manifest (OCI or Docker schema 2).
    pub fn is_image(&self) -> bool {
        matches!(self, MediaType::OciManifest | MediaType::DockerManifestV2)
    }

    /// Docker's deprecated signed schema 1.
    pub fn is_schema1(&self) -> bool {
        matches!(self, MediaType::DockerSchema1(_))
    }

    /// A human name for the format.
    pub fn describe(&self) -> &'static str {
        match self {
            MediaType::OciIndex => "OCI image index",
            MediaType::OciManifest => "OCI image manifest",
            MediaType::DockerManifestList => "Docker manifest list",
            MediaType::DockerManifestV2 => "Docker image manifest v2",
            MediaType::DockerSchema1(_) => "Docker schema 1 (deprecated, signed)",
            MediaType::Other(_) => "unrecognised manifest type",
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_parameters_and_case() {
        let table = [
            ("application/vnd.oci.image.index.v1+json", MediaType::OciIndex),
            ("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8", MediaType::DockerManifestV2),
            ("Application/VND.OCI.image.manifest.v1+json", MediaType::OciManifest),
            (DOCKER_MANIFEST_LIST, MediaType::DockerManifestList),
            (DOCKER_MANIFEST_V1_SIGNED, MediaType::DockerSchema1(DOCKER_MANIFEST_V1_SIGNED.into())),
            ("text/html", MediaType::Other("text/html".into())),
        ];
        for (input, expected) in table {
            assert_eq!(MediaType::parse(input), expected, "{input}");
        }
    }

    #[test]
    fn accept_list_names_every_manifest_type() {
        for mt in [
            OCI_INDEX,
            OCI_MANIFEST,
            DOCKER_MANIFEST_LIST,
            DOCKER_MANIFEST_V2,
            DOCKER_MANIFEST_V1_SIGNED,
            DOCKER_MANIFEST_V1,
        ] {
            assert!(MANIFEST_ACCEPT.split(", ").any(|a| a == mt), "{mt} missing");
        }
        assert!(MANIFEST_ACCEPT.starts_with(OCI_INDEX), "indexes first so no registry picks a child");
    }

    #[test]
    fn classes() {
        assert!(MediaType::OciIndex.is_index() && MediaType::DockerManifestList.is_index());
        assert!(MediaType::OciManifest.is_image() && !MediaType::OciManifest.is_index());
        assert!(MediaType::parse(DOCKER_MANIFEST_V1).is_schema1());
    }
}
