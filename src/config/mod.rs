//! Configuration (docs/design.md, Configuration): the typed, validated
//! settings the app runs with ([`Config`]), how long it waits and how much it
//! holds ([`Timing`], [`HttpLimits`]), and the redacting [`Secret`] every
//! secret is kept in. The command line that fills them is `cli`'s
//! (`cli::serve`).

pub mod sealed;
mod secret;
pub mod tokens;

use std::net::SocketAddr;
use std::time::Duration;

pub use secret::Secret;

/// A setting that is missing or malformed; the message is the one line printed at start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable} {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl ConfigError {
    /// `variable` is at fault, for the reason `problem`.
    pub fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self { variable, problem: problem.into() }
    }
}

/// Validated settings of the running app.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`, already checked for its scheme.
    pub database_url: DatabaseUrl,
    /// Verifies every request from Slack.
    pub signing_secret: Secret,
    /// `xoxb-…` bot token: the single workspace's, or with OAuth one more
    /// workspace's beside those installed by OAuth.
    pub bot_token: Option<Secret>,
    /// OAuth install into any number of workspaces, when set.
    pub oauth: Option<OAuth>,
    /// The evidence library in the browser, when on (docs/design.md, The evidence library).
    pub web: Option<Web>,
    /// `xapp-…` token, for Socket Mode.
    pub app_token: Option<Secret>,
    /// Slack's deliveries also come over Socket Mode (`--socket-mode`; then
    /// `app_token` is set).
    pub socket_mode: bool,
    /// Base URL of the Slack Web API, without a trailing `/`.
    pub slack_api_url: String,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Default product channel of every workspace.
    pub product_channel: Option<crate::ids::ChannelId>,
    /// Product areas a new workspace starts with.
    pub default_areas: Vec<String>,
    /// Users allowed to manage; empty means everyone.
    pub managers: Vec<crate::ids::UserId>,
    /// Default onboarding targets.
    pub targets: Targets,
    /// Verifies helpdesk webhooks; the route answers 503 without it.
    pub webhook_secret: Option<Secret>,
    /// Whether a signed request sent again is answered without acting again.
    pub replay_guard: bool,
    /// Timing of Slack calls and of the outbox (fixed in production, short in tests).
    pub timing: Timing,
}

/// Onboarding targets: what a new product person does in their first `days`
/// (the built-in ones, and how an enrollment changes them, are `quotas`').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// Customer interviews.
    pub interviews: i64,
    /// Triaged feedback items.
    pub feedback: i64,
    /// Support tickets.
    pub tickets: i64,
    /// Length of the onboarding window.
    pub days: i64,
}

/// How long to wait for Slack and how the outbox retries. Not user settings:
/// the defaults suit production, and tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// A Slack call that has not answered by then has failed.
    pub slack_timeout: Duration,
    /// How long a worker holds an outbox row it claimed (then another may take it).
    pub outbox_lease: Duration,
    /// First retry delay after a transient failure; doubles each time.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_cap: Duration,
    /// How long a post waits when it cannot be posted yet (no channel, bot not invited).
    pub park: Duration,
    /// How often the worker looks for due rows when nothing woke it.
    pub poll: Duration,
    /// How often the scheduler looks for digests that are due.
    pub schedule_every: Duration,
    /// How often helpdesk tickets with an unknown email are looked up again.
    pub remap_every: Duration,
    /// What HTTP clients get: header and body timeouts, open connections.
    pub http: HttpLimits,
    /// Background Slack calls are paced at Slack's published budgets times
    /// this (see [`crate::slack::rate::Pacer`]); 0 does not pace.
    pub slack_pacing: u32,
    /// How long a replica reuses its read of a workspace's recent highlights
    /// for similar quotes and suggested areas (zero: read every time).
    pub recent_quotes_for: Duration,
}

