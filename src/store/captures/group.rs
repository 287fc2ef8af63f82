//! Writing a group of captures in one transaction. The group travels as JSON
//! arrays bound to a few fixed statements (one on PostgreSQL, a script of
//! statements on SQLite), so any size of group costs the same handful of
//! round trips and prepared statements, and no statement's binds grow with it.
//!
//! Rows, in order: customers that are new, interviews (one per interviewer,
//! customer and date), highlights, each highlight's post in the outbox, the
//! notices to send once, and per author a coalesced App Home refresh and (for
//! an onboardee) milestone check.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde::Serialize;
use sqlx::{AnyConnection, Connection as _, Executor as _};

use super::{Job, FOLLOW_UP_DELAY_MS};
use crate::domain::CustomerName;
use crate::store::batch::{bind_rows, AnyQuery, SqliteRows};
use crate::store::follows::{follower_notices_from, follower_notices_sqlite, NoticeQuote, FOLLOWER_TEMPLATE_COLUMNS};
use crate::store::held::{Held, HeldConnection};
use crate::store::outbox::{
    insert_outbox_rows_from_json, insert_outbox_rows_sqlite, OutboxKind, OutboxRowJson, INSERT_OUTBOX,
    OUTBOX_ROW_COLUMNS, WAKE_ON_CONFLICT, WHILE_ONBOARDING,
};
use crate::store::workspaces::WorkspaceId;
use crate::store::{customers, Backend};

/// An interview to record (or find).
#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct InterviewRow<'a> {
    workspace_id: &'a str,
    interviewer: &'a str,
    customer_id: i64,
    interview_date: &'a str,
    recording_link: Option<&'a str>,
    interviewee: Option<&'a str>,
    created_at: i64,
}

/// A highlight, with its interview's identity and when its post is due.
#[derive(Debug, Serialize)]
struct HighlightRow<'a> {
    /// Its place in the group: on SQLite its id is the highest id before the
    /// group plus this (the writer holds the lock), and its post is queued
    /// with that id in the same script. PostgreSQL's sequence assigns ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<i64>,
    workspace_id: &'a str,
    interviewer: &'a str,
    customer_id: i64,
    interview_date: &'a str,
    area_id: i64,
    kind: &'a str,
    quote: &'a str,
    takeaway: Option<&'a str>,
    recording_link: Option<&'a str>,
    recording_at: Option<i64>,
    created_at: i64,
    post_after: i64,
}

/// A signed request recorded with its capture (the replay guard).
#[derive(Debug, Serialize)]
struct SeenRow<'a> {
    signature_hash: &'a str,
    expires_at: i64,
}

/// Writes a group of captures in one transaction; each capture's customer id.
pub(super) async fn write(conns: &Held, backend: Backend, group: &[Job]) -> Result<Vec<i64>, sqlx::Error> {
    let known: Option<Vec<i64>> = group.iter().map(|job| job.capture.customer_id).collect();
    match (backend, known) {
        // One statement is a transaction of its own on PostgreSQL: without
        // BEGIN and COMMIT the group costs one round trip, not three.
        (Backend::Postgres, Some(customer_ids)) => {
            let mut conn = conns.lock().await?;
            write_rows(&mut conn, backend, group, &customer_ids, Script::Alone).await?;
            conn.keep();
            Ok(customer_ids)
        }
        (Backend::Postgres, None) => {
            let mut conn = conns.lock().await?;
            let mut tx = conn.begin().await?;
            let customer_ids = insert_new_customers(&mut tx, group).await?;
            write_rows(&mut tx, backend, group, &customer_ids, Script::Alone).await?;
            tx.commit().await?;
            conn.keep();
            Ok(customer_ids)
        }
        (Backend::Sqlite, known) => {
            let mut writer = SqliteWrite::begin(conns).await?;
            let written = write_sqlite(&mut writer, group, known).await;
            writer.end(written).await
        }
    }
}

/// The group on SQLite. Every statement there is a hand-off to the
/// connection's thread and back, so the transaction's BEGIN and COMMIT ride
/// with the group's script: a group whose customers all exist (a lone capture
/// about a known customer too) is one hand-off, not four.
async fn write_sqlite(
    writer: &mut SqliteWrite,
    group: &[Job],
    known: Option<Vec<i64>>,
) -> Result<Vec<i64>, sqlx::Error> {
    let conn: &mut AnyConnection = &mut writer.conn;
    let (customer_ids, script) = match known {
        Some(customer_ids) => (customer_ids, Script::BeginAndCommit),
        None => {
            conn.execute("BEGIN IMMEDIATE").await?;
            writer.open = true;
            (insert_new_customers(&mut writer.conn, group).await?, Script::Commit)
        }
    };
    writer.open = true;
    write_rows(&mut writer.conn, Backend::Sqlite, group, &customer_ids, script).await?;
    writer.open = false;
    Ok(customer_ids)
}

