//! Posting a stored highlight into its customer's thread, run by the outbox
//! worker. Each step records what it did, so a retry resumes where the last
//! try stopped: the parent is posted once, the reply is posted once. How a
//! post is made (once, in a channel the bot may have to join) is
//! [`crate::posting`]'s.

use crate::app::{AppState, Slack};
use crate::capture::messages::{render_highlight_reply, render_merged_parent, render_thread_parent};
use crate::config::Config;
use crate::posting::{permalink_of, post_once, with_channel_access, PostError, PostOnce};
use crate::slack::client::SlackError;
use crate::slack::permalink;
use crate::store::finished::Finished;
use crate::store::highlights::HighlightForPost;
use crate::store::outbox::{self, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;
use crate::store::{customers, highlights};

/// The one DM that tells an author their highlights wait for a product channel.
pub fn no_channel_notice(author: &str) -> OutboxKind {
    OutboxKind::NotifyUser {
        user: author.to_owned(),
        text: "Your highlights are saved, but no product channel is set yet, so they wait. \
               Run `/highlight config channel #channel` and they will be posted there."
            .to_owned(),
        topic: "no_channel".to_owned(),
    }
}

/// What the caller of [`post_highlight`] already knows, so that it is not
/// read again: the outbox reads a claim's highlights together, and runs one
/// customer's posts one after another, each into the thread the one before
/// went into (or started).
#[derive(Debug, Default)]
pub struct Known {
    /// The highlight to post, read just now.
    pub highlight: Option<HighlightForPost>,
    /// The thread the last post went into.
    pub thread: Option<Thread>,
}

/// A customer's thread in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// The customer.
    pub customer_id: i64,
    /// Where.
    pub channel: String,
    /// Its parent's `ts`.
    pub ts: String,
}

/// Posts a highlight as a reply in its customer's thread, starting the thread
/// if needed, then queues the refresh of the thread's summary. What `known`
/// holds is used instead of reading it; the thread posted into is left there.
pub async fn post_highlight(
    state: &AppState,
    workspace: &WorkspaceId,
    highlight_id: i64,
    look_first: bool,
    known: &mut Known,
) -> Result<(), PostError> {
    let db = &state.db;
    let highlight = match known.highlight.take() {
        Some(highlight) if highlight.id == highlight_id => Some(highlight),
        _ => highlights::find_highlight_for_post(db, workspace, highlight_id).await?,
    };
    let Some(highlight) = highlight else {
        return Err(PostError::Gone);
    };
    let refresh = OutboxKind::UpdateThreadParent { customer_id: highlight.customer_id };
    if highlight.posted_ts.is_none() {
        let slack = state.slack.client(workspace).await?;
        let Some(channel) = highlight.workspace_channel.clone().or_else(|| state.slack.default_channel(workspace))
        else {
            let notice = no_channel_notice(&highlight.author);
            state.outbox.queue_once(workspace, &notice).await?;
            return Err(PostError::Waiting("no product channel set".into()));
        };
        // Read before an earlier post started the thread, the highlight has
        // none: that post's thread is the one.
        let thread = match (&highlight.thread_ts, &highlight.thread_channel) {
            (Some(ts), Some(thread_channel)) => Some((thread_channel.as_str(), ts.as_str())),
            _ => known
                .thread
                .as_ref()
                .filter(|thread| thread.customer_id == highlight.customer_id)
                .map(|thread| (thread.channel.as_str(), thread.ts.as_str())),
        };
        let thread_ts = match thread {
            Some((thread_channel, ts)) if thread_channel == channel => ts.to_owned(),
            _ => {
                ensure_thread(state, workspace, highlight.customer_id, &highlight.author, &channel, look_first).await?
            }
        };
        known.thread =
            Some(Thread { customer_id: highlight.customer_id, channel: channel.clone(), ts: thread_ts.clone() });
        let interviewer = state.slack.person(workspace, &highlight.author).await;
        let reply = render_highlight_reply(&highlight, &interviewer);
        let broadcast = highlight.first_in_area == 1;
        let key = OutboxKind::PostHighlight { highlight_id }.dedupe_key();
        let once = PostOnce { key: &key, look_first };
        let ts = with_channel_access(&state.slack, &state.outbox, workspace, Some(&highlight.author), &channel, || {
            post_once(&state.clock, &slack, &channel, Some(&thread_ts), broadcast, &reply, once)
        })
        .await?;
        let mut follow_ups = vec![refresh];
        let message = permalink::Message { channel: &channel, ts: &ts, thread_ts: Some(&thread_ts) };
        let permalink = match permalink_of(&state.permalinks, &slack, workspace, message).await {
            Ok(link) => Some(link),
            // The reply is posted: its link is asked for again later, through the outbox.
            Err(e) => {
                tracing::warn!(highlight = highlight.id, error = %e, "could not get the permalink of a posted highlight; will ask again");
                follow_ups.push(OutboxKind::FillPermalink { highlight_id: highlight.id });
                None
            }
        };
        // One write for the post, its link and what follows. Should it not
        // happen (the process dies, the database fails), the row runs again
        // as uncertain and finds the reply in the thread instead of posting it
        // again.
        db.record_finished(Finished::Posted {
            workspace: workspace.clone(),
            highlight_id: highlight.id,
            channel,
            ts,
            permalink,
            follow_ups,
            now_ms: state.clock.now_ms(),
        })
        .await?;
    } else {
        let now = state.clock.now_ms();
        db.write(async |tx| outbox::upsert_outbox_row(tx, workspace, &refresh, now).await).await?;
    }
    state.outbox.wake();
    Ok(())
}

