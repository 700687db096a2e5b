#![allow(
    dead_code,
    clippy::print_stderr,
    reason = "each differential test binary uses a part; the tally is printed"
)]

//! The driver of the native-provider differential tests: scenarios through
//! LiteLLM (a capture script) and through lmrelay (the mock provider's
//! replay server), then a comparison of requests, results and errors.

use futures::StreamExt;
use lmrelay::types::ChatCompletionRequest;
use lmrelay::{ChatRequest, Client, Error};
use mock_provider::replay::{CannedReply, start_replay};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::oracle_support::{repo_root, run_python};

/// One scenario of a `*_scenarios.json` file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Scenario {
    /// Unique name.
    pub name: String,
    /// The model string (default per provider).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `litellm.completion` keyword arguments.
    pub request: Value,
    /// The provider's reply.
    pub reply: Value,
    /// Appended to the server's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base_suffix: Option<String>,
    /// Overrides the test key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Everything else the capture script reads.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Runs a capture script (LiteLLM) over the scenarios.
pub fn capture(script: &str, scenarios: &[Scenario]) -> Vec<Value> {
    let python = std::env::var("LMRELAY_LITELLM_PYTHON")
        .expect("LMRELAY_LITELLM_PYTHON is not set: run scripts/test.sh");
    let path = repo_root().join("tests/differential").join(script);
    let input = serde_json::to_vec(scenarios).unwrap();
    let output = run_python(&python, &[path.as_os_str()], input, script);
    assert!(
        output.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The first request lmrelay sent: method and path, headers, body.
pub type Sent = (String, Vec<(String, String)>, Value);

/// What lmrelay did with one scenario.
pub struct Ours {
    /// The first request.
    pub sent: Option<Sent>,
    /// Number of requests.
    pub attempts: usize,
    /// The response (non-stream) or the chunks (stream), as JSON.
    pub result: Result<Value, Error>,
}

const LITELLM_ONLY: &[&str] = &[
    "timeout",
    "num_retries",
    "drop_params",
    "extra_headers",
    "api_key",
    "api_version",
    "azure_ad_token",
    "max_retries",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region_name",
    "aws_profile_name",
    "aws_bedrock_runtime_endpoint",
    "vertex_credentials",
    "vertex_project",
    "vertex_location",
];

/// The environment variables a scenario sets for LiteLLM that this driver
/// passes to lmrelay as call options instead (tests do not change the
/// process environment).
pub const OPTION_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION_NAME",
    "AWS_REGION",
    "AWS_EC2_METADATA_DISABLED",
];

/// A reply of provider_capture.py's format in the replay server's format
/// (`json` is `body`; `sse` strings follow `data: `; `sse_events` pairs;
/// a list of replies: the first, since lmrelay makes one attempt here).
pub fn replay_format(reply: &Value) -> Value {
    let reply = match reply {
        Value::Array(list) if list.len() > 1 => {
            return json!({"sequence": list.iter().map(replay_format).collect::<Vec<_>>()});
        }
        Value::Array(list) => list.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let mut out = json!({"status": reply.get("status").cloned().unwrap_or(json!(200))});
    if let Some(headers) = reply.get("headers") {
        out["headers"] = headers.clone();
    }
    if let Some(body) = reply.get("json") {
        out["body"] = body.clone();
    } else if let Some(Value::Array(items)) = reply.get("sse") {
        out["sse"] = Value::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::String(raw) => Value::String(format!("data: {raw}\r\n\r\n")),
                    other => json!({"data": other}),
                })
                .collect(),
        );
    } else if let Some(Value::Array(pairs)) = reply.get("sse_events") {
        out["sse"] = Value::Array(
            pairs
                .iter()
                .map(|pair| json!({"event": pair[0], "data": pair[1]}))
                .collect(),
        );
    } else if let Some(lines) = reply.get("ndjson") {
        out["ndjson"] = lines.clone();
    } else if let Some(Value::String(encoded)) = reply.get("body_base64") {
        out["raw_base64"] = Value::String(encoded.clone());
        let content_type = reply
            .get("content_type")
            .cloned()
            .unwrap_or(json!("application/octet-stream"));
        let mut headers = out.get("headers").cloned().unwrap_or(json!({}));
        headers["content-type"] = content_type;
        out["headers"] = headers;
    } else if let Some(Value::String(raw)) = reply.get("body") {
        out["raw"] = Value::String(raw.clone());
        let content_type = reply
            .get("content_type")
            .cloned()
            .unwrap_or(json!("text/plain"));
        let mut headers = out.get("headers").cloned().unwrap_or(json!({}));
        headers["content-type"] = content_type;
        out["headers"] = headers;
    }
    out
}

