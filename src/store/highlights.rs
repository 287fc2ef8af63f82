//! Highlights read back for posting, and where they were posted. (They are
//! written by `store::captures`.)

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

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
    /// The moment in the recording, in seconds.
    pub recording_at: Option<i64>,
    /// Interviewer.
    pub author: String,
    /// `YYYY-MM-DD`.
    pub interview_date: String,
    /// Where it was posted, once it was.
    pub posted_ts: Option<String>,
    /// Whether no earlier highlight of this customer is in this area.
    pub first_in_area: i64,
    /// The workspace's product channel, when set from Slack.
    pub workspace_channel: Option<String>,
    /// The channel of the customer's thread, once started.
    pub thread_channel: Option<String>,
    /// The `ts` of the customer's thread parent, once posted.
    pub thread_ts: Option<String>,
    /// The manager who endorsed it, if one did.
    pub endorsed_by: Option<String>,
}

/// The highlight to post, with its customer and area, and where it goes.
pub async fn find_highlight_for_post(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
) -> Result<Option<HighlightForPost>, sqlx::Error> {
    sqlx::query_as(
        "select h.id, h.customer_id, c.display_name as customer_name, h.area_id, a.name as area_name, h.kind,
                h.quote, h.takeaway, h.recording_link, h.recording_at, h.author, i.interview_date, h.posted_ts,
                case when exists (select 1 from highlights e
                                  where e.workspace_id = h.workspace_id and e.customer_id = h.customer_id
                                    and e.area_id = h.area_id and e.id < h.id) then 0 else 1 end as first_in_area,
                w.product_channel as workspace_channel, c.thread_channel, c.thread_ts, h.endorsed_by
         from highlights h
         join workspaces w on w.id = h.workspace_id
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where h.workspace_id = $1 and h.id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .fetch_optional(db.reader())
    .await
}

/// The customer of each highlight (for highlights that exist).
pub async fn find_highlight_customers(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, sqlx::Error> {
    let mut customers = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let list = crate::store::numbered_params(1, chunk.len());
        let sql = format!("select id, customer_id from highlights where id in ({list})");
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        customers.extend(query.fetch_all(db.reader()).await?);
    }
    Ok(customers)
}

/// Records where a highlight was posted and its permalink (if Slack gave
/// one), and queues the work that follows (its thread's refresh, a permalink
/// to ask for again), in one transaction.
pub async fn update_highlight_posted(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    post: Posted<'_>,
    follow_ups: &[crate::store::outbox::OutboxKind],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update highlights set posted_channel = $3, posted_ts = $4, permalink = coalesce($5, permalink)
         where workspace_id = $1 and id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(post.channel)
    .bind(post.ts)
    .bind(post.permalink)
    .execute(&mut *conn)
    .await?;
    for follow_up in follow_ups {
        crate::store::outbox::upsert_outbox_row(&mut *conn, workspace, follow_up, now_ms).await?;
    }
    Ok(())
}

/// Where a highlight was posted.
#[derive(Debug, Clone, Copy)]
pub struct Posted<'a> {
    /// The channel.
    pub channel: &'a str,
    /// The reply's `ts`.
    pub ts: &'a str,
    /// Its permalink, if Slack gave it.
    pub permalink: Option<&'a str>,
}

/// Records a highlight's permalink (asked for again after Slack failed to
/// give it when it was posted).
pub async fn update_highlight_permalink(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    permalink: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update highlights set permalink = $3 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(permalink)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where a highlight was posted (channel, ts) and its permalink, if it was.
pub async fn find_highlight_post(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
) -> Result<Option<(Option<String>, Option<String>, Option<String>)>, sqlx::Error> {
    sqlx::query_as("select posted_channel, posted_ts, permalink from highlights where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

/// The highlight posted as the message `ts` in `channel`, if one was.
pub async fn find_highlight_by_post(
    db: &Db,
    workspace: &WorkspaceId,
    channel: &str,
    ts: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select id from highlights where workspace_id = $1 and posted_channel = $2 and posted_ts = $3")
        .bind(workspace.as_str())
        .bind(channel)
        .bind(ts)
        .fetch_optional(db.reader())
        .await
}

/// A change of endorsement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endorsement<'a> {
    /// `by` endorses the highlight (the first endorser is kept).
    By(&'a str),
    /// The endorsement is withdrawn, whoever gave it.
    Withdrawn,
    /// `by` withdraws their own endorsement (nothing changes if someone else gave it).
    WithdrawnBy(&'a str),
}

/// Endorses a highlight or withdraws an endorsement, and queues the update of
/// its reply in the same transaction. Returns whether anything changed (an
/// endorsement repeated, or withdrawn by someone else, changes nothing).
pub async fn update_highlight_endorsement(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    change: Endorsement<'_>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let changed = match change {
        Endorsement::By(user) => sqlx::query(
            "update highlights set endorsed_by = $3, endorsed_at = $4
             where workspace_id = $1 and id = $2 and endorsed_by is null",
        )
        .bind(workspace.as_str())
        .bind(id)
        .bind(user)
        .bind(now_ms),
        Endorsement::Withdrawn => sqlx::query(
            "update highlights set endorsed_by = null, endorsed_at = null
             where workspace_id = $1 and id = $2 and endorsed_by is not null",
        )
        .bind(workspace.as_str())
        .bind(id),
        Endorsement::WithdrawnBy(user) => sqlx::query(
            "update highlights set endorsed_by = null, endorsed_at = null
             where workspace_id = $1 and id = $2 and endorsed_by = $3",
        )
        .bind(workspace.as_str())
        .bind(id)
        .bind(user),
    }
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if changed {
        let update = crate::store::outbox::OutboxKind::UpdateHighlight { highlight_id: id };
        crate::store::outbox::upsert_outbox_row(&mut *conn, workspace, &update, now_ms).await?;
    }
    Ok(changed)
}
