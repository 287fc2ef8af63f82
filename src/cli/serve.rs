//! The settings of `highlights serve` (and `doctor`): read by clap from the
//! command line, the environment or `.env` as raw text, secrets straight into
//! a [`Secret`], then checked once by [`Config::from_args`] into the typed
//! [`Config`] the app runs with, so that every mistake gets one line naming
//! its variable (docs/design.md, Configuration).

use std::net::SocketAddr;

use clap::Args;

use crate::areas::BUILT_IN_AREAS;
use crate::config::sealed::{TokenKey, TokenKeys};
use crate::config::{
    parse_api_url, parse_public_url, tokens, Config, ConfigError, DatabaseUrl, OAuth, Secret, Timing, Web,
};
use crate::ids::{ChannelId, UserId};
use crate::quotas::targets::BUILT_IN_TARGETS;

/// `SLACK_API_URL` when unset.
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
/// `HIGHLIGHTS_LISTEN` when unset.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:3000";

/// Settings of `highlights serve`, as typed; [`ServeArgs::default`] is
/// nothing set (for code that builds settings itself: tests, benchmarks),
/// where an empty address means the default one.
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Signing secret of the Slack app (Basic Information page).
    #[arg(long, env = "SLACK_SIGNING_SECRET", hide_env_values = true)]
    pub signing_secret: Option<Secret>,
    /// Bot token, `xoxb-…` (OAuth & Permissions page).
    #[arg(long, env = "SLACK_BOT_TOKEN", hide_env_values = true)]
    pub bot_token: Option<Secret>,
    /// App-level token, `xapp-…`, for Socket Mode.
    #[arg(long, env = "SLACK_APP_TOKEN", hide_env_values = true)]
    pub app_token: Option<Secret>,
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
    pub webhook_secret: Option<Secret>,
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
    pub client_secret: Option<Secret>,
    /// OAuth: 32-byte key, base64, that encrypts stored bot tokens (`openssl rand -base64 32`).
    #[arg(long, env = "HIGHLIGHTS_TOKEN_KEY", hide_env_values = true)]
    pub token_key: Option<Secret>,
    /// OAuth: the key before the last rotation; still opens tokens while they are sealed again.
    #[arg(long, env = "HIGHLIGHTS_TOKEN_KEY_PREVIOUS", hide_env_values = true)]
    pub token_key_previous: Option<Secret>,
    /// OAuth: the app's public base URL (https://…); Slack sends installers back to its /slack/oauth_redirect.
    #[arg(long, env = "HIGHLIGHTS_PUBLIC_URL", hide_env_values = true)]
    pub public_url: Option<String>,
    /// The evidence library in the browser: `on` or `off` (default: on when HIGHLIGHTS_PUBLIC_URL is set).
    #[arg(long, env = "HIGHLIGHTS_WEB")]
    pub web: Option<String>,
}

/// A setting's text, trimmed; none when unset or blank.
fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A secret's text, trimmed; none when unset or blank.
fn set_secret(value: &Option<Secret>) -> Option<&str> {
    value.as_ref().map(|s| s.expose().trim()).filter(|v| !v.is_empty())
}

