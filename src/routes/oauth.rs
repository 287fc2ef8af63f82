//! Installing the app into any workspace by OAuth (docs/design.md, Routes):
//! `GET /slack/install` sends the browser to Slack's authorize page with a
//! fresh `state` bound to that browser by a cookie; `GET
//! /slack/oauth_redirect` takes the state once, exchanges the code with
//! `oauth.v2.access` and stores the workspace's bot token sealed
//! ([`crate::config::sealed`]). Both answer 404 when OAuth is off.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::app::{AppState, Clock, Slack};
use crate::config::Config;
use crate::config::{OAuth, Secret};
use crate::store::installations::{self, NewInstallation, STATE_TTL_MS};
use crate::store::workspaces::{Installed, WorkspaceId};
use crate::store::Db;
use crate::web::session::{cookie, digest, random_token};

/// Where Slack asks a person to approve the install.
pub const AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";

/// The cookie that binds a started install to its browser.
const COOKIE: &str = "highlights_install";

/// The bot scopes the install asks for: the manifest's, read from it at build
/// time so that the two never differ.
pub fn bot_scopes() -> Vec<&'static str> {
    manifest_bot_scopes(include_str!("../../manifest.yml"))
}

/// The items of `oauth_config.scopes.bot` in a manifest written as ours is
/// (block lists, two-space indents, comments on their own lines).
fn manifest_bot_scopes(manifest: &'static str) -> Vec<&'static str> {
    let mut path: Vec<(usize, &str)> = Vec::new();
    let mut scopes = Vec::new();
    for line in manifest.lines() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if let Some(item) = content.strip_prefix("- ") {
            let keys: Vec<&str> = path.iter().map(|(_, key)| *key).collect();
            if keys == ["oauth_config", "scopes", "bot"] {
                scopes.push(item.trim());
            }
            continue;
        }
        if let Some((key, _)) = content.split_once(':') {
            path.retain(|(depth, _)| *depth < indent);
            path.push((indent, key.trim()));
        }
    }
    scopes
}

/// `GET /slack/install`: a fresh state, stored for every replica, and the
/// browser sent on to Slack.
pub async fn install(State(state): State<AppState>) -> Response {
    let Some(oauth) = &state.config.oauth else {
        return off_page();
    };
    let (install_state, browser) = (random_token(), random_token());
    let now = state.clock.now_ms();
    if let Err(e) = state
        .db
        .write(async |tx| installations::insert_oauth_state(tx, &install_state, &digest(&browser), now).await)
        .await
    {
        tracing::error!(error = %crate::error::chain(&e), "cannot start an install");
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again in a minute",
            "The install could not be started on our side. Nothing was changed.",
        );
    }
    let scopes = bot_scopes().join(",");
    let params = [
        ("client_id", oauth.client_id.as_str()),
        ("scope", scopes.as_str()),
        ("state", install_state.as_str()),
        ("redirect_uri", oauth.redirect_uri.as_str()),
    ];
    let Ok(to) = url::Url::parse_with_params(AUTHORIZE_URL, params) else {
        return page(StatusCode::INTERNAL_SERVER_ERROR, "Cannot install", "The authorize address could not be built.");
    };
    let cookie = InstallCookie::of(oauth).set(&browser);
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Install Highlights</title><p><a href=\"{}\">Continue to Slack</a></p>",
        escape_html(to.as_str())
    );
    (StatusCode::FOUND, [(header::LOCATION, to.to_string()), (header::SET_COOKIE, cookie)], Html(body)).into_response()
}

