//! Highlights read back for posting, and where they were posted. (They are
//! written by `store::captures`.)

use crate::store::batch::{each_failed, list_placeholders, Batcher};
use crate::store::held::Held;
use crate::store::workspaces::WorkspaceId;
use crate::store::{Backend, Db};

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
    /// Who was interviewed (name and role), when the interview names them.
    pub interviewee: Option<String>,
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
/// Read together with the other lanes' (see [`start_post_loader`]).
pub async fn find_highlight_for_post(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
) -> Result<Option<HighlightForPost>, sqlx::Error> {
    db.posts.call((workspace.clone(), id)).await
}

/// The most highlights read by one statement.
const MAX_POST_LOOKUPS: usize = 64;

/// Reads highlights to post in groups: the outbox's lanes ask at once, and
/// every lookup waiting goes into one statement.
pub(crate) fn start_post_loader(
    pool: sqlx::AnyPool,
    backend: Backend,
) -> (Batcher<(WorkspaceId, i64), Option<HighlightForPost>>, Held) {
    let held = Held::new(pool, backend, 1);
    let conns = held.clone();
    let loader = Batcher::start(1, MAX_POST_LOOKUPS, move |group: Vec<(WorkspaceId, i64)>| {
        let conns = conns.clone();
        async move {
            let found = async {
                let mut conn = conns.lock().await?;
                let found = find_highlights_for_post(&mut *conn, backend, &group).await?;
                conn.keep();
                Ok::<_, sqlx::Error>(found)
            };
            match found.await {
                Ok(found) => {
                    group.iter().map(|(workspace, id)| Ok(found.get(&(workspace.0.clone(), *id)).cloned())).collect()
                }
                Err(e) => each_failed(&e, group.len()),
            }
        }
    });
    (loader, held)
}

#[derive(sqlx::FromRow)]
struct ScopedHighlight {
    workspace_id: String,
    #[sqlx(flatten)]
    highlight: HighlightForPost,
}

/// Answers a group of lookups, by workspace and id. The highlights are
/// found by their ids (`in (…)`, which every planner reads through the
/// primary key; joined to a `values` list, PostgreSQL without statistics
/// for it joined the customers first: 640 ms for 64 lookups; see
/// [`by_ids_in_workspaces`]). A highlight is its customer's first in its area when no
/// earlier one has the same three: the smallest id under
/// `highlights_by_customer_area`, one index step on both backends.
async fn find_highlights_for_post(
    conn: impl sqlx::Executor<'_, Database = sqlx::Any>,
    backend: Backend,
    group: &[(WorkspaceId, i64)],
) -> Result<std::collections::HashMap<(String, i64), HighlightForPost>, sqlx::Error> {
    let (filter, ids, workspaces) = by_ids_in_workspaces(backend, group);
    let sql = post_lookup_sql(&filter);
    let mut query = sqlx::query_as::<_, ScopedHighlight>(&sql);
    for id in ids {
        query = query.bind(id);
    }
    for workspace in workspaces {
        query = query.bind(workspace);
    }
    Ok(query
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|row| ((row.workspace_id, row.highlight.id), row.highlight))
        .collect())
}

/// `h.id in (…) and h.workspace_id in (…)` for a group of lookups by
/// workspace and id, with its binds in order: the ids, then the workspaces,
/// each list distinct and padded to a power of two (a handful of prepared
/// statements serve every size). The rows it finds are then matched to the
/// pairs asked for. On SQLite the workspace term is kept off indexes (`+`):
/// without statistics, SQLite read the ids of 64 lookups by walking every
/// highlight of the workspace through an index on `workspace_id` (5 ms at
/// 30,000 highlights in the load bench, growing with the data) instead of
/// 64 primary-key steps.
fn by_ids_in_workspaces(backend: Backend, group: &[(WorkspaceId, i64)]) -> (String, Vec<i64>, Vec<&str>) {
    let ids = padded(group.iter().map(|(_, id)| *id).collect());
    let workspaces = padded(group.iter().map(|(workspace, _)| workspace.as_str()).collect());
    let workspace_term = match backend {
        Backend::Sqlite => "+h.workspace_id",
        Backend::Postgres => "h.workspace_id",
    };
    let filter = format!(
        "h.id in ({}) and {workspace_term} in ({})",
        list_placeholders(backend, 1, ids.len()),
        list_placeholders(backend, 1 + ids.len(), workspaces.len())
    );
    (filter, ids, workspaces)
}

/// The distinct values, repeated up to a power of two.
fn padded<T: Ord + Clone>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values.dedup();
    let last = values.last().cloned();
    if let Some(last) = last {
        values.resize(values.len().next_power_of_two(), last);
    }
    values
}

/// The statement of [`find_highlights_for_post`], for a filter of
/// [`by_ids_in_workspaces`].
fn post_lookup_sql(filter: &str) -> String {
    format!(
        "select h.workspace_id, h.id, h.customer_id, c.display_name as customer_name, h.area_id,
                a.name as area_name, h.kind, h.quote, h.takeaway, h.recording_link, h.recording_at, h.author,
                i.interview_date, i.interviewee, h.posted_ts,
                case when (select min(e.id) from highlights e
                           where e.workspace_id = h.workspace_id and e.customer_id = h.customer_id
                             and e.area_id = h.area_id) = h.id then 1 else 0 end as first_in_area,
                w.product_channel as workspace_channel, c.thread_channel, c.thread_ts, h.endorsed_by
         from highlights h
         join workspaces w on w.id = h.workspace_id
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where {filter}"
    )
}

/// The highlights of claimed outbox rows, read at once when they are claimed
/// (their lanes need each one's customer, and the posts read them anyway):
/// one statement for a claim of 64 rows instead of one lookup per lane as
/// each row starts. Keyed by workspace and id; a pair not found (another
/// workspace's id, a deleted highlight) is absent.
pub async fn find_highlights_for_posts(
    db: &Db,
    highlights: &[(WorkspaceId, i64)],
) -> Result<std::collections::HashMap<(String, i64), HighlightForPost>, sqlx::Error> {
    let mut found = std::collections::HashMap::with_capacity(highlights.len());
    for chunk in highlights.chunks(MAX_POST_LOOKUPS) {
        found.extend(find_highlights_for_post(db.reader(), db.backend(), chunk).await?);
    }
    // The statement matches every id in every workspace of the group.
    let asked: std::collections::HashSet<(&str, i64)> =
        highlights.iter().map(|(workspace, id)| (workspace.as_str(), *id)).collect();
    found.retain(|(workspace, id), _| asked.contains(&(workspace.as_str(), *id)));
    Ok(found)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::plans::{sqlite_plan, Bind};

    #[tokio::test]
    async fn lookups_by_workspace_and_id_find_each_highlight_by_its_primary_key_on_sqlite() {
        let group: Vec<(WorkspaceId, i64)> = (1..=5).map(|id| (WorkspaceId("T0AAAAAAA".into()), id)).collect();
        let (filter, ids, workspaces) = by_ids_in_workspaces(Backend::Sqlite, &group);
        let binds: Vec<Bind> = ids.into_iter().map(Bind::Int).chain(workspaces.into_iter().map(Bind::Text)).collect();
        let plan = sqlite_plan(&post_lookup_sql(&filter), &binds).await;
        let steps_on_highlights: Vec<&String> = plan.iter().filter(|step| step.starts_with("SEARCH h ")).collect();
        assert_eq!(
            steps_on_highlights,
            vec!["SEARCH h USING INTEGER PRIMARY KEY (rowid=?)"],
            "not found by its id: {plan:?}"
        );
    }
}
