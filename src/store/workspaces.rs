//! Workspaces (Slack teams) and their settings.

use crate::store::Db;

/// A Slack team id, e.g. `T0123ABCD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkspaceId(pub String);

impl WorkspaceId {
    /// The id as Slack writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A workspace row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Workspace {
    /// The team id.
    pub id: String,
    /// The channel id set with `/highlight config channel`, if any.
    pub product_channel: Option<String>,
}

/// Records a workspace the first time it is seen, with its starting product
/// areas, in one transaction. Returns true when the workspace is new.
pub async fn insert_workspace_if_new(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    default_areas: &[String],
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into workspaces (id, created_at, updated_at) values ($1, $2, $2)
         on conflict (id) do nothing",
    )
    .bind(workspace.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        for name in default_areas {
            crate::store::areas::insert_area(&mut *conn, workspace, name, now_ms).await?;
        }
    }
    Ok(inserted)
}

/// What an install found of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// Recorded and installed already: nothing written.
    Already,
    /// Seen for the first time: recorded with its starting product areas.
    New,
    /// It had been uninstalled: installed again, its parked posts released.
    Again,
}

/// Whether a workspace is recorded (`None` when not), and when it was
/// uninstalled (`Some(None)` while installed).
pub async fn find_uninstalled_at(db: &Db, workspace: &WorkspaceId) -> Result<Option<Option<i64>>, sqlx::Error> {
    sqlx::query_scalar("select uninstalled_at from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(db.reader())
        .await
}

/// Marks a workspace installed again and makes the posts parked while it was
/// not due now (every replica's worker then takes them).
pub async fn update_reinstalled(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set uninstalled_at = null where id = $1")
        .bind(workspace.as_str())
        .execute(&mut *conn)
        .await?;
    // A row in flight (claimed while the workspace was still uninstalled)
    // is woken too: its retry is then due now, not when its park ends.
    crate::store::outbox::update_outbox_wake_workspace(conn, workspace, now_ms).await?;
    Ok(())
}

/// Which of these workspaces are uninstalled (nothing may be posted there).
pub async fn list_uninstalled_among(
    db: &Db,
    workspaces: &[WorkspaceId],
) -> Result<std::collections::HashSet<WorkspaceId>, sqlx::Error> {
    let mut distinct: Vec<&str> = workspaces.iter().map(WorkspaceId::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut uninstalled = std::collections::HashSet::new();
    for chunk in distinct.chunks(100) {
        let list = crate::store::numbered_params(1, chunk.len());
        let sql = format!("select id from workspaces where uninstalled_at is not null and id in ({list})");
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        uninstalled.extend(query.fetch_all(db.reader()).await?.into_iter().map(WorkspaceId));
    }
    Ok(uninstalled)
}

/// The workspace, if it has been seen.
pub async fn find_workspace(db: &Db, workspace: &WorkspaceId) -> Result<Option<Workspace>, sqlx::Error> {
    sqlx::query_as("select id, product_channel from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(db.reader())
        .await
}

/// Sets the product channel of a workspace.
pub async fn update_product_channel(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    channel: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set product_channel = $2, updated_at = $3 where id = $1")
        .bind(workspace.as_str())
        .bind(channel)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets whether the workspace's reports count endorsed quotes only.
pub async fn update_report_endorsed_only(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    endorsed_only: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set report_endorsed_only = $2, updated_at = $3 where id = $1")
        .bind(workspace.as_str())
        .bind(i32::from(endorsed_only))
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether the workspace's reports count endorsed quotes only.
pub async fn find_report_endorsed_only(db: &Db, workspace: &WorkspaceId) -> Result<bool, sqlx::Error> {
    let flag: Option<i32> = sqlx::query_scalar("select report_endorsed_only from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(db.reader())
        .await?;
    Ok(flag == Some(1))
}

/// Sets whether captures have e-mail addresses and phone numbers scrubbed.
pub async fn update_pii_scrub(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    on: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set pii_scrub = $2, updated_at = $3 where id = $1")
        .bind(workspace.as_str())
        .bind(i32::from(on))
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether captures in the workspace are scrubbed (on unless turned off).
pub async fn find_pii_scrub(db: &Db, workspace: &WorkspaceId) -> Result<bool, sqlx::Error> {
    let flag: Option<i32> = sqlx::query_scalar("select pii_scrub from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(db.reader())
        .await?;
    Ok(flag != Some(0))
}

/// Every workspace's id.
pub async fn list_workspace_ids(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from workspaces order by id").fetch_all(db.reader()).await
}

/// Marks a workspace as uninstalled, forgets its OAuth token and ends its
/// browser sessions, in one transaction: nothing is posted there any more,
/// the token is never used again, and the workspace's data stays for a
/// reinstall.
pub async fn update_uninstalled(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set uninstalled_at = $2 where id = $1")
        .bind(workspace.as_str())
        .bind(at_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from installations where workspace_id = $1")
        .bind(workspace.as_str())
        .execute(&mut *conn)
        .await?;
    crate::store::web_sessions::delete_workspace_sessions(conn, workspace).await?;
    Ok(())
}

/// Every table that holds a workspace's rows, in the order they can be
/// deleted (rows that others refer to last).
pub const WORKSPACE_TABLES: &[&str] = &[
    "highlights",
    "highlight_days",
    "shipments",
    "follows",
    "testers",
    "tester_asks",
    "feedback_items",
    "triage_queue",
    "interviews",
    "forgotten_interviews",
    "planned_interviews",
    "customer_aliases",
    "customer_key_variants",
    "customers",
    "milestones",
    "tickets",
    "unmapped_tickets",
    "onboardees",
    "digest_approvals",
    "digests",
    "outbox",
    "processed_events",
    "slack_pauses",
    "installations",
    "web_login_links",
    "web_sessions",
    "product_areas",
];

/// How many rows of each table hold a workspace's data (tables without any left out).
pub async fn count_workspace_rows(db: &Db, workspace: &WorkspaceId) -> Result<Vec<(&'static str, i64)>, sqlx::Error> {
    let mut counts = Vec::new();
    for table in WORKSPACE_TABLES {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where workspace_id = $1"))
            .bind(workspace.as_str())
            .fetch_one(db.reader())
            .await?;
        if n > 0 {
            counts.push((*table, n));
        }
    }
    Ok(counts)
}

/// Deletes every row of a workspace, its token and the workspace itself, in
/// one transaction. Returns false when there was no such workspace.
pub async fn delete_workspace(conn: &mut sqlx::AnyConnection, workspace: &WorkspaceId) -> Result<bool, sqlx::Error> {
    // Merged customers point at the customer they were merged into.
    sqlx::query("update customers set merged_into = null where workspace_id = $1")
        .bind(workspace.as_str())
        .execute(&mut *conn)
        .await?;
    for table in WORKSPACE_TABLES {
        sqlx::query(&format!("delete from {table} where workspace_id = $1"))
            .bind(workspace.as_str())
            .execute(&mut *conn)
            .await?;
    }
    let deleted = sqlx::query("delete from workspaces where id = $1")
        .bind(workspace.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    Ok(deleted)
}
