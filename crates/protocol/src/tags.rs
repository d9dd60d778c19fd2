//! Ordering and filtering of tag and repository lists.
//!
//! Registries return tags in byte order, which puts `v1.10` before `v1.9`. The natural order
//! compares runs of digits as numbers, so version tags read the way people expect.

use std::cmp::Ordering;

/// Natural ordering: digit runs compare as numbers, the rest byte-wise.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = split_digits(a);
                let (db, rb) = split_digits(b);
                let (ta, tb) = (trim_zeros(da), trim_zeros(db));
                let by_value = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                // Equal values: fewer leading zeros first, so the order is total and stable.
                let ordering = by_value.then_with(|| da.len().cmp(&db.len()));
                if ordering != Ordering::Equal {
                    return ordering;
                }
                a = ra;
                b = rb;
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s.iter().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[start..]
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Natural, ascending (`v1.9` before `v1.10`).
    #[default]
    NaturalAscending,
    /// Natural, descending (newest versions first).
    NaturalDescending,
    /// As the registry returned them.
    Registry,
}

impl SortOrder {
    /// Stable key for `<select>` values and URLs.
    pub fn key(self) -> &'static str {
        match self {
            SortOrder::NaturalAscending => "asc",
            SortOrder::NaturalDescending => "desc",
            SortOrder::Registry => "registry",
        }
    }

    /// Inverse of [`SortOrder::key`].
    pub fn from_key(key: &str) -> Self {
        match key {
            "desc" => SortOrder::NaturalDescending,
            "registry" => SortOrder::Registry,
            _ => SortOrder::NaturalAscending,
        }
    }
}

/// Filters by a case-insensitive substring (all words must appear) and sorts.
pub fn filter_and_sort(items: &[String], filter: &str, order: SortOrder) -> Vec<String> {
    // ASCII case folding: names and tags are ASCII, and full Unicode tables cost page weight.
    let words: Vec<String> = filter.split_ascii_whitespace().map(str::to_ascii_lowercase).collect();
    let mut out: Vec<String> = items
        .iter()
        .filter(|item| {
            let lower = item.to_ascii_lowercase();
            words.iter().all(|w| lower.contains(w.as_str()))
        })
        .cloned()
        .collect();
    // The natural order is total (distinct names never compare equal), so an unstable sort gives
    // the same result as a stable one; it is also the smaller code, and one sort serves both
    // directions.
    if order != SortOrder::Registry {
        out.sort_unstable_by(|a, b| natural_cmp(a, b));
    }
    if order == SortOrder::NaturalDescending {
        out.reverse();
    }
    out
}

/// A stable colour hue (0–359) for a digest, so tags sharing an image look alike at a glance.
pub fn digest_hue(digest: &str) -> u16 {
    let hex = digest.split_once(':').map(|(_, h)| h).unwrap_or(digest);
    let prefix = hex.get(..4).and_then(|h| u16::from_str_radix(h, 16).ok()).unwrap_or(0);
    prefix % 360
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_naturally() {
        let tags: Vec<String> = ["v1.10", "v1.9", "v1.2", "latest", "v10.0", "v2.0-rc1", "v2.0", "1", "01", "a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            filter_and_sort(&tags, "", SortOrder::NaturalAscending),
            ["1", "01", "a", "latest", "v1.2", "v1.9", "v1.10", "v2.0", "v2.0-rc1", "v10.0"]
        );
        let desc = filter_and_sort(&tags, "", SortOrder::NaturalDescending);
        assert_eq!(desc.first().map(String::as_str), Some("v10.0"));
        assert_eq!(filter_and_sort(&tags, "", SortOrder::Registry), tags);
    }

    #[test]
    fn numbers_beyond_u64_compare() {
        assert_eq!(natural_cmp("x99999999999999999999999", "x100000000000000000000000"), Ordering::Less);
    }

    #[test]
    fn filter_words() {
        let tags: Vec<String> = ["v1.0-alpine", "v1.0-debian", "V2-Alpine"].iter().map(|s| s.to_string()).collect();
        assert_eq!(filter_and_sort(&tags, "alpine", SortOrder::NaturalAscending), ["V2-Alpine", "v1.0-alpine"]);
        assert_eq!(filter_and_sort(&tags, "v1 alp", SortOrder::NaturalAscending), ["v1.0-alpine"]);
        assert!(filter_and_sort(&tags, "zzz", SortOrder::NaturalAscending).is_empty());
    }

    #[test]
    fn hues() {
        assert_eq!(digest_hue("sha256:0000ff"), 0);
        assert_eq!(digest_hue("sha256:0169aa"), 0x0169 % 360);
        assert_eq!(digest_hue("garbage"), 0);
    }
}
