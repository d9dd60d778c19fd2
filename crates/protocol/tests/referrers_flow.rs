//! Scripted referrers: the OCI 1.1 API (Link paging, the `artifactType` filter applied by the
//! registry or here), the fallback tag where the route is missing or blocked, cosign's tags,
//! what each attachment states, and carrying them with a copy: exact bytes, the target's
//! fallback index merged and never replaced, one journal entry per write, and undo of those.

mod common;

use common::{registry, row, row_failing, Row, Script};
use wharf_protocol::attachments::{self, CarryItem, CarryPlan};
use wharf_protocol::copy;
use wharf_protocol::digest::sha256_of;
use wharf_protocol::flow::Confirmed;
use wharf_protocol::http::{HttpResponse, Method, TransportError};
use wharf_protocol::journal::Action;
use wharf_protocol::kind::Kind;
use wharf_protocol::manifest::FetchedManifest;
use wharf_protocol::names::{Digest, Repository};
use wharf_protocol::pace::Retry;
use wharf_protocol::referrers::{self, ApiSupport, Found};
use wharf_protocol::state::TargetState;
use wharf_protocol::transfer::Endpoints;
use wharf_protocol::undo::{self, undo_step, UndoStep};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn app() -> Repository {
    Repository::parse("app").unwrap()
}

fn image() -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":7}},"layers":[]}}"#,
        sha256_of(b"config!")
    )
}

fn subject() -> Digest {
    sha256_of(image().as_bytes())
}

/// An OCI 1.1 artifact attached to the image: an empty config and one layer of `layer_type`.
fn artifact(artifact_type: &str, layer_type: &str, annotations: &str) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","artifactType":"{artifact_type}","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{EMPTY}","size":2}},"layers":[{{"mediaType":"{layer_type}","digest":"{}","size":5}}],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{}}},"annotations":{{{annotations}}}}}"#,
        sha256_of(artifact_type.as_bytes()),
        subject(),
        image().len()
    )
}

fn sbom() -> String {
    artifact(
        "application/spdx+json",
        "application/spdx+json",
        r#""org.opencontainers.image.created":"2026-11-30T10:00:00Z""#,
    )
}

fn notation() -> String {
    artifact(
        "application/vnd.cncf.notary.signature",
        "application/jose+json",
        r#""io.cncf.notary.x509chain.thumbprint#S256":"[\"0123456789abcdef0123\"]""#,
    )
}

fn payload() -> String {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"r:5000/app"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
        subject()
    )
}

fn cosign_signature() -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":3}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"{}","size":{},"annotations":{{"dev.cosignproject.cosign/signature":"MEUCIQ"}}}}]}}"#,
        sha256_of(b"cfg"),
        sha256_of(payload().as_bytes()),
        payload().len()
    )
}

fn descriptor(body: &str, artifact_type: &str) -> String {
    format!(
        r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{},"artifactType":"{artifact_type}"}}"#,
        sha256_of(body.as_bytes()),
        body.len()
    )
}

fn index(descriptors: &[String]) -> String {
    format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#, descriptors.join(","))
}

fn manifest_answer(body: &str, media_type: &str) -> HttpResponse {
    HttpResponse::status(200)
        .header("Content-Type", media_type)
        .header("Docker-Content-Digest", sha256_of(body.as_bytes()).to_string())
        .body(body.to_string())
}

fn base() -> String {
    "http://r:5000/v2/app".into()
}

/// The page of the tag list after the fallback tag's first 63 characters, answered with `answer`.
fn tags_window(base: &str, answer: HttpResponse) -> Row {
    let hex = subject().encoded().to_string();
    row(Method::Get, format!("{base}/tags/list?n=8&last=sha256-{}", &hex[..63]), answer)
}

/// A tag list (distribution 2.8 answers every tag, whatever `n` and `last` say).
fn tag_list(tags: &[String]) -> HttpResponse {
    let quoted: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
    HttpResponse::status(200)
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"name":"app","tags":[{}]}}"#, quoted.join(",")))
}

fn cosign_misses(base: &str) -> Vec<Row> {
    let hex = subject().encoded().to_string();
    ["sig", "att", "sbom"]
        .iter()
        .map(|s| row(Method::Get, format!("{base}/manifests/sha256-{hex}.{s}"), HttpResponse::status(404)))
        .collect()
}

