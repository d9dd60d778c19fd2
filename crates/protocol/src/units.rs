//! Sizes and short forms for people: sizes in integer arithmetic (float formatting would add page
//! weight for nothing), truncation by characters.

/// Decimal units as registries and Docker show them: `999 B`, `1.2 kB`, `3.4 MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut divisor: u64 = 1;
    while bytes / divisor >= 1000 && unit < UNITS.len() - 1 {
        divisor *= 1000;
        unit += 1;
    }
    // Tenths of the unit, rounded half up, without overflowing: whole units first, then the rest.
    let (whole, rest) = (bytes / divisor, bytes % divisor);
    let tenths = whole * 10 + (rest * 10 + divisor / 2) / divisor;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// A count with thousands separators: `10,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// At most `max` characters of `text` (never splits a character: registry text is untrusted and
/// may be any Unicode).
pub fn first_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::{first_chars, human_size, thousands};

    #[test]
    fn counts_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(3_420), "3,420");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(first_chars("sha256:abcdef", 9), "sha256:ab");
        assert_eq!(first_chars("ünïcødé", 3), "ünï");
        assert_eq!(first_chars("short", 50), "short");
        assert_eq!(first_chars("", 3), "");
    }

    #[test]
    fn sizes() {
        let table = [
            (0, "0 B"),
            (999, "999 B"),
            (1000, "1.0 kB"),
            (1250, "1.3 kB"),
            (3_408_729, "3.4 MB"),
            (999_950, "1000.0 kB"),
            (5_000_000_000_000_000, "5000.0 TB"),
            (u64::MAX, "18446744.1 TB"),
        ];
        for (bytes, expected) in table {
            assert_eq!(human_size(bytes), expected, "{bytes}");
        }
    }
}
