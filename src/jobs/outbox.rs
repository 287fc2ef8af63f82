//! The outbox worker: claims due rows, runs each (posting to Slack), and
//! records the outcome. 429 waits for `Retry-After`; 5xx, timeouts and network
//! errors back off exponentially (capped); rows a crashed worker held are taken
//! again when their lease runs out. Every step a row takes is idempotent, so a
//! retried row never posts twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::app::AppState;
use crate::capture::post::{self, PostError, PostOnce};
use crate::slack::blocks::{mrkdwn, Message};
use crate::slack::client::SlackError;
use crate::slack::rate::RateLimit;
use crate::store::outbox::{self, OutboxKind, OutboxRow, Retry};
use crate::store::slack_pauses;
use crate::store::workspaces::WorkspaceId;

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished.
    Done,
    /// Try again after this long; true when this attempt may have reached
    /// Slack (its answer was lost), so the next one looks before posting.
    Retry(Duration, String, bool),
    /// Slack paused the method this row calls: try again when the pause ends.
    RateLimited(RateLimit),
    /// Cannot succeed as things are (a bug or a deleted target): kept as failed.
    Fail(String),
}

/// A token unique across processes and replicas (a random UUID), naming a
/// claim on outbox rows, a thread parent, or a did-you-mean question.
pub fn claim_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Runs every row that is due now, batch after batch, until none is left or
/// `shutdown` turns true (the rows in hand finish; the rest stay queued);
/// returns how many ran.
///
/// Rows about one customer (its posts, its thread's refresh) run in order, in
/// one lane; lanes run side by side, up to `LANES` at once, so one slow
/// Slack call does not hold up the others.
pub async fn run_due(state: &AppState, shutdown: &watch::Receiver<bool>) -> Result<usize, sqlx::Error> {
    let mut ran = 0;
    while !*shutdown.borrow() {
        let now = state.clock().now_ms();
        let lease = state.config().timing.outbox_lease.as_millis() as i64;
        let rows = outbox::claim_outbox_rows(state.db(), &claim_token(), now, lease, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        ran += rows.len();
        let claimed_at = Instant::now();
        // Pauses other replicas met hold here too.
        for (method, scope, until_ms) in slack_pauses::list_slack_pauses(state.db(), now).await? {
            state.slack().pauses().pause(&method, &scope, Duration::from_millis((until_ms - now).max(0) as u64));
        }
        let workspaces: Vec<WorkspaceId> = rows.iter().map(|r| r.workspace.clone()).collect();
        let uninstalled = Arc::new(crate::store::workspaces::list_uninstalled_among(state.db(), &workspaces).await?);
        let lanes = into_lanes(state, rows).await?;
        let gate = Arc::new(Semaphore::new(LANES));
        let mut running = JoinSet::new();
        for lane in lanes {
            let (state, gate, uninstalled) = (state.clone(), gate.clone(), uninstalled.clone());
            running.spawn(async move {
                let _turn = gate.acquire_owned().await;
                let mut done = Vec::new();
                for row in &lane {
                    if run_claimed_row(&state, row, uninstalled.contains(&row.workspace), claimed_at).await? {
                        done.push(row.id);
                    }
                }
                // One write for the lane's finished rows (a crash before it runs
                // them again, and every step of a row is idempotent).
                if let Some(first) = lane.first() {
                    outbox::update_outbox_done(state.db(), &done, &first.claim_token, state.clock().now_ms()).await?;
                }
                Ok::<_, sqlx::Error>(())
            });
        }
        while let Some(done) = running.join_next().await {
            match done {
                Ok(result) => result?,
                Err(e) => {
                    tracing::error!(error = %e, "an outbox lane ended abnormally; its rows run again after their lease")
                }
            }
        }
    }
    Ok(ran)
}

/// Rows claimed at once.
const BATCH: i64 = 64;
/// Lanes run at once.
const LANES: usize = 16;

/// Groups claimed rows into lanes: one per customer for the work that posts
/// into a customer's thread, one per row for the rest; in claim order.
async fn into_lanes(state: &AppState, rows: Vec<OutboxRow>) -> Result<Vec<Vec<OutboxRow>>, sqlx::Error> {
    let highlight_ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| match r.kind {
            OutboxKind::PostHighlight { highlight_id } => Some(highlight_id),
            _ => None,
        })
        .collect();
    let customers = crate::store::highlights::find_highlight_customers(state.db(), &highlight_ids).await?;
    let mut lanes: Vec<Vec<OutboxRow>> = Vec::new();
    let mut lane_of: HashMap<(String, i64), usize> = HashMap::new();
    for row in rows {
        let customer = match &row.kind {
            OutboxKind::PostHighlight { highlight_id } => customers.get(highlight_id).copied(),
            OutboxKind::UpdateThreadParent { customer_id } | OutboxKind::MarkThreadMerged { customer_id, .. } => {
                Some(*customer_id)
            }
            _ => None,
        };
        match customer {
            Some(customer) => {
                let key = (row.workspace.0.clone(), customer);
                match lane_of.get(&key) {
                    Some(&lane) => lanes[lane].push(row),
                    None => {
                        lane_of.insert(key, lanes.len());
                        lanes.push(vec![row]);
                    }
                }
            }
            None => lanes.push(vec![row]),
        }
    }
    Ok(lanes)
}

