//! The subcommands that work on the database without Slack: `digest --print`,
//! `report`, `export` and `customers import`. Each returns what to print.

use std::io::Write;

use anyhow::{bail, Context as _};

use crate::digests::{gather, render_digest_markdown};
use crate::domain::highlight::parse_date;
use crate::reports::{render_report_json, render_report_markdown};
use crate::store::workspaces::{find_workspace, list_workspace_ids, WorkspaceId};
use crate::store::Db;

/// The workspace named, or the only one.
pub async fn pick_workspace(db: &Db, named: Option<&str>) -> anyhow::Result<WorkspaceId> {
    let workspace = match named.map(str::trim).filter(|n| !n.is_empty()) {
        Some(id) => WorkspaceId(id.to_owned()),
        None => match list_workspace_ids(db).await?.as_slice() {
            [only] => WorkspaceId(only.clone()),
            [] => bail!("the database has no workspace yet: install the app and use it once, or pass --workspace T…"),
            many => bail!("the database has several workspaces ({}): pass --workspace T…", many.join(", ")),
        },
    };
    if find_workspace(db, &workspace).await?.is_none() {
        bail!(
            "no workspace {} in the database (known: {})",
            workspace.as_str(),
            list_workspace_ids(db).await?.join(", ")
        );
    }
    Ok(workspace)
}

/// Imports a file into a workspace (the only one, when not named); returns
/// the summary to print.
pub async fn import_customers(db: &Db, file: &std::path::Path, workspace: Option<&str>) -> anyhow::Result<String> {
    let input = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let rows = crate::customers::import::parse_customers_csv(input).map_err(|problems| {
        anyhow::anyhow!(
            "{} has {} problem(s); nothing was imported:\n  {}",
            file.display(),
            problems.len(),
            problems.join("\n  ")
        )
    })?;
    let workspace = pick_workspace(db, workspace).await?;
    let now = jiff::Timestamp::now().as_second() * 1000;
    let (created, updated) = db
        .write(async |tx| crate::store::customers::upsert_imported_customers(tx, &workspace, &rows, now).await)
        .await?;
    Ok(format!("imported {} customers into {}: {created} new, {updated} updated", rows.len(), workspace.as_str()))
}

fn start_of(date: &str) -> anyhow::Result<jiff::civil::Date> {
    parse_date(date).with_context(|| format!("--since {date:?} is not a date like 2026-11-01"))
}

fn ms(date: jiff::civil::Date) -> i64 {
    crate::app::zone::local_midnight_ms(&jiff::tz::TimeZone::UTC, date)
}

/// `highlights workspace delete T…`: what would be deleted, or with `yes`
/// deletes it, every row in one transaction.
pub async fn delete_workspace(db: &Db, workspace: &str, yes: bool) -> anyhow::Result<String> {
    let workspace = pick_workspace(db, Some(workspace)).await?;
    let counts = crate::store::workspaces::count_workspace_rows(db, &workspace).await?;
    let listed = counts.iter().map(|(table, n)| format!("{n} {table}")).collect::<Vec<_>>().join(", ");
    let listed = if listed.is_empty() { "no rows besides the workspace itself".to_owned() } else { listed };
    if !yes {
        return Ok(format!(
            "Workspace {} holds {listed}.\nNothing was deleted: run again with --yes to delete all of it for good \
             (uninstall the app from the workspace first, or its next request starts it afresh).",
            workspace.as_str()
        ));
    }
    db.write(async |tx| crate::store::workspaces::delete_workspace(tx, &workspace).await).await?;
    Ok(format!("Workspace {} deleted: {listed}.", workspace.as_str()))
}

/// `highlights workspace list`: each workspace, whether it is installed, and
/// how much it holds.
pub async fn list_workspaces(db: &Db) -> anyhow::Result<String> {
    let mut out = String::new();
    for id in list_workspace_ids(db).await? {
        let workspace = WorkspaceId(id);
        let counts = crate::store::workspaces::count_workspace_rows(db, &workspace).await?;
        let count = |table: &str| counts.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n);
        let uninstalled =
            crate::store::workspaces::list_uninstalled_among(db, std::slice::from_ref(&workspace)).await?;
        out.push_str(&format!(
            "{}\t{}\t{} highlights\t{} customers\n",
            workspace.as_str(),
            if uninstalled.is_empty() { "installed" } else { "uninstalled" },
            count("highlights"),
            count("customers"),
        ));
    }
    if out.is_empty() {
        out.push_str("no workspace yet\n");
    }
    Ok(out)
}

/// `highlights digest --print [--since DATE]`.
pub async fn print_digest(db: &Db, workspace: Option<&str>, since: Option<&str>) -> anyhow::Result<String> {
    let workspace = pick_workspace(db, workspace).await?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    // Without --since, the same period as `/highlight digest`: since the last scheduled moment.
    let (from, label) = match since {
        Some(date) => {
            let from = start_of(date)?;
            (ms(from), format!("since {}", crate::domain::highlight::format_date(from)))
        }
        None => {
            let (start, since) = crate::digests::post::period_so_far(db, &workspace, now_ms).await?;
            (start.as_millisecond(), format!("since {since}"))
        }
    };
    let until = now_ms + 1;
    let data = gather(db, now_ms, &workspace, from, until, label.clone(), true).await?;
    if data.is_empty() {
        return Ok(format!("No highlights {label}.\n"));
    }
    Ok(render_digest_markdown(&data))
}

/// `highlights report --user U… [--format md|json]`.
pub async fn print_report(db: &Db, workspace: Option<&str>, user: &str, format: &str) -> anyhow::Result<String> {
    if !matches!(format, "md" | "json") {
        bail!("--format must be md or json, not {format:?}");
    }
    let workspace = pick_workspace(db, workspace).await?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let Some(report) = crate::reports::gather(db, &workspace, user.trim(), now_ms).await? else {
        bail!("{user} has no interviews in the onboarding window (or the last 30 days): nothing to report yet");
    };
    Ok(match format {
        "json" => format!("{:#}\n", render_report_json(&report)),
        _ => render_report_markdown(&report),
    })
}

/// `highlights export --format csv|jsonl [--since DATE]`, written to `out`.
pub async fn export(
    db: &Db,
    workspace: Option<&str>,
    format: &str,
    since: Option<&str>,
    out: impl Write,
) -> anyhow::Result<usize> {
    if !matches!(format, "csv" | "jsonl") {
        bail!("--format must be csv or jsonl, not {format:?}");
    }
    let workspace = pick_workspace(db, workspace).await?;
    let since_ms = match since {
        Some(date) => ms(start_of(date)?),
        None => 0,
    };
    let rows = crate::reports::export::export_rows(db, &workspace, since_ms).await?;
    write_export(&rows, format, out)?;
    Ok(rows.len())
}

pub use crate::reports::export::{spreadsheet_safe, write_export};