/// Renders a posted highlight's reply again (after an endorsement changed).
pub async fn update_highlight_reply(
    db: &Db,
    slack: &Slack,
    workspace: &WorkspaceId,
    highlight_id: i64,
) -> Result<(), PostError> {
    let Some(highlight) = highlights::find_highlight_for_post(db, workspace, highlight_id).await? else {
        return Err(PostError::Gone);
    };
    let (Some((Some(channel), Some(ts), _)), Some(_)) =
        (highlights::find_highlight_post(db, workspace, highlight_id).await?, &highlight.posted_ts)
    else {
        // Not posted yet: the post will show the endorsement.
        return Ok(());
    };
    let interviewer = slack.person(workspace, &highlight.author).await;
    let reply = render_highlight_reply(&highlight, &interviewer);
    match slack.client(workspace).await?.update_message(&channel, &ts, &reply).await {
        Err(SlackError::Api(code)) if code == "message_not_found" || code == "cant_update_message" => {
            tracing::warn!(highlight = highlight_id, code, "highlight reply can no longer be updated");
            Ok(())
        }
        other => Ok(other?),
    }
}

/// Asks Slack again for a posted highlight's permalink (a retry of the one
/// asked for when it was posted); done when it is known.
pub async fn fill_permalink(
    db: &Db,
    slack: &Slack,
    workspace: &WorkspaceId,
    highlight_id: i64,
) -> Result<(), PostError> {
    let Some((Some(channel), Some(ts), None)) = highlights::find_highlight_post(db, workspace, highlight_id).await?
    else {
        return Ok(());
    };
    let link = slack.client(workspace).await?.permalink(&channel, &ts).await?;
    db.write(async |tx| highlights::update_highlight_permalink(tx, workspace, highlight_id, &link).await).await?;
    Ok(())
}

/// The same for a customer's thread parent.
pub async fn fill_thread_permalink(
    db: &Db,
    slack: &Slack,
    workspace: &WorkspaceId,
    customer_id: i64,
) -> Result<(), PostError> {
    let Some((Some(channel), Some(ts), None)) =
        customers::find_customer_thread_post(db, workspace, customer_id).await?
    else {
        return Ok(());
    };
    let link = slack.client(workspace).await?.permalink(&channel, &ts).await?;
    db.write(async |tx| customers::update_customer_thread_permalink(tx, workspace, customer_id, &link).await).await?;
    Ok(())
}

