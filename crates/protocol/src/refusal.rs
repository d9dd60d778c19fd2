//! Why Wharf itself refused to go on: a policy, not a registry's answer. Each refusal is a variant
//! that carries what a caller needs to act on it (the tags not confirmed, the digest a tag holds
//! now), so pages and tests match variants and never message text. [`Refusal::sentence`] words
//! each one for the journal and for pages that show it as it is.

use std::fmt;

use crate::names::Digest;

/// The schema 1 explanation: why such an image cannot be retagged or copied.
pub const SCHEMA1_EXPLANATION: &str = "This image uses Docker's deprecated signed manifest format (schema 1). Its signature binds it to its original repository name and tag, and the registry's digest is computed over the payload without the signatures, so it cannot be retagged or copied here. Pull and push it again with a current Docker (which converts it to schema 2), or rebuild it.";

/// When a tag was found to have moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Just before a copy wrote its tag: the blobs and children are in place.
    Copying,
    /// Just before the attachments' fallback index was written.
    CarryingAttachments,
    /// Before an undo wrote anything: someone changed the tag after the journal entry.
    Undoing,
    /// Before a delete wrote anything: the tag no longer holds the image the plan showed.
    Deleting,
}

/// Why an undo cannot be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoRefusal {
    /// Another entry undid it already.
    AlreadyUndone {
        /// That entry's id.
        by: u64,
    },
    /// The change failed: there is nothing to undo.
    Failed,
    /// The tag held the same image before and after.
    ChangedNothing,
    /// The entry names no tag and no manifest to act on.
    NothingRecorded,
    /// The tag existed neither before nor after.
    NeverExisted,
    /// A name or digest in the entry cannot be read.
    Unreadable(String),
    /// The image to put back is no longer in the registry, and the entry saved no copy.
    ImageGone {
        /// `repository:tag` (or `repository@digest`).
        place: String,
        /// The image.
        digest: Digest,
    },
}

/// A refusal of Wharf's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Tags would move to another image and the user did not confirm moving them: nothing sent.
    NotConfirmed {
        /// The tags (`repository:tag`).
        places: Vec<String>,
    },
    /// A tag changed since the plan: writing now would undo someone else's change.
    MovedSincePlan {
        /// The tag (`repository:tag`).
        place: String,
        /// What it holds now (`None`: it is gone).
        now: Option<Digest>,
        /// When it was noticed.
        stage: Stage,
    },
    /// A schema 1 image: its signature names its source ([`SCHEMA1_EXPLANATION`]).
    Schema1,
    /// An undo that must not or cannot happen; nothing was sent.
    Undo(UndoRefusal),
    /// Part of a many-part change did not get there.
    Partial {
        /// Parts that failed.
        failed: usize,
        /// Parts in all.
        total: usize,
        /// The first failure, in words.
        first: String,
    },
    /// A tag delete whose placeholder the registry would not delete, and whose put-back failed:
    /// the tag now points at the placeholder.
    PlaceholderStuck {
        /// The tag (`repository:tag`).
        place: String,
        /// The image it held.
        previous: Digest,
        /// The placeholder it holds now.
        placeholder: Digest,
        /// Why the placeholder's delete was refused.
        refused: String,
        /// Why putting the tag back failed.
        restore: String,
    },
}

impl Refusal {
    /// The refusal in words: what happened and what to do.
    pub fn sentence(&self) -> String {
        match self {
            Refusal::NotConfirmed { places } => {
                let (verb, them) = if places.len() == 1 { ("points", "it") } else { ("point", "them") };
                format!("Not sent: {} already {verb} at another image; confirm moving {them} first.", places.join(", "))
            }
            Refusal::MovedSincePlan { place, now, stage } => {
                let held = now.as_ref().map_or("nothing (the tag is gone)".to_string(), Digest::to_string);
                match stage {
                    Stage::Copying => format!(
                        "Not moved: {place} changed while the image was copied; it now points at {held}. The blobs and \
                         child manifests are in place; check the tag and copy again."
                    ),
                    Stage::CarryingAttachments => format!(
                        "Not written: {place} changed while the attachments were copied (it now points at {held}); \
                         copy again to merge with it."
                    ),
                    Stage::Undoing => format!(
                        "Not undone: {place} has changed since — it now points at {held}. Undo would overwrite that \
                         change, so nothing was sent."
                    ),
                    Stage::Deleting => format!(
                        "Not deleted: {place} has changed since the plan — it now points at {held}. Look again before \
                         deleting; nothing was sent."
                    ),
                }
            }
            Refusal::Schema1 => SCHEMA1_EXPLANATION.to_string(),
            Refusal::Undo(UndoRefusal::ImageGone { place, digest }) => format!(
                "Cannot undo: the registry no longer holds {digest} (it was deleted, and perhaps garbage-collected), so \
                 {place} cannot be put back."
            ),
            Refusal::Undo(why) => format!("Cannot undo: {why}."),
            Refusal::Partial { failed, total, first } => format!(
                "The image was copied, but {failed} of its {total} attachments (or their fallback index) were not: \
                 {first}. Retry to copy what is missing."
            ),
            Refusal::PlaceholderStuck { place, previous, placeholder, refused, restore } => {
                let tag = place.rsplit(':').next().unwrap_or(place);
                format!(
                    "The registry refused to delete the placeholder ({refused}), and putting {place} back on {previous} \
                     failed too ({restore}). {place} now points at the placeholder {placeholder}: retag {previous} to \
                     {tag} to restore it."
                )
            }
        }
    }
}

impl fmt::Display for UndoRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UndoRefusal::AlreadyUndone { by } => write!(f, "already undone (entry {by})"),
            UndoRefusal::Failed => f.write_str("it failed, so there is nothing to undo"),
            UndoRefusal::ChangedNothing => f.write_str("it changed nothing"),
            UndoRefusal::NothingRecorded => f.write_str("no tag was recorded"),
            UndoRefusal::NeverExisted => f.write_str("the tag did not exist before or after"),
            UndoRefusal::Unreadable(why) => f.write_str(why),
            UndoRefusal::ImageGone { digest, .. } => write!(f, "the registry no longer holds {digest}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_what_to_do() {
        let one = Refusal::NotConfirmed { places: vec!["app:latest".into()] };
        assert_eq!(one.sentence(), "Not sent: app:latest already points at another image; confirm moving it first.");
        let two = Refusal::NotConfirmed { places: vec!["app:a".into(), "app:b".into()] };
        assert!(two.sentence().contains("app:a, app:b already point at another image; confirm moving them"));
        let d = crate::digest::sha256_of(b"x");
        let moved = Refusal::MovedSincePlan { place: "app:v1".into(), now: None, stage: Stage::Undoing };
        assert!(moved.sentence().contains("nothing (the tag is gone)"), "{}", moved.sentence());
        let stuck = Refusal::PlaceholderStuck {
            place: "team/app:v1".into(),
            previous: d.clone(),
            placeholder: d,
            refused: "405".into(),
            restore: "500".into(),
        };
        assert!(stuck.sentence().ends_with("to v1 to restore it."), "{}", stuck.sentence());
        assert_eq!(
            Refusal::Undo(UndoRefusal::AlreadyUndone { by: 7 }).sentence(),
            "Cannot undo: already undone (entry 7)."
        );
    }
}
