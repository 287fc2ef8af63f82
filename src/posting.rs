//! Posting into Slack the way every post goes, shared by the outbox worker and
//! the features (capture's threads, digests, approvals, the App Home,
//! reports): a post made once even when Slack's answer is lost
//! ([`PostOnce`]), a channel joined once when needed and its author told when
//! it cannot be ([`post_in_channel`]), the workspace's product channel, and
//! permalinks built without a call when they can be.
//!
//! Its own layer, between the features and the context: it takes the
//! context's parts ([`Slack`], [`Outbox`], [`Clock`]), so it cannot live in
//! [`crate::slack`] below it,
//! and every feature and [`crate::jobs`] use it, so no feature (capture, which
//! it came from) is a dependency of the others for posting.

use crate::app::{AppState, Clock, Outbox, Slack};
use crate::slack::blocks::Message;
use crate::slack::client::{SlackApi, SlackError};
use crate::slack::mrkdwn::escape;
use crate::slack::permalink;
use crate::slack::permalink::Permalinks;
use crate::store::outbox::OutboxKind;
use crate::store::workspaces::{self, WorkspaceId};
use crate::store::Db;

/// Why a post did not happen (yet).
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// Slack refused or did not answer.
    #[error(transparent)]
    Slack(#[from] SlackError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Another worker is posting this customer's thread parent right now.
    #[error("the customer's thread is being started")]
    ThreadBeingStarted,
    /// It cannot be posted until someone acts (sets a channel, invites the bot).
    #[error("waiting: {0}")]
    Waiting(String),
    /// What was to be posted no longer exists.
    #[error("nothing to post any more")]
    Gone,
}

/// A post's identity in Slack (its outbox row's key, kept in the message's
/// metadata), and whether an earlier attempt may have made it already: then
/// the channel is looked at before posting, so a post whose answer was lost
/// (a timeout after Slack posted, a process killed mid-call) is not made twice.
#[derive(Debug, Clone, Copy)]
pub struct PostOnce<'a> {
    /// Unique within the workspace.
    pub key: &'a str,
    /// An earlier attempt may have posted it.
    pub look_first: bool,
}

/// How far back a top-level post is looked for (a row older than this was
/// not in flight).
const LOOK_BACK_SECS: i64 = 24 * 3600;

/// Posts `message` once (see [`PostOnce`]); returns its `ts`.
pub async fn post_once(
    clock: &Clock,
    slack: &SlackApi,
    channel: &str,
    thread_ts: Option<&str>,
    broadcast: bool,
    message: &Message,
    once: PostOnce<'_>,
) -> Result<String, SlackError> {
    if once.look_first {
        let oldest = match thread_ts {
            Some(_) => "0".to_owned(),
            None => format!("{}.000000", clock.now().as_second() - LOOK_BACK_SECS),
        };
        if let Some(ts) = slack.find_posted(channel, thread_ts, &oldest, once.key).await? {
            tracing::info!(key = once.key, "an earlier attempt had posted this; not posting it again");
            return Ok(ts);
        }
    }
    slack.post_message(channel, thread_ts, broadcast, message, Some(once.key)).await
}

/// The permalink of a message just posted: built like the links Slack gave
/// for the workspace's messages before (see [`permalink`]), or asked for.
pub async fn permalink_of(
    permalinks: &Permalinks,
    slack: &SlackApi,
    workspace: &WorkspaceId,
    message: permalink::Message<'_>,
) -> Result<String, SlackError> {
    if let Some(link) = permalinks.build(workspace.as_str(), message) {
        return Ok(link);
    }
    let link = slack.permalink(message.channel, message.ts).await?;
    permalinks.learn(workspace.as_str(), message, &link);
    Ok(link)
}

/// Where the workspace's highlights go, if anywhere yet.
pub async fn product_channel(db: &Db, slack: &Slack, workspace: &WorkspaceId) -> Result<Option<String>, sqlx::Error> {
    let ws = workspaces::find_workspace(db, workspace).await?;
    Ok(ws.and_then(|w| w.product_channel).or_else(|| slack.default_channel(workspace)))
}

/// Posts a message in a channel the way every channel post goes: joining the
/// channel once if needed, telling `author` (if any) when it cannot, and
/// waiting (not failing) until it can.
pub async fn post_in_channel(
    state: &AppState,
    workspace: &WorkspaceId,
    author: Option<&str>,
    channel: &str,
    message: &Message,
    once: PostOnce<'_>,
) -> Result<String, PostError> {
    let slack = state.slack.client(workspace).await?;
    with_channel_access(&state.slack, &state.outbox, workspace, author, channel, || {
        post_once(&state.clock, &slack, channel, None, false, message, once)
    })
    .await
}

/// Runs a post; when the bot is not in the channel, joins it once and tries
/// again. If it cannot join, tells `author` and waits.
pub async fn with_channel_access<F, Fut>(
    slack: &Slack,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    author: Option<&str>,
    channel: &str,
    post: F,
) -> Result<String, PostError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<String, SlackError>>,
{
    match post().await {
        Err(SlackError::Api(code)) if code == "not_in_channel" => {
            match slack.client(workspace).await?.join_channel(channel).await {
                Ok(()) => Ok(post().await?),
                Err(SlackError::Api(join_code)) => {
                    if let Some(author) = author {
                        let text = format!(
                        "Your highlight is saved, but I can't post in <#{channel}> ({}). Invite me with `/invite @highlights` in that channel and it will be posted.",
                        escape(&join_code)
                    );
                        notify_once(outbox, workspace, author, &format!("not_in_channel:{channel}"), &text).await?;
                    }
                    Err(PostError::Waiting(format!("bot is not in {channel} and cannot join it ({join_code})")))
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(SlackError::Api(code)) if code == "channel_not_found" || code == "is_archived" => {
            if let Some(author) = author {
                let text = format!(
                    "Your highlight is saved, but the product channel <#{channel}> can't be used ({}). \
                     Set another with `/highlight config channel #channel` and it will be posted there.",
                    escape(&code)
                );
                notify_once(outbox, workspace, author, &format!("{code}:{channel}"), &text).await?;
            }
            Err(PostError::Waiting(format!("product channel {channel}: {code}")))
        }
        other => Ok(other?),
    }
}

/// Queues a direct message to a user, once per topic.
async fn notify_once(
    outbox: &Outbox,
    workspace: &WorkspaceId,
    user: &str,
    topic: &str,
    text: &str,
) -> Result<(), sqlx::Error> {
    let kind = OutboxKind::NotifyUser { user: user.to_owned(), text: text.to_owned(), topic: topic.to_owned() };
    outbox.queue_once(workspace, &kind).await?;
    Ok(())
}
