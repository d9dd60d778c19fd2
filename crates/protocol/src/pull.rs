//! Pull commands for the tools people use, by tag or pinned by digest.
//!
//! The host in a command is the registry's public name (what `docker pull` resolves), which is not
//! always the URL the browser uses (`same-origin`, or a proxy in front of the registry).

use crate::kind::Kind;

/// A command-line tool that can pull from a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `docker pull`.
    Docker,
    /// `podman pull`.
    Podman,
    /// `skopeo copy` into an OCI layout.
    Skopeo,
    /// `crane pull` into a tarball.
    Crane,
    /// `oras pull` (artifacts).
    Oras,
    /// `helm pull` (charts).
    Helm,
}

impl Tool {
    /// Its command name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Docker => "docker",
            Tool::Podman => "podman",
            Tool::Skopeo => "skopeo",
            Tool::Crane => "crane",
            Tool::Oras => "oras",
            Tool::Helm => "helm",
        }
    }
}

/// The tools that make sense for a kind of content (every tool while the kind is not known).
pub fn tools_for(kind: Option<&Kind>) -> &'static [Tool] {
    match kind {
        Some(Kind::Image | Kind::Index) => &[Tool::Docker, Tool::Podman, Tool::Skopeo, Tool::Crane, Tool::Oras],
        Some(Kind::Helm) => &[Tool::Helm, Tool::Oras, Tool::Skopeo, Tool::Crane],
        Some(_) => &[Tool::Oras, Tool::Skopeo, Tool::Crane],
        None => &[Tool::Docker, Tool::Podman, Tool::Skopeo, Tool::Crane, Tool::Oras, Tool::Helm],
    }
}

/// Where a command pulls from: a public name (`registry.example.com`, `localhost:5000`) and
/// whether it speaks plain HTTP (a name given as `http://…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicName {
    /// Host and port, no scheme.
    pub host: String,
    /// The registry is plain HTTP: every tool needs its "insecure" switch.
    pub plain_http: bool,
    /// Only a guess: the browser reaches the registry under a path (a gateway's `/hub`) and no
    /// `public_name` says what `docker pull` should use, so the commands may not work.
    pub guessed: bool,
}

/// What the page says beside a guessed pull name.
pub const GUESSED_NOTE: &str = "This registry is reached under a path and config.json gives it no public_name: these commands guess its name and may not work through a gateway. Set public_name (for Docker Hub, docker.io).";

impl PublicName {
    /// Reads `https://host`, `http://host:port` or a bare `host[:port]` (HTTPS).
    pub fn parse(name: &str) -> PublicName {
        let name = name.trim().trim_end_matches('/');
        match name.split_once("://") {
            Some((scheme, host)) => {
                PublicName { host: host.to_string(), plain_http: scheme.eq_ignore_ascii_case("http"), guessed: false }
            }
            None => PublicName { host: name.to_string(), plain_http: false, guessed: false },
        }
    }
}

/// The command that pulls `repository` at `reference` (a tag, or a digest `sha256:…`).
pub fn pull_command(tool: Tool, from: &PublicName, repository: &str, reference: &str) -> String {
    let by_digest = reference.contains(':');
    let separator = if by_digest { '@' } else { ':' };
    let image = format!("{}/{repository}{separator}{reference}", from.host);
    let last = repository.rsplit('/').next().unwrap_or(repository);
    let insecure = from.plain_http;
    match tool {
        Tool::Docker => format!("docker pull {image}"),
        Tool::Podman => format!("podman pull {}{image}", if insecure { "--tls-verify=false " } else { "" }),
        Tool::Skopeo => format!(
            "skopeo copy {}docker://{image} oci:{last}:{}",
            if insecure { "--src-tls-verify=false " } else { "" },
            if by_digest { "pinned" } else { reference }
        ),
        Tool::Crane => format!("crane pull {}{image} {last}.tar", if insecure { "--insecure " } else { "" }),
        Tool::Oras => format!("oras pull {}{image}", if insecure { "--plain-http " } else { "" }),
        Tool::Helm => {
            let plain = if insecure { " --plain-http" } else { "" };
            if by_digest {
                format!("helm pull oci://{image}{plain}")
            } else {
                format!("helm pull oci://{}/{repository} --version {reference}{plain}", from.host)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn commands_by_tag_and_by_digest() {
        let public = PublicName::parse("registry.example.com");
        let cases = [
            (Tool::Docker, "1.0", "docker pull registry.example.com/team/app:1.0"),
            (Tool::Podman, "1.0", "podman pull registry.example.com/team/app:1.0"),
            (Tool::Skopeo, "1.0", "skopeo copy docker://registry.example.com/team/app:1.0 oci:app:1.0"),
            (Tool::Crane, "1.0", "crane pull registry.example.com/team/app:1.0 app.tar"),
            (Tool::Oras, "1.0", "oras pull registry.example.com/team/app:1.0"),
            (Tool::Helm, "1.0", "helm pull oci://registry.example.com/team/app --version 1.0"),
        ];
        for (tool, reference, expected) in cases {
            assert_eq!(pull_command(tool, &public, "team/app", reference), expected);
        }
        assert_eq!(
            pull_command(Tool::Docker, &public, "team/app", DIGEST),
            format!("docker pull registry.example.com/team/app@{DIGEST}")
        );
        assert_eq!(
            pull_command(Tool::Skopeo, &public, "team/app", DIGEST),
            format!("skopeo copy docker://registry.example.com/team/app@{DIGEST} oci:app:pinned")
        );
        assert_eq!(
            pull_command(Tool::Helm, &public, "charts/web", DIGEST),
            format!("helm pull oci://registry.example.com/charts/web@{DIGEST}")
        );
    }

    #[test]
    fn plain_http_registries_get_each_tools_switch() {
        let local = PublicName::parse("http://localhost:5000/");
        assert_eq!(local, PublicName { host: "localhost:5000".into(), plain_http: true, guessed: false });
        assert_eq!(pull_command(Tool::Podman, &local, "a", "1"), "podman pull --tls-verify=false localhost:5000/a:1");
        assert_eq!(
            pull_command(Tool::Skopeo, &local, "a", "1"),
            "skopeo copy --src-tls-verify=false docker://localhost:5000/a:1 oci:a:1"
        );
        assert_eq!(pull_command(Tool::Crane, &local, "a", "1"), "crane pull --insecure localhost:5000/a:1 a.tar");
        assert_eq!(pull_command(Tool::Oras, &local, "a", "1"), "oras pull --plain-http localhost:5000/a:1");
        assert_eq!(
            pull_command(Tool::Helm, &local, "a", "1"),
            "helm pull oci://localhost:5000/a --version 1 --plain-http"
        );
        assert_eq!(
            PublicName::parse("https://r.example"),
            PublicName { host: "r.example".into(), plain_http: false, guessed: false }
        );
    }

    #[test]
    fn tools_follow_the_kind() {
        assert!(tools_for(Some(&Kind::Helm)).contains(&Tool::Helm));
        assert!(!tools_for(Some(&Kind::Image)).contains(&Tool::Helm));
        assert!(!tools_for(Some(&Kind::Sbom)).contains(&Tool::Docker));
        assert_eq!(tools_for(None).len(), 6);
    }
}
