//! The Slack Web API client: slack-morphism's client, pointed at `SLACK_API_URL`,
//! over a connector that speaks HTTPS with bundled roots and plain HTTP too (for
//! a local fake of Slack in tests). Every call is cut off after a timeout, and
//! failures are sorted into [`SlackError`] so callers can decide to retry.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use crate::config::Secret;
use crate::metrics::SlackCallLabels;
use crate::slack::blocks::{truncate, Message, MAX_FALLBACK_TEXT};
use crate::slack::proxy::ProxyConnector;
use crate::slack::rate::{scope_of, Pacer, Pauses, RateLimit};

/// How long one Slack call may take while a user waits for Slack's
/// 3-second acknowledgement (two such calls plus the database fit in it).
pub const IN_ACK_TIMEOUT: Duration = Duration::from_millis(1200);

/// The metadata `event_type` of every message the app posts.
pub const POST_EVENT_TYPE: &str = "highlights_post";
/// The metadata field that holds a post's identity (its outbox row's key).
pub const POST_KEY: &str = "key";

/// `chat.postMessage`'s request, sent through slack-morphism's transport as
/// it is. The blocks are rendered as JSON already, and the outbox makes this
/// call for every highlight: turning them into slack-morphism's types and
/// back, then decoding the whole message Slack echoes, was work for nothing
/// (benches/README.md, "One Slack call a post"). Slack's answer is checked
/// as for any call; Block Kit is checked by the renderers' tests.
#[derive(serde::Serialize)]
struct PostMessageRequest<'a> {
    channel: &'a str,
    text: String,
    blocks: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_ts: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    reply_broadcast: bool,
    unfurl_links: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<PostMetadata<'a>>,
}

/// A post's identity, in its message metadata.
#[derive(serde::Serialize)]
struct PostMetadata<'a> {
    event_type: &'static str,
    event_payload: std::collections::BTreeMap<&'static str, &'a str>,
}

/// Messages as Slack shows them, kept as JSON (their blocks are mended and
/// sent back as they are).
#[derive(Debug, serde::Deserialize)]
struct RawMessages {
    #[serde(default)]
    messages: Vec<Value>,
    /// Where the next page starts, when there is one (`next_cursor`, empty
    /// on the last page).
    #[serde(default)]
    response_metadata: Option<ResponseMetadata>,
}

/// The paging part of a Slack answer
/// (<https://api.slack.com/docs/pagination>).
#[derive(Debug, Default, serde::Deserialize)]
struct ResponseMetadata {
    #[serde(default)]
    next_cursor: Option<String>,
}

impl RawMessages {
    /// The cursor of the next page; None on the last.
    fn next_cursor(&self) -> Option<String> {
        self.response_metadata.as_ref()?.next_cursor.clone().filter(|c| !c.is_empty())
    }
}

/// Messages asked per `conversations.history` page (Slack recommends at
/// most 200; it answers fewer when it likes).
const HISTORY_PAGE: &str = "200";

/// Pages read at most when looking back through a channel (200,000
/// messages): a bound against a cursor that never ends.
const MAX_HISTORY_PAGES: usize = 1000;

/// A message the app posted, as Slack shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedMessage {
    /// Its `ts`.
    pub ts: String,
    /// Its fallback text.
    pub text: String,
    /// Its blocks.
    pub blocks: Vec<Value>,
}

/// What the app reads of `chat.postMessage`'s answer.
#[derive(serde::Deserialize)]
struct Posted {
    ts: String,
}

/// slack-morphism's client over our connector.
pub type SlackHttpClient = SlackClient<SlackClientHyperConnector<HttpsConnector>>;

/// TLS (or plain HTTP, for a local fake) over a direct or proxied connection.
pub type HttpsConnector = hyper_rustls::HttpsConnector<ProxyConnector>;

