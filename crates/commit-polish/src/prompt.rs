//! What the model is told: instructions with one example, the repository's
//! style, the staged change (and what was left out of it), the user's draft.

use crate::diff::StagedChange;

/// The example subject in the instructions; a reply that repeats it is rejected.
pub const EXAMPLE_SUBJECT: &str = "add support for nested arrays";

/// The built-in instructions.
pub fn system_prompt(types: &[String], structured: bool) -> String {
    let format = if structured {
        "Answer with JSON: type, scope (may be empty), subject, body (may be empty), breaking."
    } else {
        "Answer with the commit message only: no quotes, no code fences, no explanation."
    };
    format!(
        "You write git commit messages in the Conventional Commits format.\n\
         The first line is `type(scope): subject`. Allowed types: {}.\n\
         The subject says what the change does, in the imperative mood, lower case, \
         without a final period, at most 60 characters. The scope is one short lower-case \
         word naming the area changed, or empty. The body, when needed, says why in one \
         or two short sentences. Mark breaking changes.\n\
         Example of the form only (do not copy it): feat(parser): {EXAMPLE_SUBJECT}\n{format}",
        types.join(", ")
    )
}

/// What the repository's history and branch say about its style.
pub fn style_hints(subjects: &[String], branch: Option<&str>) -> String {
    let mut hints = Vec::new();
    let conventional: Vec<&String> = subjects
        .iter()
        .filter(|s| {
            s.split_once(": ").is_some_and(|(h, _)| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "()!-_/.".contains(c))
            })
        })
        .collect();
    if !conventional.is_empty() {
        let mut scopes: Vec<&str> = conventional
            .iter()
            .filter_map(|s| s.split_once('(')?.1.split_once(')').map(|(scope, _)| scope))
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        scopes.truncate(8);
        if !scopes.is_empty() {
            hints.push(format!(
                "Scopes used in this repository: {}.",
                scopes.join(", ")
            ));
        }
        let examples: Vec<&str> = conventional.iter().take(3).map(|s| s.as_str()).collect();
        hints.push(format!("Recent messages here: {}.", examples.join(" | ")));
    }
    if let Some(branch) = branch {
        let ticket = branch
            .split(['/', '-', '_'])
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| {
                w[0].len() >= 2
                    && w[0].chars().all(|c| c.is_ascii_uppercase())
                    && w[1].chars().all(|c| c.is_ascii_digit())
                    && !w[1].is_empty()
            })
            .map(|w| format!("{}-{}", w[0], w[1]));
        hints.push(format!("Branch: {branch}."));
        if let Some(ticket) = ticket {
            hints.push(format!("Mention ticket {ticket} in the body."));
        }
    }
    hints.join("\n")
}

/// The user message: style hints, files, diff (or summaries), what was left
/// out, and the draft to polish.
pub fn user_prompt(
    change: &StagedChange,
    diff_or_summaries: &str,
    style: &str,
    draft: Option<&str>,
) -> String {
    let mut out = String::new();
    if !style.is_empty() {
        out.push_str(style);
        out.push_str("\n\n");
    }
    out.push_str("Files changed:\n");
    for file in &change.files {
        out.push_str(&format!("- {} ({})\n", file.path, file.stats()));
    }
    if !change.left_out.is_empty() {
        out.push_str("Also changed, not shown:\n");
        for left in &change.left_out {
            out.push_str(&format!(
                "- {} ({}; {})\n",
                left.path, left.stats, left.reason
            ));
        }
    }
    if change.redactions > 0 {
        out.push_str(&format!(
            "({} secret(s) in the diff were replaced by [REDACTED].)\n",
            change.redactions
        ));
    }
    out.push_str("\nThe change:\n");
    out.push_str(diff_or_summaries);
    out.push('\n');
    if let Some(draft) = draft {
        out.push_str("\nThe author's draft message; keep its meaning, fix its form:\n");
        out.push_str(draft);
        out.push('\n');
    }
    out
}

/// The request for a one-line summary of one file's change.
pub fn summary_prompt(path: &str, diff: &str, truncated: bool) -> String {
    let note = if truncated {
        " (the diff is cut short)"
    } else {
        ""
    };
    format!("Summarise in one short line what this change to {path} does{note}:\n{diff}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{FileChange, LeftOut};

    #[test]
    fn prompt_names_left_out_files_and_the_draft() {
        let change = StagedChange {
            files: vec![FileChange {
                path: "src/a.rs".into(),
                added: Some(3),
                deleted: Some(1),
                diff: "+x".into(),
            }],
            left_out: vec![LeftOut {
                path: "Cargo.lock".into(),
                stats: "+9 -9".into(),
                reason: "lock file".into(),
            }],
            redactions: 1,
        };
        let text = user_prompt(&change, "+x", "", Some("fixed bug"));
        assert!(text.contains("- src/a.rs (+3 -1)"));
        assert!(text.contains("- Cargo.lock (+9 -9; lock file)"));
        assert!(text.contains("[REDACTED]"));
        assert!(text.contains("fixed bug"));
    }

    #[test]
    fn style_hints_read_scopes_and_tickets() {
        let subjects = vec![
            "feat(api): add x".to_owned(),
            "fix(cli): y".to_owned(),
            "Merge stuff".to_owned(),
        ];
        let hints = style_hints(&subjects, Some("feature/PROJ-123-paging"));
        assert!(hints.contains("api, cli"), "{hints}");
        assert!(hints.contains("PROJ-123"), "{hints}");
    }
}
