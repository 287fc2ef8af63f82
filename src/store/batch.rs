//! Many callers, one statement: a [`Batcher`] gathers the requests waiting
//! at the same moment and runs them together (one read for a hundred
//! lookups, one commit for a hundred writes). On SQLite every statement is a
//! hand-off to the connection's thread and back, and every transaction two
//! more; on PostgreSQL each is a round trip: under load, grouping is what
//! keeps the cost of a request flat.
//!
//! A request, once queued, runs to its end on the batcher's task even when
//! its caller stops waiting (a client that hung up): a write is never left
//! half done by a dropped future.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::store::Backend;

/// Runs requests in groups of at most `max` (see the module's doc).
pub(crate) struct Batcher<Req, Resp> {
    requests: mpsc::Sender<Waiting<Req, Resp>>,
}

impl<Req, Resp> Clone for Batcher<Req, Resp> {
    fn clone(&self) -> Self {
        Self { requests: self.requests.clone() }
    }
}

impl<Req, Resp> std::fmt::Debug for Batcher<Req, Resp> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

struct Waiting<Req, Resp> {
    request: Req,
    answer: oneshot::Sender<Result<Resp, sqlx::Error>>,
}

impl<Req: Send + 'static, Resp: Send + 'static> Batcher<Req, Resp> {
    /// Starts `workers` tasks, each taking every request waiting (up to
    /// `max`) and calling `run` with them; `run` answers each request, in
    /// order. With several workers, a group runs while the next gathers.
    pub(crate) fn start<F, Fut>(workers: usize, max: usize, run: F) -> Self
    where
        F: Fn(Vec<Req>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<Result<Resp, sqlx::Error>>> + Send + 'static,
    {
        let (requests, waiting) = mpsc::channel(4 * max);
        let waiting = Arc::new(Mutex::new(waiting));
        let run = Arc::new(run);
        for _ in 0..workers.max(1) {
            tokio::spawn(run_groups(waiting.clone(), max, run.clone()));
        }
        Self { requests }
    }

    /// Queues `request` and waits for its answer.
    pub(crate) async fn call(&self, request: Req) -> Result<Resp, sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        self.requests.send(Waiting { request, answer }).await.map_err(|_| sqlx::Error::PoolClosed)?;
        // A worker that is gone (the runtime is stopping) never answers.
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run_groups<Req, Resp, F, Fut>(waiting: Arc<Mutex<mpsc::Receiver<Waiting<Req, Resp>>>>, max: usize, run: Arc<F>)
where
    F: Fn(Vec<Req>) -> Fut,
    Fut: Future<Output = Vec<Result<Resp, sqlx::Error>>>,
{
    loop {
        let group = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else { return };
            let mut group = vec![first];
            while group.len() < max {
                match waiting.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            group
        };
        let (requests, answers): (Vec<Req>, Vec<_>) = group.into_iter().map(|w| (w.request, w.answer)).unzip();
        let results = run(requests).await;
        debug_assert_eq!(results.len(), answers.len(), "a batch answers every request");
        for (answer, result) in answers.into_iter().zip(results) {
            let _ = answer.send(result);
        }
    }
}

/// Writes `group` in one go; when that fails, each alone, so one bad request
/// fails only itself: an answer for each, in order (`write` answers one for
/// each request it was given).
pub(crate) async fn all_or_each<'a, T, R, F, Fut>(group: &'a [T], what: &str, write: F) -> Vec<Result<R, sqlx::Error>>
where
    F: Fn(&'a [T]) -> Fut,
    Fut: Future<Output = Result<Vec<R>, sqlx::Error>>,
{
    match write(group).await {
        Ok(answers) => answers.into_iter().map(Ok).collect(),
        Err(e) if group.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, size = group.len(), "writing a group of {what} failed; writing them one by one");
            let mut results = Vec::with_capacity(group.len());
            for one in group {
                let answer = write(std::slice::from_ref(one)).await;
                results.push(answer.and_then(|mut a| a.pop().ok_or(sqlx::Error::RowNotFound)));
            }
            results
        }
    }
}

/// The same failure for each of `n` requests (`sqlx::Error` cannot be cloned:
/// each gets its text).
pub(crate) fn each_failed<T>(error: &sqlx::Error, n: usize) -> Vec<Result<T, sqlx::Error>> {
    let reason = error.to_string();
    (0..n).map(|_| Err(sqlx::Error::Protocol(reason.clone()))).collect()
}

/// `($1, $2, …), ($n, …)` for `rows` rows of `columns` binds; on SQLite
/// `(?, ?, …)`: it finds a numbered parameter's position by a linear search,
/// which makes binding a large statement quadratic, while anonymous ones bind
/// in order.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| match backend {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${}", r * columns + c),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$start, …` for `n` binds in a list; on SQLite `?, …` (see
/// [`values_placeholders`]).
pub(crate) fn list_placeholders(backend: Backend, start: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => crate::store::numbered_params(start, n),
    }
}

