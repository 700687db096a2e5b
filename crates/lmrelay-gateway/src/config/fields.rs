//! Typed reads from one mapping of the config tree, each failure naming the
//! full path, what was found and the fix. Values are read the lenient way
//! LiteLLM's Python does: `"100"` is a number, `"true"` a boolean.

use std::collections::BTreeSet;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::source::kind;
use crate::GatewayError;

/// One mapping of the config and the keys read from it so far.
pub struct Section<'a> {
    /// The file the mapping comes from.
    pub file: &'a str,
    /// Its dotted path (`model_list[0].litellm_params`).
    pub path: String,
    /// Its keys.
    pub map: &'a Map<String, Value>,
    used: BTreeSet<&'a str>,
}

impl<'a> Section<'a> {
    /// A section over `value`, which must be a mapping (null is an empty one).
    pub fn new(file: &'a str, path: String, value: &'a Value) -> Result<Self, GatewayError> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let map = match value {
            Value::Object(map) => map,
            Value::Null => EMPTY.get_or_init(Map::new),
            other => {
                return Err(error(
                    file,
                    &path,
                    format!("is a {}, not a mapping", kind(other)),
                    "write it as `key: value` lines indented under its name",
                ));
            }
        };
        Ok(Self {
            file,
            path,
            map,
            used: BTreeSet::new(),
        })
    }

    /// The path of `key` in this section.
    pub fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The raw value of `key` (null counts as absent), marked as read.
    pub fn raw(&mut self, key: &'a str) -> Option<&'a Value> {
        self.used.insert(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The keys never read, in file order.
    pub fn unread(&self) -> Vec<&'a str> {
        self.map
            .keys()
            .map(String::as_str)
            .filter(|k| !self.used.contains(k))
            .collect()
    }

    /// An error about `key` in this section.
    pub fn error(&self, key: &str, problem: String, fix: &str) -> GatewayError {
        error(self.file, &self.child(key), problem, fix)
    }

    /// A text value (numbers are accepted and written out).
    pub fn string(&mut self, key: &'a str) -> Result<Option<String>, GatewayError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.error(
                key,
                format!("is a {}, not text", kind(other)),
                "write it as a quoted string",
            )),
        }
    }

    /// A required text value.
    pub fn required_string(&mut self, key: &'a str, example: &str) -> Result<String, GatewayError> {
        match self.string(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(self.error(key, "is missing".into(), &format!("add `{key}: {example}`"))),
        }
    }

    /// A whole number of at least zero.
    pub fn u64(&mut self, key: &'a str) -> Result<Option<u64>, GatewayError> {
        match self.raw(key) {
            None => Ok(None),
            Some(value) => {
                let parsed = match value {
                    Value::Number(n) => n.as_u64().or_else(|| {
                        n.as_f64()
                            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                            .map(|f| f as u64)
                    }),
                    Value::String(s) => python_number(s).parse::<u64>().ok(),
                    _ => None,
                };
                parsed.map(Some).ok_or_else(|| {
                    self.error(
                        key,
                        format!("is {value}, not a whole number"),
                        "write a number such as 100",
                    )
                })
            }
        }
    }

    /// A whole number that fits 32 bits.
    pub fn u32(&mut self, key: &'a str) -> Result<Option<u32>, GatewayError> {
        match self.u64(key)? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| self.error(key, format!("is {n}, too large"), "use a smaller number")),
        }
    }

    /// A number of at least zero, possibly with a fraction.
    pub fn f64(&mut self, key: &'a str) -> Result<Option<f64>, GatewayError> {
        match self.raw(key) {
            None => Ok(None),
            Some(value) => {
                let parsed = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => python_number(s).parse::<f64>().ok(),
                    _ => None,
                };
                match parsed {
                    Some(f) if f.is_finite() && f >= 0.0 => Ok(Some(f)),
                    _ => Err(self.error(
                        key,
                        format!("is {value}, not a number of zero or more"),
                        "write a number such as 30 or 0.5",
                    )),
                }
            }
        }
    }

    /// An exact decimal (money), from a number or a numeric string.
    pub fn decimal(&mut self, key: &'a str) -> Result<Option<Decimal>, GatewayError> {
        match self.raw(key) {
            None => Ok(None),
            Some(value) => {
                let text = match value {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.trim().to_owned(),
                    _ => String::new(),
                };
                let parsed = text
                    .parse::<Decimal>()
                    .or_else(|_| Decimal::from_scientific(&text));
                match parsed {
                    Ok(d) if !d.is_sign_negative() => Ok(Some(d)),
                    _ => Err(self.error(
                        key,
                        format!("is {value}, not an amount of zero or more"),
                        "write an amount such as 10.5",
                    )),
                }
            }
        }
    }

    /// Seconds as a duration; more than a century reads as a century
    /// (effectively no limit, and no clock can overflow on it).
    pub fn seconds(&mut self, key: &'a str) -> Result<Option<Duration>, GatewayError> {
        const CENTURY: Duration = Duration::from_secs(100 * 365 * 86_400);
        Ok(self
            .f64(key)?
            .map(|secs| Duration::try_from_secs_f64(secs).map_or(CENTURY, |d| d.min(CENTURY))))
    }

    /// A boolean (also `"true"`, `"False"`, `1`, `0`).
    pub fn bool(&mut self, key: &'a str) -> Result<Option<bool>, GatewayError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(value) => {
                let parsed = match value {
                    Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                        "true" | "yes" | "1" => Some(true),
                        "false" | "no" | "0" => Some(false),
                        _ => None,
                    },
                    Value::Number(n) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
                    _ => None,
                };
                parsed.map(Some).ok_or_else(|| {
                    self.error(
                        key,
                        format!("is {value}, not true or false"),
                        "write true or false",
                    )
                })
            }
        }
    }

    /// A list of strings (a single string counts as a list of one).
    pub fn strings(&mut self, key: &'a str) -> Result<Vec<String>, GatewayError> {
        match self.raw(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_null())
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(error(
                        self.file,
                        &format!("{}[{i}]", self.child(key)),
                        format!("is a {}, not text", kind(other)),
                        "list strings only",
                    )),
                })
                .collect(),
            Some(other) => Err(self.error(
                key,
                format!("is a {}, not a list", kind(other)),
                "write a list such as [\"a\", \"b\"]",
            )),
        }
    }
}

