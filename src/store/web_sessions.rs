//! The evidence library's sign-in links and browser sessions (docs/design.md,
//! The evidence library). Tokens are stored as their SHA-256 only.

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// How long a sign-in link from `/highlight web` may be used.
pub const LINK_TTL_MS: i64 = 10 * 60 * 1000;
/// How long a session lasts without being used.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebSession {
    /// The workspace everything they see belongs to.
    pub workspace_id: String,
    /// Their Slack user id.
    pub user_id: String,
    /// When it ends unless used again, unix ms.
    pub expires_at: i64,
}

/// Records a sign-in link (its token's hash), and forgets links that expired.
pub async fn insert_login_link(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    workspace: &WorkspaceId,
    user: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from web_login_links where created_at < $1")
        .bind(now_ms - LINK_TTL_MS)
        .execute(&mut *conn)
        .await?;
    sqlx::query("insert into web_login_links (token_hash, workspace_id, user_id, created_at) values ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(workspace.as_str())
        .bind(user)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes a sign-in link out, so that it is used once: its workspace, person
/// and when it was made, if it was there.
pub async fn delete_login_link(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
) -> Result<Option<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as("delete from web_login_links where token_hash = $1 returning workspace_id, user_id, created_at")
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await
}

/// Starts a session for a person of a workspace that is installed; false
/// (nothing stored) when the workspace is not.
pub async fn insert_session(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    workspace: &WorkspaceId,
    user: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from web_sessions where expires_at < $1").bind(now_ms).execute(&mut *conn).await?;
    let done = sqlx::query(
        "insert into web_sessions (token_hash, workspace_id, user_id, created_at, expires_at)
         select $1, id, $3, $4, $5 from workspaces where id = $2 and uninstalled_at is null",
    )
    .bind(token_hash)
    .bind(workspace.as_str())
    .bind(user)
    .bind(now_ms)
    .bind(now_ms + SESSION_TTL_MS)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The live session a token's hash names, in a workspace still installed.
pub async fn find_session(db: &Db, token_hash: &str, now_ms: i64) -> Result<Option<WebSession>, sqlx::Error> {
    sqlx::query_as(
        "select s.workspace_id, s.user_id, s.expires_at from web_sessions s
         join workspaces w on w.id = s.workspace_id
         where s.token_hash = $1 and s.expires_at >= $2 and w.uninstalled_at is null",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(db.reader())
    .await
}

/// Moves a session's end to `expires_at` (it was used).
pub async fn update_session_expiry(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update web_sessions set expires_at = $2 where token_hash = $1")
        .bind(token_hash)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends a session.
pub async fn delete_session(conn: &mut sqlx::AnyConnection, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from web_sessions where token_hash = $1").bind(token_hash).execute(&mut *conn).await?;
    Ok(())
}

/// Ends every session and unused sign-in link of a workspace (it uninstalled).
pub async fn delete_workspace_sessions(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
) -> Result<(), sqlx::Error> {
    for table in ["web_sessions", "web_login_links"] {
        sqlx::query(&format!("delete from {table} where workspace_id = $1"))
            .bind(workspace.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