/// What the SQLite script does about its transaction besides the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Nothing (PostgreSQL: one statement is its own transaction, or the
    /// caller's transaction holds it).
    Alone,
    /// Commits the transaction the caller began.
    Commit,
    /// Begins (`IMMEDIATE`: the write lock at once) and commits.
    BeginAndCommit,
}

/// The writer's connection while a group is written on SQLite, with a
/// transaction the driver does not track (it begins and commits inside the
/// group's script): a failure rolls it back, and a write dropped while one is
/// open (the runtime stopping) closes the connection, which SQLite rolls back,
/// instead of handing the pool a connection inside a transaction.
struct SqliteWrite {
    conn: HeldConnection,
    /// Whether a transaction may be open.
    open: bool,
}

impl SqliteWrite {
    async fn begin(conns: &Held) -> Result<Self, sqlx::Error> {
        Ok(Self { conn: conns.lock().await?, open: false })
    }

    /// Ends the write with its outcome: after a failure, the transaction (if
    /// any) is rolled back, or the connection closed when that fails too.
    async fn end<T>(mut self, written: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if written.is_err() && self.open {
            match self.conn.execute("ROLLBACK").await {
                Ok(_) => self.open = false,
                // "cannot rollback - no transaction is active": BEGIN itself
                // failed, or the failure ended the transaction.
                Err(e) if e.to_string().contains("no transaction is active") => self.open = false,
                Err(e) => {
                    tracing::warn!(error = %e, "rolling back a failed group of captures failed; closing the connection")
                }
            }
        }
        written
    }
}

impl Drop for SqliteWrite {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

/// The group's rows, once every customer has its id.
async fn write_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    group: &[Job],
    customer_ids: &[i64],
    script: Script,
) -> Result<(), sqlx::Error> {
    debug_assert!(backend == Backend::Sqlite || script == Script::Alone, "PostgreSQL's transactions are sqlx's");
    let rows = GroupRows::of(group, customer_ids, backend)?;
    let query = match backend {
        Backend::Sqlite => match lone_script(script, &rows) {
            Some(lone) => rows.bind_each(sqlx::query(lone))?,
            None => rows.bind_json(sqlx::query(sqlite_script(script, rows.parts())))?,
        },
        Backend::Postgres => rows.bind_json(sqlx::query(&POSTGRES_GROUP))?,
    };
    query.execute(&mut *conn).await?;
    Ok(())
}

fn to_json<T: Serialize>(rows: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Creates the customers named for the first time, in key order (two groups
/// creating the same customers then lock them in the same order); every
/// capture's customer id.
async fn insert_new_customers(conn: &mut AnyConnection, group: &[Job]) -> Result<Vec<i64>, sqlx::Error> {
    let mut new: BTreeMap<(&WorkspaceId, &str), (&CustomerName, i64)> = BTreeMap::new();
    for job in group.iter().filter(|job| job.capture.customer_id.is_none()) {
        let name = &job.capture.customer;
        new.entry((&job.workspace, name.key.as_str())).or_insert((name, job.now_ms));
    }
    let mut created = BTreeMap::new();
    for ((workspace, key), (name, now)) in new {
        created.insert((workspace, key), customers::insert_customer_if_new(conn, workspace, name, now).await?);
    }
    Ok(group
        .iter()
        .map(|job| match job.capture.customer_id {
            Some(id) => id,
            None => created[&(&job.workspace, job.capture.customer.key.as_str())],
        })
        .collect())
}

/// The signed requests that carried the group's captures, when they are
/// recorded with them.
fn seen_rows(group: &[Job]) -> Vec<SeenRow<'_>> {
    group
        .iter()
        .filter_map(|job| job.capture.seen.as_ref())
        .map(|seen| SeenRow { signature_hash: &seen.signature_hash, expires_at: seen.expires_at_ms })
        .collect()
}

/// Each distinct interview once, in key order; the first recording link
/// and interviewee given for it win (a later capture's do not replace them).
fn interview_rows<'a>(group: &'a [Job], customer_ids: &[i64]) -> Vec<InterviewRow<'a>> {
    let mut distinct: BTreeMap<(&str, &str, i64, &str), InterviewRow<'a>> = BTreeMap::new();
    for (job, &customer_id) in group.iter().zip(customer_ids) {
        let c = &job.capture;
        let key = (job.workspace.as_str(), c.author.as_str(), customer_id, c.interview_date.as_str());
        let row = distinct.entry(key).or_insert(InterviewRow {
            workspace_id: job.workspace.as_str(),
            interviewer: &c.author,
            customer_id,
            interview_date: &c.interview_date,
            recording_link: None,
            interviewee: None,
            created_at: job.now_ms,
        });
        if row.recording_link.is_none() {
            row.recording_link = c.recording_link.as_deref();
        }
        if row.interviewee.is_none() {
            row.interviewee = c.interviewee.as_deref();
        }
    }
    distinct.into_values().collect()
}

