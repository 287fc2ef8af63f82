//! Slack's deliveries in, answers out. Each HTTP handler verifies (through
//! [`SignedRequest`](crate::slack::verify::SignedRequest)) and reads its body
//! into an [`Inbound`]; Socket Mode reads its deliveries into the same. Then
//! [`dispatch`], the one entrance for both transports, hands it to its
//! feature, and the transport writes the [`Answer`] in its own form.

pub mod events;
pub mod interactivity;
pub mod oauth;
pub mod ops;
pub mod slash;

use crate::app::AppState;
use crate::commands;
use crate::error::AppError;
use crate::reply::{Ack, Reply};
use crate::slack::payload::Inbound;
use crate::slack::verify::SeenKey;
use crate::store::seen_requests;

pub use crate::reply::ALREADY_RECEIVED_TEXT;

/// What the app answers a delivery with.
#[derive(Debug)]
pub enum Answer {
    /// A slash command's reply (`None`: nothing to show, a modal opened).
    Reply(Option<Reply>),
    /// An interaction's acknowledgement.
    Ack(Ack),
    /// An event, handled.
    Handled,
}

/// Runs a delivery, from HTTP or Socket Mode, to its answer.
pub async fn dispatch(state: &AppState, inbound: Inbound) -> Result<Answer, AppError> {
    match inbound {
        Inbound::Command(command) => commands::answer(state, command, None).await.map(Answer::Reply),
        Inbound::Interaction(interaction) => Ok(Answer::Ack(interactivity::answer(state, &interaction).await)),
        Inbound::Event(delivery) => events::handle(state, &delivery).await.map(|()| Answer::Handled),
    }
}

/// Runs a signed delivery once: the same request sent again within the
/// signing window (a replay: Slack never resends a command or an
/// interaction, and each one it sends is signed anew) is answered without
/// doing anything again, on every replica, since the signature is recorded
/// in the database first; a slash command records it itself
/// ([`commands::answer`]: a quick capture in its own transaction). Handling
/// that fails on our side forgets it, so that sending it again is acted on;
/// a record that cannot be written does not stop the handling. Called from
/// the request's task ([`crate::app::Tasks::run_to_completion`]): a client
/// that goes away leaves the record and the work done together, or neither
/// started.
pub async fn dispatch_once(state: &AppState, seen: &SeenKey, inbound: Inbound) -> Result<Answer, AppError> {
    if !state.config.replay_guard {
        return dispatch(state, inbound).await;
    }
    let hash = seen.signature_hash.as_str();
    let request = seen_requests::SeenRequest { signature_hash: hash.to_owned(), expires_at_ms: seen.expires_at_ms };
    // A slash command records its request itself; anything else is
    // answered this way when it was received before.
    let replayed = match inbound {
        Inbound::Command(command) => return commands::answer(state, command, Some(request)).await.map(Answer::Reply),
        Inbound::Interaction(_) => Answer::Ack(Ack::Empty),
        Inbound::Event(_) => Answer::Handled,
    };
    if !state.db.first_time(request).await {
        return Ok(replayed);
    }
    let answer = dispatch(state, inbound).await;
    if answer.is_err() {
        if let Err(e) = state.db.write(async |tx| seen_requests::delete_seen_request(tx, hash).await).await {
            tracing::warn!(error = %crate::error::chain(&e), "could not forget a signed request that failed");
        }
    }
    answer
}

impl axum::response::IntoResponse for Answer {
    fn into_response(self) -> axum::response::Response {
        use axum::http::StatusCode;
        use axum::Json;
        match self {
            Self::Reply(Some(reply)) => Json(reply).into_response(),
            Self::Ack(ack) => match ack.body() {
                Some(body) => Json(body).into_response(),
                None => StatusCode::OK.into_response(),
            },
            Self::Reply(None) | Self::Handled => StatusCode::OK.into_response(),
        }
    }
}
