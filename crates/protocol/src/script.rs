//! A change as a bash script that replays it exactly: the same requests the page made, with the
//! same Accept list and the same bytes, checked at every step. The source is read by the
//! reference the operation used and its sha256 compared with the digest recorded when the
//! operation ran: a source that moved since stops its item before anything is written. Blobs are
//! mounted (within a registry) or read, verified and uploaded (between registries); manifests
//! are PUT with the Content-Type the registry served them with, and read back and hashed.
//!
//! The script needs bash, curl and coreutils (`sha256sum`), nothing else. It names no secret:
//! credentials come from `REGISTRY_USER` / `REGISTRY_PASSWORD` or `REGISTRY_TOKEN`, and where a
//! registry answers a Bearer challenge the script asks the realm it names for a token, as the
//! page did. Every item runs in a subshell; a failed one is reported and the rest go on; the
//! script exits 0 only when every item verified.
//!
//! This module is the model ([`Script`], [`Step`]) and its text; `crate::export` builds one from
//! a flow's report or a journal entry.

use std::fmt::Write as _;

use crate::media::MANIFEST_ACCEPT;

/// Which registry a step talks to: `$REGISTRY` (the source) or `$TARGET_REGISTRY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// `$REGISTRY`.
    Source,
    /// `$TARGET_REGISTRY` (the same as `$REGISTRY` unless the operation copied between two).
    Target,
}

impl At {
    fn var(self) -> &'static str {
        match self {
            At::Source => "\"$REGISTRY\"",
            At::Target => "\"$TARGET_REGISTRY\"",
        }
    }
}

/// One step of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// GET the manifest `repository:reference` (a tag, or a digest) and check it hashes to
    /// `expect`; later steps PUT these bytes.
    Read {
        /// Where.
        at: At,
        /// Repository.
        repository: String,
        /// The tag or digest the operation read it by.
        reference: String,
        /// The digest recorded when the operation ran.
        expect: String,
    },
    /// Get blob `digest` from the source repository into the target repository.
    Blob {
        /// Source repository (at `$REGISTRY`).
        from: String,
        /// Target repository (at `$TARGET_REGISTRY`).
        to: String,
        /// The blob.
        digest: String,
    },
    /// Copy a child manifest by digest: GET it from the source, check it, PUT it to the target.
    Child {
        /// Source repository.
        from: String,
        /// Target repository.
        to: String,
        /// The child's digest.
        digest: String,
    },
    /// Everything the manifest read as `digest` names, found in its bytes when the script runs
    /// (they were checked against `digest`): an index's child manifests, each with its own blobs
    /// and PUT by digest, or an image's config and layers.
    Referenced {
        /// Source repository.
        from: String,
        /// Target repository.
        to: String,
        /// The manifest (read by an earlier step).
        digest: String,
    },
    /// PUT the manifest read as `digest` under `tag`, then read the tag back and check it.
    Put {
        /// Where.
        at: At,
        /// Repository.
        repository: String,
        /// The tag.
        tag: String,
        /// The manifest (read by an earlier step).
        digest: String,
    },
    /// Delete `tag` alone (its sibling tags stay), only while it holds `expect`.
    DeleteTag {
        /// Where.
        at: At,
        /// Repository.
        repository: String,
        /// The tag.
        tag: String,
        /// What it held when the operation ran.
        expect: String,
    },
    /// Delete the manifest `digest` (and with it every tag on it).
    DeleteManifest {
        /// Where.
        at: At,
        /// Repository.
        repository: String,
        /// The manifest.
        digest: String,
    },
    /// Check that `tag` holds what it held when the page wrote it (`before`; `None`: it did not
    /// exist), or `after` already; anything else stops the item (the page refused it too).
    Unchanged {
        /// Where.
        at: At,
        /// Repository.
        repository: String,
        /// The tag.
        tag: String,
        /// What it held before the page wrote it.
        before: Option<String>,
        /// What the page wrote.
        after: String,
    },
    /// A manifest the page made itself (a merged fallback index), carried in the script as its
    /// exact text and checked against `digest`; later steps PUT it.
    Literal {
        /// Its digest.
        digest: String,
        /// Its media type (the Content-Type it is PUT with).
        media_type: String,
        /// Its bytes.
        text: String,
    },
    /// Check that `tag` does not exist (an undo of a delete puts it back only then).
    Absent {
        /// Where.
        at: At,
        /// Repository.
        repository: String,
        /// The tag.
        tag: String,
    },
}

