//! Sign in with Slack, by OpenID Connect (docs/design.md, The evidence
//! library): `GET /login/slack` sends the browser to Slack with a fresh
//! `state` and `nonce`, the state kept as the OAuth install keeps its own
//! (`store::installations`: good once, 10 minutes, bound to the browser by a
//! cookie); `GET /login/slack/callback` takes the state, exchanges the code
//! with `openid.connect.token`, checks the nonce, reads the person with
//! `openid.connect.userInfo` and starts a session in their workspace.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use crate::app::AppState;
use crate::config::Config;
use crate::config::{OAuth, Web};
use crate::install::Admission;
use crate::store::installations::{self, STATE_TTL_MS};
use crate::web::layout;
use crate::web::session::{self, digest, random_token};

/// Where Slack asks the person to sign in.
pub const AUTHORIZE_URL: &str = "https://slack.com/openid/connect/authorize";

/// The cookie that binds a started sign-in to its browser (and keeps the
/// page first asked for).
const COOKIE: &str = "highlights_login";

/// Sign-in states share the install's table; this prefix keeps the two
/// kinds apart, so neither callback takes the other's state.
const STATE_PREFIX: &str = "login:";

/// The nonce of a sign-in started by this browser: derived from its
/// cookie, so only the browser that started it can finish it.
fn nonce_of(browser: &str) -> String {
    digest(&format!("nonce:{browser}"))
}

/// The library's own callback address.
fn redirect_uri(web: &Web) -> String {
    web.url("/login/slack/callback")
}

/// Both settings Sign in with Slack needs, or none.
fn settings(config: &Config) -> Option<(&Web, &OAuth)> {
    Some((config.web.as_ref().filter(|w| w.sign_in_with_slack)?, config.oauth.as_ref()?))
}

/// `/login/slack`'s query.
#[derive(Debug, Deserialize)]
pub struct Start {
    next: Option<String>,
}

/// `GET /login/slack`: 302 to Slack's authorize page.
pub async fn start(State(state): State<AppState>, Query(start): Query<Start>) -> Response {
    let Some((web, oauth)) = settings(&state.config) else {
        return layout::not_found(None);
    };
    let next = session::local_path(start.next.as_deref()).to_owned();
    let (login_state, browser) = (random_token(), random_token());
    let now = state.clock.now_ms();
    let key = format!("{STATE_PREFIX}{login_state}");
    if let Err(e) =
        state.db.write(async |tx| installations::insert_oauth_state(tx, &key, &digest(&browser), now).await).await
    {
        tracing::error!(error = %crate::error::chain(&e), "cannot start a sign-in with Slack");
        return layout::unavailable(None);
    }
    let nonce = nonce_of(&browser);
    let redirect = redirect_uri(web);
    let params = [
        ("response_type", "code"),
        ("scope", "openid profile email"),
        ("client_id", oauth.client_id.as_str()),
        ("state", login_state.as_str()),
        ("nonce", nonce.as_str()),
        ("redirect_uri", redirect.as_str()),
    ];
    let Ok(to) = url::Url::parse_with_params(AUTHORIZE_URL, params) else {
        return layout::unavailable(None);
    };
    let secure = if web.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={browser}.{}; Path=/login; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        URL_SAFE_NO_PAD.encode(next.as_bytes()),
        STATE_TTL_MS / 1000
    );
    (StatusCode::FOUND, [(header::LOCATION, to.to_string()), (header::SET_COOKIE, cookie)]).into_response()
}

