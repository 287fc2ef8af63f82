//! `/highlight brief <customer>`: one screen before a call (docs/design.md,
//! Behaviour: customers people care about): product areas with counts, the
//! five latest quotes, who has talked to them and when last, whom they talked
//! to (the interviewees the capture modal named), followers, the
//! areas they would test a prototype in, what was shipped to them, and their
//! thread. Each fact is read by one store query, the customer view's where
//! it has one.

use serde_json::Value;

use crate::customers::view::{interviewee_suffix, resolve, shipped_mark};
use crate::domain::highlight::moment_suffix;
use crate::domain::CustomerName;
use crate::error::AppError;
use crate::reply::Reply;
use crate::slack::blocks::{self, context, divider, section};
use crate::slack::mrkdwn::{count, escape, link};
use crate::store::briefs::{self, Interviewee, Interviewer, LatestQuote};
use crate::store::customers::{self, Customer, CustomerSummary};
use crate::store::shipments::{self, CustomerShipment};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Latest quotes shown.
pub const LATEST_QUOTES: i64 = 5;
/// Shipments shown.
pub const SHIPMENTS: i64 = 5;
/// People listed per line (interviewers, followers), at most.
const PEOPLE: usize = 20;
/// Interviewees listed, at most.
pub const INTERVIEWEES: i64 = 10;

/// Everything a brief shows, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brief {
    /// The customer.
    pub customer: Customer,
    /// Counts, and per area.
    pub summary: CustomerSummary,
    /// The latest quotes, newest first.
    pub latest: Vec<LatestQuote>,
    /// Who has talked to them, most recent first.
    pub interviewers: Vec<Interviewer>,
    /// Whom at the customer they talked to, most recent first.
    pub interviewees: Vec<Interviewee>,
    /// Who follows them (Slack user ids).
    pub followers: Vec<String>,
    /// Areas they would test a prototype in (docs/design.md, Behaviour:
    /// Testers); none: the brief shows no line for it.
    pub tester_areas: Vec<String>,
    /// What was shipped to them, latest first.
    pub shipped: Vec<CustomerShipment>,
    /// Their thread's permalink.
    pub thread: Option<String>,
}

/// The brief as an ephemeral reply; an unknown customer is refused with the
/// closest known names.
pub async fn show(db: &Db, workspace: &WorkspaceId, name: &CustomerName) -> Result<Reply, AppError> {
    let customer = resolve(db, workspace, name).await?;
    let (text, blocks) = render_brief(&gather(db, workspace, customer).await?);
    Ok(Reply::ephemeral_blocks(text, blocks))
}

/// Reads everything the brief of `customer` shows: what `brief` answers and
/// the morning brief of a planned interview sends.
pub async fn gather(db: &Db, workspace: &WorkspaceId, customer: Customer) -> Result<Brief, sqlx::Error> {
    let id = customer.id;
    Ok(Brief {
        summary: customers::find_customer_summary(db, workspace, id).await?,
        latest: briefs::list_latest_customer_quotes(db, workspace, id, LATEST_QUOTES).await?,
        interviewers: briefs::list_customer_interviewers(db, workspace, id).await?,
        interviewees: briefs::list_customer_interviewees(db, workspace, id, INTERVIEWEES).await?,
        followers: crate::store::follows::followers_of(db, workspace, &[id])
            .await?
            .into_iter()
            .map(|follower| follower.user_id)
            .collect(),
        tester_areas: crate::store::testers::list_customer_tester_areas(db, workspace, id).await?,
        shipped: shipments::list_customer_shipments(db, workspace, id, SHIPMENTS).await?,
        thread: customers::find_customer_details(db, workspace, id).await?.thread_permalink,
        customer,
    })
}

/// `<@U1>, <@U2>` (at most [`PEOPLE`], the rest counted).
fn people(ids: impl ExactSizeIterator<Item = String>) -> String {
    let n = ids.len();
    let mut out: Vec<String> = ids.take(PEOPLE).collect();
    if n > PEOPLE {
        out.push(format!("and {} more", n - PEOPLE));
    }
    out.join(", ")
}

