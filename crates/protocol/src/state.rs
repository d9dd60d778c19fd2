//! What a tag holds before a change and how a write compares with its source: the two facts
//! every plan and every report are made of. A leaf of plain types.

use crate::error::Error;
use crate::names::Digest;

/// What a target tag holds before a change writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    /// The tag does not exist: it will be created.
    New,
    /// The tag already points at the source digest: writing it changes nothing.
    AlreadySource,
    /// The tag points at another image: writing moves it. Needs confirmation.
    Moves {
        /// The digest it holds now.
        from: Digest,
    },
}

impl TargetState {
    /// What the target holds now, given the source digest (`None`: nothing).
    pub fn current<'a>(&'a self, source: &'a Digest) -> Option<&'a Digest> {
        match self {
            TargetState::New => None,
            TargetState::AlreadySource => Some(source),
            TargetState::Moves { from } => Some(from),
        }
    }

    /// Whether writing the target moves an existing tag.
    pub fn moves(&self) -> bool {
        matches!(self, TargetState::Moves { .. })
    }
}

/// The one rule for a target: what it holds (`current`, from a lookup; `None`: it does not exist)
/// compared with the source (`None`: the source tag vanished, so nothing is "in place").
pub fn target_state(source: Option<&Digest>, current: Option<Digest>) -> TargetState {
    match current {
        None => TargetState::New,
        Some(d) if Some(&d) == source => TargetState::AlreadySource,
        Some(from) => TargetState::Moves { from },
    }
}

/// How a written tag compares with its source: the one "stored and verified" type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The registry answered the source's digest.
    Verified,
    /// Stored, but the registry's `Docker-Content-Digest` is hidden (CORS), so it cannot be
    /// compared.
    Unverifiable,
    /// The registry answered another digest: it stored other bytes under the tag.
    Differs {
        /// The digest it answered.
        answered: String,
    },
}

impl Stored {
    /// Compares the digest a PUT answered (`None`: hidden) with the source's.
    pub fn from_answer(source: &Digest, answered: Option<&str>) -> Stored {
        match answered {
            None => Stored::Unverifiable,
            Some(d) if d == source.as_str() => Stored::Verified,
            Some(d) => Stored::Differs { answered: d.to_string() },
        }
    }

    /// Whether the tag now holds the source (verified, or as far as can be seen).
    pub fn holds_source(&self) -> bool {
        !matches!(self, Stored::Differs { .. })
    }

    /// `Some(true)` verified, `Some(false)` differs, `None` not verifiable.
    pub fn matches_source(&self) -> Option<bool> {
        match self {
            Stored::Verified => Some(true),
            Stored::Unverifiable => None,
            Stored::Differs { .. } => Some(false),
        }
    }

    /// The error a tag that holds other bytes is reported as.
    pub fn mismatch(&self, place: String, source: &Digest) -> Option<Error> {
        match self {
            Stored::Differs { answered } => {
                Some(Error::DigestMismatch { url: place, expected: source.to_string(), actual: answered.clone() })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_of;

    #[test]
    fn target_states_and_stored() {
        let (a, b) = (sha256_of(b"a"), sha256_of(b"b"));
        assert_eq!(target_state(Some(&a), None), TargetState::New);
        assert_eq!(target_state(Some(&a), Some(a.clone())), TargetState::AlreadySource);
        assert_eq!(target_state(Some(&a), Some(b.clone())), TargetState::Moves { from: b.clone() });
        assert_eq!(
            target_state(None, Some(a.clone())),
            TargetState::Moves { from: a.clone() },
            "a vanished source is never in place"
        );
        assert_eq!(Stored::from_answer(&a, Some(a.as_str())), Stored::Verified);
        assert_eq!(Stored::from_answer(&a, None), Stored::Unverifiable);
        let differs = Stored::from_answer(&a, Some(b.as_str()));
        assert!(!differs.holds_source());
        assert!(matches!(differs.mismatch("r:t".into(), &a), Some(Error::DigestMismatch { .. })));
        assert_eq!(Stored::Verified.mismatch("r:t".into(), &a), None);
    }
}
