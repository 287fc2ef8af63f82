//! The test kit: [`TestApp`] runs the real app on a random loopback port against
//! a fresh database and [`FakeSlack`], and sends it requests signed as Slack signs them.

pub mod clicks;
pub mod db;
/// The fake Slack the benches run against too (its `//!` says why it lives in `tests/support`).
#[path = "../../support/fake_slack/mod.rs"]
pub mod fake_slack;
pub mod signer;

pub use fake_slack::{block_kit, eventually};

use std::net::SocketAddr;

use highlights::app::Clock;
use highlights::application::Application;
use std::time::Duration;

use highlights::cli::ServeArgs;
use highlights::config::{Config, Timing};
use highlights::store::Db;
use serde_json::Value;
use tokio::sync::oneshot;

use db::{TestBackend, TestDb};
use fake_slack::FakeSlack;

/// The workspace, user and channel the fixtures use.
pub use fake_slack::TEAM;
pub const USER: &str = "U0USER0001";
pub const CHANNEL: &str = "C0CHAN0001";

/// A running app, its database and its fake Slack. The app runs on a runtime
/// of its own, so [`TestApp::crash`] can end it as abruptly as a killed process.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The app's own database pool.
    pub db: Db,
    pub slack: FakeSlack,
    pub http: reqwest::Client,
    pub test_db: TestDb,
    pub config: Config,
    /// How far the app's clock is ahead of the system's, in ms ([`TestApp::advance`]).
    clock_ahead: std::sync::Arc<std::sync::atomic::AtomicI64>,
    stop: Option<std::sync::mpsc::Sender<Stop>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

enum Stop {
    Graceful,
    Crash,
}

/// The settings a test app starts with.
pub fn serve_args(slack: &FakeSlack) -> ServeArgs {
    ServeArgs {
        signing_secret: Some(signer::SIGNING_SECRET.into()),
        bot_token: Some(fake_slack::BOT_TOKEN.into()),
        slack_api_url: slack.api_url(),
        listen: "127.0.0.1:0".into(),
        ..ServeArgs::default()
    }
}

/// The public URL of an app with the evidence library on ([`TestApp::spawn_web`]).
pub const PUBLIC_URL: &str = "http://highlights.test";

/// The product channel tests configure.
pub const PRODUCT_CHANNEL: &str = "C0PRODUCT1";

/// Short timings, so retries happen within a test.
pub fn test_timing() -> Timing {
    Timing {
        slack_timeout: Duration::from_millis(1500),
        outbox_lease: Duration::from_secs(2),
        retry_base: Duration::from_millis(100),
        retry_cap: Duration::from_millis(800),
        park: Duration::from_secs(30),
        poll: Duration::from_millis(50),
        schedule_every: Duration::from_millis(200),
        remap_every: Duration::from_millis(300),
        http: highlights::config::HttpLimits::default(),
        // Slack's budgets, as in production.
        slack_pacing: 1,
        // Similar quotes see every capture at once.
        recent_quotes_for: Duration::ZERO,
    }
}

impl TestApp {
    /// The app on a fresh SQLite file, with a product channel.
    pub async fn spawn() -> Self {
        Self::spawn_on(TestBackend::Sqlite).await
    }

    /// The app on a fresh database of `backend`, with a product channel.
    pub async fn spawn_on(backend: TestBackend) -> Self {
        Self::spawn_with(backend, |args| args.product_channel = Some(PRODUCT_CHANNEL.into())).await
    }

    /// The app on a fresh database of `backend`, with settings changed by `configure`.
    pub async fn spawn_with(backend: TestBackend, configure: impl FnOnce(&mut ServeArgs)) -> Self {
        Self::spawn_against(backend, FakeSlack::start().await, configure).await
    }

    /// The app with the evidence library on at `public_url`, with a product channel.
    pub async fn spawn_web_at(backend: TestBackend, public_url: &str) -> Self {
        Self::spawn_with(backend, |args| {
            args.product_channel = Some(PRODUCT_CHANNEL.into());
            args.public_url = Some(public_url.into());
        })
        .await
    }

    /// The app with the evidence library on at [`PUBLIC_URL`].
    pub async fn spawn_web(backend: TestBackend) -> Self {
        Self::spawn_web_at(backend, PUBLIC_URL).await
    }

