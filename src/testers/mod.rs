//! Prototype testers (design.md, Behaviour: Testers): `tester <customer>
//! <area> [off]` marks (or unmarks) a customer as willing to try a prototype
//! in an area (the capture modal's *Willing to try a prototype* checkbox does
//! the same, in `capture`); `testers <area>` lists them, least asked first.
//!
//! "Asked" means put before someone looking for testers: each customer that
//! `testers <area>` lists counts as asked once, by whoever listed them, and
//! the answer says so. The list shows the [`LISTED`] least asked this
//! quarter, so the next person looking sees others first and no customer is
//! asked by everyone.

use jiff::civil::Date;

use crate::app::zone::{local_date, local_midnight_ms, workspace_zone};
use crate::app::AppState;
use crate::areas::{find_area, unknown_area_message};
use crate::customers::view::resolve;
use crate::domain::highlight::format_date;
use crate::domain::{AreaRef, CustomerName};
use crate::error::{AppError, UserError};
use crate::reply::{echo, Reply};
use crate::slack::blocks::{self, context, section};
use crate::slack::mrkdwn::escape;
use crate::store::areas::{list_areas, Area};
use crate::store::testers::{self, Tester};
use crate::store::workspaces::WorkspaceId;

/// Testers listed (and counted as asked) at once.
pub const LISTED: usize = 5;

/// Said for `tester` without a customer and an area.
pub const TESTER_USAGE: &str =
    "Name the customer and the product area, e.g. `/highlight tester Acme chat` (or `/highlight tester Acme chat off`).";
/// Said for `testers` without an area.
pub const TESTERS_USAGE: &str = "Name the product area, e.g. `/highlight testers chat`.";

/// `tester <customer> <area> [off]`, read: the words as typed, and whether to unmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TesterCommand {
    /// `<customer> <area>` as typed (the split is made against the workspace's areas).
    pub words: String,
    /// `off`: unmark.
    pub off: bool,
}

/// Reads `tester <customer> <area> [off]`.
pub fn parse_tester(rest: &str) -> Result<TesterCommand, UserError> {
    let mut words: Vec<&str> = rest.split_whitespace().collect();
    let off = words.last().is_some_and(|w| w.eq_ignore_ascii_case("off"));
    if off {
        words.pop();
    }
    if words.len() < 2 {
        return Err(UserError::new(format!("{TESTER_USAGE}\n{}", echo(&format!("tester {rest}")))));
    }
    Ok(TesterCommand { words: words.join(" "), off })
}

/// Splits `<customer> <area>` where the longest tail of words names a known
/// area; None when no tail does.
fn split_customer_area<'a>(words: &str, areas: &'a [Area]) -> Option<(String, &'a Area)> {
    let words: Vec<&str> = words.split_whitespace().collect();
    (1..words.len()).find_map(|i| {
        let area = crate::slack::mrkdwn::decode(&words[i..].join(" "));
        find_area(areas, &area).map(|a| (words[..i].join(" "), a))
    })
}

/// `tester <customer> <area> [off]`: anyone may mark a tester.
pub async fn mark(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    command: TesterCommand,
) -> Result<Reply, AppError> {
    let typed = format!("tester {}{}", command.words, if command.off { " off" } else { "" });
    let areas = list_areas(state.db(), workspace).await?;
    let Some((customer_typed, area)) = split_customer_area(&command.words, &areas) else {
        let last = command.words.split_whitespace().last().unwrap_or_default();
        let area_typed = crate::slack::mrkdwn::decode(last);
        return Err(UserError::new(format!(
            "{} Nothing was changed.\n{}",
            unknown_area_message(&areas, &area_typed),
            echo(&typed)
        ))
        .into());
    };
    // The split is made against the workspace's areas, so the customer's
    // words are only known (and read as a name) here.
    let customer = match CustomerName::parse_mrkdwn(&customer_typed) {
        Ok(name) => resolve(state, workspace, &name).await,
        Err(refusal) => Err(refusal.into()),
    };
    let customer = customer.map_err(|e| match e {
        AppError::User(e) => UserError::new(format!("{} Nothing was changed.\n{}", e.0, echo(&typed))).into(),
        other => other,
    })?;
    let now = state.clock().now_ms();
    // Named as it is shown away from its thread, even when typed by name.
    let (name, area_name) = (escape(&customer.shown.label()), escape(&area.name));
    if command.off {
        let removed =
            state.db().write(async |tx| testers::delete_tester(tx, workspace, customer.id, area.id).await).await?;
        return Ok(Reply::ephemeral(if removed {
            format!("*{name}* is no longer listed as willing to try a prototype in *{area_name}*.")
        } else {
            format!("*{name}* was not listed as willing to try a prototype in *{area_name}*: nothing to undo.")
        }));
    }
    let new = state
        .db()
        .write(async |tx| testers::upsert_tester(tx, workspace, customer.id, area.id, None, user, now).await)
        .await?;
    Ok(Reply::ephemeral(if new {
        format!(
            "🧪 *{name}* is now listed as willing to try a prototype in *{area_name}*. \
             `/highlight testers {area_name}` lists everyone who is."
        )
    } else {
        format!("*{name}* was already listed as willing to try a prototype in *{area_name}*.")
    }))
}

/// The first day of the quarter `today` is in.
pub fn quarter_start(today: Date) -> Date {
    let month = (today.month() - 1) / 3 * 3 + 1;
    Date::new(today.year(), month, 1).unwrap_or(today)
}

