//! The reply a shipment posts in a customer's thread, run by the outbox
//! worker like a highlight's reply: in the product channel, in the
//! customer's thread (started first if the customer has none there yet),
//! looked for before it is posted again (docs/design.md, Outbox: look before
//! post).

use serde_json::Value;

use crate::app::AppState;
use crate::capture::post::ensure_thread;
use crate::posting::{post_once, product_channel, with_channel_access, PostError, PostOnce};
use crate::slack::blocks::{self, context, section, Message};
use crate::slack::mrkdwn::{escape, link};
use crate::store::outbox::OutboxKind;
use crate::store::shipments::{self, ClosedQuote, Shipment};
use crate::store::workspaces::WorkspaceId;

/// Posts a shipment's reply in one customer's thread, once.
pub async fn post_shipped(
    state: &AppState,
    workspace: &WorkspaceId,
    shipment_id: i64,
    customer_id: i64,
    look_first: bool,
) -> Result<(), PostError> {
    let db = &state.db;
    let Some(shipment) = shipments::find_shipment(db, workspace, shipment_id).await? else {
        return Err(PostError::Gone);
    };
    let quotes = shipments::list_customer_closed_quotes(db, workspace, shipment_id, customer_id).await?;
    if quotes.is_empty() {
        return Err(PostError::Gone);
    }
    let Some(channel) = product_channel(&state.db, &state.slack, workspace).await? else {
        return Err(PostError::Waiting("no product channel set".into()));
    };
    let thread_ts = ensure_thread(state, workspace, customer_id, &shipment.shipped_by, &channel, look_first).await?;
    let slack = state.slack.client(workspace).await?;
    // Credited by name, as highlight replies are: a channel post notifies nobody.
    let announcer = state.slack.person(workspace, &shipment.shipped_by).await;
    let reply = render_shipped_reply(&shipment, &quotes, &announcer);
    let key = OutboxKind::PostShipped { shipment_id, customer_id }.dedupe_key();
    let once = PostOnce { key: &key, look_first };
    with_channel_access(&state.slack, &state.outbox, workspace, Some(&shipment.shipped_by), &channel, || {
        post_once(&state.clock, &slack, &channel, Some(&thread_ts), false, &reply, once)
    })
    .await?;
    Ok(())
}

/// Quotes shown in a thread reply, at most.
const REPLY_QUOTES: usize = 5;

/// Pure rendering of the reply in a customer's thread: `Shipped:` with the
/// announcement and link, quoting what the customer had asked; `announcer`
/// is the name (escaped) of whoever announced it.
pub fn render_shipped_reply(shipment: &Shipment, quotes: &[ClosedQuote], announcer: &str) -> Message {
    let mut headline = format!("Shipped: {}", escape(&shipment.announcement));
    if let Some(url) = &shipment.link {
        headline.push_str(&format!(" {}", link(url, url)));
    }
    let mut text = format!("✔ *{headline}*\nWhat they had asked:");
    for quote in quotes.iter().take(REPLY_QUOTES) {
        let words = blocks::truncate(&quote.quote.replace('\n', " "), 500);
        text.push_str(&format!("\n>{}", escape(&words)));
    }
    if quotes.len() > REPLY_QUOTES {
        text.push_str(&format!("\n…and {} more.", quotes.len() - REPLY_QUOTES));
    }
    let blocks: Vec<Value> = vec![
        section(&text),
        context(&format!("{} · announced by {announcer} on {}", escape(&shipment.area), escape(&shipment.shipped_on))),
    ];
    Message::new(headline, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_quotes_what_the_customer_asked_escaped() {
        let shipment = Shipment {
            id: 1,
            area: "chat".into(),
            announcement: "Canned <replies> & macros".into(),
            link: Some("https://x.io/log".into()),
            shipped_by: "U1".into(),
            shipped_on: "2026-12-05".into(),
        };
        let quote = |id: i64, words: &str| ClosedQuote {
            id,
            customer_id: 7,
            customer: crate::domain::ShownCustomer::named("Acme"),
            quote: words.into(),
        };
        let quotes = [quote(1, "<!channel> we need canned replies"), quote(2, "please")];
        let reply = render_shipped_reply(&shipment, &quotes, "spengler");
        assert_eq!(reply.text, "Shipped: Canned &lt;replies&gt; &amp; macros <https://x.io/log|https://x.io/log>");
        blocks::typed_blocks(&reply.blocks).expect("valid Block Kit");
        insta::assert_json_snapshot!("shipped_reply", reply);
    }
}
