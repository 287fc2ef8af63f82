//! The App Home: an onboardee's progress bars with pace, their latest
//! highlights and the customers they talked to, *My customers* (the ones
//! they follow), and a button to capture.
//! Published on `app_home_opened` and after each thing that changes it.

use serde_json::Value;

use crate::app::{Clock, Slack};
use crate::domain::ShownCustomer;
use crate::posting::PostError;
use crate::quotas::triage::TRIAGE_QUEUED_ACTION;
use crate::quotas::{progress_of, render_day, render_goal_lines, render_topic_line, Progress};
use crate::slack::blocks::{self, actions, button, context, divider, header, home, section, section_with_accessory};
use crate::slack::mrkdwn::{decode, escape, link};
use crate::store::onboarding::{self, RecentHighlight};
use crate::store::triage_queue::{list_queued_messages, update_queued_text, QueuedMessage};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// `action_id` of the App Home's "Log highlight" button.
pub const LOG_HIGHLIGHT_ACTION: &str = "home_log_highlight";
/// `action_id` of the App Home's "My report" button.
pub const MY_REPORT_ACTION: &str = "home_my_report";

/// Builds and publishes a user's App Home (`views.publish`).
pub async fn publish(
    db: &Db,
    clock: &Clock,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
) -> Result<(), PostError> {
    let progress = match onboarding::find_onboardee(db, workspace, user).await? {
        Some(o) if o.ended_at.is_none() => Some(progress_of(db, clock, workspace, &o).await?),
        _ => None,
    };
    let recent = onboarding::list_recent_highlights(db, workspace, user, 5).await?;
    let customers = onboarding::list_customers_talked_to(db, workspace, user, 10).await?;
    let followed = crate::store::follows::list_followed(db, workspace, user).await?;
    let client = slack.client(workspace).await?;
    let (mut queued, waiting) = list_queued_messages(db, workspace, user, QUEUE_SHOWN).await?;
    // A queued message's text is read from Slack once, the first time it is shown.
    for item in queued.iter_mut().filter(|m| m.message_text.is_none()) {
        let text = client.message_text(&item.channel_id, &item.message_ts).await?.unwrap_or_default();
        db.write(async |tx| update_queued_text(tx, workspace, item.id, &text).await).await?;
        item.message_text = Some(text);
    }
    let queue = Queue { emoji: crate::quotas::triage::triage_emoji(db, workspace).await?, shown: queued, waiting };
    let view = render_home(progress.as_ref(), &recent, &customers, &followed, &queue);
    Ok(client.publish_view(user, &view).await?)
}

/// Queued messages shown on the Home, at most.
const QUEUE_SHOWN: i64 = 10;

/// A person's triage queue, as the Home shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    /// The emoji that queues a message.
    pub emoji: String,
    /// The oldest messages waiting.
    pub shown: Vec<QueuedMessage>,
    /// How many wait in all.
    pub waiting: i64,
}

fn render_queue(queue: &Queue) -> Vec<Value> {
    let emoji = escape(&queue.emoji);
    if queue.shown.is_empty() {
        return vec![context(&format!(
            "*Feedback to triage*: react with :{emoji}: to a message in a channel I'm in, and it waits here."
        ))];
    }
    let mut blocks =
        vec![section(&format!("*Feedback to triage* ({}): messages you reacted to with :{emoji}:", queue.waiting))];
    for item in &queue.shown {
        let text = item.message_text.as_deref().map(|t| decode(t).replace('\n', " ")).unwrap_or_default();
        let preview = if text.trim().is_empty() {
            format!("A message in <#{}>", item.channel_id)
        } else {
            format!(">{}\n<#{}>", escape(&blocks::truncate(&text, 200)), item.channel_id)
        };
        blocks
            .push(section_with_accessory(&preview, button(TRIAGE_QUEUED_ACTION, "Triage").value(item.id.to_string())));
    }
    if queue.waiting > queue.shown.len() as i64 {
        blocks.push(context(&format!("and {} more: triage these first.", queue.waiting - queue.shown.len() as i64)));
    }
    blocks
}

