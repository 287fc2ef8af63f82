//! What the benchmarks share: the fake Slack (the tests' own, from
//! `tests/support/fake_slack`), `highlights serve` started the same way on a
//! fresh working directory (load, soak), the app served from the bench's
//! own process (commands, pages), requests signed as Slack signs them, and
//! a year of highlights seeded (digests, pages).

// Every bench includes the whole kit and uses part of it: what one bench
// leaves unused is used by another.
#![allow(dead_code)]

pub mod app;
#[path = "../../tests/support/fake_slack/mod.rs"]
pub mod fake_slack;
pub mod seed;
pub mod signed;

use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The server binary as a user builds it (`cargo build --release`), or the
/// one `HIGHLIGHTS_BENCH_BIN` names (another build, for a comparison in the
/// same run). It is built here, once per run, because the binary cargo
/// builds for a benchmark is not that one: its dependencies carry the
/// features only the tests ask for (axum's WebSocket, hyper's client,
/// tokio's test clock), 0.5 MB more code (benches/README.md).
pub fn server_binary() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(bin) = std::env::var("HIGHLIGHTS_BENCH_BIN") {
            return bin;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        println!("building the server as `cargo build --release` does (the first time, a few minutes)");
        let status = Command::new(cargo)
            .args(["build", "--release", "--bin", "highlights", "--manifest-path", manifest])
            .status()
            .expect("run cargo");
        assert!(status.success(), "cargo build --release failed");
        // The same path: the build above put the user's binary there.
        env!("CARGO_BIN_EXE_highlights").to_owned()
    })
}

/// Readies `command` (the binary, or `taskset … binary`) to serve on
/// `listen` from `database_url`, calling the fake Slack at `api_url` with
/// its bot token, and verifying requests signed with [`signed::SECRET`].
/// Pacing is off: the fake answers (or refuses) on its own terms, and
/// pacing at Slack's budgets would only stretch the runs.
pub fn serve(command: &mut Command, dir: &std::path::Path, database_url: &str, api_url: &str, listen: &str) {
    command
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("SLACK_SIGNING_SECRET", signed::SECRET)
        .env("HIGHLIGHTS_SLACK_PACING", "off")
        .env("SLACK_BOT_TOKEN", fake_slack::BOT_TOKEN)
        .env("SLACK_API_URL", api_url)
        .env("HIGHLIGHTS_LISTEN", listen)
        .stdout(Stdio::null());
}

/// A new empty database `name` on the PostgreSQL server of `base` (one of
/// that name left by an earlier run is dropped first); returns its URL.
pub async fn fresh_postgres_database(base: &str, name: &str) -> String {
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(base).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&mut admin).await.expect("drop");
    sqlx::query(&format!("create database {name}")).execute(&mut admin).await.expect("create");
    let mut url = url::Url::parse(base).expect("url");
    url.set_path(&format!("/{name}"));
    url.to_string()
}