fn highlight_rows<'a>(group: &'a [Job], customer_ids: &[i64]) -> Vec<HighlightRow<'a>> {
    group
        .iter()
        .zip(customer_ids)
        .flat_map(|(job, &customer_id)| {
            let c = &job.capture;
            c.highlights.iter().map(move |h| HighlightRow {
                place: None,
                workspace_id: job.workspace.as_str(),
                interviewer: &c.author,
                customer_id,
                interview_date: &c.interview_date,
                area_id: h.area_id,
                kind: h.kind,
                quote: &h.quote,
                takeaway: h.takeaway.as_deref(),
                recording_link: h.recording_link.as_deref().or(c.recording_link.as_deref()),
                recording_at: h.recording_at,
                created_at: job.now_ms,
                post_after: c.post_after_ms,
            })
        })
        .collect()
}

/// Work queued once by its key (a notice already queued stays as it is).
fn notice_rows(group: &[Job]) -> Result<Vec<OutboxRowJson<'_>>, sqlx::Error> {
    group
        .iter()
        .flat_map(|job| job.capture.notices.iter().map(move |kind| (job, kind)))
        .map(|(job, kind)| OutboxRowJson::new(job.workspace.as_str(), kind, job.now_ms, job.now_ms))
        .collect()
}

/// A capture's notice to its customer's followers (design.md, Capture
/// pipeline: notices, followers, once): queued, in the group's statement,
/// for each follower but the author, keyed by the capture (one DM per
/// follower and submission), due with its posts.
#[derive(Debug, Serialize)]
struct FollowerRow<'a> {
    workspace_id: &'a str,
    customer_id: i64,
    author: &'a str,
    submission: String,
    /// A [`OutboxKind::NotifyFollower`] with its `user` left empty.
    payload: String,
    run_after: i64,
    created_at: i64,
}

fn follower_rows<'a>(group: &'a [Job], customer_ids: &[i64]) -> Result<Vec<FollowerRow<'a>>, sqlx::Error> {
    group
        .iter()
        .zip(customer_ids)
        .map(|(job, &customer_id)| {
            let c = &job.capture;
            let submission = crate::store::claim_token();
            let notice = OutboxKind::NotifyFollower {
                user: String::new(),
                customer_id,
                author: c.author.clone(),
                submission: submission.clone(),
                quotes: c
                    .highlights
                    .iter()
                    .map(|h| NoticeQuote {
                        area_id: h.area_id,
                        quote: h.quote.clone(),
                        recording_link: h.recording_link.clone().or_else(|| c.recording_link.clone()),
                        recording_at: h.recording_at,
                    })
                    .collect(),
            };
            Ok(FollowerRow {
                workspace_id: job.workspace.as_str(),
                customer_id,
                author: &c.author,
                submission,
                payload: to_json(&notice)?,
                run_after: c.post_after_ms,
                created_at: job.now_ms,
            })
        })
        .collect()
}

/// Per author, once: the App Home refresh, and the milestone check while they
/// are onboarded; due a moment later, so a burst of captures runs each once.
fn follow_up_rows(group: &[Job]) -> Result<Vec<OutboxRowJson<'_>>, sqlx::Error> {
    let authors: BTreeSet<(&WorkspaceId, &str)> =
        group.iter().map(|job| (&job.workspace, job.capture.author.as_str())).collect();
    let now = group.iter().map(|job| job.now_ms).max().unwrap_or_default();
    let due = now + FOLLOW_UP_DELAY_MS;
    let mut rows = Vec::with_capacity(authors.len() * 2);
    for (workspace, author) in authors {
        let workspace = workspace.as_str();
        rows.push(OutboxRowJson::new(workspace, &OutboxKind::PublishHome { user: author.into() }, now, due)?);
        let check = OutboxRowJson::new(workspace, &OutboxKind::CheckMilestones { user: author.into() }, now, due)?;
        rows.push(OutboxRowJson { onboardee: Some(author), ..check });
    }
    // Key order: two groups waking the same rows lock them in the same order.
    rows.sort_by(|a, b| (a.workspace_id, &a.dedupe_key).cmp(&(b.workspace_id, &b.dedupe_key)));
    Ok(rows)
}

