//! The journal: every change Wharf made to a registry, kept in the browser, and how to undo one.
//!
//! An entry records where (registry, repository, tag), what the tag held before and after, and
//! how it ended. Undo puts the tag back on its previous image (a PUT of that manifest, fetched by
//! digest) or, for a tag the change created, deletes it again. Undo first checks that the tag
//! still holds what the change left there: if someone moved it since, undo would destroy their
//! change, so it refuses. A manifest deleted by digest is gone from the registry, so its bytes are
//! saved in the entry; undo can then push them back while the registry still holds the blobs.

use crate::client::Registry;
use crate::delete;
use crate::error::Error;
use crate::flow::{Finished, Stored};
use crate::http::Transport;
use crate::json::{text, Value};
use crate::manifest::FetchedManifest;
use crate::names::{Digest, Reference, Repository, Tag};
use crate::requests::RegistryUrl;

/// The actions a journal records (the words stored in [`Entry::action`]).
pub mod action {
    /// A retag within a repository.
    pub const RETAG: &str = "retag";
    /// A copy to another repository or registry.
    pub const COPY: &str = "copy";
    /// One item of a bulk retag.
    pub const BULK_RETAG: &str = "bulk retag";
    /// One item of a bulk copy.
    pub const BULK_COPY: &str = "bulk copy";
    /// One tag deleted, its siblings kept.
    pub const DELETE_TAG: &str = "delete tag";
    /// A manifest deleted by digest, with every tag on it.
    pub const DELETE_MANIFEST: &str = "delete manifest";
    /// A signature, SBOM or attestation copied with its image.
    pub const COPY_ATTACHMENT: &str = "copy attachment";
    /// A signature, SBOM or attestation deleted with its image.
    pub const DELETE_ATTACHMENT: &str = "delete attachment";
    /// An undo of another entry.
    pub const UNDO: &str = "undo";
}

/// Entries kept; the oldest go first. A few hundred bytes each, well inside localStorage's 5 MB.
pub const MAX_ENTRIES: usize = 5000;

/// A manifest's exact bytes, saved because the change deleted it from the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedManifest {
    /// Its media type.
    pub media_type: String,
    /// Its bytes (manifests are JSON, so UTF-8).
    pub body: String,
}

/// One change. A flow's report carries its entries unnumbered and undated (`id` 0, no `time`);
/// [`Journal::record`] gives them both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number, unique in this journal.
    pub id: u64,
    /// When (ISO 8601, UTC).
    pub time: String,
    /// What: "retag", "copy", "bulk retag", "bulk copy", "delete tag", "delete manifest", "undo".
    pub action: String,
    /// The registry's address as Wharf names it (`same-origin` or an origin).
    pub registry: String,
    /// The repository changed.
    pub repository: String,
    /// The tag changed, if any.
    pub tag: Option<String>,
    /// The digest the tag held before (`None`: it did not exist).
    pub before: Option<String>,
    /// The digest it holds after (`None`: it was deleted).
    pub after: Option<String>,
    /// Whether the change happened.
    pub ok: bool,
    /// What happened, in words.
    pub result: String,
    /// The manifest's bytes, when the change deleted it.
    pub saved: Option<SavedManifest>,
    /// The entry of the undo that reverted this one.
    pub undone_by: Option<u64>,
    /// For an undo: the entry it reverted.
    pub undoes: Option<u64>,
}

impl Entry {
    /// A change of `tag` in `repository` of `registry` from `before` to `after`.
    pub fn new(
        action: &'static str,
        registry: &RegistryUrl,
        repository: &Repository,
        tag: Option<&Tag>,
        before: Option<&Digest>,
        after: Option<&Digest>,
        outcome: Result<String, String>,
    ) -> Entry {
        let (ok, result) = match outcome {
            Ok(summary) => (true, summary),
            Err(why) => (false, why),
        };
        Entry {
            id: 0,
            time: String::new(),
            action: action.to_string(),
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.map(Tag::to_string),
            before: before.map(Digest::to_string),
            after: after.map(Digest::to_string),
            ok,
            result,
            saved: None,
            undone_by: None,
            undoes: None,
        }
    }

