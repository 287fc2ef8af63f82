//! `POST /slack/interactivity`: shortcuts, buttons, modal submissions and
//! external-select suggestions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use slack_morphism::prelude::SlackInteractionEvent;

use crate::app::AppState;
use crate::error::AppError;
use crate::slack::payload::{self, Interaction};
use crate::slack::verify::SignedRequest;

/// Acknowledges every well-formed interaction at once.
pub async fn interaction(
    State(_state): State<AppState>,
    req: SignedRequest,
) -> Result<Response, AppError> {
    match payload::parse_interaction(&req.body)? {
        Interaction::Known(event) => match *event {
            // An external select waits for its options in the response body.
            SlackInteractionEvent::BlockSuggestion(_) => {
                Ok(Json(json!({ "options": [] })).into_response())
            }
            _ => Ok(StatusCode::OK.into_response()),
        },
        Interaction::Other(kind) => {
            tracing::info!(kind, "interaction of a type we do not handle acknowledged");
            Ok(StatusCode::OK.into_response())
        }
    }
}
