//! The "Triage feedback" message shortcut: a small modal (product area,
//! customer, kind) that turns any Slack message into a feedback item counted
//! toward the triage quota. The same message triaged twice counts once.
//!
//! Triage by reaction (docs/design.md, Behaviour): reacting with the workspace's triage emoji
//! (:inbox_tray: unless `config triage-emoji` says otherwise) queues the
//! message for the person who reacted; their App Home lists it with a Triage
//! button that opens the same modal.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::{AppState, Clock, Outbox};
use crate::customers::suggest;
use crate::domain::CustomerName;
use crate::domain::Kind;
use crate::error::AppError;
use crate::reply::Ack;
use crate::slack::blocks::{self, external_select, input, modal, option, section, static_select};
use crate::slack::interaction::View;
use crate::slack::mrkdwn::{decode, escape};
use crate::slack::payload::Reaction;
use crate::store::areas::{list_areas, Area};
use crate::store::customers::{find_surviving_customer, insert_customer_if_new};
use crate::store::follows::{insert_follower_notices, NoticeQuote};
use crate::store::onboarding::{self, NewFeedback};
use crate::store::outbox::OutboxKind;
use crate::store::triage_queue::{
    delete_queued_message, find_queued_message, find_triage_emoji, insert_queued_message,
};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// `callback_id` of the shortcut (manifest.yml).
pub const SHORTCUT: &str = "triage_feedback";
/// `callback_id` of its modal.
pub const CALLBACK_ID: &str = "triage";
/// The reaction that queues a message for triage, unless the workspace chose another.
pub const DEFAULT_EMOJI: &str = "inbox_tray";
/// `action_id` of the App Home's Triage button (its value: the queued message's id).
pub const TRIAGE_QUEUED_ACTION: &str = "home_triage_queued";

/// The workspace's triage emoji.
pub async fn triage_emoji(db: &Db, workspace: &WorkspaceId) -> Result<String, sqlx::Error> {
    Ok(find_triage_emoji(db, workspace).await?.unwrap_or_else(|| DEFAULT_EMOJI.to_owned()))
}

/// A reaction: with the triage emoji, it queues the message for whoever
/// reacted (or, removed, takes it out of their queue if not triaged yet).
pub async fn reacted(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    reaction: &Reaction,
) -> Result<(), AppError> {
    // `thumbsup::skin-tone-2` is a thumbs-up.
    let name = reaction.name.split("::").next().unwrap_or_default();
    if name != triage_emoji(db, workspace).await? {
        return Ok(());
    }
    let (db, now) = (db, clock.now_ms());
    let changed = if reaction.added {
        db.write(async |tx| {
            insert_queued_message(tx, workspace, &reaction.user, &reaction.channel, &reaction.ts, now).await
        })
        .await?
    } else {
        db.write(async |tx| {
            delete_queued_message(tx, workspace, &reaction.user, &reaction.channel, &reaction.ts, now).await
        })
        .await?
    };
    if changed {
        outbox.wake();
    }
    Ok(())
}

/// The App Home's Triage button: opens the triage modal on a queued message.
pub async fn open_queued(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    trigger_id: String,
    value: &str,
) -> Result<(), AppError> {
    let queued = match value.parse::<i64>() {
        Ok(id) => find_queued_message(&state.db, workspace, user, id).await?,
        Err(_) => None,
    };
    match queued {
        Some(m) => {
            let text = m.message_text.unwrap_or_default();
            open(state, workspace, trigger_id, m.channel_id, m.message_ts, &text, None);
        }
        // Triaged meanwhile (from another device, or by someone else): the Home is refreshed.
        None => {
            state
                .outbox
                .queue(workspace, &crate::store::outbox::OutboxKind::PublishHome { user: user.to_owned() })
                .await?
        }
    }
    Ok(())
}

/// What the modal carries: which message it classifies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Channel of the message.
    pub channel: String,
    /// `ts` of the message.
    pub ts: String,
    /// Its text, decoded (cut to fit Slack's metadata limit).
    pub text: String,
}

