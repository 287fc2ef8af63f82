//! Configuration: the command line and the environment (docs/design.md, Configuration), parsed
//! once at start into typed, validated values. Secrets are redacted in `Debug`.

pub mod sealed;
mod tokens;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// The `highlights` command line. Every setting can also come from the
/// environment or a `.env` file in the working directory.
#[derive(Debug, Parser)]
#[command(name = "highlights", version, about = "Turn customer interviews into shared product knowledge, in Slack")]
pub struct Cli {
    /// Where the data lives: `sqlite://…` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://highlights.db", global = true, hide_env_values = true)]
    pub database_url: String,

    /// How logs are written to stderr: `text`, or `json` (one object per line, for a log collector).
    #[arg(long, env = "HIGHLIGHTS_LOG_FORMAT", global = true, hide_env_values = true)]
    pub log_format: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Slack app: over HTTP, or over Socket Mode with --socket-mode (applies pending migrations first).
    Serve(Box<ServeArgs>),
    /// Check the configuration, the database, each bot token and its scopes, and the product channel; one line each.
    Doctor(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a digest as Markdown, without Slack (in Slack, `/highlight digest` posts one).
    Digest {
        /// Print it (what the command always does; kept for scripts that pass it).
        #[arg(long, hide = true)]
        print: bool,
        /// Start of the period, YYYY-MM-DD (default: where `/highlight digest` would start: the last digest).
        #[arg(long)]
        since: Option<String>,
        /// The Slack team id (T…); optional when the database holds one workspace.
        #[arg(long, env = "HIGHLIGHTS_WORKSPACE", hide_env_values = true)]
        workspace: Option<String>,
    },
    /// Print an onboardee's month-end report.
    Report {
        /// The onboardee's Slack user id (U…).
        #[arg(long)]
        user: String,
        /// `md` or `json`.
        #[arg(long, default_value = "md")]
        format: String,
        /// The Slack team id (T…); optional when the database holds one workspace.
        #[arg(long, env = "HIGHLIGHTS_WORKSPACE", hide_env_values = true)]
        workspace: Option<String>,
    },
    /// Export every highlight as CSV or JSON lines.
    Export {
        /// `csv` or `jsonl`.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only highlights captured on or after this date, YYYY-MM-DD.
        #[arg(long)]
        since: Option<String>,
        /// The Slack team id (T…); optional when the database holds one workspace.
        #[arg(long, env = "HIGHLIGHTS_WORKSPACE", hide_env_values = true)]
        workspace: Option<String>,
    },
    /// Copy the SQLite database, while the app runs, to a new file (restore: README, Backups).
    Backup {
        /// The file to write; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Ask a running app's GET /healthz; exit status 0 when it answers 200 (a container's HEALTHCHECK).
    Healthcheck {
        /// The app's /healthz URL (default: on HIGHLIGHTS_LISTEN's port, on this machine).
        #[arg(long)]
        url: Option<String>,
        /// The address the app listens on.
        #[arg(long, env = "HIGHLIGHTS_LISTEN", default_value = DEFAULT_LISTEN, hide_env_values = true)]
        listen: String,
    },
    /// Print the Slack app manifest for your host, to paste at "Create New App", "From an app manifest".
    Manifest {
        /// The app's public base URL (https://…) that Slack sends requests to.
        #[arg(long, env = "HIGHLIGHTS_PUBLIC_URL", required_unless_present = "socket_mode", hide_env_values = true)]
        public_url: Option<String>,
        /// For `serve --socket-mode`: no URLs, Slack delivers over Socket Mode.
        #[arg(long)]
        socket_mode: bool,
    },
    /// Work with workspaces in the database.
    Workspace {
        /// What to do.
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Work with customers in the database.
    Customers {
        /// What to do.
        #[command(subcommand)]
        command: CustomersCommand,
    },
}

/// `highlights workspace …`.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// List the workspaces: installed or not, highlights and customers.
    List,
    /// Delete every row of a workspace (highlights, customers, onboarding,
    /// digests, its bot token) for good; without --yes, only say what.
    Delete {
        /// The Slack team id (T…).
        workspace: String,
        /// Really delete.
        #[arg(long)]
        yes: bool,
    },
}

/// `highlights customers …`.
#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Import customer attributes from a CSV file with columns name, aliases
    /// (separated by `;`), segment, arr. All rows or none are written.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        /// The Slack team id (T…) to import into; optional when the database holds one workspace.
        #[arg(long, env = "HIGHLIGHTS_WORKSPACE", hide_env_values = true)]
        workspace: Option<String>,
    },
    /// Erase a customer at their request: every row about it (onboarding
    /// counts kept); the running app deletes its thread and mends recent
    /// digests and reports. Without --yes, only say what would be erased.
    Forget {
        /// The Slack team id (T…).
        #[arg(long)]
        workspace: String,
        /// The customer's name (or one of its other names).
        name: String,
        /// Really erase.
        #[arg(long)]
        yes: bool,
    },
}