/// What Slack sends the browser back with.
#[derive(Debug, Deserialize)]
pub struct Redirect {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /slack/oauth_redirect`: the install finished in Slack (or was
/// cancelled there).
pub async fn oauth_redirect(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(redirect): Query<Redirect>,
) -> Response {
    if state.config.oauth.is_none() {
        return super::ops::not_found().await.into_response();
    }
    let work = state.clone();
    let install_cookie = state.config.oauth.as_ref().map(InstallCookie::of).unwrap_or(InstallCookie::PLAIN);
    let browser = cookie(&headers, install_cookie.name).map(str::to_owned);
    // Runs to its end even if the browser goes away: a code is good once.
    let mut answer = match state.tasks.run_to_completion(async move { finish(&work, browser, redirect).await }).await {
        Ok(answer) => answer,
        Err(_) => page(StatusCode::INTERNAL_SERVER_ERROR, "Cannot install", "Something went wrong on our side."),
    };
    // The install cookie has done its work, whatever the outcome.
    if let Ok(expired) = install_cookie.expired().parse() {
        answer.headers_mut().append(header::SET_COOKIE, expired);
    }
    answer
}

/// Finishes an install; every outcome is a short page.
async fn finish(state: &AppState, browser: Option<String>, redirect: Redirect) -> Response {
    let Some(oauth) = &state.config.oauth else {
        return super::ops::not_found().await.into_response();
    };
    // A state is good once, whatever the outcome.
    let started = match redirect.state.as_deref().filter(|s| !s.is_empty()) {
        Some(install_state) => {
            match state.db.write(async |tx| installations::delete_oauth_state(tx, install_state).await).await {
                Ok(started) => started,
                Err(e) => {
                    tracing::error!(error = %crate::error::chain(&e), "cannot check an install's state");
                    return page(StatusCode::SERVICE_UNAVAILABLE, "Try again in a minute", "Nothing was changed.");
                }
            }
        }
        None => None,
    };
    if let Some(error) = redirect.error.as_deref() {
        tracing::info!(error, "install cancelled in Slack");
        return if error == "access_denied" {
            page(
                StatusCode::FORBIDDEN,
                "Install cancelled",
                "Highlights was not installed. You can start again from the install link.",
            )
        } else {
            page(StatusCode::BAD_REQUEST, "Install failed", &format!("Slack said: {}", escape_html(error)))
        };
    }
    let Some(code) = redirect.code.as_deref().filter(|c| !c.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Install failed",
            "Slack's answer had no code. Start again from the install link.",
        );
    };
    let Some((bound_to, started_at)) = started else {
        return page(
            StatusCode::BAD_REQUEST,
            "This install link is not valid",
            "It is missing, unknown or already used. Start again from the install link.",
        );
    };
    if state.clock.now_ms() - started_at > STATE_TTL_MS {
        return page(
            StatusCode::BAD_REQUEST,
            "This install link expired",
            "An install must finish within 10 minutes. Start again from the install link.",
        );
    }
    if browser.as_deref().map(digest).as_deref() != Some(bound_to.as_str()) {
        return page(
            StatusCode::BAD_REQUEST,
            "This install was started in another browser",
            "Finish it in the browser that started it, or start again here from the install link.",
        );
    }
    let granted = match access(&state.config, &state.slack, oauth, code).await {
        Ok(granted) => granted,
        Err(Exchange::Refused(error)) => {
            tracing::warn!(error, "Slack refused the install's code");
            return page(
                StatusCode::BAD_REQUEST,
                "Install failed",
                &format!("Slack refused the install ({}). Start again from the install link.", escape_html(&error)),
            );
        }
        Err(Exchange::Unavailable(why)) => {
            tracing::warn!(error = %why, "cannot exchange the install's code with Slack");
            return page(
                StatusCode::BAD_GATEWAY,
                "Slack did not answer",
                "Nothing was installed. Start again from the install link in a minute.",
            );
        }
    };
    let team = match &granted.team {
        Some(team)
            if !granted.is_enterprise_install
                && crate::ids::TeamId::parse(&team.id).is_ok()
                && team.id.starts_with('T') =>
        {
            team
        }
        _ => {
            tracing::warn!(enterprise = ?granted.enterprise.as_ref().map(|e| &e.id), "organisation-wide install refused");
            return page(
            StatusCode::BAD_REQUEST,
            "Install Highlights into one workspace",
            "Highlights keeps each workspace's customers apart, so it is installed workspace by workspace, not across an organisation. Ask your org admin to add it to each workspace instead.",
            );
        }
    };
    if granted.token_type.as_deref().is_some_and(|t| t != "bot") || !granted.access_token.starts_with("xoxb-") {
        tracing::warn!("oauth.v2.access granted no bot token");
        return page(
            StatusCode::BAD_GATEWAY,
            "Install failed",
            "Slack granted no bot token. Start again from the install link.",
        );
    }
    let workspace = WorkspaceId(team.id.clone());
    let token = Secret::new(granted.access_token.clone());
    let install = NewInstallation {
        sealed_token: oauth.keys.seal(workspace.as_str(), &token),
        bot_user_id: granted.bot_user_id.clone(),
        scope: granted.scope.clone().unwrap_or_default(),
        installed_by: granted.authed_user.as_ref().map(|u| u.id.clone()),
        enterprise_id: granted.enterprise.as_ref().map(|e| e.id.clone()),
    };
    let now = state.clock.now_ms();
    match state
        .db
        .write(async |tx| {
            installations::upsert_installation(tx, &workspace, &install, &state.config.default_areas, now).await
        })
        .await
    {
        Ok(installed) => {
            state.installs.note_installed_with(&workspace, token);
            let team = workspace.as_str();
            match installed {
                Installed::New => tracing::info!(team, "installed by OAuth into a new workspace"),
                Installed::Already => tracing::info!(team, "installed by OAuth again: token replaced"),
                Installed::Again => {
                    tracing::info!(team, "installed by OAuth again after an uninstall; parked posts released");
                    state.outbox.wake();
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "cannot store an install");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again in a minute",
                "The install could not be stored. Start again from the install link.",
            );
        }
    }
    let open = url::Url::parse_with_params(
        "https://slack.com/app_redirect",
        [("app", granted.app_id.as_deref().unwrap_or_default()), ("team", workspace.as_str())],
    )
    .map(String::from)
    .unwrap_or_default();
    let name = team.name.as_deref().unwrap_or(workspace.as_str());
    page(
        StatusCode::OK,
        "Highlights is installed",
        &format!(
            "Highlights is installed in <b>{}</b>. In Slack, type <code>/highlight help</code>, or set the product channel with <code>/highlight config channel #name</code>. <a href=\"{}\">Open Slack</a>",
            escape_html(name),
            escape_html(&open)
        ),
    )
}

/// `oauth.v2.access`'s answer (the fields we use).
#[derive(Debug, Deserialize)]
struct Granted {
    access_token: String,
    token_type: Option<String>,
    scope: Option<String>,
    bot_user_id: Option<String>,
    app_id: Option<String>,
    /// None for an organisation-wide install.
    team: Option<Team>,
    enterprise: Option<Team>,
    #[serde(default)]
    is_enterprise_install: bool,
    authed_user: Option<User>,
}

#[derive(Debug, Deserialize)]
struct Team {
    id: String,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
}

enum Exchange {
    /// Slack answered `ok: false` (a bad, used or expired code).
    Refused(String),
    /// No usable answer.
    Unavailable(String),
}

/// Exchanges the code with `oauth.v2.access`: the client's credentials in a
/// form body (and as HTTP Basic auth, which Slack prefers), with the same
/// `redirect_uri` as the authorize step.
async fn access(config: &Config, slack: &Slack, oauth: &OAuth, code: &str) -> Result<Granted, Exchange> {
    let url = format!("{}/oauth.v2.access", config.slack_api_url);
    let form = [
        ("client_id", oauth.client_id.as_str()),
        ("client_secret", oauth.client_secret.expose()),
        ("code", code),
        ("redirect_uri", oauth.redirect_uri.as_str()),
    ];
    let response = slack
        .http()
        .post(url)
        .basic_auth(&oauth.client_id, Some(oauth.client_secret.expose()))
        .form(&form)
        .send()
        .await
        .map_err(|e| Exchange::Unavailable(crate::error::chain(&e.without_url())))?;
    if !response.status().is_success() {
        return Err(Exchange::Unavailable(format!("HTTP {}", response.status())));
    }
    let answer: serde_json::Value =
        response.json().await.map_err(|e| Exchange::Unavailable(crate::error::chain(&e.without_url())))?;
    if answer["ok"] != true {
        return Err(Exchange::Refused(answer["error"].as_str().unwrap_or("unknown_error").to_owned()));
    }
    serde_json::from_value(answer).map_err(|e| Exchange::Unavailable(format!("unreadable answer: {e}")))
}

/// Seals again, under the current key, every token sealed under the previous
/// one (after a key rotation); said in the log. A token no key opens is left
/// as it is and named in the log.
pub async fn reseal_tokens(db: &Db, clock: &Clock, config: &Config) {
    let Some(oauth) = &config.oauth else { return };
    let rows = match installations::list_sealed_tokens(db).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "cannot read stored bot tokens to seal them again");
            return;
        }
    };
    let mut resealed = 0;
    for (workspace, sealed) in rows.iter().filter(|(_, sealed)| oauth.keys.is_stale(sealed)) {
        match oauth.keys.open(workspace, sealed) {
            Ok(token) => {
                let again = oauth.keys.seal(workspace, &token);
                match db
                    .write(async |tx| {
                        installations::update_sealed_token(tx, workspace, sealed, &again, clock.now_ms()).await
                    })
                    .await
                {
                    Ok(true) => resealed += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(workspace, error = %crate::error::chain(&e), "cannot seal a bot token again")
                    }
                }
            }
            Err(e) => tracing::error!(workspace, error = %e, "a stored bot token cannot be opened"),
        }
    }
    if resealed > 0 {
        tracing::info!(tokens = resealed, key = oauth.keys.current.id(), "bot tokens sealed again under the current HIGHLIGHTS_TOKEN_KEY; HIGHLIGHTS_TOKEN_KEY_PREVIOUS can be removed once every replica runs with this key");
    }
}

/// The browser's side of an install's state. On an https public URL it is
/// `Secure` and named `__Host-` (so no other site or path can set it); over
/// plain HTTP (a laptop) it cannot be either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InstallCookie {
    name: &'static str,
    attributes: &'static str,
}

impl InstallCookie {
    const PLAIN: Self = Self { name: COOKIE, attributes: "Path=/slack; HttpOnly; SameSite=Lax" };
    const SECURE: Self =
        Self { name: "__Host-highlights_install", attributes: "Path=/; Secure; HttpOnly; SameSite=Lax" };

    fn of(oauth: &OAuth) -> Self {
        if oauth.redirect_uri.starts_with("https://") {
            Self::SECURE
        } else {
            Self::PLAIN
        }
    }

    fn set(self, value: &str) -> String {
        format!("{}={value}; {}; Max-Age={}", self.name, self.attributes, STATE_TTL_MS / 1000)
    }

    fn expired(self) -> String {
        format!("{}=; {}; Max-Age=0", self.name, self.attributes)
    }
}

/// `/slack/install` with OAuth off: 404, with how to turn it on (and no
/// link to an install that cannot start).
fn off_page() -> Response {
    let body = "This Highlights runs for one workspace, with <code>SLACK_BOT_TOKEN</code>. To let workspaces \
                install it from this page, set <code>SLACK_CLIENT_ID</code>, <code>SLACK_CLIENT_SECRET</code>, \
                <code>HIGHLIGHTS_TOKEN_KEY</code> and <code>HIGHLIGHTS_PUBLIC_URL</code> (README, \"Many \
                workspaces\") and restart it.";
    let html = render("Installing by OAuth is off", body, "");
    (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// A short page; an error page links to a fresh install.
fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let again = if status.is_success() { "" } else { "<p><a href=\"/slack/install\">Start a new install</a></p>" };
    (status, [(header::CACHE_CONTROL, "no-store")], Html(render(title, body_html, again))).into_response()
}

fn render(title: &str, body_html: &str, footer_html: &str) -> String {
    format!(
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{title}</title>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em\"><main><h1>{title}</h1><p>{body_html}</p>{footer_html}</main></body></html>",
        title = escape_html(title)
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_asks_for_the_manifests_bot_scopes() {
        let scopes = bot_scopes();
        assert!(scopes.contains(&"commands") && scopes.contains(&"chat:write"), "{scopes:?}");
        assert!(scopes.iter().all(|s| !s.contains(' ') && !s.starts_with('#')), "{scopes:?}");
        let other = "oauth_config:\n  scopes:\n    user:\n      - search:read\n    bot:\n      # why\n      - a:b\n      - c\nsettings:\n  x: 1\n";
        assert_eq!(manifest_bot_scopes(other), vec!["a:b", "c"]);
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; highlights_install=abc; b=2".parse().expect("header"));
        assert_eq!(cookie(&headers, COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn page_text_is_escaped() {
        assert_eq!(escape_html("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }
}