/// One item: a retag, a copy, one tag of a bulk or clean-up run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What it does, in words (a comment and the report line).
    pub label: String,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// A whole exported operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// What it replays.
    pub title: String,
    /// The registry it ran against (`REGISTRY`'s default).
    pub registry: String,
    /// The other registry of a copy between two (`TARGET_REGISTRY`'s default).
    pub target_registry: Option<String>,
    /// The items.
    pub items: Vec<Item>,
    /// Said at the top (what the script leaves out, if anything).
    pub notes: Vec<String>,
}

/// Single-quotes `text` for bash.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The helpers every script starts with.
const HELPERS: &str = r#"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
STATUS=''
HELD=''

say() { printf '%s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

# A header of the last answer (case-insensitive name), without its line end.
header() {
  grep -i "^$1:" "$WORK/headers" | tail -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'
}

# The value of attribute $2 in the challenge $1 (realm, service, scope).
challenge_value() {
  printf '%s' "$1" | sed -n "s/.*$2=\"\([^\"]*\)\".*/\1/p"
}

# How requests log in, kept in $WORK for every item: nothing, the user's credentials (Basic), or
# a token (Bearer), from the environment or from the realm the registry names.
if [ -n "${REGISTRY_TOKEN:-}" ]; then printf 'token' > "$WORK/login"; fi
login_args() {
  case "$(cat "$WORK/login" 2>/dev/null)" in
    basic) printf '%s\n' -u "$REGISTRY_USER:${REGISTRY_PASSWORD:-}" ;;
    token) printf '%s\n' -H "Authorization: Bearer ${REGISTRY_TOKEN:-$(cat "$WORK/token")}" ;;
  esac
}

# Answers a 401: Basic with the user's credentials, or a token from the Bearer realm the
# registry names (asked with the credentials when given, anonymously otherwise).
authenticate() {
  local challenge realm service scope query token
  challenge="$(header WWW-Authenticate)"
  case "$challenge" in
    [Bb]asic*)
      [ -n "${REGISTRY_USER:-}" ] || fail "the registry asks for a login: set REGISTRY_USER and REGISTRY_PASSWORD"
      printf 'basic' > "$WORK/login"
      ;;
    [Bb]earer*)
      realm="$(challenge_value "$challenge" realm)"
      service="$(challenge_value "$challenge" service)"
      scope="$(challenge_value "$challenge" scope)"
      query="service=$service"
      if [ -n "$scope" ]; then query="$query&scope=$scope"; fi
      local credentials=()
      if [ -n "${REGISTRY_USER:-}" ]; then credentials=(-u "$REGISTRY_USER:${REGISTRY_PASSWORD:-}"); fi
      curl -sS -f "${credentials[@]}" -o "$WORK/token.json" "$realm?$query" || fail "the token service at $realm refused"
      token="$(sed -n 's/.*"\(token\|access_token\)"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\2/p' "$WORK/token.json" | head -n 1)"
      [ -n "$token" ] || fail "the token service at $realm answered no token"
      printf '%s' "$token" > "$WORK/token"
      printf 'token' > "$WORK/login"
      ;;
    *) fail "the registry answered 401 with no challenge this script can answer: $challenge" ;;
  esac
}

# request METHOD URL OUT [curl arguments…]: sends it (once more after a 401, logged in), keeps the
# answer's headers in $WORK/headers and its body in OUT, and sets STATUS.
request() {
  local method="$1" url="$2" out="$3" attempt
  shift 3
  local verb=(-X "$method")
  if [ "$method" = HEAD ]; then verb=(--head); fi
  for attempt in 1 2; do
    local login=()
    mapfile -t login < <(login_args)
    STATUS="$(curl -sS "${verb[@]}" -o "$out" -D "$WORK/headers" -w '%{http_code}' "${login[@]}" "$@" "$url" || true)"
    if [ "$STATUS" != 401 ] || [ "$attempt" = 2 ]; then return 0; fi
    authenticate
  done
}

sha256_of() { printf 'sha256:%s' "$(sha256sum "$1" | cut -d' ' -f1)"; }

# A manifest's file, by digest.
manifest_file() { printf '%s/manifest-%s' "$WORK" "${1#sha256:}"; }

