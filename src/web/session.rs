//! Signing in and staying signed in (docs/design.md, The evidence library):
//! the sign-in link's page, the session cookie, the check every signed-in
//! route passes first ([`require_session`], which also refuses a POST
//! without the session's CSRF token), `/login` and `POST /logout`.

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use maud::html;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use crate::app::AppState;
use crate::config::Web;
use crate::store::web_sessions::{self, LINK_TTL_MS, SESSION_TTL_MS};
use crate::store::workspaces::WorkspaceId;
use crate::web::layout;

/// A session is renewed (its end moved 14 days on) when used this long
/// after it was last renewed: once an hour at most, not at every page.
const RENEW_AFTER_MS: i64 = 60 * 60 * 1000;

/// The largest form a POST to the library may send.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The signed-in person, as every signed-in page sees them.
#[derive(Debug, Clone)]
pub struct Session {
    /// Their workspace: every page shows only its rows.
    pub workspace: WorkspaceId,
    /// Their Slack user id.
    pub user: String,
    /// The token every POST form carries, tied to this session.
    pub csrf: String,
    /// The SHA-256 of the cookie's token (how the store knows the session).
    token_hash: String,
}

/// 32 random bytes, URL-safe: a sign-in link's or a session's token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("the system's random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a token: all the store keeps of it.
pub fn digest(token: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()))
}

/// The CSRF token of the session whose cookie holds `token`: derived from
/// it, so another session's token never matches, and apart from the stored
/// hash, so the database does not give it away.
fn csrf_of(token: &str) -> String {
    digest(&format!("csrf:{token}"))
}

/// The session cookie's name: `__Host-` prefixed over https, where the
/// browser then insists on `Secure`, `Path=/` and no `Domain`.
fn cookie_name(web: &Web) -> &'static str {
    if web.secure {
        "__Host-highlights_session"
    } else {
        "highlights_session"
    }
}

/// The `Set-Cookie` value that holds a session for 14 days (an empty token
/// and no time: the cookie is removed).
fn session_cookie(web: &Web, token: &str) -> String {
    let max_age = if token.is_empty() { 0 } else { SESSION_TTL_MS / 1000 };
    let secure = if web.secure { "; Secure" } else { "" };
    format!("{}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}", cookie_name(web))
}

/// The value of cookie `name` in the request (empty counts as none).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// `next` when it is a path of this site (one `/`, not `//`, `/\` or a
/// scheme), else `/`: a sign-in never sends anyone elsewhere.
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path
        }
        _ => "/",
    }
}

/// A 303 to `to`, with headers.
fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Where a person without a session goes: `/login?next=<path and query>`.
fn to_login(uri: &Uri) -> Response {
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    see_other(&format!("/login?{query}"), None)
}

/// Starts a session in a transaction that also consumed what proved who
/// the person is; false when their workspace is not installed.
pub async fn insert_session(
    conn: &mut sqlx::AnyConnection,
    token: &str,
    workspace: &WorkspaceId,
    user: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    web_sessions::insert_session(conn, &digest(token), workspace, user, now_ms).await
}

/// The response that hands the browser its new session and sends it on.
pub fn signed_in(web: &Web, token: &str, to: &str) -> Response {
    see_other(to, Some(session_cookie(web, token)))
}