/// Settings of `highlights serve`, read as raw text and validated by
/// [`Config::from_args`] so that every mistake gets one line naming the variable.
#[derive(Args)]
pub struct ServeArgs {
    /// Signing secret of the Slack app (Basic Information page).
    #[arg(long, env = "SLACK_SIGNING_SECRET", hide_env_values = true)]
    pub signing_secret: Option<String>,
    /// Bot token, `xoxb-…` (OAuth & Permissions page).
    #[arg(long, env = "SLACK_BOT_TOKEN", hide_env_values = true)]
    pub bot_token: Option<String>,
    /// App-level token, `xapp-…`, for Socket Mode.
    #[arg(long, env = "SLACK_APP_TOKEN", hide_env_values = true)]
    pub app_token: Option<String>,
    /// Base URL of the Slack Web API.
    #[arg(long, env = "SLACK_API_URL", default_value = DEFAULT_SLACK_API_URL, hide_env_values = true)]
    pub slack_api_url: String,
    /// Address to listen on.
    #[arg(long, env = "HIGHLIGHTS_LISTEN", default_value = DEFAULT_LISTEN, hide_env_values = true)]
    pub listen: String,
    /// Channel ID where highlights and digests go.
    #[arg(long, env = "HIGHLIGHTS_PRODUCT_CHANNEL", hide_env_values = true)]
    pub product_channel: Option<String>,
    /// Product areas a new workspace starts with, comma-separated.
    #[arg(long, env = "HIGHLIGHTS_DEFAULT_AREAS", hide_env_values = true)]
    pub default_areas: Option<String>,
    /// User IDs allowed to manage, comma-separated (unset: everyone).
    #[arg(long, env = "HIGHLIGHTS_MANAGERS", hide_env_values = true)]
    pub managers: Option<String>,
    /// Default onboarding targets, e.g. `interviews=20 feedback=100 tickets=50 days=30`.
    #[arg(long, env = "HIGHLIGHTS_ONBOARDING_TARGETS", hide_env_values = true)]
    pub onboarding_targets: Option<String>,
    /// Shared secret that signs helpdesk webhooks (`POST /webhooks/tickets`).
    #[arg(long, env = "HIGHLIGHTS_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Receive Slack's deliveries over Socket Mode (needs SLACK_APP_TOKEN); no public URL needed.
    #[arg(long)]
    pub socket_mode: bool,
    /// Keep background Slack calls within Slack's published rate limits: `on` (default), or `off` only against a
    /// stand-in for Slack that never limits (benchmarks).
    #[arg(long, env = "HIGHLIGHTS_SLACK_PACING", hide_env_values = true)]
    pub slack_pacing: Option<String>,
    /// Answer a signed command or interaction sent again within its 5-minute signing window without acting
    /// again: `on` (default), or `off` only for a load generator that sends one signed request over and over.
    #[arg(long, env = "HIGHLIGHTS_REPLAY_GUARD", hide_env_values = true)]
    pub replay_guard: Option<String>,
    /// OAuth: the app's Client ID (Basic Information page); with the secret, installs into any workspace.
    #[arg(long, env = "SLACK_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,
    /// OAuth: the app's Client Secret (Basic Information page).
    #[arg(long, env = "SLACK_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// OAuth: 32-byte key, base64, that encrypts stored bot tokens (`openssl rand -base64 32`).
    #[arg(long, env = "HIGHLIGHTS_TOKEN_KEY", hide_env_values = true)]
    pub token_key: Option<String>,
    /// OAuth: the key before the last rotation; still opens tokens while they are sealed again.
    #[arg(long, env = "HIGHLIGHTS_TOKEN_KEY_PREVIOUS", hide_env_values = true)]
    pub token_key_previous: Option<String>,
    /// OAuth: the app's public base URL (https://…); Slack sends installers back to its /slack/oauth_redirect.
    #[arg(long, env = "HIGHLIGHTS_PUBLIC_URL", hide_env_values = true)]
    pub public_url: Option<String>,
    /// The evidence library in the browser: `on` or `off` (default: on when HIGHLIGHTS_PUBLIC_URL is set).
    #[arg(long, env = "HIGHLIGHTS_WEB")]
    pub web: Option<String>,
}

