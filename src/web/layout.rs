//! The frame every page of the library shares: a title, landmarks (banner,
//! navigation, main, footer), a search box with its label, and a sign-out
//! form carrying the session's CSRF token.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use crate::web::session::Session;

/// The product's name in titles.
const PRODUCT: &str = "Highlights";

/// A whole page: `title` in the tab and as the heading, `body` inside `main`.
/// With a session, the navigation and the sign-out form; without, neither.
pub fn page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (PRODUCT) }
                link rel="stylesheet" href="/static/style.css";
                link rel="icon" href="/static/icon.svg" type="image/svg+xml";
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header role="banner" {
                    a.brand href="/" { (PRODUCT) }
                    @if let Some(session) = session {
                        nav aria-label="Library" {
                            ul {
                                li { a href="/" { "This week" } }
                                li { a href="/customers" { "Customers" } }
                                li { a href="/areas" { "Areas" } }
                                li { a href="/onboarding" { "Onboarding" } }
                                li { a href="/export.csv" { "Export CSV" } }
                            }
                        }
                        form.search role="search" method="get" action="/search" {
                            label for="site-search" { "Search quotes" }
                            input id="site-search" type="search" name="q" placeholder="canned replies area:chat";
                            button type="submit" { "Search" }
                        }
                        form.signout method="post" action="/logout" {
                            (csrf_field(session))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
                footer role="contentinfo" {
                    p { "Customer evidence from Slack, for your workspace only." }
                }
            }
        }
    }
}

/// The hidden field every POST form carries (docs/design.md, The evidence
/// library: CSRF).
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A rendered page as a response.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A short page saying what went wrong and what to do.
pub fn message(status: StatusCode, title: &str, text: &str, session: Option<&Session>) -> Response {
    respond(status, page(title, session, html! { p { (text) } }))
}

/// The page for anything of another workspace, or of none: the same as for
/// what does not exist, so nothing leaks.
pub fn not_found(session: Option<&Session>) -> Response {
    message(StatusCode::NOT_FOUND, "Not found", "There is nothing here. It may have been merged or removed.", session)
}

/// The page for a failure on our side (the cause is logged where it happened).
pub fn unavailable(session: Option<&Session>) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again in a minute",
        "This page could not be read on our side. Nothing was changed.",
        session,
    )
}
