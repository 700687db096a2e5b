//! JSON Schema clean-up for Gemini's function declarations (an OpenAPI
//! subset), as LiteLLM's `_build_vertex_schema` does it: `$ref`s expanded,
//! `null` in `anyOf` turned into `nullable`, type lists into `anyOf`, enums
//! only on strings, empty `items` and untyped nodes made objects, and every
//! field Gemini's `Schema` does not know removed.

use serde_json::{Map, Value, json};

/// The fields of Gemini's `Schema` object.
const SCHEMA_FIELDS: &[&str] = &[
    "anyOf",
    "default",
    "description",
    "enum",
    "example",
    "format",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "nullable",
    "pattern",
    "properties",
    "propertyOrdering",
    "required",
    "title",
    "type",
];

/// The deepest nesting followed (LiteLLM's `DEFAULT_MAX_RECURSE_DEPTH`).
const MAX_DEPTH: usize = 100;

/// The cleaned schema of a function's parameters.
pub(super) fn function_parameters(parameters: &Value) -> Value {
    let mut schema = parameters.clone();
    let defs = match &mut schema {
        Value::Object(root) => {
            let mut defs = root
                .remove("$defs")
                .and_then(|d| d.as_object().cloned())
                .unwrap_or_default();
            if let Some(Value::Object(more)) = root.remove("definitions") {
                defs.extend(more);
            }
            defs
        }
        _ => Map::new(),
    };
    expand_refs(&mut schema, &defs, &mut Vec::new(), 0);
    anyof_null_to_nullable(&mut schema, 0);
    type_lists_to_anyof(&mut schema, 0);
    fix_enums(&mut schema, 0);
    empty_items_to_object(&mut schema, 0);
    add_object_type(&mut schema, 0);
    filter_fields(&schema, 0)
}

fn expand_refs(node: &mut Value, defs: &Map<String, Value>, chain: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match node {
        Value::Object(object) => {
            if let Some(name) = object
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                .map(str::to_owned)
            {
                if chain.contains(&name) {
                    return;
                }
                if let Some(target) = defs.get(&name) {
                    *node = target.clone();
                    chain.push(name);
                    expand_refs(node, defs, chain, depth + 1);
                    chain.pop();
                }
                return;
            }
            for child in object.values_mut() {
                expand_refs(child, defs, chain, depth + 1);
            }
        }
        Value::Array(items) => {
            for item in items {
                expand_refs(item, defs, chain, depth + 1);
            }
        }
        _ => {}
    }
}

/// Recurses into `properties` values and `items`.
fn for_children(schema: &mut Value, depth: usize, visit: fn(&mut Value, usize)) {
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for child in properties.values_mut() {
            visit(child, depth + 1);
        }
    }
    if let Some(items) = schema.get_mut("items") {
        visit(items, depth + 1);
    }
}

fn anyof_null_to_nullable(schema: &mut Value, depth: usize) {
    if depth > MAX_DEPTH || !schema.is_object() {
        return;
    }
    if let Some(Value::Array(options)) = schema.get_mut("anyOf") {
        let before = options.len();
        options.retain(|o| o.get("type") != Some(&Value::String("null".to_owned())));
        let had_null = options.len() != before;
        for option in options.iter_mut() {
            if option.as_object().is_some_and(Map::is_empty) {
                option["type"] = json!("object");
            }
        }
        if had_null {
            for option in options.iter_mut() {
                if option["type"] == "array"
                    && option.get("items").is_some_and(is_empty_value)
                    && let Some(object) = option.as_object_mut()
                {
                    object.remove("items");
                }
                option["nullable"] = Value::Bool(true);
            }
        }
    }
    for_children(schema, depth, anyof_null_to_nullable);
}

fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

const TYPE_SPECIFIC: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];

fn type_lists_to_anyof(schema: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = object.get("type").cloned() {
        if types.len() == 1 {
            object.insert("type".into(), types[0].clone());
        } else if types.len() > 1 {
            let mut options = Vec::new();
            let mut structured = false;
            for kind in types.iter().filter_map(Value::as_str) {
                let mut option = Map::new();
                option.insert("type".into(), json!(kind));
                if kind == "object" || kind == "array" {
                    structured = true;
                    for field in TYPE_SPECIFIC {
                        if let Some(value) = object.get(*field) {
                            option.insert((*field).into(), value.clone());
                        }
                    }
                }
                options.push(Value::Object(option));
            }
            if structured {
                for field in TYPE_SPECIFIC {
                    object.remove(*field);
                }
            }
            object.insert("anyOf".into(), Value::Array(options));
            object.remove("type");
        }
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for child in properties.values_mut() {
            type_lists_to_anyof(child, depth + 1);
        }
    }
    if let Some(items) = object.get_mut("items") {
        type_lists_to_anyof(items, depth + 1);
    }
    if let Some(Value::Array(options)) = object.get_mut("anyOf") {
        for option in options {
            type_lists_to_anyof(option, depth + 1);
        }
    }
}