/// `SLACK_API_URL` when unset.
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
/// `HIGHLIGHTS_LISTEN` when unset.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:3000";

/// What `serve` is given with nothing set: the command line's defaults (for
/// code that builds settings itself: tests, benchmarks).
impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            signing_secret: None,
            bot_token: None,
            app_token: None,
            slack_api_url: DEFAULT_SLACK_API_URL.to_owned(),
            listen: DEFAULT_LISTEN.to_owned(),
            product_channel: None,
            default_areas: None,
            managers: None,
            onboarding_targets: None,
            webhook_secret: None,
            socket_mode: false,
            slack_pacing: None,
            replay_guard: None,
            client_id: None,
            client_secret: None,
            token_key: None,
            token_key_previous: None,
            public_url: None,
            web: None,
        }
    }
}

impl fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeArgs")
            .field("signing_secret", &self.signing_secret.as_ref().map(|_| Secret::REDACTED))
            .field("bot_token", &self.bot_token.as_ref().map(|_| Secret::REDACTED))
            .field("app_token", &self.app_token.as_ref().map(|_| Secret::REDACTED))
            .field("slack_api_url", &self.slack_api_url)
            .field("listen", &self.listen)
            .field("product_channel", &self.product_channel)
            .field("default_areas", &self.default_areas)
            .field("managers", &self.managers)
            .field("onboarding_targets", &self.onboarding_targets)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| Secret::REDACTED))
            .field("socket_mode", &self.socket_mode)
            .field("slack_pacing", &self.slack_pacing)
            .field("replay_guard", &self.replay_guard)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| Secret::REDACTED))
            .field("token_key", &self.token_key.as_ref().map(|_| Secret::REDACTED))
            .field("token_key_previous", &self.token_key_previous.as_ref().map(|_| Secret::REDACTED))
            .field("public_url", &self.public_url)
            .field("web", &self.web)
            .finish()
    }
}

/// A secret value: usable by the code, invisible in `Debug`, `Display` and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    const REDACTED: &'static str = "[redacted]";

    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it (signing, auth headers).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::REDACTED)
    }
}

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
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self { variable, problem: problem.into() }
    }
}

/// The product areas a workspace starts with when `HIGHLIGHTS_DEFAULT_AREAS` is unset.
pub const BUILT_IN_AREAS: &[&str] = &[
    "onboarding",
    "chat",
    "email",
    "helpdesk",
    "automation",
    "integrations",
    "reporting",
    "billing",
    "mobile",
    "performance",
    "security",
    "other",
];

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
    pub product_channel: Option<String>,
    /// Product areas a new workspace starts with.
    pub default_areas: Vec<String>,
    /// Users allowed to manage; empty means everyone.
    pub managers: Vec<String>,
    /// Default onboarding targets.
    pub targets: Targets,
    /// Verifies helpdesk webhooks; the route answers 503 without it.
    pub webhook_secret: Option<Secret>,
    /// Timing of Slack calls and of the outbox (fixed in production, short in tests).
    /// Whether a signed request sent again is answered without acting again.
    pub replay_guard: bool,
    pub timing: Timing,
}

