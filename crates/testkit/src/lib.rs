//! Real servers for Wharf's demo, end-to-end tests and benchmark, all on 127.0.0.1 and all
//! stopped when their handle is dropped: a CNCF distribution registry (Debian's
//! `docker-registry`), a seeder that pushes demo images through the registry API (signed ones
//! too, with cosign-style and OCI 1.1 attachments), a static server for the built app, headless
//! Chromium through chromedriver, skopeo as the independent client that checks digests, axe-core
//! for the accessibility checks, a proxy that answers some manifest HEADs 429 (a rate-limited
//! registry), and the path-prefix gateway (deploy/nginx-gateway.conf) in front of a
//! Docker-Hub-like registry and a second one.

pub mod axe;
pub mod browser;
pub mod gateway;
pub mod native;
pub mod nginx;
pub mod oci;
pub mod other_registry;
pub mod registry;
pub mod seed;
pub mod seed_about;
pub mod seed_cleanup;
pub mod seed_search;
pub mod seed_signed;
pub mod skopeo;
pub mod static_server;
pub mod throttle;
pub mod token_server;

use std::net::TcpListener;
use std::path::PathBuf;

/// A free TCP port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port on 127.0.0.1")
}

/// The workspace root (where `dist/` and `index.html` are).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// A fresh directory under the workspace's `.wharf/` scratch area (git-ignored).
pub fn scratch_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = workspace_root().join(".wharf").join(format!("{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A copy of the built app (`dist/`) with its own `config.json`, for tests of the runtime config.
pub fn dist_with_config(config_json: &str) -> PathBuf {
    let source = workspace_root().join("dist");
    let target = scratch_dir("dist");
    copy_tree(&source, &target);
    std::fs::write(target.join("config.json"), config_json).expect("write config.json");
    target
}

/// Copies the files under `from` into `to`, folders included.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("dist/ (build the app first)") {
        let path = entry.expect("dist entry").path();
        let name = path.file_name().expect("file name");
        if path.is_dir() {
            copy_tree(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).expect("copy dist file");
        }
    }
}

/// Sends SIGTERM to one process this harness started, by its PID (never a group: a mistaken
/// group id would reach processes that are not ours).
pub fn terminate(pid: u32) {
    if pid > 1 {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Ends processes whose command line contains `marker` (a scratch path unique to one test's
/// browser), by their PIDs: the browsers chromedriver started.
pub fn kill_marked(marker: &str) {
    let Ok(output) = std::process::Command::new("pgrep").args(["-f", marker]).output() else { return };
    for pid in String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| l.trim().parse::<u32>().ok()) {
        if pid > 1 && pid != std::process::id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}
