//! Structured output: a JSON Schema from a Rust type, a `response_format`
//! that asks for it, client-side validation of the reply, JSON extraction
//! from chatty or fenced replies, and a re-ask loop that shows the model its
//! validation errors.

use jsonschema::Validator;
use lmrelay_types::{ChatCompletionResponse, JsonSchemaFormat, ResponseFormat};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::error::{Error, ErrorKind, Result};

/// At most this many validation errors are reported (and sent back on a re-ask).
const MAX_REPORTED_ERRORS: usize = 10;

/// The JSON Schema of `T`, shaped for OpenAI's strict mode: draft 2020-12,
/// subschemas inlined, every object closed (`additionalProperties: false`)
/// with every property required (optional fields accept `null`), and
/// numeric `format`s that providers reject removed.
pub fn schema_for<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Value::Object(root) = &mut schema {
        root.remove("$schema");
    }
    make_strict(&mut schema);
    schema
}

fn make_strict(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(format)) = object.get("format")
                && (format.starts_with("int")
                    || format.starts_with("uint")
                    || format == "double"
                    || format == "float")
            {
                object.remove("format");
            }
            if let Some(Value::Object(properties)) = object.get("properties") {
                let names: Vec<Value> = properties.keys().cloned().map(Value::String).collect();
                object.insert("required".to_owned(), Value::Array(names));
                object.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            for child in object.values_mut() {
                make_strict(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_strict),
        _ => {}
    }
}

/// A `response_format` of type `json_schema` for `T`, named `name`, strict.
pub fn response_format_for<T: JsonSchema>(name: &str) -> ResponseFormat {
    ResponseFormat::JsonSchema {
        json_schema: JsonSchemaFormat {
            name: name.to_owned(),
            description: None,
            schema: Some(schema_for::<T>()),
            strict: Some(true),
        },
    }
}

/// The JSON text inside a reply: the whole reply if it parses, else the
/// first fenced block (```json ... ```) that parses, else the first balanced
/// `{...}` or `[...]` that parses.
pub fn extract_json(reply: &str) -> Option<Value> {
    let trimmed = reply.trim();
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Some(value);
    }
    let mut rest = trimmed;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map_or(0, |i| i + 1);
        let body = &after[body_start..];
        let Some(end) = body.find("```") else { break };
        if let Ok(value) = serde_json::from_str(body[..end].trim()) {
            return Some(value);
        }
        rest = &body[end + 3..];
    }
    for (start, open) in trimmed
        .char_indices()
        .filter(|(_, c)| *c == '{' || *c == '[')
    {
        if let Some(end) = balanced_end(&trimmed[start..], open)
            && let Ok(value) = serde_json::from_str(&trimmed[start..start + end])
        {
            return Some(value);
        }
    }
    None
}

/// The byte length of the balanced bracket group at the start of `text`.
fn balanced_end(text: &str, open: char) -> Option<usize> {
    let close = if open == '{' { '}' } else { ']' };
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (index, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            c if c == open => depth += 1,
            c if c == close => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index + c.len_utf8());
                }
            }
            _ => {}
        }
    }
    None
}

/// One way a reply fails its schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaViolation {
    /// Where in the reply (JSON pointer, `""` for the whole reply).
    pub instance_path: String,
    /// Which schema rule (JSON pointer into the schema).
    pub schema_path: String,
    /// What is wrong.
    pub message: String,
}

/// A compiled schema that checks replies.
pub struct SchemaCheck {
    schema: Value,
    validator: Validator,
}

impl std::fmt::Debug for SchemaCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaCheck")
            .field("schema", &self.schema)
            .finish()
    }
}

impl SchemaCheck {
    /// Compiles `schema`; an invalid schema is a BadRequest naming the problem.
    pub fn new(schema: &Value) -> Result<Self> {
        let validator = jsonschema::validator_for(schema).map_err(|err| {
            Error::new(
                ErrorKind::BadRequest,
                format!(
                    "the response_format schema is not a valid JSON Schema: {err} (at {}); fix \
                     the schema",
                    err.instance_path
                ),
            )
        })?;
        Ok(Self {
            schema: schema.clone(),
            validator,
        })
    }

    /// The schema of a request's `response_format`, if it has one.
    pub fn for_format(format: Option<&ResponseFormat>) -> Result<Option<Self>> {
        match format {
            Some(ResponseFormat::JsonSchema { json_schema }) => {
                json_schema.schema.as_ref().map(Self::new).transpose()
            }
            _ => Ok(None),
        }
    }

    /// The reply's JSON if it matches, else every violation (at most ten).
    pub fn check(&self, reply: &str) -> std::result::Result<Value, Vec<SchemaViolation>> {
        let Some(value) = extract_json(reply) else {
            return Err(vec![SchemaViolation {
                instance_path: String::new(),
                schema_path: String::new(),
                message: "the reply contains no JSON value".to_owned(),
            }]);
        };
        let violations: Vec<SchemaViolation> = self
            .validator
            .iter_errors(&value)
            .take(MAX_REPORTED_ERRORS)
            .map(|err| SchemaViolation {
                instance_path: err.instance_path.to_string(),
                schema_path: err.schema_path.to_string(),
                message: err.to_string(),
            })
            .collect();
        if violations.is_empty() {
            Ok(value)
        } else {
            Err(violations)
        }
    }

