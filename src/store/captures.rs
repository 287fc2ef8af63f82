//! Captures: the request path's reads and writes. [`find_capture_context`]
//! reads everything a capture needs in one statement; [`CaptureQueue`] commits
//! captures in groups: every capture waiting when the writer is free goes into
//! one transaction, written with a handful of multi-row statements, so a burst
//! of a hundred captures costs about what one does. Each caller is answered
//! only after the commit that holds its capture.
//!
//! The queue's tasks own the transactions: a request future that is dropped
//! (a client hanging up) drops only its wait for the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::customers::CustomerName;
use crate::store::outbox::OutboxKind;
use crate::store::workspaces::WorkspaceId;
use crate::store::{begin_on, customers, Backend};

/// How long after a capture its author's App Home refresh and milestone check
/// run: a burst of captures then costs one of each.
pub const FOLLOW_UP_DELAY_MS: i64 = 1000;

/// The most captures committed in one transaction.
const MAX_GROUP: usize = 256;
/// The most rows in one multi-row statement (binds stay far below both
/// backends' limits).
const MAX_ROWS_PER_STATEMENT: usize = 200;

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
    /// When its posts are due (unix ms): now, or later when there is no
    /// channel to post to yet (the user was told in the acknowledgement; the
    /// posts are made due at once when a channel is set).
    pub post_after_ms: i64,
    /// Other work to queue once (by its dedupe key) with the capture, e.g.
    /// telling the author why the posts wait.
    pub notices: Vec<OutboxKind>,
}

/// What a capture wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCapture {
    /// The customer.
    pub customer_id: i64,
    /// The interview the highlights belong to.
    pub interview_id: i64,
}

/// What a capture needs to know before it writes, read in one statement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaptureContext {
    /// The workspace's product channel, if set from Slack.
    pub product_channel: Option<String>,
    /// The workspace's time zone, if set.
    pub time_zone: Option<String>,
    /// Bumped whenever the product areas change (the key of cached areas).
    pub areas_version: i64,
    /// The customer the name's key or alias leads to, if any.
    pub customer_id: Option<i64>,
    /// That customer's name.
    pub customer_name: Option<String>,
    /// Set when that customer was merged into another.
    pub merged_into: Option<i64>,
}

/// Looks capture contexts up in groups: every lookup waiting when the last
/// group's answer came back goes into one statement, so under load a hundred
/// captures cost one read, not a hundred (each read is a hand-off to the
/// connection's thread on SQLite, a round trip on PostgreSQL).
#[derive(Debug, Clone)]
pub struct ContextLoader {
    lookups: mpsc::Sender<Lookup>,
}

struct Lookup {
    workspace: WorkspaceId,
    key: String,
    answer: oneshot::Sender<Result<Option<CaptureContext>, sqlx::Error>>,
}

/// The most lookups answered by one statement.
const MAX_LOOKUPS: usize = 128;

impl ContextLoader {
    /// Starts the loader on a pool of readers.
    pub fn start(pool: AnyPool, backend: Backend) -> Self {
        let (lookups, waiting) = mpsc::channel(4 * MAX_LOOKUPS);
        tokio::spawn(run_loader(pool, backend, waiting));
        Self { lookups }
    }

    /// The workspace's settings and the customer `key` names (by key or
    /// alias); None when the workspace is unknown.
    pub async fn find(&self, workspace: &WorkspaceId, key: &str) -> Result<Option<CaptureContext>, sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        let lookup = Lookup { workspace: workspace.clone(), key: key.to_owned(), answer };
        self.lookups.send(lookup).await.map_err(|_| sqlx::Error::PoolClosed)?;
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run_loader(pool: AnyPool, backend: Backend, mut waiting: mpsc::Receiver<Lookup>) {
    while let Some(first) = waiting.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_LOOKUPS {
            match waiting.try_recv() {
                Ok(lookup) => group.push(lookup),
                Err(_) => break,
            }
        }
        match find_capture_contexts(&pool, backend, &group).await {
            Ok(mut found) => {
                for (n, lookup) in group.into_iter().enumerate() {
                    let _ = lookup.answer.send(Ok(found.remove(&(n as i64))));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, lookups = group.len(), "capture context lookup failed");
                let reason = e.to_string();
                for lookup in group {
                    let _ = lookup.answer.send(Err(sqlx::Error::Protocol(reason.clone())));
                }
            }
        }
    }
}

