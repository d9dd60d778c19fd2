//! The rules, table by table: count only, age only, both, protected patterns, shared digests,
//! indexes dated by their newest platform, ties, attachment tags; and the freed bytes.

use super::*;
use crate::digest::sha256_of;
use crate::glance::{ConfigFacts, ManifestFacts};
use crate::kind::Kind;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

/// An image made of a shared base layer and one layer of its own, `days` old.
fn image(tag: &str, name: &str, days: i64) -> TagImage {
    let digest = sha256_of(name.as_bytes());
    let blobs: Blobs =
        [("sha256:base".to_string(), 1000), (format!("sha256:own-{name}"), 10), (format!("sha256:cfg-{name}"), 1)]
            .into_iter()
            .collect();
    TagImage {
        tag: Tag::parse(tag).unwrap(),
        digest,
        created: Some(format!("{days} days ago")),
        created_at: Some(NOW - days * DAY),
        size: Some(1011),
        blobs,
    }
}

fn rules(keep: &str, days: &str, protect: &str) -> Rules {
    Rules::parse(keep, days, protect).unwrap()
}

fn verdicts(plan: &CleanupPlan) -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> =
        plan.rows.iter().map(|r| (r.image.tag.to_string(), r.verdict.key())).collect();
    v.sort();
    v
}

fn deleted(plan: &CleanupPlan) -> Vec<String> {
    let mut v: Vec<String> = plan.to_delete().iter().map(|&i| plan.rows[i].image.tag.to_string()).collect();
    v.sort();
    v
}

fn repo() -> Repository {
    Repository::parse("ci/app").unwrap()
}

/// Six images, one tag each, 1 to 6 days... and 30 to 60 days old.
fn six() -> Vec<TagImage> {
    vec![
        image("b1", "i1", 1),
        image("b2", "i2", 2),
        image("b3", "i3", 10),
        image("b4", "i4", 30),
        image("b5", "i5", 45),
        image("b6", "i6", 60),
    ]
}

#[test]
fn rules_table() {
    // (keep newest, older than days, protected, tags deleted)
    let table: &[(&str, &str, &str, &[&str])] = &[
        ("2", "", "", &["b3", "b4", "b5", "b6"]),
        ("0", "", "", &["b1", "b2", "b3", "b4", "b5", "b6"]),
        ("10", "", "", &[]),
        ("", "20", "", &["b4", "b5", "b6"]),
        ("", "0", "", &["b1", "b2", "b3", "b4", "b5", "b6"]),
        // Both: only what both select (outside the newest 4 and older than 20 days).
        ("4", "20", "", &["b5", "b6"]),
        ("1", "40", "", &["b5", "b6"]),
        // Protected by exact glob match.
        ("2", "", "b3 b?", &[]),
        ("2", "", "b3?", &["b3", "b4", "b5", "b6"]),
        ("2", "", "*5,b6", &["b3", "b4"]),
        ("2", "", "b", &["b3", "b4", "b5", "b6"]),
    ];
    for (keep, days, protect, expected) in table {
        let plan = plan(&repo(), six(), &rules(keep, days, protect), NOW);
        let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(deleted(&plan), expected, "keep {keep:?}, older than {days:?}, protect {protect:?}");
    }
}

#[test]
fn reasons_say_which_rule_kept_or_selected_a_tag() {
    let plan = plan(&repo(), six(), &rules("2", "20", "b5"), NOW);
    let verdict = |tag: &str| plan.rows.iter().find(|r| r.image.tag.as_str() == tag).unwrap().verdict.clone();
    assert_eq!(verdict("b1"), Verdict::Keep(KeepReason::Newest { rank: 0 }));
    assert_eq!(verdict("b3"), Verdict::Keep(KeepReason::Recent));
    assert_eq!(verdict("b4"), Verdict::Delete(DeleteReason::NotNewestAndOld));
    assert_eq!(verdict("b5"), Verdict::Keep(KeepReason::Protected { pattern: "b5".into() }));
    assert_eq!(verdict("b5").to_string(), "protected by b5");
    // Newest image first.
    assert_eq!(plan.rows[0].image.tag.as_str(), "b1");
    assert_eq!(plan.images, 6);
}

