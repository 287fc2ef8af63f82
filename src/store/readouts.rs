//! The manager read-out's setting and its once-per-period claim (design.md,
//! Behaviour: Manager read-out).

use sqlx::AnyConnection;

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// A workspace whose managers get the read-out.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReadoutSetting {
    /// Workspace id.
    pub id: String,
    /// `weekly mon 09:00` (a digest schedule's text).
    pub readout_schedule: String,
    /// When it was set (unix ms): periods ending before are not sent.
    pub readout_since: i64,
    /// The workspace's zone, if known.
    pub time_zone: Option<String>,
}

/// The installed workspaces with the read-out on.
pub async fn list_readout_settings(db: &Db) -> Result<Vec<ReadoutSetting>, sqlx::Error> {
    sqlx::query_as(
        "select id, readout_schedule, coalesce(readout_since, 0) as readout_since, time_zone from workspaces
         where uninstalled_at is null and readout_schedule is not null order by id",
    )
    .fetch_all(db.reader())
    .await
}

/// Sets the read-out's schedule (None: off) from `now_ms` on.
pub async fn update_readout_schedule(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    schedule: Option<&str>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set readout_schedule = $2, readout_since = $3 where id = $1")
        .bind(workspace.as_str())
        .bind(schedule)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn claim_key(period: &str) -> String {
    format!("readout:{period}")
}

/// Whether a period's read-out was queued already (the cheap check of every tick).
pub async fn find_readout_queued(db: &Db, workspace: &WorkspaceId, period: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("select 1 from processed_events where workspace_id = $1 and event_id = $2")
            .bind(workspace.as_str())
            .bind(claim_key(period))
            .fetch_optional(db.reader())
            .await?;
    Ok(found.is_some())
}

/// Claims the queueing of a period's read-out; false when another replica
/// (or an earlier tick) did.
pub async fn insert_readout_queued(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    period: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    crate::store::events::insert_processed_event(conn, workspace, &claim_key(period), "readout", now_ms).await
}