/// Onboarding targets: what a new product person does in their first `days`.
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

impl Default for Targets {
    fn default() -> Self {
        Self { interviews: 20, feedback: 100, tickets: 50, days: 30 }
    }
}

/// One onboarding target an enrollment may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `interviews=`.
    Interviews,
    /// `feedback=`.
    Feedback,
    /// `tickets=`.
    Tickets,
    /// `days=`.
    Days,
}

/// `key=value` words, read: each target set, with its number, in the order typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetOverrides(pub Vec<(Target, i64)>);

impl TargetOverrides {
    /// Reads `key=value` words (`interviews`, `feedback`, `tickets`, `days`),
    /// each a whole number from 1 to 10,000 (days: 1 to 366).
    pub fn parse(words: &str) -> Result<Self, String> {
        let mut read = Vec::new();
        for word in words.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()) {
            let Some((key, value)) = word.split_once('=') else {
                return Err(format!("expects key=value words such as interviews=20, not {word:?}"));
            };
            let n: i64 = value.trim().parse().map_err(|_| format!("{key}={value}: not a whole number"))?;
            let max = if key == "days" { 366 } else { 10_000 };
            if !(1..=max).contains(&n) {
                return Err(format!("{key}={value}: must be from 1 to {max}"));
            }
            let target = match key.trim().to_lowercase().as_str() {
                "interviews" => Target::Interviews,
                "feedback" => Target::Feedback,
                "tickets" => Target::Tickets,
                "days" => Target::Days,
                other => return Err(format!("unknown target {other:?} (interviews, feedback, tickets, days)")),
            };
            read.push((target, n));
        }
        Ok(Self(read))
    }
}

impl Targets {
    /// These targets with `overrides` applied, in order.
    pub fn with(mut self, overrides: &TargetOverrides) -> Self {
        for &(target, n) in &overrides.0 {
            match target {
                Target::Interviews => self.interviews = n,
                Target::Feedback => self.feedback = n,
                Target::Tickets => self.tickets = n,
                Target::Days => self.days = n,
            }
        }
        self
    }

