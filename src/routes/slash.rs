//! `POST /slack/commands`: the `/highlight` slash command.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::AppError;
use crate::slack::payload::{self, Inbound};
use crate::slack::verify::SignedRequest;

/// Verifies, reads, and answers a slash command within Slack's 3 seconds;
/// an empty 200 when the answer is a modal. The same request sent again is
/// answered with [`super::ALREADY_RECEIVED_TEXT`] and not run again.
pub async fn slash_command(State(state): State<AppState>, req: SignedRequest) -> Result<Response, AppError> {
    let command = payload::parse_command(&req.body)?;
    crate::app::record_requester(&command.team_id, &command.user_id);
    let (task, seen) = (state.clone(), req.seen_key().clone());
    let answer = state
        .tasks
        .run_to_completion(async move { super::dispatch_once(&task, &seen, Inbound::Command(command)).await })
        .await??;
    Ok(answer.into_response())
}
