//! What lands in the product channel: a customer's thread parent with its
//! running summary, and one reply per highlight. Pure rendering; every piece
//! of user text is escaped.

use serde_json::Value;

use crate::slack::blocks::{self, actions, button, context, context_of, header, mrkdwn, section, Message};
use crate::slack::mrkdwn::{escape, link};
use crate::store::customers::CustomerSummary;
use crate::store::highlights::HighlightForPost;

/// `action_id` of a reply's Endorse button (its value: the highlight id).
pub const ENDORSE_ACTION: &str = "endorse_highlight";
/// `action_id` of the button that withdraws an endorsement.
pub const WITHDRAW_ACTION: &str = "withdraw_endorsement";

/// A user mention, for a Slack user id (anything else is shown escaped).
fn mention(user: &str) -> String {
    if !user.is_empty() && user.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("<@{user}>")
    } else {
        escape(user)
    }
}

/// The parent message of a customer's thread.
pub fn render_thread_parent(customer: &str, summary: &CustomerSummary) -> Message {
    let counts = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let headline = format!(
        "{} from {} by {}",
        counts(summary.highlights, "highlight", "highlights"),
        counts(summary.interviews, "interview", "interviews"),
        counts(summary.interviewers, "interviewer", "interviewers"),
    );
    let areas: Vec<String> = summary.areas.iter().map(|a| format!("*{}* {}", escape(&a.area), a.highlights)).collect();
    let plain_areas: Vec<String> = summary.areas.iter().map(|a| format!("{} {}", a.area, a.highlights)).collect();
    let mut blocks = vec![header(&format!("🏢 {customer}")), section(&headline)];
    if !areas.is_empty() {
        blocks.push(section(&format!("By product area: {}", areas.join("  ·  "))));
    }
    blocks.push(context("Every highlight about this customer is a reply in this thread."));
    // The fallback text is mrkdwn too (and drives notifications): escaped as well.
    let by_area = if plain_areas.is_empty() { String::new() } else { format!(" ({})", plain_areas.join(", ")) };
    Message::new(escape(&format!("{customer}: {headline}{by_area}")), blocks)
}

/// A highlight's reply in its customer's thread: the quote first, then who,
/// what, when. `interviewer` is mrkdwn-safe (a name, or a mention).
pub fn render_highlight_reply(h: &HighlightForPost, interviewer: &str) -> Message {
    let quoted: String = escape(&h.quote).lines().map(|line| format!(">{line}")).collect::<Vec<_>>().join("\n");
    let mut blocks: Vec<Value> = vec![section(&quoted)];
    if let Some(takeaway) = h.takeaway.as_deref().filter(|t| !t.trim().is_empty()) {
        blocks.push(section(&format!("*Takeaway:* {}", escape(takeaway))));
    }
    let mut facts = vec![
        mrkdwn(&format!("*{}*", escape(&h.customer_name))),
        mrkdwn(&format!("📂 {}", escape(&h.area_name))),
        mrkdwn(&kind_label(&h.kind)),
        mrkdwn(&format!("🎙 {interviewer}")),
    ];
    if let Some(interviewee) = h.interviewee.as_deref().filter(|who| !who.trim().is_empty()) {
        facts.push(mrkdwn(&format!("👤 {}", escape(interviewee))));
    }
    facts.push(mrkdwn(&format!("📅 {}", h.interview_date)));
    if let Some(url) = &h.recording_link {
        let at = h.recording_at.and_then(crate::domain::RecordingTime::from_seconds);
        facts.push(mrkdwn(&crate::domain::highlight::render_recording(url, at)));
    }
    if let Some(manager) = &h.endorsed_by {
        facts.push(mrkdwn(&format!("✅ Endorsed by {}", mention(manager))));
    }
    blocks.push(context_of(facts));
    let (label, action) = match h.endorsed_by {
        None => ("✅ Endorse", ENDORSE_ACTION),
        Some(_) => ("Withdraw endorsement", WITHDRAW_ACTION),
    };
    blocks.push(actions("endorsement", [button(action, label).value(h.id.to_string())]));
    let text = format!("“{}” — {} ({}, {})", blocks::truncate(&h.quote, 500), h.customer_name, h.area_name, h.kind);
    Message::new(escape(&text), blocks)
}

/// The old parent of a customer merged into another: a pointer to the survivor.
pub fn render_merged_parent(old: &str, survivor: &str, survivor_thread: Option<&str>) -> Message {
    let target = match survivor_thread {
        Some(url) => link(url, &format!("{survivor}'s thread")),
        None => format!("*{}*'s thread", escape(survivor)),
    };
    let text = format!("*{}* was merged into *{}*. New highlights go to {target}.", escape(old), escape(survivor));
    Message::new(
        escape(&format!("{old} was merged into {survivor}")),
        vec![header(&format!("🏢 {old} → {survivor}")), section(&text)],
    )
}

