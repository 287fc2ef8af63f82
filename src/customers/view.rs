//! `/highlight customer <name>`: everything a customer said, grouped by
//! product area: totals, then per area the count and the latest quotes.

use serde_json::Value;

use crate::config::Config;
use crate::customers::suggest::near_duplicates;
use crate::domain::CustomerName;
use crate::error::{AppError, UserError};
use crate::reply::Reply;
use crate::slack::blocks::{self, context, divider, section, MAX_MESSAGE_BLOCKS};
use crate::slack::mrkdwn::{escape, link};
use crate::store::customers::{self, AreaQuote, Customer, CustomerDetails, CustomerTotals};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Latest quotes shown per area.
pub const QUOTES_PER_AREA: i64 = 3;

/// `action_id` of the *Follow* button (its value: the customer id).
pub const FOLLOW_ACTION: &str = "follow_customer";
/// `action_id` of the *Unfollow* button.
pub const UNFOLLOW_ACTION: &str = "unfollow_customer";

/// The *Follow* button of a customer, or *Unfollow* when `following`.
pub fn follow_actions(customer_id: i64, following: bool) -> Value {
    let button = match following {
        false => blocks::button(FOLLOW_ACTION, "Follow").value(customer_id.to_string()),
        true => blocks::button(UNFOLLOW_ACTION, "Unfollow").value(customer_id.to_string()),
    };
    blocks::actions("follow", [button])
}

/// Finds a customer by a typed name or, for an anonymous customer, its
/// `Customer N` label; or says (as a [`UserError`]) which names are close.
pub async fn resolve(db: &Db, workspace: &WorkspaceId, name: &CustomerName) -> Result<Customer, AppError> {
    if let Some(customer) = find_named(db, workspace, name).await? {
        return Ok(customer);
    }
    let near = customers::list_near_customers(db, workspace, &name.key).await?;
    let mut close: Vec<String> =
        near_duplicates(&name.key, &near).iter().map(|c| format!("*{}*", escape(&c.display_name))).collect();
    if close.is_empty() {
        // Names that contain what was typed (this misses nothing, so it reads more).
        close = customers::list_customers_matching(db, workspace, &name.key, 3)
            .await?
            .iter()
            .map(|c| format!("*{}*", escape(&c.display_name)))
            .collect();
    }
    Err(UserError::new(if close.is_empty() {
        format!("I don't know a customer called “{}” yet.", escape(&name.display))
    } else {
        format!("I don't know a customer called “{}”. Did you mean {}?", escape(&name.display), close.join(" or "))
    })
    .into())
}

/// The customer a name (or one of its aliases) names or, failing that, the
/// anonymous customer a `Customer N` label names: what people see of it is
/// what they type (commands and captures alike). A customer called
/// `Customer 3` by name is found by its name first.
pub async fn find_named(
    db: &crate::store::Db,
    workspace: &WorkspaceId,
    name: &CustomerName,
) -> Result<Option<Customer>, sqlx::Error> {
    match customers::find_customer_by_key(db, workspace, &name.key).await? {
        Some(customer) => Ok(Some(customer)),
        None => find_labelled(db, workspace, name).await,
    }
}

/// The anonymous customer a typed `Customer N` names, if any (for a caller
/// that looked the name up already).
pub async fn find_labelled(
    db: &crate::store::Db,
    workspace: &WorkspaceId,
    name: &CustomerName,
) -> Result<Option<Customer>, sqlx::Error> {
    let Some(label) = crate::domain::ShownCustomer::parse_label(&name.display) else {
        return Ok(None);
    };
    match crate::store::privacy::find_anonymous_customer(db, workspace, label).await? {
        Some(id) => customers::find_customer(db, workspace, id).await,
        None => Ok(None),
    }
}

/// The customer view as an ephemeral reply, with a *Follow* (or *Unfollow*) button for `user`.
pub async fn show(
    db: &Db,
    config: &Config,
    workspace: &WorkspaceId,
    user: &str,
    name: &CustomerName,
) -> Result<Reply, AppError> {
    let customer = resolve(db, workspace, name).await?;
    let following = crate::store::follows::find_follow(db, workspace, customer.id, user).await?;
    let totals = customers::find_customer_totals(db, workspace, customer.id).await?;
    let details = customers::find_customer_details(db, workspace, customer.id).await?;
    let quotes = customers::list_customer_quotes_by_area(db, workspace, customer.id, QUOTES_PER_AREA).await?;
    let (text, mut blocks) = render_customer_view(&customer, &totals, &details, &quotes);
    blocks.push(follow_actions(customer.id, following));
    let web = config.web.as_ref().map(|web| web.url(&format!("/customers/{}", customer.id)));
    let message = blocks::Message::new(text, blocks).with_browser_link(web);
    Ok(Reply::ephemeral_blocks(message.text, message.blocks))
}

/// ` · ✔ shipped <date>` after a quote a shipment closed (docs/design.md,
/// Behaviour: closing the loop); nothing after an open one.
pub fn shipped_mark(shipped_on: Option<&str>) -> String {
    shipped_on.map(|date| format!(" · ✔ shipped {}", escape(date))).unwrap_or_default()
}

/// ` with <name and role>` after the interviewer, when the interview names
/// who was interviewed (docs/design.md, Behaviour: interviews with a purpose).
pub fn interviewee_suffix(interviewee: Option<&str>) -> String {
    match interviewee.map(str::trim).filter(|who| !who.is_empty()) {
        Some(who) => format!(" with {}", escape(&blocks::truncate(who, 150))),
        None => String::new(),
    }
}