/// Where a group writer's SQLite statement reads its rows: the CTE
/// `r(columns…)`, whose columns the statement reads by name, from either
/// source.
///
/// A JSON array costs the same handful of prepared statements for any size
/// of group, and SQLite pays for it in every row: `json_each`, a
/// materialized copy of the rows as binary JSON (see the captures' group
/// script), a look-up for every field. Rows bound one field at a time cost
/// none of it (read with callgrind on a lone capture, two fifths of the
/// writer thread's instructions: benches/README.md), but their statement's
/// text depends on how many rows there are: the writers bind the shapes
/// they write most often (a lone capture's) and send JSON for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqliteRows {
    /// Any number of rows, a JSON array of objects bound at `$n`.
    Json(usize),
    /// `rows` rows, their fields bound one by one from `$first` on, row
    /// after row in the order of the columns (see [`bind_rows`]).
    Bound { first: usize, rows: usize },
}

impl SqliteRows {
    /// The CTE definitions that make `r(columns…)` (after `with`).
    pub(crate) fn cte(self, columns: &[&str]) -> String {
        let names = columns.join(", ");
        match self {
            Self::Json(param) => {
                let fields: Vec<String> = columns.iter().map(|c| format!("j ->> '{c}'")).collect();
                format!(
                    "t(j) as materialized (select jsonb(value) from json_each(${param})),
                     r({names}) as (select {} from t)",
                    fields.join(", ")
                )
            }
            Self::Bound { first, rows } => {
                let values: Vec<String> = (0..rows)
                    .map(|row| {
                        let start = first + row * columns.len();
                        format!("({})", crate::store::numbered_params(start, columns.len()))
                    })
                    .collect();
                format!("r({names}) as (values {})", values.join(", "))
            }
        }
    }

    /// Whether `n` rows are what this source takes: any number as JSON,
    /// exactly its own when bound.
    pub(crate) fn holds(self, n: usize) -> bool {
        match self {
            Self::Json(_) => true,
            Self::Bound { rows, .. } => rows == n,
        }
    }

    /// How many binds the rows take.
    pub(crate) fn binds(self, columns: &[&str]) -> usize {
        match self {
            Self::Json(_) => 1,
            Self::Bound { rows, .. } => rows * columns.len(),
        }
    }
}

/// Binds the fields of `rows` one by one (each serialized as a JSON object,
/// its fields taken in the order of `columns`): the binds of
/// [`SqliteRows::Bound`]. A field the object lacks is an error; strings,
/// integers and nulls bind as themselves.
pub(crate) fn bind_rows<'q, T: Serialize>(
    mut query: AnyQuery<'q>,
    rows: &[T],
    columns: &[&str],
) -> Result<AnyQuery<'q>, sqlx::Error> {
    let encode = |what: String| sqlx::Error::Encode(what.into());
    for row in rows {
        let serde_json::Value::Object(mut fields) = serde_json::to_value(row).map_err(|e| encode(e.to_string()))?
        else {
            return Err(encode("a row to bind is not an object".into()));
        };
        debug_assert_eq!(fields.len(), columns.len(), "every field of a row is a column: {columns:?}");
        for column in columns {
            query = match fields.remove(*column) {
                Some(serde_json::Value::String(text)) => query.bind(text),
                Some(serde_json::Value::Number(n)) if n.is_i64() => query.bind(n.as_i64()),
                Some(serde_json::Value::Null) => query.bind(None::<String>),
                Some(other) => return Err(encode(format!("{column}: {other} cannot be bound"))),
                None => return Err(encode(format!("a row to bind has no {column}"))),
            };
        }
    }
    Ok(query)
}

/// A statement with its binds, on either backend.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_waiting_together_run_as_one_group_and_each_gets_its_answer() {
        let groups = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = groups.clone();
        let batcher = Batcher::start(1, 8, move |requests: Vec<u32>| {
            seen.lock().expect("groups").push(requests.len());
            async move { requests.into_iter().map(|r| Ok(r * 10)).collect() }
        });
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..20u32 {
            let batcher = batcher.clone();
            calls.spawn(async move { (n, batcher.call(n).await) });
        }
        let mut answered = 0;
        while let Some(done) = calls.join_next().await {
            let (n, answer) = done.expect("call");
            assert_eq!(answer.expect("answer"), n * 10);
            answered += 1;
        }
        assert_eq!(answered, 20);
        let groups = groups.lock().expect("groups").clone();
        assert_eq!(groups.iter().sum::<usize>(), 20);
        assert!(groups.iter().all(|&size| size <= 8), "{groups:?}");
        assert!(groups.len() < 20, "some requests shared a group: {groups:?}");
    }

    #[tokio::test]
    async fn a_request_whose_caller_stopped_waiting_still_runs() {
        let (ran, mut ran_rx) = mpsc::unbounded_channel();
        let batcher = Batcher::start(1, 8, move |requests: Vec<u32>| {
            let ran = ran.clone();
            async move {
                tokio::task::yield_now().await;
                requests.iter().for_each(|r| ran.send(*r).expect("test alive"));
                requests.into_iter().map(|_| Ok(())).collect()
            }
        });
        // Polled once (so queued), then dropped before the batcher ran.
        let mut call = Box::pin(batcher.call(7));
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
        assert!(first.is_pending(), "the call was still waiting when dropped");
        drop(call);
        assert_eq!(ran_rx.recv().await, Some(7));
    }

    #[test]
    fn placeholders_number_every_cell() {
        assert_eq!(values_placeholders(Backend::Postgres, 1, 2), "($1, $2)");
        assert_eq!(values_placeholders(Backend::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(list_placeholders(Backend::Postgres, 3, 2), "$3, $4");
        assert_eq!(list_placeholders(Backend::Sqlite, 3, 2), "?, ?");
    }
}