    /// The one rule for a tag write (retag, copy, bulk item) that found `before` and tried to
    /// point `tag` at `source`: stored → the tag holds the source; stored with other bytes → it
    /// holds what the registry answered, and the entry is a failure; failed → as it was.
    #[allow(clippy::too_many_arguments)] // Where, what before and after, how it ended: all differ.
    pub fn tag_write(
        action: &'static str,
        registry: &RegistryUrl,
        repository: &Repository,
        tag: &Tag,
        before: Option<&Digest>,
        source: &Digest,
        outcome: Result<&Stored, &Error>,
        summary: String,
    ) -> Entry {
        let answered;
        let (after, result) = match outcome {
            Ok(Stored::Differs { answered: digest }) => {
                answered = Digest::parse(digest).ok();
                (answered.as_ref(), Err(format!("the registry stored another digest ({digest})")))
            }
            Ok(_) => (Some(source), Ok(summary)),
            Err(e) => (before, Err(e.headline())),
        };
        Entry::new(action, registry, repository, Some(tag), before, after, result)
    }
}

/// JSON object members written one after another.
struct Members<'a> {
    out: &'a mut String,
    first: bool,
}

impl Members<'_> {
    fn key(&mut self, key: &str) -> &mut String {
        self.out.push_str(if self.first { "{\"" } else { ",\"" });
        self.first = false;
        self.out.push_str(key);
        self.out.push_str("\":");
        self.out
    }

    fn text(&mut self, key: &str, value: Option<&str>) {
        let value = match value {
            // serde_json's own escaping, exactly as a derived serializer would write it.
            Some(value) => serde_json::to_string(value).unwrap_or_default(),
            None => "null".into(),
        };
        self.key(key).push_str(&value);
    }

    fn number(&mut self, key: &str, value: u64) {
        self.key(key).push_str(&value.to_string());
    }

    fn end(self) {
        self.out.push_str(if self.first { "{}" } else { "}" });
    }
}

impl Entry {
    /// Appends the entry as a JSON object: every field in declaration order, `null` for an
    /// absent tag or digest, and `saved`, `undone_by`, `undoes` only when present.
    /// The entry as compact JSON (the form [`Entry::from_json`] reads).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        let mut members = Members { out, first: true };
        members.number("id", self.id);
        members.text("time", Some(&self.time));
        members.text("action", Some(&self.action));
        members.text("registry", Some(&self.registry));
        members.text("repository", Some(&self.repository));
        members.text("tag", self.tag.as_deref());
        members.text("before", self.before.as_deref());
        members.text("after", self.after.as_deref());
        members.key("ok").push_str(if self.ok { "true" } else { "false" });
        members.text("result", Some(&self.result));
        if let Some(saved) = &self.saved {
            let out = members.key("saved");
            let mut inner = Members { out, first: true };
            inner.text("media_type", Some(&saved.media_type));
            inner.text("body", Some(&saved.body));
            inner.end();
        }
        if let Some(id) = self.undone_by {
            members.number("undone_by", id);
        }
        if let Some(id) = self.undoes {
            members.number("undoes", id);
        }
        members.end();
    }

    /// An entry as stored (the form [`Journal::to_json`] writes); `None` when a field is missing
    /// or of another type. Strict on purpose: undo acts on `before`, `after` and `undone_by`, so
    /// a field that cannot be read must not pass for an absent one.
    pub fn from_json(json: &Value) -> Option<Entry> {
        let saved = match json.get("saved") {
            None | Some(Value::Null) => None,
            Some(s) => Some(SavedManifest { media_type: text(s, "media_type")?, body: text(s, "body")? }),
        };
        Some(Entry {
            id: optional_number(json, "id")?.unwrap_or(0),
            time: text(json, "time")?,
            action: text(json, "action")?,
            registry: text(json, "registry")?,
            repository: text(json, "repository")?,
            tag: optional_text(json, "tag")?,
            before: optional_text(json, "before")?,
            after: optional_text(json, "after")?,
            ok: json.get("ok")?.as_bool()?,
            result: text(json, "result")?,
            saved,
            undone_by: optional_number(json, "undone_by")?,
            undoes: optional_number(json, "undoes")?,
        })
    }
}

