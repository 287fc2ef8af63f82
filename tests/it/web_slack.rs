//! Sign in with Slack (OpenID Connect) to the evidence library, against the
//! fake Slack's `openid.connect.token` and `openid.connect.userInfo`: the
//! browser's round trip back to the page first asked for, and each refusal
//! (bad or reused state, no code, another browser, a cancelled sign-in, a
//! workspace where the app is not installed, Slack down), on both backends.

use highlights::cli::ServeArgs;

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::fake_slack::{Fault, CLIENT_ID, CLIENT_SECRET};
use crate::support::{TestApp, PRODUCT_CHANNEL, PUBLIC_URL, TEAM, USER};

/// OAuth's client and key beside the bot token (whose team stays installed),
/// and the library on.
fn sign_in_with_slack(args: &mut ServeArgs) {
    args.product_channel = Some(PRODUCT_CHANNEL.into());
    args.client_id = Some(CLIENT_ID.into());
    args.client_secret = Some(CLIENT_SECRET.into());
    args.token_key = Some("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".into());
    args.public_url = Some(PUBLIC_URL.into());
}

fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// `GET /login/slack?next=…` in `browser`: Slack's authorize URL.
async fn start(app: &TestApp, browser: &reqwest::Client, next: &str) -> url::Url {
    let resp = browser.get(app.url("/login/slack")).query(&[("next", next)]).send().await.expect("answer");
    assert_eq!(resp.status(), 302);
    url::Url::parse(resp.headers()["location"].to_str().expect("text")).expect("a URL")
}

/// Slack sends the browser back to the callback.
async fn come_back(app: &TestApp, browser: &reqwest::Client, query: &[(&str, &str)]) -> reqwest::Response {
    browser.get(app.url("/login/slack/callback")).query(query).send().await.expect("answer")
}

on_both_backends!(signing_in_with_slack_starts_a_session_and_returns_to_the_page_asked_for);
async fn signing_in_with_slack_starts_a_session_and_returns_to_the_page_asked_for(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, sign_in_with_slack).await;
    let browser = app.browser();
    let first = browser.get(app.url("/customers?sort=arr")).send().await.expect("answer");
    assert_eq!(first.headers()["location"], "/login?next=%2Fcustomers%3Fsort%3Darr");
    let login = browser.get(app.url("/login?next=%2Fcustomers%3Fsort%3Darr")).send().await.expect("answer");
    let login = login.text().await.expect("page");
    assert!(login.contains("Sign in with Slack"), "{login}");
    assert!(login.contains("href=\"/login/slack?next=%2Fcustomers%3Fsort%3Darr\""), "{login}");

    let authorize = start(&app, &browser, "/customers?sort=arr").await;
    assert_eq!(
        (authorize.scheme(), authorize.host_str(), authorize.path()),
        ("https", Some("slack.com"), "/openid/connect/authorize")
    );
    assert_eq!(param(&authorize, "response_type"), "code");
    assert_eq!(param(&authorize, "scope"), "openid profile email");
    assert_eq!(param(&authorize, "client_id"), CLIENT_ID);
    let redirect_uri = format!("{PUBLIC_URL}/login/slack/callback");
    assert_eq!(param(&authorize, "redirect_uri"), redirect_uri);
    let (state, nonce) = (param(&authorize, "state"), param(&authorize, "nonce"));
    assert!(state.len() >= 32 && nonce.len() >= 32, "fresh, unguessable: {authorize}");

    let code = app.slack.approve_sign_in("code-1", &nonce, TEAM, USER);
    let back = come_back(&app, &browser, &[("code", &code), ("state", &state)]).await;
    assert_eq!(back.status(), 303);
    assert_eq!(back.headers()["location"], "/customers?sort=arr");
    assert_eq!(browser.get(app.url("/customers?sort=arr")).send().await.expect("page").status(), 200);
    let session: (String, String) = sqlx::query_as("select workspace_id, user_id from web_sessions")
        .fetch_one(app.db.pool())
        .await
        .expect("one session");
    assert_eq!(session, (TEAM.to_owned(), USER.to_owned()));

    let token = app.slack.ok_calls_to("openid.connect.token");
    assert_eq!(token.len(), 1);
    assert_eq!(token[0].args["code"], "code-1");
    assert_eq!(token[0].args["redirect_uri"], redirect_uri.as_str(), "the same redirect_uri");
    let info = app.slack.ok_calls_to("openid.connect.userInfo");
    assert!(info[0].authorization.as_deref().is_some_and(|a| a.starts_with("Bearer xoxp-")), "{info:?}");

    // The state was good once.
    let again = come_back(&app, &app.browser(), &[("code", "code-1"), ("state", &state)]).await;
    assert_eq!(again.status(), 400);
    assert_eq!(app.count("web_sessions").await, 1);
}

