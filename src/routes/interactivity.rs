//! `POST /slack/interactivity`: shortcuts, buttons, modal submissions and
//! external-select suggestions, dispatched to their features.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use slack_morphism::prelude::SlackInteractionEvent;

use crate::app::AppState;
use crate::error::AppError;
use crate::install::Admission;
use crate::slack::payload::{self, Interaction};
use crate::slack::verify::SignedRequest;
use crate::store::outbox::{insert_outbox_row, OutboxKind};
use crate::{capture, quotas};

/// Said on a form the app did not open (or opened before an upgrade).
pub const NOT_OUR_FORM_TEXT: &str = "This form was not opened by this Highlights app (or comes from before an \
     update), so nothing was saved. Copy what you typed, close it, and open a new one.";

/// Message shortcut that opens the capture modal on a message.
pub const SAVE_AS_HIGHLIGHT: &str = "save_as_highlight";

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Answers every well-formed interaction within Slack's 3 seconds.
pub async fn interaction(State(state): State<AppState>, req: SignedRequest) -> Result<Response, AppError> {
    let (event, raw) = match payload::parse_interaction(&req.body)? {
        Interaction::Known(event, raw) => (event, raw),
        Interaction::Other(kind) => {
            tracing::info!(kind, "interaction of a type we do not handle acknowledged");
            return Ok(StatusCode::OK.into_response());
        }
    };
    let task = state.clone();
    let answer = state
        .run_to_completion(async move {
            let submission = matches!(*event, SlackInteractionEvent::ViewSubmission(_));
            match handle_interaction(&task, &event, &raw).await {
                Err(e @ (AppError::Database(_) | AppError::Internal(_))) => {
                    tracing::error!(error = %crate::error::chain(&e), "interaction failed");
                    // Never a bare 500 to Slack: a form stays open with what was
                    // typed and says why; a click is acknowledged (it can be repeated).
                    Ok(submission.then(|| submission_failed(&raw["view"], crate::error::INTERNAL_ERROR_TEXT)))
                }
                Err(AppError::Unavailable(why)) if submission => {
                    tracing::warn!(why, "submission answered with a retry");
                    Ok(Some(submission_failed(&raw["view"], crate::commands::UNCONFIRMED_TEXT)))
                }
                other => other,
            }
        })
        .await??;
    Ok(match answer {
        Some(answer) => Json(answer).into_response(),
        None => StatusCode::OK.into_response(),
    })
}

/// The answer to a submission that failed on our side: the form stays open,
/// with everything typed, and one sentence on its first field.
fn submission_failed(view: &Value, text: &str) -> Value {
    // The first input block on screen; else any the form's state names.
    let first_input = view["blocks"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "input"))
        .and_then(|b| b["block_id"].as_str())
        .or_else(|| view["state"]["values"].as_object().and_then(|values| values.keys().next()).map(String::as_str))
        .unwrap_or_default();
    json!({ "response_action": "errors", "errors": { first_input: text } })
}

