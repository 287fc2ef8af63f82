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
        Inbound::Command(command) => commands::answer(state, command).await.map(Answer::Reply),
        Inbound::Interaction(interaction) => Ok(Answer::Ack(interactivity::answer(state, &interaction).await)),
        Inbound::Event(delivery) => events::handle(state, &delivery).await.map(|()| Answer::Handled),
    }
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