#[test]
fn attachment_tags_name_their_image() {
    let hex = "a".repeat(64);
    assert_eq!(referrers::attachment_subject(&format!("sha256-{hex}")), Some((format!("sha256:{hex}"), None)));
    assert_eq!(
        referrers::attachment_subject(&format!("sha256-{hex}.sig")),
        Some((format!("sha256:{hex}"), Some("sig")))
    );
    assert_eq!(referrers::attachment_subject(&format!("sha256-{}", "A".repeat(64))), None, "uppercase is no digest");
    assert_eq!(referrers::attachment_subject(&format!("sha256-{hex}.")), None);
    assert_eq!(referrers::attachment_subject("sha256-abc"), None);
    assert_eq!(referrers::attachment_subject("v1.2"), None);
    let digest = Digest::parse(&format!("sha256:{hex}")).unwrap();
    assert_eq!(referrers::fallback_tag(&digest).as_str(), format!("sha256-{hex}"));
    assert_eq!(referrers::cosign_tag(&digest, "att").as_str(), format!("sha256-{hex}.att"));
    // A sha512 digest's tag is cut to 64 characters of its hex, so it stays a valid tag.
    let long = Digest::parse(&format!("sha512:{}", "b".repeat(128))).unwrap();
    assert_eq!(referrers::fallback_tag(&long).as_str(), format!("sha512-{}", "b".repeat(64)));
}

#[test]
fn the_api_is_paged_and_an_unapplied_filter_is_applied_here() {
    let subject = subject();
    let first = format!("{}/referrers/{subject}?artifactType=application%2Fspdx%2Bjson", base());
    let page_one = index(&[
        descriptor(&sbom(), "application/spdx+json"),
        descriptor(&notation(), "application/vnd.cncf.notary.signature"),
    ]);
    let page_two = index(&[descriptor(&cosign_signature(), "application/spdx+json")]);
    let script = Script::new(vec![
        row(
            Method::Get,
            first,
            manifest_answer(&page_one, OCI_INDEX).header("Link", "</v2/app/referrers/x?page=2>; rel=\"next\""),
        ),
        row(Method::Get, "http://r:5000/v2/app/referrers/x?page=2", manifest_answer(&page_two, OCI_INDEX)),
    ]);
    let listed =
        pollster::block_on(referrers::api_list(&registry(&script), &app(), &subject, Some("application/spdx+json")))
            .unwrap()
            .unwrap();
    script.assert_done();
    assert_eq!(listed.len(), 2, "the notation signature is filtered out here: {listed:?}");
    assert_eq!(script.sent.borrow()[0].headers.get("Accept"), Some(OCI_INDEX));

    // The registry says it applied the filter: its answer is taken as it is.
    let script = Script::new(vec![row(
        Method::Get,
        format!("{}/referrers/{subject}?artifactType=x", base()),
        manifest_answer(&page_one, OCI_INDEX).header("OCI-Filters-Applied", "artifactType"),
    )]);
    let listed =
        pollster::block_on(referrers::api_list(&registry(&script), &app(), &subject, Some("x"))).unwrap().unwrap();
    assert_eq!(listed.len(), 2);
}

#[test]
fn a_registry_that_serves_the_api_is_not_asked_for_the_fallback_tag() {
    let subject = subject();
    let listed = index(&[descriptor(&sbom(), "application/spdx+json")]);
    // The tag list shows no cosign tag: none is asked for.
    let rows = vec![
        row(Method::Get, format!("{}/referrers/{subject}", base()), manifest_answer(&listed, OCI_INDEX)),
        tags_window(&base(), tag_list(&["v1".to_string()])),
    ];
    let script = Script::new(rows);
    let found =
        pollster::block_on(referrers::discover(&registry(&script), &app(), &subject, ApiSupport::Unknown)).unwrap();
    script.assert_done();
    assert_eq!(found.api, ApiSupport::Served);
    assert_eq!(found.referrers.len(), 1);
    assert_eq!(found.referrers[0].found, Found::Api);
    assert_eq!(found.referrers[0].digest, sha256_of(sbom().as_bytes()));
    assert_eq!(found.referrers[0].listed_type(), Some("application/spdx+json"));
    assert!(found.fallback.is_none());
}

