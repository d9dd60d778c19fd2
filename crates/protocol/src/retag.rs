//! Retag without pulling: GET the manifest's exact bytes by digest, PUT the same bytes under each
//! new tag, and compare the digest the registry answers with the source's.
//!
//! There is no conditional PUT in the API, so a PUT silently moves an existing tag. The plan
//! records what every target holds before anything is sent ([`lookup_targets`] HEADs them, as
//! the user types), and [`RetagPlan::blocked_by`] refuses to go on until each move has been
//! confirmed.

use crate::client::Registry;
use crate::digest::HeaderCheck;
use crate::error::Error;
use crate::flow::{target_state, Finished, Stored, TargetState};
use crate::http::Transport;
use crate::journal::{action, Entry};
use crate::names::{Digest, NameError, Reference, Repository, Tag};

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
    /// Each target.
    pub targets: Vec<PlannedTarget>,
}

impl RetagPlan {
    /// Builds the plan from each target's current digest (`None`: the tag does not exist).
    pub fn new(repository: Repository, source: Digest, current: Vec<(Tag, Option<Digest>)>) -> Self {
        let targets = current
            .into_iter()
            .map(|(tag, digest)| PlannedTarget { state: target_state(Some(&source), digest), tag })
            .collect();
        RetagPlan { repository, source, targets }
    }

    /// Targets that would move from another image.
    pub fn moves(&self) -> impl Iterator<Item = &PlannedTarget> {
        self.targets.iter().filter(|t| t.state.moves())
    }

    /// Whether sending needs the user's confirmation (a target tag would move).
    pub fn needs_confirmation(&self) -> bool {
        self.moves().next().is_some()
    }

    /// The moving targets not confirmed in `confirmed`: while any remain, nothing may be sent.
    pub fn blocked_by<'a>(&'a self, confirmed: &'a [Tag]) -> Vec<&'a Tag> {
        self.moves().map(|t| &t.tag).filter(|tag| !confirmed.contains(tag)).collect()
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

/// Runs a confirmed plan: one GET of the source by digest, one PUT per target, and one journal
/// entry per target. Refuses (sending nothing) when a moving target is not in `confirmed`, and
/// refuses schema 1 content.
pub async fn execute<T: Transport>(
    registry: &Registry<T>,
    plan: &RetagPlan,
    confirmed: &[Tag],
) -> Finished<RetagReport> {
    let blocked = plan.blocked_by(confirmed);
    if !blocked.is_empty() {
        let names: Vec<&str> = blocked.iter().map(|t| t.as_str()).collect();
        return Finished::refused(Error::Unsupported(format!(
            "Not sent: {} already point at another image; confirm moving them first.",
            names.join(", ")
        )));
    }
    let manifest = match registry.manifest_get(&plan.repository, &Reference::Digest(plan.source.clone())).await {
        Ok(m) if m.media_type.is_schema1() => {
            return Finished::refused(Error::Unsupported(crate::manifest::SCHEMA1_EXPLANATION.to_string()))
        }
        Ok(m) => m,
        Err(e) => return Finished::refused(e),
    };
    let mut outcomes = Vec::with_capacity(plan.targets.len());
    let mut journal = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let reference = Reference::Tag(target.tag.clone());
        let outcome = match registry.manifest_put(&plan.repository, &reference, &manifest).await {
            Ok(put) => TargetOutcome::Stored {
                stored: Stored::from_answer(&manifest.digest, put.digest.as_deref()),
                registry_digest: put.digest,
            },
            Err(e) => TargetOutcome::Failed(e),
        };
        journal.push(Entry::tag_write(
            action::RETAG,
            registry.url(),
            &plan.repository,
            &target.tag,
            target.state.current(&plan.source),
            &manifest.digest,
            match &outcome {
                TargetOutcome::Stored { stored, .. } => Ok(stored),
                TargetOutcome::Failed(e) => Err(e),
            },
            format!("{} → {}", target.tag, manifest.digest.short()),
        ));
        outcomes.push((target.tag.clone(), outcome));
    }
    Finished {
        outcome: Ok(RetagReport { source: manifest.digest, source_header: manifest.header_check, outcomes }),
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
        assert_eq!(plan.blocked_by(&[]), [&tag("moved")]);
        assert!(plan.blocked_by(&[tag("moved")]).is_empty());
    }
}