#[test]
fn a_candidate_sharing_its_digest_with_a_kept_tag_is_kept() {
    let mut tags = six();
    // `old-latest` and `latest` hold the oldest image; `latest` is protected.
    let mut latest = image("latest", "i6", 60);
    let mut alias = image("old-latest", "i6", 60);
    latest.digest = tags[5].digest.clone();
    alias.digest = tags[5].digest.clone();
    tags.extend([latest, alias]);
    let plan = plan(&repo(), tags, &rules("2", "", "latest"), NOW);
    assert_eq!(deleted(&plan), ["b3", "b4", "b5"]);
    let kept = |tag: &str| plan.rows.iter().find(|r| r.image.tag.as_str() == tag).unwrap().verdict.clone();
    assert_eq!(kept("b6"), Verdict::Keep(KeepReason::SharesDigest { with: "latest".into() }));
    assert_eq!(kept("old-latest"), Verdict::Keep(KeepReason::SharesDigest { with: "latest".into() }));
    // Six images, not eight: images are digests.
    assert_eq!(plan.images, 6);
}

#[test]
fn ties_at_the_boundary_keep_every_tied_image() {
    let tags = vec![image("a", "ia", 1), image("b", "ib", 5), image("c", "ic", 5), image("d", "id", 9)];
    let plan = plan(&repo(), tags, &rules("2", "", ""), NOW);
    // b and c are equally the second newest: both kept, never one by chance.
    assert_eq!(deleted(&plan), ["d"]);
    let plan_one = super::plan(&repo(), vec![image("b", "ib", 5), image("c", "ic", 5)], &rules("1", "", ""), NOW);
    assert_eq!(deleted(&plan_one), Vec::<String>::new());
}

#[test]
fn an_image_without_a_date_is_never_a_candidate() {
    let mut undated = image("nodate", "in", 0);
    undated.created = None;
    undated.created_at = None;
    let plan = plan(&repo(), vec![undated, image("x", "ix", 90)], &rules("0", "1", ""), NOW);
    assert_eq!(verdicts(&plan), [("nodate".into(), "keep"), ("x".into(), "delete")]);
    assert_eq!(
        plan.rows.iter().find(|r| r.image.tag.as_str() == "nodate").unwrap().verdict,
        Verdict::Keep(KeepReason::NoDate)
    );
}

#[test]
fn attachment_tags_follow_their_image() {
    let tags = six();
    let sig = |of: &TagImage, tag_suffix: &str| {
        let tag = format!("{}{tag_suffix}", of.digest.as_str().replace("sha256:", "sha256-"));
        let mut a = image(&tag, &tag, 100);
        a.blobs = [(format!("sha256:sig-{tag}"), 500)].into_iter().collect();
        a
    };
    let (kept_sig, deleted_sig, orphan) = (sig(&tags[0], ".sig"), sig(&tags[5], ".sig"), {
        let mut o = image("sha256-0000000000000000000000000000000000000000000000000000000000000000.sig", "o", 100);
        o.blobs = Blobs::new();
        o
    });
    let mut all = tags;
    all.extend([kept_sig.clone(), deleted_sig.clone(), orphan]);
    let plan = plan(&repo(), all, &rules("2", "", ""), NOW);
    let verdict = |tag: &Tag| plan.rows.iter().find(|r| &r.image.tag == tag).unwrap().verdict.clone();
    assert_eq!(verdict(&kept_sig.tag), Verdict::Keep(KeepReason::AttachedToKept { with: "b1".into() }));
    assert_eq!(verdict(&deleted_sig.tag), Verdict::Delete(DeleteReason::AttachmentOfDeleted));
    assert!(plan.rows.iter().any(|r| r.verdict == Verdict::Keep(KeepReason::AttachmentOfUntagged)));
    // Attachments are not images: six still.
    assert_eq!(plan.images, 6);
}

#[test]
fn freed_bytes_are_blobs_no_kept_tag_reaches() {
    let plan = plan(&repo(), six(), &rules("2", "", ""), NOW);
    // Four images go: their own layers and configs (11 bytes each); the base stays with b1, b2.
    assert_eq!((plan.freed, plan.freed_blobs), (44, 8));
    assert_eq!(plan.storage, 1000 + 6 * 11);
    let everything = super::plan(&repo(), six(), &rules("0", "", ""), NOW);
    assert_eq!((everything.freed, everything.storage), (1066, 1066));
}

