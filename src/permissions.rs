//! Who may manage (docs/design.md, The `/highlight` grammar): everyone while `HIGHLIGHTS_MANAGERS` is
//! unset; otherwise the users listed there, and workspace admins and owners.
//! Endorsing a highlight (docs/design.md, Behaviour) always needs a listed manager, an admin
//! or an owner.

use crate::app::Slack;
use crate::config::Config;
use crate::error::UserError;
use crate::slack::client::{SlackError, IN_ACK_TIMEOUT};
use crate::store::workspaces::WorkspaceId;

/// Ok when `user` may do the managing action described by `what`; otherwise the
/// refusal to show them.
pub async fn require_manager(
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    what: &str,
) -> Result<(), UserError> {
    if config.managers.is_empty() {
        return Ok(());
    }
    require_listed_or_admin(config, slack, workspace, user, what).await
}

/// Ok when `user` may endorse highlights (docs/design.md, Behaviour): a manager listed in
/// `HIGHLIGHTS_MANAGERS`, or a workspace admin or owner, whether or not the
/// list is set (an endorsement is a manager's word, not everyone's).
pub async fn require_endorser(
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
) -> Result<(), UserError> {
    require_listed_or_admin(config, slack, workspace, user, "endorse highlights").await
}

async fn require_listed_or_admin(
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    what: &str,
) -> Result<(), UserError> {
    let managers = &config.managers;
    if managers.iter().any(|m| m.as_str() == user) {
        return Ok(());
    }
    // Inside Slack's 3-second acknowledgement.
    let info = tokio::time::timeout(IN_ACK_TIMEOUT, slack.user_info(workspace, user)).await;
    match info.unwrap_or(Err(SlackError::Timeout(IN_ACK_TIMEOUT))) {
        Ok(info) if info.flags.is_admin == Some(true) || info.flags.is_owner == Some(true) => Ok(()),
        Ok(_) if managers.is_empty() => Err(UserError::new(format!("Only workspace admins and owners can {what}."))),
        Ok(_) => Err(UserError::new(format!(
            "Only the app's managers and workspace admins can {what}. Ask one of: {}.",
            managers.iter().map(|m| format!("<@{m}>")).collect::<Vec<_>>().join(", ")
        ))),
        Err(e) => {
            tracing::warn!(error = %e, "could not check whether a user is an admin");
            Err(UserError::new(format!(
                "I couldn't check with Slack whether you may {what}. Nothing was changed; please try again in a minute."
            )))
        }
    }
}
