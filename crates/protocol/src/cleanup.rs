//! Clean-up with retention rules: a plan the user reads before anything is sent (the dry run),
//! then a many-item run of one-tag deletes on the one runner, and an undo of the whole run.
//!
//! The semantics, as the page and the README state them:
//! - An **image** is a distinct digest. Its date is its config's `created`; an index's is its
//!   newest platform's (as the tag list shows it).
//! - With a **count rule** (keep the newest N images), every tag outside the newest N images is a
//!   candidate; images of the same date at the boundary are all kept (a tie is never broken by
//!   chance). With an **age rule**, every tag whose image is older than D days; with both, only
//!   tags both rules select. An image without a date is never a candidate.
//! - A candidate is kept when it matches a **protected pattern** (exact glob match: `*` any run
//!   of characters, `?` one) or **shares its digest with a kept tag**: deleting it would free
//!   nothing and surprise everyone.
//! - Only tags are deleted, never a manifest by digest: an untagged manifest, a platform of an
//!   index and a referrer are never touched. A cosign-style attachment tag (`sha256-<hex>.sig`)
//!   is not ranked as an image: it goes only when every tag of its image goes, and stays while
//!   its image keeps a tag.
//! - The bytes a run frees are the distinct blobs the deleted tags reach that no kept tag of the
//!   repository reaches; the registry frees them only when its garbage collector runs.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::client::Registry;
use crate::delete::{self, DeletePlan};
use crate::error::Error;
use crate::flow::Finished;
use crate::glance::{Facts, TagDigest};
use crate::http::Transport;
use crate::journal::{Action, Entry};
use crate::names::{Digest, Repository, Tag};
use crate::pace::{Retry, Throttle};
use crate::referrers::attachment_subject;
use crate::refusal::Refusal;
use crate::runner::{self, ItemFlow, ItemState};
use crate::state::Stored;
use crate::storage::{blobs_of, total, Blobs};
use crate::tag_delete::DeleteKnowledge;
use crate::tags::natural_cmp;
use crate::undo;

/// The protected patterns a new form starts with.
pub const DEFAULT_PROTECT: &str = "latest v*";

const DAY_SECONDS: i64 = 86_400;

/// The retention rules of a clean-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Keep the newest N images (`None`: no count rule).
    pub keep_newest: Option<usize>,
    /// Delete only images older than D days (`None`: no age rule).
    pub older_than_days: Option<u32>,
    /// Tags matching any of these globs are kept.
    pub protect: Vec<String>,
}

impl Rules {
    /// Reads the form's three fields: empty count or age means no such rule; at least one rule is
    /// needed. Returns every problem at once.
    pub fn parse(keep_newest: &str, older_than_days: &str, protect: &str) -> Result<Rules, Vec<String>> {
        let mut problems = Vec::new();
        let keep_newest = match keep_newest.trim() {
            "" => None,
            n => n
                .parse::<usize>()
                .map_err(|_| {
                    problems.push(format!("Keep the newest: {n:?} is not a whole number of images (0 or more)."))
                })
                .ok(),
        };
        let older_than_days = match older_than_days.trim() {
            "" => None,
            d => d
                .parse::<u32>()
                .map_err(|_| problems.push(format!("Older than: {d:?} is not a whole number of days (0 or more).")))
                .ok(),
        };
        let protect = protect_patterns(protect);
        if let Some(bad) = protect.iter().find(|p| !p.chars().all(|c| c.is_ascii_alphanumeric() || "._-*?".contains(c)))
        {
            problems.push(format!(
                "Protected pattern {bad:?}: a tag has only letters, digits, '.', '_' and '-', and a pattern adds '*' and '?'."
            ));
        }
        if keep_newest.is_none() && older_than_days.is_none() && problems.is_empty() {
            problems.push("Give a count (keep the newest N images), an age (older than D days), or both: with neither rule, nothing is to be deleted.".into());
        }
        if problems.is_empty() {
            Ok(Rules { keep_newest, older_than_days, protect })
        } else {
            Err(problems)
        }
    }

    /// The first protected pattern `tag` matches.
    pub fn protecting(&self, tag: &str) -> Option<&str> {
        self.protect.iter().find(|p| glob_matches(p, tag)).map(String::as_str)
    }
}

/// Globs separated by spaces or commas.
pub fn protect_patterns(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty()).map(str::to_string).collect()
}

