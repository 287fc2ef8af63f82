//! Captures: interviews and their highlights, written with their outbox rows
//! in one transaction, and read back for posting.

use crate::customers::CustomerName;
use crate::store::outbox::{self, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// One highlight of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHighlight {
    /// Product area id (of the same workspace).
    pub area_id: i64,
    /// `pain`, `request`, `praise` or `other`.
    pub kind: &'static str,
    /// The customer's words.
    pub quote: String,
    /// What we learn from it.
    pub takeaway: Option<String>,
    /// Link into the recording.
    pub recording_link: Option<String>,
}

/// An interview's worth of highlights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCapture {
    /// Who captured it (the interviewer).
    pub author: String,
    /// Who said it.
    pub customer: CustomerName,
    /// An existing customer the name was matched to (by key or alias).
    pub customer_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub interview_date: String,
    /// Link to the whole recording.
    pub recording_link: Option<String>,
    /// At least one highlight.
    pub highlights: Vec<NewHighlight>,
}

/// What a capture wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCapture {
    /// The customer.
    pub customer_id: i64,
    /// The interview the highlights belong to.
    pub interview_id: i64,
    /// The highlights, in order.
    pub highlight_ids: Vec<i64>,
}

/// Stores a capture and queues its posts, atomically: after this returns,
/// nothing the user typed can be lost.
pub async fn insert_capture(
    db: &Db,
    workspace: &WorkspaceId,
    capture: &NewCapture,
    now_ms: i64,
) -> Result<StoredCapture, sqlx::Error> {
    let mut tx = db.begin().await?;
    // The first statement writes, so SQLite takes the write lock up front.
    let customer_id = match capture.customer_id {
        Some(id) => id,
        None => crate::store::customers::insert_customer_if_new(&mut tx, workspace, &capture.customer, now_ms).await?,
    };
    let interview_id: i64 = sqlx::query_scalar(
        "insert into interviews (workspace_id, customer_id, interviewer, interview_date, recording_link, created_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (workspace_id, interviewer, customer_id, interview_date)
         do update set recording_link = coalesce(interviews.recording_link, excluded.recording_link)
         returning id",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .bind(&capture.author)
    .bind(&capture.interview_date)
    .bind(&capture.recording_link)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;
    let mut highlight_ids = Vec::with_capacity(capture.highlights.len());
    for h in &capture.highlights {
        let id: i64 = sqlx::query_scalar(
            "insert into highlights
               (workspace_id, interview_id, customer_id, area_id, kind, quote, takeaway, recording_link, author, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             returning id",
        )
        .bind(workspace.as_str())
        .bind(interview_id)
        .bind(customer_id)
        .bind(h.area_id)
        .bind(h.kind)
        .bind(&h.quote)
        .bind(&h.takeaway)
        .bind(h.recording_link.as_ref().or(capture.recording_link.as_ref()))
        .bind(&capture.author)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        outbox::insert_outbox_row(&mut tx, workspace, &OutboxKind::PostHighlight { highlight_id: id }, now_ms).await?;
        highlight_ids.push(id);
    }
    tx.commit().await?;
    Ok(StoredCapture { customer_id, interview_id, highlight_ids })
}

/// A highlight with everything its message shows.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HighlightForPost {
    /// Row id.
    pub id: i64,
    /// Customer id.
    pub customer_id: i64,
    /// Customer name.
    pub customer_name: String,
    /// Area id.
    pub area_id: i64,
    /// Area name.
    pub area_name: String,
    /// Kind.
    pub kind: String,
    /// Quote.
    pub quote: String,
    /// Takeaway.
    pub takeaway: Option<String>,
    /// Recording link.
    pub recording_link: Option<String>,
    /// Interviewer.
    pub author: String,
    /// `YYYY-MM-DD`.
    pub interview_date: String,
    /// Where it was posted, once it was.
    pub posted_ts: Option<String>,
    /// Whether no earlier highlight of this customer is in this area.
    pub first_in_area: i64,
}

/// The highlight to post, with its customer and area.
pub async fn find_highlight_for_post(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
) -> Result<Option<HighlightForPost>, sqlx::Error> {
    sqlx::query_as(
        "select h.id, h.customer_id, c.display_name as customer_name, h.area_id, a.name as area_name, h.kind,
                h.quote, h.takeaway, h.recording_link, h.author, i.interview_date, h.posted_ts,
                case when exists (select 1 from highlights e
                                  where e.workspace_id = h.workspace_id and e.customer_id = h.customer_id
                                    and e.area_id = h.area_id and e.id < h.id) then 0 else 1 end as first_in_area
         from highlights h
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where h.workspace_id = $1 and h.id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// Records where a highlight was posted.
pub async fn update_highlight_posted(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
    channel: &str,
    ts: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update highlights set posted_channel = $3, posted_ts = $4 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(channel)
        .bind(ts)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Records a highlight's permalink.
pub async fn update_highlight_permalink(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
    permalink: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update highlights set permalink = $3 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(permalink)
        .execute(db.pool())
        .await?;
    Ok(())
}