/// A number as PyYAML and Python's `int()` read it: `20_000` is 20000
/// (YAML 1.1 and Python allow underscores between digits).
fn python_number(text: &str) -> String {
    let text = text.trim();
    let digits_between = text
        .char_indices()
        .filter(|(_, c)| *c == '_')
        .all(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + 1..].chars().next();
            before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit())
        });
    if digits_between {
        text.replace('_', "")
    } else {
        text.to_owned()
    }
}

/// A config error at `path` of `file`.
pub fn error(file: &str, path: &str, problem: String, fix: &str) -> GatewayError {
    GatewayError::Config {
        path: format!("{file}: {path}"),
        problem,
        fix: fix.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_reads_accept_python_spellings() {
        let value = json!({"rpm": "100", "big": "80_000", "bad": "8__0", "tpm": 2.0, "on": "True", "off": 0, "cost": "1e-6", "t": "2.5"});
        let mut s = Section::new("c.yaml", "x".into(), &value).unwrap_or_else(|_| unreachable!());
        assert_eq!(s.u32("rpm").ok().flatten(), Some(100));
        assert_eq!(s.u32("tpm").ok().flatten(), Some(2));
        assert_eq!(s.u64("big").ok().flatten(), Some(80_000));
        assert!(s.u64("bad").is_err());
        assert_eq!(s.bool("on").ok().flatten(), Some(true));
        assert_eq!(s.bool("off").ok().flatten(), Some(false));
        assert_eq!(
            s.decimal("cost").ok().flatten(),
            Decimal::from_scientific("1e-6").ok()
        );
        assert_eq!(
            s.seconds("t").ok().flatten(),
            Some(Duration::from_millis(2500))
        );
        assert!(s.unread().is_empty());
    }

    #[test]
    fn absurd_timeouts_read_as_a_century_without_panicking() {
        let value = json!({"a": 1e300, "b": "1e20", "c": 18446744073709551615.0_f64});
        let mut s = Section::new("c.yaml", "x".into(), &value).unwrap_or_else(|_| unreachable!());
        let century = Duration::from_secs(100 * 365 * 86_400);
        for key in ["a", "b", "c"] {
            assert_eq!(s.seconds(key).ok().flatten(), Some(century), "{key}");
        }
    }

    #[test]
    fn a_wrong_value_names_the_path_and_the_fix() {
        let value = json!({"rpm": "lots"});
        let mut s = Section::new("c.yaml", "model_list[1].litellm_params".into(), &value)
            .unwrap_or_else(|_| unreachable!());
        let err = s
            .u32("rpm")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("c.yaml: model_list[1].litellm_params.rpm"),
            "{err}"
        );
        assert!(err.contains("not a whole number"), "{err}");
        assert!(err.contains("such as 100"), "{err}");
    }
}