/// provider_capture.py's scenarios in this driver's form: the reply in the
/// replay format and `api_base` ("capture", "capture+/suffix", a URL, or
/// null for the provider's default host) as a suffix or a fixed base.
pub fn from_generic(mut scenario: Scenario) -> Scenario {
    scenario.reply = replay_format(&scenario.reply);
    match scenario.rest.get("api_base").cloned() {
        Some(Value::String(base)) if base == "capture" => {}
        Some(Value::String(base)) if base.starts_with("capture+") => {
            scenario.api_base_suffix = Some(base["capture+".len()..].to_owned());
        }
        Some(Value::String(fixed)) => {
            scenario
                .rest
                .insert("fixed_api_base".into(), Value::String(fixed));
        }
        Some(Value::Null) => {
            scenario
                .rest
                .insert("default_host".into(), Value::Bool(true));
        }
        _ => {}
    }
    scenario
}

/// Runs one scenario through lmrelay.
pub async fn run_ours(scenario: &Scenario, default_model: &str) -> Ours {
    let server = start_replay(CannedReply(scenario.reply.clone()))
        .await
        .unwrap();
    let base = match scenario.rest.get("fixed_api_base").and_then(Value::as_str) {
        Some(fixed) => fixed.to_owned(),
        None => server.base_url(),
    };
    let request_text = scenario
        .request
        .to_string()
        .replace("{{CAPTURE}}", &server.base_url())
        .replace("{BASE}", &server.base_url());
    let request: Value = serde_json::from_str(&request_text).unwrap_or(Value::Null);
    let mut body = request.as_object().cloned().unwrap_or_default();
    let stream = body
        .remove("stream")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let model = scenario
        .model
        .clone()
        .unwrap_or_else(|| default_model.to_owned());
    let key = scenario
        .api_key
        .clone()
        .unwrap_or_else(|| "sk-test-key".to_owned());
    let mut options = lmrelay::CallOptions {
        api_base: Some(format!(
            "{base}{}",
            scenario.api_base_suffix.as_deref().unwrap_or("")
        )),
        api_key: Some(key.into()),
        num_retries: Some(
            body.get("num_retries")
                .and_then(Value::as_u64)
                .map(|n| u32::try_from(n).unwrap_or(0))
                .or_else(|| {
                    // A scenario with several replies expects the retries.
                    scenario.reply["sequence"]
                        .as_array()
                        .map(|list| u32::try_from(list.len() - 1).unwrap_or(0))
                })
                .unwrap_or(0),
        ),
        drop_params: body
            .get("drop_params")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..lmrelay::CallOptions::default()
    };
    let env = scenario.rest.get("env").cloned().unwrap_or(json!({}));
    let setting = |kwarg: &str, var: &str| {
        body.get(kwarg)
            .or_else(|| env.get(var))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    options.aws = lmrelay::AwsOptions {
        access_key_id: setting("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
        secret_access_key: setting("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY")
            .map(Into::into),
        session_token: setting("aws_session_token", "AWS_SESSION_TOKEN").map(Into::into),
        region: setting("aws_region_name", "AWS_REGION_NAME").or_else(|| {
            env.get("AWS_REGION")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
        profile: None,
    };
    if body.contains_key("vertex_credentials") || body.contains_key("vertex_project") {
        let text = |key: &str| match body.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(object @ Value::Object(_)) => Some(object.to_string()),
            _ => None,
        };
        options.vertex = lmrelay::VertexOptions {
            project: text("vertex_project"),
            location: text("vertex_location"),
            credentials: text("vertex_credentials").map(Into::into),
            token_uri: Some(format!("{}/token", server.base_url())),
        };
        options.api_key = None;
    }
    if let Some(endpoint) = body
        .get("aws_bedrock_runtime_endpoint")
        .and_then(Value::as_str)
    {
        options.api_base = Some(endpoint.to_owned());
    }
    if scenario.api_key.is_none() && scenario.rest.contains_key("env") {
        // A Bedrock scenario without a key is signed, not bearer-authorised.
        options.api_key = None;
    }
    if let Some(version) = body.get("api_version").and_then(Value::as_str) {
        options.api_version = Some(version.to_owned());
    }
    if let Some(token) = body.get("azure_ad_token").and_then(Value::as_str) {
        options
            .extra_headers
            .push(("authorization".to_owned(), format!("Bearer {token}")));
    }
    if let Some(Value::Object(headers)) = body.get("extra_headers") {
        for (name, value) in headers {
            options
                .extra_headers
                .push((name.to_lowercase(), value.as_str().unwrap_or("").to_owned()));
        }
    }
    for key in LITELLM_ONLY {
        body.remove(*key);
    }
    body.insert("model".into(), Value::String(model.clone()));
    let parsed: ChatCompletionRequest = match serde_json::from_value(Value::Object(body)) {
        Ok(parsed) => parsed,
        Err(err) => panic!("{}: the request does not parse: {err}", scenario.name),
    };
    let request = ChatRequest {
        model,
        body: parsed,
        options,
    };
    let client = Client::new().unwrap();
    let result = if stream {
        match client.completion_stream(request).await {
            Ok(mut chunks) => {
                let mut all = Vec::new();
                let mut failure = None;
                while let Some(chunk) = chunks.next().await {
                    match chunk {
                        Ok(chunk) => all.push(serde_json::to_value(chunk).unwrap()),
                        Err(err) => {
                            failure = Some(err);
                            break;
                        }
                    }
                }
                match failure {
                    Some(err) => Err(err),
                    None => Ok(Value::Array(all)),
                }
            }
            Err(err) => Err(err),
        }
    } else {
        client
            .completion(request)
            .await
            .map(|r| serde_json::to_value(r).unwrap())
    };
    let seen = server.requests();
    Ours {
        sent: seen
            .first()
            .map(|(line, r)| (line.clone(), r.headers.clone(), r.body.clone())),
        attempts: seen.len(),
        result,
    }
}

/// A tool-call id the adapter generated (Gemini, Ollama): `call_` and 28
/// hex digits (LiteLLM may append `__thought__<signature>`), or a UUID.
fn normalize_id(id: &Value) -> Value {
    let Some(text) = id.as_str() else {
        return id.clone();
    };
    let head = text.split("__thought__").next().unwrap_or(text);
    let hex = head.strip_prefix("call_").unwrap_or(head).replace('-', "");
    if hex.len() >= 28 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return json!("<generated>");
    }
    id.clone()
}

/// Content, tool calls, finish reason and usage of a response or a chunk list.
pub fn summarize(result: &Value) -> Value {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let usage = |u: &Value| {
        json!([
            u["prompt_tokens"],
            u["completion_tokens"],
            u["total_tokens"],
            u["prompt_tokens_details"]["cached_tokens"]
                .as_u64()
                .unwrap_or(0)
        ])
    };
    if let Value::Array(chunks) = result {
        let mut content = String::new();
        let mut reasoning = String::new();
        let mut calls: Vec<(Value, Value, String)> = Vec::new();
        let mut finish = Value::Null;
        let mut last_usage = Value::Null;
        for chunk in chunks {
            if !chunk["usage"].is_null() {
                last_usage = usage(&chunk["usage"]);
            }
            for choice in chunk["choices"].as_array().into_iter().flatten() {
                let delta = &choice["delta"];
                content.push_str(&text(&delta["content"]));
                reasoning.push_str(&text(&delta["reasoning_content"]));
                for call in delta["tool_calls"].as_array().into_iter().flatten() {
                    let index = usize::try_from(call["index"].as_u64().unwrap_or(0)).unwrap_or(0);
                    while calls.len() <= index {
                        calls.push((Value::Null, Value::Null, String::new()));
                    }
                    let slot = &mut calls[index];
                    if slot.0.is_null() && !call["id"].is_null() {
                        slot.0 = call["id"].clone();
                    }
                    if slot.1.is_null() && !call["function"]["name"].is_null() {
                        slot.1 = call["function"]["name"].clone();
                    }
                    slot.2.push_str(&text(&call["function"]["arguments"]));
                }
                if !choice["finish_reason"].is_null() {
                    finish = choice["finish_reason"].clone();
                }
            }
        }
        let calls: Vec<Value> = calls
            .into_iter()
            .map(|(i, n, a)| json!([normalize_id(&i), n, a]))
            .collect();
        return json!({"content": content, "reasoning": reasoning, "tool_calls": calls,
            "finish_reason": finish, "usage": last_usage});
    }
    let choice = &result["choices"][0];
    let message = &choice["message"];
    let calls: Vec<Value> = message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!([
                normalize_id(&c["id"]),
                c["function"]["name"],
                c["function"]["arguments"]
            ])
        })
        .collect();
    json!({"content": text(&message["content"]), "reasoning": text(&message["reasoning_content"]),
        "tool_calls": calls, "finish_reason": choice["finish_reason"], "usage": usage(&result["usage"])})
}

