//! The context's Slack part ([`Slack`]): the Web API client for each
//! workspace (with the bot token it installed), the calls features make on a
//! request's path (people, modals, `response_url`), and the product channel.
//! Posts go through the outbox instead ([`crate::posting`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::installs::UNCONFIRMED;
use super::Installs;
use crate::config::Config;
use crate::install;
use crate::slack::client::{SlackApi, SlackError};
use crate::store::workspaces::WorkspaceId;

/// Slack, as features reach it. Cheap to clone: clones share the client, the
/// names looked up and the pauses Slack's 429s started.
#[derive(Debug, Clone)]
pub struct Slack {
    /// The client with `SLACK_BOT_TOKEN` (or none), which each workspace's
    /// client is made from.
    api: SlackApi,
    config: Arc<Config>,
    /// Which bot token each workspace uses, and the token's team.
    installs: Installs,
    /// For `response_url` answers and `oauth.v2.access`.
    http: reqwest::Client,
    /// People's names, as Slack shows them (looked up once per process).
    names: Arc<Mutex<HashMap<String, String>>>,
}

impl Slack {
    /// The Slack part over the base client `api`, which picks each
    /// workspace's token through `installs`.
    pub fn new(api: SlackApi, config: Arc<Config>, installs: Installs) -> Self {
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap_or_default();
        Self { api, config, installs, http, names: Arc::default() }
    }

    /// The Slack Web API client for `workspace`, with its bot token: the one
    /// it installed by OAuth, else `SLACK_BOT_TOKEN` if that is its team's.
    /// [`SlackError::NotInstalled`] if the app holds no token for it.
    pub async fn client(&self, workspace: &WorkspaceId) -> Result<SlackApi, SlackError> {
        let Some(oauth) = &self.config.oauth else {
            return Ok(self.api.clone());
        };
        let installation = &self.installs.installation;
        if let Some(token) = installation.recent_token(workspace.as_str()) {
            return Ok(token.map_or_else(|| self.api.clone(), |t| self.api.with_token(&t)));
        }
        let sealed = crate::store::installations::find_sealed_token(&self.installs.db, workspace)
            .await
            .map_err(|e| SlackError::TokenUnreadable(crate::error::chain(&e)))?;
        let token = match sealed {
            Some(sealed) => match oauth.keys.open(workspace.as_str(), &sealed) {
                Ok(token) => Some(token),
                Err(e) => {
                    tracing::error!(workspace = workspace.as_str(), error = %e, "cannot use the workspace's bot token");
                    return Err(SlackError::NotInstalled);
                }
            },
            None if self.config.bot_token.is_some() => match self.installs.token_team().await {
                Ok(token_team) if install::is_ours(token_team, workspace.as_str(), None) => None,
                Ok(_) => return Err(SlackError::NotInstalled),
                Err(_) => return Err(SlackError::TokenUnreadable(UNCONFIRMED.into())),
            },
            None => return Err(SlackError::NotInstalled),
        };
        installation.note_token(workspace.as_str(), token.clone());
        Ok(token.map_or_else(|| self.api.clone(), |t| self.api.with_token(&t)))
    }

    /// `users.info` for a person of `workspace`.
    pub async fn user_info(
        &self,
        workspace: &WorkspaceId,
        user: &str,
    ) -> Result<slack_morphism::SlackUser, SlackError> {
        self.client(workspace).await?.user_info(user).await
    }

    /// `HIGHLIGHTS_PRODUCT_CHANNEL`, for the workspaces it applies to: every
    /// one in single-workspace mode, only `SLACK_BOT_TOKEN`'s with OAuth.
    pub fn default_channel(&self, workspace: &WorkspaceId) -> Option<String> {
        let channel = self.config.product_channel.as_ref()?;
        let applies = self.config.oauth.is_none()
            || self.installs.installation.known().is_some_and(|team| install::is_ours(team, workspace.as_str(), None));
        applies.then(|| channel.to_string())
    }

