//! What the load and soak benchmarks share: `highlights serve` started the
//! same way, on a fresh working directory, against a stand-in for Slack.

use std::process::{Command, Stdio};

/// Readies `command` (the binary, or `taskset … binary`) to serve on
/// `listen` from `database_url`, calling the Slack stand-in at `api_url`.
/// Pacing is off: the stand-ins answer (or refuse) on their own terms, and
/// pacing at Slack's budgets would only stretch the runs.
pub fn serve(
    command: &mut Command,
    dir: &std::path::Path,
    database_url: &str,
    signing_secret: &str,
    bot_token: &str,
    api_url: &str,
    listen: &str,
) {
    command
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("SLACK_SIGNING_SECRET", signing_secret)
        .env("HIGHLIGHTS_SLACK_PACING", "off")
        .env("SLACK_BOT_TOKEN", bot_token)
        .env("SLACK_API_URL", api_url)
        .env("HIGHLIGHTS_LISTEN", listen)
        .stdout(Stdio::null());
}
