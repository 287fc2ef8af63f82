//! The click on *Announce to N customers*: in one transaction, the shipment
//! is recorded (once per preview: its nonce), the highlights the preview
//! showed that no shipment closed yet are closed by it, and the outbox is
//! given one thread reply per customer and one DM per interviewer or
//! follower (docs/design.md, Outbox). The preview is then replaced by what
//! was done, through the click's `response_url`.

use std::collections::BTreeMap;

use crate::app::{AppState, Clock, Outbox};
use crate::error::AppError;
use crate::permissions;
use crate::reply::Reply;
use crate::slack::blocks;
use crate::slack::interaction::Action;
use crate::slack::mrkdwn::{count, escape, link};
use crate::store::outbox::{self, OutboxKind};
use crate::store::shipments::{self, ClosedQuote, NewShipment, PersonToTell, Shipment};
use crate::store::workspaces::WorkspaceId;

use super::{unseal_carried, Carried};
use crate::store::Db;

/// Said for a button value this app did not seal for this workspace.
pub const NOT_OUR_BUTTON_TEXT: &str =
    "This button was not made by Highlights for this workspace, so nothing was announced.";

/// What a click did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announced {
    /// Recorded now: the customers told, and how many people get a DM.
    Now {
        /// The shipment.
        shipment: Shipment,
        /// The customers' names, in order.
        customers: Vec<String>,
        /// People who get a DM.
        people: usize,
    },
    /// This preview was announced before.
    Already(Shipment),
    /// An earlier shipment closed every highlight the preview showed.
    NothingOpen,
}

/// The *Announce* button: announces what the preview showed, once, and
/// replaces the preview with what was done.
pub async fn click(state: &AppState, workspace: &WorkspaceId, user: &str, action: &Action) -> Result<(), AppError> {
    let answer = match unseal_carried(state.config.signing_secret.expose(), workspace, &action.value) {
        None => {
            tracing::warn!("an announce button this app did not seal for the workspace refused");
            Reply::ephemeral(NOT_OUR_BUTTON_TEXT)
        }
        Some(carried) => {
            match permissions::require_manager(&state.config, &state.slack, workspace, user, "announce what shipped")
                .await
            {
                Err(refusal) => Reply::ephemeral(refusal.0),
                Ok(()) => {
                    let announced = announce(&state.db, &state.clock, &state.outbox, workspace, user, &carried).await?;
                    Reply { replace_original: Some(true), ..Reply::ephemeral(render_announced(&announced)) }
                }
            }
        }
    };
    if let Some(url) = &action.response_url {
        state.slack.respond(url, &answer).await;
    }
    Ok(())
}

/// Records the shipment and queues its posts, in one transaction.
pub async fn announce(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    user: &str,
    carried: &Carried,
) -> Result<Announced, AppError> {
    let today = crate::app::zone::workspace_today(db, clock, workspace).await?.to_string();
    let now = clock.now_ms();
    let new = NewShipment {
        nonce: &carried.nonce,
        area: &carried.area,
        announcement: &carried.announcement,
        link: carried.link.as_deref(),
        shipped_by: user,
        shipped_on: &today,
    };
    let mut tx = db.begin().await?;
    let Some(id) = shipments::insert_shipment(&mut tx, workspace, &new, now).await? else {
        let shipment = shipments::find_shipment_by_nonce(&mut tx, workspace, &carried.nonce).await?;
        return Ok(shipment.map_or(Announced::NothingOpen, Announced::Already));
    };
    if shipments::update_highlights_closed(&mut tx, workspace, id, &carried.highlights).await? == 0 {
        // Dropped, the transaction takes the shipment back: nothing is stored.
        return Ok(Announced::NothingOpen);
    }
    let closed = shipments::list_closed_quotes(&mut tx, workspace, id).await?;
    let people = shipments::list_people_to_tell(&mut tx, workspace, id).await?;
    let shipment = Shipment {
        id,
        area: carried.area.clone(),
        announcement: carried.announcement.clone(),
        link: carried.link.clone(),
        shipped_by: user.to_owned(),
        shipped_on: today,
    };
    let mut customers: Vec<(i64, String)> = Vec::new();
    for quote in &closed {
        if customers.last().is_none_or(|(id, _)| *id != quote.customer_id) {
            customers.push((quote.customer_id, quote.customer.label()));
        }
    }
    for (customer_id, _) in &customers {
        let reply = OutboxKind::PostShipped { shipment_id: id, customer_id: *customer_id };
        outbox::insert_outbox_row(&mut tx, workspace, &reply, now).await?;
    }
    let by_person = people_with_customers(&people);
    for (person, known) in &by_person {
        let text = render_dm(&shipment, &closed, known);
        let dm = OutboxKind::NotifyUser { user: (*person).to_owned(), text, topic: format!("shipped:{id}") };
        outbox::insert_outbox_row(&mut tx, workspace, &dm, now).await?;
    }
    tx.commit().await?;
    outbox.wake();
    Ok(Announced::Now {
        shipment,
        customers: customers.into_iter().map(|(_, name)| name).collect(),
        people: by_person.len(),
    })
}

