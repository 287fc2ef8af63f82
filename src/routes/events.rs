//! `POST /slack/events`: the Events API, `url_verification` included. Each
//! delivery is recorded by `event_id` first, so a redelivery is processed once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use slack_morphism::prelude::{SlackEventCallbackBody, SlackPushEvent, SlackPushEventCallback};

use crate::app::AppState;
use crate::error::AppError;
use crate::install::Admission;
use crate::slack::payload;
use crate::slack::verify::SignedRequest;
use crate::store::events;

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
            let (task, retry) = (state.clone(), req.retry_num());
            state
                .run_to_completion(async move { handle_callback(&task, &callback, enterprise.as_deref(), retry).await })
                .await??;
            Ok(StatusCode::OK.into_response())
        }
    }
}

/// Records an event (from HTTP or Socket Mode) by `event_id` and handles it
/// once; a redelivery, or an event from a workspace the app is not installed
/// in, is acknowledged and ignored.
pub async fn handle_callback(
    state: &AppState,
    callback: &SlackPushEventCallback,
    enterprise: Option<&str>,
    retry: Option<u32>,
) -> Result<(), AppError> {
    let team = callback.team_id.as_ref();
    let kind = event_type(&callback.event);
    let uninstall = kind == "app_uninstalled" || (kind == "tokens_revoked" && revokes_bot_token(&callback.event));
    // Any other event from the workspace means the app is installed there (again).
    let workspace =
        if uninstall { state.admit_as_is(team, enterprise).await? } else { state.admit(team, enterprise).await? };
    let Admission::Ours(workspace) = workspace else {
        return Ok(());
    };
    let now = state.clock().now_ms();
    let fresh = events::insert_processed_event(state.db(), &workspace, callback.event_id.as_ref(), &kind, now).await?;
    if !fresh {
        tracing::info!(event_id = %callback.event_id, retry = ?retry, "redelivered event ignored");
        return Ok(());
    }
    tracing::debug!(event_id = %callback.event_id, kind, "event recorded");
    if uninstall {
        // Nothing more can be posted there; the data stays for a reinstall.
        tracing::warn!(workspace = workspace.as_str(), kind, "the app lost access to a workspace");
        crate::store::workspaces::update_uninstalled(state.db(), &workspace, now).await?;
        state.forget_installed(workspace.as_str());
        return Ok(());
    }
    if let Some(reaction) = payload::reaction(&callback.event) {
        let handled = async {
            crate::endorsements::reacted(state, &workspace, &reaction).await?;
            crate::quotas::triage::reacted(state, &workspace, &reaction).await
        };
        if let Err(e) = handled.await {
            // Forget the event so that Slack's retry is processed, then fail this delivery.
            events::delete_processed_event(state.db(), &workspace, callback.event_id.as_ref()).await?;
            return Err(e);
        }
    }
    if let SlackEventCallbackBody::AppHomeOpened(opened) = &callback.event {
        if opened.tab.as_deref() != Some("messages") {
            if let Err(e) = state
                .queue(&workspace, &crate::store::outbox::OutboxKind::PublishHome { user: opened.user.to_string() })
                .await
            {
                // Forget the event so that Slack's retry is processed, then fail this delivery.
                events::delete_processed_event(state.db(), &workspace, callback.event_id.as_ref()).await?;
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// Whether a `tokens_revoked` event revokes the bot's token (user tokens
/// alone leave the app installed).
fn revokes_bot_token(body: &SlackEventCallbackBody) -> bool {
    let value = serde_json::to_value(body).unwrap_or_default();
    value.pointer("/tokens/bot").and_then(|bots| bots.as_array()).is_some_and(|bots| !bots.is_empty())
}

/// The `type` of an event, as Slack names it.
fn event_type(body: &SlackEventCallbackBody) -> String {
    serde_json::to_value(body)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}
