//! Interactivity payloads (buttons, forms, shortcuts, select options) read
//! once into typed values, from HTTP or Socket Mode alike. Features never
//! see Slack's JSON: they get an [`Interaction`] and answer with an
//! [`Ack`](crate::reply::Ack).
//! See <https://docs.slack.dev/interactivity/handling-user-interaction>.

use serde::Deserialize;
use serde_json::Value;
use slack_morphism::prelude::SlackInteractionEvent;

use super::ids::{self, MessageTs};
use super::payload::clean_json;
use crate::error::AppError;

/// Who acted, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The workspace (for an organisation-wide install, the user's).
    pub team: String,
    /// The Enterprise Grid organisation, when there is one.
    pub enterprise: Option<String>,
    /// The user.
    pub user: String,
}

/// An interaction, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// Who acted.
    pub from: Actor,
    /// What they did.
    pub kind: InteractionKind,
}

/// What someone did.
#[derive(Debug, Clone, PartialEq)]
pub enum InteractionKind {
    /// Submitted a form (`view_submission`).
    Submission(Submission),
    /// Clicked a button or chose in a menu (`block_actions`).
    Action(Action),
    /// Ran a message shortcut on a message (`message_action`).
    MessageShortcut(MessageShortcut),
    /// Typed into an external select, which waits for options (`block_suggestion`).
    Suggestion(Suggestion),
    /// Anything else (a closed form, a global shortcut, a type Slack added
    /// since): acknowledged, nothing more.
    Other(String),
}

/// A form as Slack sends it back.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The view's id (to update it).
    pub id: String,
    /// Its hash (so an update does not overwrite a newer one).
    pub hash: Option<String>,
    /// Which of our forms it is.
    pub callback_id: String,
    /// What we stored in it, still sealed (see `Slack::unseal_view`).
    pub private_metadata: String,
    /// The first input block on screen, where an error about the whole form goes.
    pub first_input: Option<String>,
    /// What was typed and chosen.
    pub values: FormValues,
}

/// A submitted form.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The form.
    pub view: View,
}

/// A click.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The element's `action_id`.
    pub action_id: String,
    /// The button's value, or the option chosen.
    pub value: String,
    /// Opens a modal within 3 seconds.
    pub trigger_id: Option<String>,
    /// Answers the message the click came from.
    pub response_url: Option<String>,
    /// The form it was clicked in, if it was in one.
    pub view: Option<View>,
}

/// A message shortcut run on a message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageShortcut {
    /// Which shortcut.
    pub callback_id: String,
    /// Opens a modal within 3 seconds.
    pub trigger_id: String,
    /// The message's channel.
    pub channel: Option<String>,
    /// The message's timestamp.
    pub message_ts: Option<String>,
    /// The message's text.
    pub message_text: String,
    /// Answers the person who ran it.
    pub response_url: Option<String>,
}

/// What was typed into an external select.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The select's block.
    pub block_id: String,
    /// What was typed so far.
    pub value: String,
}

/// A form's `state.values`: by block id, then action id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormValues(Value);

impl FormValues {
    /// Values as Slack nests them (`{block: {action: {type, value…}}}`).
    pub fn new(values: Value) -> Self {
        Self(values)
    }

    /// What an input holds: typed text, a picked date, or the chosen option's value.
    pub fn get(&self, block_id: &str, action_id: &str) -> Option<&str> {
        let v = &self.0[block_id][action_id];
        v["value"].as_str().or_else(|| v["selected_date"].as_str()).or_else(|| v["selected_option"]["value"].as_str())
    }

    /// Whether checkboxes (or a multi-select) have the option `value` ticked.
    pub fn is_ticked(&self, block_id: &str, action_id: &str, value: &str) -> bool {
        self.0[block_id][action_id]["selected_options"]
            .as_array()
            .is_some_and(|picked| picked.iter().any(|o| o["value"] == value))
    }
}

/// The interaction types slack-morphism models (checked against its models).
const MODELLED: &[&str] = &[
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
    interaction_from_json(value)
}

/// Reads an interaction's JSON (an HTTP payload, or what Socket Mode delivered).
pub fn interaction_from_json(mut value: Value) -> Result<Interaction, AppError> {
    clean_json(&mut value);
    let kind = str_at(&value, "/type")
        .ok_or_else(|| AppError::BadRequest("malformed interaction payload: no type".into()))?
        .to_owned();
    let bad = |what: &str| AppError::BadRequest(format!("malformed {kind} payload: {what}"));
    // Organisation-wide installs send `"team": null`; the workspace is the user's.
    let team = str_at(&value, "/team/id").or_else(|| str_at(&value, "/user/team_id"));
    // Ids, when there are any, have Slack's shape (see `ids`).
    let from = Actor {
        team: ids::optional_id("team.id", team)?.unwrap_or_default(),
        enterprise: ids::optional_id(
            "enterprise.id",
            str_at(&value, "/enterprise/id").or_else(|| str_at(&value, "/user/enterprise_id")),
        )?,
        user: ids::optional_id("user.id", str_at(&value, "/user/id"))?.unwrap_or_default(),
    };
    if !MODELLED.contains(&kind.as_str()) {
        return Ok(Interaction { from, kind: InteractionKind::Other(kind) });
    }
    if from.team.is_empty() {
        return Err(bad("no team"));
    }
    if value.get("team").is_none_or(Value::is_null) {
        value["team"] = serde_json::json!({ "id": from.team });
    }
    // Slack's own shape, as slack-morphism models it, before we read it.
    serde_json::from_value::<SlackInteractionEvent>(value.clone()).map_err(|e| bad(&e.to_string()))?;
    let owned = |pointer: &str| str_at(&value, pointer).map(str::to_owned);
    let read = match kind.as_str() {
        "view_submission" => {
            InteractionKind::Submission(Submission { view: view(&value["view"])?.ok_or_else(|| bad("no view"))? })
        }
        "block_actions" => InteractionKind::Action(Action {
            action_id: owned("/actions/0/action_id").unwrap_or_default(),
            value: owned("/actions/0/value").or_else(|| owned("/actions/0/selected_option/value")).unwrap_or_default(),
            trigger_id: owned("/trigger_id"),
            response_url: owned("/response_url"),
            view: view(&value["view"])?,
        }),
        "message_action" => InteractionKind::MessageShortcut(MessageShortcut {
            callback_id: owned("/callback_id").unwrap_or_default(),
            trigger_id: owned("/trigger_id").unwrap_or_default(),
            channel: ids::optional_id("channel.id", str_at(&value, "/channel/id"))?,
            message_ts: str_at(&value, "/message/ts")
                .map(|ts| MessageTs::parse("message.ts", ts).map(String::from))
                .transpose()?,
            message_text: owned("/message/text").unwrap_or_default(),
            response_url: owned("/response_url"),
        }),
        "block_suggestion" => InteractionKind::Suggestion(Suggestion {
            block_id: owned("/block_id").unwrap_or_default(),
            value: owned("/value").unwrap_or_default(),
        }),
        _ => InteractionKind::Other(kind),
    };
    Ok(Interaction { from, kind: read })
}

