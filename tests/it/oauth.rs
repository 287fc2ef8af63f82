//! OAuth install (docs/design.md, Routes) against the fake Slack's `oauth.v2.access`:
//! the browser's round trip, tokens sealed at rest, each workspace posting
//! with its own token, reinstall, revocation, key rotation.

use std::time::Duration;

use highlights::cli::ServeArgs;
use serde_json::json;

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::fake_slack::{CLIENT_ID, CLIENT_SECRET};
use crate::support::{ephemeral, fixture_json, TestApp, PRODUCT_CHANNEL, TEAM};

const PUBLIC_URL: &str = "https://highlights.example.com";
const REDIRECT_URI: &str = "https://highlights.example.com/slack/oauth_redirect";
/// Two 32-byte keys, base64.
const KEY_A: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const KEY_B: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

const TEAM_A: &str = "T0OAUTHA01";
const TEAM_B: &str = "T0OAUTHB01";
const TOKEN_A: &str = "xoxb-1111-2222-tokenofteama";
const TOKEN_B: &str = "xoxb-3333-4444-tokenofteamb";

pub(crate) fn oauth(args: &mut ServeArgs) {
    args.bot_token = None;
    args.client_id = Some(CLIENT_ID.into());
    args.client_secret = Some(CLIENT_SECRET.into());
    args.token_key = Some(KEY_A.into());
    args.public_url = Some(PUBLIC_URL.into());
}

async fn oauth_app(backend: TestBackend) -> TestApp {
    TestApp::spawn_with(backend, oauth).await
}

/// A browser: follows no redirect, so each step can be looked at.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// `GET /slack/install`: the authorize URL's parameters and the cookie.
async fn start_install(app: &TestApp) -> (url::Url, String) {
    let response = browser().get(app.url("/slack/install")).send().await.expect("install");
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().expect("text").to_owned();
    let cookie = response.headers()["set-cookie"].to_str().expect("text").to_owned();
    let cookie = cookie.split(';').next().expect("name=value").to_owned();
    (url::Url::parse(&location).expect("a URL"), cookie)
}

fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// Slack sends the browser back.
async fn come_back(app: &TestApp, query: &[(&str, &str)], cookie: Option<&str>) -> (u16, String) {
    let mut request = browser().get(app.url("/slack/oauth_redirect")).query(query);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("redirect");
    (response.status().as_u16(), response.text().await.expect("page"))
}

/// Installs the app into `team` with `token`, as a person would.
pub(crate) async fn install(app: &TestApp, team: &str, token: &str) {
    let (to, cookie) = start_install(app).await;
    let code = app.slack.grant(&format!("code-{team}-{token}"), team, token);
    let (status, page) = come_back(app, &[("code", &code), ("state", &param(&to, "state"))], Some(&cookie)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("installed") && page.contains(&format!("Team {team}")), "{page}");
}

/// The bearer token of each `chat.postMessage` into `channel`.
fn tokens_posting_to(app: &TestApp, channel: &str) -> Vec<String> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == channel)
        .map(|c| c.authorization.unwrap_or_default())
        .collect()
}

