//! The month-end report's reads: what an interviewer heard in the interviews
//! of a window, counted and ranked per product area in SQL, and only the
//! quotes the report may show read in full.

use crate::store::digests::{candidate_columns, hide_recordings, QuoteCandidate};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Interviews beside their highlights: the report's quotes are the `h` rows
/// of [`IN_WINDOW`]. Every highlight has its customer and its area (foreign
/// keys), so counting needs neither's row (PostgreSQL hashed every customer
/// of the workspace to join them).
const INTERVIEW_HIGHLIGHTS: &str =
    "interviews i join highlights h on h.workspace_id = i.workspace_id and h.interview_id = i.id";

/// The interviews of the window: binds `$1` the workspace, `$2` the
/// interviewer, `$3`/`$4` the window's dates (`YYYY-MM-DD`).
const IN_WINDOW: &str =
    "i.workspace_id = $1 and i.interviewer = $2 and i.interview_date >= $3 and i.interview_date < $4";

/// Leaves out, when `$5` is not 0, the highlights no manager endorsed.
const ENDORSED_IF_ASKED: &str = "($5 = 0 or h.endorsed_by is not null)";

/// The interviewer's window, as the report's reads take it.
#[derive(Debug, Clone, Copy)]
pub struct ReportWindow<'a> {
    /// Workspace.
    pub workspace: &'a WorkspaceId,
    /// Whose interviews.
    pub interviewer: &'a str,
    /// First interview date, `YYYY-MM-DD`.
    pub from_date: &'a str,
    /// The day after the last, `YYYY-MM-DD`.
    pub until_date: &'a str,
    /// Count and show endorsed highlights only.
    pub endorsed_only: bool,
}

/// How many interviews (distinct customer and date) of the window have a
/// highlight, endorsed or not.
pub async fn find_report_interviews(db: &Db, window: ReportWindow<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select count(*) from (select distinct h.customer_id, i.interview_date
                               from {INTERVIEW_HIGHLIGHTS} where {IN_WINDOW}) d"
    ))
    .bind(window.workspace.as_str())
    .bind(window.interviewer)
    .bind(window.from_date)
    .bind(window.until_date)
    .fetch_one(db.reader())
    .await
}

/// A product area of the report, counted over the window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportArea {
    /// Area id.
    pub area_id: i64,
    /// Area name.
    pub area: String,
    /// Distinct customers who raised it.
    pub customers: i64,
    /// Highlights about it.
    pub highlights: i64,
    /// Of those customers, the testers of the area.
    pub testers: i64,
}

/// The `limit` areas of the window that the most distinct customers raised,
/// then the most highlights, then by name (in byte order, whatever the
/// database's collation).
pub async fn list_report_areas(db: &Db, window: ReportWindow<'_>, limit: i64) -> Result<Vec<ReportArea>, sqlx::Error> {
    let collate = db.backend().byte_order();
    sqlx::query_as(&format!(
        "select a.id as area_id, a.name as area, count(distinct h.customer_id) as customers,
                count(*) as highlights, count(distinct t.customer_id) as testers
         from {INTERVIEW_HIGHLIGHTS}
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         left join testers t on t.workspace_id = h.workspace_id and t.customer_id = h.customer_id and t.area_id = h.area_id
         where {IN_WINDOW} and {ENDORSED_IF_ASKED}
         group by a.id, a.name
         order by count(distinct h.customer_id) desc, count(*) desc, a.name{collate}
         limit $6"
    ))
    .bind(window.workspace.as_str())
    .bind(window.interviewer)
    .bind(window.from_date)
    .bind(window.until_date)
    .bind(i64::from(window.endorsed_only))
    .bind(limit)
    .fetch_all(db.reader())
    .await
}

/// What [`crate::digests::pick_quotes`] may choose from, for `n` quotes of
/// each of `areas`: newest first (by interview date, then capture), it takes
/// a quote of a new customer and kind, then of a new customer, then of a new
/// kind, then any. So only these can be chosen, and only these are read:
/// the area's `n` newest, and, for each kind, the newest quote of each of
/// the first `n` customers heard on it. In the order the picking reads them:
/// by area, newest first.
pub async fn list_report_quote_candidates(
    db: &Db,
    window: ReportWindow<'_>,
    areas: &[i64],
    n: i64,
) -> Result<Vec<QuoteCandidate>, sqlx::Error> {
    if areas.is_empty() {
        return Ok(Vec::new());
    }
    let columns = candidate_columns();
    let ids = crate::store::numbered_params(7, areas.len());
    // Each highlight's place among its area's (newest first) and among its
    // customer's of the same kind; then, among the customers' newest of a
    // kind, its place (the others, numbered apart in partitions of their
    // own, are only kept when among the area's newest). Only the few rows
    // that may be chosen are joined and read in full.
    let sql = format!(
        "select {columns}
         from (select id, newest, first_of_customer,
                      row_number() over (partition by area_id, kind, first_of_customer
                                         order by interview_date desc, id desc) as customer_in_kind
               from (select h.id, h.area_id, h.kind, i.interview_date,
                            row_number() over (partition by h.area_id
                                               order by i.interview_date desc, h.id desc) as newest,
                            row_number() over (partition by h.area_id, h.kind, h.customer_id
                                               order by i.interview_date desc, h.id desc) as first_of_customer
                     from {INTERVIEW_HIGHLIGHTS}
                     where {IN_WINDOW} and {ENDORSED_IF_ASKED} and h.area_id in ({ids})) r
               where newest <= $6 or first_of_customer = 1
              ) p
         join highlights h on h.workspace_id = $1 and h.id = p.id
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where p.newest <= $6 or (p.first_of_customer = 1 and p.customer_in_kind <= $6)
         order by h.area_id, i.interview_date desc, h.id desc"
    );
    let mut query = sqlx::query_as(&sql)
        .bind(window.workspace.as_str())
        .bind(window.interviewer)
        .bind(window.from_date)
        .bind(window.until_date)
        .bind(i64::from(window.endorsed_only))
        .bind(n);
    for area in areas {
        query = query.bind(*area);
    }
    let mut rows: Vec<QuoteCandidate> = query.fetch_all(db.reader()).await?;
    hide_recordings(&mut rows);
    Ok(rows)
}
