//! `/highlight merge <from> into <to>`: two customers become one. Highlights,
//! interviews and aliases move to the survivor, later captures under either
//! name go to its thread, and the old thread's parent points to the new one.

use crate::app::AppState;
use crate::customers::view::resolve;
use crate::domain::CustomerName;
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::reply::Reply;
use crate::slack::mrkdwn::escape;
use crate::store::customers;
use crate::store::outbox::{self, OutboxKind};
use crate::store::workspaces::WorkspaceId;

/// Said after a refused `merge`.
pub const NOTHING_MERGED: &str = "Nothing was merged.";

/// Merges two customers, if the user may.
pub async fn merge(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    from_name: &CustomerName,
    into_name: &CustomerName,
) -> Result<Reply, AppError> {
    let nothing_merged = |e: AppError| match e {
        AppError::User(e) => UserError::new(format!("{} {NOTHING_MERGED}", e.0)).into(),
        e => e,
    };
    let from = resolve(&state.db, workspace, from_name).await.map_err(nothing_merged)?;
    let into = resolve(&state.db, workspace, into_name).await.map_err(nothing_merged)?;
    if from.id == into.id {
        return Ok(Reply::ephemeral(format!(
            "“{}” and “{}” are already the same customer (*{}*). Nothing to merge.",
            escape(&from_name.display),
            escape(&into_name.display),
            escape(&into.display_name)
        )));
    }
    permissions::require_manager(&state.config, &state.slack, workspace, user, "merge customers").await?;
    let now = state.clock.now_ms();
    // One unit of work: the merge and the thread updates it calls for.
    let mut tx = state.db.begin().await?;
    customers::merge_customers(&mut tx, workspace, &from, &into, now).await?;
    crate::store::follows::update_follows_merged(&mut tx, workspace, from.id, into.id).await?;
    crate::store::testers::update_testers_merged_customer(&mut tx, workspace, from.id, into.id).await?;
    let refresh = OutboxKind::UpdateThreadParent { customer_id: into.id };
    outbox::upsert_outbox_row(&mut tx, workspace, &refresh, now).await?;
    if from.thread_ts.is_some() {
        let kind = OutboxKind::MarkThreadMerged { customer_id: from.id, into_customer_id: into.id };
        outbox::upsert_outbox_row(&mut tx, workspace, &kind, now).await?;
    }
    tx.commit().await?;
    state.outbox.wake();
    Ok(Reply::ephemeral(format!(
        "Merged *{}* into *{}*. Its highlights now count for {}, and new highlights under either name go to {}'s thread.",
        escape(&from.display_name),
        escape(&into.display_name),
        escape(&into.display_name),
        escape(&into.display_name)
    )))
}
