//! Digests, reports and exports: schedules, the once-per-period claim, and the
//! read queries that feed them (ranges of `created_at`, served by indexes).

use sqlx::AnyConnection;

use crate::domain::ShownCustomer;
use crate::store::privacy::shown_columns;
use crate::store::workspaces::WorkspaceId;
use crate::store::{Backend, Db};

/// A workspace's digest settings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DigestSettings {
    /// Workspace id.
    pub id: String,
    /// `weekly mon 09:00`, `daily 17:30` or `off`.
    pub digest_schedule: String,
    /// IANA zone, if known.
    pub time_zone: Option<String>,
    /// Who approves scheduled digests, if anyone.
    pub digest_approver: Option<String>,
}

/// Every workspace's digest settings.
pub async fn list_digest_settings(db: &Db) -> Result<Vec<DigestSettings>, sqlx::Error> {
    sqlx::query_as("select id, digest_schedule, time_zone, digest_approver from workspaces where uninstalled_at is null order by id")
        .fetch_all(db.reader())
        .await
}

/// One workspace's digest settings.
pub async fn find_digest_settings(db: &Db, workspace: &WorkspaceId) -> Result<Option<DigestSettings>, sqlx::Error> {
    sqlx::query_as("select id, digest_schedule, time_zone, digest_approver from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(db.reader())
        .await
}

/// Sets the schedule and, when given, the time zone; `by`: who did (told
/// when Slack refuses a digest and nobody approves them).
pub async fn update_digest_settings(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    schedule: &str,
    time_zone: Option<&str>,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update workspaces set digest_schedule = $2, time_zone = coalesce($3, time_zone), digest_set_by = $4
         where id = $1",
    )
    .bind(workspace.as_str())
    .bind(schedule)
    .bind(time_zone)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// When the latest digest posted (or settled) before `before_ms` ended: a
/// digest covers what came after the previous one, scheduled or on demand.
/// One Slack refused is not counted: the next covers its highlights again.
pub async fn find_last_digest_end(
    db: &Db,
    workspace: &WorkspaceId,
    before_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select max(period_end) from digests where workspace_id = $1 and period_end < $2 and refused_at is null",
    )
    .bind(workspace.as_str())
    .bind(before_ms)
    .fetch_one(db.reader())
    .await
}

/// Where the digests Slack refused since the last one posted (before
/// `before_ms`) began, if any: the next digest starts there instead, so what
/// they held is not lost.
pub async fn find_refused_digest_start(
    db: &Db,
    workspace: &WorkspaceId,
    before_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select min(period_start) from digests
         where workspace_id = $1 and refused_at is not null and period_end < $2
           and period_end > coalesce((select max(period_end) from digests
                                      where workspace_id = $1 and refused_at is null and period_end < $2), 0)",
    )
    .bind(workspace.as_str())
    .bind(before_ms)
    .fetch_one(db.reader())
    .await
}

/// Whether a period was already taken (the scheduler's cheap check before counting).
pub async fn find_digest_claim(db: &Db, workspace: &WorkspaceId, period_key: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("select period_start from digests where workspace_id = $1 and period_key = $2")
            .bind(workspace.as_str())
            .bind(period_key)
            .fetch_optional(db.reader())
            .await?;
    Ok(found.is_some())
}

/// Takes a period for posting; false when another process (or an earlier
/// run) already took it.
pub async fn insert_digest_claim(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    period_key: &str,
    start_ms: i64,
    end_ms: i64,
    highlights: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "insert into digests (workspace_id, period_key, period_start, period_end, highlights, created_at)
         values ($1, $2, $3, $4, $5, $6) on conflict (workspace_id, period_key) do nothing",
    )
    .bind(workspace.as_str())
    .bind(period_key)
    .bind(start_ms)
    .bind(end_ms)
    .bind(highlights)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Who hears that Slack refused a period's digest or its approval DM.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefusedDigest {
    /// The approver the digest was waiting for, if any.
    pub approver: Option<String>,
    /// Who set up digests last (or, failing that, installed the app).
    pub set_by: Option<String>,
    /// The approval's label, when there was one.
    pub label: Option<String>,
}