/// What Slack sends the browser back with.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /login/slack/callback`: a session, and on to the page first asked
/// for; or a page saying why not.
pub async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(callback): Query<Callback>) -> Response {
    let Some((web, _)) = settings(&state.config) else {
        return layout::not_found(None);
    };
    let secure = if web.secure { "; Secure" } else { "" };
    let browser = session::cookie(&headers, COOKIE).map(str::to_owned);
    let work = state.clone();
    // Runs to its end even if the browser goes away: a code is good once.
    let mut answer = match state.tasks.run_to_completion(async move { finish(&work, browser, callback).await }).await {
        Ok(answer) => answer,
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "a sign-in with Slack failed");
            layout::unavailable(None)
        }
    };
    // The sign-in cookie has done its work, whatever the outcome.
    if let Ok(expired) =
        HeaderValue::from_str(&format!("{COOKIE}=; Path=/login; Max-Age=0; HttpOnly; SameSite=Lax{secure}"))
    {
        answer.headers_mut().append(header::SET_COOKIE, expired);
    }
    answer
}

fn refused(status: StatusCode, title: &str, text: &str) -> Response {
    layout::message(status, title, text, None)
}

/// Finishes a sign-in; every outcome is a redirect or a short page.
async fn finish(state: &AppState, browser: Option<String>, callback: Callback) -> Response {
    let Some((web, oauth)) = settings(&state.config) else {
        return layout::not_found(None);
    };
    const AGAIN: &str = "Start again from the sign-in page.";
    // A state is good once, whatever the outcome.
    let started = match callback.state.as_deref().filter(|s| !s.is_empty()) {
        Some(login_state) => {
            let key = format!("{STATE_PREFIX}{login_state}");
            match state.db.write(async |tx| installations::delete_oauth_state(tx, &key).await).await {
                Ok(started) => started,
                Err(e) => {
                    tracing::error!(error = %crate::error::chain(&e), "cannot check a sign-in's state");
                    return layout::unavailable(None);
                }
            }
        }
        None => None,
    };
    if let Some(error) = callback.error.as_deref() {
        tracing::info!(error, "sign-in with Slack cancelled in Slack");
        return if error == "access_denied" {
            refused(
                StatusCode::FORBIDDEN,
                "Sign-in cancelled",
                "You did not sign in. Start again from the sign-in page when you want to.",
            )
        } else {
            refused(StatusCode::BAD_REQUEST, "Sign-in failed", &format!("Slack said: {error}. {AGAIN}"))
        };
    }
    let Some(code) = callback.code.as_deref().filter(|c| !c.is_empty()) else {
        return refused(StatusCode::BAD_REQUEST, "Sign-in failed", &format!("Slack's answer had no code. {AGAIN}"));
    };
    let Some((bound_to, started_at)) = started else {
        return refused(
            StatusCode::BAD_REQUEST,
            "This sign-in is not valid",
            &format!("It is missing, unknown or already used. {AGAIN}"),
        );
    };
    if state.clock.now_ms() - started_at > STATE_TTL_MS {
        return refused(
            StatusCode::BAD_REQUEST,
            "This sign-in expired",
            &format!("A sign-in must finish within 10 minutes. {AGAIN}"),
        );
    }
    let (browser, next) = match browser.as_deref().and_then(|b| b.split_once('.')) {
        Some((browser, next)) if digest(browser) == bound_to => {
            let next = URL_SAFE_NO_PAD.decode(next).ok().and_then(|n| String::from_utf8(n).ok());
            (browser.to_owned(), session::local_path(next.as_deref()).to_owned())
        }
        _ => {
            return refused(
                StatusCode::BAD_REQUEST,
                "This sign-in was started in another browser",
                &format!("Finish it in the browser that started it, or start here. {AGAIN}"),
            )
        }
    };
    let redirect = redirect_uri(web);
    let form = [
        ("client_id", oauth.client_id.as_str()),
        ("client_secret", oauth.client_secret.expose()),
        ("code", code),
        ("redirect_uri", redirect.as_str()),
    ];
    let url = format!("{}/openid.connect.token", state.config.slack_api_url);
    let request =
        state.slack.http().post(url).basic_auth(&oauth.client_id, Some(oauth.client_secret.expose())).form(&form);
    let token = match call(request).await {
        Ok(token) => token,
        Err(failure) => return failure.page("openid.connect.token"),
    };
    let nonce =
        token["id_token"].as_str().and_then(id_token_claims).and_then(|c| c["nonce"].as_str().map(str::to_owned));
    if nonce.as_deref() != Some(nonce_of(&browser).as_str()) {
        tracing::warn!("a sign-in with Slack came back with another nonce");
        return refused(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            &format!("Slack's answer was not for this sign-in. {AGAIN}"),
        );
    }
    let Some(access) = token["access_token"].as_str() else {
        return Failure::Unavailable("no access token".into()).page("openid.connect.token");
    };
    let url = format!("{}/openid.connect.userInfo", state.config.slack_api_url);
    let person = match call(state.slack.http().post(url).bearer_auth(access)).await {
        Ok(person) => person,
        Err(failure) => return failure.page("openid.connect.userInfo"),
    };
    let (Some(team), Some(user)) =
        (person["https://slack.com/team_id"].as_str(), person["https://slack.com/user_id"].as_str())
    else {
        return Failure::Unavailable("no team or user".into()).page("openid.connect.userInfo");
    };
    let enterprise = person["https://slack.com/enterprise_id"].as_str().filter(|e| !e.is_empty());
    let workspace = match state.installs.admit(team, enterprise).await {
        Ok(Admission::Ours(workspace)) => workspace,
        Ok(Admission::NotOurs) => return session::not_installed(),
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "cannot tell whether a workspace is installed");
            return layout::unavailable(None);
        }
    };
    let session_token = random_token();
    let now = state.clock.now_ms();
    match state.db.write(async |tx| session::insert_session(tx, &session_token, &workspace, user, now).await).await {
        Ok(true) => {
            tracing::info!(team, user, "signed in to the library with Slack");
            session::signed_in(web, &session_token, &next)
        }
        Ok(false) => session::not_installed(),
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "cannot start a browser session");
            layout::unavailable(None)
        }
    }
}

