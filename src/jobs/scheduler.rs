//! The scheduler: every so often, claims and queues the digests that are due
//! (at start too, so a period missed while the app was down is posted once)
//! and the Monday nudges to followers, the morning briefs and reminders of
//! planned interviews, the managers' read-outs, and now and then looks up again the helpdesk tickets whose agent was not
//! found in Slack; and forgets the signed requests whose signing window has
//! passed (see [`crate::store::seen_requests`]).

use std::time::Instant;

use tokio::sync::watch;

use crate::app::AppState;
use crate::digests::post::run_schedule;
use crate::quotas::webhook::map_waiting_tickets;
use crate::store::seen_requests::delete_expired_seen_requests;

/// Runs until `shutdown` turns true.
pub async fn run_scheduler(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let timing = state.config.timing.clone();
    let mut last_remap: Option<Instant> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = run_schedule(&state.db, &state.clock, &state.outbox).await {
            tracing::error!(error = %e, "scheduler: database error; trying again later");
        }
        if let Err(e) = crate::follows::notices::queue_nudges(&state.db, &state.clock, &state.outbox).await {
            tracing::error!(error = %e, "scheduler: could not queue the Monday nudges; trying again later");
        }
        if let Err(e) = crate::interviews::notices::queue_due(&state.db, &state.clock, &state.outbox).await {
            tracing::error!(error = %e, "scheduler: could not queue the briefs and reminders of planned interviews");
        }
        if let Err(e) = crate::readout::queue_readouts(&state).await {
            tracing::error!(error = %e, "scheduler: could not queue the manager read-outs; trying again later");
        }
        let now = state.clock.now_ms();
        match state.db.write(async |tx| delete_expired_seen_requests(tx, now).await).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(requests = n, "signed requests past their signing window forgotten"),
            Err(e) => tracing::error!(error = %e, "scheduler: could not forget old signed requests"),
        }
        match crate::privacy::apply_retention(&state.db, &state.clock, &state.outbox).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(links = n, "recording links past their workspace's retention removed"),
            Err(e) => tracing::error!(error = %e, "scheduler: could not apply recording retention"),
        }
        if last_remap.is_none_or(|at| at.elapsed() >= timing.remap_every) {
            last_remap = Some(Instant::now());
            match map_waiting_tickets(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tickets = n, "waiting helpdesk tickets matched to Slack users"),
                Err(e) => tracing::error!(error = %e, "scheduler: could not map waiting tickets"),
            }
        }
        tokio::select! {
            () = tokio::time::sleep(timing.schedule_every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