/// Pure rendering of the Home tab.
pub fn render_home(
    progress: Option<&Progress>,
    recent: &[RecentHighlight],
    customers: &[(ShownCustomer, i64)],
    followed: &[crate::store::follows::Followed],
    queue: &Queue,
) -> Value {
    let mut blocks = vec![header("Your customer highlights")];
    match progress {
        Some(p) => {
            blocks.push(section(&format!("*Onboarding*, {}", render_day(p))));
            if let Some(topic) = render_topic_line(p) {
                blocks.push(section(&format!(
                    "{topic}\nYour interviews answer it; your month-end report is titled by it."
                )));
            }
            blocks.push(section(&render_goal_lines(p).join("\n")));
        }
        None => blocks.push(section(
            "You are not being onboarded. To track the first month's 20 interviews, 100 triaged \
             feedback items and 50 tickets, type `/highlight onboard me` (or ask a manager).",
        )),
    }
    blocks.push(actions(
        "home_actions",
        [button(LOG_HIGHLIGHT_ACTION, "Log highlight").primary(), button(MY_REPORT_ACTION, "My report")],
    ));
    blocks.push(divider());
    blocks.extend(render_queue(queue));
    blocks.push(divider());
    if recent.is_empty() {
        blocks
            .push(section("No highlights yet. After your next interview, press *Log highlight* or type `/highlight`."));
    } else {
        let lines: Vec<String> = recent
            .iter()
            .map(|h| {
                let when = match &h.permalink {
                    Some(url) => link(url, &h.interview_date),
                    None => h.interview_date.clone(),
                };
                format!(
                    ">{}\n— *{}* · {} · {when}",
                    escape(&blocks::truncate(&h.quote.replace('\n', " "), 200)),
                    escape(&h.customer.label()),
                    escape(&h.area)
                )
            })
            .collect();
        let text = format!("*Your latest highlights*\n{}", lines.join("\n"));
        blocks.push(section(&text));
    }
    if !customers.is_empty() {
        let names: Vec<String> = customers.iter().map(|(c, n)| format!("{} ({n})", escape(&c.label()))).collect();
        blocks.push(section(&format!("*Customers you talked to* (interviews)\n{}", names.join(" · "))));
    }
    blocks.push(divider());
    blocks.extend(crate::follows::render_my_customers(followed));
    home(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::onboarding::Counts;
    use jiff::civil::date;

    #[test]
    fn the_home_shows_bars_recent_highlights_and_customers() {
        let p = crate::quotas::progress(
            "U1",
            date(2026, 11, 1),
            &crate::quotas::targets::BUILT_IN_TARGETS,
            Counts { interviews: 9, feedback: 40, tickets: 10 },
            date(2026, 11, 12),
        );
        let recent = vec![RecentHighlight {
            customer: ShownCustomer::named("Acme"),
            area: "chat".into(),
            quote: "<!channel> macros".into(),
            interview_date: "2026-11-12".into(),
            permalink: None,
        }];
        let queue = Queue {
            emoji: "inbox_tray".into(),
            shown: vec![QueuedMessage {
                id: 7,
                channel_id: "C0SUPPORT1".into(),
                message_ts: "1.2".into(),
                message_text: Some("Exports &lt;b&gt; please <!here>".into()),
            }],
            waiting: 12,
        };
        let view = render_home(Some(&p), &recent, &[(ShownCustomer::named("Acme"), 2)], &[], &queue);
        insta::assert_json_snapshot!("home_onboarding", view);
        let text = view.to_string();
        assert!(text.contains("day 12 of 30"), "{text}");
        assert!(text.contains("`▓▓▓▓░░░░░░` Interviews 9/20 · 1 ahead"), "{text}");
        assert!(text.contains("&lt;!channel&gt; macros"), "{text}");
        assert!(text.contains("Acme (2)"), "{text}");
        let _: slack_morphism::prelude::SlackView = serde_json::from_value(view).expect("valid view");
        assert!(text.contains("*Feedback to triage* (12)"), "{text}");
        assert!(
            text.contains("Exports &lt;b&gt; please @here") && !text.contains("<!here>"),
            "decoded, then escaped: {text}"
        );
        assert!(text.contains("and 11 more"), "{text}");
        assert!(text.contains(TRIAGE_QUEUED_ACTION) && text.contains("\"value\":\"7\""), "{text}");
        let with_topic = Progress { topic: Some("What do <admins> need?".into()), ..p.clone() };
        let shown = render_home(Some(&with_topic), &recent, &[], &[], &queue).to_string();
        assert!(shown.contains("*Topic:* “What do &lt;admins&gt; need?”"), "{shown}");
        assert!(!text.contains("*Topic:*"), "no topic, no line: {text}");
        let empty = render_home(None, &[], &[], &[], &Queue { emoji: "inbox_tray".into(), ..Queue::default() });
        insta::assert_json_snapshot!("home_empty", empty);
        let empty = empty.to_string();
        assert!(empty.contains("/highlight onboard me"), "{empty}");
        assert!(empty.contains("react with :inbox_tray:"), "{empty}");
    }
}
