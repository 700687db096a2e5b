//! From a `config.yaml` file to one JSON tree: YAML parsing, `include:`
//! files merged in, `environment_variables` applied and `os.environ/NAME`
//! references resolved, as LiteLLM's proxy does before reading any setting.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::ConfigWarning;
use crate::GatewayError;

/// The prefix LiteLLM uses for a value read from the environment.
pub const ENV_PREFIX: &str = "os.environ/";

/// How deep `include:` may nest before it is taken for a cycle.
const MAX_INCLUDE_DEPTH: usize = 8;

/// Reads `path` and the files it includes into one tree.
pub fn read_tree(
    path: &Path,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(Value, ConfigEnv), GatewayError> {
    let tree = read_with_includes(path, 0)?;
    prepare(tree, path, warnings)
}

/// Reads `environment_variables` and resolves every `os.environ/` reference.
pub fn prepare(
    mut tree: Value,
    file: &Path,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(Value, ConfigEnv), GatewayError> {
    let env = environment_variables(&tree, file)?;
    resolve_env_refs(&mut tree, String::new(), &env, warnings);
    Ok((tree, env))
}

/// Parses YAML text into a JSON tree (keys become strings, as LiteLLM's
/// `yaml.safe_load` then JSON round trip would).
pub fn parse_yaml(text: &str, file: &Path) -> Result<Value, GatewayError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let value = serde_yaml_ng::from_str::<LastWins>(text)
        .map_err(|err| GatewayError::Config {
            path: file.display().to_string(),
            problem: format!("not valid YAML: {err}"),
            fix: "fix the YAML syntax at the line shown (indent with spaces, not tabs)".into(),
        })?
        .0;
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Ok(Value::Object(Map::new())),
        other => Err(GatewayError::Config {
            path: file.display().to_string(),
            problem: format!("the file holds a {}, not a mapping", kind(&other)),
            fix: "start the file with keys such as `model_list:` and `general_settings:`".into(),
        }),
    }
}

/// The JSON name of a value's type, for error messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// A YAML document as JSON, read the way PyYAML (LiteLLM's parser) reads
/// it: a repeated key keeps its last value, `<<` merge keys copy the keys
/// the mapping does not set itself, and non-string keys become strings.
struct LastWins(Value);

impl<'de> serde::Deserialize<'de> for LastWins {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LastWinsVisitor).map(LastWins)
    }
}

struct LastWinsVisitor;

impl<'de> serde::de::Visitor<'de> for LastWinsVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(LastWinsVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(LastWins(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut merged: Vec<Map<String, Value>> = Vec::new();
        while let Some((LastWins(key), LastWins(value))) = map.next_entry()? {
            let key = match key {
                Value::String(s) => s,
                Value::Null => "null".to_owned(),
                other => other.to_string(),
            };
            if key == "<<" {
                match value {
                    Value::Object(m) => merged.push(m),
                    Value::Array(items) => {
                        merged.extend(items.into_iter().filter_map(|i| match i {
                            Value::Object(m) => Some(m),
                            _ => None,
                        }))
                    }
                    _ => {}
                }
                continue;
            }
            out.insert(key, value);
        }
        for m in merged {
            for (k, v) in m {
                out.entry(k).or_insert(v);
            }
        }
        Ok(Value::Object(out))
    }
}

fn read_file(path: &Path) -> Result<Value, GatewayError> {
    let text = std::fs::read_to_string(path).map_err(|err| GatewayError::Config {
        path: path.display().to_string(),
        problem: format!("cannot read the file: {err}"),
        fix: "check the path given to --config".into(),
    })?;
    parse_yaml(&text, path)
}

/// LiteLLM's `include:`: each listed file (relative to the including file)
/// is read and its `model_list` appended; other top-level keys are merged,
/// the including file winning.
fn read_with_includes(path: &Path, depth: usize) -> Result<Value, GatewayError> {
    let mut tree = read_file(path)?;
    let Some(root) = tree.as_object_mut() else {
        return Ok(tree);
    };
    let Some(includes) = root.remove("include") else {
        return Ok(tree);
    };
    let files: Vec<String> = match includes {
        Value::Null => Vec::new(),
        Value::String(one) => vec![one],
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(GatewayError::Config {
                    path: format!("{}: include", path.display()),
                    problem: format!("an entry is a {}, not a file name", kind(&other)),
                    fix: "list file names, e.g. `include: [models.yaml]`".into(),
                }),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(GatewayError::Config {
                path: format!("{}: include", path.display()),
                problem: format!("`include` is a {}, not a list of files", kind(&other)),
                fix: "write `include: [models.yaml]`".into(),
            });
        }
    };
    if depth >= MAX_INCLUDE_DEPTH && !files.is_empty() {
        return Err(GatewayError::Config {
            path: format!("{}: include", path.display()),
            problem: format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
            fix: "remove the include cycle".into(),
        });
    }
    let base: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    for file in files {
        let included = read_with_includes(&base.join(&file), depth + 1)?;
        let Value::Object(included) = included else {
            continue;
        };
        for (key, value) in included {
            match (root.get_mut(&key), value) {
                (Some(Value::Array(mine)), Value::Array(theirs)) if key == "model_list" => {
                    mine.extend(theirs);
                }
                (Some(Value::Object(mine)), Value::Object(theirs)) => {
                    for (k, v) in theirs {
                        mine.entry(k).or_insert(v);
                    }
                }
                (Some(_), _) => {}
                (None, value) => {
                    root.insert(key, value);
                }
            }
        }
    }
    Ok(tree)
}

