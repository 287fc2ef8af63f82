//! What the outbox worker records as its rows finish, many lanes' records in
//! one commit: a posted highlight (where it is, its link, the work that
//! follows it) and rows done. Each lane waits for the commit that holds its
//! record, so what it runs next sees it; under load a hundred records cost
//! one transaction and a few statements instead of a hundred transactions.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;
use sqlx::AnyPool;

use crate::store::batch::{all_or_each, Batcher};
use crate::store::held::Held;
use crate::store::outbox::{insert_outbox_rows_from_json, OutboxKind, OutboxRowJson, WAKE_ON_CONFLICT};
use crate::store::workspaces::WorkspaceId;
use crate::store::{begin_unflushed_in, Backend};

/// A step the outbox worker has finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// A highlight's reply is in Slack.
    Posted {
        /// Its workspace.
        workspace: WorkspaceId,
        /// The highlight.
        highlight_id: i64,
        /// Where it was posted.
        channel: String,
        /// The reply's `ts`.
        ts: String,
        /// Its permalink, if Slack gave it.
        permalink: Option<String>,
        /// Work queued (or woken) with it.
        follow_ups: Vec<OutboxKind>,
        /// When.
        now_ms: i64,
    },
    /// Outbox rows claimed under `token` are done.
    Done {
        /// The claim.
        token: String,
        /// The rows.
        ids: Vec<i64>,
        /// When.
        now_ms: i64,
    },
}

/// The most records in one commit.
const MAX_GROUP: usize = 128;

/// Starts the recorder on the writer pool, with a connection it keeps (see
/// [`Held`]).
pub(crate) fn start(pool: AnyPool, backend: Backend) -> (Batcher<Finished, ()>, Held) {
    let held = Held::new(pool, backend, 1);
    let conns = held.clone();
    let recorder = Batcher::start(1, MAX_GROUP, move |group: Vec<Finished>| {
        let conns = conns.clone();
        async move {
            all_or_each(&group, "outbox records", |records| async {
                write(&conns, backend, records).await.map(|()| vec![(); records.len()])
            })
            .await
        }
    });
    (recorder, held)
}

#[derive(Serialize)]
struct PostedRow<'a> {
    workspace_id: &'a str,
    id: i64,
    channel: &'a str,
    ts: &'a str,
    permalink: Option<&'a str>,
}

#[derive(Serialize)]
struct DoneRow<'a> {
    id: i64,
    token: &'a str,
    now: i64,
}

/// Writes a group of records in one transaction.
async fn write(conns: &Held, backend: Backend, group: &[Finished]) -> Result<(), sqlx::Error> {
    let mut posted = Vec::new();
    // One row per key, in key order (two commits waking the same rows lock
    // them in the same order); the latest record wins.
    let mut follow_ups = BTreeMap::new();
    let mut done = Vec::new();
    for record in group {
        match record {
            Finished::Posted { workspace, highlight_id, channel, ts, permalink, follow_ups: kinds, now_ms } => {
                posted.push(PostedRow {
                    workspace_id: workspace.as_str(),
                    id: *highlight_id,
                    channel,
                    ts,
                    permalink: permalink.as_deref(),
                });
                for kind in kinds {
                    let row = OutboxRowJson::new(workspace.as_str(), kind, *now_ms, *now_ms)?;
                    follow_ups.insert((row.workspace_id, row.dedupe_key.clone()), row);
                }
            }
            Finished::Done { token, ids, now_ms } => {
                done.extend(ids.iter().map(|&id| DoneRow { id, token, now: *now_ms }));
            }
        }
    }
    let follow_ups: Vec<_> = follow_ups.into_values().collect();
    let (posted, follow_ups, done) = (to_json(&posted)?, to_json(&follow_ups)?, to_json(&done)?);
    let mut conn = conns.lock().await?;
    // A record lost with the database server's crash is found again: the
    // rows it finished run again as uncertain, and look before they act.
    let mut tx = begin_unflushed_in(&mut conn, backend).await?;
    match backend {
        Backend::Sqlite => {
            sqlx::query(&SQLITE_RECORD).bind(posted).bind(follow_ups).bind(done).execute(&mut *tx).await?;
        }
        Backend::Postgres => {
            sqlx::query(&POSTGRES_POSTED).bind(posted).bind(follow_ups).execute(&mut *tx).await?;
            sqlx::query(POSTGRES_DONE).bind(done).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    conn.keep();
    Ok(())
}

fn to_json<T: Serialize>(rows: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// SQLite: one script, one hand-off to the connection's thread. `$1` posted
/// highlights, `$2` follow-ups (woken if queued already), `$3` rows done.
/// A row a follow-up woke meanwhile has lost its claim, so it is not marked
/// done: it runs again.
static SQLITE_RECORD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
with r(j) as materialized (select jsonb(value) from json_each($1))
update highlights
set posted_channel = r.j ->> 'channel', posted_ts = r.j ->> 'ts',
    permalink = coalesce(r.j ->> 'permalink', highlights.permalink)
from r
where highlights.workspace_id = r.j ->> 'workspace_id' and highlights.id = r.j ->> 'id';

{follow_ups} where true
{WAKE_ON_CONFLICT};

with r(j) as materialized (select jsonb(value) from json_each($3))
update outbox
set status = 'done', locked_until = null, last_error = null, updated_at = r.j ->> 'now'
from r
where outbox.id = r.j ->> 'id' and outbox.claim_token = r.j ->> 'token';",
        follow_ups = insert_outbox_rows_from_json(Backend::Sqlite, 2)
    )
});

/// PostgreSQL: the posts and their follow-ups in one statement (different
/// tables), then the rows done (a row may be both woken and done in a
/// group, and one statement must not change a row twice).
static POSTGRES_POSTED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "with posted as (
             update highlights h
             set posted_channel = r.channel, posted_ts = r.ts, permalink = coalesce(r.permalink, h.permalink)
             from json_to_recordset($1::json) as r(workspace_id text, id bigint, channel text, ts text, permalink text)
             where h.workspace_id = r.workspace_id and h.id = r.id)
         {follow_ups}
         {WAKE_ON_CONFLICT}",
        follow_ups = insert_outbox_rows_from_json(Backend::Postgres, 2)
    )
});

const POSTGRES_DONE: &str = "update outbox o
     set status = 'done', locked_until = null, last_error = null, updated_at = r.now
     from json_to_recordset($1::json) as r(id bigint, token text, now bigint)
     where o.id = r.id and o.claim_token = r.token";
