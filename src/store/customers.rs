//! Customers and their aliases.

use sqlx::AnyConnection;

use crate::customers::CustomerName;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// A customer row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Customer {
    /// Row id.
    pub id: i64,
    /// Normalized key.
    pub key: String,
    /// Name to show.
    pub display_name: String,
    /// Channel of the customer's thread, once posted.
    pub thread_channel: Option<String>,
    /// `ts` of the thread's parent message, once posted.
    pub thread_ts: Option<String>,
}

const COLUMNS: &str = "id, key, display_name, thread_channel, thread_ts";

/// The customer a normalized key (or one of its aliases) names.
pub async fn find_customer_by_key(
    db: &Db,
    workspace: &WorkspaceId,
    key: &str,
) -> Result<Option<Customer>, sqlx::Error> {
    let direct: Option<Customer> = sqlx::query_as(&format!(
        "select {COLUMNS} from customers where workspace_id = $1 and key = $2 and merged_into is null"
    ))
    .bind(workspace.as_str())
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    if direct.is_some() {
        return Ok(direct);
    }
    sqlx::query_as(&format!(
        "select {COLUMNS} from customers
         where workspace_id = $1
           and id = (select customer_id from customer_aliases where workspace_id = $1 and key = $2)"
    ))
    .bind(workspace.as_str())
    .bind(key)
    .fetch_optional(db.pool())
    .await
}

/// The customer with this id.
pub async fn find_customer(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<Option<Customer>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from customers where workspace_id = $1 and id = $2"))
        .bind(workspace.as_str())
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// Creates the customer if its key is new, inside a transaction; returns its id.
pub async fn insert_customer_if_new(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    name: &CustomerName,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "insert into customers (workspace_id, key, display_name, created_at, updated_at) values ($1, $2, $3, $4, $4)
         on conflict (workspace_id, key) do nothing",
    )
    .bind(workspace.as_str())
    .bind(&name.key)
    .bind(&name.display)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("select id from customers where workspace_id = $1 and key = $2")
        .bind(workspace.as_str())
        .bind(&name.key)
        .fetch_one(&mut *conn)
        .await
}

/// Claims the right to post a customer's thread parent: true for exactly one
/// claim at a time, until it expires at `until_ms` or the thread is recorded.
pub async fn claim_customer_thread(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
    token: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "update customers set thread_claim = $3, thread_claim_until = $5
         where workspace_id = $1 and id = $2 and thread_ts is null
           and (thread_claim is null or thread_claim = $3 or thread_claim_until < $4)",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(token)
    .bind(now_ms)
    .bind(until_ms)
    .execute(db.pool())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Gives up a claim taken with [`claim_customer_thread`] (the post failed).
pub async fn release_customer_thread(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
    token: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update customers set thread_claim = null, thread_claim_until = null
         where workspace_id = $1 and id = $2 and thread_claim = $3",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(token)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Records where the customer's thread lives.
pub async fn update_customer_thread(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
    channel: &str,
    ts: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update customers set thread_channel = $3, thread_ts = $4, thread_claim = null, thread_claim_until = null, updated_at = $5
         where workspace_id = $1 and id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(channel)
    .bind(ts)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Per product area, how many highlights a customer has, most first.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaCount {
    /// Area name.
    pub area: String,
    /// Highlights in it.
    pub highlights: i64,
}

/// What a customer's thread parent summarises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    /// Highlights in all.
    pub highlights: i64,
    /// Distinct interviews.
    pub interviews: i64,
    /// Distinct interviewers.
    pub interviewers: i64,
    /// Per area, most first.
    pub areas: Vec<AreaCount>,
}

/// Counts for a customer's thread parent.
pub async fn find_customer_summary(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<CustomerSummary, sqlx::Error> {
    let (highlights, interviews, interviewers): (i64, i64, i64) = sqlx::query_as(
        "select count(*), count(distinct h.interview_id), count(distinct h.author)
         from highlights h where h.workspace_id = $1 and h.customer_id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let areas = sqlx::query_as(
        "select a.name as area, count(*) as highlights
         from highlights h join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         where h.workspace_id = $1 and h.customer_id = $2
         group by a.name order by count(*) desc, a.name",
    )
    .bind(workspace.as_str())
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(CustomerSummary { highlights, interviews, interviewers, areas })
}