impl Config {
    /// Validates the raw settings of `serve`; the error names the first bad
    /// variable. (Here, beside the settings it reads, rather than in
    /// `config`, which knows nothing of the command line or of features.)
    pub fn from_args(database_url: &str, args: &ServeArgs) -> Result<Self, ConfigError> {
        let database_url = DatabaseUrl::parse(database_url)?;
        let signing_secret = match set_secret(&args.signing_secret) {
            None => {
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
        let oauth = oauth_from_args(args)?;
        let web = web_from_args(args)?;
        let bot_token = match set_secret(&args.bot_token) {
            None if oauth.is_some() => None,
            None => {
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
        let app_token = match set_secret(&args.app_token) {
            None => None,
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
        let slack_api_url = parse_api_url(or_default(&args.slack_api_url, DEFAULT_SLACK_API_URL))?;
        let listen_raw = or_default(&args.listen, DEFAULT_LISTEN);
        let listen = listen_raw.trim().parse::<SocketAddr>().map_err(|_| {
            ConfigError::new(
                "HIGHLIGHTS_LISTEN",
                format!("is not an address to listen on: {listen_raw:?} (expected host:port, e.g. 0.0.0.0:3000)"),
            )
        })?;
        let product_channel = match set(&args.product_channel) {
            None => None,
            Some(c) => match ChannelId::parse(c) {
                Ok(channel) => Some(channel),
                Err(_) => return Err(ConfigError::new(
                    "HIGHLIGHTS_PRODUCT_CHANNEL",
                    format!("must be a channel ID such as C0123ABCD, not {c:?} (right-click the channel, View channel details, copy the ID at the bottom)"),
                )),
            },
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
            None => BUILT_IN_TARGETS,
            Some(raw) => BUILT_IN_TARGETS
                .with_overrides(raw)
                .map_err(|e| ConfigError::new("HIGHLIGHTS_ONBOARDING_TARGETS", e))?,
        };
        let webhook_secret = set_secret(&args.webhook_secret).map(Secret::new);
        let slack_pacing = match set(&args.slack_pacing) {
            None | Some("on") => 1,
            Some("off") => 0,
            Some(_) => return Err(ConfigError::new("HIGHLIGHTS_SLACK_PACING", "must be on or off")),
        };
        let replay_guard = match set(&args.replay_guard) {
            None | Some("on") => true,
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

/// `value`, or `default` when it is empty ([`ServeArgs::default`]; clap
/// fills in the default itself).
fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() {
        default
    } else {
        value
    }
}

/// OAuth is on when `SLACK_CLIENT_ID` or `SLACK_CLIENT_SECRET` is set; then
/// every OAuth variable must be set and well formed.
fn oauth_from_args(args: &ServeArgs) -> Result<Option<OAuth>, ConfigError> {
    let (client_id, client_secret) = match (set(&args.client_id), set_secret(&args.client_secret)) {
        (None, None) => return Ok(None),
        (Some(_), Some(secret)) if tokens::looks_like_placeholder(secret) => {
            return Err(ConfigError::new(
                "SLACK_CLIENT_SECRET",
                "looks like a placeholder: copy the Client Secret from your Slack app's Basic Information page into .env",
            ))
        }
        (Some(id), Some(secret)) => (id.to_owned(), Secret::new(secret)),
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
    let current = match set_secret(&args.token_key) {
        None => {
            return Err(ConfigError::new(
                "HIGHLIGHTS_TOKEN_KEY",
                "is needed with OAuth (it encrypts stored bot tokens): generate one with `openssl rand -base64 32`",
            ))
        }
        Some(key) => TokenKey::from_base64(key).map_err(|problem| ConfigError::new("HIGHLIGHTS_TOKEN_KEY", problem))?,
    };
    let previous = set_secret(&args.token_key_previous)
        .map(TokenKey::from_base64)
        .transpose()
        .map_err(|problem| ConfigError::new("HIGHLIGHTS_TOKEN_KEY_PREVIOUS", problem))?;
    let base = parse_public_url(set(&args.public_url), "is needed with OAuth")?;
    Ok(Some(OAuth {
        client_id,
        client_secret,
        keys: TokenKeys { current, previous },
        redirect_uri: format!("{base}/slack/oauth_redirect"),
    }))
}

/// `HIGHLIGHTS_WEB`: `on` or `off`, by default on when
/// `HIGHLIGHTS_PUBLIC_URL` is set; on, it needs the public URL.
fn web_from_args(args: &ServeArgs) -> Result<Option<Web>, ConfigError> {
    let public_url = set(&args.public_url);
    let on = match set(&args.web).map(str::to_ascii_lowercase).as_deref() {
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
    let public_url = parse_public_url(public_url, "is needed with HIGHLIGHTS_WEB=on")?;
    let secure = public_url.starts_with("https://");
    let sign_in_with_slack = set(&args.client_id).is_some() && set_secret(&args.client_secret).is_some();
    Ok(Some(Web { public_url, secure, sign_in_with_slack }))
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

fn parse_user_list(list: &str) -> Result<Vec<UserId>, ConfigError> {
    let mut users = Vec::new();
    for id in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match UserId::parse(id) {
            Ok(user) => users.push(user),
            Err(_) => return Err(ConfigError::new(
                "HIGHLIGHTS_MANAGERS",
                format!("must list Slack user IDs such as U0123ABCD, comma-separated; {id:?} is not one (profile, ⋮, Copy member ID)"),
            )),
        }
    }
    Ok(users)
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
    fn default_areas_are_trimmed_and_deduplicated() {
        let mut a = args();
        a.default_areas = Some(" Chat, billing ,chat,,Reporting".into());
        let c = Config::from_args("sqlite://x.db", &a).expect("valid");
        assert_eq!(c.default_areas, vec!["Chat", "billing", "Reporting"]);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let previous_key = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
        let all = ServeArgs {
            bot_token: Some("xoxb-1111-2222-abcdef".into()),
            app_token: Some("xapp-1-A111-2222-abcdef".into()),
            webhook_secret: Some("w3bhook-s3cret".into()),
            token_key_previous: Some(previous_key.into()),
            ..oauth_args()
        };
        let config = Config::from_args("sqlite://x.db", &all).expect("valid");
        assert!(config.oauth.is_some() && config.app_token.is_some() && config.webhook_secret.is_some());
        let shown = format!("{config:?} {all:?}");
        for secret in [
            "s3cr3t0123456789abcdef",
            "xoxb-1111-2222-abcdef",
            "xapp-1-A111-2222-abcdef",
            "w3bhook-s3cret",
            "c1ient-s3cret",
        ] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        assert!(!shown.contains(KEY) && !shown.contains(previous_key), "{shown}");
        assert!(!shown.contains("AQEBAQ") && !shown.contains("[1, 1, 1"), "a key's bytes: {shown}");
        assert!(shown.contains("[redacted]"));
    }
}