on_both_backends!(a_sign_in_with_slack_is_refused_when_it_should_be);
async fn a_sign_in_with_slack_is_refused_when_it_should_be(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, sign_in_with_slack).await;
    let status = |resp: reqwest::Response| resp.status().as_u16();

    // No code, or an unknown state: 400.
    let browser = app.browser();
    let authorize = start(&app, &browser, "/").await;
    assert_eq!(status(come_back(&app, &browser, &[("state", &param(&authorize, "state"))]).await), 400);
    let code = app.slack.approve_sign_in("code-2", &param(&authorize, "nonce"), TEAM, USER);
    assert_eq!(status(come_back(&app, &browser, &[("code", &code), ("state", "made-up")]).await), 400);

    // Cancelled in Slack: 403.
    let authorize = start(&app, &browser, "/").await;
    let denied = come_back(&app, &browser, &[("error", "access_denied"), ("state", &param(&authorize, "state"))]).await;
    assert_eq!(status(denied), 403);

    // Finished in another browser than the one that started it: 400.
    let authorize = start(&app, &browser, "/").await;
    let code = app.slack.approve_sign_in("code-3", &param(&authorize, "nonce"), TEAM, USER);
    let elsewhere = come_back(&app, &app.browser(), &[("code", &code), ("state", &param(&authorize, "state"))]).await;
    assert_eq!(status(elsewhere), 400);

    // An id token for another sign-in (its nonce): 400.
    let authorize = start(&app, &browser, "/").await;
    let code = app.slack.approve_sign_in("code-4", "another-nonce", TEAM, USER);
    assert_eq!(
        status(come_back(&app, &browser, &[("code", &code), ("state", &param(&authorize, "state"))]).await),
        400
    );

    // Too late: 400.
    let authorize = start(&app, &browser, "/").await;
    let code = app.slack.approve_sign_in("code-5", &param(&authorize, "nonce"), TEAM, USER);
    app.advance(std::time::Duration::from_secs(11 * 60));
    assert_eq!(
        status(come_back(&app, &browser, &[("code", &code), ("state", &param(&authorize, "state"))]).await),
        400
    );

    // A person of a workspace where the app is not installed: 403, saying so.
    let authorize = start(&app, &browser, "/").await;
    let code = app.slack.approve_sign_in("code-6", &param(&authorize, "nonce"), "T0NOTHERE1", "U0NOTHERE1");
    let elsewhere = come_back(&app, &browser, &[("code", &code), ("state", &param(&authorize, "state"))]).await;
    assert_eq!(elsewhere.status(), 403);
    assert!(elsewhere.text().await.expect("page").contains("not installed"));

    // Slack down: 502.
    for method in ["openid.connect.token", "openid.connect.userInfo"] {
        let authorize = start(&app, &browser, "/").await;
        let code = app.slack.approve_sign_in(&format!("code-{method}"), &param(&authorize, "nonce"), TEAM, USER);
        app.slack.fail_next(method, Fault::Status(503), 1);
        let down = come_back(&app, &browser, &[("code", &code), ("state", &param(&authorize, "state"))]).await;
        assert_eq!(status(down), 502, "{method}");
    }
    assert_eq!(app.count("web_sessions").await, 0, "no refusal signed anyone in");

    // Without OAuth's client, no Slack button and no Slack route.
    let plain = TestApp::spawn_web(TestBackend::Sqlite).await;
    assert_eq!(status(plain.browser().get(plain.url("/login/slack")).send().await.expect("answer")), 404);
}
