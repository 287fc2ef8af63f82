//! `POST /slack/interactivity`: shortcuts, buttons, modal submissions and
//! external-select suggestions, read once ([`crate::slack::interaction`]) and
//! dispatched to their features.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::AppError;
use crate::install::Admission;
use crate::reply::Ack;
use crate::slack::interaction::{self, Action, Interaction, InteractionKind, MessageShortcut, Submission, View};
use crate::slack::payload::Inbound;
use crate::slack::verify::SignedRequest;
use crate::store::outbox::OutboxKind;
use crate::store::workspaces::WorkspaceId;
use crate::{capture, digests, endorsements, follows, home, quotas, reports, shipped};

/// Said on a form the app did not open (or opened before an upgrade).
pub const NOT_OUR_FORM_TEXT: &str = "This form was not opened by this Highlights app (or comes from before an \
     update), so nothing was saved. Copy what you typed, close it, and open a new one.";

/// Message shortcut that opens the capture modal on a message.
pub const SAVE_AS_HIGHLIGHT: &str = "save_as_highlight";

/// Answers every well-formed interaction within Slack's 3 seconds; the same
/// request sent again is acknowledged and not acted on again.
pub async fn interaction(State(state): State<AppState>, req: SignedRequest) -> Result<Response, AppError> {
    let interaction = interaction::parse_interaction(&req.body)?;
    if let InteractionKind::Other(kind) = &interaction.kind {
        tracing::info!(kind, "interaction of a type we do not handle acknowledged");
        return Ok(StatusCode::OK.into_response());
    }
    // A suggestion request only reads, and two may be alike (the same
    // letters typed again within a second): each is answered.
    let once = (!matches!(interaction.kind, InteractionKind::Suggestion(_))).then(|| req.seen_key().clone());
    let task = state.clone();
    let answer = state
        .tasks
        .run_to_completion(async move {
            let inbound = Inbound::Interaction(interaction);
            match once {
                Some(seen) => super::dispatch_once(&task, &seen, inbound).await,
                None => super::dispatch(&task, inbound).await,
            }
        })
        .await??;
    Ok(answer.into_response())
}

/// Runs an interaction (from HTTP or Socket Mode) and says how to acknowledge
/// it. Never an error to Slack for a failure of ours: a form stays open with
/// what was typed and says why; a click is acknowledged (it can be repeated).
pub async fn answer(state: &AppState, interaction: &Interaction) -> Ack {
    let form = match &interaction.kind {
        InteractionKind::Submission(Submission { view }) => Some(view),
        _ => None,
    };
    match handle_interaction(state, interaction).await {
        Ok(ack) => ack,
        Err(AppError::User(refusal)) => form.map_or(Ack::Empty, |view| on_first_input(view, &refusal.0)),
        Err(AppError::Unavailable(why)) => {
            tracing::warn!(why, "interaction answered with a retry");
            form.map_or(Ack::Empty, |view| on_first_input(view, crate::commands::UNCONFIRMED_TEXT))
        }
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), "interaction failed");
            form.map_or(Ack::Empty, |view| on_first_input(view, crate::error::INTERNAL_ERROR_TEXT))
        }
    }
}

/// A message about the whole form, under its first field.
fn on_first_input(view: &View, text: &str) -> Ack {
    Ack::error(view.first_input.as_deref().unwrap_or_default(), text)
}

/// Dispatches an interaction to its feature.
async fn handle_interaction(state: &AppState, interaction: &Interaction) -> Result<Ack, AppError> {
    let from = &interaction.from;
    crate::app::record_requester(&from.team, &from.user);
    let Admission::Ours(workspace) = state.installs.admit(&from.team, from.enterprise.as_deref()).await? else {
        // Acknowledged, and nothing else: the app is not installed there.
        return Ok(match interaction.kind {
            InteractionKind::Suggestion(_) => Ack::Options(Vec::new()),
            _ => Ack::Empty,
        });
    };
    let user = from.user.as_str();
    match &interaction.kind {
        InteractionKind::Submission(Submission { view }) => submit(state, &workspace, user, view).await,
        InteractionKind::Action(action) => {
            click(state, &workspace, user, action).await?;
            Ok(Ack::Empty)
        }
        InteractionKind::MessageShortcut(shortcut) => {
            message_shortcut(state, &workspace, shortcut);
            Ok(Ack::Empty)
        }
        // An external select waits for its options in the response body.
        InteractionKind::Suggestion(suggestion) => match suggestion.block_id.as_str() {
            capture::modal::block::CUSTOMER => {
                capture::handle::suggest_customers(&state.db, &workspace, &suggestion.value).await
            }
            _ => Ok(Ack::Options(Vec::new())),
        },
        InteractionKind::Other(_) => Ok(Ack::Empty),
    }
}