/// `testers <area>`: the [`LISTED`] least asked testers of the area, each
/// then counted as asked once.
pub async fn list(state: &AppState, workspace: &WorkspaceId, user: &str, named: &AreaRef) -> Result<Reply, AppError> {
    let areas = list_areas(state.db(), workspace).await?;
    let Some(area) = find_area(&areas, named.as_str()) else {
        return Err(UserError::new(format!(
            "{}\n{}",
            unknown_area_message(&areas, named.as_str()),
            echo(&format!("testers {}", escape(named.as_str())))
        ))
        .into());
    };
    let zone = workspace_zone(state.db(), workspace).await?;
    let now = state.clock().now_ms();
    let quarter = local_midnight_ms(&zone, quarter_start(local_date(&zone, now)));
    let all = testers::list_testers(state.db(), workspace, area.id, quarter).await?;
    let area_name = escape(&area.name);
    if all.is_empty() {
        return Ok(Reply::ephemeral(format!(
            "No customer is listed as willing to try a prototype in *{area_name}* yet. Tick *Willing to try a \
             prototype* on a highlight when you capture, or mark one with `/highlight tester <customer> {area_name}`."
        )));
    }
    let shown = &all[..all.len().min(LISTED)];
    let mut blocks = vec![section(&format!(
        "🧪 *Would try a prototype in {area_name}*: {} customer{}, least asked first",
        all.len(),
        if all.len() == 1 { "" } else { "s" }
    ))];
    for tester in shown {
        // Mentions, as the brief's: an ephemeral answer notifies nobody.
        let (interviewers, followers) = testers::list_people_knowing(state.db(), workspace, tester.customer_id).await?;
        let knows: Vec<String> = interviewers
            .iter()
            .map(|p| format!("<@{p}> (interviewed)"))
            .chain(followers.iter().filter(|f| !interviewers.contains(f)).map(|p| format!("<@{p}> (follows)")))
            .collect();
        blocks.push(section(&render_tester(tester, &knows, &zone)));
    }
    let more = all.len() - shown.len();
    let ids: Vec<i64> = shown.iter().map(|t| t.customer_id).collect();
    state.db().write(async |tx| testers::insert_tester_asks(tx, workspace, area.id, &ids, user, now).await).await?;
    blocks.push(context(&format!(
        "Listing counts as asking: each customer above is now counted as asked once (by you, today), so the next \
         person looking sees the least asked first.{}",
        if more > 0 { format!(" {more} more not shown.") } else { String::new() }
    )));
    let text = format!("Customers who would try a prototype in {area_name}");
    Ok(Reply::ephemeral_blocks(text, blocks))
}

/// One tester's lines: name, qualifying quote, who knows them, when asked.
fn render_tester(t: &Tester, knows: &[String], zone: &jiff::tz::TimeZone) -> String {
    let mut text = format!("*{}*", escape(&t.customer.label()));
    match &t.quote {
        Some(quote) => {
            let heard = match (&t.quote_author, &t.quote_date) {
                (Some(by), Some(date)) => format!("\n— heard by <@{by}>, {date}"),
                _ => String::new(),
            };
            text.push_str(&format!("\n>{}{heard}", escape(&blocks::truncate(&quote.replace('\n', " "), 300))));
        }
        None => text.push_str("\n_marked by hand; no quote in this area yet_"),
    }
    if let Some(who) = t.interviewee.as_deref().filter(|w| !w.trim().is_empty()) {
        text.push_str(&format!("\nInterviewee: {}", escape(who)));
    }
    if !knows.is_empty() {
        text.push_str(&format!("\nKnows them: {}", knows.join(", ")));
    }
    let last = match t.last_asked {
        Some(ms) => format!("last asked {}", format_date(local_date(zone, ms))),
        None => "never asked".to_owned(),
    };
    let times = match t.asked_this_quarter {
        0 => "not this quarter".to_owned(),
        1 => "once this quarter".to_owned(),
        n => format!("{n} times this quarter"),
    };
    text.push_str(&format!("\n{last} · {times}"));
    blocks::truncate_mrkdwn(&text, blocks::MAX_SECTION_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_tester_command_is_read_with_or_without_off() {
        assert_eq!(parse_tester("Acme chat"), Ok(TesterCommand { words: "Acme chat".into(), off: false }));
        assert_eq!(
            parse_tester("Acme Labs data export OFF"),
            Ok(TesterCommand { words: "Acme Labs data export".into(), off: true })
        );
        let refusal = parse_tester("Acme off").expect_err("no area");
        assert!(refusal.0.starts_with(TESTER_USAGE) && refusal.0.ends_with(&echo("tester Acme off")), "{}", refusal.0);
    }

    #[test]
    fn the_area_is_the_longest_known_tail() {
        let areas = vec![
            Area { id: 1, key: "export".into(), name: "export".into() },
            Area { id: 2, key: "data export".into(), name: "Data export".into() },
        ];
        let (customer, area) = split_customer_area("Acme Labs data export", &areas).expect("split");
        assert_eq!((customer.as_str(), area.id), ("Acme Labs", 2));
        let (customer, area) = split_customer_area("Acme export", &areas).expect("split");
        assert_eq!((customer.as_str(), area.id), ("Acme", 1));
        assert!(split_customer_area("Acme chat", &areas).is_none());
    }

    #[test]
    fn quarters_begin_in_january_april_july_and_october() {
        assert_eq!(quarter_start(date(2026, 12, 5)), date(2026, 10, 1));
        assert_eq!(quarter_start(date(2026, 1, 1)), date(2026, 1, 1));
        assert_eq!(quarter_start(date(2026, 6, 30)), date(2026, 4, 1));
    }
}