    /// The Slack client without a workspace's token (Socket Mode connects with it).
    pub fn api(&self) -> &SlackApi {
        &self.api
    }

    /// The pauses Slack's 429s started, shared by every workspace's calls.
    pub fn pauses(&self) -> &crate::slack::rate::Pauses {
        self.api.pauses()
    }

    /// The HTTP client for everything that is not the Web API proper
    /// (`response_url`, `oauth.v2.access`).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// How to name a person in a channel message: their name, escaped, so that
    /// posts credit people without notifying them; a mention if Slack can't say.
    pub async fn person(&self, workspace: &WorkspaceId, user: &str) -> String {
        let key = format!("{}:{user}", workspace.as_str());
        let known = self.names.lock().ok().and_then(|names| names.get(&key).cloned());
        if let Some(name) = known {
            return name;
        }
        let name = match self.client(workspace).await {
            Ok(slack) => slack.user_name(user).await,
            Err(e) => Err(e),
        };
        match name {
            Ok(name) => {
                let label = crate::slack::mrkdwn::escape(&name);
                if let Ok(mut names) = self.names.lock() {
                    names.insert(key, label.clone());
                }
                label
            }
            Err(e) => {
                tracing::debug!(error = %e, "no name for a user; mentioning them instead");
                format!("<@{user}>")
            }
        }
    }

    /// Opens a modal (`views.open`), its `private_metadata` sealed for this
    /// workspace and form ([`crate::slack::verify::seal`]).
    pub async fn open_modal(
        &self,
        workspace: &WorkspaceId,
        trigger_id: &str,
        mut view: serde_json::Value,
    ) -> Result<(), SlackError> {
        self.seal_view(workspace, &mut view);
        self.client(workspace).await?.open_view(trigger_id, &view).await
    }

    /// Replaces an open modal (`views.update`), sealed the same way.
    pub async fn update_modal(
        &self,
        workspace: &WorkspaceId,
        view_id: &str,
        hash: Option<&str>,
        mut view: serde_json::Value,
    ) -> Result<(), SlackError> {
        self.seal_view(workspace, &mut view);
        self.client(workspace).await?.update_view(view_id, hash, &view).await
    }

    fn seal_view(&self, workspace: &WorkspaceId, view: &mut serde_json::Value) {
        let context = view_context(workspace.as_str(), view["callback_id"].as_str().unwrap_or_default());
        let metadata = view["private_metadata"].as_str().unwrap_or_default();
        let sealed = crate::slack::verify::seal(self.config.signing_secret.expose(), &context, metadata);
        view["private_metadata"] = serde_json::Value::String(sealed);
    }

    /// The `private_metadata` of a view Slack sent back, if this app opened
    /// it, for this workspace and form.
    pub fn unseal_view<'a>(
        &self,
        workspace: &WorkspaceId,
        view: &'a crate::slack::interaction::View,
    ) -> Option<&'a str> {
        let context = view_context(workspace.as_str(), &view.callback_id);
        crate::slack::verify::unseal(self.config.signing_secret.expose(), &context, &view.private_metadata)
    }

    /// Answers through a slash command's or shortcut's `response_url` (logged
    /// and dropped on failure: the user can retry).
    pub async fn respond(&self, response_url: &str, reply: &crate::reply::Reply) {
        match self.http.post(response_url).json(reply).send().await {
            Ok(resp) if resp.status().is_success() => {}
            Ok(resp) => tracing::warn!(status = %resp.status(), "response_url refused our answer"),
            // The URL itself lets anyone answer in the channel for 30 minutes: keep it out of logs.
            Err(e) => tracing::warn!(error = %e.without_url(), "cannot reach response_url"),
        }
    }
}

fn view_context(workspace: &str, callback_id: &str) -> String {
    format!("{workspace}:{callback_id}")
}
