//! What followers are sent (design.md, Behaviour: customers people care
//! about), each a DM through the outbox, once:
//!
//! - a notice per submission about a customer they follow (a capture, queued
//!   in its group commit, or a triaged feedback item), listing the new
//!   quotes with their areas, ▶ recording times and a link to the customer's
//!   thread. The link is built when the DM is sent, from the thread's stored
//!   channel and `ts`: until the thread exists the DM waits (not an attempt);
//! - the Monday nudge: the customers they follow that nobody interviewed for
//!   the workspace's nudge days, oldest first, queued by the scheduler at
//!   09:00 in the workspace's zone, keyed by the date.
//!
//! A DM is posted into the app's conversation with the person
//! (`conversations.open`), with its row's key in the message metadata, so an
//! attempt after one whose answer was lost looks there first
//! (`conversations.history`) and does not send it twice.

use std::collections::BTreeMap;

use jiff::civil::Weekday;
use jiff::Timestamp;

use crate::app::{zone::zone_named, AppState, Clock, Outbox, Slack};
use crate::domain::highlight::{format_date, render_recording};
use crate::domain::RecordingTime;
use crate::domain::ShownCustomer;
use crate::posting::{self, PostError, PostOnce};
use crate::slack::blocks::{self, context, section, Message};
use crate::slack::mrkdwn::{escape, link};
use crate::slack::permalink;
use crate::store::areas::list_areas;
use crate::store::customers::{find_customer_thread_post, find_customer_totals, find_surviving_customer};
use crate::store::follows::{self, NoticeQuote, QuietCustomer};
use crate::store::outbox::{insert_outbox_row, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Quotes a notice shows, at most (a modal submission holds a handful).
const QUOTES_SHOWN: usize = 10;
/// Customers a nudge lists, at most.
const NUDGE_LISTED: usize = 20;
/// When the nudge goes out, in the workspace's zone.
const NUDGE_DAY: Weekday = Weekday::Monday;
const NUDGE_HOUR: i8 = 9;

/// A new-evidence notice, as its outbox row carries it.
#[derive(Debug, Clone, Copy)]
pub struct Notice<'a> {
    /// The follower.
    pub user: &'a str,
    /// The customer the quotes are about.
    pub customer_id: i64,
    /// Who captured (or triaged) them.
    pub author: &'a str,
    /// The quotes.
    pub quotes: &'a [NoticeQuote],
}

/// Sends a follower the notice of a submission, once (see the module).
pub async fn send_notice(
    state: &AppState,
    workspace: &WorkspaceId,
    notice: Notice<'_>,
    once: PostOnce<'_>,
) -> Result<(), PostError> {
    let db = &state.db;
    let Some(customer) = find_surviving_customer(db, workspace, notice.customer_id).await? else {
        return Err(PostError::Gone);
    };
    let slack = state.slack.client(workspace).await?;
    let thread_link = match find_customer_thread_post(db, workspace, customer.id).await?.unwrap_or_default() {
        (_, _, Some(url)) => Some(url),
        (Some(channel), Some(ts), None) => {
            let message = permalink::Message { channel: &channel, ts: &ts, thread_ts: None };
            Some(posting::permalink_of(&state.permalinks, &slack, workspace, message).await?)
        }
        // A customer with highlights has a thread on its way: the notice is
        // sent once it is posted, so its link leads there. A customer known
        // only from feedback items has none to link to.
        _ if find_customer_totals(db, workspace, customer.id).await?.highlights > 0 => {
            return match posting::product_channel(&state.db, &state.slack, workspace).await? {
                Some(_) => Err(PostError::ThreadBeingStarted),
                None => Err(PostError::Waiting("the customer's thread waits for a product channel".into())),
            };
        }
        _ => None,
    };
    let areas: BTreeMap<i64, String> = list_areas(db, workspace).await?.into_iter().map(|a| (a.id, a.name)).collect();
    let quotes: Vec<(&str, &NoticeQuote)> =
        notice.quotes.iter().map(|q| (areas.get(&q.area_id).map_or("", String::as_str), q)).collect();
    let message = render_notice(&customer.shown, notice.author, &quotes, thread_link.as_deref());
    let dm = slack.open_dm(notice.user).await?;
    posting::post_once(&state.clock, &slack, &dm, None, false, &message, once).await?;
    Ok(())
}

/// Pure rendering of a new-evidence notice: `quotes` with their area names.
pub fn render_notice(
    about: &ShownCustomer,
    author: &str,
    quotes: &[(&str, &NoticeQuote)],
    thread: Option<&str>,
) -> Message {
    let customer = &about.label();
    let name = escape(customer);
    let count = quotes.len();
    let headline = format!(
        "<@{}> added {count} new quote{} about *{name}*, a customer you follow:",
        escape(author),
        if count == 1 { "" } else { "s" }
    );
    let mut shown = vec![section(&headline)];
    for (area, q) in quotes.iter().take(QUOTES_SHOWN) {
        let quote: String = escape(&blocks::truncate(&q.quote, 1500)).lines().map(|l| format!(">{l}\n")).collect();
        let mut facts = vec![format!("📂 {}", escape(area))];
        if let (Some(url), at) = about.recording(q.recording_link.clone(), q.recording_at) {
            facts.push(render_recording(&url, at.and_then(RecordingTime::from_seconds)));
        }
        shown.push(section(&format!("{quote}{}", facts.join(" · "))));
    }
    if count > QUOTES_SHOWN {
        shown.push(context(&format!("and {} more in the thread.", count - QUOTES_SHOWN)));
    }
    let stop = format!("`/highlight unfollow {name}` to stop these");
    shown.push(context(&match thread {
        Some(url) => format!("{} · {stop}", link(url, &format!("Open {}'s thread", blocks::truncate(customer, 80)))),
        None => stop,
    }));
    let text = format!("{count} new quote{} about {customer}", if count == 1 { "" } else { "s" });
    Message::new(escape(&text), shown)
}

