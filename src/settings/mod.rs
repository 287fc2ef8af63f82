//! Workspace settings set from Slack: `/highlight config channel #channel`.

use crate::app::AppState;
use crate::commands::Reply;
use crate::error::AppError;
use crate::permissions;
use crate::slack::mrkdwn::mention_id;
use crate::store::outbox::update_outbox_wake_workspace;
use crate::store::workspaces::{update_product_channel, WorkspaceId};

/// Sets the product channel from a channel mention (`<#C123|name>`), and
/// releases every highlight that was waiting for one.
pub async fn set_channel(state: &AppState, workspace: &WorkspaceId, user: &str, arg: &str) -> Result<Reply, AppError> {
    let Some(channel) = mention_id(arg, '#') else {
        return Ok(Reply::ephemeral(
            "Name the channel with a #mention, e.g. `/highlight config channel #product-feedback`.",
        ));
    };
    if let Err(refusal) = permissions::require_manager(state, user, "change the configuration").await {
        return Ok(Reply::ephemeral(refusal.0));
    }
    let now = state.clock().now_ms();
    update_product_channel(state.db(), workspace, &channel, now).await?;
    let woken = update_outbox_wake_workspace(state.db(), workspace, now).await?;
    state.wake_outbox();
    let waiting = if woken > 0 { " Highlights that were waiting are being posted now." } else { "" };
    Ok(Reply::ephemeral(format!(
        "Highlights will be posted to <#{channel}>, one thread per customer.{waiting} \
         For a private channel, invite me there first with `/invite @highlights`."
    )))
}

/// Today's date where the workspace is (its digest time zone, or UTC): the
/// default interview date, and the limit for "in the future".
pub async fn workspace_today(state: &AppState, workspace: &WorkspaceId) -> Result<time::Date, sqlx::Error> {
    let utc = state.clock().now();
    let zone = crate::store::digests::find_digest_settings(state.db(), workspace).await?.and_then(|s| s.time_zone);
    let Some(zone) = zone.and_then(|z| crate::digests::schedule::time_zone(&z).ok()) else {
        return Ok(utc.date());
    };
    let local = jiff::Timestamp::from_second(utc.unix_timestamp())
        .map(|t| t.to_zoned_datetime(zone).date())
        .ok()
        .and_then(|d| {
            time::Date::from_calendar_date(
                i32::from(d.year()),
                time::Month::try_from(d.month() as u8).ok()?,
                d.day() as u8,
            )
            .ok()
        });
    Ok(local.unwrap_or(utc.date()))
}