/// Tallies of a comparison run.
#[derive(Debug, Default)]
pub struct Report {
    /// Scenarios where everything compared was equal.
    pub agreed: usize,
    /// Documented divergences (asserted to still differ as described).
    pub diverged: usize,
    /// What differed.
    pub failures: Vec<String>,
}

impl Report {
    /// Fails with every difference, or when fewer than `min` scenarios agree.
    pub fn assert_at_least(&self, min: usize) {
        eprintln!(
            "{} agree, {} documented divergences, {} fail",
            self.agreed,
            self.diverged,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{} differences:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            self.agreed >= min,
            "at least {min} scenarios must agree, {} did",
            self.agreed
        );
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// How long lmrelay may take over one scenario (each is one local call).
const SCENARIO_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Compares every scenario.
pub async fn compare_all(
    scenarios: &[Scenario],
    theirs: &[Value],
    default_model: &str,
    divergences: &[(&str, &str)],
) -> Report {
    let mut report = Report::default();
    for (scenario, theirs) in scenarios.iter().zip(theirs) {
        // A hang fails the test with the scenario's name instead of
        // holding the whole run.
        let ours = tokio::time::timeout(SCENARIO_DEADLINE, run_ours(scenario, default_model))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{}: lmrelay did not finish within {} s",
                    scenario.name,
                    SCENARIO_DEADLINE.as_secs()
                )
            });
        let mut diffs = compare(theirs, &ours);
        if divergences.iter().any(|(name, _)| *name == scenario.name) {
            if diffs.is_empty() {
                report.failures.push(format!(
                    "{}: listed as a divergence but now agrees; remove it from the list",
                    scenario.name
                ));
            } else {
                report.diverged += 1;
            }
            continue;
        }
        if diffs.is_empty() {
            report.agreed += 1;
        } else {
            diffs.insert(0, format!("{}:", scenario.name));
            report.failures.push(diffs.join("\n    "));
        }
    }
    report
}

