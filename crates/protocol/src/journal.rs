//! The journal's records: every change Wharf made to a registry, as the browser keeps it.
//!
//! An entry records where (registry, repository, tag), what the tag held before and after, and
//! how it ended. A manifest deleted by digest is gone from the registry, so its bytes are saved
//! in the entry ([`SavedManifest`]); undo ([`crate::undo`]) can push them back while the registry
//! still holds the blobs. The [`Journal`] numbers entries, keeps the newest [`MAX_ENTRIES`] and
//! marks each entry an undo reverted; the app's store only persists what it hands over.
//!
//! A leaf: records, their JSON and their numbering, with no registry in sight.

use crate::error::Error;
use crate::json::{text, Value};
use crate::names::{Digest, Repository, Tag};
use crate::requests::RegistryUrl;
use crate::state::Stored;

/// What a journal entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A retag within a repository.
    Retag,
    /// A copy to another repository or registry.
    Copy,
    /// One item of a bulk retag.
    BulkRetag,
    /// One item of a bulk copy.
    BulkCopy,
    /// One tag deleted, its siblings kept.
    DeleteTag,
    /// A manifest deleted by digest, with every tag on it.
    DeleteManifest,
    /// One tag deleted by a clean-up run (its siblings kept).
    CleanupDelete,
    /// A signature, SBOM or attestation copied with its image.
    CopyAttachment,
    /// A signature, SBOM or attestation deleted with its image.
    DeleteAttachment,
    /// An undo of another entry.
    Undo,
    /// A word this version does not know (a newer Wharf's journal): kept as it is.
    Other(String),
}