# read_manifest REGISTRY REPOSITORY REFERENCE EXPECTED: GET it with the full Accept list and
# check it is still the image the operation used; writes nothing.
read_manifest() {
  local file got
  file="$(manifest_file "$4")"
  request GET "$1/v2/$2/manifests/$3" "$file" -H "Accept: $ACCEPT"
  [ "$STATUS" = 200 ] || fail "GET $2:$3 answered $STATUS"
  header Content-Type > "$file.type"
  got="$(sha256_of "$file")"
  [ "$got" = "$4" ] || fail "$2:$3 is now $got, not $4 (the image the operation used): stopped before writing anything"
}

# put_manifest REGISTRY REPOSITORY REFERENCE DIGEST: PUT the bytes read as DIGEST, then read the
# reference back and check its sha256.
put_manifest() {
  local file answered
  file="$(manifest_file "$4")"
  [ -s "$file" ] || fail "$4 was not read before it is written"
  request PUT "$1/v2/$2/manifests/$3" "$WORK/put" -H "Content-Type: $(cat "$file.type")" --data-binary "@$file"
  [ "$STATUS" = 201 ] || fail "PUT $2:$3 answered $STATUS: $(head -c 300 "$WORK/put")"
  answered="$(header Docker-Content-Digest)"
  [ -z "$answered" ] || [ "$answered" = "$4" ] || fail "PUT $2:$3: the registry stored $answered, not $4"
  request GET "$1/v2/$2/manifests/$3" "$WORK/check" -H "Accept: $ACCEPT"
  [ "$STATUS" = 200 ] || fail "reading $2:$3 back answered $STATUS"
  [ "$(sha256_of "$WORK/check")" = "$4" ] || fail "$2:$3 reads back as $(sha256_of "$WORK/check"), not $4"
}

# copy_child SOURCE_REPOSITORY TARGET_REPOSITORY DIGEST: a child manifest of an index, by digest.
copy_child() {
  read_manifest "$REGISTRY" "$1" "$3" "$3"
  put_manifest "$TARGET_REGISTRY" "$2" "$3" "$3"
}

# The digests a manifest names, once each, less its subject (the image an attachment refers to,
# which is no blob or child of it).
digests_in() {
  tr -d '\n\r' < "$1" | sed 's/"subject"[[:space:]]*:[[:space:]]*{[^}]*}//' |
    grep -o '"digest"[[:space:]]*:[[:space:]]*"sha256:[0-9a-f]\{64\}"' | grep -o 'sha256:[0-9a-f]\{64\}' | sort -u
}

# copy_referenced SOURCE_REPOSITORY TARGET_REPOSITORY DIGEST: what the manifest read as DIGEST
# names: an index's child manifests (each with its blobs, then PUT by digest), an image's blobs.
copy_referenced() {
  local file named
  file="$(manifest_file "$3")"
  case "$(cat "$file.type")" in
    *index*|*manifest.list*)
      while read -r named; do
        read_manifest "$REGISTRY" "$1" "$named" "$named"
        copy_referenced "$1" "$2" "$named"
        put_manifest "$TARGET_REGISTRY" "$2" "$named" "$named"
      done < <(digests_in "$file")
      ;;
    *)
      while read -r named; do copy_blob "$1" "$2" "$named"; done < <(digests_in "$file")
      ;;
  esac
}

