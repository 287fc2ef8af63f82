//! `POST /webhooks/tickets`: a helpdesk reports a closed ticket. The body is
//! signed as Slack signs its requests, with `HIGHLIGHTS_WEBHOOK_SECRET`:
//! `X-Highlights-Request-Timestamp: <unix seconds>` and
//! `X-Highlights-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`,
//! the timestamp within 5 minutes of our clock (a captured request cannot be
//! replayed later). Each ticket id counts once; an agent known only by email is
//! looked up in Slack, and kept for later when unknown.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::error::AppError;
use crate::ids::UserId;
use crate::install::Admission;
use crate::slack::client::SlackError;
use crate::store::onboarding::{insert_tickets, insert_unmapped_ticket, NewTickets};
use crate::store::workspaces::WorkspaceId;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-highlights-signature";
/// The signed timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-highlights-request-timestamp";
/// Largest ticket event accepted: one ticket is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
pub async fn tickets(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, AppError> {
    let Some(secret) = &state.config.webhook_secret else {
        return Ok(answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "ok": false, "error": "webhook disabled: set HIGHLIGHTS_WEBHOOK_SECRET" }),
        ));
    };
    let body: Bytes = crate::slack::verify::read_body(body, MAX_BODY_BYTES).await?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    crate::slack::verify::verify(
        secret.expose(),
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
        state.clock.now().as_second(),
    )
    .map_err(|e| AppError::Unauthorized(e.reason()))?;
    let task = state.clone();
    state.tasks.run_to_completion(async move { count_ticket(&task, &body).await }).await?
}

/// Reads a verified ticket event and counts it once (on a task of its own).
async fn count_ticket(state: &AppState, body: &[u8]) -> Result<Response, AppError> {
    let mut event: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("malformed ticket event: {e}")))?;
    crate::slack::payload::clean_json(&mut event);
    let event: TicketEvent =
        serde_json::from_value(event).map_err(|e| AppError::BadRequest(format!("malformed ticket event: {e}")))?;
    let ticket = match &event.ticket_id {
        serde_json::Value::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(AppError::BadRequest("ticket_id must be a non-empty string or a number".into())),
    };
    if ticket.chars().count() > MAX_TICKET_ID_CHARS {
        return Err(AppError::BadRequest(format!("ticket_id is longer than {MAX_TICKET_ID_CHARS} characters")));
    }
    let workspace = match event.team_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(team) => team.to_owned(),
        None if state.config.bot_token.is_none() => {
            return Err(AppError::BadRequest("team_id is required: the app is installed in workspaces by OAuth".into()))
        }
        None => state.installs.token_team().await?.id.clone(),
    };
    let workspace = match state.installs.admit_as_is(&workspace, None).await {
        Ok(Admission::Ours(workspace)) => workspace,
        Ok(Admission::NotOurs) | Err(AppError::BadRequest(_)) => {
            return Err(AppError::BadRequest(format!(
                "team_id {} is not a workspace the app is installed in",
                escape_id(&workspace)
            )))
        }
        Err(e) => return Err(e),
    };
    let now = state.clock.now_ms();
    let user = match (
        event.agent_slack_id.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        event.agent_email.as_deref(),
    ) {
        (Some(id), _) if UserId::parse(id).is_ok() => id.to_owned(),
        (Some(_), _) => return Err(AppError::BadRequest("agent_slack_id is not a Slack user id (U… or W…)".into())),
        (None, Some(email)) if email.contains('@') => {
            match async { state.slack.client(&workspace).await?.user_by_email(email.trim()).await }.await {
                Ok(user) => user.id.to_string(),
                Err(e) => {
                    let reason = match &e {
                        SlackError::Api(code) if code == "users_not_found" => "no Slack user has this email".to_owned(),
                        other => format!("could not look the email up in Slack ({other})"),
                    };
                    let payload = String::from_utf8_lossy(body).into_owned();
                    state
                        .db
                        .write(async |tx| {
                            insert_unmapped_ticket(tx, &workspace, &ticket, Some(email.trim()), &reason, &payload, now)
                                .await
                        })
                        .await?;
                    return Ok(answer(
                        StatusCode::ACCEPTED,
                        json!({ "ok": true, "counted": false, "reason": format!("{reason}; the ticket is kept for later") }),
                    ));
                }
            }
        }
        _ => return Err(AppError::BadRequest("give agent_slack_id or agent_email".into())),
    };
    let tickets = NewTickets { user: &user, source: "webhook", ticket_ref: Some(&ticket), count: 1, note: None };
    let counted = state.db.write(async |tx| insert_tickets(tx, &workspace, &tickets, now).await).await?;
    if !counted {
        return Ok(answer(StatusCode::OK, json!({ "ok": true, "counted": false, "reason": "ticket already counted" })));
    }
    crate::quotas::after_evidence(&state.db, &state.clock, &state.outbox, &workspace, &user).await;
    Ok(answer(StatusCode::OK, json!({ "ok": true, "counted": true, "user": user })))
}

/// Longest ticket id kept.
const MAX_TICKET_ID_CHARS: usize = 200;

/// A team id as it may be echoed in an error: at most 40 characters.
fn escape_id(id: &str) -> String {
    id.chars().take(40).collect()
}

/// Tries again to find the Slack user of each waiting ticket's email (people
/// join Slack after their first tickets); counts the ones found. Returns how
/// many were counted.
pub async fn map_waiting_tickets(state: &AppState) -> Result<usize, sqlx::Error> {
    let mut counted = 0;
    for ticket in crate::store::onboarding::list_unmapped_tickets(&state.db, 100).await? {
        let Some(email) = ticket.agent_email.as_deref() else { continue };
        let workspace = WorkspaceId(ticket.workspace_id.clone());
        match async { state.slack.client(&workspace).await?.user_by_email(email).await }.await {
            Ok(user) => {
                let user = user.id.to_string();
                if state
                    .db
                    .write(async |tx| crate::store::onboarding::map_unmapped_ticket(tx, &ticket, &user).await)
                    .await?
                {
                    counted += 1;
                    crate::quotas::after_evidence(
                        &state.db,
                        &state.clock,
                        &state.outbox,
                        &WorkspaceId(ticket.workspace_id.clone()),
                        &user,
                    )
                    .await;
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