    /// Applies `key=value` words (see [`TargetOverrides::parse`]).
    pub fn with_overrides(self, words: &str) -> Result<Self, String> {
        Ok(self.with(&TargetOverrides::parse(words)?))
    }
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

impl Config {
    /// Validates the raw settings of `serve`; the error names the first bad variable.
    pub fn from_args(database_url: &str, args: &ServeArgs) -> Result<Self, ConfigError> {
        let database_url = DatabaseUrl::parse(database_url)?;
        let signing_secret = match args.signing_secret.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(ConfigError::new(
                    "SLACK_SIGNING_SECRET",
                    "is not set: copy the Signing Secret from your Slack app's Basic Information page into .env",
                ))
            }
            Some(s) => match tokens::signing_secret_problem(s) {
                Some(problem) => return Err(ConfigError::new("SLACK_SIGNING_SECRET", problem)),
                None => Secret::new(s),
            },
        };
        let oauth = OAuth::from_args(args)?;
        let web = Web::from_args(args)?;
        let bot_token = match args.bot_token.as_deref().map(str::trim) {
            None | Some("") if oauth.is_some() => None,
            None | Some("") => {
                return Err(ConfigError::new(
                    "SLACK_BOT_TOKEN",
                    "is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page into .env (or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install by OAuth)",
                ))
            }
            Some(t) => match tokens::token_problem(t, "xoxb-", "a bot token", "the OAuth & Permissions page of your Slack app") {
                Some(problem) => return Err(ConfigError::new("SLACK_BOT_TOKEN", problem)),
                None => Some(Secret::new(t)),
            },
        };
        let app_token = match args.app_token.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => match tokens::token_problem(
                t,
                "xapp-",
                "an app-level token",
                "your Slack app's Basic Information page, App-Level Tokens",
            ) {
                Some(problem) => return Err(ConfigError::new("SLACK_APP_TOKEN", problem)),
                None => Some(Secret::new(t)),
            },
        };
        if args.socket_mode && app_token.is_none() {
            return Err(ConfigError::new(
                "SLACK_APP_TOKEN",
                "is needed for --socket-mode: create an app-level token with the connections:write scope (Basic Information page) and put it in .env",
            ));
        }
        let slack_api_url = parse_api_url(&args.slack_api_url)?;
        let listen = args.listen.trim().parse::<SocketAddr>().map_err(|_| {
            ConfigError::new(
                "HIGHLIGHTS_LISTEN",
                format!("is not an address to listen on: {:?} (expected host:port, e.g. 0.0.0.0:3000)", args.listen),
            )
        })?;
        let product_channel = match args.product_channel.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) if is_channel_id(c) => Some(c.to_owned()),
            Some(c) => {
                return Err(ConfigError::new(
                    "HIGHLIGHTS_PRODUCT_CHANNEL",
                    format!("must be a channel ID such as C0123ABCD, not {c:?} (right-click the channel, View channel details, copy the ID at the bottom)"),
                ))
            }
        };
        let default_areas = match args.default_areas.as_deref() {
            None => BUILT_IN_AREAS.iter().map(|a| (*a).to_owned()).collect(),
            Some(list) => parse_area_list(list)?,
        };
        let managers = match args.managers.as_deref() {
            None => Vec::new(),
            Some(list) => parse_user_list(list)?,
        };
        let targets = match args.onboarding_targets.as_deref() {
            None => Targets::default(),
            Some(raw) => Targets::default()
                .with_overrides(raw)
                .map_err(|e| ConfigError::new("HIGHLIGHTS_ONBOARDING_TARGETS", e))?,
        };
        let webhook_secret = args.webhook_secret.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(Secret::new);
        let slack_pacing = match args.slack_pacing.as_deref().map(str::trim) {
            None | Some("") | Some("on") => 1,
            Some("off") => 0,
            Some(_) => return Err(ConfigError::new("HIGHLIGHTS_SLACK_PACING", "must be on or off")),
        };
        let replay_guard = match args.replay_guard.as_deref().map(str::trim) {
            None | Some("") | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(ConfigError::new("HIGHLIGHTS_REPLAY_GUARD", "must be on or off")),
        };
        Ok(Self {
            database_url,
            signing_secret,
            bot_token,
            oauth,
            web,
            app_token,
            socket_mode: args.socket_mode,
            slack_api_url,
            listen,
            product_channel,
            default_areas,
            managers,
            targets,
            webhook_secret,
            replay_guard,
            timing: Timing { slack_pacing, ..Timing::default() },
        })
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

