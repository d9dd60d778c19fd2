//! Repository names, tags, digests and references, validated by the distribution grammar.
//!
//! Parsing happens before anything is sent, so a bad name is refused with a message that says
//! which rule it broke instead of a 400 from the registry. The newtypes make the type system carry
//! the difference between "a tag" and "a digest": an operation that needs a digest takes a
//! [`Digest`].

use std::fmt;

/// Longest repository name distribution accepts.
pub const MAX_REPOSITORY_LEN: usize = 255;
/// Longest tag the spec allows.
pub const MAX_TAG_LEN: usize = 128;

/// Why a name was refused; the text is meant for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// What was being parsed: "repository name", "tag" or "digest".
    pub kind: &'static str,
    /// The refused input.
    pub input: String,
    /// Which rule it broke.
    pub reason: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "“{}” is not a valid {}: {}", self.input, self.kind, self.reason)
    }
}

impl std::error::Error for NameError {}

fn refuse(kind: &'static str, input: &str, reason: impl Into<String>) -> NameError {
    NameError { kind, input: input.to_string(), reason: reason.into() }
}

/// A repository name such as `team/app/api`: lowercase path components joined by `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository(String);

impl Repository {
    /// Parses a repository name by the distribution grammar
    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        const KIND: &str = "repository name";
        if input.is_empty() {
            return Err(refuse(KIND, input, "it is empty"));
        }
        if input.len() > MAX_REPOSITORY_LEN {
            return Err(refuse(KIND, input, format!("it is longer than {MAX_REPOSITORY_LEN} characters")));
        }
        if input.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(refuse(KIND, input, "repository names are lowercase"));
        }
        for component in input.split('/') {
            if component.is_empty() {
                return Err(refuse(KIND, input, "it has an empty path component (a leading, trailing or double “/”)"));
            }
            check_path_component(component).map_err(|reason| refuse(KIND, input, reason))?;
        }
        Ok(Repository(input.to_string()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One component: alphanumeric runs joined by exactly one of `.`, `_`, `__` or a run of `-`.
fn check_path_component(component: &str) -> Result<(), String> {
    let bytes = component.as_bytes();
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return Err(format!("“{component}” must start and end with a lowercase letter or digit"));
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if is_alnum(b) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let allowed = separator == "." || separator == "_" || separator == "__" || separator.bytes().all(|c| c == b'-');
        if !allowed {
            return Err(format!(
                "“{separator}” in “{component}” is not allowed: letters and digits may be joined only by “.”, “_”, “__” or dashes"
            ));
        }
    }
    Ok(())
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`, case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Parses a tag by the spec's grammar.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        const KIND: &str = "tag";
        let mut chars = input.chars();
        let Some(first) = chars.next() else {
            return Err(refuse(KIND, input, "it is empty"));
        };
        if input.chars().count() > MAX_TAG_LEN {
            return Err(refuse(KIND, input, format!("it is longer than {MAX_TAG_LEN} characters")));
        }
        if !(first.is_ascii_alphanumeric() || first == '_') {
            return Err(refuse(KIND, input, "it must start with a letter, a digit or “_”"));
        }
        if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            return Err(refuse(KIND, input, format!("“{bad}” is not allowed; use letters, digits, “.”, “_” and “-”")));
        }
        Ok(Tag(input.to_string()))
    }

    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A content digest `algorithm:encoded`. Only sha256 can be computed here, but other
/// algorithms are carried through so that a registry using them is still browsable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parses a digest; sha256 must be 64 lowercase hex digits, sha512 128.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        const KIND: &str = "digest";
        let Some((algorithm, encoded)) = input.split_once(':') else {
            return Err(refuse(KIND, input, "it must look like sha256:<64 hex digits>"));
        };
        let algorithm_ok = !algorithm.is_empty()
            && algorithm
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'_' | b'-'));
        if !algorithm_ok {
            return Err(refuse(KIND, input, "the algorithm must be lowercase, such as sha256"));
        }
        let expected_len = match algorithm {
            "sha256" => Some(64),
            "sha512" => Some(128),
            _ => None,
        };
        if let Some(len) = expected_len {
            if encoded.len() != len || !encoded.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(refuse(KIND, input, format!("{algorithm} takes exactly {len} lowercase hex digits")));
            }
        } else if encoded.is_empty()
            || !encoded.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
        {
            return Err(refuse(KIND, input, "the encoded part is empty or has characters a digest can't have"));
        }
        Ok(Digest(input.to_string()))
    }

    /// The digest as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The algorithm part, such as `sha256`.
    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map(|(a, _)| a).unwrap_or("")
    }

    /// The hex part.
    pub fn encoded(&self) -> &str {
        self.0.split_once(':').map(|(_, e)| e).unwrap_or("")
    }

    /// A short form for tables: `sha256:` and the first 12 hex digits.
    pub fn short(&self) -> String {
        let encoded = self.encoded();
        format!("{}:{}", self.algorithm(), &encoded[..encoded.len().min(12)])
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What follows the repository name in a manifest URL: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// A (mutable) tag.
    Tag(Tag),
    /// An (immutable) digest.
    Digest(Digest),
}

impl Reference {
    /// A string with a `:` is a digest; anything else must be a tag.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        if input.contains(':') {
            Digest::parse(input).map(Reference::Digest)
        } else {
            Tag::parse(input).map(Reference::Tag)
        }
    }

    /// The reference as it goes into a URL.
    pub fn as_str(&self) -> &str {
        match self {
            Reference::Tag(t) => t.as_str(),
            Reference::Digest(d) => d.as_str(),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        let valid = ["a", "library/alpine", "team/app/api", "a.b", "a_b", "a__b", "a---b", "x9/y-z.w_v"];
        for name in valid {
            assert!(Repository::parse(name).is_ok(), "{name} should be valid");
        }
        let invalid = [
            ("", "empty"),
            ("Alpine", "lowercase"),
            ("/a", "empty path component"),
            ("a/", "empty path component"),
            ("a//b", "empty path component"),
            ("-a", "start and end"),
            ("a.", "start and end"),
            ("a..b", "“..”"),
            ("a___b", "“___”"),
            ("a._b", "“._”"),
            ("a b", "“ ”"),
            ("a:b", "“:”"),
        ];
        for (name, why) in invalid {
            let err = Repository::parse(name).expect_err(name);
            assert!(err.to_string().contains(why), "{name}: {err}");
        }
        let long = "a".repeat(256);
        assert!(Repository::parse(&long).unwrap_err().reason.contains("255"));
        assert!(Repository::parse(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn tags() {
        for tag in ["latest", "v1.2.3", "_x", "1", "A-b_c.d", &"a".repeat(128)] {
            assert!(Tag::parse(tag).is_ok(), "{tag}");
        }
        let invalid = [
            ("", "empty"),
            (".hidden", "start with"),
            ("-x", "start with"),
            ("bad tag", "“ ”"),
            ("a/b", "“/”"),
            ("a:b", "“:”"),
            ("naïve", "“ï”"),
        ];
        for (tag, why) in invalid {
            let err = Tag::parse(tag).expect_err(tag);
            assert!(err.to_string().contains(why), "{tag}: {err}");
        }
        assert!(Tag::parse(&"a".repeat(129)).unwrap_err().reason.contains("128"));
    }

    #[test]
    fn digests() {
        let hex = "a".repeat(64);
        let d = Digest::parse(&format!("sha256:{hex}")).unwrap();
        assert_eq!(d.algorithm(), "sha256");
        assert_eq!(d.encoded(), hex);
        assert_eq!(d.short(), "sha256:aaaaaaaaaaaa");
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err(), "uppercase hex");
        assert!(Digest::parse("sha256:abc").is_err(), "too short");
        assert!(Digest::parse(&format!("sha512:{}", "0".repeat(128))).is_ok());
        assert!(Digest::parse("nocolon").is_err());
        assert!(Digest::parse(":abc").is_err());
    }

    #[test]
    fn references() {
        assert!(matches!(Reference::parse("v1").unwrap(), Reference::Tag(_)));
        let digest = format!("sha256:{}", "0".repeat(64));
        assert!(matches!(Reference::parse(&digest).unwrap(), Reference::Digest(_)));
        assert_eq!(Reference::parse("sha256:zz").unwrap_err().kind, "digest");
    }
}
