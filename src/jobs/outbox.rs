//! The outbox worker: claims due rows, runs each (posting to Slack), and
//! records the outcome. 429 waits for `Retry-After`; 5xx, timeouts and network
//! errors back off exponentially (capped); rows a crashed worker held are taken
//! again when their lease runs out. Every step a row takes is idempotent, so a
//! retried row never posts twice.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::app::AppState;
use crate::capture::post::{self, Known};
use crate::posting::{self, PostError, PostOnce};
use crate::slack::blocks::{section, Message};
use crate::slack::client::SlackError;
use crate::slack::rate::RateLimit;
use crate::store::finished::Finished;
use crate::store::highlights::HighlightForPost;
use crate::store::outbox::{self, OutboxKind, OutboxRow, Retry};
use crate::store::slack_pauses;
use crate::store::workspaces::WorkspaceId;

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished.
    Done,
    /// Try again later.
    Retry {
        /// How long from now.
        after: Duration,
        /// Why, as recorded on the row.
        reason: String,
        /// This attempt may have reached Slack (its answer was lost): the
        /// next one looks before posting.
        maybe_sent: bool,
    },
    /// Slack paused the method this row calls: try again when the pause ends.
    RateLimited(RateLimit),
    /// Another worker holds what this row needs (a customer's thread being
    /// started): try again after this long. Nothing was tried, so it is not
    /// an attempt and does not lengthen the row's backoff.
    Wait {
        /// How long from now.
        after: Duration,
        /// Why, as recorded on the row.
        reason: String,
    },
    /// Cannot succeed as things are (a bug or a deleted target): kept as failed.
    Fail(String),
}

/// Rows claimed and not yet finished, at most: the worker claims more as
/// rows finish, so a slow Slack call holds up only its own lane.
const IN_FLIGHT: usize = 256;
/// Rows claimed at once, at most.
const BATCH: usize = 128;
/// When the worker is full, it claims again once this much room is free: a
/// claim reads its whole window of due rows (`store::outbox`), whatever it
/// takes, so it takes many at a time (half the room: the other half keeps
/// the lanes busy meanwhile).
const CLAIM_AT_LEAST: usize = BATCH;
/// Lanes running at once.
const LANES: usize = 32;
/// A lane records its finished rows at least this often.
const DONE_EVERY: usize = 32;
/// A highlight read with its row's claim is used when the row starts within
/// this long of it; a row that waited longer reads it again.
const READ_WITH_CLAIM_KEPT: Duration = Duration::from_secs(1);

/// What runs in order: the rows about one customer (its posts, its thread's
/// refresh), or a row on its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LaneKey {
    Customer(WorkspaceId, i64),
    Row(i64),
}

/// A claimed row on its way through a lane.
struct Claimed {
    row: OutboxRow,
    claimed_at: Instant,
    uninstalled: bool,
    /// The highlight a post is about, read with the claim.
    highlight: Option<HighlightForPost>,
    /// Held until the row finishes: room for the next claim.
    _room: OwnedSemaphorePermit,
}

/// The rows waiting in each running lane. A lane's task takes its rows in
/// order and ends (removing its entry) when none is left; a row claimed for
/// a running lane joins its queue.
type Queues = Arc<Mutex<HashMap<LaneKey, VecDeque<Claimed>>>>;

/// Claims due rows continuously, as room frees up, and runs them in lanes.
struct Dispatcher {
    state: AppState,
    room: Arc<Semaphore>,
    gate: Arc<Semaphore>,
    queues: Queues,
    stopping: watch::Receiver<bool>,
    lanes: JoinSet<Result<(), sqlx::Error>>,
}

impl Dispatcher {
    fn new(state: AppState, stopping: watch::Receiver<bool>) -> Self {
        Self {
            state,
            room: Arc::new(Semaphore::new(IN_FLIGHT)),
            gate: Arc::new(Semaphore::new(LANES)),
            queues: Arc::default(),
            stopping,
            lanes: JoinSet::new(),
        }
    }

