//! The scheduler: every so often, claims and queues the digests that are due
//! (at start too, so a period missed while the app was down is posted once).

use tokio::sync::watch;

use crate::app::AppState;
use crate::digests::post::run_schedule;

/// Runs until `shutdown` turns true.
pub async fn run_scheduler(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = run_schedule(&state).await {
            tracing::error!(error = %e, "scheduler: database error; trying again later");
        }
        tokio::select! {
            () = tokio::time::sleep(state.config().timing.schedule_every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