/// Dispatches an interaction (from HTTP or Socket Mode) to its feature; the
/// answer is the acknowledgement's body, if it has one.
pub async fn handle_interaction(
    state: &AppState,
    event: &SlackInteractionEvent,
    raw: &Value,
) -> Result<Option<Value>, AppError> {
    let team = str_at(raw, "/team/id")
        .or_else(|| str_at(raw, "/user/team_id"))
        .ok_or_else(|| AppError::BadRequest("malformed interaction payload: no team".into()))?;
    let user = str_at(raw, "/user/id").unwrap_or_default().to_owned();
    crate::app::record_requester(team, &user);
    let enterprise = str_at(raw, "/enterprise/id").or_else(|| str_at(raw, "/user/enterprise_id"));
    let Admission::Ours(workspace) = state.admit(team, enterprise).await? else {
        // Acknowledged, and nothing else: the app is not installed there.
        return Ok(matches!(event, SlackInteractionEvent::BlockSuggestion(_)).then(|| json!({ "options": [] })));
    };
    match event {
        SlackInteractionEvent::ViewSubmission(_) => {
            let callback = str_at(raw, "/view/callback_id");
            if !matches!(callback, Some(capture::modal::CALLBACK_ID | quotas::triage::CALLBACK_ID)) {
                return Ok(None);
            }
            // Only a form this app opened, for this workspace, is taken.
            let Some(metadata) = state.unseal_view(&workspace, &raw["view"]) else {
                tracing::warn!(callback, "submission of a form this app did not open refused");
                return Ok(Some(submission_failed(&raw["view"], NOT_OUR_FORM_TEXT)));
            };
            let mut view = raw["view"].clone();
            view["private_metadata"] = Value::String(metadata.to_owned());
            if callback == Some(capture::modal::CALLBACK_ID) {
                Ok(Some(capture::handle::submit_modal(state, &workspace, &user, &view).await?))
            } else {
                Ok(Some(quotas::triage::submit(state, &workspace, &user, &view).await?))
            }
        }
        SlackInteractionEvent::BlockActions(_) => {
            let action = str_at(raw, "/actions/0/action_id").unwrap_or_default();
            if action == capture::handle::USE_EXISTING_ACTION
                || action == capture::handle::CREATE_NEW_ACTION
                || capture::handle::is_area_choice(action)
            {
                capture::handle::answer_did_you_mean(
                    state,
                    &workspace,
                    &user,
                    action,
                    str_at(raw, "/actions/0/value").unwrap_or_default(),
                    str_at(raw, "/response_url").map(str::to_owned),
                )
                .await;
            } else if action == crate::home::LOG_HIGHLIGHT_ACTION {
                if let Some(trigger) = str_at(raw, "/trigger_id") {
                    capture::handle::open_modal(state, &workspace, trigger.to_owned(), None, Default::default(), None);
                }
            } else if action == crate::home::MY_REPORT_ACTION {
                // The answer (the report, or why there is none) arrives as a DM.
                if let Err(why) = crate::reports::queue(state, &workspace, &user, &user).await? {
                    let now = state.clock().now_ms();
                    let kind =
                        OutboxKind::NotifyUser { user: user.clone(), text: why, topic: format!("no-report:{now}") };
                    insert_outbox_row(state.db(), &workspace, &kind, now).await?;
                    state.wake_outbox();
                }
            } else if action == capture::modal::ADD_HIGHLIGHT_ACTION {
                match (str_at(raw, "/view/id"), state.unseal_view(&workspace, &raw["view"])) {
                    (Some(view_id), Some(metadata)) => capture::handle::add_highlight_group(
                        state,
                        &workspace,
                        view_id.to_owned(),
                        str_at(raw, "/view/hash").map(str::to_owned),
                        metadata,
                    ),
                    _ => tracing::warn!("a click in a form this app did not open ignored"),
                }
            }
            Ok(None)
        }
        SlackInteractionEvent::MessageAction(_) => {
            if str_at(raw, "/callback_id") == Some(quotas::triage::SHORTCUT) {
                if let (Some(trigger), Some(channel), Some(ts)) =
                    (str_at(raw, "/trigger_id"), str_at(raw, "/channel/id"), str_at(raw, "/message/ts"))
                {
                    quotas::triage::open(
                        state,
                        &workspace,
                        trigger.to_owned(),
                        channel.to_owned(),
                        ts.to_owned(),
                        str_at(raw, "/message/text").unwrap_or_default(),
                        str_at(raw, "/response_url").map(str::to_owned),
                    );
                }
            } else if str_at(raw, "/callback_id") == Some(SAVE_AS_HIGHLIGHT) {
                if let Some(trigger) = str_at(raw, "/trigger_id") {
                    capture::handle::open_modal_from_message(
                        state,
                        &workspace,
                        trigger.to_owned(),
                        str_at(raw, "/channel/id").map(str::to_owned),
                        str_at(raw, "/message/text").unwrap_or_default(),
                        str_at(raw, "/response_url").map(str::to_owned),
                    );
                }
            }
            Ok(None)
        }
        // An external select waits for its options in the response body.
        SlackInteractionEvent::BlockSuggestion(_) => {
            let options = match str_at(raw, "/block_id") {
                Some(capture::modal::block::CUSTOMER) => {
                    let typed = str_at(raw, "/value").unwrap_or_default();
                    capture::handle::suggest_customers(state, &workspace, typed).await?
                }
                _ => json!({ "options": [] }),
            };
            Ok(Some(options))
        }
        _ => Ok(None),
    }
}
