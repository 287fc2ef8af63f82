//! The app's context: its shared state ([`AppState`]) and clock ([`Clock`]),
//! which every feature takes. The router and `serve` are in [`crate::server`].

pub mod memo;
pub mod zone;

use std::future::Future;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tokio::sync::Notify;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::config::Config;
use crate::error::AppError;
use crate::install::{self, Admission, Installation};
use crate::metrics::Metrics;
use crate::slack::client::{SlackApi, SlackError};
use crate::store::workspaces::{self, WorkspaceId};
use crate::store::Db;

/// Where the time comes from: the system clock, or a fixed one in tests.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(Timestamp::now))
    }

    /// The system clock, put forward by the milliseconds `ahead` holds: a test
    /// moves time on by adding to it.
    pub fn system_ahead(ahead: Arc<std::sync::atomic::AtomicI64>) -> Self {
        Self(Arc::new(move || {
            let ahead = ahead.load(std::sync::atomic::Ordering::Relaxed);
            Timestamp::now() + jiff::SignedDuration::from_millis(ahead)
        }))
    }

    /// A clock that always says `at`.
    pub fn fixed(at: Timestamp) -> Self {
        Self(Arc::new(move || at))
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        (self.0)()
    }

    /// Now, in unix milliseconds (how the store keeps time).
    pub fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// State shared by every request handler and background job.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    db: Db,
    slack: SlackApi,
    metrics: Arc<Metrics>,
    clock: Clock,
    /// The team the bot token belongs to, once Slack has said.
    installation: Installation,
    /// Wakes the outbox worker when work is queued.
    outbox_wake: Notify,
    /// For `response_url` answers.
    http: reqwest::Client,
    /// People's names, as Slack shows them (looked up once per process).
    names: Mutex<std::collections::HashMap<String, String>>,
    /// Each workspace's recent highlights, for similar quotes (a second).
    memo: memo::Memo,
    /// The shape of each workspace's message links, as Slack gave them.
    permalinks: crate::slack::permalink::Permalinks,
    /// Every task a request started: shutdown waits for them.
    tasks: TaskTracker,
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(config: Config, db: Db, clock: Clock) -> Self {
        let slack = SlackApi::new(&config.slack_api_url, config.bot_token.as_ref(), config.timing.slack_timeout)
            .paced(config.timing.slack_pacing);
        let metrics = Arc::new(Metrics::with_slack(slack.pauses().counter(), slack.calls()));
        Self(Arc::new(Inner {
            config,
            db,
            slack,
            metrics,
            clock,
            installation: Installation::default(),
            outbox_wake: Notify::new(),
            http: reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap_or_default(),
            names: Mutex::new(std::collections::HashMap::new()),
            memo: Default::default(),
            permalinks: Default::default(),
            tasks: TaskTracker::new(),
        }))
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.0.db
    }

    /// The Slack Web API client for `workspace`, with its bot token: the one
    /// it installed by OAuth, else `SLACK_BOT_TOKEN` if that is its team's.
    /// [`SlackError::NotInstalled`] if the app holds no token for it.
    pub async fn slack(&self, workspace: &WorkspaceId) -> Result<SlackApi, SlackError> {
        let Some(oauth) = &self.config().oauth else {
            return Ok(self.0.slack.clone());
        };
        if let Some(token) = self.0.installation.recent_token(workspace.as_str()) {
            return Ok(token.map_or_else(|| self.0.slack.clone(), |t| self.0.slack.with_token(&t)));
        }
        let sealed = crate::store::installations::find_sealed_token(self.db(), workspace)
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
            None if self.config().bot_token.is_some() => match self.token_team().await {
                Ok(token_team) if install::is_ours(token_team, workspace.as_str(), None) => None,
                Ok(_) => return Err(SlackError::NotInstalled),
                Err(_) => return Err(SlackError::TokenUnreadable(UNCONFIRMED.into())),
            },
            None => return Err(SlackError::NotInstalled),
        };
        self.0.installation.note_token(workspace.as_str(), token.clone());
        Ok(token.map_or_else(|| self.0.slack.clone(), |t| self.0.slack.with_token(&t)))
    }

    /// `users.info` for a person of `workspace`.
    pub async fn user_info(
        &self,
        workspace: &WorkspaceId,
        user: &str,
    ) -> Result<slack_morphism::SlackUser, SlackError> {
        self.slack(workspace).await?.user_info(user).await
    }

    /// `HIGHLIGHTS_PRODUCT_CHANNEL`, for the workspaces it applies to: every
    /// one in single-workspace mode, only `SLACK_BOT_TOKEN`'s with OAuth.
    pub fn default_channel(&self, workspace: &WorkspaceId) -> Option<String> {
        let channel = self.config().product_channel.as_ref()?;
        let applies = self.config().oauth.is_none()
            || self.0.installation.known().is_some_and(|team| install::is_ours(team, workspace.as_str(), None));
        applies.then(|| channel.to_string())
    }

    /// The Slack client without a workspace's token (Socket Mode connects with it).
    pub fn slack_api(&self) -> &SlackApi {
        &self.0.slack
    }

    /// The pauses Slack's 429s started, shared by every workspace's calls.
    pub fn slack_pauses(&self) -> &crate::slack::rate::Pauses {
        self.0.slack.pauses()
    }

    /// Reads this replica keeps for a short while (see [`memo`]).
    pub fn memo(&self) -> &memo::Memo {
        &self.0.memo
    }

    /// The shape of each workspace's message links, learned from Slack.
    pub fn permalinks(&self) -> &crate::slack::permalink::Permalinks {
        &self.0.permalinks
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.0.metrics
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// How to name a person in a channel message: their name, escaped, so that
    /// posts credit people without notifying them; a mention if Slack can't say.
    pub async fn person(&self, workspace: &WorkspaceId, user: &str) -> String {
        let key = format!("{}:{user}", workspace.as_str());
        let known = self.0.names.lock().ok().and_then(|names| names.get(&key).cloned());
        if let Some(name) = known {
            return name;
        }
        let name = match self.slack(workspace).await {
            Ok(slack) => slack.user_name(user).await,
            Err(e) => Err(e),
        };
        match name {
            Ok(name) => {
                let label = crate::slack::mrkdwn::escape(&name);
                if let Ok(mut names) = self.0.names.lock() {
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

    /// Runs a request's unit of work on a task of its own and waits for it. A
    /// client that hangs up drops the waiting, never the work: a transaction is
    /// never left half done (Slack itself hangs up after 3 seconds).
    pub async fn run_to_completion<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, AppError> {
        let work = work.instrument(tracing::Span::current());
        self.0.tasks.spawn(work).await.map_err(|e| anyhow::anyhow!("request task ended abnormally: {e}").into())
    }

    /// Starts work that outlives the request (e.g. `views.open`, which must
    /// happen within the trigger's 3 seconds); shutdown waits for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.0.tasks.spawn(work.instrument(tracing::Span::current()));
    }

    /// Waits (at most `limit`) for the tasks requests started.
    pub async fn wait_for_tasks(&self, limit: std::time::Duration) {
        self.0.tasks.close();
        if tokio::time::timeout(limit, self.0.tasks.wait()).await.is_err() {
            tracing::warn!(left = self.0.tasks.len(), "request tasks still running at shutdown");
        }
    }

    /// Queues work for after the ack (coalesced with the same work still
    /// waiting: many changes, one Slack call) and wakes the outbox worker.
    pub async fn queue(
        &self,
        workspace: &WorkspaceId,
        kind: &crate::store::outbox::OutboxKind,
    ) -> Result<(), sqlx::Error> {
        let now = self.clock().now_ms();
        self.db().write(async |tx| crate::store::outbox::upsert_outbox_row(tx, workspace, kind, now).await).await?;
        self.wake_outbox();
        Ok(())
    }

    /// Queues work for after the ack once (a row with the same key is left as
    /// it is) and wakes the outbox worker.
    pub async fn queue_once(
        &self,
        workspace: &WorkspaceId,
        kind: &crate::store::outbox::OutboxKind,
    ) -> Result<(), sqlx::Error> {
        let now = self.clock().now_ms();
        self.db().write(async |tx| crate::store::outbox::insert_outbox_row(tx, workspace, kind, now).await).await?;
        self.wake_outbox();
        Ok(())
    }

    /// Tells the outbox worker that work was queued.
    pub fn wake_outbox(&self) {
        self.0.outbox_wake.notify_one();
    }

    /// Completes when [`wake_outbox`](Self::wake_outbox) is called.
    pub async fn outbox_woken(&self) {
        self.0.outbox_wake.notified().await;
    }

    /// Opens a modal (`views.open`), its `private_metadata` sealed for this
    /// workspace and form ([`crate::slack::verify::seal`]).
    pub async fn open_modal(
        &self,
        workspace: &WorkspaceId,
        trigger_id: &str,
        mut view: serde_json::Value,
    ) -> Result<(), crate::slack::client::SlackError> {
        self.seal_view(workspace, &mut view);
        self.slack(workspace).await?.open_view(trigger_id, &view).await
    }

    /// Replaces an open modal (`views.update`), sealed the same way.
    pub async fn update_modal(
        &self,
        workspace: &WorkspaceId,
        view_id: &str,
        hash: Option<&str>,
        mut view: serde_json::Value,
    ) -> Result<(), crate::slack::client::SlackError> {
        self.seal_view(workspace, &mut view);
        self.slack(workspace).await?.update_view(view_id, hash, &view).await
    }

    fn seal_view(&self, workspace: &WorkspaceId, view: &mut serde_json::Value) {
        let context = view_context(workspace.as_str(), view["callback_id"].as_str().unwrap_or_default());
        let metadata = view["private_metadata"].as_str().unwrap_or_default();
        let sealed = crate::slack::verify::seal(self.config().signing_secret.expose(), &context, metadata);
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
        crate::slack::verify::unseal(self.config().signing_secret.expose(), &context, &view.private_metadata)
    }

    /// Answers through a slash command's or shortcut's `response_url` (logged
    /// and dropped on failure: the user can retry).
    pub async fn respond(&self, response_url: &str, reply: &crate::reply::Reply) {
        match self.0.http.post(response_url).json(reply).send().await {
            Ok(resp) if resp.status().is_success() => {}
            Ok(resp) => tracing::warn!(status = %resp.status(), "response_url refused our answer"),
            // The URL itself lets anyone answer in the channel for 30 minutes: keep it out of logs.
            Err(e) => tracing::warn!(error = %e.without_url(), "cannot reach response_url"),
        }
    }

    /// Whether the app acts for a request's team (docs/design.md, Installed workspaces), and if so makes
    /// sure the workspace is recorded and installed before anything is stored
    /// for it: a request from a workspace that was uninstalled means it was
    /// installed again.
    pub async fn admit(&self, team: &str, enterprise: Option<&str>) -> Result<Admission, AppError> {
        let workspace = WorkspaceId(team.to_owned());
        if self.0.installation.recently_installed(team) {
            self.check_still_installed(team);
            return Ok(Admission::Ours(workspace));
        }
        if !self.acts_for(team, enterprise).await? {
            return Ok(Admission::NotOurs);
        }
        // Read from the database on every call (an installed workspace costs
        // one read), so that a reinstall seen by one replica is seen by all.
        let now = self.clock().now_ms();
        match workspaces::find_uninstalled_at(self.db(), &workspace).await? {
            Some(None) => {}
            None => {
                let areas = &self.config().default_areas;
                let new = self
                    .db()
                    .write(async |tx| workspaces::insert_workspace_if_new(tx, &workspace, areas, now).await)
                    .await?;
                if new {
                    tracing::info!(workspace = team, "new workspace recorded");
                }
            }
            Some(Some(_)) => {
                self.db().write(async |tx| workspaces::update_reinstalled(tx, &workspace, now).await).await?;
                tracing::info!(workspace = team, "the app is installed again; parked posts released");
                self.wake_outbox();
            }
        }
        self.0.installation.note_installed(team, true);
        Ok(Admission::Ours(workspace))
    }

    /// A request admitted from memory may come from a workspace that another
    /// replica saw uninstalled since, and that was installed again: its
    /// reinstall is recorded by a read made soon after (off the request path,
    /// one at a time per workspace, covering every request admitted before
    /// it), as `admit` records it when it reads. Without it, the posts of such
    /// a request waited for the uninstalled workspace's long retry.
    fn check_still_installed(&self, team: &str) {
        let now = self.clock().now_ms();
        if !self.0.installation.note_admitted_unchecked(team, now) {
            return;
        }
        let (state, workspace) = (self.clone(), WorkspaceId(team.to_owned()));
        tokio::spawn(async move {
            tokio::time::sleep(crate::install::CHECKED_WITHIN).await;
            let Some(admitted) = state.0.installation.take_unchecked(workspace.as_str()) else { return };
            let reinstalled = match workspaces::find_uninstalled_at(state.db(), &workspace).await {
                // Uninstalled before a request Slack signed since: installed again.
                Ok(Some(Some(at))) if at < admitted => {
                    let now = state.clock().now_ms();
                    state.db().write(async |tx| workspaces::update_reinstalled(tx, &workspace, now).await).await
                }
                Ok(_) => return,
                Err(e) => Err(e),
            };
            match reinstalled {
                Ok(()) => {
                    tracing::info!(workspace = workspace.as_str(), "the app is installed again; parked posts released");
                    state.wake_outbox();
                }
                Err(e) => tracing::warn!(error = %e, "could not check whether a workspace is still installed"),
            }
        });
    }

    /// Notes that a workspace was just installed by OAuth with `token`.
    pub fn note_installed_with(&self, workspace: &WorkspaceId, token: crate::config::Secret) {
        self.0.installation.note_installed(workspace.as_str(), true);
        self.0.installation.note_token(workspace.as_str(), Some(token));
    }

    /// The HTTP client for everything that is not the Web API proper
    /// (`response_url`, `oauth.v2.access`).
    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// Notes that a workspace was uninstalled (its next request reads the
    /// database again).
    pub fn forget_installed(&self, team: &str) {
        self.0.installation.note_installed(team, false);
    }

    /// Whether the app acts for a request's team, recording the workspace if
    /// it is new but leaving its installed state as it is (for the events
    /// that uninstall it).
    pub async fn admit_as_is(&self, team: &str, enterprise: Option<&str>) -> Result<Admission, AppError> {
        if !self.acts_for(team, enterprise).await? {
            return Ok(Admission::NotOurs);
        }
        let workspace = WorkspaceId(team.to_owned());
        self.db()
            .write(async |tx| {
                workspaces::insert_workspace_if_new(tx, &workspace, &self.config().default_areas, self.clock().now_ms())
                    .await
            })
            .await?;
        Ok(Admission::Ours(workspace))
    }

    /// The workspace (or organisation) the bot token belongs to, asking Slack
    /// briefly if it has not said yet; [`AppError::Unavailable`] if it cannot.
    pub async fn token_team(&self) -> Result<&install::TokenTeam, AppError> {
        if let Some(known) = self.0.installation.known() {
            return Ok(known);
        }
        tokio::time::timeout(install::REQUEST_WAIT, self.0.installation.token_team(&self.0.slack))
            .await
            .map_err(|_| AppError::Unavailable(UNCONFIRMED))?
            .map_err(|e| {
                tracing::warn!(error = %e, "cannot learn the bot token's workspace (auth.test)");
                AppError::Unavailable(UNCONFIRMED)
            })
    }

    /// Whether the app acts for `team` (of `enterprise`). A team id of the
    /// wrong shape is a bad request; a team Slack cannot confirm yet is
    /// [`AppError::Unavailable`].
    async fn acts_for(&self, team: &str, enterprise: Option<&str>) -> Result<bool, AppError> {
        if crate::domain::ids::TeamId::parse(team).is_err() {
            return Err(AppError::BadRequest("malformed team id".into()));
        }
        if self.config().oauth.is_some() {
            let workspace = WorkspaceId(team.to_owned());
            if crate::store::installations::find_sealed_token(self.db(), &workspace).await?.is_some() {
                return Ok(true);
            }
            if self.config().bot_token.is_none() {
                tracing::info!(team, "request from a workspace the app is not installed in refused");
                return Ok(false);
            }
        }
        let token_team = self.token_team().await?;
        let ours = install::is_ours(token_team, team, enterprise);
        if !ours {
            tracing::info!(team, "request from a workspace the app is not installed in refused");
        }
        Ok(ours)
    }
}

impl crate::slack::verify::Verifier for AppState {
    fn signing_secret(&self) -> &str {
        self.config().signing_secret.expose()
    }

    fn now_unix(&self) -> i64 {
        self.clock().now().as_second()
    }
}

fn view_context(workspace: &str, callback_id: &str) -> String {
    format!("{workspace}:{callback_id}")
}

const UNCONFIRMED: &str = "Slack has not confirmed which workspace our bot token is for";

/// Names who a request is from in its span (and in the spans of the work it
/// starts).
pub fn record_requester(team: &str, user: &str) {
    let span = tracing::Span::current();
    span.record("team", team);
    span.record("user", user);
}

/// Learns which workspace the bot token belongs to (`auth.test`), retrying
/// with backoff until Slack answers. Slack being unreachable never stops the
/// app: posts wait in the outbox, and requests ask again.
pub async fn learn_token_team(state: AppState) {
    let mut wait = std::time::Duration::from_secs(1);
    loop {
        match state.0.installation.token_team(&state.0.slack).await {
            Ok(team) => {
                tracing::info!(team = %team.id, name = %team.name, "Slack bot token works; acting for this workspace only");
                return;
            }
            Err(e) => tracing::warn!(error = %e, retry_in = ?wait, "cannot check the Slack bot token (auth.test)"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_secs(60));
    }
}