/// Whether `text` matches `pattern` as a whole: `*` any run of characters (none too), `?` exactly
/// one, anything else itself. Written here: a tag is ASCII, and these two wildcards are all a
/// protection rule needs (a glob crate would bring regular expressions into the page).
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much of the text it has taken.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// One tag as a plan reads it: its image, the image's date, size and blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagImage {
    /// The tag.
    pub tag: Tag,
    /// The image it holds.
    pub digest: Digest,
    /// The image's `created`, as written (an index: its newest platform's).
    pub created: Option<String>,
    /// The same in seconds since the epoch.
    pub created_at: Option<i64>,
    /// What a pull of it downloads.
    pub size: Option<u64>,
    /// The blobs it reaches.
    pub blobs: Blobs,
}

/// Why tags cannot be planned yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotKnownYet {
    /// Tags whose digest, date or blobs are still being read (or only cached from an earlier
    /// visit, not confirmed).
    pub pending: usize,
    /// Tags that could not be read, with why.
    pub failed: Vec<(String, String)>,
}

/// Every listed tag as a plan reads it, from the tag list's glance. A tag the registry said is
/// gone is left out. Refused while any tag is not confirmed by the registry in this visit, or its
/// image not completely read: a plan made from a guess would delete on a guess.
pub fn tag_images(
    tags: &[String],
    digests: &HashMap<String, TagDigest>,
    facts: &Facts,
    failed: &HashMap<String, String>,
) -> Result<Vec<TagImage>, NotKnownYet> {
    let mut images = Vec::with_capacity(tags.len());
    let mut not_known = NotKnownYet { pending: 0, failed: Vec::new() };
    for tag in tags {
        let digest = match digests.get(tag) {
            Some(TagDigest::Missing) => continue,
            Some(TagDigest::Fresh(digest)) => digest,
            Some(TagDigest::Failed(why)) => {
                not_known.failed.push((tag.clone(), why.clone()));
                continue;
            }
            _ => {
                not_known.pending += 1;
                continue;
            }
        };
        let why_failed =
            failed.get(digest).or_else(|| facts.needs(digest).iter().find_map(|need| failed.get(need.digest())));
        if let Some(why) = why_failed {
            not_known.failed.push((tag.clone(), why.clone()));
            continue;
        }
        let summary = facts.summary(digest);
        let (Some(blobs), true) = (blobs_of(facts, digest), summary.complete) else {
            not_known.pending += 1;
            continue;
        };
        match (Tag::parse(tag), Digest::parse(digest)) {
            (Ok(tag), Ok(digest)) => images.push(TagImage {
                tag,
                digest,
                created: summary.created,
                created_at: summary.created_at,
                size: summary.size,
                blobs,
            }),
            _ => not_known.failed.push((tag.clone(), format!("{tag}@{digest} is not a tag and digest Wharf can name"))),
        }
    }
    if not_known.pending == 0 && not_known.failed.is_empty() {
        Ok(images)
    } else {
        Err(not_known)
    }
}

/// Why a tag is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteReason {
    /// Outside the newest N images (count rule alone).
    NotNewest,
    /// Older than D days (age rule alone).
    Old,
    /// Both rules select it.
    NotNewestAndOld,
    /// An attachment tag whose image loses every tag in this plan.
    AttachmentOfDeleted,
}

/// Why a tag is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepReason {
    /// Its image is among the newest N (`rank`: how many images are newer).
    Newest {
        /// Images strictly newer than this one.
        rank: usize,
    },
    /// Its image is not older than the age rule's D days.
    Recent,
    /// Its image states no creation date: no rule can place it.
    NoDate,
    /// A protected pattern matches it.
    Protected {
        /// The pattern.
        pattern: String,
    },
    /// Another tag on the same image is kept: deleting this one would free nothing.
    SharesDigest {
        /// That tag.
        with: String,
    },
    /// An attachment tag (`sha256-<hex>.sig`…) of an image a kept tag holds.
    AttachedToKept {
        /// That tag.
        with: String,
    },
    /// An attachment tag of an image no tag of the repository holds: no rule ranks it.
    AttachmentOfUntagged,
}

/// A tag's verdict in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Deleted by the run.
    Delete(DeleteReason),
    /// Left as it is.
    Keep(KeepReason),
}

