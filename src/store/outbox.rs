//! The outbox: Slack calls to make, queued in the same transaction as the
//! change they announce, claimed by workers with a lease, and retried until
//! they succeed. On PostgreSQL, claims skip rows another replica holds.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::store::batch::SqliteRows;
use crate::store::workspaces::WorkspaceId;
use crate::store::{Backend, Db};

/// What an outbox row asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxKind {
    /// Post a highlight into its customer's thread (posting the parent first).
    PostHighlight {
        /// The highlight.
        highlight_id: i64,
    },
    /// Render a posted highlight's reply again (after an endorsement).
    UpdateHighlight {
        /// The highlight.
        highlight_id: i64,
    },
    /// Refresh the summary in a customer's thread parent.
    UpdateThreadParent {
        /// The customer.
        customer_id: i64,
    },
    /// Point a merged customer's old thread parent at the surviving thread.
    MarkThreadMerged {
        /// The customer merged away.
        customer_id: i64,
        /// The survivor.
        into_customer_id: i64,
    },
    /// Post a message in the workspace's product channel (once per topic).
    AnnounceInChannel {
        /// mrkdwn text, already escaped.
        text: String,
        /// What makes it unique.
        topic: String,
    },
    /// Post the digest of `[from, until)` to the product channel.
    PostDigest {
        /// Start (unix ms).
        from: i64,
        /// End (unix ms).
        until: i64,
        /// "Nov 16 – Nov 23".
        label: String,
        /// The period is still running.
        partial: bool,
        /// Areas the approver left out.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed_areas: Vec<i64>,
        /// What makes it unique (the period).
        topic: String,
    },
    /// DM a scheduled digest to its approver, with Approve, Skip and Remove.
    AskDigestApproval {
        /// The period's key.
        topic: String,
    },
    /// DM a month-end report.
    SendReport {
        /// Who asked (gets the DM).
        to: String,
        /// Whose report.
        subject: String,
        /// What makes it unique.
        topic: String,
    },
    /// Check whether an onboardee reached a milestone (after new evidence).
    CheckMilestones {
        /// Slack user id.
        user: String,
    },
    /// Publish a user's App Home.
    PublishHome {
        /// Slack user id.
        user: String,
    },
    /// Ask Slack again for the permalink of a posted highlight (after
    /// `chat.getPermalink` failed).
    FillPermalink {
        /// The highlight.
        highlight_id: i64,
    },
    /// The same for a customer's thread parent.
    FillThreadPermalink {
        /// The customer.
        customer_id: i64,
    },
    /// Reply in a customer's thread that what they asked for shipped.
    PostShipped {
        /// The shipment.
        shipment_id: i64,
        /// The customer told.
        customer_id: i64,
    },
    /// Send a user a direct message from the app.
    NotifyUser {
        /// Slack user id.
        user: String,
        /// mrkdwn text, already escaped.
        text: String,
        /// What makes this notice unique (it is sent once).
        topic: String,
    },
    /// DM a follower of a customer the quotes one submission added (design.md, Behaviour).
    NotifyFollower {
        /// The follower (Slack user id).
        user: String,
        /// The customer.
        customer_id: i64,
        /// Who captured or triaged them.
        author: String,
        /// The submission's identity (one DM per follower and submission).
        submission: String,
        /// The new quotes.
        quotes: Vec<crate::store::follows::NoticeQuote>,
    },
    /// DM a follower the customers they follow that nobody interviewed lately.
    NudgeFollower {
        /// The follower.
        user: String,
        /// The Monday it is for, `YYYY-MM-DD` (one nudge a follower a Monday).
        date: String,
        /// The quiet customers, longest quiet first.
        customers: Vec<crate::store::follows::QuietCustomer>,
    },
    /// Delete the app's messages in a forgotten customer's thread, the
    /// parent last (design.md, Behaviour: Privacy).
    DeleteThread {
        /// The thread's channel.
        channel: String,
        /// Its parent's `ts`.
        ts: String,
        /// The replies known to the database (its highlights'), deleted even
        /// when the thread cannot be read.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        replies: Vec<String>,
    },
    /// Show `(removed at the customer's request)` in place of a forgotten
    /// customer's quotes in a digest or report the app posted.
    MendPost {
        /// The erase it belongs to.
        forget: String,
        /// The outbox key the digest or report was posted with.
        key: String,
        /// Who got it by DM (a report); None: the product channel (a digest).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// The customer's quotes.
        quotes: Vec<String>,
        /// The names it went by (its name, other names, `Customer N`).
        names: Vec<String>,
    },
    /// DM a planner the brief of the customer they interview today (design.md, Behaviour).
    SendInterviewBrief {
        /// The planner.
        user: String,
        /// The planned interview.
        plan_id: i64,
    },
    /// DM a planner who captured nothing 24 hours after a planned interview.
    RemindInterview {
        /// The planner.
        user: String,
        /// The planned interview.
        plan_id: i64,
    },
}

