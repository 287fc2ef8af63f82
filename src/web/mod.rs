//! The evidence library in the browser (docs/design.md, The evidence library):
//! server-rendered pages of what customers said, for the people of one
//! workspace. [`router`] holds its routes (merged into the app's by
//! `server::router`, and only when the library is on); [`session`] signs
//! people in and keeps them so; [`pages`] renders each page from the same
//! reads the Slack views make; [`layout`] is the frame every page shares.
//!
//! Pages are `maud` templates: checked when the crate compiles, and every
//! value put into them is HTML-escaped unless marked otherwise.

pub mod layout;
pub mod link;
pub mod oidc;
pub mod pages;
pub mod session;
pub mod stream;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;

/// The one stylesheet, in the binary (screen, phone and print).
pub const STYLESHEET: &str = include_str!("static/style.css");
/// The library's icon (the browser's tab and bookmarks).
const ICON: &str = include_str!("static/icon.svg");

/// What every page of the library may load: its own stylesheet, nothing
/// inline that runs, and no framing by another site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The library's routes, or none when it is off (they answer 404 then).
pub fn router(state: &AppState) -> Router<AppState> {
    if state.config.web.is_none() {
        return Router::new();
    }
    let signed_in = Router::new()
        .route("/", get(pages::home))
        .route("/customers", get(pages::customers))
        .route("/customers/{id}", get(pages::customer))
        .route("/customers/{id}/follow", post(pages::follow))
        .route("/search", get(pages::search))
        .route("/areas", get(pages::areas))
        .route("/areas/{id}", get(pages::area))
        .route("/onboarding", get(pages::onboarding))
        .route("/onboarding/{user}/report", get(pages::report))
        .route("/export.csv", get(pages::export))
        .route("/logout", post(session::logout))
        .route_layer(middleware::from_fn_with_state(state.clone(), session::require_session));
    Router::new()
        .route("/login", get(session::login_page))
        .route("/login/link/{token}", get(session::open_link))
        .route("/login/slack", get(oidc::start))
        .route("/login/slack/callback", get(oidc::callback))
        .route("/static/style.css", get(stylesheet))
        .route("/static/icon.svg", get(icon))
        .merge(signed_in)
        .layer(middleware::from_fn(security_headers))
}

/// `GET /static/style.css`.
async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
        .into_response()
}

/// `GET /static/icon.svg`.
async fn icon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], ICON).into_response()
}

/// Sets the headers every response of the library carries.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
