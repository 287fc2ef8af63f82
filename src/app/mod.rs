//! The app's context: the state every request handler and background job
//! takes ([`AppState`]), made of named parts, each with its own methods:
//!
//! - `config` ([`Config`]) and `db` ([`Db`]), as the other layers define them;
//! - `clock` ([`Clock`]): the time, the system's or a test's;
//! - `slack` ([`Slack`]): the Web API client for each workspace, people's
//!   names, modals, `response_url` answers, the product channel;
//! - `outbox` ([`Outbox`]): queueing work for after the ack, waking the worker;
//! - `tasks` ([`Tasks`]): work on tasks of its own, which shutdown waits for;
//! - `installs` ([`Installs`]): which workspaces the app acts for (every
//!   request is admitted there first);
//! - `metrics`, `memo` (reads kept briefly) and `permalinks`.
//!
//! A function takes the parts it uses (`&Db`, `&Slack`, `&Outbox`, a time as
//! a value…); only entry points and the features that fan out to three parts
//! or more take the whole [`AppState`]. The router and `serve` are in
//! [`crate::server`]; the workspace's zone and dates in [`zone`].

pub mod clock;
pub mod installs;
pub mod memo;
pub mod outbox;
pub mod slack;
pub mod tasks;
pub mod zone;

use std::sync::Arc;

pub use clock::Clock;
pub use installs::Installs;
pub use outbox::Outbox;
pub use slack::Slack;
pub use tasks::Tasks;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::slack::client::SlackApi;
use crate::store::Db;

/// State shared by every request handler and background job: the
/// [`Context`]'s parts behind one `Arc`, so that cloning it (axum does, per
/// request) is cheap. It derefs to the [`Context`]: `state.db`, `state.slack`.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Context>);

/// The parts of the app's context (see the [module docs](self)).
#[derive(Debug)]
pub struct Context {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    /// The clock.
    pub clock: Clock,
    /// Slack: each workspace's client, people, modals, `response_url`.
    pub slack: Slack,
    /// Work queued for after the ack, and the worker's wake-up.
    pub outbox: Outbox,
    /// The tasks requests started.
    pub tasks: Tasks,
    /// Which workspaces the app acts for.
    pub installs: Installs,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// Reads this replica keeps for a short while (see [`memo`]).
    pub memo: memo::Memo,
    /// The shape of each workspace's message links, learned from Slack.
    pub permalinks: crate::slack::permalink::Permalinks,
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(config: Config, db: Db, clock: Clock) -> Self {
        let api = SlackApi::new(&config.slack_api_url, config.bot_token.as_ref(), config.timing.slack_timeout)
            .paced(config.timing.slack_pacing);
        let metrics = Arc::new(Metrics::with_slack(api.pauses().counter(), api.calls()));
        let config = Arc::new(config);
        let outbox = Outbox::new(db.clone(), clock.clone());
        let installs = Installs::new(api.clone(), db.clone(), config.clone(), clock.clone(), outbox.clone());
        let slack = Slack::new(api, config.clone(), installs.clone());
        Self(Arc::new(Context {
            config,
            db,
            clock,
            slack,
            outbox,
            tasks: Tasks::default(),
            installs,
            metrics,
            memo: Default::default(),
            permalinks: Default::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.0
    }
}

impl crate::slack::verify::Verifier for AppState {
    fn signing_secret(&self) -> &str {
        self.config.signing_secret.expose()
    }

    fn now_unix(&self) -> i64 {
        self.clock.now().as_second()
    }
}

/// Names who a request is from in its span (and in the spans of the work it
/// starts).
pub fn record_requester(team: &str, user: &str) {
    let span = tracing::Span::current();
    span.record("team", team);
    span.record("user", user);
}
