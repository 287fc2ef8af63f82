//! Highlights: a Slack app that turns customer interviews into shared product
//! knowledge.
//!
//! The modules form layers; each uses only the layers below it (and, inside
//! the features, the features after it in this list). `tests/it/layers.rs`
//! fails on any dependency that goes up, and on [`store`] naming [`slack`].
//!
//! 1. **Entry points.** [`application`]: the app built and run (database,
//!    listener, Socket Mode, serve), as `main` and the tests start it.
//!    [`server`]: the router of docs/design.md (Routes) and `serve`
//!    (the outbox worker and scheduler beside it, shut down in order), on
//!    [`server::http`] (hyper with header and body timeouts and a connection
//!    cap). [`socket_mode`] feeds the same dispatch over Slack's WebSocket.
//!    [`cli`]: the command line (clap's definitions, `serve`'s settings
//!    checked into a [`config::Config`]) and the subcommands that work on the
//!    database without Slack; [`doctor`] checks what `serve` needs.
//! 2. **HTTP.** [`routes`]: one handler per route; each verifies, reads the
//!    body into a [`slack::payload::Inbound`] (Socket Mode reads into the
//!    same), and runs [`routes::dispatch`], the one entrance for both
//!    transports, on a task of its own ([`app::Tasks::run_to_completion`]),
//!    so a client that hangs up never leaves it half done. [`routes::oauth`]
//!    installs the app in a workspace.
//! 3. **Dispatch.** [`commands`]: the `/highlight` grammar and its dispatch to
//!    features. [`jobs`]: the outbox worker that makes every Slack post, with
//!    retries, and the scheduler (digests, waiting helpdesk tickets).
//! 4. **Features.** [`web`] (the evidence library in the browser: its
//!    routes, sessions and pages, over the other features' reads), [`shipped`]
//!    (closing the loop with customers), [`readout`] (the managers' weekly
//!    DM), [`testers`] (customers willing to try a prototype), [`privacy`]
//!    (retention of recording links, anonymous customers and hidden
//!    recordings, forgetting a customer), [`settings`], [`reports`] (month-end), [`digests`],
//!    [`search`], [`home`] (the App Home), [`quotas`] (onboarding, triage by
//!    reaction), [`endorsements`] (a manager vouches for a quote),
//!    [`interviews`] (planned interviews: the morning brief, the reminder), [`follows`]
//!    (following customers: notices, nudges), [`capture`]
//!    (quick capture, the modal, posting into customer threads, similar
//!    quotes), [`customers`], [`areas`], with [`permissions`].
//! 5. **Posting.** [`posting`]: how the outbox and every feature post (once,
//!    even when Slack's answer is lost; joining the channel when needed), the
//!    product channel, permalinks. Below the features, so posting depends on
//!    none of them; above the context, whose parts ([`app::Slack`],
//!    [`app::Outbox`], the clock) it takes.
//! 6. **Context.** [`app`]: [`app::AppState`], the state every request and
//!    job starts from, made of named parts with methods of their own: `db`,
//!    `clock`, `config`, `slack` ([`app::Slack`]: each workspace's client,
//!    people, modals, `response_url`), `outbox` ([`app::Outbox`]: queue and
//!    wake), `tasks` ([`app::Tasks`]), `installs` ([`app::Installs`]: which
//!    workspaces the app acts for; every request is admitted there first,
//!    [`app::Installs::admit`]), `metrics`, `memo` (reads kept briefly,
//!    [`app::memo`]) and `permalinks`. A function takes the parts it uses;
//!    only entry points and features that fan out to three parts or more take
//!    the whole state. The workspace's zone and dates: [`app::zone`].
//!    [`install`]: what the process remembers of its installations.
//!    [`reply`]: what a feature answers.
//! 7. **Storage and Slack.** [`store`]: every SQL statement, on SQLite or
//!    PostgreSQL (one writer connection on SQLite; [`store::captures`] commits
//!    captures in groups). Reads take the [`store::Db`]; writes take a
//!    transaction from [`store::Db::begin`], so a feature composes its unit of
//!    work and commits once. The store returns data and never names
//!    [`slack`]: the sentences a user reads are the features'. [`domain`]: validated values (quote, recording
//!    time, customer name) and how a customer shows outside its thread
//!    ([`domain::ShownCustomer`]). [`slack`]: [`slack::verify`] (signatures),
//!    [`slack::payload`] (bodies into types), [`slack::blocks`] (the Block
//!    Kit builders, which apply Slack's limits), [`slack::client`] (Web API,
//!    through [`slack::proxy`] when one is set). [`metrics`]: Prometheus.
//! 8. **Leaves.** [`config`] (the typed settings, timing and limits, every
//!    secret in a [`config::Secret`] that `Debug` redacts, the keys that seal
//!    bot tokens: [`config::sealed`]), [`error`] and [`ids`] (the Slack ids
//!    the app keys its data by, each read by one `parse`: `config` holds them).

pub mod app;
pub mod application;
pub mod areas;
pub mod capture;
pub mod cli;
pub mod commands;
pub mod config;
pub mod customers;
pub mod digests;
pub mod doctor;
pub mod domain;
pub mod endorsements;
pub mod error;
pub mod follows;
pub mod home;
pub mod ids;
pub mod install;
pub mod interviews;
pub mod jobs;
pub mod metrics;
pub mod permissions;
pub mod posting;
pub mod privacy;
pub mod quotas;
pub mod readout;
pub mod reply;
pub mod reports;
pub mod routes;
pub mod search;
pub mod server;
pub mod settings;
pub mod shipped;
pub mod slack;
pub mod socket_mode;
pub mod store;
pub mod testers;
pub mod web;
