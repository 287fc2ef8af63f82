//! Who follows which customer (design.md, Behaviour: customers people care
//! about), the notices followers are sent, and the Monday nudge's setting.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::domain::ShownCustomer;
use crate::store::batch::SqliteRows;
use crate::store::outbox::{OutboxKind, INSERT_OUTBOX};
use crate::store::privacy::{shown_columns, SHOWN_NAMES};
use crate::store::workspaces::WorkspaceId;
use crate::store::{backend_of, Backend, Db};

/// A customer someone follows, with what the follower sees of it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Followed {
    /// The customer.
    pub customer_id: i64,
    /// Its name.
    pub display_name: String,
    /// The customer, as it may be shown (followers read this).
    #[sqlx(flatten)]
    pub shown: ShownCustomer,
    /// When its latest highlight was captured (unix ms).
    pub last_heard_ms: Option<i64>,
    /// Its latest interview date, `YYYY-MM-DD`.
    pub last_interview: Option<String>,
    /// Its highlights.
    pub highlights: i64,
    /// Its interviews.
    pub interviews: i64,
}

/// One follow: a person and a customer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Follower {
    /// The customer followed.
    pub customer_id: i64,
    /// The follower's Slack user id.
    pub user_id: String,
}

/// A quote in a follower's notice, as it was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeQuote {
    /// Its product area.
    pub area_id: i64,
    /// The customer's words.
    pub quote: String,
    /// Link into the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_at: Option<i64>,
}

/// A followed customer nobody interviewed lately, in a nudge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct QuietCustomer {
    /// The follower.
    #[serde(skip)]
    pub user_id: String,
    /// The customer's id (so forgetting it takes it out of a queued nudge;
    /// 0 in a nudge queued before it was carried).
    #[serde(default)]
    pub customer_id: i64,
    /// The customer, as it may be shown (its label, see [`ShownCustomer`]).
    pub name: String,
    /// Its latest interview date; None when never interviewed.
    pub last_interview: Option<String>,
}

/// A workspace whose followers are nudged, and where it is in time.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NudgeSetting {
    /// The workspace.
    pub id: String,
    /// Days without an interview before a customer is listed.
    pub nudge_days: i64,
    /// Its time zone, if set.
    pub time_zone: Option<String>,
}

