//! Shipments (closing the loop): what was shipped, the highlights each one
//! closed, and who hears of it (the customers' interviewers and followers).

use sqlx::AnyConnection;

use crate::domain::ShownCustomer;
use crate::store::privacy::shown_columns;
use crate::store::workspaces::WorkspaceId;
use crate::store::{numbered_params, Backend, Db};

/// An open highlight a shipment could close, with its customer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenHighlight {
    /// Highlight id.
    pub id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// The customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: ShownCustomer,
    /// The quote.
    pub quote: String,
}

/// Of the highlights of an area (all of them, or those among `among`), the
/// ones no shipment closed yet, by customer then newest first.
pub async fn list_open_highlights(
    db: &Db,
    workspace: &WorkspaceId,
    area_id: i64,
    among: Option<&[i64]>,
) -> Result<Vec<OpenHighlight>, sqlx::Error> {
    let filter = match among {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => format!("and h.id in ({})", numbered_params(3, ids.len())),
        None => String::new(),
    };
    let shown = shown_columns("c");
    let sql = format!(
        "select h.id, h.customer_id, {shown}, h.quote
         from highlights h join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         where h.workspace_id = $1 and h.area_id = $2 and h.closed_by_shipment is null {filter}
         order by c.display_name, h.customer_id, h.created_at desc, h.id desc"
    );
    let mut query = sqlx::query_as(&sql).bind(workspace.as_str()).bind(area_id);
    for id in among.unwrap_or_default() {
        query = query.bind(id);
    }
    query.fetch_all(db.reader()).await
}

/// A shipment as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Shipment {
    /// Row id.
    pub id: i64,
    /// The area's name when it shipped.
    pub area: String,
    /// What was announced (plain text).
    pub announcement: String,
    /// Where to read more.
    pub link: Option<String>,
    /// Who announced it (Slack user id).
    pub shipped_by: String,
    /// The workspace's date when it shipped, `YYYY-MM-DD`.
    pub shipped_on: String,
}

/// A shipment about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShipment<'a> {
    /// The preview's nonce: one shipment per preview.
    pub nonce: &'a str,
    /// The area's name.
    pub area: &'a str,
    /// What is announced.
    pub announcement: &'a str,
    /// Where to read more.
    pub link: Option<&'a str>,
    /// Who clicked.
    pub shipped_by: &'a str,
    /// The workspace's date today.
    pub shipped_on: &'a str,
}

/// Records a shipment, once per nonce: its id, or None when that preview was
/// already shipped.
pub async fn insert_shipment(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    shipment: &NewShipment<'_>,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "insert into shipments (workspace_id, nonce, area, announcement, link, shipped_by, shipped_on, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (workspace_id, nonce) do nothing returning id",
    )
    .bind(workspace.as_str())
    .bind(shipment.nonce)
    .bind(shipment.area)
    .bind(shipment.announcement)
    .bind(shipment.link)
    .bind(shipment.shipped_by)
    .bind(shipment.shipped_on)
    .bind(now_ms)
    .fetch_optional(conn)
    .await
}

const SHIPMENT_COLUMNS: &str = "id, area, announcement, link, shipped_by, shipped_on";

/// The shipment a preview's nonce made, if any.
pub async fn find_shipment_by_nonce(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    nonce: &str,
) -> Result<Option<Shipment>, sqlx::Error> {
    sqlx::query_as(&format!("select {SHIPMENT_COLUMNS} from shipments where workspace_id = $1 and nonce = $2"))
        .bind(workspace.as_str())
        .bind(nonce)
        .fetch_optional(conn)
        .await
}

/// The shipment with this id.
pub async fn find_shipment(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<Option<Shipment>, sqlx::Error> {
    sqlx::query_as(&format!("select {SHIPMENT_COLUMNS} from shipments where workspace_id = $1 and id = $2"))
        .bind(workspace.as_str())
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

/// Marks the highlights among `ids` that no shipment closed yet as closed by
/// `shipment_id`; returns how many it closed.
pub async fn update_highlights_closed(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    shipment_id: i64,
    ids: &[i64],
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "update highlights set closed_by_shipment = $2
         where workspace_id = $1 and closed_by_shipment is null and id in ({})",
        numbered_params(3, ids.len())
    );
    let mut query = sqlx::query(&sql).bind(workspace.as_str()).bind(shipment_id);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.execute(conn).await?.rows_affected())
}

/// A quote a shipment closed, with its customer and who captured it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosedQuote {
    /// Highlight id.
    pub id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// The customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: ShownCustomer,
    /// The quote.
    pub quote: String,
}

