//! `POST /webhooks/tickets`: a helpdesk reports a closed ticket. The body is
//! signed with `HIGHLIGHTS_WEBHOOK_SECRET` (header `X-Highlights-Signature:
//! sha256=<hex HMAC-SHA256 of the body>`); each ticket id counts once; an agent
//! known only by email is looked up in Slack, and kept for later when unknown.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::error::AppError;
use crate::slack::client::SlackError;
use crate::store::onboarding::{insert_tickets, insert_unmapped_ticket, NewTickets};
use crate::store::workspaces::{find_workspace, list_workspace_ids, WorkspaceId};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-highlights-signature";

/// `sha256=<hex>` of a body.
pub fn sign_body(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", crate::slack::verify::hmac_sha256_hex(secret, &[body]))
}

/// A ticket event.
#[derive(Debug, Deserialize)]
struct TicketEvent {
    #[serde(default)]
    team_id: Option<String>,
    ticket_id: serde_json::Value,
    #[serde(default)]
    agent_email: Option<String>,
    #[serde(default)]
    agent_slack_id: Option<String>,
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// Verifies, counts once, answers.
pub async fn tickets(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let Some(secret) = &state.config().webhook_secret else {
        return Ok(answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "ok": false, "error": "webhook disabled: set HIGHLIGHTS_WEBHOOK_SECRET" }),
        ));
    };
    let given = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let expected = sign_body(secret.expose(), &body);
    if !bool::from(expected.as_bytes().ct_eq(given.trim().as_bytes())) {
        return Err(AppError::Unauthorized("X-Highlights-Signature does not match the body"));
    }
    let task = state.clone();
    state.run_to_completion(async move { count_ticket(&task, &body).await }).await?
}

/// Reads a verified ticket event and counts it once (on a task of its own).
async fn count_ticket(state: &AppState, body: &[u8]) -> Result<Response, AppError> {
    let event: TicketEvent =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("malformed ticket event: {e}")))?;
    let ticket = match &event.ticket_id {
        serde_json::Value::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(AppError::BadRequest("ticket_id must be a non-empty string or a number".into())),
    };
    let workspace = match event.team_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(team) => WorkspaceId(team.to_owned()),
        None => match list_workspace_ids(state.db()).await?.as_slice() {
            [only] => WorkspaceId(only.clone()),
            _ => return Err(AppError::BadRequest("team_id is required when several workspaces use the app".into())),
        },
    };
    if find_workspace(state.db(), &workspace).await?.is_none() {
        return Err(AppError::BadRequest(format!("unknown team_id {}", workspace.as_str())));
    }
    let now = state.clock().now_ms();
    let user = match (
        event.agent_slack_id.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        event.agent_email.as_deref(),
    ) {
        (Some(id), _) => id.to_owned(),
        (None, Some(email)) if email.contains('@') => match state.slack().user_by_email(email.trim()).await {
            Ok(user) => user.id.to_string(),
            Err(e) => {
                let reason = match &e {
                    SlackError::Api(code) if code == "users_not_found" => "no Slack user has this email".to_owned(),
                    other => format!("could not look the email up in Slack ({other})"),
                };
                let payload = String::from_utf8_lossy(body).into_owned();
                insert_unmapped_ticket(state.db(), &workspace, &ticket, Some(email.trim()), &reason, &payload, now)
                    .await?;
                return Ok(answer(
                    StatusCode::ACCEPTED,
                    json!({ "ok": true, "counted": false, "reason": format!("{reason}; the ticket is kept for later") }),
                ));
            }
        },
        _ => return Err(AppError::BadRequest("give agent_slack_id or agent_email".into())),
    };
    let tickets = NewTickets { user: &user, source: "webhook", ticket_ref: Some(&ticket), count: 1, note: None };
    let counted = insert_tickets(state.db(), &workspace, &tickets, now).await?;
    if !counted {
        return Ok(answer(StatusCode::OK, json!({ "ok": true, "counted": false, "reason": "ticket already counted" })));
    }
    crate::quotas::after_evidence(state, &workspace, &user).await;
    Ok(answer(StatusCode::OK, json!({ "ok": true, "counted": true, "user": user })))
}

/// Tries again to find the Slack user of each waiting ticket's email (people
/// join Slack after their first tickets); counts the ones found. Returns how
/// many were counted.
pub async fn map_waiting_tickets(state: &AppState) -> Result<usize, sqlx::Error> {
    let mut counted = 0;
    for ticket in crate::store::onboarding::list_unmapped_tickets(state.db(), 100).await? {
        let Some(email) = ticket.agent_email.as_deref() else { continue };
        match state.slack().user_by_email(email).await {
            Ok(user) => {
                let user = user.id.to_string();
                if crate::store::onboarding::map_unmapped_ticket(state.db(), &ticket, &user).await? {
                    counted += 1;
                    crate::quotas::after_evidence(state, &WorkspaceId(ticket.workspace_id.clone()), &user).await;
                }
            }
            Err(SlackError::Api(code)) if code == "users_not_found" => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not look up waiting tickets' emails; will try later");
                break;
            }
        }
    }
    Ok(counted)
}
