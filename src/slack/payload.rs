//! Reading what Slack delivers into typed payloads, once, whichever way it
//! came: every delivery the app acts on becomes an [`Inbound`]. A body that is
//! signed but unreadable, or names anything with an id of another shape than
//! Slack's ([`super::ids`]), is a [`AppError::BadRequest`] with a short reason.

use serde::Deserialize;
use serde_json::Value;
use slack_morphism::prelude::{SlackEventCallbackBody, SlackPushEvent, SlackPushEventCallback};

use super::ids::{self, EventId, MessageTs};
use crate::error::AppError;

/// Everything Slack delivers that the app acts on, read once, over HTTP or
/// Socket Mode alike: the only shape features see (`crate::routes::dispatch`
/// takes it from here). Slack's JSON ends here.
#[derive(Debug, Clone)]
pub enum Inbound {
    /// `/highlight …`.
    Command(SlashCommand),
    /// A shortcut, button, form submission or suggestion request.
    Interaction(crate::slack::interaction::Interaction),
    /// An Events API delivery.
    Event(Delivery),
}

/// An Events API delivery, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// What happened, and where.
    pub event: Event,
    /// The Enterprise Grid organisation it came from, if any.
    pub enterprise: Option<String>,
    /// Which of Slack's retries this is (HTTP's `X-Slack-Retry-Num`).
    pub retry: Option<u32>,
}

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
    let command: SlashCommand = serde_urlencoded::from_bytes(body)
        .map_err(|e| AppError::BadRequest(format!("malformed slash command: {e}")))?;
    command.cleaned().checked()
}

impl SlashCommand {
    /// Every field cleaned ([`clean_text`]), as it arrived by HTTP or Socket Mode.
    pub fn cleaned(mut self) -> Self {
        for field in [
            &mut self.team_id,
            &mut self.user_id,
            &mut self.channel_id,
            &mut self.command,
            &mut self.text,
            &mut self.response_url,
            &mut self.trigger_id,
        ] {
            clean_in_place(field);
        }
        if let Some(enterprise) = &mut self.enterprise_id {
            clean_in_place(enterprise);
        }
        self
    }

    /// The command if its workspace, user, channel and organisation are
    /// Slack ids ([`ids`]); an empty `enterprise_id` (outside Enterprise
    /// Grid) is none.
    pub fn checked(mut self) -> Result<Self, AppError> {
        ids::SlackId::parse("team_id", &self.team_id)?;
        ids::SlackId::parse("user_id", &self.user_id)?;
        ids::SlackId::parse("channel_id", &self.channel_id)?;
        self.enterprise_id = ids::optional_id("enterprise_id", self.enterprise_id.as_deref())?;
        Ok(self)
    }
}

/// The one cleaning every text from outside goes through, so that both
/// databases store the same thing (PostgreSQL refuses NUL; SQLite keeps it)
/// and nothing invisible steers what is shown: control characters are
/// removed, except newline and tab; a carriage return becomes a newline
/// (one, for a CR LF pair).
pub fn clean_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(|c| !c.is_control() || c == '\n' || c == '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut cleaned = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => cleaned.push('\n'),
            '\n' | '\t' => cleaned.push(c),
            c if c.is_control() => {}
            c => cleaned.push(c),
        }
    }
    std::borrow::Cow::Owned(cleaned)
}

fn clean_in_place(text: &mut String) {
    if let std::borrow::Cow::Owned(cleaned) = clean_text(text) {
        *text = cleaned;
    }
}

/// [`clean_text`] over every string of a JSON document, object keys included.
pub fn clean_json(value: &mut Value) {
    match value {
        Value::String(text) => clean_in_place(text),
        Value::Array(items) => items.iter_mut().for_each(clean_json),
        Value::Object(fields) => {
            if fields.keys().any(|k| matches!(clean_text(k), std::borrow::Cow::Owned(_))) {
                let taken = std::mem::take(fields);
                fields.extend(taken.into_iter().map(|(k, v)| (clean_text(&k).into_owned(), v)));
            }
            fields.values_mut().for_each(clean_json);
        }
        _ => {}
    }
}

