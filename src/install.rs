//! Which workspaces the app acts for (docs/design.md, Installed workspaces). In single-workspace
//! mode that is the team of `SLACK_BOT_TOKEN`, as `auth.test` names it: a
//! signed request from any other team is refused and changes nothing, because
//! our token would post its data into our channel.
//!
//! The team is learned once per process (checked at start, retried with
//! backoff until Slack answers); a request that arrives before Slack has
//! answered asks `auth.test` itself, briefly, and is told to try again if
//! Slack still cannot say. Whether a workspace is installed *now* (it may have
//! been uninstalled and installed again) lives in the database, so every
//! replica agrees: see [`crate::app::Installs::admit`].

use std::time::Duration;

use tokio::sync::OnceCell;

use crate::config::Secret;
use crate::slack::client::{SlackApi, SlackError};

/// How long a request waits for `auth.test` when the team is not known yet
/// (Slack hangs up after 3 seconds).
pub const REQUEST_WAIT: Duration = Duration::from_millis(1500);

/// The workspace (or Enterprise Grid organisation) the bot token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenTeam {
    /// `T…` for a workspace install, `E…` for an organisation-wide one.
    pub id: String,
    /// The team's name, for logs.
    pub name: String,
}

/// Whether a request's team is one the app acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Ours: store and post for it.
    Ours(crate::store::workspaces::WorkspaceId),
    /// Signed by Slack, but from a team the app is not installed in.
    NotOurs,
}

/// How long a replica trusts that a workspace it found installed still is,
/// before reading it again. Installs and uninstalls are made by people, minutes
/// apart: a second bounds how stale a replica can be, and spares the request
/// path a read.
pub const INSTALLED_FOR: Duration = Duration::from_secs(1);

/// A request admitted from memory is followed, this long after, by a read of
/// whether its workspace is still installed: one read covers every request
/// of the workspace admitted meanwhile.
pub const CHECKED_WITHIN: Duration = Duration::from_millis(20);

/// What the process knows about its installation.
#[derive(Debug, Default)]
pub struct Installation {
    token_team: OnceCell<TokenTeam>,
    /// Workspaces found installed, and when.
    seen_installed: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// Workspaces with requests admitted from memory and not yet checked
    /// against the database, with the latest such admission (unix ms).
    unchecked: std::sync::Mutex<std::collections::HashMap<String, i64>>,
    /// OAuth: bot tokens opened, by workspace, and when (None: the workspace
    /// uses `SLACK_BOT_TOKEN`).
    tokens: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Option<Secret>)>>,
}

impl Installation {
    /// Whether `team` was found installed less than [`INSTALLED_FOR`] ago.
    pub fn recently_installed(&self, team: &str) -> bool {
        let seen = self.seen_installed.lock().ok().and_then(|seen| seen.get(team).copied());
        seen.is_some_and(|at| at.elapsed() < INSTALLED_FOR)
    }

    /// Notes a request of `team` admitted from memory at `now_ms`; true when
    /// no check of the workspace is waiting yet (the caller starts one).
    pub fn note_admitted_unchecked(&self, team: &str, now_ms: i64) -> bool {
        let Ok(mut unchecked) = self.unchecked.lock() else { return false };
        unchecked.insert(team.to_owned(), now_ms).is_none()
    }

    /// The latest admission of `team` not checked yet, taken by the check
    /// about to read (a request admitted after this starts the next check).
    pub fn take_unchecked(&self, team: &str) -> Option<i64> {
        self.unchecked.lock().ok()?.remove(team)
    }

    /// The bot token `team` was found to use less than [`INSTALLED_FOR`] ago:
    /// `Some(None)` for `SLACK_BOT_TOKEN`.
    pub fn recent_token(&self, team: &str) -> Option<Option<Secret>> {
        let tokens = self.tokens.lock().ok()?;
        let (at, token) = tokens.get(team)?;
        (at.elapsed() < INSTALLED_FOR).then(|| token.clone())
    }

    /// Notes the bot token `team` uses (None: `SLACK_BOT_TOKEN`).
    pub fn note_token(&self, team: &str, token: Option<Secret>) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(team.to_owned(), (std::time::Instant::now(), token));
        }
    }

    /// Notes that `team` was found installed (or, `false`, that it no longer
    /// is, and its token is forgotten).
    pub fn note_installed(&self, team: &str, installed: bool) {
        if !installed {
            if let Ok(mut tokens) = self.tokens.lock() {
                tokens.remove(team);
            }
        }
        if let Ok(mut seen) = self.seen_installed.lock() {
            if installed {
                seen.insert(team.to_owned(), std::time::Instant::now());
            } else {
                seen.remove(team);
            }
        }
    }

    /// The token's team, asking Slack (`auth.test`) if it is not known yet.
    /// Concurrent callers share one call.
    pub async fn token_team(&self, slack: &SlackApi) -> Result<&TokenTeam, SlackError> {
        self.token_team
            .get_or_try_init(|| async {
                let me = slack.auth_test().await?;
                Ok(TokenTeam { id: me.team_id.to_string(), name: me.team })
            })
            .await
    }

    /// The token's team, if Slack has already said.
    pub fn known(&self) -> Option<&TokenTeam> {
        self.token_team.get()
    }
}

/// Whether a request from `team` (in `enterprise`, on Enterprise Grid) is
/// for the token's team: the same workspace, or any workspace of the
/// organisation an org-wide token belongs to.
pub fn is_ours(token_team: &TokenTeam, team: &str, enterprise: Option<&str>) -> bool {
    token_team.id == team || (token_team.id.starts_with('E') && enterprise == Some(token_team.id.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_wide_token_acts_for_its_organisations_workspaces_only() {
        let workspace = TokenTeam { id: "T0TEAM0001".into(), name: "Acme".into() };
        assert!(is_ours(&workspace, "T0TEAM0001", None));
        assert!(is_ours(&workspace, "T0TEAM0001", Some("E0ORG0001")));
        assert!(!is_ours(&workspace, "T0OTHER001", Some("E0ORG0001")));
        let org = TokenTeam { id: "E0ORG0001".into(), name: "Acme Org".into() };
        assert!(is_ours(&org, "T0TEAM0001", Some("E0ORG0001")));
        assert!(!is_ours(&org, "T0TEAM0001", Some("E0ELSE001")));
        assert!(!is_ours(&org, "T0TEAM0001", None));
    }
}
