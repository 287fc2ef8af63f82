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
use crate::app::Clock;
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
use crate::store::Db;

/// Testers listed (and counted as asked) at once.
pub const LISTED: usize = 5;

/// Said for `tester` without a customer and an area.
pub const TESTER_USAGE: &str =
    "Name the customer and the product area, e.g. `/highlight tester Acme chat` (or `/highlight tester Acme chat off`).";
/// Said for `testers` without an area.
pub const TESTERS_USAGE: &str = "Name the product area, e.g. `/highlight testers chat`.";

/// `tester <customer> <area> [off]`, read: every way its words split into a
/// customer and an area, the longest area first (which one is meant can only
/// be decided against the workspace's areas), and whether to unmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TesterCommand {
    /// At least one reading.
    pub readings: Vec<TesterReading>,
    /// `off`: unmark.
    pub off: bool,
    /// The command as typed, echoed back with a refusal.
    pub typed: String,
}

/// One split of `<customer> <area>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TesterReading {
    /// The customer the first words name, or why they name none.
    pub customer: Result<CustomerName, UserError>,
    /// The area the rest name.
    pub area: AreaRef,
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
    let typed = format!("tester {}{}", words.join(" "), if off { " off" } else { "" });
    let readings = (1..words.len())
        .map(|i| {
            let area = AreaRef::parse_mrkdwn(&words[i..].join(" "), TESTER_USAGE)?;
            Ok(TesterReading { customer: CustomerName::parse_mrkdwn(&words[..i].join(" ")), area })
        })
        .collect::<Result<_, UserError>>()?;
    Ok(TesterCommand { readings, off, typed })
}

/// The reading whose area is known (the longest such), with that area.
fn pick<'a>(command: &'a TesterCommand, areas: &'a [Area]) -> Option<(&'a TesterReading, &'a Area)> {
    command.readings.iter().find_map(|r| find_area(areas, r.area.as_str()).map(|a| (r, a)))
}

/// `tester <customer> <area> [off]`: anyone may mark a tester.
pub async fn mark(
    db: &Db,
    clock: &Clock,
    workspace: &WorkspaceId,
    user: &str,
    command: TesterCommand,
) -> Result<Reply, AppError> {
    let typed = &command.typed;
    let areas = list_areas(db, workspace).await?;
    let Some((reading, area)) = pick(&command, &areas) else {
        let last = command.readings.last().map(|r| r.area.as_str()).unwrap_or_default();
        return Err(UserError::new(format!(
            "{} Nothing was changed.\n{}",
            unknown_area_message(&areas, last),
            echo(typed)
        ))
        .into());
    };
    let customer = match &reading.customer {
        Ok(name) => resolve(db, workspace, name).await,
        Err(refusal) => Err(refusal.clone().into()),
    };
    let customer = customer.map_err(|e| match e {
        AppError::User(e) => UserError::new(format!("{} Nothing was changed.\n{}", e.0, echo(typed))).into(),
        other => other,
    })?;
    let now = clock.now_ms();
    // Named as it is shown away from its thread, even when typed by name.
    let (name, area_name) = (escape(&customer.shown.label()), escape(&area.name));
    if command.off {
        let removed = db.write(async |tx| testers::delete_tester(tx, workspace, customer.id, area.id).await).await?;
        return Ok(Reply::ephemeral(if removed {
            format!("*{name}* is no longer listed as willing to try a prototype in *{area_name}*.")
        } else {
            format!("*{name}* was not listed as willing to try a prototype in *{area_name}*: nothing to undo.")
        }));
    }
    let new =
        db.write(async |tx| testers::upsert_tester(tx, workspace, customer.id, area.id, None, user, now).await).await?;
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
pub async fn list(
    db: &Db,
    clock: &Clock,
    workspace: &WorkspaceId,
    user: &str,
    named: &AreaRef,
) -> Result<Reply, AppError> {
    let areas = list_areas(db, workspace).await?;
    let Some(area) = find_area(&areas, named.as_str()) else {
        return Err(UserError::new(format!(
            "{}\n{}",
            unknown_area_message(&areas, named.as_str()),
            echo(&format!("testers {}", escape(named.as_str())))
        ))
        .into());
    };
    let zone = workspace_zone(db, workspace).await?;
    let now = clock.now_ms();
    let quarter = local_midnight_ms(&zone, quarter_start(local_date(&zone, now)));
    let all = testers::list_testers(db, workspace, area.id, quarter).await?;
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
        let (interviewers, followers) = testers::list_people_knowing(db, workspace, tester.customer_id).await?;
        let knows: Vec<String> = interviewers
            .iter()
            .map(|p| format!("<@{p}> (interviewed)"))
            .chain(followers.iter().filter(|f| !interviewers.contains(f)).map(|p| format!("<@{p}> (follows)")))
            .collect();
        blocks.push(section(&render_tester(tester, &knows, &zone)));
    }
    let more = all.len() - shown.len();
    let ids: Vec<i64> = shown.iter().map(|t| t.customer_id).collect();
    db.write(async |tx| testers::insert_tester_asks(tx, workspace, area.id, &ids, user, now).await).await?;
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
        let read = |rest: &str| {
            let command = parse_tester(rest).expect(rest);
            let readings = command.readings.iter().map(|r| {
                (r.customer.as_ref().map(|c| c.display.clone()).unwrap_or_default(), r.area.as_str().to_owned())
            });
            (readings.collect::<Vec<_>>(), command.off, command.typed)
        };
        let pair = |c: &str, a: &str| (c.to_owned(), a.to_owned());
        assert_eq!(read("Acme chat"), (vec![pair("Acme", "chat")], false, "tester Acme chat".into()));
        assert_eq!(
            read("Acme  Labs data export OFF"),
            (
                vec![
                    pair("Acme", "Labs data export"),
                    pair("Acme Labs", "data export"),
                    pair("Acme Labs data", "export")
                ],
                true,
                "tester Acme Labs data export off".into()
            )
        );
        let odd = parse_tester("!!! Q&amp;A").expect("two words");
        assert!(odd.readings[0].customer.is_err());
        assert_eq!(odd.readings[0].area.as_str(), "Q&A");
        let refusal = parse_tester("Acme off").expect_err("no area");
        assert!(refusal.0.starts_with(TESTER_USAGE) && refusal.0.ends_with(&echo("tester Acme off")), "{}", refusal.0);
    }

    #[test]
    fn the_area_is_the_longest_known_tail() {
        let areas = vec![
            Area { id: 1, key: "export".into(), name: "export".into() },
            Area { id: 2, key: "data export".into(), name: "Data export".into() },
        ];
        let split = |rest: &str| {
            let command = parse_tester(rest).expect(rest);
            pick(&command, &areas).map(|(r, a)| (r.customer.clone().expect("a name").display, a.id))
        };
        assert_eq!(split("Acme Labs data export"), Some(("Acme Labs".into(), 2)));
        assert_eq!(split("Acme export"), Some(("Acme".into(), 1)));
        assert_eq!(split("Acme chat"), None);
    }

    #[test]
    fn quarters_begin_in_january_april_july_and_october() {
        assert_eq!(quarter_start(date(2026, 12, 5)), date(2026, 10, 1));
        assert_eq!(quarter_start(date(2026, 1, 1)), date(2026, 1, 1));
        assert_eq!(quarter_start(date(2026, 6, 30)), date(2026, 4, 1));
    }
}