    /// A browser of the library: keeps cookies, follows no redirect (tests
    /// look at each one).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a browser")
    }

    /// Types `/highlight web` and returns the sign-in link's path (the link
    /// itself starts with the app's public URL).
    pub async fn sign_in_path(&self) -> String {
        let text = ephemeral(self.slash("web").await).await;
        let public = self.config.web.as_ref().expect("the library is on").public_url.clone();
        let start = text.find(&format!("<{public}/login/link/")).unwrap_or_else(|| panic!("no link in {text}"));
        let link = &text[start + 1..];
        let link = &link[..link.find('|').expect("a labelled link")];
        link[public.len()..].to_owned()
    }

    /// A browser signed in to the library by a link from `/highlight web`.
    pub async fn signed_in_browser(&self) -> reqwest::Client {
        let browser = self.browser();
        let opened = browser.get(self.url(&self.sign_in_path().await)).send().await.expect("link opens");
        assert_eq!(opened.status(), 303, "the link signs in");
        browser
    }

    /// The app on SQLite with these HTTP limits.
    pub async fn spawn_with_limits(limits: highlights::config::HttpLimits) -> Self {
        let test_db = TestDb::create(TestBackend::Sqlite).await.expect("backend available");
        let slack = FakeSlack::start().await;
        let mut config = Config::from_args(&test_db.url, &serve_args(&slack)).expect("test config is valid");
        config.timing = Timing { http: limits, ..test_timing() };
        Self::start(test_db, slack, config).await
    }

    /// The same, against a fake Slack prepared before the app starts (to
    /// fail its very first calls, say).
    pub async fn spawn_against(backend: TestBackend, slack: FakeSlack, configure: impl FnOnce(&mut ServeArgs)) -> Self {
        let test_db = TestDb::create(backend).await.expect("backend available");
        let mut args = serve_args(&slack);
        configure(&mut args);
        let mut config = Config::from_args(&test_db.url, &args).expect("test config is valid");
        config.timing = test_timing();
        Self::start(test_db, slack, config).await
    }

    /// The app on a fresh database of `backend`, with a product channel and
    /// these timings.
    pub async fn spawn_with_timing(backend: TestBackend, slack: FakeSlack, timing: Timing) -> Self {
        let test_db = TestDb::create(backend).await.expect("backend available");
        let mut args = serve_args(&slack);
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        let mut config = Config::from_args(&test_db.url, &args).expect("test config is valid");
        config.timing = timing;
        Self::start(test_db, slack, config).await
    }

    async fn start(test_db: TestDb, slack: FakeSlack, config: Config) -> Self {
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<Stop>();
        let app_config = config.clone();
        let clock_ahead = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let app_clock = Clock::system_ahead(clock_ahead.clone());
        let thread = std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            let graceful = rt.block_on(async move {
                // With `socket_mode`, Slack's deliveries also come over Socket Mode.
                let app = Application::build(app_config, app_clock).await.expect("app builds");
                let _ = addr_tx.send((app.addr(), app.db().clone()));
                let (tx, rx) = oneshot::channel::<()>();
                let server = tokio::spawn(app.run_until_stopped(async move {
                    let _ = rx.await;
                }));
                let stop = tokio::task::spawn_blocking(move || stop_rx.recv()).await.expect("join");
                match stop {
                    Ok(Stop::Graceful) | Err(_) => {
                        let _ = tx.send(());
                        Some(server)
                    }
                    Ok(Stop::Crash) => None,
                }
            });
            match graceful {
                Some(server) => {
                    rt.block_on(async { server.await.expect("server task").expect("server stops cleanly") })
                }
                // Dropping the runtime ends every task at its next await: like a killed process.
                None => rt.shutdown_background(),
            }
        });
        // The app's own pool: closing it makes the app's database unreachable.
        let (addr, db) = addr_rx.await.expect("app started");
        Self {
            addr,
            db,
            slack,
            http: reqwest::Client::new(),
            test_db,
            config,
            clock_ahead,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Another replica of the app: a second process on the same database
    /// and fake Slack, with the same settings (drop it before this one).
    pub async fn replica(&self) -> Self {
        Self::start(self.test_db.shared(), self.slack.clone(), self.config.clone()).await
    }

    /// [`Self::replica`], with these timings.
    pub async fn replica_with_timing(&self, timing: Timing) -> Self {
        let config = Config { timing, ..self.config.clone() };
        Self::start(self.test_db.shared(), self.slack.clone(), config).await
    }

    /// Ends the app abruptly, as a killed process ends, and starts it again
    /// on the same database and fake Slack.
    pub async fn crash_and_restart(mut self) -> Self {
        self.end(Stop::Crash);
        let slack = self.slack.clone();
        let config = self.config.clone();
        let test_db = std::mem::replace(&mut self.test_db, TestDb::placeholder());
        Self::start(test_db, slack, config).await
    }

    /// Stops the app gracefully and starts it again on the same database and
    /// fake Slack, with its settings changed by `configure`.
    pub async fn restart_with(self, configure: impl FnOnce(&mut ServeArgs)) -> Self {
        let slack = self.slack.clone();
        let test_db = self.stop_keeping_db().await;
        let mut args = serve_args(&slack);
        configure(&mut args);
        let mut config = Config::from_args(&test_db.url, &args).expect("test config is valid");
        config.timing = test_timing();
        Self::start(test_db, slack, config).await
    }

    /// Stops the app gracefully and hands over its database, files kept (to
    /// work on them with the app stopped, as an operator would).
    pub async fn stop_keeping_db(self) -> TestDb {
        // Off the test's runtime: the fake Slack runs there and may still be called.
        let mut this = tokio::task::spawn_blocking(move || {
            let mut this = self;
            this.end(Stop::Graceful);
            this
        })
        .await
        .expect("stopped");
        std::mem::replace(&mut this.test_db, TestDb::placeholder())
    }

    /// How far [`advance`](Self::advance) has moved the app's clock ahead of the system's, in ms.
    pub fn clock_ahead_ms(&self) -> i64 {
        self.clock_ahead.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock_ahead.fetch_add(by.as_millis() as i64, std::sync::atomic::Ordering::Relaxed);
    }

    fn end(&mut self, how: Stop) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(how);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// `http://addr{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs `body` to `path`, signed now (on the app's clock: Slack's and
    /// the app's agree, even after [`advance`](Self::advance)) with the app's secret.
    pub async fn post_signed(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> reqwest::Response {
        let body = body.into();
        let ts = signer::now() + self.clock_ahead.load(std::sync::atomic::Ordering::Relaxed) / 1000;
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
        let mut req = self.http.post(self.url(path)).header("content-type", content_type).body(body);
        if let Some((ts, sig)) = signed {
            req = req.header("x-slack-request-timestamp", ts.to_string()).header("x-slack-signature", sig);
        }
        req.send().await.expect("request reaches the app")
    }

    /// The form body Slack sends for `/highlight <text>`, as in the fixture.
    pub fn slash_body(&self, text: &str) -> String {
        self.slash_body_in(TEAM, text)
    }

    /// The same, typed in another workspace.
    pub fn slash_body_in(&self, team: &str, text: &str) -> String {
        self.slash_body_by(team, USER, text)
    }

    /// The same, typed by `user` in `team`. Each invocation has a
    /// `response_url` of its own, as Slack's do (so no two are one replay).
    pub fn slash_body_by(&self, team: &str, user: &str, text: &str) -> String {
        static INVOCATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let invocation = INVOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        serde_urlencoded::to_string([
            ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
            ("team_id", team),
            ("team_domain", "acme"),
            ("channel_id", CHANNEL),
            ("channel_name", "customer-highlights"),
            ("user_id", user),
            ("user_name", "alice"),
            ("command", "/highlight"),
            ("text", text),
            ("api_app_id", "A0APP00001"),
            ("is_enterprise_install", "false"),
            ("response_url", &self.slack.response_url(&format!("cmd{invocation}"))),
            ("trigger_id", "1234567890.1234567890.0123456789abcdef0123456789abcdef"),
        ])
        .expect("form encodes")
    }

    /// Types `/highlight <text>` and returns the response.
    pub async fn slash(&self, text: &str) -> reqwest::Response {
        let body = self.slash_body(text);
        self.post_signed("/slack/commands", "application/x-www-form-urlencoded", body).await
    }

    /// Types `/highlight <text>` as `user` and returns the response.
    pub async fn slash_as(&self, user: &str, text: &str) -> reqwest::Response {
        let body = self.slash_body_by(TEAM, user, text);
        self.post_signed("/slack/commands", "application/x-www-form-urlencoded", body).await
    }

    /// Types `/highlight <text>` in another workspace.
    pub async fn slash_in(&self, team: &str, text: &str) -> reqwest::Response {
        let body = self.slash_body_in(team, text);
        self.post_signed("/slack/commands", "application/x-www-form-urlencoded", body).await
    }

    /// Delivers an Events API envelope.
    pub async fn event(&self, envelope: &Value) -> reqwest::Response {
        self.post_signed("/slack/events", "application/json", envelope.to_string()).await
    }

    /// Delivers an interactivity payload (form field `payload`).
    pub async fn interaction(&self, payload: &Value) -> reqwest::Response {
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form encodes");
        self.post_signed("/slack/interactivity", "application/x-www-form-urlencoded", body).await
    }

    /// Stops the app gracefully and waits for it.
    pub async fn stop(mut self) {
        // Off the test's runtime: the fake Slack runs there and may still be called.
        tokio::task::spawn_blocking(move || self.end(Stop::Graceful)).await.expect("stopped");
    }

    /// Waits until the app's outbox has finished everything that falls due
    /// within the next few seconds (the debounced App Home and milestone work
    /// included) and holds no row: after this, "exactly once" can be asserted.
    /// Work parked for longer (no channel, an uninstalled workspace) stays.
    pub async fn drain(&self) {
        let db = self.db.clone();
        let ahead = self.clock_ahead.clone();
        eventually("the outbox to drain", || {
            let db = db.clone();
            // "Soon" on the app's clock, which a test may have moved ahead.
            let ahead = ahead.load(std::sync::atomic::Ordering::Relaxed);
            async move {
                let soon = jiff::Timestamp::now().as_millisecond() + ahead + 5_000;
                let busy: i64 = sqlx::query_scalar(
                    "select count(*) from outbox
                     where status = 'pending' and (run_after <= $1 or locked_until is not null)",
                )
                .bind(soon)
                .fetch_one(db.pool())
                .await
                .expect("count");
                busy == 0
            }
        })
        .await;
    }

    /// Runs every job waiting in the outbox, however far off it falls due
    /// (a post parked for an hour, a retry's backoff): moves the app's clock
    /// to the latest of them, then drains. What a job queues again for later
    /// (a post parked once more) stays queued.
    pub async fn run_pending_jobs(&self) {
        let latest: Option<i64> =
            sqlx::query_scalar("select max(run_after) from outbox where status = 'pending' and locked_until is null")
                .fetch_one(self.db.pool())
                .await
                .expect("latest");
        let now = jiff::Timestamp::now().as_millisecond() + self.clock_ahead.load(std::sync::atomic::Ordering::Relaxed);
        if let Some(latest) = latest.filter(|latest| *latest > now) {
            self.advance(Duration::from_millis((latest - now) as u64 + 1));
        }
        self.drain().await;
    }

    /// Rows of a table, counted.
    pub async fn count(&self, table: &str) -> i64 {
        self.count_where(table, "1 = 1").await
    }

    /// Rows of a table that meet `condition` (SQL both backends read), counted.
    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table} where {condition}"))
            .fetch_one(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("count {table} where {condition}: {e}"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.end(Stop::Crash);
    }
}

/// The `private_metadata` of a form the app opened in the test workspace, as
/// Slack sends it back: sealed by the app for that workspace and form (Slack's
/// side knows the secret, as it signs every request with it).
pub fn opened_metadata(callback_id: &str, metadata: &str) -> String {
    highlights::slack::verify::seal(signer::SIGNING_SECRET, &format!("{TEAM}:{callback_id}"), metadata)
}

/// The `highlights` command line against the database at `url`, with
/// nothing else from the environment (as an operator runs it).
pub fn highlights_cli(url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_highlights"));
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("DATABASE_URL", url);
    cmd
}

/// Runs a command line that must succeed; what it printed.
pub fn succeeded(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fixture request body, parsed.
pub fn fixture_json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

/// The text of an ephemeral reply to a slash command (and checks it is one).
pub async fn ephemeral(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON reply");
    assert_eq!(body["response_type"], "ephemeral", "{body}");
    body["text"].as_str().expect("text").to_owned()
}
