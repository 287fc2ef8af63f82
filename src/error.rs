//! Errors: [`AppError`] for everything that can go wrong while serving a request,
//! and the only place that maps errors to HTTP status codes. [`UserError`] is the
//! only text a Slack user ever sees; everything else is logged and replaced by one
//! fixed sentence.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The sentence a user sees when something failed on our side.
pub const INTERNAL_ERROR_TEXT: &str =
    "Sorry, something went wrong on our side and nothing was changed. Please try again in a minute.";

/// Said when a write met a unique key taken a moment before by a concurrent
/// change (two people renaming the same area at once, say).
pub const CONFLICT_TEXT: &str =
    "Someone changed this at the same moment, so nothing was saved. Please look again and retry.";

/// A request-level failure. Each variant knows its status; internal ones are
/// logged here, once, with their whole chain.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, wrong or stale Slack signature.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Body over the size limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The client did not send its body in time.
    #[error("request body not received in time")]
    BodyTimeout,
    /// Signed, but not a payload we can read.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A mistake the user can fix, or a refusal: shown to them as it is.
    #[error("{0}")]
    User(#[from] UserError),
    /// Something the request needs is not ready yet (the caller may retry).
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// The database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Anything else on our side.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The one place a unique-key violation is told apart: it is a race the user
/// can retry (the features check for duplicates first and word their own
/// answer), never an internal error.
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e.as_database_error() {
            Some(db) if db.is_unique_violation() => {
                tracing::info!(error = %chain(&e), "a concurrent change took the same unique key");
                Self::User(UserError::new(CONFLICT_TEXT))
            }
            _ => Self::Database(e),
        }
    }
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::BadRequest(_) | Self::User(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            Self::Unauthorized(reason) => {
                tracing::warn!(reason, "rejected unsigned or stale request");
                format!("invalid request signature: {reason}")
            }
            Self::PayloadTooLarge => "request body is too large".to_owned(),
            Self::BodyTimeout => "request body not received in time".to_owned(),
            Self::BadRequest(reason) => {
                tracing::warn!(%reason, "rejected malformed request");
                reason.clone()
            }
            Self::User(e) => e.0.clone(),
            Self::Unavailable(reason) => {
                tracing::warn!(reason, "answered 503: retry later");
                (*reason).to_owned()
            }
            Self::Database(e) => {
                tracing::error!(error = %chain(e), "database error while serving a request");
                "internal error".to_owned()
            }
            Self::Internal(_) => {
                tracing::error!(error = %chain(self.as_ref_dyn()), "internal error while serving a request");
                "internal error".to_owned()
            }
        };
        (status, Json(json!({ "ok": false, "error": message }))).into_response()
    }
}

/// An error with every cause behind it, `outer: inner: root`, for logs.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        // thiserror's `{0}` and `#[error(transparent)]` often repeat the cause already.
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

impl AppError {
    fn as_ref_dyn(&self) -> &(dyn std::error::Error + 'static) {
        self
    }
}

/// A mistake the user can fix, written as valid, escaped mrkdwn, shown to them
/// as an ephemeral message (or a modal field error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

impl UserError {
    /// A message for the user; the text must already be mrkdwn-safe.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}
