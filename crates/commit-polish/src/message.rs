//! Commit messages: the structured form the model fills in, its rendering as
//! Conventional Commits text, clean-up of free-text replies, and validation.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

/// The fields the model fills in under the JSON schema.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Structured {
    /// Conventional Commits type (`feat`, `fix`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Optional scope (empty for none).
    #[serde(default)]
    pub scope: String,
    /// The subject line's description.
    pub subject: String,
    /// Optional body (empty for none).
    #[serde(default)]
    pub body: String,
    /// Whether the change breaks compatibility.
    #[serde(default)]
    pub breaking: bool,
}

/// The longest header (type, scope and subject) accepted.
pub const MAX_HEADER: usize = 72;

/// The JSON schema sent as `response_format`; `types` become the enum. The
/// lengths keep the header within 72 characters (type 8 + scope 12 + 5 + 47).
pub fn json_schema(types: &[String]) -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": types},
            "scope": {"type": "string", "maxLength": 12},
            "subject": {"type": "string", "minLength": 3, "maxLength": 47},
            "body": {"type": "string", "maxLength": 400},
            "breaking": {"type": "boolean"}
        },
        "required": ["type", "scope", "subject", "body", "breaking"],
        "additionalProperties": false
    })
}

impl Structured {
    /// Conventional Commits text: `type(scope)!: subject`, a blank line and
    /// the body wrapped at 72 columns.
    pub fn render(&self) -> String {
        let kind = self.kind.trim().to_ascii_lowercase();
        let scope: String = self
            .scope
            .trim()
            .to_ascii_lowercase()
            .replace(' ', "-")
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_./".contains(*c))
            .collect();
        let scope = scope.trim_matches(['-', '.', '/', '_']);
        let mut subject = self
            .subject
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        while subject.ends_with(['.', ' ']) {
            subject.pop();
        }
        let mut header = kind;
        if !scope.is_empty() {
            header.push_str(&format!("({scope})"));
        }
        if self.breaking {
            header.push('!');
        }
        header.push_str(": ");
        header.push_str(&subject);
        let body = self.body.trim();
        if body.is_empty() {
            header
        } else {
            format!("{header}\n\n{}", wrap(body, MAX_HEADER))
        }
    }
}

/// Wraps paragraphs at `width` columns, keeping blank lines and list items.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let mut current = String::new();
        for word in line.split_whitespace() {
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out.join("\n")
}

static PREAMBLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(here(\s+is|'s)\s+(a|the|your)\s+[^:\n]*:|(suggested\s+)?commit\s+message\s*:|message\s*:)\s*").ok()
});

/// End-of-turn and special tokens small models leak into replies.
const SPECIAL_TOKENS: &[&str] = &[
    "<|im_end|>",
    "<|im_start|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<end_of_turn>",
    "<start_of_turn>",
    "</s>",
    "<s>",
];

/// Cleans a free-text reply: special tokens, code fences, surrounding
/// quotes, preambles such as "Commit message:", trailing spaces.
pub fn clean_reply(reply: &str) -> String {
    let mut text = reply.to_owned();
    for token in SPECIAL_TOKENS {
        text = text.replace(token, "");
    }
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("```"))
        .collect();
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    let mut text = lines.join("\n");
    if let Some(re) = PREAMBLE.as_ref() {
        text = re.replace(&text, "").into_owned();
    }
    let text = text.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
        .or_else(|| text.strip_prefix('`').and_then(|t| t.strip_suffix('`')))
        .unwrap_or(text);
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    // The most common slip: a period at the end of the first line.
    if let Some(first) = lines.first_mut() {
        *first = first.trim_end_matches('.');
    }
    lines.join("\n").trim().to_owned()
}

static HEADER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?P<type>[A-Za-z-]+)(\((?P<scope>[^()]*)\))?(?P<bang>!)?: (?P<subject>.*)$").ok()
});

/// Checks a message against Conventional Commits and the allowed types;
/// returns every problem found (empty: valid).
pub fn validate(message: &str, types: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = message.lines().collect();
    let Some(header) = lines.first().map(|h| h.trim_end()) else {
        return vec!["the message is empty".to_owned()];
    };
    let Some(caps) = HEADER.as_ref().and_then(|re| re.captures(header)) else {
        return vec![format!(
            "the first line {header:?} is not `type(scope): subject` (for example `fix(parser): handle empty input`)"
        )];
    };
    let kind = &caps["type"];
    if !types.iter().any(|t| t == kind) {
        problems.push(format!("type {kind:?} is not one of: {}", types.join(", ")));
    }
    if let Some(scope) = caps.name("scope").map(|m| m.as_str()) {
        let ok = !scope.is_empty()
            && scope
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_./".contains(c));
        if !ok {
            problems.push(format!(
                "scope {scope:?} must be a short lower-case word such as `api` or `cli`"
            ));
        }
    }
    let subject = &caps["subject"];
    if subject.trim().is_empty() {
        problems.push("the subject after `: ` is empty".to_owned());
    }
    if subject.ends_with('.') {
        problems.push("the subject must not end with a period".to_owned());
    }
    if subject.starts_with(' ') {
        problems.push("there must be exactly one space after the colon".to_owned());
    }
    let length = header.chars().count();
    if length > MAX_HEADER {
        problems.push(format!(
            "the first line is {length} characters; keep it at most {MAX_HEADER}"
        ));
    }
    if lines.len() > 1 && !lines[1].trim().is_empty() {
        problems.push("a blank line must separate the first line from the body".to_owned());
    }
    for line in &lines[1..] {
        let upper = line.trim_start();
        if (upper.starts_with("BREAKING CHANGE") || upper.starts_with("BREAKING-CHANGE"))
            && !(upper.starts_with("BREAKING CHANGE: ") || upper.starts_with("BREAKING-CHANGE: "))
        {
            problems.push(
                "a breaking-change footer must read `BREAKING CHANGE: <what breaks>`".to_owned(),
            );
        }
    }
    problems
}

