//! The month-end report: titled by the onboardee's topic when a manager set
//! one, the three product areas that the most distinct
//! customers raised in an onboardee's interviews, each with its supporting
//! quotes and whether it clears the bar (3 quotes from 3 customers), the gaps,
//! and the team-wide ranking for context. In Slack as a DM, and as Markdown or
//! JSON from `highlights report`.

pub mod export;

use jiff::ToSpan as _;
use serde::Serialize;
use serde_json::Value;

use crate::app::{AppState, Clock, Outbox};
use crate::digests::pick_quotes;
use crate::domain::highlight::{format_date, parse_date};
use crate::error::{AppError, UserError};
use crate::posting::PostError;
use crate::reply::Reply;
use crate::slack::blocks::{self, context, header, section, Message};
use crate::slack::mrkdwn::{count, escape, link, Who};
use crate::store::digests::{list_area_signal, QuoteCandidate};
use crate::store::onboarding::find_onboardee;
use crate::store::outbox::OutboxKind;
use crate::store::reports::{find_report_interviews, list_report_areas, list_report_quote_candidates, ReportWindow};
use crate::store::workspaces::find_report_endorsed_only;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Quotes a feature needs to be backed.
pub const BAR_QUOTES: usize = 3;
/// Distinct customers a feature needs to be backed.
pub const BAR_CUSTOMERS: usize = 3;
/// Features (product areas) a report shows.
const FEATURES: i64 = 3;
/// Quotes shown per feature.
const QUOTES_PER_FEATURE: usize = 5;

/// One feature (product area) of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feature {
    /// Area name.
    pub area: String,
    /// Distinct customers who raised it.
    pub customers: usize,
    /// Highlights about it.
    pub highlights: usize,
    /// Whether it clears the bar.
    pub backed: bool,
    /// Supporting quotes (up to five, distinct customers first).
    pub quotes: Vec<ReportQuote>,
    /// How many of the customers who raised it would try a prototype of it
    /// (testers of the area: design.md, Behaviour: Testers).
    pub testers: usize,
}

/// A supporting quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportQuote {
    /// Customer, as it may be shown.
    pub customer: crate::domain::ShownCustomer,
    /// Interview date.
    pub date: String,
    /// The words.
    pub quote: String,
    /// Link into the recording.
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    pub recording_at: Option<i64>,
    /// Whether a manager endorsed it.
    pub endorsed: bool,
    /// When a shipment closed it, `YYYY-MM-DD`.
    pub shipped_on: Option<String>,
}

/// Team-wide context: an area with its distinct customers and highlights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamArea {
    /// Area name.
    pub area: String,
    /// Distinct customers.
    pub customers: i64,
    /// Highlights.
    pub highlights: i64,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Whose.
    pub user: String,
    /// First day of the window.
    pub from: String,
    /// Day after the window.
    pub until: String,
    /// Interviews in the window.
    pub interviews: usize,
    /// The top three areas.
    pub features: Vec<Feature>,
    /// Team-wide ranking over the same window (top five).
    pub team: Vec<TeamArea>,
    /// Whether only endorsed quotes were counted (`config report endorsed-only on`).
    pub endorsed_only: bool,
    /// The question the interviews answer (the onboardee's topic), its title.
    pub topic: Option<String>,
}