/// The environment a config sees: its own `environment_variables:` first,
/// then the process's. LiteLLM writes those into the process environment;
/// lmrelay keeps them beside it (no process-wide mutation) and uses them for
/// `os.environ/` references and for each provider's key and base variables.
#[derive(Debug, Clone, Default)]
pub struct ConfigEnv {
    overlay: std::collections::HashMap<String, String>,
}

impl ConfigEnv {
    /// The value of `name`: the config's own first, then the process's.
    pub fn get(&self, name: &str) -> Option<String> {
        self.overlay
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }
}

/// Reads `environment_variables:`; a value that is not a string, number or
/// boolean is an error naming it.
fn environment_variables(tree: &Value, file: &Path) -> Result<ConfigEnv, GatewayError> {
    let mut env = ConfigEnv::default();
    let Some(vars) = tree.get("environment_variables") else {
        return Ok(env);
    };
    let vars = match vars {
        Value::Null => return Ok(env),
        Value::Object(vars) => vars,
        other => {
            return Err(GatewayError::Config {
                path: format!("{}: environment_variables", file.display()),
                problem: format!("is a {}, not a mapping", kind(other)),
                fix: "write `environment_variables:` followed by `NAME: value` lines".into(),
            });
        }
    };
    for (name, value) in vars {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
            Value::Null => continue,
            other => {
                return Err(GatewayError::Config {
                    path: format!("{}: environment_variables.{name}", file.display()),
                    problem: format!("is a {}, not a text value", kind(other)),
                    fix: "give each variable a string value".into(),
                });
            }
        };
        env.overlay.insert(name.clone(), text);
    }
    Ok(env)
}

/// Replaces every `os.environ/NAME` string by the variable's value. An unset
/// variable becomes null and a warning naming the path and the variable.
fn resolve_env_refs(
    value: &mut Value,
    path: String,
    env: &ConfigEnv,
    warnings: &mut Vec<ConfigWarning>,
) {
    match value {
        Value::String(text) => {
            if let Some(name) = text.strip_prefix(ENV_PREFIX) {
                let name = name.trim();
                match env.get(name) {
                    Some(resolved) => *value = Value::String(resolved),
                    None => {
                        warnings.push(ConfigWarning {
                            path,
                            message: format!(
                                "refers to the environment variable {name}, which is not set; treated as unset"
                            ),
                        });
                        *value = Value::Null;
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve_env_refs(item, format!("{path}[{i}]"), env, warnings);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                resolve_env_refs(item, child, env, warnings);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_numbers_keys_and_tags_become_json() {
        let tree = parse_yaml("a: 1\n2: x\nb: [1.5, true, null]\n", Path::new("t.yaml"))
            .unwrap_or_default();
        assert_eq!(tree["a"], 1);
        assert_eq!(tree["2"], "x");
        assert_eq!(tree["b"], serde_json::json!([1.5, true, null]));
    }

    #[test]
    fn repeated_keys_keep_the_last_and_merge_keys_merge() {
        let text = "a: 1\na: 2\nbase: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n";
        let tree = parse_yaml(text, Path::new("t.yaml")).unwrap_or_default();
        assert_eq!(tree["a"], 2);
        assert_eq!(tree["use"], serde_json::json!({"y": 3, "x": 1}));
    }

    #[test]
    fn an_empty_file_is_an_empty_config_and_a_list_is_an_error() {
        let empty = parse_yaml("  \n", Path::new("t.yaml")).unwrap_or(Value::Null);
        assert_eq!(empty, serde_json::json!({}));
        let err = parse_yaml("- a\n- b\n", Path::new("t.yaml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not a mapping"), "{err}");
    }

    #[test]
    fn env_refs_resolve_anywhere_and_unset_ones_warn() {
        let mut tree = serde_json::json!({"a": {"b": ["os.environ/PATH", "os.environ/LMRELAY_SURELY_UNSET_123"]}});
        let mut warnings = Vec::new();
        resolve_env_refs(
            &mut tree,
            String::new(),
            &ConfigEnv::default(),
            &mut warnings,
        );
        assert_eq!(
            tree["a"]["b"][0],
            Value::String(std::env::var("PATH").unwrap_or_default())
        );
        assert_eq!(tree["a"]["b"][1], Value::Null);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].path, "a.b[1]");
        assert!(warnings[0].message.contains("LMRELAY_SURELY_UNSET_123"));
    }
}
