//! Capture's entry points: the quick capture, opening the modal (from the
//! command, the "Save as highlight" shortcut, or a button), growing it by one
//! highlight, and its submission. Each stores before it answers.

use serde_json::Value;

use crate::app::zone::{local_date, zone_named};
use crate::app::{memo::Memo, AppState, Outbox, Slack};
use crate::areas::{self, find_area};
use crate::capture::modal::{self, CustomerChoice, Metadata, Prefill};
use crate::capture::questions;
use crate::capture::quick::{Capture, Unfiled};
use crate::config::Config;
use crate::customers::suggest;
use crate::domain::highlight::{format_date, Kind};
use crate::domain::pii::Scrubbing;
use crate::domain::{CustomerName, ShownCustomer};
use crate::error::{AppError, UserError};
use crate::reply::{echo, Ack, Reply, ALREADY_RECEIVED_TEXT};
use crate::slack::blocks;
use crate::slack::interaction::View;
use crate::slack::mrkdwn::{decode, escape};
use crate::store::areas::list_areas;
use crate::store::captures::{CaptureContext, NewCapture, NewHighlight};
use crate::store::customers::{find_surviving_customer, list_near_customers};
use crate::store::search::SimilarQuote;
use crate::store::seen_requests::SeenRequest;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// `/highlight <customer> | <area> | <quote> [| <link>]`: stores the highlight
/// and answers with where it will be posted. A mistake stores nothing and
/// echoes the text back.
///
/// The request path: one read (the workspace's settings and the customer),
/// the product areas from memory, one group-committed write (the capture, its
/// posts, the App Home refresh and milestone check, all as outbox work).
///
/// `seen`: the signed request that carried it, recorded in the capture's
/// own transaction (a replay is then refused there, and nothing stored).
pub async fn quick_capture(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    capture: Capture,
    choice: Option<CustomerChoice>,
    seen: Option<SeenRequest>,
) -> Result<Reply, AppError> {
    let capture = match capture {
        Capture::Unfiled(unfiled) => {
            return suggest_area(&state.db, &state.config, &state.memo, workspace, unfiled).await
        }
        Capture::Quick(capture) => capture,
    };
    let text = capture.text.as_str();
    let db = &state.db;
    let context = capture_context(db, workspace, &capture.customer.key).await?;
    let all_areas = db.areas_at(workspace, context.areas_version).await?;
    let Some(area) = find_area(&all_areas, &capture.area) else {
        return Ok(Reply::ephemeral(format!(
            "{} Nothing was saved.\n{}",
            areas::unknown_area_message(&all_areas, &capture.area),
            echo(text)
        )));
    };
    let existing = match choice {
        Some(CustomerChoice::Existing(id)) => {
            find_surviving_customer(db, workspace, id).await?.map(|c| (c.id, c.display_name, c.shown))
        }
        Some(CustomerChoice::Named(_)) => customer_of(db, workspace, &context).await?,
        // Not known by its name: maybe `Customer N`, as people see an
        // anonymous customer (the reminder of a planned interview types it).
        None => match customer_of(db, workspace, &context).await? {
            Some(known) => Some(known),
            None => labelled(db, workspace, &capture.customer).await?,
        },
    };
    if existing.is_none() && choice.is_none() {
        let near = list_near_customers(db, workspace, &capture.customer.key).await?;
        if let Some(near) = suggest::near_duplicates(&capture.customer.key, &near).first() {
            // A text too long to ride in a button is captured as typed.
            // The nonce makes a double click capture once.
            let nonce = crate::store::claim_token();
            let question =
                questions::did_you_mean(text, &capture.customer.display, near.id, &near.display_name, &nonce);
            if let Some(question) = question {
                return Ok(question);
            }
        }
    }
    let now = state.clock.now_ms();
    let today = local_date(&zone_named(context.time_zone.as_deref()), now);
    let link = capture.recording_link.as_ref().map(|l| l.as_str().to_owned());
    let channel = channel_of(&state.slack, workspace, &context);
    let mut scrubbing = Scrubbing::new(context.pii_scrub != 0);
    let quote = scrubbing.text(capture.quote.as_str());
    let new = NewCapture {
        author: user.to_owned(),
        customer_id: existing.as_ref().map(|(id, _, _)| *id),
        customer: capture.customer.clone(),
        interview_date: format_date(today),
        recording_link: link.clone(),
        interviewee: None,
        highlights: vec![NewHighlight {
            area_id: area.id,
            kind: Kind::Other.as_str(),
            quote: quote.clone(),
            takeaway: None,
            recording_link: link,
            recording_at: capture.recording_at.map(|t| i64::from(t.seconds())),
        }],
        post_after_ms: post_after(&state.config, channel.as_deref(), now),
        notices: waiting_notice(channel.as_deref(), user),
        seen,
    };
    let (customer_name, shown) = match existing {
        Some((_, name, shown)) => (name, shown),
        None => (capture.customer.display.clone(), ShownCustomer::named(capture.customer.display)),
    };
    let (stored, similar) = store_beside_similar(state, workspace, new, &customer_name, &quote, now).await;
    let customer_id = stored?;
    let place = where_it_goes(channel.as_deref(), &shown);
    let text = format!(
        "✅ Saved for *{}* in *{}*. {place}{}{}",
        escape(&shown.label()),
        escape(&area.name),
        scrubbing.sentence(),
        crate::capture::similar::render(&similar)
    );
    // Always *Follow*: the capture path makes no read for it (a click from
    // someone who follows already says so). The form's confirmation checks.
    let follow = crate::customers::view::follow_actions(customer_id, false);
    Ok(Reply::ephemeral_blocks(text.clone(), vec![blocks::section(&text), follow]))
}

