//! How customers asked to be shown (design.md, Behaviour: Privacy): the
//! columns every read that shows a customer away from its thread selects
//! (decoded as a [`ShownCustomer`]), and the settings `privacy` changes.

use sqlx::AnyConnection;

use crate::domain::ShownCustomer;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The columns a [`ShownCustomer`] is read from, for the customers row
/// aliased `c` (`c.display_name as customer`, …). Every read that shows a
/// customer away from its thread selects these, so none can show a name or a
/// recording the customer asked to keep out.
pub fn shown_columns(c: &str) -> String {
    format!(
        "{c}.display_name as customer, {c}.anonymous as customer_anonymous, {c}.anonymous_label as customer_label,
         {c}.segment as customer_segment, {c}.recordings_hidden as customer_recordings_hidden"
    )
}

/// The names of the columns of [`shown_columns`], for a query that selects
/// them again from a subquery.
pub const SHOWN_NAMES: &str =
    "customer, customer_anonymous, customer_label, customer_segment, customer_recordings_hidden";

/// Shows the customer as `Customer N` (`anonymous`) or by its name. The
/// first time it turns anonymous it takes the workspace's next number, kept
/// for good. Returns its number.
pub async fn update_customer_anonymous(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer: i64,
    anonymous: bool,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let label: Option<Option<i64>> =
        sqlx::query_scalar("select anonymous_label from customers where workspace_id = $1 and id = $2")
            .bind(workspace.as_str())
            .bind(customer)
            .fetch_optional(&mut *conn)
            .await?;
    let label = match label.flatten() {
        Some(label) => Some(label),
        None if anonymous => {
            let next: i64 = sqlx::query_scalar(
                "update workspaces set customer_labels = customer_labels + 1 where id = $1 returning customer_labels",
            )
            .bind(workspace.as_str())
            .fetch_one(&mut *conn)
            .await?;
            Some(next)
        }
        None => None,
    };
    sqlx::query(
        "update customers set anonymous = $3, anonymous_label = $4, updated_at = $5 where workspace_id = $1 and id = $2",
    )
    .bind(workspace.as_str())
    .bind(customer)
    .bind(i32::from(anonymous))
    .bind(label)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(label)
}

/// Leaves the customer's recording links and times out of every surface but
/// its thread (`hidden`), or shows them again.
pub async fn update_customer_recordings_hidden(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer: i64,
    hidden: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update customers set recordings_hidden = $3, updated_at = $4 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(customer)
        .bind(i32::from(hidden))
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The customer shown now as `Customer {label}`, if any.
pub async fn find_anonymous_customer(db: &Db, workspace: &WorkspaceId, label: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from customers
         where workspace_id = $1 and anonymous_label = $2 and anonymous <> 0 and merged_into is null",
    )
    .bind(workspace.as_str())
    .bind(label)
    .fetch_optional(db.reader())
    .await
}

#[derive(sqlx::FromRow)]
struct ShownRow {
    id: i64,
    #[sqlx(flatten)]
    shown: ShownCustomer,
}

/// How each of these customers is shown, by id (those of another workspace
/// or gone are left out).
pub async fn list_shown_customers(
    db: &Db,
    workspace: &WorkspaceId,
    ids: &[i64],
) -> Result<Vec<(i64, ShownCustomer)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let params = crate::store::numbered_params(2, ids.len());
    let sql = format!(
        "select c.id, {} from customers c where c.workspace_id = $1 and c.id in ({params})",
        shown_columns("c")
    );
    let mut query = sqlx::query_as::<_, ShownRow>(&sql).bind(workspace.as_str());
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(db.reader()).await?.into_iter().map(|r| (r.id, r.shown)).collect())
}