impl Verdict {
    /// `delete` or `keep`.
    pub fn key(&self) -> &'static str {
        match self {
            Verdict::Delete(_) => "delete",
            Verdict::Keep(_) => "keep",
        }
    }

    /// Whether the run deletes it.
    pub fn deletes(&self) -> bool {
        matches!(self, Verdict::Delete(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Delete(DeleteReason::NotNewest) => f.write_str("not among the newest images"),
            Verdict::Delete(DeleteReason::Old) => f.write_str("older than the age limit"),
            Verdict::Delete(DeleteReason::NotNewestAndOld) => {
                f.write_str("not among the newest images, and older than the age limit")
            }
            Verdict::Delete(DeleteReason::AttachmentOfDeleted) => {
                f.write_str("an attachment of an image whose tags are all deleted")
            }
            Verdict::Keep(KeepReason::Newest { rank }) => write!(f, "newest N: image {} by date", rank + 1),
            Verdict::Keep(KeepReason::Recent) => f.write_str("not older than the age limit"),
            Verdict::Keep(KeepReason::NoDate) => f.write_str("its image states no creation date"),
            Verdict::Keep(KeepReason::Protected { pattern }) => write!(f, "protected by {pattern}"),
            Verdict::Keep(KeepReason::SharesDigest { with }) => write!(f, "shares its digest with the kept tag {with}"),
            Verdict::Keep(KeepReason::AttachedToKept { with }) => {
                write!(f, "attached to the image of the kept tag {with}")
            }
            Verdict::Keep(KeepReason::AttachmentOfUntagged) => f.write_str("an attachment of an image with no tag"),
        }
    }
}

/// One tag of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupRow {
    /// The tag, its image and what is known of it.
    pub image: TagImage,
    /// Delete or keep, and why.
    pub verdict: Verdict,
}

/// A clean-up plan: every tag with its verdict, and what the run frees. It is the dry run:
/// nothing is sent until it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupPlan {
    /// Where.
    pub repository: Repository,
    /// The rules it applies.
    pub rules: Rules,
    /// Every tag, newest image first (then in version order).
    pub rows: Vec<CleanupRow>,
    /// Distinct images among the tags (attachment tags aside).
    pub images: usize,
    /// The repository's storage: the distinct blobs of every tag.
    pub storage: u64,
    /// The bytes the run frees once garbage collection runs: distinct blobs the deleted tags
    /// reach and no kept tag does.
    pub freed: u64,
    /// How many blobs that is.
    pub freed_blobs: usize,
}

impl CleanupPlan {
    /// The rows the run deletes.
    pub fn to_delete(&self) -> Vec<usize> {
        (0..self.rows.len()).filter(|&i| self.rows[i].verdict.deletes()).collect()
    }

    /// The bytes and the number of blobs that deleting the rows at `deleted` frees: distinct
    /// blobs they reach that no other tag of the repository reaches (a tag the run skipped or
    /// failed to delete keeps its blobs).
    pub fn freed_by(&self, deleted: &[usize]) -> (u64, usize) {
        freed(&self.rows, deleted)
    }
}

fn freed(rows: &[CleanupRow], deleted: &[usize]) -> (u64, usize) {
    let gone: HashSet<usize> = deleted.iter().copied().collect();
    let mut kept = HashSet::new();
    let mut freed = Blobs::new();
    for (i, row) in rows.iter().enumerate() {
        if gone.contains(&i) {
            freed.extend(row.image.blobs.iter().map(|(d, s)| (d.clone(), *s)));
        } else {
            kept.extend(row.image.blobs.keys().map(String::as_str));
        }
    }
    freed.retain(|digest, _| !kept.contains(digest.as_str()));
    (total(&freed), freed.len())
}