/// Pure rendering of a brief.
pub fn render_brief(brief: &Brief) -> (String, Vec<Value>) {
    let shown = &brief.customer.shown;
    let name = escape(&shown.label());
    let s = &brief.summary;
    let mut header = format!(
        "*Brief: {name}* · {} · {}",
        count(s.highlights, "highlight", "highlights"),
        count(s.interviews, "interview", "interviews")
    );
    if let Some(url) = &brief.thread {
        header.push_str(&format!("\n{}", link(url, "Open the customer's thread")));
    }
    let mut blocks = vec![section(&header)];
    if s.areas.is_empty() {
        blocks.push(section(&format!("No highlights yet. Capture one with `/highlight {name} | <area> | <quote>`.")));
    } else {
        let areas: Vec<String> = s.areas.iter().map(|a| format!("{} {}", escape(&a.area), a.highlights)).collect();
        blocks.push(section(&format!("*Areas:* {}", areas.join(" · "))));
    }
    if !brief.latest.is_empty() {
        let mut text = "*Latest quotes*".to_owned();
        for q in &brief.latest {
            let quote = blocks::truncate(&q.quote.replace('\n', " "), 300);
            let when = match &q.permalink {
                Some(url) => link(url, &q.interview_date),
                None => q.interview_date.clone(),
            };
            let (rec, at) = shown.recording(q.recording_link.clone(), q.recording_at);
            let moment = moment_suffix(rec.as_deref(), at);
            let shipped = shipped_mark(q.shipped_on.as_deref());
            let with = interviewee_suffix(q.interviewee.as_deref());
            text.push_str(&format!(
                "\n>{} — {} · <@{}>{with}, {when}{moment}{shipped}",
                escape(&quote),
                escape(&q.area),
                q.author
            ));
        }
        blocks.push(section(&text));
    }
    blocks.push(divider());
    let talked = if brief.interviewers.is_empty() {
        "nobody yet".to_owned()
    } else {
        people(brief.interviewers.iter().map(|i| {
            format!("<@{}> ({}, last {})", i.user_id, count(i.interviews, "interview", "interviews"), i.last_date)
        }))
    };
    let followers = if brief.followers.is_empty() {
        format!("nobody yet (`/highlight follow {name}`)")
    } else {
        people(brief.followers.iter().map(|f| format!("<@{f}>")))
    };
    let mut known = format!("*Who has talked to them:* {talked}");
    if !brief.interviewees.is_empty() {
        let whom: Vec<String> = brief
            .interviewees
            .iter()
            .map(|i| format!("{} (last {})", escape(&blocks::truncate(&i.name, 150)), escape(&i.last_date)))
            .collect();
        known.push_str(&format!("\n*Interviewees:* {}", whom.join(" · ")));
    }
    known.push_str(&format!("\n*Followers:* {followers}"));
    if !brief.tester_areas.is_empty() {
        let areas: Vec<String> = brief.tester_areas.iter().map(|a| escape(a)).collect();
        known.push_str(&format!("\n*Would test a prototype in:* {}", areas.join(", ")));
    }
    blocks.push(section(&known));
    if !brief.shipped.is_empty() {
        let mut text = "*Shipped to them*".to_owned();
        for shipment in &brief.shipped {
            let more = shipment.link.as_deref().map(|url| format!(" {}", link(url, "more"))).unwrap_or_default();
            text.push_str(&format!(
                "\n✔ shipped {}: {}{more} ({})",
                escape(&shipment.shipped_on),
                escape(&blocks::truncate(&shipment.announcement, 300)),
                count(shipment.quotes, "quote closed", "quotes closed")
            ));
        }
        blocks.push(section(&text));
    }
    blocks.push(context("Only you can see this brief."));
    let fallback = format!(
        "Brief: {name}: {} in {}",
        count(s.highlights, "highlight", "highlights"),
        count(s.areas.len() as i64, "area", "areas")
    );
    (fallback, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::customers::AreaCount;

    #[test]
    fn a_brief_fits_one_screen_and_escapes_what_people_typed() {
        let customer = Customer {
            id: 1,
            key: "acme".into(),
            display_name: "Acme <Labs>".into(),
            thread_channel: None,
            thread_ts: None,
            shown: crate::domain::ShownCustomer::named("Acme <Labs>"),
        };
        let quote = |quote: &str, area: &str, shipped_on: Option<&str>| LatestQuote {
            area: area.into(),
            quote: quote.into(),
            author: "U1".into(),
            interview_date: "2026-12-01".into(),
            interviewee: Some("Dana <Lee>, CTO".into()),
            permalink: Some("https://x.slack.com/p1".into()),
            recording_link: Some("https://www.youtube.com/watch?v=abc".into()),
            recording_at: Some(754),
            shipped_on: shipped_on.map(str::to_owned),
        };
        let brief = Brief {
            customer,
            summary: CustomerSummary {
                highlights: 3,
                interviews: 2,
                interviewers: 2,
                areas: vec![
                    AreaCount { area: "chat".into(), highlights: 2 },
                    AreaCount { area: "billing".into(), highlights: 1 },
                ],
            },
            latest: vec![
                quote("<!channel> canned replies", "chat", Some("2026-12-05")),
                quote("invoices", "billing", None),
            ],
            interviewers: vec![
                Interviewer { user_id: "U1".into(), interviews: 2, last_date: "2026-12-01".into() },
                Interviewer { user_id: "U2".into(), interviews: 1, last_date: "2026-11-20".into() },
            ],
            interviewees: vec![Interviewee { name: "Dana <Lee>, CTO".into(), last_date: "2026-12-01".into() }],
            followers: vec!["U3".into()],
            tester_areas: Vec::new(),
            shipped: vec![CustomerShipment {
                announcement: "Canned replies & macros".into(),
                link: Some("https://x.io/log".into()),
                shipped_on: "2026-12-05".into(),
                quotes: 1,
            }],
            thread: Some("https://x.slack.com/thread".into()),
        };
        let (text, blocks) = render_brief(&brief);
        assert_eq!(text, "Brief: Acme &lt;Labs&gt;: 3 highlights in 2 areas");
        blocks::typed_blocks(&blocks).expect("valid Block Kit");
        insta::assert_json_snapshot!("customer_brief", blocks);
        let all = serde_json::to_string(&blocks).expect("json");
        assert!(all.contains("&lt;!channel&gt; canned replies"), "{all}");
        assert!(all.contains("<@U1> with Dana &lt;Lee&gt;, CTO, <https://x.slack.com/p1|2026-12-01>"), "{all}");
        assert!(all.contains("*Interviewees:* Dana &lt;Lee&gt;, CTO (last 2026-12-01)"), "{all}");
        assert!(!all.contains("prototype"), "no testers yet, no line");
    }
}
