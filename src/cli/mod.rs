//! The `highlights` command line: what clap reads ([`Cli`], its
//! subcommands, and [`ServeArgs`], the settings of `serve`) and what each
//! subcommand does without Slack (`digest`, `report`, `export`, `backup`,
//! `workspace`, `customers`, `manifest`, `healthcheck`). The app itself runs
//! on the [`crate::config::Config`] that [`serve`] builds from its settings.

mod actions;
pub mod serve;

use clap::{Parser, Subcommand};

pub use actions::{
    backup, delete_workspace, export, forget_customer, healthcheck, import_customers, list_workspaces, manifest,
    pick_workspace, print_digest, print_report, spreadsheet_safe, write_export,
};
pub use serve::ServeArgs;

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
        #[arg(long, env = "HIGHLIGHTS_LISTEN", default_value = serve::DEFAULT_LISTEN, hide_env_values = true)]
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn secrets_typed_on_the_command_line_are_kept_redacted() {
        let cli = Cli::try_parse_from([
            "highlights",
            "serve",
            "--signing-secret",
            "s3cr3t0123456789abcdef",
            "--bot-token",
            "xoxb-1111-2222-abcdef",
            "--client-secret",
            "c1ient-s3cret",
        ])
        .expect("parsed");
        let shown = format!("{cli:?}");
        assert!(!shown.contains("s3cr3t0123456789abcdef") && !shown.contains("xoxb-1111") && !shown.contains("c1ient"));
        let Command::Serve(args) = cli.command else { panic!("serve: {shown}") };
        assert_eq!(args.signing_secret.as_ref().map(|s| s.expose()), Some("s3cr3t0123456789abcdef"));
        assert_eq!(args.client_secret.as_ref().map(|s| s.expose()), Some("c1ient-s3cret"));
    }
}