/// The *Follow* button of a capture's confirmation (*Unfollow* when the
/// author follows the customer already).
async fn follow_button(db: &Db, workspace: &WorkspaceId, user: &str, customer_id: i64) -> Result<Value, AppError> {
    let following = crate::store::follows::find_follow(db, workspace, customer_id, user).await?;
    Ok(crate::customers::view::follow_actions(customer_id, following))
}

/// Stores a capture while the quotes like `quote` are looked up (the lookup
/// cannot see it yet): its customer's id, and those quotes.
async fn store_beside_similar(
    state: &AppState,
    workspace: &WorkspaceId,
    capture: NewCapture,
    customer: &str,
    quote: &str,
    now: i64,
) -> (Result<i64, AppError>, Vec<(SimilarQuote, ShownCustomer)>) {
    let (known, key) = (capture.customer_id, capture.customer.key.clone());
    tokio::join!(
        store(&state.db, &state.outbox, &state.memo, workspace, capture, customer, now),
        crate::capture::similar::find(&state.db, &state.config, &state.memo, workspace, quote, known, &key)
    )
}

/// Stores a capture (committed with the others waiting), adds its quotes to
/// those the next captures are compared with, and wakes the outbox when its
/// posts are due now; its customer's id. `customer`: the name its quotes are
/// shown under.
async fn store(
    db: &Db,
    outbox: &Outbox,
    memo: &Memo,
    workspace: &WorkspaceId,
    capture: NewCapture,
    customer: &str,
    now: i64,
) -> Result<i64, AppError> {
    let posts_due = capture.post_after_ms <= now;
    let quotes: Vec<(i64, String)> = capture.highlights.iter().map(|h| (h.area_id, h.quote.clone())).collect();
    let customer_id = match db.insert_capture(workspace, capture, now).await {
        Err(e) if crate::store::seen_requests::is_replay(&e) => {
            crate::store::seen_requests::log_replay();
            return Err(UserError::new(ALREADY_RECEIVED_TEXT).into());
        }
        stored => stored?,
    };
    crate::capture::similar::remember(memo, workspace, customer_id, customer, quotes);
    if posts_due {
        outbox.wake();
    }
    Ok(customer_id)
}

/// The workspace's settings and the customer `key` names, in one read.
async fn capture_context(db: &Db, workspace: &WorkspaceId, key: &str) -> Result<CaptureContext, AppError> {
    db.capture_context(workspace, key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("workspace {} is not recorded", workspace.as_str()).into())
}

