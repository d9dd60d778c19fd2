//! A large catalog as a tree of namespaces: repositories grouped by their first path components
//! (`team/app/api` is in `team`, then `team/app`), each group with how many repositories it
//! holds, opened one level at a time.

use std::collections::BTreeSet;

/// One level of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Level {
    /// The namespaces directly under it: their path and how many repositories each holds (at
    /// any depth), by name.
    pub namespaces: Vec<(String, usize)>,
    /// The repositories directly in it, full names, in the catalog's order.
    pub repositories: Vec<String>,
}

/// The level `under` (`""`: the top) of the tree of `names`.
pub fn level(names: &[String], under: &str) -> Level {
    let prefix = if under.is_empty() { String::new() } else { format!("{under}/") };
    let mut level = Level::default();
    for name in names {
        let Some(rest) = name.strip_prefix(prefix.as_str()) else { continue };
        match rest.split_once('/') {
            None => level.repositories.push(name.clone()),
            Some((first, _)) => {
                let path = format!("{prefix}{first}");
                match level.namespaces.iter_mut().find(|(p, _)| *p == path) {
                    Some((_, count)) => *count += 1,
                    None => level.namespaces.push((path, 1)),
                }
            }
        }
    }
    level.namespaces.sort();
    level
}

/// The repositories shown when the namespaces in `open` are open, in the tree's order (a level's
/// namespaces, each followed by what it shows, then its own repositories).
pub fn shown(names: &[String], open: &BTreeSet<String>) -> Vec<String> {
    fn walk(names: &[String], under: &str, open: &BTreeSet<String>, out: &mut Vec<String>) {
        let level = level(names, under);
        for (path, _) in &level.namespaces {
            if open.contains(path) {
                walk(names, path, open, out);
            }
        }
        out.extend(level.repositories);
    }
    let mut out = Vec::new();
    walk(names, "", open, &mut out);
    out
}

/// `a/b/c` → `["a", "a/b", "a/b/c"]`: the namespaces to open for a deep link to `path`.
pub fn ancestors(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    (1..=parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// The last component of a namespace's path, for its label.
pub fn leaf(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_level_holds_its_repositories_and_counts_its_namespaces() {
        let catalog = names(&["alpine", "team/app/api", "team/app/web", "team/db", "ops/ci", "zeta", "team/app"]);
        let top = level(&catalog, "");
        assert_eq!(top.repositories, ["alpine", "zeta"]);
        assert_eq!(top.namespaces, [("ops".to_string(), 1), ("team".to_string(), 4)]);
        let team = level(&catalog, "team");
        assert_eq!(
            team.repositories,
            ["team/db", "team/app"],
            "catalog order; a repository can share a namespace's name"
        );
        assert_eq!(team.namespaces, [("team/app".to_string(), 2)]);
        assert_eq!(level(&catalog, "team/app").repositories, ["team/app/api", "team/app/web"]);
        assert_eq!(level(&catalog, "nothing"), Level::default());
        // "te" is not a prefix of "team/…" as a namespace.
        assert_eq!(level(&catalog, "te"), Level::default());
    }

    #[test]
    fn shown_lists_what_the_open_namespaces_show() {
        let catalog = names(&["alpine", "team/app/api", "team/db", "ops/ci"]);
        assert_eq!(shown(&catalog, &BTreeSet::new()), ["alpine"]);
        let open: BTreeSet<String> = ["team".to_string(), "team/app".to_string()].into();
        assert_eq!(shown(&catalog, &open), ["team/app/api", "team/db", "alpine"]);
        // A namespace open under a closed one shows nothing.
        let inner: BTreeSet<String> = ["team/app".to_string()].into();
        assert_eq!(shown(&catalog, &inner), ["alpine"]);
    }

    #[test]
    fn a_deep_link_opens_every_ancestor() {
        assert_eq!(ancestors("a/b/c"), ["a", "a/b", "a/b/c"]);
        assert_eq!(ancestors("/a//b/"), ["a", "a/b"]);
        assert!(ancestors("").is_empty());
        assert_eq!(leaf("a/b/c"), "c");
    }
}