impl OutboxKind {
    /// The stored kind name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::PostHighlight { .. } => "post_highlight",
            Self::UpdateHighlight { .. } => "update_highlight",
            Self::UpdateThreadParent { .. } => "update_thread_parent",
            Self::MarkThreadMerged { .. } => "mark_thread_merged",
            Self::AnnounceInChannel { .. } => "announce_in_channel",
            Self::PublishHome { .. } => "publish_home",
            Self::CheckMilestones { .. } => "check_milestones",
            Self::PostDigest { .. } => "post_digest",
            Self::SendReport { .. } => "send_report",
            Self::AskDigestApproval { .. } => "ask_digest_approval",
            Self::NotifyUser { .. } => "notify_user",
            Self::PostShipped { .. } => "post_shipped",
            Self::FillPermalink { .. } => "fill_permalink",
            Self::FillThreadPermalink { .. } => "fill_thread_permalink",
            Self::NotifyFollower { .. } => "notify_follower",
            Self::NudgeFollower { .. } => "nudge_follower",
            Self::DeleteThread { .. } => "delete_thread",
            Self::MendPost { .. } => "mend_post",
            Self::SendInterviewBrief { .. } => "send_interview_brief",
            Self::RemindInterview { .. } => "remind_interview",
        }
    }

    /// Rows with the same key are one piece of work.
    pub fn dedupe_key(&self) -> String {
        match self {
            Self::PostHighlight { highlight_id } => format!("highlight:{highlight_id}"),
            Self::UpdateHighlight { highlight_id } => format!("reply:{highlight_id}"),
            Self::UpdateThreadParent { customer_id } => format!("parent:{customer_id}"),
            Self::MarkThreadMerged { customer_id, .. } => format!("merged:{customer_id}"),
            Self::AnnounceInChannel { topic, .. } => format!("announce:{topic}"),
            Self::PublishHome { user } => format!("home:{user}"),
            Self::CheckMilestones { user } => format!("milestones:{user}"),
            Self::PostDigest { topic, .. } => format!("digest:{topic}"),
            Self::SendReport { topic, .. } => format!("report:{topic}"),
            Self::AskDigestApproval { topic } => format!("approval:{topic}"),
            Self::NotifyUser { user, topic, .. } => format!("notify:{user}:{topic}"),
            Self::PostShipped { shipment_id, customer_id } => format!("shipped:{shipment_id}:{customer_id}"),
            Self::FillPermalink { highlight_id } => format!("permalink:{highlight_id}"),
            Self::FillThreadPermalink { customer_id } => format!("thread_permalink:{customer_id}"),
            // `store::follows` builds the same key in SQL, per follower.
            Self::NotifyFollower { user, submission, .. } => format!("follower:{submission}:{user}"),
            Self::NudgeFollower { user, date, .. } => format!("nudge:{date}:{user}"),
            Self::DeleteThread { channel, ts, .. } => format!("delete_thread:{channel}:{ts}"),
            Self::MendPost { forget, key, .. } => format!("mend:{forget}:{key}"),
            Self::SendInterviewBrief { plan_id, .. } => format!("interview_brief:{plan_id}"),
            Self::RemindInterview { plan_id, .. } => format!("interview_reminder:{plan_id}"),
        }
    }
}