/// A failed Slack call, sorted by what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `ok: false` with this code (e.g. `not_in_channel`).
    #[error("Slack answered error {0}")]
    Api(String),
    /// HTTP 429 (or a pause a 429 started, the call not sent): that method
    /// waits, every caller of it.
    #[error("rate limited by Slack ({}, {:?} left)", .0.method, .0.retry_after)]
    RateLimited(RateLimit),
    /// Any other HTTP status.
    #[error("Slack answered HTTP {0}")]
    Http(u16),
    /// No answer: connection failed, or the answer could not be read.
    #[error("cannot reach Slack: {0}")]
    Transport(String),
    /// Slack answered 200, but not in the shape expected. The call most likely
    /// took effect, so it is not retried (a retried post would post twice).
    #[error("Slack's answer could not be read")]
    Unreadable,
    /// No answer within the time limit.
    #[error("Slack did not answer within {0:?}")]
    Timeout(Duration),
    /// Our own message could not be encoded (a bug).
    #[error("message could not be encoded: {0}")]
    Encoding(String),
    /// The app holds no bot token for the workspace: never installed by
    /// OAuth, or uninstalled since. Nothing was sent.
    #[error("the app is not installed in this workspace (no bot token)")]
    NotInstalled,
    /// The workspace's bot token could not be read from the database.
    #[error("cannot read the workspace's bot token: {0}")]
    TokenUnreadable(String),
}

impl SlackError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited(_) | Self::Transport(_) | Self::Timeout(_) | Self::TokenUnreadable(_) => true,
            Self::Http(status) => *status >= 500 || *status == 408,
            Self::Api(code) => matches!(
                code.as_str(),
                "ratelimited" | "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout"
            ),
            Self::Encoding(_) | Self::Unreadable | Self::NotInstalled => false,
        }
    }
}

impl SlackError {
    /// Whether the call may have taken effect though we got no answer (a
    /// timeout after sending, a dropped connection, a 5xx from a proxy in
    /// front of Slack): a post is then looked for before it is made again.
    pub fn may_have_taken_effect(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Transport(_) => true,
            Self::Http(status) => *status >= 500,
            _ => false,
        }
    }

    /// Whether Slack gave no answer at all (a timeout, a connection lost):
    /// what it was asked to do may still be done after this, late.
    pub fn went_unanswered(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Transport(_))
    }
}

impl From<SlackClientError> for SlackError {
    fn from(error: SlackClientError) -> Self {
        match error {
            SlackClientError::ApiError(e) => Self::Api(e.code),
            // `timed` names the method and scope.
            SlackClientError::RateLimitError(e) => Self::RateLimited(RateLimit {
                method: "",
                scope: String::new(),
                retry_after: e.retry_after.unwrap_or(Duration::from_secs(1)),
                from_slack: true,
            }),
            SlackClientError::HttpError(e) => Self::Http(e.status_code.as_u16()),
            SlackClientError::HttpProtocolError(e) => Self::Transport(with_causes("connection failed", e.cause)),
            SlackClientError::ProtocolError(_) => Self::Unreadable,
            SlackClientError::SystemError(e) => {
                Self::Transport(with_causes(e.message.as_deref().unwrap_or("request failed"), e.cause))
            }
            _ => Self::Transport("request failed".into()),
        }
    }
}

/// `what: cause: its cause: …`, so a log says why (a refused connection, a
/// name that does not resolve) rather than only that a call failed. Causes
/// name hosts and system errors, never the token (it travels in a header).
fn with_causes(what: &str, cause: Option<Box<dyn std::error::Error + Send + Sync>>) -> String {
    match cause {
        Some(cause) => format!("{what}: {}", crate::error::chain(cause.as_ref())),
        None => what.to_owned(),
    }
}

/// What the app needs to call Slack: the client, the bot token, a time limit.
#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackHttpClient>,
    token: SlackApiToken,
    timeout: Duration,
    pauses: Arc<Pauses>,
    pacer: Arc<Pacer>,
    /// The workspace refused history reads (said once in the log).
    history_refused: Arc<std::sync::atomic::AtomicBool>,
    /// Calls made, by method and result.
    calls: crate::metrics::SlackCalls,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackApi").field("token", &"[redacted]").field("timeout", &self.timeout).finish()
    }
}

type Session<'a> = SlackClientSession<'a, SlackClientHyperConnector<HttpsConnector>>;

