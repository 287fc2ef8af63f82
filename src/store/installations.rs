//! OAuth installs: each workspace's sealed bot token, and the installs
//! started in a browser and not finished yet (their `state`).

use crate::store::workspaces::{Installed, WorkspaceId};
use crate::store::Db;

/// How long an install started with `GET /slack/install` may take (docs/design.md, Routes).
pub const STATE_TTL_MS: i64 = 10 * 60 * 1000;

/// What `oauth.v2.access` granted, ready to store (the token already sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstallation {
    /// The bot token, sealed (see [`crate::config::sealed`]).
    pub sealed_token: String,
    /// The bot's user id in the workspace.
    pub bot_user_id: Option<String>,
    /// The scopes granted, comma-separated.
    pub scope: String,
    /// Who installed it.
    pub installed_by: Option<String>,
    /// The organisation, on Enterprise Grid.
    pub enterprise_id: Option<String>,
}

/// Records a started install, and forgets those that expired.
pub async fn insert_oauth_state(
    conn: &mut sqlx::AnyConnection,
    state: &str,
    browser: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from oauth_states where created_at < $1")
        .bind(now_ms - STATE_TTL_MS)
        .execute(&mut *conn)
        .await?;
    sqlx::query("insert into oauth_states (state, browser, created_at) values ($1, $2, $3)")
        .bind(state)
        .bind(browser)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes a started install out, so that its `state` is used once: the
/// browser it is bound to and when it started, if it was there.
pub async fn delete_oauth_state(
    conn: &mut sqlx::AnyConnection,
    state: &str,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as("delete from oauth_states where state = $1 returning browser, created_at")
        .bind(state)
        .fetch_optional(&mut *conn)
        .await
}

/// Stores a workspace's install in one transaction: the workspace (with its
/// starting product areas if new), installed (its parked posts released if it
/// had been uninstalled), and its sealed token (replacing the old one).
pub async fn upsert_installation(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    install: &NewInstallation,
    default_areas: &[String],
    now_ms: i64,
) -> Result<Installed, sqlx::Error> {
    let uninstalled_at: Option<Option<i64>> = sqlx::query_scalar("select uninstalled_at from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let installed = match uninstalled_at {
        None => {
            sqlx::query("insert into workspaces (id, created_at, updated_at) values ($1, $2, $2)")
                .bind(workspace.as_str())
                .bind(now_ms)
                .execute(&mut *conn)
                .await?;
            for name in default_areas {
                crate::store::areas::insert_area(&mut *conn, workspace, name, now_ms).await?;
            }
            Installed::New
        }
        Some(None) => Installed::Already,
        Some(Some(_)) => {
            crate::store::workspaces::update_reinstalled(&mut *conn, workspace, now_ms).await?;
            Installed::Again
        }
    };
    sqlx::query(
        "insert into installations
             (workspace_id, bot_token, bot_user_id, scope, installed_by, enterprise_id, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7)
         on conflict (workspace_id) do update set
             bot_token = excluded.bot_token, bot_user_id = excluded.bot_user_id, scope = excluded.scope,
             installed_by = excluded.installed_by, enterprise_id = excluded.enterprise_id,
             updated_at = excluded.updated_at",
    )
    .bind(workspace.as_str())
    .bind(&install.sealed_token)
    .bind(&install.bot_user_id)
    .bind(&install.scope)
    .bind(&install.installed_by)
    .bind(&install.enterprise_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(installed)
}

/// The sealed bot token of a workspace installed by OAuth (None when it was
/// never installed so, or has been uninstalled since).
pub async fn find_sealed_token(db: &Db, workspace: &WorkspaceId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select i.bot_token from installations i join workspaces w on w.id = i.workspace_id
         where i.workspace_id = $1 and w.uninstalled_at is null",
    )
    .bind(workspace.as_str())
    .fetch_optional(db.reader())
    .await
}

/// Every stored sealed token, by workspace (to seal them again after a key rotation).
pub async fn list_sealed_tokens(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select workspace_id, bot_token from installations order by workspace_id")
        .fetch_all(db.reader())
        .await
}

/// Replaces a sealed token by the same token sealed again, unless it changed
/// meanwhile (a reinstall wins). Returns whether it was replaced.
pub async fn update_sealed_token(
    conn: &mut sqlx::AnyConnection,
    workspace: &str,
    was: &str,
    sealed: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update installations set bot_token = $3, updated_at = $4 where workspace_id = $1 and bot_token = $2",
    )
    .bind(workspace)
    .bind(was)
    .bind(sealed)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