/// A claimed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// Workspace.
    pub workspace: WorkspaceId,
    /// What to do.
    pub kind: OutboxKind,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// The claim that holds the row.
    pub claim_token: String,
    /// An earlier attempt may have posted without our knowing: look before posting.
    pub uncertain: bool,
    /// How often the row had been woken when it was claimed: a wake after
    /// the claim is not lost to the attempt's retry.
    pub wakes: i64,
}

/// Queues work; a row with the same key is left as is.
pub async fn insert_outbox_row(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    kind: &OutboxKind,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_string(kind).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(&format!(
        "{INSERT_OUTBOX}
         values ($1, $2, $3, $4, $5, $5, $5)
         on conflict (workspace_id, dedupe_key) do nothing"
    ))
    .bind(workspace.as_str())
    .bind(kind.name())
    .bind(kind.dedupe_key())
    .bind(payload)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The head of every insert into the outbox: its columns, in one order.
pub(crate) const INSERT_OUTBOX: &str =
    "insert into outbox (workspace_id, kind, dedupe_key, payload, run_after, created_at, updated_at)";

/// Inserts the [`OutboxRowJson`] rows of the JSON array bound at `$param`,
/// read as `r` (`r.workspace_id`, … `r.onboardee`); the caller ends the
/// statement with its `where` (SQLite needs one before an `on conflict`) and
/// its conflict clause. The one place the group writers' outbox rows are
/// written from, on both backends.
pub(crate) fn insert_outbox_rows_from_json(backend: Backend, param: usize) -> String {
    match backend {
        Backend::Sqlite => insert_outbox_rows_sqlite(SqliteRows::Json(param)),
        Backend::Postgres => format!(
            "{INSERT_OUTBOX}
             select {OUTBOX_ROW_VALUES}
             from json_to_recordset(${param}::json) as r(workspace_id text, kind text, dedupe_key text, payload text,
                                                        run_after bigint, created_at bigint, onboardee text)"
        ),
    }
}

/// [`insert_outbox_rows_from_json`] on SQLite, from either source of rows.
pub(crate) fn insert_outbox_rows_sqlite(rows: SqliteRows) -> String {
    format!(
        "with {}
{INSERT_OUTBOX}
select {OUTBOX_ROW_VALUES} from r",
        rows.cte(OUTBOX_ROW_COLUMNS)
    )
}

/// What [`INSERT_OUTBOX`] takes of an [`OutboxRowJson`] read as `r`.
const OUTBOX_ROW_VALUES: &str =
    "r.workspace_id, r.kind, r.dedupe_key, r.payload, r.run_after, r.created_at, r.created_at";

/// The fields of an [`OutboxRowJson`], in order.
pub(crate) const OUTBOX_ROW_COLUMNS: &[&str] =
    &["workspace_id", "kind", "dedupe_key", "payload", "run_after", "created_at", "onboardee"];

/// Keeps a row of [`insert_outbox_rows_from_json`] only while its
/// `onboardee`, when it names one, is being onboarded.
pub(crate) const WHILE_ONBOARDING: &str = "where r.onboardee is null
   or exists (select 1 from onboardees o where o.workspace_id = r.workspace_id
              and o.user_id = r.onboardee and o.ended_at is null)";

/// An outbox row as the group writers bind it, in a JSON array; `onboardee`,
/// when set, queues it only while that user is being onboarded.
#[derive(Debug, Serialize)]
pub(crate) struct OutboxRowJson<'a> {
    pub workspace_id: &'a str,
    pub kind: &'static str,
    pub dedupe_key: String,
    pub payload: String,
    pub run_after: i64,
    pub created_at: i64,
    pub onboardee: Option<&'a str>,
}

