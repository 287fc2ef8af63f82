//! `highlights doctor`: checks what `serve` needs, one line per check, each
//! failure with what to do about it: the configuration, the database and its
//! migrations, each bot token (`auth.test`) and its scopes against the
//! manifest's, and that each workspace's product channel can be posted to. It
//! changes nothing: no migration, no post, no join.

use std::fmt;

use serde_json::Value;

use crate::cli::ServeArgs;
use crate::config::{Config, Secret};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but worth knowing.
    Warn,
    /// `serve` will not work as it should until this is fixed.
    Fail,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How it came out.
    pub status: Status,
    /// What was checked, e.g. `database`.
    pub what: String,
    /// What was found, and for a failure what to do.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        write!(f, "{status} {}: {}", self.what, self.detail)
    }
}

#[derive(Default)]
struct Report(Vec<Finding>);

impl Report {
    fn add(&mut self, status: Status, what: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Finding { status, what: what.into(), detail: detail.into() });
    }
}

/// Runs every check that the configuration allows.
pub async fn run(database_url: &str, args: &ServeArgs) -> Vec<Finding> {
    let mut report = Report::default();
    let config = match Config::from_args(database_url, args) {
        Ok(config) => {
            let mode = if config.oauth.is_some() { "OAuth installs" } else { "one workspace, SLACK_BOT_TOKEN" };
            report.add(Status::Ok, "configuration", format!("complete ({mode})"));
            config
        }
        Err(e) => {
            report.add(Status::Fail, "configuration", e.to_string());
            return report.0;
        }
    };
    let db = check_database(&mut report, &config).await;
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default();
    let mut tokens: Vec<(String, Secret)> = Vec::new();
    if let Some(token) = &config.bot_token {
        tokens.push(("SLACK_BOT_TOKEN".to_owned(), token.clone()));
    }
    if let (Some(oauth), Some(db)) = (&config.oauth, &db) {
        match crate::store::installations::list_sealed_tokens(db).await {
            Ok(rows) if rows.is_empty() => report.add(
                Status::Warn,
                "installs",
                "no workspace has installed the app by OAuth yet: open HIGHLIGHTS_PUBLIC_URL/slack/install",
            ),
            Ok(rows) => {
                for (workspace, sealed) in rows {
                    match oauth.keys.open(&workspace, &sealed) {
                        Ok(token) => tokens.push((format!("workspace {workspace}"), token)),
                        Err(e) => report.add(Status::Fail, format!("workspace {workspace}"), e.to_string()),
                    }
                }
            }
            Err(e) => report.add(Status::Fail, "installs", format!("cannot read them: {}", crate::error::chain(&e))),
        }
    }
    for (whose, token) in tokens {
        check_token(&mut report, &http, &config, db.as_ref(), &whose, &token).await;
    }
    if let Some(app_token) = &config.app_token {
        check_app_token(&mut report, &http, &config, app_token).await;
    }
    if let Some(db) = db {
        db.close().await;
    }
    report.0
}

/// The database answers and its schema is current; the pool, if usable.
async fn check_database(report: &mut Report, config: &Config) -> Option<Db> {
    let url = config.database_url.as_str();
    // Connecting would create a missing SQLite file; the doctor changes nothing.
    if let Some(path) = crate::store::sqlite_path(url).filter(|path| !path.exists()) {
        report.add(
            Status::Warn,
            "database",
            format!("no file yet at {}: `serve` (or `highlights migrate`) creates it", path.display()),
        );
        return None;
    }
    let db = match Db::connect(url).await {
        Ok(db) => db,
        Err(e) => {
            report.add(Status::Fail, "database", format!("{e:#}: check DATABASE_URL"));
            return None;
        }
    };
    let available = db.migrator().iter().count();
    let applied = db.applied_migrations().await;
    match applied {
        Ok(applied) if applied.len() >= available => {
            report.add(Status::Ok, "database", format!("{:?}, schema current ({available} migrations)", db.backend()));
            Some(db)
        }
        Ok(applied) => {
            report.add(
                Status::Warn,
                "database",
                format!(
                    "{} of {available} migrations not applied yet: `highlights migrate`, or `serve` applies them as it starts",
                    available - applied.len()
                ),
            );
            None
        }
        Err(_) => {
            report.add(
                Status::Warn,
                "database",
                "empty: `highlights migrate`, or `serve` creates the schema as it starts",
            );
            None
        }
    }
}