/// The customer the context found (following a merge), with its name and
/// as it may be shown.
async fn customer_of(
    db: &Db,
    workspace: &WorkspaceId,
    context: &CaptureContext,
) -> Result<Option<(i64, String, ShownCustomer)>, AppError> {
    Ok(match (context.customer_id, &context.customer_name, context.merged_into, context.shown_customer()) {
        (Some(id), Some(name), None, Some(shown)) => Some((id, name.clone(), shown)),
        (Some(_), _, Some(survivor), _) => {
            find_surviving_customer(db, workspace, survivor).await?.map(|c| (c.id, c.display_name, c.shown))
        }
        _ => None,
    })
}

/// The anonymous customer a typed `Customer N` names, with its name and as
/// it may be shown.
async fn labelled(
    db: &Db,
    workspace: &WorkspaceId,
    typed: &CustomerName,
) -> Result<Option<(i64, String, ShownCustomer)>, AppError> {
    Ok(crate::customers::view::find_labelled(db, workspace, typed).await?.map(|c| (c.id, c.display_name, c.shown)))
}

/// Button: capture under the existing customer.
pub const USE_EXISTING_ACTION: &str = "capture_use_existing";
/// Button: capture under a new customer.
pub const CREATE_NEW_ACTION: &str = "capture_create_new";

/// `action_id` of a suggested area's button.
pub const CAPTURE_IN_AREA_ACTION: &str = "capture_in_area";
/// How many areas a capture without one is offered.
const SUGGESTED_AREAS: usize = 3;

/// `/highlight <customer> | <quote>`: the areas the workspace's own similar
/// highlights were filed under, as buttons (then its busiest areas); nothing
/// is stored until one is chosen.
async fn suggest_area(
    db: &Db,
    config: &Config,
    memo: &Memo,
    workspace: &WorkspaceId,
    unfiled: Unfiled,
) -> Result<Reply, AppError> {
    let text = unfiled.text.as_str();
    let context = capture_context(db, workspace, &unfiled.customer.key).await?;
    let all_areas = db.areas_at(workspace, context.areas_version).await?;
    let suggested = crate::capture::similar::suggest_areas(
        db,
        config,
        memo,
        workspace,
        unfiled.quote.as_str(),
        &all_areas,
        SUGGESTED_AREAS,
    )
    .await;
    let nonce = crate::store::claim_token();
    match questions::which_area(text, &unfiled, &suggested, &nonce) {
        Some(question) => Ok(question),
        None => Ok(Reply::ephemeral(format!(
            "Which product area is it? Type it again with the area: `/highlight {} | <area> | …`. Nothing was saved.\n{}",
            escape(&unfiled.customer.display),
            echo(text)
        ))),
    }
}

/// Whether `action` is one of the suggested-area buttons.
pub fn is_area_choice(action: &str) -> bool {
    action.strip_prefix(CAPTURE_IN_AREA_ACTION).is_some_and(|i| i.starts_with('_'))
}

/// A "did you mean" button was clicked: capture as chosen (before the click
/// is acknowledged: the capture is stored or refused by then), and replace
/// the question with the answer through the `response_url`.
pub async fn answer_did_you_mean(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    action: &str,
    value: &str,
    response_url: Option<String>,
) {
    let carried: Value = serde_json::from_str(value).unwrap_or(Value::Null);
    let Some(text) = carried["text"].as_str().map(str::to_owned) else {
        tracing::warn!("did-you-mean button without its text");
        return;
    };
    let capture = Capture::parse(&text);
    let choice = match (action, carried["customer_id"].as_i64()) {
        (USE_EXISTING_ACTION, Some(id)) => Some(CustomerChoice::Existing(id)),
        (CREATE_NEW_ACTION, _) => match &capture {
            Ok(Capture::Quick(c)) => Some(CustomerChoice::Named(c.customer.clone())),
            _ => return,
        },
        // An area was chosen: the capture goes on as if typed with it.
        _ => None,
    };
    let Some(nonce) = carried["nonce"].as_str().filter(|n| !n.is_empty()) else {
        tracing::warn!("did-you-mean button without its nonce ignored");
        return;
    };
    // Slack delivers every click: only the first of a question captures.
    let (key, now) = (format!("did_you_mean:{nonce}"), state.clock.now_ms());
    let first = state
        .db
        .write(async |tx| crate::store::events::insert_processed_event(tx, workspace, &key, "did_you_mean", now).await)
        .await;
    if matches!(first, Ok(false)) {
        return;
    }
    // A text that does not read as a capture is refused as the command refuses it.
    let reply = match capture {
        Err(refusal) => Reply::ephemeral(refusal.0),
        Ok(capture) => match quick_capture(state, workspace, user, capture, choice, None).await {
            Ok(reply) => reply,
            Err(e) => {
                tracing::error!(error = %crate::error::chain(&e), "capture after did-you-mean failed");
                Reply::ephemeral(format!("{}\n{}", crate::error::INTERNAL_ERROR_TEXT, echo(&text)))
            }
        },
    };
    if let Some(url) = response_url {
        let task = state.clone();
        state
            .tasks
            .spawn(async move { task.slack.respond(&url, &Reply { replace_original: Some(true), ..reply }).await });
    }
}

