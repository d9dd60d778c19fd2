//! Deep links: every view of the app has a path, and every path names one view.
//!
//! ```text
//! /r/<registry>                                   catalog
//! /r/<registry>/-/selftest                        CORS and auth self-test
//! /r/<registry>/<repository…>                     tags
//! /r/<registry>/<repository…>/-/manifest/<ref>    manifest (tag or digest)
//! /r/<registry>/<repository…>/-/retag/<ref>       retag form
//! /r/<registry>/<repository…>/-/copy/<ref>        copy to another repository or registry
//! /r/<registry>/<repository…>/-/delete/<ref>      delete a tag, or a manifest by digest
//! /r/<registry>/<repository…>/-/cleanup          clean-up with retention rules
//! /r/<registry>/-/journal                         the journal of changes, with undo
//! ```
//! `<registry>` is `same-origin`, `http:host:port` / `https:host`, or either with a path prefix
//! whose slashes are written `%2F` (`%2Fhub` for this site's `/hub`, `https:gw%2Fhub`). Repository names keep their
//! `/`; the `-` component cannot be part of a repository name, so it separates the two safely.

use crate::names::{NameError, Reference, Repository};
use crate::requests::RegistryUrl;

/// One view of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// The repository list.
    Catalog {
        /// Which registry.
        registry: RegistryUrl,
    },
    /// A repository's tags.
    Tags {
        /// Which registry.
        registry: RegistryUrl,
        /// Which repository.
        repository: Repository,
    },
    /// One manifest, index or image.
    Manifest {
        /// Which registry.
        registry: RegistryUrl,
        /// Which repository.
        repository: Repository,
        /// Tag or digest.
        reference: Reference,
    },
    /// The copy form for a source tag or digest (to another repository).
    Copy {
        /// Which registry.
        registry: RegistryUrl,
        /// Which repository.
        repository: Repository,
        /// The source tag or digest.
        reference: Reference,
    },
    /// Clean-up of a repository with retention rules.
    Cleanup {
        /// Which registry.
        registry: RegistryUrl,
        /// Which repository.
        repository: Repository,
    },
    /// The CORS and auth self-test of a registry.
    SelfTest {
        /// Which registry.
        registry: RegistryUrl,
    },
    /// The journal of changes (every registry's; opened from this one).
    Journal {
        /// The registry it was opened from.
        registry: RegistryUrl,
    },
    /// Delete a tag (alone), or a manifest by digest.
    Delete {
        /// Which registry.
        registry: RegistryUrl,
        /// Which repository.
        repository: Repository,
        /// The tag or digest.
        reference: Reference,
    },
    /// The retag form for a source tag or digest.
    Retag {
        /// Which registry.
        registry: RegistryUrl,
        /// Which repository.
        repository: Repository,
        /// The source tag or digest.
        reference: Reference,
    },
}

/// Why a path names no view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// The registry part is not an address.
    Registry(String),
    /// A name in the path is invalid.
    Name(NameError),
    /// The path has an unknown shape.
    Shape(String),
}

impl std::fmt::Display for AddressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddressError::Registry(s) | AddressError::Shape(s) => f.write_str(s),
            AddressError::Name(e) => write!(f, "{e}"),
        }
    }
}

/// The registry as one path segment. A path prefix keeps its slashes as `%2F`, so the segment
/// stays one segment: `/hub` → `%2Fhub`, `https://gw/hub` → `https:gw%2Fhub`.
pub fn registry_segment(registry: &RegistryUrl) -> String {
    match registry {
        RegistryUrl::SameOrigin => RegistryUrl::SAME_ORIGIN.to_string(),
        RegistryUrl::Path(p) => p.replace('/', "%2F"),
        RegistryUrl::Origin(o) => o.replacen("://", ":", 1).replace('/', "%2F"),
    }
}

fn parse_registry_segment(segment: &str) -> Result<RegistryUrl, AddressError> {
    let as_url = match segment.split_once(':') {
        Some((scheme @ ("http" | "https"), rest)) => format!("{scheme}://{rest}"),
        _ => segment.to_string(),
    };
    RegistryUrl::parse(&as_url).map_err(|e| AddressError::Registry(e.0))
}

impl View {
    /// The registry every view is about.
    pub fn registry(&self) -> &RegistryUrl {
        match self {
            View::Catalog { registry }
            | View::SelfTest { registry }
            | View::Journal { registry }
            | View::Delete { registry, .. }
            | View::Tags { registry, .. }
            | View::Cleanup { registry, .. }
            | View::Manifest { registry, .. }
            | View::Retag { registry, .. }
            | View::Copy { registry, .. } => registry,
        }
    }

    /// The path of this view, starting with `/r/`.
    pub fn to_path(&self) -> String {
        let reg = registry_segment(self.registry());
        match self {
            View::Catalog { .. } => format!("/r/{reg}"),
            View::SelfTest { .. } => format!("/r/{reg}/-/selftest"),
            View::Journal { .. } => format!("/r/{reg}/-/journal"),
            View::Delete { repository, reference, .. } => format!("/r/{reg}/{repository}/-/delete/{reference}"),
            View::Tags { repository, .. } => format!("/r/{reg}/{repository}"),
            View::Cleanup { repository, .. } => format!("/r/{reg}/{repository}/-/cleanup"),
            View::Manifest { repository, reference, .. } => format!("/r/{reg}/{repository}/-/manifest/{reference}"),
            View::Retag { repository, reference, .. } => format!("/r/{reg}/{repository}/-/retag/{reference}"),
            View::Copy { repository, reference, .. } => format!("/r/{reg}/{repository}/-/copy/{reference}"),
        }
    }