/// Reads an Events API JSON body, with the Enterprise Grid organisation it
/// came from, if any. Organisation-wide installs send `authorizations` whose
/// `team_id` is null; we do not use them, so they are set aside rather than
/// refused.
pub fn parse_event(body: &[u8]) -> Result<(SlackPushEvent, Option<String>), AppError> {
    let mut value: Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("malformed event: {e}")))?;
    clean_json(&mut value);
    let enterprise = ids::optional_id("enterprise_id", value.get("enterprise_id").and_then(Value::as_str))?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("authorizations");
    }
    let event = serde_json::from_value(value).map_err(|e| AppError::BadRequest(format!("malformed event: {e}")))?;
    Ok((event, enterprise))
}

/// An Events API delivery, read: who it is from and what happened, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The workspace it is from.
    pub team: String,
    /// Slack's id of the delivery (the same on each retry).
    pub event_id: String,
    /// The `type` of the event, as Slack names it.
    pub kind: String,
    /// What the app acts on.
    pub what: EventKind,
}

/// What an event tells the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The app lost access: uninstalled, or its bot token revoked (user tokens
    /// alone leave it installed).
    LostAccess,
    /// Someone opened the app's Home tab (not its Messages tab).
    HomeOpened {
        /// Who.
        user: String,
    },
    /// A reaction added to or removed from a message.
    Reaction(Reaction),
    /// Anything else: recorded, not acted on.
    Other,
}

/// A reaction added to or removed from a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// Added (`reaction_added`) or removed (`reaction_removed`).
    pub added: bool,
    /// Who reacted.
    pub user: String,
    /// The emoji's name, without colons (`white_check_mark`).
    pub name: String,
    /// The message's channel.
    pub channel: String,
    /// The message's `ts`.
    pub ts: String,
}

/// Reads an event callback (from HTTP or Socket Mode); its workspace, its
/// id and every id the app acts on must have Slack's shape ([`ids`]).
pub fn event_of(callback: &SlackPushEventCallback) -> Result<Event, AppError> {
    let team = ids::id("team_id", callback.team_id.as_ref())?;
    let event_id = EventId::parse("event_id", callback.event_id.as_ref())?.into();
    let value = serde_json::to_value(&callback.event).unwrap_or_default();
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    let kind = text("/type").unwrap_or_else(|| "unknown".to_owned());
    let what = match &callback.event {
        SlackEventCallbackBody::AppUninstalled(_) => EventKind::LostAccess,
        _ if kind == "tokens_revoked" => {
            let bots = value.pointer("/tokens/bot").and_then(Value::as_array);
            if bots.is_some_and(|bots| !bots.is_empty()) {
                EventKind::LostAccess
            } else {
                EventKind::Other
            }
        }
        SlackEventCallbackBody::AppHomeOpened(opened) if opened.tab.as_deref() != Some("messages") => {
            EventKind::HomeOpened { user: ids::id("event.user", opened.user.as_ref())? }
        }
        SlackEventCallbackBody::ReactionAdded(_) | SlackEventCallbackBody::ReactionRemoved(_)
            if text("/item/type").as_deref() == Some("message") =>
        {
            match (text("/user"), text("/reaction"), text("/item/channel"), text("/item/ts")) {
                (Some(user), Some(name), Some(channel), Some(ts)) => EventKind::Reaction(Reaction {
                    added: matches!(callback.event, SlackEventCallbackBody::ReactionAdded(_)),
                    user: ids::id("event.user", &user)?,
                    name: reaction_name(name)?,
                    channel: ids::id("event.item.channel", &channel)?,
                    ts: MessageTs::parse("event.item.ts", &ts)?.into(),
                }),
                _ => EventKind::Other,
            }
        }
        _ => EventKind::Other,
    };
    Ok(Event { team, event_id, kind, what })
}