/// Applies `rules` to every tag of `repository`, at `now` (seconds since the epoch).
pub fn plan(repository: &Repository, tags: Vec<TagImage>, rules: &Rules, now: i64) -> CleanupPlan {
    let (attachments, images): (Vec<TagImage>, Vec<TagImage>) =
        tags.into_iter().partition(|t| attachment_subject(t.tag.as_str()).is_some());
    // Each distinct image's date, and how many images are strictly newer.
    let mut dates: HashMap<&Digest, Option<i64>> = HashMap::new();
    for image in &images {
        dates.insert(&image.digest, image.created_at);
    }
    let dated: Vec<i64> = dates.values().filter_map(|d| *d).collect();
    let newer_than = |at: i64| dated.iter().filter(|&&other| other > at).count();
    let cutoff = rules.older_than_days.map(|days| now - i64::from(days) * DAY_SECONDS);

    let mut verdicts: Vec<Verdict> = images
        .iter()
        .map(|image| {
            let Some(at) = image.created_at else { return Verdict::Keep(KeepReason::NoDate) };
            let rank = newer_than(at);
            let outside_newest = rules.keep_newest.map(|n| rank >= n);
            let old = cutoff.map(|cutoff| at < cutoff);
            let reason = match (outside_newest, old) {
                (Some(true), Some(true)) => DeleteReason::NotNewestAndOld,
                (Some(true), None) => DeleteReason::NotNewest,
                (None, Some(true)) => DeleteReason::Old,
                (Some(false), _) => return Verdict::Keep(KeepReason::Newest { rank }),
                (_, Some(false)) => return Verdict::Keep(KeepReason::Recent),
                (None, None) => return Verdict::Keep(KeepReason::Recent),
            };
            match rules.protecting(image.tag.as_str()) {
                Some(pattern) => Verdict::Keep(KeepReason::Protected { pattern: pattern.to_string() }),
                None => Verdict::Delete(reason),
            }
        })
        .collect();
    // A candidate on the image of a kept tag stays with it. The first kept tag in version order
    // names the image.
    let mut kept_by: HashMap<&Digest, &Tag> = HashMap::new();
    let mut order: Vec<usize> = (0..images.len()).collect();
    order.sort_by(|&a, &b| natural_cmp(images[a].tag.as_str(), images[b].tag.as_str()));
    for &i in &order {
        if !verdicts[i].deletes() {
            kept_by.entry(&images[i].digest).or_insert(&images[i].tag);
        }
    }
    for (i, verdict) in verdicts.iter_mut().enumerate() {
        if let (true, Some(with)) = (verdict.deletes(), kept_by.get(&images[i].digest)) {
            *verdict = Verdict::Keep(KeepReason::SharesDigest { with: with.to_string() });
        }
    }
    let tagged: HashSet<&str> = images.iter().map(|i| i.digest.as_str()).collect();
    let attachment_verdicts: Vec<Verdict> = attachments
        .iter()
        .map(|a| {
            let subject = attachment_subject(a.tag.as_str()).map(|(s, _)| s).unwrap_or_default();
            if let Some(with) = kept_by.iter().find(|(d, _)| d.as_str() == subject).map(|(_, t)| t.to_string()) {
                return Verdict::Keep(KeepReason::AttachedToKept { with });
            }
            if !tagged.contains(subject.as_str()) {
                return Verdict::Keep(KeepReason::AttachmentOfUntagged);
            }
            match rules.protecting(a.tag.as_str()) {
                Some(pattern) => Verdict::Keep(KeepReason::Protected { pattern: pattern.to_string() }),
                None => Verdict::Delete(DeleteReason::AttachmentOfDeleted),
            }
        })
        .collect();
    verdicts.extend(attachment_verdicts);
    let image_count = dates.len();

    let mut rows: Vec<CleanupRow> = images
        .into_iter()
        .chain(attachments)
        .zip(verdicts)
        .map(|(image, verdict)| CleanupRow { image, verdict })
        .collect();
    rows.sort_by(|a, b| {
        b.image
            .created_at
            .cmp(&a.image.created_at)
            .then_with(|| natural_cmp(b.image.tag.as_str(), a.image.tag.as_str()))
    });
    let mut all = Blobs::new();
    for row in &rows {
        all.extend(row.image.blobs.iter().map(|(d, s)| (d.clone(), *s)));
    }
    let to_delete: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].verdict.deletes()).collect();
    let (freed_bytes, freed_blobs) = freed(&rows, &to_delete);
    CleanupPlan {
        repository: repository.clone(),
        rules: rules.clone(),
        rows,
        images: image_count,
        storage: total(&all),
        freed: freed_bytes,
        freed_blobs,
    }
}

/// How a clean-up item reads an ending: a tag deleted is done, a tag someone moved or deleted
/// since the plan is skipped and reported, anything else failed.
fn item_state<R>(outcome: Result<R, Error>, moved: impl Fn(Option<&Digest>) -> String) -> ItemState {
    match outcome {
        Ok(_) => ItemState::Done(Stored::Verified),
        Err(Error::Refused(Refusal::MovedSincePlan { now, .. })) => ItemState::Skipped(moved(now.as_ref())),
        Err(e) if e.is_not_found() => ItemState::Skipped("gone already: someone deleted it since the plan".into()),
        Err(e) => ItemState::Failed(e),
    }
}

