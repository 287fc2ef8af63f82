//! Messages people queued for triage with a reaction (docs/design.md, Behaviour), until they
//! triage them.

use crate::store::outbox::{upsert_outbox_row, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// A message waiting in someone's triage queue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedMessage {
    /// Row id (the App Home's Triage button carries it).
    pub id: i64,
    /// The message's channel.
    pub channel_id: String,
    /// The message's `ts`.
    pub message_ts: String,
    /// Its text, once read from Slack (empty when Slack would not say).
    pub message_text: Option<String>,
}

/// Queues a message for `user` (once; a message already triaged stays
/// triaged) and the refresh of their App Home, in one transaction. Returns
/// whether it was new.
pub async fn insert_queued_message(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    user: &str,
    channel: &str,
    ts: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let fresh = sqlx::query(
        "insert into triage_queue (workspace_id, user_id, channel_id, message_ts, queued_at)
         values ($1, $2, $3, $4, $5)
         on conflict (workspace_id, user_id, channel_id, message_ts) do nothing",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(channel)
    .bind(ts)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    queue_home_refresh(conn, workspace, user, fresh, now_ms).await
}

/// Takes a message out of `user`'s queue (their reaction was removed) unless
/// it was triaged, and refreshes their App Home, in one transaction.
pub async fn delete_queued_message(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    user: &str,
    channel: &str,
    ts: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let gone = sqlx::query(
        "delete from triage_queue
         where workspace_id = $1 and user_id = $2 and channel_id = $3 and message_ts = $4 and triaged_at is null",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(channel)
    .bind(ts)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    queue_home_refresh(conn, workspace, user, gone, now_ms).await
}

/// Queues the refresh of `user`'s App Home when their queue changed; returns
/// whether it did.
async fn queue_home_refresh(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    user: &str,
    changed: bool,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    if changed {
        upsert_outbox_row(conn, workspace, &OutboxKind::PublishHome { user: user.to_owned() }, now_ms).await?;
    }
    Ok(changed)
}

/// The oldest `limit` messages waiting in `user`'s queue, and how many wait
/// in all (read together, so the two agree).
pub async fn list_queued_messages(
    db: &Db,
    workspace: &WorkspaceId,
    user: &str,
    limit: i64,
) -> Result<(Vec<QueuedMessage>, i64), sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>, i64)> = sqlx::query_as(
        "select id, channel_id, message_ts, message_text, count(*) over () from triage_queue
         where workspace_id = $1 and user_id = $2 and triaged_at is null
         order by queued_at, id limit $3",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    let total = rows.first().map_or(0, |row| row.4);
    let items = rows
        .into_iter()
        .map(|(id, channel_id, message_ts, message_text, _)| QueuedMessage { id, channel_id, message_ts, message_text })
        .collect();
    Ok((items, total))
}

/// One of `user`'s queued messages, still waiting.
pub async fn find_queued_message(
    db: &Db,
    workspace: &WorkspaceId,
    user: &str,
    id: i64,
) -> Result<Option<QueuedMessage>, sqlx::Error> {
    sqlx::query_as(
        "select id, channel_id, message_ts, message_text from triage_queue
         where workspace_id = $1 and user_id = $2 and id = $3 and triaged_at is null",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(id)
    .fetch_optional(db.reader())
    .await
}

/// Records a queued message's text, as Slack gave it.
pub async fn update_queued_text(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    text: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update triage_queue set message_text = $3 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(text)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The workspace's triage emoji, if it set one (`inbox_tray` otherwise).
pub async fn find_triage_emoji(db: &Db, workspace: &WorkspaceId) -> Result<Option<String>, sqlx::Error> {
    let emoji: Option<Option<String>> = sqlx::query_scalar("select triage_emoji from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(db.reader())
        .await?;
    Ok(emoji.flatten())
}

/// Sets the workspace's triage emoji.
pub async fn update_triage_emoji(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    emoji: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set triage_emoji = $2, updated_at = $3 where id = $1")
        .bind(workspace.as_str())
        .bind(emoji)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