    /// Claims every row due now, as room frees up, until none is left (the
    /// lanes may still be running the last ones) or the worker is stopping;
    /// returns how many were claimed.
    async fn claim_due(&mut self) -> Result<usize, sqlx::Error> {
        let mut claimed = 0;
        while !*self.stopping.borrow() {
            self.reap_lanes()?;
            if self.room.available_permits() < CLAIM_AT_LEAST {
                // Nearly full: wait until a batch's worth of rows finished, so
                // each claim takes many rows (claiming as each row finished
                // cost a transaction and three reads per row).
                let mut stopping = self.stopping.clone();
                tokio::select! {
                    room = self.room.clone().acquire_many_owned(CLAIM_AT_LEAST as u32) => drop(room),
                    _ = stopping.wait_for(|stop| *stop) => {}
                }
                continue;
            }
            let rows = self.claim(self.room.available_permits().min(BATCH)).await?;
            if rows.is_empty() {
                break;
            }
            claimed += rows.len();
            self.assign(rows).await?;
        }
        Ok(claimed)
    }

    async fn claim(&self, limit: usize) -> Result<Vec<OutboxRow>, sqlx::Error> {
        let state = &self.state;
        let now = state.clock.now_ms();
        let lease = state.config.timing.outbox_lease.as_millis() as i64;
        let rows = state
            .db
            .write(async |tx| {
                outbox::claim_outbox_rows(tx, &crate::store::claim_token(), now, lease, limit as i64).await
            })
            .await?;
        if !rows.is_empty() {
            // Pauses other replicas met hold here too.
            for (method, scope, until_ms) in slack_pauses::list_slack_pauses(&state.db, now).await? {
                state.slack.pauses().pause(&method, &scope, Duration::from_millis((until_ms - now).max(0) as u64));
            }
        }
        Ok(rows)
    }

    /// Hands claimed rows to their lanes, starting the lanes not running.
    async fn assign(&mut self, rows: Vec<OutboxRow>) -> Result<(), sqlx::Error> {
        let db = &self.state.db;
        let workspaces: Vec<WorkspaceId> = rows.iter().map(|r| r.workspace.clone()).collect();
        let uninstalled = crate::store::workspaces::list_uninstalled_among(db, &workspaces).await?;
        let highlights: Vec<(WorkspaceId, i64)> = rows
            .iter()
            .filter_map(|r| match r.kind {
                OutboxKind::PostHighlight { highlight_id } | OutboxKind::UpdateHighlight { highlight_id } => {
                    Some((r.workspace.clone(), highlight_id))
                }
                _ => None,
            })
            .collect();
        let mut found = crate::store::highlights::find_highlights_for_posts(db, &highlights).await?;
        let claimed_at = Instant::now();
        for row in rows {
            let key = lane_key(&row, &found);
            let highlight = match row.kind {
                OutboxKind::PostHighlight { highlight_id } => found.remove(&(row.workspace.0.clone(), highlight_id)),
                _ => None,
            };
            let room = self.room.clone().try_acquire_owned().expect("rows are claimed only when there is room");
            let uninstalled = uninstalled.contains(&row.workspace);
            let claimed = Claimed { uninstalled, row, claimed_at, highlight, _room: room };
            let start = {
                let mut queues = self.queues.lock().expect("lane queues");
                let running = queues.contains_key(&key);
                queues.entry(key.clone()).or_default().push_back(claimed);
                !running
            };
            if start {
                let lane = Lane {
                    key,
                    state: self.state.clone(),
                    queues: self.queues.clone(),
                    stopping: self.stopping.clone(),
                };
                let gate = self.gate.clone();
                self.lanes.spawn(async move {
                    let _turn = gate.acquire_owned().await;
                    lane.run().await
                });
            }
        }
        Ok(())
    }

    /// Collects the lanes that ended; a database error in one is returned.
    fn reap_lanes(&mut self) -> Result<(), sqlx::Error> {
        while let Some(ended) = self.lanes.try_join_next() {
            lane_ended(ended)?;
        }
        Ok(())
    }