/// Marks a period Slack refused to post (or to ask approval for): it no
/// longer counts as posted, so the next digest covers its highlights again,
/// and an approval waiting for it is closed as refused. Returns who should
/// hear of it; None when the period was already marked.
pub async fn update_digest_refused(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    period_key: &str,
    now_ms: i64,
) -> Result<Option<RefusedDigest>, sqlx::Error> {
    let marked = sqlx::query(
        "update digests set refused_at = $3 where workspace_id = $1 and period_key = $2 and refused_at is null",
    )
    .bind(workspace.as_str())
    .bind(period_key)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if marked == 0 {
        return Ok(None);
    }
    let approval: Option<(String, String)> = sqlx::query_as(
        "update digest_approvals set status = 'refused', decided_at = $3
         where workspace_id = $1 and period_key = $2 and status in ('pending', 'approved')
         returning approver, label",
    )
    .bind(workspace.as_str())
    .bind(period_key)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?;
    let set_by: Option<String> = sqlx::query_scalar(
        "select coalesce(w.digest_set_by, i.installed_by) from workspaces w
         left join installations i on i.workspace_id = w.id where w.id = $1",
    )
    .bind(workspace.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    let (approver, label) = approval.map_or((None, None), |(a, l)| (Some(a), Some(l)));
    Ok(Some(RefusedDigest { approver, set_by, label }))
}

/// Totals of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct RangeTotals {
    /// Highlights.
    pub highlights: i64,
    /// Distinct interviews.
    pub interviews: i64,
    /// Distinct customers.
    pub customers: i64,
    /// Distinct interviewers.
    pub interviewers: i64,
}

/// Totals of highlights created in `[from, until)`.
pub async fn find_range_totals(
    db: &Db,
    workspace: &WorkspaceId,
    from: i64,
    until: i64,
) -> Result<RangeTotals, sqlx::Error> {
    sqlx::query_as(
        "select count(*) as highlights, count(distinct interview_id) as interviews,
                count(distinct customer_id) as customers, count(distinct author) as interviewers
         from highlights where workspace_id = $1 and created_at >= $2 and created_at < $3",
    )
    .bind(workspace.as_str())
    .bind(from)
    .bind(until)
    .fetch_one(db.reader())
    .await
}

/// A product area's signal in a range.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaSignal {
    /// Area id.
    pub area_id: i64,
    /// Area name.
    pub area: String,
    /// Distinct customers.
    pub customers: i64,
    /// Highlights.
    pub highlights: i64,
    /// 1 when the area had no highlight before the range.
    pub is_new: i64,
}

/// A UTC day in unix ms: `highlight_days` counts highlights by
/// `created_at / DAY_MS`.
pub const DAY_MS: i64 = 86_400_000;

/// `[from, until)` as the whole UTC days in it (`[first_day, end_day)`,
/// maybe none) and the parts of days left at each end (`[from, head_end)`
/// and `[tail_start, until)`, maybe empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySplit {
    /// First whole day.
    pub first_day: i64,
    /// The day after the last whole day.
    pub end_day: i64,
    /// Where the part before the whole days ends.
    pub head_end: i64,
    /// Where the part after the whole days starts.
    pub tail_start: i64,
}

/// A period's highlights as `(area_id, customer_id, highlights)` rows, to
/// select from: its whole days from `highlight_days` (one row per day, area
/// and customer), the parts of days at its ends from `highlights` (a row
/// each). Binds `$1` the workspace, `$2`/`$3` the period, `$4` to `$7` its
/// [`DaySplit`] (`first_day`, `end_day`, `head_end`, `tail_start`).
pub(crate) const PERIOD_ROWS: &str = "(
             select area_id, customer_id, highlights from highlight_days
             where workspace_id = $1 and day >= $4 and day < $5
             union all
             select area_id, customer_id, 1 as highlights from highlights
             where workspace_id = $1 and created_at >= $2 and created_at < $6
             union all
             select area_id, customer_id, 1 as highlights from highlights
             where workspace_id = $1 and created_at >= $7 and created_at < $3
         )";

