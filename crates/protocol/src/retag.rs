//! Retag without pulling: GET the manifest's exact bytes by digest, PUT the same bytes under each
//! new tag, and compare the digest the registry answers with the source's.
//!
//! There is no conditional PUT in the API, so a PUT silently moves an existing tag. The plan
//! records what every target holds before anything is sent ([`lookup_targets`] HEADs them, as
//! the user types), and [`execute`] refuses to go on until each move has been confirmed. A bulk
//! retag's items are this same flow ([`RetagPlan::item`]), each image read once for all of its
//! items ([`read_source`], then [`write()`]).

use crate::client::Registry;
use crate::digest::HeaderCheck;
use crate::error::Error;
use crate::flow::{Confirmed, Finished};
use crate::http::Transport;
use crate::journal::{Action, Entry};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, NameError, Reference, Repository, Tag};
use crate::pace::Retry;
use crate::state::{target_state, Stored, TargetState};

/// Parses the target tags the user typed (separated by spaces or commas). Every invalid name is
/// reported; duplicates are dropped.
pub fn parse_targets(input: &str) -> Result<Vec<Tag>, Vec<NameError>> {
    let mut tags: Vec<Tag> = Vec::new();
    let mut errors = Vec::new();
    for word in input.split([',', ' ', '\n', '\t']).filter(|w| !w.is_empty()) {
        match Tag::parse(word) {
            Ok(tag) if !tags.contains(&tag) => tags.push(tag),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if tags.is_empty() {
        return Err(vec![NameError { kind: "tag", input: String::new(), reason: "enter at least one new tag".into() }]);
    }
    Ok(tags)
}

/// One target and what will happen to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTarget {
    /// The new tag.
    pub tag: Tag,
    /// What it holds now.
    pub state: TargetState,
}

/// What a retag will do, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetagPlan {
    /// The repository (retag stays within it).
    pub repository: Repository,
    /// The image being tagged.
    pub source: Digest,
    /// The tag the image was chosen by, when it was (named in the journal).
    pub source_tag: Option<Tag>,
    /// Each target.
    pub targets: Vec<PlannedTarget>,
    /// How the journal names it: a retag, or one item of a bulk retag.
    pub action: Action,
}

impl RetagPlan {
    /// Builds the plan from each target's current digest (`None`: the tag does not exist).
    pub fn new(repository: Repository, source: Digest, current: Vec<(Tag, Option<Digest>)>) -> Self {
        let targets = current
            .into_iter()
            .map(|(tag, digest)| PlannedTarget { state: target_state(Some(&source), digest), tag })
            .collect();
        RetagPlan { repository, source, source_tag: None, targets, action: Action::Retag }
    }

    /// The same plan, naming the tag the image was chosen by when `reference` is one (an
    /// exported script reads the source by it, and stops when it has moved).
    pub fn chosen_by(mut self, reference: &Reference) -> Self {
        if let Reference::Tag(tag) = reference {
            self.source_tag = Some(tag.clone());
        }
        self
    }

    /// One item of a bulk retag: `source_tag`'s image to `target`, whose state the dry run read.
    pub fn item(repository: &Repository, (source_tag, source): (&Tag, &Digest), target: (&Tag, &TargetState)) -> Self {
        RetagPlan {
            repository: repository.clone(),
            source: source.clone(),
            source_tag: Some(source_tag.clone()),
            targets: vec![PlannedTarget { tag: target.0.clone(), state: target.1.clone() }],
            action: Action::BulkRetag,
        }
    }

    /// The target tags that would move off another image.
    pub fn moves(&self) -> Vec<&Tag> {
        self.targets.iter().filter(|t| t.state.moves()).map(|t| &t.tag).collect()
    }

    /// Whether sending needs the user's confirmation (a target tag would move).
    pub fn needs_confirmation(&self) -> bool {
        !self.moves().is_empty()
    }

    fn summary(&self, target: &Tag) -> String {
        match &self.source_tag {
            Some(source_tag) => format!("{}:{source_tag} → {target}", self.repository),
            None => format!("{target} → {}", self.source.short()),
        }
    }
}

/// What each target holds now (HEAD; `None`: the tag does not exist), looked up while the user
/// types so that the retag itself sends only the GET and the PUTs.
pub async fn lookup_targets<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    targets: Vec<Tag>,
) -> Result<Vec<(Tag, Option<Digest>)>, Error> {
    let mut current = Vec::with_capacity(targets.len());
    for tag in targets {
        let digest = registry.manifest_digest(repository, &Reference::Tag(tag.clone())).await?;
        current.push((tag, digest));
    }
    Ok(current)
}

/// How one target ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetOutcome {
    /// The registry stored it.
    Stored {
        /// The digest the registry answered with (`Docker-Content-Digest`), when visible.
        registry_digest: Option<String>,
        /// How that compares with the source.
        stored: Stored,
    },
    /// The PUT failed.
    Failed(Error),
}

