//! The test kit: [`TestApp`] runs the real app on a random loopback port against
//! a fresh database and [`FakeSlack`], and sends it requests signed as Slack signs them.

pub mod db;
pub mod fake_slack;
pub mod signer;

use std::net::SocketAddr;

use highlights::app::{self, AppState, Clock};
use highlights::config::{Config, ServeArgs};
use highlights::store::Db;
use serde_json::Value;
use tokio::sync::oneshot;

use db::{TestBackend, TestDb};
use fake_slack::FakeSlack;

/// The workspace, user and channel the fixtures use.
pub const TEAM: &str = "T0TEAM0001";
pub const USER: &str = "U0USER0001";
pub const CHANNEL: &str = "C0CHAN0001";

/// A running app, its database and its fake Slack.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub slack: FakeSlack,
    pub http: reqwest::Client,
    pub test_db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The settings a test app starts with.
pub fn serve_args(slack: &FakeSlack) -> ServeArgs {
    ServeArgs {
        signing_secret: Some(signer::SIGNING_SECRET.into()),
        bot_token: Some(fake_slack::BOT_TOKEN.into()),
        app_token: None,
        slack_api_url: slack.api_url(),
        listen: "127.0.0.1:0".into(),
        product_channel: None,
        default_areas: None,
        managers: None,
    }
}

impl TestApp {
    /// The app on a fresh SQLite file.
    pub async fn spawn() -> Self {
        Self::spawn_on(TestBackend::Sqlite).await
    }

    /// The app on a fresh database of `backend` (which must be available).
    pub async fn spawn_on(backend: TestBackend) -> Self {
        let test_db = TestDb::create(backend).await.expect("backend available");
        let slack = FakeSlack::start().await;
        let config =
            Config::from_args(&test_db.url, &serve_args(&slack)).expect("test config is valid");
        let db = Db::connect_and_migrate(&test_db.url)
            .await
            .expect("database ready");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let state = AppState::new(config, db.clone(), Clock::system());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            db,
            slack,
            http: reqwest::Client::new(),
            test_db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// `http://addr{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs `body` to `path`, signed now with the app's secret.
    pub async fn post_signed(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> reqwest::Response {
        let body = body.into();
        let ts = signer::now();
        self.post_with(
            path,
            content_type,
            body.clone(),
            Some((ts, signer::signature(signer::SIGNING_SECRET, ts, &body))),
        )
        .await
    }

    /// POSTs `body` with the given timestamp and signature (or none).
    pub async fn post_with(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        signed: Option<(i64, String)>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some((ts, sig)) = signed {
            req = req
                .header("x-slack-request-timestamp", ts.to_string())
                .header("x-slack-signature", sig);
        }
        req.send().await.expect("request reaches the app")
    }

    /// The form body Slack sends for `/highlight <text>`, as in the fixture.
    pub fn slash_body(&self, text: &str) -> String {
        serde_urlencoded::to_string([
            ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
            ("team_id", TEAM),
            ("team_domain", "acme"),
            ("channel_id", CHANNEL),
            ("channel_name", "customer-highlights"),
            ("user_id", USER),
            ("user_name", "alice"),
            ("command", "/highlight"),
            ("text", text),
            ("api_app_id", "A0APP00001"),
            ("is_enterprise_install", "false"),
            ("response_url", &self.slack.response_url("cmd")),
            (
                "trigger_id",
                "1234567890.1234567890.0123456789abcdef0123456789abcdef",
            ),
        ])
        .expect("form encodes")
    }

    /// Types `/highlight <text>` and returns the response.
    pub async fn slash(&self, text: &str) -> reqwest::Response {
        let body = self.slash_body(text);
        self.post_signed("/slack/commands", "application/x-www-form-urlencoded", body)
            .await
    }

    /// Delivers an Events API envelope.
    pub async fn event(&self, envelope: &Value) -> reqwest::Response {
        self.post_signed("/slack/events", "application/json", envelope.to_string())
            .await
    }

    /// Delivers an interactivity payload (form field `payload`).
    pub async fn interaction(&self, payload: &Value) -> reqwest::Response {
        let body =
            serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form encodes");
        self.post_signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            body,
        )
        .await
    }

    /// Stops the app gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A fixture request body, parsed.
pub fn fixture_json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}
