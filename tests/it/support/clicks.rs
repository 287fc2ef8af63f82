//! Button clicks as Slack sends them (a `block_actions` payload), built one
//! way for every test: a [`Click`] says who clicked which button where;
//! [`TestApp::click`] delivers it and [`TestApp::click_answered`] also
//! waits for what the app posted back to the click's `response_url`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use super::{eventually, TestApp, CHANNEL, TEAM, USER};

/// Clicks made so far: each click gets its own trigger id, `action_ts` and
/// `response_url`, so none is a replay of another and each answer is its own.
static CLICKS: AtomicU64 = AtomicU64::new(0);

/// Where the clicked button sits.
#[derive(Debug, Clone)]
enum Container {
    /// An ephemeral reply in the test channel.
    Ephemeral,
    /// A message in a channel or a DM.
    Message { channel: String, ts: String },
    /// A form or the App Home (the view, as Slack sends it).
    View(Value),
}

/// One click on one button.
#[derive(Debug, Clone)]
pub struct Click {
    n: u64,
    user: String,
    action_id: String,
    block_id: String,
    text: Value,
    value: Option<Value>,
    container: Container,
}

impl Click {
    /// The button `action_id` carrying `value`, clicked by [`USER`] in an
    /// ephemeral reply.
    pub fn button(action_id: &str, value: &str) -> Self {
        Self {
            n: CLICKS.fetch_add(1, Ordering::Relaxed),
            user: USER.to_owned(),
            action_id: action_id.to_owned(),
            block_id: "actions".to_owned(),
            text: json!({ "type": "plain_text", "text": action_id }),
            value: Some(json!(value)),
            container: Container::Ephemeral,
        }
    }

    /// The button `action_id` as the app rendered it in `blocks` (a reply's,
    /// a message's or a view's): its block, text and value. Panics when no
    /// button has that id.
    pub fn found_in(blocks: &Value, action_id: &str) -> Self {
        let (block, button) = blocks
            .as_array()
            .unwrap_or_else(|| panic!("no blocks: {blocks}"))
            .iter()
            .flat_map(|b| b["elements"].as_array().into_iter().flatten().map(move |e| (b, e)))
            .find(|(_, e)| e["action_id"] == action_id)
            .unwrap_or_else(|| panic!("no button {action_id} in {blocks}"));
        Self {
            block_id: block["block_id"].as_str().unwrap_or("actions").to_owned(),
            text: button["text"].clone(),
            value: button.get("value").cloned(),
            ..Self::button(action_id, "")
        }
    }

    /// The button `action_id` of a reply (its `blocks`), as [`Click::found_in`].
    pub fn in_reply(reply: &Value, action_id: &str) -> Self {
        Self::found_in(&reply["blocks"], action_id)
    }

    /// Clicked by `user`.
    pub fn by(mut self, user: &str) -> Self {
        self.user = user.to_owned();
        self
    }

    /// In the block `block_id`.
    pub fn in_block(mut self, block_id: &str) -> Self {
        self.block_id = block_id.to_owned();
        self
    }

    /// On the message `ts` of `channel` (a channel's or a DM's), not an ephemeral reply.
    pub fn on_message(mut self, channel: &str, ts: &str) -> Self {
        self.container = Container::Message { channel: channel.to_owned(), ts: ts.to_owned() };
        self
    }

    /// In a form or on the App Home: `view` as Slack sends it (`id`, `type`, …).
    pub fn on_view(mut self, view: Value) -> Self {
        self.container = Container::View(view);
        self
    }

    /// The `response_url` id the click carries (a message's or a reply's).
    pub fn response_id(&self) -> String {
        format!("click-{}", self.n)
    }

    /// The payload Slack sends for this click (the same each time: sending
    /// it again is Slack delivering the same click again).
    pub fn payload(&self, app: &TestApp) -> Value {
        let n = self.n;
        let mut action = json!({ "type": "button", "action_id": self.action_id, "block_id": self.block_id,
                                 "text": self.text, "action_ts": format!("1700000000.{n:06}") });
        if let Some(value) = &self.value {
            action["value"] = value.clone();
        }
        let mut payload = json!({
            "type": "block_actions", "team": { "id": TEAM, "domain": "acme" },
            "user": { "id": self.user, "username": "someone", "team_id": TEAM },
            "api_app_id": "A0APP00001", "token": "t", "trigger_id": format!("{n}.2.3"),
            "actions": [action],
        });
        let channel =
            |id: &str| json!({ "id": id, "name": if id.starts_with('D') { "directmessage" } else { "product" } });
        match &self.container {
            Container::Ephemeral => {
                payload["container"] =
                    json!({ "type": "message", "message_ts": "1.2", "channel_id": CHANNEL, "is_ephemeral": true });
                payload["channel"] = channel(CHANNEL);
                payload["response_url"] = json!(app.slack.response_url(&self.response_id()));
            }
            Container::Message { channel: id, ts } => {
                payload["container"] =
                    json!({ "type": "message", "message_ts": ts, "channel_id": id, "is_ephemeral": false });
                payload["channel"] = channel(id);
                payload["message"] = json!({ "type": "message", "ts": ts, "text": "a message" });
                payload["response_url"] = json!(app.slack.response_url(&self.response_id()));
            }
            Container::View(view) => {
                payload["container"] = json!({ "type": "view", "view_id": view["id"] });
                payload["view"] = view.clone();
            }
        }
        payload
    }
}

impl TestApp {
    /// Delivers a click, which Slack's side sees answered with 200.
    pub async fn click(&self, click: &Click) {
        assert_eq!(self.interaction(&click.payload(self)).await.status(), 200, "{click:?}");
    }

    /// Delivers a click and waits for what the app posted to its
    /// `response_url` (the body: `text`, `blocks`, `replace_original`, …).
    pub async fn click_answered(&self, click: &Click) -> Value {
        self.click(click).await;
        let id = click.response_id();
        let answer = || self.slack.calls_to("response_url").into_iter().find(|c| c.args["id"] == id.as_str());
        eventually(&format!("the answer to {id}"), || std::future::ready(answer().is_some())).await;
        answer().map(|c| c.args["body"].clone()).unwrap_or_default()
    }
}