/// Runs before every signed-in route: the session from the cookie (or a 303
/// to `/login`), renewed when due; for a POST, the form's CSRF token checked
/// first (403 and nothing done without it). The handler finds the
/// [`Session`] in the request's extensions.
pub async fn require_session(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(web) = state.config.web.as_ref() else {
        return layout::not_found(None);
    };
    let now = state.clock.now_ms();
    let Some(token) = cookie(request.headers(), cookie_name(web)).map(str::to_owned) else {
        return to_login(request.uri());
    };
    let token_hash = digest(&token);
    let found = match web_sessions::find_session(&state.db, &token_hash, now).await {
        Ok(Some(found)) => found,
        Ok(None) => return to_login(request.uri()),
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "cannot read a browser session");
            return layout::unavailable(None);
        }
    };
    crate::app::record_requester(&found.workspace_id, &found.user_id);
    let session =
        Session { workspace: WorkspaceId(found.workspace_id), user: found.user_id, csrf: csrf_of(&token), token_hash };
    let mut request = request;
    if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return layout::message(StatusCode::PAYLOAD_TOO_LARGE, "Too much", "That form was too large.", None);
        };
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let sent = form.iter().find(|(key, _)| key == "csrf").map(|(_, value)| value.as_bytes());
        if !sent.is_some_and(|sent| bool::from(sent.ct_eq(session.csrf.as_bytes()))) {
            tracing::warn!("a form without its session's CSRF token was refused");
            return layout::message(
                StatusCode::FORBIDDEN,
                "Refused",
                "This form did not come from your session of the library, so nothing was changed. Go back, reload the page and try again.",
                Some(&session),
            );
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    let renew = found.expires_at - now < SESSION_TTL_MS - RENEW_AFTER_MS;
    if renew {
        let hash = session.token_hash.clone();
        let until = now + SESSION_TTL_MS;
        if let Err(e) = state.db.write(async |tx| web_sessions::update_session_expiry(tx, &hash, until).await).await {
            tracing::warn!(error = %crate::error::chain(&e), "cannot renew a browser session; it ends as it was");
        }
    }
    request.extensions_mut().insert(session);
    let mut response = next.run(request).await;
    if renew {
        if let Ok(value) = HeaderValue::from_str(&session_cookie(web, &token)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `POST /logout`: the session ends; the browser forgets its cookie.
pub async fn logout(State(state): State<AppState>, axum::Extension(session): axum::Extension<Session>) -> Response {
    let Some(web) = state.config.web.as_ref() else {
        return layout::not_found(None);
    };
    let hash = session.token_hash.clone();
    if let Err(e) = state.db.write(async |tx| web_sessions::delete_session(tx, &hash).await).await {
        tracing::error!(error = %crate::error::chain(&e), "cannot end a browser session");
        return layout::unavailable(Some(&session));
    }
    see_other("/login", Some(session_cookie(web, "")))
}

/// `/login`'s query.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`: signed in already, on to `next` (a local path) or `/`;
/// else how to sign in: `/highlight web` in Slack, or *Sign in with Slack*.
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let Some(web) = state.config.web.as_ref() else {
        return layout::not_found(None);
    };
    let next = local_path(query.next.as_deref()).to_owned();
    if let Some(token) = cookie(&headers, cookie_name(web)) {
        if let Ok(Some(_)) = web_sessions::find_session(&state.db, &digest(token), state.clock.now_ms()).await {
            return see_other(&next, None);
        }
    }
    let slack = format!("/login/slack?{}", serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default());
    layout::respond(
        StatusCode::OK,
        layout::page(
            "Sign in",
            None,
            html! {
                p { "The evidence library shows what your workspace's customers said, by customer, area and week." }
                @if web.sign_in_with_slack {
                    p { a.button href=(slack) { "Sign in with Slack" } }
                    p { "Or type " code { "/highlight web" } " in Slack: you get a sign-in link only you can see." }
                } @else {
                    p { "Type " code { "/highlight web" } " in Slack: you get a sign-in link only you can see, good once, for 10 minutes." }
                }
            },
        ),
    )
}

/// `GET /login/link/{token}`: a link from `/highlight web`, used once within
/// 10 minutes, starts a session (303 to `/`); any other, 400.
pub async fn open_link(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some(web) = state.config.web.clone() else {
        return layout::not_found(None);
    };
    let work = state.clone();
    // The link is consumed and the session started in one transaction, on a
    // task of its own: a browser that goes away leaves both or neither.
    let outcome = state
        .tasks
        .run_to_completion(async move {
            let now = work.clock.now_ms();
            let session_token = random_token();
            work.db
                .write(async |tx| {
                    let Some((workspace, user, created_at)) =
                        web_sessions::delete_login_link(tx, &digest(&token)).await?
                    else {
                        return Ok(LinkOutcome::Invalid);
                    };
                    if now - created_at > LINK_TTL_MS {
                        return Ok(LinkOutcome::Invalid);
                    }
                    let workspace = WorkspaceId(workspace);
                    Ok(if insert_session(tx, &session_token, &workspace, &user, now).await? {
                        LinkOutcome::SignedIn(session_token.clone())
                    } else {
                        LinkOutcome::NotInstalled
                    })
                })
                .await
        })
        .await;
    match outcome {
        Ok(Ok(LinkOutcome::SignedIn(token))) => signed_in(&web, &token, "/"),
        Ok(Ok(LinkOutcome::Invalid)) => layout::message(
            StatusCode::BAD_REQUEST,
            "This sign-in link does not work",
            "It was already used, is older than 10 minutes, or is not one of ours. Type /highlight web in Slack again for a new one.",
            None,
        ),
        Ok(Ok(LinkOutcome::NotInstalled)) => not_installed(),
        Ok(Err(e)) => {
            tracing::error!(error = %crate::error::chain(&e), "cannot open a sign-in link");
            layout::unavailable(None)
        }
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "cannot open a sign-in link");
            layout::unavailable(None)
        }
    }
}

/// The page for a person of a workspace where the app is not installed.
pub fn not_installed() -> Response {
    layout::message(
        StatusCode::FORBIDDEN,
        "Highlights is not installed in your workspace",
        "The library shows a workspace's evidence only where Highlights is installed. Ask a Slack admin to install it.",
        None,
    )
}

enum LinkOutcome {
    SignedIn(String),
    Invalid,
    NotInstalled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/customers?q=a")), "/customers?q=a");
        for bad in ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "", "/a\nb"] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn the_cookie_is_named_and_flagged_by_the_public_urls_scheme() {
        let web = |secure| Web { public_url: "x".into(), secure, sign_in_with_slack: false };
        assert_eq!(
            session_cookie(&web(true), "t"),
            "__Host-highlights_session=t; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(session_cookie(&web(false), ""), "highlights_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert_ne!(csrf_of("a"), digest("a"));
    }
}