impl Timing {
    /// How long after a Slack call that gave no answer its post may still
    /// land (Slack can make it after we stopped waiting): a post in doubt is
    /// looked for only once this has passed since, so a late one is found.
    pub fn late_post_window(&self) -> Duration {
        self.slack_timeout * 2
    }
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            slack_timeout: Duration::from_secs(10),
            outbox_lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            park: Duration::from_secs(600),
            poll: Duration::from_secs(1),
            schedule_every: Duration::from_secs(30),
            remap_every: Duration::from_secs(600),
            http: HttpLimits::default(),
            slack_pacing: 1,
            recent_quotes_for: Duration::from_secs(1),
        }
    }
}

/// OAuth settings (docs/design.md, Configuration): all four variables, or none.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuth {
    /// The app's Client ID.
    pub client_id: String,
    /// The app's Client Secret.
    pub client_secret: Secret,
    /// Seal and open stored bot tokens.
    pub keys: crate::config::sealed::TokenKeys,
    /// Where Slack sends the installer back: `HIGHLIGHTS_PUBLIC_URL` + `/slack/oauth_redirect`.
    pub redirect_uri: String,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, with the span's fields (team, user, route).
    Json,
}

impl LogFormat {
    /// `HIGHLIGHTS_LOG_FORMAT`: `text` (the default) or `json`.
    pub fn parse(raw: Option<&str>) -> Result<Self, ConfigError> {
        match raw.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(_) => Err(ConfigError::new("HIGHLIGHTS_LOG_FORMAT", "must be text or json")),
        }
    }
}

/// A database URL whose backend is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Accepts `sqlite:…`, `postgres://…` and `postgresql://…`.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        if raw.starts_with("sqlite:") || raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ConfigError::new(
                "DATABASE_URL",
                "must start with sqlite:// (e.g. sqlite://highlights.db) or postgres:// (e.g. postgres://user@localhost/highlights)",
            ))
        }
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `HIGHLIGHTS_PUBLIC_URL`, without its trailing `/`; `needed` says why it
/// must be set when it is not.
pub fn parse_public_url(raw: Option<&str>, needed: &str) -> Result<String, ConfigError> {
    let public_url = raw.ok_or_else(|| {
        ConfigError::new(
            "HIGHLIGHTS_PUBLIC_URL",
            format!("{needed}: the app's public base URL, e.g. https://highlights.example.com"),
        )
    })?;
    let base = public_url.trim_end_matches('/');
    match url::Url::parse(base) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() && u.query().is_none() => {
            Ok(base.to_owned())
        }
        _ => Err(ConfigError::new(
            "HIGHLIGHTS_PUBLIC_URL",
            format!("must be the app's public base URL such as https://highlights.example.com, not {public_url:?}"),
        )),
    }
}

/// The evidence library in the browser (docs/design.md, The evidence library).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Web {
    /// `HIGHLIGHTS_PUBLIC_URL`, without a trailing `/`.
    pub public_url: String,
    /// The public URL is https: cookies are `Secure` and `__Host-` named.
    pub secure: bool,
    /// Sign in with Slack (OpenID Connect), when OAuth's client is set.
    pub sign_in_with_slack: bool,
}

impl Web {
    /// The library's address of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// `SLACK_API_URL`, without its trailing `/`.
pub fn parse_api_url(raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => Ok(trimmed.to_owned()),
        _ => Err(ConfigError::new(
            "SLACK_API_URL",
            format!("must be an http(s) URL such as https://slack.com/api, not {raw:?}"),
        )),
    }
}

/// How long and how many, for the HTTP server: see `server::http`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// To send a request's headers, counted from the first byte awaited (so
    /// also how long a keep-alive connection may sit idle).
    pub header_read: Duration,
    /// To send a request's body.
    pub body_read: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { header_read: Duration::from_secs(20), body_read: Duration::from_secs(20), max_connections: 4096 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("JSON")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse(Some("yaml")).expect_err("refused").variable, "HIGHLIGHTS_LOG_FORMAT");
    }
}