fn kind_label(kind: &str) -> String {
    match kind {
        "pain" => "🔥 Pain".to_owned(),
        "request" => "🙏 Request".to_owned(),
        "praise" => "💚 Praise".to_owned(),
        other => format!("💬 {}", escape(other).replace("other", "Other")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::customers::AreaCount;

    fn highlight(quote: &str) -> HighlightForPost {
        HighlightForPost {
            id: 1,
            customer_id: 1,
            customer_name: "Acme & Sons".into(),
            area_id: 1,
            area_name: "chat".into(),
            kind: "request".into(),
            quote: quote.into(),
            takeaway: Some("Macros <b>".into()),
            recording_link: Some("https://zoom.us/rec/1?a=1&b=2".into()),
            recording_at: None,
            author: "U0USER0001".into(),
            interview_date: "2026-11-27".into(),
            interviewee: None,
            posted_ts: None,
            first_in_area: 1,
            workspace_channel: None,
            thread_channel: None,
            thread_ts: None,
            endorsed_by: None,
        }
    }

    #[test]
    fn a_reply_shows_the_quote_first_and_escapes_user_text() {
        let m = render_highlight_reply(&highlight("<!channel> we need <@U123> and <https://x|y> & more"), "Egon");
        let json = serde_json::to_string(&m.blocks).expect("json");
        assert_eq!(
            m.blocks[0]["text"]["text"],
            ">&lt;!channel&gt; we need &lt;@U123&gt; and &lt;https://x|y&gt; &amp; more"
        );
        assert!(json.contains("Acme &amp; Sons"));
        assert!(json.contains("Macros &lt;b&gt;"));
        assert!(json.contains("🎙 Egon"), "the interviewer is credited by name");
        assert!(json.contains("<https://zoom.us/rec/1?a=1&amp;b=2|Recording>"));
        assert!(!json.contains("<!channel>"));
        assert!(m.text.starts_with("“&lt;!channel&gt; we need"), "fallback text is escaped: {}", m.text);
        blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
    }

    #[test]
    fn a_reply_offers_endorsement_and_then_shows_who_endorsed() {
        let m = render_highlight_reply(&highlight("q"), "Egon");
        let buttons = &m.blocks.last().expect("blocks")["elements"];
        assert_eq!((buttons[0]["action_id"].as_str(), buttons[0]["value"].as_str()), (Some(ENDORSE_ACTION), Some("1")));
        let endorsed =
            render_highlight_reply(&HighlightForPost { endorsed_by: Some("U0BOSS".into()), ..highlight("q") }, "Egon");
        let json = serde_json::to_string(&endorsed.blocks).expect("json");
        assert!(json.contains("✅ Endorsed by <@U0BOSS>"), "{json}");
        assert_eq!(endorsed.blocks.last().expect("blocks")["elements"][0]["action_id"], WITHDRAW_ACTION);
        let odd =
            render_highlight_reply(&HighlightForPost { endorsed_by: Some("<!here>".into()), ..highlight("q") }, "E");
        assert!(serde_json::to_string(&odd.blocks).expect("json").contains("Endorsed by &lt;!here&gt;"));
        blocks::typed_blocks(&endorsed.blocks).expect("valid Block Kit");
    }

    #[test]
    fn a_multiline_quote_is_quoted_line_by_line_and_bounded() {
        let m = render_highlight_reply(&highlight("one\ntwo"), "Egon");
        assert_eq!(m.blocks[0]["text"]["text"], ">one\n>two");
        let long = render_highlight_reply(&highlight(&"&".repeat(3000)), "Egon");
        let text = long.blocks[0]["text"]["text"].as_str().expect("text");
        assert!(text.chars().count() <= blocks::MAX_SECTION_TEXT);
        assert!(text.ends_with("&amp;…"), "{}", &text[text.len() - 10..]);
    }

    #[test]
    fn the_messages_render_as_before() {
        let h = HighlightForPost {
            recording_at: Some(754),
            interviewee: Some("Dana <Lee>, CTO".into()),
            ..highlight("We need <canned> replies\nand macros")
        };
        insta::assert_json_snapshot!("highlight_reply", render_highlight_reply(&h, "<@U0USER0001>"));
        let bare = HighlightForPost { recording_link: None, takeaway: None, kind: "other".into(), ..highlight("q") };
        insta::assert_json_snapshot!("highlight_reply_without_recording", render_highlight_reply(&bare, "Egon"));
        let endorsed = HighlightForPost { endorsed_by: Some("U0BOSS".into()), kind: "pain".into(), ..highlight("q") };
        insta::assert_json_snapshot!("highlight_reply_endorsed", render_highlight_reply(&endorsed, "Egon"));
        insta::assert_json_snapshot!(
            "merged_parent",
            render_merged_parent("Acme <old>", "Acme & Sons", Some("https://x.slack.com/archives/C1/p1"))
        );
        insta::assert_json_snapshot!("merged_parent_without_thread", render_merged_parent("Acme", "Acme Inc.", None));
    }

    #[test]
    fn the_parent_summarises_counts_per_area() {
        let summary = CustomerSummary {
            highlights: 3,
            interviews: 2,
            interviewers: 1,
            areas: vec![
                AreaCount { area: "chat".into(), highlights: 2 },
                AreaCount { area: "billing <x>".into(), highlights: 1 },
            ],
        };
        let m = render_thread_parent("Acme", &summary);
        assert_eq!(m.blocks[0]["text"]["text"], "🏢 Acme");
        assert_eq!(m.blocks[1]["text"]["text"], "3 highlights from 2 interviews by 1 interviewer");
        assert_eq!(m.blocks[2]["text"]["text"], "By product area: *chat* 2  ·  *billing &lt;x&gt;* 1");
        assert_eq!(m.text, "Acme: 3 highlights from 2 interviews by 1 interviewer (chat 2, billing &lt;x&gt; 1)");
        insta::assert_json_snapshot!("thread_parent", m);
        let first = CustomerSummary { highlights: 1, interviews: 1, interviewers: 1, areas: vec![] };
        insta::assert_json_snapshot!("thread_parent_first", render_thread_parent("Acme & Sons", &first));
        blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
    }
}