impl<'a> OutboxRowJson<'a> {
    pub(crate) fn new(
        workspace_id: &'a str,
        kind: &OutboxKind,
        created_at: i64,
        run_after: i64,
    ) -> Result<Self, sqlx::Error> {
        Ok(Self {
            workspace_id,
            kind: kind.name(),
            dedupe_key: kind.dedupe_key(),
            payload: serde_json::to_string(kind).map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
            run_after,
            created_at,
            onboardee: None,
        })
    }
}

/// What an upsert does to the row already there: makes it due again, at the
/// new time or the earlier one it already waits for (a burst of changes then
/// runs the work once, without pushing it back at every change). A row being
/// run is due again at the new time: woken with its past due time, it ran
/// again at once after each run, back to back through a burst (the App Home
/// refresh a burst of captures should run once a second ran ten times as
/// often in the load bench). A row already waiting, due no later, with no
/// failed attempt, is left as it is: the update would change nothing but
/// `updated_at`, and a lone capture would rewrite its author's App Home and
/// milestone rows (and their index entries) at every commit.
pub(crate) const WAKE_ON_CONFLICT: &str = "on conflict (workspace_id, dedupe_key)
     do update set status = 'pending',
                   run_after = case when outbox.status = 'pending' and outbox.locked_until is null
                                         and outbox.run_after < excluded.run_after
                                    then outbox.run_after else excluded.run_after end,
                   locked_until = null, claim_token = null, attempts = 0, updated_at = excluded.updated_at
     where outbox.status <> 'pending' or outbox.locked_until is not null or outbox.attempts <> 0
        or outbox.run_after > excluded.run_after";

/// Queues work, or wakes the existing row with the same key (for work that
/// coalesces, like refreshing a summary): it runs again after the current run.
pub async fn upsert_outbox_row(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    kind: &OutboxKind,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    upsert_outbox_row_when(conn, workspace, None, kind, now_ms).await
}

/// [`upsert_outbox_row`], only when `user` is being onboarded (one
/// statement: nothing is read first).
pub async fn upsert_outbox_row_if_onboardee(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    user: &str,
    kind: &OutboxKind,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    upsert_outbox_row_when(conn, workspace, Some(user), kind, now_ms).await
}

async fn upsert_outbox_row_when(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    onboardee: Option<&str>,
    kind: &OutboxKind,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_string(kind).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(&format!(
        "{INSERT_OUTBOX}
         select $1, $2, $3, $4, $5, $5, $5
         where $6 is null or exists (select 1 from onboardees o
                                     where o.workspace_id = $1 and o.user_id = $6 and o.ended_at is null)
         {WAKE_ON_CONFLICT}"
    ))
    .bind(workspace.as_str())
    .bind(kind.name())
    .bind(kind.dedupe_key())
    .bind(payload)
    .bind(now_ms)
    .bind(onboardee)
    .execute(conn)
    .await?;
    Ok(())
}

/// Due rows a claim chooses among: the oldest this many (an index range).
/// Among them each customer takes its turn, so a customer's backlog of up to
/// about this many rows does not hold back the others' posts; a longer one
/// holds them back until what is left of it ahead of them fits.
const CLAIM_WINDOW: i64 = 1024;

/// The lane a due row runs in, as a claim sees it: one customer's posts and
/// thread refreshes take turns with other customers'; any other row is a
/// lane of its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Turns {
    Customer(String, i64),
    Row(i64),
}