/// Sends a follower their Monday nudge, once.
pub async fn send_nudge(
    db: &Db,
    clock: &Clock,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    customers: &[QuietCustomer],
    once: PostOnce<'_>,
) -> Result<(), PostError> {
    if customers.is_empty() {
        return Ok(());
    }
    let days = follows::find_nudge_days(db, workspace).await?.unwrap_or(crate::follows::DEFAULT_NUDGE_DAYS);
    let client = slack.client(workspace).await?;
    let dm = client.open_dm(user).await?;
    posting::post_once(clock, &client, &dm, None, false, &render_nudge(days, customers), once).await?;
    Ok(())
}

/// Pure rendering of a nudge.
pub fn render_nudge(days: i64, customers: &[QuietCustomer]) -> Message {
    let mut lines = vec![format!(
        "Nobody has interviewed {} you follow for {days} days or more:",
        if customers.len() == 1 { "this customer" } else { "these customers" }
    )];
    for c in customers.iter().take(NUDGE_LISTED) {
        let last = match &c.last_interview {
            Some(date) => format!("last interview {date}"),
            None => "never interviewed".to_owned(),
        };
        lines.push(format!("• *{}* · {last}", escape(&blocks::truncate(&c.name, 80))));
    }
    if customers.len() > NUDGE_LISTED {
        lines.push(format!("and {} more.", customers.len() - NUDGE_LISTED));
    }
    let shown = vec![
        section(&lines.join("\n")),
        context("Time for a call? `/highlight config nudge &lt;days&gt;|off` changes this reminder."),
    ];
    let text = format!("{} customers you follow have gone quiet", customers.len());
    Message::new(text, shown)
}

/// Queues the Monday nudges that are due (a scheduler tick): in each
/// workspace with nudges on, from Monday 09:00 in its zone, one DM row per
/// follower with quiet customers, keyed by the date, so every replica and
/// every tick of that Monday queues each at most once. Returns for how many
/// workspaces it queued them.
pub async fn queue_nudges(db: &Db, clock: &Clock, outbox: &Outbox) -> Result<usize, sqlx::Error> {
    let now_ms = clock.now_ms();
    let now = Timestamp::from_millisecond(now_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut queued = 0;
    for setting in follows::list_nudge_settings(db).await? {
        let local = now.to_zoned_datetime(zone_named(setting.time_zone.as_deref()));
        if local.weekday() != NUDGE_DAY || local.hour() < NUDGE_HOUR {
            continue;
        }
        let workspace = WorkspaceId(setting.id.clone());
        let date = format_date(local.date());
        if follows::find_nudges_queued(db, &workspace, &date).await? {
            continue;
        }
        let since = local.date().checked_sub(jiff::Span::new().days(setting.nudge_days)).unwrap_or(local.date());
        let quiet = follows::list_quiet_followed(db, &workspace, &format_date(since)).await?;
        let mut by_user: BTreeMap<String, Vec<QuietCustomer>> = BTreeMap::new();
        for customer in quiet {
            by_user.entry(customer.user_id.clone()).or_default().push(customer);
        }
        let mut tx = db.begin().await?;
        if !follows::insert_nudges_queued(&mut tx, &workspace, &date, now_ms).await? {
            continue;
        }
        queued += 1;
        for (user, customers) in by_user {
            let kind = OutboxKind::NudgeFollower { user, date: date.clone(), customers };
            insert_outbox_row(&mut tx, &workspace, &kind, now_ms).await?;
        }
        tx.commit().await?;
        outbox.wake();
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_lists_the_quotes_with_areas_times_and_the_thread() {
        let q = |quote: &str, link: Option<&str>, at: Option<i64>| NoticeQuote {
            area_id: 1,
            quote: quote.into(),
            recording_link: link.map(str::to_owned),
            recording_at: at,
        };
        let (a, b) = (q("We need <!here> macros", Some("https://youtu.be/x"), Some(754)), q("Exports", None, None));
        let m = render_notice(
            &ShownCustomer::named("Acme & Co"),
            "U0AUTHOR01",
            &[("chat", &a), ("reporting", &b)],
            Some("https://x.slack.com/p1"),
        );
        insta::assert_json_snapshot!("follower_notice", m.blocks);
        let all = serde_json::to_string(&m.blocks).expect("json");
        assert!(all.contains("&lt;!here&gt;") && !all.contains("<!here>"), "{all}");
        assert!(all.contains("<https://youtu.be/x?t=754|▶ 12:34>"), "{all}");
        assert!(all.contains("<https://x.slack.com/p1|Open Acme &amp; Co's thread>"), "{all}");
        assert_eq!(m.text, "2 new quotes about Acme &amp; Co");
        blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
    }

    #[test]
    fn a_nudge_lists_the_quiet_customers_oldest_first() {
        let c = |name: &str, last: Option<&str>| QuietCustomer {
            user_id: "U1".into(),
            customer_id: 1,
            name: name.into(),
            last_interview: last.map(str::to_owned),
        };
        let m = render_nudge(30, &[c("Initech", None), c("Acme <b>", Some("2026-10-01"))]);
        insta::assert_json_snapshot!("nudge", m.blocks);
        blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
    }
}
