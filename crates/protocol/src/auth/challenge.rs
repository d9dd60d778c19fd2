//! `WWW-Authenticate` parsing (RFC 7235), with a tokenizer rather than a regex: quoted strings
//! may hold commas and backslash escapes, one header may carry several challenges, and browsers
//! join repeated headers with ", ".

use std::collections::BTreeMap;

/// One challenge: a scheme and its parameters (names lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Scheme, lower-cased (`basic`, `bearer`).
    pub scheme: String,
    /// Parameters, names lower-cased, values unquoted and unescaped.
    pub params: BTreeMap<String, String>,
    /// A token68 credential-style value, when the challenge carries one instead of parameters.
    pub token68: Option<String>,
}

impl Challenge {
    /// A parameter by (lower-case) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Equals,
    Comma,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/:".contains(c)
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '=' => {
                chars.next();
                tokens.push(Token::Equals);
            }
            '"' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some(escaped) => value.push(escaped),
                            None => return Err("a backslash ends the header".into()),
                        },
                        Some('"') => break,
                        Some(other) => value.push(other),
                        None => return Err("a quoted string is not closed".into()),
                    }
                }
                tokens.push(Token::Quoted(value));
            }
            c if is_tchar(c) => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if !is_tchar(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            other => return Err(format!("unexpected character “{other}”")),
        }
    }
    Ok(tokens)
}

/// Parses every challenge in a (possibly joined) `WWW-Authenticate` value.
pub fn parse_challenges(header: &str) -> Result<Vec<Challenge>, String> {
    let tokens = tokenize(header)?;
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Comma => i += 1,
            Token::Word(scheme) => {
                let mut challenge =
                    Challenge { scheme: scheme.to_ascii_lowercase(), params: BTreeMap::new(), token68: None };
                i += 1;
                // token68: a word followed by '='* and then a comma or the end.
                if let Some(Token::Word(word)) = tokens.get(i) {
                    let mut j = i + 1;
                    let mut padding = String::new();
                    while tokens.get(j) == Some(&Token::Equals) {
                        padding.push('=');
                        j += 1;
                    }
                    let ends = matches!(tokens.get(j), None | Some(Token::Comma));
                    let is_param = padding.len() == 1 && !ends;
                    if ends && !is_param {
                        challenge.token68 = Some(format!("{word}{padding}"));
                        i = j;
                        challenges.push(challenge);
                        continue;
                    }
                }
                // auth-params: name = value, separated by commas, until a word not followed by '='.
                loop {
                    match (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2)) {
                        (Some(Token::Word(name)), Some(Token::Equals), Some(Token::Word(v) | Token::Quoted(v))) => {
                            challenge.params.insert(name.to_ascii_lowercase(), v.clone());
                            i += 3;
                        }
                        (Some(Token::Word(name)), Some(Token::Equals), _) => {
                            challenge.params.insert(name.to_ascii_lowercase(), String::new());
                            i += 2;
                        }
                        _ => break,
                    }
                    // Skip the separating commas; stop at the start of the next challenge.
                    while tokens.get(i) == Some(&Token::Comma) {
                        i += 1;
                    }
                    if let (Some(Token::Word(_)), next) = (tokens.get(i), tokens.get(i + 1)) {
                        if next != Some(&Token::Equals) {
                            break;
                        }
                    }
                }
                challenges.push(challenge);
            }
            Token::Equals | Token::Quoted(_) => {
                return Err("a challenge must start with an authentication scheme".to_string())
            }
        }
    }
    Ok(challenges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(challenge: &Challenge) -> Vec<(&str, &str)> {
        challenge.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn bearer_with_quoted_commas() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:samalba/my-app:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(
            params(&c[0]),
            [
                ("realm", "https://auth.example.com/token"),
                ("scope", "repository:samalba/my-app:pull,push"),
                ("service", "registry.example.com")
            ]
        );
    }

    #[test]
    fn several_challenges_joined_and_escapes() {
        let joined = r#"Basic realm="Registry \"Realm\"", Bearer realm="http://127.0.0.1:9/token",service=reg,error="insufficient_scope",scope="repository:a:pull repository:b:pull""#;
        let c = parse_challenges(joined).unwrap();
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some(r#"Registry "Realm""#));
        assert_eq!(c[1].param("service"), Some("reg"));
        assert_eq!(c[1].param("error"), Some("insufficient_scope"));
        assert_eq!(c[1].param("scope"), Some("repository:a:pull repository:b:pull"));
    }

    #[test]
    fn case_whitespace_and_order() {
        let c = parse_challenges(r#"  BEARER   Service = "s" ,  REALM="r"  "#).unwrap();
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("r"));
        assert_eq!(c[0].param("service"), Some("s"));
    }

    #[test]
    fn token68_and_bare_schemes() {
        let c = parse_challenges("Negotiate abc123==, Basic").unwrap();
        assert_eq!(c[0].token68.as_deref(), Some("abc123=="));
        assert_eq!(c[1].scheme, "basic");
        assert!(c[1].params.is_empty());
    }

    #[test]
    fn malformed_headers_are_errors() {
        assert!(parse_challenges(r#"Bearer realm="unterminated"#).is_err());
        assert!(parse_challenges("Bearer realm=\"x\" \u{1}").is_err());
        assert!(parse_challenges(r#"="x""#).is_err());
    }
}