    /// Waits for every lane to end (at shutdown they stop after the row in
    /// hand), then puts the rows never started back for any worker.
    async fn finish(mut self) {
        while let Some(ended) = self.lanes.join_next().await {
            if let Err(e) = lane_ended(ended) {
                tracing::error!(error = %e, "outbox lane: database error; its rows run again after their lease");
            }
        }
        let left: Vec<OutboxRow> = {
            let mut queues = self.queues.lock().expect("lane queues");
            queues.drain().flat_map(|(_, queue)| queue.into_iter().map(|c| c.row)).collect()
        };
        let mut by_claim: HashMap<String, Vec<i64>> = HashMap::new();
        for row in left {
            by_claim.entry(row.claim_token).or_default().push(row.id);
        }
        let now = self.state.clock.now_ms();
        for (token, ids) in by_claim {
            if let Err(e) =
                self.state.db.write(async |tx| outbox::update_outbox_released(tx, &ids, &token, now).await).await
            {
                tracing::error!(error = %e, "outbox: could not release unstarted rows; they run again after their lease");
            }
        }
    }
}

fn lane_ended(ended: Result<Result<(), sqlx::Error>, tokio::task::JoinError>) -> Result<(), sqlx::Error> {
    match ended {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, "an outbox lane ended abnormally; its rows run again after their lease");
            Ok(())
        }
    }
}

fn lane_key(row: &OutboxRow, highlights: &HashMap<(String, i64), HighlightForPost>) -> LaneKey {
    let customer = match &row.kind {
        // A reply's update waits for its post, in its customer's lane.
        OutboxKind::PostHighlight { highlight_id } | OutboxKind::UpdateHighlight { highlight_id } => {
            highlights.get(&(row.workspace.0.clone(), *highlight_id)).map(|h| h.customer_id)
        }
        OutboxKind::UpdateThreadParent { customer_id }
        | OutboxKind::MarkThreadMerged { customer_id, .. }
        | OutboxKind::PostShipped { customer_id, .. } => Some(*customer_id),
        _ => None,
    };
    match customer {
        Some(customer) => LaneKey::Customer(row.workspace.clone(), customer),
        None => LaneKey::Row(row.id),
    }
}

/// One lane's task: its rows, in order, one at a time.
struct Lane {
    key: LaneKey,
    state: AppState,
    queues: Queues,
    stopping: watch::Receiver<bool>,
}

impl Lane {
    async fn run(self) -> Result<(), sqlx::Error> {
        let mut done: Vec<(String, i64)> = Vec::new();
        let result = self.run_rows(&mut done).await;
        if result.is_err() {
            // The rows left run again when their lease runs out.
            self.queues.lock().expect("lane queues").remove(&self.key);
        }
        let recorded = self.record_done(&mut done).await;
        result.and(recorded)
    }

    async fn run_rows(&self, done: &mut Vec<(String, i64)>) -> Result<(), sqlx::Error> {
        let mut known = Known::default();
        while let Some(mut claimed) = self.next() {
            if run_claimed_row(&self.state, &mut claimed, &mut known).await? {
                done.push((claimed.row.claim_token.clone(), claimed.row.id));
            }
            drop(claimed);
            if done.len() >= DONE_EVERY {
                self.record_done(done).await?;
            }
        }
        Ok(())
    }

    /// The lane's next row; None when it is empty (the lane then ends and
    /// its entry goes) or the worker is stopping (what is left is released).
    fn next(&self) -> Option<Claimed> {
        if *self.stopping.borrow() {
            return None;
        }
        let mut queues = self.queues.lock().expect("lane queues");
        let queue = queues.get_mut(&self.key)?;
        let next = queue.pop_front();
        if next.is_none() {
            queues.remove(&self.key);
        }
        next
    }

    /// Records finished rows, in the commit of whatever other lanes record
    /// meanwhile (a crash before it runs them again, and every step of a row
    /// is idempotent).
    async fn record_done(&self, done: &mut Vec<(String, i64)>) -> Result<(), sqlx::Error> {
        let now_ms = self.state.clock.now_ms();
        done.sort();
        for chunk in done.chunk_by(|a, b| a.0 == b.0) {
            let ids: Vec<i64> = chunk.iter().map(|(_, id)| *id).collect();
            let token = chunk[0].0.clone();
            self.state.db.record_finished(Finished::Done { token, ids, now_ms }).await?;
        }
        done.clear();
        Ok(())
    }
}