/// Gathers a report; None when the person has no interviews in the window.
pub async fn gather(db: &Db, workspace: &WorkspaceId, user: &str, now_ms: i64) -> Result<Option<Report>, sqlx::Error> {
    // The settings and the onboarding read side by side, then the counts.
    let (zone, onboardee, endorsed_only) = tokio::try_join!(
        crate::app::zone::workspace_zone(db, workspace),
        find_onboardee(db, workspace, user),
        find_report_endorsed_only(db, workspace)
    )?;
    let today = crate::app::zone::local_date(&zone, now_ms);
    let (from, days, topic) = match onboardee {
        Some(o) => (parse_date(&o.start_date).unwrap_or(today), o.days, o.topic),
        None => (today.saturating_sub(29.days()), 30, None),
    };
    let until = from.saturating_add(days.days());
    let (from_date, until_date) = (format_date(from), format_date(until));
    // Interviews count whatever was endorsed; features, only what counts.
    let window =
        ReportWindow { workspace, interviewer: user, from_date: &from_date, until_date: &until_date, endorsed_only };
    // The areas counted and ranked in SQL; of their quotes, only those the
    // picking may choose are read.
    let (interviews, areas) =
        tokio::try_join!(find_report_interviews(db, window), list_report_areas(db, window, FEATURES))?;
    if interviews == 0 {
        return Ok(None);
    }
    let ids: Vec<i64> = areas.iter().map(|a| a.area_id).collect();
    let candidates = list_report_quote_candidates(db, window, &ids, QUOTES_PER_FEATURE as i64).await?;
    let features = areas
        .into_iter()
        .map(|area| {
            let mine: Vec<QuoteCandidate> = candidates.iter().filter(|c| c.area_id == area.area_id).cloned().collect();
            let (customers, highlights) = (area.customers as usize, area.highlights as usize);
            Feature {
                area: area.area,
                customers,
                highlights,
                backed: highlights >= BAR_QUOTES && customers >= BAR_CUSTOMERS,
                testers: area.testers as usize,
                quotes: pick_quotes(&mine, QUOTES_PER_FEATURE)
                    .into_iter()
                    .map(|q| ReportQuote {
                        customer: q.customer,
                        date: q.interview_date,
                        quote: q.quote,
                        recording_link: q.recording_link,
                        recording_at: q.recording_at,
                        endorsed: q.endorsed_by.is_some(),
                        shipped_on: q.shipped_on,
                    })
                    .collect(),
            }
        })
        .collect();
    let midnight = |d: jiff::civil::Date| crate::app::zone::local_midnight_ms(&zone, d);
    let team = list_area_signal(db, workspace, midnight(from), midnight(until))
        .await?
        .into_iter()
        .take(5)
        .map(|s| TeamArea { area: s.area, customers: s.customers, highlights: s.highlights })
        .collect();
    Ok(Some(Report {
        user: user.to_owned(),
        from: from_date.clone(),
        until: until_date.clone(),
        interviews: interviews as usize,
        features,
        team,
        endorsed_only: window.endorsed_only,
        topic,
    }))
}

/// What a feature below the bar still needs.
pub fn gap(f: &Feature) -> String {
    let more_customers = BAR_CUSTOMERS.saturating_sub(f.customers);
    let more_quotes = BAR_QUOTES.saturating_sub(f.highlights);
    let s = |n: usize| if n == 1 { "" } else { "s" };
    if more_customers > 0 {
        format!("{}: {} customer{} — talk to {more_customers} more", f.area, f.customers, s(f.customers))
    } else {
        format!("{}: {} quote{} — capture {more_quotes} more", f.area, f.highlights, s(f.highlights))
    }
}

/// "2 of the 3 customers who asked would try it", when any would.
pub fn testers_line(f: &Feature) -> Option<String> {
    (f.testers > 0).then(|| {
        format!(
            "{} of the {} customer{} who asked would try it",
            f.testers,
            f.customers,
            if f.customers == 1 { "" } else { "s" }
        )
    })
}

/// "Month-end report: three features", or fewer when fewer areas came up.
fn kind(r: &Report) -> String {
    let n = ["no features", "one feature", "two features", "three features"]
        .get(r.features.len())
        .copied()
        .unwrap_or("three features");
    format!("Month-end report: {n}")
}

/// The report's title: its topic, the question the interviews answer, when
/// there is one; else what kind of report it is.
fn title(r: &Report) -> String {
    match &r.topic {
        Some(topic) => format!("📝 {topic}"),
        None => format!("📝 {}", kind(r)),
    }
}

/// Under a topic, what the report is: what the interviews said, ranked.
fn answer_line(r: &Report) -> Option<String> {
    r.topic
        .as_ref()
        .map(|_| format!("{}, ranked by how many distinct customers raised each in these interviews", kind(r)))
}