/// The claims of an id token (its payload; the token comes straight from
/// Slack over TLS, so its signature adds nothing here).
fn id_token_claims(id_token: &str) -> Option<Value> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

enum Failure {
    /// Slack answered `ok: false`.
    Refused(String),
    /// No usable answer: unreachable, 5xx, unreadable.
    Unavailable(String),
}

impl Failure {
    fn page(self, method: &str) -> Response {
        match self {
            Self::Refused(error) => {
                tracing::warn!(method, error, "Slack refused a sign-in");
                refused(
                    StatusCode::BAD_REQUEST,
                    "Sign-in failed",
                    &format!("Slack refused the sign-in ({error}). Start again from the sign-in page."),
                )
            }
            Self::Unavailable(why) => {
                tracing::warn!(method, error = %why, "Slack did not answer a sign-in");
                refused(
                    StatusCode::BAD_GATEWAY,
                    "Slack did not answer",
                    "You are not signed in. Try again from the sign-in page in a minute.",
                )
            }
        }
    }
}

/// Makes one Web API call and reads its answer.
async fn call(request: reqwest::RequestBuilder) -> Result<Value, Failure> {
    let response = request.send().await.map_err(|e| Failure::Unavailable(crate::error::chain(&e.without_url())))?;
    if !response.status().is_success() {
        return Err(Failure::Unavailable(format!("HTTP {}", response.status())));
    }
    let answer: Value =
        response.json().await.map_err(|e| Failure::Unavailable(crate::error::chain(&e.without_url())))?;
    if answer["ok"] != true {
        return Err(Failure::Refused(answer["error"].as_str().unwrap_or("unknown_error").to_owned()));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_tokens_claims_are_read() {
        let claims = serde_json::json!({ "nonce": "n1", "sub": "U1" });
        let token = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims.to_string()));
        assert_eq!(id_token_claims(&token), Some(claims));
        assert_eq!(id_token_claims("garbage"), None);
        assert_ne!(nonce_of("a"), nonce_of("b"));
    }
}