/// A submitted form: only one this app opened, for this workspace, is taken.
async fn submit(state: &AppState, workspace: &WorkspaceId, user: &str, view: &View) -> Result<Ack, AppError> {
    let callback = view.callback_id.as_str();
    if !matches!(callback, capture::modal::CALLBACK_ID | quotas::triage::CALLBACK_ID) {
        return Ok(Ack::Empty);
    }
    let Some(metadata) = state.slack.unseal_view(workspace, view) else {
        tracing::warn!(callback, "submission of a form this app did not open refused");
        return Ok(on_first_input(view, NOT_OUR_FORM_TEXT));
    };
    if callback == capture::modal::CALLBACK_ID {
        capture::handle::submit_modal(state, workspace, user, view, metadata).await
    } else {
        quotas::triage::submit(state, workspace, user, view, metadata).await
    }
}

/// A button clicked.
async fn click(state: &AppState, workspace: &WorkspaceId, user: &str, action: &Action) -> Result<(), AppError> {
    let id = action.action_id.as_str();
    if id == capture::handle::USE_EXISTING_ACTION
        || id == capture::handle::CREATE_NEW_ACTION
        || capture::handle::is_area_choice(id)
    {
        capture::handle::answer_did_you_mean(state, workspace, user, id, &action.value, action.response_url.clone())
            .await;
    } else if digests::approval::is_approval_action(id) {
        digests::approval::click(state, workspace, user, action).await?;
    } else if id == shipped::ANNOUNCE_ACTION {
        shipped::announce::click(state, workspace, user, action).await?;
    } else if id == crate::privacy::forget::FORGET_ACTION {
        crate::privacy::forget::click(state, workspace, user, action).await?;
    } else if follows::is_follow_action(id) {
        follows::click(state, workspace, user, action).await?;
    } else if endorsements::is_endorsement_action(id) {
        endorsements::click(state, workspace, user, action).await?;
    } else if id == quotas::triage::TRIAGE_QUEUED_ACTION {
        if let Some(trigger) = &action.trigger_id {
            quotas::triage::open_queued(state, workspace, user, trigger.clone(), &action.value).await?;
        }
    } else if id == home::LOG_HIGHLIGHT_ACTION {
        if let Some(trigger) = &action.trigger_id {
            capture::handle::open_modal(state, workspace, trigger.clone(), None, Default::default(), None);
        }
    } else if id == home::MY_REPORT_ACTION {
        // The answer (the report, or why there is none) arrives as a DM.
        match reports::queue(&state.db, &state.clock, &state.outbox, workspace, user, user).await {
            Err(AppError::User(why)) => {
                let topic = format!("no-report:{}", state.clock.now_ms());
                state
                    .outbox
                    .queue(workspace, &OutboxKind::NotifyUser { user: user.to_owned(), text: why.0, topic })
                    .await?;
            }
            queued => queued?,
        }
    } else if id == capture::modal::ADD_HIGHLIGHT_ACTION {
        match action.view.as_ref().and_then(|view| Some((view, state.slack.unseal_view(workspace, view)?))) {
            Some((view, metadata)) => {
                capture::handle::add_highlight_group(state, workspace, view.id.clone(), view.hash.clone(), metadata)
            }
            None => tracing::warn!("a click in a form this app did not open ignored"),
        }
    }
    Ok(())
}

/// A message shortcut: each opens a form within the trigger's 3 seconds.
fn message_shortcut(state: &AppState, workspace: &WorkspaceId, shortcut: &MessageShortcut) {
    let trigger = shortcut.trigger_id.clone();
    if shortcut.callback_id == quotas::triage::SHORTCUT {
        if let (Some(channel), Some(ts)) = (&shortcut.channel, &shortcut.message_ts) {
            quotas::triage::open(
                state,
                workspace,
                trigger,
                channel.clone(),
                ts.clone(),
                &shortcut.message_text,
                shortcut.response_url.clone(),
            );
        }
    } else if shortcut.callback_id == SAVE_AS_HIGHLIGHT {
        capture::handle::open_modal_from_message(
            state,
            workspace,
            trigger,
            shortcut.channel.clone(),
            &shortcut.message_text,
            shortcut.response_url.clone(),
        );
    }
}