#[test]
fn a_missing_or_blocked_route_falls_back_to_the_tag_and_is_remembered() {
    let subject = subject();
    let hex = subject.encoded().to_string();
    let fallback = index(&[
        descriptor(&sbom(), "application/spdx+json"),
        descriptor(&notation(), "application/vnd.cncf.notary.signature"),
    ]);
    for missing in [
        Ok(HttpResponse::status(404)),
        Ok(HttpResponse::status(405)),
        Err(TransportError::CorsBlocked { origin: "http://wharf".into() }),
    ] {
        let url = format!("{}/referrers/{subject}", base());
        let mut rows = vec![match missing {
            Ok(answer) => row(Method::Get, url, answer),
            Err(blocked) => row_failing(Method::Get, url, blocked),
        }];
        // The tag list names the fallback tag and one cosign tag: only those two are read.
        let tags = ["v1".to_string(), format!("sha256-{hex}"), format!("sha256-{hex}.sig")];
        rows.push(tags_window(&base(), tag_list(&tags)));
        rows.push(row(
            Method::Get,
            format!("{}/manifests/sha256-{hex}", base()),
            manifest_answer(&fallback, OCI_INDEX),
        ));
        rows.push(row(
            Method::Get,
            format!("{}/manifests/sha256-{hex}.sig", base()),
            manifest_answer(&cosign_signature(), OCI_MANIFEST),
        ));
        let script = Script::new(rows);
        let found =
            pollster::block_on(referrers::discover(&registry(&script), &app(), &subject, ApiSupport::Unknown)).unwrap();
        script.assert_done();
        assert_eq!(found.api, ApiSupport::NotServed);
        let kinds: Vec<_> = found.referrers.iter().map(|r| r.found.clone()).collect();
        assert_eq!(kinds[..2], [Found::FallbackIndex, Found::FallbackIndex]);
        assert_eq!(kinds[2].label(), "cosign tag .sig");
        assert_eq!(kinds[2], Found::Tag(referrers::cosign_tag(&subject, "sig")));
        assert!(found.referrers[2].manifest.is_some(), "a cosign tag's manifest is read with its GET");
    }
    // Known not to be served: straight to the tag; no fallback tag means nothing listed. A
    // registry that serves no tag lists (a bare 404) is asked about each tag.
    let mut rows = vec![
        tags_window(&base(), HttpResponse::status(404)),
        row(Method::Get, format!("{}/manifests/sha256-{hex}", base()), HttpResponse::status(404)),
    ];
    rows.extend(cosign_misses(&base()));
    let script = Script::new(rows);
    let found =
        pollster::block_on(referrers::discover(&registry(&script), &app(), &subject, ApiSupport::NotServed)).unwrap();
    script.assert_done();
    assert!(found.referrers.is_empty() && found.fallback.is_none());
}

#[test]
fn a_refused_referrers_request_is_an_error_not_an_absence() {
    let subject = subject();
    for status in [401, 403, 429, 500] {
        let script = Script::new(vec![row(
            Method::Get,
            format!("{}/referrers/{subject}", base()),
            HttpResponse::status(status),
        )]);
        let error = pollster::block_on(referrers::discover(&registry(&script), &app(), &subject, ApiSupport::Unknown))
            .unwrap_err();
        assert_eq!(error.status(), Some(status));
    }
}

fn fetched(body: &str, media_type: &str) -> FetchedManifest {
    FetchedManifest::from_bytes("m", body.as_bytes().to_vec(), Some(media_type), None, None).unwrap()
}

fn referrer(body: &str, found: Found, artifact_type: &str) -> referrers::Referrer {
    referrers::Referrer {
        digest: sha256_of(body.as_bytes()),
        descriptor: match found {
            Found::Tag(_) => None,
            _ => Some(serde_json::from_str(&descriptor(body, artifact_type)).unwrap()),
        },
        found,
        manifest: Some(fetched(body, OCI_MANIFEST)),
    }
}