/// Makes `user` a follower of a customer; false when they already were.
pub async fn insert_follow(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer_id: i64,
    user: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into follows (workspace_id, customer_id, user_id, created_at) values ($1, $2, $3, $4)
         on conflict (workspace_id, customer_id, user_id) do nothing",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .bind(user)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Ends a follow; false when there was none.
pub async fn delete_follow(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer_id: i64,
    user: &str,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("delete from follows where workspace_id = $1 and customer_id = $2 and user_id = $3")
        .bind(workspace.as_str())
        .bind(customer_id)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// Whether `user` follows the customer.
pub async fn find_follow(db: &Db, workspace: &WorkspaceId, customer_id: i64, user: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("select 1 from follows where workspace_id = $1 and customer_id = $2 and user_id = $3")
            .bind(workspace.as_str())
            .bind(customer_id)
            .bind(user)
            .fetch_optional(db.reader())
            .await?;
    Ok(found.is_some())
}

/// The customers `user` follows, by name, with their latest highlight and
/// interview and their counts.
pub async fn list_followed(db: &Db, workspace: &WorkspaceId, user: &str) -> Result<Vec<Followed>, sqlx::Error> {
    sqlx::query_as(&followed_sql()).bind(workspace.as_str()).bind(user).fetch_all(db.reader()).await
}

/// The customers a person follows (`$1` workspace, `$2` user): read from
/// `follows_by_user` alone on SQLite.
fn followed_sql() -> String {
    format!(
        "select c.id as customer_id, c.display_name, {},
                (select max(h.created_at) from highlights h
                 where h.workspace_id = f.workspace_id and h.customer_id = c.id) as last_heard_ms,
                (select max(i.interview_date) from interviews i
                 where i.workspace_id = f.workspace_id and i.customer_id = c.id) as last_interview,
                (select count(*) from highlights h
                 where h.workspace_id = f.workspace_id and h.customer_id = c.id) as highlights,
                (select count(*) from interviews i
                 where i.workspace_id = f.workspace_id and i.customer_id = c.id) as interviews
         from follows f join customers c on c.workspace_id = f.workspace_id and c.id = f.customer_id
         where f.workspace_id = $1 and f.user_id = $2
         order by lower(c.display_name), c.id",
        shown_columns("c")
    )
}

/// The people following one customer, who followed first first.
pub async fn list_followers(db: &Db, workspace: &WorkspaceId, customer_id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select user_id from follows where workspace_id = $1 and customer_id = $2 order by created_at, user_id",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .fetch_all(db.reader())
    .await
}

/// The followers of these customers (of one workspace), by customer then
/// person.
pub async fn followers_of(
    db: &Db,
    workspace: &WorkspaceId,
    customer_ids: &[i64],
) -> Result<Vec<Follower>, sqlx::Error> {
    let mut followers = Vec::new();
    for chunk in customer_ids.chunks(500) {
        let sql = format!(
            "select customer_id, user_id from follows where workspace_id = $1 and customer_id in ({})
             order by customer_id, user_id",
            crate::store::numbered_params(2, chunk.len())
        );
        let mut query = sqlx::query_as(&sql).bind(workspace.as_str());
        for id in chunk {
            query = query.bind(*id);
        }
        followers.extend(query.fetch_all(db.reader()).await?);
    }
    Ok(followers)
}

/// A merge: `from`'s followers follow `into` (once each) from now on.
pub async fn update_follows_merged(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    from: i64,
    into: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into follows (workspace_id, customer_id, user_id, created_at)
         select workspace_id, $3, user_id, created_at from follows where workspace_id = $1 and customer_id = $2
         on conflict (workspace_id, customer_id, user_id) do nothing",
    )
    .bind(workspace.as_str())
    .bind(from)
    .bind(into)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from follows where workspace_id = $1 and customer_id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The outbox row a notice becomes for each follower: its key and payload
/// (the template's, with the follower set), in the backend's SQL; the
/// template's JSON fields named as `template.<field>`.
fn follower_row_sql(backend: Backend, template: &str) -> (String, String) {
    let key = format!("'follower:' || {template}.submission || ':' || f.user_id");
    let payload = match backend {
        Backend::Sqlite => format!("json_set({template}.payload, '$.user', f.user_id)"),
        Backend::Postgres => format!("jsonb_set(({template}.payload)::jsonb, '{{user}}', to_jsonb(f.user_id))::text"),
    };
    (key, payload)
}

/// Queues `notice` (a [`OutboxKind::NotifyFollower`], its `user` left empty)
/// once for each follower of its customer but `author`, in the caller's
/// transaction: who follows is read as the change commits.
pub async fn insert_follower_notices(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    notice: &OutboxKind,
    author: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let OutboxKind::NotifyFollower { customer_id, submission, .. } = notice else {
        return Ok(());
    };
    let payload = serde_json::to_string(notice).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let (key, payload_sql) = follower_row_sql(backend_of(conn), "t");
    let sql = format!(
        "{INSERT_OUTBOX}
         select f.workspace_id, 'notify_follower', {key}, {payload_sql}, $5, $5, $5
         from (select cast($1 as text) as workspace_id, cast($2 as bigint) as customer_id,
                      cast($3 as text) as submission, cast($4 as text) as payload) t
         join follows f on f.workspace_id = t.workspace_id and f.customer_id = t.customer_id
         where f.user_id <> $6
         on conflict (workspace_id, dedupe_key) do nothing"
    );
    sqlx::query(&sql)
        .bind(workspace.as_str())
        .bind(*customer_id)
        .bind(submission.as_str())
        .bind(payload)
        .bind(now_ms)
        .bind(author)
        .execute(conn)
        .await?;
    Ok(())
}

/// The SQL that queues the follower notices of a group of captures (see
/// `captures`), from a JSON array of templates `r` with the
/// [`FOLLOWER_TEMPLATE_COLUMNS`].
pub(crate) fn follower_notices_from(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => follower_notices_sqlite(SqliteRows::Json(5)),
        Backend::Postgres => {
            let (key, payload) = follower_row_sql(backend, "r");
            format!(
                "{INSERT_OUTBOX}
                 select f.workspace_id, 'notify_follower', {key}, {payload}, r.run_after, r.created_at, r.created_at
                 from json_to_recordset($5::json) as r(workspace_id text, customer_id bigint, author text,
                                                      submission text, payload text, run_after bigint,
                                                      created_at bigint)
                 join follows f on f.workspace_id = r.workspace_id and f.customer_id = r.customer_id
                 where f.user_id <> r.author
                 on conflict (workspace_id, dedupe_key) do nothing"
            )
        }
    }
}

/// [`follower_notices_from`] on SQLite, from either source of templates.
pub(crate) fn follower_notices_sqlite(rows: SqliteRows) -> String {
    let (key, payload) = follower_row_sql(Backend::Sqlite, "r");
    format!(
        "with {}
         {INSERT_OUTBOX}
         select f.workspace_id, 'notify_follower', {key}, {payload}, r.run_after, r.created_at, r.created_at
         from r
         join follows f on f.workspace_id = r.workspace_id and f.customer_id = r.customer_id
         where f.user_id <> r.author
         on conflict (workspace_id, dedupe_key) do nothing",
        rows.cte(FOLLOWER_TEMPLATE_COLUMNS)
    )
}

/// The fields of a follower notice's template, in order.
pub(crate) const FOLLOWER_TEMPLATE_COLUMNS: &[&str] =
    &["workspace_id", "customer_id", "author", "submission", "payload", "run_after", "created_at"];

/// The workspaces (installed) whose followers are nudged.
pub async fn list_nudge_settings(db: &Db) -> Result<Vec<NudgeSetting>, sqlx::Error> {
    sqlx::query_as(
        "select w.id, w.nudge_days, w.time_zone from workspaces w
         where w.uninstalled_at is null and w.nudge_days is not null
           and exists (select 1 from follows f where f.workspace_id = w.id)
         order by w.id",
    )
    .fetch_all(db.reader())
    .await
}

/// Days without an interview before followers are nudged; None: off.
pub async fn find_nudge_days(db: &Db, workspace: &WorkspaceId) -> Result<Option<i64>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<i64>>("select nudge_days from workspaces where id = $1")
        .bind(workspace.as_str())
        .fetch_optional(db.reader())
        .await?
        .flatten())
}