/// Answers a group of lookups in one statement, by their position. The group
/// is padded to a power of two (repeating its last lookup), so a handful of
/// prepared statements serve every size.
async fn find_capture_contexts(
    pool: &AnyPool,
    backend: Backend,
    group: &[Lookup],
) -> Result<BTreeMap<i64, CaptureContext>, sqlx::Error> {
    let size = group.len().next_power_of_two();
    let sql = format!(
        "with wanted (n, workspace_id, customer_key) as (values {})
         select wanted.n, w.product_channel, w.time_zone, w.areas_version,
                c.id as customer_id, c.display_name as customer_name, c.merged_into
         from wanted
         join workspaces w on w.id = wanted.workspace_id
         left join customers c on c.workspace_id = w.id and c.id = coalesce(
             (select k.id from customers k where k.workspace_id = w.id and k.key = wanted.customer_key),
             (select a.customer_id from customer_aliases a
              where a.workspace_id = w.id and a.key = wanted.customer_key))",
        placeholders(backend, size, 3)
    );
    let mut query = sqlx::query_as::<_, NumberedContext>(&sql);
    for n in 0..size {
        let lookup = &group[n.min(group.len() - 1)];
        query = query.bind(n as i64).bind(lookup.workspace.as_str()).bind(&lookup.key);
    }
    Ok(query.fetch_all(pool).await?.into_iter().map(|row| (row.n, row.context)).collect())
}

#[derive(sqlx::FromRow)]
struct NumberedContext {
    n: i64,
    #[sqlx(flatten)]
    context: CaptureContext,
}

struct Job {
    workspace: WorkspaceId,
    capture: NewCapture,
    now_ms: i64,
    answer: oneshot::Sender<Result<StoredCapture, sqlx::Error>>,
}

/// Where captures wait for the next group commit.
#[derive(Debug, Clone)]
pub struct CaptureQueue {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("workspace", &self.workspace).finish_non_exhaustive()
    }
}

impl CaptureQueue {
    /// Starts the committers: one on SQLite (it has one writer), a few on
    /// PostgreSQL (groups commit while others are being written).
    pub fn start(pool: AnyPool, backend: Backend) -> Self {
        let (jobs, waiting) = mpsc::channel(4 * MAX_GROUP);
        let waiting = Arc::new(Mutex::new(waiting));
        let committers = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        for _ in 0..committers {
            tokio::spawn(run_committer(pool.clone(), backend, waiting.clone()));
        }
        Self { jobs }
    }

    /// Queues a capture and waits for the commit that holds it.
    pub async fn insert(
        &self,
        workspace: WorkspaceId,
        capture: NewCapture,
        now_ms: i64,
    ) -> Result<StoredCapture, sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        self.jobs.send(Job { workspace, capture, now_ms, answer }).await.map_err(|_| sqlx::Error::PoolClosed)?;
        // A committer that is gone (the runtime is stopping) never answers.
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

/// Takes every capture waiting (up to [`MAX_GROUP`]) and commits them together.
async fn run_committer(pool: AnyPool, backend: Backend, waiting: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let group = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else { return };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match waiting.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            group
        };
        commit_group(&pool, backend, group).await;
    }
}

async fn commit_group(pool: &AnyPool, backend: Backend, group: Vec<Job>) {
    match write_group(pool, backend, &group).await {
        Ok(stored) => {
            for (job, stored) in group.into_iter().zip(stored) {
                let _ = job.answer.send(Ok(stored));
            }
        }
        Err(e) if group.len() == 1 => {
            let _ = group.into_iter().next().map(|job| job.answer.send(Err(e)));
        }
        Err(e) => {
            // One bad capture must not fail the others: each alone, to find it.
            tracing::warn!(error = %e, captures = group.len(), "a group commit failed; committing its captures one by one");
            for job in group {
                let result = write_group(pool, backend, std::slice::from_ref(&job)).await;
                let _ = job.answer.send(result.map(|mut stored| stored.remove(0)));
            }
        }
    }
}