/// The `ts` of the customer's thread parent in `channel`, posting it first if
/// the customer has none there yet (a highlight's reply, a shipment's).
pub async fn ensure_thread(
    state: &AppState,
    workspace: &WorkspaceId,
    customer_id: i64,
    author: &str,
    channel: &str,
    look_first: bool,
) -> Result<String, PostError> {
    let db = &state.db;
    let customer = customers::find_customer(db, workspace, customer_id).await?.ok_or(PostError::Gone)?;
    if let (Some(ts), Some(thread_channel)) = (&customer.thread_ts, &customer.thread_channel) {
        if thread_channel == channel {
            return Ok(ts.clone());
        }
    }
    let slack = state.slack.client(workspace).await?;
    let now = state.clock.now_ms();
    let token = crate::store::claim_token();
    let until = now + state.config.timing.outbox_lease.as_millis() as i64;
    let Some(taken_over) = db
        .write(async |tx| {
            customers::claim_customer_thread(tx, workspace, customer_id, channel, &token, now, until).await
        })
        .await?
    else {
        return Err(PostError::ThreadBeingStarted);
    };
    let summary = customers::find_customer_summary(db, workspace, customer_id).await?;
    let parent = render_thread_parent(&customer.display_name, &summary)
        .with_browser_link(state.config.web.as_ref().map(|web| web.url(&format!("/customers/{customer_id}"))));
    // A claim taken over from a holder that died may have posted the parent.
    let key = format!("parent:{customer_id}:{channel}");
    let once = PostOnce { key: &key, look_first: look_first || taken_over };
    let posted = with_channel_access(&state.slack, &state.outbox, workspace, Some(author), channel, || {
        post_once(&state.clock, &slack, channel, None, false, &parent, once)
    })
    .await;
    match posted {
        Ok(ts) => {
            db.write(async |tx| {
                customers::update_customer_thread(tx, workspace, customer_id, channel, &ts, state.clock.now_ms()).await
            })
            .await?;
            let message = permalink::Message { channel, ts: &ts, thread_ts: None };
            match permalink_of(&state.permalinks, &slack, workspace, message).await {
                Ok(link) => {
                    db.write(async |tx| {
                        customers::update_customer_thread_permalink(tx, workspace, customer_id, &link).await
                    })
                    .await?
                }
                Err(e) => {
                    tracing::warn!(customer = customer_id, error = %e, "could not get the permalink of a thread; will ask again");
                    let fill = OutboxKind::FillThreadPermalink { customer_id };
                    let now = state.clock.now_ms();
                    db.write(async |tx| outbox::insert_outbox_row(tx, workspace, &fill, now).await).await?;
                }
            }
            Ok(ts)
        }
        // Slack may have posted the parent: whoever takes the claim over
        // looks in the channel before posting, so the customer keeps one
        // thread whatever Slack loses. Unanswered, the post may land late:
        // the claim is held until it would have.
        Err(PostError::Slack(e)) if e.may_have_taken_effect() => {
            let late = if e.went_unanswered() { state.config.timing.late_post_window() } else { Default::default() };
            let until = state.clock.now_ms() + late.as_millis() as i64;
            db.write(async |tx| {
                customers::update_customer_thread_claim(tx, workspace, customer_id, &token, until).await
            })
            .await?;
            Err(e.into())
        }
        Err(e) => {
            db.write(async |tx| customers::release_customer_thread(tx, workspace, customer_id, &token).await).await?;
            Err(e)
        }
    }
}

/// Refreshes the running summary in a customer's thread parent.
pub async fn update_thread_parent(
    db: &Db,
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    customer_id: i64,
) -> Result<(), PostError> {
    let customer = customers::find_customer(db, workspace, customer_id).await?.ok_or(PostError::Gone)?;
    let (Some(channel), Some(ts)) = (customer.thread_channel, customer.thread_ts) else {
        // No thread yet: the first post will show the current counts.
        return Ok(());
    };
    let summary = customers::find_customer_summary(db, workspace, customer_id).await?;
    let parent = render_thread_parent(&customer.display_name, &summary)
        .with_browser_link(config.web.as_ref().map(|web| web.url(&format!("/customers/{customer_id}"))));
    match slack.client(workspace).await?.update_message(&channel, &ts, &parent).await {
        Err(SlackError::Api(code)) if code == "message_not_found" || code == "cant_update_message" => {
            tracing::warn!(customer = customer_id, code, "thread parent can no longer be updated");
            Ok(())
        }
        other => Ok(other?),
    }
}

/// Rewrites a merged customer's old thread parent to send readers to the
/// surviving customer's thread.
pub async fn mark_thread_merged(
    db: &Db,
    slack: &Slack,
    workspace: &WorkspaceId,
    customer_id: i64,
    into_customer_id: i64,
) -> Result<(), PostError> {
    let old = customers::find_customer(db, workspace, customer_id).await?.ok_or(PostError::Gone)?;
    let (Some(channel), Some(ts)) = (old.thread_channel, old.thread_ts) else {
        return Ok(());
    };
    let survivor = customers::find_customer(db, workspace, into_customer_id).await?.ok_or(PostError::Gone)?;
    let link = customers::find_customer_details(db, workspace, into_customer_id).await?.thread_permalink;
    let message = render_merged_parent(&old.display_name, &survivor.display_name, link.as_deref());
    match slack.client(workspace).await?.update_message(&channel, &ts, &message).await {
        Err(SlackError::Api(code)) if code == "message_not_found" || code == "cant_update_message" => Ok(()),
        other => Ok(other?),
    }
}