impl SlackApi {
    /// A client for the API at `api_url` (no trailing `/`) with a bot token
    /// (none: every call then needs [`with_token`](Self::with_token)).
    pub fn new(api_url: &str, bot_token: Option<&Secret>, timeout: Duration) -> Self {
        // ring is the only crypto provider compiled in; naming it keeps start-up
        // independent of the process-wide default and of the OS certificate store.
        let proxied = ProxyConnector::from_env();
        if let Some(proxy) = api_url.parse().ok().and_then(|uri| proxied.proxy_for(&uri)) {
            tracing::info!(proxy, "Slack Web API calls go through a proxy");
        }
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(proxied);
        let connector = SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_url);
        Self {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(bot_token.map(|t| t.expose().to_owned()).unwrap_or_default().into()),
            timeout,
            pauses: Arc::new(Pauses::default()),
            pacer: Arc::new(Pacer::new(1)),
            history_refused: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            calls: crate::metrics::SlackCalls::default(),
        }
    }

    /// Paces background calls at Slack's budgets times `speedup` (1 by
    /// default; 0 does not pace).
    pub fn paced(mut self, speedup: u32) -> Self {
        self.pacer = Arc::new(Pacer::new(speedup));
        self
    }

    /// The same client, calling with another workspace's bot token; its
    /// pacing and Slack's pauses are shared (they are per channel).
    pub fn with_token(&self, bot_token: &Secret) -> Self {
        Self { token: SlackApiToken::new(bot_token.expose().into()), ..self.clone() }
    }

    /// The underlying client (Socket Mode listens with it).
    pub fn client(&self) -> Arc<SlackHttpClient> {
        self.client.clone()
    }

    fn session(&self) -> Session<'_> {
        self.client.open_session(&self.token)
    }

    /// The calls made, by method and result, for the metrics registry.
    pub fn calls(&self) -> crate::metrics::SlackCalls {
        self.calls.clone()
    }

    /// The pauses Slack's 429s started (the outbox worker adds other replicas').
    pub fn pauses(&self) -> &Pauses {
        &self.pauses
    }

    /// Makes a call to `method` (in `channel`), unless a 429 paused it, on its
    /// turn within Slack's budget, within the time limit; a 429 pauses the
    /// method for every later caller.
    async fn timed<T>(
        &self,
        method: &'static str,
        channel: Option<&str>,
        call: impl Future<Output = Result<T, SlackClientError>>,
    ) -> Result<T, SlackError> {
        let result = self.in_turn(method, channel, call).await;
        let counted = match &result {
            Ok(_) => "ok",
            Err(SlackError::Api(_)) => "error",
            Err(SlackError::RateLimited(limit)) if limit.from_slack => "rate_limited",
            Err(SlackError::Http(_)) => "http_error",
            Err(SlackError::Timeout(_)) => "timeout",
            Err(SlackError::Transport(_)) => "unreachable",
            Err(SlackError::Unreadable) => "unreadable",
            Err(SlackError::RateLimited(_) | SlackError::Encoding(_) | SlackError::NotInstalled)
            | Err(SlackError::TokenUnreadable(_)) => "not_sent",
        };
        self.calls.get_or_create(&SlackCallLabels { method: method.to_owned(), result: counted.to_owned() }).inc();
        result
    }

    /// [`timed`](Self::timed), uncounted.
    async fn in_turn<T>(
        &self,
        method: &'static str,
        channel: Option<&str>,
        call: impl Future<Output = Result<T, SlackClientError>>,
    ) -> Result<T, SlackError> {
        let scope = scope_of(method, channel);
        // A pause a 429 started, here or while this call waited for its turn, holds it.
        if let Err(retry_after) = self.pacer.wait_turn(&self.pauses, method, &scope).await {
            return Err(SlackError::RateLimited(RateLimit { method, scope, retry_after, from_slack: false }));
        }
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => match SlackError::from(e) {
                SlackError::RateLimited(limit) => {
                    tracing::warn!(method, channel = scope, retry_after = ?limit.retry_after, "Slack rate limited us; pausing the method");
                    let limit = RateLimit { method, scope, retry_after: limit.retry_after, from_slack: true };
                    self.pauses.limited_by_slack(&limit);
                    Err(SlackError::RateLimited(limit))
                }
                other => Err(other),
            },
            Err(_) => Err(SlackError::Timeout(self.timeout)),
        }
    }

    /// `apps.connections.open` with the app-level token: whether Slack takes
    /// it for Socket Mode (the URL it answers is left unused).
    pub async fn open_connection(&self, app_token: &Secret) -> Result<(), SlackError> {
        let token = SlackApiToken::new(app_token.expose().into());
        let request = SlackApiAppsConnectionOpenRequest::new();
        let session = self.client.open_session(&token);
        self.timed("apps.connections.open", None, session.apps_connections_open(&request)).await.map(|_| ())
    }

    /// `auth.test`: the team and bot user the token belongs to.
    pub async fn auth_test(&self) -> Result<SlackApiAuthTestResponse, SlackError> {
        self.timed("auth.test", None, self.session().auth_test()).await
    }

    /// `chat.postMessage`; returns the `ts` of the new message. A `key`
    /// (the outbox row's identity) goes into the message's metadata, so that
    /// [`find_posted`](Self::find_posted) can tell whether it was posted.
    pub async fn post_message(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        reply_broadcast: bool,
        message: &Message,
        key: Option<&str>,
    ) -> Result<String, SlackError> {
        let req = PostMessageRequest {
            channel,
            text: truncate(&message.text, MAX_FALLBACK_TEXT),
            blocks: &message.blocks,
            thread_ts,
            reply_broadcast: reply_broadcast && thread_ts.is_some(),
            unfurl_links: false,
            metadata: key
                .map(|key| PostMetadata { event_type: POST_EVENT_TYPE, event_payload: [(POST_KEY, key)].into() }),
        };
        let session = self.session();
        let call = session.http_session_api.http_post::<_, Posted>("chat.postMessage", &req, None);
        Ok(self.timed("chat.postMessage", Some(channel), call).await?.ts)
    }

    /// The `ts` of the message this app posted with `key` in its metadata: among
    /// the replies of `thread_ts`, or among the channel's messages since
    /// `oldest` (a Slack ts). None when there is none, or when the workspace has
    /// not granted the history scopes (then posting again is all we can do;
    /// said once in the log).
    pub async fn find_posted(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        oldest: &str,
        key: &str,
    ) -> Result<Option<String>, SlackError> {
        let session = self.session();
        let found = match thread_ts {
            // slack-morphism's request type has no `include_all_metadata`: the same call, by hand.
            Some(ts) => {
                let params = vec![
                    ("channel", Some(channel)),
                    ("ts", Some(ts)),
                    ("oldest", Some(oldest)),
                    ("limit", Some("1000")),
                    ("include_all_metadata", Some("true")),
                ];
                let replies = session.http_session_api.http_get::<SlackApiConversationsRepliesResponse, _, _>(
                    "conversations.replies",
                    &params,
                    None,
                );
                self.timed("conversations.replies", None, replies).await.map(|r| r.messages)
            }
            None => {
                let req = SlackApiConversationsHistoryRequest::new()
                    .with_channel(channel.into())
                    .with_oldest(oldest.into())
                    .with_limit(1000)
                    .with_include_all_metadata(true);
                self.timed("conversations.history", None, session.conversations_history(&req)).await.map(|r| r.messages)
            }
        };
        let messages = match found {
            Ok(messages) => messages,
            Err(SlackError::Api(code)) if code == "missing_scope" || code == "not_allowed_token_type" => {
                if !self.history_refused.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(
                        "the workspace has not granted channels:history / groups:history: a post whose answer was \
                         lost cannot be looked up, and may appear twice (reinstall the app with the manifest's scopes)"
                    );
                }
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(messages
            .into_iter()
            .find(|m| {
                m.content.metadata.as_ref().is_some_and(|meta| {
                    meta.event_type == POST_EVENT_TYPE
                        && meta.event_payload.as_ref().and_then(|p| p.get(POST_KEY)).is_some_and(|k| k == key)
                })
            })
            .map(|m| m.origin.ts.to_string()))
    }

    /// The text of the message `ts` in `channel` (`conversations.history`,
    /// then `conversations.replies` for a reply in a thread). None when Slack
    /// will not show it: gone, or in a conversation the app cannot read.
    pub async fn message_text(&self, channel: &str, ts: &str) -> Result<Option<String>, SlackError> {
        let session = self.session();
        let req = SlackApiConversationsHistoryRequest::new()
            .with_channel(channel.into())
            .with_latest(ts.into())
            .with_inclusive(true)
            .with_limit(1);
        let history = self.timed("conversations.history", None, session.conversations_history(&req)).await;
        let messages = match history {
            Ok(found) if found.messages.iter().any(|m| m.origin.ts.0 == ts) => found.messages,
            Ok(_) => {
                let req = SlackApiConversationsRepliesRequest::new(channel.into(), ts.into());
                match self.timed("conversations.replies", None, session.conversations_replies(&req)).await {
                    Ok(found) => found.messages,
                    Err(SlackError::Api(_)) => Vec::new(),
                    Err(e) => return Err(e),
                }
            }
            Err(SlackError::Api(code)) => {
                tracing::info!(code, "Slack would not show a queued message");
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok(messages.into_iter().find(|m| m.origin.ts.0 == ts).map(|m| m.content.text.unwrap_or_default()))
    }

    /// The message this app posted with `key` in its metadata among the
    /// channel's messages since `oldest` (a Slack ts), as Slack shows it:
    /// its `ts`, `text` and `blocks` as JSON. None when there is none. Reads
    /// page after page (newest first, each call paced as every call is) until
    /// it is found or `oldest` is reached.
    pub async fn find_posted_message(
        &self,
        channel: &str,
        oldest: &str,
        key: &str,
    ) -> Result<Option<PostedMessage>, SlackError> {
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_HISTORY_PAGES {
            let params = vec![
                ("channel", Some(channel)),
                ("oldest", Some(oldest)),
                ("limit", Some(HISTORY_PAGE)),
                ("include_all_metadata", Some("true")),
                ("cursor", cursor.as_deref()),
            ];
            let session = self.session();
            let history =
                session.http_session_api.http_get::<RawMessages, _, _>("conversations.history", &params, None);
            let page = match self.timed("conversations.history", None, history).await {
                Ok(page) => page,
                Err(SlackError::Api(code)) if code == "channel_not_found" => return Ok(None),
                Err(e) => return Err(e),
            };
            cursor = page.next_cursor();
            let found = page.messages.into_iter().find(|m| {
                m["metadata"]["event_type"] == POST_EVENT_TYPE && m["metadata"]["event_payload"][POST_KEY] == key
            });
            if let Some(m) = found {
                return Ok(Some(PostedMessage {
                    ts: m["ts"].as_str().unwrap_or_default().to_owned(),
                    text: m["text"].as_str().unwrap_or_default().to_owned(),
                    blocks: m["blocks"].as_array().cloned().unwrap_or_default(),
                }));
            }
            if cursor.is_none() {
                break;
            }
        }
        Ok(None)
    }

    /// The messages of a thread (the parent first), as Slack shows them.
    pub async fn list_thread_messages(&self, channel: &str, ts: &str) -> Result<Vec<Value>, SlackError> {
        let params = vec![("channel", Some(channel)), ("ts", Some(ts)), ("limit", Some("1000"))];
        let session = self.session();
        let replies = session.http_session_api.http_get::<RawMessages, _, _>("conversations.replies", &params, None);
        match self.timed("conversations.replies", None, replies).await {
            Ok(found) => Ok(found.messages),
            Err(SlackError::Api(code)) if code == "thread_not_found" || code == "channel_not_found" => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// `chat.delete` of a message the app posted; one already gone is no error.
    pub async fn delete_message(&self, channel: &str, ts: &str) -> Result<(), SlackError> {
        let req = SlackApiChatDeleteRequest::new(channel.into(), ts.into());
        match self.timed("chat.delete", Some(channel), self.session().chat_delete(&req)).await {
            Ok(_) => Ok(()),
            Err(SlackError::Api(code)) if code == "message_not_found" || code == "channel_not_found" => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `chat.update` of a message the app posted.
    pub async fn update_message(&self, channel: &str, ts: &str, message: &Message) -> Result<(), SlackError> {
        let content = message.content().map_err(|e| SlackError::Encoding(e.to_string()))?;
        let req = SlackApiChatUpdateRequest::new(channel.into(), content, ts.into());
        self.timed("chat.update", Some(channel), self.session().chat_update(&req)).await.map(|_| ())
    }

    /// `chat.getPermalink`.
    pub async fn permalink(&self, channel: &str, ts: &str) -> Result<String, SlackError> {
        let req = SlackApiChatGetPermalinkRequest::new(channel.into(), ts.into());
        Ok(self
            .timed("chat.getPermalink", Some(channel), self.session().chat_get_permalink(&req))
            .await?
            .permalink
            .to_string())
    }

    /// `conversations.open`: the id of the app's direct message with `user`
    /// (a `D…` channel, which `conversations.history` can read, unlike a user id).
    pub async fn open_dm(&self, user: &str) -> Result<String, SlackError> {
        let req = SlackApiConversationsOpenRequest::new().with_users(vec![user.into()]);
        let opened = self.timed("conversations.open", None, self.session().conversations_open(&req)).await?;
        Ok(opened.channel.id.to_string())
    }

    /// `conversations.join` (public channels only).
    pub async fn join_channel(&self, channel: &str) -> Result<(), SlackError> {
        let req = SlackApiConversationsJoinRequest::new(channel.into());
        self.timed("conversations.join", Some(channel), self.session().conversations_join(&req)).await.map(|_| ())
    }

    /// `users.info`.
    pub async fn user_info(&self, user: &str) -> Result<SlackUser, SlackError> {
        let req = SlackApiUsersInfoRequest::new(user.into());
        Ok(self.timed("users.info", None, self.session().users_info(&req)).await?.user)
    }

    /// `views.open` with a trigger id (valid for 3 seconds).
    pub async fn open_view(&self, trigger_id: &str, view: &Value) -> Result<(), SlackError> {
        let view: SlackView = serde_json::from_value(view.clone()).map_err(|e| SlackError::Encoding(e.to_string()))?;
        let req = SlackApiViewsOpenRequest::new(trigger_id.into(), view);
        self.timed("views.open", None, self.session().views_open(&req)).await.map(|_| ())
    }

    /// `views.publish` of a user's App Home.
    pub async fn publish_view(&self, user: &str, view: &Value) -> Result<(), SlackError> {
        let view: SlackView = serde_json::from_value(view.clone()).map_err(|e| SlackError::Encoding(e.to_string()))?;
        let req = SlackApiViewsPublishRequest::new(user.into(), view);
        self.timed("views.publish", None, self.session().views_publish(&req)).await.map(|_| ())
    }

    /// The name Slack shows for a user: display name, else real name, else handle.
    pub async fn user_name(&self, user: &str) -> Result<String, SlackError> {
        let info = self.user_info(user).await?;
        let profile = info.profile.as_ref();
        let candidates = [
            profile.and_then(|p| p.display_name.clone()),
            profile.and_then(|p| p.real_name.clone()),
            info.real_name.clone(),
            info.name.clone(),
        ];
        Ok(candidates.into_iter().flatten().find(|n| !n.trim().is_empty()).unwrap_or_else(|| user.to_owned()))
    }

    /// `users.list`, every page: the workspace's admins and owners (people,
    /// not bots; deactivated accounts left out), by id.
    pub async fn list_admins(&self) -> Result<Vec<String>, SlackError> {
        let mut admins = Vec::new();
        let mut cursor: Option<SlackCursorId> = None;
        loop {
            let mut req = SlackApiUsersListRequest::new().with_limit(200);
            if let Some(next) = cursor.take() {
                req = req.with_cursor(next);
            }
            let page = self.timed("users.list", None, self.session().users_list(&req)).await?;
            admins.extend(
                page.members
                    .into_iter()
                    .filter(|u| u.flags.is_admin == Some(true) || u.flags.is_owner == Some(true))
                    .filter(|u| u.flags.is_bot != Some(true) && u.deleted != Some(true))
                    .map(|u| u.id.to_string()),
            );
            match page.response_metadata.and_then(|m| m.next_cursor).filter(|c| !c.0.is_empty()) {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(admins)
    }

    /// `users.lookupByEmail`: the Slack user with this email.
    pub async fn user_by_email(&self, email: &str) -> Result<SlackUser, SlackError> {
        let req = SlackApiUsersLookupByEmailRequest::new(email.into());
        Ok(self.timed("users.lookupByEmail", None, self.session().users_lookup_by_email(&req)).await?.user)
    }

    /// `views.update` of an open view, guarded by its hash.
    pub async fn update_view(&self, view_id: &str, hash: Option<&str>, view: &Value) -> Result<(), SlackError> {
        let view: SlackView = serde_json::from_value(view.clone()).map_err(|e| SlackError::Encoding(e.to_string()))?;
        let mut req = SlackApiViewsUpdateRequest::new(view).with_view_id(view_id.into());
        if let Some(hash) = hash {
            req = req.with_hash(hash.to_owned());
        }
        self.timed("views.update", None, self.session().views_update(&req)).await.map(|_| ())
    }
}