/// The result of a retag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetagReport {
    /// The source digest, computed from the bytes that were sent.
    pub source: Digest,
    /// How the source's digest header compared when it was fetched.
    pub source_header: HeaderCheck,
    /// Each target with its outcome, in plan order.
    pub outcomes: Vec<(Tag, TargetOutcome)>,
}

impl RetagReport {
    /// Every target stored with a digest equal to the source's (or the header hidden).
    pub fn all_stored(&self) -> bool {
        self.outcomes.iter().all(|(_, o)| matches!(o, TargetOutcome::Stored { stored, .. } if stored.holds_source()))
    }
}

/// Runs a confirmed plan: one GET of the source by digest ([`read_source`]), one PUT per target
/// ([`write()`]), and one journal entry per target. Refuses (sending nothing) while a moving target
/// is not in `confirmed`, and refuses schema 1 content.
pub async fn execute<T: Transport>(
    registry: &Registry<T>,
    plan: &RetagPlan,
    confirmed: &Confirmed,
    retry: &Retry<'_>,
) -> Finished<RetagReport> {
    if let Err(refused) = confirmed.check(&plan.repository, plan.moves()) {
        return Finished::refused(refused);
    }
    match retry.step(|| read_source(registry, &plan.repository, &plan.source)).await {
        Ok(manifest) => write(registry, plan, &manifest, retry).await,
        Err(e) => Finished::refused(e),
    }
}

/// The image to tag, by digest, with its exact bytes; refused when it is schema 1 (its
/// signature names its source).
pub async fn read_source<T: Transport>(
    registry: &Registry<T>,
    repository: &Repository,
    digest: &Digest,
) -> Result<FetchedManifest, Error> {
    registry.manifest_get(repository, &Reference::Digest(digest.clone())).await?.writable()
}

/// Writes `manifest` (the plan's source, as [`read_source`] read it) under each target, one PUT
/// each, comparing the digest the registry answers with the source's; one journal entry per
/// target. The plan must have been confirmed ([`execute`] checks; a bulk run's dry run was).
pub async fn write<T: Transport>(
    registry: &Registry<T>,
    plan: &RetagPlan,
    manifest: &FetchedManifest,
    retry: &Retry<'_>,
) -> Finished<RetagReport> {
    let mut outcomes = Vec::with_capacity(plan.targets.len());
    let mut journal = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let reference = Reference::Tag(target.tag.clone());
        // A refused PUT changed no tag: it is sent again, and only the last attempt is journaled.
        let outcome = match retry.step(|| registry.manifest_put(&plan.repository, &reference, manifest)).await {
            Ok(put) => TargetOutcome::Stored {
                stored: Stored::from_answer(&manifest.digest, put.digest.as_deref()),
                registry_digest: put.digest,
            },
            Err(e) => TargetOutcome::Failed(e),
        };
        journal.push(Entry::tag_write(
            plan.action.clone(),
            registry.url(),
            &plan.repository,
            &target.tag,
            target.state.current(&plan.source),
            &manifest.digest,
            match &outcome {
                TargetOutcome::Stored { stored, .. } => Ok(stored),
                TargetOutcome::Failed(e) => Err(e),
            },
            plan.summary(&target.tag),
        ));
        outcomes.push((target.tag.clone(), outcome));
    }
    Finished {
        outcome: Ok(RetagReport {
            source: manifest.digest.clone(),
            source_header: manifest.header_check.clone(),
            outcomes,
        }),
        journal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> Tag {
        Tag::parse(s).unwrap()
    }

    #[test]
    fn targets_parse_and_report_every_bad_name() {
        assert_eq!(parse_targets("a, b  a\nc").unwrap(), [tag("a"), tag("b"), tag("c")]);
        let errors = parse_targets("ok bad/one .two").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].to_string().contains("bad/one"));
        assert!(parse_targets("  ").unwrap_err()[0].reason.contains("at least one"));
    }

    #[test]
    fn plan_needs_confirmation_for_moves_only() {
        let source = crate::digest::sha256_of(b"src");
        let other = crate::digest::sha256_of(b"other");
        let plan = RetagPlan::new(
            Repository::parse("r").unwrap(),
            source.clone(),
            vec![(tag("new"), None), (tag("same"), Some(source)), (tag("moved"), Some(other.clone()))],
        );
        let states: Vec<&TargetState> = plan.targets.iter().map(|t| &t.state).collect();
        assert_eq!(states, [&TargetState::New, &TargetState::AlreadySource, &TargetState::Moves { from: other }]);
        assert_eq!(plan.moves(), [&tag("moved")]);
        assert!(plan.needs_confirmation());
    }
}
