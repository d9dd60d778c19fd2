//! What every change to a registry shares: plan (pure) → execute → report.
//!
//! A flow's plan is decided before anything is sent, from lookups (what each target tag holds:
//! [`crate::state::TargetState`]). A plan that would move a tag off another image runs only once
//! the user has [`Confirmed`] moving it. Executing it yields [`Finished`]: how it ended and the
//! journal entries it produced, so no caller decides what succeeded or what to record. A
//! many-item run ([`crate::runner`]) is a list of these same flows.

use crate::error::Error;
use crate::journal::Entry;
use crate::names::{Repository, Tag};
use crate::refusal::Refusal;

/// How a flow ended, and the journal entries it produced (recorded whether it succeeded or not:
/// a failed change is worth remembering too).
#[derive(Debug)]
pub struct Finished<R> {
    /// The report, or why the flow stopped.
    pub outcome: Result<R, Error>,
    /// What to add to the journal.
    pub journal: Vec<Entry>,
}

impl<R> Finished<R> {
    /// A flow that stopped before changing anything: nothing to journal.
    pub fn refused(error: Error) -> Self {
        Finished { outcome: Err(error), journal: Vec::new() }
    }
}

/// The tags the user agreed to move off another image: the one shape of confirmation every flow
/// takes. A plan lists the tags it would move; while any of them is not confirmed, nothing is
/// sent ([`Refusal::NotConfirmed`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confirmed(Vec<Tag>);

impl Confirmed {
    /// Nothing confirmed: a plan that moves a tag is refused.
    pub fn nothing() -> Self {
        Confirmed(Vec::new())
    }

    /// These tags may move.
    pub fn tags<'a>(tags: impl IntoIterator<Item = &'a Tag>) -> Self {
        Confirmed(tags.into_iter().cloned().collect())
    }

    /// Whether `tag` may move.
    pub fn covers(&self, tag: &Tag) -> bool {
        self.0.contains(tag)
    }

    /// Refuses, naming them, when any of `moves` (tags of `repository`) is not confirmed.
    pub fn check<'a>(&self, repository: &Repository, moves: impl IntoIterator<Item = &'a Tag>) -> Result<(), Error> {
        let places: Vec<String> =
            moves.into_iter().filter(|tag| !self.covers(tag)).map(|tag| format!("{repository}:{tag}")).collect();
        if places.is_empty() {
            Ok(())
        } else {
            Err(Error::Refused(Refusal::NotConfirmed { places }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unconfirmed_moves_refuse() {
        let (a, b) = (Tag::parse("a").unwrap(), Tag::parse("b").unwrap());
        let repository = Repository::parse("team/app").unwrap();
        assert_eq!(Confirmed::nothing().check(&repository, []), Ok(()));
        assert_eq!(Confirmed::tags([&a]).check(&repository, [&a]), Ok(()));
        assert_eq!(
            Confirmed::tags([&a]).check(&repository, [&a, &b]),
            Err(Error::Refused(Refusal::NotConfirmed { places: vec!["team/app:b".into()] }))
        );
    }
}
