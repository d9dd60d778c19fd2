//! nginx running the project's own deployment files (`deploy/nginx-*.conf`), with their
//! example addresses replaced by the test's: so the tests exercise exactly what is shipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, scratch_dir, terminate, workspace_root};

/// A running nginx; stopped (by its PID) on drop.
pub struct Nginx {
    child: Child,
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    dir: PathBuf,
}

/// Replaces every `from` with `to`, failing loudly when the shipped file no longer has `from`.
fn substitute(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the deploy/ file no longer contains “{from}”");
    text.replace(from, to)
}

impl Nginx {
    /// Picks the port nginx will listen on, before the registry (whose token realm names it).
    pub fn reserve_port() -> u16 {
        free_port()
    }

    /// deploy/nginx-same-origin.conf: serves `dist` on `port`, proxying `/v2/` to `registry_host`
    /// and `/token` to `token_host`.
    pub fn start(port: u16, dist: &Path, registry_host: &str, token_host: Option<&str>) -> Nginx {
        let mut substitutions = vec![
            ("root /srv/wharf/dist;", format!("root {};", dist.display())),
            ("server 127.0.0.1:5000;", format!("server {registry_host};")),
        ];
        if let Some(token) = token_host {
            substitutions.push(("proxy_pass http://127.0.0.1:5001;", format!("proxy_pass http://{token};")));
        }
        Self::start_shipped("nginx-same-origin.conf", port, &substitutions)
    }

    /// deploy/nginx-same-origin.conf as its comment says to run it in production: over TLS with
    /// HTTP/2 (a self-signed certificate for 127.0.0.1, made here; the browser must be started
    /// with [`crate::browser::Browser::start_accepting_any_certificate`]). `url` is `https://…`.
    pub fn start_tls(port: u16, dist: &Path, registry_host: &str) -> Nginx {
        let dir = scratch_dir("nginx-tls");
        let key = rcgen::KeyPair::generate().expect("TLS key");
        let certificate = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .expect("cert params")
            .self_signed(&key)
            .expect("self-signed certificate");
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        fs::write(&cert_path, certificate.pem()).expect("write certificate");
        fs::write(&key_path, key.serialize_pem()).expect("write key");
        let listen = format!(
            "listen 127.0.0.1:{port} ssl http2;\n    ssl_certificate {};\n    ssl_certificate_key {};",
            cert_path.display(),
            key_path.display()
        );
        let substitutions = [
            ("listen 80;", listen),
            ("root /srv/wharf/dist;", format!("root {};", dist.display())),
            ("server 127.0.0.1:5000;", format!("server {registry_host};")),
        ];
        let mut nginx = Self::start_shipped("nginx-same-origin.conf", port, &substitutions);
        nginx.url = format!("https://127.0.0.1:{port}");
        nginx
    }

    /// deploy/nginx-cors-proxy.conf: the registry at `registry_host` on `port`, for Wharf served
    /// from `wharf_origin`.
    pub fn start_cors_proxy(port: u16, registry_host: &str, wharf_origin: &str) -> Nginx {
        let substitutions = [
            ("https://wharf.example.com", wharf_origin.to_string()),
            ("proxy_pass http://127.0.0.1:5000;", format!("proxy_pass http://{registry_host};")),
        ];
        Self::start_shipped("nginx-cors-proxy.conf", port, &substitutions)
    }

    /// deploy/nginx-gateway.conf: serves `dist` on `port`, proxying `/hub/v2/` to the registry at
    /// `hub_registry` (`http://host:port`), `/hub-auth/token` to the token realm `hub_realm` (a
    /// full URL) and `/local/v2/` to the registry at `local_registry_host` (`host:port`). Its
    /// resolver line stays as shipped: the tests' upstreams and storage are IP addresses, which
    /// nginx never resolves.
    pub fn start_gateway(
        port: u16,
        dist: &Path,
        hub_registry: &str,
        hub_realm: &str,
        local_registry_host: &str,
    ) -> Nginx {
        let substitutions = [
            ("root /srv/wharf/dist;", format!("root {};", dist.display())),
            ("set $hub_registry https://registry-1.docker.io;", format!("set $hub_registry {hub_registry};")),
            ("set $hub_realm https://auth.docker.io/token;", format!("set $hub_realm {hub_realm};")),
            ("proxy_pass http://127.0.0.1:5000/v2/;", format!("proxy_pass http://{local_registry_host}/v2/;")),
        ];
        Self::start_shipped("nginx-gateway.conf", port, &substitutions)
    }

    /// nginx's access log (combined format), for checks of what reached it.
    pub fn access_log(&self) -> String {
        fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// nginx's error log, for failure messages.
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    /// Runs a server block from deploy/ with its example values replaced.
    fn start_shipped(file: &str, port: u16, substitutions: &[(&str, String)]) -> Nginx {
        let dir = scratch_dir("nginx");
        let shipped = fs::read_to_string(workspace_root().join("deploy").join(file)).expect("deploy/ file");
        let mut server = shipped;
        // A substitution of the listen line itself (TLS) comes first; otherwise plain HTTP.
        if !substitutions.iter().any(|(from, _)| *from == "listen 80;") {
            server = substitute(&server, "listen 80;", &format!("listen 127.0.0.1:{port};"));
        }
        for (from, to) in substitutions {
            server = substitute(&server, from, to);
        }
        for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            fs::create_dir_all(dir.join(sub)).expect("nginx temp dir");
        }
        let d = dir.display();
        let main = format!(
            "daemon off;\nuser root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n  access_log {d}/access.log;\n\
             client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{server}\n}}\n"
        );
        fs::write(dir.join("nginx.conf"), main).expect("write nginx.conf");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx (apt-get install nginx-light)");
        let nginx = Nginx { child, url: format!("http://127.0.0.1:{port}"), port, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nginx
    }
}

impl Drop for Nginx {
    /// Ends the master with SIGTERM, which stops its workers too (SIGKILL would orphan them,
    /// still holding the port).
    fn drop(&mut self) {
        terminate(self.child.id());
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