/// An interview's identity: one per (workspace, interviewer, customer, date).
type InterviewKey = (String, String, i64, String);

/// Writes a group of captures in one transaction: customers that are new,
/// interviews, highlights, their posts in the outbox, and one App Home refresh
/// and milestone check per author.
async fn write_group(pool: &AnyPool, backend: Backend, group: &[Job]) -> Result<Vec<StoredCapture>, sqlx::Error> {
    let mut tx = begin_on(pool, backend).await?;
    // New customers first, in key order (two groups creating the same
    // customers then lock them in the same order).
    let mut new_customers: BTreeMap<(&WorkspaceId, &str), (&CustomerName, i64)> = BTreeMap::new();
    for job in group.iter().filter(|job| job.capture.customer_id.is_none()) {
        let name = &job.capture.customer;
        new_customers.entry((&job.workspace, name.key.as_str())).or_insert((name, job.now_ms));
    }
    let mut created = BTreeMap::new();
    for ((workspace, key), (name, now)) in new_customers {
        created.insert((workspace, key), customers::insert_customer_if_new(&mut tx, workspace, name, now).await?);
    }
    let customer_ids: Vec<i64> = group
        .iter()
        .map(|job| {
            job.capture.customer_id.unwrap_or_else(|| created[&(&job.workspace, job.capture.customer.key.as_str())])
        })
        .collect();
    let keys: Vec<InterviewKey> = group
        .iter()
        .zip(&customer_ids)
        .map(|(job, &customer)| {
            let c = &job.capture;
            (job.workspace.0.clone(), c.author.clone(), customer, c.interview_date.clone())
        })
        .collect();
    let interviews = upsert_interviews(&mut tx, backend, group, &keys).await?;
    insert_highlights(&mut tx, backend, group, &customer_ids, &keys, &interviews).await?;
    queue_follow_ups(&mut tx, backend, group).await?;
    tx.commit().await?;
    Ok(customer_ids
        .into_iter()
        .zip(&keys)
        .map(|(customer_id, key)| StoredCapture { customer_id, interview_id: interviews[key] })
        .collect())
}

/// `($1, $2, …), ($n, …)` for `rows` rows of `columns` binds; on SQLite
/// `(?, ?, …)`: it finds a numbered parameter's position by a linear search,
/// which makes binding a large statement quadratic, while anonymous ones bind
/// in order.
fn placeholders(backend: Backend, rows: usize, columns: usize) -> String {
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

/// Records each distinct interview of the group (in key order, so two groups
/// touching the same interviews lock them in the same order); their ids.
async fn upsert_interviews(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    group: &[Job],
    keys: &[InterviewKey],
) -> Result<BTreeMap<InterviewKey, i64>, sqlx::Error> {
    // The first recording link given for an interview wins, as a second
    // capture's does not replace the first's.
    let mut distinct: BTreeMap<&InterviewKey, (Option<&str>, i64)> = BTreeMap::new();
    for (job, key) in group.iter().zip(keys) {
        let entry = distinct.entry(key).or_insert((None, job.now_ms));
        if entry.0.is_none() {
            entry.0 = job.capture.recording_link.as_deref();
        }
    }
    let rows: Vec<_> = distinct.into_iter().collect();
    let mut ids = BTreeMap::new();
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into interviews (workspace_id, interviewer, customer_id, interview_date, recording_link, created_at)
             values {}
             on conflict (workspace_id, interviewer, customer_id, interview_date)
             do update set recording_link = coalesce(interviews.recording_link, excluded.recording_link)
             returning id, workspace_id, interviewer, customer_id, interview_date",
            placeholders(backend, chunk.len(), 6)
        );
        let mut query = sqlx::query_as::<_, (i64, String, String, i64, String)>(&sql);
        for ((workspace, interviewer, customer, date), (link, now)) in chunk {
            query = query.bind(workspace).bind(interviewer).bind(*customer).bind(date).bind(*link).bind(*now);
        }
        for (id, workspace, interviewer, customer, date) in query.fetch_all(&mut **tx).await? {
            ids.insert((workspace, interviewer, customer, date), id);
        }
    }
    Ok(ids)
}

