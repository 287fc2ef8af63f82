//! `POST /slack/commands`: the `/highlight` slash command.

use axum::extract::State;
use axum::Json;

use crate::app::AppState;
use crate::commands::{self, Reply};
use crate::error::AppError;
use crate::slack::payload;
use crate::slack::verify::SignedRequest;

/// Verifies, parses, and answers a slash command within Slack's 3 seconds.
pub async fn slash_command(
    State(state): State<AppState>,
    req: SignedRequest,
) -> Result<Json<Reply>, AppError> {
    let command = payload::parse_command(&req.body)?;
    let workspace = state.ensure_workspace(&command.team_id).await?;
    let reply = commands::handle(&state, &workspace, command).await;
    Ok(Json(reply))
}
