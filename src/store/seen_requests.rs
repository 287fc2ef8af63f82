//! Signed requests already taken, by the SHA-256 of their signature, shared
//! by every replica: a request replayed within Slack's signing window is
//! answered without being acted on again (see
//! [`crate::slack::verify::SignedRequest::seen_key`]).

use std::collections::HashSet;

use sqlx::AnyPool;

use crate::store::batch::{all_or_each, values_placeholders, Batcher};
use crate::store::held::Held;
use crate::store::Backend;

/// A signed request to record: its signature's hash, kept until `expires_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// Hex SHA-256 of the signature.
    pub signature_hash: String,
    /// When it can be forgotten (unix ms).
    pub expires_at_ms: i64,
}

/// The most requests recorded in one commit.
const MAX_GROUP: usize = 256;

/// Whether a write failed because it recorded a signed request recorded
/// before: a quick capture records its request in its own transaction
/// (`store::captures`), so its replay fails there and stores nothing.
pub fn is_replay(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => {
            e.is_unique_violation()
                && (e.constraint() == Some("seen_requests_pkey") || e.message().contains("seen_requests."))
        }
        _ => false,
    }
}

/// Logs that a replay was answered without acting (once per replay, by
/// whichever write found it: [`crate::store::Db::first_time`], or a quick
/// capture's own transaction).
pub fn log_replay() {
    tracing::warn!("a signed request sent again within its signing window answered without acting");
}

/// Starts the recorder on the writer pool: the requests arriving together
/// are recorded in one statement and one commit (on SQLite, a transaction a
/// request had cost a fifth of a lone capture's time on the writer), on a
/// connection it keeps (see [`Held`]).
pub(crate) fn start(pool: AnyPool, backend: Backend) -> (Batcher<SeenRequest, bool>, Held) {
    let held = Held::new(pool, backend, 1);
    let conns = held.clone();
    let recorder = Batcher::start(1, MAX_GROUP, move |group: Vec<SeenRequest>| {
        let conns = conns.clone();
        async move {
            all_or_each(&group, "signed requests", |requests| insert_seen_requests(&conns, backend, requests)).await
        }
    });
    (recorder, held)
}

/// Records each request's signature hash; for each, true when it was not
/// recorded before (false: a replay, also of one earlier in the group).
async fn insert_seen_requests(conns: &Held, backend: Backend, group: &[SeenRequest]) -> Result<Vec<bool>, sqlx::Error> {
    let values = values_placeholders(backend, group.len(), 2);
    let sql = match backend {
        Backend::Sqlite => format!(
            "insert into seen_requests (signature_hash, expires_at) values {values}
             on conflict (signature_hash) do nothing returning signature_hash"
        ),
        // Committed without waiting for the WAL's flush (`synchronous_commit`
        // off for this statement's transaction only): the write the request
        // then makes, if any, flushes the WAL past this record before it is
        // acknowledged; a request that writes nothing, replayed after a
        // crash lost its record, only reads again. (A quick capture records
        // its request in its own transaction instead, `store::captures`.)
        Backend::Postgres => format!(
            "insert into seen_requests (signature_hash, expires_at)
             select v.signature_hash, v.expires_at from (values {values}) as v (signature_hash, expires_at)
             where set_config('synchronous_commit', 'off', true) is not null
             on conflict (signature_hash) do nothing returning signature_hash"
        ),
    };
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for request in group {
        query = query.bind(&request.signature_hash).bind(request.expires_at_ms);
    }
    let mut conn = conns.lock().await?;
    let mut inserted: HashSet<String> = query.fetch_all(&mut *conn).await?.into_iter().collect();
    conn.keep();
    // A hash sent twice in one group is inserted once: the first is the one.
    Ok(group.iter().map(|request| inserted.remove(&request.signature_hash)).collect())
}

/// Forgets a request whose handling failed on our side, so that sending it
/// again is acted on.
pub async fn delete_seen_request(conn: &mut sqlx::AnyConnection, signature_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from seen_requests where signature_hash = $1").bind(signature_hash).execute(&mut *conn).await?;
    Ok(())
}

/// Deletes the requests whose signature can no longer be verified at
/// `now_ms`; returns how many.
pub async fn delete_expired_seen_requests(conn: &mut sqlx::AnyConnection, now_ms: i64) -> Result<u64, sqlx::Error> {
    let result =
        sqlx::query("delete from seen_requests where expires_at < $1").bind(now_ms).execute(&mut *conn).await?;
    Ok(result.rows_affected())
}