/// Runs a claimed row; true when it is done. A row that waited long in its
/// lane renews its lease first, and is skipped if another worker took it
/// meanwhile.
async fn run_claimed_row(state: &AppState, claimed: &mut Claimed, known: &mut Known) -> Result<bool, sqlx::Error> {
    let waited = claimed.claimed_at.elapsed();
    // What was read with the claim is as good as reading it now unless the
    // row waited: then it is read again (a merge or a new channel meanwhile).
    known.highlight = claimed.highlight.take().filter(|_| waited < READ_WITH_CLAIM_KEPT);
    let row = &claimed.row;
    let lease = state.config.timing.outbox_lease;
    if waited > lease / 2 {
        let until = state.clock.now_ms() + lease.as_millis() as i64;
        if !state.db.write(async |tx| outbox::update_outbox_lease(tx, row.id, &row.claim_token, until).await).await? {
            return Ok(false);
        }
    }
    run_row(state, row, claimed.uninstalled, known).await
}

/// Runs one row and records a retry or a failure; true when it is done (the
/// caller records that).
async fn run_row(state: &AppState, row: &OutboxRow, uninstalled: bool, known: &mut Known) -> Result<bool, sqlx::Error> {
    let outcome = outcome_of(state, row, uninstalled, known).await;
    let now = state.clock.now_ms();
    let db = &state.db;
    let label = match &outcome {
        Outcome::Done => "done",
        Outcome::Retry { .. } => "retry",
        Outcome::RateLimited(_) => "paused",
        Outcome::Wait { .. } => "waiting",
        Outcome::Fail(_) => "failed",
    };
    state.metrics.record_outbox_run(row.kind.name(), label);
    match &outcome {
        Outcome::Done => return Ok(true),
        Outcome::Retry { after, reason, maybe_sent } => {
            tracing::info!(id = row.id, kind = row.kind.name(), attempts = row.attempts, retry_in = ?after, reason, "outbox row will be retried");
            let run_after = now + after.as_millis() as i64;
            let why = Retry::Failed { uncertain: *maybe_sent };
            db.write(async |tx| outbox::update_outbox_retry(tx, row, run_after, reason, why, now).await).await?
        }
        Outcome::Wait { after, reason } => {
            let run_after = now + after.as_millis() as i64;
            db.write(async |tx| outbox::update_outbox_retry(tx, row, run_after, reason, Retry::Waiting, now).await)
                .await?
        }
        Outcome::RateLimited(limit) => {
            let run_after = now + limit.retry_after.as_millis() as i64;
            let reason = format!("{} rate limited by Slack", limit.method);
            let mut tx = db.begin().await?;
            if limit.from_slack {
                // Every replica's worker holds back this method until the pause ends.
                slack_pauses::upsert_slack_pause(&mut tx, &row.workspace, limit.method, &limit.scope, run_after)
                    .await?;
            }
            outbox::update_outbox_retry(&mut tx, row, run_after, &reason, Retry::Paused, now).await?;
            tx.commit().await?
        }
        Outcome::Fail(reason) => {
            tracing::error!(id = row.id, kind = row.kind.name(), reason, "outbox row failed for good");
            db.write(async |tx| {
                outbox::update_outbox_failed(tx, row.id, &row.claim_token, reason, now).await?;
                // A refused digest is told, and its period left for the next.
                crate::digests::post::record_refusal(tx, &row.workspace, &row.kind, reason, now).await
            })
            .await?;
            if matches!(row.kind, OutboxKind::PostDigest { .. } | OutboxKind::AskDigestApproval { .. }) {
                state.outbox.wake();
            }
        }
    }
    Ok(false)
}