/// The report as a Slack message.
pub fn render_report_message(r: &Report) -> Message {
    let mut blocks = vec![
        header(&title(r)),
        context(&format!(
            "{}<@{}> · {} to {} · {} interview{}{}",
            answer_line(r).map(|line| format!("{line}\n")).unwrap_or_default(),
            r.user,
            r.from,
            r.until,
            r.interviews,
            if r.interviews == 1 { "" } else { "s" },
            if r.endorsed_only { " · endorsed quotes only" } else { "" }
        )),
    ];
    if r.endorsed_only && r.features.is_empty() {
        blocks.push(section(
            "No quote in this window is endorsed yet. A manager endorses a highlight with ✅ on its reply in the product channel, or its Endorse button.",
        ));
    }
    for (i, f) in r.features.iter().enumerate() {
        let status = if f.backed {
            "✅ backed".to_owned()
        } else {
            format!("⚠️ below the bar ({} quotes from {} customers needed)", BAR_QUOTES, BAR_CUSTOMERS)
        };
        let mut text = format!(
            "*{}. {}*: {} customer{}, {} {}quote{} · {status}",
            i + 1,
            escape(&f.area),
            f.customers,
            if f.customers == 1 { "" } else { "s" },
            f.highlights,
            if r.endorsed_only { "endorsed " } else { "" },
            if f.highlights == 1 { "" } else { "s" }
        );
        if let Some(line) = testers_line(f) {
            text.push_str(&format!("\n🧪 {line}"));
        }
        for q in &f.quotes {
            let rec = match (q.recording_link.as_deref(), q.recording_at) {
                (Some(_), Some(_)) => {
                    crate::domain::highlight::moment_suffix(q.recording_link.as_deref(), q.recording_at)
                }
                (Some(u), None) => format!(" · {}", link(u, "recording")),
                _ => String::new(),
            };
            text.push_str(&format!(
                "\n>{}\n— *{}*, {}{rec}{}{}",
                escape(&blocks::truncate(&q.quote.replace('\n', " "), 300)),
                escape(&q.customer.label()),
                q.date,
                if q.endorsed { " · ✅ endorsed" } else { "" },
                crate::customers::view::shipped_mark(q.shipped_on.as_deref())
            ));
        }
        blocks.push(section(&text));
    }
    let gaps: Vec<String> = r.features.iter().filter(|f| !f.backed).map(|f| format!("• {}", escape(&gap(f)))).collect();
    if !gaps.is_empty() {
        blocks.push(section(&format!("*Gaps*\n{}", gaps.join("\n"))));
    }
    if !r.team.is_empty() {
        let lines: Vec<String> = r
            .team
            .iter()
            .map(|t| {
                format!(
                    "• {}: {}, {}",
                    escape(&t.area),
                    count(t.customers, "customer", "customers"),
                    count(t.highlights, "highlight", "highlights")
                )
            })
            .collect();
        blocks.push(context(&format!("*Team-wide, same weeks*\n{}", lines.join("\n"))));
    }
    let names: Vec<&str> = r.features.iter().map(|f| f.area.as_str()).collect();
    Message::new(escape(&format!("Month-end report: {}", names.join(", "))), blocks)
}

/// The report as Markdown.
pub fn render_report_markdown(r: &Report) -> String {
    let mut out = format!(
        "# {}\n\n{}{} · {} to {} · {}\n",
        title(r).trim_start_matches("📝 "),
        answer_line(r).map(|line| format!("{line}\n\n")).unwrap_or_default(),
        r.user,
        r.from,
        r.until,
        count(r.interviews as i64, "interview", "interviews")
    );
    for (i, f) in r.features.iter().enumerate() {
        out.push_str(&format!(
            "\n## {}. {}\n\n{}, {} · {}\n\n",
            i + 1,
            f.area,
            count(f.customers as i64, "customer", "customers"),
            count(f.highlights as i64, "quote", "quotes"),
            if f.backed { "backed" } else { "below the bar" }
        ));
        if let Some(line) = testers_line(f) {
            out.push_str(&format!("{line}\n\n"));
        }
        for q in &f.quotes {
            let rec = crate::domain::highlight::moment_markdown(q.recording_link.as_deref(), q.recording_at);
            let endorsed = if q.endorsed { " · endorsed" } else { "" };
            let shipped = q.shipped_on.as_deref().map(|d| format!(" · ✔ shipped {d}")).unwrap_or_default();
            out.push_str(&format!(
                "> {}\n>\n> — {}, {}{rec}{endorsed}{shipped}\n\n",
                q.quote.replace('\n', "\n> "),
                q.customer,
                q.date
            ));
        }
    }
    let gaps: Vec<String> = r.features.iter().filter(|f| !f.backed).map(gap).collect();
    if !gaps.is_empty() {
        out.push_str("## Gaps\n\n");
        for g in gaps {
            out.push_str(&format!("- {g}\n"));
        }
    }
    if !r.team.is_empty() {
        out.push_str("\n## Team-wide, same weeks\n\n");
        for t in &r.team {
            out.push_str(&format!(
                "- {}: {}, {}\n",
                t.area,
                count(t.customers, "customer", "customers"),
                count(t.highlights, "highlight", "highlights")
            ));
        }
    }
    out
}