/// The quotes a shipment closed, with their customers as they may be shown.
fn closed_sql() -> String {
    format!(
        "select h.id, h.customer_id, {}, h.quote
         from highlights h join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         where h.workspace_id = $1 and h.closed_by_shipment = $2",
        shown_columns("c")
    )
}

/// Every quote a shipment closed, by customer then oldest first, on a
/// connection (a transaction sees what it just closed).
pub async fn list_closed_quotes(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    shipment_id: i64,
) -> Result<Vec<ClosedQuote>, sqlx::Error> {
    sqlx::query_as(&format!("{} order by c.display_name, h.customer_id, h.created_at, h.id", closed_sql()))
        .bind(workspace.as_str())
        .bind(shipment_id)
        .fetch_all(conn)
        .await
}

/// The quotes of one customer a shipment closed, oldest first.
pub async fn list_customer_closed_quotes(
    db: &Db,
    workspace: &WorkspaceId,
    shipment_id: i64,
    customer_id: i64,
) -> Result<Vec<ClosedQuote>, sqlx::Error> {
    sqlx::query_as(&format!("{} and h.customer_id = $3 order by h.created_at, h.id", closed_sql()))
        .bind(workspace.as_str())
        .bind(shipment_id)
        .bind(customer_id)
        .fetch_all(db.reader())
        .await
}

/// Someone to tell about a customer: one of its interviewers or followers.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonToTell {
    /// Slack user id.
    pub user_id: String,
    /// The customer they know.
    pub customer_id: i64,
}

/// The interviewers and followers of the customers a shipment closed
/// highlights of, one row per (person, customer), by person.
pub async fn list_people_to_tell(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    shipment_id: i64,
) -> Result<Vec<PersonToTell>, sqlx::Error> {
    sqlx::query_as(&people_to_tell_sql(crate::store::backend_of(conn)))
        .bind(workspace.as_str())
        .bind(shipment_id)
        .fetch_all(conn)
        .await
}

/// Who to tell that a shipment closed their customers' needs (`$1`
/// workspace, `$2` shipment): interviewers and followers of the customers
/// whose highlights it closed. SQLite would read every interview of the
/// workspace for the interviewers (in its unique index's order) rather than
/// each customer's.
fn people_to_tell_sql(backend: Backend) -> String {
    format!(
        "select i.interviewer as user_id, i.customer_id from interviews i {}
         where i.workspace_id = $1
           and i.customer_id in (select customer_id from highlights where workspace_id = $1 and closed_by_shipment = $2)
         union
         select f.user_id, f.customer_id from follows f
         where f.workspace_id = $1
           and f.customer_id in (select customer_id from highlights where workspace_id = $1 and closed_by_shipment = $2)
         order by user_id, customer_id",
        crate::store::sqlite_indexed_by(backend, "interviews_by_customer")
    )
}

/// A shipment that told a customer something.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerShipment {
    /// What was announced.
    pub announcement: String,
    /// Where to read more.
    pub link: Option<String>,
    /// When, `YYYY-MM-DD`.
    pub shipped_on: String,
    /// The customer's quotes it closed.
    pub quotes: i64,
}

/// What was shipped to a customer, latest first, at most `limit`.
pub async fn list_customer_shipments(
    db: &Db,
    workspace: &WorkspaceId,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<CustomerShipment>, sqlx::Error> {
    sqlx::query_as(
        "select s.announcement, s.link, s.shipped_on, count(*) as quotes
         from highlights h join shipments s on s.workspace_id = h.workspace_id and s.id = h.closed_by_shipment
         where h.workspace_id = $1 and h.customer_id = $2 and h.closed_by_shipment is not null
         group by s.id, s.announcement, s.link, s.shipped_on, s.created_at
         order by s.created_at desc, s.id desc
         limit $3",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .bind(limit)
    .fetch_all(db.reader())
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::plans::{sqlite_plan, Bind};

    #[tokio::test]
    async fn the_interviewers_to_tell_are_read_by_each_customer_on_sqlite() {
        let plan = sqlite_plan(&people_to_tell_sql(Backend::Sqlite), &[Bind::Text("T0AAAAAAA"), Bind::Int(7)]).await;
        let wanted = "SEARCH i USING INDEX interviews_by_customer (workspace_id=? AND customer_id=?)";
        assert!(plan.iter().any(|step| step.ends_with(wanted)), "not read by the customer: {plan:?}");
    }
}
