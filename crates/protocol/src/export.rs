//! Every change as a script ([`crate::script`]): built from what the change planned and did (a
//! retag, a copy, a bulk or clean-up run, a delete, an undo of a run) or from a journal entry.
//! The digests in it are the ones recorded when the change ran; the source is read by the
//! reference the change used (its tag where it had one), so a tag that moved since stops the
//! script's item before anything is written.

use crate::attachments::{self, CarryPlan, CarryReport};
use crate::bulk::BulkPlan;
use crate::cleanup::CleanupPlan;
use crate::copy::{CopyPlan, CopyReport};
use crate::delete::{DeletePlan, DeleteReport};
use crate::journal::{Action, Entry};
use crate::manifest::FetchedManifest;
use crate::media::OCI_INDEX;
use crate::names::{Digest, Tag};
use crate::referrers::{self, Discovered};
use crate::retag::RetagPlan;
use crate::runner::ItemState;
use crate::script::{At, Item, Script, Step};

/// A retag: read the source by its tag (or digest), PUT it under every target tag.
pub fn retag(registry: &str, plan: &RetagPlan) -> Script {
    let source = plan.source.to_string();
    let reference = plan.source_tag.as_ref().map_or(source.clone(), |t| t.to_string());
    let repository = plan.repository.to_string();
    let mut steps = vec![Step::Read {
        at: At::Source,
        repository: repository.clone(),
        reference: reference.clone(),
        expect: source.clone(),
    }];
    steps.extend(plan.targets.iter().map(|t| Step::Put {
        at: At::Target,
        repository: repository.clone(),
        tag: t.tag.to_string(),
        digest: source.clone(),
    }));
    let targets: Vec<String> = plan.targets.iter().map(|t| t.tag.to_string()).collect();
    let label = format!("retag {repository}:{reference} as {}", targets.join(", "));
    one_item(registry, None, label, steps)
}

/// A copy: read the source, get every blob the copy moved into the target repository, the child
/// manifests by digest, then the image under its tag.
pub fn copy(source_registry: &str, target_registry: &str, plan: &CopyPlan, report: &CopyReport) -> Script {
    let source = report.source.to_string();
    let (from, to) = (plan.source_repository.to_string(), plan.target_repository.to_string());
    let reference = plan.source_tag.as_ref().map_or(source.clone(), |t| t.to_string());
    let mut steps = vec![Step::Read {
        at: At::Source,
        repository: from.clone(),
        reference: reference.clone(),
        expect: source.clone(),
    }];
    steps.extend(report.blobs.iter().map(|(digest, _, _)| Step::Blob {
        from: from.clone(),
        to: to.clone(),
        digest: digest.to_string(),
    }));
    steps.extend(report.children.iter().map(|digest| Step::Child {
        from: from.clone(),
        to: to.clone(),
        digest: digest.to_string(),
    }));
    steps.push(Step::Put { at: At::Target, repository: to.clone(), tag: plan.target_tag.to_string(), digest: source });
    if let Some(carried) = &report.attachments {
        steps.extend(attachment_steps((&from, &to), plan.planned_attachments(), carried));
    }
    let label = format!("copy {from}:{reference} to {to}:{}", plan.target_tag);
    one_item(source_registry, Some(target_registry), label, steps)
}

/// A script of one item, titled by it; `target` names `TARGET_REGISTRY` when it is another
/// registry.
fn one_item(registry: &str, target: Option<&str>, label: String, steps: Vec<Step>) -> Script {
    Script {
        title: format!("Wharf: {label}"),
        registry: registry.to_string(),
        target_registry: target.filter(|t| *t != registry).map(str::to_string),
        items: vec![Item { label, steps }],
        notes: Vec::new(),
    }
}

/// The attachments a copy carried, as the page carried them: each one's manifest read by digest
/// and checked, its blobs, then the manifest PUT by digest (or under its cosign tag, only while
/// that tag holds what it held when the page wrote it); then the fallback index the page wrote,
/// its exact bytes, only over the index the page wrote over.
fn attachment_steps((from, to): (&str, &str), planned: Option<&CarryPlan>, carried: &CarryReport) -> Vec<Step> {
    let mut steps = Vec::new();
    for item in carried.items.iter().filter(|item| item.outcome.is_ok()) {
        let held = planned
            .and_then(|p| p.items.iter().find(|i| i.referrer.digest == item.digest))
            .and_then(|i| i.state.current(&item.digest).map(ToString::to_string));
        steps.extend(carry_one((from, to), &item.digest, item.tag.as_ref(), Some(held)));
    }
    if let Some(Ok(index)) = &carried.index {
        steps.extend(index_steps(to, &index.tag, index.before.as_ref(), &index.manifest));
    }
    steps
}