/// The group on SQLite: a script of statements run in one hand-off to the
/// connection's thread; `$1` interviews, `$2` highlights (with their places
/// in the group), `$3` outbox rows queued once (the notices), `$4` outbox rows
/// woken (the follow-ups), `$5` the notices to followers (one row each), `$6`
/// the signed requests that carried the captures, each a JSON array. The
/// statements of `$3`, `$5` and `$6` are left out when they have no rows:
/// even with nothing to insert, a statement opens its table's and indexes'
/// cursors and a statement journal.
///
/// The writer holds the lock, so the highlights' ids are the highest id
/// before the group plus their places: each post is queued with its
/// highlight's id first, then the highlights take those ids.
///
/// Each array's rows are read once into a materialized CTE before their
/// fields are taken ([`SqliteRows::Json`]): `json_each`'s `value` is rendered
/// as text again at every mention, so a row's dozen `value ->> …` cost a
/// dozen renderings and parses (measured on the bundled SQLite 3.46 at 40
/// rows a group: 26 µs a highlight before, 16 after; and with callgrind at
/// one connection, a lone capture's writer 12% more instructions without).
fn sqlite_script(script: Script, parts: Parts) -> &'static str {
    static SCRIPTS: LazyLock<Vec<String>> = LazyLock::new(|| {
        let mut scripts = Vec::with_capacity(24);
        for script in [Script::Alone, Script::Commit, Script::BeginAndCommit] {
            for notices in [false, true] {
                for followers in [false, true] {
                    for seen in [false, true] {
                        let parts = Parts { notices, followers, seen };
                        scripts.push(build_sqlite_script(script, parts, &ScriptRows::JSON));
                    }
                }
            }
        }
        scripts
    });
    &SCRIPTS[8 * script_index(script)
        + 4 * usize::from(parts.notices)
        + 2 * usize::from(parts.followers)
        + usize::from(parts.seen)]
}

fn script_index(script: Script) -> usize {
    match script {
        Script::Alone => 0,
        Script::Commit => 1,
        Script::BeginAndCommit => 2,
    }
}

/// The script for a lone capture on SQLite, when the group is one: one
/// interview, one highlight, its author's two follow-ups, its followers'
/// template, its notice (that its posts wait for a channel) or none, and its
/// signed request or none: the shape [`ScriptRows::lone`] numbers, which
/// the group's rows are checked against. Its rows are bound field by field
/// ([`SqliteRows::Bound`], in [`GroupRows::bind_each`]'s order) instead of as
/// JSON, which spares SQLite two fifths of a lone capture's work. Any other
/// group takes [`sqlite_script`].
fn lone_script(script: Script, rows: &GroupRows<'_>) -> Option<&'static str> {
    static SCRIPTS: LazyLock<Vec<String>> = LazyLock::new(|| {
        let mut scripts = Vec::with_capacity(12);
        for script in [Script::Alone, Script::Commit, Script::BeginAndCommit] {
            for notices in [false, true] {
                for seen in [false, true] {
                    let parts = Parts { notices, followers: true, seen };
                    scripts.push(build_sqlite_script(script, parts, &ScriptRows::lone(parts)));
                }
            }
        }
        scripts
    });
    let parts = rows.parts();
    let shape = ScriptRows::lone(parts);
    let fits = shape.interviews.holds(rows.interviews.len())
        && shape.highlights.holds(rows.highlights.len())
        && shape.notices.holds(rows.once.len())
        && shape.follow_ups.holds(rows.wake.len())
        && shape.followers.holds(rows.followers.len())
        && shape.seen.holds(rows.seen.len());
    fits.then(|| SCRIPTS[4 * script_index(script) + 2 * usize::from(parts.notices) + usize::from(parts.seen)].as_str())
}

/// A group's rows, as its statements take them.
struct GroupRows<'a> {
    interviews: Vec<InterviewRow<'a>>,
    highlights: Vec<HighlightRow<'a>>,
    once: Vec<OutboxRowJson<'a>>,
    wake: Vec<OutboxRowJson<'a>>,
    followers: Vec<FollowerRow<'a>>,
    seen: Vec<SeenRow<'a>>,
}