#[test]
fn the_form_reads_and_refuses_in_words() {
    assert_eq!(
        Rules::parse(" 5 ", "", "latest, v*  stable").unwrap(),
        Rules {
            keep_newest: Some(5),
            older_than_days: None,
            protect: vec!["latest".into(), "v*".into(), "stable".into()]
        }
    );
    assert_eq!(Rules::parse("", "", DEFAULT_PROTECT).unwrap_err().len(), 1, "a rule is needed");
    let problems = Rules::parse("five", "-1", "a/b").unwrap_err();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("five") && problems[1].contains("-1") && problems[2].contains("a/b"));
}

#[test]
fn globs_match_whole_tags() {
    let table = [
        ("v*", "v1.2", true),
        ("v*", "dev", false),
        ("latest", "latest", true),
        ("latest", "latest-dev", false),
        ("*-rc?", "1.0-rc1", true),
        ("*-rc?", "1.0-rc10", false),
        ("*", "", true),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYbZ", false),
        ("??", "ab", true),
        ("", "a", false),
    ];
    for (pattern, text, expected) in table {
        assert_eq!(glob_matches(pattern, text), expected, "{pattern} ~ {text}");
    }
}

#[test]
fn an_index_is_dated_by_its_newest_platform_and_reaches_every_platform() {
    let config = |name: &str, created: &str| {
        let digest = sha256_of(name.as_bytes()).to_string();
        (digest, ConfigFacts { created: Some(created.into()), platform: Some("linux/amd64".into()), description: None })
    };
    let (old_cfg, old_facts) = config("old", "2026-01-01T00:00:00Z");
    let (new_cfg, new_facts) = config("new", "2026-11-01T00:00:00Z");
    let platform = |cfg: &str, layer: &str| ManifestFacts {
        kind: Kind::Image,
        config: Some(cfg.to_string()),
        blobs: vec![(cfg.to_string(), 1), (layer.to_string(), 100)],
        platforms: Vec::new(),
        lists: Vec::new(),
        description: None,
    };
    let (amd, arm, index) =
        (sha256_of(b"amd").to_string(), sha256_of(b"arm").to_string(), sha256_of(b"ix").to_string());
    let mut facts = Facts::default();
    facts.add_manifest(amd.clone(), platform(&old_cfg, "sha256:l-amd"));
    facts.add_manifest(arm.clone(), platform(&new_cfg, "sha256:l-arm"));
    facts.add_manifest(
        index.clone(),
        ManifestFacts {
            kind: Kind::Index,
            config: None,
            blobs: Vec::new(),
            platforms: vec![(amd.clone(), "linux/amd64".into()), (arm, "linux/arm64".into())],
            lists: Vec::new(),
            description: None,
        },
    );
    facts.add_config(old_cfg, old_facts.clone());
    let tags = vec!["multi".to_string(), "single".to_string()];
    let digests: HashMap<String, TagDigest> =
        [("multi".to_string(), TagDigest::Fresh(index)), ("single".to_string(), TagDigest::Fresh(amd))].into();
    // The newest platform's config is not read yet: no plan on a guess.
    assert_eq!(tag_images(&tags, &digests, &facts, &HashMap::new()).unwrap_err().pending, 1);
    facts.add_config(new_cfg, new_facts);
    let images = tag_images(&tags, &digests, &facts, &HashMap::new()).unwrap();
    let multi = images.iter().find(|i| i.tag.as_str() == "multi").unwrap();
    assert_eq!(multi.created.as_deref(), Some("2026-11-01T00:00:00Z"));
    assert_eq!(multi.blobs.len(), 4);
    // Keep one image: the index (November) beats the single image (January).
    let now = crate::time::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
    let plan = plan(&repo(), images, &rules("1", "", ""), now);
    assert_eq!(deleted(&plan), ["single"]);
    // The single image is one of the index's platforms: deleting its tag frees nothing.
    assert_eq!(plan.freed, 0);
}

#[test]
fn cached_digests_are_not_planned_on() {
    let tags = vec!["a".to_string()];
    let digests: HashMap<String, TagDigest> = [("a".to_string(), TagDigest::Cached("sha256:x".into()))].into();
    let not_known = tag_images(&tags, &digests, &Facts::default(), &HashMap::new()).unwrap_err();
    assert_eq!(not_known, NotKnownYet { pending: 1, failed: Vec::new() });
}