/// The channel the workspace's highlights go to: set from Slack, or
/// `HIGHLIGHTS_PRODUCT_CHANNEL` where it applies.
fn channel_of(slack: &Slack, workspace: &WorkspaceId, context: &CaptureContext) -> Option<String> {
    context.product_channel.clone().or_else(|| slack.default_channel(workspace))
}

/// When a capture's posts are due: now, or after the outbox's parking time
/// when there is no channel yet (setting one makes them due at once).
fn post_after(config: &Config, channel: Option<&str>, now_ms: i64) -> i64 {
    match channel {
        Some(_) => now_ms,
        None => now_ms + config.timing.park.as_millis() as i64,
    }
}

/// The DM telling the author why posts wait, when they do (sent once).
fn waiting_notice(channel: Option<&str>, user: &str) -> Vec<crate::store::outbox::OutboxKind> {
    match channel {
        Some(_) => Vec::new(),
        None => vec![crate::capture::post::no_channel_notice(user)],
    }
}

/// Where the capture will be posted.
fn where_it_goes(channel: Option<&str>, customer: &ShownCustomer) -> String {
    match channel {
        Some(channel) => format!("Posting it to {}'s thread in <#{channel}>.", escape(&customer.label())),
        None => "No product channel is set yet, so it waits: run `/highlight config channel #channel` and it \
                 will be posted there."
            .to_owned(),
    }
}

/// Opens the capture modal on a trigger (valid 3 s, so after the ack at once).
/// If Slack refuses, tells the user through `response_url` when there is one.
pub fn open_modal(
    state: &AppState,
    workspace: &WorkspaceId,
    trigger_id: String,
    channel: Option<String>,
    prefill: Prefill,
    response_url: Option<String>,
) {
    let tasks = state.tasks.clone();
    let state = state.clone();
    let workspace = workspace.clone();
    tasks.spawn(async move {
        let today = crate::app::zone::workspace_today(&state.db, &state.clock, &workspace)
            .await
            .unwrap_or_else(|_| crate::app::zone::local_date(&jiff::tz::TimeZone::UTC, state.clock.now_ms()));
        let mut prefill = prefill;
        if let (Some(quote), None) = (&prefill.quote, prefill.area_id) {
            prefill.area_id =
                crate::capture::similar::likely_area(&state.db, &state.config, &state.memo, &workspace, quote).await;
        }
        let view = match list_areas(&state.db, &workspace).await {
            Ok(all_areas) => {
                modal::render_capture_modal(&all_areas, today, &Metadata { highlights: 1, channel }, &prefill)
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot load product areas for the capture modal");
                return;
            }
        };
        if let Err(e) = state.slack.open_modal(&workspace, &trigger_id, view).await {
            tracing::warn!(error = %e, "views.open failed for the capture modal");
            if let Some(url) = response_url {
                let text = "I couldn't open the capture form. Try `/highlight` again, or capture in one line: \
                            `/highlight <customer> | <area> | <quote>`.";
                state.slack.respond(&url, &Reply::ephemeral(text)).await;
            }
        }
    });
}

