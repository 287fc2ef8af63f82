//! Endorsement (docs/design.md, Behaviour): a manager vouches for a highlight by reacting with
//! :white_check_mark: on its thread reply, or with the reply's Endorse button;
//! the reply then shows who endorsed it, and a report can count endorsed
//! quotes only (`config report endorsed-only on`).

use crate::app::{AppState, Clock, Outbox};
use crate::capture::messages::{ENDORSE_ACTION, WITHDRAW_ACTION};
use crate::error::AppError;
use crate::permissions;
use crate::reply::Reply;
use crate::slack::interaction::Action;
use crate::slack::payload::Reaction;
use crate::store::highlights::{find_highlight_by_post, update_highlight_endorsement, Endorsement};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The reaction that endorses.
pub const REACTION: &str = "white_check_mark";

/// Whether a button is one of a reply's endorsement buttons.
pub fn is_endorsement_action(action_id: &str) -> bool {
    action_id == ENDORSE_ACTION || action_id == WITHDRAW_ACTION
}

/// A click on a reply's Endorse (or Withdraw) button. Someone who may not
/// endorse is told so, only them.
pub async fn click(state: &AppState, workspace: &WorkspaceId, user: &str, action: &Action) -> Result<(), AppError> {
    let Ok(highlight_id) = action.value.parse::<i64>() else {
        tracing::warn!(value = action.value, "an endorsement button without a highlight id ignored");
        return Ok(());
    };
    if let Err(refusal) = permissions::require_endorser(&state.config, &state.slack, workspace, user).await {
        if let Some(url) = &action.response_url {
            state.slack.respond(url, &Reply::ephemeral(refusal.0)).await;
        }
        return Ok(());
    }
    let change = if action.action_id == ENDORSE_ACTION { Endorsement::By(user) } else { Endorsement::Withdrawn };
    endorse(&state.db, &state.clock, &state.outbox, workspace, highlight_id, change).await
}

/// A reaction added to or removed from a message: the endorsement reaction
/// on a highlight's reply, by someone who may endorse, endorses it; removing
/// it withdraws their own endorsement. Any other reaction is not ours.
pub async fn reacted(state: &AppState, workspace: &WorkspaceId, reaction: &Reaction) -> Result<bool, AppError> {
    if reaction.name != REACTION {
        return Ok(false);
    }
    let Some(highlight_id) = find_highlight_by_post(&state.db, workspace, &reaction.channel, &reaction.ts).await?
    else {
        return Ok(false);
    };
    if let Err(refusal) = permissions::require_endorser(&state.config, &state.slack, workspace, &reaction.user).await {
        // A ✅ is common in Slack: someone who may not endorse is left alone.
        tracing::info!(
            user = reaction.user,
            why = refusal.0,
            "a ✅ on a highlight by someone who may not endorse ignored"
        );
        return Ok(true);
    }
    let change =
        if reaction.added { Endorsement::By(&reaction.user) } else { Endorsement::WithdrawnBy(&reaction.user) };
    endorse(&state.db, &state.clock, &state.outbox, workspace, highlight_id, change).await?;
    Ok(true)
}

async fn endorse(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    highlight_id: i64,
    change: Endorsement<'_>,
) -> Result<(), AppError> {
    if db
        .write(async |tx| update_highlight_endorsement(tx, workspace, highlight_id, change, clock.now_ms()).await)
        .await?
    {
        outbox.wake();
    }
    Ok(())
}
