//! The app served from the bench's own process on loopback, against the
//! fake Slack: the commands and pages benches measure requests, not a
//! process's start.

use std::net::SocketAddr;

use highlights::app::Clock;
use highlights::application::Application;
use highlights::cli::ServeArgs;
use highlights::config::Config;

use super::fake_slack::{self, FakeSlack};

/// The settings every bench app starts with: the benches' secret, the fake
/// Slack's bot token, a random port (the fake's URL is the caller's to set).
pub fn serve_args() -> ServeArgs {
    ServeArgs {
        signing_secret: Some(super::signed::SECRET.into()),
        bot_token: Some(fake_slack::BOT_TOKEN.into()),
        listen: "127.0.0.1:0".into(),
        ..ServeArgs::default()
    }
}

/// A running app and the fake Slack it calls.
pub struct InProcess {
    pub addr: SocketAddr,
    pub slack: FakeSlack,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl InProcess {
    /// Serves the app on `database_url` with [`serve_args`] changed by `configure`.
    pub async fn start(database_url: &str, configure: impl FnOnce(&mut ServeArgs)) -> Self {
        let slack = FakeSlack::start().await;
        let mut args = ServeArgs { slack_api_url: slack.api_url(), ..serve_args() };
        configure(&mut args);
        let config = Config::from_args(database_url, &args).expect("config");
        let app = Application::build(config, Clock::system()).await.expect("app builds");
        let addr = app.addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self { addr, slack, stop, server }
    }

    /// `http://addr{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the app gracefully and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}
