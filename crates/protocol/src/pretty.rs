//! Re-indents JSON for reading without parsing it into a map: key order, number spelling and
//! string escapes stay exactly as the registry sent them (a parse and re-serialise would sort keys
//! and re-escape, showing something other than what was stored). Display only.

use serde::de::IgnoredAny;

/// Two-space indented copy of `text`, or `None` when it is not valid JSON.
pub fn pretty_json(text: &str) -> Option<String> {
    serde_json::from_slice::<IgnoredAny>(text.as_bytes()).ok()?;
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|n| n.is_ascii_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}') | Some(']')) {
                    out.push(chars.next().unwrap_or(']'));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_escapes() {
        let input = r#"{"z":1,"a":{"s":"x,y: \"q\" \u003c","e":[],"o":{}},"n":[1, 2.50e3]}"#;
        let expected = "{\n  \"z\": 1,\n  \"a\": {\n    \"s\": \"x,y: \\\"q\\\" \\u003c\",\n    \"e\": [],\n    \"o\": {}\n  },\n  \"n\": [\n    1,\n    2.50e3\n  ]\n}";
        assert_eq!(pretty_json(input).unwrap(), expected);
    }

    #[test]
    fn refuses_invalid_json() {
        assert_eq!(pretty_json("{\"a\":"), None);
        assert_eq!(pretty_json("<html>"), None);
    }

    #[test]
    fn pretty_input_is_stable() {
        let once = pretty_json(r#"{"a":[{"b":1}]}"#).unwrap();
        assert_eq!(pretty_json(&once).unwrap(), once);
    }
}