/// Splits `[from, until)` (unix ms) into whole UTC days and the rest.
pub fn split_days(from: i64, until: i64) -> DaySplit {
    let first_day = from.div_euclid(DAY_MS) + i64::from(from.rem_euclid(DAY_MS) != 0);
    let end_day = until.div_euclid(DAY_MS);
    if first_day >= end_day {
        return DaySplit { first_day: 0, end_day: 0, head_end: until, tail_start: until };
    }
    DaySplit { first_day, end_day, head_end: first_day * DAY_MS, tail_start: end_day * DAY_MS }
}

/// Areas with highlights in `[from, until)`, most customers first, then most
/// highlights, then the most recent. The period's whole days are read from
/// `highlight_days` (a row per customer, area and day), only the parts of
/// days at its ends from `highlights`: a 30-day ranking at a million
/// highlights reads about a sixth of the rows it read from `highlights`
/// alone (`cargo bench --bench pages`).
pub async fn list_area_signal(
    db: &Db,
    workspace: &WorkspaceId,
    from: i64,
    until: i64,
) -> Result<Vec<AreaSignal>, sqlx::Error> {
    let days = split_days(from, until);
    sqlx::query_as(&format!(
        "select p.area_id, a.name as area, count(distinct p.customer_id) as customers,
                cast(sum(p.highlights) as bigint) as highlights,
                case when exists (select 1 from highlights e where e.workspace_id = $1
                                  and e.area_id = p.area_id and e.created_at < $2) then 0 else 1 end as is_new
         from {PERIOD_ROWS} p
         join product_areas a on a.workspace_id = $1 and a.id = p.area_id
         group by p.area_id, a.name
         order by count(distinct p.customer_id) desc, sum(p.highlights) desc,
                  (select max(e.created_at) from highlights e where e.workspace_id = $1
                   and e.area_id = p.area_id and e.created_at < $3) desc,
                  a.name"
    ))
    .bind(workspace.as_str())
    .bind(from)
    .bind(until)
    .bind(days.first_day)
    .bind(days.end_day)
    .bind(days.head_end)
    .bind(days.tail_start)
    .fetch_all(db.reader())
    .await
}

/// A quote that may go into a digest or report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuoteCandidate {
    /// Area id.
    pub area_id: i64,
    /// Customer id.
    pub customer_id: i64,
    /// The customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: ShownCustomer,
    /// Kind.
    pub kind: String,
    /// Quote.
    pub quote: String,
    /// Interviewer.
    pub author: String,
    /// Interview date.
    pub interview_date: String,
    /// Recording link.
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    pub recording_at: Option<i64>,
    /// Permalink of the posted reply.
    pub permalink: Option<String>,
    /// The manager who endorsed it, if one did.
    pub endorsed_by: Option<String>,
    /// When a shipment closed it, `YYYY-MM-DD`.
    pub shipped_on: Option<String>,
}

/// The columns of a [`QuoteCandidate`], the customer's as it may be shown.
pub(crate) fn candidate_columns() -> String {
    format!(
        "h.area_id, h.customer_id, {}, h.kind, h.quote, h.author,
                i.interview_date, h.recording_link, h.recording_at, h.permalink, h.endorsed_by,
                (select s.shipped_on from shipments s
                 where s.workspace_id = h.workspace_id and s.id = h.closed_by_shipment) as shipped_on",
        shown_columns("c")
    )
}

/// Leaves out the recordings of customers who hide them.
pub(crate) fn hide_recordings(rows: &mut [QuoteCandidate]) {
    for q in rows {
        q.customer.hide_recording(&mut q.recording_link, &mut q.recording_at);
    }
}