impl Action {
    const WORDS: [(Action, &'static str); 10] = [
        (Action::Retag, "retag"),
        (Action::Copy, "copy"),
        (Action::BulkRetag, "bulk retag"),
        (Action::BulkCopy, "bulk copy"),
        (Action::DeleteTag, "delete tag"),
        (Action::DeleteManifest, "delete manifest"),
        (Action::CleanupDelete, "clean-up delete"),
        (Action::CopyAttachment, "copy attachment"),
        (Action::DeleteAttachment, "delete attachment"),
        (Action::Undo, "undo"),
    ];

    /// The word stored in the journal (and shown).
    pub fn as_str(&self) -> &str {
        match self {
            Action::Other(word) => word,
            known => Action::WORDS.iter().find(|(a, _)| a == known).map_or("", |(_, word)| word),
        }
    }

    /// The action a stored word names.
    pub fn parse(word: &str) -> Action {
        Action::WORDS
            .iter()
            .find(|(_, w)| *w == word)
            .map_or_else(|| Action::Other(word.to_string()), |(a, _)| a.clone())
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// What.
    pub action: Action,
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
        action: Action,
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
            action,
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
        action: Action,
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
        members.text("action", Some(self.action.as_str()));
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
            action: Action::parse(&text(json, "action")?),
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

    /// Adds the entries flows reported, dated `time` (ISO 8601): numbered after the highest id
    /// held, the oldest beyond [`MAX_ENTRIES`] dropped, and each entry an undo reverted marked.
    /// Returns the new entries' ids. (The app's store does the same through
    /// [`Journal::number_batch`] and [`Journal::join`], with the ids another tab stored.)
    pub fn record(&mut self, batch: Vec<Entry>, time: &str) -> Vec<u64> {
        let mut batch: Vec<Entry> = batch.into_iter().map(|e| Entry { time: time.to_string(), ..e }).collect();
        let held: Vec<u64> = self.entries.iter().map(|e| e.id).collect();
        let trim = Journal::number_batch(&held, &mut batch);
        let ids = batch.iter().map(|e| e.id).collect();
        self.join(batch, &trim);
        ids
    }

    /// Numbers `batch` after the highest of `stored` (the ids stored, oldest first) and returns
    /// the oldest stored ids to drop, so that at most [`MAX_ENTRIES`] remain. More new entries
    /// than the journal holds lose their oldest at once.
    pub fn number_batch(stored: &[u64], batch: &mut Vec<Entry>) -> Vec<u64> {
        let drop = Journal::number_after(stored.iter().max().copied(), stored.len(), batch);
        stored[..drop].to_vec()
    }

    /// [`Journal::number_batch`] knowing only the highest id stored and how many entries are
    /// stored (what a store can answer without reading every key): numbers `batch` and returns
    /// how many of the oldest stored entries to drop.
    pub fn number_after(highest: Option<u64>, stored: usize, batch: &mut Vec<Entry>) -> usize {
        let excess = (stored + batch.len()).saturating_sub(MAX_ENTRIES);
        batch.drain(..excess.saturating_sub(stored));
        let first = highest.map_or(1, |id| id + 1);
        for (i, entry) in batch.iter_mut().enumerate() {
            entry.id = first + i as u64;
        }
        excess.min(stored)
    }

    /// Adds a numbered `batch` and drops the ids in `trim`, then marks every entry an undo
    /// reverted. Records are never rewritten: an undo's own record says what it undid (so the
    /// undo and its mark are stored in one record, at once), and this is how a reader knows.
    pub fn join(&mut self, mut batch: Vec<Entry>, trim: &[u64]) {
        self.entries.retain(|e| !trim.contains(&e.id));
        self.entries.append(&mut batch);
        let undos: Vec<(u64, u64)> = self.entries.iter().filter_map(|e| Some((e.undoes?, e.id))).collect();
        for (id, by) in undos {
            self.mark_undone(id, by);
        }
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
    fn written_as_a_derived_serializer_would() {
        let mut journal = Journal::default();
        assert_eq!(journal.to_json(), r#"{"entries":[]}"#);
        assert_eq!(journal.to_json_pretty(), "{\n  \"entries\": []\n}");
        let mut e = entry(Some("a\"b\\c\n\u{1}é/"), None);
        e.tag = None;
        e.ok = false;
        e.saved = Some(SavedManifest { media_type: "m".into(), body: "{}".into() });
        e.undoes = Some(4);
        journal.record(vec![e], "2026-11-23T10:00:00Z");
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
            journal.record(vec![entry(None, Some("x"))], "2026-11-23T10:00:00Z");
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

    fn change(undoes: Option<u64>) -> Entry {
        Entry {
            action: if undoes.is_some() { Action::Undo } else { Action::Retag },
            undoes,
            ..entry(None, Some("sha256:aa"))
        }
    }

    #[test]
    fn a_batch_is_numbered_after_the_highest_stored_id() {
        let mut batch = vec![change(None), change(Some(4))];
        assert!(Journal::number_batch(&[3, 4, 9], &mut batch).is_empty());
        assert_eq!(batch.iter().map(|e| e.id).collect::<Vec<_>>(), [10, 11]);
        let mut first = vec![change(None)];
        Journal::number_batch(&[], &mut first);
        assert_eq!(first[0].id, 1);
    }

    #[test]
    fn the_oldest_beyond_the_cap_are_dropped() {
        let stored: Vec<u64> = (1..=MAX_ENTRIES as u64).collect();
        let mut batch = vec![change(None), change(None)];
        assert_eq!(Journal::number_batch(&stored, &mut batch), [1, 2]);
        assert_eq!(batch[1].id, MAX_ENTRIES as u64 + 2);
        // More new entries than the journal holds: only the newest are written.
        let mut batch = vec![change(None); MAX_ENTRIES + 1];
        assert_eq!(Journal::number_batch(&[1, 2], &mut batch), [1, 2]);
        assert_eq!((batch.len(), batch[0].id), (MAX_ENTRIES, 3));
    }

    #[test]
    fn a_batch_joins_and_undos_mark_what_they_undid() {
        let mut journal = Journal { entries: vec![Entry { id: 2, ..change(None) }, Entry { id: 5, ..change(None) }] };
        // Another tab wrote 6; this one's batch is numbered after it, and undoes 2.
        let mut batch = vec![change(None), change(Some(2)), Entry { ok: false, ..change(None) }];
        let trim = Journal::number_batch(&[2, 5, 6], &mut batch);
        journal.join(batch, &[2]);
        assert!(trim.is_empty());
        assert_eq!(journal.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [5, 7, 8, 9]);
        assert_eq!(journal.get(8).unwrap().undoes, Some(2));
        let mut journal =
            Journal { entries: vec![Entry { id: 2, ..change(None) }, Entry { id: 3, ..change(Some(2)) }] };
        journal.join(Vec::new(), &[]);
        assert_eq!(journal.get(2).unwrap().undone_by, Some(3), "marked when read");
        assert_eq!(journal.get(3).unwrap().undone_by, None);
        // Recording an undo marks the entry it undid at once, and dates the batch.
        let ids = journal.record(vec![change(Some(3))], "2026-12-04T10:00:00Z");
        assert_eq!(journal.get(3).unwrap().undone_by, Some(ids[0]));
        assert_eq!(journal.get(ids[0]).unwrap().time, "2026-12-04T10:00:00Z");
    }

    #[test]
    fn a_record_is_read_strictly_and_actions_round_trip() {
        let read = |json: &str| crate::json::parse(json.as_bytes()).ok().and_then(|v| Entry::from_json(&v));
        let json = Entry { id: 3, ..change(Some(2)) }.to_json();
        assert_eq!(read(&json), Some(Entry { id: 3, ..change(Some(2)) }));
        assert_eq!(read(&json.replace("\"ok\":true", "\"ok\":\"yes\"")), None, "a field of another type");
        assert_eq!(read("{}"), None);
        for word in ["retag", "copy", "bulk retag", "bulk copy", "delete tag", "delete manifest", "undo"] {
            assert_eq!(Action::parse(word).as_str(), word);
            assert!(!matches!(Action::parse(word), Action::Other(_)), "{word}");
        }
        let newer = read(&json.replace("\"undo\"", "\"prune\"")).unwrap();
        assert_eq!(newer.action, Action::Other("prune".into()), "a newer action is kept, not refused");
        assert!(newer.to_json().contains("\"action\":\"prune\""));
    }
}
