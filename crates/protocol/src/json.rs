//! Reading JSON answers field by field from one `serde_json::Value`.
//!
//! Every JSON Wharf reads (manifests, configs, token answers, error envelopes, list pages, the
//! stored journal, the runtime config) goes through one parse into a `Value` and these accessors,
//! rather than a derived deserializer per struct: in the browser bundle that is one parser instead
//! of a dozen, several KB of the first load. Accessors are lenient (a field of the wrong type
//! reads as absent) unless a caller checks types itself.

use std::collections::BTreeMap;

pub use serde_json::Value;

/// Parses `bytes` as JSON.
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// A string field (`None`: absent, null or not a string).
pub fn text(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A string field, empty when absent.
pub fn text_or_empty(json: &Value, key: &str) -> String {
    text(json, key).unwrap_or_default()
}

/// A list of strings (`None`: absent, null or not a list; entries that are not strings are left
/// out).
pub fn strings(json: &Value, key: &str) -> Option<Vec<String>> {
    let list = json.get(key)?.as_array()?;
    Some(list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// A list of strings that must be one: absent or null is empty; anything else but a list of
/// strings is `Err` with what was found.
pub fn string_list(json: &Value, key: &str) -> Result<Vec<String>, String> {
    match json.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| format!("“{key}” holds a non-string")))
            .collect(),
        Some(_) => Err(format!("“{key}” is not a list")),
    }
}

/// An object of string values (`None`: absent or not an object; other values are left out).
pub fn string_map(json: &Value, key: &str) -> Option<BTreeMap<String, String>> {
    let object = json.get(key)?.as_object()?;
    // Inserted one by one: `collect` into a map sorts first, and that sort is a few KB of the
    // bundle for this one caller.
    let mut map = BTreeMap::new();
    for (k, v) in object {
        if let Some(v) = v.as_str() {
            map.insert(k.clone(), v.to_owned());
        }
    }
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_read_leniently_and_lists_strictly() {
        let v = parse(br#"{"s":"x","n":1,"l":["a",2,"b"],"m":{"k":"v","n":3},"z":null}"#).unwrap();
        assert_eq!(text(&v, "s").as_deref(), Some("x"));
        assert_eq!(text(&v, "n"), None, "a number is not a string");
        assert_eq!(text_or_empty(&v, "missing"), "");
        assert_eq!(strings(&v, "l").unwrap(), ["a", "b"]);
        assert_eq!(string_map(&v, "m").unwrap().len(), 1);
        assert_eq!(string_list(&v, "z"), Ok(Vec::new()));
        assert!(string_list(&v, "l").unwrap_err().contains("non-string"));
        assert!(string_list(&v, "s").unwrap_err().contains("not a list"));
        assert!(parse(b"{nope").is_err());
    }
}
