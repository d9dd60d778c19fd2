//! skopeo, the independent client: what digest does the registry hold for a reference?

use std::process::Command;

use wharf_protocol::digest::sha256_of;

/// sha256 of `skopeo inspect --raw` (the manifest bytes the registry serves for `repo:tag`), or
/// `None` when the reference does not exist.
pub fn manifest_digest(host: &str, repo_and_ref: &str) -> Option<String> {
    let output = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false", &format!("docker://{host}/{repo_and_ref}")])
        .output()
        .expect("run skopeo (apt-get install skopeo)");
    output.status.success().then(|| sha256_of(&output.stdout).to_string())
}

/// Tags of a repository as skopeo lists them.
pub fn list_tags(host: &str, repo: &str) -> Vec<String> {
    let output = Command::new("skopeo")
        .args(["list-tags", "--tls-verify=false", &format!("docker://{host}/{repo}")])
        .output()
        .expect("run skopeo");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    value["Tags"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}
