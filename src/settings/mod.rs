//! Workspace settings set from Slack: `/highlight config channel #channel`.

use crate::app::AppState;
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::reply::Reply;
use crate::slack::mrkdwn::mention_id;
use crate::store::outbox::update_outbox_wake_workspace;
use crate::store::triage_queue::update_triage_emoji;
use crate::store::workspaces::{update_product_channel, update_report_endorsed_only, WorkspaceId};

/// Reads `config channel <#C123|name>`: the channel's id.
pub fn parse_channel(arg: &str) -> Result<String, UserError> {
    mention_id(arg, '#').ok_or_else(|| {
        UserError::new("Name the channel with a #mention, e.g. `/highlight config channel #product-feedback`.")
    })
}

/// Sets the product channel (an id, from a channel mention), and releases
/// every highlight that was waiting for one.
pub async fn set_channel(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    channel: String,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration").await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    update_product_channel(&mut tx, workspace, &channel, now).await?;
    let woken = update_outbox_wake_workspace(&mut tx, workspace, now).await?;
    tx.commit().await?;
    state.outbox.wake();
    let waiting = if woken > 0 { " Highlights that were waiting are being posted now." } else { "" };
    Ok(Reply::ephemeral(format!(
        "Highlights will be posted to <#{channel}>, one thread per customer.{waiting} \
         For a private channel, invite me there first with `/invite @highlights`."
    )))
}

/// Reads `config report endorsed-only on|off`: whether reports count
/// endorsed quotes only.
pub fn parse_report(arg: &str) -> Result<bool, UserError> {
    let words: Vec<String> = arg.split_whitespace().map(str::to_lowercase).collect();
    match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["endorsed-only", "on"] => Ok(true),
        ["endorsed-only", "off"] => Ok(false),
        _ => Err(UserError::new(format!(
            "Say `/highlight config report endorsed-only on` (reports count endorsed quotes only) or `… off`.\n{}",
            crate::reply::echo(&format!("config report {arg}"))
        ))),
    }
}

/// `config report endorsed-only on|off`: whether month-end reports count
/// (and show) endorsed quotes only.
pub async fn set_report(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    endorsed_only: bool,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration").await?;
    state
        .db
        .write(async |tx| update_report_endorsed_only(tx, workspace, endorsed_only, state.clock.now_ms()).await)
        .await?;
    Ok(Reply::ephemeral(if endorsed_only {
        "Month-end reports now count endorsed quotes only: a feature is backed by 3 endorsed quotes from 3 customers. \
         Managers endorse a highlight with ✅ on its reply, or its Endorse button."
    } else {
        "Month-end reports count every quote again."
    }))
}

/// Reads `config pii-scrub on|off`.
pub fn parse_pii_scrub(arg: &str) -> Result<bool, UserError> {
    match arg.trim().to_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(UserError::new(format!(
            "Say `/highlight config pii-scrub on` (e-mail addresses and phone numbers in quotes are saved as [email] and [phone]) or `… off`.\n{}",
            crate::reply::echo(&format!("config pii-scrub {arg}"))
        ))),
    }
}

/// `config pii-scrub on|off`: whether captures keep e-mail addresses and
/// phone numbers out of what is stored and posted.
pub async fn set_pii_scrub(state: &AppState, workspace: &WorkspaceId, user: &str, on: bool) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration").await?;
    state
        .db
        .write(async |tx| crate::store::workspaces::update_pii_scrub(tx, workspace, on, state.clock.now_ms()).await)
        .await?;
    Ok(Reply::ephemeral(if on {
        "E-mail addresses and phone numbers in quotes, takeaways and triaged messages are now saved as `[email]` and \
         `[phone]`, in every capture from now on."
    } else {
        "PII scrubbing is off: quotes, takeaways and triaged messages are saved as typed, e-mail addresses and phone \
         numbers included. `/highlight config pii-scrub on` turns it back on."
    }))
}

/// Reads `config triage-emoji <name>`: an emoji's name, lowercase, without
/// colons, and not the endorsement's.
pub fn parse_triage_emoji(arg: &str) -> Result<String, UserError> {
    let name = arg.trim().trim_matches(':').to_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '\''));
    if !valid {
        return Err(UserError::new(format!(
            "Name an emoji, e.g. `/highlight config triage-emoji :inbox_tray:` (the default).\n{}",
            crate::reply::echo(&format!("config triage-emoji {arg}"))
        )));
    }
    if name == crate::endorsements::REACTION {
        return Err(UserError::new(
            ":white_check_mark: is how managers endorse a highlight: choose another emoji for triage.",
        ));
    }
    Ok(name)
}

/// `config triage-emoji <name>` (read): the reaction that queues a message for triage.
pub async fn set_triage_emoji(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    name: String,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration").await?;
    state.db.write(async |tx| update_triage_emoji(tx, workspace, &name, state.clock.now_ms()).await).await?;
    Ok(Reply::ephemeral(format!(
        "Reacting with :{name}: to a message in a channel I'm in now queues it for triage in your App Home."
    )))
}