impl<'a> GroupRows<'a> {
    /// The rows of `group`, whose captures are about `customer_ids`; on
    /// SQLite each highlight with its place in the group.
    fn of(group: &'a [Job], customer_ids: &[i64], backend: Backend) -> Result<Self, sqlx::Error> {
        let mut highlights = highlight_rows(group, customer_ids);
        if backend == Backend::Sqlite {
            for (place, h) in (1..).zip(highlights.iter_mut()) {
                h.place = Some(place);
            }
        }
        Ok(Self {
            interviews: interview_rows(group, customer_ids),
            highlights,
            once: notice_rows(group)?,
            wake: follow_up_rows(group)?,
            followers: follower_rows(group, customer_ids)?,
            seen: seen_rows(group),
        })
    }

    /// Which of the SQLite script's optional statements the rows need.
    fn parts(&self) -> Parts {
        Parts { notices: !self.once.is_empty(), followers: !self.followers.is_empty(), seen: !self.seen.is_empty() }
    }

    /// Binds the rows as the six JSON arrays of [`sqlite_script`] and of
    /// [`POSTGRES_GROUP`].
    fn bind_json<'q>(&self, query: AnyQuery<'q>) -> Result<AnyQuery<'q>, sqlx::Error> {
        Ok(query
            .bind(to_json(&self.interviews)?)
            .bind(to_json(&self.highlights)?)
            .bind(to_json(&self.once)?)
            .bind(to_json(&self.wake)?)
            .bind(to_json(&self.followers)?)
            .bind(to_json(&self.seen)?))
    }

    /// Binds every field of a lone capture's rows, in the order
    /// [`ScriptRows::lone`] numbers them.
    fn bind_each<'q>(&self, query: AnyQuery<'q>) -> Result<AnyQuery<'q>, sqlx::Error> {
        let query = bind_rows(query, &self.interviews, INTERVIEW_COLUMNS)?;
        let query = bind_rows(query, &self.highlights, HIGHLIGHT_COLUMNS)?;
        let query = bind_rows(query, &self.once, OUTBOX_ROW_COLUMNS)?;
        let query = bind_rows(query, &self.wake, OUTBOX_ROW_COLUMNS)?;
        let query = bind_rows(query, &self.followers, FOLLOWER_TEMPLATE_COLUMNS)?;
        bind_rows(query, &self.seen, SEEN_COLUMNS)
    }
}

/// Where each statement of the SQLite script reads its rows.
struct ScriptRows {
    interviews: SqliteRows,
    highlights: SqliteRows,
    notices: SqliteRows,
    follow_ups: SqliteRows,
    followers: SqliteRows,
    seen: SqliteRows,
}

impl ScriptRows {
    /// The six JSON arrays, `$1` to `$6`.
    const JSON: Self = Self {
        interviews: SqliteRows::Json(1),
        highlights: SqliteRows::Json(2),
        notices: SqliteRows::Json(3),
        follow_ups: SqliteRows::Json(4),
        followers: SqliteRows::Json(5),
        seen: SqliteRows::Json(6),
    };

    /// A lone capture's rows bound field by field, numbered in the order
    /// [`GroupRows::bind_each`] binds them.
    fn lone(parts: Parts) -> Self {
        let mut next = 1;
        let mut take = |columns: &[&str], rows: usize| {
            let taken = SqliteRows::Bound { first: next, rows };
            next += taken.binds(columns);
            taken
        };
        Self {
            interviews: take(INTERVIEW_COLUMNS, 1),
            highlights: take(HIGHLIGHT_COLUMNS, 1),
            notices: take(OUTBOX_ROW_COLUMNS, usize::from(parts.notices)),
            follow_ups: take(OUTBOX_ROW_COLUMNS, 2),
            followers: take(FOLLOWER_TEMPLATE_COLUMNS, 1),
            seen: take(SEEN_COLUMNS, usize::from(parts.seen)),
        }
    }
}

/// Which of the SQLite script's optional statements a group needs.
#[derive(Debug, Clone, Copy)]
struct Parts {
    /// Notices to queue once (`$3`).
    notices: bool,
    /// Notices to followers (`$5`).
    followers: bool,
    /// Signed requests to record (`$6`).
    seen: bool,
}

fn build_sqlite_script(script: Script, parts: Parts, rows: &ScriptRows) -> String {
    let mut statements = Vec::with_capacity(9);
    if script == Script::BeginAndCommit {
        statements.push("BEGIN IMMEDIATE".to_owned());
    }
    // First: a replay fails here, before anything else is written.
    if parts.seen {
        statements.push(sqlite_seen(rows.seen));
    }
    statements.push(sqlite_interviews(rows.interviews));
    statements.push(sqlite_posts(rows.highlights));
    statements.push(sqlite_highlights(rows.highlights));
    if parts.notices {
        statements.push(format!("{} {NOTICE_ONCE}", insert_outbox_rows_sqlite(rows.notices)));
    }
    statements.push(format!("{}\n{WHILE_ONBOARDING}\n{WAKE_ON_CONFLICT}", insert_outbox_rows_sqlite(rows.follow_ups)));
    if parts.followers {
        statements.push(follower_notices_sqlite(rows.followers));
    }
    if script != Script::Alone {
        statements.push("COMMIT".to_owned());
    }
    statements.join(";\n\n")
}