    /// The JSONSchemaValidation error for a reply that failed, carrying the
    /// raw reply, the schema and each violation in `details()`.
    pub fn error(&self, model: &str, reply: &str, violations: &[SchemaViolation]) -> Error {
        let listed: Vec<String> = violations
            .iter()
            .map(|v| {
                format!(
                    "{} (at '{}', rule '{}')",
                    v.message, v.instance_path, v.schema_path
                )
            })
            .collect();
        Error::new(
            ErrorKind::JSONSchemaValidation,
            format!(
                "model={model} returned a reply that does not match the response_format schema: \
                 {}; the raw reply is in details()[\"raw_response\"]; set max_repairs to let the \
                 model correct itself",
                listed.join("; ")
            ),
        )
        .with_model(model)
        .with_details(json!({
            "raw_response": reply,
            "schema": self.schema,
            "errors": violations,
        }))
    }
}

/// The user message of a re-ask: what failed, and what to send instead.
pub fn repair_prompt(violations: &[SchemaViolation]) -> String {
    let mut text =
        String::from("Your previous reply does not match the required JSON schema. Problems:\n");
    for violation in violations {
        let at = if violation.instance_path.is_empty() {
            "the reply".to_owned()
        } else {
            format!("'{}'", violation.instance_path)
        };
        text.push_str(&format!("- {at}: {}\n", violation.message));
    }
    text.push_str("Reply again with only the corrected JSON value, no other text.");
    text
}

/// A reply parsed into the requested type.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// The value.
    pub value: T,
    /// The whole response (usage, cost, the raw reply).
    pub response: ChatCompletionResponse,
    /// How many repairs it took (0: the first reply was valid).
    pub repairs: u32,
}

/// Prepares a request for [`crate::Client::completion_parsed`]: sets the
/// strict `json_schema` response format of `T` unless one is set; for a
/// model the table says cannot follow a schema, describes the schema in a
/// system message instead.
pub fn structured_request<T: JsonSchema>(mut request: crate::ChatRequest) -> crate::ChatRequest {
    if request.body.response_format.is_none() {
        request.body.response_format = Some(response_format_for::<T>("response"));
    }
    let known_without_schema = crate::models::get_model_info(&request.model, None)
        .ok()
        .is_some_and(|info| info.known && info.supports_response_schema == Some(false));
    if known_without_schema
        && let Some(ResponseFormat::JsonSchema { json_schema }) = &request.body.response_format
    {
        let schema = json_schema.schema.clone().unwrap_or(Value::Null);
        let instruction = format!(
            "Reply with only a JSON value that matches this JSON Schema, no other text:\n{schema}"
        );
        request
            .body
            .messages
            .insert(0, lmrelay_types::ChatMessage::system(instruction));
        request.body.response_format = Some(ResponseFormat::JsonObject);
    }
    request
}

/// The text of the first choice of a response (empty if none).
pub fn first_text(response: &ChatCompletionResponse) -> String {
    response
        .choices
        .first()
        .and_then(|choice| choice.message.content.as_ref())
        .map(|content| content.text())
        .unwrap_or_default()
}

/// An object schema with the given properties, closed and all required
/// (for tests and quick use without a Rust type).
pub fn object_schema(properties: Map<String, Value>) -> Value {
    let mut schema = json!({"type": "object", "properties": properties});
    make_strict(&mut schema);
    schema
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[derive(JsonSchema, serde::Deserialize)]
    #[allow(dead_code, reason = "only the schema is used")]
    struct City {
        name: String,
        population: u32,
        nickname: Option<String>,
        districts: Vec<District>,
    }

    #[derive(JsonSchema, serde::Deserialize)]
    #[allow(dead_code, reason = "only the schema is used")]
    struct District {
        name: String,
    }

    #[test]
    fn derived_schema_is_strict_and_inline() {
        let schema = schema_for::<City>();
        let text = schema.to_string();
        assert!(!text.contains("$ref") && !text.contains("$defs"), "{text}");
        assert!(!text.contains("uint32"), "{text}");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["required"].as_array().unwrap().len(), 4);
        assert_eq!(
            schema["properties"]["districts"]["items"]["additionalProperties"],
            false
        );
    }

    #[test]
    fn extraction_finds_json_in_fences_and_chatter() {
        assert_eq!(extract_json(" {\"a\":1} ").unwrap()["a"], 1);
        let fenced = "Sure!\n```json\n{\"a\": 2}\n```\nanything else?";
        assert_eq!(extract_json(fenced).unwrap()["a"], 2);
        let chatty = "Here you go: {\"a\": \"}\", \"b\": [1, {\"c\": 3}]} hope it helps";
        assert_eq!(extract_json(chatty).unwrap()["b"][1]["c"], 3);
        assert!(extract_json("no json here").is_none());
    }

    #[test]
    fn violations_name_instance_and_schema_paths() {
        let check = SchemaCheck::new(&schema_for::<City>()).unwrap();
        let good = r#"{"name":"Paris","population":2100000,"nickname":null,"districts":[]}"#;
        assert!(check.check(good).is_ok());
        let bad = r#"{"name":"Paris","population":-1,"nickname":null,"districts":[{}]}"#;
        let violations = check.check(bad).unwrap_err();
        let paths: Vec<&str> = violations
            .iter()
            .map(|v| v.instance_path.as_str())
            .collect();
        assert!(paths.contains(&"/population"), "{violations:?}");
        assert!(paths.contains(&"/districts/0"), "{violations:?}");
        let err = check.error("m", bad, &violations);
        assert_eq!(err.kind(), ErrorKind::JSONSchemaValidation);
        assert_eq!(err.details().unwrap()["raw_response"], bad);
        assert!(repair_prompt(&violations).contains("/population"));
    }
}
