//! The running app: the router of docs/design.md (Routes) and [`serve`], which runs it
//! beside the outbox worker and the scheduler and shuts them down in order.
//! `main` and the tests start the app through `application::Application`,
//! which runs [`serve`]; [`http`] is the hyper server under the router.

pub mod http;

use std::future::Future;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::{jobs, metrics, routes};

/// The HTTP routes of docs/design.md (Routes).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/slack/commands", post(routes::slash::slash_command))
        .route("/slack/events", post(routes::events::event))
        .route("/slack/interactivity", post(routes::interactivity::interaction))
        .route("/webhooks/tickets", post(crate::quotas::webhook::tickets))
        .route("/slack/install", get(routes::oauth::install))
        .route("/slack/oauth_redirect", get(routes::oauth::oauth_redirect))
        .route("/healthz", get(routes::ops::healthz))
        .route("/metrics", get(routes::ops::metrics))
        .merge(crate::web::router(&state))
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        // One span per request: its route, and the team and user once the
        // body is read (`record_requester`); work it starts carries it.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        route = req.uri().path(),
                        team = tracing::field::Empty,
                        user = tracing::field::Empty,
                    )
                })
                // Failures are logged where they are handled, once, with their cause.
                .on_failure(()),
        )
        .layer(axum::extract::DefaultBodyLimit::max(crate::slack::verify::MAX_BODY_BYTES))
        .fallback(routes::ops::not_found)
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes, then lets requests
/// in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router(state.clone());
    let learning = state.config.bot_token.is_some().then(|| tokio::spawn(state.installs.clone().learn_token_team()));
    if state.config.oauth.is_some() {
        routes::oauth::reseal_tokens(&state.db, &state.clock, &state.config).await;
    }
    let (stop_worker, worker_stopped) = watch::channel(false);
    let worker = tokio::spawn(jobs::outbox::run_worker(state.clone(), worker_stopped.clone()));
    let scheduler = tokio::spawn(jobs::scheduler::run_scheduler(state.clone(), worker_stopped));
    let limits = state.config.timing.http;
    http::run(listener, app, limits, shutdown, Duration::from_secs(10)).await;
    // Requests whose client hung up may still be finishing their work.
    state.tasks.wait(Duration::from_secs(10)).await;
    // Let the worker finish the row in hand; what is left stays queued for the next start.
    let _ = stop_worker.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), scheduler).await;
    let mut worker = worker;
    if tokio::time::timeout(Duration::from_secs(10), &mut worker).await.is_err() {
        // Stopped here, before the pool closes under it: its rows are taken
        // again after their lease.
        worker.abort();
        let _ = worker.await;
        tracing::warn!("outbox worker did not stop within 10 s; its rows will be taken again after their lease");
    }
    if let Some(learning) = learning {
        learning.abort();
    }
    state.db.close().await;
    Ok(())
}