#[test]
fn each_attachment_says_what_it_states_as_plain_data() {
    let sig = referrer(&cosign_signature(), Found::Tag(referrers::cosign_tag(&subject(), "sig")), "");
    assert_eq!(referrers::payload_to_read(sig.manifest.as_ref().unwrap()), Some(sha256_of(payload().as_bytes())));
    let shown = referrers::describe(&sig, Some(payload().as_bytes())).unwrap();
    assert_eq!((shown.kind, shown.statement.as_deref()), (Kind::Signature, Some("signs r:5000/app")));
    assert_eq!(shown.size, 3 + payload().len() as u64);

    let sbom = referrers::describe(&referrer(&sbom(), Found::FallbackIndex, "application/spdx+json"), None).unwrap();
    assert_eq!((sbom.kind, sbom.statement.as_deref()), (Kind::Sbom, Some("format SPDX")));
    assert_eq!(sbom.created.as_deref(), Some("2026-11-30T10:00:00Z"));

    let notation = referrers::describe(&referrer(&notation(), Found::Api, "x"), None).unwrap();
    assert_eq!(notation.kind, Kind::Signature);
    assert_eq!(notation.statement.as_deref(), Some("signer certificate sha256 0123456789abcdef"));

    let attestation = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{EMPTY}","size":2}},"layers":[{{"mediaType":"application/vnd.dsse.envelope.v1+json","digest":"{EMPTY}","size":2,"annotations":{{"predicateType":"https://slsa.dev/provenance/v1"}}}}]}}"#
    );
    let att = referrers::describe(&referrer(&attestation, Found::Api, "x"), None).unwrap();
    assert_eq!(
        (att.kind, att.statement.as_deref()),
        (Kind::Attestation, Some("predicate https://slsa.dev/provenance/v1"))
    );
}

#[test]
fn a_merged_index_keeps_every_entry_it_had() {
    let theirs = descriptor("someone else's signature", "application/vnd.cncf.notary.signature");
    let target = fetched(&index(std::slice::from_ref(&theirs)), OCI_INDEX);
    let ours: serde_json::Value = serde_json::from_str(&descriptor(&sbom(), "application/spdx+json")).unwrap();
    let merged = referrers::merged_index(Some(&target), std::slice::from_ref(&ours)).unwrap();
    let entries = referrers::index_entries(&merged).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0], serde_json::from_str::<serde_json::Value>(&theirs).unwrap(), "theirs first, unchanged");
    assert_eq!(entries[1], ours);
    let again = fetched(std::str::from_utf8(&merged).unwrap(), OCI_INDEX);
    assert_eq!(referrers::merged_index(Some(&again), &[ours]), None, "nothing new: nothing to write");
}

