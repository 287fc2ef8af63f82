//! Socket Mode (`highlights serve --socket-mode`): Slack delivers commands,
//! interactions and events over a WebSocket the app opens, so no public URL is
//! needed. Each delivery is read into the same [`Inbound`] as over HTTP and
//! goes through the same [`routes::dispatch`]; only the transport differs. The HTTP listener still serves `/healthz` and `/metrics`.

use std::sync::Arc;

use slack_morphism::prelude::*;

use crate::app::AppState;
use crate::config::Secret;
use crate::reply::Reply;
use crate::routes::{self, Answer};
use crate::slack::blocks::typed_blocks;
use crate::slack::client::{SlackApi, SlackError, SlackHttpClient};
use crate::slack::payload::{self, Delivery, Inbound, SlashCommand};

type Connector = SlackClientHyperConnector<crate::slack::client::HttpsConnector>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Opens the Socket Mode connections with the app-level token; they run until [`SocketMode::stop`].
pub struct SocketMode {
    listener: SlackClientSocketModeListener<Connector>,
}

impl SocketMode {
    /// Connects to Slack with `app_token` (`xapp-…`, scope `connections:write`):
    /// first once itself ([`check_app_token`]), so that a refused token stops
    /// the app and an unreachable Slack is said in one line, then through the
    /// library, which keeps the connections open.
    pub async fn start(state: AppState, app_token: &Secret) -> anyhow::Result<Self> {
        check_app_token(state.slack.api(), &state.config.slack_api_url, app_token).await?;
        let client = state.slack.api().client();
        let environment = Arc::new(
            SlackClientEventsListenerEnvironment::new(client).with_user_state(state).with_error_handler(on_error),
        );
        let callbacks = SlackSocketModeListenerCallbacks::new()
            .with_hello_events(on_hello)
            .with_command_events(on_command)
            .with_interaction_events(on_interaction)
            .with_push_events(on_push);
        let listener = SlackClientSocketModeListener::new(&SlackClientSocketModeConfig::new(), environment, callbacks);
        listener.listen_for(&SlackApiToken::new(app_token.expose().into())).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot open Socket Mode with SLACK_APP_TOKEN: {}",
                crate::slack::client::SlackError::from(e)
            )
        })?;
        // Said before the connections start: Slack's hello on one of them
        // (see `on_hello`, which says connected) can come before `start`
        // returns.
        tracing::info!("Socket Mode: opening connections to Slack");
        listener.start().await;
        Ok(Self { listener })
    }

    /// Closes the connections.
    pub async fn stop(self) {
        self.listener.shutdown().await;
    }
}

/// What to do about Slack refusing the app token with `code`.
pub fn refusal_fix(code: &str) -> &'static str {
    match code {
        "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive" => {
            "the token is wrong or was revoked: generate an app-level token with the connections:write scope (Basic Information page, App-Level Tokens) and put it in SLACK_APP_TOKEN"
        }
        "not_allowed_token_type" => "SLACK_APP_TOKEN must be the app-level token (xapp-…), not a bot or user token",
        "missing_scope" => "the app-level token needs the connections:write scope (Basic Information page, App-Level Tokens)",
        _ => "turn Socket Mode on for the app (Socket Mode page) and check SLACK_APP_TOKEN",
    }
}

/// Asks Slack for a Socket Mode connection once. A refusal stops the app
/// with one line naming `SLACK_APP_TOKEN`; while Slack cannot be reached it
/// says so in one line per try and tries again, waiting twice as long each
/// time, up to a minute.
async fn check_app_token(slack: &SlackApi, api_url: &str, app_token: &Secret) -> anyhow::Result<()> {
    let mut wait = std::time::Duration::from_secs(1);
    loop {
        match slack.open_connection(app_token).await {
            Ok(()) => return Ok(()),
            Err(SlackError::Api(code)) => {
                anyhow::bail!("SLACK_APP_TOKEN was refused by Slack ({code}): {}", refusal_fix(&code))
            }
            Err(e) if e.is_transient() => {
                tracing::warn!(
                    "Socket Mode: not connected ({e}, at {api_url}); trying again in {}s (check the network, or SLACK_API_URL)",
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(60));
            }
            Err(e) => {
                anyhow::bail!("Socket Mode cannot start: apps.connections.open failed ({e}); check SLACK_APP_TOKEN")
            }
        }
    }
}

/// Slack's first message on a connection: from here on, deliveries arrive.
/// (Generic: slack-morphism does not export the hello event's type by name.)
async fn on_hello<Hello: serde::Serialize>(
    hello: Hello,
    _client: Arc<SlackHttpClient>,
    _states: SlackClientEventsUserState,
) {
    let connections = serde_json::to_value(&hello).ok().and_then(|v| v["num_connections"].as_u64());
    tracing::info!(connections, "Socket Mode connected");
}

async fn state_of(states: &SlackClientEventsUserState) -> Result<AppState, BoxError> {
    states.read().await.get_user_state::<AppState>().cloned().ok_or_else(|| "app state missing".into())
}