/// The target as `private_metadata`, cutting the text until it fits Slack's 3000 characters.
fn metadata(target: &Target) -> String {
    let mut target = target.clone();
    loop {
        let json = serde_json::to_string(&target).unwrap_or_default();
        // The app seals it (`Slack::open_modal`): that takes a few characters.
        if json.chars().count() <= blocks::MAX_PRIVATE_METADATA - crate::slack::verify::SEAL_LEN
            || target.text.is_empty()
        {
            return json;
        }
        let keep = target.text.chars().count() * 3 / 4;
        target.text = target.text.chars().take(keep).collect();
    }
}

/// The triage modal for a message.
pub fn render_triage_modal(areas: &[Area], target: &Target) -> Value {
    let areas = areas.iter().map(|a| option(&a.name, &a.id.to_string()));
    let kinds = Kind::ALL.iter().map(|k| option(k.label(), k.as_str()));
    let preview = format!(">{}", escape(&blocks::truncate(&target.text.replace('\n', " "), 500)));
    let blocks = vec![
        section(&preview),
        input("area", "Product area", static_select("value", areas).placeholder("Choose an area")).into(),
        input("customer", "Customer", external_select("value", 1).placeholder("Who is it about? (optional)"))
            .optional()
            .into(),
        input("kind", "Kind", static_select("value", kinds).initial(option(Kind::Other.label(), Kind::Other.as_str())))
            .into(),
    ];
    modal("Triage feedback", blocks)
        .callback_id(CALLBACK_ID)
        .submit("Save")
        .close("Cancel")
        .private_metadata(metadata(target))
        .into()
}

/// The view that replaces the modal once the message is triaged.
fn render_triaged(text: &str) -> Value {
    modal("Feedback triaged", vec![section(text)]).close("Done").into()
}

/// Opens the modal for a message (after the ack; the trigger lasts 3 s); if
/// Slack refuses, says so through the shortcut's `response_url`.
pub fn open(
    state: &AppState,
    workspace: &WorkspaceId,
    trigger_id: String,
    channel: String,
    ts: String,
    text: &str,
    response_url: Option<String>,
) {
    let target = Target { channel, ts, text: blocks::truncate(&decode(text), 2000) };
    let tasks = state.tasks.clone();
    let (state, workspace) = (state.clone(), workspace.clone());
    tasks.spawn(async move {
        let areas = match list_areas(&state.db, &workspace).await {
            Ok(a) => a,
            Err(e) => return tracing::error!(error = %e, "cannot load areas for triage"),
        };
        if let Err(e) = state.slack.open_modal(&workspace, &trigger_id, render_triage_modal(&areas, &target)).await {
            tracing::warn!(error = %e, "views.open failed for the triage modal");
            if let Some(url) = response_url {
                let text = "I couldn't open the triage form. Nothing was recorded; please run *Triage feedback* again.";
                state.slack.respond(&url, &crate::reply::Reply::ephemeral(text)).await;
            }
        }
    });
}

