//! Image dates: RFC 3339 timestamps read into seconds since the epoch, and ages for people.
//!
//! Written here rather than taken from a date crate: only one format is read (the `created` of an
//! image config), and a calendar library would add page weight for one function.

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 timestamp (`2024-05-06T07:08:09.123Z`,
/// `…+02:00`); fractions are dropped. `None` for anything else, including dates before 1970 such
/// as the zero time reproducible builds write (`0001-01-01T00:00:00Z`), which is no date at all.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, c)| b.get(at) != Some(&c)) || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &rest[1 + digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit()).then(|| i64::from((a - b'0') * 10 + (b - b'0')))
            };
            let minutes = two(*h1, *h2)? * 60 + two(*m1, *m2)?;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    (seconds >= 0).then_some(seconds)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// How long ago `then` was at `now` (both in seconds since the epoch), in the largest whole
/// unit: "just now", "5 minutes ago", "3 days ago", "2 years ago". A date ahead of the clock
/// says so instead of pretending.
pub fn age(now: i64, then: i64) -> String {
    let elapsed = now - then;
    if elapsed < -120 {
        return "in the future (clock skew?)".into();
    }
    if elapsed < 60 {
        return "just now".into();
    }
    const UNITS: [(i64, &str); 6] = [
        (31_536_000, "year"),
        (2_592_000, "month"),
        (604_800, "week"),
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ];
    let (size, name) = UNITS.iter().copied().find(|(size, _)| elapsed >= *size).unwrap_or(UNITS[5]);
    let count = elapsed / size;
    format!("{count} {name}{} ago", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(parse_rfc3339("2024-02-29T12:34:56.123456789Z"), Some(1_709_210_096));
        assert_eq!(parse_rfc3339("2024-02-29T14:34:56+02:00"), Some(1_709_210_096));
        assert_eq!(parse_rfc3339("2024-02-29T10:04:56-02:30"), Some(1_709_210_096));
        assert_eq!(parse_rfc3339(" 2025-12-31t23:59:59z "), Some(1_767_225_599));
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for text in [
            "",
            "2024-02-29",
            "2024-13-01T00:00:00Z",
            "2024-02-29T24:00:00Z",
            "2024-02-29T12:34:56",
            "2024-02-29T12:34:56.Z",
            "2024-02-29T12:34:56+0200",
            "0001-01-01T00:00:00Z",
            "２０２４-02-29T12:34:56Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }

    #[test]
    fn ages_in_words() {
        let now = 1_000_000_000;
        assert_eq!(age(now, now), "just now");
        assert_eq!(age(now, now - 59), "just now");
        assert_eq!(age(now, now - 60), "1 minute ago");
        assert_eq!(age(now, now - 7200), "2 hours ago");
        assert_eq!(age(now, now - 3 * 86_400 - 5), "3 days ago");
        assert_eq!(age(now, now - 15 * 86_400), "2 weeks ago");
        assert_eq!(age(now, now - 65 * 86_400), "2 months ago");
        assert_eq!(age(now, now - 800 * 86_400), "2 years ago");
        assert_eq!(age(now, now + 3600), "in the future (clock skew?)");
    }
}
