//! Pauses Slack's 429s started, shared by every replica (see
//! [`crate::slack::rate`]).

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Records that `method` (in `scope`) is paused until `until_ms`; a pause
/// already longer stays.
pub async fn upsert_slack_pause(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    method: &str,
    scope: &str,
    until_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into slack_pauses (workspace_id, method, scope, until_ms) values ($1, $2, $3, $4)
         on conflict (workspace_id, method, scope) do update
         set until_ms = case when slack_pauses.until_ms > excluded.until_ms
                             then slack_pauses.until_ms else excluded.until_ms end",
    )
    .bind(workspace.as_str())
    .bind(method)
    .bind(scope)
    .bind(until_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A pause still running: method, scope, and its end (unix ms).
pub type SlackPause = (String, String, i64);

/// The pauses still running at `now_ms`.
pub async fn list_slack_pauses(db: &Db, now_ms: i64) -> Result<Vec<SlackPause>, sqlx::Error> {
    sqlx::query_as("select method, scope, until_ms from slack_pauses where until_ms > $1")
        .bind(now_ms)
        .fetch_all(db.reader())
        .await
}