pub(crate) async fn capture_in(app: &TestApp, team: &str, channel: &str, quote: &str) {
    let set = ephemeral(app.slash_in(team, &format!("config channel <#{channel}|product>")).await).await;
    assert!(set.contains(channel), "{set}");
    let saved = ephemeral(app.slash_in(team, &format!("Acme | chat | {quote}")).await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
}

on_both_backends!(an_install_asks_for_the_manifests_scopes_and_stores_the_token_sealed);
async fn an_install_asks_for_the_manifests_scopes_and_stores_the_token_sealed(backend: TestBackend) {
    let app = oauth_app(backend).await;
    let (to, cookie) = start_install(&app).await;
    assert_eq!(
        format!("{}://{}{}", to.scheme(), to.host_str().expect("host"), to.path()),
        "https://slack.com/oauth/v2/authorize"
    );
    assert_eq!(param(&to, "client_id"), CLIENT_ID);
    assert_eq!(param(&to, "redirect_uri"), REDIRECT_URI);
    assert!(param(&to, "state").len() >= 32, "an unguessable state");
    let manifest: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.yml")).expect("manifest"),
    )
    .expect("YAML");
    let scopes: Vec<&str> = manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(param(&to, "scope"), scopes.join(","));
    assert!(cookie.starts_with("__Host-highlights_install="), "https: a host-only cookie: {cookie}");

    let code = app.slack.grant("code-1", TEAM_A, TOKEN_A);
    let (status, page) = come_back(&app, &[("code", &code), ("state", &param(&to, "state"))], Some(&cookie)).await;
    assert_eq!(status, 200, "{page}");
    let exchange = app.slack.ok_calls_to("oauth.v2.access");
    assert_eq!(exchange.len(), 1);
    assert_eq!(exchange[0].args["redirect_uri"], REDIRECT_URI, "the same redirect_uri as the authorize step");
    assert_eq!(exchange[0].args["code"], "code-1");

    let (stored, scope): (String, String) =
        sqlx::query_as("select bot_token, scope from installations where workspace_id = $1")
            .bind(TEAM_A)
            .fetch_one(app.db.pool())
            .await
            .expect("installed");
    assert!(!stored.contains(TOKEN_A) && !stored.contains("tokenofteama"), "sealed at rest: {stored}");
    assert_eq!(scope, "commands,chat:write");
    // The new workspace starts with its product areas, and its requests are served.
    let areas = ephemeral(app.slash_in(TEAM_A, "areas").await).await;
    assert!(areas.contains("billing"), "{areas}");
}

on_both_backends!(two_workspaces_side_by_side_each_post_with_their_own_token);
async fn two_workspaces_side_by_side_each_post_with_their_own_token(backend: TestBackend) {
    let app = oauth_app(backend).await;
    install(&app, TEAM_A, TOKEN_A).await;
    install(&app, TEAM_B, TOKEN_B).await;
    capture_in(&app, TEAM_A, "C0CHANNELA1", "A's words").await;
    capture_in(&app, TEAM_B, "C0CHANNELB1", "B's words").await;
    app.drain().await;
    let a = tokens_posting_to(&app, "C0CHANNELA1");
    let b = tokens_posting_to(&app, "C0CHANNELB1");
    assert_eq!(a.len(), 2, "thread parent and reply: {a:?}");
    assert_eq!(b.len(), 2, "{b:?}");
    assert!(a.iter().all(|t| t == &format!("Bearer {TOKEN_A}")), "{a:?}");
    assert!(b.iter().all(|t| t == &format!("Bearer {TOKEN_B}")), "{b:?}");
    // Every Web API call carried one of the two installed tokens.
    for call in app.slack.calls() {
        if call.method != "oauth.v2.access" {
            let auth = call.authorization.unwrap_or_default();
            assert!(
                auth == format!("Bearer {TOKEN_A}") || auth == format!("Bearer {TOKEN_B}"),
                "{}: {auth}",
                call.method
            );
        }
    }
    // Nothing crossed: each workspace has its own Acme.
    let customers: Vec<String> = sqlx::query_scalar("select workspace_id from customers order by workspace_id")
        .fetch_all(app.db.pool())
        .await
        .expect("customers");
    assert_eq!(customers, vec![TEAM_A.to_owned(), TEAM_B.to_owned()]);
    // A workspace that never installed is refused.
    let refused = ephemeral(app.slash_in("T0NEVER0001", "help").await).await;
    assert!(refused.contains("not installed in this workspace"), "{refused}");
}