    /// Parses what follows `/r/` (a leading `/r/` is accepted too).
    pub fn parse(path: &str) -> Result<View, AddressError> {
        let path = path.trim_start_matches('/');
        let path = path.strip_prefix("r/").unwrap_or(path);
        let path = path.trim_end_matches('/');
        let (reg, rest) = path.split_once('/').unwrap_or((path, ""));
        let registry = parse_registry_segment(&percent_decode(reg))?;
        if rest.is_empty() {
            return Ok(View::Catalog { registry });
        }
        match rest {
            "-/selftest" => return Ok(View::SelfTest { registry }),
            "-/journal" => return Ok(View::Journal { registry }),
            _ => {}
        }
        let (repo_part, action) = match rest.split_once("/-/") {
            Some((repo, action)) => (repo, Some(action)),
            None => (rest, None),
        };
        let repository = Repository::parse(repo_part).map_err(AddressError::Name)?;
        let Some(action) = action else {
            return Ok(View::Tags { registry, repository });
        };
        let (verb, arg) = action.split_once('/').unwrap_or((action, ""));
        let reference = || Reference::parse(&percent_decode(arg)).map_err(AddressError::Name);
        match verb {
            "tags" if arg.is_empty() => Ok(View::Tags { registry, repository }),
            "cleanup" if arg.is_empty() => Ok(View::Cleanup { registry, repository }),
            "manifest" => Ok(View::Manifest { registry, repository, reference: reference()? }),
            "retag" => Ok(View::Retag { registry, repository, reference: reference()? }),
            "copy" => Ok(View::Copy { registry, repository, reference: reference()? }),
            "delete" => Ok(View::Delete { registry, repository, reference: reference()? }),
            _ => Err(AddressError::Shape(format!("“{action}” is not a view of Wharf"))),
        }
    }
}

/// Decodes `%XX` escapes a browser may have put into a path (e.g. `%3A` for `:`).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> RegistryUrl {
        RegistryUrl::Origin("http://127.0.0.1:5000".into())
    }

    #[test]
    fn round_trips() {
        let repo = Repository::parse("team/app/api").unwrap();
        let digest = Reference::parse(&format!("sha256:{}", "ab".repeat(32))).unwrap();
        let views = [
            View::Catalog { registry: reg() },
            View::Catalog { registry: RegistryUrl::SameOrigin },
            View::SelfTest { registry: reg() },
            View::Tags { registry: reg(), repository: repo.clone() },
            View::Cleanup { registry: reg(), repository: repo.clone() },
            View::Manifest { registry: reg(), repository: repo.clone(), reference: Reference::parse("v1.0").unwrap() },
            View::Manifest {
                registry: RegistryUrl::Origin("https://r.example".into()),
                repository: repo.clone(),
                reference: digest.clone(),
            },
            View::Retag { registry: reg(), repository: repo.clone(), reference: digest.clone() },
            View::Copy { registry: reg(), repository: repo.clone(), reference: digest.clone() },
            View::Delete { registry: reg(), repository: repo, reference: digest },
            View::Journal { registry: RegistryUrl::SameOrigin },
            View::Tags {
                registry: RegistryUrl::Path("/hub".into()),
                repository: Repository::parse("library/alpine").unwrap(),
            },
            View::SelfTest { registry: RegistryUrl::Path("/a/b".into()) },
            View::Catalog { registry: RegistryUrl::Origin("https://gw.example.com/hub".into()) },
        ];
        for view in views {
            let path = view.to_path();
            assert_eq!(View::parse(&path).unwrap(), view, "{path}");
        }
    }

    #[test]
    fn prefixed_registries_stay_one_segment() {
        let view = View::Tags {
            registry: RegistryUrl::Path("/hub".into()),
            repository: Repository::parse("library/alpine").unwrap(),
        };
        assert_eq!(view.to_path(), "/r/%2Fhub/library/alpine");
        let gateway = View::parse("/r/https:gw.example.com%2Fhub/a/-/manifest/v1").unwrap();
        assert_eq!(gateway.registry(), &RegistryUrl::Origin("https://gw.example.com/hub".into()));
        assert_eq!(gateway.to_path(), "/r/https:gw.example.com%2Fhub/a/-/manifest/v1");
        assert!(matches!(View::parse("/r/%2fhub").unwrap(), View::Catalog { registry: RegistryUrl::Path(_) }));
    }

    #[test]
    fn concrete_paths() {
        let view = View::parse("/r/http:127.0.0.1:5000/team/app/api/-/manifest/v1").unwrap();
        assert_eq!(view.to_path(), "/r/http:127.0.0.1:5000/team/app/api/-/manifest/v1");
        assert!(matches!(View::parse("http:127.0.0.1:5000/team/app/api/-/tags").unwrap(), View::Tags { .. }));
        assert!(matches!(View::parse("http%3A127.0.0.1%3A5000/a/").unwrap(), View::Tags { .. }));
        let digest_escaped = format!("same-origin/a/-/manifest/sha256%3A{}", "0".repeat(64));
        assert!(matches!(View::parse(&digest_escaped).unwrap(), View::Manifest { .. }));
    }

    #[test]
    fn bad_paths_say_why() {
        assert!(matches!(View::parse("ftp:x/a").unwrap_err(), AddressError::Registry(_)));
        assert!(matches!(View::parse("same-origin/Bad").unwrap_err(), AddressError::Name(_)));
        assert!(matches!(View::parse("same-origin/a/-/explode/x").unwrap_err(), AddressError::Shape(_)));
        assert!(matches!(View::parse("same-origin/a/-/manifest/bad tag").unwrap_err(), AddressError::Name(_)));
    }
}
