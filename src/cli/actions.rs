//! What the subcommands that need no Slack do: `digest`, `report`,
//! `export`, `backup`, `workspace list|delete`, `customers import|forget`,
//! `manifest` and `healthcheck`. Each returns what to print.

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
    let listed = counts
        .iter()
        .filter_map(|(table, n)| what_rows_are(table).map(|(one, many)| crate::slack::mrkdwn::count(*n, one, many)))
        .collect::<Vec<_>>()
        .join(", ");
    let listed = if listed.is_empty() { "nothing besides its settings".to_owned() } else { listed };
    if !yes {
        return Ok(format!(
            "Workspace {} holds {listed}.\nNothing was deleted: run again with --yes to delete all of it for good \
             (uninstall the app from the workspace first, or its next request starts it afresh). The customers' \
             threads and digests already posted stay in Slack.",
            workspace.as_str()
        ));
    }
    db.write(async |tx| crate::store::workspaces::delete_workspace(tx, &workspace).await).await?;
    Ok(format!("Workspace {} deleted: {listed}.", workspace.as_str()))
}

/// What a workspace's rows in `table` are, in words (singular, plural);
/// `None` for bookkeeping nobody needs to hear about.
fn what_rows_are(table: &str) -> Option<(&'static str, &'static str)> {
    Some(match table {
        "highlights" => ("highlight", "highlights"),
        "customers" => ("customer", "customers"),
        "customer_aliases" => ("other name of a customer", "other names of customers"),
        "interviews" => ("interview", "interviews"),
        "feedback_items" => ("triaged feedback item", "triaged feedback items"),
        "triage_queue" => ("feedback item waiting for triage", "feedback items waiting for triage"),
        "follows" => ("customer followed", "customers followed"),
        "testers" => ("prototype tester", "prototype testers"),
        "shipments" => ("shipment announced", "shipments announced"),
        "onboardees" => ("person being onboarded", "people being onboarded"),
        "milestones" => ("onboarding milestone", "onboarding milestones"),
        "tickets" => ("batch of support tickets", "batches of support tickets"),
        "unmapped_tickets" => ("ticket from an unknown agent", "tickets from unknown agents"),
        "product_areas" => ("product area", "product areas"),
        "digests" => ("digest", "digests"),
        "digest_approvals" => ("digest approval", "digest approvals"),
        "outbox" => ("Slack message queued or sent", "Slack messages queued or sent"),
        "installations" => ("bot token", "bot tokens"),
        "web_sessions" => ("browser session", "browser sessions"),
        _ => return None,
    })
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
    let mut pages = crate::reports::export::ExportPages::new(&workspace, since_ms);
    let (mut out, mut written, mut first) = (out, 0, true);
    loop {
        let rows = pages.next_page(db).await?;
        if rows.is_empty() && !first {
            break;
        }
        crate::reports::export::write_export_part(&rows, format, first, &mut out)?;
        written += rows.len();
        first = false;
    }
    Ok(written)
}

pub use crate::reports::export::{spreadsheet_safe, write_export};

/// `highlights backup <file>`: a copy of the SQLite database, made while the
/// app may be running, then opened to say what it holds (a copy that cannot
/// be read is reported, not trusted).
pub async fn backup(db: &Db, file: &std::path::Path) -> anyhow::Result<String> {
    db.backup_to(file).await?;
    let copy = Db::connect_existing(&format!("sqlite://{}", file.display())).await?;
    let mut held = (0, 0);
    for id in list_workspace_ids(&copy).await? {
        let counts = crate::store::workspaces::count_workspace_rows(&copy, &WorkspaceId(id)).await?;
        let count = |table: &str| counts.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n);
        held = (held.0 + count("highlights"), held.1 + count("customers"));
    }
    copy.close().await;
    Ok(format!(
        "backed up {} of {} to {} ({} bytes)",
        crate::slack::mrkdwn::count(held.0, "highlight", "highlights"),
        crate::slack::mrkdwn::count(held.1, "customer", "customers"),
        file.display(),
        std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
    ))
}

