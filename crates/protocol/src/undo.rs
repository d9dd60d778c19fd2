//! Undo: a flow of its own. An entry of the journal says what a change did; undoing it puts
//! the tag back on its previous image (a PUT of that manifest, fetched by digest, or the bytes
//! the entry saved when the change deleted it) or, for a tag the change created, deletes it again
//! ([`Registry::tag_delete`], which keeps its siblings). Undo first checks that the tag still
//! holds what the change left there: if someone moved it since, undo would destroy their change,
//! so it refuses ([`Refusal::MovedSincePlan`]) and sends nothing.

use crate::client::Registry;
use crate::error::Error;
use crate::flow::Finished;
use crate::http::Transport;
use crate::journal::{Action, Entry};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::refusal::{Refusal, Stage, UndoRefusal};
use crate::requests::RegistryUrl;

/// What undoing an entry means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoStep {
    /// Point the tag at its previous image again (for an entry without a tag: put the manifest
    /// back by digest).
    PutBack {
        /// The previous image.
        digest: Digest,
    },
    /// The change created the tag: delete it (its siblings stay). For an entry without a tag: the
    /// change added the manifest, so delete it by digest.
    RemoveTag,
}

/// What undoing `entry` would do, or why it cannot be undone.
pub fn undo_step(entry: &Entry) -> Result<UndoStep, UndoRefusal> {
    if let Some(by) = entry.undone_by {
        return Err(UndoRefusal::AlreadyUndone { by });
    }
    if !entry.ok {
        return Err(UndoRefusal::Failed);
    }
    let unreadable = |e: crate::names::NameError| UndoRefusal::Unreadable(e.to_string());
    if entry.tag.is_none() {
        // A manifest written or deleted by digest (an attachment): undo deletes it again, or
        // puts its saved bytes back.
        return match (&entry.before, &entry.after, &entry.saved) {
            (None, Some(after), _) => Digest::parse(after).map(|_| UndoStep::RemoveTag).map_err(unreadable),
            (Some(before), None, Some(_)) => {
                Digest::parse(before).map(|digest| UndoStep::PutBack { digest }).map_err(unreadable)
            }
            _ => Err(UndoRefusal::NothingRecorded),
        };
    }
    match (&entry.before, &entry.after) {
        (Some(before), after) if after.as_ref() == Some(before) => Err(UndoRefusal::ChangedNothing),
        (Some(before), _) => Digest::parse(before).map(|digest| UndoStep::PutBack { digest }).map_err(unreadable),
        (None, Some(_)) => Ok(UndoStep::RemoveTag),
        (None, None) => Err(UndoRefusal::NeverExisted),
    }
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoReport {
    /// What the tag holds now (`None`: deleted).
    pub now: Option<Digest>,
    /// In words.
    pub summary: String,
}

/// Undoes `entry` on `registry` (the one the entry names). `unique` makes a throwaway manifest
/// unique when a created tag is deleted again. A successful undo yields one journal entry that
/// marks `entry` undone. A refusal (the tag changed since, nothing to undo) yields none: nothing
/// was sent. An undo that fails after it began writing yields a failed entry saying where the
/// tag is now, when a HEAD finds it elsewhere than where the undo found it.
pub async fn undo<T: Transport>(registry: &Registry<T>, entry: &Entry, unique: &str) -> Finished<UndoReport> {
    let checked = match undo_check(registry, entry).await {
        Ok(checked) => checked,
        Err(e) => return Finished::refused(e),
    };
    match undo_apply(registry, &checked, unique).await {
        Ok(report) => {
            let journal = undo_change(
                registry.url(),
                entry,
                &checked,
                report.now.as_ref(),
                Ok(format!("undid entry {}", entry.id)),
            );
            Finished { outcome: Ok(report), journal: vec![journal] }
        }
        Err(e) => {
            let journal = match registry.manifest_digest(&checked.repository, &checked.place).await {
                Ok(now) if now != checked.left => {
                    vec![undo_change(registry.url(), entry, &checked, now.as_ref(), Err(e.headline()))]
                }
                _ => Vec::new(),
            };
            Finished { outcome: Err(e), journal }
        }
    }
}

/// What an undo read and checked before writing anything.
struct UndoChecked {
    repository: Repository,
    /// The tag, or for an entry without one, the manifest's digest.
    place: Reference,
    /// What the tag holds now: what the entry left there.
    left: Option<Digest>,
    /// The manifest to put back (`None`: the tag is to be deleted again).
    put_back: Option<FetchedManifest>,
}

/// The entry an undo adds: the tag went from what `entry` left to `now`.
fn undo_change(
    registry: &RegistryUrl,
    entry: &Entry,
    checked: &UndoChecked,
    now: Option<&Digest>,
    outcome: Result<String, String>,
) -> Entry {
    let ok = outcome.is_ok();
    let tag = match &checked.place {
        Reference::Tag(tag) => Some(tag),
        Reference::Digest(_) => None,
    };
    let mut change = Entry::new(Action::Undo, registry, &checked.repository, tag, checked.left.as_ref(), now, outcome);
    change.undoes = ok.then_some(entry.id);
    change
}

/// Refuses an undo that cannot or must not happen, before anything is written: nothing to undo,
/// the tag changed since the entry, or the image to put back is gone. Reads that image.
async fn undo_check<T: Transport>(registry: &Registry<T>, entry: &Entry) -> Result<UndoChecked, Error> {
    let step = undo_step(entry).map_err(|why| Error::Refused(Refusal::Undo(why)))?;
    let repository = Repository::parse(&entry.repository)?;
    let place = match (&entry.tag, &step) {
        (Some(tag), _) => Reference::Tag(Tag::parse(tag)?),
        (None, UndoStep::PutBack { digest }) => Reference::Digest(digest.clone()),
        (None, UndoStep::RemoveTag) => Reference::Digest(Digest::parse(entry.after.as_deref().unwrap_or_default())?),
    };
    let shown = place_text(&repository, &place);
    let now = registry.manifest_digest(&repository, &place).await?;
    let left = entry.after.as_deref().map(Digest::parse).transpose()?;
    if now != left {
        return Err(Error::Refused(Refusal::MovedSincePlan { place: shown, now, stage: Stage::Undoing }));
    }
    let put_back = match step {
        UndoStep::RemoveTag => None,
        UndoStep::PutBack { digest } => {
            Some(match registry.manifest_get(&repository, &Reference::Digest(digest.clone())).await {
                Ok(m) => m,
                Err(e) if e.is_not_found() => match &entry.saved {
                    Some(saved) => FetchedManifest::from_bytes(
                        "the journal's saved copy",
                        saved.body.clone().into_bytes(),
                        Some(&saved.media_type),
                        None,
                        Some(&digest),
                    )?,
                    None => return Err(Error::Refused(Refusal::Undo(UndoRefusal::ImageGone { place: shown, digest }))),
                },
                Err(e) => return Err(e),
            })
        }
    };
    Ok(UndoChecked { repository, place, left, put_back })
}

/// The undo's one write: the tag deleted again, or its manifest put back.
async fn undo_apply<T: Transport>(
    registry: &Registry<T>,
    checked: &UndoChecked,
    unique: &str,
) -> Result<UndoReport, Error> {
    let (repository, place) = (&checked.repository, &checked.place);
    let shown = place_text(repository, place);
    let Some(manifest) = &checked.put_back else {
        let previous = match place {
            Reference::Tag(tag) => registry.tag_delete(repository, tag, unique).await?.previous,
            Reference::Digest(digest) => {
                registry.manifest_delete(repository, digest).await?;
                digest.clone()
            }
        };
        return Ok(UndoReport { now: None, summary: format!("Deleted {shown} again (it held {}).", previous.short()) });
    };
    let put = registry.manifest_put(repository, place, manifest).await?;
    let digest = &manifest.digest;
    if let Some(answered) = put.digest.as_deref().filter(|d| *d != digest.as_str()) {
        return Err(Error::DigestMismatch { url: shown, expected: digest.to_string(), actual: answered.to_string() });
    }
    Ok(UndoReport { summary: format!("{shown} points at {} again.", digest.short()), now: Some(digest.clone()) })
}

/// `repository:tag`, or `repository@digest` for a manifest kept by digest alone.
fn place_text(repository: &Repository, place: &Reference) -> String {
    match place {
        Reference::Tag(tag) => format!("{repository}:{tag}"),
        Reference::Digest(digest) => format!("{repository}@{}", digest.short()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(before: Option<&str>, after: Option<&str>) -> Entry {
        Entry {
            id: 0,
            time: "2026-11-23T10:00:00Z".into(),
            action: Action::Retag,
            registry: "http://r:5000".into(),
            repository: "app".into(),
            tag: Some("latest".into()),
            before: before.map(str::to_string),
            after: after.map(str::to_string),
            ok: true,
            result: "stored".into(),
            saved: None,
            undone_by: None,
            undoes: None,
        }
    }

    #[test]
    fn undo_steps_follow_before_and_after() {
        let a = crate::digest::sha256_of(b"a").to_string();
        let b = crate::digest::sha256_of(b"b").to_string();
        assert_eq!(undo_step(&entry(Some(&a), Some(&b))), Ok(UndoStep::PutBack { digest: Digest::parse(&a).unwrap() }));
        assert_eq!(undo_step(&entry(None, Some(&b))), Ok(UndoStep::RemoveTag));
        assert!(matches!(undo_step(&entry(Some(&a), None)), Ok(UndoStep::PutBack { .. })), "a deleted tag comes back");
        assert_eq!(undo_step(&entry(Some(&a), Some(&a))), Err(UndoRefusal::ChangedNothing));
        let mut failed = entry(Some(&a), Some(&b));
        failed.ok = false;
        assert_eq!(undo_step(&failed), Err(UndoRefusal::Failed));
        failed.ok = true;
        failed.undone_by = Some(7);
        assert_eq!(undo_step(&failed), Err(UndoRefusal::AlreadyUndone { by: 7 }));
    }
}
