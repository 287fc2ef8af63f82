//! The reads behind a customer's brief that the customer view does not make:
//! the latest quotes across areas, who has talked to the customer, and whom
//! at the customer they talked to.

use crate::store::workspaces::WorkspaceId;
use crate::store::{sqlite_indexed_by, Backend, Db};

/// One of a customer's latest quotes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LatestQuote {
    /// Area name.
    pub area: String,
    /// The quote.
    pub quote: String,
    /// Who captured it.
    pub author: String,
    /// Interview date.
    pub interview_date: String,
    /// Who was interviewed (name and role), when the interview names them.
    pub interviewee: Option<String>,
    /// Link to the posted reply.
    pub permalink: Option<String>,
    /// Link into the recording.
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    pub recording_at: Option<i64>,
    /// When a shipment closed it, `YYYY-MM-DD`.
    pub shipped_on: Option<String>,
}

/// A customer's `limit` latest quotes, newest first.
pub async fn list_latest_customer_quotes(
    db: &Db,
    workspace: &WorkspaceId,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<LatestQuote>, sqlx::Error> {
    sqlx::query_as(
        "select a.name as area, h.quote, h.author, i.interview_date, i.interviewee, h.permalink, h.recording_link, h.recording_at,
                s.shipped_on
         from highlights h
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         left join shipments s on s.workspace_id = h.workspace_id and s.id = h.closed_by_shipment
         where h.workspace_id = $1 and h.customer_id = $2
         order by h.created_at desc, h.id desc
         limit $3",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .bind(limit)
    .fetch_all(db.reader())
    .await
}

/// Someone who interviewed a customer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Interviewer {
    /// Slack user id.
    pub user_id: String,
    /// Interviews they held with the customer.
    pub interviews: i64,
    /// The last one's date, `YYYY-MM-DD`.
    pub last_date: String,
}

/// A customer's interviewers (`$1` workspace, `$2` customer), by the
/// customer's interviews: SQLite would read every interview of the
/// workspace in `interviews_by_interviewer`, whose order is the grouping's.
fn customer_interviewers_sql(backend: Backend) -> String {
    format!(
        "select interviewer as user_id, count(*) as interviews, max(interview_date) as last_date
         from interviews {} where workspace_id = $1 and customer_id = $2
         group by interviewer
         order by max(interview_date) desc, interviewer",
        sqlite_indexed_by(backend, "interviews_by_customer")
    )
}

/// Who has talked to a customer, most recent first.
pub async fn list_customer_interviewers(
    db: &Db,
    workspace: &WorkspaceId,
    customer_id: i64,
) -> Result<Vec<Interviewer>, sqlx::Error> {
    sqlx::query_as(&customer_interviewers_sql(db.backend()))
        .bind(workspace.as_str())
        .bind(customer_id)
        .fetch_all(db.reader())
        .await
}

/// Someone interviewed at a customer (as the capture modal named them).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Interviewee {
    /// Name and role, as typed.
    pub name: String,
    /// The last interview with them, `YYYY-MM-DD`.
    pub last_date: String,
}

/// The people interviewed at a customer, most recently interviewed first,
/// at most `limit`.
pub async fn list_customer_interviewees(
    db: &Db,
    workspace: &WorkspaceId,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<Interviewee>, sqlx::Error> {
    sqlx::query_as(
        "select interviewee as name, max(interview_date) as last_date
         from interviews
         where workspace_id = $1 and customer_id = $2 and interviewee is not null
         group by interviewee
         order by max(interview_date) desc, interviewee
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
    async fn a_customers_interviewers_for_a_brief_are_read_by_the_customer_on_sqlite() {
        let plan =
            sqlite_plan(&customer_interviewers_sql(Backend::Sqlite), &[Bind::Text("T0AAAAAAA"), Bind::Int(7)]).await;
        let wanted = "SEARCH interviews USING INDEX interviews_by_customer (workspace_id=? AND customer_id=?)";
        assert!(plan.iter().any(|step| step.ends_with(wanted)), "not read by the customer: {plan:?}");
    }
}