/// A copy from `app` to `prod` on one registry that does not serve the API: the SBOM and the
/// notation signature by digest, the cosign signature under its tag, and prod's fallback index
/// (which already lists someone else's referrer) merged.
#[test]
fn carrying_copies_exact_bytes_and_merges_the_target_index() {
    let subject = subject();
    let hex = subject.encoded().to_string();
    let prod = Repository::parse("prod").unwrap();
    let (sbom_body, notation_body, sig_body) = (sbom(), notation(), cosign_signature());
    let sig_tag = referrers::cosign_tag(&subject, "sig");
    let theirs = descriptor("someone else's", "application/example");
    let target_index = fetched(&index(std::slice::from_ref(&theirs)), OCI_INDEX);
    let items = vec![
        CarryItem {
            referrer: referrer(&sbom_body, Found::FallbackIndex, "application/spdx+json"),
            state: TargetState::New,
        },
        CarryItem {
            referrer: referrer(&notation_body, Found::FallbackIndex, "application/vnd.cncf.notary.signature"),
            state: TargetState::AlreadySource,
        },
        CarryItem { referrer: referrer(&sig_body, Found::Tag(sig_tag.clone()), ""), state: TargetState::New },
    ];
    let plan = CarryPlan {
        subject: subject.clone(),
        items,
        target_api: ApiSupport::NotServed,
        source_api: ApiSupport::NotServed,
        source_index: None,
        target_index: Some(target_index.clone()),
        target_tags: None,
    };
    assert_eq!(plan.to_write(), 2);
    let prod_url = "http://r:5000/v2/prod";
    let mount = |digest: &str| {
        row(
            Method::Post,
            format!("{prod_url}/blobs/uploads/?mount={}&from=app", digest.replace(':', "%3A")),
            HttpResponse::status(201),
        )
    };
    let put = |reference: String, body: &str| {
        row(
            Method::Put,
            format!("{prod_url}/manifests/{reference}"),
            HttpResponse::status(201).header("Docker-Content-Digest", sha256_of(body.as_bytes()).to_string()),
        )
        .header("Content-Type", OCI_MANIFEST)
        .body(body.as_bytes())
    };
    let sbom_digest = sha256_of(sbom_body.as_bytes());
    let sig_digest = sha256_of(sig_body.as_bytes());
    // Every blob first, then the manifests: each tag checked just before it is written.
    let script = Script::new(vec![
        mount(EMPTY),
        mount(&sha256_of(b"application/spdx+json").to_string()),
        mount(&sha256_of(b"cfg").to_string()),
        mount(&sha256_of(payload().as_bytes()).to_string()),
        put(sbom_digest.to_string(), &sbom_body),
        row(Method::Head, format!("{prod_url}/manifests/{sig_tag}"), HttpResponse::status(404)),
        put(sig_tag.to_string(), &sig_body),
        // The fallback index: unchanged since the plan read it, then merged.
        row(
            Method::Head,
            format!("{prod_url}/manifests/sha256-{hex}"),
            HttpResponse::status(200).header("Docker-Content-Digest", target_index.digest.to_string()),
        ),
        row(Method::Put, format!("{prod_url}/manifests/sha256-{hex}"), HttpResponse::status(201)),
    ]);
    let registry = registry(&script);
    let ends = Endpoints::new(&registry, &registry);
    let done = pollster::block_on(attachments::carry(&ends, (&app(), &prod), &plan, &|_| {}));
    script.assert_done();
    let report = done.outcome.unwrap();
    assert!(report.complete(), "{report:?}");
    let sent = script.sent.borrow();
    assert_eq!(sent[4].body, sbom_body.as_bytes(), "the SBOM's exact bytes");
    assert_eq!(sent[6].body, sig_body.as_bytes(), "the signature's exact bytes");
    let merged = referrers::index_entries(&sent[8].body).unwrap();
    let digests: Vec<_> = merged.iter().map(|d| d["digest"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        digests,
        [
            sha256_of(b"someone else's").to_string(),
            sbom_digest.to_string(),
            sha256_of(notation_body.as_bytes()).to_string()
        ],
        "theirs kept, ours added (the notation signature was there by digest but not listed)"
    );
    // Journal: the SBOM added by digest, the cosign tag created, the index tag moved.
    let actions: Vec<_> =
        done.journal.iter().map(|e| (e.tag.clone(), e.before.clone(), e.after.clone(), e.ok)).collect();
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert_eq!(actions[0], (None, None, Some(sbom_digest.to_string()), true));
    assert_eq!(actions[1], (Some(sig_tag.to_string()), None, Some(sig_digest.to_string()), true));
    assert_eq!(actions[2].1.as_deref(), Some(target_index.digest.as_str()));
    assert!(done.journal.iter().all(|e| e.action == Action::CopyAttachment));
    assert_eq!(undo_step(&done.journal[0]), Ok(UndoStep::RemoveTag), "undo deletes the added SBOM by digest");
    assert_eq!(
        undo_step(&done.journal[2]),
        Ok(UndoStep::PutBack { digest: target_index.digest.clone() }),
        "undo puts the target's own index back"
    );
}

#[test]
fn a_target_that_indexes_referrers_itself_gets_no_fallback_index() {
    let subject = subject();
    let sbom_body = sbom();
    let plan = CarryPlan {
        subject: subject.clone(),
        items: vec![CarryItem {
            referrer: referrer(&sbom_body, Found::Api, "application/spdx+json"),
            state: TargetState::New,
        }],
        target_api: ApiSupport::Unknown,
        source_api: ApiSupport::Served,
        source_index: None,
        target_index: None,
        target_tags: None,
    };
    let prod_url = "http://r:5000/v2/prod";
    let script = Script::new(vec![
        row(
            Method::Post,
            format!("{prod_url}/blobs/uploads/?mount={}&from=app", EMPTY.replace(':', "%3A")),
            HttpResponse::status(201),
        ),
        row(
            Method::Post,
            format!(
                "{prod_url}/blobs/uploads/?mount={}&from=app",
                sha256_of(b"application/spdx+json").to_string().replace(':', "%3A")
            ),
            HttpResponse::status(201),
        ),
        row(
            Method::Put,
            format!("{prod_url}/manifests/{}", sha256_of(sbom_body.as_bytes())),
            HttpResponse::status(201).header("OCI-Subject", subject.to_string()),
        ),
    ]);
    let registry = registry(&script);
    let ends = Endpoints::new(&registry, &registry);
    let done =
        pollster::block_on(attachments::carry(&ends, (&app(), &Repository::parse("prod").unwrap()), &plan, &|_| {}));
    script.assert_done();
    assert_eq!(done.outcome.unwrap().index, None);
}

#[test]
fn dropping_deletes_each_attachment_then_the_index_and_undo_puts_them_back() {
    let subject = subject();
    let hex = subject.encoded().to_string();
    let sbom_body = sbom();
    let fallback_body = index(&[descriptor(&sbom_body, "application/spdx+json")]);
    let found = referrers::Discovered {
        subject: subject.clone(),
        referrers: vec![referrer(&sbom_body, Found::FallbackIndex, "application/spdx+json")],
        api: ApiSupport::NotServed,
        fallback: Some(fetched(&fallback_body, OCI_INDEX)),
    };
    let sbom_digest = sha256_of(sbom_body.as_bytes());
    let index_digest = sha256_of(fallback_body.as_bytes());
    let script = Script::new(vec![
        row(Method::Delete, format!("{}/manifests/{sbom_digest}", base()), HttpResponse::status(202)),
        row(Method::Delete, format!("{}/manifests/{index_digest}", base()), HttpResponse::status(202)),
    ]);
    let done = pollster::block_on(attachments::drop_all(&registry(&script), &app(), &found));
    script.assert_done();
    assert!(done.outcome.unwrap().iter().all(|(_, r)| r.is_ok()));
    let [sbom_entry, index_entry] = &done.journal[..] else { panic!("{:?}", done.journal) };
    assert_eq!(sbom_entry.tag, None);
    assert_eq!(sbom_entry.saved.as_ref().unwrap().body, sbom_body, "undo has the bytes");
    assert_eq!(index_entry.tag.as_deref(), Some(format!("sha256-{hex}").as_str()));

    // Undo of the SBOM's delete: it is gone (HEAD 404), the registry no longer has it either,
    // so the saved bytes go back by digest.
    let mut entry = sbom_entry.clone();
    entry.id = 5;
    let by_digest = format!("{}/manifests/{sbom_digest}", base());
    let script = Script::new(vec![
        row(Method::Head, by_digest.clone(), HttpResponse::status(404)),
        row(Method::Get, by_digest.clone(), HttpResponse::status(404)),
        row(Method::Put, by_digest, HttpResponse::status(201).header("Docker-Content-Digest", sbom_digest.to_string())),
    ]);
    let undone = pollster::block_on(undo::undo(&registry(&script), &entry, "u"));
    script.assert_done();
    assert_eq!(undone.outcome.unwrap().now, Some(sbom_digest.clone()));
    assert_eq!(script.sent.borrow()[2].body, sbom_body.as_bytes());
    assert_eq!((undone.journal[0].tag.as_deref(), undone.journal[0].undoes), (None, Some(5)));
}

#[test]
fn a_copy_with_three_attachments_sends_only_what_it_needs() {
    // The image (one blob) with a cosign signature by tag and two referrers in the fallback
    // index, copied to an empty repository of the same registry (no referrers API): the bench's
    // copy, one blob smaller. Every request is scripted; anything more fails the test.
    let subject = subject();
    let hex = subject.encoded().to_string();
    let (sbom_body, notation_body, sig_body) = (sbom(), notation(), cosign_signature());
    let fallback_body = index(&[
        descriptor(&sbom_body, "application/spdx+json"),
        descriptor(&notation_body, "application/vnd.cncf.notary.signature"),
    ]);
    let prod_url = "http://r:5000/v2/prod";
    let window = |base: &str| format!("{base}/tags/list?n=8&last=sha256-{}", &hex[..63]);
    let mount = |digest: &Digest| {
        row(
            Method::Post,
            format!("{prod_url}/blobs/uploads/?mount={}&from=app", digest.as_str().replace(':', "%3A")),
            HttpResponse::status(201),
        )
    };
    let stored =
        |body: &str| HttpResponse::status(201).header("Docker-Content-Digest", sha256_of(body.as_bytes()).to_string());
    let name_unknown = HttpResponse::status(404).body(r#"{"errors":[{"code":"NAME_UNKNOWN","message":"m"}]}"#);
    let script = Script::new(vec![
        // The plan: the target tag; the referrers API (one probe); which attachment tags the
        // source has (one page of its tag list) and those read; the referrers' manifests; which
        // the target has (one page: none, the repository does not exist).
        row(Method::Head, format!("{prod_url}/manifests/v1"), HttpResponse::status(404)),
        row(Method::Get, format!("{}/referrers/{subject}", base()), HttpResponse::status(404)),
        row(
            Method::Get,
            window(&base()),
            tag_list(&["v1".into(), format!("sha256-{hex}"), format!("sha256-{hex}.sig")]),
        ),
        row(Method::Get, format!("{}/manifests/sha256-{hex}", base()), manifest_answer(&fallback_body, OCI_INDEX)),
        row(Method::Get, format!("{}/manifests/sha256-{hex}.sig", base()), manifest_answer(&sig_body, OCI_MANIFEST)),
        row(
            Method::Get,
            format!("{}/manifests/{}", base(), sha256_of(sbom_body.as_bytes())),
            manifest_answer(&sbom_body, OCI_MANIFEST),
        ),
        row(
            Method::Get,
            format!("{}/manifests/{}", base(), sha256_of(notation_body.as_bytes())),
            manifest_answer(&notation_body, OCI_MANIFEST),
        ),
        row(Method::Get, window(prod_url), name_unknown),
        // The image: its blob mounted, the tag checked once more, the exact bytes written.
        mount(&sha256_of(b"config!")),
        row(Method::Head, format!("{prod_url}/manifests/v1"), HttpResponse::status(404)),
        row(Method::Put, format!("{prod_url}/manifests/v1"), stored(&image())).body(image().as_bytes()),
        // The attachments' blobs, the empty config once; one look at the tags; the manifests.
        mount(&Digest::parse(EMPTY).unwrap()),
        mount(&sha256_of(b"application/spdx+json")),
        mount(&sha256_of(b"application/vnd.cncf.notary.signature")),
        mount(&sha256_of(b"cfg")),
        mount(&sha256_of(payload().as_bytes())),
        row(Method::Get, window(prod_url), tag_list(&["v1".into()])),
        row(Method::Put, format!("{prod_url}/manifests/{}", sha256_of(sbom_body.as_bytes())), stored(&sbom_body))
            .body(sbom_body.as_bytes()),
        row(
            Method::Put,
            format!("{prod_url}/manifests/{}", sha256_of(notation_body.as_bytes())),
            stored(&notation_body),
        )
        .body(notation_body.as_bytes()),
        row(Method::Put, format!("{prod_url}/manifests/sha256-{hex}.sig"), stored(&sig_body)).body(sig_body.as_bytes()),
        // The source's own index, byte for byte: it lists exactly what was carried.
        row(Method::Put, format!("{prod_url}/manifests/sha256-{hex}"), stored(&fallback_body))
            .header("Content-Type", OCI_INDEX)
            .body(fallback_body.as_bytes()),
    ]);
    let registry = registry(&script);
    let ends = Endpoints::new(&registry, &registry);
    let held = std::rc::Rc::new(fetched(&image(), OCI_MANIFEST));
    let prod = Repository::parse("prod").unwrap();
    let plan = pollster::block_on(copy::plan(
        &ends,
        (app(), held),
        (prod, wharf_protocol::names::Tag::parse("v1").unwrap()),
        true,
    ))
    .unwrap();
    assert!(!plan.needs_confirmation(), "nothing at the target moves");
    let confirmed = Confirmed::tags(plan.moves());
    let copied = pollster::block_on(copy::execute(&ends, &plan, &confirmed, &|_| {}, &Retry::never()));
    script.assert_done();
    let report = copied.outcome.unwrap();
    assert_eq!(report.problem(&plan), None, "the image and its 3 attachments are in place");
    assert_eq!(script.sent.borrow().len(), 21);
    assert_eq!(copied.journal.len(), 5, "the image, 3 attachments and the index");
}
