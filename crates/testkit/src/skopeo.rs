//! skopeo, the independent client: what digest does the registry hold for a reference?
//!
//! Every check tells three answers apart: present (`Ok(Some(..))` / `Ok(tags)`), absent because
//! the registry itself said so (`Ok(None)`), and anything else (registry down, refused login,
//! server error, a name skopeo or the registry rejects) as `Err` with skopeo's message, so a test
//! that expects "gone" cannot pass because nothing answered.

use std::process::{Command, Output};

use wharf_protocol::digest::sha256_of;

/// What a manifest check found: `Ok(Some(digest))`, `Ok(None)` when the registry answered that
/// the reference does not exist, `Err(message)` for every other failure.
pub type Lookup = Result<Option<String>, String>;

/// How skopeo 1.9 (containers/image) renders the registry's error codes that mean "no such
/// manifest": `MANIFEST_UNKNOWN` as "manifest unknown: manifest unknown" (what distribution 2.8
/// answers for a missing tag, digest and repository alike) and `NAME_UNKNOWN` as "name unknown:
/// repository name not known to registry" (what some registries answer for a missing repository).
const MANIFEST_ABSENT: [&str; 2] = ["manifest unknown: ", "name unknown: "];

/// How skopeo 1.9's `list-tags` reports a 404 for `/v2/<name>/tags/list` (distribution's
/// `NAME_UNKNOWN`, not decoded by this skopeo), and how later versions word the same code.
const REPOSITORY_ABSENT: [&str; 2] = ["invalid status code from registry 404 (Not Found)", "name unknown: "];

fn run(command: &mut Command) -> Result<Output, String> {
    command.output().map_err(|e| format!("could not run skopeo (apt-get install skopeo): {e}"))
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

/// sha256 of `skopeo inspect --raw` (the manifest bytes the registry serves for `repo:tag` or
/// `repo@digest`); see [`Lookup`].
pub fn manifest_digest(host: &str, repo_and_ref: &str) -> Lookup {
    manifest_digest_as(host, repo_and_ref, None)
}

/// [`manifest_digest`], logged in as (user, password) when given (skopeo does the token flow).
pub fn manifest_digest_as(host: &str, repo_and_ref: &str, user: Option<(&str, &str)>) -> Lookup {
    let mut command = Command::new("skopeo");
    command.args(["inspect", "--raw", "--tls-verify=false"]);
    if let Some((name, password)) = user {
        command.args(["--creds", &format!("{name}:{password}")]);
    }
    let output = run(command.arg(format!("docker://{host}/{repo_and_ref}")))?;
    if output.status.success() {
        if output.stdout.is_empty() {
            return Err(format!("skopeo inspect {repo_and_ref}: succeeded with no manifest bytes"));
        }
        return Ok(Some(sha256_of(&output.stdout).to_string()));
    }
    let stderr = stderr_of(&output);
    if MANIFEST_ABSENT.iter().any(|said| stderr.contains(said)) {
        Ok(None)
    } else {
        Err(format!("skopeo inspect {repo_and_ref}: {stderr}"))
    }
}

/// Tags of a repository as skopeo lists them. A repository the registry does not know is an
/// `Err` too: a misspelt name must not look like "no tags". Use [`list_tags_if_known`] where the
/// repository may rightly not exist.
pub fn list_tags(host: &str, repo: &str) -> Result<Vec<String>, String> {
    list_tags_if_known(host, repo)?
        .ok_or_else(|| format!("skopeo list-tags {repo}: the registry does not know this repository (404)"))
}

/// [`list_tags`], with `Ok(None)` when the registry answered 404 for the repository's tag list
/// (distribution does so for a repository that has no tags, or was never pushed to).
pub fn list_tags_if_known(host: &str, repo: &str) -> Result<Option<Vec<String>>, String> {
    let output =
        run(Command::new("skopeo").args(["list-tags", "--tls-verify=false", &format!("docker://{host}/{repo}")]))?;
    if !output.status.success() {
        let stderr = stderr_of(&output);
        return if REPOSITORY_ABSENT.iter().any(|said| stderr.contains(said)) {
            Ok(None)
        } else {
            Err(format!("skopeo list-tags {repo}: {stderr}"))
        };
    }
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("skopeo list-tags {repo}: not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))?;
    let tags = value["Tags"].as_array().ok_or_else(|| format!("skopeo list-tags {repo}: no Tags list in {value}"))?;
    tags.iter()
        .map(|t| t.as_str().map(str::to_string).ok_or_else(|| format!("skopeo list-tags {repo}: tag {t} is not text")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
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

/// The exact bytes `skopeo inspect --raw` prints for `host/reference` (`repo:tag` or
/// `repo@digest`): the manifest as the registry serves it.
pub fn inspect_raw(host: &str, reference: &str) -> Result<Vec<u8>, String> {
    let output = run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{host}/{reference}"),
    ]))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!("skopeo inspect --raw {reference}: {}", stderr_of(&output)))
    }
}

/// The image config blob of `host/reference` as `skopeo inspect --config --raw` prints it (for
/// an index, skopeo picks the platform of this machine unless `reference` is a child's digest).
pub fn inspect_config(host: &str, reference: &str) -> Result<serde_json::Value, String> {
    let output = run(Command::new("skopeo").args([
        "inspect",
        "--config",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{host}/{reference}"),
    ]))?;
    if !output.status.success() {
        return Err(format!("skopeo inspect --config {reference}: {}", stderr_of(&output)));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("skopeo inspect --config {reference}: not JSON ({e})"))
}

/// Size of an image as `skopeo inspect --raw` describes it: the config's and the layers' sizes
/// from the manifest's descriptors, summed; with the distinct blob digests it names.
pub fn image_size(host: &str, reference: &str) -> Result<(u64, Vec<(String, u64)>), String> {
    let raw = inspect_raw(host, reference)?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|e| format!("skopeo inspect --raw {reference}: not JSON ({e})"))?;
    let layers = manifest["layers"].as_array().ok_or_else(|| format!("{reference}: no layers in {manifest}"))?;
    let mut blobs = Vec::new();
    for descriptor in std::iter::once(&manifest["config"]).chain(layers) {
        let digest =
            descriptor["digest"].as_str().ok_or_else(|| format!("{reference}: a descriptor without digest"))?;
        let size = descriptor["size"].as_u64().ok_or_else(|| format!("{reference}: a descriptor without size"))?;
        blobs.push((digest.to_string(), size));
    }
    Ok((blobs.iter().map(|(_, size)| size).sum(), blobs))
}

/// `skopeo copy --all` of `host/from` to `host/to` (both `repo:tag`) on the same registry: moves
/// or creates the tag `to`. `Err` with skopeo's message when it fails.
pub fn copy_all(host: &str, from: &str, to: &str) -> Result<(), String> {
    copy_all_as(host, from, to, None)
}

/// [`copy_all`], logged in as (user, password) on both ends when given.
pub fn copy_all_as(host: &str, from: &str, to: &str, user: Option<(&str, &str)>) -> Result<(), String> {
    let mut command = Command::new("skopeo");
    command.args(["copy", "--all", "--src-tls-verify=false", "--dest-tls-verify=false"]);
    if let Some((name, password)) = user {
        let creds = format!("{name}:{password}");
        command.args(["--src-creds", &creds, "--dest-creds", &creds]);
    }
    let output = run(command.args([format!("docker://{host}/{from}"), format!("docker://{host}/{to}")]))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("skopeo copy --all {from} {to}: {}", stderr_of(&output)))
    }
}