/// The fields of an [`InterviewRow`], in order.
const INTERVIEW_COLUMNS: &[&str] =
    &["workspace_id", "interviewer", "customer_id", "interview_date", "recording_link", "interviewee", "created_at"];

/// The fields of a [`HighlightRow`] on SQLite (with its place), in order.
const HIGHLIGHT_COLUMNS: &[&str] = &[
    "place",
    "workspace_id",
    "interviewer",
    "customer_id",
    "interview_date",
    "area_id",
    "kind",
    "quote",
    "takeaway",
    "recording_link",
    "recording_at",
    "created_at",
    "post_after",
];

/// The fields of a [`SeenRow`], in order.
const SEEN_COLUMNS: &[&str] = &["signature_hash", "expires_at"];

/// The signed requests that carried the captures; one recorded before fails
/// the insert, and with it the group (each capture is then written alone:
/// only the replay fails).
fn sqlite_seen(rows: SqliteRows) -> String {
    format!(
        "with {}
insert into seen_requests (signature_hash, expires_at)
select signature_hash, expires_at from r",
        rows.cte(SEEN_COLUMNS)
    )
}

fn sqlite_interviews(rows: SqliteRows) -> String {
    format!(
        "with {}
insert into interviews
  (workspace_id, interviewer, customer_id, interview_date, recording_link, interviewee, created_at)
select workspace_id, interviewer, customer_id, interview_date, recording_link, interviewee, created_at
from r where true
on conflict (workspace_id, interviewer, customer_id, interview_date)
do update set recording_link = coalesce(interviews.recording_link, excluded.recording_link),
              interviewee = coalesce(interviews.interviewee, excluded.interviewee)",
        rows.cte(INTERVIEW_COLUMNS)
    )
}

/// Each highlight's post, queued by the id it is about to take.
fn sqlite_posts(rows: SqliteRows) -> String {
    format!(
        "with {}
{INSERT_OUTBOX}
select workspace_id, 'post_highlight', 'highlight:' || (last_id + place),
       json_object('kind', 'post_highlight', 'highlight_id', last_id + place),
       post_after, created_at, created_at
from (select r.*, (select coalesce(max(id), 0) from highlights) as last_id from r) where true
{WAKE_ON_CONFLICT}",
        rows.cte(HIGHLIGHT_COLUMNS)
    )
}

fn sqlite_highlights(rows: SqliteRows) -> String {
    format!(
        "with {}
insert into highlights
  (id, workspace_id, interview_id, customer_id, area_id, kind, quote, takeaway, recording_link, recording_at,
   author, created_at)
select (select coalesce(max(id), 0) from highlights) + r.place, r.workspace_id,
       (select i.id from interviews i
        where i.workspace_id = r.workspace_id and i.interviewer = r.interviewer
          and i.customer_id = r.customer_id and i.interview_date = r.interview_date),
       r.customer_id, r.area_id, r.kind, r.quote, r.takeaway, r.recording_link, r.recording_at, r.interviewer,
       r.created_at
from r",
        rows.cte(HIGHLIGHT_COLUMNS)
    )
}

/// The end of the notices' insert (`$3`): a key already queued is left
/// alone.
const NOTICE_ONCE: &str = "where true on conflict (workspace_id, dedupe_key) do nothing";

/// The notices to send once (`$3`) on PostgreSQL.
fn notices_once(backend: Backend) -> String {
    format!("{} {NOTICE_ONCE}", insert_outbox_rows_from_json(backend, 3))
}

/// The authors' coalesced follow-ups (`$4`), woken when already queued; a
/// milestone check only while its author is being onboarded.
fn follow_ups(backend: Backend) -> String {
    format!("{}\n{WHILE_ONBOARDING}\n{WAKE_ON_CONFLICT}", insert_outbox_rows_from_json(backend, 4))
}

