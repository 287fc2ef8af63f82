//! `POST /slack/commands`: the `/highlight` slash command.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::app::AppState;
use crate::commands;
use crate::error::AppError;
use crate::slack::payload;
use crate::slack::verify::SignedRequest;

/// Verifies, parses, and answers a slash command within Slack's 3 seconds;
/// an empty 200 when the answer is a modal.
pub async fn slash_command(State(state): State<AppState>, req: SignedRequest) -> Result<Response, AppError> {
    let command = payload::parse_command(&req.body)?;
    crate::app::record_requester(&command.team_id, &command.user_id);
    let task = state.clone();
    let reply = state.run_to_completion(async move { commands::answer(&task, command).await }).await??;
    Ok(match reply {
        Some(reply) => Json(reply).into_response(),
        None => StatusCode::OK.into_response(),
    })
}