/// The app manifest (`manifest.yml`, the one source of the scopes), for the
/// admin's host: every URL on `public_url`, or for Socket Mode no URL at all
/// and Socket Mode on, so that nothing is edited by hand.
pub fn manifest(public_url: Option<&str>, socket_mode: bool) -> anyhow::Result<String> {
    const MANIFEST: &str = include_str!("../../manifest.yml");
    const EXAMPLE: &str = "https://highlights.example.com";
    if socket_mode {
        let mut out = String::new();
        let mut skipping_list = false;
        for line in MANIFEST.lines() {
            let trimmed = line.trim_start();
            if skipping_list && trimmed.starts_with("- ") {
                continue;
            }
            skipping_list = false;
            if trimmed.starts_with("redirect_urls:") {
                skipping_list = true;
                continue;
            }
            if trimmed.contains(EXAMPLE) || trimmed.starts_with("# Only for installing by OAuth") {
                continue;
            }
            out.push_str(&line.replace("socket_mode_enabled: false", "socket_mode_enabled: true"));
            out.push('\n');
        }
        return Ok(out);
    }
    let base = public_url.map(|u| u.trim().trim_end_matches('/')).unwrap_or_default();
    match url::Url::parse(base) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() && u.path() == "/" => {}
        _ => bail!(
            "--public-url (HIGHLIGHTS_PUBLIC_URL) must be the app's base URL, such as https://highlights.example.com, not {base:?}"
        ),
    }
    Ok(MANIFEST.replace(EXAMPLE, base))
}

/// `highlights healthcheck`: GET /healthz of the app on this machine (or at
/// `url`); an error unless it answers 200 within 3 seconds.
pub async fn healthcheck(url: Option<&str>, listen: &str) -> anyhow::Result<String> {
    let url = match url {
        Some(url) => url.to_owned(),
        None => {
            let port = listen
                .trim()
                .parse::<std::net::SocketAddr>()
                .with_context(|| format!("HIGHLIGHTS_LISTEN is not an address: {listen:?}"))?
                .port();
            format!("http://127.0.0.1:{port}/healthz")
        }
    };
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build()?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url} did not answer: {}", crate::error::chain(&e.without_url())))?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(format!("healthy: {url} answered 200")),
        status => bail!("unhealthy: {url} answered {status}"),
    }
}

/// `highlights customers forget --workspace T… <name>`: what erasing the
/// customer would take, or with `yes` the erase itself (design.md,
/// Behaviour: Privacy): the rows go at once; the Slack work (its thread
/// deleted, digests and reports mended) is queued for the running app.
pub async fn forget_customer(db: &Db, workspace: &str, name: &str, yes: bool) -> anyhow::Result<String> {
    use crate::customers::suggest::near_duplicates;
    use crate::store::customers::{find_customer_by_key, list_near_customers};
    let workspace = pick_workspace(db, Some(workspace)).await?;
    let typed = crate::domain::CustomerName::parse(name).map_err(|e| anyhow::anyhow!("{}", e.0))?;
    let Some(customer) = find_customer_by_key(db, &workspace, &typed.key).await? else {
        let near = list_near_customers(db, &workspace, &typed.key).await?;
        let close: Vec<String> = near_duplicates(&typed.key, &near).iter().map(|c| c.display_name.clone()).collect();
        match close.as_slice() {
            [] => bail!("no customer called {name:?} in {}; nothing was erased", workspace.as_str()),
            close => bail!("no customer called {name:?}; did you mean {}? Nothing was erased", close.join(" or ")),
        }
    };
    let counts = crate::store::forget::count_customer_rows(db, &workspace, customer.id).await?;
    let what = crate::privacy::forget::describe(&counts);
    if !yes {
        return Ok(format!(
            "Forgetting {} erases {what}.\nNothing was erased: run again with --yes to erase it for good.",
            customer.display_name
        ));
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let nonce = crate::store::claim_token();
    match crate::privacy::forget::forget_in(db, &workspace, customer.id, &nonce, now).await? {
        Some(counts) => Ok(format!(
            "Forgotten {}: {} erased. The running app deletes its thread and mends the digests and reports of the \
             last {} days.",
            customer.display_name,
            crate::privacy::forget::describe(&counts),
            crate::store::forget::MEND_DAYS
        )),
        None => Ok(format!("{} was forgotten already; nothing more was erased.", customer.display_name)),
    }
}
