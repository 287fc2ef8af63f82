//! Reading Slack's verified request bodies into typed payloads. A body that is
//! signed but unreadable is a [`AppError::BadRequest`] with a short reason.

use serde::Deserialize;
use serde_json::Value;
use slack_morphism::prelude::{SlackInteractionEvent, SlackPushEvent};

use crate::error::AppError;

/// A slash command invocation, as Slack form-encodes it
/// (<https://docs.slack.dev/interactivity/implementing-slash-commands>).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SlashCommand {
    /// Workspace the command was typed in.
    pub team_id: String,
    /// Who typed it.
    pub user_id: String,
    /// Channel it was typed in.
    pub channel_id: String,
    /// The command, e.g. `/highlight`.
    pub command: String,
    /// What followed the command, escaped by Slack (`should_escape: true`).
    #[serde(default)]
    pub text: String,
    /// Where later answers go (up to 5 times within 30 minutes).
    pub response_url: String,
    /// Opens a modal within 3 seconds.
    pub trigger_id: String,
    /// Enterprise Grid org, when there is one.
    #[serde(default)]
    pub enterprise_id: Option<String>,
}

/// Reads a slash command form body.
pub fn parse_command(body: &[u8]) -> Result<SlashCommand, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(format!("malformed slash command: {e}")))
}

/// Reads an Events API JSON body.
pub fn parse_event(body: &[u8]) -> Result<SlackPushEvent, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("malformed event: {e}")))
}

/// An interactivity payload: one slack-morphism models, or one it does not
/// (a new interaction type must still be acknowledged, not refused).
#[derive(Debug)]
pub enum Interaction {
    /// A payload of a modelled type, typed and as raw JSON (views' state is
    /// easiest read from the JSON).
    Known(Box<SlackInteractionEvent>, Value),
    /// A well-formed payload of a type we do not handle, with that type.
    Other(String),
}

const MODELLED_INTERACTIONS: &[&str] = &[
    "block_actions",
    "block_suggestion",
    "dialog_submission",
    "message_action",
    "shortcut",
    "view_submission",
    "view_closed",
];

#[derive(Deserialize)]
struct InteractionForm {
    payload: String,
}

/// Reads an interactivity body: form-encoded, with the JSON in `payload`.
pub fn parse_interaction(body: &[u8]) -> Result<Interaction, AppError> {
    let form: InteractionForm = serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::BadRequest("malformed interaction: expected a form with a payload field".into()))?;
    let value: Value = serde_json::from_str(&form.payload)
        .map_err(|e| AppError::BadRequest(format!("malformed interaction payload: {e}")))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| AppError::BadRequest("malformed interaction payload: no type".into()))?
        .to_owned();
    if !MODELLED_INTERACTIONS.contains(&kind.as_str()) {
        return Ok(Interaction::Other(kind));
    }
    serde_json::from_value(value.clone())
        .map(|event| Interaction::Known(Box::new(event), value))
        .map_err(|e| AppError::BadRequest(format!("malformed {kind} payload: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slash_command_form_is_read() {
        let body = "team_id=T1&user_id=U1&channel_id=C1&command=%2Fhighlight&text=Acme+%7C+chat+%7C+hi&response_url=https%3A%2F%2Fx&trigger_id=1.2.3";
        let cmd = parse_command(body.as_bytes()).expect("valid");
        assert_eq!(cmd.text, "Acme | chat | hi");
        assert_eq!(cmd.command, "/highlight");
        assert_eq!(cmd.enterprise_id, None);
    }

    #[test]
    fn a_form_without_team_is_a_bad_request() {
        let err = parse_command(b"user_id=U1&command=%2Fhighlight").expect_err("refused");
        assert!(matches!(err, AppError::BadRequest(ref m) if m.contains("team_id")), "{err:?}");
    }

    #[test]
    fn unmodelled_interaction_types_are_recognised_not_refused() {
        let body = serde_urlencoded::to_string([("payload", r#"{"type":"workflow_step_edit","team":{"id":"T1"}}"#)])
            .expect("encodes");
        assert!(matches!(parse_interaction(body.as_bytes()), Ok(Interaction::Other(t)) if t == "workflow_step_edit"));
        assert!(matches!(parse_interaction(b"payload=%7Bnot+json"), Err(AppError::BadRequest(_))));
        assert!(matches!(parse_interaction(b"nothing=here"), Err(AppError::BadRequest(_))));
    }
}