/// Empty strings in enums become null; enums stay only on string types.
fn fix_enums(schema: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        for value in values.iter_mut() {
            if value.as_str() == Some("") {
                *value = Value::Null;
            }
        }
    }
    if object.get("enum").is_some_and(Value::is_array) {
        let is_string = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("string"))
        };
        let keep = is_string(object.get("type"))
            || object
                .get("anyOf")
                .and_then(Value::as_array)
                .is_some_and(|options| options.iter().any(|o| is_string(o.get("type"))));
        if !keep {
            object.remove("enum");
        }
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for child in properties.values_mut() {
            fix_enums(child, depth + 1);
        }
    }
    if let Some(items) = object.get_mut("items") {
        fix_enums(items, depth + 1);
    }
    if let Some(Value::Array(options)) = object.get_mut("anyOf") {
        for option in options {
            fix_enums(option, depth + 1);
        }
    }
}

fn empty_items_to_object(schema: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match schema {
        Value::Object(object) => {
            if object
                .get("items")
                .is_some_and(|i| i.as_object().is_some_and(Map::is_empty))
            {
                object.insert("items".into(), json!({"type": "object"}));
            }
            for child in object.values_mut() {
                empty_items_to_object(child, depth + 1);
            }
        }
        Value::Array(items) => {
            for item in items {
                empty_items_to_object(item, depth + 1);
            }
        }
        _ => {}
    }
}

fn add_object_type(schema: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if !["type", "anyOf", "oneOf", "allOf"]
        .iter()
        .any(|k| object.contains_key(*k))
    {
        object.insert("type".into(), json!("object"));
    }
    if object.get("required").is_some_and(Value::is_null) && object.contains_key("properties") {
        object.remove("required");
    }
    match object.get_mut("properties") {
        Some(Value::Object(properties)) if properties.is_empty() => {
            object.remove("properties");
            object.remove("required");
            object.insert("type".into(), json!("object"));
        }
        Some(Value::Object(properties)) => {
            for child in properties.values_mut() {
                add_object_type(child, depth + 1);
            }
            object.insert("type".into(), json!("object"));
        }
        _ => {}
    }
    if let Some(items) = object.get_mut("items") {
        add_object_type(items, depth + 1);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(options)) = object.get_mut(key) {
            for option in options {
                add_object_type(option, depth + 1);
            }
        }
    }
}

/// Keeps Gemini's fields; a node with `anyOf` keeps only it (its title and
/// description copied into each option); `format` only `enum`/`date-time`.
fn filter_fields(schema: &Value, depth: usize) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    if depth > MAX_DEPTH {
        return schema.clone();
    }
    let reduced;
    let object = match object
        .get("anyOf")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        Some(options) => {
            let mut options = options.clone();
            let (title, description) = (object.get("title"), object.get("description"));
            if (title.is_some_and(is_truthy) || description.is_some_and(is_truthy))
                && options.iter().all(Value::is_object)
            {
                for option in &mut options {
                    if let Some(title) = title.filter(|t| is_truthy(t)) {
                        option["title"] = title.clone();
                    }
                    if let Some(description) = description.filter(|d| is_truthy(d)) {
                        option["description"] = description.clone();
                    }
                }
            }
            let mut only = Map::new();
            only.insert("anyOf".into(), Value::Array(options));
            reduced = only;
            &reduced
        }
        None => object,
    };
    let mut out = Map::new();
    for (key, value) in object {
        if !SCHEMA_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let kept = match (key.as_str(), value) {
            ("properties", Value::Object(children)) => Value::Object(
                children
                    .iter()
                    .map(|(k, v)| (k.clone(), filter_fields(v, depth + 1)))
                    .collect(),
            ),
            ("format", format) if format != "enum" && format != "date-time" => continue,
            ("items", Value::Object(_)) => filter_fields(value, depth + 1),
            ("anyOf", Value::Array(options)) => Value::Array(
                options
                    .iter()
                    .map(|o| filter_fields(o, depth + 1))
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), kept);
    }
    Value::Object(out)
}

fn is_truthy(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.is_empty(),
        Value::Null | Value::Bool(false) => false,
        _ => true,
    }
}
