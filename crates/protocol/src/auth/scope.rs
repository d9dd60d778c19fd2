//! Token scopes: `repository:<name>:<actions>` and `registry:catalog:*`, what each request needs,
//! and unions (one token for everything a page is doing in a realm).

use std::fmt;

use crate::http::Method;

/// A resource and the actions wanted on it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scope {
    /// `repository` or `registry`.
    pub kind: String,
    /// Repository name (may contain `host:port/`), or `catalog`.
    pub name: String,
    /// Sorted, de-duplicated actions (`delete`, `pull`, `push`, `*`).
    pub actions: Vec<String>,
}

impl Scope {
    /// Parses `kind:name:actions`; the name may itself contain `:` (a `host:port` prefix), so the
    /// kind ends at the first colon and the actions start after the last.
    pub fn parse(text: &str) -> Option<Scope> {
        let (kind, rest) = text.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        let mut actions: Vec<String> = actions.split(',').filter(|a| !a.is_empty()).map(str::to_string).collect();
        actions.sort_unstable();
        actions.dedup();
        Some(Scope { kind: kind.to_string(), name: name.to_string(), actions })
    }

    /// `repository:<name>:<actions>`.
    pub fn repository(name: &str, actions: &[&str]) -> Scope {
        let mut actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
        actions.sort_unstable();
        actions.dedup();
        Scope { kind: "repository".into(), name: name.into(), actions }
    }

    /// Whether this scope grants everything `other` asks for.
    pub fn covers(&self, other: &Scope) -> bool {
        self.kind == other.kind
            && self.name == other.name
            && other.actions.iter().all(|a| self.actions.contains(a) || self.actions.iter().any(|s| s == "*"))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.kind, self.name, self.actions.join(","))
    }
}

/// Parses a space-separated scope list as challenges send it.
pub fn parse_scopes(text: &str) -> Vec<Scope> {
    text.split_whitespace().filter_map(Scope::parse).collect()
}

/// Merges scope lists: one entry per resource, with the union of actions, in a stable order.
pub fn union(lists: &[&[Scope]]) -> Vec<Scope> {
    // Kept sorted by (kind, name) as it grows, a binary search placing each new resource: the
    // order a map keyed by them gives, without a map of that type in the bundle.
    let mut merged: Vec<Scope> = Vec::new();
    for scope in lists.iter().flat_map(|l| l.iter()) {
        let key = (scope.kind.as_str(), scope.name.as_str());
        match merged.binary_search_by(|m| (m.kind.as_str(), m.name.as_str()).cmp(&key)) {
            Ok(i) => merged[i].actions.extend(scope.actions.iter().cloned()),
            Err(i) => merged.insert(i, scope.clone()),
        }
    }
    for scope in &mut merged {
        scope.actions.sort_unstable();
        scope.actions.dedup();
    }
    merged
}

/// Whether every scope in `wanted` is covered by one in `granted`.
pub fn all_covered(granted: &[Scope], wanted: &[Scope]) -> bool {
    wanted.iter().all(|w| granted.iter().any(|g| g.covers(w)))
}

/// The scopes a request needs, from its method and URL: pull to read, pull+push to write, delete to
/// delete, catalog for `_catalog`, and pull on the source of a cross-repository mount.
pub fn needed_for(method: Method, url: &str) -> Vec<Scope> {
    let Some(after) = url.split_once("/v2/").map(|(_, a)| a) else { return Vec::new() };
    let (path, query) = after.split_once('?').unwrap_or((after, ""));
    if path.starts_with("_catalog") {
        return vec![Scope { kind: "registry".into(), name: "catalog".into(), actions: vec!["*".into()] }];
    }
    // The name is everything before the route's own part, read from the end: a repository may
    // itself be called `team/manifests/app`.
    let name = if let Some(n) = path.strip_suffix("/tags/list") {
        Some(n)
    } else if let Some((n, _)) = path.rsplit_once("/blobs/uploads") {
        Some(n)
    } else {
        ["/manifests/", "/blobs/", "/referrers/"]
            .iter()
            .filter_map(|m| path.rsplit_once(m).filter(|(_, rest)| !rest.contains('/')).map(|(n, _)| n))
            .max_by_key(|n| n.len())
    };
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Vec::new();
    };
    let actions: &[&str] = match method {
        Method::Get | Method::Head => &["pull"],
        Method::Delete => &["delete"],
        _ => &["pull", "push"],
    };
    let mut scopes = vec![Scope::repository(name, actions)];
    if let Some(from) = query.split('&').find_map(|kv| kv.strip_prefix("from=")) {
        scopes.push(Scope::repository(&crate::address::percent_decode(from), &["pull"]));
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_with_host_port_names() {
        let s = Scope::parse("repository:localhost:5000/team/app:push,pull").unwrap();
        assert_eq!(s.name, "localhost:5000/team/app");
        assert_eq!(s.actions, ["pull", "push"]);
        assert_eq!(s.to_string(), "repository:localhost:5000/team/app:pull,push");
        assert!(Scope::parse("nonsense").is_none());
        assert_eq!(parse_scopes("repository:a:pull registry:catalog:*").len(), 2);
    }

    #[test]
    fn unions_merge_actions_per_resource() {
        let a = parse_scopes("repository:a:pull");
        let b = parse_scopes("repository:a:push repository:b:pull");
        let u = union(&[&a, &b]);
        assert_eq!(
            u.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["repository:a:pull,push", "repository:b:pull"]
        );
        assert!(all_covered(&u, &a) && all_covered(&u, &b));
        assert!(!all_covered(&a, &b));
        let star = parse_scopes("registry:catalog:*");
        assert!(all_covered(&star, &star));
    }

    #[test]
    fn scopes_needed_per_request() {
        let table = [
            (Method::Get, "http://r/v2/team/app/manifests/v1", "repository:team/app:pull"),
            (Method::Head, "/v2/a/blobs/sha256:00", "repository:a:pull"),
            (Method::Put, "http://r/v2/a/manifests/v1", "repository:a:pull,push"),
            (Method::Delete, "http://r/v2/a/manifests/sha256:00", "repository:a:delete"),
            (Method::Get, "http://r/v2/_catalog?n=1000", "registry:catalog:*"),
            (Method::Get, "http://r/v2/a/tags/list", "repository:a:pull"),
            (Method::Get, "http://r/v2/team/manifests/app/manifests/v1", "repository:team/manifests/app:pull"),
            (Method::Put, "http://r/v2/x/blobs/y/blobs/uploads/u1?_state=s", "repository:x/blobs/y:pull,push"),
            (
                Method::Post,
                "http://r/v2/dst/blobs/uploads/?mount=sha256:00&from=src%2Fimg",
                "repository:dst:pull,push repository:src/img:pull",
            ),
        ];
        for (method, url, expected) in table {
            let got: Vec<String> = needed_for(method, url).iter().map(ToString::to_string).collect();
            assert_eq!(got.join(" "), expected, "{method} {url}");
        }
        assert!(needed_for(Method::Get, "http://r/v2/").is_empty());
    }
}