/// Inserts every highlight of the group, and its post into the outbox.
async fn insert_highlights(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    group: &[Job],
    customer_ids: &[i64],
    keys: &[InterviewKey],
    interviews: &BTreeMap<InterviewKey, i64>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<_> = group
        .iter()
        .zip(customer_ids)
        .zip(keys)
        .flat_map(|((job, &customer), key)| {
            let interview = interviews[key];
            job.capture.highlights.iter().map(move |h| (job, customer, interview, h))
        })
        .collect();
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into highlights
               (workspace_id, interview_id, customer_id, area_id, kind, quote, takeaway, recording_link, author, created_at)
             values {}
             returning id, workspace_id, created_at",
            placeholders(backend, chunk.len(), 10)
        );
        let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql);
        for (job, customer, interview, h) in chunk {
            let link = h.recording_link.as_ref().or(job.capture.recording_link.as_ref());
            query = query
                .bind(job.workspace.as_str())
                .bind(*interview)
                .bind(*customer)
                .bind(h.area_id)
                .bind(h.kind)
                .bind(&h.quote)
                .bind(&h.takeaway)
                .bind(link)
                .bind(&job.capture.author)
                .bind(job.now_ms);
        }
        let inserted = query.fetch_all(&mut **tx).await?;
        // When each post is due: the capture's choice, found by workspace and time.
        let due: BTreeMap<(&str, i64), i64> =
            chunk.iter().map(|(job, ..)| ((job.workspace.as_str(), job.now_ms), job.capture.post_after_ms)).collect();
        let posts: Vec<(WorkspaceId, OutboxKind, i64, i64)> = inserted
            .into_iter()
            .map(|(id, workspace, created)| {
                let run_after = due.get(&(workspace.as_str(), created)).copied().unwrap_or(created);
                (WorkspaceId(workspace), OutboxKind::PostHighlight { highlight_id: id }, created, run_after)
            })
            .collect();
        insert_outbox_rows(tx, backend, &posts).await?;
    }
    Ok(())
}

/// New outbox rows, many at once: (workspace, work, created at, due at).
async fn insert_outbox_rows(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    rows: &[(WorkspaceId, OutboxKind, i64, i64)],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "insert into outbox (workspace_id, kind, dedupe_key, payload, run_after, created_at, updated_at)
             values {}
             on conflict (workspace_id, dedupe_key) do nothing",
            placeholders(backend, chunk.len(), 7)
        );
        let mut query = sqlx::query(&sql);
        for (workspace, kind, created, due) in chunk {
            let payload = serde_json::to_string(kind).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query
                .bind(workspace.as_str())
                .bind(kind.name())
                .bind(kind.dedupe_key())
                .bind(payload)
                .bind(*due)
                .bind(*created)
                .bind(*created);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// What follows new evidence, once per author of the group: a refresh of
/// their App Home, and for an onboardee a milestone check. Both are outbox
/// work that coalesces: many captures, one publish.
async fn queue_follow_ups(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    group: &[Job],
) -> Result<(), sqlx::Error> {
    let authors: BTreeSet<(&WorkspaceId, &str)> =
        group.iter().map(|job| (&job.workspace, job.capture.author.as_str())).collect();
    let now = group.iter().map(|job| job.now_ms).max().unwrap_or_default();
    let due = now + FOLLOW_UP_DELAY_MS;
    let notices: Vec<_> = group
        .iter()
        .flat_map(|job| job.capture.notices.iter().map(move |kind| (job.workspace.clone(), kind.clone(), now, now)))
        .collect();
    insert_outbox_rows(tx, backend, &notices).await?;
    for (workspace, author) in authors {
        let home = OutboxKind::PublishHome { user: author.into() };
        crate::store::outbox::upsert_outbox_row_in(tx, workspace, &home, due).await?;
        let check = OutboxKind::CheckMilestones { user: author.into() };
        crate::store::outbox::upsert_outbox_row_if_onboardee(tx, workspace, author, &check, due).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_cell() {
        assert_eq!(placeholders(Backend::Postgres, 1, 2), "($1, $2)");
        assert_eq!(placeholders(Backend::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