/// A view from its JSON, if there is one; its id must be a Slack id.
fn view(json: &Value) -> Result<Option<View>, AppError> {
    let Some(id) = json["id"].as_str() else {
        return Ok(None);
    };
    ids::SlackId::parse("view.id", id)?;
    // The first input block on screen; else any the form's state names.
    let first_input = json["blocks"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "input"))
        .and_then(|b| b["block_id"].as_str())
        .or_else(|| json["state"]["values"].as_object().and_then(|values| values.keys().next()).map(String::as_str))
        .map(str::to_owned);
    Ok(Some(View {
        id: id.to_owned(),
        hash: json["hash"].as_str().map(str::to_owned),
        callback_id: json["callback_id"].as_str().unwrap_or_default().to_owned(),
        private_metadata: json["private_metadata"].as_str().unwrap_or_default().to_owned(),
        first_input,
        values: FormValues(json["state"]["values"].clone()),
    }))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(payload: Value) -> Vec<u8> {
        serde_urlencoded::to_string([("payload", payload.to_string())]).expect("encodes").into_bytes()
    }

    #[test]
    fn unmodelled_interaction_types_are_recognised_not_refused() {
        let body = form(serde_json::json!({ "type": "workflow_step_edit", "team": { "id": "T1" } }));
        assert!(
            matches!(parse_interaction(&body), Ok(Interaction { kind: InteractionKind::Other(t), .. }) if t == "workflow_step_edit")
        );
        assert!(matches!(parse_interaction(b"payload=%7Bnot+json"), Err(AppError::BadRequest(_))));
        assert!(matches!(parse_interaction(b"nothing=here"), Err(AppError::BadRequest(_))));
    }

    #[test]
    fn a_submission_is_read_with_its_values_and_first_input() {
        // Slack's sample (tests/fixtures/requests), from an organisation-wide
        // install (`team: null`) and with a NUL typed in.
        let mut payload: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/requests/view_submission.json")).expect("json");
        payload["team"] = Value::Null;
        payload["view"]["state"]["values"]["highlight"]["highlight_input"]["value"] = "Renewed\u{0} for 3 years".into();
        let read = parse_interaction(&form(payload)).expect("read");
        assert_eq!(read.from, Actor { team: "T0TEAM0001".into(), enterprise: None, user: "U0USER0001".into() });
        let InteractionKind::Submission(Submission { view }) = read.kind else { panic!("{read:?}") };
        assert_eq!((view.id.as_str(), view.callback_id.as_str()), ("V0VIEW0001", "highlight_modal"));
        assert_eq!(view.hash.as_deref(), Some("1715000040.AbCdEfGh"));
        assert_eq!(view.private_metadata, r#"{"channel_id":"C0CHAN0001"}"#);
        assert_eq!(view.first_input.as_deref(), Some("customer"));
        assert_eq!(view.values.get("customer", "customer_input"), Some("Acme Corp"));
        assert_eq!(view.values.get("highlight", "highlight_input"), Some("Renewed for 3 years"), "cleaned");
        assert_eq!(view.values.get("category", "category_select"), Some("win"));
        assert_eq!(view.values.get("category", "other"), None);
    }

    #[test]
    fn a_click_is_read_with_its_value_and_where_to_answer() {
        let payload: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/requests/block_actions.message_button.json"))
                .expect("json");
        let read = parse_interaction(&form(payload.clone())).expect("read");
        let InteractionKind::Action(action) = read.kind else { panic!("{read:?}") };
        assert_eq!(action.action_id, payload["actions"][0]["action_id"].as_str().expect("action_id"));
        assert_eq!(action.value, payload["actions"][0]["value"].as_str().unwrap_or_default());
        assert_eq!(action.response_url.as_deref(), payload["response_url"].as_str());
        assert_eq!(action.view, None, "a message button is in no form");
    }

    #[test]
    fn a_payload_slack_would_not_send_is_a_bad_request() {
        let body = form(serde_json::json!({ "type": "block_actions", "team": { "id": "T1" }, "user": 7 }));
        assert!(
            matches!(parse_interaction(&body), Err(AppError::BadRequest(m)) if m.starts_with("malformed block_actions"))
        );
        let body = form(serde_json::json!({ "type": "block_actions", "user": { "id": "U1" } }));
        assert!(matches!(parse_interaction(&body), Err(AppError::BadRequest(m)) if m.contains("no team")));
    }
}