on_both_backends!(a_bad_reused_expired_or_foreign_state_is_refused_and_no_code_is_exchanged);
async fn a_bad_reused_expired_or_foreign_state_is_refused_and_no_code_is_exchanged(backend: TestBackend) {
    let app = oauth_app(backend).await;
    let code = app.slack.grant("code-x", TEAM_A, TOKEN_A);
    // No state, an unknown one, no code.
    assert_eq!(come_back(&app, &[("code", &code)], None).await.0, 400);
    let (_, cookie) = start_install(&app).await;
    assert_eq!(come_back(&app, &[("code", &code), ("state", "made-up")], Some(&cookie)).await.0, 400);
    let (to, cookie) = start_install(&app).await;
    assert_eq!(come_back(&app, &[("state", &param(&to, "state"))], Some(&cookie)).await.0, 400);
    // Started in another browser: the state is spent, and the right browser cannot use it after.
    let (to, cookie) = start_install(&app).await;
    let state = param(&to, "state");
    let (status, page) =
        come_back(&app, &[("code", &code), ("state", &state)], Some("__Host-highlights_install=other")).await;
    assert_eq!(status, 400);
    assert!(page.contains("another browser"), "{page}");
    assert_eq!(come_back(&app, &[("code", &code), ("state", &state)], None).await.0, 400);
    assert_eq!(come_back(&app, &[("code", &code), ("state", &state)], Some(&cookie)).await.0, 400, "single use");
    // Expired: 10 minutes.
    let (to, cookie) = start_install(&app).await;
    app.advance(Duration::from_secs(10 * 60 + 1));
    let (status, page) = come_back(&app, &[("code", &code), ("state", &param(&to, "state"))], Some(&cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("expired"), "{page}");
    assert!(page.contains("<a href=\"/slack/install\">"), "an error page links to a fresh install: {page}");
    assert!(app.slack.calls_to("oauth.v2.access").is_empty(), "no code was exchanged");
    assert_eq!(app.count("installations").await, 0);

    // A good one works once; used again it is refused.
    let (to, cookie) = start_install(&app).await;
    let state = param(&to, "state");
    assert_eq!(come_back(&app, &[("code", &code), ("state", &state)], Some(&cookie)).await.0, 200);
    assert_eq!(come_back(&app, &[("code", &code), ("state", &state)], Some(&cookie)).await.0, 400);
    assert_eq!(app.slack.calls_to("oauth.v2.access").len(), 1);
    // A code Slack refuses (used already) is a 400 page, nothing stored.
    let (to, cookie) = start_install(&app).await;
    let (status, page) = come_back(&app, &[("code", "code-x"), ("state", &param(&to, "state"))], Some(&cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("invalid_code"), "{page}");
}

on_both_backends!(a_denied_install_is_403_and_an_org_wide_one_is_refused);
async fn a_denied_install_is_403_and_an_org_wide_one_is_refused(backend: TestBackend) {
    let app = oauth_app(backend).await;
    let (to, cookie) = start_install(&app).await;
    let (status, page) =
        come_back(&app, &[("error", "access_denied"), ("state", &param(&to, "state"))], Some(&cookie)).await;
    assert_eq!(status, 403);
    assert!(page.contains("not installed"), "{page}");

    let (to, cookie) = start_install(&app).await;
    let code = app.slack.grant_org_wide("code-org", "E0ORG00001", "xoxb-org-wide");
    let (status, page) = come_back(&app, &[("code", &code), ("state", &param(&to, "state"))], Some(&cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("workspace by workspace"), "{page}");
    assert_eq!(app.count("installations").await, 0);
    assert_eq!(app.count("workspaces").await, 0);
}

on_both_backends!(a_reinstall_replaces_the_token);
async fn a_reinstall_replaces_the_token(backend: TestBackend) {
    let app = oauth_app(backend).await;
    install(&app, TEAM_A, TOKEN_A).await;
    capture_in(&app, TEAM_A, "C0CHANNELA1", "first").await;
    app.drain().await;
    let renewed = "xoxb-1111-2222-renewedtoken";
    install(&app, TEAM_A, renewed).await;
    app.slack.revoke(TOKEN_A);
    // The old token stays cached at most a second; the next post waits for it.
    app.advance(Duration::from_secs(2));
    let saved = ephemeral(app.slash_in(TEAM_A, "Acme | chat | second").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    crate::support::eventually("the second reply is posted", || {
        std::future::ready(tokens_posting_to(&app, "C0CHANNELA1").len() >= 3)
    })
    .await;
    app.drain().await;
    let tokens = tokens_posting_to(&app, "C0CHANNELA1");
    assert_eq!(tokens.last(), Some(&format!("Bearer {renewed}")), "{tokens:?}");
    assert_eq!(app.count("installations").await, 1);
}

on_both_backends!(a_revoked_workspace_is_refused_until_it_installs_again);
async fn a_revoked_workspace_is_refused_until_it_installs_again(backend: TestBackend) {
    let app = oauth_app(backend).await;
    install(&app, TEAM_A, TOKEN_A).await;
    capture_in(&app, TEAM_A, "C0CHANNELA1", "before").await;
    app.drain().await;
    let mut revoked = fixture_json(include_str!("../fixtures/requests/event_callback.tokens_revoked.json"));
    revoked["team_id"] = json!(TEAM_A);
    assert_eq!(app.event(&revoked).await.status(), 200);
    assert_eq!(app.count("installations").await, 0, "the token is forgotten");
    let calls = app.slack.calls().len();
    let refused = ephemeral(app.slash_in(TEAM_A, "Acme | chat | after").await).await;
    assert!(refused.contains("not installed in this workspace"), "{refused}");
    assert_eq!(app.slack.calls().len(), calls, "the token is never used again");
    // Installing again brings it back, with its data.
    install(&app, TEAM_A, "xoxb-1111-2222-againtoken1").await;
    let customer = ephemeral(app.slash_in(TEAM_A, "customer Acme").await).await;
    assert!(customer.contains("Acme: 1 highlight"), "{customer}");
}

on_both_backends!(with_a_bot_token_too_its_team_keeps_the_product_channel_setting);
async fn with_a_bot_token_too_its_team_keeps_the_product_channel_setting(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| {
        oauth(args);
        args.bot_token = Some(crate::support::fake_slack::BOT_TOKEN.into());
        args.product_channel = Some(PRODUCT_CHANNEL.into());
    })
    .await;
    install(&app, TEAM_A, TOKEN_A).await;
    let theirs = ephemeral(app.slash_in(TEAM_A, "Acme | chat | theirs").await).await;
    assert!(theirs.contains("No product channel is set yet"), "HIGHLIGHTS_PRODUCT_CHANNEL is not theirs: {theirs}");
    let ours = ephemeral(app.slash_in(TEAM, "Acme | chat | ours").await).await;
    assert!(ours.contains(PRODUCT_CHANNEL), "{ours}");
    app.drain().await;
    let posted = tokens_posting_to(&app, PRODUCT_CHANNEL);
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert!(posted.iter().all(|t| t == &format!("Bearer {}", crate::support::fake_slack::BOT_TOKEN)));
}

on_both_backends!(after_a_key_rotation_tokens_are_sealed_again_and_still_work);
async fn after_a_key_rotation_tokens_are_sealed_again_and_still_work(backend: TestBackend) {
    let app = oauth_app(backend).await;
    install(&app, TEAM_A, TOKEN_A).await;
    let sealed_by = |app: &TestApp| {
        let pool = app.db.pool().clone();
        async move {
            let sealed: String =
                sqlx::query_scalar("select bot_token from installations").fetch_one(&pool).await.expect("row");
            sealed.split('.').nth(1).expect("key id").to_owned()
        }
    };
    let under_a = sealed_by(&app).await;
    let app = app
        .restart_with(|args| {
            oauth(args);
            args.token_key = Some(KEY_B.into());
            args.token_key_previous = Some(KEY_A.into());
        })
        .await;
    // Sealed again under the new key as the app starts.
    crate::support::eventually("the token to be sealed under the new key", || {
        let (sealed, under_a) = (sealed_by(&app), under_a.clone());
        async move { sealed.await != under_a }
    })
    .await;
    let app = app
        .restart_with(|args| {
            oauth(args);
            args.token_key = Some(KEY_B.into());
        })
        .await;
    capture_in(&app, TEAM_A, "C0CHANNELA1", "after the rotation").await;
    app.drain().await;
    assert_eq!(tokens_posting_to(&app, "C0CHANNELA1"), vec![format!("Bearer {TOKEN_A}"); 2]);
}

on_both_backends!(the_oauth_routes_are_not_there_when_oauth_is_off);
async fn the_oauth_routes_are_not_there_when_oauth_is_off(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for path in ["/slack/install", "/slack/oauth_redirect?code=x&state=y"] {
        let response = browser().get(app.url(path)).send().await.expect("answer");
        assert_eq!(response.status(), 404, "{path}");
    }
    // A person who opens the install page is told how to turn it on.
    let page = browser().get(app.url("/slack/install")).send().await.expect("answer").text().await.expect("page");
    assert!(page.contains("Installing by OAuth is off") && page.contains("SLACK_CLIENT_ID"), "{page}");
}

on_both_backends!(the_install_cookie_is_secure_and_host_only_on_https_and_plain_on_http);
async fn the_install_cookie_is_secure_and_host_only_on_https_and_plain_on_http(backend: TestBackend) {
    let https = oauth_app(backend).await;
    let response = browser().get(https.url("/slack/install")).send().await.expect("install");
    let set = response.headers()["set-cookie"].to_str().expect("text").to_owned();
    assert!(
        set.starts_with("__Host-highlights_install=") && set.contains("; Secure") && set.contains("Path=/;"),
        "{set}"
    );
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    // On a laptop over plain HTTP, a Secure cookie would never come back.
    let http = TestApp::spawn_with(backend, |args| {
        oauth(args);
        args.public_url = Some("http://127.0.0.1:3000".into());
    })
    .await;
    let response = browser().get(http.url("/slack/install")).send().await.expect("install");
    let set = response.headers()["set-cookie"].to_str().expect("text").to_owned();
    assert!(set.starts_with("highlights_install=") && !set.contains("Secure"), "{set}");
    // And the whole round trip works with it.
    let location = response.headers()["location"].to_str().expect("text").to_owned();
    let state = param(&url::Url::parse(&location).expect("URL"), "state");
    let code = http.slack.grant("code-http", TEAM_A, TOKEN_A);
    let cookie = set.split(';').next().expect("name=value").to_owned();
    let (status, page) = come_back(&http, &[("code", &code), ("state", &state)], Some(&cookie)).await;
    assert_eq!(status, 200, "{page}");
}

on_both_backends!(doctor_checks_each_installed_workspaces_token);
async fn doctor_checks_each_installed_workspaces_token(backend: TestBackend) {
    let app = oauth_app(backend).await;
    install(&app, TEAM_A, TOKEN_A).await;
    let doctor = |key: &'static str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_highlights"));
        cmd.arg("doctor")
            .env_clear()
            .env("DATABASE_URL", &app.test_db.url)
            .env("SLACK_SIGNING_SECRET", crate::support::signer::SIGNING_SECRET)
            .env("SLACK_CLIENT_ID", CLIENT_ID)
            .env("SLACK_CLIENT_SECRET", CLIENT_SECRET)
            .env("HIGHLIGHTS_TOKEN_KEY", key)
            .env("HIGHLIGHTS_PUBLIC_URL", PUBLIC_URL)
            .env("SLACK_API_URL", app.slack.api_url());
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs")).await.expect("joined");
            (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
        }
    };
    let (ok, text) = doctor(KEY_A).await;
    assert!(ok, "{text}");
    assert!(text.contains(&format!("ok   Slack (workspace {TEAM_A}): the bot token works")), "{text}");
    assert!(text.contains(&format!("warn product channel (workspace {TEAM_A}): none set")), "{text}");
    assert!(!text.contains(TOKEN_A), "{text}");
    let (ok, text) = doctor(KEY_B).await;
    assert!(!ok);
    assert!(text.contains(&format!("FAIL workspace {TEAM_A}: a stored bot token cannot be opened")), "{text}");
}
