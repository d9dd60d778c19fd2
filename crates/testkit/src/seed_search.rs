//! Catalogs for issue 23's search and namespaces: one digest tagged in three of 33 repositories
//! and held as a platform by an index in a fourth; a catalog of repositories in namespaces.

use crate::oci::{self, Format};
use crate::seed::{app_image, Pusher};

/// What [`seed_search`] pushed.
pub struct SearchSeed {
    /// The digest searched for.
    pub target: String,
    /// The index holding it as its `linux/amd64` platform (`search/multi:latest`).
    pub index: String,
    /// `(repository, tag)` of every tag that holds the target itself.
    pub holders: Vec<(String, String)>,
    /// How many repositories and tags were pushed.
    pub repositories: usize,
    /// How many tags.
    pub tags: usize,
}

/// 32 repositories `search/r00`… with two tags of their own image each; the target image under
/// `search/r05:prod`, `search/r17:live` and `search/r29:v9`; and `search/multi:latest`, an index of
/// the target (amd64) and another image (arm64).
pub fn seed_search(base: &str) -> SearchSeed {
    let p = Pusher::new(base);
    let target = app_image(Format::Oci, "amd64", None, "search-target");
    let holders: Vec<(String, String)> = [(5, "prod"), (17, "live"), (29, "v9")]
        .iter()
        .map(|(i, t)| (format!("search/r{i:02}"), t.to_string()))
        .collect();
    for i in 0..32 {
        let repo = format!("search/r{i:02}");
        p.tagged(&repo, &app_image(Format::Oci, "amd64", None, &format!("r{i}")), &["v1", "v2"]);
    }
    for (repo, tag) in &holders {
        p.tagged(repo, &target, &[tag]);
    }
    let other = app_image(Format::Oci, "arm64", Some("v8"), "search-other");
    p.image("search/multi", &target);
    p.image("search/multi", &other);
    let index = oci::index(&[(&target, "amd64", None), (&other, "arm64", Some("v8"))], &[]);
    p.manifest("search/multi", "latest", &index);
    SearchSeed { target: target.manifest.digest, index: index.digest, holders, repositories: 33, tags: 32 * 2 + 3 + 1 }
}

/// `teams` × `per_team` repositories `org/team-NN/app-MM` and `tops` top-level ones `tool-NN`,
/// each with one tag; returns their names.
pub fn seed_namespaces(base: &str, teams: usize, per_team: usize, tops: usize) -> Vec<String> {
    let p = Pusher::new(base);
    let image = app_image(Format::Oci, "amd64", None, "namespaced");
    let mut names: Vec<String> =
        (0..teams).flat_map(|t| (0..per_team).map(move |a| format!("org/team-{t:02}/app-{a:02}"))).collect();
    names.extend((0..tops).map(|i| format!("tool-{i:02}")));
    for name in &names {
        p.tagged(name, &image, &["1.0"]);
    }
    names
}

/// The search benchmark's catalog: `repos` repositories `bench/search-NNNN` with `tags` tags each
/// (`t0`…), every one on one shared image, except that the last tag of every 300th repository
/// holds the target instead. Pushed natively, 4 threads. Returns the target's digest and how many
/// tags hold it.
pub fn seed_search_bench(base: &str, repos: usize, tags: usize) -> (String, usize) {
    let common = app_image(Format::Oci, "amd64", None, "search-bench");
    let target = app_image(Format::Oci, "amd64", None, "search-bench-target");
    let first = "bench/search-0000";
    let p = Pusher::new(base);
    p.image(first, &common);
    p.image(first, &target);
    let names: Vec<String> = (0..repos).map(|i| format!("bench/search-{i:04}")).collect();
    let holds_target = |i: usize| i % 300 == 0;
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let (names, common, target) = (&names, &common, &target);
            scope.spawn(move || {
                let p = Pusher::new(base);
                for (i, name) in names.iter().enumerate().filter(|(i, _)| i % 4 == worker) {
                    for image in [common, target] {
                        if name != first {
                            for blob in std::iter::once(&image.config).chain(&image.layers) {
                                p.mount(name, first, &blob.digest);
                            }
                        }
                    }
                    for t in 0..tags {
                        let image = if t == tags - 1 && holds_target(i) { target } else { common };
                        p.manifest(name, &format!("t{t}"), &image.manifest);
                    }
                }
            });
        }
    });
    (target.manifest.digest, (0..repos).filter(|i| holds_target(*i)).count())
}