/// Runs a row of a claimed batch. A row that waited long in its lane renews
/// its lease first, and is skipped if another worker took it meanwhile.
/// Runs a row of a claimed batch; true when it is done. A row that waited
/// long in its lane renews its lease first, and is skipped if another worker
/// took it meanwhile.
async fn run_claimed_row(
    state: &AppState,
    row: &OutboxRow,
    uninstalled: bool,
    claimed_at: Instant,
) -> Result<bool, sqlx::Error> {
    let lease = state.config().timing.outbox_lease;
    if claimed_at.elapsed() > lease / 2 {
        let until = state.clock().now_ms() + lease.as_millis() as i64;
        if !outbox::update_outbox_lease(state.db(), row.id, &row.claim_token, until).await? {
            return Ok(false);
        }
    }
    run_row(state, row, uninstalled).await
}

/// Runs one row and records a retry or a failure; true when it is done (the
/// caller records that).
async fn run_row(state: &AppState, row: &OutboxRow, uninstalled: bool) -> Result<bool, sqlx::Error> {
    let outcome = outcome_of(state, row, uninstalled).await;
    let now = state.clock().now_ms();
    let db = state.db();
    let label = match &outcome {
        Outcome::Done => "done",
        Outcome::Retry(..) => "retry",
        Outcome::RateLimited(_) => "paused",
        Outcome::Fail(_) => "failed",
    };
    state.metrics().record_outbox_run(row.kind.name(), label);
    match &outcome {
        Outcome::Done => return Ok(true),
        Outcome::Retry(after, reason, uncertain) => {
            tracing::info!(id = row.id, kind = row.kind.name(), attempts = row.attempts, retry_in = ?after, reason, "outbox row will be retried");
            let run_after = now + after.as_millis() as i64;
            let why = Retry::Failed { uncertain: *uncertain };
            outbox::update_outbox_retry(db, row.id, &row.claim_token, run_after, reason, why, now).await?
        }
        Outcome::RateLimited(limit) => {
            let run_after = now + limit.retry_after.as_millis() as i64;
            if limit.from_slack {
                // Every replica's worker holds back this method until the pause ends.
                slack_pauses::upsert_slack_pause(db, &row.workspace, limit.method, &limit.scope, run_after).await?;
            }
            let reason = format!("{} rate limited by Slack", limit.method);
            outbox::update_outbox_retry(db, row.id, &row.claim_token, run_after, &reason, Retry::Paused, now).await?
        }
        Outcome::Fail(reason) => {
            tracing::error!(id = row.id, kind = row.kind.name(), reason, "outbox row failed for good");
            outbox::update_outbox_failed(db, row.id, &row.claim_token, reason, now).await?
        }
    }
    Ok(false)
}