/// The "Save as highlight" message shortcut: the modal, with the message as the quote.
pub fn open_modal_from_message(
    state: &AppState,
    workspace: &WorkspaceId,
    trigger_id: String,
    channel: Option<String>,
    message_text: &str,
    response_url: Option<String>,
) {
    let prefill = Prefill { customer: None, quote: Some(decode(message_text)), area_id: None };
    open_modal(state, workspace, trigger_id, channel, prefill, response_url);
}

/// "Add another highlight": the same modal with one more highlight group;
/// Slack keeps what was typed in blocks whose ids stay the same.
pub fn add_highlight_group(
    state: &AppState,
    workspace: &WorkspaceId,
    view_id: String,
    hash: Option<String>,
    private_metadata: &str,
) {
    let mut metadata: Metadata = serde_json::from_str(private_metadata).unwrap_or_default();
    metadata.highlights = (metadata.highlights.max(1) + 1).min(modal::MAX_HIGHLIGHTS);
    let tasks = state.tasks.clone();
    let state = state.clone();
    let workspace = workspace.clone();
    tasks.spawn(async move {
        let all_areas = match list_areas(&state.db, &workspace).await {
            Ok(a) => a,
            Err(e) => return tracing::error!(error = %e, "cannot load product areas"),
        };
        let today = crate::app::zone::workspace_today(&state.db, &state.clock, &workspace)
            .await
            .unwrap_or_else(|_| crate::app::zone::local_date(&jiff::tz::TimeZone::UTC, state.clock.now_ms()));
        let view = modal::render_capture_modal(&all_areas, today, &metadata, &Prefill::default());
        if let Err(e) = state.slack.update_modal(&workspace, &view_id, hash.as_deref(), view).await {
            tracing::warn!(error = %e, "views.update failed while adding a highlight");
        }
    });
}

/// A submitted capture modal: errors on the right blocks, or stored and a
/// confirmation view in its place.
pub async fn submit_modal(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    view: &View,
    metadata: &str,
) -> Result<Ack, AppError> {
    let db = &state.db;
    let metadata: Metadata = serde_json::from_str(metadata).unwrap_or_default();
    let settings = capture_context(db, workspace, "").await?;
    let all_areas = db.areas_at(workspace, settings.areas_version).await?;
    let now = state.clock.now_ms();
    let today = local_date(&zone_named(settings.time_zone.as_deref()), now);
    let submission = match modal::parse_submission(&view.values, &metadata, &all_areas, today) {
        Ok(s) => s,
        Err(errors) => return Ok(Ack::Errors(errors)),
    };
    let (existing, name) = match &submission.customer {
        CustomerChoice::Existing(id) => match find_surviving_customer(db, workspace, *id).await? {
            Some(c) => {
                let name = CustomerName { display: c.display_name.clone(), key: c.key.clone() };
                (Some((c.id, c.display_name, c.shown)), name)
            }
            None => {
                return Ok(Ack::error(modal::block::CUSTOMER, "That customer no longer exists; pick another."));
            }
        },
        CustomerChoice::Named(name) => {
            let context = capture_context(db, workspace, &name.key).await?;
            match customer_of(db, workspace, &context).await? {
                Some(known) => (Some(known), name.clone()),
                // `Customer N`: the anonymous customer people see so.
                None => match crate::customers::view::find_labelled(db, workspace, name).await? {
                    Some(c) => {
                        let name = CustomerName { display: c.display_name.clone(), key: c.key.clone() };
                        (Some((c.id, c.display_name, c.shown)), name)
                    }
                    None => (None, name.clone()),
                },
            }
        }
    };
    let link = submission.recording_link.as_ref().map(|l| l.as_str().to_owned());
    let channel = channel_of(&state.slack, workspace, &settings);
    let mut scrubbing = Scrubbing::new(settings.pii_scrub != 0);
    let new = NewCapture {
        author: user.to_owned(),
        customer_id: existing.as_ref().map(|(id, _, _)| *id),
        customer: name.clone(),
        interview_date: format_date(submission.date),
        recording_link: link.clone(),
        interviewee: submission.interviewee.as_deref().map(|who| scrubbing.text(who)),
        highlights: submission
            .highlights
            .iter()
            .map(|h| NewHighlight {
                area_id: h.area_id,
                kind: h.kind.as_str(),
                quote: scrubbing.text(h.quote.as_str()),
                takeaway: h.takeaway.as_deref().map(|t| scrubbing.text(t)),
                recording_link: link.clone(),
                recording_at: h.at.map(|t| i64::from(t.seconds())),
            })
            .collect(),
        post_after_ms: post_after(&state.config, channel.as_deref(), now),
        notices: waiting_notice(channel.as_deref(), user),
        seen: None,
    };
    let quotes = new.highlights.iter().map(|h| h.quote.as_str()).collect::<Vec<_>>().join("\n");
    // Testers (design.md, Behaviour: Testers): the highlights ticked *Willing to try a prototype*.
    let ticked: Vec<(i64, String)> = submission
        .highlights
        .iter()
        .zip(&new.highlights)
        .filter(|(submitted, _)| submitted.tester)
        .map(|(_, stored)| (stored.area_id, stored.quote.clone()))
        .collect();
    let (customer_name, shown) = match existing {
        Some((_, name, shown)) => (name, shown),
        None => (name.display.clone(), ShownCustomer::named(name.display.clone())),
    };
    let (stored, similar) = store_beside_similar(state, workspace, new, &customer_name, &quotes, now).await;
    let customer_id = stored?;
    let testers = record_testers(&state.db, workspace, user, (customer_id, now), &ticked, &all_areas).await?;
    let count = submission.highlights.len();
    let place = where_it_goes(channel.as_deref(), &shown);
    let text = format!(
        "✅ Saved {count} highlight{} for *{}* ({}). {place}{}{}",
        if count == 1 { "" } else { "s" },
        escape(&shown.label()),
        format_date(submission.date),
        scrubbing.sentence(),
        crate::capture::similar::render(&similar),
    );
    let text = format!("{text}{testers}");
    let follow = follow_button(&state.db, workspace, user, customer_id).await?;
    Ok(Ack::Update(modal::render_saved_modal(&text, Some(follow))))
}

