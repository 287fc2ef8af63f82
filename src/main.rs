//! The `highlights` binary: parse the command line, load the configuration, run.

use std::process::ExitCode;

use clap::Parser as _;
use highlights::app::Clock;
use highlights::application::Application;
use highlights::cli::{Cli, Command, CustomersCommand, WorkspaceCommand};
use highlights::config::{Config, DatabaseUrl, LogFormat};
use highlights::store::Db;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("error: cannot read .env: {e}");
            return ExitCode::from(2);
        }
    }
    let cli = Cli::parse();
    let format = match LogFormat::parse(cli.log_format.as_deref()) {
        Ok(format) => format,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("highlights=info,warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(if e.is::<highlights::config::ConfigError>() { 2 } else { 1 })
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = Config::from_args(&cli.database_url, &args)?;
            Application::build(config, Clock::system()).await?.run_until_stopped(shutdown_signal()).await
        }
        Command::Customers { command: CustomersCommand::Import { file, workspace } } => {
            let url = DatabaseUrl::parse(&cli.database_url)?;
            let db = Db::connect_and_migrate(url.as_str()).await?;
            let result = highlights::cli::import_customers(&db, &file, workspace.as_deref()).await;
            db.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::Customers { command: CustomersCommand::Forget { workspace, name, yes } } => {
            let db = Db::connect_existing(DatabaseUrl::parse(&cli.database_url)?.as_str()).await?;
            let result = highlights::cli::forget_customer(&db, &workspace, &name, yes).await;
            db.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::Workspace { command } => {
            let db = Db::connect_existing(DatabaseUrl::parse(&cli.database_url)?.as_str()).await?;
            let result = match command {
                WorkspaceCommand::List => highlights::cli::list_workspaces(&db).await,
                WorkspaceCommand::Delete { workspace, yes } => {
                    highlights::cli::delete_workspace(&db, &workspace, yes).await
                }
            };
            db.close().await;
            println!("{}", result?.trim_end());
            Ok(())
        }
        Command::Digest { print: _, since, workspace } => {
            let db = Db::connect_existing(DatabaseUrl::parse(&cli.database_url)?.as_str()).await?;
            let result = highlights::cli::print_digest(&db, workspace.as_deref(), since.as_deref()).await;
            db.close().await;
            print!("{}", result?);
            Ok(())
        }
        Command::Report { user, format, workspace } => {
            let db = Db::connect_existing(DatabaseUrl::parse(&cli.database_url)?.as_str()).await?;
            let result = highlights::cli::print_report(&db, workspace.as_deref(), &user, &format).await;
            db.close().await;
            print!("{}", result?);
            Ok(())
        }
        Command::Export { format, since, workspace } => {
            let db = Db::connect_existing(DatabaseUrl::parse(&cli.database_url)?.as_str()).await?;
            let stdout = std::io::stdout().lock();
            let result = highlights::cli::export(&db, workspace.as_deref(), &format, since.as_deref(), stdout).await;
            db.close().await;
            let n = result?;
            eprintln!("exported {}", highlights::slack::mrkdwn::count(n as i64, "highlight", "highlights"));
            Ok(())
        }
        Command::Backup { file } => {
            let db = Db::connect_existing(DatabaseUrl::parse(&cli.database_url)?.as_str()).await?;
            let result = highlights::cli::backup(&db, &file).await;
            db.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::Healthcheck { url, listen } => {
            println!("{}", highlights::cli::healthcheck(url.as_deref(), &listen).await?);
            Ok(())
        }
        Command::Manifest { public_url, socket_mode } => {
            print!("{}", highlights::cli::manifest(public_url.as_deref(), socket_mode)?);
            Ok(())
        }
        Command::Doctor(args) => {
            let findings = highlights::doctor::run(&cli.database_url, &args).await;
            for finding in &findings {
                println!("{finding}");
            }
            if highlights::doctor::failed(&findings) {
                anyhow::bail!("doctor found something to fix (the lines marked FAIL)");
            }
            Ok(())
        }
        Command::Migrate => {
            let url = DatabaseUrl::parse(&cli.database_url)?;
            let db = Db::connect(url.as_str()).await?;
            db.migrate().await?;
            let applied = db.migrator().iter().count();
            println!("database is up to date ({applied} migrations, {:?})", db.backend());
            db.close().await;
            Ok(())
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