/// Each person with the customers they know, in order.
fn people_with_customers(people: &[PersonToTell]) -> BTreeMap<&str, Vec<i64>> {
    let mut by_person: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for p in people {
        by_person.entry(p.user_id.as_str()).or_default().push(p.customer_id);
    }
    by_person
}

/// Customers listed in one DM, at most (the rest are counted).
const DM_CUSTOMERS: usize = 10;

/// The DM to someone who knows some of the customers: which to tell, each
/// with their own words.
pub fn render_dm(shipment: &Shipment, closed: &[ClosedQuote], known: &[i64]) -> String {
    let mut text = format!("*Shipped in {}:* {}", escape(&shipment.area), escape(&shipment.announcement));
    if let Some(url) = &shipment.link {
        text.push_str(&format!(" {}", link(url, url)));
    }
    text.push_str(&format!(
        "\nAnnounced by <@{}>. Their threads got a reply; you know {}, so tell them:",
        shipment.shipped_by,
        count(known.len() as i64, "customer who asked", "customers who asked")
    ));
    for customer_id in known.iter().take(DM_CUSTOMERS) {
        let quotes: Vec<&ClosedQuote> = closed.iter().filter(|q| q.customer_id == *customer_id).collect();
        let Some(first) = quotes.first() else { continue };
        let quote = blocks::truncate(&first.quote.replace('\n', " "), 200);
        let more = if quotes.len() > 1 { format!(" (and {} more)", quotes.len() - 1) } else { String::new() };
        text.push_str(&format!("\n• *{}*: “{}”{more}", escape(&first.customer.label()), escape(&quote)));
    }
    if known.len() > DM_CUSTOMERS {
        text.push_str(&format!("\n…and {} more.", count((known.len() - DM_CUSTOMERS) as i64, "customer", "customers")));
    }
    text
}

/// What replaces the preview.
pub fn render_announced(announced: &Announced) -> String {
    match announced {
        Announced::Now { shipment, customers, people } => {
            let names: Vec<String> = customers.iter().take(20).map(|c| format!("*{}*", escape(c))).collect();
            let rest = if customers.len() > 20 { format!(" and {} more", customers.len() - 20) } else { String::new() };
            format!(
                "✔ Announced “{}” to {}: {}{rest}. Each gets a reply in their thread, and {} a DM.",
                escape(&shipment.announcement),
                count(customers.len() as i64, "customer", "customers"),
                names.join(", "),
                count(*people as i64, "interviewer or follower", "interviewers and followers")
            )
        }
        Announced::Already(shipment) => format!(
            "“{}” was already announced by <@{}> on {}: nothing more was sent.",
            escape(&shipment.announcement),
            shipment.shipped_by,
            shipment.shipped_on
        ),
        Announced::NothingOpen => "Every highlight in this preview was closed by an earlier shipment, so nothing \
             was announced."
            .to_owned(),
    }
}