/// Whether `message` only repeats the example given in the instructions.
pub fn echoes_example(message: &str, example_subject: &str) -> bool {
    let header = message.lines().next().unwrap_or("");
    let subject = header.split_once(": ").map_or(header, |(_, s)| s);
    subject.trim().eq_ignore_ascii_case(example_subject)
}

static TYPE_ENUM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"['"]?type-enum['"]?\s*:\s*\[\s*\d\s*,\s*['"]always['"]\s*,\s*\[(?P<list>[^\]]*)\]"#,
    )
    .ok()
});

/// Allowed types from a commitlint config text (`rules['type-enum']`), in
/// any of its formats (JSON, YAML flow lists, JavaScript).
pub fn commitlint_types(config_text: &str) -> Option<Vec<String>> {
    let caps = TYPE_ENUM.as_ref()?.captures(config_text)?;
    let types: Vec<String> = caps["list"]
        .split(',')
        .map(|t| t.trim().trim_matches(['\'', '"', ' ', '\n']).to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    (!types.is_empty()).then_some(types)
}

/// File names commitlint reads its config from.
pub const COMMITLINT_FILES: &[&str] = &[
    ".commitlintrc",
    ".commitlintrc.json",
    ".commitlintrc.yaml",
    ".commitlintrc.yml",
    ".commitlintrc.js",
    ".commitlintrc.cjs",
    ".commitlintrc.mjs",
    ".commitlintrc.ts",
    "commitlint.config.js",
    "commitlint.config.cjs",
    "commitlint.config.mjs",
    "commitlint.config.ts",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<String> {
        crate::config::DEFAULT_TYPES
            .iter()
            .map(|t| (*t).to_owned())
            .collect()
    }

    #[test]
    fn renders_header_body_and_breaking_mark() {
        let s = Structured {
            kind: "Feat".into(),
            scope: "(API) ".into(),
            subject: "add  paging to list endpoints.".into(),
            body: "Large lists were slow. ".repeat(8),
            breaking: true,
        };
        let text = s.render();
        let header = text.lines().next().unwrap();
        assert_eq!(header, "feat(api)!: add paging to list endpoints");
        let odd = Structured {
            scope: "main.".into(),
            breaking: false,
            body: String::new(),
            ..s.clone()
        };
        assert_eq!(odd.render(), "feat(main): add paging to list endpoints");
        let none = Structured {
            scope: "(\"\")".into(),
            ..odd
        };
        assert_eq!(none.render(), "feat: add paging to list endpoints");
        assert!(text.lines().all(|l| l.chars().count() <= 72));
        assert!(
            validate(&text, &types()).is_empty(),
            "{:?}",
            validate(&text, &types())
        );
    }

    #[test]
    fn validation_names_each_problem() {
        let t = types();
        assert!(validate("fix: handle empty input", &t).is_empty());
        assert!(
            validate(
                "feat(cli)!: drop --old\n\nBREAKING CHANGE: --old is gone",
                &t
            )
            .is_empty()
        );
        assert!(validate("update stuff", &t)[0].contains("is not `type(scope): subject`"));
        assert!(validate("feature: x y", &t)[0].contains("not one of"));
        assert!(validate("fix(Big Scope): x y", &t)[0].contains("scope"));
        assert!(validate("fix: done.", &t)[0].contains("period"));
        assert!(validate("fix: x\nbody right away", &t)[0].contains("blank line"));
        assert!(validate(&format!("fix: {}", "x".repeat(80)), &t)[0].contains("at most 72"));
        assert!(validate("fix: x\n\nBREAKING CHANGE - oops", &t)[0].contains("BREAKING CHANGE: "));
        assert_eq!(validate("", &t), vec!["the message is empty".to_owned()]);
    }

    #[test]
    fn clean_reply_strips_what_small_models_add() {
        assert_eq!(
            clean_reply("Commit message: fix: a b<|im_end|>"),
            "fix: a b"
        );
        assert_eq!(clean_reply("```\nfeat: add x\n```"), "feat: add x");
        assert_eq!(clean_reply("\"docs: fix typo\""), "docs: fix typo");
        assert_eq!(
            clean_reply("Here is the commit message:\nfix: y  \n\nbody<end_of_turn>"),
            "fix: y\n\nbody"
        );
    }

    #[test]
    fn commitlint_type_enum_is_read_from_js_json_and_yaml() {
        let js =
            "module.exports = { rules: { 'type-enum': [2, 'always', ['feat', 'fix', 'wip']] } };";
        assert_eq!(commitlint_types(js).unwrap(), ["feat", "fix", "wip"]);
        let json = r#"{"rules": {"type-enum": [2, "always", ["feat", "chore"]]}}"#;
        assert_eq!(commitlint_types(json).unwrap(), ["feat", "chore"]);
        assert_eq!(
            commitlint_types("extends: ['@commitlint/config-conventional']"),
            None
        );
    }

    #[test]
    fn echo_of_the_example_is_detected() {
        assert!(echoes_example(
            "feat(parser): add support for nested arrays",
            "add support for nested arrays"
        ));
        assert!(!echoes_example(
            "feat(parser): add paging",
            "add support for nested arrays"
        ));
    }

    #[test]
    fn wrap_keeps_paragraphs() {
        assert_eq!(wrap("a b c\n\nd", 3), "a b\nc\n\nd");
    }
}
