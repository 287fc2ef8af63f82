//! Product areas: the workspace's taxonomy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// A product area.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Area {
    /// Row id.
    pub id: i64,
    /// Lowercased name, unique per workspace.
    pub key: String,
    /// Name as added.
    pub name: String,
}

/// Every area of a workspace, by name.
pub async fn list_areas(db: &Db, workspace: &WorkspaceId) -> Result<Vec<Area>, sqlx::Error> {
    sqlx::query_as("select id, key, name from product_areas where workspace_id = $1 order by key")
        .bind(workspace.as_str())
        .fetch_all(db.reader())
        .await
}

/// Product areas kept in memory per workspace, with the `areas_version` they
/// were read at: a capture reads the version with its other facts and the
/// areas again only when it changed (on any replica).
#[derive(Debug, Default)]
pub struct AreasCache(Mutex<HashMap<WorkspaceId, KeptAreas>>);

/// Areas as read at a version.
type KeptAreas = (i64, Arc<Vec<Area>>);

impl AreasCache {
    /// The areas of a workspace at `version` (read from `db` when the copy
    /// kept is older).
    pub async fn get(&self, db: &Db, workspace: &WorkspaceId, version: i64) -> Result<Arc<Vec<Area>>, sqlx::Error> {
        let kept = self.0.lock().ok().and_then(|map| map.get(workspace).cloned());
        if let Some((kept_version, areas)) = kept {
            if kept_version == version {
                return Ok(areas);
            }
        }
        // Read the version with the areas, so a change in between is not missed.
        let mut tx = db.reader().begin().await?;
        let current: i64 = sqlx::query_scalar("select areas_version from workspaces where id = $1")
            .bind(workspace.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or_default();
        let areas: Vec<Area> =
            sqlx::query_as("select id, key, name from product_areas where workspace_id = $1 order by key")
                .bind(workspace.as_str())
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        let areas = Arc::new(areas);
        if let Ok(mut map) = self.0.lock() {
            map.insert(workspace.clone(), (current, areas.clone()));
        }
        Ok(areas)
    }
}

/// Marks a workspace's areas changed (in the transaction that changes them).
async fn bump_areas_version(conn: &mut sqlx::AnyConnection, workspace: &WorkspaceId) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set areas_version = areas_version + 1 where id = $1")
        .bind(workspace.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds an area; false when one with the same key exists.
pub async fn insert_area(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    name: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "insert into product_areas (workspace_id, key, name, created_at) values ($1, $2, $3, $4)
         on conflict (workspace_id, key) do nothing",
    )
    .bind(workspace.as_str())
    .bind(name.to_lowercase())
    .bind(name)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 1 {
        bump_areas_version(conn, workspace).await?;
    }
    Ok(result.rows_affected() == 1)
}

/// An area with its counts.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaStats {
    /// Area name.
    pub name: String,
    /// Highlights in it.
    pub highlights: i64,
    /// Distinct customers who raised it.
    pub customers: i64,
    /// Sum of those customers' ARR in cents (0 when none imported).
    pub arr_cents: i64,
}

/// Every area with its highlight and distinct-customer counts, most customers first.
pub async fn list_area_stats(db: &Db, workspace: &WorkspaceId) -> Result<Vec<AreaStats>, sqlx::Error> {
    sqlx::query_as(
        "select a.name, count(h.id) as highlights, count(distinct h.customer_id) as customers,
                coalesce((select cast(sum(c.arr_cents) as bigint) from customers c
                          where c.workspace_id = a.workspace_id and c.arr_cents is not null
                            and exists (select 1 from highlights e
                                        where e.workspace_id = a.workspace_id and e.customer_id = c.id
                                          and e.area_id = a.id)), 0) as arr_cents
         from product_areas a
         left join highlights h on h.workspace_id = a.workspace_id and h.area_id = a.id
         where a.workspace_id = $1
         group by a.workspace_id, a.id, a.name
         order by count(distinct h.customer_id) desc, count(h.id) desc, max(h.created_at) desc, a.name",
    )
    .bind(workspace.as_str())
    .fetch_all(db.reader())
    .await
}

/// Renames an area (its highlights stay with it).
pub async fn update_area_name(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update product_areas set key = $3, name = $4 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(name.to_lowercase())
        .bind(name)
        .execute(&mut *conn)
        .await?;
    bump_areas_version(&mut *conn, workspace).await?;
    Ok(())
}

/// Moves every highlight and feedback item of area `from` into `into` and
/// removes `from`; returns how many highlights moved.
pub async fn merge_areas(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    from: i64,
    into: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query("update feedback_items set area_id = $3 where workspace_id = $1 and area_id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .bind(into)
        .execute(&mut *conn)
        .await?;
    let moved = sqlx::query("update highlights set area_id = $3 where workspace_id = $1 and area_id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .bind(into)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query("delete from product_areas where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .execute(&mut *conn)
        .await?;
    bump_areas_version(&mut *conn, workspace).await?;
    Ok(moved)
}
