//! `wharf-demo`: a local registry with demo images and the built app, for trying Wharf.
//!
//! Starts Debian's `docker-registry` on 127.0.0.1:5000 (CORS and delete enabled), seeds it, serves
//! `dist/` on 127.0.0.1:8080, prints the URL and runs until Ctrl-C, then stops both.

use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{seed_demo, seed_glance, seed_many_tags};
use wharf_testkit::seed_signed::seed_signed;
use wharf_testkit::static_server::StaticServer;
use wharf_testkit::workspace_root;

fn port_from_env(name: &str, default: u16) -> u16 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let dist = workspace_root().join("dist");
    assert!(dist.join("index.html").is_file(), "dist/ is missing: build the app first (scripts/demo does)");
    let registry_port = port_from_env("WHARF_REGISTRY_PORT", 5000);
    let app_port = port_from_env("WHARF_APP_PORT", 8080);
    let registry = Registry::start(RegistryOptions { port: Some(registry_port), ..RegistryOptions::default() });
    println!("registry: {} (storage in {})", registry.url(), registry.dir.display());
    let seeded = seed_demo(&registry.url());
    println!("seeded demo/hello, demo/oci-app, demo/multi (index {}), team/app/api", &seeded.multi[..19]);
    seed_many_tags(&registry.url(), "demo/many", 2000, 300);
    println!("seeded demo/many: 2,000 tags over 300 images");
    let glance = seed_glance(&registry.url(), "demo/glance");
    println!(
        "seeded demo/glance: {} tags (images, a 2-platform index, a Helm chart, an OCI artifact; newest: {})",
        glance.tags.len(),
        glance.newest
    );
    let signed = seed_signed(&registry.url(), "demo/signed", "v1");
    println!(
        "seeded demo/signed:v1 ({}): a cosign signature and attestation, an SPDX SBOM and a notation signature (OCI 1.1 referrers, fallback tag {})",
        &signed.image[..19],
        signed.fallback_tag
    );
    let app = StaticServer::start(dist, app_port);
    println!();
    println!("Wharf is running. Open: {}/r/http:{}", app.url, registry.host);
    println!("(config.json names http://127.0.0.1:5000 as the default registry.) Ctrl-C stops everything.");
    let _ = tokio::signal::ctrl_c().await;
    println!("stopping");
    drop(app);
    drop(registry);
}