/// Pure rendering of the customer view.
pub fn render_customer_view(
    customer: &Customer,
    totals: &CustomerTotals,
    details: &CustomerDetails,
    quotes: &[AreaQuote],
) -> (String, Vec<Value>) {
    // Asked by name or not, an anonymous customer is its label here.
    let person = &customer.shown;
    let name = escape(&person.label());
    if totals.highlights == 0 {
        let text = format!("*{name}* has no highlights yet. Capture one with `/highlight {name} | <area> | <quote>`.");
        return (text.clone(), vec![section(&text)]);
    }
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut facts = vec![
        plural(totals.highlights, "highlight"),
        plural(totals.interviews, "interview"),
        plural(totals.interviewers, "interviewer"),
    ];
    if let (Some(first), Some(last)) = (&totals.first_contact, &totals.last_contact) {
        facts.push(if first == last { format!("on {first}") } else { format!("{first} → {last}") });
    }
    if let Some(segment) = details.segment.as_ref().filter(|_| !person.is_anonymous()) {
        facts.push(escape(&blocks::truncate(segment, 100)));
    }
    if let Some(arr) = details.arr_cents {
        facts.push(format!("${} ARR", crate::reply::thousands(arr / 100)));
    }
    let mut header = format!("*{name}*: {}", facts.join(" · "));
    if let Some(url) = &details.thread_permalink {
        header.push_str(&format!("\n{}", link(url, "Open the customer's thread")));
    }
    let mut blocks = vec![section(&header), divider()];
    let mut areas: Vec<(&str, i64, Vec<&AreaQuote>)> = Vec::new();
    for q in quotes {
        match areas.last_mut() {
            Some((area, _, list)) if *area == q.area => list.push(q),
            _ => areas.push((&q.area, q.area_highlights, vec![q])),
        }
    }
    let shown = areas.len().min(MAX_MESSAGE_BLOCKS - 4);
    for (area, count, list) in &areas[..shown] {
        let mut text = format!("*{}* · {}", escape(area), plural(*count, "highlight"));
        for q in list {
            let quote = blocks::truncate(&q.quote.replace('\n', " "), 280);
            let when = match &q.permalink {
                Some(url) => link(url, &q.interview_date),
                None => q.interview_date.clone(),
            };
            let (link_shown, at_shown) = person.recording(q.recording_link.clone(), q.recording_at);
            let moment = crate::domain::highlight::moment_suffix(link_shown.as_deref(), at_shown);
            let shipped = shipped_mark(q.shipped_on.as_deref());
            let with = interviewee_suffix(q.interviewee.as_deref());
            text.push_str(&format!("\n>{} — <@{}>{with}, {}{moment}{shipped}", escape(&quote), q.author, when));
        }
        blocks.push(section(&text));
    }
    if areas.len() > shown {
        blocks.push(context(&format!("…and {} more areas.", areas.len() - shown)));
    }
    let fallback = format!(
        "{}: {} in {}",
        escape(&person.label()),
        plural(totals.highlights, "highlight"),
        plural(areas.len() as i64, "area")
    );
    (fallback, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_groups_quotes_by_area_and_escapes_them() {
        let customer = Customer {
            id: 1,
            key: "acme".into(),
            display_name: "Acme".into(),
            thread_channel: None,
            thread_ts: None,
            shown: crate::domain::ShownCustomer::named("Acme"),
        };
        let totals = CustomerTotals {
            highlights: 3,
            interviews: 2,
            interviewers: 1,
            first_contact: Some("2026-01-01".into()),
            last_contact: Some("2026-02-01".into()),
        };
        let details = CustomerDetails {
            thread_permalink: Some("https://x.slack.com/p1".into()),
            segment: Some("Enterprise".into()),
            arr_cents: Some(12_000_000),
        };
        let q = |area: &str, n: i64, quote: &str| AreaQuote {
            area: area.into(),
            area_highlights: n,
            quote: quote.into(),
            kind: "pain".into(),
            author: "U1".into(),
            interview_date: "2026-02-01".into(),
            permalink: None,
            recording_link: None,
            recording_at: None,
            rank: 1,
            shipped_on: None,
            interviewee: None,
            endorsed_by: None,
            created_at: 0,
        };
        let (text, blocks) = render_customer_view(
            &customer,
            &totals,
            &details,
            &[
                q("chat", 2, "<!here> a"),
                AreaQuote {
                    shipped_on: Some("2026-12-05".into()),
                    interviewee: Some("Dana <Lee>, CTO".into()),
                    ..q("chat", 2, "b")
                },
                q("billing", 1, "c"),
            ],
        );
        assert_eq!(text, "Acme: 3 highlights in 2 areas");
        insta::assert_json_snapshot!("customer_view", blocks);
        let header = blocks[0]["text"]["text"].as_str().expect("text");
        assert!(
            header.contains(
                "3 highlights · 2 interviews · 1 interviewer · 2026-01-01 → 2026-02-01 · Enterprise · $120,000 ARR"
            ),
            "{header}"
        );
        assert!(header.contains("<https://x.slack.com/p1|Open the customer's thread>"));
        let chat = blocks[2]["text"]["text"].as_str().expect("text");
        assert!(
            chat.starts_with("*chat* · 2 highlights\n>&lt;!here&gt; a — <@U1>, 2026-02-01\n>b — <@U1> with Dana &lt;Lee&gt;, CTO, 2026-02-01 · ✔ shipped 2026-12-05"),
            "{chat}"
        );
        assert!(blocks[3]["text"]["text"].as_str().expect("text").starts_with("*billing* · 1 highlight"));
        blocks::typed_blocks(&blocks).expect("valid Block Kit");
        let none =
            CustomerTotals { highlights: 0, interviews: 0, interviewers: 0, first_contact: None, last_contact: None };
        insta::assert_json_snapshot!("customer_view_empty", render_customer_view(&customer, &none, &details, &[]));
    }
}