/// Claims up to `limit` due rows for `lease_ms`: the oldest due rows, taken
/// in turns across customers (every customer's first, then every customer's
/// second, ...), each customer's own rows in the order they fell due. A
/// claim chooses among the oldest [`CLAIM_WINDOW`] due rows, so one
/// customer's long backlog does not make every other customer's posts wait
/// behind it. Returned in id order.
pub async fn claim_outbox_rows(
    conn: &mut AnyConnection,
    token: &str,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    // A highlight's rows know only its id (in the key, as `dedupe_key` writes
    // it): its customer is looked up, one primary-key read a row.
    let due: Vec<(i64, String, String, String, Option<i64>)> = sqlx::query_as(
        "select o.id, o.workspace_id, o.kind, o.dedupe_key,
                (select h.customer_id from highlights h
                 where h.workspace_id = o.workspace_id
                   and h.id = case o.kind when 'post_highlight' then cast(substr(o.dedupe_key, 11) as bigint)
                                          when 'update_highlight' then cast(substr(o.dedupe_key, 7) as bigint) end)
         from (select id, workspace_id, kind, dedupe_key, run_after from outbox
               where status = 'pending' and run_after <= $1 and (locked_until is null or locked_until < $1)
               order by run_after, id limit $2) o
         order by o.run_after, o.id",
    )
    .bind(now_ms)
    .bind(CLAIM_WINDOW.max(limit))
    .fetch_all(&mut *conn)
    .await?;
    let chosen = in_turns(
        due.into_iter().map(|(id, workspace, kind, key, customer)| {
            let customer = customer.or_else(|| match kind.as_str() {
                "update_thread_parent" | "mark_thread_merged" => {
                    key.split_once(':').and_then(|(_, customer)| customer.parse().ok())
                }
                _ => None,
            });
            let turns = match customer {
                Some(customer) => Turns::Customer(workspace, customer),
                None => Turns::Row(id),
            };
            (id, turns)
        }),
        usize::try_from(limit).unwrap_or(0),
    );
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    // A lease that ran out means its holder died mid-row: what it did is unknown.
    let sql = claim_chosen_sql(crate::store::backend_of(conn), chosen.len());
    let mut claim = sqlx::query_as(&sql).bind(now_ms + lease_ms).bind(token).bind(now_ms);
    for id in &chosen {
        claim = claim.bind(*id);
    }
    let rows: Vec<(i64, String, String, i64, i64, i64)> = claim.fetch_all(&mut *conn).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for (id, workspace, payload, attempts, uncertain, wakes) in rows {
        match serde_json::from_str(&payload) {
            Ok(kind) => claimed.push(OutboxRow {
                id,
                workspace: WorkspaceId(workspace),
                kind,
                attempts,
                claim_token: token.to_owned(),
                uncertain: uncertain != 0,
                wakes,
            }),
            Err(e) => {
                tracing::error!(id, error = %e, "outbox row with an unreadable payload set aside");
                update_outbox_failed(conn, id, token, &format!("unreadable payload: {e}"), now_ms).await?;
            }
        }
    }
    claimed.sort_by_key(|r| r.id);
    Ok(claimed)
}

/// The claim of the `n` rows chosen (`$4` on): `$1` the lease's end, `$2`
/// the claim's token, `$3` now. The rows were read without a lock: a row
/// another replica claimed since is skipped (locked now) or no longer due
/// (claimed by then).
fn claim_chosen_sql(backend: Backend, n: usize) -> String {
    let (status, skip_locked) = match backend {
        Backend::Postgres => ("status", "for update skip locked"),
        // SQLite has one writer at a time: what was read above is still so.
        // Its planner, left to itself, reads every due row in `outbox_due`
        // (`status` leads that index) to find the listed ids: `+status`
        // keeps the index out of it, so the ids are looked up by key.
        Backend::Sqlite => ("+status", ""),
    };
    let list = crate::store::numbered_params(4, n);
    format!(
        "update outbox set locked_until = $1, claim_token = $2, attempts = attempts + 1, updated_at = $3,
                           uncertain = case when locked_until is not null then 1 else uncertain end
         where id in (select id from outbox
                      where id in ({list}) and {status} = 'pending' and run_after <= $3
                        and (locked_until is null or locked_until < $3)
                      {skip_locked})
         returning id, workspace_id, payload, attempts, uncertain, wakes"
    )
}