/// The attachments a bulk copy carried with one image: each as the page carried it, and the
/// fallback index the page writes where the target has none. (A run does not keep what each
/// target held, so a target with its own index stops the item there: the script does not write
/// over an index it did not see.)
fn discovered_steps((from, to): (&str, &str), found: &Discovered) -> Vec<Step> {
    let mut steps: Vec<Step> =
        found.referrers.iter().flat_map(|r| carry_one((from, to), &r.digest, r.tag(), None)).collect();
    let listed: Vec<_> = found.referrers.iter().filter_map(|r| r.descriptor.clone()).collect();
    if listed.is_empty() {
        return steps;
    }
    let made = attachments::index_to_write(None, found.fallback.as_ref(), &listed)
        .and_then(|bytes| FetchedManifest::from_bytes("the fallback index", bytes, Some(OCI_INDEX), None, None).ok());
    if let Some(index) = made {
        steps.extend(index_steps(to, &referrers::fallback_tag(&found.subject), None, &index));
    }
    steps
}

/// One attachment: its manifest read by digest and checked, its blobs, then the manifest PUT by
/// digest or under its cosign tag; with `held`, only while that tag holds what it held when the
/// page wrote it (`Some(None)`: nothing).
fn carry_one((from, to): (&str, &str), digest: &Digest, tag: Option<&Tag>, held: Option<Option<String>>) -> Vec<Step> {
    let digest = digest.to_string();
    let mut steps = vec![
        Step::Read { at: At::Source, repository: from.to_string(), reference: digest.clone(), expect: digest.clone() },
        Step::Referenced { from: from.to_string(), to: to.to_string(), digest: digest.clone() },
    ];
    if let (Some(tag), Some(before)) = (tag, held) {
        steps.push(Step::Unchanged {
            at: At::Target,
            repository: to.to_string(),
            tag: tag.to_string(),
            before,
            after: digest.clone(),
        });
    }
    let tag = tag.map_or(digest.clone(), ToString::to_string);
    steps.push(Step::Put { at: At::Target, repository: to.to_string(), tag, digest });
    steps
}

/// A fallback index as the page wrote it: its exact bytes under its tag, only over `before`.
fn index_steps(to: &str, tag: &Tag, before: Option<&Digest>, index: &FetchedManifest) -> Vec<Step> {
    let digest = index.digest.to_string();
    vec![
        Step::Unchanged {
            at: At::Target,
            repository: to.to_string(),
            tag: tag.to_string(),
            before: before.map(ToString::to_string),
            after: digest.clone(),
        },
        Step::Literal { digest: digest.clone(), media_type: index.media_type.as_str().to_string(), text: index.text() },
        Step::Put { at: At::Target, repository: to.to_string(), tag: tag.to_string(), digest },
    ]
}

/// A bulk run: one item per operation that ran (done or failed), each a retag or a copy of its
/// image; the script goes on past a failed item and reports each at the end.
pub fn bulk(source_registry: &str, target_registry: &str, plan: &BulkPlan, states: &[ItemState]) -> Script {
    let (from, to) = (plan.source_repository.to_string(), plan.target_repository.to_string());
    let items = plan
        .items
        .iter()
        .zip(states)
        .filter(|(_, state)| matches!(state, ItemState::Done(_) | ItemState::Failed(_)))
        .filter_map(|(item, _)| {
            let digest = item.source.as_ref()?.to_string();
            let read = Step::Read {
                at: At::Source,
                repository: from.clone(),
                reference: item.source_tag.to_string(),
                expect: digest.clone(),
            };
            let put = Step::Put {
                at: At::Target,
                repository: to.clone(),
                tag: item.target_tag.to_string(),
                digest: digest.clone(),
            };
            let mut steps = if plan.copy {
                vec![read, Step::Referenced { from: from.clone(), to: to.clone(), digest }, put]
            } else {
                vec![read, put]
            };
            if plan.copy && plan.with_attachments {
                if let Some(found) = item.source.as_ref().and_then(|source| plan.attachments_of(source)) {
                    steps.extend(discovered_steps((&from, &to), found));
                }
            }
            let verb = if plan.copy { "copy" } else { "retag" };
            Some(Item { label: format!("{verb} {from}:{} to {to}:{}", item.source_tag, item.target_tag), steps })
        })
        .collect();
    let verb = if plan.copy { "copy" } else { "retag" };
    Script {
        title: format!("Wharf: bulk {verb} from {from} to {to}"),
        registry: source_registry.to_string(),
        target_registry: (target_registry != source_registry).then(|| target_registry.to_string()),
        items,
        notes: Vec::new(),
    }
}