/// Deletes the plan's tags at `indices` (of [`CleanupPlan::rows`]), `concurrency` at a time, on
/// the one runner: each with the one-tag delete (its siblings stay), which re-reads the tag just
/// before deleting it and skips it when it no longer holds the plan's image. `unique()` makes
/// each throwaway manifest unique. Every deletion is journaled as a clean-up delete.
#[allow(clippy::too_many_arguments)]
pub async fn run<T: Transport>(
    registry: &Registry<T>,
    plan: &CleanupPlan,
    indices: &[usize],
    concurrency: usize,
    stopped: &dyn Fn() -> bool,
    throttle: &dyn Throttle,
    unique: &dyn Fn() -> String,
    report: &dyn Fn(usize, ItemState, Vec<Entry>),
) {
    let known = DeleteKnowledge::default();
    runner::run(indices, concurrency, stopped, throttle, report, &delete_items(registry, plan, &known, unique)).await;
}

/// Each tag delete's flow, for the runner; they share what the first deletes learn.
fn delete_items<'r, T: Transport>(
    registry: &'r Registry<T>,
    plan: &'r CleanupPlan,
    known: &'r DeleteKnowledge,
    unique: &'r dyn Fn() -> String,
) -> impl Fn(usize, Retry<'r>) -> ItemFlow<'r> + 'r {
    move |i, retry| {
        let row = &plan.rows[i];
        Box::pin(async move {
            let delete = DeletePlan::Tag {
                repository: plan.repository.clone(),
                tag: row.image.tag.clone(),
                digest: row.image.digest.clone(),
            };
            let finished = delete::execute(registry, &delete, &unique(), false, &retry, known).await;
            let journal =
                finished.journal.into_iter().map(|entry| Entry { action: Action::CleanupDelete, ..entry }).collect();
            let outcome = item_state(finished.outcome, |now| match now {
                Some(now) => format!("moved since the plan (it now holds {}): not deleted", now.short()),
                None => "gone already: someone deleted it since the plan".into(),
            });
            Finished { outcome: Ok(outcome), journal }
        })
    }
}

/// The journal entries a clean-up run made that an undo of it puts back: its successful deletes
/// of `tags` in `repository` of `registry`, not undone yet, recorded at `since` or later (ISO
/// times compare as text).
pub fn entries_of_run<'a>(
    entries: &'a [Entry],
    registry: &str,
    repository: &str,
    tags: &HashSet<&str>,
    since: &str,
) -> Vec<&'a Entry> {
    entries
        .iter()
        .filter(|e| {
            e.action == Action::CleanupDelete
                && e.ok
                && e.undone_by.is_none()
                && e.registry == registry
                && e.repository == repository
                && e.time.as_str() >= since
                && e.tag.as_deref().is_some_and(|t| tags.contains(t))
        })
        .collect()
}

/// Undoes a clean-up run: each of `entries` (its deletes, [`entries_of_run`]) put back on its
/// digest, on the one runner. A tag someone wrote since the clean-up is left alone and reported
/// (skipped); each undo is journaled.
pub async fn undo_run<T: Transport>(
    registry: &Registry<T>,
    entries: &[Entry],
    concurrency: usize,
    stopped: &dyn Fn() -> bool,
    throttle: &dyn Throttle,
    unique: &dyn Fn() -> String,
    report: &dyn Fn(usize, ItemState, Vec<Entry>),
) {
    let indices: Vec<usize> = (0..entries.len()).collect();
    runner::run(&indices, concurrency, stopped, throttle, report, &undo_items(registry, entries, unique)).await;
}

/// Each undo's flow, for the runner.
fn undo_items<'r, T: Transport>(
    registry: &'r Registry<T>,
    entries: &'r [Entry],
    unique: &'r dyn Fn() -> String,
) -> impl Fn(usize, Retry<'r>) -> ItemFlow<'r> + 'r {
    move |i, retry| {
        let entry = &entries[i];
        Box::pin(async move {
            // A 429 that left the tag as it was (nothing journaled) is waited out and the undo
            // sent again: it re-reads the tag first, so a second attempt is as safe as the first.
            let finished = loop {
                let finished = undo::undo(registry, entry, &unique()).await;
                match &finished.outcome {
                    Err(e) if finished.journal.is_empty() && retry.again(e).await => continue,
                    _ => break finished,
                }
            };
            let outcome = item_state(finished.outcome, |now| match now {
                Some(now) => format!("written since the clean-up (it holds {}): left alone", now.short()),
                None => "written since the clean-up: left alone".into(),
            });
            Finished { outcome: Ok(outcome), journal: finished.journal }
        })
    }
}

#[cfg(test)]
mod tests;