impl OAuth {
    /// OAuth is on when `SLACK_CLIENT_ID` or `SLACK_CLIENT_SECRET` is set; then
    /// every OAuth variable must be set and well formed.
    fn from_args(args: &ServeArgs) -> Result<Option<Self>, ConfigError> {
        let set = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (client_id, client_secret) = match (set(&args.client_id), set(&args.client_secret)) {
            (None, None) => return Ok(None),
            (Some(_), Some(secret)) if tokens::looks_like_placeholder(&secret) => {
                return Err(ConfigError::new(
                    "SLACK_CLIENT_SECRET",
                    "looks like a placeholder: copy the Client Secret from your Slack app's Basic Information page into .env",
                ))
            }
            (Some(id), Some(secret)) => (id, Secret::new(secret)),
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "SLACK_CLIENT_ID",
                    "is not set, but SLACK_CLIENT_SECRET is: copy the Client ID from your Slack app's Basic Information page (or unset both for single-workspace mode)",
                ))
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "SLACK_CLIENT_SECRET",
                    "is not set, but SLACK_CLIENT_ID is: copy the Client Secret from your Slack app's Basic Information page (or unset both for single-workspace mode)",
                ))
            }
        };
        if !client_id.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ConfigError::new(
                "SLACK_CLIENT_ID",
                "must be the Client ID from your Slack app's Basic Information page (such as 1234567890.1234567890)",
            ));
        }
        let current =
            match set(&args.token_key) {
                None => return Err(ConfigError::new(
                    "HIGHLIGHTS_TOKEN_KEY",
                    "is needed with OAuth (it encrypts stored bot tokens): generate one with `openssl rand -base64 32`",
                )),
                Some(key) => crate::config::sealed::TokenKey::from_base64(&key)
                    .map_err(|problem| ConfigError::new("HIGHLIGHTS_TOKEN_KEY", problem))?,
            };
        let previous = set(&args.token_key_previous)
            .map(|key| crate::config::sealed::TokenKey::from_base64(&key))
            .transpose()
            .map_err(|problem| ConfigError::new("HIGHLIGHTS_TOKEN_KEY_PREVIOUS", problem))?;
        let base = parse_public_url(set(&args.public_url).as_deref(), "is needed with OAuth")?;
        Ok(Some(Self {
            client_id,
            client_secret,
            keys: crate::config::sealed::TokenKeys { current, previous },
            redirect_uri: format!("{base}/slack/oauth_redirect"),
        }))
    }
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
fn parse_public_url(raw: Option<&str>, needed: &str) -> Result<String, ConfigError> {
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
    /// `HIGHLIGHTS_WEB`: `on` or `off`, by default on when
    /// `HIGHLIGHTS_PUBLIC_URL` is set; on, it needs the public URL.
    fn from_args(args: &ServeArgs) -> Result<Option<Self>, ConfigError> {
        let set = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let public_url = set(&args.public_url);
        let on = match set(&args.web).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => public_url.is_some(),
            Some("on") => true,
            Some("off") => false,
            Some(_) => {
                return Err(ConfigError::new(
                    "HIGHLIGHTS_WEB",
                    format!("must be on or off, not {:?}", args.web.as_deref().unwrap_or_default()),
                ))
            }
        };
        if !on {
            return Ok(None);
        }
        let public_url = parse_public_url(public_url.as_deref(), "is needed with HIGHLIGHTS_WEB=on")?;
        let secure = public_url.starts_with("https://");
        let sign_in_with_slack = set(&args.client_id).is_some() && set(&args.client_secret).is_some();
        Ok(Some(Self { public_url, secure, sign_in_with_slack }))
    }

    /// The library's address of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

fn parse_api_url(raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => Ok(trimmed.to_owned()),
        _ => Err(ConfigError::new(
            "SLACK_API_URL",
            format!("must be an http(s) URL such as https://slack.com/api, not {raw:?}"),
        )),
    }
}