/// Up to `limit` of `due` (ids in the order they fell due, each with its
/// lane), taken in turns: every lane's first row, then every lane's second,
/// and so on, earlier rows first within a turn. Each lane's rows keep their
/// order.
fn in_turns<L: Eq + std::hash::Hash>(due: impl IntoIterator<Item = (i64, L)>, limit: usize) -> Vec<i64> {
    let mut taken: std::collections::HashMap<L, usize> = std::collections::HashMap::new();
    let mut ranked: Vec<(usize, usize, i64)> = due
        .into_iter()
        .enumerate()
        .map(|(position, (id, lane))| {
            let turn = taken.entry(lane).or_default();
            *turn += 1;
            (*turn, position, id)
        })
        .collect();
    ranked.sort_unstable();
    ranked.truncate(limit);
    ranked.into_iter().map(|(_, _, id)| id).collect()
}

/// Extends a claim's lease; false when the claim is no longer held.
pub async fn update_outbox_lease(
    conn: &mut AnyConnection,
    id: i64,
    token: &str,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("update outbox set locked_until = $3 where id = $1 and claim_token = $2 and status = 'pending'")
            .bind(id)
            .bind(token)
            .bind(until_ms)
            .execute(&mut *conn)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// Puts claimed rows that were never started back as they were (the worker
/// is stopping): due again at once, for any worker, the claim not counted as
/// an attempt.
pub async fn update_outbox_released(
    conn: &mut AnyConnection,
    ids: &[i64],
    token: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(100) {
        let list = crate::store::numbered_params(3, chunk.len());
        let sql = format!(
            "update outbox set locked_until = null, claim_token = null, attempts = attempts - 1, updated_at = $2
             where claim_token = $1 and status = 'pending' and id in ({list})"
        );
        let mut query = sqlx::query(&sql).bind(token).bind(now_ms);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Why a claimed row is put back to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The attempt failed; `uncertain` when it may have reached Slack all the
    /// same (once uncertain, a row stays so until done: a later failure says
    /// nothing about whether the earlier attempt posted).
    Failed {
        /// The attempt may have taken effect.
        uncertain: bool,
    },
    /// Slack paused the method (a 429): not a failed attempt, so it does not
    /// lengthen the row's backoff.
    Paused,
    /// The row waits for what another worker holds (a customer's thread
    /// parent being posted): nothing was tried, so it is not an attempt
    /// either, and the row's backoff follows its real failures only.
    Waiting,
}

/// Try again at `run_after_ms`.
pub async fn update_outbox_retry(
    conn: &mut AnyConnection,
    row: &OutboxRow,
    run_after_ms: i64,
    error: &str,
    why: Retry,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let (uncertain, not_an_attempt) = match why {
        Retry::Failed { uncertain } => (uncertain, false),
        Retry::Paused | Retry::Waiting => (false, true),
    };
    // Woken while in flight (`update_outbox_wake_workspace` after the claim,
    // e.g. the product channel was just set): due now, not when the retry says.
    sqlx::query(
        "update outbox set run_after = case when wakes <> $8 then $5 else $3 end,
                           locked_until = null, claim_token = null, last_error = $4, updated_at = $5,
                           uncertain = case when $6 = 1 then 1 else uncertain end,
                           attempts = case when $7 = 1 then attempts - 1 else attempts end
         where id = $1 and claim_token = $2",
    )
    .bind(row.id)
    .bind(&row.claim_token)
    .bind(run_after_ms)
    .bind(error)
    .bind(now_ms)
    .bind(i64::from(uncertain))
    .bind(i64::from(not_an_attempt))
    .bind(row.wakes)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Give up: the work cannot succeed as it is (kept for inspection).
pub async fn update_outbox_failed(
    conn: &mut AnyConnection,
    id: i64,
    token: &str,
    error: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update outbox set status = 'failed', locked_until = null, last_error = $3, updated_at = $4
         where id = $1 and claim_token = $2",
    )
    .bind(id)
    .bind(token)
    .bind(error)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Makes a workspace's waiting posts due now (after its channel is set, or
/// the app installed again); returns how many were waiting (not yet due, or
/// in flight), for the sentence that says so. A
/// row in flight is woken too (its `wakes` counted): if its attempt ends in
/// a retry, the retry is due now rather than when it would have been.
///
/// Every pending row of the workspace is touched, due or not: a row being
/// claimed at this moment is due and not yet held in what PostgreSQL's
/// `update` reads first, so a narrower `where` would pass it by, and its
/// attempt (still seeing the change uncommitted) would wait out its retry.
/// Matched, it is waited for and read again once the claim commits.
pub async fn update_outbox_wake_workspace(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    let waiting: i64 = sqlx::query_scalar(
        "select count(*) from outbox
         where workspace_id = $1 and status = 'pending' and (run_after > $2 or locked_until is not null)",
    )
    .bind(workspace.as_str())
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "update outbox set run_after = case when run_after > $2 then $2 else run_after end,
                           wakes = wakes + 1, updated_at = $2
         where workspace_id = $1 and status = 'pending'",
    )
    .bind(workspace.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(u64::try_from(waiting).unwrap_or_default())
}

/// Rows per status, for metrics and tests.
pub async fn count_outbox_rows(db: &Db, status: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from outbox where status = $1").bind(status).fetch_one(db.reader()).await
}

/// The work waiting to reach Slack: how many rows, and when the oldest was
/// queued (for `/metrics`; an index range on status).
pub async fn find_outbox_backlog(db: &Db) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as("select count(*), min(created_at) from outbox where status = 'pending'").fetch_one(db.reader()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::plans::{sqlite_opcodes, sqlite_plan, Bind};

    #[tokio::test]
    async fn writing_an_outbox_row_builds_no_temporary_table_on_sqlite() {
        let queue = "insert into outbox (workspace_id, kind, dedupe_key, payload, run_after, created_at, updated_at)
                     values ('T0AAAAAAA', 'publish_home', 'home:U1', '{}', 1, 1, 1)";
        let done = "update outbox set status = 'done', updated_at = 2 where id = 1";
        for sql in [queue, done] {
            let opcodes = sqlite_opcodes(sql).await;
            assert!(opcodes.iter().any(|op| op == "Halt"), "{opcodes:?}");
            assert!(!opcodes.iter().any(|op| op == "OpenEphemeral"), "a temporary table for each row: {sql}");
        }
    }

    #[tokio::test]
    async fn a_claim_looks_its_chosen_rows_up_by_key_on_sqlite() {
        let binds = [Bind::Int(2_000), Bind::Text("token"), Bind::Int(1_000), Bind::Int(11), Bind::Int(12)];
        let plan = sqlite_plan(&claim_chosen_sql(Backend::Sqlite, 2), &binds).await;
        let steps_on_outbox: Vec<&String> = plan.iter().filter(|step| step.contains(" outbox ")).collect();
        assert_eq!(
            steps_on_outbox,
            vec!["SEARCH outbox USING INTEGER PRIMARY KEY (rowid=?)"; 2],
            "not looked up by id: {plan:?}"
        );
    }

    #[test]
    fn lanes_take_turns_and_each_keeps_its_order() {
        // A's backlog fell due first; B and C came later.
        let due = [(1, 'A'), (2, 'A'), (3, 'A'), (4, 'A'), (5, 'B'), (6, 'A'), (7, 'C'), (8, 'B')];
        assert_eq!(in_turns(due, 8), vec![1, 5, 7, 2, 8, 3, 4, 6]);
        assert_eq!(in_turns(due, 4), vec![1, 5, 7, 2], "each lane's first before anyone's second");
        assert_eq!(in_turns(due, 0), Vec::<i64>::new());
        let one_lane = [(3, 'A'), (1, 'A'), (2, 'A')];
        assert_eq!(in_turns(one_lane, 2), vec![3, 1], "the order they fell due, within a lane");
    }
}
