//! The glance seeders against a real registry: what `seed_glance` says each tag holds is what
//! the registry serves (digests from the registry, sizes and times from skopeo's view), the
//! created times are not in name order, and the bulk seeder's tags are where it says.

use std::collections::BTreeSet;
use std::time::Instant;

use wharf_protocol::tags::natural_cmp;
use wharf_testkit::registry::{Registry, RegistryOptions};
use wharf_testkit::seed::{many_tag_names, seed_glance, seed_glance_bulk, seed_many_tags, GlanceKind};
use wharf_testkit::skopeo;

#[test]
fn seed_glance_holds_what_it_says() {
    let registry = Registry::start(RegistryOptions::default());
    let started = Instant::now();
    let seed = seed_glance(&registry.url(), "demo/glance");
    eprintln!("seed_glance: {} tags in {:.2} s", seed.tags.len(), started.elapsed().as_secs_f64());
    let host = registry.host.as_str();

    assert_eq!(seed.tags.len(), 150);
    let mut listed = skopeo::list_tags(host, "demo/glance").expect("list-tags");
    listed.sort_by(|a, b| natural_cmp(a, b));
    let names: Vec<String> = seed.tags.iter().map(|t| t.tag.clone()).collect();
    assert_eq!(listed, names, "GlanceSeed lists the tags in natural order");

    // The newest is on the last page of the name order (100 a page), and neither the name order
    // nor its reverse starts with it; the whole newest-first order differs from both.
    let position = names.iter().position(|n| *n == seed.newest).expect("newest listed");
    assert!(position >= 100 && position < names.len() - 1, "{} at {position}", seed.newest);
    let by_time: Vec<String> = seed.newest_first().iter().map(|t| t.tag.clone()).collect();
    let mut reversed = names.clone();
    reversed.reverse();
    assert_eq!(by_time[0], seed.newest);
    assert_ne!(by_time, names);
    assert_ne!(by_time, reversed);
    let mut bytewise = names.clone();
    bytewise.sort();
    assert_ne!(by_time, bytewise);

    // Distinct times and sizes (but for the one shared image).
    let dated: Vec<&str> = seed.tags.iter().filter_map(|t| t.created.as_deref()).collect();
    assert_eq!(dated.len(), 148, "all but the chart and the artifact have a created time");
    assert_eq!(dated.iter().collect::<BTreeSet<_>>().len(), 147, "one image is tagged twice");
    assert!(dated
        .iter()
        .all(|d| d.len() == 20 && d.ends_with('Z') && (d.starts_with("2025-") || d.starts_with("2026-"))));
    assert_eq!(seed.distinct_digests(), 149);
    let (shared, with) = &seed.shared;
    assert_eq!(seed.tag(shared).digest, seed.tag(with).digest);

    for tag in &seed.tags {
        assert_eq!(registry.digest_of("demo/glance", &tag.tag), Ok(Some(tag.digest.clone())), "{}", tag.tag);
    }

    // Kinds, platforms and sizes against skopeo's view of the manifests.
    let kinds: Vec<(&str, &str)> =
        seed.tags.iter().filter(|t| t.kind != GlanceKind::Image).map(|t| (t.tag.as_str(), t.kind.as_str())).collect();
    assert_eq!(kinds, [("chart-0.3.0", "helm"), ("multi-arch", "index"), ("report-2025.06", "artifact")]);
    let index = seed.tag(&seed.index);
    assert_eq!(index.platforms_attr(), "linux/amd64,linux/arm64/v8");
    let raw: serde_json::Value =
        serde_json::from_slice(&skopeo::inspect_raw(host, "demo/glance:multi-arch").expect("index")).expect("json");
    assert_eq!(raw["manifests"].as_array().map(Vec::len), Some(4), "2 platforms + 2 attestations");
    let mut blobs = BTreeSet::new();
    for platform in &index.platforms {
        let reference = format!("demo/glance@{}", platform.digest);
        let (size, platform_blobs) = skopeo::image_size(host, &reference).expect("child");
        assert_eq!(size, platform.size, "{}", platform.platform);
        blobs.extend(platform_blobs);
        let config = skopeo::inspect_config(host, &reference).expect("child config");
        assert_eq!(config["created"].as_str(), Some(platform.created.as_str()));
    }
    assert_eq!(blobs.iter().map(|(_, size)| size).sum::<u64>(), index.size, "distinct blobs of the platforms");
    assert!(index.size < index.platforms.iter().map(|p| p.size).sum::<u64>(), "the platforms share a layer");
    assert!(index.size_with_attestations > index.size);
    assert_eq!(index.created.as_deref(), index.platforms.iter().map(|p| p.created.as_str()).max());

    for name in ["v1.0.0", "v1.0.3", "v1.0.4", &seed.newest, &seed.oldest, &seed.helm, &seed.artifact] {
        let tag = seed.tag(name);
        let (size, _) = skopeo::image_size(host, &format!("demo/glance:{name}")).expect("manifest");
        assert_eq!(size, tag.size, "{name}");
        if tag.kind == GlanceKind::Image {
            let config = skopeo::inspect_config(host, &format!("demo/glance:{name}")).expect("config");
            assert_eq!(config["created"].as_str(), tag.created.as_deref(), "{name}");
            let platform = tag.platforms_attr();
            let arch = config["architecture"].as_str().unwrap_or("");
            assert!(platform.starts_with(&format!("linux/{arch}")), "{name}: {platform}");
        }
    }
    assert_eq!(seed.tag("v1.0.3").media_type, wharf_protocol::media::DOCKER_MANIFEST_V2);
    assert_eq!(seed.tag("v1.0.4").platforms_attr(), "linux/arm64/v8");
    let chart: serde_json::Value =
        serde_json::from_slice(&skopeo::inspect_raw(host, "demo/glance:chart-0.3.0").expect("chart")).expect("json");
    assert_eq!(chart["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
    assert_eq!(chart["layers"][0]["mediaType"], "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
    let report: serde_json::Value =
        serde_json::from_slice(&skopeo::inspect_raw(host, "demo/glance:report-2025.06").expect("report"))
            .expect("json");
    assert_eq!(report["artifactType"], "application/vnd.example.report.v1+json");
    assert_eq!(report["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    assert_eq!(report["config"]["size"], 2);
    assert_eq!(seed.tag(&seed.artifact).artifact_type.as_deref(), Some("application/vnd.example.report.v1+json"));
    skopeo::assert_reads_whole_image(host, "demo/glance:multi-arch");
    skopeo::assert_reads_whole_image(host, "demo/glance:report-2025.06");
}

#[test]
fn seed_glance_bulk_and_many_tags_have_created_times_out_of_name_order() {
    let registry = Registry::start(RegistryOptions::default());
    let started = Instant::now();
    let bulk = seed_glance_bulk(&registry.url(), "bench/glance", 400, 20);
    eprintln!("seed_glance_bulk: 400 tags over 20 images in {:.2} s", started.elapsed().as_secs_f64());
    let names: Vec<String> = bulk.tags.iter().map(|t| t.tag.clone()).collect();
    assert_eq!(names, many_tag_names(400));
    let digests: BTreeSet<&str> = bulk.tags.iter().map(|t| t.digest.as_str()).collect();
    let times: BTreeSet<&str> = bulk.tags.iter().map(|t| t.created.as_str()).collect();
    let sizes: BTreeSet<u64> = bulk.tags.iter().map(|t| t.size).collect();
    assert_eq!((digests.len(), times.len(), sizes.len(), bulk.images), (20, 20, 20, 20));
    let first_of_each: Vec<&str> = bulk.tags.iter().step_by(20).map(|t| t.created.as_str()).collect();
    let mut sorted = first_of_each.clone();
    sorted.sort();
    assert_ne!(first_of_each, sorted, "times in name order");
    sorted.reverse();
    assert_ne!(first_of_each, sorted, "times in reverse name order");
    for tag in [&bulk.tags[0], &bulk.tags[199], &bulk.tags[399]] {
        assert_eq!(registry.digest_of("bench/glance", &tag.tag), Ok(Some(tag.digest.clone())));
        let config = skopeo::inspect_config(&registry.host, &format!("bench/glance:{}", tag.tag)).expect("config");
        assert_eq!(config["created"].as_str(), Some(tag.created.as_str()));
        let (size, _) = skopeo::image_size(&registry.host, &format!("bench/glance:{}", tag.tag)).expect("size");
        assert_eq!(size, tag.size);
    }

    seed_many_tags(&registry.url(), "demo/many", 40, 4);
    let created: Vec<String> = ["v0.0.0", "v0.1.0", "v0.2.0", "v0.3.0"]
        .iter()
        .map(|tag| {
            let config = skopeo::inspect_config(&registry.host, &format!("demo/many:{tag}")).expect("config");
            config["created"].as_str().expect("created").to_string()
        })
        .collect();
    assert_eq!(created.iter().collect::<BTreeSet<_>>().len(), 4, "{created:?}");
    let mut sorted = created.clone();
    sorted.sort();
    assert_ne!(created, sorted, "seed_many_tags: times in name order");
}