fn is_channel_id(s: &str) -> bool {
    s.len() >= 9
        && matches!(s.as_bytes()[0], b'C' | b'G')
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn is_user_id(s: &str) -> bool {
    s.len() >= 9
        && matches!(s.as_bytes()[0], b'U' | b'W')
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn parse_area_list(list: &str) -> Result<Vec<String>, ConfigError> {
    let mut areas: Vec<String> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.chars().count() > 50 {
            return Err(ConfigError::new(
                "HIGHLIGHTS_DEFAULT_AREAS",
                format!("has an area name over 50 characters: {name:?}"),
            ));
        }
        if !areas.iter().any(|a| a.eq_ignore_ascii_case(name)) {
            areas.push(name.to_owned());
        }
    }
    if areas.is_empty() {
        return Err(ConfigError::new(
            "HIGHLIGHTS_DEFAULT_AREAS",
            "names no area: give a comma-separated list such as chat,billing,reporting, or unset it for the built-in set",
        ));
    }
    Ok(areas)
}

fn parse_user_list(list: &str) -> Result<Vec<String>, ConfigError> {
    let mut users = Vec::new();
    for id in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !is_user_id(id) {
            return Err(ConfigError::new(
                "HIGHLIGHTS_MANAGERS",
                format!("must list Slack user IDs such as U0123ABCD, comma-separated; {id:?} is not one (profile, ⋮, Copy member ID)"),
            ));
        }
        users.push(id.to_owned());
    }
    Ok(users)
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

    fn args() -> ServeArgs {
        ServeArgs {
            signing_secret: Some("s3cr3t0123456789abcdef".into()),
            bot_token: Some("xoxb-1111-2222-abcdef".into()),
            slack_api_url: "https://slack.com/api/".into(),
            listen: "127.0.0.1:3000".into(),
            ..ServeArgs::default()
        }
    }

    const KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    fn oauth_args() -> ServeArgs {
        ServeArgs {
            bot_token: None,
            client_id: Some("1234.5678".into()),
            client_secret: Some("c1ient-s3cret".into()),
            token_key: Some(KEY.into()),
            public_url: Some("https://highlights.example.com/".into()),
            ..args()
        }
    }

    #[test]
    fn the_web_library_follows_the_public_url_unless_told() {
        let web = |public: Option<&str>, web: Option<&str>| {
            let mut a = args();
            a.public_url = public.map(str::to_owned);
            a.web = web.map(str::to_owned);
            Config::from_args("sqlite://x.db", &a).map(|c| c.web).map_err(|e| e.variable)
        };
        assert_eq!(web(None, None), Ok(None));
        let on = web(Some("https://h.example.com/"), None).expect("valid").expect("on");
        assert_eq!((on.url("/customers").as_str(), on.secure), ("https://h.example.com/customers", true));
        assert!(!web(Some("http://127.0.0.1:3000"), Some("ON")).expect("valid").expect("on").secure);
        assert_eq!(web(Some("https://h.example.com"), Some("off")), Ok(None));
        assert_eq!(web(Some("https://h.example.com"), Some("yes")), Err("HIGHLIGHTS_WEB"));
        assert_eq!(web(None, Some("on")), Err("HIGHLIGHTS_PUBLIC_URL"));
        assert_eq!(web(Some("h.example.com"), None), Err("HIGHLIGHTS_PUBLIC_URL"));
    }

    #[test]
    fn oauth_needs_its_four_settings_and_then_no_bot_token() {
        let c = Config::from_args("sqlite://x.db", &oauth_args()).expect("valid");
        let oauth = c.oauth.expect("OAuth on");
        assert_eq!(oauth.redirect_uri, "https://highlights.example.com/slack/oauth_redirect");
        assert_eq!(c.bot_token, None);
        assert!(Config::from_args("sqlite://x.db", &args()).expect("valid").oauth.is_none(), "off without a client");
        let oauth_error = |change: fn(&mut ServeArgs)| {
            let mut a = oauth_args();
            change(&mut a);
            Config::from_args("sqlite://x.db", &a).expect_err("refused").variable
        };
        assert_eq!(oauth_error(|a| a.client_id = None), "SLACK_CLIENT_ID");
        assert_eq!(oauth_error(|a| a.client_secret = None), "SLACK_CLIENT_SECRET");
        assert_eq!(oauth_error(|a| a.token_key = None), "HIGHLIGHTS_TOKEN_KEY");
        assert_eq!(oauth_error(|a| a.token_key = Some("c2hvcnQ=".into())), "HIGHLIGHTS_TOKEN_KEY");
        assert_eq!(oauth_error(|a| a.token_key_previous = Some("%%".into())), "HIGHLIGHTS_TOKEN_KEY_PREVIOUS");
        assert_eq!(oauth_error(|a| a.public_url = None), "HIGHLIGHTS_PUBLIC_URL");
        assert_eq!(oauth_error(|a| a.public_url = Some("highlights.example.com".into())), "HIGHLIGHTS_PUBLIC_URL");
        assert_eq!(oauth_error(|a| a.bot_token = Some("xoxp-user".into())), "SLACK_BOT_TOKEN");
        let shown = format!("{:?} {:?}", Config::from_args("sqlite://x.db", &oauth_args()), oauth_args());
        assert!(!shown.contains("c1ient-s3cret") && !shown.contains(KEY), "{shown}");
    }

    fn error_for(change: impl FnOnce(&mut ServeArgs)) -> ConfigError {
        let mut a = args();
        change(&mut a);
        Config::from_args("sqlite://x.db", &a).expect_err("config should be refused")
    }

    #[test]
    fn valid_settings_are_accepted_with_defaults() {
        let c = Config::from_args("sqlite://x.db", &args()).expect("valid");
        assert_eq!(c.slack_api_url, "https://slack.com/api");
        assert_eq!(c.default_areas.len(), BUILT_IN_AREAS.len());
        assert!(c.managers.is_empty());
        assert_eq!(c.timing.slack_pacing, 1, "paced at Slack's budgets unless turned off");
        let off = ServeArgs { slack_pacing: Some("off".into()), ..args() };
        assert_eq!(Config::from_args("sqlite://x.db", &off).expect("valid").timing.slack_pacing, 0);
        assert!(c.replay_guard, "replays refused unless turned off");
        let unguarded = ServeArgs { replay_guard: Some("off".into()), ..args() };
        assert!(!Config::from_args("sqlite://x.db", &unguarded).expect("valid").replay_guard);
        let bad = ServeArgs { replay_guard: Some("maybe".into()), ..args() };
        assert_eq!(Config::from_args("sqlite://x.db", &bad).expect_err("refused").variable, "HIGHLIGHTS_REPLAY_GUARD");
    }

    #[test]
    fn each_bad_setting_names_its_variable() {
        assert_eq!(error_for(|a| a.signing_secret = None).variable, "SLACK_SIGNING_SECRET");
        assert_eq!(error_for(|a| a.signing_secret = Some("  ".into())).variable, "SLACK_SIGNING_SECRET");
        assert_eq!(error_for(|a| a.bot_token = None).variable, "SLACK_BOT_TOKEN");
        assert_eq!(error_for(|a| a.bot_token = Some("xoxp-user".into())).variable, "SLACK_BOT_TOKEN");
        assert_eq!(error_for(|a| a.app_token = Some("xoxb-1".into())).variable, "SLACK_APP_TOKEN");
        assert_eq!(error_for(|a| a.socket_mode = true).variable, "SLACK_APP_TOKEN");
        assert_eq!(error_for(|a| a.slack_api_url = "ftp://x".into()).variable, "SLACK_API_URL");
        assert_eq!(error_for(|a| a.listen = "3000".into()).variable, "HIGHLIGHTS_LISTEN");
        assert_eq!(error_for(|a| a.product_channel = Some("#product".into())).variable, "HIGHLIGHTS_PRODUCT_CHANNEL");
        assert_eq!(error_for(|a| a.default_areas = Some(" , ".into())).variable, "HIGHLIGHTS_DEFAULT_AREAS");
        assert_eq!(error_for(|a| a.managers = Some("alice".into())).variable, "HIGHLIGHTS_MANAGERS");
        assert_eq!(error_for(|a| a.slack_pacing = Some("fast".into())).variable, "HIGHLIGHTS_SLACK_PACING");
        assert_eq!(
            error_for(|a| a.onboarding_targets = Some("interviews=0".into())).variable,
            "HIGHLIGHTS_ONBOARDING_TARGETS"
        );
        let db = Config::from_args("mysql://x", &args()).expect_err("mysql refused");
        assert_eq!(db.variable, "DATABASE_URL");
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("JSON")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse(Some("yaml")).expect_err("refused").variable, "HIGHLIGHTS_LOG_FORMAT");
    }

    #[test]
    fn default_areas_are_trimmed_and_deduplicated() {
        let mut a = args();
        a.default_areas = Some(" Chat, billing ,chat,,Reporting".into());
        let c = Config::from_args("sqlite://x.db", &a).expect("valid");
        assert_eq!(c.default_areas, vec!["Chat", "billing", "Reporting"]);
    }

    #[test]
    fn targets_take_overrides_and_refuse_nonsense() {
        let t = Targets::default().with_overrides("interviews=10, days=14").expect("valid");
        assert_eq!(t, Targets { interviews: 10, feedback: 100, tickets: 50, days: 14 });
        assert!(Targets::default().with_overrides("interviews=-1").is_err());
        assert!(Targets::default().with_overrides("days=400").is_err());
        assert!(Targets::default().with_overrides("calls=3").is_err());
        assert!(Targets::default().with_overrides("interviews").is_err());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c = Config::from_args("sqlite://x.db", &args()).expect("valid");
        let shown = format!("{c:?} {:?}", args());
        assert!(!shown.contains("s3cr3t0123456789abcdef"), "{shown}");
        assert!(!shown.contains("xoxb-1111-2222-abcdef"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