/// `auth.test` with the token, its scopes against the manifest's, and its
/// workspace's product channel.
async fn check_token(
    report: &mut Report,
    http: &reqwest::Client,
    config: &Config,
    db: Option<&Db>,
    whose: &str,
    token: &Secret,
) {
    let (answer, scopes) = match call(http, config, token, "auth.test", &[]).await {
        Ok(answered) => answered,
        Err(e) => {
            report.add(Status::Fail, format!("Slack ({whose})"), e);
            return;
        }
    };
    if answer["ok"] != true {
        let code = answer["error"].as_str().unwrap_or("unknown_error");
        let fix = match code {
            "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" => {
                "the token is wrong or no longer valid: reinstall the app and copy the Bot User OAuth Token again"
            }
            _ => "see Slack's documentation of auth.test",
        };
        report.add(Status::Fail, format!("Slack ({whose})"), format!("auth.test answered {code}: {fix}"));
        return;
    }
    let team = answer["team_id"].as_str().unwrap_or_default().to_owned();
    report.add(
        Status::Ok,
        format!("Slack ({whose})"),
        format!("the bot token works for {} ({team})", answer["team"].as_str().unwrap_or("?")),
    );
    match scopes {
        None => report.add(Status::Warn, format!("scopes ({whose})"), "Slack did not list the token's scopes"),
        Some(granted) => {
            let granted: Vec<&str> = granted.split(',').map(str::trim).collect();
            let missing: Vec<&str> =
                crate::routes::oauth::bot_scopes().into_iter().filter(|s| !granted.contains(s)).collect();
            if missing.is_empty() {
                report.add(Status::Ok, format!("scopes ({whose})"), "every scope manifest.yml asks for is granted");
            } else {
                report.add(
                    Status::Fail,
                    format!("scopes ({whose})"),
                    format!(
                        "missing {}: add them under OAuth & Permissions (or paste manifest.yml again) and reinstall the app",
                        missing.join(", ")
                    ),
                );
            }
        }
    }
    let workspace = WorkspaceId(team);
    let set_in_slack = match db {
        Some(db) => crate::store::workspaces::find_workspace(db, &workspace)
            .await
            .ok()
            .flatten()
            .and_then(|w| w.product_channel),
        None => None,
    };
    let channel = set_in_slack.or_else(|| {
        (whose == "SLACK_BOT_TOKEN").then(|| config.product_channel.as_ref().map(ToString::to_string)).flatten()
    });
    let Some(channel) = channel else {
        report.add(
            Status::Warn,
            format!("product channel ({whose})"),
            "none set: highlights wait until someone runs `/highlight config channel #channel`",
        );
        return;
    };
    check_channel(report, http, config, whose, token, &channel).await;
}

/// `apps.connections.open` with `SLACK_APP_TOKEN`: whether Socket Mode can
/// connect (the URL it answers is never used, so nothing is opened).
async fn check_app_token(report: &mut Report, http: &reqwest::Client, config: &Config, app_token: &Secret) {
    match call(http, config, app_token, "apps.connections.open", &[]).await {
        Err(e) => report.add(Status::Fail, "Socket Mode (SLACK_APP_TOKEN)", e),
        Ok((answer, _)) if answer["ok"] == true => report.add(
            Status::Ok,
            "Socket Mode (SLACK_APP_TOKEN)",
            "Slack opens Socket Mode connections with the app token",
        ),
        Ok((answer, _)) => {
            let code = answer["error"].as_str().unwrap_or("unknown_error");
            report.add(
                Status::Fail,
                "Socket Mode (SLACK_APP_TOKEN)",
                format!("apps.connections.open answered {code}: {}", crate::socket_mode::refusal_fix(code)),
            );
        }
    }
}

/// Whether the bot can post in `channel`, without posting: a one-message
/// history read says whether the channel exists and the bot is in it.
async fn check_channel(
    report: &mut Report,
    http: &reqwest::Client,
    config: &Config,
    whose: &str,
    token: &Secret,
    channel: &str,
) {
    let what = format!("product channel ({whose})");
    let answer = match call(http, config, token, "conversations.history", &[("channel", channel), ("limit", "1")]).await
    {
        Ok((answer, _)) => answer,
        Err(e) => return report.add(Status::Fail, what, e),
    };
    match answer["error"].as_str() {
        None if answer["ok"] == true => report.add(Status::Ok, what, format!("the bot is in <#{channel}>")),
        Some("not_in_channel") => report.add(
            Status::Warn,
            what,
            format!("the bot is not in {channel} yet: it joins a public channel on its first post; for a private one, `/invite @highlights` there"),
        ),
        Some("channel_not_found") => report.add(
            Status::Fail,
            what,
            format!("{channel} does not exist, or is private and the bot is not in it: `/invite @highlights` there, or set another with `/highlight config channel #channel`"),
        ),
        Some("missing_scope") => report.add(
            Status::Warn,
            what,
            "cannot check it without the history scopes (channels:history, groups:history)",
        ),
        Some(other) => report.add(Status::Fail, what, format!("Slack answered {other} about {channel}")),
        None => report.add(Status::Fail, what, "Slack's answer could not be read"),
    }
}

/// A Web API call: its answer and the token's scopes (`x-oauth-scopes`).
async fn call(
    http: &reqwest::Client,
    config: &Config,
    token: &Secret,
    method: &str,
    form: &[(&str, &str)],
) -> Result<(Value, Option<String>), String> {
    let url = format!("{}/{method}", config.slack_api_url);
    let response = http
        .post(&url)
        .bearer_auth(token.expose())
        .form(form)
        .send()
        .await
        .map_err(|e| format!("cannot reach Slack at {url}: {}", crate::error::chain(&e.without_url())))?;
    let scopes = response.headers().get("x-oauth-scopes").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if !response.status().is_success() {
        return Err(format!("{method} answered HTTP {}", response.status()));
    }
    let answer = response.json().await.map_err(|_| format!("{method}: Slack's answer could not be read"))?;
    Ok((answer, scopes))
}

/// Whether any finding is a failure.
pub fn failed(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.status == Status::Fail)
}
