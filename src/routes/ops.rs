//! Operational routes: health and metrics.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::app::AppState;

/// `GET /healthz`: 200 when the database answers within two seconds, 503
/// otherwise. Slack's availability does not count: posts wait in the outbox.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database unavailable" })))
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer within 2s");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database unavailable" })))
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let backlog =
        tokio::time::timeout(std::time::Duration::from_secs(2), crate::store::outbox::find_outbox_backlog(&state.db))
            .await;
    match backlog {
        Ok(Ok((pending, oldest))) => {
            let age_ms = oldest.map_or(0, |at| (state.clock.now_ms() - at).max(0));
            state.metrics.set_outbox_backlog(pending, age_ms as f64 / 1000.0);
        }
        Ok(Err(e)) => tracing::warn!(error = %crate::error::chain(&e), "metrics: cannot read the outbox backlog"),
        Err(_) => tracing::warn!("metrics: the outbox backlog was not read within 2 s"),
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
}

/// Any other path.
pub async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, Json(json!({ "ok": false, "error": "not found" })))
}