/// The newest `per_area` highlights of each area in `[from, until)`.
pub async fn list_quote_candidates(
    db: &Db,
    workspace: &WorkspaceId,
    from: i64,
    until: i64,
    per_area: i64,
) -> Result<Vec<QuoteCandidate>, sqlx::Error> {
    // Each area's newest, read backwards in the area index: `per_area` rows
    // an area, where numbering every highlight of the period read all of
    // them (a week at a million highlights: 19,000 rows joined and sorted).
    // SQLite has no LATERAL; its correlated `in (… limit)` is the same walk.
    let newest = "select e.id from highlights e
                  where e.workspace_id = a.workspace_id and e.area_id = a.id and e.created_at >= $2 and e.created_at < $3
                  order by e.created_at desc, e.id desc limit $4";
    let from_areas = match db.backend() {
        Backend::Sqlite => format!("product_areas a join highlights h on h.id in ({newest})"),
        Backend::Postgres => {
            format!("product_areas a cross join lateral ({newest}) n join highlights h on h.id = n.id")
        }
    };
    let columns = candidate_columns();
    let mut rows: Vec<QuoteCandidate> = sqlx::query_as(&format!(
        "select {columns}
         from {from_areas}
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where a.workspace_id = $1
         order by h.area_id, h.created_at desc, h.id desc"
    ))
    .bind(workspace.as_str())
    .bind(from)
    .bind(until)
    .bind(per_area)
    .fetch_all(db.reader())
    .await?;
    hide_recordings(&mut rows);
    Ok(rows)
}

/// Areas nobody has heard about since `since` (unix ms).
pub async fn list_quiet_areas(db: &Db, workspace: &WorkspaceId, since: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select a.name from product_areas a
         where a.workspace_id = $1
           and not exists (select 1 from highlights h where h.workspace_id = a.workspace_id
                           and h.area_id = a.id and h.created_at >= $2)
         order by a.name",
    )
    .bind(workspace.as_str())
    .bind(since)
    .fetch_all(db.reader())
    .await
}

/// One exported highlight.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ExportRow {
    /// Highlight id.
    pub id: i64,
    /// Customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: ShownCustomer,
    /// Product area.
    pub area: String,
    /// Kind.
    pub kind: String,
    /// Quote.
    pub quote: String,
    /// Takeaway.
    pub takeaway: Option<String>,
    /// Interviewer (Slack user id).
    pub interviewer: String,
    /// Interview date.
    pub interview_date: String,
    /// Captured at (unix ms).
    #[serde(skip)]
    pub created_at: i64,
    /// Captured at, RFC 3339 in UTC (filled from `created_at`).
    #[sqlx(skip)]
    pub captured_at: String,
    /// Recording link.
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    #[serde(skip)]
    pub recording_at: Option<i64>,
    /// The moment in the recording, `12:34` (filled from `recording_at`).
    #[sqlx(skip)]
    pub recording_time: Option<String>,
    /// Permalink of the posted reply.
    pub permalink: Option<String>,
}

/// Where a page of the export ends: the `(created_at, id)` of its last row;
/// the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportCursor {
    /// Captured at (unix ms).
    pub created_at: i64,
    /// Highlight id.
    pub id: i64,
}

impl ExportCursor {
    /// Before every highlight captured at or after `since` (unix ms).
    pub fn since(since: i64) -> Self {
        Self { created_at: since, id: i64::MIN }
    }
}

/// At most `limit` highlights after `after` (oldest first: by capture time,
/// then id). A page at a time, each read its own statement, so an export of
/// a million highlights holds neither a million rows nor a connection for
/// its whole download.
pub async fn list_export_page(
    db: &Db,
    workspace: &WorkspaceId,
    after: ExportCursor,
    limit: i64,
) -> Result<Vec<ExportRow>, sqlx::Error> {
    let mut rows: Vec<ExportRow> = sqlx::query_as(&format!(
        // The page's ids first, in the time index's order: joined in one
        // statement, SQLite walked every highlight by customer and sorted
        // them all, for every page.
        "select h.id, {}, a.name as area, h.kind, h.quote, h.takeaway,
                h.author as interviewer, i.interview_date, h.created_at, h.recording_link, h.recording_at, h.permalink
         from (select id, created_at from highlights
               where workspace_id = $1 and created_at >= $2 and (created_at > $2 or id > $3)
               order by created_at, id
               limit $4) p
         join highlights h on h.id = p.id
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         order by p.created_at, p.id",
        shown_columns("c")
    ))
    .bind(workspace.as_str())
    .bind(after.created_at)
    .bind(after.id)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    for row in &mut rows {
        row.customer.hide_recording(&mut row.recording_link, &mut row.recording_at);
        row.captured_at = jiff::Timestamp::from_millisecond(row.created_at).map(|t| t.to_string()).unwrap_or_default();
    }
    Ok(rows)
}