/// A clean-up run: each tag it deleted, deleted again the same way (alone, only while it holds
/// the image the plan showed).
pub fn cleanup(registry: &str, plan: &CleanupPlan, states: &[ItemState]) -> Script {
    let repository = plan.repository.to_string();
    let items = plan
        .rows
        .iter()
        .zip(states)
        .filter(|(row, state)| row.verdict.deletes() && matches!(state, ItemState::Done(_) | ItemState::Failed(_)))
        .map(|(row, _)| Item {
            label: format!("delete {repository}:{}", row.image.tag),
            steps: vec![Step::DeleteTag {
                at: At::Source,
                repository: repository.clone(),
                tag: row.image.tag.to_string(),
                expect: row.image.digest.to_string(),
            }],
        })
        .collect();
    Script {
        title: format!("Wharf: clean-up of {repository}"),
        registry: registry.to_string(),
        target_registry: None,
        items,
        notes: Vec::new(),
    }
}

/// A delete from the delete page, with the attachments the page deleted after the image.
pub fn delete(registry: &str, plan: &DeletePlan, report: &DeleteReport) -> Script {
    let (label, steps) = match plan {
        DeletePlan::Tag { repository, tag, digest } => (
            format!("delete {repository}:{tag} (its other tags stay)"),
            vec![Step::DeleteTag {
                at: At::Source,
                repository: repository.to_string(),
                tag: tag.to_string(),
                expect: digest.to_string(),
            }],
        ),
        DeletePlan::Manifest { repository, manifest, tags, .. } => {
            let dropped: &[_] = match report {
                DeleteReport::Manifest { attachments, .. } => attachments,
                DeleteReport::Tag(_) => &[],
            };
            let steps = std::iter::once(&manifest.digest)
                .chain(dropped.iter().filter(|(_, ended)| ended.is_ok()).map(|(digest, _)| digest))
                .map(|digest| Step::DeleteManifest {
                    at: At::Source,
                    repository: repository.to_string(),
                    digest: digest.to_string(),
                })
                .collect();
            (format!("delete {repository}@{} with its tags {}", manifest.digest, tags.join(", ")), steps)
        }
    };
    one_item(registry, None, label, steps)
}

/// What replays one journal entry, as its own item: the tag made to hold the digest the change
/// left there (read by digest in the entry's repository), or deleted again when the change
/// deleted it. `None` for an entry that did not change anything (failed, or nothing recorded).
pub fn entry_item(entry: &Entry) -> Option<Item> {
    if !entry.ok {
        return None;
    }
    let repository = entry.repository.clone();
    let place = match &entry.tag {
        Some(tag) => format!("{repository}:{tag}"),
        None => format!("{repository}@{}", entry.after.as_deref().or(entry.before.as_deref()).unwrap_or_default()),
    };
    let steps = match (&entry.action, &entry.tag, &entry.before, &entry.after) {
        (Action::DeleteManifest | Action::DeleteAttachment, _, Some(before), None) => {
            vec![Step::DeleteManifest { at: At::Source, repository, digest: before.clone() }]
        }
        (_, reference, _, Some(after)) => vec![
            Step::Read {
                at: At::Source,
                repository: repository.clone(),
                reference: after.clone(),
                expect: after.clone(),
            },
            Step::Put {
                at: At::Source,
                repository,
                tag: reference.clone().unwrap_or_else(|| after.clone()),
                digest: after.clone(),
            },
        ],
        (_, Some(tag), Some(before), None) => {
            vec![Step::DeleteTag { at: At::Source, repository, tag: tag.clone(), expect: before.clone() }]
        }
        _ => return None,
    };
    Some(Item { label: format!("{} {place}", entry.action), steps })
}

/// A journal entry, or several (an undo of a clean-up run), as one script.
pub fn entries(title: &str, entries: &[&Entry]) -> Option<Script> {
    let registry = entries.first()?.registry.clone();
    let items: Vec<Item> = entries.iter().filter_map(|e| entry_item(e)).collect();
    (!items.is_empty()).then(|| Script {
        title: format!("Wharf: {title}"),
        registry,
        target_registry: None,
        items,
        notes: Vec::new(),
    })
}

/// The undo of a clean-up run: each deleted tag put back on its digest, only while it is still
/// absent (a tag written since is left alone).
pub fn cleanup_undo(registry: &str, deleted: &[&Entry]) -> Script {
    let items = deleted
        .iter()
        .filter_map(|entry| {
            let (tag, digest) = (entry.tag.clone()?, entry.before.clone()?);
            let repository = entry.repository.clone();
            Some(Item {
                label: format!("put {repository}:{tag} back on {digest}"),
                steps: vec![
                    Step::Absent { at: At::Source, repository: repository.clone(), tag: tag.clone() },
                    Step::Read {
                        at: At::Source,
                        repository: repository.clone(),
                        reference: digest.clone(),
                        expect: digest.clone(),
                    },
                    Step::Put { at: At::Source, repository, tag, digest },
                ],
            })
        })
        .collect();
    Script {
        title: "Wharf: undo of a clean-up".into(),
        registry: registry.to_string(),
        target_registry: None,
        items,
        notes: Vec::new(),
    }
}
