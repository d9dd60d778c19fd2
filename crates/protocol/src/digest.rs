//! Digests of exact bytes, and what a registry's `Docker-Content-Digest` header says about them.

use sha2::{Digest as _, Sha256};

use crate::names::Digest;

/// `sha256:` + lowercase hex of exactly these bytes.
pub fn sha256_of(bytes: &[u8]) -> Digest {
    let hash = Sha256::digest(bytes);
    Digest::parse(&format!("sha256:{hash:x}")).expect("sha256 hex is always a valid digest")
}

/// The result of comparing computed bytes with the registry's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderCheck {
    /// The header equals the digest of the bytes.
    Matches,
    /// The header names another digest.
    Differs {
        /// What the registry said.
        header: String,
    },
    /// No header was visible: the registry did not send it, or CORS did not expose it.
    Absent,
    /// The header uses an algorithm this client cannot compute.
    Unverifiable {
        /// What the registry said.
        header: String,
    },
}

/// Compares the registry's `Docker-Content-Digest` value with the digest of the bytes.
pub fn check_header(computed: &Digest, header: Option<&str>) -> HeaderCheck {
    match header.map(str::trim) {
        None | Some("") => HeaderCheck::Absent,
        Some(h) if h == computed.as_str() => HeaderCheck::Matches,
        Some(h) if !h.starts_with("sha256:") => HeaderCheck::Unverifiable { header: h.to_string() },
        Some(h) => HeaderCheck::Differs { header: h.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(sha256_of(b"").as_str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn whitespace_changes_the_digest() {
        assert_ne!(sha256_of(b"{\"a\":1}"), sha256_of(b"{\"a\": 1}"));
    }

    #[test]
    fn header_checks() {
        let d = sha256_of(b"x");
        assert_eq!(check_header(&d, Some(d.as_str())), HeaderCheck::Matches);
        assert_eq!(check_header(&d, None), HeaderCheck::Absent);
        assert_eq!(check_header(&d, Some("")), HeaderCheck::Absent);
        let other = sha256_of(b"y");
        assert_eq!(check_header(&d, Some(other.as_str())), HeaderCheck::Differs { header: other.to_string() });
        assert!(matches!(check_header(&d, Some("sha512:00")), HeaderCheck::Unverifiable { .. }));
    }
}