/// An optional string: `Some(None)` when absent or null, `None` when it is something else.
fn optional_text(json: &Value, key: &str) -> Option<Option<String>> {
    match json.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

/// An optional whole number, read as [`optional_text`] reads strings.
fn optional_number(json: &Value, key: &str) -> Option<Option<u64>> {
    match json.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(v) => v.as_u64().map(Some),
    }
}

/// All entries, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// The entries.
    pub entries: Vec<Entry>,
}

impl Journal {
    /// Reads a stored journal.
    pub fn parse(json: &str) -> Result<Journal, String> {
        let unreadable = |why: String| format!("the stored journal is not readable ({why})");
        let stored = crate::json::parse(json.as_bytes()).map_err(|e| unreadable(e.to_string()))?;
        let listed =
            stored.get("entries").and_then(Value::as_array).ok_or_else(|| unreadable("no entry list".into()))?;
        let entries = listed
            .iter()
            .enumerate()
            .map(|(i, e)| Entry::from_json(e).ok_or_else(|| unreadable(format!("entry {} is incomplete", i + 1))))
            .collect::<Result<_, _>>()?;
        Ok(Journal { entries })
    }

    /// The journal as compact JSON, for storage: `{"entries":[…]}`, each entry's fields in the
    /// order they are declared. Written by hand rather than by a derived serializer: in the
    /// browser bundle that is one small writer instead of a serializer per type and format.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"entries\":[");
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            entry.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }

    /// The journal as indented JSON (two spaces), for export.
    pub fn to_json_pretty(&self) -> String {
        let compact = self.to_json();
        crate::pretty::pretty_json(&compact).unwrap_or(compact)
    }

    /// Adds an entry a flow reported, dated `time` (ISO 8601) and numbered; an undo marks the
    /// entry it undid. Returns its id.
    pub fn record(&mut self, mut entry: Entry, time: String) -> u64 {
        entry.time = time;
        let undoes = entry.undoes;
        let id = self.push(entry);
        if let Some(undone) = undoes {
            self.mark_undone(undone, id);
        }
        id
    }

    /// Adds an entry, numbering it; drops the oldest beyond [`MAX_ENTRIES`]. Returns its id.
    pub fn push(&mut self, mut entry: Entry) -> u64 {
        entry.id = self.entries.iter().map(|e| e.id).max().unwrap_or(0) + 1;
        let id = entry.id;
        self.entries.push(entry);
        if self.entries.len() > MAX_ENTRIES {
            let excess = self.entries.len() - MAX_ENTRIES;
            self.entries.drain(..excess);
        }
        id
    }

    /// The entry with this id.
    pub fn get(&self, id: u64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Marks `id` as reverted by the undo entry `by`.
    pub fn mark_undone(&mut self, id: u64, by: u64) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) {
            entry.undone_by = Some(by);
        }
    }
}

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
pub fn undo_step(entry: &Entry) -> Result<UndoStep, String> {
    if let Some(by) = entry.undone_by {
        return Err(format!("already undone (entry {by})"));
    }
    if !entry.ok {
        return Err("it failed, so there is nothing to undo".into());
    }
    if entry.tag.is_none() {
        // A manifest written or deleted by digest (an attachment): undo deletes it again, or
        // puts its saved bytes back.
        return match (&entry.before, &entry.after, &entry.saved) {
            (None, Some(after), _) => Digest::parse(after).map(|_| UndoStep::RemoveTag).map_err(|e| e.to_string()),
            (Some(before), None, Some(_)) => {
                Digest::parse(before).map(|digest| UndoStep::PutBack { digest }).map_err(|e| e.to_string())
            }
            _ => Err("no tag was recorded".into()),
        };
    }
    match (&entry.before, &entry.after) {
        (Some(before), after) if after.as_ref() == Some(before) => Err("it changed nothing".into()),
        (Some(before), _) => {
            Digest::parse(before).map(|digest| UndoStep::PutBack { digest }).map_err(|e| e.to_string())
        }
        (None, Some(_)) => Ok(UndoStep::RemoveTag),
        (None, None) => Err("the tag did not exist before or after".into()),
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
    let mut change = Entry::new(action::UNDO, registry, &checked.repository, tag, checked.left.as_ref(), now, outcome);
    change.undoes = ok.then_some(entry.id);
    change
}

/// Refuses an undo that cannot or must not happen, before anything is written: nothing to undo,
/// the tag changed since the entry, or the image to put back is gone. Reads that image.
async fn undo_check<T: Transport>(registry: &Registry<T>, entry: &Entry) -> Result<UndoChecked, Error> {
    let step = undo_step(entry).map_err(|why| Error::Unsupported(format!("Cannot undo: {why}.")))?;
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
        let now_text = now.as_ref().map_or("nothing (the tag is gone)".to_string(), |d| d.to_string());
        return Err(Error::Unsupported(format!(
            "Not undone: {shown} has changed since — it now points at {now_text}. Undo would overwrite \
             that change, so nothing was sent."
        )));
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
                    None => {
                        return Err(Error::Unsupported(format!(
                            "Cannot undo: the registry no longer holds {digest} (it was deleted, and perhaps \
                         garbage-collected), so {shown} cannot be put back."
                        )))
                    }
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
            Reference::Tag(tag) => delete::tag_delete(registry, repository, tag, unique).await?.previous,
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
            action: "retag".into(),
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
        assert!(undo_step(&entry(Some(&a), Some(&a))).unwrap_err().contains("nothing"));
        let mut failed = entry(Some(&a), Some(&b));
        failed.ok = false;
        assert!(undo_step(&failed).unwrap_err().contains("failed"));
        failed.ok = true;
        failed.undone_by = Some(7);
        assert!(undo_step(&failed).unwrap_err().contains("already undone"));
    }

    #[test]
    fn written_as_a_derived_serializer_would() {
        let mut journal = Journal::default();
        assert_eq!(journal.to_json(), r#"{"entries":[]}"#);
        assert_eq!(journal.to_json_pretty(), "{\n  \"entries\": []\n}");
        let mut e = entry(Some("a\"b\\c\n\u{1}é/"), None);
        e.tag = None;
        e.ok = false;
        e.saved = Some(SavedManifest { media_type: "m".into(), body: "{}".into() });
        e.undoes = Some(4);
        journal.push(e);
        let compact = concat!(
            r#"{"entries":[{"id":1,"time":"2026-11-23T10:00:00Z","action":"retag","registry":"http://r:5000","#,
            r#""repository":"app","tag":null,"before":"a\"b\\c\n\u0001é/","after":null,"ok":false,"#,
            r#""result":"stored","saved":{"media_type":"m","body":"{}"},"undoes":4}]}"#
        );
        assert_eq!(journal.to_json(), compact);
        assert_eq!(Journal::parse(compact).unwrap(), journal);
        let pretty = journal.to_json_pretty();
        assert!(pretty.starts_with("{\n  \"entries\": [\n    {\n      \"id\": 1,\n      \"time\": "), "{pretty}");
        assert!(
            pretty.contains("\"saved\": {\n        \"media_type\": \"m\",\n        \"body\": \"{}\"\n      },"),
            "{pretty}"
        );
        assert_eq!(Journal::parse(&pretty).unwrap(), journal);
    }

    #[test]
    fn journal_numbers_caps_and_round_trips() {
        let mut journal = Journal::default();
        for _ in 0..MAX_ENTRIES + 2 {
            journal.push(entry(None, Some("x")));
        }
        assert_eq!(journal.entries.len(), MAX_ENTRIES);
        assert_eq!(journal.entries[0].id, 3, "the two oldest were dropped");
        let last = journal.entries.last().unwrap().id;
        journal.mark_undone(last, 99);
        let back = Journal::parse(&journal.to_json()).unwrap();
        assert_eq!(back, journal);
        assert_eq!(back.get(last).unwrap().undone_by, Some(99));
        assert!(Journal::parse("{not json").unwrap_err().contains("not readable"));
        // A field of the wrong type makes the journal unreadable (kept aside), never "absent".
        let mut stored: Value = crate::json::parse(journal.to_json().as_bytes()).unwrap();
        stored["entries"][0]["before"] = Value::from(7);
        assert!(Journal::parse(&stored.to_string()).unwrap_err().contains("entry 1 is incomplete"));
        stored["entries"][0]["before"] = Value::Null;
        stored["entries"][0]["undone_by"] = Value::from("x");
        assert!(Journal::parse(&stored.to_string()).is_err());
    }
}