/// The report as JSON.
pub fn render_report_json(r: &Report) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}

/// `/highlight report [@user]`: checks there is something to report, then
/// sends it as a DM.
pub async fn request(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    by: &str,
    who: Who,
) -> Result<Reply, AppError> {
    let subject = who.id(by);
    queue(db, clock, outbox, workspace, by, &subject).await?;
    Ok(Reply::ephemeral("Your month-end report is on its way as a direct message."))
}

/// Queues the DM of `subject`'s report to `by`, or says (as a [`UserError`])
/// why there is none.
pub async fn queue(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    by: &str,
    subject: &str,
) -> Result<(), AppError> {
    if gather(db, workspace, subject, clock.now_ms()).await?.is_none() {
        let whose = if subject == by { "You have".to_owned() } else { format!("<@{subject}> has") };
        return Err(UserError::new(format!(
            "{whose} no interviews in the onboarding window yet, so there is nothing to report. \
             Capture what customers say with `/highlight <customer> | <area> | <quote>` and the report builds itself."
        ))
        .into());
    }
    let now = clock.now_ms();
    let kind = OutboxKind::SendReport {
        to: by.to_owned(),
        subject: subject.to_owned(),
        topic: format!("{by}:{subject}:{now}"),
    };
    outbox.queue_once(workspace, &kind).await?;
    Ok(())
}

