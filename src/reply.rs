//! What a feature answers the person who asked: a [`Reply`], sent in the HTTP
//! response body or later to the `response_url`. Features build replies; only
//! the routes send them.

use serde::Serialize;

/// The answer to a slash command sent again with the same signature.
pub const ALREADY_RECEIVED_TEXT: &str = "This command was already received, so it was not run again.";

/// An answer to a slash command, sent in the HTTP response body (or later to
/// the `response_url`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    /// `ephemeral`: only the person who typed the command sees it.
    pub response_type: &'static str,
    /// mrkdwn text, already escaped (the fallback when there are blocks).
    pub text: String,
    /// Block Kit blocks, when the answer has structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<serde_json::Value>>,
    /// With `response_url`: replace the message the action came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_original: Option<bool>,
}

impl Reply {
    /// A message only the user sees.
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Self { response_type: "ephemeral", text: text.into(), blocks: None, replace_original: None }
    }

    /// A message with blocks only the user sees.
    pub fn ephemeral_blocks(text: impl Into<String>, blocks: Vec<serde_json::Value>) -> Self {
        Self { blocks: Some(blocks), ..Self::ephemeral(text) }
    }
}

/// Errors keyed by block id: each shows under its field of the form.
pub type FieldErrors = std::collections::BTreeMap<String, String>;

/// The acknowledgement of an interaction, which Slack reads within 3 seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Ack {
    /// Received; nothing to show (a submitted form closes).
    Empty,
    /// The form stays open, with everything typed, and a message under each
    /// field named.
    Errors(FieldErrors),
    /// The form is replaced by this view.
    Update(serde_json::Value),
    /// Options for an external select.
    Options(Vec<serde_json::Value>),
}

impl Ack {
    /// The form stays open, with one message under one field.
    pub fn error(block_id: &str, text: impl Into<String>) -> Self {
        Self::Errors(FieldErrors::from([(block_id.to_owned(), text.into())]))
    }

    /// The response body Slack expects, if any.
    pub fn body(self) -> Option<serde_json::Value> {
        match self {
            Self::Empty => None,
            Self::Errors(errors) => Some(serde_json::json!({ "response_action": "errors", "errors": errors })),
            Self::Update(view) => Some(serde_json::json!({ "response_action": "update", "view": view })),
            Self::Options(options) => Some(serde_json::json!({ "options": options })),
        }
    }
}

/// Said after a refused change, when nothing was changed.
pub const NOTHING_CHANGED: &str = "Nothing changed.";

/// What the user typed, shown back so nothing is lost: decoded from Slack's
/// escaping and escaped again, so mentions and links show as text.
pub fn echo(text: &str) -> String {
    // Slack shows up to 40,000 characters; a quote is at most 3,000: past a few
    // thousand, what was typed was not a highlight, and the start is enough.
    let decoded = crate::slack::mrkdwn::decode(text);
    let shown = crate::slack::blocks::truncate(&decoded, 3500);
    let cut = if shown.len() < decoded.len() { " (cut: it was longer)" } else { "" };
    format!("You typed{cut}:\n```/highlight {}```", crate::slack::mrkdwn::escape(&shown).replace("```", "ʼʼʼ"))
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_keeps_the_text_inside_one_code_block() {
        assert_eq!(echo("a ``` b"), "You typed:\n```/highlight a ʼʼʼ b```");
        assert_eq!(echo("ask <@U1|bob> &lt;now&gt;"), "You typed:\n```/highlight ask @bob &lt;now&gt;```");
        let long = echo(&"x".repeat(900_000));
        assert!(long.len() < 3600 && long.starts_with("You typed (cut: it was longer):"), "{}", long.len());
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(-1234), "-1,234");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn acknowledgements_read_as_slack_expects() {
        assert_eq!(Ack::Empty.body(), None);
        assert_eq!(
            Ack::error("quote_0", "empty").body(),
            Some(serde_json::json!({ "response_action": "errors", "errors": { "quote_0": "empty" } }))
        );
        assert_eq!(Ack::Options(vec![]).body(), Some(serde_json::json!({ "options": [] })));
        assert_eq!(
            Ack::Update(serde_json::json!({ "type": "modal" })).body(),
            Some(serde_json::json!({ "response_action": "update", "view": { "type": "modal" } }))
        );
    }
}