/// `known`: what the lane knows for a post (see [`Known`]).
async fn outcome_of(state: &AppState, row: &OutboxRow, uninstalled: bool, known: &mut Known) -> Outcome {
    if uninstalled {
        return Outcome::Retry {
            after: state.config.timing.park,
            reason: "the app is uninstalled from this workspace".into(),
            maybe_sent: false,
        };
    }
    let result = match &row.kind {
        OutboxKind::PostHighlight { highlight_id } => {
            post::post_highlight(state, &row.workspace, *highlight_id, row.uncertain, known).await
        }
        OutboxKind::UpdateHighlight { highlight_id } => {
            post::update_highlight_reply(&state.db, &state.slack, &row.workspace, *highlight_id).await
        }
        OutboxKind::UpdateThreadParent { customer_id } => {
            post::update_thread_parent(&state.db, &state.config, &state.slack, &row.workspace, *customer_id).await
        }
        OutboxKind::MarkThreadMerged { customer_id, into_customer_id } => {
            post::mark_thread_merged(&state.db, &state.slack, &row.workspace, *customer_id, *into_customer_id).await
        }
        // Posted to the person (Slack puts it in the app's conversation with
        // them), marked with its key; after an attempt whose answer was lost,
        // looked for in that conversation first.
        OutboxKind::NotifyUser { user, text, .. } => async {
            let slack = state.slack.client(&row.workspace).await?;
            let key = row.kind.dedupe_key();
            let once = PostOnce { key: &key, look_first: row.uncertain };
            let to = if row.uncertain { slack.open_dm(user).await? } else { user.clone() };
            posting::post_once(&state.clock, &slack, &to, None, false, &text_message(text), once).await
        }
        .await
        .map(|_| ())
        .map_err(PostError::from),
        OutboxKind::AnnounceInChannel { text, .. } => {
            match posting::product_channel(&state.db, &state.slack, &row.workspace).await {
                Ok(Some(channel)) => {
                    let key = row.kind.dedupe_key();
                    let once = PostOnce { key: &key, look_first: row.uncertain };
                    posting::post_in_channel(state, &row.workspace, None, &channel, &text_message(text), once)
                        .await
                        .map(|_| ())
                }
                Ok(None) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        OutboxKind::PublishHome { user } => {
            crate::home::publish(&state.db, &state.clock, &state.slack, &row.workspace, user).await
        }
        OutboxKind::CheckMilestones { user } => {
            crate::quotas::milestones::check(&state.db, &state.clock, &state.outbox, &row.workspace, user)
                .await
                .map_err(PostError::from)
        }
        OutboxKind::PostDigest { from, until, label, partial, removed_areas, .. } => {
            let key = row.kind.dedupe_key();
            let once = PostOnce { key: &key, look_first: row.uncertain };
            let digest = crate::digests::post::DigestPost {
                from: *from,
                until: *until,
                label,
                partial: *partial,
                removed_areas,
            };
            crate::digests::post::post_digest(state, &row.workspace, digest, once).await
        }
        OutboxKind::AskDigestApproval { topic } => {
            crate::digests::approval::ask(&state.db, &state.clock, &state.slack, &row.workspace, topic).await
        }
        OutboxKind::SendReport { to, subject, .. } => {
            crate::reports::send(state, &row.workspace, to, subject, &row.kind.dedupe_key()).await
        }
        OutboxKind::DeleteThread { channel, ts, replies } => {
            crate::privacy::forget::delete_thread(&state.slack, &row.workspace, channel, ts, replies).await
        }
        OutboxKind::MendPost { forget, key, to, quotes, names } => {
            let mend = crate::privacy::forget::Mend { forget, key, to: to.as_deref(), quotes, names };
            crate::privacy::forget::mend_post(&state.db, &state.clock, &state.slack, &row.workspace, mend).await
        }
        OutboxKind::PostShipped { shipment_id, customer_id } => {
            crate::shipped::post::post_shipped(state, &row.workspace, *shipment_id, *customer_id, row.uncertain).await
        }
        OutboxKind::NotifyFollower { user, customer_id, author, quotes, .. } => {
            let key = row.kind.dedupe_key();
            let once = PostOnce { key: &key, look_first: row.uncertain };
            let notice = crate::follows::notices::Notice { user, customer_id: *customer_id, author, quotes };
            crate::follows::notices::send_notice(state, &row.workspace, notice, once).await
        }
        OutboxKind::NudgeFollower { user, customers, .. } => {
            let key = row.kind.dedupe_key();
            let once = PostOnce { key: &key, look_first: row.uncertain };
            crate::follows::notices::send_nudge(
                &state.db,
                &state.clock,
                &state.slack,
                &row.workspace,
                user,
                customers,
                once,
            )
            .await
        }
        OutboxKind::SendInterviewBrief { user, plan_id } | OutboxKind::RemindInterview { user, plan_id } => {
            use crate::interviews::notices::{send_brief, send_reminder};
            let key = row.kind.dedupe_key();
            let once = PostOnce { key: &key, look_first: row.uncertain };
            let (db, clock, slack, workspace) = (&state.db, &state.clock, &state.slack, &row.workspace);
            if matches!(row.kind, OutboxKind::SendInterviewBrief { .. }) {
                send_brief(db, clock, slack, workspace, user, *plan_id, once).await
            } else {
                send_reminder(db, clock, slack, workspace, user, *plan_id, once).await
            }
        }
        OutboxKind::FillPermalink { highlight_id } => {
            post::fill_permalink(&state.db, &state.slack, &row.workspace, *highlight_id).await
        }
        OutboxKind::FillThreadPermalink { customer_id } => {
            post::fill_thread_permalink(&state.db, &state.slack, &row.workspace, *customer_id).await
        }
    };
    match result {
        Ok(()) => Outcome::Done,
        Err(e) => outcome_of_error(state, row, e),
    }
}

fn text_message(text: &str) -> Message {
    Message::new(text, vec![section(text)])
}

fn outcome_of_error(state: &AppState, row: &OutboxRow, error: PostError) -> Outcome {
    let timing = &state.config.timing;
    let backoff = backoff(row.attempts, timing.retry_base, timing.retry_cap);
    match error {
        PostError::Slack(SlackError::RateLimited(limit)) => Outcome::RateLimited(limit),
        // A call Slack did not answer is looked for only once a late post
        // would have landed: looked for sooner, it was not there yet, and
        // was made again.
        PostError::Slack(e) if e.is_transient() && e.went_unanswered() => {
            Outcome::Retry { after: backoff.max(timing.late_post_window()), reason: e.to_string(), maybe_sent: true }
        }
        PostError::Slack(e) if e.is_transient() => {
            Outcome::Retry { after: backoff, reason: e.to_string(), maybe_sent: e.may_have_taken_effect() }
        }
        PostError::Slack(SlackError::Api(code)) if is_auth_problem(&code) => Outcome::Retry {
            after: timing.park,
            reason: format!("Slack refused the bot token ({code})"),
            maybe_sent: false,
        },
        PostError::Slack(e) => Outcome::Fail(e.to_string()),
        // Slack may have posted before the database failed to record it.
        PostError::Database(e) => Outcome::Retry { after: backoff, reason: format!("database: {e}"), maybe_sent: true },
        // Another worker's claim on the thread: waiting for it is not an attempt.
        PostError::ThreadBeingStarted => Outcome::Wait {
            after: timing.retry_base.min(Duration::from_secs(1)),
            reason: "thread parent being posted".into(),
        },
        PostError::Waiting(reason) => Outcome::Retry { after: timing.park, reason, maybe_sent: false },
        PostError::Gone => Outcome::Done,
    }
}

fn is_auth_problem(code: &str) -> bool {
    matches!(code, "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" | "token_expired")
}

/// `base * 2^(attempts-1)`, at most `cap`.
pub fn backoff(attempts: i64, base: Duration, cap: Duration) -> Duration {
    let exponent = attempts.clamp(1, 20) as u32 - 1;
    base.saturating_mul(2u32.saturating_pow(exponent)).min(cap)
}

/// Runs due rows until `shutdown` turns true (the rows in hand finish; the
/// rest are put back); wakes early when work is queued.
pub async fn run_worker(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut dispatcher = Dispatcher::new(state.clone(), shutdown.clone());
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Err(e) = dispatcher.claim_due().await {
            tracing::error!(error = %e, "outbox worker: database error; trying again shortly");
        }
        tokio::select! {
            () = state.outbox.woken() => {}
            () = tokio::time::sleep(state.config.timing.poll) => {}
            _ = shutdown.changed() => {}
        }
    }
    dispatcher.finish().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(1), Duration::from_secs(300));
        assert_eq!(backoff(1, base, cap), Duration::from_secs(1));
        assert_eq!(backoff(2, base, cap), Duration::from_secs(2));
        assert_eq!(backoff(5, base, cap), Duration::from_secs(16));
        assert_eq!(backoff(12, base, cap), cap);
        assert_eq!(backoff(1000, base, cap), cap);
    }
}
