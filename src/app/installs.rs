//! The context's installation part ([`Installs`]): which workspaces the app
//! acts for, admitting every request first (docs/design.md, Installed
//! workspaces). What the process remembers is [`crate::install`]'s; whether a
//! workspace is installed *now* lives in the database.

use std::sync::Arc;

use super::{Clock, Outbox};
use crate::config::{Config, Secret};
use crate::error::AppError;
use crate::install::{self, Admission, Installation};
use crate::slack::client::SlackApi;
use crate::store::workspaces::{self, WorkspaceId};
use crate::store::Db;

/// Admits requests, and remembers installs, uninstalls, bot tokens and the
/// token's team. Cheap to clone: clones share what they remember.
#[derive(Debug, Clone)]
pub struct Installs {
    /// What this process knows about its installations.
    pub(super) installation: Arc<Installation>,
    /// The client with `SLACK_BOT_TOKEN`, for `auth.test`.
    pub(super) api: SlackApi,
    pub(super) db: Db,
    pub(super) config: Arc<Config>,
    clock: Clock,
    /// Woken when a reinstall releases parked posts.
    outbox: Outbox,
}

impl Installs {
    /// The installation part over the other parts it reads and wakes.
    pub fn new(api: SlackApi, db: Db, config: Arc<Config>, clock: Clock, outbox: Outbox) -> Self {
        Self { installation: Arc::default(), api, db, config, clock, outbox }
    }

    /// Whether the app acts for a request's team (docs/design.md, Installed workspaces), and if so makes
    /// sure the workspace is recorded and installed before anything is stored
    /// for it: a request from a workspace that was uninstalled means it was
    /// installed again.
    pub async fn admit(&self, team: &str, enterprise: Option<&str>) -> Result<Admission, AppError> {
        let workspace = WorkspaceId(team.to_owned());
        if self.installation.recently_installed(team) {
            self.check_still_installed(team);
            return Ok(Admission::Ours(workspace));
        }
        if !self.acts_for(team, enterprise).await? {
            return Ok(Admission::NotOurs);
        }
        // Read from the database on every call (an installed workspace costs
        // one read), so that a reinstall seen by one replica is seen by all.
        let now = self.clock.now_ms();
        match workspaces::find_uninstalled_at(&self.db, &workspace).await? {
            Some(None) => {}
            None => {
                let areas = &self.config.default_areas;
                let new = self
                    .db
                    .write(async |tx| workspaces::insert_workspace_if_new(tx, &workspace, areas, now).await)
                    .await?;
                if new {
                    tracing::info!(workspace = team, "new workspace recorded");
                }
            }
            Some(Some(_)) => {
                self.db.write(async |tx| workspaces::update_reinstalled(tx, &workspace, now).await).await?;
                tracing::info!(workspace = team, "the app is installed again; parked posts released");
                self.outbox.wake();
            }
        }
        self.installation.note_installed(team, true);
        Ok(Admission::Ours(workspace))
    }

    /// A request admitted from memory may come from a workspace that another
    /// replica saw uninstalled since, and that was installed again: its
    /// reinstall is recorded by a read made soon after (off the request path,
    /// one at a time per workspace, covering every request admitted before
    /// it), as `admit` records it when it reads. Without it, the posts of such
    /// a request waited for the uninstalled workspace's long retry.
    fn check_still_installed(&self, team: &str) {
        let now = self.clock.now_ms();
        if !self.installation.note_admitted_unchecked(team, now) {
            return;
        }
        let (installs, workspace) = (self.clone(), WorkspaceId(team.to_owned()));
        tokio::spawn(async move {
            tokio::time::sleep(crate::install::CHECKED_WITHIN).await;
            let Some(admitted) = installs.installation.take_unchecked(workspace.as_str()) else { return };
            let reinstalled = match workspaces::find_uninstalled_at(&installs.db, &workspace).await {
                // Uninstalled before a request Slack signed since: installed again.
                Ok(Some(Some(at))) if at < admitted => {
                    let now = installs.clock.now_ms();
                    installs.db.write(async |tx| workspaces::update_reinstalled(tx, &workspace, now).await).await
                }
                Ok(_) => return,
                Err(e) => Err(e),
            };
            match reinstalled {
                Ok(()) => {
                    tracing::info!(workspace = workspace.as_str(), "the app is installed again; parked posts released");
                    installs.outbox.wake();
                }
                Err(e) => tracing::warn!(error = %e, "could not check whether a workspace is still installed"),
            }
        });
    }

    /// Notes that a workspace was just installed by OAuth with `token`.
    pub fn note_installed_with(&self, workspace: &WorkspaceId, token: Secret) {
        self.installation.note_installed(workspace.as_str(), true);
        self.installation.note_token(workspace.as_str(), Some(token));
    }

    /// Notes that a workspace was uninstalled (its next request reads the
    /// database again).
    pub fn forget_installed(&self, team: &str) {
        self.installation.note_installed(team, false);
    }

    /// Whether the app acts for a request's team, recording the workspace if
    /// it is new but leaving its installed state as it is (for the events
    /// that uninstall it).
    pub async fn admit_as_is(&self, team: &str, enterprise: Option<&str>) -> Result<Admission, AppError> {
        if !self.acts_for(team, enterprise).await? {
            return Ok(Admission::NotOurs);
        }
        let workspace = WorkspaceId(team.to_owned());
        self.db
            .write(async |tx| {
                workspaces::insert_workspace_if_new(tx, &workspace, &self.config.default_areas, self.clock.now_ms())
                    .await
            })
            .await?;
        Ok(Admission::Ours(workspace))
    }

    /// The workspace (or organisation) the bot token belongs to, asking Slack
    /// briefly if it has not said yet; [`AppError::Unavailable`] if it cannot.
    pub async fn token_team(&self) -> Result<&install::TokenTeam, AppError> {
        if let Some(known) = self.installation.known() {
            return Ok(known);
        }
        tokio::time::timeout(install::REQUEST_WAIT, self.installation.token_team(&self.api))
            .await
            .map_err(|_| AppError::Unavailable(UNCONFIRMED))?
            .map_err(|e| {
                tracing::warn!(error = %e, "cannot learn the bot token's workspace (auth.test)");
                AppError::Unavailable(UNCONFIRMED)
            })
    }

    /// Learns which workspace the bot token belongs to (`auth.test`), retrying
    /// with backoff until Slack answers. Slack being unreachable never stops the
    /// app: posts wait in the outbox, and requests ask again.
    pub async fn learn_token_team(self) {
        let mut wait = std::time::Duration::from_secs(1);
        loop {
            match self.installation.token_team(&self.api).await {
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

    /// Whether the app acts for `team` (of `enterprise`). A team id of the
    /// wrong shape is a bad request; a team Slack cannot confirm yet is
    /// [`AppError::Unavailable`].
    async fn acts_for(&self, team: &str, enterprise: Option<&str>) -> Result<bool, AppError> {
        if crate::ids::TeamId::parse(team).is_err() {
            return Err(AppError::BadRequest("malformed team id".into()));
        }
        if self.config.oauth.is_some() {
            let workspace = WorkspaceId(team.to_owned());
            if crate::store::installations::find_sealed_token(&self.db, &workspace).await?.is_some() {
                return Ok(true);
            }
            if self.config.bot_token.is_none() {
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

/// Why a request is told to try again while `auth.test` has not answered.
pub(super) const UNCONFIRMED: &str = "Slack has not confirmed which workspace our bot token is for";