/// Sends a report by DM (run by the outbox worker).
pub async fn send(
    state: &AppState,
    workspace: &WorkspaceId,
    to: &str,
    subject: &str,
    key: &str,
) -> Result<(), PostError> {
    let Some(report) = gather(&state.db, workspace, subject, state.clock.now_ms()).await? else {
        return Ok(());
    };
    let web = state.config.web.as_ref().map(|web| web.url(&format!("/onboarding/{subject}/report")));
    let message = render_report_message(&report).with_browser_link(web);
    // Its key in its metadata: a forgotten customer's quotes are found and mended.
    state.slack.client(workspace).await?.post_message(to, None, false, &message, Some(key)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(area: &str, customers: usize, highlights: usize) -> Feature {
        Feature {
            area: area.into(),
            customers,
            highlights,
            backed: customers >= 3 && highlights >= 3,
            quotes: vec![ReportQuote {
                customer: crate::domain::ShownCustomer::named("Acme"),
                date: "2026-11-02".into(),
                quote: "<b>".into(),
                recording_link: Some("https://zoom.us/r".into()),
                recording_at: None,
                endorsed: false,
                shipped_on: None,
            }],
            testers: 0,
        }
    }

    #[test]
    fn a_feature_says_how_many_who_asked_would_try_it() {
        let mut chat = feature("Chat", 3, 4);
        assert_eq!(testers_line(&chat), None, "nobody: no line");
        chat.testers = 2;
        let r = Report {
            user: "U1".into(),
            from: "2026-11-01".into(),
            until: "2026-12-01".into(),
            interviews: 4,
            features: vec![chat],
            team: vec![],
            endorsed_only: false,
            topic: None,
        };
        let json = serde_json::to_string(&render_report_message(&r).blocks).expect("json");
        assert!(json.contains("✅ backed\\n🧪 2 of the 3 customers who asked would try it\\n"), "{json}");
        let md = render_report_markdown(&r);
        assert!(
            md.contains("3 customers, 4 quotes · backed\n\n2 of the 3 customers who asked would try it\n\n"),
            "{md}"
        );
        assert_eq!(render_report_json(&r)["features"][0]["testers"], 2);
    }

    #[test]
    fn gaps_say_what_is_missing() {
        assert_eq!(gap(&feature("Billing", 1, 1)), "Billing: 1 customer — talk to 2 more");
        assert_eq!(gap(&feature("Chat", 3, 2)), "Chat: 2 quotes — capture 1 more");
    }

    #[test]
    fn the_report_renders_features_gaps_and_team_context() {
        let r = Report {
            user: "U1".into(),
            from: "2026-11-01".into(),
            until: "2026-12-01".into(),
            interviews: 4,
            features: vec![feature("Chat", 3, 4), feature("Billing", 1, 1)],
            team: vec![TeamArea { area: "Chat".into(), customers: 7, highlights: 12 }],
            endorsed_only: false,
            topic: None,
        };
        let m = render_report_message(&r);
        insta::assert_json_snapshot!("report_dm", m);
        let endorsed = Report { endorsed_only: true, features: vec![], team: vec![], ..r.clone() };
        insta::assert_json_snapshot!("report_dm_nothing_endorsed", render_report_message(&endorsed));
        let json = serde_json::to_string(&m.blocks).expect("json");
        assert!(json.contains("*1. Chat*: 3 customers, 4 quotes · ✅ backed"), "{json}");
        assert!(json.contains("&lt;b&gt;") && json.contains("<https://zoom.us/r|recording>"), "{json}");
        assert!(json.contains("Billing: 1 customer — talk to 2 more"));
        blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
        let md = render_report_markdown(&r);
        assert!(md.contains("## 1. Chat\n\n3 customers, 4 quotes · backed"), "{md}");
        assert!(md.contains("- Billing: 1 customer — talk to 2 more"));
        assert_eq!(render_report_json(&r)["features"][0]["backed"], true);
        assert_eq!(m.blocks[0]["text"]["text"], "📝 Month-end report: two features");
    }

    #[test]
    fn a_topic_titles_the_report_over_the_ranking_of_what_the_interviews_said() {
        let r = Report {
            user: "U1".into(),
            from: "2026-11-01".into(),
            until: "2026-12-01".into(),
            interviews: 4,
            features: vec![feature("Chat", 3, 4), feature("Billing", 1, 1)],
            team: vec![],
            endorsed_only: false,
            topic: Some("What should we build for <chat> & email?".into()),
        };
        let m = render_report_message(&r);
        assert_eq!(
            m.blocks[0]["text"]["text"], "📝 What should we build for <chat> & email?",
            "plain text: not escaped"
        );
        let context = m.blocks[1]["elements"][0]["text"].as_str().expect("context");
        assert!(
            context.starts_with("Month-end report: two features, ranked by how many distinct customers raised each"),
            "{context}"
        );
        blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
        let md = render_report_markdown(&r);
        assert!(
            md.starts_with("# What should we build for <chat> & email?\n\nMonth-end report: two features, ranked"),
            "{md}"
        );
        assert_eq!(render_report_json(&r)["topic"], "What should we build for <chat> & email?");
    }

    #[test]
    fn a_quote_a_shipment_closed_shows_when_it_shipped() {
        let mut chat = feature("Chat", 3, 4);
        chat.quotes[0].shipped_on = Some("2026-12-05".into());
        let r = Report {
            user: "U1".into(),
            from: "2026-11-01".into(),
            until: "2026-12-01".into(),
            interviews: 4,
            features: vec![chat, feature("Billing", 1, 1)],
            team: vec![],
            endorsed_only: false,
            topic: None,
        };
        let json = serde_json::to_string(&render_report_message(&r).blocks).expect("json");
        assert_eq!(json.matches("✔ shipped 2026-12-05").count(), 1, "{json}");
        let md = render_report_markdown(&r);
        assert!(md.contains("> — Acme, 2026-11-02 ([recording](https://zoom.us/r)) · ✔ shipped 2026-12-05\n"), "{md}");
        assert_eq!(md.matches("✔ shipped").count(), 1, "{md}");
    }
}
