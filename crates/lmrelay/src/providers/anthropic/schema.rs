//! A JSON-schema `response_format` for Anthropic: a native `output_format`
//! on models that take one, else a forced `json_tool_call` tool.

use lmrelay_types::JsonObject;
use serde_json::{Map, Value, json};

use super::JSON_TOOL_NAME;
use crate::providers::Target;

/// Models that take a native `output_format` (structured outputs beta).
fn has_native_structured_output(model: &str) -> bool {
    [
        "sonnet-4.5",
        "sonnet-4-5",
        "opus-4.1",
        "opus-4-1",
        "opus-4.5",
        "opus-4-5",
        "opus-4.6",
        "opus-4-6",
        "sonnet-4.6",
        "sonnet-4-6",
        "sonnet_4.6",
        "sonnet_4_6",
    ]
    .iter()
    .any(|v| model.contains(v))
}

/// A JSON-schema `response_format`: a native `output_format` (with the
/// constraints Anthropic rejects moved into descriptions) on models that
/// take one, else the `json_tool_call` tool to force; `json_object` sends
/// nothing. Returns the tool when one is needed.
pub(super) fn json_schema_tool(
    target: &Target,
    request: &JsonObject,
    out: &mut Map<String, Value>,
) -> Option<Value> {
    let format = request.get("response_format")?;
    if format["type"] != "json_schema" {
        return None;
    }
    let schema = format["json_schema"]["schema"].clone();
    if has_native_structured_output(&target.model) {
        out.insert(
            "output_format".into(),
            json!({"type": "json_schema", "schema": filter_output_schema(&schema)}),
        );
        return None;
    }
    Some(json!({"name": JSON_TOOL_NAME, "input_schema": schema}))
}

const CONSTRAINTS: &[(&str, &str)] = &[
    ("minItems", "minimum number of items"),
    ("maxItems", "maximum number of items"),
    ("minimum", "minimum value"),
    ("maximum", "maximum value"),
    ("exclusiveMinimum", "exclusive minimum value"),
    ("exclusiveMaximum", "exclusive maximum value"),
    ("minLength", "minimum length"),
    ("maxLength", "maximum length"),
];

/// LiteLLM's `filter_anthropic_output_schema` (after Anthropic's SDK).
fn filter_output_schema(schema: &Value) -> Value {
    let Value::Object(object) = schema else {
        return schema.clone();
    };
    let notes: Vec<String> = CONSTRAINTS
        .iter()
        .filter_map(|(key, label)| {
            object
                .get(*key)
                .map(|v| format!("{label}: {}", python_number(v)))
        })
        .collect();
    let mut out = Map::new();
    if !notes.is_empty() {
        let note = format!("Note: {}.", notes.join(", "));
        let description = match object.get("description").and_then(Value::as_str) {
            Some(existing) if !existing.is_empty() => format!("{existing} {note}"),
            _ => note,
        };
        out.insert("description".into(), Value::String(description));
    }
    for (key, value) in object {
        if CONSTRAINTS.iter().any(|(c, _)| c == key)
            || (key == "description" && out.contains_key(key))
        {
            continue;
        }
        let filtered = match (key.as_str(), value) {
            ("properties" | "$defs", Value::Object(children)) => Value::Object(
                children
                    .iter()
                    .map(|(k, v)| (k.clone(), filter_output_schema(v)))
                    .collect(),
            ),
            ("items", Value::Object(_)) => filter_output_schema(value),
            ("anyOf", Value::Array(items)) => {
                Value::Array(items.iter().map(filter_output_schema).collect())
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), filtered);
    }
    if out.get("type").and_then(Value::as_str) == Some("object")
        && !out.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// A number as Python's `str()` prints it (`50`, `0.5`).
fn python_number(value: &Value) -> String {
    value.to_string()
}