/// Sets the nudge's days (None: off).
pub async fn update_nudge_days(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    days: Option<i64>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set nudge_days = $2, updated_at = $3 where id = $1")
        .bind(workspace.as_str())
        .bind(days)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every followed customer nobody interviewed on or after `since`
/// (`YYYY-MM-DD`), per follower, the longest quiet first (never interviewed
/// before all).
pub async fn list_quiet_followed(
    db: &Db,
    workspace: &WorkspaceId,
    since: &str,
) -> Result<Vec<QuietCustomer>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Quiet {
        user_id: String,
        id: i64,
        #[sqlx(flatten)]
        customer: ShownCustomer,
        last_interview: Option<String>,
    }
    let rows: Vec<Quiet> = sqlx::query_as(&format!(
        "select user_id, id, {SHOWN_NAMES}, last_interview from (
             select f.user_id, {}, c.id,
                    (select max(i.interview_date) from interviews i
                     where i.workspace_id = f.workspace_id and i.customer_id = c.id) as last_interview
             from follows f join customers c on c.workspace_id = f.workspace_id and c.id = f.customer_id
             where f.workspace_id = $1) q
         where last_interview is null or last_interview < $2
         order by user_id, case when last_interview is null then 0 else 1 end, last_interview, lower(customer), id",
        shown_columns("c")
    ))
    .bind(workspace.as_str())
    .bind(since)
    .fetch_all(db.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|q| QuietCustomer {
            user_id: q.user_id,
            customer_id: q.id,
            name: q.customer.label(),
            last_interview: q.last_interview,
        })
        .collect())
}

/// Whether the nudges of a Monday (`YYYY-MM-DD`) were queued already.
pub async fn find_nudges_queued(db: &Db, workspace: &WorkspaceId, date: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("select 1 from processed_events where workspace_id = $1 and event_id = $2")
            .bind(workspace.as_str())
            .bind(format!("nudges:{date}"))
            .fetch_optional(db.reader())
            .await?;
    Ok(found.is_some())
}

/// Claims the queueing of a Monday's nudges; false when another replica (or
/// an earlier tick) did.
pub async fn insert_nudges_queued(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    date: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    crate::store::events::insert_processed_event(conn, workspace, &format!("nudges:{date}"), "nudges", now_ms).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::plans::{sqlite_plan, Bind};

    #[tokio::test]
    async fn a_persons_followed_customers_are_read_by_the_person_on_sqlite() {
        let plan = sqlite_plan(&followed_sql(), &[Bind::Text("T0AAAAAAA"), Bind::Text("U0AAAAAAA")]).await;
        let wanted = "SEARCH f USING COVERING INDEX follows_by_user (workspace_id=? AND user_id=?)";
        assert!(plan.iter().any(|step| step == wanted), "not read by the person: {plan:?}");
    }
}