/// The group on PostgreSQL: one statement, one round trip; the same six
/// arrays (highlights without ids: the posts are queued from what the insert
/// returns).
static POSTGRES_GROUP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "with interview_rows as (
             select * from json_to_recordset($1::json) as r(workspace_id text, interviewer text, customer_id bigint,
                                                           interview_date text, recording_link text, interviewee text,
                                                           created_at bigint)),
         interviews_found as (
             insert into interviews
               (workspace_id, interviewer, customer_id, interview_date, recording_link, interviewee, created_at)
             select workspace_id, interviewer, customer_id, interview_date, recording_link, interviewee, created_at
             from interview_rows order by workspace_id, interviewer, customer_id, interview_date
             on conflict (workspace_id, interviewer, customer_id, interview_date)
             do update set recording_link = coalesce(interviews.recording_link, excluded.recording_link),
                           interviewee = coalesce(interviews.interviewee, excluded.interviewee)
             returning id, workspace_id, interviewer, customer_id, interview_date),
         highlight_rows as (
             select * from json_to_recordset($2::json) as r(workspace_id text, interviewer text, customer_id bigint,
                 interview_date text, area_id bigint, kind text, quote text, takeaway text, recording_link text,
                 recording_at bigint, created_at bigint, post_after bigint)),
         inserted as (
             insert into highlights
               (workspace_id, interview_id, customer_id, area_id, kind, quote, takeaway, recording_link, recording_at,
                author, created_at)
             select h.workspace_id, i.id, h.customer_id, h.area_id, h.kind, h.quote, h.takeaway, h.recording_link,
                    h.recording_at, h.interviewer, h.created_at
             from highlight_rows h
             join interviews_found i using (workspace_id, interviewer, customer_id, interview_date)
             returning id, workspace_id, created_at),
         posts as (
             {INSERT_OUTBOX}
             select p.workspace_id, 'post_highlight', 'highlight:' || p.id,
                    json_build_object('kind', 'post_highlight', 'highlight_id', p.id)::text,
                    (select max(h.post_after) from highlight_rows h where h.workspace_id = p.workspace_id),
                    p.created_at, p.created_at
             from inserted p),
         notices as ({notices}),
         followers as ({followers}),
         seen as (
             insert into seen_requests (signature_hash, expires_at)
             select signature_hash, expires_at
             from json_to_recordset($6::json) as r(signature_hash text, expires_at bigint))
         {follow_ups}",
        notices = notices_once(Backend::Postgres),
        followers = follower_notices_from(Backend::Postgres),
        follow_ups = follow_ups(Backend::Postgres),
    )
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::captures::{NewCapture, NewHighlight};
    use crate::store::seen_requests::SeenRequest;
    use crate::store::Db;

    const WORKSPACE: &str = "T0AAAAAAA";

    fn highlight(quote: &str) -> NewHighlight {
        NewHighlight {
            area_id: 1,
            kind: "request",
            quote: quote.into(),
            takeaway: Some("a takeaway".into()),
            recording_link: Some("https://example.com/rec".into()),
            recording_at: Some(75),
        }
    }

    fn job(highlights: Vec<NewHighlight>, notices: Vec<OutboxKind>, seen: bool) -> Job {
        Job {
            workspace: WorkspaceId(WORKSPACE.into()),
            capture: NewCapture {
                author: "U0AUTHOR".into(),
                customer: CustomerName::parse("Acme").expect("name"),
                customer_id: Some(1),
                interview_date: "2026-11-01".into(),
                recording_link: Some("https://example.com/whole".into()),
                interviewee: Some("Dana, CTO".into()),
                highlights,
                post_after_ms: 5_000,
                notices,
                seen: seen.then(|| SeenRequest { signature_hash: "ab12".into(), expires_at_ms: 9_000 }),
            },
            now_ms: 4_000,
        }
    }

    /// Whether a group would take the lone script.
    fn takes_the_lone_script(group: &[Job]) -> bool {
        let rows = GroupRows::of(group, &vec![1; group.len()], Backend::Sqlite).expect("rows");
        lone_script(Script::BeginAndCommit, &rows).is_some()
    }

    #[test]
    fn a_lone_capture_binds_its_fields_and_any_other_group_sends_json() {
        assert!(takes_the_lone_script(&[job(vec![highlight("one")], vec![], false)]));
        assert!(takes_the_lone_script(&[job(vec![highlight("one")], vec![], true)]));
        let two = [job(vec![highlight("one")], vec![], true), job(vec![highlight("two")], vec![], true)];
        assert!(!takes_the_lone_script(&two), "two captures");
        assert!(!takes_the_lone_script(&[job(vec![highlight("one"), highlight("two")], vec![], false)]));
        let notice = || OutboxKind::UpdateThreadParent { customer_id: 1 };
        assert!(takes_the_lone_script(&[job(vec![highlight("one")], vec![notice()], true)]), "a notice");
        let notices = vec![notice(), OutboxKind::UpdateThreadParent { customer_id: 2 }];
        assert!(!takes_the_lone_script(&[job(vec![highlight("one")], notices, false)]), "two notices");
    }

    /// A database with the capture's workspace, customer, area, an onboarded
    /// author (so the milestone check is queued) and a follower.
    async fn seeded(dir: &tempfile::TempDir, name: &str) -> Db {
        let url = format!("sqlite://{}", dir.path().join(name).display());
        let db = Db::connect_and_migrate(&url).await.expect("db");
        for sql in [
            "insert into workspaces (id, created_at, updated_at) values ('T0AAAAAAA', 1, 1)",
            "insert into customers (id, workspace_id, key, display_name, created_at, updated_at)
             values (1, 'T0AAAAAAA', 'acme', 'Acme', 1, 1)",
            "insert into product_areas (id, workspace_id, key, name, created_at) values (1, 'T0AAAAAAA', 'chat', 'Chat', 1)",
            "insert into onboardees (workspace_id, user_id, start_date, days, interviews_target, feedback_target,
                                     tickets_target, enrolled_by, created_at)
             values ('T0AAAAAAA', 'U0AUTHOR', '2026-11-01', 30, 20, 100, 50, 'U0LEAD', 1)",
            "insert into follows (workspace_id, customer_id, user_id, created_at) values ('T0AAAAAAA', 1, 'U0FOLLOWER', 1)",
        ] {
            sqlx::query(sql).execute(db.pool()).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
        db
    }

    /// Every row a capture writes, as text.
    async fn written(db: &Db) -> Vec<String> {
        let mut dump = Vec::new();
        for sql in [
            "select json_group_array(json_array(workspace_id, interviewer, customer_id, interview_date, recording_link,
                                                 interviewee, created_at)) from interviews",
            "select json_group_array(json_array(id, workspace_id, interview_id, customer_id, area_id, kind, quote,
                                                 takeaway, recording_link, recording_at, author, created_at))
             from highlights",
            "select json_group_array(json_array(workspace_id, kind, dedupe_key, payload, status, run_after, created_at,
                                                 updated_at))
             from (select * from outbox order by dedupe_key)",
            "select json_group_array(json_array(workspace_id, day, area_id, customer_id, highlights)) from highlight_days",
            "select json_group_array(json_array(signature_hash, expires_at)) from seen_requests",
            "select json_group_array(id) from highlights_fts_pending",
        ] {
            dump.push(sqlx::query_scalar::<_, String>(sql).fetch_one(db.pool()).await.expect(sql));
        }
        dump
    }

    #[tokio::test]
    async fn a_lone_capture_bound_field_by_field_writes_the_rows_its_json_writes() {
        let dir = tempfile::tempdir().expect("dir");
        let notice = || vec![OutboxKind::UpdateThreadParent { customer_id: 1 }];
        for (case, (notices, seen)) in [(notice(), true), (vec![], false)].into_iter().enumerate() {
            let group = [job(vec![highlight("We need canned replies")], notices, seen)];
            let rows = GroupRows::of(&group, &[1], Backend::Sqlite).expect("rows");
            let lone = lone_script(Script::BeginAndCommit, &rows).expect("a lone capture");
            let json = sqlite_script(Script::BeginAndCommit, rows.parts());
            let bound = seeded(&dir, &format!("bound-{case}.db")).await;
            let by_json = seeded(&dir, &format!("json-{case}.db")).await;
            rows.bind_each(sqlx::query(lone)).expect("bound").execute(bound.pool()).await.expect("bound script");
            rows.bind_json(sqlx::query(json)).expect("json").execute(by_json.pool()).await.expect("json script");
            let (bound_rows, json_rows) = (written(&bound).await, written(&by_json).await);
            assert_eq!(bound_rows, json_rows, "case {case}");
            // Every statement wrote: the equality above is of something.
            let outbox = &bound_rows[2];
            for kind in ["post_highlight", "publish_home", "check_milestones", "notify_follower"] {
                assert!(outbox.contains(kind), "{kind} in {outbox}");
            }
            assert_eq!(outbox.contains("update_thread_parent"), !rows.once.is_empty(), "{outbox}");
            assert_eq!(bound_rows[4] != "[]", !rows.seen.is_empty(), "{bound_rows:?}");
            assert!(bound_rows[1].contains("We need canned replies") && bound_rows[1].contains("a takeaway"));
            bound.close().await;
            by_json.close().await;
        }
    }
}
