//! skopeo, the independent client: what digest does the registry hold for a reference?

use std::process::Command;

use wharf_protocol::digest::sha256_of;

/// sha256 of `skopeo inspect --raw` (the manifest bytes the registry serves for `repo:tag`), or
/// `None` when the reference does not exist.
pub fn manifest_digest(host: &str, repo_and_ref: &str) -> Option<String> {
    manifest_digest_as(host, repo_and_ref, None)
}

/// [`manifest_digest`], logged in as (user, password) when given (skopeo does the token flow).
pub fn manifest_digest_as(host: &str, repo_and_ref: &str, user: Option<(&str, &str)>) -> Option<String> {
    let mut command = Command::new("skopeo");
    command.args(["inspect", "--raw", "--tls-verify=false"]);
    if let Some((name, password)) = user {
        command.args(["--creds", &format!("{name}:{password}")]);
    }
    let output =
        command.arg(format!("docker://{host}/{repo_and_ref}")).output().expect("run skopeo (apt-get install skopeo)");
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

/// `skopeo copy --all` of `host/reference` into a scratch folder: every manifest and blob is
/// fetched and checked against its digest. Panics with skopeo's message when that fails.
pub fn assert_reads_whole_image(host: &str, reference: &str) {
    let dir = crate::scratch_dir("skopeo-copy");
    let output = Command::new("skopeo")
        .args(["copy", "--all", "--src-tls-verify=false", &format!("docker://{host}/{reference}")])
        .arg(format!("dir:{}", dir.display()))
        .output()
        .expect("run skopeo");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "skopeo copy {reference}: {}", String::from_utf8_lossy(&output.stderr));
}
