//! Recording links kept only as long as a workspace's retention says
//! (design.md, Behaviour: Privacy): a daily pass removes older links and their
//! times, from the highlights and their interviews, and queues the update of
//! every posted reply that showed one.

use sqlx::AnyConnection;

use super::outbox::{upsert_outbox_row, OutboxKind};
use super::workspaces::WorkspaceId;
use super::Db;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Sets how many days recording links are kept (`None`: for good), and has
/// the next pass run at once.
pub async fn update_recording_retention(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    days: Option<i64>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update workspaces set recording_retention_days = $2, retention_applied_at = null, updated_at = $3 where id = $1",
    )
    .bind(workspace.as_str())
    .bind(days)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The workspaces with a retention whose last pass is a day old or more,
/// with their number of days.
pub async fn list_retention_due(db: &Db, now_ms: i64) -> Result<Vec<(WorkspaceId, i64)>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select id, recording_retention_days from workspaces
         where recording_retention_days is not null and coalesce(retention_applied_at, 0) <= $1
         order by id",
    )
    .bind(now_ms - DAY_MS)
    .fetch_all(db.reader())
    .await?;
    Ok(rows.into_iter().map(|(id, days)| (WorkspaceId(id), days)).collect())
}

/// Removes the recording links and times of highlights captured before
/// `cutoff_ms` (and of their interviews), queues the update of each posted
/// reply, and records the pass. Returns how many highlights lost a link.
pub async fn expire_recordings(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    cutoff_ms: i64,
    now_ms: i64,
) -> Result<usize, sqlx::Error> {
    let expired: Vec<(i64, Option<String>)> = sqlx::query_as(
        "select id, posted_ts from highlights
         where workspace_id = $1 and created_at < $2 and (recording_link is not null or recording_at is not null)",
    )
    .bind(workspace.as_str())
    .bind(cutoff_ms)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "update highlights set recording_link = null, recording_at = null
         where workspace_id = $1 and created_at < $2 and (recording_link is not null or recording_at is not null)",
    )
    .bind(workspace.as_str())
    .bind(cutoff_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update interviews set recording_link = null
         where workspace_id = $1 and created_at < $2 and recording_link is not null",
    )
    .bind(workspace.as_str())
    .bind(cutoff_ms)
    .execute(&mut *conn)
    .await?;
    for (highlight_id, posted) in &expired {
        if posted.is_some() {
            upsert_outbox_row(
                &mut *conn,
                workspace,
                &OutboxKind::UpdateHighlight { highlight_id: *highlight_id },
                now_ms,
            )
            .await?;
        }
    }
    sqlx::query("update workspaces set retention_applied_at = $2 where id = $1")
        .bind(workspace.as_str())
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(expired.len())
}
