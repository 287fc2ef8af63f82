//! Highlights: a Slack app that turns customer interviews into shared product
//! knowledge.
//!
//! How a request flows, and where each part lives:
//! - [`app`]: state, router and `serve` with graceful shutdown, on
//!   [`server`] (hyper with header and body timeouts and a connection cap).
//! - [`routes`]: one handler per HTTP route; each verifies, parses, and runs
//!   the work on a task of its own ([`app::AppState::run_to_completion`]), so
//!   a client that hangs up never leaves it half done.
//!   [`socket_mode`] feeds the same handlers over Slack's WebSocket.
//! - [`slack`]: the Slack transport: [`slack::verify`] (signatures),
//!   [`slack::payload`] (bodies into types), [`slack::client`] (Web API,
//!   through [`slack::proxy`] when one is set).
//! - [`commands`]: the `/highlight` grammar and its dispatch to features:
//!   [`capture`] (quick capture, the modal, posting into customer threads),
//!   [`areas`], [`customers`], [`search`], [`quotas`], [`home`] (the App Home),
//!   [`settings`], with [`permissions`].
//! - [`jobs`]: the outbox worker that makes every Slack post, with retries,
//!   and the scheduler (digests, waiting helpdesk tickets).
//! - [`store`]: every SQL statement, on SQLite or PostgreSQL. One writer
//!   connection on SQLite, read-only readers beside it; [`store::captures`]
//!   reads and commits captures in groups (the request path: one read and one
//!   commit for every capture waiting at that moment).
//! - [`digests`], [`reports`]: scheduled quote digests and month-end reports.
//! - [`cli`]: subcommands that work on the database without Slack;
//!   [`doctor`] checks what `serve` needs.
//! - [`install`]: which workspaces the app acts for (the bot token's team, or
//!   those installed by OAuth: [`install::oauth`], tokens sealed by
//!   [`install::sealed`]); every request is admitted there first
//!   ([`app::AppState::admit`]) and every Slack call takes its workspace's
//!   token ([`app::AppState::slack`]).
//! - [`config`], [`error`], [`metrics`]: settings, errors, Prometheus metrics.

pub mod app;
pub mod areas;
pub mod capture;
pub mod cli;
pub mod commands;
pub mod config;
pub mod customers;
pub mod digests;
pub mod doctor;
pub mod error;
pub mod home;
pub mod install;
pub mod jobs;
pub mod metrics;
pub mod permissions;
pub mod quotas;
pub mod reports;
pub mod routes;
pub mod search;
pub mod server;
pub mod settings;
pub mod slack;
pub mod socket_mode;
pub mod store;