/// A submitted triage: errors on the right block, or stored and confirmed.
pub async fn submit(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    view: &View,
    metadata: &str,
) -> Result<Ack, AppError> {
    let target: Target = serde_json::from_str(metadata).unwrap_or_default();
    let picked = |block: &str| view.values.get(block, "value").map(str::to_owned);
    let areas = list_areas(&state.db, workspace).await?;
    let Some(area) = picked("area").and_then(|id| areas.iter().find(|a| a.id.to_string() == id).cloned()) else {
        return Ok(Ack::error("area", "Choose one of the product areas."));
    };
    if target.channel.is_empty() || target.ts.is_empty() {
        return Ok(Ack::error("area", "This form lost its message; run the shortcut again."));
    }
    let kind = picked("kind").and_then(|k| Kind::parse(&k)).unwrap_or(Kind::Other);
    // The customer is known, or new (then created with the item, in one
    // transaction: a failure leaves neither).
    let (mut customer_id, mut new_customer) = (None, None);
    if let Some(v) = picked("customer") {
        match v.strip_prefix(suggest::EXISTING).and_then(|id| id.parse::<i64>().ok()) {
            Some(id) => customer_id = find_surviving_customer(&state.db, workspace, id).await?.map(|c| c.id),
            None => match CustomerName::parse(v.strip_prefix(suggest::NEW).unwrap_or(&v)) {
                // By its name, or `Customer N` for an anonymous customer.
                Ok(name) => match crate::customers::view::find_named(&state.db, workspace, &name).await? {
                    Some(c) => customer_id = Some(c.id),
                    None => new_customer = Some(name),
                },
                Err(e) => return Ok(Ack::error("customer", e.0)),
            },
        }
    }
    let mut scrubbing =
        crate::domain::pii::Scrubbing::new(crate::store::workspaces::find_pii_scrub(&state.db, workspace).await?);
    let message_text = scrubbing.text(&target.text);
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    if let Some(name) = &new_customer {
        customer_id = Some(insert_customer_if_new(&mut tx, workspace, name, now).await?);
    }
    let item = NewFeedback {
        triaged_by: user.to_owned(),
        channel_id: target.channel.clone(),
        message_ts: target.ts.clone(),
        message_text,
        area_id: area.id,
        customer_id,
        kind: kind.as_str(),
    };
    let fresh = onboarding::upsert_feedback_item(&mut tx, workspace, &item, now).await?;
    if let (true, Some(customer_id)) = (fresh, customer_id) {
        // Its customer's followers hear of it, once (design.md, Behaviour).
        let notice = OutboxKind::NotifyFollower {
            user: String::new(),
            customer_id,
            author: user.to_owned(),
            submission: format!("triage:{}:{}", target.channel, target.ts),
            quotes: vec![NoticeQuote {
                area_id: area.id,
                quote: target.text.clone(),
                recording_link: None,
                recording_at: None,
            }],
        };
        insert_follower_notices(&mut tx, workspace, &notice, user, now).await?;
    }
    tx.commit().await?;
    state.outbox.wake();
    crate::quotas::after_evidence(&state.db, &state.clock, &state.outbox, workspace, user).await;
    fill_permalink(state, workspace, target.channel, target.ts);
    let text = if fresh {
        format!("Triaged as *{}* ({}). It counts toward your feedback target.", escape(&area.name), kind.label())
    } else {
        format!(
            "This message was already triaged, so it still counts once. Its classification is now *{}* ({}).",
            escape(&area.name),
            kind.label()
        )
    } + &scrubbing.sentence();
    Ok(Ack::Update(render_triaged(&text)))
}

/// Links the item back to its message (after the ack).
fn fill_permalink(state: &AppState, workspace: &WorkspaceId, channel: String, ts: String) {
    let tasks = state.tasks.clone();
    let (state, workspace) = (state.clone(), workspace.clone());
    tasks.spawn(async move {
        let link = match state.slack.client(&workspace).await {
            Ok(slack) => slack.permalink(&channel, &ts).await,
            Err(e) => Err(e),
        };
        match link {
            Ok(link) => {
                if let Err(e) = state
                    .db
                    .write(async |tx| onboarding::update_feedback_permalink(tx, &workspace, &channel, &ts, &link).await)
                    .await
                {
                    tracing::warn!(error = %e, "could not store a feedback permalink");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not get a feedback permalink"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modal_renders_as_before() {
        let areas = [
            Area { id: 1, key: "chat".into(), name: "Chat".into() },
            Area {
                id: 2,
                key: "x".into(),
                name: "A product area whose name runs on far past the seventy-five characters of an option".into(),
            },
        ];
        let target = Target { channel: "C1".into(), ts: "1.2".into(), text: "Exports <please>\nsoon".into() };
        insta::assert_json_snapshot!("triage_modal", render_triage_modal(&areas, &target));
        insta::assert_json_snapshot!(
            "triaged",
            render_triaged("Triaged as *Chat* (Pain). It counts toward your feedback target.")
        );
    }

    #[test]
    fn long_messages_still_fit_in_the_metadata() {
        let target = Target { channel: "C1".into(), ts: "1.2".into(), text: "\"quoted\"\n".repeat(400) };
        let m = metadata(&target);
        assert!(m.chars().count() <= 3000, "{}", m.len());
        let back: Target = serde_json::from_str(&m).expect("json");
        assert_eq!((back.channel.as_str(), back.ts.as_str()), ("C1", "1.2"));
        assert!(back.text.starts_with("\"quoted\""));
    }
}
