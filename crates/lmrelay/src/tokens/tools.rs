//! Tool definitions rendered the way OpenAI feeds them to the model
//! (a TypeScript-like `namespace functions`), as LiteLLM counts them.

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// The text whose tokens a tool list costs.
pub(super) fn format_function_definitions(tools: &[Value]) -> Result<String> {
    let mut lines = vec!["namespace functions {".to_owned(), String::new()];
    for (index, tool) in tools.iter().enumerate() {
        let function = tool.get("function").ok_or_else(|| {
            Error::new(
                ErrorKind::BadRequest,
                format!("tools[{index}] has no \"function\" object"),
            )
        })?;
        if let Some(description) = function.get("description").and_then(Value::as_str)
            && !description.is_empty()
        {
            lines.push(format!("// {description}"));
        }
        let name = function.get("name").and_then(Value::as_str).unwrap_or("");
        let parameters = function.get("parameters");
        let has_properties = parameters
            .and_then(|p| p.get("properties"))
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        match parameters {
            Some(parameters) if has_properties => {
                lines.push(format!("type {name} = (_: {{"));
                lines.push(format_object_parameters(parameters, 0));
                lines.push("}) => any;".to_owned());
            }
            _ => lines.push(format!("type {name} = () => any;")),
        }
        lines.push(String::new());
    }
    lines.push("} // namespace functions".to_owned());
    Ok(lines.join("\n"))
}

fn format_object_parameters(parameters: &Value, indent: usize) -> String {
    let Some(properties) = parameters.get("properties").and_then(Value::as_object) else {
        return String::new();
    };
    let required: Vec<&str> = parameters
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    for (key, props) in properties {
        if let Some(description) = props.get("description").and_then(Value::as_str)
            && !description.is_empty()
        {
            lines.push(format!("{pad}// {description}"));
        }
        let optional = if required.contains(&key.as_str()) {
            ""
        } else {
            "?"
        };
        lines.push(format!(
            "{pad}{key}{optional}: {},",
            format_type(props, indent)
        ));
    }
    lines.join("\n")
}

fn enum_literals(props: &Value) -> Option<String> {
    let values = props.get("enum")?.as_array()?;
    let quoted: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("\"{s}\""),
            other => format!("\"{other}\""),
        })
        .collect();
    Some(quoted.join(" | "))
}

fn format_type(props: &Value, indent: usize) -> String {
    match props.get("type").and_then(Value::as_str) {
        Some("string") => enum_literals(props).unwrap_or_else(|| "string".to_owned()),
        Some("array") => match props.get("items") {
            Some(items) => format!("{}[]", format_type(items, indent)),
            None => "any[]".to_owned(),
        },
        Some("object") => format!("{{\n{}\n}}", format_object_parameters(props, indent + 2)),
        Some("integer" | "number") => enum_literals(props).unwrap_or_else(|| "number".to_owned()),
        Some("boolean") => "boolean".to_owned(),
        Some("null") => "null".to_owned(),
        _ => "any".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use serde_json::json;

    use super::*;

    #[test]
    fn renders_like_openai() {
        let tools = vec![
            json!({"type": "function", "function": {"name": "get_weather", "description": "Get the weather",
                "parameters": {"type": "object", "required": ["city"], "properties": {
                    "city": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["c", "f"]},
                    "days": {"type": "integer"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "opts": {"type": "object", "properties": {"a": {"type": "boolean"}}}}}}}),
            json!({"type": "function", "function": {"name": "noop"}}),
        ];
        let want = "namespace functions {\n\n// Get the weather\ntype get_weather = (_: {\n// City name\ncity: string,\nunit?: \"c\" | \"f\",\ndays?: number,\ntags?: string[],\nopts?: {\n  a?: boolean,\n},\n}) => any;\n\ntype noop = () => any;\n\n} // namespace functions";
        assert_eq!(format_function_definitions(&tools).unwrap(), want);
    }
}
