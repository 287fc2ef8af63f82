//! Events API deliveries already handled, so a redelivery is processed once.

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Records an event id; returns false when it was already recorded (a redelivery).
pub async fn insert_processed_event(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    event_id: &str,
    event_type: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "insert into processed_events (workspace_id, event_id, event_type, received_at) values ($1, $2, $3, $4)
         on conflict (workspace_id, event_id) do nothing",
    )
    .bind(workspace.as_str())
    .bind(event_id)
    .bind(event_type)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// How many events of a workspace have been recorded (for tests and metrics).
pub async fn count_processed_events(db: &Db, workspace: &WorkspaceId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from processed_events where workspace_id = $1")
        .bind(workspace.as_str())
        .fetch_one(db.reader())
        .await
}

/// Forgets an event whose processing failed, so Slack's retry is processed.
pub async fn delete_processed_event(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    event_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from processed_events where workspace_id = $1 and event_id = $2")
        .bind(workspace.as_str())
        .bind(event_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