/// Marks the customer as a tester of the areas of the highlights ticked
/// *Willing to try a prototype*, each qualified by its quote; the sentence
/// that says so ("" when none was ticked).
async fn record_testers(
    db: &Db,
    workspace: &WorkspaceId,
    user: &str,
    (customer_id, captured_at): (i64, i64),
    ticked: &[(i64, String)],
    areas: &[crate::store::areas::Area],
) -> Result<String, AppError> {
    if ticked.is_empty() {
        return Ok(String::new());
    }
    use crate::store::testers::insert_testers_from_capture;
    db.write(async |tx| insert_testers_from_capture(tx, workspace, customer_id, user, captured_at, ticked).await)
        .await?;
    let mut names: Vec<String> = ticked
        .iter()
        .filter_map(|(id, _)| areas.iter().find(|a| a.id == *id))
        .map(|a| format!("*{}*", escape(&a.name)))
        .collect();
    names.sort();
    names.dedup();
    Ok(format!("\n🧪 Listed as willing to try a prototype in {}.", names.join(", ")))
}

/// Options for the modal's customer select, for what was typed so far.
pub async fn suggest_customers(db: &Db, workspace: &WorkspaceId, typed: &str) -> Result<Ack, AppError> {
    use crate::customers::suggest;
    use crate::store::customers::list_customers_matching;
    let fragment = suggest::fragment_key(typed);
    if fragment.is_empty() {
        return Ok(Ack::Options(Vec::new()));
    }
    let matches = list_customers_matching(db, workspace, &fragment, 50).await?;
    let ranked = suggest::rank_matches(&fragment, matches);
    let typed_key = crate::domain::CustomerName::parse(typed).map(|n| n.key).unwrap_or_default();
    let all = list_near_customers(db, workspace, &typed_key).await?;
    Ok(Ack::Options(suggest::render_customer_options(typed.trim(), &ranked, &all)))
}