async fn outcome_of(state: &AppState, row: &OutboxRow, uninstalled: bool) -> Outcome {
    if uninstalled {
        return Outcome::Retry(state.config().timing.park, "the app is uninstalled from this workspace".into(), false);
    }
    let result = match &row.kind {
        OutboxKind::PostHighlight { highlight_id } => {
            post::post_highlight(state, &row.workspace, *highlight_id, row.uncertain).await
        }
        OutboxKind::UpdateThreadParent { customer_id } => {
            post::update_thread_parent(state, &row.workspace, *customer_id).await
        }
        OutboxKind::MarkThreadMerged { customer_id, into_customer_id } => {
            post::mark_thread_merged(state, &row.workspace, *customer_id, *into_customer_id).await
        }
        OutboxKind::NotifyUser { user, text, .. } => state
            .slack()
            .post_message(user, None, false, &text_message(text), None)
            .await
            .map(|_| ())
            .map_err(PostError::from),
        OutboxKind::AnnounceInChannel { text, .. } => match post::product_channel(state, &row.workspace).await {
            Ok(Some(channel)) => {
                let key = row.kind.dedupe_key();
                let once = PostOnce { key: &key, look_first: row.uncertain };
                post::post_in_channel(state, &row.workspace, None, &channel, &text_message(text), once)
                    .await
                    .map(|_| ())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e.into()),
        },
        OutboxKind::PublishHome { user } => crate::home::publish(state, &row.workspace, user).await,
        OutboxKind::CheckMilestones { user } => {
            crate::quotas::milestones::check(state, &row.workspace, user).await.map_err(PostError::from)
        }
        OutboxKind::PostDigest { from, until, label, partial, .. } => {
            let key = row.kind.dedupe_key();
            let once = PostOnce { key: &key, look_first: row.uncertain };
            crate::digests::post::post_digest(state, &row.workspace, *from, *until, label, *partial, once).await
        }
        OutboxKind::SendReport { to, subject, .. } => crate::reports::send(state, &row.workspace, to, subject).await,
        OutboxKind::FillPermalink { highlight_id } => post::fill_permalink(state, &row.workspace, *highlight_id).await,
        OutboxKind::FillThreadPermalink { customer_id } => {
            post::fill_thread_permalink(state, &row.workspace, *customer_id).await
        }
    };
    match result {
        Ok(()) => Outcome::Done,
        Err(e) => outcome_of_error(state, row, e),
    }
}

fn text_message(text: &str) -> Message {
    Message { text: text.to_owned(), blocks: vec![serde_json::json!({ "type": "section", "text": mrkdwn(text) })] }
}

fn outcome_of_error(state: &AppState, row: &OutboxRow, error: PostError) -> Outcome {
    let timing = &state.config().timing;
    let backoff = backoff(row.attempts, timing.retry_base, timing.retry_cap);
    match error {
        PostError::Slack(SlackError::RateLimited(limit)) => Outcome::RateLimited(limit),
        PostError::Slack(e) if e.is_transient() => Outcome::Retry(backoff, e.to_string(), e.may_have_taken_effect()),
        PostError::Slack(SlackError::Api(code)) if is_auth_problem(&code) => {
            Outcome::Retry(timing.park, format!("Slack refused the bot token ({code})"), false)
        }
        PostError::Slack(e) => Outcome::Fail(e.to_string()),
        // Slack may have posted before the database failed to record it.
        PostError::Database(e) => Outcome::Retry(backoff, format!("database: {e}"), true),
        PostError::ThreadBeingStarted => {
            Outcome::Retry(timing.retry_base.min(Duration::from_secs(1)), "thread parent being posted".into(), false)
        }
        PostError::Waiting(reason) => Outcome::Retry(timing.park, reason, false),
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

/// Runs due rows until `shutdown` turns true; wakes early when work is queued.
pub async fn run_worker(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = run_due(&state, &shutdown).await {
            tracing::error!(error = %e, "outbox worker: database error; trying again shortly");
        }
        tokio::select! {
            () = state.outbox_woken() => {}
            () = tokio::time::sleep(state.config().timing.poll) => {}
            _ = shutdown.changed() => {}
        }
    }
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