/// Our slash command, from Socket Mode's.
pub fn slash_command(ev: &SlackCommandEvent) -> SlashCommand {
    SlashCommand {
        team_id: ev.team_id.to_string(),
        user_id: ev.user_id.to_string(),
        channel_id: ev.channel_id.to_string(),
        command: ev.command.to_string(),
        text: ev.text.clone().unwrap_or_default(),
        response_url: ev.response_url.0.to_string(),
        trigger_id: ev.trigger_id.to_string(),
        enterprise_id: None,
    }
    .cleaned()
}

/// Socket Mode's acknowledgement for a reply (an empty one for a modal).
pub fn command_response(reply: Option<Reply>) -> SlackCommandEventResponse {
    let Some(reply) = reply else {
        return SlackCommandEventResponse::new(SlackMessageContent::new());
    };
    let mut content = SlackMessageContent::new().with_text(reply.text);
    if let Some(blocks) = reply.blocks.as_deref().and_then(|b| typed_blocks(b).ok()) {
        content = content.with_blocks(blocks);
    }
    SlackCommandEventResponse::new(content).with_response_type(SlackMessageResponseType::Ephemeral)
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Arc<SlackHttpClient>,
    states: SlackClientEventsUserState,
) -> Result<SlackCommandEventResponse, BoxError> {
    let state = state_of(&states).await?;
    match routes::dispatch(&state, Inbound::Command(slash_command(&ev).checked()?)).await? {
        Answer::Reply(reply) => Ok(command_response(reply)),
        other => Err(format!("a command answered with {other:?}").into()),
    }
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _client: Arc<SlackHttpClient>,
    states: SlackClientEventsUserState,
) -> Result<SlackInteractionResponse, BoxError> {
    let state = state_of(&states).await?;
    let interaction = crate::slack::interaction::interaction_from_json(serde_json::to_value(&ev)?)?;
    let Answer::Ack(ack) = routes::dispatch(&state, Inbound::Interaction(interaction)).await? else {
        return Err("an interaction answered with something other than an acknowledgement".into());
    };
    match ack.body() {
        Some(body) => Ok(serde_json::from_value(body)?),
        None => Ok(SlackInteractionResponse::Empty),
    }
}

async fn on_push(
    ev: SlackPushEventCallback,
    _client: Arc<SlackHttpClient>,
    states: SlackClientEventsUserState,
) -> Result<(), BoxError> {
    let state = state_of(&states).await?;
    let delivery = Delivery { event: payload::event_of(&ev)?, enterprise: None, retry: None };
    routes::dispatch(&state, Inbound::Event(delivery)).await.map(|_| ()).map_err(|e| e.to_string().into())
}

fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackHttpClient>,
    _states: SlackClientEventsUserState,
) -> HttpStatusCode {
    tracing::warn!(error = %err, "Socket Mode delivery failed");
    // Acknowledge anyway: Slack redelivering a delivery we cannot read helps nobody.
    HttpStatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_mode_command_becomes_ours_and_our_reply_its_ack() {
        let ev: SlackCommandEvent = serde_json::from_value(serde_json::json!({
            "team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/highlight", "text": "help",
            "response_url": "https://hooks.slack.com/commands/T1/1/x", "trigger_id": "1.2.3"
        }))
        .expect("event");
        let ours = slash_command(&ev);
        assert_eq!((ours.team_id.as_str(), ours.text.as_str(), ours.trigger_id.as_str()), ("T1", "help", "1.2.3"));
        let ack = serde_json::to_value(command_response(Some(Reply::ephemeral("hi")))).expect("json");
        assert_eq!(ack["text"], "hi");
        assert_eq!(ack["response_type"], "ephemeral");
        assert_eq!(serde_json::to_value(command_response(None)).expect("json"), serde_json::json!({}));
    }

    #[test]
    fn a_socket_mode_command_is_cleaned_as_an_http_one_is() {
        let ev: SlackCommandEvent = serde_json::from_value(serde_json::json!({
            "team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/highlight",
            "text": "Acme | chat | line one\r\nline\u{0}two",
            "response_url": "https://hooks.slack.com/commands/T1/1/x", "trigger_id": "1.2.3"
        }))
        .expect("event");
        let body =
            "team_id=T1&channel_id=C1&user_id=U1&command=%2Fhighlight&text=Acme+%7C+chat+%7C+line+one%0D%0Aline%00two\
                    &response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fx&trigger_id=1.2.3";
        let over_http = payload::parse_command(body.as_bytes()).expect("form");
        assert_eq!(slash_command(&ev), over_http);
        assert_eq!(over_http.text, "Acme | chat | line one\nlinetwo");
    }

    #[test]
    fn our_interaction_answers_read_as_socket_mode_responses() {
        let errors: SlackInteractionResponse = serde_json::from_value(
            serde_json::json!({ "response_action": "errors", "errors": { "quote_0": "empty" } }),
        )
        .expect("errors");
        assert!(matches!(errors, SlackInteractionResponse::ViewSubmission(_)));
        let options: SlackInteractionResponse = serde_json::from_value(serde_json::json!({ "options": [
            { "text": { "type": "plain_text", "text": "Acme" }, "value": "id:1" } ] }))
        .expect("options");
        assert!(matches!(options, SlackInteractionResponse::BlockSuggestion(_)));
    }
}
