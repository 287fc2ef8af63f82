//! `POST /slack/events`: the Events API, `url_verification` included. Each
//! delivery is recorded by `event_id` first, so a redelivery is processed once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use slack_morphism::prelude::SlackPushEvent;

use crate::app::AppState;
use crate::error::AppError;
use crate::install::Admission;
use crate::slack::payload::{self, Delivery, EventKind, Inbound};
use crate::slack::verify::SignedRequest;
use crate::store::events;
use crate::store::outbox::OutboxKind;

/// Answers the handshake, records the event, acknowledges at once.
pub async fn event(State(state): State<AppState>, req: SignedRequest) -> Result<Response, AppError> {
    let (event, enterprise) = payload::parse_event(&req.body)?;
    match event {
        SlackPushEvent::UrlVerification(v) => Ok(Json(json!({ "challenge": v.challenge })).into_response()),
        SlackPushEvent::AppRateLimited(limited) => {
            tracing::warn!(team = %limited.team_id, "Slack is rate limiting our event deliveries");
            Ok(StatusCode::OK.into_response())
        }
        SlackPushEvent::EventCallback(callback) => {
            let delivery = Delivery { event: payload::event_of(&callback)?, enterprise, retry: req.retry_num() };
            let task = state.clone();
            let answer = state
                .tasks
                .run_to_completion(async move { super::dispatch(&task, Inbound::Event(delivery)).await })
                .await??;
            Ok(answer.into_response())
        }
    }
}

/// Records an event (from HTTP or Socket Mode) by `event_id` and handles it
/// once; a redelivery, or an event from a workspace the app is not installed
/// in, is acknowledged and ignored.
pub async fn handle(state: &AppState, delivery: &Delivery) -> Result<(), AppError> {
    let (event, enterprise, retry) = (&delivery.event, delivery.enterprise.as_deref(), delivery.retry);
    let lost_access = event.what == EventKind::LostAccess;
    // Any other event from the workspace means the app is installed there (again).
    let workspace = if lost_access {
        state.installs.admit_as_is(&event.team, enterprise).await?
    } else {
        state.installs.admit(&event.team, enterprise).await?
    };
    let Admission::Ours(workspace) = workspace else {
        return Ok(());
    };
    let now = state.clock.now_ms();
    let fresh = state
        .db
        .write(async |tx| events::insert_processed_event(tx, &workspace, &event.event_id, &event.kind, now).await)
        .await?;
    if !fresh {
        tracing::info!(event_id = event.event_id, retry = ?retry, "redelivered event ignored");
        return Ok(());
    }
    tracing::debug!(event_id = event.event_id, kind = event.kind, "event recorded");
    let handled = match &event.what {
        EventKind::LostAccess => {
            // Nothing more can be posted there; the data stays for a reinstall.
            tracing::warn!(workspace = workspace.as_str(), kind = event.kind, "the app lost access to a workspace");
            state.db.write(async |tx| crate::store::workspaces::update_uninstalled(tx, &workspace, now).await).await?;
            state.installs.forget_installed(workspace.as_str());
            return Ok(());
        }
        EventKind::Reaction(reaction) => {
            async {
                crate::endorsements::reacted(state, &workspace, reaction).await?;
                crate::quotas::triage::reacted(&state.db, &state.clock, &state.outbox, &workspace, reaction).await
            }
            .await
        }
        EventKind::HomeOpened { user } => state
            .outbox
            .queue(&workspace, &OutboxKind::PublishHome { user: user.clone() })
            .await
            .map_err(AppError::from),
        EventKind::Other => Ok(()),
    };
    if let Err(e) = handled {
        // Forget the event so that Slack's retry is processed, then fail this delivery.
        state.db.write(async |tx| events::delete_processed_event(tx, &workspace, &event.event_id).await).await?;
        return Err(e);
    }
    Ok(())
}