/// Longest emoji name accepted (Slack's own names are at most 100
/// characters; a skin tone adds `::skin-tone-6`).
const MAX_REACTION_CHARS: usize = 128;

/// A reaction's emoji name, if it is not longer than any emoji's.
fn reaction_name(name: String) -> Result<String, AppError> {
    if name.is_empty() || name.chars().count() > MAX_REACTION_CHARS {
        return Err(AppError::BadRequest("malformed event.reaction: not an emoji name".into()));
    }
    Ok(name)
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
    fn control_characters_are_removed_except_newline_and_tab() {
        assert_eq!(clean_text("plain text, é ✅"), "plain text, é ✅");
        assert!(matches!(clean_text("line\nnext\tcol"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(clean_text("a\0b\u{7}c\u{1b}[31md\u{85}e"), "abc[31mde");
        assert_eq!(clean_text("one\r\ntwo\rthree"), "one\ntwo\nthree");
        let body = "team_id=T1&user_id=U1%00&channel_id=C1&command=%2Fhighlight&text=Ac%00me+%7C+chat+%7C+hi%00&response_url=https%3A%2F%2Fx&trigger_id=1.2.3";
        let cmd = parse_command(body.as_bytes()).expect("valid");
        assert_eq!((cmd.text.as_str(), cmd.user_id.as_str()), ("Acme | chat | hi", "U1"));
        let mut json = serde_json::json!({ "a\u{0}": ["x\u{0}y", { "k": "v\u{0}" }], "n": 1 });
        clean_json(&mut json);
        assert_eq!(json, serde_json::json!({ "a": ["xy", { "k": "v" }], "n": 1 }));
    }

    #[test]
    fn a_form_without_team_is_a_bad_request() {
        let err = parse_command(b"user_id=U1&command=%2Fhighlight").expect_err("refused");
        assert!(matches!(err, AppError::BadRequest(ref m) if m.contains("team_id")), "{err:?}");
    }

    fn event(body: &str) -> Event {
        let (SlackPushEvent::EventCallback(callback), _) = parse_event(body.as_bytes()).expect("valid") else {
            panic!("an event callback")
        };
        event_of(&callback).expect("well-formed ids")
    }

    #[test]
    fn events_are_read_into_what_the_app_acts_on() {
        let body = include_str!("../../tests/fixtures/requests/event_callback.reaction_added.json");
        let read = event(body);
        assert_eq!(
            (read.team.as_str(), read.event_id.as_str(), read.kind.as_str()),
            ("T0TEAM0001", "Ev0EVENT0002", "reaction_added")
        );
        let expected = Reaction {
            added: true,
            user: "U0USER0001".into(),
            name: "star".into(),
            channel: "C0CHAN0001".into(),
            ts: "1715000000.000200".into(),
        };
        assert_eq!(read.what, EventKind::Reaction(expected.clone()));
        let removed = event(&body.replace("reaction_added", "reaction_removed"));
        assert_eq!(removed.what, EventKind::Reaction(Reaction { added: false, ..expected }));
        let home = event(include_str!("../../tests/fixtures/requests/event_callback.app_home_opened.json"));
        assert!(matches!(home.what, EventKind::HomeOpened { .. }), "{home:?}");
        let gone = event(include_str!("../../tests/fixtures/requests/event_callback.app_uninstalled.json"));
        assert_eq!(gone.what, EventKind::LostAccess);
        let revoked = include_str!("../../tests/fixtures/requests/event_callback.tokens_revoked.json");
        assert_eq!(event(revoked).what, EventKind::LostAccess, "the bot's token");
        let users_only = revoked.replace(r#""bot": ["U0BOTUSER1"]"#, r#""bot": []"#);
        assert_eq!(event(&users_only).what, EventKind::Other, "users' tokens only");
    }
}