# upload REGISTRY REPOSITORY DIGEST FILE: into the session the last answer opened (its Location).
upload() {
  local location separator='?'
  location="$(header Location)"
  case "$location" in /*) location="$1$location" ;; esac
  case "$location" in *\?*) separator='&' ;; esac
  request PUT "$location${separator}digest=$3" "$WORK/put" -H 'Content-Type: application/octet-stream' --data-binary "@$4"
  [ "$STATUS" = 201 ] || fail "uploading blob $3 into $2 answered $STATUS"
}

# copy_blob SOURCE_REPOSITORY TARGET_REPOSITORY DIGEST: mounted within a registry; between two,
# skipped when the target has it, else read, verified and uploaded.
copy_blob() {
  if [ "$TARGET_REGISTRY" = "$REGISTRY" ]; then
    request POST "$TARGET_REGISTRY/v2/$2/blobs/uploads/?mount=$3&from=$1" "$WORK/mount"
    if [ "$STATUS" = 201 ]; then return 0; fi
  else
    request HEAD "$TARGET_REGISTRY/v2/$2/blobs/$3" /dev/null
    if [ "$STATUS" = 200 ]; then return 0; fi
    [ "$STATUS" = 404 ] || fail "HEAD of blob $3 in $2 answered $STATUS"
    request POST "$TARGET_REGISTRY/v2/$2/blobs/uploads/" "$WORK/mount"
  fi
  [ "$STATUS" = 202 ] || fail "starting the upload of $3 into $2 answered $STATUS"
  cp "$WORK/headers" "$WORK/session"
  request GET "$REGISTRY/v2/$1/blobs/$3" "$WORK/blob" -L
  [ "$STATUS" = 200 ] || fail "GET blob $3 from $1 answered $STATUS"
  [ "$(sha256_of "$WORK/blob")" = "$3" ] || fail "blob $3 from $1 does not hash to its digest"
  cp "$WORK/session" "$WORK/headers"
  upload "$TARGET_REGISTRY" "$2" "$3" "$WORK/blob"
}

# holds REGISTRY REPOSITORY TAG: sets HELD to the digest the tag holds, empty when the registry
# says it does not exist.
holds() {
  request HEAD "$1/v2/$2/manifests/$3" /dev/null -H "Accept: $ACCEPT"
  case "$STATUS" in
    200) HELD="$(header Docker-Content-Digest)" ;;
    404) HELD='' ;;
    *) fail "HEAD $2:$3 answered $STATUS" ;;
  esac
}

# unchanged REGISTRY REPOSITORY TAG BEFORE AFTER: refuses unless the tag holds BEFORE (what it
# held when the page wrote it; empty: nothing) or AFTER (what the page wrote) already.
unchanged() {
  holds "$1" "$2" "$3"
  [ "$HELD" = "$4" ] || [ "$HELD" = "$5" ] || fail "$2:$3 holds ${HELD:-nothing} now, not ${4:-nothing} as when the page wrote it: left alone"
}

# literal_manifest DIGEST MEDIA_TYPE TEXT: a manifest the page made, from this script's text.
literal_manifest() {
  local file
  file="$(manifest_file "$1")"
  printf '%s' "$3" > "$file"
  printf '%s' "$2" > "$file.type"
  [ "$(sha256_of "$file")" = "$1" ] || fail "the manifest written into this script does not hash to $1"
}

# absent REGISTRY REPOSITORY TAG: refuses when the tag exists.
absent() {
  holds "$1" "$2" "$3"
  [ -z "$HELD" ] || fail "$2:$3 exists now (it holds $HELD): left alone"
}

# delete_tag REGISTRY REPOSITORY TAG EXPECTED: deletes the tag alone, its sibling tags kept, only
# while it holds EXPECTED: with the registry's delete-by-tag, or else by moving the tag to a
# throwaway manifest of its own and deleting that by digest.
delete_tag() {
  local empty throwaway digest
  holds "$1" "$2" "$3"
  [ "$HELD" = "$4" ] || fail "$2:$3 holds ${HELD:-nothing} now, not $4: not deleted"
  request DELETE "$1/v2/$2/manifests/$3" "$WORK/delete"
  if [ "$STATUS" = 202 ]; then
    holds "$1" "$2" "$3"
    if [ -z "$HELD" ]; then return 0; fi
  fi
  empty='sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'
  request HEAD "$1/v2/$2/blobs/$empty" /dev/null
  if [ "$STATUS" != 200 ]; then
    printf '{}' > "$WORK/empty"
    request POST "$1/v2/$2/blobs/uploads/" "$WORK/upload"
    [ "$STATUS" = 202 ] || fail "starting the upload of the empty config answered $STATUS"
    upload "$1" "$2" "$empty" "$WORK/empty"
  fi
  throwaway="$WORK/throwaway"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[],"annotations":{"org.wharf.delete-placeholder":"%s"}}' \
    "$empty" "script-$$-$RANDOM-$(date +%s%N)" > "$throwaway"
  digest="$(sha256_of "$throwaway")"
  request PUT "$1/v2/$2/manifests/$3" "$WORK/put" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$throwaway"
  [ "$STATUS" = 201 ] || fail "moving $2:$3 to its throwaway answered $STATUS"
  request DELETE "$1/v2/$2/manifests/$digest" "$WORK/delete"
  [ "$STATUS" = 202 ] || fail "deleting the throwaway of $2:$3 answered $STATUS"
}

# delete_manifest REGISTRY REPOSITORY DIGEST: the manifest, and every tag on it.
delete_manifest() {
  request DELETE "$1/v2/$2/manifests/$3" "$WORK/delete"
  [ "$STATUS" = 202 ] || fail "DELETE $2@$3 answered $STATUS"
}
"#;

impl Script {
    /// The script's text.
    pub fn render(&self) -> String {
        let mut out = String::from("#!/usr/bin/env bash\n");
        let _ = writeln!(out, "# {}", self.title);
        out.push_str(
            "# Exported by Wharf. It sends the requests the page sent, checks every digest, and stops an item\n\
             # before writing anything when its source no longer is the image the page used.\n\
             # Needs bash, curl and sha256sum. Credentials come from the environment only:\n\
             # REGISTRY_USER and REGISTRY_PASSWORD, or REGISTRY_TOKEN.\n",
        );
        for note in &self.notes {
            let _ = writeln!(out, "# Note: {note}");
        }
        out.push_str("set -euo pipefail\n\n");
        let _ = writeln!(out, "REGISTRY=\"${{REGISTRY:-{}}}\"", self.registry);
        match &self.target_registry {
            Some(target) => {
                let _ = writeln!(out, "TARGET_REGISTRY=\"${{TARGET_REGISTRY:-{target}}}\"");
            }
            None => out.push_str("TARGET_REGISTRY=\"${TARGET_REGISTRY:-$REGISTRY}\"\n"),
        }
        let _ = writeln!(out, "ACCEPT={}", quoted(MANIFEST_ACCEPT));
        out.push_str(HELPERS);
        for (n, item) in self.items.iter().enumerate() {
            let _ = writeln!(out, "\n# {}", item.label);
            let _ = writeln!(out, "item_{}() {{", n + 1);
            for step in &item.steps {
                let _ = writeln!(out, "  {}", step_line(step));
            }
            out.push_str("}\n");
        }
        out.push_str("\nfailed=0\n");
        for (n, item) in self.items.iter().enumerate() {
            let label = quoted(&item.label);
            let _ = writeln!(
                out,
                "if (item_{}); then say \"ok: \"{label}; else say \"FAILED: \"{label}; failed=$((failed + 1)); fi",
                n + 1
            );
        }
        let _ = writeln!(
            out,
            "if [ \"$failed\" -gt 0 ]; then say \"$failed of {} failed\"; exit 1; fi\nsay \"all {} verified\"",
            self.items.len(),
            self.items.len()
        );
        out
    }
}

fn step_line(step: &Step) -> String {
    match step {
        Step::Read { at, repository, reference, expect } => {
            format!("read_manifest {} {} {} {}", at.var(), quoted(repository), quoted(reference), quoted(expect))
        }
        Step::Blob { from, to, digest } => format!("copy_blob {} {} {}", quoted(from), quoted(to), quoted(digest)),
        Step::Child { from, to, digest } => format!("copy_child {} {} {}", quoted(from), quoted(to), quoted(digest)),
        Step::Referenced { from, to, digest } => {
            format!("copy_referenced {} {} {}", quoted(from), quoted(to), quoted(digest))
        }
        Step::Put { at, repository, tag, digest } => {
            format!("put_manifest {} {} {} {}", at.var(), quoted(repository), quoted(tag), quoted(digest))
        }
        Step::DeleteTag { at, repository, tag, expect } => {
            format!("delete_tag {} {} {} {}", at.var(), quoted(repository), quoted(tag), quoted(expect))
        }
        Step::DeleteManifest { at, repository, digest } => {
            format!("delete_manifest {} {} {}", at.var(), quoted(repository), quoted(digest))
        }
        Step::Unchanged { at, repository, tag, before, after } => format!(
            "unchanged {} {} {} {} {}",
            at.var(),
            quoted(repository),
            quoted(tag),
            quoted(before.as_deref().unwrap_or_default()),
            quoted(after)
        ),
        // `$` and backquotes in a manifest are its text, not expansions: single quotes on purpose.
        Step::Literal { digest, media_type, text } => format!(
            "# shellcheck disable=SC2016\n  literal_manifest {} {} {}",
            quoted(digest),
            quoted(media_type),
            quoted(text)
        ),
        Step::Absent { at, repository, tag } => format!("absent {} {} {}", at.var(), quoted(repository), quoted(tag)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_bash() {
        assert_eq!(quoted("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_retag_script_reads_checks_and_writes() {
        let script = Script {
            title: "Retag app:v1 to app:stable".into(),
            registry: "http://127.0.0.1:5000".into(),
            target_registry: None,
            items: vec![Item {
                label: "app:v1 → app:stable".into(),
                steps: vec![
                    Step::Read {
                        at: At::Source,
                        repository: "app".into(),
                        reference: "v1".into(),
                        expect: "sha256:ab".into(),
                    },
                    Step::Put {
                        at: At::Target,
                        repository: "app".into(),
                        tag: "stable".into(),
                        digest: "sha256:ab".into(),
                    },
                ],
            }],
            notes: Vec::new(),
        };
        let text = script.render();
        assert!(text.starts_with("#!/usr/bin/env bash\n"));
        assert!(text.contains("set -euo pipefail"));
        assert!(text.contains("REGISTRY=\"${REGISTRY:-http://127.0.0.1:5000}\""));
        assert!(text.contains("  read_manifest \"$REGISTRY\" 'app' 'v1' 'sha256:ab'\n  put_manifest \"$TARGET_REGISTRY\" 'app' 'stable' 'sha256:ab'"));
        assert!(text.contains("if (item_1); then"));
        // bash itself reads it (syntax only, nothing runs).
        checked_by(&text, "bash", &["-n"]);
    }

    /// Runs `program` with `arguments` on `text` written to a file, and fails with its output
    /// unless it exits 0.
    fn checked_by(text: &str, program: &str, arguments: &[&str]) {
        // Tests run in parallel: a file each.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("wharf-script-{program}-{}-{n}.sh", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let checked = std::process::Command::new(program).args(arguments).arg(&path).output();
        let _ = std::fs::remove_file(&path);
        let checked = checked.unwrap_or_else(|e| panic!("{program} (scripts/setup installs it): {e}"));
        assert!(
            checked.status.success(),
            "{program}: {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }

    /// Every kind of step, for the linters.
    fn every_step() -> Script {
        let (from, to, digest) = ("src/app".to_string(), "dst/app".to_string(), "sha256:ab".to_string());
        Script {
            title: "Every step".into(),
            registry: "http://127.0.0.1:5000".into(),
            target_registry: Some("http://127.0.0.1:5001".into()),
            items: vec![
                Item {
                    label: "copy it's".into(),
                    steps: vec![
                        Step::Read {
                            at: At::Source,
                            repository: from.clone(),
                            reference: "v1".into(),
                            expect: digest.clone(),
                        },
                        Step::Blob { from: from.clone(), to: to.clone(), digest: "sha256:cd".into() },
                        Step::Child { from: from.clone(), to: to.clone(), digest: "sha256:ef".into() },
                        Step::Referenced { from: from.clone(), to: to.clone(), digest: digest.clone() },
                        Step::Put { at: At::Target, repository: to.clone(), tag: "v1".into(), digest: digest.clone() },
                    ],
                },
                Item {
                    label: "delete and undo".into(),
                    steps: vec![
                        Step::DeleteTag {
                            at: At::Target,
                            repository: to.clone(),
                            tag: "old".into(),
                            expect: digest.clone(),
                        },
                        Step::DeleteManifest { at: At::Target, repository: to.clone(), digest: digest.clone() },
                        Step::Unchanged {
                            at: At::Target,
                            repository: to.clone(),
                            tag: "sha256-ab".into(),
                            before: None,
                            after: digest.clone(),
                        },
                        Step::Literal {
                            digest: digest.clone(),
                            media_type: "application/vnd.oci.image.index.v1+json".into(),
                            text: r#"{"schemaVersion":2,"manifests":[],"annotations":{"it's":"$HOME `x`"}}"#.into(),
                        },
                        Step::Absent { at: At::Source, repository: from, tag: "gone".into() },
                    ],
                },
            ],
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn a_literal_manifest_is_written_byte_for_byte() {
        let text = "{\"annotations\":{\"it's\":\"$HOME `x` \\\\n ünï\"}}\n";
        let digest = crate::digest::sha256_of(text.as_bytes()).to_string();
        let script = Script {
            title: "A literal".into(),
            registry: "http://127.0.0.1:9".into(),
            target_registry: None,
            items: vec![Item {
                label: "write it".into(),
                steps: vec![Step::Literal { digest, media_type: "application/json".into(), text: text.into() }],
            }],
            notes: Vec::new(),
        };
        // The script checks the bytes it wrote against the digest, and exits 0 only when they match.
        checked_by(&script.render(), "bash", &[]);
    }

    #[test]
    fn every_step_passes_shellcheck() {
        let text = every_step().render();
        checked_by(&text, "bash", &["-n"]);
        checked_by(&text, "shellcheck", &["--shell=bash", "--severity=style"]);
    }
}