/// The body with every `http://127.0.0.1:PORT` (the two capture servers)
/// written the same way, numbers compared as numbers (`3` is `3.0`), and
/// null members dropped (absent and null mean the same on these wires).
fn local_urls(value: &Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| value.clone(), Value::Number),
        Value::String(text) if text.starts_with("http://127.0.0.1:") => {
            let rest = &text["http://127.0.0.1:".len()..];
            let path = rest.find('/').map_or("", |i| &rest[i..]);
            Value::String(format!("<local>{path}"))
        }
        Value::Array(items) => Value::Array(items.iter().map(local_urls).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), local_urls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn compare(theirs: &Value, ours: &Ours) -> Vec<String> {
    let mut diffs = Vec::new();
    let their_sent = &theirs["sent"];
    match (&ours.sent, their_sent.is_null()) {
        (None, true) => {}
        (Some(_), true) => {
            diffs.push("lmrelay sent a request; LiteLLM refused before sending".into())
        }
        (None, false) => {
            diffs.push("LiteLLM sent a request; lmrelay refused before sending".into())
        }
        (Some((line, headers, body)), false) => {
            let path = line.split_once(' ').map_or("", |(_, p)| p);
            // On the provider's default host LiteLLM's capture records the
            // whole URL; ours went to the replay server: compare the path.
            let their_path = their_sent["path"].as_str().map(|p| {
                p.strip_prefix("http://")
                    .or_else(|| p.strip_prefix("https://"))
                    .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
                    .unwrap_or(p)
            });
            if their_path != Some(path) {
                diffs.push(format!("path: ours {path}, litellm {}", their_sent["path"]));
            }
            for name in ["anthropic-version", "anthropic-beta", "content-type"] {
                let mine = header(headers, name);
                let want = their_sent["headers"][name].as_str();
                if name == "content-type" {
                    if want.is_some()
                        && mine.map(|m| m.starts_with("application/json")) != Some(true)
                    {
                        diffs.push(format!("header {name}: ours {mine:?}, litellm {want:?}"));
                    }
                } else if mine != want {
                    diffs.push(format!("header {name}: ours {mine:?}, litellm {want:?}"));
                }
            }
            for name in ["x-api-key", "authorization", "x-goog-api-key"] {
                let mine = header(headers, name).is_some();
                let want = their_sent["headers"][name].is_string();
                if mine != want {
                    diffs.push(format!(
                        "header {name} present: ours {mine}, litellm {want}"
                    ));
                }
            }
            if local_urls(body) != local_urls(&their_sent["body"]) {
                diffs.push(format!(
                    "body:\n      ours   {body}\n      litellm {}",
                    their_sent["body"]
                ));
            }
        }
    }
    match (&ours.result, theirs["error"].is_null()) {
        (Ok(result), true) => {
            let (mine, want) = (summarize(result), summarize(&theirs["result"]));
            if mine != want {
                diffs.push(format!(
                    "result:\n      ours   {mine}\n      litellm {want}"
                ));
            }
        }
        (Err(err), false) => {
            let class = theirs["error"]["class"].as_str().unwrap_or("");
            if err.kind().litellm_class() != class {
                diffs.push(format!(
                    "error: ours {} ({err}), litellm {class}",
                    err.kind().litellm_class()
                ));
            }
        }
        (Ok(_), false) => diffs.push(format!(
            "LiteLLM raised {}, lmrelay succeeded",
            theirs["error"]["class"]
        )),
        (Err(err), true) => diffs.push(format!("lmrelay raised {err}, LiteLLM succeeded")),
    }
    diffs
}
